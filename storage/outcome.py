"""A crawl run's outcome: ok, unhealthy, failed or aborted, with a one-line reason.

The one definition every consumer uses: the pipeline when a crawl ends, the parent process
when the crawl did not end well (scheduler.runner, the daemon, `presswatch crawl`), and so
alerts, `status` and exit codes. Rules (docs/daemon.md "Run outcomes"):

- aborted: stopped by a user (Ctrl-C, SIGTERM) or found dead after a restart.
- failed: an archive write dropped; the first (or every) listing page failed; half or more
  of the release pages attempted failed; the process crashed, timed out or never reported.
- unhealthy: any other page error, a later listing page failed, a coverage problem (a
  field's coverage fell, most releases read by the fallback, no release found).
- ok: none of these.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

Status = Literal["ok", "unhealthy", "failed", "aborted"]
BAD: tuple[Status, ...] = ("unhealthy", "failed")  # runs that make an exit code non-zero
COUNTED = ("listing_errors", "page_errors", "write_errors", "release_pages", "listing_pages")


@dataclass(frozen=True)
class RunOutcome:
    status: Status
    reason: str | None  # one line; None when ok

    @property
    def bad(self) -> bool:
        return self.status in BAD


def _pages(n: int, what: str) -> str:
    return f"{n} {what}{'' if n == 1 else 's'}"


def decide(
    counts: Mapping[str, Any], problems: Sequence[str] = (), *,
    first_listing_error: str | None = None, ended: str | None = None,
    aborted: str | None = None,
) -> RunOutcome:  # fmt: skip
    """The outcome of a run from its counts and coverage ``problems``.

    ``first_listing_error``: why the first listing page failed; ``ended``: why the process
    did not end well (crashed, timed out, never reported); ``aborted``: who stopped it.
    """
    n = {k: int(counts.get(k) or 0) for k in COUNTED}
    failed: list[str] = [ended] if ended else []
    unhealthy: list[str] = []
    if n["write_errors"]:
        failed.append(f"{_pages(n['write_errors'], 'archive write')} dropped")
    if first_listing_error:
        failed.append(f"listing page failed: {first_listing_error}")
    elif n["listing_errors"] and not n["listing_pages"]:
        failed.append(f"every listing page failed ({n['listing_errors']})")
    elif n["listing_errors"]:
        unhealthy.append(f"{_pages(n['listing_errors'], 'later listing page')} failed")
    if n["page_errors"]:
        attempted = max(n["release_pages"], n["page_errors"])
        text = f"{n['page_errors']} of {_pages(attempted, 'release page')} failed"
        (failed if 2 * n["page_errors"] >= attempted else unhealthy).append(text)
    unhealthy += problems
    reasons = "; ".join(failed + unhealthy) or None
    if aborted:
        return RunOutcome("aborted", "; ".join(x for x in (aborted, reasons) if x))
    if failed:
        return RunOutcome("failed", reasons)
    return RunOutcome("unhealthy" if unhealthy else "ok", reasons)
