"""Startup stays light: commands that read the archive import neither Scrapy nor trafilatura."""

from __future__ import annotations

import json
import subprocess
import sys

import click
from alembic.config import Config
from alembic.script import ScriptDirectory

from presswatch.cli import COMMANDS, SUMMARIES, main
from storage.db import MIGRATIONS, schema_head

HEAVY = ("scrapy", "twisted", "trafilatura", "alembic", "httpx")
PROBE = """
import json, sys
from presswatch.cli import main
for args in json.loads(sys.argv[1]):
    try:
        main(args)
    except SystemExit:
        pass
print(json.dumps(sorted(m for m in {heavy} if m in sys.modules)), file=sys.stderr)
"""


def imported(*commands: list[str]) -> list[str]:
    """The heavy modules imported by running ``commands`` one after another in one process."""
    proc = subprocess.run(
        [sys.executable, "-c", PROBE.format(heavy=HEAVY), json.dumps(commands)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    return json.loads(proc.stderr.strip().splitlines()[-1])


def test_reading_commands_import_no_crawler(tmp_path) -> None:
    db = str(tmp_path / "pw.db")
    assert imported(["--db", db, "db", "upgrade"]) == ["alembic"]  # a new archive: migrated
    (tmp_path / "pw.toml").write_text("[defaults]\nenabled = false\n")
    reading = [["list"], ["show", "1"], ["history", "1"], ["diff", "1"], ["list", "-s", "osce"],
               ["status"], ["status", "--json", "--config", str(tmp_path / "pw.toml")]]  # fmt: skip
    assert imported(["--help"], *(["--db", db, *args] for args in reading)) == []


def test_help_summaries_match_the_commands() -> None:
    assert list(SUMMARIES) == list(COMMANDS)
    ctx = click.Context(main)
    for name, summary in SUMMARIES.items():
        command = main.get_command(ctx, name)
        assert command is not None and command.help
        assert command.help.split("\n\n")[0].strip() == summary, name


def test_schema_head_is_alembics() -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    assert schema_head() == ScriptDirectory.from_config(config).get_current_head()
