"""Lazy references to the types that modules of this package name across each other
(`uows` and `instances`, `actors` and `instances`, ...): Strawberry resolves them when it
builds the schema, so no module imports another at run time to name its types. One alias
per type, shared by every module that names it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import strawberry

if TYPE_CHECKING:
    from schema.actors import Actor, RoleAssignment, RoleMemory
    from schema.instances import (
        Instance,
        LocalComponent,
        LocalGuardian,
        LocalInteraction,
        LocalRole,
        LocalWorkflow,
    )
    from schema.uows import UnitOfWork

ActorT = Annotated["Actor", strawberry.lazy("schema.actors")]
AssignmentT = Annotated["RoleAssignment", strawberry.lazy("schema.actors")]
MemoryT = Annotated["RoleMemory", strawberry.lazy("schema.actors")]
InstanceT = Annotated["Instance", strawberry.lazy("schema.instances")]
WorkflowT = Annotated["LocalWorkflow", strawberry.lazy("schema.instances")]
RoleT = Annotated["LocalRole", strawberry.lazy("schema.instances")]
InteractionT = Annotated["LocalInteraction", strawberry.lazy("schema.instances")]
ComponentT = Annotated["LocalComponent", strawberry.lazy("schema.instances")]
GuardianT = Annotated["LocalGuardian", strawberry.lazy("schema.instances")]
UowT = Annotated["UnitOfWork", strawberry.lazy("schema.uows")]
