"""The daemon end to end: a real `presswatch daemon` process against the replay server.

Each test serves a small SCO snapshot on 127.0.0.1, runs the daemon with second-scale
intervals and a local webhook receiver, and checks what was recorded and delivered.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from daemon_support import (
    PRESSWATCH,
    DaemonProcess,
    TcpProxy,
    Webhook,
    daemon_config,
    sco_release,
    wait_for,
    write_sco,
)
from sqlalchemy import select
from sqlalchemy.engine import make_url

from crawler.replay.server import ReplayServer, serve
from presswatch.cli import main
from presswatch.config import parse_config
from scheduler.daemon import KILL_BOUND, Daemon, due_time
from scheduler.health import check_health
from storage.archive import finish_run, start_run
from storage.db import open_archive
from storage.models import ChangeEvent, CrawlRun, HealthAlert

ROOT = Path(__file__).resolve().parent.parent
GRACE = 2.0


@pytest.fixture
def webhook() -> Iterator[Webhook]:
    hook = Webhook()
    yield hook
    hook.close()


def runs(url: str) -> list[CrawlRun]:
    engine, sessions = open_archive(url)
    try:
        with sessions() as session:
            return list(session.scalars(select(CrawlRun).order_by(CrawlRun.id)))
    finally:
        engine.dispose()


def events(url: str) -> list[tuple[int, str]]:
    engine, sessions = open_archive(url)
    try:
        with sessions() as session:
            return [tuple(r) for r in session.execute(select(ChangeEvent.id, ChangeEvent.kind))]
    finally:
        engine.dispose()


def assert_once(hook: Webhook, url: str) -> None:
    """Every event of the archive was delivered, none twice."""
    ids = Counter(e["id"] for e in hook.events())
    assert [i for i, n in ids.items() if n > 1] == []
    assert set(ids) == {i for i, _ in events(url)}


def finished(url: str, n: int) -> list[CrawlRun] | None:
    done = [r for r in runs(url) if r.status != "running"]
    return done if len(done) >= n else None


@pytest.mark.slow
def test_new_and_changed_delivered_once_then_sigterm(
    site: tuple[Path, ReplayServer], tmp_path: Path
) -> None:
    snapshot, server = site
    hook = Webhook(fail=2)  # the webhook fails twice, then recovers: nothing lost or doubled
    db = f"sqlite:///{tmp_path / 'a.db'}"
    config = daemon_config(tmp_path / "presswatch.toml", server.url, db, hook.url)
    daemon = DaemonProcess(config)
    try:
        wait_for(lambda: len(hook.events()) >= 3, 60, "the first run's 3 new releases")
        assert hook.attempts >= 3
        second = DaemonProcess(config)  # one daemon per archive: the second one is refused
        assert second.proc.wait(timeout=30) == 1
        assert f"another presswatch daemon (pid {daemon.proc.pid})" in second.output()
        status = CliRunner().invoke(main, ["status", "--config", str(config), "--json"])
        assert json.loads(status.output)["daemon"]["holder"] == f"pid {daemon.proc.pid}"
        edited = sco_release(2, body="The sides signed a memorandum on drug control cooperation.")
        write_sco(snapshot, [sco_release(1), edited, sco_release(3), sco_release(4)])
        wait_for(lambda: len(hook.events()) >= 5, 60, "the changed and the new release")
        time.sleep(1.5)  # one more run over the same snapshot: nothing more to send
        seconds = daemon.terminate(timeout=GRACE + KILL_BOUND + 5)
    finally:
        daemon.kill()
        hook.close()
    assert daemon.proc.returncode == 0, daemon.output()
    assert seconds < GRACE + KILL_BOUND
    kinds = Counter(e["kind"] for e in hook.events())
    assert kinds == {"new": 4, "changed": 1}
    changed = next(e for e in hook.events() if e["kind"] == "changed")
    assert changed["url"] == edited.url and changed["source"] == "sco"
    assert "memorandum" in " ".join(changed["diff"]["added"])
    assert_once(hook, db)
    assert "SIGTERM received" in daemon.output() and "stopped" in daemon.output()
    statuses = [r.status for r in runs(db)]
    assert statuses.count("ok") >= 2 and "running" not in statuses  # the last may be cut short


@pytest.mark.slow
def test_sigkill_and_restart_sends_pending_once(
    site: tuple[Path, ReplayServer], webhook: Webhook, tmp_path: Path
) -> None:
    _, server = site
    webhook.fail = -1  # down: the first run's events stay pending
    db = f"sqlite:///{tmp_path / 'a.db'}"
    config = daemon_config(tmp_path / "presswatch.toml", server.url, db, webhook.url, interval="1h")
    first = DaemonProcess(config)
    try:
        wait_for(lambda: finished(db, 1), 60, "the first run")
        wait_for(lambda: webhook.attempts >= 2, 20, "retried deliveries")
    finally:
        first.proc.send_signal(signal.SIGKILL)
        first.proc.wait()
    assert webhook.events() == []
    webhook.fail = 0
    second = DaemonProcess(config)
    try:
        wait_for(lambda: len(webhook.events()) >= 3, 40, "the pending events after restart")
        time.sleep(1)
        second.terminate(timeout=GRACE + KILL_BOUND + 5)
    finally:
        second.kill()
    assert_once(webhook, db)
    assert len(runs(db)) == 1  # interval 1h: the restart did not crawl again
    assert "due now" not in second.output()


@pytest.mark.slow
def test_hung_crawl_is_killed_recorded_failed_and_next_run_on_time(
    tmp_path: Path, webhook: Webhook
) -> None:
    snapshot = tmp_path / "snapshot"
    write_sco(snapshot, [sco_release(1)], delay=120)  # the listing never answers in time
    db = f"sqlite:///{tmp_path / 'a.db'}"
    with serve(snapshot) as server:
        config = daemon_config(tmp_path / "presswatch.toml", server.url, db, webhook.url,
                               timeout="10s")  # fmt: skip
        daemon = DaemonProcess(config)
        try:
            wait_for(lambda: runs(db), 40, "the crawl to open its run")
            time.sleep(1.5)  # its listing request is held back by now
            write_sco(snapshot, [sco_release(1)])  # the site answers again
            first = wait_for(lambda: finished(db, 1), 80, "the hung run")[0]
            done = wait_for(
                lambda: [r for r in runs(db) if r.status == "ok"] and runs(db), 80, "a good run"
            )
            wait_for(webhook.events, 40, "the new release")
            daemon.terminate(timeout=GRACE + KILL_BOUND + 5)
        finally:
            daemon.kill()
    assert first.status == "failed" and "timeout" in (first.health or "")
    assert (first.finished_at - first.started_at).total_seconds() < 10 + KILL_BOUND
    assert done[-1].status == "ok"
    pattern = r"sco run \w+ in .*?, ([\d.]+)s after due"
    delays = [float(d) for d in re.findall(pattern, daemon.output())]
    assert delays and max(delays) < 2  # each next run started on time after a killed one
    assert [e["kind"] for e in webhook.events()] == ["new"]


CRASH_PIPELINE = """
import os
from pathlib import Path

class CrashPipeline:
    def process_item(self, item):
        if Path(os.environ["CRASH_FLAG"]).exists():
            os._exit(3)
        return item
"""


@pytest.mark.slow
def test_crashing_crawl_alerts_once_and_recovery_once(
    site: tuple[Path, ReplayServer], webhook: Webhook, tmp_path: Path
) -> None:
    _, server = site
    (tmp_path / "crashmod.py").write_text(CRASH_PIPELINE)
    flag = tmp_path / "crash"
    flag.touch()
    pipelines = json.dumps(
        {"crawler.pipelines.ArchivePipeline": 300, "crashmod.CrashPipeline": 400}
    )
    db = f"sqlite:///{tmp_path / 'a.db'}"
    config = daemon_config(
        tmp_path / "presswatch.toml", server.url, db, webhook.url, health_after=2,
        politeness=f"[sources.sco.politeness]\nITEM_PIPELINES = '{pipelines}'\n",
    )  # fmt: skip
    env = {"PYTHONPATH": str(tmp_path), "CRASH_FLAG": str(flag)}
    daemon = DaemonProcess(config, env=env)
    try:
        wait_for(lambda: finished(db, 3), 80, "three crashed runs")
        flag.unlink()
        wait_for(lambda: len(webhook.alerts()) >= 2, 60, "the recovery alert")
        daemon.terminate(timeout=GRACE + KILL_BOUND + 5)
    finally:
        daemon.kill()
    crashed = [r for r in runs(db) if r.status == "failed"]
    assert len(crashed) >= 3
    assert all("exited with 3" in (r.health or "") for r in crashed)
    assert [a["kind"] for a in webhook.alerts()] == ["failing", "recovered"]
    assert_once(webhook, db)  # the releases recorded before each crash were still sent


@pytest.mark.slow
def test_database_unreachable_for_a_run(
    site: tuple[Path, ReplayServer], webhook: Webhook, tmp_path: Path, pg_url: str
) -> None:
    snapshot, server = site
    real = make_url(pg_url)
    proxy = TcpProxy((real.host or "127.0.0.1", real.port or 5432))
    db = real.set(port=proxy.port).render_as_string(hide_password=False)
    config = daemon_config(tmp_path / "presswatch.toml", server.url, db, webhook.url)
    daemon = DaemonProcess(config)
    try:
        wait_for(lambda: len(webhook.events()) >= 3, 60, "the first run's events")
        proxy.down()
        wait_for(lambda: "run not recorded yet" in daemon.output(), 180, "a run without database")
        write_sco(snapshot, [sco_release(n) for n in range(1, 5)])
        proxy.up()
        wait_for(lambda: len(webhook.events()) >= 4, 80, "the release found after the outage")
        assert daemon.proc.poll() is None
        daemon.terminate(timeout=GRACE + KILL_BOUND + 5)
    finally:
        daemon.kill()
        proxy.down()
    assert_once(webhook, pg_url)
    # Each run settled as it ended once the database was back: a crawl that recorded itself
    # keeps its own outcome, one cut by the outage is failed, the last may be aborted.
    assert all(r.status != "running" and (r.status == "ok") == (not r.health) for r in runs(pg_url))


@pytest.mark.slow
def test_once_runs_due_sources_then_exits(
    site: tuple[Path, ReplayServer], webhook: Webhook, tmp_path: Path
) -> None:
    _, server = site
    db = f"sqlite:///{tmp_path / 'a.db'}"
    config = daemon_config(tmp_path / "presswatch.toml", server.url, db, webhook.url, interval="1h")
    first = DaemonProcess(config, once=True)
    assert first.proc.wait(timeout=60) == 0, first.output()
    assert len(webhook.events()) == 3
    second = DaemonProcess(config, once=True)  # nothing is due an hour later
    assert second.proc.wait(timeout=30) == 0
    assert "due now: nothing" in second.output()
    assert len(runs(db)) == 1
    result = CliRunner().invoke(main, ["status", "--config", str(config), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    sco = next(s for s in data["sources"] if s["key"] == "sco")
    assert sco["last_run"]["status"] == "ok" and sco["last_run"]["counts"]["new"] == 3
    assert sco["schedule"]["text"] == "every 1h" and not sco["overdue"]
    assert {t["name"]: t["pending"] for t in data["notifications"]} == {"log": 0, "hook": 0}
    assert data["archive"]["releases"] == 3
    assert data["daemon"] == {"running": False, "holder": None}  # --once let go of its lock
    text = CliRunner().invoke(main, ["status", "--config", str(config)])
    assert text.exit_code == 0 and "sco" in text.output and "every 1h" in text.output


# --- scheduling and health, in process ------------------------------------------------------


def _config(tmp_path: Path, db: str, **sco: object) -> object:
    source = {"enabled": True, "jitter": 0, **sco}
    return parse_config({"database": db, "defaults": {"enabled": False},
                         "sources": {"sco": source}}, ["osce", "sco"])  # fmt: skip


def _add_run(url: str, started: datetime, status: str = "ok") -> None:
    engine, sessions = open_archive(url)
    with sessions.begin() as session:
        run_id = start_run(session, "sco", now=started)
        finish_run(session, run_id, {"items": 1}, status=status, now=started, health=status)
    engine.dispose()


def test_missed_runs_are_made_up_once(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'a.db'}"
    now = datetime.now(UTC)
    _add_run(db, now - timedelta(hours=10))  # ten hourly runs missed while down
    daemon = Daemon(_config(tmp_path, db, interval="1h"))
    daemon.open()
    scheduler = daemon.build_scheduler()
    scheduler.start(paused=True)
    job = scheduler.get_job("sco")
    assert abs((job.next_run_time - now).total_seconds()) < 5  # one run, now
    assert job.coalesce and job.max_instances == 1
    following = job.trigger.get_next_fire_time(job.next_run_time, job.next_run_time)
    assert following - job.next_run_time == timedelta(hours=1)
    scheduler.shutdown(wait=False)
    daemon.close()
    _add_run(db, now - timedelta(minutes=10))  # a manual crawl counts as a run
    daemon = Daemon(_config(tmp_path, db, interval="1h"))
    daemon.open()
    assert (
        abs(
            (
                daemon.due(daemon.config.sources["sco"]) - (now + timedelta(minutes=50))
            ).total_seconds()
        )
        < 5
    )
    daemon.close()


def test_cron_due_time() -> None:
    config = parse_config({"sources": {"sco": {"cron": "0 6 * * *"}}}, ["sco"])
    source = config.sources["sco"]
    last = datetime(2026, 3, 1, 6, 0, tzinfo=UTC)
    assert due_time(source, None, last) == last
    assert due_time(source, last, last).date() == datetime(2026, 3, 2).date()


def test_health_alerts_once_per_turn(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'a.db'}"
    start = datetime.now(UTC) - timedelta(hours=1)
    engine, sessions = open_archive(db)
    raised = []
    for i, status in enumerate(["failed", "unhealthy", "failed", "failed", "ok", "ok", "failed"]):
        _add_run(db, start + timedelta(minutes=i), status)
        with sessions.begin() as session:
            alert = check_health(session, "sco", 3)
            raised.append(alert.kind if alert else None)
    assert raised == [None, None, "failing", None, "recovered", None, None]
    with sessions() as session:
        assert session.scalar(select(HealthAlert).order_by(HealthAlert.id)).detail.startswith(
            "3 runs"
        )
    engine.dispose()


def compose_config(*args: str) -> dict:
    """`docker-compose config` (.ci/run installs Debian's docker-compose), parsed."""
    compose = shutil.which("docker-compose")
    assert compose, "docker-compose is not installed: `apt-get install docker-compose`"
    result = subprocess.run(
        [compose, "-f", str(ROOT / "docker-compose.yml"), *args, "config"],
        capture_output=True, text=True, cwd=ROOT,
        env={**os.environ, "PRESSWATCH_SCRAPYD_PASSWORD": "pw-secret"},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return yaml.safe_load(result.stdout)


def test_compose_file_is_valid() -> None:
    """`docker-compose config` accepts the file."""
    data = compose_config()
    services = data["services"]
    assert {"db", "daemon", "web"} <= set(services)
    assert not any("profiles" in services[name] for name in ("db", "daemon", "web"))
    web = services["web"]  # the same image, every address of its container, a token asked
    assert web["image"] == services["daemon"]["image"] and "build" not in web
    assert web["command"] == ["presswatch", "web", "--host", "0.0.0.0", "--port", "8750"]
    assert "PRESSWATCH_WEB_TOKEN" in web["environment"]
    assert (
        web["environment"]["PRESSWATCH_DATABASE_URL"]
        == services["daemon"]["environment"]["PRESSWATCH_DATABASE_URL"]
    )
    daemon = services["daemon"]
    assert "presswatch" in str(daemon["healthcheck"]["test"]) and "status" in str(
        daemon["healthcheck"]["test"]
    )
    assert "db" in daemon["depends_on"]
    assert any(str(v).endswith("/config:ro") for v in daemon["volumes"])
    assert "volumes" in data and services["db"]["volumes"]
    assert "FROM python:3" in (ROOT / "Dockerfile").read_text()
    assert PRESSWATCH.exists()


def test_compose_scale_profile_adds_two_scrapyd_nodes_and_a_deploy() -> None:
    """`--profile scale`: two nodes of the node image, internal only, healthchecked, deployed."""
    services = compose_config("--profile", "scale")["services"]
    assert {"db", "daemon", "web", "scrapyd1", "scrapyd2", "deploy"} <= set(services)
    for name in ("scrapyd1", "scrapyd2", "deploy"):  # `docker-compose up` starts none of them
        assert services[name]["profiles"] == ["scale"]
    daemon = services["daemon"]
    for name in ("scrapyd1", "scrapyd2"):
        node = services[name]
        assert node["build"]["target"] == "node" and node["image"] != daemon["image"]
        assert "ports" not in node and node["expose"] == ["6800"]  # the compose network only
        assert "daemonstatus.json" in str(node["healthcheck"]["test"])
        assert (
            node["environment"]["PRESSWATCH_DATABASE_URL"]
            == (daemon["environment"]["PRESSWATCH_DATABASE_URL"])
        )
        assert node["environment"]["SCRAPYD_PASSWORD"] == "pw-secret"  # from the shell only
        assert node["volumes"] and node["depends_on"]["db"]["condition"] == "service_healthy"
    assert services["scrapyd1"]["volumes"] != services["scrapyd2"]["volumes"]
    deploy = services["deploy"]
    assert deploy["image"] == daemon["image"] and deploy["command"] == ["presswatch", "deploy"]
    assert {n: c["condition"] for n, c in deploy["depends_on"].items()} == {
        "scrapyd1": "service_healthy", "scrapyd2": "service_healthy",
    }  # fmt: skip
    assert any(str(v).endswith("/config:ro") for v in deploy["volumes"])
    text = (ROOT / "docker-compose.yml").read_text()
    assert (
        "pw-secret" not in text
        and "FROM python:3.11-slim AS node" in (ROOT / "Dockerfile").read_text()
    )
