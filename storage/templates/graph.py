"""Pictures of a workflow: Graphviz DOT and Mermaid flowcharts, from one neutral graph.

Roles and interactions are the nodes, components the edges (OUTBOUND: role to
interaction, INBOUND: interaction to role), each edge labelled with its component and
guardians. Drawing is a pure function of a `WorkflowGraph`, which a template spec or a
running local workflow (with the units waiting per interaction) is turned into.

Names are the client's and may hold anything storable: quotes, backslashes, `#`, `<`,
line breaks, any Unicode. Node ids are therefore generated (`r0`, `i0`, ...) and names
only ever appear inside quoted labels, escaped for the format: control characters are
shown as `\\xNN` escapes first (a label is for reading), then DOT gets `\\` and `"`
escaped and `&` as an entity, Mermaid gets every character its parser or its HTML
labels would interpret written as a numeric entity code (`#35;`).
"""

from __future__ import annotations

import enum
import json
import re
import unicodedata
from dataclasses import dataclass

from storage.enums import ComponentDirection
from storage.templates.canonical import canonical_spec
from storage.templates.specs import TemplateSpec


class GraphFormat(enum.Enum):
    DOT = "DOT"
    MERMAID = "MERMAID"


@dataclass(frozen=True, slots=True)
class GraphRole:
    name: str
    role_type: str
    child: str | None = None  # "Name v2" for a gateway to a child workflow


@dataclass(frozen=True, slots=True)
class GraphInteraction:
    name: str
    waiting: int | None = None  # units of work waiting here (a running workflow only)


@dataclass(frozen=True, slots=True)
class GraphEdge:
    component: str
    role: str
    interaction: str
    outbound: bool
    guardians: tuple[tuple[str, str], ...] = ()  # (name, type)


@dataclass(frozen=True, slots=True)
class WorkflowGraph:
    title: str
    roles: tuple[GraphRole, ...]
    interactions: tuple[GraphInteraction, ...]
    edges: tuple[GraphEdge, ...]


def graph_of_spec(spec: TemplateSpec) -> WorkflowGraph:
    """The graph of a template (elements in the canonical order)."""
    spec = canonical_spec(spec)
    version = "" if spec.version is None else f" v{spec.version}"
    return WorkflowGraph(
        title=f"{spec.name}{version}",
        roles=tuple(
            GraphRole(
                r.name,
                r.role_type.value,
                None
                if r.child_workflow is None
                else r.child_workflow
                + ("" if r.child_workflow_version is None else f" v{r.child_workflow_version}"),
            )
            for r in spec.roles
        ),
        interactions=tuple(GraphInteraction(i.name) for i in spec.interactions),
        edges=tuple(
            GraphEdge(
                c.name,
                c.role,
                c.interaction,
                c.direction == ComponentDirection.OUTBOUND,
                tuple((g.name, g.type.value) for g in c.guardians),
            )
            for c in spec.components
        ),
    )


def render_graph(graph: WorkflowGraph, graph_format: GraphFormat) -> str:
    """The graph as DOT or Mermaid text (ends with a newline)."""
    if graph_format is GraphFormat.DOT:
        return _dot(graph)
    return _mermaid(graph)


# --- labels ------------------------------------------------------------------------------

_INVISIBLE = {"Cc", "Zl", "Zp"}  # control characters, line and paragraph separators


def visible(text: str) -> str:
    """`text` with the characters that would break a line or show as nothing replaced by
    their escape (`\\n` becomes the four characters `\\x0a`), so one name is one line."""
    return "".join(
        (f"\\x{ord(ch):02x}" if ord(ch) < 0x100 else f"\\u{ord(ch):04x}")
        if unicodedata.category(ch) in _INVISIBLE
        else ch
        for ch in text
    )


def role_lines(role: GraphRole) -> list[str]:
    """The lines of a role's label (the name, its type, its child workflow)."""
    lines = [visible(role.name), role.role_type]
    if role.child is not None:
        lines.append(f"child workflow {visible(role.child)}")
    return lines


def interaction_lines(interaction: GraphInteraction) -> list[str]:
    lines = [visible(interaction.name)]
    if interaction.waiting is not None:
        lines.append(f"waiting {interaction.waiting}")
    return lines


def edge_lines(edge: GraphEdge) -> list[str]:
    """The lines of a component's label: its name, then each guardian with its type."""
    return [visible(edge.component)] + [
        f"{visible(name)} ({kind})" for name, kind in edge.guardians
    ]


def _ids(graph: WorkflowGraph) -> tuple[dict[str, str], dict[str, str]]:
    roles = {role.name: f"r{index}" for index, role in enumerate(graph.roles)}
    interactions = {i.name: f"i{index}" for index, i in enumerate(graph.interactions)}
    return roles, interactions


# --- DOT ---------------------------------------------------------------------------------

_ROLE_COLOURS = {
    "ALPHA": "#d8f0d8",
    "BETA": "#dde8f8",
    "OMEGA": "#e8dcf4",
    "EPSILON": "#f8dcdc",
    "TAU": "#f8ecd0",
}


def _dot_text(lines: list[str]) -> str:
    """Label lines as one DOT quoted string, lines joined by `\\n`: `\\` and `"` escaped for
    the parser, `&` as `&amp;` (Graphviz reads HTML entities such as `&lt;` in any label)."""
    return (
        '"'
        + "\\n".join(
            line.replace("&", "&amp;").replace("\\", "\\\\").replace('"', '\\"') for line in lines
        )
        + '"'
    )


def _dot(graph: WorkflowGraph) -> str:
    roles, interactions = _ids(graph)
    out = [
        f"digraph {_dot_text([visible(graph.title)])} {{",
        f"  graph [rankdir=LR, labelloc=t, label={_dot_text([visible(graph.title)])}];",
        '  node [fontname="Helvetica", fontsize=11];',
        '  edge [fontname="Helvetica", fontsize=9];',
    ]
    for role in graph.roles:
        shape = "box3d" if role.child is not None else "box"
        colour = _ROLE_COLOURS.get(role.role_type, "#ffffff")
        out.append(
            f"  {roles[role.name]} [label={_dot_text(role_lines(role))}, shape={shape}, "
            f'style="rounded,filled", fillcolor="{colour}"];'
        )
    for interaction in graph.interactions:
        out.append(
            f"  {interactions[interaction.name]} [label={_dot_text(interaction_lines(interaction))}"
            ", shape=cylinder];"
        )
    for edge in graph.edges:
        role_id, interaction_id = roles[edge.role], interactions[edge.interaction]
        source, target = (role_id, interaction_id) if edge.outbound else (interaction_id, role_id)
        style = "" if edge.guardians else ", style=dashed"
        out.append(f"  {source} -> {target} [label={_dot_text(edge_lines(edge))}{style}];")
    out.append("}")
    return "\n".join(out) + "\n"


# --- Mermaid -----------------------------------------------------------------------------

# Characters Mermaid would read as syntax or HTML inside a quoted label: the quote ends it,
# `#` starts an entity code, `&<>` are HTML, a backtick pair makes a markdown string, `:`
# and `;` take part in its `style ...:#...;` rewriting, `|` ends an edge label.
_MERMAID_SPECIAL = re.compile(r'["#&<>`:;|]')


def _mermaid_text(lines: list[str]) -> str:
    """Label lines as one Mermaid quoted string, lines joined by `<br/>`."""
    return (
        '"'
        + "<br/>".join(
            _MERMAID_SPECIAL.sub(lambda m: f"#{ord(m.group())};", line) for line in lines
        )
        + '"'
    )


_MERMAID_CLASSES = {
    "ALPHA": "fill:#d8f0d8,stroke:#3a7d3a",
    "BETA": "fill:#dde8f8,stroke:#3a5d9a",
    "OMEGA": "fill:#e8dcf4,stroke:#6a3a9a",
    "EPSILON": "fill:#f8dcdc,stroke:#9a3a3a",
    "TAU": "fill:#f8ecd0,stroke:#9a7a3a",
}


def _mermaid(graph: WorkflowGraph) -> str:
    roles, interactions = _ids(graph)
    out = [
        "---",
        f"title: {json.dumps(visible(graph.title), ensure_ascii=False)}",  # YAML, quoted
        "---",
        "flowchart LR",
    ]
    for role in graph.roles:
        opening, closing = ("[[", "]]") if role.child is not None else ("([", "])")
        out.append(f"  {roles[role.name]}{opening}{_mermaid_text(role_lines(role))}{closing}")
    for interaction in graph.interactions:
        label = _mermaid_text(interaction_lines(interaction))
        out.append(f"  {interactions[interaction.name]}[({label})]")
    for edge in graph.edges:
        role_id, interaction_id = roles[edge.role], interactions[edge.interaction]
        source, target = (role_id, interaction_id) if edge.outbound else (interaction_id, role_id)
        arrow = "-->" if edge.guardians else "-.->"
        out.append(f"  {source} {arrow}|{_mermaid_text(edge_lines(edge))}| {target}")
    used = {role.role_type for role in graph.roles} & set(_MERMAID_CLASSES)
    for role_type in sorted(used):
        out.append(f"  classDef {role_type.lower()} {_MERMAID_CLASSES[role_type]}")
    for role_type in sorted(used):
        members = ",".join(roles[r.name] for r in graph.roles if r.role_type == role_type)
        out.append(f"  class {members} {role_type.lower()}")
    return "\n".join(out) + "\n"
