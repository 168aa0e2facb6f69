"""Messages from templates: one readable message per batch, in text, Markdown or HTML.

The default templates show each event's title, source, date and link (and the web view's
release and diff pages when ``notify.web_url`` is set); a change shows its changed passages
as word diffs with a little context, a removal the last text seen, a new or restored
release the start of its text. A target may bring its own Jinja2 template (``template``),
rendered in Jinja2's sandbox: it sees the same ``events``, ``alerts`` and ``subject``, and
a template reaching for Python internals fails with a one-line TemplateProblem.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, date, datetime
from typing import Any

from jinja2 import TemplateError
from jinja2.exceptions import SecurityError
from jinja2.sandbox import SandboxedEnvironment

from storage.notifications import AlertNote, EventNote
from storage.textdiff import inline_diff, word_diff

FORMATS = ("text", "markdown", "html")
LEAD_CHARS = 300  # of a new or restored release's text
LAST_TEXT_CHARS = 600  # of a removed release's last text
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!<>|~])")


class TemplateProblem(Exception):
    """A template that cannot be used or rendered; the message is one line."""


def _markdown(text: Any) -> str:
    return _MARKDOWN_SPECIAL.sub(r"\\\1", str(text))


def _clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


_EVENT_HEAD = {
    "text": """\
[{{ e.kind }}] {{ e.source_name }}: {{ e.title }}{% if e.published %} ({{ e.published }}){% endif %}
{{ e.url }}
{%- if e.diff_link %}
diff: {{ e.diff_link }}{% elif e.release_link %}
in the archive: {{ e.release_link }}{% endif %}""",
    "markdown": """\
**{{ e.kind }}** · {{ e.source_name | md }}: [{{ e.title | md }}]({{ e.url }})\
{% if e.published %} ({{ e.published }}){% endif %}
{%- if e.diff_link %} · [diff]({{ e.diff_link }}){% elif e.release_link %} · \
[archive]({{ e.release_link }}){% endif %}""",
    "html": """\
<p><b>{{ e.kind }}</b> · {{ e.source_name }}: <a href="{{ e.url }}">{{ e.title }}</a>\
{% if e.published %} ({{ e.published }}){% endif %}
{%- if e.diff_link %} · <a href="{{ e.diff_link }}">diff</a>{% elif e.release_link %} · \
<a href="{{ e.release_link }}">archive</a>{% endif %}</p>""",
}
_EVENT_BODY = {
    "text": """
{%- if e.old_title %}
title was: {{ e.old_title }}{% endif %}
{%- if e.diff %}
{% for p in e.diff %}{% if p.op == '-' %}[-{{ p.text }}-]{% elif p.op == '+' %}{+{{ p.text }}+}\
{% else %}{{ p.text }}{% endif %} {% endfor %}{% endif %}
{%- if e.last_text %}
last text seen: {{ e.last_text }}{% endif %}
{%- if e.lead %}
{{ e.lead }}{% endif %}""",
    "markdown": """
{%- if e.old_title %}
title was: {{ e.old_title | md }}{% endif %}
{%- if e.diff %}
> {% for p in e.diff %}{% if p.op == '-' %}~~{{ p.text | md }}~~{% elif p.op == '+' %}\
**{{ p.text | md }}**{% else %}{{ p.text | md }}{% endif %} {% endfor %}{% endif %}
{%- if e.last_text %}
> last text seen: {{ e.last_text | md }}{% endif %}
{%- if e.lead %}
> {{ e.lead | md }}{% endif %}""",
    "html": """
{%- if e.old_title %}
<p>title was: {{ e.old_title }}</p>{% endif %}
{%- if e.diff %}
<blockquote>{% for p in e.diff %}{% if p.op == '-' %}<del>{{ p.text }}</del>\
{% elif p.op == '+' %}<ins>{{ p.text }}</ins>{% else %}{{ p.text }}{% endif %} {% endfor %}\
</blockquote>{% endif %}
{%- if e.last_text %}
<blockquote>last text seen: {{ e.last_text }}</blockquote>{% endif %}
{%- if e.lead %}
<blockquote>{{ e.lead }}</blockquote>{% endif %}""",
}
_STATE = "{{ 'is failing' if a.kind == 'failing' else 'has recovered' }}"
_ALERT = {
    "text": "[{{ a.kind }}] source {{ a.source }} " + _STATE + ": {{ a.detail }}",
    "markdown": "**{{ a.kind }}** · source {{ a.source | md }} " + _STATE + ": {{ a.detail | md }}",
    "html": "<p><b>{{ a.kind }}</b> · source {{ a.source }} " + _STATE + ": {{ a.detail }}</p>",
}
_COUNTS = {
    "text": "{{ c.source }}: {{ c.kinds }}",
    "markdown": "- {{ c.source | md }}: {{ c.kinds }}",
    "html": "<li>{{ c.source }}: {{ c.kinds }}</li>",
}
_DIGEST = {
    "text": "{% if digest %}{{ subject }}\n{% for c in counts %}"
    + _COUNTS["text"]
    + "\n{% endfor %}\n{% endif %}",
    "markdown": "{% if digest %}**{{ subject | md }}**\n\n{% for c in counts %}"
    + _COUNTS["markdown"]
    + "\n{% endfor %}\n{% endif %}",
    "html": "{% if digest %}<p><b>{{ subject }}</b></p>\n<ul>{% for c in counts %}"
    + _COUNTS["html"]
    + "{% endfor %}</ul>\n{% endif %}",
}
DEFAULT_TEMPLATES = {
    form: (
        _DIGEST[form] + "{% for a in alerts %}" + _ALERT[form] + "\n{% endfor %}"
        "{% for e in events %}" + _EVENT_HEAD[form] + _EVENT_BODY[form]
        + "\n{% if not loop.last %}\n{% endif %}{% endfor %}"
    )
    for form in FORMATS
}  # fmt: skip


class _Sandbox(SandboxedEnvironment):
    """Jinja2's sandbox, failing loudly where it would print an unsafe attribute as ''."""

    def unsafe_undefined(self, obj: Any, attribute: str) -> Any:
        raise SecurityError(f"{type(obj).__name__}.{attribute} is not available to templates")


def _environment(autoescape: bool) -> SandboxedEnvironment:
    env = _Sandbox(autoescape=autoescape)
    env.filters["md"] = _markdown
    return env


_ENVIRONMENTS = {form: _environment(form == "html") for form in FORMATS}


def compile_template(source: str, form: str = "text") -> Any:
    """A Jinja2 template in the sandbox; TemplateProblem for one that does not parse."""
    try:
        return _ENVIRONMENTS[form].from_string(source)
    except TemplateError as exc:
        raise TemplateProblem(_one_line(exc)) from None


def _one_line(exc: Exception) -> str:
    where = f" (line {exc.lineno})" if getattr(exc, "lineno", None) else ""
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else 'cannot render'}{where}"


def subject(events: list[EventNote], alerts: list[AlertNote], digest: bool = False) -> str:
    counts = Counter(e.kind for e in events) + Counter(f"source {a.kind}" for a in alerts)
    head = "presswatch digest: " if digest else "presswatch: "
    return head + ", ".join(f"{n} {kind}" for kind, n in sorted(counts.items()))


def counts(events: list[EventNote]) -> list[dict[str, Any]]:
    """Events per source and kind: a digest's summary on top."""
    per_source: dict[str, Counter[str]] = {}
    for e in events:
        per_source.setdefault(e.source_name, Counter())[e.kind] += 1
    return [
        {"source": source, "total": sum(kinds.values()),
         "kinds": ", ".join(f"{n} {kind}" for kind, n in sorted(kinds.items()))}
        for source, kinds in sorted(per_source.items())
    ]  # fmt: skip


def event_context(e: EventNote, web_url: str | None = None) -> dict[str, Any]:
    """What a template sees of one event."""
    diff = e.diff or {}
    web = web_url.rstrip("/") if web_url else None
    pieces = (
        inline_diff(e.previous_body, e.body)
        if e.kind == "changed" and e.previous_body is not None and e.body is not None
        else []
    )
    diff_link = None
    if web and e.kind == "changed" and e.version and e.previous_version:
        diff_link = f"{web}/releases/{e.release_id}/diff?from={e.previous_version}&to={e.version}"
    return {
        **e.to_json(),
        "release_link": f"{web}/releases/{e.release_id}" if web else None,
        "diff_link": diff_link,
        "diff": [{"op": op, "text": text} for op, text in pieces],
        "diff_summary": diff,
        "old_title": (diff.get("title") or {}).get("old"),
        "last_text": _clip(e.body, LAST_TEXT_CHARS) if e.kind == "removed" and e.body else None,
        "lead": _clip(e.body, LEAD_CHARS) if e.kind in ("new", "restored") and e.body else None,
    }


def render(
    events: list[EventNote], alerts: list[AlertNote], form: str = "text",
    template: str | None = None, web_url: str | None = None, digest: bool = False,
) -> str:  # fmt: skip
    """The message body in ``form``, from ``template`` or the default; TemplateProblem."""
    compiled = compile_template(template or DEFAULT_TEMPLATES[form], form)
    try:
        return compiled.render(
            events=[event_context(e, web_url) for e in events],
            alerts=[a.to_json() for a in alerts],
            subject=subject(events, alerts, digest),
            format=form,
            digest=digest,
            counts=counts(events),
        ).strip()
    except TemplateError as exc:
        raise TemplateProblem(_one_line(exc)) from None


def sample_events() -> list[EventNote]:
    """One made-up event of each kind, for trying a template or a target.

    Their ids are negative, so a receiver that drops event ids it has seen never drops a
    real event for a sample's sake.
    """
    at = datetime(2026, 1, 1, tzinfo=UTC)
    old = "The Secretary General met the ministers in Vienna on Monday to discuss security."
    new = old.replace("on Monday", "on Tuesday").replace("security", "water and security")

    def event(n: int, kind: str, body: str, previous: str | None = None, **diff: Any) -> EventNote:
        return EventNote(
            id=n, kind=kind, at=at, source="example", source_name="Example Organisation",
            url="https://example.org/press/1", title="Ministers meet in Vienna",
            published=date(2026, 1, 1), diff=diff or None, release_id=1,
            version=2 if previous else 1, previous_version=1 if previous else None,
            body=body, previous_body=previous,
        )  # fmt: skip

    return [
        event(-1, "new", old),
        event(-2, "changed", new, old, fields=["body"], **word_diff(old, new)),
        event(-3, "removed", new),
        event(-4, "restored", new),
    ]
