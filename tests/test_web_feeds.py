"""The Atom feeds parse back with a real feed parser: stable ids, titles, links, times, and
the word diff of a change as escaped HTML."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import datetime
from typing import Any

import feedparser
from web_support import HOSTILE_URL

ATOM = "{http://www.w3.org/2005/Atom}"


def _feed(client: Any, **params: str) -> feedparser.FeedParserDict:
    response = client.get("/feeds/events.atom", params=params)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/atom+xml; charset=utf-8"
    parsed = feedparser.parse(response.content)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    return parsed


def test_feed_of_all_events_matches_the_api(web_client: Any) -> None:
    events = web_client.get("/api/events", params={"limit": 20}).json()
    feed = _feed(web_client)  # the newest 20
    assert (
        feed.feed.title == "presswatch: changes" and feed.feed.id == "tag:presswatch,2026:feed/all"
    )
    assert len(feed.entries) == len(events) == 20
    assert len(_feed(web_client, limit="100").entries) > 40
    for entry, event in zip(feed.entries, events, strict=True):
        assert entry.id == f"tag:presswatch,2026:event/{event['id']}"
        assert entry.title == f"{event['kind']}: {event['title']}"
        assert datetime(*entry.updated_parsed[:6]).isoformat() + "Z" == event["at"]
        links = {link.rel: link.href for link in entry.links}
        assert links["alternate"] == f"http://testserver/releases/{event['release_id']}"
        assert links["related"] == event["url"]
        assert {t.term for t in entry.tags} == {event["kind"], event["source"]}
    assert [e.id for e in _feed(web_client).entries] == [e.id for e in feed.entries]  # stable


def test_a_change_carries_its_word_diff(web_client: Any) -> None:
    feed = _feed(web_client, kind="changed", source="osce")
    assert {t.term for e in feed.entries for t in e.tags} == {"changed", "osce"}
    edit = next(e for e in feed.entries if HOSTILE_URL not in e.links[1].href)
    html = edit.content[0].value
    assert "<del>200</del>" in html and "<ins>250</ins>" in html
    assert any(link.rel == "via" and "/diff?from=" in link.href for link in edit.links)
    new = _feed(web_client, kind="new", source="unis").entries[0]
    assert new.content[0].value.strip() and "<del>" not in new.content[0].value


def test_saved_search_and_empty_feeds(web_client: Any) -> None:
    found = _feed(web_client, q="hostile")
    assert found.feed.title == "presswatch: changes (matching “hostile”)"
    assert found.entries and all("Hostile" in e.title for e in found.entries)
    empty = _feed(web_client, q="zzzznothing")
    assert empty.entries == [] and empty.feed.updated_parsed


def test_hostile_entry_is_escaped_text(web_client: Any) -> None:
    xml = web_client.get("/feeds/events.atom", params={"q": "hostile"}).text
    root = ET.fromstring(xml)
    entry = root.find(f"{ATOM}entry")
    assert entry is not None
    title = entry.findtext(f"{ATOM}title")
    assert title.startswith("changed: <script>window.__pwned=1</script>")  # text: shown as is
    content = entry.findtext(f"{ATOM}content")  # the HTML a reader renders
    assert "&lt;svg onload=" in content and "<svg" not in content and "<script" not in content
    assert "<ins>" in content
