"""`ingest serve` under load on the demo corpus: N requests at once per page (p50 / p95 /
max, refused or failed), optionally while other connections are held open with an
incomplete request (slowloris).

    ./run demo --data-dir /tmp/demo                                    # the corpus, once
    .venv/bin/python benchmarks/web_load.py --data-dir /tmp/demo/store --database demo
    .venv/bin/python benchmarks/web_load.py --data-dir /tmp/demo/store --database demo --held 150
    .venv/bin/python benchmarks/web_load.py --mongo-uri mongodb://localhost:27017/ --database demo

Without --data-dir or --mongo-uri it crawls the demo site (320 articles) into a temporary
embedded store first."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from read_latency import store  # noqa: E402

from ingest.store.client import ARTICLES, connect, redact_uri  # noqa: E402
from ingest.web import create_app  # noqa: E402
from ingest.web.server import WebServer, trusted_hosts  # noqa: E402

PAGES = ["/", "/stats", "/stats?category=News", "/api/stats?category=News", "/?category=News&text=protest"]


@contextlib.contextmanager
def demo_store(uri: str | None, data_dir: Path | None, database: str) -> Iterator[str]:
    if uri or data_dir:
        with store(uri, data_dir) as found:
            yield found
        return
    with tempfile.TemporaryDirectory(prefix="web-load-") as folder:
        subprocess.run([sys.executable, "-m", "ingest", "demo", "--data-dir", folder, "--database", database],
                       cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
        with store(None, Path(folder) / "store") as found:
            yield found


def store_pid(data_dir: Path | None) -> int | None:
    """The embedded server's pid, from its data folder (server.json; server.pid before it)."""
    for name in ("server.json", "server.pid"):
        try:
            text = (data_dir / name).read_text() if data_dir else ""
        except OSError:
            continue
        return int(json.loads(text)["pid"]) if name.endswith(".json") else int(text)
    return None


def cpu_seconds(pid: int | None) -> float:
    if pid is None:
        return 0.0
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def timed_get(url: str, results: list[tuple[float, int | str]], start: threading.Event) -> None:
    start.wait()
    began = time.perf_counter()
    try:
        with urllib.request.urlopen(url, timeout=120) as response:
            response.read()
            outcome: int | str = response.status
    except urllib.error.HTTPError as exc:
        outcome = exc.code
    except OSError as exc:
        outcome = type(exc).__name__
    results.append((time.perf_counter() - began, outcome))


def burst(url: str, concurrency: int) -> list[tuple[float, int | str]]:
    """`concurrency` requests released at once, each on its own connection."""
    results: list[tuple[float, int | str]] = []
    start = threading.Event()
    threads = [threading.Thread(target=timed_get, args=(url, results, start)) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    start.set()
    for thread in threads:
        thread.join()
    return results


def hold_connections(host: str, port: int, count: int) -> list[socket.socket]:
    """Connections that send the start of a request and nothing more."""
    held = []
    for _ in range(count):
        sock = socket.create_connection((host, port), timeout=10)
        sock.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
        held.append(sock)
    return held


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mongo-uri")
    parser.add_argument("--data-dir", type=Path, help="an embedded store's folder (e.g. data/demo/store)")
    parser.add_argument("--database", default="demo")
    parser.add_argument("--concurrency", type=int, default=200)
    parser.add_argument("--threads", type=int, default=4, help="the server's threads (serve's default: 4)")
    parser.add_argument("--held", type=int, default=0, help="connections held open with an incomplete request")
    parser.add_argument("--pages", nargs="+", default=PAGES)
    args = parser.parse_args(argv)
    with demo_store(args.mongo_uri, args.data_dir, args.database) as uri, \
            connect(uri, timeoutMS=15_000) as client:
        db = client[args.database]
        kind = redact_uri(args.mongo_uri) if args.mongo_uri else "embedded nx-27017"
        with WebServer(create_app(db, trusted_hosts("127.0.0.1")), threads=args.threads) as server:
            host, port = server.server.effective_host, server.server.effective_port
            burst(server.url + "static/style.css", 4)  # warm-up; every page is measured cold
            held = hold_connections(host, port, args.held) if args.held else []
            time.sleep(2 if held else 0)  # the attack's steady state: the server has taken them in
            print(f"{db[ARTICLES].estimated_document_count()} articles in {kind}; {args.threads} server "
                  f"threads; {args.concurrency} requests at once per page; {len(held)} connections held "
                  f"open with an incomplete request")
            print(f"{'page':34} {'p50 s':>7} {'p95 s':>7} {'max s':>7} {'not 200':>8} "
                  f"{'CPU ms/req':>10} {'store ms/req':>12}")
            pid = store_pid(args.data_dir)
            for page in args.pages:
                cpu, store_cpu = time.process_time(), cpu_seconds(pid)
                results = burst(server.url.rstrip("/") + page, args.concurrency)
                cpu_ms = (time.process_time() - cpu) * 1000 / args.concurrency
                store_ms = (cpu_seconds(pid) - store_cpu) * 1000 / args.concurrency
                times = sorted(seconds for seconds, _ in results)
                failed = sum(1 for _, outcome in results if outcome != 200)
                p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
                print(f"{page:34} {statistics.median(times):7.2f} {p95:7.2f} {times[-1]:7.2f} "
                      f"{failed:8} {cpu_ms:10.1f} {store_ms:12.1f}", flush=True)
            for sock in held:
                sock.close()
    print("(CPU ms/req: this process's CPU, app and clients, per request; store ms/req: the "
          "embedded server's)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
