"""Structured metadata a page declares: JSON-LD, article:published_time, <time>, <dl> facts.

Read before any text heuristics, because a page's own markup is its most exact statement of
when and what it published. A date in the future (an event announced in a sidebar) is never
a publication date.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date

from parsel import Selector

from crawler.extract import clean_text, node_text, parse_date

FACT_LABEL_CHARS = 40  # a <dt> longer than this is a glossary term, not a label
# <time datetime> outside the page chrome (sidebars announce events with them).
_TIME = "//time[@datetime][not(ancestor::aside or ancestor::nav or ancestor::footer)]/@datetime"
_NOT_FACTS = "ancestor::nav or ancestor::footer or ancestor::aside or ancestor::form"


@dataclass
class PageMeta:
    headline: str | None = None
    published: date | None = None
    facts: dict[str, str] = field(default_factory=dict)  # "place": "Prague", from <dl> lists
    fact_lists: list[Selector] = field(default_factory=list)  # the <dl>s the facts came from


def _json_ld_objects(sel: Selector) -> Iterator[dict]:
    """Every object of the page's JSON-LD blocks, @graph members included."""
    for script in sel.xpath("//script[@type='application/ld+json']/text()").getall():
        try:
            stack = [json.loads(script)]
        except ValueError:
            continue
        while stack:
            item = stack.pop(0)
            if isinstance(item, list):
                stack.extend(item)
            elif isinstance(item, dict):
                yield item
                stack.extend(v for k, v in item.items() if k == "@graph")


def _past(text: object, today: date) -> date | None:
    found = parse_date(text) if isinstance(text, str) else None
    return found if found and found <= today else None


def fact_lists(sel: Selector) -> list[Selector]:
    """<dl> lists of at least two short label/value pairs outside the page chrome."""
    found = []
    for dl in sel.xpath(f"//dl[not({_NOT_FACTS})]"):
        labels = dl.xpath("./dt")
        short = all(len(node_text(dt) or "") <= FACT_LABEL_CHARS for dt in labels)
        if len(labels) >= 2 and short and len(dl.xpath("./dd")) >= len(labels):
            found.append(dl)
    return found


def _facts(lists: list[Selector]) -> dict[str, str]:
    facts: dict[str, str] = {}
    for dl in lists:
        for dt in dl.xpath("./dt"):
            label = clean_text(node_text(dt) or "").rstrip(":").strip().lower()
            value = node_text(dt.xpath("following-sibling::dd[1]"))
            if label and value and label not in facts:
                facts[label] = value
    return facts


def page_meta(sel: Selector, today: date | None = None) -> PageMeta:
    """The headline, publication date and fact lists the page's markup states.

    The date: JSON-LD ``datePublished``, then ``article:published_time``, then the first
    ``<time datetime>`` outside sidebars, navigation and footers; none later than ``today``.
    """
    today = today or date.today()
    objects = list(_json_ld_objects(sel))
    headline = next(
        (clean_text(h) for o in objects if isinstance(h := o.get("headline"), str) and h.strip()),
        None,
    )
    candidates = [
        *(o.get("datePublished") for o in objects),
        sel.xpath("//meta[@property='article:published_time']/@content").get(),
        *sel.xpath(_TIME).getall(),
    ]
    published = next((d for text in candidates if (d := _past(text, today))), None)
    lists = fact_lists(sel)
    return PageMeta(headline, published, _facts(lists), lists)
