"""Scrapy settings of the ingest project. Every value can be overridden per run
(`-s NAME=value`, the CLI's flags) or per site profile."""

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

TELNETCONSOLE_ENABLED = False
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
INGEST_REDIS_URL = None
INGEST_REDIS_CRAWL = "main"
# A worker whose heartbeat stops for this long is dead: its in-flight requests are re-queued.
INGEST_REDIS_LEASE = 30.0
INGEST_REDIS_HEARTBEAT = 1.0
# Seconds a Redis call may take before it counts as an outage; a worker that cannot reach
# Redis for INGEST_REDIS_MAX_OUTAGE seconds stops (finish reason "redis_unavailable").
INGEST_REDIS_TIMEOUT = 5.0
INGEST_REDIS_MAX_OUTAGE = 600.0
# The add-on sets SCHEDULER, DUPEFILTER_CLASS and SCHEDULER_PERSIST (not here: project settings
# would override the add-on's).

EXTENSIONS = {
    # Before the log filter: its engine_stopped handler (alerts, metrics) runs while secrets
    # are still masked.
    "ingest.monitors.extension.RunMonitoring": 90,
    "ingest.logsecrets.SecretSettingsLogFilter": 100,
    "ingest.progress.CrawlProgress": 500,
}
# Settings whose values are masked in the logs (Scrapy logs every overridden setting).
# HTTP auth: HTTPAUTH_USER, HTTPAUTH_PASS and HTTPAUTH_DOMAIN (host[:port] the credentials
# belong to; never sent to another host, redirects included).
INGEST_SECRET_SETTINGS = ["HTTPAUTH_PASS", "MONGO_URI", "INGEST_REDIS_URL", "SPIDERMON_SMTP_PASSWORD",
                          "INGEST_ALERT_WEBHOOK_URL", "INGEST_METRICS_PUSHGATEWAY"]

# Storage (pipelines.mongo). MONGO_URI is also read from the environment.
MONGO_URI = None
MONGO_DATABASE = "news"
MONGO_BUFFER_SIZE = 100
MONGO_RETRY_SECONDS = 60
# Write concern for replica sets, e.g. MONGO_WRITE_CONCERN = "majority", MONGO_JOURNAL = True.
# Writes are retryable (pymongo's default) and upserts idempotent on canonical_url.
MONGO_WRITE_CONCERN = None
MONGO_JOURNAL = None
# Seconds a command tries to reach the store when it starts before it gives up (exit 1).
MONGO_CONNECT_SECONDS = 10.0
# The embedded store (no MONGO_URI) is shared by the commands on one data folder; one whose
# users all died (SIGKILL) stops itself after this many seconds without a live user.
INGEST_EMBEDDED_IDLE_SECONDS = 30.0
DEAD_LETTER_DIR = "data/dead-letter"

# Worker processes extracting article pages (ingest.extraction_workers); 0 = in the crawl's
# own process. Workers add a time limit per page and crash isolation (and speed, given idle cores).
INGEST_EXTRACT_PROCESSES = 0
# With workers: a page whose extraction takes longer (seconds) is dropped and its worker
# replaced; 0 = no limit. In-process extraction cannot be interrupted.
INGEST_EXTRACT_TIMEOUT = 60.0

# Crawl limits (the spider's arguments override these per run).
INGEST_MAX_PAGES_PER_CATEGORY = 0  # 0: follow pagination to its end
INGEST_PROGRESS_INTERVAL = 5.0

# Incremental runs (the spider's `full` and `resume` arguments switch these off).
INGEST_INCREMENTAL = True
# Stop paginating a category once its listings showed this many already-stored articles.
INGEST_STOP_AFTER_KNOWN = 10
# Stored articles published in the last N days are fetched again (conditionally) for edits.
INGEST_REFRESH_DAYS = 3.0

# Health thresholds: `ingest crawl` exits non-zero beyond them.
INGEST_MAX_ERROR_RATE = 0.2

# Archive (ingest.archive): every response and its request in gzip WARC files under
# INGEST_WARC_DIR/<site>/<crawl id>-NNNNN.warc.gz, a new file past INGEST_WARC_MAX_SIZE bytes.
INGEST_WARC_ENABLED = True
INGEST_WARC_DIR = "data/warc"
INGEST_WARC_MAX_SIZE = 1_000_000_000
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
