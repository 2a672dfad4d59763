"""Dependencies flow one way: gql → schema → resolvers → storage; migrations sit on storage.

A package importing one above it (as migrations once imported `gql.settings`) ties the
lower layer to the server: Alembic would then load the whole API to learn two URLs.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# What each package may import of ours, besides itself.
ALLOWED = {
    "storage": set(),
    "migrations": {"storage"},
    "resolvers": {"storage"},
    "schema": {"resolvers", "storage"},
    "gql": {"schema", "resolvers", "storage", "migrations"},
}


def _imported_packages(path: Path) -> set[str]:
    """Top-level names imported anywhere in the module, function bodies included."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_no_package_imports_a_layer_above_it(package: str) -> None:
    forbidden = set(ALLOWED) - ALLOWED[package] - {package}
    offenders = {
        str(path.relative_to(ROOT)): sorted(_imported_packages(path) & forbidden)
        for path in sorted((ROOT / package).rglob("*.py"))
    }
    assert not {path: names for path, names in offenders.items() if names}
