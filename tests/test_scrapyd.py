"""The daemon's scrapyd backend: crawls as jobs on two local Scrapyd nodes into PostgreSQL.

Two nodes (tests/scrapyd_support.py, the egg deployed to both) share one PostgreSQL schema
for the module; their environment carries the archive's URL with a password. Each test
serves a small SCO snapshot and runs ``Daemon.run_once()`` with backend "scrapyd".
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from configured_site import BASE_URL, POSTS, write_northsea
from daemon_support import DaemonProcess, sco_release, wait_for, write_sco
from scrapyd_support import REPLAY_SETTINGS, Node, deploy, egg_path, free_port, scrapyd_nodes
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from crawler.pipelines import ARCHIVE_SETTING as PIPELINE_ARCHIVE_SETTING
from crawler.pipelines import STOPPED
from crawler.replay.server import ReplayServer, serve
from presswatch.config import ConfigError, load_config, parse_config
from scheduler.daemon import Daemon
from scheduler.options import NodeConfig, ScrapydConfig
from scheduler.scrapyd import ARCHIVE_SETTING, NodeError, NoNode, ScrapydBackend
from scheduler.scrapyd import Node as ApiNode
from storage.db import archive_id, make_engine, open_archive
from storage.models import CrawlRun, Release, ReleaseVersion, Source
from storage.source_lock import SourceLock

pytestmark = pytest.mark.slow
SECRET = f"pw-{uuid.uuid4().hex[:10]}"  # trust auth ignores it; it must show nowhere


@pytest.fixture(scope="module")
def archive(pg_server: str) -> Iterator[str]:
    """A schema of the module's own, as a URL with a password in it."""
    schema = f"pw_scrapyd_{uuid.uuid4().hex[:12]}"
    admin = create_engine(pg_server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(pg_server).set(password=SECRET)
    url = url.update_query_dict({"options": f"-csearch_path={schema}"})
    raw = url.render_as_string(hide_password=False)
    open_archive(raw)[0].dispose()  # migrated once, before any node crawls
    yield raw
    with admin.connect() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("scrapyd-backend")


@pytest.fixture(scope="module")
def nodes(folder: Path, archive: str) -> Iterator[list[Node]]:
    with scrapyd_nodes(folder, 2, {"PRESSWATCH_DATABASE_URL": archive}) as started:
        deploy(started, egg_path(folder))
        yield started


@contextmanager
def slow_site(tmp_path: Path, numbers: range, delay: float) -> Iterator[ReplayServer]:
    """The SCO site with releases ``numbers``, each page answered ``delay`` seconds late."""
    snapshot = tmp_path / "slow"
    write_sco(snapshot, [sco_release(n) for n in numbers], release_delay=delay)
    with serve(snapshot) as server:
        yield server


def daemon(
    tmp_path: Path, archive: str, replay: str, urls: list[Any], timeout: str = "60s",
    politeness: dict[str, Any] | None = None, sources: dict[str, Any] | None = None,
) -> Daemon:  # fmt: skip
    """The daemon with the scrapyd backend, crawling sco (or ``sources``) every second."""
    sco = {"enabled": True, "timeout": timeout, "max_pages": 1, "politeness": politeness or {}}
    config = parse_config(
        {
            "database": archive,
            "daemon": {
                "replay": replay,
                "log_dir": str(tmp_path / "logs"),
                "backend": "scrapyd",
                "scrapyd": {"nodes": urls, "poll_interval": "100ms"},
            },
            "notify": {"targets": [{"type": "log"}]},
            "defaults": {"enabled": False, "interval": "1s", "jitter": 0},
            "sources": sources or {"sco": sco},
        },  # fmt: skip
        ["sco"],
    )
    return Daemon(config)


def crawl(runner: Daemon, source: str = "sco") -> str:
    """One run of ``source`` now, due or not, as run_once() runs it; its status."""
    runner.open()
    try:
        report = runner.run_source(source)
    finally:
        runner.close()
    assert report is not None
    return report.status


def runs_since(archive: str, first: int) -> list[CrawlRun]:
    engine, sessions = open_archive(archive)
    with sessions() as session:
        found = list(session.scalars(select(CrawlRun).where(CrawlRun.id > first)))
    engine.dispose()
    return sorted(found, key=lambda r: r.id)


def last_run_id(archive: str) -> int:
    engine, sessions = open_archive(archive)
    with sessions() as session:
        last = session.scalar(select(func.max(CrawlRun.id))) or 0
    engine.dispose()
    return last


def archived(archive: str) -> tuple[int, int, int]:
    """Releases, versions, and releases with more than one version."""
    engine, sessions = open_archive(archive)
    with sessions() as session:
        releases = session.scalar(select(func.count(Release.id)))
        versions = session.scalar(select(func.count(ReleaseVersion.id)))
        multi = session.scalar(
            select(func.count()).select_from(
                select(ReleaseVersion.release_id)
                .group_by(ReleaseVersion.release_id)
                .having(func.count() > 1)
                .subquery()
            )
        )
    engine.dispose()
    return releases or 0, versions or 0, multi or 0


def lock_freed(archive: str) -> None:
    """Wait until no crawl holds the lock of sco (a killed one's session has ended)."""
    engine = make_engine(archive)
    wait_for(lambda: not SourceLock(engine, "sco").held(), 10, "the lock of sco freed")
    engine.dispose()


def dead_url() -> str:
    return f"http://127.0.0.1:{free_port()}"


def test_runs_on_the_nodes_archive_every_release_once(
    nodes: list[Node], archive: str, site: tuple[Path, ReplayServer], tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    snapshot, server = site
    caplog.set_level(logging.INFO)
    first = last_run_id(archive)
    before = archived(archive)[0]
    urls = [n.url for n in nodes]
    assert crawl(daemon(tmp_path, archive, server.url, urls)) == "ok"
    write_sco(snapshot, [sco_release(n) for n in range(1, 5)])  # one release more
    assert crawl(daemon(tmp_path, archive, server.url, urls)) == "ok"
    runs = runs_since(archive, first)
    assert [r.status for r in runs] == ["ok", "ok"]
    assert [r.counts.get("new", 0) for r in runs][-1] == 1
    assert all(r.job and len(r.job) == 32 and r.node in urls for r in runs)
    releases, versions, multi = archived(archive)
    assert releases - before >= 1 and versions == releases and multi == 0
    for run in runs:  # the node's job log was fetched into the daemon's log folder
        logs = [p for p in (tmp_path / "logs").glob("sco-*.log") if run.job in p.read_text()]
        assert logs and f"{run.id}" in logs[0].read_text()
    scheduled = [r.message for r in caplog.records if "scheduled on" in r.message]
    assert len(scheduled) == 2


def test_a_node_down_is_skipped_and_no_node_fails_the_run(
    nodes: list[Node], archive: str, site: tuple[Path, ReplayServer], tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    _, server = site
    first = last_run_id(archive)
    down = dead_url()
    caplog.set_level(logging.INFO)
    assert crawl(daemon(tmp_path, archive, server.url, [down, nodes[0].url])) == "ok"
    assert f"scrapyd node {down} skipped: ConnectError" in caplog.text
    assert crawl(daemon(tmp_path, archive, server.url, [down])) == "failed"
    runs = runs_since(archive, first)
    assert [(r.status, r.node) for r in runs] == [("ok", nodes[0].url), ("failed", None)]
    assert runs[1].health.startswith(f"no Scrapyd node available ({down}: ConnectError")


def test_a_timeout_is_cancelled_on_the_node(
    nodes: list[Node], archive: str, tmp_path: Path
) -> None:
    first = last_run_id(archive)
    with slow_site(tmp_path, range(5, 7), 6) as server:
        assert crawl(daemon(tmp_path, archive, server.url, [nodes[1].url], "4s")) == "failed"
    [run] = runs_since(archive, first)
    assert run.status == "failed" and run.node == nodes[1].url
    assert run.health.startswith(f"timed out: cancelled job {run.job} on {nodes[1].url}")
    assert '"POST /cancel.json HTTP/1.1" 200' in (nodes[1].folder / "scrapyd.out").read_text()
    assert run.job in {j["id"] for j in nodes[1].jobs()["finished"]}
    [log] = (tmp_path / "logs").glob("sco-*.log")  # the job's log, if it had begun one
    assert "Received SIGTERM" in log.read_text() or "no job log on" in log.read_text()


def test_the_source_lock_holds_across_nodes(
    nodes: list[Node], archive: str, tmp_path: Path
) -> None:
    """The same source scheduled on both nodes at once: the second crawl is refused.

    The first crawl's pages answer 8 s late, so it is still running when the second ends;
    then it is killed (SIGKILL through cancel.json), which frees its lock.
    """
    first = last_run_id(archive)
    with slow_site(tmp_path, range(8, 10), 8) as server:
        settings = {**REPLAY_SETTINGS, "PRESSWATCH_REPLAY": server.url}
        job1 = nodes[0].schedule("sco", **settings)
        wait_for(lambda: any(r.job == job1 for r in runs_since(archive, first)), 30, "run 1")
        job2 = nodes[1].schedule("sco", **settings)
        nodes[1].wait_finished({job2}, 60)
        runs = {r.job: r for r in runs_since(archive, first)}
        nodes[0].post("cancel", {"project": "presswatch", "job": job1, "signal": "KILL"})
        nodes[0].wait_finished({job1}, 60)
    assert runs[job1].status == "running"  # the first still ran when the second ended
    assert runs[job2].status == "failed"
    assert runs[job2].health.startswith(
        f"crawl refused: another crawl of sco holds its lock: run {runs[job1].id} "
        f"(Scrapyd job {job1})"
    )
    assert runs[job2].counts.get("requests", 0) == 0
    lock_freed(archive)


def test_a_node_of_another_archive_is_refused_and_nothing_leaks(
    nodes: list[Node], archive: str, site: tuple[Path, ReplayServer]
) -> None:
    """A wrong archive id: the crawl writes nothing; the URL's password shows nowhere."""
    _, server = site
    first = last_run_id(archive)
    settings = {**REPLAY_SETTINGS, "PRESSWATCH_REPLAY": server.url, ARCHIVE_SETTING: "other"}
    job = nodes[0].schedule("sco", **settings)
    seen = [httpx.get(f"{nodes[0].url}/listjobs.json").text]  # pending: settings shown
    nodes[0].wait_finished({job}, 60)
    log = nodes[0].job_log("sco", job)
    assert f"crawl refused: {make_url(archive).render_as_string()}"[:40] in log
    assert "is not the daemon's archive (its id is " in log and runs_since(archive, first) == []
    assert "Overridden settings" in log
    seen.append(httpx.get(f"{nodes[0].url}/listjobs.json").text)
    assert SECRET not in log and all(SECRET not in text for text in seen)
    assert SECRET not in (nodes[0].folder / "scrapyd.out").read_text()  # its command lines


def test_a_run_refused_by_its_node_is_failed_and_tried_once_more(
    nodes: list[Node], archive: str, site: tuple[Path, ReplayServer], tmp_path: Path
) -> None:
    """The daemon's archive id is not the nodes' archive's: both tries record no run."""
    _, server = site
    first = last_run_id(archive)
    runner = daemon(tmp_path, archive, server.url, [n.url for n in nodes])
    runner.open()
    try:
        assert runner.backend is not None
        runner.backend.archive = "not-this-archive"  # type: ignore[attr-defined]
        report = runner.run_source("sco")
    finally:
        runner.close()
    assert report is not None and report.status == "failed"
    runs = runs_since(archive, first)
    assert [r.status for r in runs] == ["failed", "failed"]
    assert {r.node for r in runs} == {n.url for n in nodes}  # the retry went to the other
    for run in runs:
        assert run.health.startswith(f"job {run.job} on {run.node} recorded no run: ")
        assert "is not the daemon's archive (its id is " in run.health
        assert "the daemon's not-this-archive)" in run.health and SECRET not in run.health


def test_the_secret_is_absent_from_a_running_crawls_command_line(
    nodes: list[Node], archive: str, tmp_path: Path
) -> None:
    """Read while its release pages hang; then the crawl is killed (cancel.json, KILL)."""
    with slow_site(tmp_path, range(12, 14), 10) as server:
        job = nodes[0].schedule("sco", **REPLAY_SETTINGS, PRESSWATCH_REPLAY=server.url)
        entry = wait_for(
            lambda: next((j for j in nodes[0].jobs()["running"] if j["id"] == job), None),
            30, "the running job",
        )  # fmt: skip
        cmdline = Path(f"/proc/{entry['pid']}/cmdline").read_bytes().decode()
        nodes[0].post("cancel", {"project": "presswatch", "job": job, "signal": "KILL"})
        nodes[0].wait_finished({job}, 60)
    lock_freed(archive)
    assert "scrapyd.runner" in cmdline and "PRESSWATCH_REPLAY" in cmdline
    assert SECRET not in cmdline and "postgresql" not in cmdline


def test_a_node_killed_mid_crawl_is_retried_on_the_other(
    nodes: list[Node], archive: str, folder: Path, tmp_path: Path
) -> None:
    """kill -9 of a node and its crawl: that run failed, the retry on the other node ok.

    The crawl is killed as soon as it opened its run: its release pages answer 2 s late.
    """
    first = last_run_id(archive)
    before = archived(archive)[0]
    with scrapyd_nodes(folder / "doomed", 1, {"PRESSWATCH_DATABASE_URL": archive}) as [doomed]:
        deploy([doomed], egg_path(folder))
        with slow_site(tmp_path, range(20, 24), 2) as server:
            runner = daemon(tmp_path, archive, server.url, [doomed.url, nodes[0].url])
            done: list[str] = []
            thread = threading.Thread(target=lambda: done.append(crawl(runner)))
            thread.start()
            try:
                wait_for(lambda: runs_since(archive, first), 60, "the run on the doomed node")
                doomed.kill()
            finally:
                thread.join(90)
    runs = runs_since(archive, first)
    assert done == ["ok"] and len(runs) == 2, [(r.status, r.health, r.node) for r in runs]
    failed, retried = runs
    assert (failed.status, failed.node) == ("failed", doomed.url)
    assert "ended without closing its run" in failed.health
    assert "the lock of sco free" in failed.health
    assert (retried.status, retried.node) == ("ok", nodes[0].url)
    releases, versions, multi = archived(archive)
    assert releases - before == 4 and versions == releases and multi == 0


def test_a_daemon_stopped_by_sigterm_cancels_its_job(
    nodes: list[Node], archive: str, tmp_path: Path
) -> None:
    """`presswatch daemon` with no grace: its job is cancelled and its run closed aborted.

    The crawl closes its run itself on SIGTERM (cancel.json), aborted whatever it did so far,
    as a local crawl stopped at shutdown does: its pages answer 2 s late, one at a time, so
    it ends well within the 5 s before SIGKILL.
    """
    first = last_run_id(archive)
    config = tmp_path / "presswatch.toml"
    with slow_site(tmp_path, range(14, 20), 2) as server:
        config.write_text(
            f"""database = "{archive}"
[daemon]
replay = "{server.url}"
shutdown_grace = 0
log_dir = "{tmp_path / "logs"}"
backend = "scrapyd"
[daemon.scrapyd]
nodes = ["{nodes[1].url}"]
poll_interval = "100ms"
[defaults]
enabled = false
[sources.sco]
enabled = true
interval = "1s"
jitter = 0
max_pages = 1
[sources.sco.politeness]
CONCURRENT_REQUESTS = 1
""",
            encoding="utf-8",
        )
        process = DaemonProcess(config)
        try:
            wait_for(lambda: runs_since(archive, first), 60, "the crawl's run on the node")
            process.terminate(timeout=30)
        finally:
            process.kill()
    assert process.proc.returncode == 0, process.output()
    [run] = runs_since(archive, first)
    assert (run.status, run.health) == ("aborted", STOPPED), run.counts
    assert run.counts.get("new", 0) < 6
    assert run.job in {j["id"] for j in nodes[1].jobs()["finished"]}
    assert f"job {run.job} on {nodes[1].url} cancelled (SIGTERM)" in process.output()


def test_a_configured_source_is_crawled_on_the_nodes(
    nodes: list[Node], archive: str, tmp_path: Path
) -> None:
    """A [sources.KEY] with a feed: the job runs the spider ``site`` with ``source=KEY``, its
    definition in the PRESSWATCH_SITE setting (the node has no presswatch.toml)."""
    key = "ns_nodes"
    table = {"enabled": True, "name": "Northsea Port Authority", "url": BASE_URL,
             "feed": "/feed/atom/"}  # fmt: skip
    first = last_run_id(archive)
    urls = [n.url for n in nodes]
    with serve(write_northsea(tmp_path / "northsea")) as server:
        runner = daemon(tmp_path, archive, server.url, urls, sources={key: table})
        assert crawl(runner, key) == "ok"
        assert crawl(runner, key) == "ok"  # the unchanged feed again: nothing new
    runs = runs_since(archive, first)
    assert [(r.status, r.counts.get("new", 0)) for r in runs] == [("ok", 4), ("ok", 0)]
    for run in runs:
        node = next(n for n in nodes if n.url == run.node)
        [job] = [j for j in node.jobs()["finished"] if j["id"] == run.job]
        # The spider read the definition from PRESSWATCH_SITE: the node's folder (its working
        # directory) has no presswatch.toml to read it from.
        assert job["spider"] == "site" and not (node.folder / "presswatch.toml").exists()
        [log] = [p for p in (tmp_path / "logs").glob(f"{key}-*.log") if run.job in p.read_text()]
        assert f"{key} run {run.id} ok" in log.read_text()  # the pipeline's last line
    engine, sessions = open_archive(archive)
    with sessions() as session:
        source = session.scalar(select(Source).where(Source.key == key))
        assert source is not None and source.name == "Northsea Port Authority"
        found = session.execute(
            select(Release.url, func.count(ReleaseVersion.id))
            .join(ReleaseVersion, ReleaseVersion.release_id == Release.id)
            .where(Release.source_id == source.id)
            .group_by(Release.url)
        ).all()
    engine.dispose()
    assert sorted(found) == sorted((p.url.rstrip("/"), 1) for p in POSTS)


def test_the_archive_setting_is_one_name() -> None:
    assert ARCHIVE_SETTING == PIPELINE_ARCHIVE_SETTING


def test_the_archive_has_an_id(archive: str) -> None:
    engine = make_engine(archive)
    assert len(archive_id(engine) or "") == 36
    engine.dispose()


@pytest.mark.parametrize(
    ("status", "body", "message"),
    [
        (401, "", "HTTP 401 Unauthorized: check the node's username and password"),
        (503, "", "HTTP 503 Service Unavailable"),
        (200, '{"status": "error", "message": "spider \'x\' not found"}',
         "Scrapyd: spider 'x' not found"),
        (200, "<html>", "schedule.json answered no JSON (is this a Scrapyd node?)"),
    ],
)  # fmt: skip
def test_a_refusing_node_is_one_line(status: int, body: str, message: str) -> None:
    node = ApiNode(NodeConfig("http://node:6800", "u", "p"), 1.0)
    node.client = httpx.Client(
        base_url="http://node:6800/",
        transport=httpx.MockTransport(lambda _: httpx.Response(status, text=body)),
    )
    with pytest.raises(NodeError) as raised:
        node.call("schedule.json", data={"project": "presswatch"})
    assert str(raised.value) == message


@pytest.mark.parametrize(
    ("daemon_table", "message"),
    [
        ({"backend": "cluster"}, "daemon.backend: 'cluster' is not one of local, scrapyd"),
        ({"backend": "scrapyd"}, "daemon.scrapyd.nodes: the scrapyd backend needs at least one node"),
        ({"scrapyd": {"nodes": ["http://u:p@h:6800"]}},
         "daemon.scrapyd.nodes[0].url: give the credentials as username and password"),
        ({"scrapyd": {"nodes": [{"url": "http://h:6800", "slots": 0}]}},
         "daemon.scrapyd.nodes[0].slots: must be at least 1, got 0"),
        ({"scrapyd": {"nodes": [{"url": "http://h", "password": "p"}]}},
         "daemon.scrapyd.nodes[0].password: a password needs a username"),
        ({"scrapyd": {"nodes": ["http://h:1", "http://h:1/"]}},
         "daemon.scrapyd.nodes: http://h:1 is listed twice"),
    ],
)  # fmt: skip
def test_config_errors_name_the_key(daemon_table: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError) as raised:
        parse_config({"daemon": daemon_table}, ["sco"])
    assert str(raised.value) == message


def test_node_tables_read() -> None:
    config = parse_config(
        {"daemon": {"backend": "scrapyd", "scrapyd": {"project": "pw", "poll_interval": "500ms",
         "nodes": ["http://a:6800/", {"url": "http://b:6800", "username": "u",
                                      "password": "p", "slots": 3}]}}},
        ["sco"],
    )  # fmt: skip
    scrapyd = config.daemon.scrapyd
    assert [n.url for n in scrapyd.nodes] == ["http://a:6800", "http://b:6800"]
    assert (scrapyd.nodes[1].slots, scrapyd.project, scrapyd.poll_interval) == (3, "pw", 0.5)
    assert "p" not in repr(scrapyd.nodes[1]).replace("http", "")


def test_the_examples_scrapyd_lines_read(tmp_path: Path) -> None:
    """The commented-out backend and [daemon.scrapyd] lines of the example, switched on."""
    text = (Path(__file__).parent.parent / "presswatch.example.toml").read_text("utf-8")
    head, rest = text.split("# [daemon.scrapyd]\n", 1)
    table, tail = rest.split("\n\n", 1)
    head = head.replace('# backend = "scrapyd"', 'backend = "scrapyd"')
    on = "\n".join(line.removeprefix("# ") for line in table.splitlines())
    (tmp_path / "on.toml").write_text(f"{head}[daemon.scrapyd]\n{on}\n\n{tail}", "utf-8")
    daemon_config = load_config(tmp_path / "on.toml", ["osce", "sco", "unis", "unodc"]).daemon
    assert daemon_config.backend == "scrapyd"
    assert [(n.url, n.username, n.slots) for n in daemon_config.scrapyd.nodes] == [
        ("http://scrapyd1:6800", None, 1), ("http://scrapyd2:6800", "pw", 4),
    ]  # fmt: skip


def mocked_backend(running: dict[str, int], slots: int = 1) -> tuple[ScrapydBackend, list[str]]:
    """A backend over nodes a and b answering daemonstatus.json with ``running`` jobs."""
    nodes = tuple(NodeConfig(f"http://{name}:6800", slots=slots) for name in running)
    backend = ScrapydBackend(ScrapydConfig(nodes=nodes, poll_interval=0.05),
                             make_engine("sqlite://"), "id", threading.Event())  # fmt: skip
    scheduled: list[str] = []
    for node, name in zip(backend.nodes, running, strict=True):

        def answer(request: httpx.Request, name: str = name) -> httpx.Response:
            if request.url.path.endswith("schedule.json"):
                scheduled.append(name)
                return httpx.Response(200, json={"status": "ok", "jobid": "j"})
            return httpx.Response(200, json={"status": "ok", "running": running[name],
                                             "pending": 0})  # fmt: skip

        node.client = httpx.Client(base_url=node.url + "/", transport=httpx.MockTransport(answer))
    return backend, scheduled


def test_the_node_with_free_slots_gets_the_job() -> None:
    backend, scheduled = mocked_backend({"a": 2, "b": 1}, slots=2)
    backend._schedule("sco", {"project": "presswatch"}, set(), time.monotonic() + 5)
    assert scheduled == ["b"]
    backend, scheduled = mocked_backend({"a": 0, "b": 0})
    for _ in range(2):  # as free as each other: the one used least recently
        backend._schedule("sco", {}, set(), time.monotonic() + 5)
    backend._schedule("sco", {}, {"http://a:6800"}, time.monotonic() + 5)  # a: last resort
    assert scheduled == ["a", "b", "b"]


def test_every_node_full_waits_until_the_timeout() -> None:
    backend, scheduled = mocked_backend({"a": 1, "b": 1})
    with pytest.raises(NoNode, match="^no Scrapyd node had a free slot before the timeout$"):
        backend._schedule("sco", {}, set(), time.monotonic() + 0.2)
    assert scheduled == []
