"""Startup time of the `presswatch` command: `--help`, `list` and `status` on a small archive.

    python benchmarks/startup.py [--runs 10]

Each command runs ``--runs`` times as a fresh process; prints the median wall and user CPU
time per command and its ratio to a bare ``python -c pass``. On a busy machine compare user
CPU times: wall times then measure the other processes too.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PRESSWATCH = str(Path(sys.executable).parent / "presswatch")


def measure(cmd: list[str], runs: int) -> tuple[float, float]:
    """Median wall seconds and median user CPU seconds of ``cmd``."""
    walls, users = [], []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_utime
        start = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True)
        walls.append(time.perf_counter() - start)
        users.append(resource.getrusage(resource.RUSAGE_CHILDREN).ru_utime - before)
    return statistics.median(walls), statistics.median(users)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    runs = parser.parse_args().runs
    with tempfile.TemporaryDirectory() as tmp:
        db = str(Path(tmp) / "pw.db")
        subprocess.run([PRESSWATCH, "--db", db, "db", "upgrade"], check=True, capture_output=True)
        empty = Path(tmp) / "none.toml"
        empty.write_text("")
        commands = {
            "python -c pass": [sys.executable, "-c", "pass"],
            "presswatch --help": [PRESSWATCH, "--help"],
            "presswatch list": [PRESSWATCH, "--db", db, "list"],
            "presswatch status": [PRESSWATCH, "--db", db, "status", "--config", str(empty)],
        }
        base = None
        print(f"{'command':20} {'wall':>8} {'user CPU':>9} {'× python':>9}  (median of {runs})")
        for name, cmd in commands.items():
            wall, user = measure(cmd, runs)
            base = base or wall
            print(f"{name:20} {wall:7.3f}s {user:8.3f}s {wall / base:8.1f}×")
    print(f"load average: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
