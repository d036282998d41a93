"""Fetch official dataset archives once, verify their checksums, and keep them in a cache folder.

The cache is ``$HYPERNAS_DATA`` when set, else ``~/.cache/hypernas``; each dataset has its own
sub-folder. A file already present (in the cache or in a user's local copy given as ``root``) is
checked against the same checksum before it is read, so a truncated or altered file is never used.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from hypernas.errors import ConfigError


class DatasetError(ConfigError):
    """A dataset that cannot be found, fetched, verified or read."""


@dataclass(frozen=True)
class Resource:
    """One official file: its name, where it can be fetched, and its checksum (``md5:...`` or ``sha256:...``)."""

    filename: str
    urls: tuple[str, ...]
    checksum: str


def cache_dir() -> Path:
    """The folder where downloaded datasets are kept."""
    env = os.environ.get("HYPERNAS_DATA")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "hypernas"


def file_checksum(path: Path, algorithm: str) -> str:
    """Hex digest of ``path`` with ``algorithm`` (``md5`` or ``sha256``)."""
    digest = hashlib.new(algorithm)
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verify(path: Path, checksum: str, what: str | None = None) -> None:
    """Raise :class:`DatasetError` unless ``path`` has the expected ``algorithm:hexdigest`` checksum."""
    algorithm, _, expected = checksum.partition(":")
    actual = file_checksum(path, algorithm)
    if actual != expected:
        advice = "" if what else "; delete the file to fetch it again"
        raise DatasetError(f"checksum mismatch for {what or path}: {algorithm} is {actual}, expected {expected}{advice}")


def fetch_url(url: str, dest: Path) -> None:
    """Download ``url`` to ``dest`` (tests replace this function; they never reach the network)."""
    with urllib.request.urlopen(url, timeout=60) as response, open(dest, "wb") as out:
        shutil.copyfileobj(response, out)


def ensure(resource: Resource, folder: Path, *, root: Path | None = None, download: bool = True) -> Path:
    """The verified local path of ``resource``: from ``root`` (a local copy), else the cache, else downloaded."""
    if root is not None:
        local = Path(root).expanduser() / resource.filename
        if not local.is_file():
            raise DatasetError(f"local copy {root} has no file {resource.filename!r}; expected the official files: "
                               f"{resource.filename}")
        verify(local, resource.checksum)
        return local
    target = folder / resource.filename
    if target.is_file():
        verify(target, resource.checksum)
        return target
    if not download:
        raise DatasetError(f"{resource.filename} is not in the cache {folder} and download=False; "
                           "give root= a folder with the official files or allow the download")
    folder.mkdir(parents=True, exist_ok=True)
    errors = []
    for url in resource.urls:
        fd, tmp_name = tempfile.mkstemp(dir=folder, prefix=resource.filename, suffix=".part")
        os.close(fd)
        tmp = Path(tmp_name)
        try:
            fetch_url(url, tmp)
            verify(tmp, resource.checksum, what=url)
            os.replace(tmp, target)
            return target
        except DatasetError as exc:
            errors.append(str(exc))
        except OSError as exc:
            errors.append(f"{url}: {exc}")
        finally:
            tmp.unlink(missing_ok=True)
    raise DatasetError(f"could not fetch {resource.filename}: {'; '.join(errors)}")
