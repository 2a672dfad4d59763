"""GraphiQL's browser assets, fetched from the npm registry at install time, never committed.

The page at /graphql must work on a closed network, so every script and style it loads is
served by this server. The third-party files are not in git: `vendor.lock.json` pins each
package (version, tarball, the registry's sha512 `integrity`) and the sha512 of each file
taken from it; this module downloads the tarballs, checks both hashes and extracts only
those files under `gql/static/vendor/`, which the wheel carries (pyproject package-data).
`make install` runs it; `python -m gql.vendor --relock` rewrites the lock after a version
bump. Standard library only: it runs before the project's dependencies are installed.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import io
import json
import sys
import tarfile
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypedDict

STATIC = Path(__file__).resolve().parent / "static"
LOCK = STATIC / "vendor.lock.json"
VENDOR = STATIC / "vendor"
REGISTRY = "https://registry.npmjs.org"
FETCH_COMMAND = "make install  (or: python -m gql.vendor)"


class LockedPackage(TypedDict):
    """One package of the lock: what to download and what to take from it."""

    name: str
    version: str
    tarball: str
    integrity: str  # the registry's sha512 of the tarball
    files: dict[str, str]  # path in the package -> sha512 of the file


@dataclass(frozen=True, slots=True)
class Asset:
    """One file of a pinned package, as the browser loads it."""

    package: str
    version: str
    path: str
    integrity: str  # sha512-<base64>, usable as the HTML `integrity` attribute

    @property
    def url_path(self) -> str:
        """Where it lives under gql/static/ (and under /static/ on the server)."""
        return f"vendor/{self.package}@{self.version}/{self.path}"


def sri(data: bytes) -> str:
    """The Subresource Integrity form of a sha512 digest (npm's `integrity` uses it too)."""
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()


def read_lock(lock: Path = LOCK) -> list[LockedPackage]:
    packages: list[LockedPackage] = json.loads(lock.read_text())["packages"]
    return packages


def assets(lock: Path = LOCK) -> list[Asset]:
    """Every pinned file, in the lock's order (the order the page loads them)."""
    return [
        Asset(package["name"], package["version"], path, integrity)
        for package in read_lock(lock)
        for path, integrity in package["files"].items()
    ]


def missing(root: Path = STATIC, lock: Path = LOCK) -> list[Asset]:
    """Pinned files absent from disk (their content is checked by the browser's integrity)."""
    return [asset for asset in assets(lock) if not (root / asset.url_path).is_file()]


def _download(url: str) -> bytes:
    if not url.startswith(REGISTRY + "/"):
        raise SystemExit(f"refusing to download {url}: not from {REGISTRY}")
    with urllib.request.urlopen(url, timeout=60) as response:
        body: bytes = response.read()
    return body


def _intact(root: Path, package: LockedPackage) -> bool:
    base = root / "vendor" / f"{package['name']}@{package['version']}"
    return all(
        (base / path).is_file() and sri((base / path).read_bytes()) == integrity
        for path, integrity in package["files"].items()
    )


def fetch(
    root: Path = STATIC, lock: Path = LOCK, download: Callable[[str], bytes] = _download
) -> int:
    """Downloads, verifies and extracts what is missing or altered; returns files written.

    Nothing is written from a tarball or a file whose sha512 differs from the lock."""
    written = 0
    for package in read_lock(lock):
        if _intact(root, package):
            continue
        name, version = package["name"], package["version"]
        tarball = download(package["tarball"])
        if sri(tarball) != package["integrity"]:
            raise SystemExit(f"{name}@{version}: tarball sha512 differs from the lock; not used")
        contents = {}
        with tarfile.open(fileobj=io.BytesIO(tarball), mode="r:gz") as archive:
            for path, integrity in package["files"].items():
                member = archive.extractfile(f"package/{path}")
                if member is None:
                    raise SystemExit(f"{name}@{version}: {path} is not a file in the tarball")
                contents[path] = member.read()
                if sri(contents[path]) != integrity:
                    raise SystemExit(f"{name}@{version}: {path} sha512 differs from the lock")
        base = root / "vendor" / f"{name}@{version}"
        for path, data in contents.items():
            target = base / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
            written += 1
    return written


def relock(lock: Path = LOCK) -> None:
    """Re-reads tarball, integrity and file hashes from the registry for the pinned versions."""
    document = json.loads(lock.read_text())
    for package in document["packages"]:
        meta = json.loads(_download(f"{REGISTRY}/{package['name']}/{package['version']}"))
        package["tarball"] = meta["dist"]["tarball"]
        package["integrity"] = meta["dist"]["integrity"]
        tarball = _download(package["tarball"])
        if sri(tarball) != package["integrity"]:
            raise SystemExit(f"{package['name']}: the registry's integrity does not match")
        with tarfile.open(fileobj=io.BytesIO(tarball), mode="r:gz") as archive:
            for path in package["files"]:
                member = archive.extractfile(f"package/{path}")
                if member is None:
                    raise SystemExit(f"{package['name']}: no file {path}")
                package["files"][path] = sri(member.read())
    lock.write_text(json.dumps(document, indent=2) + "\n")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m gql.vendor", description=__doc__)
    parser.add_argument("--relock", action="store_true", help="rewrite the lock's hashes")
    parser.add_argument("--check", action="store_true", help="only report missing files")
    args = parser.parse_args(argv)
    if args.relock:
        relock()
    if args.check:
        absent = missing()
        for asset in absent:
            print(f"missing: {asset.url_path}", file=sys.stderr)
        raise SystemExit(1 if absent else 0)
    written = fetch()
    print(f"GraphiQL assets: {len(assets())} files pinned, {written} written to {VENDOR}")


if __name__ == "__main__":
    main()
