// The instances page: every instance with its status, its units of work by status and how
// long its oldest waiting unit has waited (Instance.stats).

import { listInstances } from "../api.js";
import { claims } from "../auth.js";
import { clear, h, statusBadge, time } from "../dom.js";
import { age, statusBar } from "./common.js";

/** With a token scoped to some instances (or an actor's), the list is what it reaches. */
function reach(count) {
  const scopes = claims()?.scopes;
  if (!scopes || scopes.includes("admin")) return null;
  return h("p", { id: "reach", class: "muted small" },
    `Your token reaches ${count === 1 ? "this instance" : `these ${count} instances`} only (${scopes.join(" ")}).`);
}

export async function renderInstances(view) {
  const instances = await listInstances();
  const rows = instances.map((i) =>
    h("tr", { "data-instance": i.id },
      h("td", {}, h("a", { href: `#/instance/${i.id}`, class: "strong" }, i.name),
        i.description ? h("div", { class: "muted small" }, i.description) : null),
      h("td", {}, statusBadge(i.status)),
      h("td", {}, `${i.masterWorkflow.name} v${i.masterWorkflow.version}`),
      h("td", { class: "num", "data-status": "PENDING" }, i.counts.PENDING.toLocaleString()),
      h("td", { class: "num", "data-status": "ACTIVE" }, i.counts.ACTIVE.toLocaleString()),
      h("td", { class: "num" }, (i.counts.PENDING_PILOT_APPROVAL + i.counts.PAUSED).toLocaleString()),
      h("td", { class: "num", "data-status": "COMPLETED" }, i.counts.COMPLETED.toLocaleString()),
      h("td", { class: "num" }, (i.counts.FAILED + i.counts.FAILED_SECURITY_BREACH).toLocaleString()),
      h("td", { class: "num", "data-total": i.total }, i.total.toLocaleString()),
      h("td", { class: "num", title: i.oldestWaitingSince ? `waiting since ${time(i.oldestWaitingSince)}` : "nothing waits" }, age(i.oldestWaitingSeconds)),
      h("td", { class: "bar-cell" }, statusBar(i.counts)),
      h("td", { class: "muted small" }, time(i.deploymentDate)),
      h("td", {}, h("a", { href: `#/events/${i.id}`, class: "small" }, "live events"))));
  clear(view,
    h("section", { class: "page-head" },
      h("h1", {}, "Instances"),
      h("p", { class: "muted" }, `${instances.length} deployed workflow instance${instances.length === 1 ? "" : "s"}.`),
      reach(instances.length)),
    instances.length === 0
      ? h("p", { class: "empty" }, "No instances yet. Load the demo with `chameleon demo`, or instantiate a template.")
      : h("div", { class: "card" }, h("table", { class: "table" },
        h("thead", {}, h("tr", {},
          ["Instance", "Status", "Workflow", "Waiting", "Active", "Held", "Completed", "Failed", "Total", "Oldest wait", "By status", "Deployed", ""]
            .map((t) => h("th", { class: ["Waiting", "Active", "Held", "Completed", "Failed", "Total", "Oldest wait"].includes(t) ? "num" : "" }, t)))),
        h("tbody", {}, rows))));
  return null;
}
