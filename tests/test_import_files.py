"""Importing template files counts what was written: imported, unchanged, refused (issue 12)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from storage.engines import Tiers
from storage.errors import ErrorCode
from storage.models import TemplateWorkflowRow
from storage.templates.importer import import_template_files
from tests.conftest import EXAMPLES

RECEIPT = EXAMPLES / "receipt_audit.yaml"


async def _versions(tiers: Tiers) -> int:
    async with tiers.template.sessions() as session:
        query = select(func.count()).where(TemplateWorkflowRow.name == "Receipt_Audit")
        return int(await session.scalar(query) or 0)


async def test_a_file_named_twice_is_imported_once(tiers: Tiers, tmp_path: Path) -> None:
    alias = tmp_path / "alias.yaml"
    alias.symlink_to(RECEIPT)
    report = await import_template_files(tiers.template, paths=[RECEIPT, alias, RECEIPT])
    assert [r.outcome for r in report.results] == ["imported", "unchanged", "unchanged"]
    assert [r.same_as for r in report.results] == [None, RECEIPT, RECEIPT]
    assert {(r.workflow, r.version) for r in report.results} == {("Receipt_Audit", 1)}
    assert report.ok
    assert await _versions(tiers) == 1


async def test_a_stored_version_is_unchanged_and_other_content_refused(
    tiers: Tiers, tmp_path: Path
) -> None:
    first = await import_template_files(tiers.template, paths=[RECEIPT])
    assert [r.outcome for r in first.results] == ["imported"]
    copy = tmp_path / "copy.yaml"
    copy.write_text(RECEIPT.read_text(encoding="utf-8"), encoding="utf-8")
    again = await import_template_files(tiers.template, paths=[copy])
    assert [r.outcome for r in again.results] == ["unchanged"]
    assert again.ok
    changed = tmp_path / "changed.yaml"
    text = RECEIPT.read_text(encoding="utf-8").replace("description:", "description: New.", 1)
    changed.write_text(text, encoding="utf-8")
    refused = await import_template_files(tiers.template, paths=[changed])
    (result,) = refused.results
    assert result.outcome == "refused"
    assert [p.code for p in result.problems] == [ErrorCode.CONFLICT]
    assert not refused.ok
    assert (refused.count("imported"), refused.count("refused")) == (0, 1)
    assert await _versions(tiers) == 1
