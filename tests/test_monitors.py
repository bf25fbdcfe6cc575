"""Quality monitors: real crawls of the demo site before and after a theme change, alerts to a
local SMTP server, webhook and file, metrics to a textfile and a local Pushgateway stand-in,
and the false-alarm rate on ordinary runs."""

from __future__ import annotations

import asyncio
import json
import random
import resource
import subprocess
import sys
import threading
from collections.abc import Iterator
from email import message_from_bytes
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from scrapy import Spider
from scrapy.settings import Settings
from scrapy.utils.test import get_crawler
from spidermon.contrib.scrapy.runners import SpiderMonitorRunner
from spidermon.contrib.validation import JSONSchemaValidator

from conftest import project_crawler
from ingest.cli import EXIT_QUALITY
from ingest.demo.site import DemoServer, DemoSite
from ingest.items import ArticleItem
from ingest.monitors.checks import Thresholds, compare
from ingest.monitors.figures import RunFigures
from ingest.monitors.suites import RunQualitySuite
from ingest.schema import ARTICLE_SCHEMA, article_check
from ingest.serverprocess import free_port
from ingest.sites import load_profile
from ingest.store.client import ARTICLES, RUNS, connect
from ingest.web import create_app
from pipelines.mongo import MongoPipeline
from pipelines.validate import ValidatePipeline

DEFAULTS = Thresholds.from_settings(project_crawler().settings)  # the declared defaults

pytestmark = [pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS"),
              pytest.mark.filterwarnings(r"ignore:Spider\.log\(\) is deprecated")]
ROOT = Path(__file__).resolve().parents[1]
WEBHOOK_SECRET = "T0DEMO/B0DEMO/s3cr3tW3bh00kT0ken"
SMTP_PASSWORD = "sm7p-pa55w0rd"


# local servers ------------------------------------------------------------------------------
class Recorder(ThreadingHTTPServer):
    """Records every request (method, path, headers, body) and answers 200."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _record(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                recorder.requests.append({"method": self.command, "path": self.path,
                                          "type": self.headers.get("Content-Type"),
                                          "body": self.rfile.read(length)})
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_POST = do_PUT = _record

        super().__init__(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.1},
                                       daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def stop(self) -> None:
        self.shutdown()
        self.server_close()


class Mailbox:
    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []
        self.logins: list[tuple[bytes, bytes]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append({"from": envelope.mail_from, "to": envelope.rcpt_tos,
                              "message": message_from_bytes(envelope.content)})
        return "250 OK"

    def authenticate(self, server: Any, session: Any, envelope: Any, mechanism: str,
                     auth_data: Any) -> AuthResult:
        self.logins.append((auth_data.login, auth_data.password))
        return AuthResult(success=auth_data.password == SMTP_PASSWORD.encode())


@pytest.fixture(scope="module")
def alert_servers() -> Iterator[dict[str, Any]]:
    webhook, gateway, mailbox = Recorder(), Recorder(), Mailbox()
    smtp = Controller(mailbox, hostname="127.0.0.1", port=free_port(), authenticator=mailbox.authenticate,
                      auth_required=True, auth_require_tls=False)
    smtp.start()
    try:
        yield {"webhook": webhook, "gateway": gateway, "mailbox": mailbox, "smtp_port": smtp.port}
    finally:
        smtp.stop()
        webhook.stop()
        gateway.stop()


# real crawls: ordinary runs, a quiet day, a theme change --------------------------------------
def crawl(base_url: str, mongo_uri: str, database: str, data_dir: Path, *extra: str
          ) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "ingest", "crawl", "--site", "demo", "--base-url", base_url,
               "--all-categories", "--mongo-uri", mongo_uri, "--database", database,
               "--data-dir", str(data_dir), "--log-level", "INFO", *extra]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    result.cpu_seconds = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return result


@pytest.fixture(scope="module")
def runs(mongo_uri: str, alert_servers: dict[str, Any], tmp_path_factory: pytest.TempPathFactory
         ) -> Iterator[dict[str, Any]]:
    data_dir = tmp_path_factory.mktemp("monitored")
    alerts = {
        "INGEST_ALERT_FILE": str(data_dir / "alerts" / "{{ site }}.log"),
        "INGEST_ALERT_WEBHOOK_URL": f"{alert_servers['webhook'].url}/services/{WEBHOOK_SECRET}",
        "SPIDERMON_EMAIL_TO": "desk@news.example",
        "SPIDERMON_SMTP_HOST": "127.0.0.1",
        "SPIDERMON_SMTP_PORT": str(alert_servers["smtp_port"]),
        "SPIDERMON_SMTP_USER": "ingest",
        "SPIDERMON_SMTP_PASSWORD": SMTP_PASSWORD,
        "INGEST_METRICS_DIR": str(data_dir / "metrics"),
        "INGEST_METRICS_PUSHGATEWAY": alert_servers["gateway"].url,
    }
    options = [arg for name, value in alerts.items() for arg in ("--set", f"{name}={value}")]
    database = "monitored_demo"
    client = connect(mongo_uri)
    client.drop_database(database)
    site = DemoSite(n_articles=60, seed=11)
    results: dict[str, Any] = {"data_dir": data_dir, "database": database, "db": client[database]}
    with DemoServer(site) as server:
        for name, added in (("first", 0), ("ordinary 1", 14), ("ordinary 2", 12), ("quiet day", 3)):
            site.add_articles(added)
            results[name] = crawl(server.base_url, mongo_uri, database, data_dir, *options)
        results["alerts before"] = {"posts": len(alert_servers["webhook"].requests),
                                    "mails": len(alert_servers["mailbox"].messages)}
        site.add_articles(12)
        site.redesigned = True
        results["redesign"] = crawl(server.base_url, mongo_uri, database, data_dir, *options)
    yield results
    client.drop_database(database)
    client.close()


def quality_lines(result: subprocess.CompletedProcess) -> list[str]:
    return [line.removeprefix("quality: ") for line in result.stderr.splitlines()
            if line.startswith("quality: ")]


def test_ordinary_runs_and_a_quiet_day_are_not_flagged(runs, figure):
    for name in ("first", "ordinary 1", "ordinary 2", "quiet day"):
        assert runs[name].returncode == 0, (name, runs[name].stderr[-3000:])
        assert quality_lines(runs[name]) == []
    records = list(runs["db"][RUNS].find({}, {"quality": 1, "counts": 1}).sort("started_at", 1))
    assert [r["quality"]["flagged"] for r in records] == [False] * 4 + [True]
    quiet = records[3]
    assert quiet["quality"]["history_runs"] == 3  # it was compared, and passed
    assert quiet["counts"]["new"] == 3
    assert runs["alerts before"] == {"posts": 0, "mails": 0}
    figure("monitors: real ordinary runs flagged: 0 of 4 (the last a quiet day: 3 new articles, "
           "usually 14)")


def test_a_theme_change_is_flagged_with_what_changed(runs, figure):
    result = runs["redesign"]
    assert result.returncode == EXIT_QUALITY, result.stderr[-3000:]
    lines = quality_lines(result)
    text = "\n".join(lines)
    assert "published date found on 0% of articles (usually 100%)" in lines
    assert any(line.startswith("captions found on 0% of articles (usually ") for line in lines)
    assert "authors found on 0% of articles (usually 100%)" in lines
    assert "100% of bodies are near-identical across articles (usually 0%)" in lines
    assert "100% of titles are repeated across articles (usually 0%)" in lines
    assert "new articles" not in text and "failed" not in text
    record = runs["db"][RUNS].find_one({"quality.flagged": True})
    assert [f["message"] for f in record["quality"]["findings"]] == lines
    for line in lines:
        figure(f"monitors: redesign finding: {line}")


def test_alerts_reach_the_file_the_webhook_and_the_mailbox(runs, alert_servers):
    lines = quality_lines(runs["redesign"])
    posts = alert_servers["webhook"].requests
    assert len(posts) == 1
    assert posts[0]["path"] == f"/services/{WEBHOOK_SECRET}"
    assert posts[0]["type"] == "application/json"
    text = json.loads(posts[0]["body"])["text"]
    assert "the crawl of demo" in text and all(f"- {line}" in text for line in lines)

    mails = alert_servers["mailbox"].messages
    assert len(mails) == 1 and mails[0]["to"] == ["desk@news.example"]
    assert alert_servers["mailbox"].logins[-1] == (b"ingest", SMTP_PASSWORD.encode())
    message = mails[0]["message"]
    assert message["Subject"] == "ingest: the crawl of demo extracted worse than usual"
    plain = next(part for part in message.walk() if part.get_content_type() == "text/plain")
    body = plain.get_payload(decode=True).decode()
    assert all(line in body for line in lines) and "Content-Type" not in body

    alert_file = runs["data_dir"] / "alerts" / "demo.log"
    written = alert_file.read_text(encoding="utf-8")
    assert written.count("extracted worse than usual") == 1
    assert all(f"- {line}" in written for line in lines)

    for name in ("first", "ordinary 1", "ordinary 2", "quiet day", "redesign"):
        log = runs[name].stderr
        assert WEBHOOK_SECRET not in log and SMTP_PASSWORD not in log, name


def test_metrics_after_every_run(runs, alert_servers):
    pushes = alert_servers["gateway"].requests
    assert len(pushes) == 5
    assert {p["method"] for p in pushes} == {"PUT"}
    assert {p["path"] for p in pushes} == {"/metrics/job/ingest_crawl/site/demo"}
    payload = pushes[-1]["body"].decode()
    assert 'ingest_run_findings{site="demo"} 5.0' in payload
    assert 'ingest_run_fill_ratio{field="authors",site="demo"} 0.0' in payload
    assert 'ingest_run_articles{outcome="new",site="demo"} 12.0' in payload
    assert "ingest_run_duration_seconds{" in payload
    first = pushes[0]["body"].decode()
    assert 'ingest_run_articles{outcome="new",site="demo"} 60.0' in first
    assert 'ingest_run_fill_ratio{field="authors",site="demo"} 1.0' in first
    textfile = (runs["data_dir"] / "metrics" / "ingest_demo.prom").read_text()
    assert textfile == payload


def test_monitoring_page_shows_runs_fill_rates_and_findings(runs):
    app = create_app(runs["db"])
    client = app.test_client()
    index = client.get("/monitoring")
    assert index.status_code == 200 and b"/monitoring/demo" in index.data
    page = client.get("/monitoring/demo")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert html.count('class="run-row') == 5
    assert "published date found on 0% of articles (usually 100%)" in html
    assert html.count("<polyline") >= 5  # a fill-rate line per field
    assert client.get("/monitoring/nosuchsite").status_code == 404


def test_monitoring_costs_little_cpu(runs, figure):
    records = list(runs["db"][RUNS].find({}, {"quality": 1}).sort("started_at", 1))
    per_run = [r["quality"]["cpu_seconds"] for r in records]
    crawls = [runs[name].cpu_seconds for name in ("first", "ordinary 1", "ordinary 2", "quiet day",
                                                  "redesign")]
    articles = sum(r["quality"]["figures"]["articles"] for r in records)
    assert max(per_run) < 0.5
    figure(f"monitors: CPU per run {1000 * sum(per_run) / len(per_run):.1f} ms (max "
           f"{1000 * max(per_run):.1f} ms, the flagged run with its alerts), "
           f"{100 * sum(per_run) / sum(crawls):.1f}% of the crawl processes' CPU "
           f"({sum(crawls) / len(crawls):.2f} s per run); {len(per_run)} runs, {articles} articles")


# synthetic-but-realistic history: the false-alarm rate -------------------------------------
def _binomial(rng: random.Random, n: int, p: float) -> int:
    return sum(rng.random() < p for _ in range(n))


def _poisson(rng: random.Random, mean: float) -> int:
    limit, k, product = pow(2.718281828459045, -mean), 0, rng.random()
    while product > limit:
        k += 1
        product *= rng.random()
    return k


def ordinary_run(rng: random.Random, usual_new: float, quiet: bool) -> dict[str, Any]:
    """A scheduled run of a healthy site: new articles vary (weekends, quiet days at a third
    of usual), refreshed ones too; fields are filled at the site's own rates."""
    new = _poisson(rng, usual_new * (rng.uniform(0.25, 0.45) if quiet else rng.uniform(0.7, 1.3)))
    n = new + rng.randint(0, 25)
    requests = n + rng.randint(8, 20)
    return {"articles": n,
            "filled": {"title": n, "body": n, "published_at": _binomial(rng, n, 0.96),
                       "captions": _binomial(rng, n, 0.6), "authors": _binomial(rng, n, 0.85)},
            "body_chars_median": int(rng.gauss(2400, 250)) if n else 0,
            "boilerplate_bodies": rng.choice((0, 0, 0, 3)) if n > 10 else 0,
            "repeated_titles": 0, "new": new, "requests": requests,
            "errors": _binomial(rng, requests, 0.02), "invalid": _binomial(rng, n, 0.01)}


def test_no_false_alarm_on_ordinary_runs(figure):
    flagged = checked = 0
    for seed in range(10):
        rng = random.Random(seed)
        usual_new = rng.choice((12, 25, 60))
        history: list[dict[str, Any]] = []
        for index in range(20):
            run = ordinary_run(rng, usual_new, quiet=index % 5 == 4)
            flagged += bool(compare(run, history, DEFAULTS, previous=history))
            checked += len(history) >= DEFAULTS.min_history
            history.insert(0, run)
    assert flagged == 0
    figure(f"monitors: synthetic ordinary runs flagged: {flagged} of 200 (10 sites x 20 runs, "
           f"{checked} compared with history, every 5th a quiet day)")


def test_first_runs_are_not_flagged_for_lack_of_history():
    broken = {"articles": 40, "filled": {"title": 40, "body": 40, "published_at": 0, "captions": 0,
                                         "authors": 0},
              "body_chars_median": 300, "boilerplate_bodies": 40, "repeated_titles": 40, "new": 0,
              "requests": 50, "errors": 30, "invalid": 20}
    healthy = {**broken, "filled": {f: 40 for f in broken["filled"]}, "boilerplate_bodies": 0,
               "repeated_titles": 0, "body_chars_median": 2000, "new": 40, "errors": 0, "invalid": 0}
    assert compare(broken, [], DEFAULTS) == []
    assert compare(broken, [healthy, healthy], DEFAULTS, [broken, broken]) == []
    assert {f.check for f in compare(broken, [healthy] * 3, DEFAULTS, [broken, broken])} == {
        "fill:published_at", "fill:captions", "fill:authors", "boilerplate", "repeated_titles",
        "body_length", "new_articles", "errors", "invalid"}


def test_a_small_run_is_not_flagged_for_noise():
    usual = {"articles": 200, "filled": {"title": 200, "body": 200, "published_at": 196,
                                         "captions": 120, "authors": 180},
             "body_chars_median": 2000, "boilerplate_bodies": 0, "repeated_titles": 0, "new": 3,
             "requests": 220, "errors": 2, "invalid": 1}
    small = {**usual, "articles": 4, "filled": {"title": 4, "body": 4, "published_at": 4,
                                                "captions": 0, "authors": 3}, "requests": 6}
    assert compare(small, [usual] * 5, DEFAULTS) == []


def test_thresholds_come_from_settings_and_the_site_profile(tmp_path):
    profile_path = tmp_path / "quietsite.toml"
    profile_path.write_text('name = "quietsite"\n[settings]\nINGEST_MONITOR_FILL_DROP = 0.5\n'
                            'INGEST_MONITOR_SKIP = ["captions", "new_articles"]\n', encoding="utf-8")
    profile = load_profile(str(profile_path))
    settings = Settings()
    settings.setmodule("ingest.settings", priority="project")
    settings.setdict(profile.settings, priority="spider")
    limits = Thresholds.from_settings(settings)
    assert limits.fill_drop == 0.5 and limits.skip == ("captions", "new_articles")
    assert limits.min_history == 3 and limits.z == 2.58
    usual = {"articles": 100, "filled": {"title": 100, "body": 100, "published_at": 100,
                                         "captions": 100, "authors": 100},
             "body_chars_median": 2000, "new": 50}
    drop = {**usual, "filled": {**usual["filled"], "captions": 0, "authors": 55}, "new": 0}
    assert compare(drop, [usual] * 3, limits, [drop, drop]) == []
    assert [f.check for f in compare(drop, [usual] * 3, DEFAULTS, [drop, drop])] == [
        "fill:captions", "fill:authors", "new_articles"]
    settings.set("INGEST_MONITOR_SKIP", ["captionz"], priority="cmdline")
    with pytest.raises(ValueError, match="captionz"):
        Thresholds.from_settings(settings)


def test_new_articles_collapse_only_when_it_lasts():
    usual = {"articles": 30, "filled": {}, "new": 30}
    quiet = {**usual, "new": 2}
    history = [usual] * 10
    assert compare(quiet, history, DEFAULTS, previous=[usual, usual]) == []
    assert compare(quiet, history, DEFAULTS, previous=[quiet, usual]) == []
    findings = compare(quiet, history, DEFAULTS, previous=[quiet, quiet])
    assert [f.message for f in findings] == ["6 new articles in the last 3 runs (usually 30 per run)"]


def test_boilerplate_is_near_identical_openings():
    figures = RunFigures(min_copies=3)
    banner = "We value your privacy. We and our 842 partners store cookies on your device."
    for n in range(4):
        figures.add({"title": f"Story {n}", "body": banner.replace("842", str(800 + n))})
    figures.add({"title": "Another", "body": "A real article about water prices in Shiraz."})
    stats = figures.as_stats()
    assert stats["quality/boilerplate_bodies"] == 4  # numbers do not count
    assert stats["quality/repeated_titles"] == 4  # "Story 0".."Story 3": numbers do not count
    assert stats["quality/filled/published_at"] == 0


# item validation ------------------------------------------------------------------------------
VALID_ARTICLE = {
    "url": "https://news.example/a/", "canonical_url": "https://news.example/a/", "site": "example",
    "title": "A title", "body": "Some words", "authors": ["A. Writer"], "categories": ["News"],
    "tags": [], "listed_in": [], "language": "en", "published_at": None, "crawl_id": "run-1",
    "fetched_at": "2024-05-01T10:00:00+00:00", "http_status": 200, "word_count": 2,
    "captions": [{"text": "Fine", "image_url": "https://news.example/1.jpg"}]}
REMOVED = object()


@pytest.mark.parametrize("change", [
    {}, {"later_field": 1}, {"published_at": "2024-05-01T10:00:00Z"}, {"language": None},
    {"url": "not a url"}, {"url": "ftp://news.example/a/"}, {"url": "https://news example/a b"},
    {"site": ""}, {"title": "x" * 1001}, {"title": 3}, {"body": None}, {"authors": [""]},
    {"categories": "News"}, {"language": "English"}, {"published_at": "yesterday"},
    {"fetched_at": "2024-05-01 10:00"}, {"modified_at": "2024-13-01T10:00:00Z"},
    {"http_status": 99}, {"http_status": True}, {"http_status": "200"}, {"word_count": -1},
    {"word_count": 2.5}, {"captions": [{"image_url": "https://news.example/1.jpg"}]},
    {"captions": [{"text": "Broken", "image_url": "also not"}]}, {"listed_in": [1]},
    {"crawl_id": None}, {"title": REMOVED},
    # URLs past the quick check of the usual shape, each way
    {"url": "https://news.example:8080/a%C3%A9/b;p?q=1&r=/s?#top"}, {"url": "https://news.example/a%zz/"},
    {"url": "https://news.example/a|b/"}, {"url": "https://news.example/\u00e9t\u00e9/"},
    {"url": "https://news.example/a#b#c"}, {"url": "https://editor@news.example/a/"},
    {"url": "https://[2001:db8::1]/a/"}, {"url": "https://news.example:80x/a/"},
    {"captions": [{"text": "Fine", "image_url": "https://news.example/a b.jpg"}]},
])
def test_compiled_schema_check_agrees_with_spidermons_validator(change):
    """The pipeline lists violations only for articles the compiled check fails: it must
    pass no article that Spidermon's validator faults."""
    article = {key: value for key, value in {**VALID_ARTICLE, **change}.items() if value is not REMOVED}
    expected, _ = JSONSchemaValidator(ARTICLE_SCHEMA).validate(article)
    assert article_check()(article) is expected


def test_schema_violations_are_counted_by_field_kept_and_recorded(mongo_uri, database_name, db):
    crawler = project_crawler(MONGO_URI=mongo_uri, MONGO_DATABASE=database_name)
    crawler.spider = Spider(name="news")
    crawler.spider.crawl_id = "run-1"
    validate, store = ValidatePipeline.from_crawler(crawler), MongoPipeline.from_crawler(crawler)
    article = ArticleItem(
        url="https://news.example/a/", canonical_url="https://news.example/a/", site="example",
        title="A title", body=" ".join(["word"] * 20), authors=["A. Writer"], categories=["News"],
        tags=[], listed_in=[], language="English", published_at=None, crawl_id="run-1",
        fetched_at="yesterday", http_status=200,
        captions=[{"text": "Fine", "image_url": "https://news.example/1.jpg"},
                  {"text": "Broken", "image_url": "not a url"},
                  {"text": "Also broken", "image_url": "also not"}])
    good = ArticleItem(**{**dict(article), "url": "https://news.example/b/",
                          "canonical_url": "https://news.example/b/", "language": "en",
                          "fetched_at": "2024-05-01T10:00:00+00:00", "captions": []})
    store.open_spider()

    async def feed() -> None:
        for each in (article, good):
            assert validate.process_item(each) is each
            await store.process_item(each)
        await store.close_spider()

    asyncio.run(feed())
    store.spider_closed(crawler.spider, "finished")
    stats = crawler.stats.get_stats()
    assert stats["validate/schema/language"] == 1
    assert stats["validate/schema/fetched_at"] == 1
    assert stats["validate/schema/captions.image_url"] == 2
    assert stats["validate/passed"] == 2
    assert db[ARTICLES].count_documents({}) == 2
    record = db[RUNS].find_one({"_id": "run-1"})
    assert record["counts"]["violations"] == {"language": 1, "fetched_at": 1, "captions_image_url": 2}


def test_failed_alerts_are_logged_without_their_secrets(tmp_path, caplog):
    unreachable = f"http://127.0.0.1:{free_port()}"
    crawler = get_crawler(settings_dict={
        "INGEST_ALERT_WEBHOOK_URL": f"{unreachable}/services/{WEBHOOK_SECRET}",
        "INGEST_METRICS_PUSHGATEWAY": f"{unreachable}/{WEBHOOK_SECRET}",
        "INGEST_ALERT_FILE": str(tmp_path / "{{ site }}.log"),
        "SPIDERMON_EMAIL_SUBJECT": "{{ site }}", "INGEST_ALERT_TIMEOUT": 2})
    spider = Spider(name="news")
    spider.crawl_id, spider.profile = "site-run-1", SimpleNamespace(name="site")
    finding = {"check": "fill:authors", "message": "authors found on 0% of articles (usually 90%)",
               "value": 0.0, "usual": 0.9}
    quality = {"figures": {"articles": 10, "filled": {"authors": 0}}, "findings": [finding],
               "flagged": True}
    suite = RunQualitySuite(crawler=crawler)
    assert [type(a).__name__ for a in suite.monitors_failed_actions] == ["AlertFile", "WebhookAlert"]
    with caplog.at_level("INFO"):
        result = SpiderMonitorRunner(spider=spider).run(suite, stats={}, crawler=crawler,
                                                       spider=spider, quality=quality)
    assert not result.all_monitors_passed
    actions = [*result.monitors_finished_action_results, *result.monitors_failed_action_results]
    errors = {outcome.item.name for outcome in actions if outcome.error}
    assert errors == {"WebhookAlert", "PrometheusMetrics"}
    assert "authors found on 0% of articles (usually 90%)" in (tmp_path / "site.log").read_text()
    assert "webhook unreachable: ConnectionError" in caplog.text
    assert WEBHOOK_SECRET not in caplog.text


def test_bad_monitor_settings_are_a_usage_error(tmp_path):
    command = [sys.executable, "-m", "ingest", "crawl", "--site", "demo", "--base-url",
               "http://127.0.0.1:9/", "--data-dir", str(tmp_path), "--set", "INGEST_MONITOR_SKIP=captionz"]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert "error: INGEST_MONITOR_SKIP: unknown checks ['captionz']" in result.stderr
    assert "Traceback" not in result.stderr
