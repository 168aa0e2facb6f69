"""Scrapyd nodes for tests and benchmarks: started on 127.0.0.1, deployed to, stopped, killed.

Each node is ``python -m scrapyd`` in a folder of its own with its own scrapyd.conf (free
port, short poll interval, its own eggs, logs and job queue). It runs on an "egg-only"
Python: a venv that sees this venv's libraries but not its editable presswatch install,
so the node's crawls run the deployed egg's code, as on a real node. Each node leads its
own process group, so ``kill()`` takes its crawls down with it, as a crashed machine would.

    with scrapyd_nodes(tmp, 2, env={"PRESSWATCH_DATABASE_URL": url}) as nodes:
        deploy(nodes, egg_path(tmp))
        job = nodes[0].schedule("osce", PRESSWATCH_REPLAY=replay.url)
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import sysconfig
import time
import venv
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from presswatch.deploy import PROJECT, Upload, build_egg, upload

START_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0
# The spiders' settings a crawl of a replay snapshot takes (scheduler.runner.CrawlOptions).
REPLAY_SETTINGS = {"DOWNLOAD_DELAY": "0", "AUTOTHROTTLE_ENABLED": "0", "RETRY_BACKOFF_BASE": "0.2"}

CONF = """[scrapyd]
bind_address = 127.0.0.1
http_port = {port}
username = {username}
password = {password}
poll_interval = {poll_interval}
max_proc = {max_proc}
eggs_dir = {folder}/eggs
logs_dir = {folder}/logs
dbs_dir = {folder}/dbs
items_dir =
jobs_to_keep = 100
finished_to_keep = 1000
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def egg_only_python(folder: Path) -> Path:
    """A venv's python that imports this venv's libraries but presswatch only from an egg.

    A path line in a .pth file adds the folder without running the .pth files in it, so the
    editable install's import hook (``__editable__*.pth``) stays out.
    """
    python = folder / "bin" / "python"
    if not python.exists():
        venv.EnvBuilder(with_pip=False, symlinks=True).create(folder)
        version = f"python{sys.version_info.major}.{sys.version_info.minor}"
        libs = folder / "lib" / version / "site-packages"
        (libs / "presswatch_libs.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return python


def egg_path(folder: Path) -> Path:
    """The egg `presswatch deploy` uploads, built into ``folder`` once."""
    path = folder / f"{PROJECT}.egg"
    return path if path.exists() else build_egg(path)


@dataclass
class Node:
    """One running Scrapyd."""

    url: str
    folder: Path
    process: subprocess.Popen[bytes]
    auth: tuple[str, str] | None = None
    client: httpx.Client = field(init=False)

    def __post_init__(self) -> None:
        self.client = httpx.Client(base_url=self.url, auth=self.auth, timeout=60)

    def get(self, endpoint: str, **params: str) -> dict[str, Any]:
        return self._json(self.client.get(f"/{endpoint}.json", params=params))

    def post(self, endpoint: str, data: dict[str, str | list[str]]) -> dict[str, Any]:
        return self._json(self.client.post(f"/{endpoint}.json", data=data))

    @staticmethod
    def _json(response: httpx.Response) -> dict[str, Any]:
        response.raise_for_status()
        answer: dict[str, Any] = response.json()
        if answer.get("status") != "ok":
            raise RuntimeError(f"{response.url}: {answer.get('message', answer)}")
        return answer

    def schedule(
        self, spider: str, *, spider_args: dict[str, str] | None = None, **settings: str
    ) -> str:
        """Schedule a crawl of the deployed project with these Scrapy settings; its job id."""
        setting = [f"{key}={value}" for key, value in settings.items()]
        data = {**(spider_args or {}), "project": PROJECT, "spider": spider, "setting": setting}
        return str(self.post("schedule", data)["jobid"])

    def jobs(self) -> dict[str, list[dict[str, Any]]]:
        """listjobs.json: the pending, running and finished jobs."""
        answer = self.get("listjobs", project=PROJECT)
        return {state: answer[state] for state in ("pending", "running", "finished")}

    def wait_finished(self, jobs: set[str], timeout: float = 120.0) -> list[dict[str, Any]]:
        """Wait until Scrapyd lists every job in ``jobs`` as finished; their entries."""
        deadline = time.monotonic() + timeout
        while True:
            done = [j for j in self.jobs()["finished"] if j["id"] in jobs]
            if len(done) == len(jobs):
                return done
            if time.monotonic() > deadline:
                raise TimeoutError(f"{self.url}: jobs not finished after {timeout:.0f}s: {jobs}")
            time.sleep(0.1)

    def job_log(self, spider: str, job: str) -> str:
        path = self.folder / "logs" / PROJECT / spider / f"{job}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def kill(self) -> None:
        """SIGKILL the node and its crawls (its process group): a machine that died."""
        self.client.close()
        _signal_group(self.process, signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        """Stop the node; crawls still running end with it."""
        self.client.close()
        if self.process.poll() is None:
            self.process.terminate()
            with suppress(subprocess.TimeoutExpired):
                self.process.wait(STOP_TIMEOUT)
        _signal_group(self.process, signal.SIGKILL)  # its crawls, and itself if it hung
        self.process.wait()


def _signal_group(process: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    with suppress(ProcessLookupError):  # the group is gone already
        os.killpg(process.pid, sig)


def start_node(
    folder: Path, python: Path, env: dict[str, str] | None = None, *,
    auth: tuple[str, str] | None = None, max_proc: int = 4, poll_interval: float = 0.2,
) -> Node:  # fmt: skip
    """Start one Scrapyd in ``folder`` and wait until ``daemonstatus.json`` answers.

    ``env`` is added to the node's environment (e.g. PRESSWATCH_DATABASE_URL for its crawls).
    """
    folder.mkdir(parents=True, exist_ok=True)
    port = free_port()
    username, password = auth or ("", "")
    (folder / "scrapyd.conf").write_text(
        CONF.format(
            port=port,
            username=username,
            password=password,
            folder=folder,
            poll_interval=poll_interval,
            max_proc=max_proc,
        )
    )
    node_env = {k: v for k, v in os.environ.items() if not k.startswith(("SCRAPY", "PYTHONPATH"))}
    node_env.update(env or {}, PYTHONUNBUFFERED="1")
    with (folder / "scrapyd.out").open("wb") as out:
        process = subprocess.Popen(
            [str(python), "-m", "scrapyd"], cwd=folder, env=node_env, stdout=out,
            stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    node = Node(f"http://127.0.0.1:{port}", folder, process, auth)
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        try:
            node.get("daemonstatus")
            return node
        except (httpx.TransportError, httpx.HTTPStatusError):
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            node.stop()
            output = (folder / "scrapyd.out").read_text(errors="replace")[-3000:]
            raise RuntimeError(f"Scrapyd in {folder} did not start:\n{output}")
        time.sleep(0.1)


@contextmanager
def scrapyd_nodes(
    folder: Path, count: int, env: dict[str, str] | None = None, **options: Any
) -> Iterator[list[Node]]:
    """``count`` running nodes in ``folder``/node1…, stopped at the end."""
    python = egg_only_python(folder / "node-python")
    nodes: list[Node] = []
    try:
        for n in range(1, count + 1):
            nodes.append(start_node(folder / f"node{n}", python, env, **options))
        yield nodes
    finally:
        for node in nodes:
            node.stop()


def deploy(nodes: list[Node], egg: Path, version: str = "1") -> list[Upload]:
    """Upload ``egg`` to every node, as `presswatch deploy` does; RuntimeError if one refused."""
    data = egg.read_bytes()
    uploads = [upload(node.url, data, version, node.auth) for node in nodes]
    failed = [f"{u.node}: {u.status}: {u.message}" for u in uploads if not u.ok]
    if failed:
        raise RuntimeError("deploy failed: " + "; ".join(failed))
    return uploads
