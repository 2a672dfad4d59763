"""Template documents (SPEC 4.2): the YAML format parsed into typed specs, without a database.

Parsing collects every problem it finds (unknown keys, wrong types, missing fields, unknown
enum values) before giving up, so a user fixes a file in one round trip. The structural rules
R1-R12 live in `rules`.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from typing import Any, TypeVar

import yaml

from storage.enums import ComponentDirection, DecompositionStrategy, GuardianType, RoleType
from storage.errors import DomainError, ErrorCode, Problem
from storage.templates.specs import (
    AiContext,
    ComponentSpec,
    GuardianSpec,
    InteractionSpec,
    RoleSpec,
    TemplateSpec,
)
from storage.values import INT32_MAX, path_part

MAX_DOCUMENT_BYTES = 1_000_000
MAX_EXPANDED_NODES = 1_000_000  # values once aliases are expanded (refuses "billion laughs")
# Characters of scalar text once aliases are expanded. Everything a document says is stored
# (its rows and the whole graph as JSON), so a few aliases of one large string must not turn
# a 1 MB document into hundreds of MB of writes: four times the document bound leaves room
# for honest reuse (a shared description, a config anchor) and nothing more.
MAX_EXPANDED_CHARACTERS = 4 * MAX_DOCUMENT_BYTES
E = TypeVar("E", bound=enum.Enum)
_MERGE_TAG = "tag:yaml.org,2002:merge"
_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _show(value: Any) -> str:
    """A short description of a value for messages (never the repr of a whole structure)."""
    if value is None:
        return "nothing"
    kinds: dict[type, str] = {dict: "a mapping", list: "a list", set: "a set", bytes: "bytes"}
    if type(value) in kinds:
        return kinds[type(value)]
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


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
            self.fail(path, f"{what}: expected a mapping, got {_show(value)}")
            return None
        for key in value:
            if key not in allowed:
                self.fail(
                    (*path, path_part(str(key))),
                    f"{what}: unknown key {_show(key)} (allowed: {', '.join(sorted(allowed))})",
                )
        return value

    def given(
        self, data: dict[str, Any], key: str, path: tuple[str, ...], what: str, required: bool
    ) -> Any:
        """`data[key]`, or None when it is absent or null (a failure when `required`)."""
        value = data.get(key)
        if value is None and required:
            self.fail((*path, key), f"{what}: {key} is required")
        return value

    def text(
        self, data: dict[str, Any], key: str, path: tuple[str, ...], what: str, required: bool
    ) -> str | None:
        value = self.given(data, key, path, what, required)
        if value is None:
            return None
        if not isinstance(value, str) or (required and not value.strip()):
            self.fail((*path, key), f"{what}: {key} must be a non-empty string, got {_show(value)}")
            return None
        return value

    def integer(
        self, data: dict[str, Any], key: str, path: tuple[str, ...], what: str
    ) -> int | None:
        value = data.get(key)
        if value is None:
            return None
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            message = f"{what}: {key} must be a positive whole number, got {_show(value)}"
            self.fail((*path, key), message)
            return None
        if value > INT32_MAX:  # the columns are 32-bit INTEGER on PostgreSQL
            self.fail((*path, key), f"{what}: {key} must be at most {INT32_MAX}, got {value}")
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
        value = self.given(data, key, path, what, required)
        if value is None:
            return None
        members = {member.value: member for member in enum_cls}
        if isinstance(value, str) and value in members:
            return members[value]
        allowed = ", ".join(members)
        self.fail((*path, key), f"{what}: unknown {key} {_show(value)} (allowed: {allowed})")
        return None

    def ai_context(self, data: dict[str, Any], path: tuple[str, ...], what: str) -> AiContext:
        value = data.get("ai_context")
        if value is None or isinstance(value, str | dict):
            return value
        message = f"{what}: ai_context must be a string or a mapping, got {_show(value)}"
        self.fail((*path, "ai_context"), message)
        return None

    def items(self, data: dict[str, Any], key: str) -> list[Any]:
        value = data.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            self.fail(("workflow", key), f"workflow: {key} must be a list, got {_show(value)}")
            return []
        return value


def _label(item: Any, index: int) -> str:
    name = item.get("name") if isinstance(item, dict) else None
    return path_part(name) if isinstance(name, str) and name.strip() else str(index)


_COMMON_KEYS = {"name", "description", "ai_context"}
_WORKFLOW_KEYS = _COMMON_KEYS | {"version", "roles", "interactions", "components"}
_ROLE_KEYS = _COMMON_KEYS | {
    "role_type",
    "type",
    "strategy",
    "child_workflow",
    "child_workflow_version",
}
_INTERACTION_KEYS = _COMMON_KEYS | {"stale_token_limit_seconds"}
_COMPONENT_KEYS = _COMMON_KEYS | {"role", "interaction", "direction", "guardian", "guardians"}
_GUARDIAN_KEYS = _COMMON_KEYS | {"type", "config"}


def _node_problem(root: Any) -> str | None:
    """Why the composed YAML graph is refused: a duplicate key, a recursive alias, or too many
    values or characters once aliases are expanded. Iterative, and linear in the nodes
    actually written (an alias is measured once, then counted at every use)."""
    sizes: dict[int, tuple[int, int]] = {}  # node -> (values, characters) when expanded
    active: set[int] = set()
    stack: list[tuple[Any, bool]] = [(root, False)]
    while stack:
        node, finished = stack.pop()
        children: list[Any] = []
        if isinstance(node, yaml.MappingNode):
            children = [part for pair in node.value for part in pair]
        elif isinstance(node, yaml.SequenceNode):
            children = list(node.value)
        if finished:
            active.discard(id(node))
            own = len(node.value) if isinstance(node, yaml.ScalarNode) else 0
            values = 1 + sum(sizes[id(c)][0] for c in children)
            characters = own + sum(sizes[id(c)][1] for c in children)
            if values > MAX_EXPANDED_NODES:
                return f"the document expands to more than {MAX_EXPANDED_NODES} values (aliases)"
            if characters > MAX_EXPANDED_CHARACTERS:
                return (
                    f"the document expands to more than {MAX_EXPANDED_CHARACTERS} characters "
                    "of text (aliases)"
                )
            sizes[id(node)] = (values, characters)
            continue
        if id(node) in sizes:
            continue
        if id(node) in active:
            return f"recursive alias at line {node.start_mark.line + 1}"
        if isinstance(node, yaml.MappingNode):
            seen: set[tuple[str, str]] = set()
            for key, _ in node.value:
                if isinstance(key, yaml.ScalarNode) and key.tag != _MERGE_TAG:
                    if (key.tag, key.value) in seen:
                        mark = key.start_mark
                        where = f"line {mark.line + 1}, column {mark.column + 1}"
                        return f"duplicate key {key.value!r} at {where}"
                    seen.add((key.tag, key.value))
        active.add(id(node))
        stack.append((node, True))
        stack.extend((child, False) for child in children)
    return None


def _load(text: str) -> Any:
    def refuse(message: str) -> DomainError:
        return DomainError.single(ErrorCode.VALIDATION_FAILED, message, ("yaml",))

    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        problem = None if node is None else _node_problem(node)
        if problem is not None:
            raise refuse(f"invalid YAML: {problem}")
        return None if node is None else loader.construct_document(node)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        reason = getattr(error, "problem", None) or "not valid YAML"
        raise refuse(f"invalid YAML{where}: {reason}") from None
    except RecursionError:
        raise refuse("invalid YAML: the document nests too deeply") from None
    finally:
        loader.dispose()


def parse_template_yaml(text: str) -> TemplateSpec:
    """The spec of a YAML document, or a DomainError listing every problem found."""
    size = len(text) if len(text) > MAX_DOCUMENT_BYTES else len(text.encode("utf-8", "replace"))
    if size > MAX_DOCUMENT_BYTES:
        raise DomainError.single(
            ErrorCode.VALIDATION_FAILED,
            f"document is {size} bytes or more; at most {MAX_DOCUMENT_BYTES} are accepted",
            ("yaml",),
        )
    document = _load(text)
    reader = _Reader()
    top = reader.mapping(document, (), "document", {"workflow"})
    if top is not None and "workflow" not in top:
        reader.fail(("workflow",), "document: the top-level key 'workflow' is required")
    elif top is not None:
        data = reader.mapping(top["workflow"], ("workflow",), "workflow", _WORKFLOW_KEYS)
        spec = None if data is None else _workflow(reader, data)
        if spec is not None and not reader.problems:
            return spec
    raise DomainError(reader.problems)


def _element(
    reader: _Reader,
    data: dict[str, Any],
    section: str,
    allowed: set[str],
    build: Callable[[dict[str, Any], tuple[str, ...], str], Any],
) -> list[Any]:
    built = []
    for index, item in enumerate(reader.items(data, section)):
        path = ("workflow", section, _label(item, index))
        what = f"{section[:-1]} {_label(item, index)!r}"
        mapping = reader.mapping(item, path, what, allowed)
        element = None if mapping is None else build(mapping, path, what)
        if element is not None:
            built.append(element)
    return built


def _workflow(reader: _Reader, data: dict[str, Any]) -> TemplateSpec | None:
    path = ("workflow",)
    name = reader.text(data, "name", path, "workflow", required=True)
    version = reader.integer(data, "version", path, "workflow")
    description = reader.text(data, "description", path, "workflow", required=False)
    ai_context = reader.ai_context(data, path, "workflow")

    def common(item: dict[str, Any], at: tuple[str, ...], what: str) -> tuple[Any, ...]:
        name = reader.text(item, "name", at, what, required=True)
        text = reader.text(item, "description", at, what, required=False)
        return name, text, reader.ai_context(item, at, what)

    def role(item: dict[str, Any], at: tuple[str, ...], what: str) -> RoleSpec | None:
        if "type" in item and "role_type" in item:
            reader.fail((*at, "type"), f"{what}: give role_type or its alias type, not both")
        key = "role_type" if "role_type" in item or "type" not in item else "type"
        role_name, text, context = common(item, at, what)
        role_type = reader.choice(item, key, at, what, RoleType, required=True)
        strategy = reader.choice(item, "strategy", at, what, DecompositionStrategy, False)
        child = reader.text(item, "child_workflow", at, what, required=False)
        child_version = reader.integer(item, "child_workflow_version", at, what)
        if role_name is None or role_type is None:
            return None
        return RoleSpec(role_name, role_type, strategy, text, context, child, child_version)

    def interaction(item: dict[str, Any], at: tuple[str, ...], what: str) -> Any:
        interaction_name, text, context = common(item, at, what)
        limit = reader.integer(item, "stale_token_limit_seconds", at, what)
        if interaction_name is None:
            return None
        return InteractionSpec(interaction_name, text, context, limit)

    def guardian(item: Any, at: tuple[str, ...], what: str) -> GuardianSpec | None:
        mapping = reader.mapping(item, at, what, _GUARDIAN_KEYS)
        if mapping is None:
            return None
        guardian_name, text, context = common(mapping, at, what)
        kind = reader.choice(mapping, "type", at, what, GuardianType, required=True)
        config = mapping.get("config")
        if config is not None and not isinstance(config, dict):
            reader.fail((*at, "config"), f"{what}: config must be a mapping, got {_show(config)}")
        if guardian_name is None or kind is None or not isinstance(config, dict | None):
            return None
        return GuardianSpec(guardian_name, kind, text, context, config or {})

    def component(item: dict[str, Any], at: tuple[str, ...], what: str) -> Any:
        if "guardian" in item and "guardians" in item:
            reader.fail((*at, "guardian"), f"{what}: give guardian or guardians, not both")
        raw = item.get("guardians", [item["guardian"]] if "guardian" in item else [])
        if not isinstance(raw, list):
            reader.fail((*at, "guardians"), f"{what}: guardians must be a list, got {_show(raw)}")
            raw = []
        guardians = []
        for index, entry in enumerate(raw):
            label = _label(entry, index)
            built = guardian(entry, (*at, "guardians", label), f"{what}: guardian {label!r}")
            if built is not None:
                guardians.append(built)
        component_name, text, context = common(item, at, what)
        role_name = reader.text(item, "role", at, what, required=True)
        interaction_name = reader.text(item, "interaction", at, what, required=True)
        direction = reader.choice(item, "direction", at, what, ComponentDirection, True)
        if component_name is None or role_name is None or interaction_name is None:
            return None
        if direction is None:
            return None
        return ComponentSpec(
            component_name, role_name, interaction_name, direction, text, context, tuple(guardians)
        )

    roles = _element(reader, data, "roles", _ROLE_KEYS, role)
    interactions = _element(reader, data, "interactions", _INTERACTION_KEYS, interaction)
    components = _element(reader, data, "components", _COMPONENT_KEYS, component)
    if name is None:
        return None
    elements = (tuple(roles), tuple(interactions), tuple(components))
    return TemplateSpec(name, version, description, ai_context, *elements)


def template_schema_json(spec: TemplateSpec) -> dict[str, Any]:
    """The whole graph as plain JSON (fresh lists and dicts), cached on the workflow row."""

    def plain(value: Any) -> Any:
        if isinstance(value, enum.Enum):
            return value.value
        if isinstance(value, tuple | list):
            return [plain(v) for v in value]
        if isinstance(value, dict):
            return {str(k): plain(v) for k, v in value.items()}
        if hasattr(value, "__dataclass_fields__"):
            return {k: plain(getattr(value, k)) for k in value.__dataclass_fields__}
        return value

    result: dict[str, Any] = plain(spec)
    return result
