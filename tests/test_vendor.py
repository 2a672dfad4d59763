"""GraphiQL's pinned assets: nothing is written unless both sha512s match the lock, files
already in place are checked and kept, altered ones are fetched again. The download itself
(npm's registry) is replaced by tarballs built here: the tests must not need the network."""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

import pytest

from gql import vendor


def _tarball(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for path, data in files.items():
            info = tarfile.TarInfo(f"package/{path}")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


URL = "https://registry.npmjs.org/demo/-/demo-1.0.0.tgz"
FILES = {"dist/demo.min.js": b"window.demo = 1;\n", "dist/demo.css": b"body{}\n"}


def _lock(tmp_path: Path, tarball: bytes, files: dict[str, bytes] = FILES) -> Path:
    lock = tmp_path / "vendor.lock.json"
    package = {
        "name": "demo",
        "version": "1.0.0",
        "tarball": URL,
        "integrity": vendor.sri(tarball),
        "files": {path: vendor.sri(data) for path, data in files.items()},
    }
    lock.write_text(json.dumps({"packages": [package]}))
    return lock


def test_fetch_extracts_only_the_pinned_files_then_keeps_them(tmp_path: Path) -> None:
    tarball = _tarball({**FILES, "README.md": b"not wanted"})
    lock = _lock(tmp_path, tarball)
    downloads: list[str] = []

    def download(url: str) -> bytes:
        downloads.append(url)
        return tarball

    assert [a.url_path for a in vendor.missing(tmp_path, lock)] == [
        "vendor/demo@1.0.0/dist/demo.min.js",
        "vendor/demo@1.0.0/dist/demo.css",
    ]
    assert vendor.fetch(tmp_path, lock, download) == 2
    base = tmp_path / "vendor" / "demo@1.0.0"
    assert {p.relative_to(base).as_posix() for p in base.rglob("*") if p.is_file()} == set(FILES)
    assert vendor.missing(tmp_path, lock) == []
    assert vendor.fetch(tmp_path, lock, download) == 0  # intact: no download at all
    assert downloads == [URL]

    (base / "dist/demo.css").write_bytes(b"body{background:url(//elsewhere)}")
    assert vendor.fetch(tmp_path, lock, download) == 2
    assert (base / "dist/demo.css").read_bytes() == FILES["dist/demo.css"]


def test_a_tarball_that_differs_from_the_lock_writes_nothing(tmp_path: Path) -> None:
    lock = _lock(tmp_path, _tarball(FILES))
    other = _tarball({**FILES, "dist/demo.min.js": b"window.evil = 1;\n"})
    with pytest.raises(SystemExit, match="tarball sha512 differs"):
        vendor.fetch(tmp_path, lock, lambda url: other)
    assert not (tmp_path / "vendor").exists()


def test_a_file_that_differs_from_the_lock_writes_nothing(tmp_path: Path) -> None:
    tampered = {**FILES, "dist/demo.css": b"changed"}
    tarball = _tarball(tampered)
    lock = _lock(tmp_path, tarball, files=FILES)  # the tarball hash matches, a file does not
    with pytest.raises(SystemExit, match=r"dist/demo\.css sha512 differs"):
        vendor.fetch(tmp_path, lock, lambda url: tarball)
    assert not (tmp_path / "vendor").exists()


def test_downloads_come_from_the_npm_registry_only() -> None:
    with pytest.raises(SystemExit, match="not from"):
        vendor._download("https://cdn.example/graphiql.tgz")


def test_the_committed_lock_matches_the_installed_files() -> None:
    """What `make install` put in place is what the lock (and so the page) pins."""
    assert vendor.missing() == [], f"run: {vendor.FETCH_COMMAND}"
    for asset in vendor.assets():
        data = (vendor.STATIC / asset.url_path).read_bytes()
        assert vendor.sri(data) == asset.integrity, asset.url_path
