"""Build presswatch's sdist and wheel and install the wheel into a fresh venv, as a user would.

Used by tests/test_wheel.py, and run once by .ci/run before the suite::

    python tests/wheel_install.py DIR    # DIR/dist: the archives, DIR/venv: the install

The test then reuses DIR (PRESSWATCH_WHEEL_INSTALL=DIR) instead of installing again.
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ENV_VAR = "PRESSWATCH_WHEEL_INSTALL"


@dataclass(frozen=True)
class Installed:
    directory: Path

    @property
    def dist(self) -> Path:
        return self.directory / "dist"

    @property
    def bin(self) -> Path:
        return self.directory / "venv" / "bin"

    def archive(self, pattern: str) -> Path:
        (found,) = self.dist.glob(pattern)
        return found


def install_wheel(directory: Path) -> Installed:
    """Build the sdist, the wheel from it, and install the wheel with its dependencies.

    The venv gets no pip of its own: this interpreter's pip installs into it, a few seconds
    saved. Raises RuntimeError with the output of a step that failed.
    """
    installed = Installed(directory)

    def run(*args: str | Path) -> None:
        command = [sys.executable, *map(str, args)]
        done = subprocess.run(command, cwd=directory, capture_output=True, text=True)
        if done.returncode:
            raise RuntimeError(f"{' '.join(command)} failed:\n{done.stdout}{done.stderr}")

    run("-m", "build", "--outdir", installed.dist, ROOT)
    run("-m", "venv", "--without-pip", directory / "venv")
    run("-m", "pip", "--python", installed.bin / "python", "install", installed.archive("*.whl"))
    return installed


if __name__ == "__main__":
    target = Path(sys.argv[1]).resolve()
    target.mkdir(parents=True, exist_ok=True)
    print(install_wheel(target).bin / "presswatch")
