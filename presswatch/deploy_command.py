"""`presswatch deploy`: upload presswatch's egg to every Scrapyd node (docs/scale.md)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import click

from presswatch.context import Context, pass_context
from presswatch.daemon_commands import CONFIG_OPTION, _config
from presswatch.deploy import PROJECT, Upload, build_egg, check_node_url, egg_version, upload


def _nodes(config_path: Path | None, given: tuple[str, ...]) -> list[str]:
    """The nodes named with --node, else the config's; a bad URL ends in one line naming it."""
    if given:
        urls = list(given)
    else:
        config = _config(config_path)
        urls = list(config.daemon.scrapyd.nodes) if config.daemon.scrapyd else []
    if not urls:
        raise click.ClickException(
            "no Scrapyd nodes: give --node URL, or list them in the config's [daemon.scrapyd] nodes"
        )
    try:
        return list(dict.fromkeys(check_node_url(url) for url in urls))
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None


@click.command()
@CONFIG_OPTION
@click.option("--node", "nodes", multiple=True, metavar="URL",
              help="A Scrapyd node to deploy to (repeat; default: the config's nodes).")  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="Print JSON (docs/json.md).")
@pass_context
def deploy(obj: Context, config_path: Path | None, nodes: tuple[str, ...], as_json: bool) -> None:
    """Build presswatch's egg once and upload it to every Scrapyd node; exit 1 if one failed."""
    urls = _nodes(config_path, nodes)
    auth = _auth(config_path) if not nodes else None
    version = egg_version()
    with tempfile.TemporaryDirectory(prefix="presswatch-egg-") as folder:
        egg = build_egg(Path(folder) / f"{PROJECT}.egg").read_bytes()
    uploads = [upload(url, egg, version, auth) for url in urls]
    if as_json:
        obj.emit_json({"project": PROJECT, "version": version, "nodes": [_json(u) for u in uploads]})
    else:
        obj.table(("NODE", "STATUS", "MESSAGE"), [(u.node, u.status, u.message) for u in uploads])
    if not all(u.ok for u in uploads):
        raise SystemExit(1)


def _auth(config_path: Path | None) -> tuple[str, str] | None:
    scrapyd = _config(config_path).daemon.scrapyd
    return scrapyd.auth if scrapyd else None


def _json(result: Upload) -> dict[str, object]:
    return {"node": result.node, "status": result.status, "message": result.message,
            "spiders": result.spiders}  # fmt: skip
