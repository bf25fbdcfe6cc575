import gzip
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
    [line] = report([tmp_path], compare=False)
    assert "date  ingest" in line and "acc 1.000" in line and "(2 pages)" in line


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
    [line] = report([tmp_path], compare=False)
    assert "F1 1.000" in line and "(1 pages)" in line


def test_title_exact_match_where_truth_has_titles(tmp_path):
    (tmp_path / "html").mkdir()
    for n, title in enumerate(["First headline", "Second headline"]):
        html = (f"<html><body><article><h1 class='entry-title'>{title}</h1><div class='entry-content'>"
                + "<p>Body words for the page go here and there.</p>" * 5 + "</div></article></body></html>")
        (tmp_path / "html" / f"p{n}.html").write_text(html)
    truth = {"p0": {"articleBody": "x", "title": "First headline"},
             "p1": {"articleBody": "x", "title": "Another headline"}}
    (tmp_path / "ground-truth.json").write_text(json.dumps(truth))
    lines = report([tmp_path], compare=False)
    assert any("title ingest" in line and "exact 0.500 (1/2 pages)" in line for line in lines)
