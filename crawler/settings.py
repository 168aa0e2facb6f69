"""Scrapy settings for presswatch: a polite, honest crawler of other people's sites.

Each value that differs from Scrapy's default names that default in its comment.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    _VERSION = version("presswatch")
except PackageNotFoundError:  # running from a checkout that was not installed
    _VERSION = "dev"

BOT_NAME = "presswatch"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

# Who we are (default: "Scrapy/VERSION (+https://scrapy.org)"); crawler.contact appends the
# operator's contact: "presswatch/VERSION (+https://example.org/contact)".
USER_AGENT = f"presswatch/{_VERSION}"
PRESSWATCH_CONTACT = None  # a URL or email address; else the PRESSWATCH_CONTACT env variable

# Politeness.
ROBOTSTXT_OBEY = True  # default: False
CONCURRENT_REQUESTS = 8  # default: 16
CONCURRENT_REQUESTS_PER_DOMAIN = 2  # default: 8
DOWNLOAD_DELAY = 1.0  # default: 0
AUTOTHROTTLE_ENABLED = True  # default: False
AUTOTHROTTLE_START_DELAY = 2.0  # default: 5.0
AUTOTHROTTLE_MAX_DELAY = 30.0  # default: 60.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0  # default: 1.0 (kept: one request at a time per site)
COOKIES_ENABLED = False  # default: True; press pages need no session

# Faults: give up on a hung server in time, retry with backoff, refuse huge downloads.
DOWNLOAD_TIMEOUT = 30  # default: 180
RETRY_TIMES = 3  # default: 2
RETRY_BACKOFF_BASE = 2.0  # presswatch's own: seconds before the first retry, doubled after
RETRY_BACKOFF_MAX = 60.0  # presswatch's own
RETRY_AFTER_MAX = 120.0  # presswatch's own: the longest Retry-After (429/503) waited for
DNS_TIMEOUT = 10  # default: 60; a name that does not resolve fails the request (no retry)
DOWNLOAD_MAXSIZE = 10 * 1024 * 1024  # default: 1 GiB; a press release is a few hundred KB
DOWNLOAD_WARNSIZE = 2 * 1024 * 1024  # default: 32 MiB
DOWNLOADER_MIDDLEWARES = {
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "crawler.middlewares.BackoffRetryMiddleware": 550,  # the default retry middleware's slot
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "crawler.middlewares.FanOutRobotsTxtMiddleware": 100,  # the default robots.txt slot
    "scrapy.downloadermiddlewares.redirect.RedirectMiddleware": None,
    "crawler.middlewares.LoopReportingRedirectMiddleware": 600,  # the default redirect slot
    # After decompression (590) has run on the response: the charset is read from the page.
    "crawler.middlewares.CharsetMiddleware": 580,
}

# Every request goes through the replay handler; it is Scrapy's own HTTP handler unless
# PRESSWATCH_REPLAY names a replay server (offline crawls, tests, the demo).
DOWNLOAD_HANDLERS = {
    "http": "crawler.replay.handler.ReplayDownloadHandler",
    "https": "crawler.replay.handler.ReplayDownloadHandler",
}
PRESSWATCH_REPLAY = None
PRESSWATCH_DATABASE_URL = None  # None: storage.db.database_url() decides
# Recrawls (crawler/spiders/base.py, crawler/revisit.py); each can be set per source.
PRESSWATCH_CONDITIONAL_REQUESTS = True  # If-None-Match / If-Modified-Since on revisits
PRESSWATCH_KNOWN_STOP_PAGES = 1  # stop after this many listing pages with nothing new
PRESSWATCH_REVISIT_BUDGET = 100  # known releases re-fetched per run at most (0: no limit)
PRESSWATCH_REVISIT_ALL = False
PRESSWATCH_REVISIT_INTERVALS = None  # JSON [[hours since change, revisit every N hours], …]

# Before SpiderState (0): a second --full of a source is refused before it opens the JOBDIR.
EXTENSIONS = {"crawler.jobdir.JobDirLock": -1, "crawler.contact.OperatorContact": 0}
ITEM_PIPELINES = {"crawler.pipelines.ArchivePipeline": 300}

HTTPCACHE_ENABLED = False  # default: False (kept: listings must never be served stale)
TELNETCONSOLE_ENABLED = False  # default: True
LOG_LEVEL = "INFO"  # default: "DEBUG"
FEED_EXPORT_ENCODING = "utf-8"  # default: None
