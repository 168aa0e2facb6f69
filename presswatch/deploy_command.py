"""`presswatch deploy`: upload presswatch's egg to every Scrapyd node (docs/scale.md)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import click

from presswatch.config import Config
from presswatch.context import Context, pass_context
from presswatch.deploy import Upload, build_egg, check_node_url, egg_version, upload
from presswatch.sources import CONFIG_OPTION, read_config
from scheduler.options import NodeConfig


def _targets(config: Config, given: tuple[str, ...]) -> list[NodeConfig]:
    """The nodes named with --node (with the config's credentials for a node it lists), else
    the config's; a bad URL ends in one line naming it."""
    configured = {node.url: node for node in config.daemon.scrapyd.nodes}
    try:
        urls = [check_node_url(url) for url in given]
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    nodes = [configured.get(url, NodeConfig(url)) for url in dict.fromkeys(urls)]
    if not nodes and not configured:
        raise click.ClickException(
            "no Scrapyd nodes: give --node URL, or list them in the config's [daemon.scrapyd] nodes"
        )
    return nodes or list(configured.values())


@click.command()
@CONFIG_OPTION
@click.option("--node", "nodes", multiple=True, metavar="URL",
              help="A Scrapyd node to deploy to (repeat; default: the config's nodes).")  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="Print JSON (docs/json.md).")
@pass_context
def deploy(obj: Context, config_path: Path | None, nodes: tuple[str, ...], as_json: bool) -> None:
    """Build presswatch's egg once and upload it to every Scrapyd node; exit 1 if one failed."""
    config = read_config(config_path)
    targets = _targets(config, nodes)
    project = config.daemon.scrapyd.project
    version = egg_version()
    with tempfile.TemporaryDirectory(prefix="presswatch-egg-") as folder:
        egg = build_egg(Path(folder) / f"{project}.egg").read_bytes()
    uploads = [upload(node.url, egg, version, node.auth, project=project) for node in targets]
    if as_json:
        obj.emit_json(
            {"project": project, "version": version, "nodes": [_json(u) for u in uploads]}
        )
    else:
        obj.table(("NODE", "STATUS", "MESSAGE"), [(u.node, u.status, u.message) for u in uploads])
    if not all(u.ok for u in uploads):
        raise SystemExit(1)


def _json(result: Upload) -> dict[str, object]:
    return {"node": result.node, "status": result.status, "message": result.message,
            "spiders": result.spiders}  # fmt: skip
