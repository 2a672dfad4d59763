"""Client JSON as hostile and careless clients send it, and the oracle that judges it:
what the strictest supported database (PostgreSQL) would store, written apart from the
code under test (`storage.values`)."""

from __future__ import annotations

import json
import math
from typing import Any

from hypothesis import strategies as st

from tests.client import GraphQLClient

TEXT = st.one_of(
    st.text(st.one_of(st.characters(), st.sampled_from(["\x00", "\ud800", "\udfff"])), max_size=6),
    st.sampled_from(["a\x00b", "\\u0000", "é😀", "\ud83d\ude00"]),
)
NUMBERS = st.one_of(
    st.integers(-(2**70), 2**70),
    st.floats(),  # NaN and Infinity included
    st.sampled_from([100.0, -0.0, 1e16, 2**64, 2**53 + 1, 1e-7, 5e-324, 1.5e300, 2.0**63]),
)
JSON_VALUES = st.recursive(
    st.one_of(st.none(), st.booleans(), NUMBERS, TEXT),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(TEXT, inner, max_size=3)),
    max_leaves=6,
)
KEYS = st.one_of(st.integers(195, 205).map("k".__mul__), TEXT)


def as_sent(value: Any) -> Any:
    """What the server receives: JSON joins an escaped surrogate pair into one character."""
    return json.loads(json.dumps(value))


def storable_text(text: str, limit: int | None = None) -> bool:
    """The oracle, written apart from the code under test: PostgreSQL's rules for text."""
    bad = any(c == "\x00" or 0xD800 <= ord(c) <= 0xDFFF for c in text)
    return not bad and (limit is None or len(text) <= limit)


def exactly(value: Any) -> str:
    """`value` compared with its types: 100.0 is not 100, -0.0 is not 0.0 (Python's `==`
    says they are), and keys keep their order."""
    return json.dumps(value)


def storable(value: Any) -> bool:
    if isinstance(value, str):
        return storable_text(value)
    if isinstance(value, float) and not math.isfinite(value):
        return False
    if isinstance(value, list):
        return all(storable(v) for v in value)
    if isinstance(value, dict):
        return all(storable_text(k) and storable(v) for k, v in value.items())
    return True


async def call(client: GraphQLClient, document: str, variables: dict[str, Any]) -> Any:
    """The mutation's payload, posted as Python writes JSON (NaN as a bare literal, lone
    surrogates escaped: what a careless client sends). Never a GraphQL error."""
    body = json.dumps({"query": document, "variables": variables})
    response = await client.http.post(
        "/graphql", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 200, response.text
    payload = response.json()
    assert "errors" not in payload, payload["errors"]
    (result,) = payload["data"].values()
    return result


def assert_refused(payload: Any, *path: str) -> None:
    (error,) = payload["errors"] or [None]
    assert len(payload["errors"]) == 1, payload["errors"]
    assert error["code"] == "VALIDATION_FAILED", error
    assert error["path"][: len(path)] == list(path), error
