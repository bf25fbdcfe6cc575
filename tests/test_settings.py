"""Settings have one source: every setting the project adds is declared once in
ingest/settings.py with a one-line meaning, listed in docs/settings.md, read without inline
defaults, and honoured alike from a settings module, the environment, a site profile and
`--set` (INGEST_MAX_ERROR_RATE, which decides `ingest crawl`'s exit code)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from scrapy.exceptions import NotConfigured

import ingest.settings
from ingest.demo.site import DemoServer, DemoSite

ROOT = Path(__file__).resolve().parents[1]
OURS = re.compile(r"\b((?:INGEST|MONGO|DEAD_LETTER|RETRY_AFTER)_[A-Z_]+)\b")
SOURCES = [p for folder in ("ingest", "pipelines") for p in (ROOT / folder).rglob("*.py")]


def declared() -> dict[str, str]:
    """Each declared setting -> its comment: on its line, or the line right above it."""
    lines = (ROOT / "ingest" / "settings.py").read_text().splitlines()
    return {m.group(1): "# " + line.split("  # ", 1)[1] if "  # " in line else lines[i - 1]
            for i, line in enumerate(lines)
            if (m := re.match(r"^([A-Z][A-Z_]+) = ", line)) and OURS.fullmatch(m.group(1))}


def test_every_setting_read_is_declared_once_with_a_meaning_and_listed() -> None:
    settings = declared()
    assert len(settings) >= 25
    read = {name for path in SOURCES for name in OURS.findall(path.read_text())
            if path.name != "settings.py"}
    assert read - set(settings) == set(), "read but not declared in ingest/settings.py"
    for name, comment in settings.items():
        assert comment.startswith("# "), f"{name} has no one-line meaning above it"
    docs = (ROOT / "docs" / "settings.md").read_text()
    for name in settings:
        assert f"| `{name}` | `" in docs, f"{name} is not listed in docs/settings.md"


def test_no_module_repeats_a_default() -> None:
    inline = re.compile(r"""settings\.get\w*\(\s*["']((?:INGEST|MONGO|DEAD_LETTER|RETRY_AFTER)_\w+)["']\s*,""")
    repeated = [(path.name, name) for path in SOURCES for name in inline.findall(path.read_text())]
    assert repeated == []
    database = re.compile(r"""(?:database|DATABASE)\w*\W+["']news["']|["']news["']\W+#.*database""")
    assert [p.name for p in SOURCES if database.search(p.read_text()) and p.name != "settings.py"] == []


def test_the_environment_overrides_the_module(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INGEST_MAX_ERROR_RATE", "0.05")
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:1/0")
    monkeypatch.setenv("NOT_OURS", "x")
    values = ingest.settings._from_environment(vars(ingest.settings))
    assert values == {"INGEST_MAX_ERROR_RATE": "0.05", "INGEST_REDIS_URL": "redis://127.0.0.1:1/0"}
    monkeypatch.setenv("INGEST_REDIS_URL", "redis://127.0.0.1:2/0")
    assert ingest.settings._from_environment(vars(ingest.settings))["INGEST_REDIS_URL"].endswith(":2/0")


@pytest.fixture(scope="module")
def failing_site() -> Iterator[str]:
    """A demo site where one listing of the run answers 404: 1 failed request of ~25."""
    with DemoServer(DemoSite(n_articles=12)) as server:
        yield server.base_url


SOURCE_CASES = {
    "settings module": ({"SCRAPY_SETTINGS_MODULE": "strict_settings"}, [], False, 1),
    "environment": ({"INGEST_MAX_ERROR_RATE": "0.01"}, [], False, 1),
    "profile": ({}, [], True, 1),
    "--set": ({}, ["--set", "INGEST_MAX_ERROR_RATE=0.01"], False, 1),
    "--set over the environment": ({"INGEST_MAX_ERROR_RATE": "0.01"},
                                   ["--set", "INGEST_MAX_ERROR_RATE=0.5"], False, 0),
}


@pytest.mark.slow
@pytest.mark.parametrize("case", SOURCE_CASES, ids=list(SOURCE_CASES))
def test_max_error_rate_is_honoured_from_every_source(case: str, failing_site: str, mongo_uri: str,
                                                      database_name: str, tmp_path: Path) -> None:
    env_extra, flags, strict_profile, expected = SOURCE_CASES[case]
    (tmp_path / "strict_settings.py").write_text(
        "from ingest.settings import *  # noqa: F403\nINGEST_MAX_ERROR_RATE = 0.01\n")
    site = "demo"
    if strict_profile:
        profile = (ROOT / "ingest" / "sites" / "demo.toml").read_text()
        site = str(tmp_path / "demo.toml")
        Path(site).write_text(profile.replace("[settings]\n", "[settings]\nINGEST_MAX_ERROR_RATE = 0.01\n"))
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("INGEST_", "MONGO_", "SCRAPY_", "REDIS_URL"))}
    env.update(PYTHONPATH=os.pathsep.join([str(tmp_path), str(ROOT)]), **env_extra)
    command = [sys.executable, "-m", "ingest", "crawl", "--site", site, "--base-url", failing_site,
               "--start-url", f"{failing_site}/en/category/no-such-category/",
               "--all-categories", "--mongo-uri", mongo_uri, "--database", database_name,
               "--data-dir", str(tmp_path / "data"), *flags]
    result = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert "error: 1 of" in result.stderr or expected == 0, result.stderr[-2000:]
    assert result.returncode == expected, result.stderr[-2000:]


def test_the_gc_threshold_holds_while_the_crawl_runs_and_is_restored_after() -> None:
    import gc

    from scrapy import signals
    from scrapy.utils.test import get_crawler

    from ingest.gctuning import GarbageCollectorThreshold

    before = gc.get_threshold()
    crawler = get_crawler(settings_dict={"INGEST_GC_THRESHOLD": 12345, "MEMUSAGE_ENABLED": False})
    extension = GarbageCollectorThreshold.from_crawler(crawler)  # signals hold handlers weakly
    frozen = gc.get_freeze_count()
    crawler.signals.send_catch_log(signals.engine_started)
    try:
        assert gc.get_threshold() == (12345, *before[1:])
        assert gc.get_freeze_count() > frozen  # what lived before the crawl is not walked again
    finally:
        crawler.signals.send_catch_log(signals.engine_stopped)
    assert gc.get_threshold() == before and extension.previous is None
    assert gc.get_freeze_count() == 0
    with pytest.raises(NotConfigured):
        GarbageCollectorThreshold.from_crawler(get_crawler(settings_dict={"INGEST_GC_THRESHOLD": 0}))


def test_a_local_crawl_does_not_import_what_only_other_commands_use() -> None:
    """Scrapy imports the module of every component its settings list, enabled or not, and
    the CLI's modules come with the crawl: the remote control's aiohttp, the shared crawl's
    Redis client and the exports' pyarrow cost 0.35 s of CPU at every start of a local crawl;
    the monitors' Prometheus client ~0.1 s where no metrics are exported (the default)."""
    code = (
        "import sys\n"
        "from scrapy.utils.conf import build_component_list\n"
        "from scrapy.utils.misc import load_object\n"
        "from scrapy.utils.project import get_project_settings\n"
        "import ingest.cli, ingest.commands, ingest.spiders.news, ingest.monitors.suites\n"
        "ingest.cli.build_parser()  # every command's arguments, as `ingest crawl` builds them\n"
        "settings = get_project_settings()\n"
        "for name in ('ADDONS', 'EXTENSIONS', 'DOWNLOADER_MIDDLEWARES', 'SPIDER_MIDDLEWARES', 'ITEM_PIPELINES'):\n"
        "    for path in build_component_list(settings.getwithbase(name)):\n"
        "        load_object(path)  # what Scrapy does with each before asking it to configure\n"
        "print(sorted(m for m in ('aiohttp', 'redis', 'pyarrow', 'prometheus_client') if m in sys.modules))\n")
    env = {**os.environ, "SCRAPY_SETTINGS_MODULE": "ingest.settings"}
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "[]"
