"""What counts as the same template content, and the diff of two specs, without a database."""

from __future__ import annotations

import dataclasses

from storage.templates.canonical import comparable, same_content
from storage.templates.diff import TemplateChangeKind, TemplateElementKind, diff_templates
from storage.templates.document import parse_template_yaml
from tests.conftest import EXAMPLES

SPEC = parse_template_yaml((EXAMPLES / "receipt_audit.yaml").read_text(encoding="utf-8"))


def with_config(config: dict[str, object]) -> object:
    component = next(c for c in SPEC.components if c.guardians)
    guardian = dataclasses.replace(component.guardians[0], config=config)
    changed = dataclasses.replace(component, guardians=(guardian,))
    components = tuple(changed if c is component else c for c in SPEC.components)
    return dataclasses.replace(SPEC, components=components)


def test_json_compares_by_value_not_by_spelling() -> None:
    assert comparable({"a": 1, "b": 2}) == comparable({"b": 2, "a": 1})
    assert comparable(1e16) == comparable(10**16)  # jsonb keeps the float as an integer
    assert comparable(1e300) == comparable(10**300)
    assert comparable(True) != comparable(1)
    assert comparable(None) != comparable(False)
    assert comparable("1") != comparable(1)
    assert comparable([1, 2]) != comparable([2, 1])


def test_order_and_version_do_not_make_other_content() -> None:
    shuffled = dataclasses.replace(
        SPEC, version=7, roles=SPEC.roles[::-1], components=SPEC.components[::-1]
    )
    assert same_content(SPEC, shuffled)
    assert diff_templates(SPEC, shuffled) == []
    assert not same_content(with_config({"x": True}), with_config({"x": 1}))


def test_a_changed_config_is_one_guardian_change() -> None:
    (change,) = diff_templates(with_config({"x": True}), with_config({"x": 1}))
    assert change.kind is TemplateElementKind.GUARDIAN
    assert change.change is TemplateChangeKind.CHANGED
    assert [(f.field, f.before, f.after) for f in change.fields] == [
        ("config", {"x": True}, {"x": 1})
    ]


def test_workflow_fields_and_removed_elements() -> None:
    renamed = dataclasses.replace(
        SPEC, name="Other", description=None, interactions=SPEC.interactions[1:]
    )
    changes = diff_templates(SPEC, renamed)
    workflow = changes[0]
    assert workflow.kind is TemplateElementKind.WORKFLOW
    assert [f.field for f in workflow.fields] == ["name", "description"]
    removed = [c for c in changes if c.change is TemplateChangeKind.REMOVED]
    assert [(c.kind, c.name) for c in removed] == [
        (TemplateElementKind.INTERACTION, SPEC.interactions[0].name)
    ]
    assert removed[0].after is None
