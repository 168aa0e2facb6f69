"""A synthetic snapshot of N releases over the four sites, for benchmarks and scale tests.

Each site's page builder (crawler/replay/builders/<key>.py) renders generated releases:
URLs the site's ``is_release_url`` accepts, unique per release, dates descending, varied
titles and 3–5 KB bodies opening with the site's dateline. The same ``n`` and ``seed`` give
the same snapshot, byte for byte::

    python -m crawler.replay.synthetic /tmp/synthetic 2000
"""

from __future__ import annotations

import random
import shutil
import sys
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

from crawler.replay.builders.base import DemoRelease
from crawler.replay.demo import builder
from crawler.replay.snapshot import SnapshotPage, write_snapshot
from crawler.sites import SITE_MODULES, get_site

NEWEST = date(2026, 10, 30)  # fixed, so a snapshot does not depend on the day it is built
LAST_MODIFIED = "2026-11-01T08:00:00Z"
PER_PAGE = 20  # listing items per page; the real listings show 10 to 20

PLACES = (
    ("Vienna", "Austria"), ("Bishkek", "Kyrgyzstan"), ("Belgrade", "Serbia"),
    ("Dushanbe", "Tajikistan"), ("Tirana", "Albania"), ("Bangkok", "Thailand"),
    ("Nairobi", "Kenya"), ("Tashkent", "Uzbekistan"), ("Dakar", "Senegal"),
    ("Skopje", "North Macedonia"), ("Astana", "Kazakhstan"), ("Chisinau", "Moldova"),
)  # fmt: skip
ACTORS = (
    "The Secretary General", "The Executive Director", "The Head of Mission",
    "A delegation of experts", "Representatives of civil society", "The Chairperson",
    "Senior police officers", "Border guards of the region", "Young researchers",
    "Judges and prosecutors", "National authorities", "The Permanent Council",
)  # fmt: skip
ACTIONS = (
    "discussed", "reviewed", "launched", "completed", "welcomed", "presented", "endorsed",
    "assessed", "strengthened", "agreed on", "called for", "examined",
)  # fmt: skip
OBJECTS = (
    "a regional programme on countering drug trafficking",
    "new measures against trafficking in human beings",
    "co-operation on border management and security",
    "a training course on investigating cybercrime",
    "the protection of journalists and media freedom",
    "a joint action plan against organized crime",
    "the implementation of anti-corruption commitments",
    "access to controlled medicines for patients",
    "the prevention of violent extremism among young people",
    "gender equality in the security sector",
    "alternative development in rural communities",
    "forensic capacity of national laboratories",
)
CLOSERS = (
    "in the presence of international partners", "over three days of consultations",
    "with the support of donor countries", "ahead of next year's ministerial meeting",
    "following a request by the host government", "as part of a long-term partnership",
    "in line with international standards", "after months of preparation",
)  # fmt: skip
TOPICS = (
    "Policing", "Border management", "Combating trafficking in human beings",
    "Countering terrorism", "Cyber/ICT Security", "Good governance", "Rule of law", "Migration",
)  # fmt: skip
TITLE_OPENERS = (
    "Experts meet in {place} to discuss", "{place} hosts conference on",
    "New project launched on", "Training course in {place} focuses on",
    "Officials in {place} agree on", "Regional meeting reviews progress on",
)  # fmt: skip


def _sentence(rng: random.Random) -> str:
    return (
        f"{rng.choice(ACTORS)} {rng.choice(ACTIONS)} {rng.choice(OBJECTS)} "
        f"{rng.choice(CLOSERS)}, noting that {rng.choice(OBJECTS)} remained a priority "
        f"for {rng.randint(2, 57)} participating countries."
    )


def _paragraphs(rng: random.Random, n: int) -> list[str]:
    """3 to 5 KB of text in 6 to 10 paragraphs, the last one numbered so no two agree."""
    target = rng.randint(3000, 5000)
    paragraphs: list[str] = []
    size = 0
    while size < target or len(paragraphs) < 6:
        text = " ".join(_sentence(rng) for _ in range(rng.randint(2, 4)))
        paragraphs.append(text)
        size += len(text) + 2
    paragraphs.append(f"Reference number {n:05d} of this synthetic release series.")
    return paragraphs


def _title(rng: random.Random, place: str, n: int) -> str:
    opener = rng.choice(TITLE_OPENERS).format(place=place)
    return f"{opener} {rng.choice(OBJECTS)} ({n})"


def _dateline(site: str, place: str, country: str, day: date) -> str:
    """The dateline each site opens its body with (SITES.md)."""
    long = f"{day.day} {day:%B %Y}"
    if site == "osce":
        return f"{place.upper()}, {long} — "
    if site == "unis":
        return f"{place.upper()}, {long} (UN Information Service) - "
    if site == "unodc":
        return f"{place} ({country}), {long} – "
    return ""  # SCO news carry no dateline


def _release(site: str, n: int, day: date, rng: random.Random) -> DemoRelease:
    place, country = rng.choice(PLACES)
    paragraphs = _paragraphs(rng, n)
    paragraphs[0] = _dateline(site, place, country, day) + paragraphs[0]
    title = _title(rng, place, n)
    topics = rng.sample(TOPICS, rng.randint(1, 3))
    if site == "osce":
        kind = rng.choice(("Press release", "Press release", "Press statement"))
        return DemoRelease(
            url=f"https://www.osce.org/{rng.choice(('secretariat', 'odihr', 'serbia'))}/{700000 + n}",
            title=title, published=day, paragraphs=paragraphs, place=place.upper(), kind=kind,
            metadata={"source": f"OSCE Office in {place}", "fields_of_work": topics,
                      "content_type": kind},
        )  # fmt: skip
    if site == "unis":
        series = rng.choice(("CP", "NAR", "SGSM"))
        symbol = f"UNIS/{series}/{2000 + n}"
        return DemoRelease(
            url=f"https://unis.unvienna.org/unis/en/pressrels/{day.year}/unis{series.lower()}"
            f"{2000 + n}.html",
            title=title, published=day, paragraphs=paragraphs, place=place.upper(),
            external_id=symbol,
            metadata={"symbol": symbol, "series": series,
                      "contact": "UNIS Vienna press desk\nTelephone: (+43 1) 26060-3325"},
        )  # fmt: skip
    if site == "sco":
        return DemoRelease(
            url=f"https://eng.sectsco.org/{day:%Y%m%d}/{1600000 + n}.html",
            title=title, published=day, paragraphs=paragraphs, kind="News",
            external_id=str(1600000 + n), metadata={"language": "en", "tags": topics[:2]},
        )  # fmt: skip
    slug = "-".join(title.lower().replace("(", "").replace(")", "").split()[:8]) + f"-{n}"
    return DemoRelease(
        url=f"https://www.unodc.org/unodc/en/press/releases/{day.year}/{day:%B}/{slug}.html",
        title=title, published=day, paragraphs=paragraphs, place=place,
        metadata={"contact": "UNODC Media Relations\nEmail: unodc-press[at]un.org",
                  "topics": topics, "country": country},
    )  # fmt: skip


def synthetic_releases(n: int, seed: int = 1) -> dict[str, list[DemoRelease]]:
    """``n`` releases dealt round-robin to the four sites, newest first, about 3 a day."""
    rng = random.Random(seed)
    releases: dict[str, list[DemoRelease]] = {key: [] for key in SITE_MODULES}
    for i in range(n):
        key = SITE_MODULES[i % len(SITE_MODULES)]
        day = NEWEST - timedelta(days=i // 12)
        release = _release(key, i + 1, day, rng)
        assert get_site(key).is_release_url(release.url), release.url
        releases[key].append(release)
    return releases


def synthetic_pages(
    n: int, seed: int = 1, per_page: int = PER_PAGE
) -> Iterator[tuple[SnapshotPage, str]]:
    for key, releases in synthetic_releases(n, seed).items():
        for page, content in builder(key).snapshot_pages(releases, per_page=per_page):
            page.last_modified = page.last_modified or LAST_MODIFIED
            yield page, content


def build_synthetic(directory: Path, n: int, seed: int = 1, per_page: int = PER_PAGE) -> Path:
    """Write a synthetic snapshot of ``n`` releases into ``directory`` (emptied first)."""
    if directory.exists():
        shutil.rmtree(directory)
    return write_snapshot(directory, synthetic_pages(n, seed, per_page), name=f"synthetic-{n}")


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("synthetic")
    print(build_synthetic(target, int(sys.argv[2]) if len(sys.argv) > 2 else 2000))
