"""What the daemon is told to do: sources with their schedules, targets, limits.

Plain dataclasses, every field defaulted; presswatch.config reads them from TOML.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from storage.search import Query

EVENT_KINDS = frozenset({"new", "changed", "removed", "restored"})  # a target's default
# presswatch's own corrections (`presswatch reparse`): only to targets that list them.
KNOWN_EVENT_KINDS = EVENT_KINDS | {"reparsed"}
UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}
SITE_SETTING = "PRESSWATCH_SITE"  # a configured source's definition, as JSON


@dataclass(frozen=True)
class Schedule:
    """When a source runs: every ``interval`` seconds, or on a cron expression; plus jitter."""

    interval: float | None = 6 * 3600.0
    cron: str | None = None
    jitter: float = 300.0
    timezone: str = "UTC"  # the zone a cron expression is read in

    def describe(self) -> str:
        what = (
            f"cron {self.cron!r} {self.timezone}"
            if self.cron
            else f"every {format_duration(self.interval)}"
        )
        return what + (f" ±{format_duration(self.jitter)}" if self.jitter else "")


@dataclass(frozen=True)
class SourceConfig:
    key: str
    enabled: bool = True
    schedule: Schedule = field(default_factory=Schedule)
    timeout: float = 3600.0  # a crawl running longer is killed and recorded as failed
    max_pages: int | None = None  # None: the spider's own default
    revisit: dict[str, Any] = field(default_factory=dict)  # -> PRESSWATCH_REVISIT_<KEY>
    politeness: dict[str, Any] = field(default_factory=dict)  # Scrapy settings
    # A configured source's definition (crawler.sites.configured.SiteSpec as JSON data);
    # None for a built-in site.
    site: dict[str, Any] | None = None

    def crawl_settings(self) -> dict[str, str]:
        """The Scrapy settings (``-s NAME=VALUE``) this source's crawls run with; a
        configured source's definition travels as PRESSWATCH_SITE (SITE_SETTING)."""
        settings = {name: setting_value(v) for name, v in self.politeness.items()}
        for name, value in self.revisit.items():
            settings[f"PRESSWATCH_REVISIT_{name.upper()}"] = setting_value(value)
        if self.site is not None:
            settings[SITE_SETTING] = json.dumps(self.site, sort_keys=True, separators=(",", ":"))
        return settings


@dataclass(frozen=True)
class Watch:
    """What a target takes besides its kinds: some sources, and events a search query finds.

    ``match``: "text" matches the query against the title and body of the event's version
    (for a change, the new one; for a removal, the last one seen); "changed" matches a
    change only against the words that changed (the event's word diff, and the old and new
    title), any other event against its text.
    """

    sources: frozenset[str] | None = None  # None: every source
    query: Query | None = None
    match: str = "text"  # text | changed


@dataclass(frozen=True)
class Digest:
    """Collect a target's events into one message per period (scheduler.digest)."""

    period: str  # hourly | daily | weekly
    day: str | None = None  # mon…sun, weekly only
    hour: int = 0
    minute: int = 0
    timezone: str = "UTC"


@dataclass(frozen=True)
class TargetConfig:
    """Where notifications go: an Apprise URL, a JSON webhook, or the daemon's log."""

    name: str
    type: str
    url: str | None = None
    kinds: frozenset[str] = EVENT_KINDS
    timeout: float = 10.0
    headers: dict[str, str] = field(default_factory=dict)
    watch: Watch | None = None  # None: every event of its kinds
    template: str | None = None  # Jinja2 (sandboxed) for an apprise target's message body
    digest: Digest | None = None  # None: each batch at once
    health: str = "also"  # health alerts: also | only (no events; then only these get them) | never


@dataclass(frozen=True)
class NodeConfig:
    """One Scrapyd node: its URL, optional basic auth, and how many crawls it takes at once."""

    url: str
    username: str | None = None
    password: str | None = None
    slots: int = 1  # Scrapyd does not report its max_proc: at most this many jobs sent to it

    def __repr__(self) -> str:  # never the password
        return f"NodeConfig(url={self.url!r}, username={self.username!r}, slots={self.slots})"

    @property
    def auth(self) -> tuple[str, str] | None:
        """HTTP basic auth for the node (httpx's ``auth``); None without a username."""
        return (self.username, self.password or "") if self.username else None


@dataclass(frozen=True)
class ScrapydConfig:
    nodes: tuple[NodeConfig, ...] = ()
    project: str = "presswatch"  # the project deployed to the nodes (scrapy.cfg [deploy])
    poll_interval: float = 2.0  # how often a running job is looked at (listjobs.json)
    request_timeout: float = 10.0  # one HTTP request to a node


@dataclass(frozen=True)
class DaemonConfig:
    max_parallel: int = 2  # crawls running at once
    shutdown_grace: float = 30.0  # on SIGTERM, running crawls get this long before a kill
    health_after: int = 3  # consecutive failed or unhealthy runs before one alert
    replay: str | None = None  # fetch every page from this replay server (offline, tests)
    log_dir: Path | None = None  # crawl logs; None: the user's log directory
    backend: str = "local"  # local: subprocesses; scrapyd: jobs on Scrapyd nodes
    scrapyd: ScrapydConfig = field(default_factory=ScrapydConfig)


@dataclass(frozen=True)
class NotifyConfig:
    targets: tuple[TargetConfig, ...] = (TargetConfig(name="log", type="log"),)
    retry_base: float = 30.0  # first retry of a failed target after this, doubled each time
    retry_max: float = 3600.0
    batch: int = 20  # events per message
    digest_max: int = 500  # events per digest message
    check_every: float = 30.0  # how often pending and retried notifications are looked at
    web_url: str | None = None  # `presswatch web`'s address: messages link its pages


@dataclass(frozen=True)
class Config:
    database: str | None = None
    daemon: DaemonConfig = field(default_factory=DaemonConfig)
    notify: NotifyConfig = field(default_factory=NotifyConfig)
    sources: dict[str, SourceConfig] = field(default_factory=dict)
    path: Path | None = None  # the file read, None for the defaults

    def enabled_sources(self) -> list[SourceConfig]:
        return [s for s in self.sources.values() if s.enabled]


def spider_for(source: str, settings: dict[str, str]) -> tuple[str, dict[str, str]]:
    """The spider that crawls ``source`` and its arguments: a configured source (its
    definition in ``settings``) is crawled by the generic spider ``site`` with
    ``source=KEY``, a built-in site by its own spider."""
    return ("site", {"source": source}) if SITE_SETTING in settings else (source, {})


def setting_value(value: Any) -> str:
    """A TOML value as a ``-s NAME=VALUE`` string Scrapy's getters read back."""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, dict):
        return json.dumps(value)
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    return str(value)


def format_duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    for unit in ("d", "h", "m"):
        if seconds >= UNITS[unit] and seconds % UNITS[unit] == 0:
            return f"{int(seconds // UNITS[unit])}{unit}"
    return f"{seconds:g}s"
