"""The generic extractor's lines: sentences broken at their links, and article paragraphs
that a noise box repeats. Pages are small, written for these tests."""

from __future__ import annotations

from ingest.extract.body import (
    _before_comments,
    _boxes_not_holding,
    _links_by_text,
    _mostly_menu,
    _rejoin_inline_links,
    generic_body,
)
from ingest.extract.html import parse_html

FILLER = (
    "<p>The council met on Tuesday evening to discuss the proposal, which had been debated "
    "for months by residents of the northern districts and the traders of the old market.</p>"
    "<p>Several members said they would ask for a second reading before any decision is "
    "taken, since the costs of the plan have risen twice since the first estimate.</p>"
)

MENU = (
    '<ul class="menu"><li><a href="/">Home</a></li><li><a href="/news">News</a></li>'
    '<li><a href="/sport">Sport</a></li><li><a href="/weather">Weather</a></li></ul>'
)


def page(article: str, after: str = "") -> str:
    return (f"<html><head><title>Market plan</title></head><body>{MENU}"
            f"<div id='main'><h1>Market plan delayed again</h1>{article}</div>{after}"
            "<div id='footer'><p>All rights reserved.</p></div></body></html>")


LOOSE = (
    "<div class='post'>The plan was first put forward last spring, as "
    "<a href='/spring'>reported here</a> at the time, and has since drawn more than two "
    "hundred written objections. The mayor thanked <a href='/a'>Anna</a>, "
    "<a href='/b'>Bruno</a> and <a href='/c'>Carla</a> for collecting them."
    "<div class='links'>Sponsored: <a href='/x'>Cheap Loans</a> - <a href='/y'>Car "
    "Dealers</a> - <a href='/z'>Garden Tools</a></div><div style='clear:both'></div></div>"
)

# What trafilatura's full mode gives for it when readability's answer wins: every text
# node of the <div> a line of its own.
LOOSE_LINES = [
    "Home", "News", "The plan was first put forward last spring, as", "reported here",
    "at the time, and has since drawn more than two hundred written objections. The mayor "
    "thanked", "Anna", ",", "Bruno", "and", "Carla", "for collecting them.", "Sponsored:",
    "Cheap Loans", "-", "Car Dealers", "-", "Garden Tools",
]


def test_a_link_inside_loose_text_is_put_back_in_its_sentence() -> None:
    root = parse_html(page(LOOSE))
    lines = _rejoin_inline_links(LOOSE_LINES, _links_by_text(root))
    assert ("The plan was first put forward last spring, as reported here at the time, and has "
            "since drawn more than two hundred written objections. The mayor thanked Anna, Bruno "
            "and Carla for collecting them.") in lines
    # menu entries and links set apart by marks are not sentences
    assert {"Home", "News", "Cheap Loans", "Car Dealers", "Garden Tools"} <= set(lines)


QUOTED = ("Several members said they would ask for a second reading before any decision is "
          "taken, since the costs of the plan have risen twice since the first estimate.")


def test_a_paragraph_a_comment_quotes_stays_in_the_article() -> None:
    comments = (
        "<div class='comments'><h3>2 comments</h3>"
        "<div class='comment'><p>Jo wrote:</p><blockquote>" + QUOTED + "</blockquote>"
        "<p>Twice already, and nobody on the council seems to mind what it costs us.</p></div>"
        "</div>"
    )
    body = generic_body(parse_html(page(FILLER, comments)), [], "Market plan delayed again")
    assert QUOTED in body.paragraphs
    assert "nobody on the council seems to mind" not in body.text


def test_prose_found_only_in_a_noise_box_still_goes() -> None:
    bio = ("<div class='author-bio'><p>Sam Reed has covered city hall for the paper since 2009 "
           "and before that wrote about schools and transport for a regional weekly.</p></div>")
    body = generic_body(parse_html(page(FILLER + bio)), [], "Market plan delayed again")
    assert QUOTED in body.paragraphs
    assert "Sam Reed" not in body.text


def test_prose_loose_in_the_article_div_is_not_missed() -> None:
    post = (
        "<div id='post'><h2>Market plan delayed again</h2>"
        "<div class='date'><span>By Sam Reed, 3 May 2011</span></div>"
        "The plan was first put forward last spring and has since drawn more than two hundred "
        "written objections from the neighbourhood, <a href='/objections'>the clerk said</a> on "
        "Tuesday, and the council will not vote on it before the autumn.<p/>"
        "<p>The mayor thanked the residents who collected the objections over the summer and "
        "promised that every one of them would be answered in writing before the vote.</p></div>"
    )
    html = page(post).replace("<div id='main'><h1>Market plan delayed again</h1>", "<div>")
    body = generic_body(parse_html(html), [], "Market plan delayed again")
    assert ("The plan was first put forward last spring and has since drawn more than two "
            "hundred written objections") in body.text
    assert "promised that every one of them would be answered" in body.text


ARCHIVE = [f"{month} ({n})" for month, n in zip(
    ["December", "November", "October", "September", "August", "July", "June", "May", "April",
     "March", "February", "January"] * 3, range(1, 37))]
POST = ("The plan was first put forward last spring and has since drawn more than two hundred "
        "written objections from the neighbourhood, the clerk said on Tuesday.")


def test_a_widget_of_short_lines_is_noise_however_many_lines_it_has() -> None:
    widget = "Archives " + " ".join(ARCHIVE)
    assert _boxes_not_holding([widget], [POST, "Archives", *ARCHIVE]) == [widget]


def test_a_box_holding_the_prose_is_where_the_article_is() -> None:
    wrapper = "By Sam Reed " + POST + " " + QUOTED
    assert _boxes_not_holding([wrapper], [POST, QUOTED, "Archives", *ARCHIVE]) == []


def test_the_lines_after_a_comments_heading_below_the_article_go() -> None:
    lines = [POST, QUOTED, "12 Responses", "Great post, thanks for writing it up so clearly for "
             "all of us who could not make it to the meeting on Tuesday.", "Leave a Reply"]
    assert _before_comments(lines) == [POST, QUOTED]


def test_a_comments_link_above_the_article_cuts_nothing() -> None:
    lines = ["By Sam Reed", "Comments (4)", POST, QUOTED]
    assert _before_comments(lines) == lines


def test_a_short_post_ends_where_its_empty_comments_section_begins() -> None:
    lines = ["Drawn by Jo Bloggs, from her sketchbook", "No comments yet.",
             "RSS feed for comments on this post.", "Name (required)", "Website"]
    assert _before_comments(lines) == ["Drawn by Jo Bloggs, from her sketchbook"]


HEADLINES = ["Power cut leaves the city dark", "Rail strike called off", "Markets close higher",
             "Storm warning issued", "Budget passes the lower house", "Fiat earnings slump",
             "Today in pictures", "Election news", "Olympics schedule", "Weather"]


def test_a_fast_answer_made_of_the_page_s_links_is_a_menu() -> None:
    side = "".join(f"<li><a href='/s{i}'>{text}</a></li>" for i, text in enumerate(HEADLINES))
    links = _links_by_text(parse_html(page(FILLER, f"<ul class='latest'>{side}</ul>")))
    assert _mostly_menu("\n".join(["Latest", *HEADLINES, POST, QUOTED]), links)
    assert not _mostly_menu("\n".join([POST, "Weather", QUOTED, *ARCHIVE[:8]]), links)
