"""Watches: a target's sources and search query, matched against each event's text."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from presswatch.config import ConfigError, parse_config
from scheduler.notify import Notifier
from scheduler.options import NotifyConfig, TargetConfig, Watch
from storage.archive import Archive, ParsedRelease
from storage.search import matches, parse_query

KNOWN = ["osce", "sco", "unis", "unodc"]
TEXT = "UNODC warns of synthetic opioids in Afghanistan; the e-mail campaign starts today."


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ("synthetic opioids", True),
        ('"synthetic opioids"', True),
        ('"opioids synthetic"', False),  # a phrase keeps its order
        ("opioid", False),  # a word is a whole word
        ("opioid*", True),
        ('"synthetic opi*"', True),  # a phrase ending in a prefix
        ("war", False),  # not inside "warns"
        ("war*", True),
        ("afghanistan OR iraq", True),
        ("iraq OR syria", False),
        ("opioids AND iraq", False),
        ("opioids NOT afghanistan", False),
        ("opioids NOT (iraq OR syria)", True),
        ("e-mail", True),  # punctuation in a word makes a phrase, as in search
        ("SYNTHETIC", True),  # any case
    ],
)
def test_matches_speaks_the_search_language(query: str, found: bool) -> None:
    assert matches(parse_query(query), TEXT) is found


def release(n: int, body: str, source: str = "osce", title: str | None = None) -> ParsedRelease:
    return ParsedRelease(source=source, url=f"https://example.org/{source}/{n}",
                         title=title or f"Release {n}", body=body,
                         published=date(2026, 3, n))  # fmt: skip


class Recorder:
    def __init__(self) -> None:
        self.events: list = []

    def send(self, events, alerts) -> None:
        self.events += events


def run(archive: Archive, watches: dict[str, Watch | None], records) -> dict[str, list]:
    """Record ``records`` after the targets start, flush, and return each target's events."""
    senders = {name: Recorder() for name in watches}
    targets = tuple(TargetConfig(name=n, type="log", watch=w) for n, w in watches.items())
    notifier = Notifier(
        archive.sessions, NotifyConfig(targets=targets, batch=2), senders=senders,
        clock=lambda: datetime.now(UTC),
    )  # fmt: skip
    notifier.start()
    for r in records:
        archive.record(r)
    notifier.flush()
    return {n: [(e.kind, e.source, e.title) for e in s.events] for n, s in senders.items()}


BASE = "The ministers met today in Vienna and talked about regional security at length."


def test_watch_filters_by_source_and_query_and_settles_the_rest(archive: Archive) -> None:
    got = run(
        archive,
        {
            "all": None,
            "unodc": Watch(sources=frozenset({"unodc"})),
            "opioids": Watch(query=parse_query('"synthetic opioids" OR fentanyl')),
        },
        [
            release(1, BASE),
            release(2, BASE + " Fentanyl seizures rose.", source="unodc"),
            release(3, BASE, title="Synthetic opioids report"),
            release(4, BASE + " Opioids, synthetic or not."),
        ],
    )
    assert [t for _, _, t in got["all"]] == ["Release 1", "Release 2", "Synthetic opioids report",
                                             "Release 4"]  # fmt: skip
    assert got["unodc"] == [("new", "unodc", "Release 2")]
    assert [t for _, _, t in got["opioids"]] == ["Release 2", "Synthetic opioids report"]


def test_changed_words_only_or_the_whole_new_text(archive: Archive) -> None:
    query = parse_query("vienna OR geneva")
    edited = BASE.replace("regional security", "water rights") + " Next round in Geneva."
    records = [release(1, BASE), release(1, BASE.replace("at length", "briefly"))]
    records += [release(2, BASE), release(2, edited)]
    got = run(
        archive,
        {
            "text": Watch(query=query),
            "changed": Watch(query=query, match="changed"),
        },
        records,
    )
    # Every version mentions Vienna: the text watch takes both changes (and both releases).
    assert [k for k, _, _ in got["text"]] == ["new", "changed", "new", "changed"]
    # Only release 2's edit added a watched word; new releases match on their whole text.
    assert [(k, t) for k, _, t in got["changed"]] == [
        ("new", "Release 1"), ("new", "Release 2"), ("changed", "Release 2"),
    ]  # fmt: skip


def test_a_removed_word_is_a_changed_word(archive: Archive) -> None:
    got = run(
        archive,
        {"gone": Watch(query=parse_query("security"), match="changed")},
        [release(1, BASE), release(1, BASE.replace("regional security", "trade"))],
    )
    assert [k for k, _, _ in got["gone"]] == ["new", "changed"]


def test_passed_by_events_are_not_pending(archive: Archive) -> None:
    senders = {"w": Recorder()}
    watch = Watch(query=parse_query("nothing*"))
    config = NotifyConfig(targets=(TargetConfig(name="w", type="log", watch=watch),), batch=2)
    notifier = Notifier(archive.sessions, config, senders=senders)
    notifier.start()
    for i in range(1, 6):
        archive.record(release(i, BASE))
    assert notifier.flush().delivered == 0
    assert notifier.pending() == {"w": 0} and senders["w"].events == []


def target(**keys) -> dict:
    return {"notify": {"targets": [{"type": "log", **keys}]}}


def test_watch_keys_are_read() -> None:
    config = parse_config(target(sources=["unodc"], query="opioid* NOT heroin", match="changed"),
                          KNOWN)  # fmt: skip
    watch = config.notify.targets[0].watch
    assert watch is not None and watch.sources == {"unodc"} and watch.match == "changed"
    assert watch.query is not None and matches(watch.query, "Opioids in transit")
    assert parse_config(target(), KNOWN).notify.targets[0].watch is None


@pytest.mark.parametrize(
    ("keys", "message"),
    [
        ({"sources": ["nope"]}, "notify.targets[0].sources: expected a list of sources"),
        ({"sources": "unodc"}, "notify.targets[0].sources: expected a list of sources"),
        ({"query": "a NOT"}, "notify.targets[0].query: NOT needs a word after it"),
        ({"query": "(opioids OR x"}, "notify.targets[0].query: unbalanced parenthesis"),
        ({"query": 3}, "notify.targets[0].query: expected a string"),
        ({"query": "x", "match": "title"}, "notify.targets[0].match: expected text or changed"),
        ({"match": "changed"}, "notify.targets[0].match: needs a query"),
    ],
)
def test_bad_watch_keys_name_the_key(keys: dict, message: str) -> None:
    with pytest.raises(ConfigError) as error:
        parse_config(target(**keys), KNOWN)
    assert str(error.value).startswith(message) and "\n" not in str(error.value)
