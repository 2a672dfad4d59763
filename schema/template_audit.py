"""The template audit (issue 13): who wrote which template, read-only and for admin callers."""

from __future__ import annotations

from datetime import datetime

import strawberry

from schema.base import Connection, id_field
from schema.describe import described_by
from storage import models


@described_by(models.TemplateAuditRow)
@strawberry.type(description="One template write: when, by whom, what it did.")
class TemplateAuditEntry:
    audit_id: int
    at: datetime
    caller: str
    action: str
    template_name: str
    template_version: int
    outcome: str
    template_id: strawberry.ID = id_field("template_id")


@strawberry.type(description="A page of the template audit, oldest write first.")
class TemplateAuditConnection(Connection[TemplateAuditEntry]):
    pass
