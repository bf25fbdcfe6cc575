"""Secrets stay out of logs, stats and run records; hostile pages do not crash extraction."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

from ingest.demo.site import DemoServer, DemoSite
from ingest.extract.article import extract_article
from ingest.store.client import RUNS, connect, redact_uri

ROOT = Path(__file__).resolve().parents[1]
CANARY = "CANARY-7f3a9c"


def test_redaction_masks_passwords_and_drops_options():
    uri = f"mongodb://reader:{CANARY}@db.example:27017/news?authMechanismProperties=TOKEN:{CANARY}"
    assert redact_uri(uri) == "mongodb://***@db.example:27017/news"


def test_redaction_masks_unescaped_passwords_and_user_names():
    shapes = {  # passwords pymongo refuses unescaped: printed before it rejects the URI
        f"mongodb://reader:{CANARY}/x@db.example/news": "mongodb://***@db.example/news",
        f"mongodb://reader:{CANARY}?x@db.example/news": "mongodb://***@db.example/news",
        f"mongodb://reader:{CANARY}@x@db.example/news": "mongodb://***@db.example/news",
        f"mongodb+srv://reader:a/{CANARY}?b@c@cluster.example/?tls=true": "mongodb+srv://***@cluster.example/",
        f"mongodb://{CANARY}@db.example/": "mongodb://***@db.example/",  # a user name alone
        "mongodb://db.example:27017/news?appname=x": "mongodb://db.example:27017/news",
    }
    for uri, shown in shapes.items():
        assert redact_uri(uri) == shown, uri


def test_store_uri_secrets_never_reach_logs_or_run_records(mongo_uri, tmp_path):
    name = "security_canary"
    site = DemoSite(n_articles=30)
    secret_uri = f"{mongo_uri.rstrip('/')}/?appname={CANARY}"
    with DemoServer(site) as server:
        command = [sys.executable, "-m", "ingest", "crawl", "--site", "demo", "--base-url", server.base_url,
                   "--all-categories", "--mongo-uri", secret_uri, "--database", name,
                   "--data-dir", str(tmp_path), "--log-level", "DEBUG",
                   "--log-file", str(tmp_path / "crawl.log")]
        result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    client = connect(mongo_uri)
    try:
        assert result.returncode == 0, result.stderr[-2000:]
        runs = list(client[name][RUNS].find({}))
        assert runs and runs[0]["counts"]["new"] == 30
        for text in (result.stdout, result.stderr, (tmp_path / "crawl.log").read_text(),
                     json.dumps(runs, default=str)):
            assert CANARY not in text
    finally:
        client.drop_database(name)
        client.close()


def test_hostile_html_does_not_crash_extraction(figure):
    deep = "<html><body>" + "<div>" * 5000 + "<p>deep text</p>" + "</div>" * 5000 + "</body></html>"
    nul = "<html><body><article><h1>Nul\x00 title</h1><div class='entry-content'>" + \
          "<p>text with a nul\x00 byte inside it and more words to count</p>" * 5 + "</div></article></body></html>"
    huge = ("<html><body><article><h1>Huge</h1><div class='entry-content'><p>" + "word " * 2_400_000 +
            "</p><p>after</p></div></article></body></html>")
    # trafilatura's time grows with the square of the elements: minutes on this one
    many = "<html><body><div><h1>Many</h1>" + "<p>a b</p>" * 100_000 + "</div></body></html>"
    seconds = []
    for html in (deep, nul.encode("utf-8"), huge, many):
        started = time.process_time()
        fields = extract_article(html, "https://news.example/2024/01/02/hostile/")
        seconds.append(time.process_time() - started)
        assert isinstance(fields["body"], str)
    assert fields["body"].split("\n\n") == ["a b"] * 100_000
    tracemalloc.start()  # measured apart: tracing every allocation slows extraction several-fold
    extract_article(huge, "https://news.example/2024/01/02/hostile/")  # the deep page peaks at a fifth
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 200 * 1024 * 1024
    figure(f"hostile HTML (5,000-deep nesting, NUL bytes, 12 MB text node, 100,000 paragraphs): 0 crashes, slowest "
           f"{max(seconds):.2f} CPU-s, peak traced memory on the 12 MB page {peak / 2**20:.0f} MB")
    assert "\x00" not in extract_article(nul, "https://news.example/a/")["title"]
