"""Scrapy settings of the ingest project: every setting this project adds is declared here
once, with its default and meaning (docs/settings.md lists them).

Sources, each overriding the one before: this module (or a module of yours that imports it,
named by SCRAPY_SETTINGS_MODULE); the environment (a variable named like the setting, e.g.
INGEST_MAX_ERROR_RATE=0.1, MONGO_URI=..., and REDIS_URL for INGEST_REDIS_URL); a site
profile's [settings]; the command line (`--set NAME=VALUE`, the CLI's flags, `scrapy -s`).
Code reads them through crawler.settings, never with a default of its own."""

import os

from scrapy.settings import default_settings as scrapy_defaults

BOT_NAME = "ingest"
SPIDER_MODULES = ["ingest.spiders"]
NEWSPIDER_MODULE = "ingest.spiders"

USER_AGENT = "ingest-news-crawler/0.1 (+https://github.com/ingest-news/ingest; research archive bot)"
ROBOTSTXT_OBEY = True

CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 8
DOWNLOAD_TIMEOUT = 30

AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 2.0

# Items and requests of one response processed at once. Scrapy's default (100) starts 100
# asyncio tasks for every response (13% of the crawl's CPU); a page here yields one article or
# a listing's few dozen links, processed without waiting unless the store holds the crawl back.
CONCURRENT_ITEMS = 8

TELNETCONSOLE_ENABLED = False
# Scrapy's remote control runs Python code sent over HTTP to a localhost port (for its MCP
# server): off like the telnet console, and left out of EXTENSIONS_BASE, as Scrapy imports
# every listed extension's module, disabled or not (aiohttp: 0.2 s of CPU at every start). To
# use it, set this to True and add "scrapy.extensions.remote_control.RemoteControl" to
# EXTENSIONS.
REMOTE_CONTROL_ENABLED = False
EXTENSIONS_BASE = {path: order for path, order in scrapy_defaults.EXTENSIONS_BASE.items()
                   if path != "scrapy.extensions.remote_control.RemoteControl"}
LOG_LEVEL = "INFO"
FEED_EXPORT_ENCODING = "utf-8"

DOWNLOADER_MIDDLEWARES = {
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "ingest.middlewares.robots.StrictRobotsTxtMiddleware": 100,
    "ingest.middlewares.allowlist.SiteAllowlistMiddleware": 60,
    # Before the retry middleware (550) sees the response: it pauses the site first.
    "ingest.middlewares.retryafter.RetryAfterMiddleware": 560,
    # Next to the downloader: requests as sent, responses as received (before decompression).
    "ingest.archive.middleware.WarcArchiveMiddleware": 950,
}
# Longest Retry-After (seconds) obeyed; a longer one drops the request.
RETRY_AFTER_MAX = 600.0
RETRY_TIMES = 5
# Responses larger than this (after decompression) are dropped: no runaway page or
# decompression bomb reaches memory. News pages are rarely over 2 MB; five bombs at once
# stay under +100 MB of peak memory with this cap.
DOWNLOAD_MAXSIZE = 8 * 1024 * 1024
DOWNLOAD_WARNSIZE = 4 * 1024 * 1024

ITEM_PIPELINES = {
    "pipelines.normalize.NormalizeTextPipeline": 100,
    "pipelines.dates.DatesPipeline": 200,
    "pipelines.captions.CaptionsPipeline": 300,
    "pipelines.validate.ValidatePipeline": 400,
    "pipelines.dedupe.DedupePipeline": 500,
    "pipelines.archive.ArchiveDurablePipeline": 850,
    "pipelines.mongo.MongoPipeline": 900,
}

# Distributed mode (ingest.distributed): with INGEST_REDIS_URL or $REDIS_URL set, workers share
# the frontier and duplicate filter in Redis, under keys ingest:<site>:<INGEST_REDIS_CRAWL>.
ADDONS = {"ingest.distributed.SharedCrawl": 0}
# The shared frontier's Redis (a secret: masked in logs); unset = a local crawl.
INGEST_REDIS_URL = None
# The shared crawl's name: workers with the same site and name share one frontier.
INGEST_REDIS_CRAWL = "main"
# A worker whose heartbeat stops for this long is dead: its in-flight requests are re-queued.
INGEST_REDIS_LEASE = 30.0
# Seconds between a worker's heartbeats (lease renewals, acknowledgements, re-queueing).
INGEST_REDIS_HEARTBEAT = 1.0
# Seconds a Redis call may take before it counts as an outage.
INGEST_REDIS_TIMEOUT = 5.0
# A worker that cannot reach Redis for this long (seconds) stops ("redis_unavailable").
INGEST_REDIS_MAX_OUTAGE = 600.0
# The add-on sets SCHEDULER, DUPEFILTER_CLASS and SCHEDULER_PERSIST (not here: project settings
# would override the add-on's).

EXTENSIONS = {
    # Before the log filter: its engine_stopped handler (alerts, metrics) runs while secrets
    # are still masked.
    "ingest.monitors.extension.RunMonitoring": 90,
    "ingest.logsecrets.SecretSettingsLogFilter": 100,
    # The crawl's one MongoDB client, for the spider, the Mongo pipeline and the scheduler.
    "ingest.store.crawlstore.CrawlStore": 200,
    "ingest.progress.CrawlProgress": 500,
    "ingest.gctuning.GarbageCollectorThreshold": 600,
}
# Net allocations between the garbage collector's young collections during a crawl (Python's
# own is 700, which made the collector 6% of a crawl's CPU); 0 leaves Python's.
INGEST_GC_THRESHOLD = 10_000
# HTTP auth: HTTPAUTH_USER, HTTPAUTH_PASS and HTTPAUTH_DOMAIN (host[:port] the credentials
# belong to; never sent to another host, redirects included).
# Settings whose values are masked in every log line of a crawl.
INGEST_SECRET_SETTINGS = ["HTTPAUTH_PASS", "MONGO_URI", "INGEST_REDIS_URL", "SPIDERMON_SMTP_PASSWORD",
                          "INGEST_ALERT_WEBHOOK_URL", "INGEST_METRICS_PUSHGATEWAY"]

# Unset: `ingest` commands start an embedded store; `scrapy crawl` stores nothing.
# The MongoDB to store into and read from (a secret: masked in logs).
MONGO_URI = None
# The database every command reads and writes.
MONGO_DATABASE = "news"
# The query dialect: "auto" (by the server), "mongodb" or "embedded" (ingest.store.client).
INGEST_STORE_DIALECT = "auto"
# Articles written per bulk write.
MONGO_BUFFER_SIZE = 100
# A write failing for this long (seconds: a store outage) goes to the dead-letter folder.
MONGO_RETRY_SECONDS = 60.0
# Writes are retryable (pymongo's default) and upserts idempotent on canonical_url.
# Write concern for replica sets, e.g. "majority" or 2; None: the server's default.
MONGO_WRITE_CONCERN = None
# Wait for the journal on each write (True/False); None: the server's default.
MONGO_JOURNAL = None
# Seconds a command tries to reach the store when it starts before it gives up (exit 1).
MONGO_CONNECT_SECONDS = 10.0
# The embedded store (no MONGO_URI) is shared by the commands on one data folder; one whose
# users all died (SIGKILL) stops itself after this many seconds without a live user.
INGEST_EMBEDDED_IDLE_SECONDS = 30.0
# Articles that could not be stored, as JSON Lines per crawl.
DEAD_LETTER_DIR = "data/dead-letter"

# Workers add a time limit per page and crash isolation (and speed, given idle cores).
# Worker processes extracting article pages (ingest.extraction_workers); 0: the crawl's own.
INGEST_EXTRACT_PROCESSES = 0
# With workers: a page taking longer (seconds) is dropped, its worker replaced; 0: no limit.
INGEST_EXTRACT_TIMEOUT = 60.0

# Crawl limits (the spider's arguments override these per run).
# Listing pages followed per category; 0: pagination to its end.
INGEST_MAX_PAGES_PER_CATEGORY = 0
# Seconds between progress lines in the log.
INGEST_PROGRESS_INTERVAL = 5.0
# Progress also as one updating line on the console (`ingest demo` turns it on).
INGEST_PROGRESS_CONSOLE = False
# A file the crawl's log is appended to, besides stderr (`--log-file`).
INGEST_LOG_FILE = None

# Time zone of dates a page gives without one, for a spider without a site profile.
INGEST_DEFAULT_TIMEZONE = "UTC"
# Articles with a shorter body are dropped (validate/dropped/short_body).
INGEST_MIN_BODY_WORDS = 10
# A text field longer than this is cut to it (characters).
INGEST_MAX_FIELD_CHARS = 2_000_000

# Incremental runs: stored articles are not fetched again (`--full` turns it off per run).
INGEST_INCREMENTAL = True
# Stop paginating a category once its listings showed this many already-stored articles.
INGEST_STOP_AFTER_KNOWN = 10
# Stored articles published in the last N days are fetched again (conditionally) for edits.
INGEST_REFRESH_DAYS = 3.0

# `ingest crawl` exits 1 when more than this share of its requests failed.
INGEST_MAX_ERROR_RATE = 0.2

# Archive (ingest.archive): every response and its request in gzip WARC files,
# INGEST_WARC_DIR/<site>/<crawl id>-NNNNN.warc.gz. Archive every response a crawl fetches:
INGEST_WARC_ENABLED = True
# Where the WARC files go (the CLI puts them in <--data-dir>/warc).
INGEST_WARC_DIR = "data/warc"
# A new WARC file is started once the current one is past this many bytes.
INGEST_WARC_MAX_SIZE = 1_000_000_000
# gzip level of the WARC records (libdeflate: 0 stored, 1 fastest .. 12 smallest). 1 costs a
# seventh of zlib's level 6 in CPU for files 5-8% larger on HTML; 6 is as small as zlib's 6.
INGEST_WARC_GZIP_LEVEL = 1
# fsync a record before the article pointing to it is stored (one fsync serves every record
# waiting); off: records reach the OS at once but a machine crash may lose the last ones.
INGEST_WARC_FSYNC = True
# import-warc and reextract: records larger than this (bytes) are skipped as damaged input.
INGEST_WARC_MAX_RECORD = 16 * 1024 * 1024

# Quality monitors (ingest.monitors, on Spidermon): after each run its extraction is compared
# with the site's recent runs (the runs collection); a run with findings exits 65. Any of
# these can be set per site in the profile's [settings] table.
SPIDERMON_ENABLED = True
SPIDERMON_ENGINE_STOP_MONITORS = ["ingest.monitors.suites.RunQualitySuite"]
INGEST_MONITOR_HISTORY_RUNS = 20  # past runs (finished, not flagged) that make "usual"
INGEST_MONITOR_MIN_HISTORY = 3  # fewer past runs than this: nothing is compared yet
INGEST_MONITOR_MIN_ARTICLES = 5  # runs extracting fewer do not count for extraction figures
INGEST_MONITOR_FILL_DROP = 0.25  # a field's fill rate this far below usual (and surely so)
INGEST_MONITOR_BODY_LENGTH_LOW = 0.5  # median body length below this fraction of usual
INGEST_MONITOR_BODY_LENGTH_HIGH = 3.0  # ... or above this multiple of usual
INGEST_MONITOR_BOILERPLATE_RISE = 0.2  # share of near-identical bodies (or titles) this far above usual
INGEST_MONITOR_MIN_COPIES = 3  # bodies opening with the same 40 words this often are boilerplate
INGEST_MONITOR_NEW_RATIO = 0.2  # new articles below this fraction of the usual count ...
INGEST_MONITOR_NEW_RUNS = 3  # ... over this many runs in a row (a quiet day is not a finding) ...
INGEST_MONITOR_MIN_USUAL_NEW = 10  # ... for sites usually finding at least this many per run
INGEST_MONITOR_ERROR_RISE = 0.1  # share of failed requests this far above usual
INGEST_MONITOR_INVALID_RISE = 0.1  # share of articles dropped as invalid this far above usual
INGEST_MONITOR_Z = 2.58  # confidence a change must reach (z score; 2.58 = 99%)
INGEST_MONITOR_SKIP = []  # checks to leave out: fill, title, body, published_at, captions,
# authors, body_length, boilerplate, repeated_titles, new_articles, errors, invalid

# Alerts when a run is flagged (Spidermon actions; each is on when its settings are given).
INGEST_ALERT_FILE = None  # appended to; a Jinja template, e.g. "data/alerts/{{ site }}.log"
INGEST_ALERT_WEBHOOK_URL = None  # Slack-compatible incoming webhook ({"text": ...})
INGEST_ALERT_TIMEOUT = 10.0  # seconds for a webhook, SMTP server or Pushgateway to answer
SPIDERMON_EMAIL_TO = []  # e-mail alerts: recipients; also SPIDERMON_EMAIL_CC / _BCC
SPIDERMON_EMAIL_SENDER = "ingest@localhost"
SPIDERMON_EMAIL_SUBJECT = "ingest: the crawl of {{ site }} extracted worse than usual"
SPIDERMON_SMTP_HOST = None  # e-mail alerts need it, and SPIDERMON_EMAIL_TO
SPIDERMON_SMTP_PORT = None  # 25, or 465 with SPIDERMON_SMTP_ENFORCE_SSL
SPIDERMON_SMTP_USER = None  # login only when set
SPIDERMON_SMTP_PASSWORD = None
SPIDERMON_SMTP_ENFORCE_TLS = False  # STARTTLS
SPIDERMON_SMTP_ENFORCE_SSL = False  # SMTP over TLS (port 465)

# Metrics after every run (Prometheus text format, prometheus-client).
INGEST_METRICS_DIR = None  # node_exporter textfile collector folder: ingest_<site>.prom
INGEST_METRICS_PUSHGATEWAY = None  # e.g. http://pushgateway:9091 (job ingest_crawl, label site)


def _from_environment(declared: dict[str, object]) -> dict[str, str]:
    """The environment's values of the settings declared above that this project adds."""
    names = [name for name in declared if name.isupper()
             and name.startswith(("INGEST_", "MONGO_", "DEAD_LETTER_", "RETRY_AFTER_"))]
    values = {name: os.environ[name] for name in names if os.environ.get(name)}
    if os.environ.get("REDIS_URL") and "INGEST_REDIS_URL" not in values:
        values["INGEST_REDIS_URL"] = os.environ["REDIS_URL"]
    return values


globals().update(_from_environment(globals()))
