"""Template documents (SPEC 4.2): the YAML format parsed into typed specs, without a database.

Parsing collects every problem it finds (unknown keys, wrong types, missing fields, unknown
enum values) before giving up, so a user fixes a file in one round trip. The structural rules
R1-R12 live in `template_rules`.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import yaml

from storage.enums import ComponentDirection, DecompositionStrategy, GuardianType, RoleType
from storage.errors import DomainError, ErrorCode, Problem

MAX_DOCUMENT_BYTES = 1_000_000
E = TypeVar("E", bound=enum.Enum)
AiContext = str | dict[str, Any] | None


@dataclass(frozen=True, slots=True)
class GuardianSpec:
    name: str
    type: GuardianType
    description: str | None = None
    ai_context: AiContext = None
    config: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ComponentSpec:
    name: str
    role: str
    interaction: str
    direction: ComponentDirection
    description: str | None = None
    ai_context: AiContext = None
    guardians: tuple[GuardianSpec, ...] = ()


@dataclass(frozen=True, slots=True)
class InteractionSpec:
    name: str
    description: str | None = None
    ai_context: AiContext = None
    stale_token_limit_seconds: int | None = None


@dataclass(frozen=True, slots=True)
class RoleSpec:
    name: str
    role_type: RoleType
    strategy: DecompositionStrategy | None = None
    description: str | None = None
    ai_context: AiContext = None
    child_workflow: str | None = None
    child_workflow_version: int | None = None


@dataclass(frozen=True, slots=True)
class TemplateSpec:
    name: str
    version: int = 1
    description: str | None = None
    ai_context: AiContext = None
    roles: tuple[RoleSpec, ...] = ()
    interactions: tuple[InteractionSpec, ...] = ()
    components: tuple[ComponentSpec, ...] = ()


class _Reader:
    """Reads typed fields out of mappings, recording a problem for each bad one."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def fail(self, path: tuple[str, ...], message: str) -> None:
        self.problems.append(Problem(ErrorCode.VALIDATION_FAILED, message, path))

    def mapping(
        self, value: Any, path: tuple[str, ...], what: str, allowed: set[str]
    ) -> dict[str, Any] | None:
        if not isinstance(value, dict):
            self.fail(path, f"{what}: expected a mapping, got {_kind(value)}")
            return None
        for key in value:
            if key not in allowed:
                self.fail(
                    (*path, str(key)),
                    f"{what}: unknown key {key!r} (allowed: {', '.join(sorted(allowed))})",
                )
        return value

    def text(
        self, data: dict[str, Any], key: str, path: tuple[str, ...], what: str, required: bool
    ) -> str | None:
        value = data.get(key)
        if value is None:
            if required:
                self.fail((*path, key), f"{what}: {key} is required")
            return None
        if not isinstance(value, str) or (required and not value.strip()):
            self.fail((*path, key), f"{what}: {key} must be a non-empty string, got {_kind(value)}")
            return None
        return value

    def integer(
        self, data: dict[str, Any], key: str, path: tuple[str, ...], what: str
    ) -> int | None:
        value = data.get(key)
        if value is None:
            return None
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail((*path, key), f"{what}: {key} must be a whole number, got {value!r}")
            return None
        return value

    def choice(
        self,
        data: dict[str, Any],
        key: str,
        path: tuple[str, ...],
        what: str,
        enum_cls: type[E],
        required: bool,
    ) -> E | None:
        value = data.get(key)
        if value is None:
            if required:
                self.fail((*path, key), f"{what}: {key} is required")
            return None
        try:
            return enum_cls(value)
        except ValueError:
            allowed = ", ".join(member.value for member in enum_cls)
            self.fail((*path, key), f"{what}: unknown {key} {value!r} (allowed: {allowed})")
            return None

    def ai_context(self, data: dict[str, Any], path: tuple[str, ...], what: str) -> AiContext:
        value = data.get("ai_context")
        if value is None or isinstance(value, str | dict):
            return value
        self.fail((*path, "ai_context"), f"{what}: ai_context must be a string or a mapping")
        return None

    def items(self, data: dict[str, Any], key: str, path: tuple[str, ...]) -> list[Any]:
        value = data.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            self.fail((*path, key), f"{key} must be a list, got {_kind(value)}")
            return []
        return value


def _kind(value: Any) -> str:
    kinds: dict[type, str] = {dict: "a mapping", list: "a list", str: "a string"}
    return kinds.get(type(value), repr(value))


def _label(item: Any, index: int) -> str:
    name = item.get("name") if isinstance(item, dict) else None
    return name if isinstance(name, str) and name else str(index)


_WORKFLOW_KEYS = {
    "name",
    "version",
    "description",
    "ai_context",
    "roles",
    "interactions",
    "components",
}
_ROLE_KEYS = {
    "name",
    "role_type",
    "type",
    "strategy",
    "description",
    "ai_context",
    "child_workflow",
    "child_workflow_version",
}
_INTERACTION_KEYS = {"name", "description", "ai_context", "stale_token_limit_seconds"}
_COMPONENT_KEYS = {
    "name",
    "role",
    "interaction",
    "direction",
    "description",
    "ai_context",
    "guardian",
    "guardians",
}
_GUARDIAN_KEYS = {"name", "type", "description", "ai_context", "config"}


def _element(
    reader: _Reader,
    data: dict[str, Any],
    section: str,
    allowed: set[str],
    build: Callable[[dict[str, Any], tuple[str, ...], str], Any],
) -> list[Any]:
    built = []
    for index, item in enumerate(reader.items(data, section, ("workflow",))):
        path = ("workflow", section, _label(item, index))
        what = f"{section[:-1]} {_label(item, index)!r}"
        mapping = reader.mapping(item, path, what, allowed)
        if mapping is not None:
            element = build(mapping, path, what)
            if element is not None:
                built.append(element)
    return built


def parse_template_yaml(text: str) -> TemplateSpec:
    """The spec of a YAML document, or a DomainError listing every problem found."""
    size = len(text.encode("utf-8", errors="replace"))
    if size > MAX_DOCUMENT_BYTES:
        raise DomainError.single(
            ErrorCode.VALIDATION_FAILED,
            f"document is {size} bytes; at most {MAX_DOCUMENT_BYTES} are accepted",
            ("yaml",),
        )
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        reason = getattr(error, "problem", None) or "not valid YAML"
        raise DomainError.single(
            ErrorCode.VALIDATION_FAILED, f"invalid YAML{where}: {reason}", ("yaml",)
        ) from None
    reader = _Reader()
    top = reader.mapping(document, (), "document", {"workflow"})
    if top is None:
        raise DomainError(reader.problems)
    if "workflow" not in top:
        reader.fail(("workflow",), "document: the top-level key 'workflow' is required")
        raise DomainError(reader.problems)
    data = reader.mapping(top["workflow"], ("workflow",), "workflow", _WORKFLOW_KEYS)
    if data is None:
        raise DomainError(reader.problems)
    spec = _workflow(reader, data)
    if reader.problems or spec is None:
        raise DomainError(reader.problems)
    return spec


def _workflow(reader: _Reader, data: dict[str, Any]) -> TemplateSpec | None:
    path = ("workflow",)
    name = reader.text(data, "name", path, "workflow", required=True)
    version = reader.integer(data, "version", path, "workflow")
    if version is not None and version < 1:
        reader.fail((*path, "version"), f"workflow: version must be at least 1, got {version}")
    description = reader.text(data, "description", path, "workflow", required=False)
    ai_context = reader.ai_context(data, path, "workflow")

    def role(item: dict[str, Any], at: tuple[str, ...], what: str) -> RoleSpec | None:
        if "type" in item and "role_type" in item:
            reader.fail((*at, "type"), f"{what}: give role_type or its alias type, not both")
        key = "role_type" if "role_type" in item or "type" not in item else "type"
        role_name = reader.text(item, "name", at, what, required=True)
        role_type = reader.choice(item, key, at, what, RoleType, required=True)
        strategy = reader.choice(item, "strategy", at, what, DecompositionStrategy, False)
        child = reader.text(item, "child_workflow", at, what, required=False)
        child_version = reader.integer(item, "child_workflow_version", at, what)
        text = reader.text(item, "description", at, what, required=False)
        context = reader.ai_context(item, at, what)
        if role_name is None or role_type is None:
            return None
        return RoleSpec(role_name, role_type, strategy, text, context, child, child_version)

    def interaction(item: dict[str, Any], at: tuple[str, ...], what: str) -> Any:
        limit = reader.integer(item, "stale_token_limit_seconds", at, what)
        interaction_name = reader.text(item, "name", at, what, required=True)
        text = reader.text(item, "description", at, what, required=False)
        context = reader.ai_context(item, at, what)
        if interaction_name is None:
            return None
        return InteractionSpec(interaction_name, text, context, limit)

    def guardian(item: Any, at: tuple[str, ...], what: str) -> GuardianSpec | None:
        mapping = reader.mapping(item, at, what, _GUARDIAN_KEYS)
        if mapping is None:
            return None
        guardian_name = reader.text(mapping, "name", at, what, required=True)
        kind = reader.choice(mapping, "type", at, what, GuardianType, required=True)
        config = mapping.get("config") or {}
        if not isinstance(config, dict):
            reader.fail((*at, "config"), f"{what}: config must be a mapping")
            config = {}
        text = reader.text(mapping, "description", at, what, required=False)
        context = reader.ai_context(mapping, at, what)
        if guardian_name is None or kind is None:
            return None
        return GuardianSpec(guardian_name, kind, text, context, config)

    def component(item: dict[str, Any], at: tuple[str, ...], what: str) -> Any:
        if "guardian" in item and "guardians" in item:
            reader.fail((*at, "guardian"), f"{what}: give guardian or guardians, not both")
        raw = item.get("guardians", [item["guardian"]] if "guardian" in item else [])
        if not isinstance(raw, list):
            reader.fail((*at, "guardians"), f"{what}: guardians must be a list")
            raw = []
        guardians = []
        for index, entry in enumerate(raw):
            label = _label(entry, index)
            built = guardian(entry, (*at, "guardians", label), f"guardian {label!r}")
            if built is not None:
                guardians.append(built)
        component_name = reader.text(item, "name", at, what, required=True)
        role_name = reader.text(item, "role", at, what, required=True)
        interaction_name = reader.text(item, "interaction", at, what, required=True)
        direction = reader.choice(item, "direction", at, what, ComponentDirection, True)
        text = reader.text(item, "description", at, what, required=False)
        context = reader.ai_context(item, at, what)
        if component_name is None or role_name is None or interaction_name is None:
            return None
        if direction is None:
            return None
        return ComponentSpec(
            component_name,
            role_name,
            interaction_name,
            direction,
            text,
            context,
            tuple(guardians),
        )

    roles = _element(reader, data, "roles", _ROLE_KEYS, role)
    interactions = _element(reader, data, "interactions", _INTERACTION_KEYS, interaction)
    components = _element(reader, data, "components", _COMPONENT_KEYS, component)
    if name is None:
        return None
    return TemplateSpec(
        name,
        version or 1,
        description,
        ai_context,
        tuple(roles),
        tuple(interactions),
        tuple(components),
    )


def template_schema_json(spec: TemplateSpec) -> dict[str, Any]:
    """The whole graph as plain JSON, cached on the workflow row."""

    def plain(value: Any) -> Any:
        if isinstance(value, enum.Enum):
            return value.value
        if isinstance(value, tuple | list):
            return [plain(v) for v in value]
        if hasattr(value, "__dataclass_fields__"):
            return {k: plain(getattr(value, k)) for k in value.__dataclass_fields__}
        return value

    result: dict[str, Any] = plain(spec)
    return result
