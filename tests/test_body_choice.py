"""Choosing between a theme container's text and the generic extraction (ingest.extract.body):
the whole pages are in tests/fixtures/unseen/; these pin the decision on its own."""

from __future__ import annotations

from ingest.extract.body import Body, generic_holds_article, theme_body_in_doubt

POST = ("A short post of a few lines about a clock made from an old bicycle wheel and twelve "
        "spoke reflectors.")
ABOUT = ("I am a retired signal engineer who spends most mornings in a garden shed turning other "
         "people's rubbish into useful things, usually badly the first time.")
SITE = ("This site began as a notebook for the shed and grew into a place where readers send in "
        "their own builds, tried at least once before they are written up.")
STORY = [
    "The harbour ferry went back into service on Wednesday after four months in dry dock, "
    "a week later than promised.",
    "Engineers replaced both propeller shafts and rebuilt the ramp that jammed twice last "
    "summer on the quay.",
    "Islanders had relied on a smaller chartered boat since July, which carried passengers "
    "but no vehicles at all.",
]


def body(*paragraphs: str) -> Body:
    return Body(list(paragraphs), "")


def test_an_empty_container_always_yields() -> None:
    assert generic_holds_article(body(), body("Subscribe to:"), outside=[])


def test_form_labels_and_links_beside_a_short_post_are_no_article() -> None:
    generic = body(POST, "Leave a reply", "Name (required)",
                   "Previous post: A shelf from two pallets")
    assert not generic_holds_article(body(POST), generic, outside=[])


def test_one_prose_paragraph_the_post_lacks_is_an_author_box() -> None:
    assert not generic_holds_article(body(POST), body(POST, ABOUT), outside=[])


def test_prose_from_sidebar_regions_does_not_count() -> None:
    generic = body(POST, ABOUT, SITE)
    assert not generic_holds_article(body(POST), generic, outside=[f"About {ABOUT}", SITE])
    assert generic_holds_article(body(POST), generic, outside=[])


def test_the_post_split_differently_is_not_new_text() -> None:
    halves = POST.split(" about ")
    generic = body(halves[0], "about " + halves[1], ABOUT)
    assert not generic_holds_article(body(POST), generic, outside=[])


def test_paragraphs_of_prose_elsewhere_are_the_article() -> None:
    promo = body("Make your pick in the weekly quiz for a chance to win a family ferry pass "
                 "this winter!")
    assert generic_holds_article(promo, body(*STORY), outside=[])


def test_one_long_paragraph_is_an_article() -> None:
    long_paragraph = " ".join(STORY * 4)
    assert generic_holds_article(body(POST), body(long_paragraph), outside=[])


def test_the_new_prose_must_outweigh_the_container_s_own() -> None:
    long_story = body(*STORY, *STORY)
    generic = body(*long_story.paragraphs, ABOUT, SITE)
    assert not generic_holds_article(long_story, generic, outside=[])
    assert generic_holds_article(body(STORY[0]), body(STORY[0], ABOUT, SITE), outside=[])


def test_doubt_falls_on_short_or_stub_containers_only() -> None:
    assert theme_body_in_doubt(body(POST))
    stubs = body(*["Hover over the photo to see notes", "Photo #3100 Title:"] * 8)
    assert theme_body_in_doubt(stubs)
    assert not theme_body_in_doubt(body(*STORY * 2))
