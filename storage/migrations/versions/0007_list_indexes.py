"""indexes for the newest-first walks: list on SQLite, phrases on PostgreSQL

SQLite: ``list`` and the web view's ``/releases`` read current versions by published date,
then release id, newest first, and stop at a page (storage.queries.list_releases).
PostgreSQL got these indexes in 0006; SQLite gets them here.

PostgreSQL: GIN keeps no word positions, so a phrase of common words made PostgreSQL read
and recheck the text of most of the archive. ``release_version.search_pairs`` holds each
pair of adjacent words (``'drug report'``) as a lexeme, with a GIN index: a phrase first
asks for its pairs there (storage.search), then checks the order as before.

Revision ID: 0007
Revises: 0006
"""

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

TEXT_LIMIT = 100_000  # as 0006
PAIRS = f"""CREATE FUNCTION presswatch_word_pairs(doc text) RETURNS tsvector
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT coalesce(array_to_tsvector(array_agg(DISTINCT w || ' ' || n)), ''::tsvector)
  FROM (SELECT w, lead(w) OVER (ORDER BY i) AS n
        FROM regexp_split_to_table(lower(left(doc, {TEXT_LIMIT})), '[^[:alnum:]]+')
             WITH ORDINALITY AS t(w, i)) AS p
  WHERE w <> '' AND n <> '' AND octet_length(w) + octet_length(n) < 2000
$$"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "CREATE INDEX ix_release_version_published ON release_version "
            "(published DESC, release_id DESC)"
        )
        op.execute("CREATE INDEX ix_release_current_version ON release (current_version_id)")
    else:
        op.execute(PAIRS)
        op.execute(
            "ALTER TABLE release_version ADD COLUMN search_pairs tsvector GENERATED ALWAYS AS "
            "(presswatch_word_pairs(title || ' ' || body)) STORED"
        )
        op.execute(
            "CREATE INDEX ix_release_version_pairs ON release_version USING gin (search_pairs)"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP INDEX ix_release_current_version")
        op.execute("DROP INDEX ix_release_version_published")
    else:
        op.execute("DROP INDEX ix_release_version_pairs")
        op.execute("ALTER TABLE release_version DROP COLUMN search_pairs")
        op.execute("DROP FUNCTION presswatch_word_pairs(text)")
