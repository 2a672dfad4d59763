"""Workflow pictures (issue 17): Graphviz accepts every DOT graph and draws exactly the
names given; every Mermaid graph parses under the grammar subset it is written in and
decodes to the same names; a running workflow shows its units waiting per interaction.

Graphviz is a system package (scripts/install-system-packages installs it); without it
the DOT tests fail and say so, they never skip.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gql.demo import TEMPLATE_FILES, TEMPLATES
from storage.templates.document import parse_template_yaml
from storage.templates.graph import (
    GraphFormat,
    WorkflowGraph,
    edge_lines,
    graph_of_spec,
    interaction_lines,
    render_graph,
    role_lines,
    visible,
)
from tests.client import GraphQLClient
from tests.conftest import EXAMPLES
from tests.databases import PostgresFactory, SqliteFactory
from tests.processes import chameleon
from tests.scenario import START, build_scenario, mutate
from tests.template_strategies import families

EXAMPLE_FILES = [
    EXAMPLES / "receipt_audit.yaml",
    EXAMPLES / "expense_review.yaml",
    *(TEMPLATES / name for name in TEMPLATE_FILES),
]
DOT = "/usr/bin/dot"


@dataclass
class Drawn:
    """A graph as read back from a drawing: node lines by name, edges with their lines."""

    title: str = ""
    nodes: dict[str, list[str]] = field(default_factory=dict)
    edges: list[tuple[str, str, list[str]]] = field(default_factory=list)
    shapes: dict[str, str] = field(default_factory=dict)


def expected(graph: WorkflowGraph) -> Drawn:
    """What a faithful drawing of `graph` shows, independent of the format."""
    drawn = Drawn(title=visible(graph.title))
    roles = {f"r{i}": role for i, role in enumerate(graph.roles)}
    interactions = {f"i{i}": interaction for i, interaction in enumerate(graph.interactions)}
    for node_id, role in roles.items():
        drawn.nodes[node_id] = role_lines(role)
    for node_id, interaction in interactions.items():
        drawn.nodes[node_id] = interaction_lines(interaction)
    role_ids = {role.name: node_id for node_id, role in roles.items()}
    interaction_ids = {i.name: node_id for node_id, i in interactions.items()}
    for edge in graph.edges:
        ends = (role_ids[edge.role], interaction_ids[edge.interaction])
        source, target = ends if edge.outbound else ends[::-1]
        drawn.edges.append((source, target, edge_lines(edge)))
    return drawn


# --- DOT, read back by Graphviz itself ------------------------------------------------------


def graphviz(text: str, output: str) -> str:
    """`dot -T<output>` on `text`; fails (never skips) when Graphviz is missing."""
    assert shutil.which("dot") or Path(DOT).exists(), (
        "Graphviz is missing: run `sudo scripts/install-system-packages` (Debian package "
        "graphviz), then `dot -V`"
    )
    done = subprocess.run(
        [shutil.which("dot") or DOT, f"-T{output}"],
        input=text.encode(),
        capture_output=True,
        check=False,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    assert done.stderr == b"", done.stderr.decode(errors="replace")
    return done.stdout.decode()


def read_dot(text: str) -> Drawn:
    """The graph as Graphviz laid it out (`-Tjson`): the text lines it draws per node and
    edge, and the nodes each edge joins."""
    layout = json.loads(graphviz(text, "json"))

    def lines(element: dict[str, Any]) -> list[str]:
        return [op["text"] for op in element.get("_ldraw_", []) if op["op"] == "T"]

    drawn = Drawn(title="\n".join(lines(layout)))
    names = {}
    for node in layout.get("objects", []):
        names[node["_gvid"]] = node["name"]
        drawn.nodes[node["name"]] = lines(node)
    for edge in layout.get("edges", []):
        drawn.edges.append((names[edge["tail"]], names[edge["head"]], lines(edge)))
    return drawn


def strip(lines: list[str]) -> list[str]:
    """Graphviz draws a line's leading and trailing blanks as nothing."""
    return [line.strip() for line in lines]


def check_dot(graph: WorkflowGraph) -> None:
    text = render_graph(graph, GraphFormat.DOT)
    graphviz(text, "svg")
    want, got = expected(graph), read_dot(text)
    assert {k: strip(v) for k, v in got.nodes.items()} == {
        k: strip(v) for k, v in want.nodes.items()
    }
    assert sorted((s, t, strip(lines)) for s, t, lines in got.edges) == sorted(
        (s, t, strip(lines)) for s, t, lines in want.edges
    )
    assert got.title.strip() == want.title.strip()


# --- Mermaid, read back by a parser of the subset it is written in -------------------------

_LABEL = r'"(?P<label>[^"]*)"'
_SHAPES = {"([": "])", "[[": "]]", "[(": ")]"}
_NODE = re.compile(r"^  (?P<id>[ri]\d+)(?P<open>\(\[|\[\[|\[\()" + _LABEL + r"(?P<close>\S+)$")
_EDGE = re.compile(r"^  (?P<source>[ri]\d+) (?:-->|-\.->)\|" + _LABEL + r"\| (?P<target>[ri]\d+)$")
_CLASS_DEF = re.compile(r"^  classDef [a-z]+ fill:#[0-9a-f]{6},stroke:#[0-9a-f]{6}$")
_CLASS = re.compile(r"^  class [ri]\d+(,[ri]\d+)* [a-z]+$")
# Inside a label: text without the characters Mermaid would interpret, entity codes
# (`#35;`) for those, and `<br/>` between lines.
_LABEL_TEXT = re.compile(r'(?:[^"#&<>`:;|]|#\d+;|<br/>)*')


def _decode(label: str) -> list[str]:
    assert _LABEL_TEXT.fullmatch(label), f"unescaped character in {label!r}"
    return [
        re.sub(r"#(\d+);", lambda m: chr(int(m.group(1))), line) for line in label.split("<br/>")
    ]


def read_mermaid(text: str) -> Drawn:
    lines = text.split("\n")
    assert lines[0] == "---"
    assert lines[1].startswith("title: ")
    assert lines[2] == "---"
    assert lines[3] == "flowchart LR"
    assert lines[-1] == ""
    drawn = Drawn(title=json.loads(lines[1].removeprefix("title: ")))
    for line in lines[4:-1]:
        if node := _NODE.match(line):
            assert _SHAPES[node["open"]] == node["close"], line
            assert node["id"] not in drawn.nodes, f"node {node['id']} twice"
            drawn.nodes[node["id"]] = _decode(node["label"])
            drawn.shapes[node["id"]] = node["open"]
        elif edge := _EDGE.match(line):
            drawn.edges.append((edge["source"], edge["target"], _decode(edge["label"])))
        else:
            assert _CLASS_DEF.match(line) or _CLASS.match(line), f"not in the grammar: {line!r}"
    for source, target, _ in drawn.edges:
        assert source in drawn.nodes
        assert target in drawn.nodes
    return drawn


def check_mermaid(graph: WorkflowGraph) -> None:
    got, want = read_mermaid(render_graph(graph, GraphFormat.MERMAID)), expected(graph)
    assert got.title == want.title
    assert got.nodes == want.nodes
    assert sorted(got.edges) == sorted(want.edges)
    for index, role in enumerate(graph.roles):
        assert got.shapes[f"r{index}"] == ("[[" if role.child else "([")


# --- the tests ------------------------------------------------------------------------------


def test_every_example_template_draws_in_both_formats() -> None:
    for path in EXAMPLE_FILES:
        graph = graph_of_spec(parse_template_yaml(path.read_text(encoding="utf-8")))
        check_dot(graph)
        check_mermaid(graph)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(family=families(), waiting=st.integers(0, 10**6))
def test_any_names_draw_faithfully(family: list[Any], waiting: int) -> None:
    graph = graph_of_spec(family[-1])
    graph = WorkflowGraph(
        graph.title,
        graph.roles,
        tuple(type(i)(i.name, waiting) for i in graph.interactions),
        graph.edges,
    )
    check_mermaid(graph)
    check_dot(graph)


def test_hostile_names_are_escaped() -> None:
    spec = parse_template_yaml((EXAMPLES / "receipt_audit.yaml").read_text(encoding="utf-8"))
    text = render_graph(graph_of_spec(spec), GraphFormat.MERMAID)
    assert "against the claimed line" not in text  # descriptions are not drawn
    tricky = 'A "quoted" #35; <b>bold</b> & `code` | a:b; \\N \n\u2028 é😀'
    renamed = spec.__class__(
        name=tricky,
        version=1,
        roles=tuple(
            r.__class__(tricky + r.name, r.role_type, r.strategy, child_workflow=tricky)
            for r in spec.roles
        ),
    )
    graph = graph_of_spec(renamed)
    check_mermaid(graph)
    check_dot(graph)
    mermaid = render_graph(graph, GraphFormat.MERMAID)
    body = mermaid.split("flowchart LR\n", 1)[1]  # the title is YAML, drawn as plain text
    assert "<b>" not in body
    assert "#35;35#59;" in mermaid  # a literal "#35;" stays literal
    dot = render_graph(graph, GraphFormat.DOT)
    assert '\\"quoted\\"' in dot
    assert "\\\\N" in dot  # not Graphviz's node-name escape
    assert "\\x0a" in visible("a\nb")


async def test_the_api_draws_templates_and_running_workflows(client: GraphQLClient) -> None:
    scenario = await build_scenario(client, uows=2, steps=1)  # two units held (ACTIVE)
    for _ in range(3):
        await mutate(client, START, {"input": {"instanceId": scenario.instance_id}})
    data = await client.data(
        """query($id: ID!) {
          templateByName(name: "Expense_Review") { dot: graph(format: DOT) graph }
          instance(id: $id) { masterWorkflow { id graph interactions { id name } } }
        }""",
        {"id": scenario.instance_id},
    )
    template = data["templateByName"]
    graphviz(template["dot"], "svg")
    assert read_mermaid(template["graph"]).nodes  # MERMAID is the default
    workflow = data["instance"]["masterWorkflow"]
    drawn = read_mermaid(workflow["graph"])
    waiting = {}
    for lines in drawn.nodes.values():
        if lines[-1].startswith("waiting "):
            waiting[lines[0]] = int(lines[-1].removeprefix("waiting "))
    # The oracle: the API's own list of PENDING units per interaction.
    for interaction in workflow["interactions"]:
        pending = await client.data(
            """query($i: ID!, $in: ID!) {
              uows(instanceId: $i, status: PENDING, interactionId: $in) { totalCount } }""",
            {"i": scenario.instance_id, "in": interaction["id"]},
        )
        assert waiting[interaction["name"]] == pending["uows"]["totalCount"]
    assert sum(waiting.values()) == 3


async def test_chameleon_graph(db_factory: SqliteFactory | PostgresFactory, tmp_path: Path) -> None:
    urls = await db_factory.create()
    try:
        for path in EXAMPLE_FILES[:2]:
            imported = chameleon(urls, tmp_path, "import", str(path))
            assert imported.returncode == 0, imported.stdout
        mermaid = chameleon(urls, tmp_path, "graph", "Expense_Review")
        assert mermaid.returncode == 0, mermaid.stderr
        assert read_mermaid(mermaid.stdout).title == "Expense_Review v1"
        out = tmp_path / "review.dot"
        dot = chameleon(
            urls,
            tmp_path,
            "graph",
            "Expense_Review",
            "--version",
            "1",
            "--format",
            "DOT",
            "-o",
            str(out),
        )
        assert dot.returncode == 0, dot.stderr
        nodes = read_dot(out.read_text(encoding="utf-8")).nodes.values()
        assert ["Line_Checker", "BETA", "child workflow Receipt_Audit v1"] in nodes
        missing = chameleon(urls, tmp_path, "graph", "Nope")
        assert missing.returncode == 1
        assert "No template 'Nope'" in missing.stderr
        wrong = chameleon(urls, tmp_path, "graph", "Expense_Review", "--format", "png")
        assert wrong.returncode == 2
        assert "use one of dot, mermaid" in wrong.stderr
    finally:
        await db_factory.drop(urls)
