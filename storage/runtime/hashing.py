"""The one state hash of SPEC 4.4: SHA-256 over the current attributes as canonical JSON."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any


def state_hash(attributes: Mapping[str, Any]) -> str:
    """Lowercase hex SHA-256 of `attributes` with sorted keys and compact separators.

    `ensure_ascii` stays at its default (True) so the hash does not depend on how a client
    encodes non-ASCII text; empty attributes hash the two bytes `{}`.
    """
    canonical = json.dumps(dict(attributes), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("ascii")).hexdigest()
