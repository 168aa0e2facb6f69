"""`presswatch web`: the read-only web view, JSON API and Atom feeds, served by uvicorn."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import click

from presswatch.context import Context, pass_context
from presswatch.sources import CONFIG_OPTION, read_config


def _loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on; any other than loopback needs --token.")  # fmt: skip
@click.option("--port", type=click.IntRange(0, 65535), default=8750, show_default=True)
@click.option("--token", envvar="PRESSWATCH_WEB_TOKEN", metavar="TOKEN",
              help="Ask every request for it (Bearer, or Basic with it as the password).")  # fmt: skip
@CONFIG_OPTION
@pass_context
def web(obj: Context, host: str, port: int, token: str | None, config_path: Path | None) -> None:
    """Serve the archive read-only in a browser, with a JSON API and Atom feeds."""
    if not _loopback(host) and not token:
        raise click.ClickException(
            f"--host {host} is reachable from other machines: set --token or PRESSWATCH_WEB_TOKEN"
        )
    config = read_config(config_path)
    try:
        import uvicorn

        from presswatch.web.app import create_app
    except ImportError as exc:
        raise click.ClickException(
            f"{exc.name} is missing: pip install 'presswatch[web]'"
        ) from None
    from storage.db import DatabaseError, display_url, open_read_only

    url = obj.db or config.database
    try:
        engine, sessions = open_read_only(url)
    except DatabaseError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"presswatch web: http://{host}:{port}/ reading {display_url(url)}", err=True)
    try:
        uvicorn.run(create_app(sessions, config, token), host=host, port=port, log_level="warning",
                    server_header=False)  # fmt: skip
    finally:
        engine.dispose()
