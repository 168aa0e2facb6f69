"""The README's first two commands, as a new user meets them in a fresh clone.

The first sets presswatch up and runs the offline demo: it runs here verbatim in a fresh copy
of the checkout (its files without any venv, build or cache; CI tests a clean checkout). The
second runs the tests: it must be the command .ci/run runs, which is this suite itself.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from test_demo import assert_demo_story

ROOT = Path(__file__).resolve().parents[1]
# What a checkout gains by use, never by a clone: venvs, builds, caches, local archives.
LOCAL = (".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", ".pytest_cache",
         ".ruff_cache", "*.db", "*.db-wal", "*.db-shm")  # fmt: skip
pytestmark = pytest.mark.slow


def readme_commands() -> list[str]:
    """The shell blocks of README.md, in order."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return [block.strip() for block in re.findall(r"```sh\n(.*?)```", text, re.DOTALL)]


def test_the_first_two_commands_set_up_and_demo_then_test() -> None:
    setup, tests = readme_commands()[:2]
    assert setup.endswith("presswatch demo") and "pip install" in setup
    assert tests.endswith("pytest -n 2")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    install, _, run = tests.partition(" && .venv/bin/python -m pytest")
    assert install in ci and f".venv/bin/python -m pytest{run}" in ci


def test_the_setup_and_demo_command_works_in_a_fresh_copy(tmp_path: Path) -> None:
    clone = tmp_path / "presswatch"
    shutil.copytree(ROOT, clone, ignore=shutil.ignore_patterns(*LOCAL))
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env |= {"XDG_DATA_HOME": str(tmp_path / "data"), "XDG_STATE_HOME": str(tmp_path / "state"),
            "COLUMNS": "200"}  # fmt: skip
    result = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", readme_commands()[0]],
        cwd=clone, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert_demo_story(result.stdout)  # pip's warnings, if any, go to stderr
    assert (tmp_path / "data" / "presswatch" / "demo.db").is_file()
