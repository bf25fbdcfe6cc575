"""The embedded store as a local database server shared by every command on one data folder:
real commands in real processes, run together and killed at awkward moments, with exact
counts afterwards."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from ingest.demo.site import DemoServer, DemoSite
from ingest.serverprocess import free_port
from ingest.store.client import ARTICLES, connect
from ingest.store.embedded import EmbeddedMongo, read_state, server_alive

ROOT = Path(__file__).resolve().parents[1]
ARTICLES_ON_SITE = 120
IDLE_SECONDS = 2


def command(*argv: str) -> list[str]:
    return [sys.executable, "-m", "ingest", *argv]


def ingest(*argv: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command(*argv), cwd=ROOT, capture_output=True, text=True, timeout=timeout)


def crawl_args(base_url: str, data_dir: Path, idle: float = IDLE_SECONDS) -> list[str]:
    return ["crawl", "--site", "demo", "--base-url", base_url, "--all-categories",
            "--data-dir", str(data_dir), "--database", "news", "--set", "DOWNLOAD_DELAY=0.02",
            "--set", "MONGO_BUFFER_SIZE=10",
            "--set", f"INGEST_EMBEDDED_IDLE_SECONDS={idle}"]


def stored_ids(store_dir: Path) -> list[str]:
    """The stored articles' ids, read as one more user of the shared server."""
    with EmbeddedMongo(store_dir) as store, connect(store.uri) as client:
        return [doc["source_id"] for doc in client.news[ARTICLES].find({}, {"source_id": 1})]


def wait_for(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def count_unregistered(store_dir: Path) -> int:
    """Stored articles, counted without joining the server (which stays the crawl's own,
    with the crawl's idle time, and is left an orphan when the crawl dies)."""
    state = read_state(store_dir)
    if not state:
        return 0
    with connect(f"mongodb://{state['host']}:{state['port']}/", serverSelectionTimeoutMS=2000) as client:
        return client.news[ARTICLES].count_documents({})


def kill_once_stored(process: subprocess.Popen[str], store_dir: Path, share: float) -> int:
    """SIGKILL `process` once `share` of the site's articles are stored (mid-write)."""
    wait_for(lambda: process.poll() is not None or count_unregistered(store_dir) >= share * ARTICLES_ON_SITE,
             300, f"{share:.0%} of the articles stored")
    assert process.poll() is None, "the crawl ended before it could be killed"
    process.kill()
    process.wait()
    return count_unregistered(store_dir)


def test_commands_share_one_server_while_a_crawl_writes(tmp_path, figure):
    """serve, search and export run beside a crawl on one data folder; the last one out
    stops the server."""
    data_dir, store_dir = tmp_path / "data", tmp_path / "data" / "store"
    reads = {"search": 0, "export": 0, "web": 0}
    with DemoServer(DemoSite(n_articles=ARTICLES_ON_SITE, seed=5)) as site:
        serve = subprocess.Popen(command("serve", "--port", "0", "--data-dir", str(data_dir), "--database", "news"),
                                 cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            line = serve.stdout.readline()
            web = re.match(r"serving (http://127\.0\.0\.1:\d+/) ", line)
            assert web, (line, serve.stderr.read() if serve.poll() is not None else "")
            crawl = subprocess.Popen(command(*crawl_args(site.base_url, data_dir)), cwd=ROOT,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            while crawl.poll() is None or not reads["export"]:
                result = ingest("search", "--data-dir", str(data_dir), "--database", "news", "--json")
                assert result.returncode == 0, result.stderr
                assert "joined the running embedded" in result.stderr
                reads["search"] += 1
                out = tmp_path / "export.jsonl"
                result = ingest("export", "--format", "jsonl", "-o", str(out), "--data-dir", str(data_dir),
                                "--database", "news")
                assert result.returncode == 0, result.stderr
                reads["export"] += 1
                with urllib.request.urlopen(web.group(1) + "api/search?per_page=1", timeout=30) as answer:
                    assert answer.status == 200
                reads["web"] += 1
            _, crawl_err = crawl.communicate()
            assert crawl.returncode == 0, crawl_err[-3000:]
            ids = stored_ids(store_dir)
            pid = read_state(store_dir)["pid"]
        finally:
            serve.send_signal(signal.SIGTERM)
            serve.communicate(timeout=30)
    assert serve.returncode == 0
    assert len(ids) == len(set(ids)) == ARTICLES_ON_SITE
    wait_for(lambda: not server_alive(store_dir), 5, "the last user to stop the server")
    assert not os.path.exists(f"/proc/{pid}") or "zombie" in Path(f"/proc/{pid}/status").read_text()
    figure(f"store service: crawl + serve + {reads['search']} searches + {reads['export']} exports + "
           f"{reads['web']} web requests on one data folder: {len(ids)}/{ARTICLES_ON_SITE} stored once, "
           "every command exit 0, server stopped by its last user")


def test_killed_commands_never_block_the_next_run(tmp_path, figure):
    data_dir, store_dir = tmp_path / "data", tmp_path / "data" / "store"
    with DemoServer(DemoSite(n_articles=ARTICLES_ON_SITE, seed=9)) as site:
        # A crawl killed mid-write leaves its server without users: it stops after its idle time.
        crawl = subprocess.Popen(command(*crawl_args(site.base_url, data_dir)), cwd=ROOT,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        first = kill_once_stored(crawl, store_dir, 0.2)
        pid = read_state(store_dir)["pid"]
        wait_for(lambda: not server_alive(store_dir), IDLE_SECONDS + 5, "the orphaned server to stop by itself")
        # Killed again mid-write; the next run adopts the orphaned server (still within its
        # idle time) and resumes.
        crawl = subprocess.Popen(command(*crawl_args(site.base_url, data_dir, idle=60)), cwd=ROOT,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        second = kill_once_stored(crawl, store_dir, 0.5)
        orphan = read_state(store_dir)["pid"]
        assert server_alive(store_dir) and orphan != pid
        result = ingest(*crawl_args(site.base_url, data_dir))
        assert result.returncode == 0, result.stderr[-3000:]
        assert "joined the running embedded MongoDB-wire server" in result.stderr
        assert f"(pid {orphan}," in result.stderr and "resuming" in result.stderr
    wait_for(lambda: not server_alive(store_dir), 5, "the last user to stop the server")
    ids = stored_ids(store_dir)
    assert len(ids) == len(set(ids)) == ARTICLES_ON_SITE

    # Commands killed while starting the store or mid-export: the next command works.
    out = tmp_path / "all.jsonl"
    for delay in (0.5, 1.2):
        victim = subprocess.Popen(command("export", "--format", "jsonl", "-o", str(out), "--data-dir",
                                          str(data_dir), "--database", "news"),
                                  cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        victim.kill()
        victim.wait()
        result = ingest("search", "--data-dir", str(data_dir), "--database", "news", "--json")
        assert result.returncode == 0, (delay, result.stderr)
        assert json.loads(result.stdout)["total"] == ARTICLES_ON_SITE
        assert not out.exists() or len(out.read_text().splitlines()) == ARTICLES_ON_SITE
    # SIGTERM unwinds: no partial file left behind, the store left.
    victim = subprocess.Popen(command("export", "--format", "jsonl", "-o", str(out), "--data-dir",
                                      str(data_dir), "--database", "news"), cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    assert victim.stderr.readline().startswith("store: ")
    victim.terminate()  # once it reads the store
    victim.communicate(timeout=30)
    assert victim.returncode in (0, 128 + signal.SIGTERM)
    assert not list(tmp_path.glob(".all.jsonl.partial"))
    result = ingest("export", "--format", "jsonl", "-o", str(out), "--data-dir", str(data_dir),
                    "--database", "news")
    assert result.returncode == 0, result.stderr
    exported = [json.loads(line)["canonical_url"] for line in out.read_text().splitlines()]
    assert len(exported) == len(set(exported)) == ARTICLES_ON_SITE
    wait_for(lambda: not server_alive(store_dir), 5, "the last user to stop the server")
    figure(f"store service: crawl SIGKILLed at {first} and {second} of {ARTICLES_ON_SITE} stored "
           f"(orphan stopped itself after {IDLE_SECONDS}s idle; the next was adopted), 2 exports "
           f"SIGKILLed 0.5 and 1.2s in, 1 SIGTERMed: {len(ids)}/{ARTICLES_ON_SITE} stored once, "
           "every next command exit 0")


def test_an_unreachable_store_is_one_line(tmp_path):
    uri = f"mongodb://reader:s3cret@127.0.0.1:{free_port()}/"
    with DemoServer(DemoSite(n_articles=10)) as site:
        for argv in (("crawl", "--site", "demo", "--base-url", site.base_url),
                     ("demo", "--articles", "10")):
            result = ingest(*argv, "--mongo-uri", uri, "--data-dir", str(tmp_path),
                            "--set", "MONGO_CONNECT_SECONDS=1")
            assert result.returncode == 1, result.stderr
            lines = result.stderr.strip().splitlines()
            assert "Traceback" not in result.stderr and "s3cret" not in result.stderr
            assert re.fullmatch(r"error: the store at mongodb://\*\*\*@127\.0\.0\.1:\d+/ could not be "
                                r"reached \(tried for 1\.\ds: ServerSelectionTimeoutError\)", lines[-1]), lines
