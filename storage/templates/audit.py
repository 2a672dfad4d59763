"""The caller of every template write, recorded in `Template_Audit` (issue 13).

Each template write adds its row with `record`, in its own transaction: the row commits with
the change or not at all. The caller is the acting subject of the request
(`storage.access.acting_as`, set by the GraphQL layer from the token's `sub`, by the command
line as `cli`); with no subject (auth off) it is `anonymous`.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from storage.access import acting_subject
from storage.models import TemplateAuditRow, TemplateWorkflowRow
from storage.types import utcnow

ANONYMOUS = "anonymous"


def record(session: AsyncSession, action: str, workflow: TemplateWorkflowRow, outcome: str) -> None:
    """Adds the audit row of `action` on `workflow` to the write's transaction."""
    session.add(
        TemplateAuditRow(
            at=utcnow(),
            caller=acting_subject() or ANONYMOUS,
            action=action,
            template_id=workflow.workflow_id,
            template_name=workflow.name,
            template_version=workflow.version,
            outcome=outcome,
        )
    )
