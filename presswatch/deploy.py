"""The Scrapyd egg of presswatch, and its upload to Scrapyd nodes (`presswatch deploy`).

scrapyd-deploy builds the egg from a checkout (scrapy.cfg, setup.py: setuptools' bdist_egg).
A wheel install has neither, so ``build_egg`` zips the installed packages the way bdist_egg
lays them out: each package tree (code and data, no bytecode) and ``EGG-INFO`` with the
``scrapy`` entry point that names the settings module to Scrapyd. Scrapyd runs the egg
zipped, so the code reads its data as package resources (storage.db.schema_head), and a
crawl on a node never migrates the archive: the daemon does (docs/scale.md).
"""

from __future__ import annotations

import importlib.util
import subprocess
import time
import zipfile
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from urllib.parse import urlsplit

import httpx

PROJECT = "presswatch"  # the default Scrapyd project, as in scrapy.cfg's [deploy]
PACKAGES = ("crawler", "storage", "scheduler", "presswatch")
SETTINGS_MODULE = "crawler.settings"
UPLOAD_TIMEOUT = 120.0  # Scrapyd lists the egg's spiders in a subprocess before it answers


def package_dir(package: str) -> Path:
    """Where an installed (or editable) top-level package lives."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(f"the package {package!r} is not installed")
    return Path(next(iter(spec.submodule_search_locations)))


def egg_version(now: float | None = None) -> str:
    """The version Scrapyd files the upload under: the upload time, as scrapyd-deploy's default.

    Scrapyd runs the newest version by default and sorts versions with PEP 440 only when all
    parse, after replacing every character but letters, digits, ``_`` and ``-`` with ``_``:
    ``0.1.0`` would become ``0_1_0`` and sort as text. A plain number sorts right, also next
    to versions uploaded by scrapyd-deploy. The project version and commit are in the egg.
    """
    return str(int(time.time() if now is None else now))


def project_version() -> str:
    """presswatch's version, with the commit when run from a git checkout: 0.1.0+g4953035."""
    try:
        version = metadata.version("presswatch")
    except metadata.PackageNotFoundError:  # a checkout that was not installed
        version = "0"
    root = package_dir("presswatch").parent
    commit = _git_commit(root) if (root / "pyproject.toml").is_file() else None
    return f"{version}+g{commit}" if commit else version


def _git_commit(folder: Path) -> str | None:
    try:
        result = subprocess.run(
            ["git", "-C", str(folder), "rev-parse", "--short", "HEAD"],
            capture_output=True, text=True, timeout=10, check=False,
        )  # fmt: skip
    except OSError:  # no git on this machine
        return None
    commit = result.stdout.strip()
    return commit if result.returncode == 0 and commit.isalnum() else None


def build_egg(path: Path, version: str | None = None) -> Path:
    """Write the egg of the installed packages to ``path``; its metadata has ``version``."""
    version = version or project_version()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as egg:
        for package in PACKAGES:
            root = package_dir(package)
            for file in sorted(root.rglob("*")):
                if file.is_file() and "__pycache__" not in file.parts and file.suffix != ".pyc":
                    egg.write(file, f"{package}/{file.relative_to(root).as_posix()}")
        egg.writestr(
            "EGG-INFO/PKG-INFO", f"Metadata-Version: 2.1\nName: {PROJECT}\nVersion: {version}\n"
        )
        egg.writestr("EGG-INFO/entry_points.txt", f"[scrapy]\nsettings = {SETTINGS_MODULE}\n")
        egg.writestr("EGG-INFO/top_level.txt", "".join(f"{p}\n" for p in PACKAGES))
        egg.writestr("EGG-INFO/zip-safe", "\n")
    return path


@dataclass
class Upload:
    """What one node answered to the upload."""

    node: str
    status: str  # ok | unreachable | refused
    message: str  # the spiders Scrapyd found, or why it failed
    spiders: int | None = None

    @property
    def ok(self) -> bool:
        return self.status == "ok"


def check_node_url(url: str) -> str:
    """The node's base URL without a trailing slash; ValueError naming the URL when not http(s)."""
    parts = urlsplit(url.strip())
    if parts.username is not None or parts.password is not None:  # never echoed back
        raise ValueError("a node URL with credentials: give them in the config's node table")
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query:
        raise ValueError(f"not a Scrapyd node URL: {url!r} (e.g. http://scrapyd1:6800)")
    return url.strip().rstrip("/")


def upload(
    node: str, egg: bytes, version: str, auth: tuple[str, str] | None = None,
    timeout: float = UPLOAD_TIMEOUT, project: str = PROJECT,
) -> Upload:  # fmt: skip
    """Add ``version`` of ``project`` to one node with Scrapyd's ``addversion.json``."""
    try:
        response = httpx.post(
            f"{node}/addversion.json",
            data={"project": project, "version": version},
            files={"egg": (f"{project}.egg", egg)},
            auth=auth,
            timeout=timeout,
        )
    except httpx.TransportError as exc:
        return Upload(node, "unreachable", str(exc) or type(exc).__name__)
    if response.status_code != 200:
        reason = "wrong username or password" if response.status_code == 401 else ""
        return Upload(node, "refused", f"HTTP {response.status_code} {reason}".strip())
    try:
        answer = response.json()
    except ValueError:
        return Upload(node, "refused", f"not a Scrapyd answer: {response.text[:200]!r}")
    if answer.get("status") != "ok":
        lines = str(answer.get("message", answer)).strip().splitlines()
        message = lines[-1] if lines else "error"
        # Scrapyd keeps an egg it could not read as the newest version: remove it, so the
        # node goes on running the version it had.
        removed = _delete_version(node, project, version, auth)
        return Upload(node, "refused", f"{message} ({removed})" if removed else message)
    spiders = int(answer.get("spiders", 0))
    return Upload(node, "ok", f"version {version}, {spiders} spiders", spiders)


def _delete_version(node: str, project: str, version: str, auth: tuple[str, str] | None) -> str:
    """Remove an upload Scrapyd kept; "" when done or never kept, else what went wrong."""
    try:
        deleted = httpx.post(
            f"{node}/delversion.json", data={"project": project, "version": version}, auth=auth,
            timeout=30,
        )  # fmt: skip
        if deleted.status_code == 200 and deleted.json().get("status") == "ok":
            return ""
        listed = httpx.get(f"{node}/listversions.json", params={"project": project}, auth=auth,
                           timeout=30)  # fmt: skip
        if version not in listed.json().get("versions", [version]):
            return ""
    except (httpx.TransportError, ValueError):
        pass
    return f"the unreadable version {version} could not be removed from the node"
