# presswatch: the daemon and web image (docker-compose.yml runs both next to PostgreSQL), and
# (target `node`) a Scrapyd node for the `scale` profile (docs/scale.md).

# The source both images install from.
FROM python:3.11-slim AS source
WORKDIR /src
COPY pyproject.toml README.md ./
COPY crawler crawler
COPY storage storage
COPY scheduler scheduler
COPY presswatch presswatch

# A Scrapyd node: presswatch's dependencies and Scrapyd, but not presswatch itself: a node
# runs the code `presswatch deploy` uploads to it (an egg), as a node on any machine does.
FROM python:3.11-slim AS node

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
COPY --from=source /src /src
WORKDIR /src
RUN pip install ".[postgres,scrapyd]" && pip uninstall -y presswatch \
    && cd / && rm -rf /src \
    && useradd --create-home --uid 1000 presswatch \
    && mkdir -p /scrapyd /etc/scrapyd && chown presswatch /scrapyd \
    && printf '%s\n' '[scrapyd]' 'bind_address = 0.0.0.0' 'http_port = 6800' \
       'eggs_dir = /scrapyd/eggs' 'logs_dir = /scrapyd/logs' 'dbs_dir = /scrapyd/dbs' \
       'items_dir =' 'max_proc_per_cpu = 4' 'poll_interval = 1.0' 'jobs_to_keep = 20' \
       'finished_to_keep = 1000' \
       > /etc/scrapyd/scrapyd.conf
USER presswatch
WORKDIR /scrapyd
VOLUME ["/scrapyd"]
EXPOSE 6800
# Basic auth from the environment (SCRAPYD_USERNAME, SCRAPYD_PASSWORD; none when unset),
# written where Scrapyd reads it, never into the image. The crawls get the archive from
# PRESSWATCH_DATABASE_URL in this environment: never in a job's settings, listing or log.
# No pid file: one left by a killed container would stop the next start. docker-compose.yml's
# healthcheck asks daemonstatus.json.
CMD ["sh", "-c", "umask 077 && printf '[scrapyd]\\nusername = %s\\npassword = %s\\n' \"$SCRAPYD_USERNAME\" \"$SCRAPYD_PASSWORD\" > \"$HOME/.scrapyd.conf\" && exec scrapyd --pidfile="]

# The daemon and the web view (the default target).
FROM python:3.11-slim AS app

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    XDG_DATA_HOME=/data XDG_STATE_HOME=/data/state

# A plain (non-editable) install of the source: the wheel it builds carries the code and its
# data (migrations, the demo snapshot), as tests/test_wheel.py checks; /src is removed after.
COPY --from=source /src /src
WORKDIR /src
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
