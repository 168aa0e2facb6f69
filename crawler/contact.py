"""Who runs this crawler: the operator's contact in the user agent, a warning without it.

A crawler of other people's sites must say who runs it, so a site's administrator can ask
before blocking it. The contact (an http(s) URL or an email address) comes from the Scrapy
setting ``PRESSWATCH_CONTACT`` (the daemon passes ``[crawl] contact`` of presswatch.toml
as that setting) or else the ``PRESSWATCH_CONTACT`` environment variable, and goes into the
user agent: ``presswatch/1.2.0 (+https://example.org/press-monitor)``. A USER_AGENT set by
the operator is left alone. A crawl of the real sites (no replay server) that starts
without a contact logs a warning; an unusable contact is logged and left out.
"""

from __future__ import annotations

import logging
import os
import re
from typing import TYPE_CHECKING, Self
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from scrapy import Spider
    from scrapy.crawler import Crawler

log = logging.getLogger(__name__)

SETTING = ENV = "PRESSWATCH_CONTACT"
_EMAIL = re.compile(r"[^@\s<>()]+@[^@\s<>()]+\.[A-Za-z]{2,}")


def contact_problem(value: str) -> str | None:
    """Why ``value`` cannot be the contact (an http(s) URL or an email address), or None."""
    if not value.isprintable() or not value.isascii() or " " in value:
        return f"{value!r} must be one URL or email address, ASCII without spaces"
    parts = urlsplit(value)
    if parts.scheme in ("http", "https") and parts.netloc or _EMAIL.fullmatch(value):
        return None
    return f"{value!r} is neither an http(s) URL nor an email address"


class OperatorContact:
    """Puts the contact into USER_AGENT before Scrapy reads it; warns at start without one."""

    def __init__(self, crawler: Crawler, contact: str | None) -> None:
        self.crawler = crawler
        self.contact = contact

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        from scrapy import signals
        from scrapy.settings import SETTINGS_PRIORITIES

        settings = crawler.settings
        contact = (settings.get(SETTING) or os.environ.get(ENV) or "").strip() or None
        if contact and (problem := contact_problem(contact)):
            log.error("%s ignored: %s", SETTING, problem)
            contact = None
        project = SETTINGS_PRIORITIES["project"]
        if contact and (settings.getpriority("USER_AGENT") or 0) <= project:  # not the operator's
            settings.set("USER_AGENT", f"{settings['USER_AGENT']} (+{contact})", priority=project)
        ext = cls(crawler, contact)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        return ext

    def spider_opened(self, spider: Spider) -> None:
        if self.contact is None and not self.crawler.settings.get("PRESSWATCH_REPLAY"):
            log.warning(
                "no operator contact in the user agent (%s): set [crawl] contact in "
                "presswatch.toml or %s to a URL or email where the sites can reach you",
                self.crawler.settings.get("USER_AGENT"), ENV,
            )  # fmt: skip
