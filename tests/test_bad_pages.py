"""Bad pages: each ends as the right outcome or a recorded crawl error, and the crawl goes on.

One crawl of a small snapshot in UNODC's structure (whole pages from the UNODC page builder)
whose listing links, besides two good releases, an empty body, a page without a date, a
404, a 500 answered right on the retry, a page slower than the download timeout, a PDF (an
error naming its type), a page in windows-1251, a truncated document and an "Access denied"
page served with 200.
A second crawl, with one good release gone (404), finds it missing.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from crawler.replay.builders import unodc
from crawler.replay.builders.base import DemoRelease, html_page, robots_page
from crawler.replay.server import ReplayServer, serve
from crawler.replay.snapshot import SnapshotPage, write_snapshot
from scheduler.runner import CrawlOptions, CrawlResult, run_crawl
from storage.db import open_archive
from storage.models import CrawlRun, Release, ReleaseVersion
from storage.urls import canonical_url

BASE = "https://www.unodc.org/unodc/en/press/releases/2026"
TEXT = (
    "Delegations from thirty countries met to review the implementation of the convention "
    "against transnational organized crime and agreed on the next steps of the review "
    "mechanism, including country visits and the exchange of good practices."
)
# Fast faults: one retry after 0.1 s, a 2 s download timeout against a 4 s slow page (2 s,
# not less, or a loaded test machine times out ordinary pages too).
SETTINGS = {"RETRY_BACKOFF_BASE": "0.1", "RETRY_TIMES": "1", "DOWNLOAD_TIMEOUT": "2"}
SLOW = 4.0


def _release(slug: str, day: date, title: str, paragraphs: list[str] | None = None) -> DemoRelease:
    if paragraphs is None:
        paragraphs = [f"Vienna (Austria), {day.day} {day:%B %Y} – {TEXT}", TEXT, TEXT]
    return DemoRelease(
        url=f"{BASE}/{day:%B}/{slug}.html", title=title, published=day, paragraphs=paragraphs,
        place="Vienna", metadata={"contact": unodc.MEDIA, "topics": ["Organized crime"]},
    )  # fmt: skip


GOOD = _release("good-one", date(2026, 3, 20), "Review of the organized crime convention opens")
GOOD2 = _release("good-two", date(2026, 3, 2), "Member States agree on a new review cycle")
RETRIED = _release("retried", date(2026, 3, 18), "Ministers meet on maritime crime")
EMPTY = _release("empty-body", date(2026, 3, 17), "A release whose body went missing", [])
UNDATED = _release(
    "no-date", date(2026, 3, 16), "Expert group meets on firearms trafficking", [TEXT, TEXT]
)
MISSING = _release("not-there", date(2026, 3, 15), "A release linked but not published")
SLOW_PAGE = _release("slow", date(2026, 3, 14), "A release on a server that hangs")
PDF = _release("report", date(2026, 3, 13), "Annual report 2025")
CYRILLIC = _release(
    "cyrillic", date(2026, 3, 12), "УНП ООН и партнёры обсуждают борьбу с незаконным оборотом",
    ["Вена (Австрия), 12 марта 2026 года – Представители тридцати государств обсудили меры "
     "по противодействию незаконному обороту наркотиков и организованной преступности.",
     "Участники договорились о проведении совместных учений в следующем году."],
)  # fmt: skip
TRUNCATED = _release("truncated", date(2026, 3, 11), "A release cut off in transfer")
BLOCKED = _release("blocked", date(2026, 3, 10), "A release behind a firewall")
ALL = [GOOD, RETRIED, EMPTY, UNDATED, MISSING, SLOW_PAGE, PDF, CYRILLIC, TRUNCATED, BLOCKED, GOOD2]

ACCESS_DENIED = """<!DOCTYPE html><html><head><title>Access Denied</title></head><body>
<h1>Access Denied</h1>
<p>You don't have permission to access "http://www.unodc.org/unodc/en/press/releases/2026/March/blocked.html" on this server.</p>
<p>Reference #18.6f2c1602.1773140000.2a9b3c</p>
</body></html>
"""  # noqa: E501


def _undated_html(r: DemoRelease) -> str:
    """The page with every date removed: date line, DC.date meta (its body has no dateline)."""
    html = unodc.release_html(r)
    start = html.index('<div class="date-line">')
    html = html[:start] + html[html.index("</div>", start) + len("</div>") :]
    return html.replace(f'<meta name="DC.date.created" content="{r.published.isoformat()}">', "")


def _cyrillic_bytes(r: DemoRelease) -> bytes:
    html = unodc.release_html(r).replace("charset=utf-8", "charset=windows-1251")
    html = html.replace('lang="en" xml:lang="en"', 'lang="ru" xml:lang="ru"')
    return html.encode("windows-1251", errors="xmlcharrefreplace")


def _truncated_html(r: DemoRelease) -> str:
    """Cut in the middle of the second paragraph, as a dropped connection leaves a page."""
    html = unodc.release_html(r)
    second = html.index("<p>", html.index('<div class="pressrelease-body">')) + 1
    second = html.index("<p>", second)
    return html[: second + 60]


def snapshot_pages() -> Iterator[tuple[SnapshotPage, str | bytes | None]]:
    yield robots_page(unodc.BASE_URL)
    yield html_page(unodc.listing_url(0), unodc.listing_html(ALL, 0, 1))
    for r in (GOOD, GOOD2):
        yield html_page(r.url, unodc.release_html(r))
    page, html = html_page(RETRIED.url, unodc.release_html(RETRIED))
    page.script = [500]
    yield page, html
    yield html_page(EMPTY.url, unodc.release_html(EMPTY))
    yield html_page(UNDATED.url, _undated_html(UNDATED))
    yield SnapshotPage(url=MISSING.url, status=404), None
    page, html = html_page(SLOW_PAGE.url, unodc.release_html(SLOW_PAGE))
    page.delay = SLOW
    yield page, html
    pdf = SnapshotPage(url=PDF.url, file="www.unodc.org/report.pdf", content_type="application/pdf")
    yield pdf, b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"
    page, _ = html_page(CYRILLIC.url, "")
    page.content_type = "text/html; charset=windows-1251"
    yield page, _cyrillic_bytes(CYRILLIC)
    yield html_page(TRUNCATED.url, _truncated_html(TRUNCATED))
    yield html_page(BLOCKED.url, ACCESS_DENIED)


@dataclass
class Crawled:
    db: str
    snapshot: Path
    server: ReplayServer
    tmp: Path

    def crawl(self) -> CrawlResult:
        options = CrawlOptions(replay=self.server.url, db=self.db, full=True, settings=SETTINGS)
        result = run_crawl("unodc", options, self.tmp / "crawl.log", timeout=120)
        assert result.ok, (self.tmp / "crawl.log").read_text()[-3000:]
        return result

    def runs(self) -> list[CrawlRun]:
        engine, sessions = open_archive(self.db)
        with sessions() as s:
            runs = list(s.scalars(select(CrawlRun).order_by(CrawlRun.id)))
            for run in runs:
                _ = run.errors
            s.expunge_all()
        engine.dispose()
        return runs

    def versions(self) -> dict[str, ReleaseVersion]:
        """The current version of every archived release, by URL."""
        engine, sessions = open_archive(self.db)
        with sessions() as s:
            rows = s.execute(
                select(Release.url, ReleaseVersion).join(
                    ReleaseVersion, ReleaseVersion.id == Release.current_version_id
                )
            ).all()
            s.expunge_all()
        engine.dispose()
        return {url: version for url, version in rows}

    def errors(self, run: int = 0) -> dict[str, str]:
        return {canonical_url(e.url): e.reason for e in self.runs()[run].errors}


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Crawled]:
    tmp = tmp_path_factory.mktemp("bad_pages")
    write_snapshot(tmp / "snapshot", snapshot_pages(), name="bad-pages")
    with serve(tmp / "snapshot") as server:
        state = Crawled(f"sqlite:///{tmp / 'archive.db'}", tmp / "snapshot", server, tmp)
        state.crawl()
        yield state


def url(r: DemoRelease) -> str:
    return canonical_url(r.url)


def test_the_crawl_goes_on(crawled: Crawled) -> None:
    archived = crawled.versions()
    for r in (GOOD, GOOD2, RETRIED, UNDATED, CYRILLIC):
        assert url(r) in archived, r.url
    assert archived[url(GOOD2)].body.endswith(TEXT)  # the last release of the listing
    run = crawled.runs()[0]
    assert run.finished_at is not None and run.counts["new"] == len(archived), run.counts


def test_empty_body_is_an_error_not_a_version(crawled: Crawled) -> None:
    assert url(EMPTY) not in crawled.versions()
    assert url(EMPTY) in crawled.errors()


def test_missing_date_is_archived_with_the_urls_month(crawled: Crawled) -> None:
    """No date markup, meta or dateline: the /2026/March/ of the URL is the last resort
    (day 1, crawler/sites/unodc.py), never the day of the crawl."""
    version = crawled.versions()[url(UNDATED)]
    assert version.published == date(2026, 3, 1)
    assert version.title == UNDATED.title and version.body == f"{TEXT}\n\n{TEXT}"


def test_404_of_a_listed_release_is_a_recorded_error(crawled: Crawled) -> None:
    assert url(MISSING) not in crawled.versions()
    assert "404" in crawled.errors().get(url(MISSING), "")


def test_500_then_success_on_retry(crawled: Crawled) -> None:
    version = crawled.versions()[url(RETRIED)]
    assert version.title == RETRIED.title and version.published == RETRIED.published
    assert url(RETRIED) not in crawled.errors()


def test_timeout_is_a_recorded_error(crawled: Crawled) -> None:
    assert url(SLOW_PAGE) not in crawled.versions()
    reason = crawled.errors().get(url(SLOW_PAGE), "")
    assert reason == "no answer in time: the page took longer than the 2 s download timeout"


def test_pdf_is_an_error_naming_its_content_type(crawled: Crawled) -> None:
    assert url(PDF) not in crawled.versions()
    assert crawled.errors()[url(PDF)] == "not an HTML page: application/pdf"
    assert crawled.runs()[0].counts["skipped_non_html"] == 1


def test_windows_1251_page_is_decoded(crawled: Crawled) -> None:
    version = crawled.versions()[url(CYRILLIC)]
    assert version.title == CYRILLIC.title
    assert "незаконному обороту наркотиков" in version.body
    assert "совместных учений" in version.body
    assert version.published == CYRILLIC.published


def test_truncated_document_is_an_error_not_a_version(crawled: Crawled) -> None:
    assert url(TRUNCATED) not in crawled.versions()
    assert "truncated" in crawled.errors().get(url(TRUNCATED), "").lower()


def test_access_denied_page_is_an_error(crawled: Crawled) -> None:
    assert url(BLOCKED) not in crawled.versions()
    assert "access denied" in crawled.errors().get(url(BLOCKED), "").lower()


def test_error_counts_match_recorded_errors(crawled: Crawled) -> None:
    run = crawled.runs()[0]
    assert run.counts["errors"] == len(run.errors), (run.counts, crawled.errors())


def test_known_release_gone_is_missing_then_the_rest_unchanged(crawled: Crawled) -> None:
    """A second crawl: one good release now answers 404; the others are unchanged."""
    manifest = crawled.snapshot / "manifest.json"
    text = manifest.read_text(encoding="utf-8")
    pages = [
        (SnapshotPage(url=GOOD2.url, status=404), None) if page.url == GOOD2.url else (page, None)
        for page, _ in snapshot_pages()
    ]
    write_snapshot(crawled.snapshot, pages, name="bad-pages")
    try:
        crawled.crawl()
    finally:
        manifest.write_text(text, encoding="utf-8")
    first, second = crawled.runs()
    assert second.counts.get("missing") == 1, second.counts
    unchanged = first.counts["new"] - 1
    assert second.counts.get("unchanged") == unchanged and not second.counts.get("new"), (
        second.counts
    )
    assert not second.counts.get("changed"), second.counts
    assert crawled.errors(run=1).keys() == crawled.errors(run=0).keys()
