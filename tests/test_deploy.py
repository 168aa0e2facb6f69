"""The Scrapyd egg: built, deployed to local Scrapyd nodes, crawling into PostgreSQL from them.

The nodes run on a Python that sees presswatch only through the deployed egg
(tests/scrapyd_support.py), so these crawls prove the egg carries what a crawl needs.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner
from scrapyd_support import (
    REPLAY_SETTINGS,
    Node,
    deploy,
    egg_path,
    free_port,
    scrapyd_nodes,
)
from sqlalchemy import func, select
from test_json_shapes import documented, same_shape

from crawler.replay.demo import DEMO_SNAPSHOT
from crawler.replay.server import serve
from presswatch.cli import main
from presswatch.deploy import PACKAGES, PROJECT, upload
from storage.db import open_archive
from storage.models import CrawlRun, Release, Source

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parent.parent
AUTH = ("pw", "s3cret")
SPIDERS = ["osce", "sco", "unis", "unodc"]


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("scrapyd")


@pytest.fixture(scope="module")
def nodes(folder: Path) -> Iterator[list[Node]]:
    """Two deployed nodes, the second with basic auth; their crawls get an empty archive."""
    env = {"PRESSWATCH_DATABASE_URL": f"sqlite:///{folder / 'empty.db'}"}
    with (
        scrapyd_nodes(folder / "plain", 1, env) as plain,
        scrapyd_nodes(folder / "auth", 1, env, auth=AUTH) as secured,
    ):
        deploy([*plain, *secured], egg_path(folder))
        yield [*plain, *secured]


def test_both_nodes_list_the_eggs_spiders(nodes: list[Node]) -> None:
    for node in nodes:
        assert node.get("listspiders", project=PROJECT)["spiders"] == SPIDERS
        assert node.get("listversions", project=PROJECT)["versions"] == ["1"]


def test_upload_failures_name_the_node_and_the_reason(nodes: list[Node], folder: Path) -> None:
    egg = egg_path(folder).read_bytes()
    refused = upload(nodes[1].url, egg, "2", ("pw", "wrong"))
    assert (refused.status, refused.message) == ("refused", "HTTP 401 wrong username or password")
    down = upload(f"http://127.0.0.1:{free_port()}", egg, "2")
    assert down.status == "unreachable" and not down.ok
    broken = upload(nodes[0].url, b"PK\x05\x06" + bytes(18), "2")  # an empty zip: no egg
    assert broken.status == "refused" and "BadEggError" in broken.message, broken.message
    garbage = upload(nodes[0].url, b"not a zip", "3")  # refused before Scrapyd keeps it
    assert garbage.status == "refused" and garbage.message.startswith("egg is not a ZIP file")
    assert nodes[0].get("listversions", project=PROJECT)["versions"] == ["1"]


def test_the_egg_carries_the_packages_and_their_data(folder: Path) -> None:
    with zipfile.ZipFile(egg_path(folder)) as egg:
        names = set(egg.namelist())
        entry_points = egg.read("EGG-INFO/entry_points.txt").decode()
    assert "[scrapy]\nsettings = crawler.settings" in entry_points
    for name in ("crawler/settings.py", "crawler/spiders/osce.py", "storage/archive.py",
                 "storage/migrations/versions/0001_initial_archive_schema.py",
                 "storage/migrations/script.py.mako", "presswatch/web/templates/base.html"):  # fmt: skip
        assert name in names
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]


def test_scrapyd_deploy_builds_an_egg_from_scrapy_cfg(tmp_path: Path, folder: Path) -> None:
    """`scrapyd-deploy --build-egg` (setup.py over pyproject.toml) packs the same modules.

    It builds in the folder of scrapy.cfg: a copy of the project's files, not the checkout.
    """
    project = tmp_path / "project"
    project.mkdir()
    for name in ("scrapy.cfg", "setup.py", "pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, project / name)
    for package in PACKAGES:
        shutil.copytree(ROOT / package, project / package,
                        ignore=shutil.ignore_patterns("__pycache__"))  # fmt: skip
    script = Path(sys.executable).with_name("scrapyd-deploy")
    built = tmp_path / "deploy.egg"
    result = subprocess.run(
        [str(script), "--build-egg", str(built)], cwd=project, capture_output=True, text=True,
        timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    with zipfile.ZipFile(built) as theirs, zipfile.ZipFile(egg_path(folder)) as ours:
        modules = {n for n in theirs.namelist() if n.endswith(".py")}
        assert modules == {n for n in ours.namelist() if n.endswith(".py")}
        assert (
            "[scrapy]\nsettings = crawler.settings"
            in theirs.read("EGG-INFO/entry_points.txt").decode()
        )


def test_a_node_refuses_to_crawl_into_an_archive_it_would_have_to_migrate(
    nodes: list[Node],
) -> None:
    """Alembic needs real files, the egg is zipped: the crawl fails and says what to run."""
    job = nodes[0].schedule("sco", **REPLAY_SETTINGS, PRESSWATCH_REPLAY="http://127.0.0.1:9")
    nodes[0].wait_finished({job})
    log = nodes[0].job_log("sco", job)
    assert "a crawl on a Scrapyd node does not migrate: run `presswatch db upgrade`" in log


def test_killing_a_node_kills_its_crawls(folder: Path) -> None:
    """kill(): the node and its running crawl die together, as with a machine that failed."""
    with socket.socket() as silent:  # accepts connections and never answers: the crawl hangs
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        replay = f"http://127.0.0.1:{silent.getsockname()[1]}"
        with scrapyd_nodes(folder / "doomed", 1) as (node,):
            deploy([node], egg_path(folder))
            node.schedule("osce", **REPLAY_SETTINGS, PRESSWATCH_REPLAY=replay)
            pid = wait_running(node)
            node.kill()
            assert wait_gone(pid), f"crawl {pid} outlived its node"
            assert node.process.poll() is not None


def test_a_crawl_scheduled_on_a_node_archives_into_postgresql(pg_url: str, folder: Path) -> None:
    engine, sessions = open_archive(pg_url)  # the daemon migrates; nodes never do
    try:
        with (
            serve(DEMO_SNAPSHOT) as replay,
            scrapyd_nodes(folder / "pg", 1, {"PRESSWATCH_DATABASE_URL": pg_url}) as (node,),
        ):
            deploy([node], egg_path(folder))
            job = node.schedule("unodc", **REPLAY_SETTINGS, PRESSWATCH_REPLAY=replay.url)
            node.wait_finished({job})
            log, listing = node.job_log("unodc", job), str(node.jobs())
            saved = {page.url for page in replay.snapshot.pages().values()}
        with sessions() as s:
            runs = list(s.scalars(select(CrawlRun)))
            urls = list(s.scalars(select(Release.url).join(Source).where(Source.key == "unodc")))
            count = s.scalar(select(func.count()).select_from(Release))
    finally:
        engine.dispose()
    assert [(r.status, r.counts["new"]) for r in runs] == [("ok", len(urls))], log[-3000:]
    assert urls and count == len(urls) == len(set(urls))
    assert set(urls) <= saved
    schema = re.search(r"pw_test_[0-9a-f]+", pg_url)
    assert schema and schema[0] not in log and schema[0] not in listing  # the node's env only


def wait_running(node: Node, timeout: float = 60.0) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        running = node.jobs()["running"]
        if running and running[0].get("pid"):
            return int(running[0]["pid"])
        time.sleep(0.1)
    raise TimeoutError(f"{node.url}: no crawl running after {timeout:.0f}s")


def wait_gone(pid: int, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.05)
    return False


def test_scrapyd_deploy_is_installed() -> None:
    assert shutil.which("scrapyd-deploy", path=str(Path(sys.executable).parent))


def write_config(path: Path, nodes: list[Node]) -> Path:
    tables = "".join(
        f'[[daemon.scrapyd.nodes]]\nurl = "{n.url}"\n'
        + (f'username = "{n.auth[0]}"\npassword = "{n.auth[1]}"\n' if n.auth else "")
        for n in nodes
    )
    path.write_text(tables, encoding="utf-8")
    return path


def run_deploy(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["deploy", *args])
    return result.exit_code, result.output


def test_deploy_uploads_to_every_configured_node(nodes: list[Node], tmp_path: Path) -> None:
    config = write_config(tmp_path / "presswatch.toml", nodes)
    code, output = run_deploy("--config", str(config), "--json")
    assert code == 0, output
    answer = json.loads(output)
    same_shape(answer, documented("`presswatch deploy"))
    assert [(n["node"], n["status"], n["spiders"]) for n in answer["nodes"]] == [
        (node.url, "ok", 4) for node in nodes
    ]
    for node in nodes:  # the newest version is the one Scrapyd runs
        assert node.get("listversions", project=PROJECT)["versions"][-1] == answer["version"]
    assert "s3cret" not in output


def test_deploy_reports_each_node_and_fails_when_one_did(nodes: list[Node], tmp_path: Path) -> None:
    down = f"http://127.0.0.1:{free_port()}"
    config = write_config(tmp_path / "presswatch.toml", nodes)
    code, output = run_deploy("--config", str(config), "--node", down, "--node", nodes[1].url)
    assert code == 1
    lines = [line.split("\t") for line in output.splitlines()]
    assert lines[0] == ["NODE", "STATUS", "MESSAGE"]
    assert [line[:2] for line in lines[1:]] == [[down, "unreachable"], [nodes[1].url, "ok"]]
    empty = tmp_path / "empty.toml"
    empty.write_text("", encoding="utf-8")
    code, output = run_deploy("--config", str(empty), "--node", nodes[1].url)  # no credentials
    assert code == 1 and "refused\tHTTP 401 wrong username or password" in output


def test_deploy_needs_nodes_and_names_a_bad_one(tmp_path: Path) -> None:
    empty = tmp_path / "presswatch.toml"
    empty.write_text("", encoding="utf-8")
    code, output = run_deploy("--config", str(empty))
    assert code == 1 and "no Scrapyd nodes: give --node URL" in output
    code, output = run_deploy("--config", str(empty), "--node", "scrapyd1:6800")
    assert code == 1 and "not a Scrapyd node URL: 'scrapyd1:6800'" in output
    code, output = run_deploy("--config", str(empty), "--node", "http://pw:hush@scrapyd1:6800")
    assert code == 1 and "credentials" in output and "hush" not in output


def test_the_node_image_command_gives_scrapyd_its_credentials(tmp_path: Path) -> None:
    """The Dockerfile's node CMD, run here: Scrapyd asks for the environment's credentials."""
    node_stage = (ROOT / "Dockerfile").read_text().split("AS node", 1)[1].split("\nFROM ", 1)[0]
    command = json.loads(re.search(r"^CMD (\[.*\])$", node_stage, re.M)[1])
    port = free_port()
    (tmp_path / "scrapyd.conf").write_text(
        f"[scrapyd]\nbind_address = 127.0.0.1\nhttp_port = {port}\n"
    )
    env = {**os.environ, "HOME": str(tmp_path), "SCRAPYD_USERNAME": "pw", "SCRAPYD_PASSWORD": "a b",
           "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}  # fmt: skip
    process = subprocess.Popen(command, cwd=tmp_path, env=env, start_new_session=True,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        url = f"http://127.0.0.1:{port}/daemonstatus.json"
        deadline = time.monotonic() + 30
        while True:
            try:
                answer = httpx.get(url, auth=("pw", "a b"), timeout=5)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline and process.poll() is None, "no Scrapyd"
                time.sleep(0.1)
        assert answer.json()["status"] == "ok"
        assert httpx.get(url, timeout=5).status_code == 401
        assert oct((tmp_path / ".scrapyd.conf").stat().st_mode & 0o777) == "0o600"
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
