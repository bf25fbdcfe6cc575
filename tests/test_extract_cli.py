"""`ingest extract` over a folder: a page that cannot be extracted costs only that page."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "unseen"
ROOT = Path(__file__).resolve().parent.parent


def test_broken_pages_get_a_reason_and_the_exit_code_counts_them(tmp_path: Path) -> None:
    pages = tmp_path / "pages"
    pages.mkdir()
    for case in ("control-character", "declared-latin1-utf8"):
        (pages / f"{case}.html.gz").write_bytes(gzip.compress((FIXTURES / case / "body.html").read_bytes()))
    (pages / "b-truncated.html.gz").write_bytes(gzip.compress(b"<html><body><p>cut</p>")[:12])
    (pages / "c-empty.html").write_bytes(b"  \n")
    out = tmp_path / "out.jsonl"

    done = subprocess.run([sys.executable, "-m", "ingest", "extract", str(pages), "-o", str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)

    assert done.returncode == 2, done.stderr
    records = {Path(r["file"]).name: r for r in map(json.loads, out.read_text(encoding="utf-8").splitlines())}
    assert sorted(records) == ["b-truncated.html.gz", "c-empty.html", "control-character.html.gz",
                               "declared-latin1-utf8.html.gz"]
    assert records["c-empty.html"]["error"] == "empty document"
    assert records["b-truncated.html.gz"]["error"]  # the decompressor's reason
    assert "title" not in records["b-truncated.html.gz"]
    expected = json.loads((FIXTURES / "control-character" / "expected.json").read_text(encoding="utf-8"))
    assert records["control-character.html.gz"]["body"] == expected["body"]
    assert records["declared-latin1-utf8.html.gz"]["title"] == "Café owners fight the new pavement rules"
    assert "2 pages extracted, 2 failed" in done.stderr


def test_a_profile_with_a_broken_selector_is_refused_before_any_page(tmp_path: Path) -> None:
    """A typo in a profile's selectors would otherwise fail every article of a crawl, one by
    one; it is refused when the profile is loaded, naming the selector."""
    profile = tmp_path / "typo.toml"
    profile.write_text('start_urls = ["http://127.0.0.1/"]\nallowed_domains = ["127.0.0.1"]\n'
                       '[extraction]\nbody = ["div.entry-content", "div[class=post"]\n', encoding="utf-8")
    pages = tmp_path / "pages"
    pages.mkdir()
    (pages / "a.html").write_text("<html><body><h1>A</h1><p>Text.</p></body></html>", encoding="utf-8")
    out = tmp_path / "out.jsonl"

    done = subprocess.run([sys.executable, "-m", "ingest", "extract", str(pages), "--site", str(profile),
                           "-o", str(out)], cwd=ROOT, capture_output=True, text=True, timeout=120)

    assert done.returncode == 2
    assert "extraction.body: not a CSS selector: 'div[class=post'" in done.stderr
    assert "Traceback" not in done.stderr
    assert not out.exists()
