"""Every source presswatch knows: the built-in sites and those configured in presswatch.toml.

Commands that read pages or start crawls (`crawl`, `inspect`, `reparse`) take ``--config``
and see a configured source exactly like a built-in one (crawler.sites.configured).
"""

from __future__ import annotations

from pathlib import Path

import click

from crawler.sites import registry
from crawler.sites.base import Site
from crawler.sites.configured import SiteSpec, configured_site
from presswatch.config import Config, ConfigError, load_config

CONFIG_OPTION = click.option(
    "--config", "config_path", type=click.Path(dir_okay=False, path_type=Path),
    help="Config file (default: ./presswatch.toml if present, else built-in defaults).",
)  # fmt: skip


def read_config(path: Path | None) -> Config:
    """The config (``path``, else ./presswatch.toml, else the defaults); one line when bad."""
    try:
        return load_config(path)
    except ConfigError as exc:
        raise click.ClickException(f"config: {exc}") from None


def known_sites(config: Config) -> dict[str, Site]:
    """The built-in sites, then the configured sources of ``config``, by key."""
    configured = {
        key: configured_site(SiteSpec.from_data(source.site))
        for key, source in config.sources.items()
        if source.site is not None
    }
    return {**registry(), **configured}


def find_site(key: str, sites: dict[str, Site]) -> Site:
    """The site of ``key`` (any case), or one line naming the known ones."""
    try:
        return sites[key.lower()]
    except KeyError:
        raise click.ClickException(
            f"unknown source {key!r} (known: {', '.join(sorted(sites))})"
        ) from None
