import gzip
import io
import json
from datetime import date

from ingest.evaluate import body_precision_recall, find_truth, report, stated_date


def test_body_metric_counts_shingles():
    truth = "one two three four five six"
    assert body_precision_recall(truth, truth) == (1.0, 1.0)
    precision, recall = body_precision_recall("one two three four", truth)
    assert precision == 1.0 and recall == 1 / 3
    assert body_precision_recall("", truth) == (None, 0.0)


def test_stated_date_uses_the_page_offset():
    assert stated_date("2020-02-17T23:30:00-05:00") == date(2020, 2, 17)
    assert stated_date("2020-02-18T02:18:11Z") == date(2020, 2, 18)
    assert stated_date("2020-02-17") == date(2020, 2, 17)
    assert stated_date(None) is None


def test_date_scoring_takes_the_local_day(tmp_path):
    """07:00 in Tokyo is the previous day in UTC; a UTC stamp at 02:18 filed under the 17th
    in its URL was published on the 17th where the site is."""
    pages = {"tokyo": ("2020-02-15T07:00:00+09:00", "", "2020-02-15"),
             "evening": ("2020-02-18T02:18:11Z", "https://x.example/2020/02/17/story/", "2020-02-17")}
    (tmp_path / "html").mkdir()
    truth = {}
    for name, (stamp, url, day) in pages.items():
        html = (f"<html><head><script type='application/ld+json'>{{\"@type\": \"NewsArticle\", "
                f"\"datePublished\": \"{stamp}\"}}</script></head><body><article><h1>Story {name}</h1>"
                + "<p>Words of the story for the page.</p>" * 5 + "</article></body></html>")
        (tmp_path / "html" / f"{name}.html").write_text(html)
        truth[name] = {"date": day, "url": url}
    (tmp_path / "truth.json").write_text(json.dumps(truth))
    _header, line, _legend = report([tmp_path], compare=False)
    assert line.split()[1:3] == ["ingest", "2"] and line.split()[8] == "1.000"  # date accuracy


def test_report_on_a_folder(tmp_path):
    html = ("<html lang='en'><head><meta property='article:published_time' content='2021-03-14T10:00:00+01:00'>"
            "</head><body><article><h1 class='entry-title'>A title</h1><div class='entry-content'>"
            + "".join(f"<p>Paragraph number {n} has several words in it for the metric.</p>" for n in range(8))
            + "</div></article></body></html>")
    (tmp_path / "html").mkdir()
    (tmp_path / "html" / "page.one.html.gz").write_bytes(gzip.compress(html.encode()))
    truth = " ".join(f"Paragraph number {n} has several words in it for the metric." for n in range(8))
    (tmp_path / "ground-truth.json").write_text(json.dumps({"page.one": {"articleBody": truth, "url": ""}}))
    pages, loaded = find_truth(tmp_path)
    assert pages == tmp_path / "html" and "page.one" in loaded
    header, line, _legend = report([tmp_path], compare=False)
    assert header.split()[:3] == ["folder", "extractor", "pages"]
    assert line.split()[:6] == [tmp_path.name, "ingest", "1", "1.000", "1.000", "1.000"]
    assert line.split()[6] == "0"  # no empty body


def test_title_exact_match_where_truth_has_titles(tmp_path):
    (tmp_path / "html").mkdir()
    for n, title in enumerate(["First headline", "Second headline"]):
        html = (f"<html><body><article><h1 class='entry-title'>{title}</h1><div class='entry-content'>"
                + "<p>Body words for the page go here and there.</p>" * 5 + "</div></article></body></html>")
        (tmp_path / "html" / f"p{n}.html").write_text(html)
    truth = {"p0": {"articleBody": "x", "title": "First headline"},
             "p1": {"articleBody": "x", "title": "Another headline"}}
    (tmp_path / "ground-truth.json").write_text(json.dumps(truth))
    lines = list(report([tmp_path], compare=False))
    assert "0.500 (  1/  2)" in lines[1]


def test_one_table_over_several_folders_with_peers_and_per_page_scores(tmp_path):
    """Body and date folders in one table: ours beside trafilatura and htmldate, an empty
    body counted, and each page's scores written out."""
    bodies, dates = tmp_path / "bodies", tmp_path / "dates"
    for folder in (bodies, dates):
        (folder / "html").mkdir(parents=True)
    words = " ".join(f"word{n}" for n in range(80))
    (bodies / "html" / "full.html").write_text(
        f"<html><head><title>Full story - Site</title></head><body><article><h1>Full story</h1>"
        f"<p>{words}</p></article></body></html>")
    (bodies / "html" / "blank.html").write_text("<html><body><p>.</p></body></html>")
    (bodies / "ground-truth.json").write_text(json.dumps({
        "full": {"articleBody": words, "title": "Full story"}, "blank": {"articleBody": words}}))
    (dates / "html" / "d.html").write_text(
        "<html><head><meta property='article:published_time' content='2021-03-14T10:00:00+01:00'>"
        f"</head><body><article><p>{words}</p></article></body></html>")
    (dates / "truth.json").write_text(json.dumps({"d": {"date": "2021-03-14", "url": None}}))
    per_page = io.StringIO()
    lines = list(report([bodies, dates], per_page=per_page))
    rows = {tuple(line.split()[:2]): line.split() for line in lines[1:-1]}
    assert set(rows) == {("bodies", "ingest"), ("bodies", "trafilatura"),
                         ("dates", "ingest"), ("dates", "htmldate")}
    assert rows[("bodies", "ingest")][2] == "2" and rows[("bodies", "ingest")][6] == "1"  # one empty
    assert rows[("bodies", "ingest")][7] == "1.000"  # title exact match
    assert rows[("dates", "ingest")][7:9] == ["-", "1.000"]  # no title; date accuracy
    records = [json.loads(line) for line in per_page.getvalue().splitlines()]
    assert [(r["folder"], r["page"]) for r in records] == [("bodies", "blank"), ("bodies", "full"), ("dates", "d")]
    assert records[1]["ingest"]["title_ok"] is True and records[2]["htmldate"]["date"] == "2021-03-14"
