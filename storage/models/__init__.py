"""SQLAlchemy models of both tiers; import from here so every mapper is registered."""

from storage.models.base import InstanceBase, TemplateBase
from storage.models.idempotency import IdempotencyKeyRow
from storage.models.instance_runtime import (
    ActorRow,
    AssignmentRow,
    InteractionLogRow,
    RoleMemoryRow,
    UnitOfWorkRow,
    UowAttributeRow,
    UowHistoryRow,
)
from storage.models.instance_structure import (
    InstanceRow,
    LocalComponentRow,
    LocalGuardianRow,
    LocalInteractionRow,
    LocalRoleRow,
    LocalWorkflowRow,
)
from storage.models.revocation import RevokedTokenRow
from storage.models.template import (
    TemplateAuditRow,
    TemplateComponentRow,
    TemplateGuardianRow,
    TemplateInteractionRow,
    TemplateRoleRow,
    TemplateWorkflowRow,
)

APPEND_ONLY_TABLES = ("UOW_Attributes", "Interaction_Logs", "UnitsOfWorkHistory")

__all__ = [
    "APPEND_ONLY_TABLES",
    "ActorRow",
    "AssignmentRow",
    "IdempotencyKeyRow",
    "InstanceBase",
    "InstanceRow",
    "InteractionLogRow",
    "LocalComponentRow",
    "LocalGuardianRow",
    "LocalInteractionRow",
    "LocalRoleRow",
    "LocalWorkflowRow",
    "RevokedTokenRow",
    "RoleMemoryRow",
    "TemplateAuditRow",
    "TemplateBase",
    "TemplateComponentRow",
    "TemplateGuardianRow",
    "TemplateInteractionRow",
    "TemplateRoleRow",
    "TemplateWorkflowRow",
    "UnitOfWorkRow",
    "UowAttributeRow",
    "UowHistoryRow",
]
