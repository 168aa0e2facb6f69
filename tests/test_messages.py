"""Messages from templates: every form for every event kind, and the sandbox holding."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import date

import pytest
from daemon_support import Webhook

from presswatch.config import ConfigError, parse_config
from scheduler.messages import FORMATS, TemplateProblem, render, sample_events
from scheduler.notify import DeliveryError, Notifier, make_sender
from scheduler.options import NotifyConfig, TargetConfig
from storage.archive import Archive, ParsedRelease
from storage.notifications import AlertNote

WEB = "http://archive.example:8000/"
DIFF = {  # the word diff of the sample change, as each form marks it
    "text": "on [-Monday-] {+Tuesday+} to discuss {+water and+} security",
    "markdown": "on ~~Monday~~ **Tuesday** to discuss **water and** security",
    "html": "on <del>Monday</del> <ins>Tuesday</ins> to discuss <ins>water and</ins> security",
}


def by_kind(events):
    return {e.kind: e for e in events}


@pytest.mark.parametrize("form", FORMATS)
@pytest.mark.parametrize("kind", ["new", "changed", "removed", "restored"])
def test_each_form_for_each_kind(form: str, kind: str) -> None:
    event = by_kind(sample_events())[kind]
    text = render([event], [], form, web_url=WEB)
    assert "Ministers meet in Vienna" in text and "Example Organisation" in text
    assert "2026-01-01" in text and "https://example.org/press/1" in text
    if kind == "changed":
        assert DIFF[form] in text
        diff_link = "http://archive.example:8000/releases/1/diff?from=1&" + (
            "amp;" if form == "html" else ""
        )
        assert diff_link + "to=2" in text
    else:
        assert "http://archive.example:8000/releases/1" in text
        assert "Monday" not in text or kind == "new"  # the new version's text, not the old
    if kind == "removed":
        assert "last text seen: The Secretary General" in text
    if kind in ("new", "restored"):
        assert "The Secretary General met the ministers" in text
    if form == "html":
        assert text.startswith("<p><b>") and "<a href=" in text


def test_no_web_links_without_web_url() -> None:
    text = render(sample_events(), [], "text")
    assert "/releases/" not in text and "[-Monday-]" in text


def test_hostile_titles_are_escaped_for_html_and_markdown() -> None:
    event = replace(sample_events()[0], title="<script>x()</script> *bold* [link](y)")
    assert "<script>" not in render([event], [], "html")
    assert "&lt;script&gt;" in render([event], [], "html")
    assert r"\*bold\* \[link\]\(y\)" in render([event], [], "markdown")


def test_alerts_come_first() -> None:
    alert = AlertNote(1, "failing", sample_events()[0].at, "osce", "3 failed runs")
    text = render(sample_events()[:1], [alert], "text")
    assert text.startswith("[failing] source osce is failing: 3 failed runs\n[new]")


def test_a_template_of_ones_own() -> None:
    template = "{{ subject }}{% for e in events %} | {{ e.kind }} {{ e.title }}{% endfor %}"
    text = render(sample_events(), [], "text", template)
    assert text == ("presswatch: 1 changed, 1 new, 1 removed, 1 restored | new Ministers meet "
                    "in Vienna | changed Ministers meet in Vienna | removed Ministers meet in "
                    "Vienna | restored Ministers meet in Vienna")  # fmt: skip


ESCAPES = [
    "{{ ''.__class__.__mro__ }}",
    "{{ ''.__class__ }}",
    "{{ events.__class__.__init__.__globals__ }}",
    "{% for c in ().__class__.__base__.__subclasses__() %}{{ c }}{% endfor %}",
]


@pytest.mark.parametrize("template", ESCAPES)
def test_the_sandbox_refuses_python_internals(template: str) -> None:
    with pytest.raises(TemplateProblem) as problem:
        render(sample_events(), [], "text", template)
    assert "SecurityError" in str(problem.value) and "\n" not in str(problem.value)


def apprise_target(**keys) -> dict:
    return {"notify": {"targets": [{"type": "apprise", "url": "json://127.0.0.1:9/", **keys}]}}


@pytest.mark.parametrize(
    ("template", "message"),
    [
        (ESCAPES[0], "notify.targets[0].template: SecurityError: str.__class__ is not available"),
        ("{% for e in events %}", "notify.targets[0].template: TemplateSyntaxError: Unexpected"),
        ("{{ events | nosuchfilter }}", "notify.targets[0].template: TemplateAssertionError:"),
    ],
)
def test_bad_templates_are_config_errors(template: str, message: str) -> None:
    with pytest.raises(ConfigError) as error:
        parse_config(apprise_target(template=template), ["osce"])
    assert str(error.value).startswith(message) and "\n" not in str(error.value)


def test_template_and_web_url_keys() -> None:
    config = parse_config({**apprise_target(template="{{ subject }}"),
                           "notify": {**apprise_target(template="{{ subject }}")["notify"],
                                      "web_url": "http://127.0.0.1:8000"}}, ["osce"])  # fmt: skip
    assert config.notify.targets[0].template == "{{ subject }}"
    assert config.notify.web_url == "http://127.0.0.1:8000"
    with pytest.raises(ConfigError, match="only apprise targets take a template"):
        parse_config({"notify": {"targets": [{"type": "log", "template": "x"}]}}, ["osce"])
    with pytest.raises(ConfigError, match="notify.web_url: the web view needs an http"):
        parse_config({"notify": {"web_url": "ftp://x"}}, ["osce"])


def test_a_template_failing_at_delivery_is_a_one_line_delivery_error() -> None:
    target = TargetConfig(name="t", type="apprise", url="json://127.0.0.1:9/",
                          template="{{ events[0].title.__class__.__mro__ }}")  # fmt: skip
    with pytest.raises(DeliveryError, match=r"^template: SecurityError: [^\n]*$"):
        make_sender(target).send(sample_events(), [])


@pytest.fixture
def hook() -> Iterator[Webhook]:
    h = Webhook()
    yield h
    h.close()


def test_apprise_gets_the_diff_of_a_real_change(archive: Archive, hook: Webhook) -> None:
    url = hook.url.replace("http://", "json://")
    config = NotifyConfig(targets=(TargetConfig(name="a", type="apprise", url=url),),
                          web_url="http://127.0.0.1:8000")  # fmt: skip
    notifier = Notifier(archive.sessions, config)
    notifier.start()
    body = "The council met in Geneva on Monday.\n\nIt agreed on a statement."

    def record(text: str) -> None:
        archive.record(ParsedRelease(source="osce", url="https://www.osce.org/p/1", title="Met",
                                     body=text, published=date(2026, 3, 1)))  # fmt: skip

    record(body)
    record(body.replace("Monday", "Friday"))
    assert notifier.flush().delivered == 2
    message = hook.payloads[0]["message"]
    assert hook.payloads[0]["title"] == "presswatch: 1 changed, 1 new"
    assert (
        message.startswith("[new] ") and ": Met (2026-03-01)\nhttps://www.osce.org/p/1" in message
    )
    assert "Geneva on [-Monday.-] {+Friday.+}" in message
    assert "http://127.0.0.1:8000/releases/" in message and "/diff?from=1&to=2" in message
