"""main_content, the generic pages' own extractor: which box holds the article and which of
its lines are kept. Pages are small, written for these tests after the layouts of real
news sites and blogs."""

from __future__ import annotations

from ingest.extract.html import parse_html
from ingest.extract.maincontent import main_content

PARAGRAPHS = [
    ("The harbour board voted on Monday to close the old fish market at the end of the "
     "season, ending a trade that has run on the quay for more than two hundred years."),
    ("Traders said they had expected the decision, but not so soon, and several asked for "
     "another year to find a new place for their stalls in the town."),
    ("The board said the building would be repaired first and then let as workshops, with "
     "the traders offered the first leases at a lower rent."),
]
ARTICLE = "".join(f"<p>{text}</p>" for text in PARAGRAPHS)

MENU = "".join(f'<li><a href="/{name.lower()}">{name}</a></li>'
               for name in ("Home", "News", "Sport", "Business", "Weather", "Opinion"))
SIDEBAR_LINKS = "".join(
    f'<li><a href="/story/{n}">Another story about the harbour and its boats, number {n}</a></li>'
    for n in range(12))


def page(body: str) -> str:
    return f"<html><head><title>Fish market</title></head><body>{body}</body></html>"


def lines_of(body: str) -> list[str]:
    return main_content(parse_html(page(body))).lines


def test_the_article_box_wins_over_the_menu_and_a_list_of_links() -> None:
    found = main_content(parse_html(page(
        f'<ul class="nav-list">{MENU}</ul>'
        f'<div class="col"><div class="story">{ARTICLE}</div></div>'
        f'<div class="rail"><h3>Most read</h3><ul>{SIDEBAR_LINKS}</ul></div>')))
    assert found.lines == PARAGRAPHS
    assert found.box is not None and found.box.get("class") == "story"


def test_a_thread_of_comments_longer_than_the_article_stays_out() -> None:
    comment = ("I remember buying mackerel there with my grandfather every Saturday morning, "
               "and it is a real shame that the market will not see another summer.")
    comments = "".join(f'<li class="comment"><p>{comment} ({n})</p></li>' for n in range(8))
    lines = lines_of(f'<div id="main"><div class="entry">{ARTICLE}</div>'
                     '<div id="comments"><h3>8 Responses</h3>'
                     f'<ol class="commentlist">{comments}</ol></div></div>')
    assert lines[:3] == PARAGRAPHS
    assert not any("grandfather" in line for line in lines)


def test_a_post_inside_a_box_named_widget_is_found() -> None:
    """Blogger keeps the post in div.widget.Blog, beside the sidebar's widgets."""
    about = ("We write about boats, harbours and the people who work on them, from the north "
             "coast to the islands, and we welcome letters from readers.")
    lines = lines_of(
        '<div id="main"><div class="widget Blog" id="Blog1">'
        f'<div class="post-body">{ARTICLE}</div></div></div>'
        f'<div id="sidebar"><div class="widget Text" id="Text1"><p>{about}</p></div>'
        f'<div class="widget LinkList"><ul>{SIDEBAR_LINKS}</ul></div></div>')
    assert lines == PARAGRAPHS


def test_hidden_text_is_not_read() -> None:
    hidden = ("This page is best viewed in an up-to-date web browser with style sheets "
              "enabled, which your browser does not seem to support at the moment.")
    lines = lines_of(f'<div class="story">{ARTICLE}<p style="display: none">{hidden}</p>'
                     f'<div hidden><p>{hidden}</p></div><p class="sr-only">{hidden}</p></div>'
                     f'<div style="display:none"><p>{hidden} {hidden} {hidden}</p></div>')
    assert lines == PARAGRAPHS


def test_the_article_s_own_box_not_the_column_with_its_author_box() -> None:
    bio = ("Jane Doe has covered the coast for twenty years and is the author of two books on "
           "the fishing towns of the north, both still in print.")
    lines = lines_of(
        f'<div class="column"><div class="post-text">{ARTICLE}</div>'
        f'<div class="about-the-writer"><p>{bio}</p></div>'
        f'<table><tr><td>We also recommend</td></tr></table></div>')
    assert lines == PARAGRAPHS


def test_a_line_of_byline_and_date_spans_is_left_out() -> None:
    lines = lines_of(
        '<article class="article"><h1 class="article__title">Fish market to close</h1>'
        '<div class="article__infos"><span class="article__author">By Jane Doe</span> '
        '<span class="article__date">Published 12 July 2023, 14:05</span></div>'
        f'{ARTICLE}'
        '<p class="postmetadata">This entry was posted on Monday, July 12th, 2023 at 2:05 pm '
        'and is filed under Harbour, Markets, Town. You can follow any responses to this entry.</p>'
        '</article>')
    assert lines == ["Fish market to close", *PARAGRAPHS]


def test_list_entries_with_words_beside_their_links_stay_but_a_menu_line_goes() -> None:
    entries = ['<li><a href="/a">Cheaper leases</a> - 15.7% of the votes</li>',
               '<li><a href="/b">A new market hall</a> - 22.4% of the votes</li>']
    lines = lines_of(
        f'<div class="story">{ARTICLE}<p>The readers\' poll on the market\'s future:</p>'
        f'<ul>{"".join(entries)}</ul>'
        '<p><a href="/news">News</a> | <a href="/sport">Sport</a> | <a href="/town">Town</a> | '
        '<a href="/jobs">Jobs</a></p></div>')
    assert "Cheaper leases - 15.7% of the votes" in lines
    assert "A new market hall - 22.4% of the votes" in lines
    assert not any(line.startswith("News") for line in lines)


def test_captions_holding_the_prose_are_kept_and_the_stubs_beside_them_go() -> None:
    """Photo posts whose every paragraph sits in a box named as a caption: the names are
    wrong, so only the named boxes without prose (image stubs) are left out."""
    boxes = "".join(
        f'<div class="image-wrapper"><div class="photo-meta">Photo #{n} Title:</div>'
        f'<div class="caption-image"><p>{text}</p></div></div>'
        for n, text in enumerate(PARAGRAPHS))
    lines = lines_of(f'<div id="post-wrapper"><div class="post-body">{boxes}</div></div>')
    assert lines == PARAGRAPHS


def test_a_page_of_links_only_has_no_main_content() -> None:
    found = main_content(parse_html(page(f"<ul>{MENU}</ul><ul>{SIDEBAR_LINKS}</ul>")))
    assert found.box is None and found.lines == []


def test_a_page_nested_deeper_than_python_recurses_is_read() -> None:
    depth = 1500  # past Python's recursion limit, within what the HTML parser keeps
    found = lines_of("<div>" * depth + ARTICLE + "</div>" * depth)
    assert found == PARAGRAPHS


CHINESE = [
    "港务局周一投票决定在本季结束时关闭旧鱼市场，结束了在码头上延续两百多年的交易，许多摊主对此感到意外。",
    "摊主们表示，他们早已预料到这一决定，但没想到会这么快，一些人要求再给一年时间，在镇上为摊位另找地方。",
    "港务局在2023-05-01的声明中说，建筑将先行修缮，然后作为工作坊出租，摊主可以较低的租金优先租用。",
]


def test_chinese_prose_counts_as_prose(monkeypatch) -> None:
    """Chinese is written without spaces: its paragraphs are prose by their characters, so
    main_content answers alone (trafilatura is not asked), and a paragraph holding a date
    is not taken for a dateline."""
    from ingest.extract import body

    def no_trafilatura(root):
        raise AssertionError("trafilatura asked")

    monkeypatch.setattr(body, "_trafilatura_text", no_trafilatura)
    article = "".join(f"<p>{text}</p>" for text in CHINESE)
    root = parse_html(page(f'<ul class="nav-list">{MENU}</ul><div class="story">{article}</div>'))
    assert main_content(root).lines == CHINESE
    assert body.generic_body(root, []).paragraphs == CHINESE
