// A workflow drawn as a layered graph in SVG: roles and interactions are nodes, components
// are edges (role → interaction when OUTBOUND, interaction → role when INBOUND) labelled
// with their guardians. Layout: break cycles by depth-first search, put each node on the
// layer of its longest path from the ALPHA role, order layers by the barycentre of their
// predecessors, draw left to right. Back edges (rework loops) arc underneath.

import { s } from "./dom.js";

const NODE_W = 128;
const ROLE_H = 46;
const INTERACTION_H = 40;
const LAYER_GAP = 120;
const ROW_GAP = 34;
const MARGIN = 30;

export function layout(workflow) {
  const nodes = new Map();
  for (const r of workflow.roles) nodes.set(`r:${r.id}`, { key: `r:${r.id}`, kind: "role", item: r });
  for (const i of workflow.interactions) {
    nodes.set(`i:${i.id}`, { key: `i:${i.id}`, kind: "interaction", item: i });
  }
  const edges = workflow.components.map((c) => {
    const role = `r:${c.role.id}`;
    const interaction = `i:${c.interaction.id}`;
    const [from, to] = c.direction === "OUTBOUND" ? [role, interaction] : [interaction, role];
    return { from, to, component: c, back: false };
  }).filter((e) => nodes.has(e.from) && nodes.has(e.to));

  const out = new Map([...nodes.keys()].map((k) => [k, []]));
  for (const e of edges) out.get(e.from).push(e);

  // Depth-first from the ALPHA roles (then from whatever is left): edges into a node still on
  // the stack close a cycle and are drawn as back edges.
  const state = new Map();
  const order = [];
  const visit = (key) => {
    state.set(key, "open");
    for (const e of out.get(key)) {
      const seen = state.get(e.to);
      if (seen === "open") e.back = true;
      else if (!seen) visit(e.to);
    }
    state.set(key, "done");
    order.push(key);
  };
  const rank = { ALPHA: 0, BETA: 1, TAU: 2, OMEGA: 3, EPSILON: 4 };
  const starts = [...nodes.values()].sort((a, b) =>
    (a.kind === "role" ? rank[a.item.roleType] ?? 5 : 6) - (b.kind === "role" ? rank[b.item.roleType] ?? 5 : 6));
  for (const n of starts) if (!state.has(n.key)) visit(n.key);

  // Longest path over the forward edges, in topological order (reverse post-order).
  const layerOf = new Map([...nodes.keys()].map((k) => [k, 0]));
  for (const key of order.reverse()) {
    for (const e of out.get(key)) {
      if (!e.back) layerOf.set(e.to, Math.max(layerOf.get(e.to), layerOf.get(key) + 1));
    }
  }
  const layers = [];
  for (const key of order) {
    const l = layerOf.get(key);
    (layers[l] ||= []).push(key);
  }
  // Barycentre ordering, two sweeps: a node sits near the mean position of its predecessors.
  const incoming = new Map([...nodes.keys()].map((k) => [k, []]));
  for (const e of edges) if (!e.back) incoming.get(e.to).push(e.from);
  for (let sweep = 0; sweep < 2; sweep++) {
    const position = new Map();
    layers.forEach((layer) => layer.forEach((k, i) => position.set(k, i)));
    for (let l = 1; l < layers.length; l++) {
      const mean = (k) => {
        const ps = incoming.get(k).map((p) => position.get(p)).filter((p) => p !== undefined);
        return ps.length ? ps.reduce((a, b) => a + b, 0) / ps.length : position.get(k);
      };
      layers[l].sort((a, b) => mean(a) - mean(b));
      layers[l].forEach((k, i) => position.set(k, i));
    }
  }

  const tallest = Math.max(...layers.map((l) => l.length));
  const rowHeight = ROLE_H + ROW_GAP;
  const height = tallest * rowHeight - ROW_GAP;
  layers.forEach((layer, l) => {
    const offset = (height - (layer.length * rowHeight - ROW_GAP)) / 2;
    layer.forEach((key, i) => {
      const node = nodes.get(key);
      node.h = node.kind === "role" ? ROLE_H : INTERACTION_H;
      node.x = MARGIN + l * (NODE_W + LAYER_GAP);
      node.y = MARGIN + offset + i * rowHeight + (ROLE_H - node.h) / 2;
    });
  });
  const backs = edges.filter((e) => e.back).length;
  return {
    nodes: [...nodes.values()],
    edges,
    width: MARGIN * 2 + layers.length * (NODE_W + LAYER_GAP) - LAYER_GAP,
    height: MARGIN * 2 + height + (backs ? 16 + backs * 14 : 0),
  };
}

function edgePath(a, b, back, lane, bottom) {
  if (!back) {
    const x1 = a.x + NODE_W, y1 = a.y + a.h / 2, x2 = b.x, y2 = b.y + b.h / 2;
    const dx = (x2 - x1) / 2;
    return { d: `M${x1},${y1} C${x1 + dx},${y1} ${x2 - dx},${y2} ${x2},${y2}`,
      label: { x: (x1 + x2) / 2, y: (y1 + y2) / 2 } };
  }
  // Rework: from the bottom of the later node, under everything, up into the earlier one.
  const x1 = a.x + NODE_W / 2, y1 = a.y + a.h, x2 = b.x + NODE_W / 2, y2 = b.y + b.h;
  const low = bottom + 14 + lane * 14;
  return { d: `M${x1},${y1} C${x1},${low} ${x2},${low} ${x2},${y2}`,
    label: { x: (x1 + x2) / 2, y: low - 6 } };
}

/** The badge behind a count: a circle for one digit, a pill for more. */
function pill(count) {
  const width = Math.max(22, String(count).length * 7 + 10);
  return { x: -width / 2, y: -11, width, height: 22, rx: 11 };
}

function truncate(text, length) {
  return text.length > length ? `${text.slice(0, length - 1)}…` : text;
}

/** The SVG of a workflow; `load` maps interaction ids to {waiting, here} (PENDING, any status). */
export function drawWorkflow(workflow, load, { onInteraction, onRole, selected } = {}) {
  const g = layout(workflow);
  const byKey = new Map(g.nodes.map((n) => [n.key, n]));
  const bottom = Math.max(...g.nodes.map((n) => n.y + n.h));
  const svg = s("svg", {
    class: "workflow-graph", viewBox: `0 0 ${g.width} ${g.height}`,
    role: "img",
    "aria-label": `Workflow ${workflow.name}`,
  });
  svg.append(s("defs", {},
    s("marker", { id: "arrow", viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse" },
      s("path", { d: "M0,0 L10,5 L0,10 z", class: "arrow" })),
  ));
  let lane = 0;
  const edgeLayer = s("g", { class: "edges" });
  const labelLayer = s("g", { class: "labels" });
  const placed = []; // label boxes drawn so far: a label that would overlap one moves down
  const place = (x, y, width) => {
    for (let tries = 0; tries < 8; tries++) {
      const clash = placed.find((b) => Math.abs(b.x - x) < (b.width + width) / 2 + 4 && Math.abs(b.y - y) < 20);
      if (!clash) break;
      y = clash.y + 21;
    }
    placed.push({ x, y, width });
    return y;
  };
  for (const e of g.edges) {
    const path = edgePath(byKey.get(e.from), byKey.get(e.to), e.back, e.back ? lane++ : 0, bottom);
    const guardians = e.component.guardians;
    const title = `${e.component.name} (${e.component.direction.toLowerCase()})` +
      (guardians.length ? `\nguardians: ${guardians.map((x) => `${x.name} [${x.type}]`).join(", ")}` : "");
    edgeLayer.append(s("path", {
      d: path.d, class: `edge ${e.back ? "back" : ""} ${e.component.direction.toLowerCase()}`,
      "marker-end": "url(#arrow)", "data-component": e.component.id,
    }, s("title", {}, title)));
    if (guardians.length) {
      const text = truncate(guardians.map((x) => x.name.replaceAll("_", " ")).join(", "), 18);
      const width = text.length * 6 + 12;
      const y = place(path.label.x, path.label.y, width);
      labelLayer.append(s("g", { class: "edge-label", transform: `translate(${path.label.x},${y})`, "data-guardians": guardians.map((x) => x.name).join(",") },
        s("title", {}, title),
        s("rect", { x: -width / 2, y: -9, width, height: 18, rx: 9 }),
        s("text", { "text-anchor": "middle", y: 4 }, text)));
    }
  }
  svg.append(edgeLayer);

  const nodeLayer = s("g", { class: "nodes" });
  for (const n of g.nodes) {
    if (n.kind === "role") {
      const r = n.item;
      const linked = r.linkedWorkflow ? ` → ${r.linkedWorkflow.name}` : "";
      nodeLayer.append(s("g", {
        class: `node role role-${r.roleType.toLowerCase()} ${r.linkedWorkflow ? "linked" : ""} ${selected === r.id ? "selected" : ""}`,
        transform: `translate(${n.x},${n.y})`, "data-role": r.id,
        tabindex: onRole ? 0 : null, onclick: onRole ? () => onRole(r) : null,
      },
      s("title", {}, `${r.name} (${r.roleType})${linked}${r.description ? `\n${r.description}` : ""}`),
      s("rect", { width: NODE_W, height: n.h, rx: 6 }),
      s("text", { x: 10, y: 19, class: "name" }, truncate(r.name.replaceAll("_", " "), 17)),
      s("text", { x: 10, y: 35, class: "kind" }, truncate(`${r.roleType}${linked}`, 20))));
    } else {
      const i = n.item;
      const counts = load[i.id] || { waiting: 0, here: 0 };
      nodeLayer.append(s("g", {
        class: `node interaction ${selected === i.id ? "selected" : ""} ${counts.waiting ? "busy" : ""}`,
        transform: `translate(${n.x},${n.y})`, "data-interaction": i.id, "data-name": i.name,
        tabindex: 0, onclick: onInteraction ? () => onInteraction(i) : null,
      },
      s("title", {}, describeLoad(i.name, counts) +
        (i.description ? `\n${i.description}` : "")),
      s("rect", { width: NODE_W, height: n.h, rx: n.h / 2 }),
      s("text", { x: 16, y: 18, class: "name" }, truncate(i.name.replaceAll("_", " "), 15)),
      s("text", { x: 16, y: 32, class: "kind here" }, `${counts.here} here`),
      s("g", { class: "count", transform: `translate(${NODE_W - 8},2)` },
        s("rect", pill(counts.waiting)),
        s("text", { "text-anchor": "middle", y: 4, class: "waiting" }, String(counts.waiting)))));
    }
  }
  svg.append(nodeLayer, labelLayer);
  svg.style.maxWidth = `${g.width}px`; // scale down to fit, never up,
  svg.style.minWidth = `${Math.round(g.width * 0.75)}px`; // nor below legible (the card scrolls)
  return svg;
}

function describeLoad(name, counts) {
  return `${name}: ${counts.waiting} waiting (PENDING), ${counts.here} here in any status`;
}

/** Updates the counts drawn on an existing graph without redrawing it. */
export function updateLoad(svg, load) {
  for (const node of svg.querySelectorAll("[data-interaction]")) {
    const counts = load[node.dataset.interaction] || { waiting: 0, here: 0 };
    const waiting = node.querySelector(".waiting");
    if (waiting.textContent !== String(counts.waiting)) {
      waiting.textContent = String(counts.waiting);
      for (const [name, value] of Object.entries(pill(counts.waiting))) {
        node.querySelector(".count rect").setAttribute(name, value);
      }
      node.classList.remove("pulse");
      void node.getBoundingClientRect(); // restart the animation
      node.classList.add("pulse");
    }
    node.classList.toggle("busy", counts.waiting > 0);
    node.querySelector(".here").textContent = `${counts.here} here`;
    node.querySelector("title").textContent = describeLoad(node.dataset.name, counts);
  }
}
