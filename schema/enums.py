"""The domain enums of `storage.enums`, exposed to GraphQL under the same names."""

import enum

import strawberry

from storage import enums

RoleType = strawberry.enum(enums.RoleType)
DecompositionStrategy = strawberry.enum(enums.DecompositionStrategy)
ComponentDirection = strawberry.enum(enums.ComponentDirection)
GuardianType = strawberry.enum(enums.GuardianType)
InstanceStatus = strawberry.enum(enums.InstanceStatus)
ActorType = strawberry.enum(enums.ActorType)
AssignmentStatus = strawberry.enum(enums.AssignmentStatus)
LogType = strawberry.enum(enums.LogType)
UowStatus = strawberry.enum(enums.UowStatus)
MemoryScope = strawberry.enum(enums.MemoryScope)
RouteKind = strawberry.enum(enums.RouteKind)


@strawberry.enum(description="Which database a schema guide row describes.")
class Tier(enum.Enum):
    TEMPLATE = "template"
    INSTANCE = "instance"
