"""Every page and API route of `presswatch web` on a crawled demo archive plus a hostile
release: the API has the CLI's --json shapes, archived content never comes back as markup,
the archive is only read, and failures are clear pages."""

from __future__ import annotations

import base64
import json
import re
import warnings
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from web_support import CONFIG, HOSTILE_URL, LIVE, RAW_HTML

from presswatch.cli import main
from storage.archive import Archive, ParsedRelease, finish_run, start_run
from storage.db import DatabaseError, make_engine, open_archive, open_read_only
from storage.models import CrawlRun
from storage.notifications import recent_events

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # starlette's notice about httpx
    from starlette.testclient import TestClient

from presswatch.web.app import CSP, create_app  # noqa: E402


@pytest.fixture(scope="module")
def client(web_client: TestClient) -> TestClient:
    return web_client


@pytest.fixture(scope="module")
def ids(client: TestClient, web_archive: tuple[str, int]) -> dict[str, int]:
    """A changed release of the demo (its first changed event) and the hostile release."""
    changed = client.get("/api/events", params={"kind": "changed", "source": "osce"}).json()
    edit = next(e for e in changed if e["url"] != HOSTILE_URL)  # "more than 200" → "250"
    return {"changed": edit["release_id"], "hostile": web_archive[1]}


def _pages(ids: dict[str, int]) -> list[str]:
    c, h = ids["changed"], ids["hostile"]
    return [
        "/", "/?source=osce&kind=changed", "/?q=trafficking", "/releases", "/releases?q=drug",
        "/releases?source=unodc&status=active&since=2010-01-01&until=2030-01-01", f"/releases/{c}",
        f"/releases/{c}?version=1", f"/releases/{c}/diff", f"/releases/{c}/diff?from=1&to=2&view=side",
        "/sources", "/feeds", f"/releases/{h}", f"/releases/{h}/diff?view=side", f"/releases/{h}/diff",
        "/releases?q=hostile", "/?q=hostile",
    ]  # fmt: skip


def test_every_page_answers_with_security_headers(client: TestClient, ids: dict[str, int]) -> None:
    for path in _pages(ids):
        response = client.get(path)
        assert response.status_code == 200, (path, response.text[:500])
        assert response.headers["content-type"] == "text/html; charset=utf-8"
        assert response.headers["content-security-policy"] == CSP, path
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "no-referrer"
        assert "<script" not in response.text and 'href="#main"' in response.text, path
    assert "script-src" not in CSP and "unsafe-inline" not in CSP
    css = client.get("/static/style.css")
    assert css.status_code == 200 and ":focus-visible" in css.text and "@media" in css.text


def _cli_json(url: str, *args: str) -> object:
    result = CliRunner().invoke(main, ["--db", url, *args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_api_has_the_cli_json_shapes(client: TestClient, ids: dict[str, int], web_archive) -> None:
    url, c = web_archive[0], str(ids["changed"])
    same = {
        "/api/releases?limit=500": ("list", "-n", "500"),
        "/api/releases?q=drug&source=unodc": ("list", "-q", "drug", "-s", "unodc"),
        f"/api/releases/{c}": ("show", c),
        f"/api/releases/{c}/history": ("history", c),
        f"/api/releases/{c}/diff": ("diff", c),
        f"/api/releases/{c}/diff?from=2&to=1": ("diff", c, "--from", "2", "--to", "1"),
        f"/api/releases/{c}/versions/1/html": ("show", c, "--version", "1", "--html"),
    }
    for path, args in same.items():
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.json() == _cli_json(url, *args), path
    events = client.get("/api/events?limit=500").json()
    assert {e["kind"] for e in events} >= {"new", "changed", "removed"}
    order = [(e["at"], e["id"]) for e in events]
    assert order == sorted(order, reverse=True)  # newest first
    assert set(events[0]) == {"id", "kind", "at", "source", "source_name", "release_id", "url",
                              "title", "published", "version", "previous_version", "diff"}  # fmt: skip
    sources = client.get("/api/sources").json()
    assert [s["key"] for s in sources["sources"]] == ["osce", "sco", "unis", "unodc"]
    osce = sources["sources"][0]
    assert osce["last_run"]["status"] == "ok" and osce["runs"][0]["id"] == osce["last_run"]["id"]
    assert sources["archive"]["releases"] == len(client.get("/api/releases?limit=500").json())


def test_search_filters_and_highlights(client: TestClient) -> None:
    page = client.get("/releases", params={"q": "traffick*", "source": "unodc"}).text
    marked = re.findall(r"<mark>([^<]*)</mark>", page)
    assert marked and all(m.lower().startswith("traffick") for m in marked)  # a prefix search
    found = client.get("/api/releases", params={"q": "traffick*", "source": "unodc"}).json()
    assert found and {r["source"] for r in found} == {"unodc"}
    assert client.get("/api/releases", params={"q": "zzzznothing"}).json() == []
    assert "0 of 0 releases" in client.get("/releases?q=zzzznothing").text
    refused = client.get("/releases", params={"q": "(unclosed"})
    assert refused.status_code == 400 and "unbalanced parenthesis" in refused.text
    saved = client.get("/api/events", params={"q": "traffick*"}).json()
    assert saved and {e["release_id"] for e in saved} <= {r["id"] for r in client.get(
        "/api/releases", params={"q": "traffick*", "limit": 500}).json()}  # fmt: skip


def test_diff_page_inline_and_side_by_side(client: TestClient, ids: dict[str, int]) -> None:
    c = ids["changed"]
    api = client.get(f"/api/releases/{c}/diff").json()
    removed, added = (next(p["text"] for p in api["body"] if p["op"] == op) for op in "-+")
    assert (removed, added) == ("200", "250")
    old, new = api["from"]["number"], api["to"]["number"]
    inline = client.get(f"/releases/{c}/diff", params={"from": old, "to": new}).text
    assert f"<del>{removed}</del>" in inline and f"<ins>{added}</ins>" in inline
    side = client.get(f"/releases/{c}/diff", params={"from": old, "to": new, "view": "side"}).text
    left, right = side.split(f"<h2>v{new}</h2>")
    assert f"<del>{removed}</del>" in left and "<ins>" not in left
    assert f"<ins>{added}</ins>" in right and "<del>" not in right.split("</section>")[0]
    release = client.get(f"/releases/{c}").text
    assert f"/releases/{c}/diff?from={old}&amp;to={new}" in release  # the shareable link


def test_hostile_content_is_never_markup(client: TestClient, ids: dict[str, int]) -> None:
    h = ids["hostile"]
    for path in [*_pages(ids), "/feeds/events.atom", "/feeds/events.atom?q=hostile"]:
        body = client.get(path).text
        for live in LIVE:
            assert live not in body, (path, live)
    page = client.get(f"/releases/{h}").text
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in page
    assert f'href="{HOSTILE_URL}"' in page  # the original, an http(s) link
    assert "javascript:alert(1)" in page and 'href="javascript' not in page  # shown as text
    kept = client.get(f"/releases/{h}/versions/1/page.txt")
    assert kept.content == RAW_HTML
    assert kept.headers["content-type"] == "text/plain; charset=utf-8"
    assert kept.headers["content-security-policy"] == "sandbox"
    assert kept.headers["x-content-type-options"] == "nosniff"
    api = client.get(f"/api/releases/{h}")
    assert api.headers["content-type"] == "application/json"
    assert api.json()["version"]["title"].startswith("<script>")  # the data, exact


def test_bad_requests_are_clear_pages(client: TestClient, ids: dict[str, int]) -> None:
    c = ids["changed"]
    cases = {
        "/releases/999999": (404, "no release 999999 in the archive"),
        "/releases/99999999999999": (404, "no release 99999999999999"),
        f"/releases/{c}?version=9": (404, f"release {c} has no version 9"),
        f"/releases/{c}/diff?from=x": (400, "from must be a whole number"),
        f"/releases/{c}/diff?view=3d": (400, "view must be one of inline, side"),
        "/releases?since=yesterday": (400, "since must be a date as YYYY-MM-DD"),
        "/releases?status=gone": (400, "status must be one of active, removed"),
        "/?kind=edited": (400, "kind must be one of"),
        "/releases/1/versions/1/page.txt?x": (200, "<"),
    }
    for path, (status, message) in cases.items():
        response = client.get(path)
        assert response.status_code == status, path
        assert message in response.text, (path, response.text[:300])
    single = client.get("/api/events?kind=new&limit=1").json()[0]["release_id"]
    assert client.get(f"/api/releases/{single}/diff").json() == {
        "error": f"release {single} has only one version: nothing to compare"
    }
    assert client.get("/nowhere").status_code == 404
    assert client.post("/releases").status_code == 405


def test_database_failure_is_a_503_page(tmp_path, web_archive) -> None:
    broken = tmp_path / "broken.db"
    broken.write_bytes(Path(web_archive[0].removeprefix("sqlite:///")).read_bytes())
    engine, sessions = open_read_only(f"sqlite:///{broken}")
    client = TestClient(create_app(sessions, CONFIG))
    assert client.get("/").status_code == 200
    engine.dispose()
    broken.write_bytes(b"this is not a database" * 500)
    for path, kind in (("/", "text/html"), ("/api/releases", "application/json")):
        response = client.get(path)
        assert response.status_code == 503, path
        assert response.headers["content-type"].startswith(kind)
        assert "is not a presswatch archive" in response.text
    engine.dispose()


def test_token_guards_every_route(web_archive) -> None:
    engine, sessions = open_read_only(web_archive[0])
    client = TestClient(create_app(sessions, CONFIG, token="s3cret"))
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic !!"}):
        response = client.get("/api/events", headers=headers)
        assert response.status_code == 401 and response.headers["www-authenticate"].startswith(
            "Basic"
        )
    basic = "Basic " + base64.b64encode(b"me:s3cret").decode()
    for auth in ("Bearer s3cret", basic):
        assert client.get("/feeds/events.atom", headers={"Authorization": auth}).status_code == 200
    engine.dispose()


def test_web_command_refuses_what_it_cannot_serve(tmp_path) -> None:
    runner = CliRunner()
    result = runner.invoke(main, ["--db", str(tmp_path / "pw.db"), "web", "--host", "0.0.0.0"])
    assert result.exit_code == 1
    assert "--host 0.0.0.0 is reachable from other machines: set --token" in result.output
    result = runner.invoke(main, ["--db", str(tmp_path / "none.db"), "web"])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert (
        result.output == f"Error: no archive at {tmp_path / 'none.db'}: crawl first, or give --db\n"
    )
    assert not (tmp_path / "none.db").exists()
    (tmp_path / "empty.db").touch()
    result = runner.invoke(main, ["--db", str(tmp_path / "empty.db"), "web"])
    assert result.exit_code == 1 and "is empty (no presswatch archive)" in result.output
    assert "web" in runner.invoke(main, ["--help"]).output


def test_read_only_archive_refuses_writes(db_url: str) -> None:
    engine, sessions = open_archive(db_url)
    archive = Archive(sessions)
    at = datetime(2026, 11, 1, 9, tzinfo=UTC)
    for n, source in enumerate(("osce", "unis", "osce")):
        archive.record(ParsedRelease(source=source, url=f"https://www.{source}.org/r/{n}",
                                     title=f"T{n}", body="Text.", published=date(2026, 1, 1)),
                       now=at.replace(hour=9 + n))  # fmt: skip
    engine.dispose()
    engine, sessions = open_read_only(db_url)
    with sessions() as session:
        assert [e.title for e in recent_events(session)] == ["T2", "T1", "T0"]
        assert [e.title for e in recent_events(session, source="osce", limit=1)] == ["T2"]
        assert recent_events(session, kind="changed") == []
        assert recent_events(session, source="nowhere") == []
        first = recent_events(session, source="unis")[0].release_id
        assert [e.release_id for e in recent_events(session, releases=[first])] == [first]
        with pytest.raises(OperationalError if engine.dialect.name == "sqlite" else Exception):
            session.execute(text("DELETE FROM change_event"))
    engine.dispose()
    behind = make_engine(db_url)
    with behind.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0001'"))
    behind.dispose()
    with pytest.raises(
        DatabaseError, match=r"is at schema 0001, not \d+: run `presswatch db upgrade`"
    ):
        open_read_only(db_url)


def test_sources_page_tells_where_a_run_ran_on_scrapyd(db_url: str) -> None:
    node, job, at = "http://scrapyd1:6800", "6487ec79947edab326d6db28a2d86511", datetime.now(UTC)
    engine, sessions = open_archive(db_url)
    with sessions.begin() as session:
        local = start_run(session, "osce", now=at)
        finish_run(session, local, {"items": 1}, now=at)
        remote = start_run(session, "sco", now=at, job=job)
        finish_run(session, remote, {"items": 1}, now=at)
        session.get_one(CrawlRun, remote).node = node
    engine.dispose()
    engine, sessions = open_read_only(db_url)
    client = TestClient(create_app(sessions, CONFIG))
    page = client.get("/sources").text
    assert f"Scrapyd job {job} on {node}" in page and page.count("Scrapyd") == 1  # osce: local
    runs = {s["key"]: s["runs"] for s in client.get("/api/sources").json()["sources"]}
    assert (runs["sco"][0]["node"], runs["sco"][0]["job"]) == (node, job)
    assert (runs["osce"][0]["node"], runs["osce"][0]["job"]) == (None, None)
    engine.dispose()
