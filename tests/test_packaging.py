"""The project as an installable package: `pip install .` gives the `ingest` command and the
packages `ingest` and `pipelines`; `scrapyd-deploy --build-egg` builds an egg that a scrapyd
from PyPI runs (a crawl of the local demo site, stored through MONGO_URI)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path


from ingest.demo.site import DemoServer, DemoSite
from ingest.serverprocess import free_port
from ingest.store.client import ARTICLES, connect

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
PROJECT_FILES = ("ingest", "pipelines", "pyproject.toml", "setup.py", "scrapy.cfg",
                 "requirements.txt", "README.md")


def project_copy(destination: Path) -> Path:
    """The project's files as a clone has them (no venv, no data, no caches)."""
    for name in PROJECT_FILES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, destination / name,
                            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(source, destination / name)
    return destination


def test_pip_install_gives_the_command_and_both_packages(tmp_path: Path) -> None:
    project = project_copy(tmp_path / "project")
    target = tmp_path / "installed"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation",
                    "--disable-pip-version-check", "--target", str(target), str(project)],
                   check=True, capture_output=True, timeout=300)
    assert (target / "ingest" / "sites" / "demo.toml").is_file()
    assert (target / "ingest" / "web" / "templates" / "base.html").is_file()
    assert (target / "pipelines" / "mongo.py").is_file()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {**os.environ, "PYTHONPATH": str(target)}
    listed = subprocess.run([str(target / "bin" / "ingest"), "sites"], cwd=elsewhere, env=env,
                            capture_output=True, text=True, timeout=120)
    assert listed.returncode == 0, listed.stderr
    assert "demo" in listed.stdout and "iranfreedom" in listed.stdout
    where = subprocess.run(
        [sys.executable, "-c", "import ingest, pipelines.mongo; print(ingest.__file__); "
                               "print(pipelines.mongo.__file__)"],
        cwd=elsewhere, env=env, capture_output=True, text=True, check=True, timeout=60)
    assert all(line.startswith(str(target)) for line in where.stdout.split()), where.stdout


def _get(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.load(response)


def _post(url: str, fields: list[tuple[str, str]], files: dict[str, bytes] | None = None) -> dict:
    if files:
        boundary = "----ingest-test-boundary"
        parts = []
        for name, value in fields:
            parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
                         f"{value}\r\n".encode())
        for name, content in files.items():
            parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
                         f'filename="{name}.egg"\r\nContent-Type: application/octet-stream\r\n\r\n'
                         .encode() + content + b"\r\n")
        body = b"".join(parts) + f"--{boundary}--\r\n".encode()
        content_type = f"multipart/form-data; boundary={boundary}"
    else:
        body = urllib.parse.urlencode(fields).encode()
        content_type = "application/x-www-form-urlencoded"
    request = urllib.request.Request(url, data=body, headers={"Content-Type": content_type})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)


def test_scrapyd_runs_the_deployed_egg(tmp_path: Path, mongo_uri: str, database_name: str) -> None:
    project = project_copy(tmp_path / "project")
    egg = tmp_path / "ingest.egg"
    built = subprocess.run([str(BIN / "scrapyd-deploy"), "--build-egg", str(egg)], cwd=project,
                           capture_output=True, text=True, timeout=300)
    assert built.returncode == 0 and egg.is_file(), built.stderr

    home = tmp_path / "scrapyd"
    home.mkdir()
    port = free_port()
    (home / "scrapyd.conf").write_text(
        "[scrapyd]\n"
        f"bind_address = 127.0.0.1\nhttp_port = {port}\n"
        f"eggs_dir = {home / 'eggs'}\nlogs_dir = {home / 'logs'}\ndbs_dir = {home / 'dbs'}\n"
        "items_dir =\nmax_proc = 1\npoll_interval = 0.5\n")
    env = {key: value for key, value in os.environ.items() if key not in ("MONGO_URI", "REDIS_URL")}
    env["MONGO_URI"] = mongo_uri  # as a deployment sets it in scrapyd's environment
    base = f"http://127.0.0.1:{port}"
    log = (home / "scrapyd.out").open("wb")
    scrapyd = subprocess.Popen([str(BIN / "scrapyd")], cwd=home, env=env, stdout=log,
                               stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                assert _get(f"{base}/daemonstatus.json")["status"] == "ok"
                break
            except OSError:
                assert scrapyd.poll() is None and time.monotonic() < deadline, \
                    (home / "scrapyd.out").read_text()
                time.sleep(0.3)
        added = _post(f"{base}/addversion.json", [("project", "ingest"), ("version", "1")],
                      {"egg": egg.read_bytes()})
        assert added["status"] == "ok" and added["spiders"] >= 1, added
        assert _get(f"{base}/listspiders.json?project=ingest")["spiders"] == ["news"]

        site = DemoSite(n_articles=40)
        with DemoServer(site) as server:
            job = _post(f"{base}/schedule.json", [
                ("project", "ingest"), ("spider", "news"), ("site", "demo"),
                ("base_url", server.base_url), ("all_categories", "true"),
                ("setting", f"MONGO_DATABASE={database_name}"),
                ("setting", f"DEAD_LETTER_DIR={tmp_path / 'dead-letter'}")])
            assert job["status"] == "ok", job
            deadline = time.monotonic() + 240
            while not any(j["id"] == job["jobid"] for j in
                          _get(f"{base}/listjobs.json?project=ingest")["finished"]):
                assert time.monotonic() < deadline, "the scrapyd job did not finish in time"
                time.sleep(1)
        crawl_log = next((home / "logs").rglob("*.log")).read_text()
        with connect(mongo_uri) as client:
            db = client[database_name]
            stored = {doc["source_id"] for doc in db[ARTICLES].find({}, {"source_id": 1})}
            run = db["runs"].find_one({})
            client.drop_database(database_name)
        assert stored == {str(article["id"]) for article in site.expected()}, crawl_log[-3000:]
        assert run["finish_reason"] == "finished"
    finally:
        scrapyd.terminate()
        try:
            scrapyd.wait(timeout=20)
        except subprocess.TimeoutExpired:
            scrapyd.kill()
            scrapyd.wait()
        log.close()
