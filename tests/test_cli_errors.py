"""Input a user can get wrong ends in one line and a non-zero exit; passwords never show."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy.engine import make_url

from presswatch.cli import main
from storage.archive import Archive, ParsedRelease
from storage.db import DatabaseError, database_url, display_url, open_archive

RELEASE = ParsedRelease(source="osce", url="https://www.osce.org/secretariat/12",
                        title="Twelve", body="VIENNA - A release.")  # fmt: skip


def run(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = CliRunner(env=env).invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def one_line_error(code: int, out: str, err: str, message: str) -> None:
    assert code != 0 and message in err, (code, out, err)
    assert "Traceback" not in out + err and len(err.strip().splitlines()[-1]) < 300


@pytest.fixture
def twelve(db_url: str) -> str:
    """An archive whose release 1 exists (and a twelfth would be found by ASCII "12")."""
    engine, sessions = open_archive(db_url)
    Archive(sessions).record(RELEASE)
    engine.dispose()
    return db_url


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["show", "99999999999999999999999"], "no release '99999999999999999999999'"),
        (["show", "3000000000"], "no release '3000000000'"),  # beyond PostgreSQL's integer
        (["show", "²"], "no release '²'"),
        (["show", "١"], "no release '١'"),  # Arabic-Indic 1: not release 1
        (["show", "http://[::1"], "neither a release id nor a URL (Invalid IPv6 URL)"),
        (["show", "https://www.osce.org:99999/x"], "neither a release id nor a URL (Port"),
    ],
)
def test_bad_reference(twelve: str, args: list[str], message: str) -> None:
    one_line_error(*run("--db", twelve, *args), message)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["list", "-n", "99999999999999999999999"], "is not in the range"),
        (["list", "-q", "caf\udcc3"], "not valid UTF-8 text"),  # undecodable bytes in argv
        (["list", "-q", "\ud800"], "not valid UTF-8 text"),  # a lone surrogate
        (["history", "\udcff"], "not valid UTF-8 text"),
        (["diff", "1", "--from", "0"], "is not in the range"),
        (["show", "1", "--version", "99999999999999999999999"], "is not in the range"),
    ],
)
def test_bad_number_or_text(tmp_path: Path, args: list[str], message: str) -> None:
    one_line_error(*run("--db", str(tmp_path / "pw.db"), *args), message)


def test_ascii_id_still_works(twelve: str) -> None:
    code, out, err = run("--db", twelve, "show", "1")
    assert code == 0 and "Twelve" in out, err


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("sqlite:////etc/passwd/x.db", "/etc/passwd is not a folder"),
        ("/proc/presswatch.db", "cannot open the SQLite archive /proc/presswatch.db"),
        ("{tmp}/missing/pw.db", "the folder {tmp}/missing does not exist"),
        ("sqlite:///{tmp}/missing/pw.db", "the folder {tmp}/missing does not exist"),
        ("sqlite:///file:{tmp}/missing/pw.db?uri=true", "the folder {tmp}/missing does not exist"),
        ("{tmp}/junk.db", "{tmp}/junk.db is not a presswatch archive"),
        ("not a url://x", "not a database URL or path"),
    ],
)
def test_unusable_database(tmp_path: Path, target: str, message: str) -> None:
    (tmp_path / "junk.db").write_bytes(b"this is no SQLite file, but long enough to be read" * 40)
    target, message = target.format(tmp=tmp_path), message.format(tmp=tmp_path)
    for command in (["list"], ["show", "1"], ["db", "upgrade"]):
        one_line_error(*run("--db", target, *command), message)
    assert not (tmp_path / "missing").exists()  # an explicit path's folder is never created


def test_db_takes_a_plain_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    for db in ("./x.db", str(tmp_path / "y.db"), "~/z.db"):
        monkeypatch.setenv("HOME", str(tmp_path))
        code, _, err = run("--db", db, "list")
        assert code == 0 and "0 of 0 releases" in err, err
    assert {p.name for p in tmp_path.glob("*.db")} == {"x.db", "y.db", "z.db"}
    assert database_url("./x.db") == f"sqlite:///{tmp_path / 'x.db'}"


def test_only_the_default_data_folder_is_created(tmp_path: Path) -> None:
    env = {"XDG_DATA_HOME": str(tmp_path / "data"), "PRESSWATCH_DATABASE_URL": ""}
    code, _, err = run("list", env=env)
    assert code == 0, err
    assert (tmp_path / "data" / "presswatch" / "presswatch.db").is_file()


def test_open_archive_raises_database_error_for_a_file_that_is_not_one(tmp_path: Path) -> None:
    (tmp_path / "a.db").write_text("not sqlite " * 200)
    with pytest.raises(DatabaseError, match="not a presswatch archive"):
        open_archive(str(tmp_path / "a.db"))


SECRET = "s3cr3t-pa55"


def test_password_never_printed(pg_url: str, tmp_path: Path) -> None:
    """With a password in the URL (trust auth ignores it), and unreachable with one."""
    good = make_url(pg_url).set(password=SECRET).render_as_string(hide_password=False)
    away = f"postgresql://presswatch:{SECRET}@127.0.0.1:1/archive"
    broken = f"postgres ql://presswatch:{SECRET}@db/archive"
    config = tmp_path / "presswatch.toml"
    config.write_text('[defaults]\nenabled = false\n[notify]\ntargets = [{type = "log"}]\n')
    outputs = []
    for url in (good, away):
        for args in (["db", "upgrade"], ["list"], ["status", "--config", str(config)],
                     ["status", "--json", "--config", str(config)]):  # fmt: skip
            code, out, err = run("--db", url, *args)
            outputs.append(out + err)
            assert (code == 0) == (url == good), out + err
    for args in (["db", "upgrade"], ["list"]):
        outputs.append("".join(run("--db", broken, *args)[1:]))
    # the daemon logs to stderr: a subprocess, so its logging setup is its own
    for url in (good, away):
        proc = subprocess.run(
            [str(Path(sys.executable).parent / "presswatch"), "--db", url, "daemon", "--once",
             "--config", str(config)],
            capture_output=True, text=True, timeout=120, cwd=tmp_path,
            env={**os.environ, "PRESSWATCH_DATABASE_URL": ""},
        )  # fmt: skip
        outputs.append(proc.stdout + proc.stderr)
    assert re.search(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ INFO presswatch", outputs[-2], re.M)
    text = "\n".join(outputs)
    assert SECRET not in text and "***" in text
    assert display_url(good).count("***") == 1


def test_config_errors_name_the_key(tmp_path: Path) -> None:
    config = tmp_path / "presswatch.toml"
    config.write_text('[daemon]\nreplay = "not a url"\n')
    one_line_error(*run("status", "--config", str(config)), "daemon.replay: the replay server")
    config.write_text('[defaults.politeness]\nDOWNLOAD_DELAY = "abc"\n')
    one_line_error(
        *run("status", "--config", str(config)),
        "defaults.politeness.DOWNLOAD_DELAY: Scrapy's DOWNLOAD_DELAY takes a number",
    )
