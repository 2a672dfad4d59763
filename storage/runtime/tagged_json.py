"""A service's answer as JSON text and back, exactly: what an idempotency key replays.

Services answer with dataclasses of row-like records (UUIDs, aware datetimes, enums, the
clients' own JSON). Plain `json` would flatten these into strings a retry could not tell
from the client's data, so every non-JSON value travels in a one-key object naming its
kind (`{"$uuid": ...}`), and so does every object of the client's own (`{"$dict": ...}`):
no client value can pass for a tag. Records come back as `SimpleNamespace` with the same
attribute names, which is all the payload types read. Text, not JSONB, keeps the order of
the client's keys.
"""

from __future__ import annotations

import dataclasses
import enum
import json
import uuid
from collections.abc import Callable
from datetime import datetime
from types import SimpleNamespace
from typing import Any

from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import DeclarativeBase

from storage import enums
from storage.engine.journal import EngineResult, Route
from storage.errors import DomainError, ErrorCode, Problem
from storage.runtime.transitions import TransitionResult
from storage.runtime.uows import DecomposeResult, VerifyResult

_DATACLASSES: dict[str, type[Any]] = {
    cls.__name__: cls
    for cls in (TransitionResult, EngineResult, Route, DecomposeResult, VerifyResult, Problem)
}
_ENUMS: dict[str, type[enum.Enum]] = {
    name: value
    for name, value in vars(enums).items()
    if isinstance(value, type) and issubclass(value, enum.Enum)
} | {"ErrorCode": ErrorCode}


def dumps(value: Any) -> str:
    """`value` as tagged JSON text; a value of a kind not listed here is a bug (TypeError)."""
    return json.dumps(_encode(value), separators=(",", ":"))


def loads(text: str) -> Any:
    return _decode(json.loads(text))


def _encode(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return {"$enum": [type(value).__name__, value.value]}
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, uuid.UUID):
        return {"$uuid": str(value)}
    if isinstance(value, datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, dict):
        return {"$dict": {str(key): _encode(item) for key, item in value.items()}}
    if isinstance(value, list):
        return [_encode(item) for item in value]
    if isinstance(value, DomainError):
        return {"$refused": [_encode(problem) for problem in value.problems]}
    if dataclasses.is_dataclass(value) and type(value).__name__ in _DATACLASSES:
        fields = {f.name: _encode(getattr(value, f.name)) for f in dataclasses.fields(value)}
        return {"$dataclass": [type(value).__name__, fields]}
    record = _record(value)
    if record is not None:
        return {"$record": {key: _encode(item) for key, item in record.items()}}
    if isinstance(value, tuple):
        return {"$tuple": [_encode(item) for item in value]}
    raise TypeError(f"cannot keep a {type(value).__name__} for an idempotent replay")


def _record(value: Any) -> dict[str, Any] | None:
    """The columns of a row-like record: a Core row, a namespace, or an ORM row."""
    if isinstance(value, SimpleNamespace):
        return vars(value)
    if hasattr(value, "_asdict"):
        mapping: dict[str, Any] = value._asdict()
        return mapping
    if isinstance(value, DeclarativeBase):
        return {c.key: getattr(value, c.key) for c in sa_inspect(value).mapper.column_attrs}
    return None


def _decode(value: Any) -> Any:
    if isinstance(value, list):
        return [_decode(item) for item in value]
    if not isinstance(value, dict):
        return value
    ((tag, inner),) = value.items()
    return _TAGS[tag](inner)


def _dataclass(inner: list[Any]) -> Any:
    name, fields = inner
    return _DATACLASSES[name](**{key: _decode(item) for key, item in fields.items()})


def _enum(inner: list[Any]) -> Any:
    name, member = inner
    return _ENUMS[name](member)


_TAGS: dict[str, Callable[[Any], Any]] = {
    "$enum": _enum,
    "$uuid": uuid.UUID,
    "$datetime": datetime.fromisoformat,
    "$dict": lambda inner: {key: _decode(item) for key, item in inner.items()},
    "$tuple": lambda inner: tuple(_decode(item) for item in inner),
    "$refused": lambda inner: DomainError(tuple(_decode(item) for item in inner)),
    "$dataclass": _dataclass,
    "$record": lambda inner: SimpleNamespace(**{k: _decode(v) for k, v in inner.items()}),
}
