# presswatch: the daemon and web image (docker-compose.yml runs both next to PostgreSQL).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    XDG_DATA_HOME=/data XDG_STATE_HOME=/data/state

# A plain (non-editable) install of the source: the wheel it builds carries the code and its
# data (migrations, the demo snapshot), as tests/test_wheel.py checks; /src is removed after.
WORKDIR /src
COPY pyproject.toml README.md ./
COPY crawler crawler
COPY storage storage
COPY scheduler scheduler
COPY presswatch presswatch
RUN pip install ".[postgres,notify,web]" \
    && cd / && rm -rf /src \
    && useradd --create-home --uid 1000 presswatch \
    && mkdir -p /data /config && chown presswatch /data /config

USER presswatch
# The daemon reads /config/presswatch.toml when present (else the built-in defaults) and keeps
# crawl logs, and a SQLite archive when no database URL is set, under /data.
WORKDIR /config
VOLUME ["/data"]

HEALTHCHECK --interval=1m --timeout=30s --start-period=2m \
    CMD presswatch status --check > /dev/null || exit 1
CMD ["sh", "-c", "presswatch db upgrade && exec presswatch daemon"]
