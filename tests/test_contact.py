"""The operator's contact (crawler.contact): in the user agent, from config, setting or env."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from scrapy import Spider
from scrapy.utils.test import get_crawler

from crawler.contact import OperatorContact, contact_problem
from presswatch.config import ConfigError, parse_config

EXTENSION = {"EXTENSIONS": {"crawler.contact.OperatorContact": 0}, "USER_AGENT": "presswatch/9.9"}


def _crawler(monkeypatch: pytest.MonkeyPatch, env: str | None = None, **settings: Any):
    if env is None:
        monkeypatch.delenv("PRESSWATCH_CONTACT", raising=False)
    else:
        monkeypatch.setenv("PRESSWATCH_CONTACT", env)
    crawler = get_crawler(Spider, {**EXTENSION, **settings})
    ext = next(e for e in crawler.extensions.middlewares if isinstance(e, OperatorContact))
    return crawler, ext


@pytest.mark.parametrize(
    "value", ["https://example.org/press-monitor", "http://example.org", "ops@example.org"]
)
def test_urls_and_emails_are_contacts(value: str) -> None:
    assert contact_problem(value) is None


@pytest.mark.parametrize(
    "value",
    ["example.org", "ftp://example.org", "ops@localhost", "https://x.org/\r\nX-Evil: 1",
     "mailto ops@example.org", "https://exämple.org", "https://"],
)  # fmt: skip
def test_anything_else_is_refused(value: str) -> None:
    assert contact_problem(value) is not None


def test_the_setting_goes_into_the_user_agent(monkeypatch: pytest.MonkeyPatch) -> None:
    crawler, _ = _crawler(monkeypatch, PRESSWATCH_CONTACT="ops@example.org")
    assert crawler.settings["USER_AGENT"] == "presswatch/9.9 (+ops@example.org)"
    crawler, _ = _crawler(monkeypatch, env="https://example.org/bot")
    assert crawler.settings["USER_AGENT"] == "presswatch/9.9 (+https://example.org/bot)"


class OwnAgent(Spider):
    name = "own"
    custom_settings = {"USER_AGENT": "their-bot/1"}  # above the project's priority


def test_an_operators_user_agent_is_left_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PRESSWATCH_CONTACT", "ops@example.org")
    crawler = get_crawler(OwnAgent, EXTENSION)
    assert crawler.settings["USER_AGENT"] == "their-bot/1"


def test_a_real_crawl_without_contact_warns(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    crawler, ext = _crawler(monkeypatch)
    assert crawler.settings["USER_AGENT"] == "presswatch/9.9"
    with caplog.at_level(logging.WARNING, logger="crawler.contact"):
        ext.spider_opened(Spider("osce"))
    assert "no operator contact in the user agent (presswatch/9.9)" in caplog.text
    caplog.clear()
    _, replaying = _crawler(monkeypatch, PRESSWATCH_REPLAY="http://127.0.0.1:8700")
    _, contacted = _crawler(monkeypatch, PRESSWATCH_CONTACT="ops@example.org")
    with caplog.at_level(logging.WARNING, logger="crawler.contact"):
        replaying.spider_opened(Spider("osce"))
        contacted.spider_opened(Spider("osce"))
    assert caplog.text == ""


def test_a_bad_setting_is_logged_and_left_out(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="crawler.contact"):
        crawler, ext = _crawler(monkeypatch, PRESSWATCH_CONTACT="a\r\nX-Evil: 1")
    assert crawler.settings["USER_AGENT"] == "presswatch/9.9" and ext.contact is None
    assert "PRESSWATCH_CONTACT ignored" in caplog.text


def test_config_contact_reaches_every_source() -> None:
    config = parse_config({"crawl": {"contact": "ops@example.org"}}, ["osce", "sco"])
    assert {s.crawl_settings()["PRESSWATCH_CONTACT"] for s in config.sources.values()} == {
        "ops@example.org"
    }
    assert "PRESSWATCH_CONTACT" not in parse_config({}, ["osce"]).sources["osce"].crawl_settings()
    with pytest.raises(ConfigError, match="crawl.contact: 'example.org' is neither"):
        parse_config({"crawl": {"contact": "example.org"}}, ["osce"])
    with pytest.raises(ConfigError, match="crawl.email: unknown key"):
        parse_config({"crawl": {"email": "ops@example.org"}}, ["osce"])
