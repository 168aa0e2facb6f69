"""A Scrapy item pipeline for tests: releases as an older, buggier parser read them.

Put before the archive pipeline (and this directory on PYTHONPATH), it drops the last
paragraph and the place of the releases whose URL ends with one of the comma-separated
``OLD_PARSER_URLS`` endings, and labels them "unis/0": an archive a parser fix should re-read.
"""

from __future__ import annotations

from typing import Any

from scrapy.crawler import Crawler

from crawler.items import Release


class OldParser:
    def __init__(self, endings: list[str]) -> None:
        self.endings = tuple(endings)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> OldParser:
        return cls(crawler.settings.getlist("OLD_PARSER_URLS"))

    def process_item(self, item: Any) -> Any:
        if isinstance(item, Release) and item.url.endswith(self.endings):
            f = item.fields
            f.body = f.body.rsplit("\n\n", 1)[0]
            f.place, f.parser_version = None, "unis/0"
        return item
