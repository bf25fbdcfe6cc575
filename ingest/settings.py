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
    "ingest.logsecrets.SecretSettingsLogFilter": 100,
    "ingest.progress.CrawlProgress": 500,
}
# Settings whose values are masked in the logs (Scrapy logs every overridden setting).
# HTTP auth: HTTPAUTH_USER, HTTPAUTH_PASS and HTTPAUTH_DOMAIN (host[:port] the credentials
# belong to; never sent to another host, redirects included).
INGEST_SECRET_SETTINGS = ["HTTPAUTH_PASS", "MONGO_URI", "INGEST_REDIS_URL"]

# Storage (pipelines.mongo). MONGO_URI is also read from the environment.
MONGO_URI = None
MONGO_DATABASE = "news"
MONGO_BUFFER_SIZE = 100
MONGO_RETRY_SECONDS = 60
# Write concern for replica sets, e.g. MONGO_WRITE_CONCERN = "majority", MONGO_JOURNAL = True.
# Writes are retryable (pymongo's default) and upserts idempotent on canonical_url.
MONGO_WRITE_CONCERN = None
MONGO_JOURNAL = None
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
