"""`presswatch notify test` and `notify pending` against local receivers, live and dead."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from daemon_support import Webhook

from presswatch.cli import main
from presswatch.config import load_config
from scheduler.notify import Notifier
from storage.archive import Archive, ParsedRelease


@pytest.fixture
def hook() -> Iterator[Webhook]:
    h = Webhook()
    yield h
    h.close()


def dead_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}/hook"


def config(tmp_path: Path, **urls: str) -> Path:
    """A config with a webhook or apprise target per name in ``urls`` (json:// is apprise)."""
    lines = ["[defaults]", "enabled = false"]
    for name, url in urls.items():
        kind = "apprise" if url.startswith("json://") else "webhook"
        lines += ["[[notify.targets]]", f'name = "{name}"', f'type = "{kind}"', f'url = "{url}"',
                  'timeout = "2s"']  # fmt: skip
    path = tmp_path / "pw.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


def run(db: str, path: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["--db", db, "notify", *args, "--config", str(path)])
    return result.exit_code, result.stdout, result.stderr


def record(archive: Archive, n: int, title: str = "Ministers meet") -> None:
    archive.record(ParsedRelease(source="osce", url=f"https://www.osce.org/p/{n}", title=title,
                                 body=f"Release {n} body, long enough to be a release.",
                                 published=date(2026, 3, n)))  # fmt: skip


def test_webhook_gets_the_newest_event_and_the_answer_is_shown(
    archive: Archive, db_url: str, tmp_path: Path, hook: Webhook
) -> None:
    record(archive, 1)
    record(archive, 2, "Newest release")
    code, out, _ = run(db_url, config(tmp_path, newsroom=hook.url), "test", "newsroom")
    assert code == 0, out
    assert "newsroom (webhook): sending event 2 (new: Newest release)" in out
    assert "newsroom: delivered — HTTP 204 No Content" in out
    assert [e["title"] for e in hook.events()] == ["Newest release"]


def test_apprise_json_url_with_samples_on_an_empty_archive(
    db_url: str, tmp_path: Path, hook: Webhook
) -> None:
    path = config(tmp_path, team=hook.url.replace("http://", "json://"))
    code, out, _ = run(db_url, path, "test", "team")
    assert code == 0, out
    assert "sending 4 sample events" in out and "team: delivered — Apprise: delivered (text)" in out
    message = hook.payloads[0]["message"]
    assert "[changed]" in message and "[-Monday-] {+Tuesday+}" in message


@pytest.mark.parametrize("kind", ["webhook", "apprise", "refusing"])
def test_a_dead_target_is_one_line_and_exit_1(
    kind: str, db_url: str, tmp_path: Path, hook: Webhook
) -> None:
    url = {"webhook": dead_url(), "apprise": dead_url().replace("http://", "json://"),
           "refusing": hook.url}[kind]  # fmt: skip
    hook.fail = -1
    code, out, err = run(db_url, config(tmp_path, t=url), "test", "t")
    assert code == 1 and len(err.strip().splitlines()) == 1
    assert err.startswith("Error: t: not delivered: ")
    expected = {"webhook": "ConnectError", "apprise": "Apprise",
                "refusing": "HTTP 500 Internal Server Error"}  # fmt: skip
    assert expected[kind] in err


def test_unknown_target(db_url: str, tmp_path: Path, hook: Webhook) -> None:
    code, _, err = run(db_url, config(tmp_path, a=hook.url), "test", "b")
    assert code == 1 and err.strip() == "Error: no notification target 'b' (configured: a)"


def test_pending_says_what_waits_and_why(
    archive: Archive, db_url: str, tmp_path: Path, hook: Webhook
) -> None:
    path = config(tmp_path, good=hook.url, bad=dead_url())
    notifier = Notifier(archive.sessions, load_config(path, ["osce"]).notify)
    notifier.start()
    record(archive, 1)
    record(archive, 2)
    assert notifier.flush().failed == ["bad"]
    code, out, _ = run(db_url, path, "pending")
    assert code == 0, out
    lines = out.splitlines()
    assert lines[0].startswith("good (webhook): 0 pending — nothing waits")
    assert lines[1].startswith("bad (webhook): 2 pending — the target failed 1 times (last: ")
    assert "the daemon retries it at" in lines[1]
    assert lines[2].startswith("  1 [new] osce: Ministers meet (") and "1 attempts" in lines[2]
    code, out, _ = run(db_url, path, "pending", "--json")
    data = {t["name"]: t for t in json.loads(out)}
    assert data["bad"]["pending"] == 2 and data["bad"]["failures"] == 1
    assert [e["id"] for e in data["bad"]["events"]] == [1, 2]
    assert datetime.fromisoformat(data["bad"]["retry_at"]) > datetime.now(UTC)


def test_pending_of_a_digest_says_when_it_goes_out(
    archive: Archive, db_url: str, tmp_path: Path
) -> None:
    path = tmp_path / "pw.toml"
    path.write_text('[[notify.targets]]\nname = "weekly"\ntype = "log"\n'
                    'digest = "weekly mon 08:00"\n')  # fmt: skip
    notifier = Notifier(archive.sessions, load_config(path, ["osce"]).notify)
    notifier.start()
    record(archive, 1)
    notifier.flush()
    code, out, _ = run(db_url, path, "pending")
    assert code == 0, out
    first = out.splitlines()[0]
    assert first.startswith("weekly (log): 1 pending — collected for the weekly digest, which ")
    goes_out = datetime.fromisoformat(first.rsplit(" ", 1)[1])
    assert goes_out.weekday() == 0 and (goes_out.hour, goes_out.minute) == (8, 0)
