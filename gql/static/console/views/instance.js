// An instance: its workflows drawn as graphs with the units waiting at each interaction
// (Instance.stats, kept current from the `telemetry` subscription), the units at a chosen
// interaction, checking work out for a chosen role or interaction, the latest events, and
// pausing or resuming the instance.

import {
  checkout, instanceGraph, instanceLoad, setInstanceStatus, unitsAt, watchTelemetry,
} from "../api.js";
import { clear, clock, h, json, problem, shortId, statusBadge, time } from "../dom.js";
import { drawWorkflow, updateLoad } from "../graph.js";
import { age, statusBar, statusLegend, total } from "./common.js";
import { eventRow } from "./events.js";

const RECONCILE_MS = 1500;

export async function renderInstance(view, instanceId, workflowId) {
  const instance = await instanceGraph(instanceId);
  const workflows = [...instance.workflows].sort((a, b) => Number(b.isMaster) - Number(a.isMaster));
  const workflow = workflows.find((w) => w.id === workflowId) || workflows[0];
  const interactionIds = instance.workflows.flatMap((w) => w.interactions.map((i) => i.id));
  const load = {};
  const setLoad = (fresh) => {
    for (const id of interactionIds) load[id] = fresh[id] ? { ...fresh[id] } : { waiting: 0, here: 0 };
  };
  setLoad(instance.load);
  let counts = instance.counts;
  let oldest = instance.oldestWaitingSeconds;
  let selected = null; // the interaction or role shown below the graph

  const summary = h("div", { class: "summary", id: "summary" });
  const drawSummary = () => clear(summary,
    h("div", { class: "total" }, h("strong", { id: "total" }, total(counts).toLocaleString()),
      " units of work", h("span", { class: "muted small", id: "oldest-wait" },
        oldest === null ? " · nothing waits" : ` · oldest waiting ${age(oldest)}`)),
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
  const units = h("div", { class: "units", id: "panel" },
    h("p", { class: "muted" }, "Select an interaction for the units waiting there, or a role to check work out for it."));
  const roles = new Map(workflow.roles.map((r) => [r.id, r]));
  const takersAt = (interactionId) => workflow.components
    .filter((c) => c.direction === "INBOUND" && c.interaction.id === interactionId && roles.has(c.role.id))
    .map((c) => roles.get(c.role.id));
  const choose = (id) => {
    if (selected === id) return;
    selected = id;
    drawGraph();
  };

  const showUnits = async (interaction, { quiet = false } = {}) => {
    choose(interaction.id);
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
    const keep = units.querySelector(".checkout"); // a refresh keeps the form as the user left it
    clear(units, h("h2", {}, interaction.name.replaceAll("_", " ")),
      interaction.description ? h("p", { class: "muted small" }, interaction.description) : null,
      keep || checkoutForm(takersAt(interaction.id)),
      list("Waiting", waiting), list("Being worked on", working));
  };

  const showRole = (role) => {
    choose(role.id);
    const from = workflow.components.filter((c) => c.direction === "INBOUND" && c.role.id === role.id)
      .map((c) => workflow.interactions.find((i) => i.id === c.interaction.id)?.name).filter(Boolean);
    clear(units, h("h2", {}, role.name.replaceAll("_", " "), " ", h("span", { class: "badge" }, role.roleType)),
      role.description ? h("p", { class: "muted small" }, role.description) : null,
      from.length ? h("p", { class: "small" }, "Takes work from ", h("strong", {}, from.join(", ")), ".") : null,
      role.linkedWorkflow ? h("p", { class: "small" }, "Hands units to ",
        h("a", { href: `#/instance/${instanceId}?workflow=${role.linkedWorkflow.id}` }, `the ${role.linkedWorkflow.name} workflow`), ".") : null,
      from.length ? checkoutForm([role]) : h("p", { class: "muted small" }, "No interaction feeds this role: nothing to check out."));
  };

  /** An actor picker and "Check out" for the given roles (a role picker when several). */
  function checkoutForm(candidates) {
    if (!candidates.length) return h("p", { class: "muted small checkout" }, "No role takes work from here.");
    const message = h("div", { class: "small", id: "checkout-message" });
    const actorsOf = (roleId) => instance.actors.filter((a) => a.roles.some((r) => r.id === roleId));
    const actor = h("select", { "aria-label": "actor", id: "checkout-actor" });
    const role = h("select", { "aria-label": "role", id: "checkout-role", hidden: candidates.length === 1 },
      candidates.map((r) => h("option", { value: r.id }, `as ${r.name.replaceAll("_", " ")}`)));
    const button = h("button", { class: "button", type: "button", id: "checkout" }, "Check out");
    const fillActors = () => {
      const found = actorsOf(role.value);
      clear(actor, found.length ? found.map((a) => h("option", { value: a.id }, `${a.name} (${a.type.toLowerCase()})`))
        : h("option", { value: "" }, "no actor has this role"));
      button.disabled = !found.length;
    };
    role.addEventListener("change", fillActors);
    fillActors();
    button.addEventListener("click", async () => {
      button.disabled = true;
      clear(message, "…");
      const answer = await checkout(role.value, actor.value).catch((e) => ({ errors: [{ code: "ERROR", message: e.message }] }));
      button.disabled = false;
      if (answer.errors.length) clear(message, problem(answer.errors.map((e) => `${e.code}: ${e.message}`).join("; ")));
      else if (!answer.uow) clear(message, h("span", { class: "muted" }, "Nothing eligible for this role now."));
      else clear(message, h("span", { class: "ok" }, "Checked out "),
        h("a", { href: `#/uow/${answer.uow.id}`, class: "mono", id: "checked-out" }, shortId(answer.uow.id)),
        ` at ${answer.uow.currentInteraction.name}, held by ${answer.uow.lockedBy?.name ?? "no one"}: open it to submit.`);
    });
    return h("div", { class: "checkout" },
      h("div", { class: "row" }, role, actor, button),
      h("p", { class: "muted small" }, "Takes the oldest unit the role's inbound guardians let through."),
      message);
  }

  let svg = null;
  const drawGraph = () => {
    svg = drawWorkflow(workflow, load, {
      selected,
      onInteraction: showUnits,
      onRole: showRole,
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
          h("i", { class: "key count" }), "units waiting · arrows are components, labelled with their guardians · click a node to list or check out work"),
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
      setLoad(fresh.load);
      counts = fresh.counts;
      oldest = fresh.oldestWaitingSeconds;
      updateLoad(svg, load);
      drawSummary();
      drawToggle(fresh.status);
      const listed = workflow.interactions.find((i) => i.id === selected);
      if (listed) showUnits(listed, { quiet: true }).catch(() => {});
    }, RECONCILE_MS);
  };
  const move = (interaction, status, by) => {
    if (!interaction || !load[interaction.id]) return;
    const at = load[interaction.id];
    at.here = Math.max(0, at.here + by);
    if (status === "PENDING") at.waiting = Math.max(0, at.waiting + by);
  };
  const stop = watchTelemetry({ instanceId }, (event) => {
    feedEmpty.remove();
    feed.prepend(eventRow(event));
    while (feed.children.length > 12) feed.lastChild.remove();
    liveNote.textContent = `last event ${clock(event.timestamp)}`;
    const t = event.transition;
    if (t) {
      if (t.previousStatus) move(t.previousInteraction, t.previousStatus, -1);
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
