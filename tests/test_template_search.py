"""`templates(filter: {nameContains})` ignores case alike on SQLite and PostgreSQL, for
non-ASCII names too (issue 12): SQLite's own lower() and LIKE fold ASCII only."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.client import GraphQLClient
from tests.conftest import EXAMPLES

NAMES = ["Straße_Überweisung", "ΣΟΦΙΑ_Review", "Émile_Audit", "plain_audit", "ÇA_100%_done"]
IMPORT = """mutation($yaml: String!) {
  importTemplate(input: {yaml: $yaml}) { template { name } errors { code message } } }"""
SEARCH = """query($part: String!) {
  templates(filter: {nameContains: $part}) { totalCount edges { node { name } } } }"""


async def _import_names(client: GraphQLClient) -> None:
    text = (EXAMPLES / "receipt_audit.yaml").read_text(encoding="utf-8")
    for name in NAMES:
        yaml = text.replace("name: Receipt_Audit", f"name: '{name}'", 1)
        payload = (await client.data(IMPORT, {"yaml": yaml}))["importTemplate"]
        assert payload["errors"] == [], payload
        assert payload["template"]["name"] == name


async def _found(client: GraphQLClient, part: str) -> list[str]:
    # Posted as Python writes JSON: a lone surrogate travels escaped, as a client may send it.
    body = json.dumps({"query": SEARCH, "variables": {"part": part}})
    response = await client.http.post(
        "/graphql", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 200, response.text
    assert "errors" not in response.json(), response.text
    data: dict[str, Any] = response.json()["data"]["templates"]
    names = [edge["node"]["name"] for edge in data["edges"]]
    assert data["totalCount"] == len(names)
    return sorted(names)


@pytest.mark.parametrize(
    ("part", "expected"),
    [
        ("strasse", ["Straße_Überweisung"]),
        ("STRASSE_ÜBER", ["Straße_Überweisung"]),
        ("überweisung", ["Straße_Überweisung"]),
        ("σοφια", ["ΣΟΦΙΑ_Review"]),
        ("émile", ["Émile_Audit"]),
        ("AUDIT", ["plain_audit", "Émile_Audit"]),
        ("ça_100%", ["ÇA_100%_done"]),
        ("%", ["ÇA_100%_done"]),  # LIKE's wildcards are plain characters here
        ("_", sorted(NAMES)),
        ("a\x00b", []),  # no name holds a NUL; nothing reaches the database
        ("\ud800", []),
    ],
)
async def test_name_contains_folds_case_on_every_dialect(
    client: GraphQLClient, part: str, expected: list[str]
) -> None:
    await _import_names(client)
    assert await _found(client, part) == sorted(expected)


PIECES = st.text(st.sampled_from("aAßSsÜüΣσςÉé_%0"), min_size=1, max_size=4)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(part=PIECES)
async def test_name_contains_agrees_with_python_casefold(client: GraphQLClient, part: str) -> None:
    """The oracle: Python's own case folding of the name and the searched part."""
    if not (await _found(client, "_")):
        await _import_names(client)
    expected = [name for name in NAMES if part.casefold() in name.casefold()]
    assert await _found(client, part) == sorted(expected)


EXACT = """query($name: String!) {
  templates(filter: {name: $name}) { totalCount edges { node { name } } } }"""


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(name=st.one_of(st.text(max_size=20), st.sampled_from(["\x00", "a\x00b"])))
async def test_the_exact_name_filter_takes_any_text(client: GraphQLClient, name: str) -> None:
    """Text no name can hold (NUL, a lone surrogate) matches nothing; it never reaches
    PostgreSQL, which refuses it."""
    if not (await _found(client, "_")):
        await _import_names(client)
    data = await client.data(EXACT, {"name": name})
    names = [edge["node"]["name"] for edge in data["templates"]["edges"]]
    assert names == [n for n in NAMES if n == name]
