"""What changed between two templates, shaped for a review screen: one entry per element
added, removed or changed, each with the fields that differ."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.scalars import JSON

from schema.base import from_record
from schema.describe import field
from schema.enums import TemplateChangeKind, TemplateElementKind
from schema.templates import TemplateWorkflow
from storage.templates.diff import ElementChange


@strawberry.type(description="One field of an element, before and after.")
class TemplateFieldChange:
    field: str = strawberry.field(
        description="The field as the document names it (e.g. `config`, `role_type`)."
    )
    before: JSON | None = strawberry.field(
        description="Its value in the first template (null: not set there)."
    )
    after: JSON | None = strawberry.field(
        description="Its value in the second template (null: not set there)."
    )


@strawberry.type(description="An element added, removed or changed between two templates.")
class TemplateElementChange:
    kind: TemplateElementKind = strawberry.field(description="What kind of element.")
    name: str = strawberry.field(description="Its name (unique within its kind).")
    change: TemplateChangeKind = strawberry.field(description="Added, removed or changed.")
    fields: list[TemplateFieldChange] = strawberry.field(
        description="The fields that differ (an added or removed element: all its fields)."
    )
    before: JSON | None = strawberry.field(
        description="The element in the first template, as in its document (null: added)."
    )
    after: JSON | None = strawberry.field(
        description="The element in the second template, as in its document (null: removed)."
    )

    @classmethod
    def of(cls, change: ElementChange) -> TemplateElementChange:
        fields = [from_record(TemplateFieldChange, f) for f in change.fields]
        return from_record(cls, change, fields=fields)


@strawberry.type(description="The differences between two templates (usually two versions).")
class TemplateDiff:
    from_template: TemplateWorkflow = strawberry.field(
        name="from", description="The first template (the one changes are measured from)."
    )
    to_template: TemplateWorkflow = strawberry.field(name="to", description="The second template.")
    changes: list[TemplateElementChange] = strawberry.field(
        description="By kind (workflow, roles, interactions, components, guardians), then "
        "name; empty when both say the same thing."
    )

    @field("True when the two templates have the same content.")
    def identical(self) -> bool:
        return not self.changes


def template_diff(before: Any, after: Any, changes: list[ElementChange]) -> TemplateDiff:
    return TemplateDiff(
        from_template=before,
        to_template=after,
        changes=[TemplateElementChange.of(change) for change in changes],
    )
