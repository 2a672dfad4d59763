"""The state hash of SPEC 4.4 is pinned: changing it would invalidate every stored hash."""

import hashlib

import pytest

from storage.runtime.hashing import state_hash


@pytest.mark.parametrize(
    ("attributes", "canonical"),
    [
        ({}, "{}"),
        ({"b": 1, "a": 2}, '{"a":2,"b":1}'),
        ({"x": {"z": [1, 2, {"k": None}], "y": True}}, '{"x":{"y":true,"z":[1,2,{"k":null}]}}'),
        ({"name": "Zoë ✓"}, '{"name":"Zo\\u00eb \\u2713"}'),
        ({"amount": 12.5, "n": -3}, '{"amount":12.5,"n":-3}'),
    ],
    ids=["empty", "key-order", "nested", "unicode", "numbers"],
)
def test_hash_is_sha256_of_canonical_json(attributes: dict, canonical: str) -> None:
    assert state_hash(attributes) == hashlib.sha256(canonical.encode()).hexdigest()


def test_pinned_values() -> None:
    assert state_hash({}) == "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"
    assert state_hash({"b": 1, "a": "é"}) == hashlib.sha256(b'{"a":"\\u00e9","b":1}').hexdigest()


def test_key_order_does_not_matter() -> None:
    assert state_hash({"a": 1, "b": {"d": 1, "c": 2}}) == state_hash(
        {"b": {"c": 2, "d": 1}, "a": 1}
    )
