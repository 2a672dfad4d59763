"""The records a template is made of, whatever it arrived as (YAML, typed input, a stored
row): shared by the document parser, the rules and the importer."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

from storage.enums import ComponentDirection, DecompositionStrategy, GuardianType, RoleType

AiContext = str | dict[str, Any] | None


def _coerce(spec: Any, **enums: type[enum.Enum]) -> None:
    """Let direct constructors take enum values as plain strings ("ALPHA") and lists for
    tuples; anything else is left as given for `validate_template` to report."""
    for attr, enum_cls in enums.items():
        value = getattr(spec, attr)
        if isinstance(value, str) and not isinstance(value, enum.Enum):
            member = next((m for m in enum_cls if m.value == value), None)
            object.__setattr__(spec, attr, value if member is None else member)
    for attr in ("roles", "interactions", "components", "guardians"):
        if isinstance(getattr(spec, attr, None), list):
            object.__setattr__(spec, attr, tuple(getattr(spec, attr)))


@dataclass(frozen=True, slots=True)
class GuardianSpec:
    name: str
    type: GuardianType
    description: str | None = None
    ai_context: AiContext = None
    config: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        _coerce(self, type=GuardianType)


@dataclass(frozen=True, slots=True)
class ComponentSpec:
    name: str
    role: str
    interaction: str
    direction: ComponentDirection
    description: str | None = None
    ai_context: AiContext = None
    guardians: tuple[GuardianSpec, ...] = ()

    def __post_init__(self) -> None:
        _coerce(self, direction=ComponentDirection)


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

    def __post_init__(self) -> None:
        _coerce(self, role_type=RoleType, strategy=DecompositionStrategy)


@dataclass(frozen=True, slots=True)
class TemplateSpec:
    """A whole template. `version` None means "the next one": the importer stores it as
    version 1 of a new name, answers the newest version when the content is the same, and
    otherwise stores it as the newest version plus one."""

    name: str
    version: int | None = None
    description: str | None = None
    ai_context: AiContext = None
    roles: tuple[RoleSpec, ...] = ()
    interactions: tuple[InteractionSpec, ...] = ()
    components: tuple[ComponentSpec, ...] = ()

    def __post_init__(self) -> None:
        _coerce(self)
