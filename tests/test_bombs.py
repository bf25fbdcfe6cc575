"""Decompression bombs and endless bodies are dropped without the crawl's memory growing:
Scrapy stops reading at DOWNLOAD_MAXSIZE (decompressed size included)."""

from __future__ import annotations

import re
import subprocess
import sys
import zlib
from pathlib import Path
from typing import Any

import brotli
from fault_server import FaultServer, article_page, listing_page

from ingest.store.client import ARTICLES, RUNS, connect

ROOT = Path(__file__).resolve().parents[1]
GIB_OF_ZEROS = 1024  # chunks of 1 MiB
MEASURED_CRAWL = """
import resource, sys
from ingest.cli import main
code = main(sys.argv[1:])
print("MAXRSS_KB", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)
sys.exit(code)
"""


def compressed_gib(kind: str) -> bytes:
    chunk = b"\0" * (1 << 20)
    if kind == "br":
        compressor = brotli.Compressor(quality=1)
        return b"".join(compressor.process(chunk) for _ in range(GIB_OF_ZEROS)) + compressor.finish()
    if kind == "zstd":
        from scrapy.utils._compression import zstd

        zc = zstd.ZstdCompressor()
        return b"".join(zc.compress(chunk) for _ in range(GIB_OF_ZEROS)) + zc.flush()
    wbits = {"gzip": 31, "deflate": 15}[kind]
    compressor = zlib.compressobj(1, zlib.DEFLATED, wbits)
    return b"".join(compressor.compress(chunk) for _ in range(GIB_OF_ZEROS)) + compressor.flush()


def endless(handler) -> tuple[int, dict[str, str], bytes]:
    handler.send_response(200)
    handler.send_header("Content-Type", "text/html")
    handler.send_header("Transfer-Encoding", "chunked")
    handler.end_headers()
    chunk = b"<p>" + b"x" * 65536 + b"</p>"
    try:
        for _ in range(20_000):  # ~1.3 GB unless the client hangs up first
            handler.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
    except OSError:
        pass
    handler.close_connection = True
    return -1, {}, b""


def measured_crawl(server: FaultServer, mongo_uri: str, database: str, tmp_path: Path) -> tuple[int, int]:
    args = ["crawl", "--site", "wordpress", "--start-url", server.base_url + "/category/news/",
            "--mongo-uri", mongo_uri, "--database", database, "--data-dir", str(tmp_path),
            "--set", "AUTOTHROTTLE_ENABLED=false"]
    result = subprocess.run([sys.executable, "-c", MEASURED_CRAWL, *args], cwd=ROOT, capture_output=True,
                            text=True, timeout=300)
    rss = int(re.search(r"MAXRSS_KB (\d+)", result.stderr).group(1))
    return result.returncode, rss


def test_bombs_and_endless_bodies_are_dropped(mongo_uri, tmp_path, figure):
    kinds = ["gzip", "deflate", "br", "zstd"]
    real = [f"/2024/05/real-{n}/" for n in range(3)]
    with FaultServer() as server:
        server.routes["/robots.txt"] = lambda _h: (200, {}, b"User-agent: *\nAllow: /\n")
        server.routes["/category/news/"] = server.html(listing_page(real))
        for link in real:
            server.routes[link] = server.html(article_page(link))
        _, baseline_rss = measured_crawl(server, mongo_uri, "bomb_baseline", tmp_path)

        bombs = [f"/2024/05/bomb-{kind}/" for kind in kinds] + ["/2024/05/endless/"]
        for kind, link in zip(kinds, bombs):
            payload = compressed_gib(kind)
            server.routes[link] = lambda _h, p=payload, k=kind: (
                200, {"Content-Type": "text/html", "Content-Encoding": k}, p)
        server.routes[bombs[-1]] = endless
        server.routes["/category/news/"] = server.html(listing_page(real + bombs))
        code, bomb_rss = measured_crawl(server, mongo_uri, "bomb_crawl", tmp_path)
    with connect(mongo_uri) as client:
        stored = sorted(d["url"].split("/")[-2] for d in client.bomb_crawl[ARTICLES].find({}))
        client.drop_database("bomb_crawl")
        client.drop_database("bomb_baseline")
    assert stored == ["real-0", "real-1", "real-2"]
    growth_mb = (bomb_rss - baseline_rss) / 1024
    figure(f"decompression bombs + endless body: peak RSS {bomb_rss / 1024:.0f} MB vs {baseline_rss / 1024:.0f} MB without (+{growth_mb:.0f} MB)")
    assert growth_mb < 100


def lossy_crawl(mongo_uri: str, database: str, tmp_path: Path, lost: dict[str, Any]) -> tuple[int, str, dict[str, Any]]:
    """A listing of three articles, of which the ones in `lost` answer with the given reply."""
    links = [f"/2024/05/story-{n}/" for n in range(3)]
    with FaultServer() as server:
        server.routes["/robots.txt"] = lambda _h: (200, {}, b"User-agent: *\nAllow: /\n")
        server.routes["/category/news/"] = server.html(listing_page(links))
        for link in links:
            server.routes[link] = lost.get(link) or server.html(article_page(link))
        result = subprocess.run(
            [sys.executable, "-m", "ingest", "crawl", "--site", "wordpress", "--start-url",
             server.base_url + "/category/news/", "--mongo-uri", mongo_uri, "--database", database,
             "--data-dir", str(tmp_path), "--set", "AUTOTHROTTLE_ENABLED=false",
             "--set", "DOWNLOAD_MAXSIZE=1048576", "--set", "RETRY_ENABLED=false"],
            cwd=ROOT, capture_output=True, text=True, timeout=300)
    with connect(mongo_uri) as client:
        run = client[database][RUNS].find_one({})
        client.drop_database(database)
    return result.returncode, result.stderr, run["stats"]


def test_pages_lost_to_bombs_or_size_fail_the_crawl_alike(mongo_uri, tmp_path):
    bomb = zlib.compress(b"\0" * (4 << 20), 1)  # 4 MiB once decompressed, over the 1 MiB cap
    bombs = {link: lambda _h: (200, {"Content-Type": "text/html", "Content-Encoding": "deflate"}, bomb)
             for link in ("/2024/05/story-1/", "/2024/05/story-2/")}
    huge = b"<html><body>" + b"<p>word</p>" * 200_000 + b"</body></html>"  # 2.2 MB as sent
    oversized = {link: lambda _h: (200, {"Content-Type": "text/html"}, huge)
                 for link in ("/2024/05/story-1/", "/2024/05/story-2/")}
    for name, lost in (("bombs", bombs), ("oversized", oversized)):
        code, stderr, stats = lossy_crawl(mongo_uri, f"lossy_{name}", tmp_path / name, lost)
        assert stats.get("fetch/too_large") == 2 and stats.get("fetch/errors") == 2, (name, stats)
        assert re.search(r"done: .*\| errors 2 \|", stderr), (name, stderr[-2000:])
        assert code == 1 and "2 of 5 requests failed" in stderr, (name, code, stderr[-2000:])
