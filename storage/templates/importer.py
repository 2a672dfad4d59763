"""Template import (SPEC 4.2): validated, then written all-or-nothing in one transaction."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from storage.engines import Tier
from storage.errors import DomainError, ErrorCode, Problem
from storage.ids import new_id
from storage.models import (
    TemplateComponentRow,
    TemplateGuardianRow,
    TemplateInteractionRow,
    TemplateRoleRow,
    TemplateWorkflowRow,
)
from storage.templates import audit, specs
from storage.templates.canonical import same_content
from storage.templates.document import parse_template_yaml, template_schema_json
from storage.templates.export import stored_spec
from storage.templates.rules import validate_template
from storage.templates.specs import TemplateSpec
from storage.values import INT32_MAX, text_problem


def _positive(version: object) -> bool:
    """None (the newest), or a version a 32-bit INTEGER column can hold."""
    if version is None:
        return True
    return isinstance(version, int) and not isinstance(version, bool) and 1 <= version <= INT32_MAX


async def import_template_yaml(tier: Tier, *, text: str) -> TemplateWorkflowRow:
    """Parse, validate and store a YAML template; child templates must already exist."""
    return await import_template_spec(tier, spec=parse_template_yaml(text))


@dataclass(frozen=True, slots=True)
class Imported:
    """The template an import answers with, and whether the import wrote it (False: the
    same content was stored already)."""

    workflow: TemplateWorkflowRow
    created: bool


async def import_template_spec(tier: Tier, *, spec: TemplateSpec) -> TemplateWorkflowRow:
    """Validate and store a template given as a spec (typed GraphQL input, parsed YAML)."""
    return (await import_spec(tier, spec=spec)).workflow


async def import_spec(tier: Tier, *, spec: TemplateSpec) -> Imported:
    """Validate and store a template given as a spec, saying whether anything was written.

    Versions: a spec without one becomes version 1 of a new name, or the newest version
    plus one when its content differs from the newest (the same content: the newest, and
    nothing is written). A spec naming an existing version answers that version when the
    content is the same and is refused (CONFLICT) when it differs.
    """
    problems = validate_template(spec)
    for attempt in range(_ATTEMPTS):
        try:
            async with tier.writing() as session:
                children, db_problems = await _resolve_children(session, spec)
                if problems or db_problems:
                    # An invalid template differs from any stored one: a version it names
                    # that exists is a clash too, reported with the rest.
                    if spec.version is not None and await _find(session, spec.name, spec.version):
                        db_problems.append(_conflict(spec.name, spec.version))
                    raise DomainError([*problems, *db_problems])
                imported = await _store_version(session, spec, children)
                version = imported.workflow.version
                audit.record(
                    session,
                    "import",
                    imported.workflow,
                    f"stored as version {version}"
                    if imported.created
                    else f"same content as stored version {version}: nothing new stored",
                )
                return imported
        except IntegrityError:  # another import of the same name and version won the race
            if spec.version is not None or attempt == _ATTEMPTS - 1:
                raise DomainError([_conflict(spec.name, spec.version)]) from None
    raise AssertionError("unreachable")  # the loop returns or raises


_ATTEMPTS = 5  # a versionless import racing others takes the next number and retries


async def _store_version(
    session: AsyncSession, spec: TemplateSpec, children: dict[str, _Child]
) -> Imported:
    """The existing template with this content, or the new version written."""
    existing = await _find(session, spec.name, spec.version)
    if existing is None:
        written = await _write(session, replace(spec, version=spec.version or 1), children)
        return Imported(written, created=True)
    linked = _linked(spec, children)
    stored = await session.run_sync(
        lambda sync: stored_spec(sync.connection(), existing.workflow_id)
    )
    if stored is not None and same_content(stored, linked):
        return Imported(existing, created=False)
    if spec.version is not None:
        raise DomainError([_conflict(spec.name, spec.version)])
    if existing.version >= INT32_MAX:
        raise DomainError.single(
            ErrorCode.VALIDATION_FAILED,
            f"template {spec.name!r} is at version {existing.version}, the last one stored",
            ("workflow", "version"),
        )
    written = await _write(session, replace(spec, version=existing.version + 1), children)
    return Imported(written, created=True)


def _linked(spec: TemplateSpec, children: dict[str, _Child]) -> TemplateSpec:
    """The spec with each child template named by the version it will link to."""
    roles = tuple(
        replace(role, child_workflow_version=children[role.name].version)
        if role.name in children
        else role
        for role in spec.roles
    )
    return replace(spec, roles=roles)


def _conflict(name: str, version: int | None) -> Problem:
    return Problem(
        ErrorCode.CONFLICT,
        f"template {name!r} version {version} already exists with other content; import it "
        "without a version to store the next one, or give a new version",
        ("workflow", "version"),
    )


@dataclass(frozen=True, slots=True)
class _Child:
    workflow_id: uuid.UUID
    version: int


async def _find(
    session: AsyncSession, name: str, version: int | None
) -> TemplateWorkflowRow | None:
    if not isinstance(name, str) or text_problem(name) or not _positive(version):
        return None  # no row can match, and PostgreSQL would refuse the query itself
    query = select(TemplateWorkflowRow).where(TemplateWorkflowRow.name == name)
    if version is None:
        query = query.order_by(TemplateWorkflowRow.version.desc()).limit(1)
    else:
        query = query.where(TemplateWorkflowRow.version == version)
    return (await session.scalars(query)).first()


async def _resolve_children(
    session: AsyncSession, spec: TemplateSpec
) -> tuple[dict[str, _Child], list[Problem]]:
    """The child templates the roles name, plus problems (missing, cycle)."""
    problems: list[Problem] = []
    children: dict[str, _Child] = {}
    for role in spec.roles:
        if role.child_workflow is None or role.child_workflow == spec.name:
            continue  # naming itself is a rule problem already
        child = await _find(session, role.child_workflow, role.child_workflow_version)
        if child is None:
            version = (
                ""
                if role.child_workflow_version is None
                else (f" version {role.child_workflow_version}")
            )
            problems.append(
                Problem(
                    ErrorCode.VALIDATION_FAILED,
                    f"role {role.name!r}: child template {role.child_workflow!r}{version} does not "
                    "exist; import it first",
                    ("workflow", "roles", role.name, "child_workflow"),
                )
            )
            continue
        children[role.name] = _Child(child.workflow_id, child.version)
        chain = await _chain_back_to(session, child.workflow_id, spec.name)
        if chain:
            problems.append(
                Problem(
                    ErrorCode.RULE_VIOLATION,
                    f"role {role.name!r}: child chain loops back to {spec.name!r}: "
                    + " -> ".join([spec.name, *chain]),
                    ("workflow", "roles", role.name, "child_workflow"),
                    "cycle",
                )
            )
    return children, problems


async def _chain_back_to(session: AsyncSession, start: uuid.UUID, name: str) -> list[str] | None:
    """The names from `start` down to a template called `name`, if its children lead there.

    One query per level of the child graph, never one per template."""
    names = dict(
        (
            await session.execute(
                select(TemplateWorkflowRow.workflow_id, TemplateWorkflowRow.name).where(
                    TemplateWorkflowRow.workflow_id == start
                )
            )
        ).all()
    )
    trail: dict[uuid.UUID, list[str]] = {start: [names[start]]}
    frontier = {start}
    while frontier:
        if any(names[w] == name for w in frontier):
            return next(trail[w] for w in frontier if names[w] == name)
        rows = (
            await session.execute(
                select(
                    TemplateRoleRow.workflow_id,
                    TemplateWorkflowRow.workflow_id,
                    TemplateWorkflowRow.name,
                )
                .join(
                    TemplateWorkflowRow,
                    TemplateWorkflowRow.workflow_id == TemplateRoleRow.child_workflow_id,
                )
                .where(TemplateRoleRow.workflow_id.in_(frontier))
            )
        ).all()
        next_frontier = set()
        for parent, child, child_name in rows:
            if child not in trail:
                trail[child] = [*trail[parent], child_name]
                names[child] = child_name
                next_frontier.add(child)
        frontier = next_frontier
    return None


async def _write(
    session: AsyncSession, spec: TemplateSpec, children: dict[str, _Child]
) -> TemplateWorkflowRow:
    workflow = TemplateWorkflowRow(
        workflow_id=new_id(),
        name=spec.name,
        version=spec.version,
        description=spec.description,
        ai_context=spec.ai_context,
        schema_json=template_schema_json(_linked(spec, children)),
    )
    roles = {
        r.name: TemplateRoleRow(
            role_id=new_id(),
            **_element(workflow, r),
            role_type=r.role_type,
            strategy=r.strategy,
            child_workflow_id=children[r.name].workflow_id if r.name in children else None,
        )
        for r in spec.roles
    }
    interactions = {
        i.name: TemplateInteractionRow(
            interaction_id=new_id(),
            **_element(workflow, i),
            stale_token_limit_seconds=i.stale_token_limit_seconds,
        )
        for i in spec.interactions
    }
    components = []
    guardians = []
    for c in spec.components:
        component = TemplateComponentRow(
            component_id=new_id(),
            **_element(workflow, c),
            interaction_id=interactions[c.interaction].interaction_id,
            role_id=roles[c.role].role_id,
            direction=c.direction,
        )
        components.append(component)
        guardians += [
            TemplateGuardianRow(
                guardian_id=new_id(),
                **_element(workflow, g),
                component_id=component.component_id,
                type=g.type,
                config=g.config,
            )
            for g in c.guardians
        ]
    # One flush: the unit of work batches each table's rows into multi-row INSERTs.
    session.add_all([workflow, *roles.values(), *interactions.values(), *components, *guardians])
    await session.flush()
    return workflow


def _element(
    workflow: TemplateWorkflowRow,
    spec: specs.RoleSpec | specs.InteractionSpec | specs.ComponentSpec | specs.GuardianSpec,
) -> dict[str, Any]:
    """What every element row of `workflow` takes from its spec as it is (the columns of
    `storage.models.elements` that all four kinds share)."""
    return {
        "workflow_id": workflow.workflow_id,
        "name": spec.name,
        "description": spec.description,
        "ai_context": spec.ai_context,
    }


@dataclass
class FileResult:
    """What became of one file: `imported` (a template version written), `unchanged` (the
    same template version is stored already, or the file was named earlier in the same
    command: nothing written) or refused (`problems`)."""

    path: Path
    workflow: str | None = None
    version: int | None = None
    problems: list[Problem] = field(default_factory=list)
    unchanged: bool = False
    same_as: Path | None = None  # the earlier argument naming this very file

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def outcome(self) -> str:
        if self.problems:
            return "refused"
        return "unchanged" if self.unchanged else "imported"


@dataclass
class ImportReport:
    results: list[FileResult]

    @property
    def ok(self) -> bool:
        return all(result.ok for result in self.results)

    def count(self, outcome: str) -> int:
        return sum(result.outcome == outcome for result in self.results)


async def import_template_files(
    tier: Tier,
    *,
    paths: Sequence[Path],
    on_progress: Callable[[FileResult], Any] | None = None,
) -> ImportReport:
    """Import several files, children before the parents that name them; each file is its
    own transaction, so a rejected file writes nothing and the others still land.

    A file named twice is read and imported once; a template version that is stored
    already with the same content is `unchanged`, so re-running an import is harmless and
    its report counts only what was written."""
    results: dict[Path, FileResult] = {}
    specs: dict[Path, TemplateSpec] = {}
    ordered: list[FileResult] = []
    for path in paths:
        first = next((known for known in results if _same_file(known, path)), None)
        if first is not None:
            ordered.append(FileResult(path, unchanged=True, same_as=first))
            continue
        result = results[path] = FileResult(path)
        ordered.append(result)
        try:
            specs[path] = parse_template_yaml(path.read_text(encoding="utf-8"))
        except OSError as error:
            result.problems.append(Problem(ErrorCode.VALIDATION_FAILED, f"cannot read: {error}"))
        except UnicodeDecodeError:
            result.problems.append(Problem(ErrorCode.VALIDATION_FAILED, "not UTF-8 text"))
        except DomainError as error:
            result.problems.extend(error.problems)
    for path in _dependency_order(specs, results):
        spec = specs[path]
        results[path].workflow, results[path].version = spec.name, spec.version
        try:
            outcome = await import_spec(tier, spec=spec)
            row = outcome.workflow
            results[path].workflow, results[path].version = row.name, row.version
            results[path].unchanged = not outcome.created
        except DomainError as error:
            results[path].problems.extend(error.problems)
    for again in ordered:
        if again.same_as is not None:
            earlier = results[again.same_as]
            again.workflow, again.version = earlier.workflow, earlier.version
    if on_progress is not None:
        for result in ordered:
            on_progress(result)
    return ImportReport(ordered)


def _same_file(known: Path, path: Path) -> bool:
    try:
        return known.samefile(path)
    except OSError:
        return known == path


def _dependency_order(
    specs: dict[Path, TemplateSpec], results: dict[Path, FileResult]
) -> list[Path]:
    """Files in an order where a file naming a child template comes after the child's file;
    files caught in a cycle are marked rejected and left out."""
    by_name = {spec.name: path for path, spec in specs.items()}
    ordered: list[Path] = []
    state: dict[Path, str] = {}

    def visit(path: Path, trail: list[str]) -> bool:
        if state.get(path) == "done":
            return True
        if state.get(path) in ("visiting", "failed"):
            return False
        state[path] = "visiting"
        spec = specs[path]
        for role in spec.roles:
            child = by_name.get(role.child_workflow or "")
            if child is not None and child != path and not visit(child, [*trail, spec.name]):
                results[path].problems.append(
                    Problem(
                        ErrorCode.RULE_VIOLATION,
                        f"child templates loop among the files: {' -> '.join([*trail, spec.name])}",
                        ("workflow", "roles", role.name, "child_workflow"),
                        "cycle",
                    )
                )
                state[path] = "failed"
                return False
        state[path] = "done"
        ordered.append(path)
        return True

    for path in specs:
        visit(path, [])
    return ordered
