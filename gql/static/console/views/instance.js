// An instance: its workflows drawn as graphs with the units waiting at each interaction,
// kept current from the `telemetry` subscription, the units at a chosen interaction, the
// latest events, and pausing or resuming the instance.

import { instanceGraph, instanceLoad, setInstanceStatus, unitsAt, watchTelemetry } from "../api.js";
import { clear, clock, h, json, problem, shortId, statusBadge, time } from "../dom.js";
import { drawWorkflow, updateLoad } from "../graph.js";
import { statusBar, statusLegend, total } from "./common.js";
import { eventRow } from "./events.js";

const RECONCILE_MS = 1500;

export async function renderInstance(view, instanceId, workflowId) {
  const instance = await instanceGraph(instanceId);
  const workflows = [...instance.workflows].sort((a, b) => Number(b.isMaster) - Number(a.isMaster));
  const workflow = workflows.find((w) => w.id === workflowId) || workflows[0];
  const load = {};
  for (const w of instance.workflows) {
    for (const i of w.interactions) load[i.id] = { waiting: i.waiting.totalCount, working: i.working.totalCount };
  }
  let counts = instance.counts;
  let selected = null; // the interaction whose units are listed

  const summary = h("div", { class: "summary" });
  const drawSummary = () => clear(summary,
    h("div", { class: "total" }, h("strong", {}, total(counts).toLocaleString()), " units of work"),
    statusBar(counts), statusLegend(counts));
  drawSummary();

  const statusHolder = h("span", {}, statusBadge(instance.status));
  const actionMessage = h("span", { class: "small muted" });
  const toggle = h("button", { class: "button", type: "button" });
  const drawToggle = (status) => {
    clear(statusHolder, statusBadge(status));
    toggle.textContent = status === "ACTIVE" ? "Pause instance" : "Resume instance";
    toggle.disabled = status === "ARCHIVED";
    toggle.dataset.to = status === "ACTIVE" ? "PAUSED" : "ACTIVE";
  };
  drawToggle(instance.status);
  toggle.addEventListener("click", async () => {
    toggle.disabled = true;
    const answer = await setInstanceStatus(instanceId, toggle.dataset.to).catch((e) => ({ errors: [e] }));
    if (answer.errors.length) clear(actionMessage, problem(answer.errors.map((e) => e.message).join("; ")));
    else { clear(actionMessage, "Done."); drawToggle(answer.instance.status); }
    toggle.disabled = false;
  });

  const graphHolder = h("div", { class: "graph-scroll" });
  const units = h("div", { class: "units" },
    h("p", { class: "muted" }, "Select an interaction to list the units of work waiting there."));
  const showUnits = async (interaction, { quiet = false } = {}) => {
    if (selected !== interaction.id) {
      selected = interaction.id;
      drawGraph();
    }
    if (!quiet) clear(units, h("p", { class: "muted" }, "Loading…"));
    const waiting = await unitsAt(instanceId, interaction.id, "PENDING", 25);
    const working = await unitsAt(instanceId, interaction.id, "ACTIVE", 25);
    const list = (title, found) => [
      h("h3", {}, `${title} (${found.total})`),
      found.units.length === 0 ? h("p", { class: "muted small" }, "None.") :
        h("ul", { class: "unit-list" }, found.units.map((u) => h("li", {},
          h("a", { href: `#/uow/${u.id}` }, shortId(u.id)), " ", statusBadge(u.status),
          h("span", { class: "muted small" }, ` v${u.version} · ${time(u.updatedAt)}`),
          u.lockedBy ? h("span", { class: "small" }, ` · ${u.lockedBy.name}`) : null))),
    ];
    if (selected !== interaction.id) return; // another one was chosen meanwhile
    clear(units, h("h2", {}, interaction.name.replaceAll("_", " ")),
      interaction.description ? h("p", { class: "muted small" }, interaction.description) : null,
      list("Waiting", waiting), list("Being worked on", working));
  };
  let svg = null;
  const drawGraph = () => {
    svg = drawWorkflow(workflow, load, {
      selected,
      onInteraction: showUnits,
      onRole: (role) => {
        if (role.linkedWorkflow) window.location.hash = `#/instance/${instanceId}?workflow=${role.linkedWorkflow.id}`;
      },
    });
    clear(graphHolder, svg);
  };
  drawGraph();

  const feed = h("ol", { class: "feed compact" });
  const feedEmpty = h("p", { class: "muted small" }, "Waiting for events…");
  const liveNote = h("span", { class: "small muted", id: "last-event" }, "");

  clear(view,
    h("section", { class: "page-head" },
      h("div", { class: "crumbs" }, h("a", { href: "#/" }, "Instances"), " / "),
      h("div", { class: "title-row" },
        h("h1", {}, instance.name), statusHolder, h("span", { class: "spacer" }), actionMessage, toggle),
      instance.description ? h("p", { class: "muted" }, instance.description) : null,
      summary),
    h("div", { class: "tabs" }, workflows.map((w) =>
      h("a", { href: `#/instance/${instanceId}?workflow=${w.id}`, class: w.id === workflow.id ? "current" : "" },
        `${w.name.replaceAll("_", " ")} v${w.version}`, w.isMaster ? h("span", { class: "muted small" }, " master") : null))),
    h("section", { class: "card graph-card" },
      h("div", { class: "card-head" }, h("h2", {}, workflow.name.replaceAll("_", " ")),
        h("span", { class: "legend-inline small muted" },
          h("i", { class: "key role" }), "role", h("i", { class: "key interaction" }), "interaction",
          h("i", { class: "key count" }), "units waiting · arrows are components, labelled with their guardians · click an interaction for its units"),
        liveNote),
      graphHolder),
    h("div", { class: "instance-grid" },
      h("section", { class: "card" }, units),
      h("section", { class: "card" }, h("div", { class: "card-head" }, h("h2", {}, "Latest events"),
        h("a", { href: `#/events/${instanceId}`, class: "small" }, "all live events")), feedEmpty, feed)));

  // Live: each transition moves one unit at once; a query a moment later reconciles what the
  // stream cannot tell (lost events, units of other workflows, another status's counts).
  let timer = null;
  const reconcile = () => {
    clearTimeout(timer);
    timer = setTimeout(async () => {
      const fresh = await instanceLoad(instanceId).catch(() => null);
      if (!fresh) return;
      Object.assign(load, fresh.interactions);
      counts = fresh.counts;
      updateLoad(svg, load);
      drawSummary();
      drawToggle(fresh.status);
      const listed = workflow.interactions.find((i) => i.id === selected);
      if (listed) showUnits(listed, { quiet: true }).catch(() => {});
    }, RECONCILE_MS);
  };
  const move = (interaction, status, by) => {
    if (!interaction || !load[interaction.id]) return;
    const key = status === "PENDING" ? "waiting" : status === "ACTIVE" ? "working" : null;
    if (key) load[interaction.id][key] = Math.max(0, load[interaction.id][key] + by);
  };
  const stop = watchTelemetry({ instanceId }, (event) => {
    feedEmpty.remove();
    feed.prepend(eventRow(event));
    while (feed.children.length > 12) feed.lastChild.remove();
    liveNote.textContent = `last event ${clock(event.timestamp)}`;
    const t = event.transition;
    if (t) {
      move(t.previousInteraction, t.previousStatus, -1);
      move(t.newInteraction, t.newStatus, +1);
      if (t.previousStatus) counts[t.previousStatus] = Math.max(0, counts[t.previousStatus] - 1);
      counts[t.newStatus] += 1;
      updateLoad(svg, load);
      drawSummary();
    }
    if (t || event.dropped) reconcile();
  }, (errors) => feed.prepend(h("li", {}, problem(json(errors)))));
  return () => { stop(); clearTimeout(timer); };
}
