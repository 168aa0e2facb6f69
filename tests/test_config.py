"""presswatch.toml: defaults with no file, the example file, and each kind of bad value."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from scrapy.settings import Settings

from crawler.revisit import RevisitPolicy
from presswatch.cli import main
from presswatch.config import CONFIG_NAME, ConfigError, load_config, parse_config
from scheduler.daemon import due_time

ROOT = Path(__file__).resolve().parent.parent
KNOWN = ["osce", "sco", "unis", "unodc"]


def test_defaults_with_no_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    config = load_config(known_sources=KNOWN)
    assert config.path is None and config.database is None
    assert [s.key for s in config.enabled_sources()] == KNOWN
    osce = config.sources["osce"]
    assert osce.schedule.interval == 6 * 3600 and osce.schedule.jitter == 300
    assert osce.timeout == 3600 and osce.crawl_settings() == {}
    assert [t.type for t in config.notify.targets] == ["log"]
    assert config.daemon.max_parallel == 2 and config.daemon.health_after == 3


def test_file_in_working_directory_is_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / CONFIG_NAME).write_text('[sources.sco]\ninterval = "15m"\n')
    monkeypatch.chdir(tmp_path)
    config = load_config(known_sources=KNOWN)
    assert config.path == tmp_path / CONFIG_NAME
    assert config.sources["sco"].schedule.interval == 900


def test_example_file_is_valid() -> None:
    config = load_config(ROOT / "presswatch.example.toml", KNOWN)
    assert config.sources["osce"].schedule.interval == 7200
    assert config.sources["unis"].schedule.cron == "15 7-19/3 * * 1-5"
    assert config.sources["sco"].crawl_settings() == {"DOWNLOAD_DELAY": "3"}


def test_example_revisit_numbers_are_the_policys_defaults(tmp_path: Path) -> None:
    """The commented-out revisit lines of the example, switched on, change nothing."""
    text = (ROOT / "presswatch.example.toml").read_text(encoding="utf-8")
    head, rest = text.split("[defaults.revisit]\n", 1)
    table, tail = rest.split("\n\n", 1)
    on = "\n".join(line.removeprefix("# ") for line in table.splitlines())
    (tmp_path / "on.toml").write_text(f"{head}[defaults.revisit]\n{on}\n\n{tail}", "utf-8")
    settings = load_config(tmp_path / "on.toml", KNOWN).sources["osce"].crawl_settings()
    assert "PRESSWATCH_REVISIT_INTERVALS" in settings
    assert RevisitPolicy.from_settings(Settings(settings)) == RevisitPolicy()


def test_defaults_revisit_and_politeness_become_scrapy_settings() -> None:
    config = parse_config(
        {"defaults": {"interval": "1h30m", "revisit": {"budget": 30, "removed": "2d"},
                      "politeness": {"DOWNLOAD_DELAY": 2.5, "ITEM_PIPELINES": {"a.B": 1}}},
         "sources": {"osce": {"politeness": {"DOWNLOAD_DELAY": 4},
                              "revisit": {"intervals": [["1d", 0], ["30d", "12h"]]}},
                     "sco": {"enabled": False}}},
        KNOWN,
    )  # fmt: skip
    osce = config.sources["osce"]
    assert osce.schedule.interval == 5400
    assert osce.crawl_settings() == {
        "DOWNLOAD_DELAY": "4", "ITEM_PIPELINES": '{"a.B": 1}',
        "PRESSWATCH_REVISIT_BUDGET": "30", "PRESSWATCH_REVISIT_REMOVED": "48.0",
        "PRESSWATCH_REVISIT_INTERVALS": "[[24.0, 0.0], [720.0, 12.0]]",
    }  # fmt: skip
    policy = RevisitPolicy.from_settings(Settings(osce.crawl_settings()))
    assert policy.intervals == ((24, 0), (720, 12))
    assert (policy.budget, policy.removed_interval) == (30, 48)
    assert "sco" not in [s.key for s in config.enabled_sources()]


def test_targets() -> None:
    config = parse_config(
        {"notify": {"targets": [
            {"type": "webhook", "url": "http://127.0.0.1:9/hook", "kinds": ["new"]},
            {"type": "apprise", "url": "json://127.0.0.1:9/x", "name": "team"},
            {"type": "log"},
        ]}},
        KNOWN,
    )  # fmt: skip
    names = [(t.name, t.type) for t in config.notify.targets]
    assert names == [("webhook-1", "webhook"), ("team", "apprise"), ("log", "log")]
    assert config.notify.targets[0].kinds == {"new"}


BAD = [
    ({"sources": {"osce": {"interval": "6x"}}}, "sources.osce.interval: '6x' is not a duration"),
    ({"sources": {"osce": {"interval": 0}}}, "sources.osce.interval: must be at least 1s"),
    ({"sources": {"osce": {"jitter": -5}}}, "sources.osce.jitter: must be at least 0s"),
    ({"sources": {"osce": {"cron": "61 * * * *"}}}, "sources.osce.cron: '61 * * * *' is not a cron"),
    ({"sources": {"osce": {"cron": "0 * * * *", "interval": "1h"}}}, "either interval or cron"),
    ({"sources": {"osce": {"enabled": "yes"}}}, "sources.osce.enabled: expected true or false"),
    ({"sources": {"nasa": {}}}, "sources.nasa: unknown source (known: osce, sco, unis, unodc)"),
    ({"sources": {"osce": {"intervall": "1h"}}}, "sources.osce.intervall: unknown key"),
    ({"sources": {"osce": {"max_pages": 1.5}}}, "sources.osce.max_pages: expected a whole number"),
    ({"sources": {"osce": "weekly"}}, "sources.osce: expected a table"),
    ({"defaults": {"politeness": {"download_delay": 1}}}, "defaults.politeness.download_delay: not a Scrapy setting"),
    ({"defaults": {"revisit": {"recent_days": 1}}}, "defaults.revisit.recent_days: unknown key"),
    ({"defaults": {"revisit": {"budget": -1}}}, "defaults.revisit.budget: must be at least 0"),
    ({"defaults": {"revisit": {"removed": "daily"}}}, "defaults.revisit.removed: 'daily' is not a duration"),
    ({"defaults": {"revisit": {"intervals": [1, 2]}}}, "defaults.revisit.intervals: expected a list of [age, every] pairs"),
    ({"defaults": {"revisit": {"intervals": [["7d", "1h"], ["1d", 0]]}}}, "defaults.revisit.intervals: ages must grow"),
    ({"defaults": {"revisit": {"intervals": [["1d", "often"]]}}}, "defaults.revisit.intervals[0]: 'often' is not a duration"),
    ({"daemon": {"max_parallel": 0}}, "daemon.max_parallel: must be at least 1"),
    ({"daemon": {"health_after": "3"}}, "daemon.health_after: expected a number, got str '3'"),
    ({"daemon": {"shutdown_grace": "soon"}}, "daemon.shutdown_grace: 'soon' is not a duration"),
    ({"database": 5}, "database: expected a string"),
    ({"notify": {"targets": {"type": "log"}}}, "notify.targets: expected a list of tables"),
    ({"notify": {"targets": [{"type": "pager"}]}}, "notify.targets[0].type: expected one of log, webhook, apprise"),
    ({"notify": {"targets": [{"type": "webhook", "url": "ftp://x"}]}}, "notify.targets[0].url: a webhook needs an http(s) URL"),
    ({"notify": {"targets": [{"type": "apprise", "url": "nonsense"}]}}, "notify.targets[0].url: 'nonsense' is not an Apprise URL"),
    ({"notify": {"targets": [{"type": "log", "kinds": ["edited"]}]}}, "notify.targets[0].kinds: expected a list of"),
    ({"notify": {"targets": [{"type": "log"}, {"type": "log"}]}}, "two targets named 'log'"),
    ({"notify": {"batch": 0}}, "notify.batch: must be at least 1"),
    ({"notify": {"targets": [{"type": "webhook", "url": "http://h:99999/x"}]}}, "notify.targets[0].url: 'http://h:99999/x' is not a URL"),
    ({"daemon": {"replay": "not a url"}}, "daemon.replay: the replay server needs an http(s) URL, got 'not a url'"),
    ({"daemon": {"replay": "http://[::1"}}, "daemon.replay: 'http://[::1' is not a URL"),
    ({"defaults": {"politeness": {"DOWNLOAD_DELAY": "abc"}}}, "defaults.politeness.DOWNLOAD_DELAY: Scrapy's DOWNLOAD_DELAY takes a number, got str 'abc'"),
    ({"defaults": {"politeness": {"CONCURRENT_REQUESTS": True}}}, "CONCURRENT_REQUESTS takes a number, got a boolean"),
    ({"defaults": {"politeness": {"ROBOTSTXT_OBEY": "maybe"}}}, "ROBOTSTXT_OBEY takes true or false"),
    ({"defaults": {"politeness": {"USER_AGENT": 5}}}, "USER_AGENT takes a string"),
    ({"defaults": {"politeness": {"DEFAULT_REQUEST_HEADERS": "x"}}}, "DEFAULT_REQUEST_HEADERS takes a table"),
    ({"sources": {"osce": {"timezone": "Mars/Olympus"}}}, "sources.osce.timezone: 'Mars/Olympus' is not a time zone"),
]  # fmt: skip


def test_setting_types_follow_scrapys_defaults() -> None:
    politeness = {"DOWNLOAD_DELAY": "1.5", "CONCURRENT_REQUESTS": 4, "ROBOTSTXT_OBEY": False,
                  "AUTOTHROTTLE_ENABLED": "0", "USER_AGENT": "pw", "PRESSWATCH_X": [1],
                  "ITEM_PIPELINES": '{"crawler.pipelines.ArchivePipeline": 300}'}  # fmt: skip
    config = parse_config({"defaults": {"politeness": politeness}}, KNOWN)
    assert config.sources["osce"].politeness == politeness


def test_cron_is_read_in_utc_unless_a_timezone_is_given() -> None:
    last = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)
    config = parse_config({"sources": {"osce": {"cron": "0 6 * * *"},
                                       "sco": {"cron": "0 6 * * *", "timezone": "Asia/Tokyo"}}},
                          KNOWN)  # fmt: skip
    assert due_time(config.sources["osce"], last, last) == datetime(2026, 7, 2, 6, tzinfo=UTC)
    assert due_time(config.sources["sco"], last, last) == datetime(2026, 7, 1, 21, tzinfo=UTC)
    assert config.sources["osce"].schedule.describe() == "cron '0 6 * * *' UTC ±5m"


@pytest.mark.parametrize(("data", "message"), BAD, ids=[m.split(":")[0] for _, m in BAD])
def test_bad_values_name_the_key(data: dict, message: str) -> None:
    with pytest.raises(ConfigError) as error:
        parse_config(data, KNOWN)
    assert message in str(error.value)


def test_bad_files(tmp_path: Path) -> None:
    path = tmp_path / "p.toml"
    path.write_text("[daemon\nmax_parallel = 2\n")
    with pytest.raises(ConfigError, match=r"p.toml: not valid TOML \(.*line 1"):
        load_config(path, KNOWN)
    with pytest.raises(ConfigError, match="no such config file"):
        load_config(tmp_path / "missing.toml", KNOWN)
    path.write_text("[daemon]\nmax_parallel = -1\n")
    with pytest.raises(ConfigError, match=r"p.toml: daemon.max_parallel: must be at least 1"):
        load_config(path, KNOWN)


def test_cli_reports_config_error_in_one_line(tmp_path: Path) -> None:
    path = tmp_path / "p.toml"
    path.write_text('[sources.osce]\ninterval = "often"\n')
    db = f"sqlite:///{tmp_path / 'a.db'}"
    for args in (["daemon", "--once"], ["status"]):
        result = CliRunner().invoke(main, ["--db", db, *args, "--config", str(path)])
        assert result.exit_code == 1
        assert result.output.strip().splitlines() == [
            "Error: config: " + f"{path}: sources.osce.interval: 'often' is not a duration "
            '(e.g. 90, "15m", "6h", "1d")'
        ]
