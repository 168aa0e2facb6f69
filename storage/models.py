"""The archive's tables: sources, releases, their versions, change events and crawl runs."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    DateTime,
    ForeignKey,
    Index,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on both SQLite (which stores naive ones) and PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime given to the archive; use UTC-aware datetimes")
        return value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime, dict[str, Any]: JSON}


class Source(Base):
    __tablename__ = "source"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    base_url: Mapped[str] = mapped_column(String(500))


class Release(Base):
    __tablename__ = "release"

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("source.id"))
    url: Mapped[str] = mapped_column(String(1000), unique=True)
    external_id: Mapped[str | None] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(20), default="active")  # active | removed
    first_seen: Mapped[datetime]
    last_seen: Mapped[datetime]
    last_changed: Mapped[datetime]
    # Consecutive 404/410 answers not yet acted on, to ride out a blip.
    missing_count: Mapped[int] = mapped_column(default=0)
    current_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("release_version.id", use_alter=True)
    )

    source: Mapped[Source] = relationship()
    current: Mapped[ReleaseVersion | None] = relationship(foreign_keys=[current_version_id])
    versions: Mapped[list[ReleaseVersion]] = relationship(
        foreign_keys="ReleaseVersion.release_id",
        back_populates="release",
        order_by="ReleaseVersion.number",
    )

    __table_args__ = (Index("ix_release_source_status", "source_id", "status"),)


class ReleaseVersion(Base):
    __tablename__ = "release_version"

    id: Mapped[int] = mapped_column(primary_key=True)
    release_id: Mapped[int] = mapped_column(ForeignKey("release.id"))
    number: Mapped[int]
    content_hash: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(Text)
    published: Mapped[date | None]
    place: Mapped[str | None] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    meta: Mapped[dict[str, Any]] = mapped_column("metadata", default=dict)
    method: Mapped[str] = mapped_column(String(20))  # site | fallback
    parser_version: Mapped[str] = mapped_column(String(100))
    fetched_at: Mapped[datetime]
    etag: Mapped[str | None] = mapped_column(String(200))
    last_modified: Mapped[str | None] = mapped_column(String(100))
    # zlib-compressed; loaded only when read (a release's versions are listed without it)
    raw_html: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)

    release: Mapped[Release] = relationship(foreign_keys=[release_id], back_populates="versions")

    __table_args__ = (
        UniqueConstraint("release_id", "number"),
        Index("ix_release_version_release_hash", "release_id", "content_hash"),
    )


class CrawlRun(Base):
    __tablename__ = "crawl_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("source.id"))
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    # running | ok | unhealthy | failed | aborted (storage.outcome)
    status: Mapped[str] = mapped_column(String(20), default="running")
    counts: Mapped[dict[str, Any]] = mapped_column(default=dict)
    coverage: Mapped[dict[str, Any]] = mapped_column(default=dict)
    health: Mapped[str | None] = mapped_column(Text)  # the outcome's reason
    pid: Mapped[int | None]  # the process running it, on ``host``: a dead one is aborted
    host: Mapped[str | None] = mapped_column(String(255))
    job: Mapped[str | None] = mapped_column(String(64), index=True)  # its Scrapyd job id
    node: Mapped[str | None] = mapped_column(String(255))  # the Scrapyd node that ran it

    source: Mapped[Source] = relationship()
    errors: Mapped[list[CrawlError]] = relationship(back_populates="run", order_by="CrawlError.id")

    __table_args__ = (Index("ix_crawl_run_source_started", "source_id", "started_at"),)


class ArchiveIdentity(Base):
    """One random id per archive (migration 0009): crawls on Scrapyd nodes check it."""

    __tablename__ = "archive_identity"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)


class CrawlError(Base):
    __tablename__ = "crawl_error"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("crawl_run.id"))
    url: Mapped[str] = mapped_column(String(1000))
    reason: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime]

    run: Mapped[CrawlRun] = relationship(back_populates="errors")


class ChangeEvent(Base):
    __tablename__ = "change_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    # new | changed | removed | restored | reparsed (a re-reading by a newer parser)
    kind: Mapped[str] = mapped_column(String(20))
    release_id: Mapped[int] = mapped_column(ForeignKey("release.id"))
    version_id: Mapped[int | None] = mapped_column(ForeignKey("release_version.id"))
    run_id: Mapped[int | None] = mapped_column(ForeignKey("crawl_run.id"))
    at: Mapped[datetime]
    diff: Mapped[dict[str, Any] | None]  # word-level summary for "changed"

    release: Mapped[Release] = relationship()
    version: Mapped[ReleaseVersion | None] = relationship()

    __table_args__ = (
        Index("ix_change_event_at", "at"),
        Index("ix_change_event_release", "release_id"),
    )


class ListingDocument(Base):
    """The last feed or sitemap document a configured source's crawl read, with its HTTP
    validators: the next run asks for it conditionally, and on a 304 reads this copy."""

    __tablename__ = "listing_document"

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("source.id"))
    url: Mapped[str] = mapped_column(String(1000))
    etag: Mapped[str | None] = mapped_column(String(200))
    last_modified: Mapped[str | None] = mapped_column(String(100))
    fetched_at: Mapped[datetime]
    body: Mapped[bytes] = mapped_column(LargeBinary)  # zlib-compressed

    __table_args__ = (UniqueConstraint("source_id", "url"),)


class ReparseCursor(Base):
    """How far an interrupted reparse of one scope (source, since) got, and with which parsers."""

    __tablename__ = "reparse_cursor"

    scope: Mapped[str] = mapped_column(String(200), primary_key=True)
    parsers: Mapped[str] = mapped_column(String(500))  # a different signature starts over
    last_release_id: Mapped[int]
    updated_at: Mapped[datetime]


class NotifyTarget(Base):
    """A notification target the daemon has seen; it receives only events after its cursor."""

    __tablename__ = "notify_target"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    created_at: Mapped[datetime]
    # Every change event with id <= event_cursor is settled (delivered, or older than the
    # target); the same for health alerts. Set to the newest ids when the target first appears.
    event_cursor: Mapped[int] = mapped_column(default=0)
    alert_cursor: Mapped[int] = mapped_column(default=0)
    failures: Mapped[int] = mapped_column(default=0)  # consecutive failed deliveries
    retry_at: Mapped[datetime | None]  # backoff: no attempt before this time
    last_error: Mapped[str | None] = mapped_column(Text)


class HealthAlert(Base):
    """A source's health turned: ``failing`` after N bad runs in a row, ``recovered`` after."""

    __tablename__ = "health_alert"

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("source.id"))
    kind: Mapped[str] = mapped_column(String(20))  # failing | recovered
    run_id: Mapped[int | None] = mapped_column(ForeignKey("crawl_run.id"))
    at: Mapped[datetime]
    detail: Mapped[str] = mapped_column(Text, default="")

    source: Mapped[Source] = relationship()

    __table_args__ = (Index("ix_health_alert_source", "source_id", "id"),)


class NotificationDelivery(Base):
    """One change event or health alert × one target: attempts, and when it was delivered."""

    __tablename__ = "notification_delivery"

    id: Mapped[int] = mapped_column(primary_key=True)
    target_id: Mapped[int] = mapped_column(ForeignKey("notify_target.id"))
    event_id: Mapped[int | None] = mapped_column(ForeignKey("change_event.id"))
    alert_id: Mapped[int | None] = mapped_column(ForeignKey("health_alert.id"))
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    last_attempt_at: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]

    __table_args__ = (
        UniqueConstraint("target_id", "event_id", name="uq_notification_delivery_target_event"),
        UniqueConstraint("target_id", "alert_id", name="uq_notification_delivery_target_alert"),
    )
