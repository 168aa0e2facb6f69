"""The built sdist and wheel carry everything presswatch needs, and an installed copy works.

Nothing here runs from the checkout: the wheel is installed into a fresh venv (see
tests/wheel_install.py; .ci/run installs it once and hands it over in PRESSWATCH_WHEEL_INSTALL)
and every command runs from a directory outside the repository.
"""

from __future__ import annotations

import os
import subprocess
import tarfile
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_demo import assert_demo_story
from wheel_install import ENV_VAR, ROOT, Installed, install_wheel

pytestmark = pytest.mark.slow
PACKAGES = ("crawler", "presswatch", "scheduler", "storage")


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Installed]:
    given = os.environ.get(ENV_VAR)
    yield Installed(Path(given)) if given else install_wheel(tmp_path_factory.mktemp("wheel"))


def _package_files() -> set[str]:
    """Every file of the packages in the checkout: code and run-time data alike."""
    return {
        p.relative_to(ROOT).as_posix()
        for package in PACKAGES
        for p in (ROOT / package).rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }


def test_wheel_and_sdist_carry_every_package_file(installed: Installed) -> None:
    expected = _package_files()
    assert any(name.startswith("crawler/replay/demo/www.osce.org/") for name in expected)
    assert {"presswatch/web/templates/base.html", "presswatch/web/static/style.css"} <= expected
    wheel = set(zipfile.ZipFile(installed.archive("*.whl")).namelist())
    assert expected - wheel == set()
    with tarfile.open(installed.archive("*.tar.gz")) as sdist:
        names = set(sdist.getnames())
    top = next(iter(names)).split("/")[0]
    assert {f"{top}/{name}" for name in expected} - names == set()


def _run(installed: Installed, cwd: Path, *args: str) -> str:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env |= {"XDG_DATA_HOME": str(cwd / "data"), "XDG_STATE_HOME": str(cwd / "state"),
            "COLUMNS": "200", "PATH": f"{installed.bin}:{env['PATH']}"}  # fmt: skip
    result = subprocess.run(
        list(args), capture_output=True, text=True, cwd=cwd, env=env, timeout=300
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout + result.stderr


def test_installed_presswatch_runs_the_demo(installed: Installed, tmp_path: Path) -> None:
    where = _run(installed, tmp_path, "python", "-c", "import crawler, presswatch; "
                 "print(crawler.__file__, presswatch.__file__)")  # fmt: skip
    assert str(ROOT) not in where and str(installed.directory / "venv") in where
    assert "demo" in _run(installed, tmp_path, "presswatch", "--help")
    output = _run(installed, tmp_path, "presswatch", "--db", f"sqlite:///{tmp_path}/pw.db", "demo")
    assert_demo_story(output)


def test_the_scrapyd_egg_builds_from_a_wheel_install(installed: Installed, tmp_path: Path) -> None:
    """`presswatch deploy` needs no checkout: the egg holds the installed packages, all of them."""
    egg = tmp_path / "presswatch.egg"
    script = "import sys; from pathlib import Path; from presswatch.deploy import build_egg; " \
        "build_egg(Path(sys.argv[1]))"  # fmt: skip
    subprocess.run([str(installed.bin / "python"), "-c", script, str(egg)], check=True,
                   cwd=tmp_path, timeout=120)  # fmt: skip
    names = set(zipfile.ZipFile(egg).namelist())
    assert (
        "[scrapy]\nsettings = crawler.settings"
        in zipfile.ZipFile(egg).read("EGG-INFO/entry_points.txt").decode()
    )
    packaged = {n for n in zipfile.ZipFile(installed.archive("*.whl")).namelist()
                if n.split("/")[0] in PACKAGES and "__pycache__" not in n}  # fmt: skip
    assert {n for n in names if not n.startswith("EGG-INFO/")} == packaged
