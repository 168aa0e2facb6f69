"""The daemon's configuration: ``presswatch.toml``, every value defaulted.

Read from ``--config PATH`` or ``presswatch.toml`` in the working directory; with neither,
the defaults alone watch every known source every 6 hours and log what they find. Every
error names the key (``sources.osce.interval``) and what is wrong with its value.
The annotated example is presswatch.example.toml at the repository root.
"""

from __future__ import annotations

import json
import re
import tomllib
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from scheduler.options import (
    EVENT_KINDS,
    KNOWN_EVENT_KINDS,
    UNITS,
    Config,
    DaemonConfig,
    Digest,
    NodeConfig,
    NotifyConfig,
    Schedule,
    ScrapydConfig,
    SourceConfig,
    TargetConfig,
    Watch,
    format_duration,
    setting_value,
)

CONFIG_NAME = "presswatch.toml"
SITE_KINDS = ("feed", "sitemap", "listing")  # crawler.sites.configured.KINDS (tested)
TARGET_TYPES = ("log", "webhook", "apprise")
MATCH_MODES = ("text", "changed")
HEALTH_MODES = ("also", "only", "never")
BACKENDS = ("local", "scrapyd")
_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)")
_SETTING_NAME = re.compile(r"[A-Z][A-Z0-9_]*")
_TARGET_NAME = re.compile(r"[A-Za-z0-9_.:-]{1,100}")


class ConfigError(Exception):
    """A config value that cannot be used; the message names the key."""


# --- reading -----------------------------------------------------------------------------


class _Table:
    """One TOML table being read: typed getters that name the key, unknown keys refused."""

    def __init__(self, data: Any, prefix: str) -> None:
        if not isinstance(data, dict):
            raise ConfigError(f"{prefix or 'config'}: expected a table, got {_kind(data)}")
        self.data, self.prefix, self.used = data, prefix, set()

    def key(self, name: str) -> str:
        return f"{self.prefix}.{name}" if self.prefix else name

    def raw(self, name: str, default: Any = None) -> Any:
        self.used.add(name)
        return self.data.get(name, default)

    def has(self, name: str) -> bool:
        return name in self.data

    def number(self, name: str, default: float, minimum: float = 0, integer: bool = False) -> Any:
        value = self.raw(name, default)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(f"{self.key(name)}: expected a number, got {_kind(value)}")
        if integer and not isinstance(value, int):
            raise ConfigError(f"{self.key(name)}: expected a whole number, got {value!r}")
        if value < minimum:
            raise ConfigError(f"{self.key(name)}: must be at least {minimum}, got {value!r}")
        return value

    def duration(self, name: str, default: float | None, minimum: float = 0) -> float | None:
        value = self.raw(name, default)
        if value is None:
            return None
        seconds = parse_duration(value, self.key(name))
        if seconds < minimum:
            raise ConfigError(f"{self.key(name)}: must be at least {minimum:g}s, got {value!r}")
        return seconds

    def boolean(self, name: str, default: bool) -> bool:
        value = self.raw(name, default)
        if not isinstance(value, bool):
            raise ConfigError(f"{self.key(name)}: expected true or false, got {_kind(value)}")
        return value

    def string(self, name: str, default: str | None = None) -> str | None:
        value = self.raw(name, default)
        if value is not None and not isinstance(value, str):
            raise ConfigError(f"{self.key(name)}: expected a string, got {_kind(value)}")
        return value

    def table(self, name: str) -> _Table:
        return _Table(self.raw(name, {}), self.key(name))

    def finish(self) -> None:
        unknown = sorted(set(self.data) - self.used)
        if unknown:
            raise ConfigError(f"{self.key(unknown[0])}: unknown key")


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return f"a boolean ({str(value).lower()})"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "a list"
    return f"{type(value).__name__} {value!r}"


def parse_duration(value: Any, key: str) -> float:
    """Seconds from a number or a string like "90s", "15m", "6h", "1d", "1h30m"."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        text = value.strip().lower()
        parts = _DURATION.findall(text)
        if parts and _DURATION.sub("", text).strip() == "":
            return sum(float(n) * UNITS[u] for n, u in parts)
    raise ConfigError(f'{key}: {value!r} is not a duration (e.g. 90, "15m", "6h", "1d")')


def _http_url(url: str | None, key: str, what: str) -> None:
    """An http(s) URL with a host and a valid port, or ConfigError naming ``key``."""
    try:
        parts = urlsplit(url or "")
        parts.port  # noqa: B018 - raises ValueError for a port out of range
    except ValueError as exc:
        raise ConfigError(f"{key}: {url!r} is not a URL ({exc})") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"{key}: {what} needs an http(s) URL, got {url!r}")


def _timezone(t: _Table, default: str) -> str:
    zone = t.string("timezone", default) or default
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"{t.key('timezone')}: {zone!r} is not a time zone (e.g. UTC, Europe/Vienna)"
        ) from None
    return zone


def _schedule(t: _Table, base: Schedule) -> Schedule:
    timezone = _timezone(t, base.timezone)
    cron = t.string("cron", None)
    if cron is not None and t.has("interval"):
        raise ConfigError(f"{t.key('cron')}: give either interval or cron, not both")
    if cron is not None:
        from apscheduler.triggers.cron import CronTrigger

        try:
            CronTrigger.from_crontab(cron, timezone=timezone)
        except ValueError as exc:
            raise ConfigError(
                f"{t.key('cron')}: {cron!r} is not a cron expression ({exc})"
            ) from None
        interval = None
    else:
        interval = t.duration("interval", None, minimum=1)
        if interval is None:
            interval, cron = base.interval, base.cron
    jitter = t.duration("jitter", base.jitter)
    return Schedule(interval=interval, cron=cron, jitter=jitter or 0.0, timezone=timezone)


def _settings_table(t: _Table) -> dict[str, Any]:
    for name, value in t.data.items():
        t.used.add(name)
        if not _SETTING_NAME.fullmatch(name):
            raise ConfigError(f"{t.key(name)}: not a Scrapy setting name (UPPER_CASE expected)")
        if value is None or (isinstance(value, list) and any(isinstance(v, dict) for v in value)):
            raise ConfigError(f"{t.key(name)}: unsupported value {_kind(value)}")
        _check_setting_type(t.key(name), name, value)
    return dict(t.data)


@cache
def _scrapy_defaults() -> dict[str, Any]:
    """Scrapy's settings and their default values, whose types the config must match."""
    from scrapy.settings import default_settings

    return {k: v for k, v in vars(default_settings).items() if k.isupper()}


_BOOL_TEXT = {"0", "1", "true", "false"}  # what Scrapy's getbool() reads from text


def _check_setting_type(key: str, name: str, value: Any) -> None:
    """A known Scrapy setting must have the type of its default (numbers may be text)."""
    default = _scrapy_defaults().get(name)
    if isinstance(default, bool):
        ok = isinstance(value, bool) or value in (0, 1) or str(value).lower() in _BOOL_TEXT
        expected = "true or false"
    elif isinstance(default, int | float):
        ok = not isinstance(value, bool) and _is_number(value)
        expected = "a number"
    elif isinstance(default, str):
        ok, expected = isinstance(value, str), "a string"
    elif isinstance(default, dict):
        ok, expected = isinstance(value, dict) or _json_object(value), "a table (or JSON object)"
    elif isinstance(default, list | tuple):
        ok, expected = isinstance(value, list | str), "a list"
    else:
        return  # no default, or a custom setting: Scrapy reads it as it is
    if not ok:
        raise ConfigError(f"{key}: Scrapy's {name} takes {expected}, got {_kind(value)}")


def _json_object(value: Any) -> bool:
    try:
        return isinstance(value, str) and isinstance(json.loads(value), dict)
    except ValueError:
        return False


def _is_number(value: Any) -> bool:
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return True


def _revisit(t: _Table) -> dict[str, Any]:
    """The revisit policy's numbers (crawler/revisit.py) as PRESSWATCH_REVISIT_<NAME> values,
    in hours: ``intervals`` [[changed less than this ago, revisit every], …], ``oldest``,
    ``removed`` (durations) and ``budget`` (release pages per run, 0: no limit)."""
    hours: dict[str, Any] = {}
    if t.has("intervals"):
        steps = t.raw("intervals")
        if not isinstance(steps, list) or not all(
            isinstance(step, list) and len(step) == 2 for step in steps
        ):
            raise ConfigError(
                f"{t.key('intervals')}: expected a list of [age, every] pairs, "
                'e.g. [["1d", 0], ["7d", "4h"]]'
            )
        pairs = [
            [parse_duration(v, f"{t.key('intervals')}[{i}]") / 3600 for v in step]
            for i, step in enumerate(steps)
        ]
        if [age for age, _ in pairs] != sorted({age for age, _ in pairs}):
            raise ConfigError(f"{t.key('intervals')}: ages must grow from one pair to the next")
        hours["intervals"] = json.dumps(pairs)
    for name in ("oldest", "removed"):
        if (seconds := t.duration(name, None)) is not None:
            hours[name] = seconds / 3600
    if t.has("budget"):
        hours["budget"] = t.number("budget", 0, integer=True)
    t.finish()
    return hours


def _site(t: _Table, key: str) -> dict[str, Any]:
    """A configured source's definition (crawler.sites.configured), checked once for the
    daemon and the crawl alike, as JSON-able data."""
    from crawler.sites.configured import SITE_KEYS, spec_from_dict

    try:
        spec = spec_from_dict(key, t.data)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    t.used.update(SITE_KEYS)
    return json.loads(spec.to_json())


def _source(t: _Table, key: str, base: SourceConfig, site: bool = False) -> SourceConfig:
    spec = _site(t, key) if site else None
    max_pages = t.raw("max_pages", base.max_pages)
    if max_pages is not None:
        max_pages = t.number("max_pages", 0, integer=True)
    config = SourceConfig(
        key=key,
        enabled=t.boolean("enabled", base.enabled),
        schedule=_schedule(t, base.schedule),
        timeout=t.duration("timeout", base.timeout, minimum=1) or base.timeout,
        max_pages=max_pages,
        revisit={**base.revisit, **_revisit(t.table("revisit"))},
        politeness={**base.politeness, **_settings_table(t.table("politeness"))},
        site=spec,
    )
    t.finish()
    return config


def _watch(t: _Table, known_sources: list[str]) -> Watch | None:
    """The target's ``sources``, ``query`` and ``match`` keys; None when it has none."""
    if not any(t.has(name) for name in ("sources", "query", "match")):
        return None
    sources = t.raw("sources", None)
    if sources is not None and (
        not isinstance(sources, list) or not sources or not set(sources) <= set(known_sources)
    ):
        raise ConfigError(
            f"{t.key('sources')}: expected a list of sources ({', '.join(known_sources)})"
        )
    text = t.string("query", None)
    query = None
    if text is not None:
        from storage.search import QueryError, parse_query

        try:
            query = parse_query(text)
        except QueryError as exc:
            raise ConfigError(f"{t.key('query')}: {exc}") from None
    match = t.string("match", "text")
    if match not in MATCH_MODES:
        raise ConfigError(f"{t.key('match')}: expected text or changed, got {match!r}")
    if match != "text" and query is None:
        raise ConfigError(f"{t.key('match')}: needs a query to match")
    return Watch(sources=frozenset(sources) if sources else None, query=query, match=match)


def _template(t: _Table, kind: str) -> str | None:
    """An apprise target's Jinja2 template, tried on a sample event in every form."""
    source = t.string("template", None)
    if source is None:
        return None
    if kind != "apprise":
        raise ConfigError(f"{t.key('template')}: only apprise targets take a template")
    from scheduler.messages import FORMATS, TemplateProblem, render, sample_events

    try:
        for form in FORMATS:
            render(sample_events(), [], form, source)
    except TemplateProblem as exc:
        raise ConfigError(f"{t.key('template')}: {exc}") from None
    return source


def _digest(t: _Table) -> Digest | None:
    """``digest`` ("hourly", "daily 08:00", "weekly mon 08:00") read in ``timezone``."""
    from scheduler.digest import parse_digest

    text = t.string("digest", None)
    zone = _timezone(t, "UTC")
    if text is None:
        if t.has("timezone"):
            raise ConfigError(f"{t.key('timezone')}: only a digest has a time zone")
        return None
    try:
        return parse_digest(text, zone)
    except ValueError as exc:
        raise ConfigError(f"{t.key('digest')}: {exc}") from None


def _target(t: _Table, index: int, known_sources: list[str]) -> TargetConfig:
    kind = t.string("type", None)
    if kind not in TARGET_TYPES:
        raise ConfigError(
            f"{t.key('type')}: expected one of {', '.join(TARGET_TYPES)}, got {kind!r}"
        )
    url = t.string("url", None)
    if kind == "webhook":
        _http_url(url, t.key("url"), "a webhook")
    elif kind == "apprise":
        _check_apprise(url, t.key("url"))
    health = t.string("health", "also")
    if health not in HEALTH_MODES:
        raise ConfigError(f"{t.key('health')}: expected one of {', '.join(HEALTH_MODES)}")
    if health == "only" and t.has("kinds"):
        raise ConfigError(f'{t.key("kinds")}: a health = "only" target gets no events')
    kinds = t.raw("kinds", [] if health == "only" else sorted(EVENT_KINDS))
    if (
        not isinstance(kinds, list)
        or not set(kinds) <= KNOWN_EVENT_KINDS
        or (not kinds and health != "only")
    ):
        known = ", ".join(sorted(KNOWN_EVENT_KINDS))
        raise ConfigError(f"{t.key('kinds')}: expected a list of {known}")
    headers = t.table("headers")
    for name, value in headers.data.items():
        headers.used.add(name)
        if not isinstance(value, str):
            raise ConfigError(f"{headers.key(name)}: expected a string, got {_kind(value)}")
    name = t.string("name", None) or (kind if kind == "log" else f"{kind}-{index + 1}")
    if not _TARGET_NAME.fullmatch(name):
        raise ConfigError(f"{t.key('name')}: {name!r} is not a name (letters, digits, _.:-)")
    target = TargetConfig(
        name=name, type=kind, url=url, kinds=frozenset(kinds),
        timeout=t.duration("timeout", 10.0, minimum=0.1) or 10.0, headers=dict(headers.data),
        watch=_watch(t, known_sources), template=_template(t, kind), digest=_digest(t),
        health=health,
    )  # fmt: skip
    t.finish()
    return target


def _check_apprise(url: str | None, key: str) -> None:
    if not url:
        raise ConfigError(f"{key}: an apprise target needs a url (e.g. ntfy://topic)")
    try:
        import apprise
    except ImportError:
        raise ConfigError(
            f"{key}: apprise is not installed (pip install 'presswatch[notify]')"
        ) from None
    if not apprise.Apprise().add(url):
        raise ConfigError(f"{key}: {url!r} is not an Apprise URL Apprise can use")


def _notify(t: _Table, known_sources: list[str]) -> NotifyConfig:
    raw = t.raw("targets", None)
    if raw is None:
        targets: tuple[TargetConfig, ...] = NotifyConfig.targets
    elif not isinstance(raw, list):
        raise ConfigError(f"{t.key('targets')}: expected a list of tables ([[notify.targets]])")
    else:
        targets = tuple(
            _target(_Table(x, f"{t.key('targets')}[{i}]"), i, known_sources)
            for i, x in enumerate(raw)
        )
        names = [x.name for x in targets]
        if dup := next((n for n in names if names.count(n) > 1), None):
            raise ConfigError(f"{t.key('targets')}: two targets named {dup!r}; give each a name")
    web_url = t.string("web_url", None)
    if web_url is not None:
        _http_url(web_url, t.key("web_url"), "the web view")
    config = NotifyConfig(
        targets=targets,
        web_url=web_url,
        retry_base=t.duration("retry_base", NotifyConfig.retry_base, minimum=0.01) or 1.0,
        retry_max=t.duration("retry_max", NotifyConfig.retry_max, minimum=0.01) or 1.0,
        batch=t.number("batch", NotifyConfig.batch, minimum=1, integer=True),
        digest_max=t.number("digest_max", NotifyConfig.digest_max, minimum=1, integer=True),
        check_every=t.duration("check_every", NotifyConfig.check_every, minimum=0.1) or 1.0,
    )
    t.finish()
    return config


def _crawl(t: _Table) -> dict[str, str]:
    """``[crawl]``: ``contact``, the operator's URL or email for the user agent, as a setting."""
    from crawler.contact import SETTING, contact_problem

    contact = t.string("contact", None)
    if contact is not None and (problem := contact_problem(contact)):
        raise ConfigError(f"{t.key('contact')}: {problem}")
    t.finish()
    return {SETTING: contact} if contact else {}


def _node(value: Any, key: str) -> NodeConfig:
    """A Scrapyd node: its URL, or a table with url, username, password, slots."""
    t = _Table({"url": value} if isinstance(value, str) else value, key)
    url = t.string("url", None)
    _http_url(url, t.key("url"), "a Scrapyd node")
    assert url is not None
    if "@" in urlsplit(url).netloc:
        raise ConfigError(f"{t.key('url')}: give the credentials as username and password")
    username, password = t.string("username", None), t.string("password", None)
    if password is not None and username is None:
        raise ConfigError(f"{t.key('password')}: a password needs a username")
    slots = t.number("slots", NodeConfig.slots, minimum=1, integer=True)
    t.finish()
    return NodeConfig(url=url.rstrip("/"), username=username, password=password, slots=slots)


def _scrapyd(t: _Table, backend: str) -> ScrapydConfig:
    nodes = t.raw("nodes", [])
    if not isinstance(nodes, list):
        raise ConfigError(f"{t.key('nodes')}: expected a list of node URLs or tables")
    config = ScrapydConfig(
        nodes=tuple(_node(n, f"{t.key('nodes')}[{i}]") for i, n in enumerate(nodes)),
        project=t.string("project", ScrapydConfig.project) or ScrapydConfig.project,
        poll_interval=t.duration("poll_interval", ScrapydConfig.poll_interval, minimum=0.05)
        or ScrapydConfig.poll_interval,
        request_timeout=t.duration(
            "request_timeout", ScrapydConfig.request_timeout, minimum=0.1
        ) or ScrapydConfig.request_timeout,
    )  # fmt: skip
    urls = [n.url for n in config.nodes]
    if dup := next((u for u in urls if urls.count(u) > 1), None):
        raise ConfigError(f"{t.key('nodes')}: {dup} is listed twice")
    if backend == "scrapyd" and not config.nodes:
        raise ConfigError(f"{t.key('nodes')}: the scrapyd backend needs at least one node")
    t.finish()
    return config


def _daemon(t: _Table) -> DaemonConfig:
    log_dir = t.string("log_dir", None)
    replay = t.string("replay", None)
    if replay is not None:
        _http_url(replay, t.key("replay"), "the replay server")
    backend = t.string("backend", DaemonConfig.backend)
    if backend not in BACKENDS:
        raise ConfigError(f"{t.key('backend')}: {backend!r} is not one of {', '.join(BACKENDS)}")
    config = DaemonConfig(
        max_parallel=t.number("max_parallel", DaemonConfig.max_parallel, minimum=1, integer=True),
        shutdown_grace=t.duration("shutdown_grace", DaemonConfig.shutdown_grace) or 0.0,
        health_after=t.number("health_after", DaemonConfig.health_after, minimum=1, integer=True),
        replay=replay,
        log_dir=Path(log_dir).expanduser() if log_dir else None,
        backend=backend or DaemonConfig.backend,
        scrapyd=_scrapyd(t.table("scrapyd"), backend or DaemonConfig.backend),
    )
    t.finish()
    return config


def parse_config(
    data: dict[str, Any], known_sources: list[str], path: Path | None = None
) -> Config:
    """A Config from parsed TOML; ConfigError names the first bad key."""
    root = _Table(data, "")
    database = root.string("database", None)
    crawl = _crawl(root.table("crawl"))
    defaults_table = root.table("defaults")
    defaults = _source(defaults_table, "defaults", SourceConfig(key="defaults", politeness=crawl))
    sources_table = root.table("sources")
    configured = []
    for key, table in sources_table.data.items():
        kinds = [k for k in SITE_KINDS if isinstance(table, dict) and k in table]
        if key in known_sources and kinds:
            raise ConfigError(
                f"{sources_table.key(key)}.{kinds[0]}: {key} is a built-in source; "
                "a configured source needs a key of its own"
            )
        if key not in known_sources and not kinds:
            raise ConfigError(
                f"{sources_table.key(key)}: unknown source (known: {', '.join(known_sources)}); "
                "a source of your own names its feed, sitemap or listing"
            )
        if kinds:
            configured.append(key)
    sources = {
        key: _source(sources_table.table(key), key, defaults, site=key in configured)
        if key in sources_table.data
        else _source(_Table({}, f"sources.{key}"), key, defaults)
        for key in [*known_sources, *configured]
    }  # fmt: skip
    sources_table.finish()
    config = Config(
        database=database,
        daemon=_daemon(root.table("daemon")),
        notify=_notify(root.table("notify"), [*known_sources, *configured]),
        sources=sources,
        path=path,
    )
    root.finish()
    return config


def load_config(path: Path | None = None, known_sources: list[str] | None = None) -> Config:
    """The config from ``path``, else ./presswatch.toml, else the defaults."""
    if known_sources is None:
        from crawler.sites import registry

        known_sources = sorted(registry())
    if path is None:
        candidate = Path.cwd() / CONFIG_NAME
        if not candidate.is_file():
            return parse_config({}, known_sources)
        path = candidate
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such config file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read ({exc})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None
    try:
        return parse_config(data, known_sources, path)
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from None


__all__ = [
    "CONFIG_NAME", "Config", "ConfigError", "DaemonConfig", "NotifyConfig", "Schedule",
    "SourceConfig", "TargetConfig", "format_duration", "load_config", "parse_config",
    "setting_value",
]  # fmt: skip
