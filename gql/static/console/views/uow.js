// A unit of work: its route through the workflow as a timeline, its attributes and their
// versions, its hash with a verifyUowState button, its logs, and the pilot moves the
// transition rules allow from its status. Reloads when one of its transitions arrives.

import { transitionUow, unitOfWork, verifyUowState, watchTelemetry } from "../api.js";
import { clear, h, json, problem, shortId, statusBadge, time } from "../dom.js";

// Pilot moves offered per status (a subset of storage/runtime/transitions.py's ALLOWED).
const MOVES = {
  PENDING: [["PAUSED", "Pause"]],
  ACTIVE: [["PENDING_PILOT_APPROVAL", "Ask for approval"], ["PAUSED", "Pause"], ["PENDING", "Release"]],
  PENDING_PILOT_APPROVAL: [["ACTIVE", "Approve"], ["FAILED", "Reject"]],
  ZOMBIED_SOFT: [["PENDING", "Revive"]],
  ZOMBIED_DEAD: [["ARCHIVED", "Archive"]],
  FAILED: [["ARCHIVED", "Archive"]],
  COMPLETED: [["ARCHIVED", "Archive"]],
};

function movesFor(uow) {
  if (uow.status !== "PAUSED") return MOVES[uow.status] || [];
  // A paused unit goes back to the status it had before the pause, only.
  const pause = [...uow.history].reverse().find((e) => e.newStatus === "PAUSED");
  return pause?.previousStatus ? [[pause.previousStatus, `Resume (${pause.previousStatus.toLowerCase()})`]] : [];
}

function field(label, ...value) {
  return h("div", { class: "field" }, h("dt", {}, label), h("dd", {}, ...value));
}

function errorsOf(answer) {
  return answer.errors.map((e) => `${e.code}: ${e.message}${e.path ? ` (${e.path.join(".")})` : ""}`).join("; ");
}

function timeline(uow) {
  return h("ol", { class: "timeline", id: "timeline" }, uow.history.map((e) =>
    h("li", { class: `step status-edge-${e.newStatus.toLowerCase()}` },
      h("div", { class: "when" }, time(e.transitionTimestamp)),
      h("div", { class: "what" },
        e.previousStatus ? statusBadge(e.previousStatus) : h("span", { class: "badge" }, "created"), " → ", statusBadge(e.newStatus),
        h("span", { class: "at" }, " at ", h("strong", {}, e.newInteraction.name),
          e.previousInteraction && e.previousInteraction.id !== e.newInteraction.id ? h("span", { class: "muted" }, ` from ${e.previousInteraction.name}`) : null)),
      h("div", { class: "small muted" },
        e.actor ? `by ${e.actor.name}` : "no actor", e.reasoning ? ` — ${e.reasoning}` : "",
        h("span", { class: "mono", title: e.newStateHash }, ` · hash ${e.newStateHash.slice(0, 12)}`)))));
}

function route(uow) {
  const stops = [];
  for (const e of uow.history) {
    if (stops.at(-1) !== e.newInteraction.name) stops.push(e.newInteraction.name);
  }
  return h("div", { class: "route" }, stops.map((name, i) => [i ? h("span", { class: "arrow-sep" }, "→") : null, h("span", { class: "stop" }, name)]));
}

function attributes(uow) {
  const versions = new Map();
  for (const a of uow.attributeHistory) (versions.get(a.key) || versions.set(a.key, []).get(a.key)).push(a);
  return h("table", { class: "table attributes" },
    h("thead", {}, h("tr", {}, ["Key", "Value", "Version", "Set by", "When", "Earlier versions"].map((t) => h("th", {}, t)))),
    h("tbody", {}, uow.attributes.map((a) => h("tr", {},
      h("td", { class: "mono" }, a.key),
      h("td", { class: "mono value" }, json(a.value)),
      h("td", { class: "num" }, a.version),
      h("td", {}, a.actor?.name || "—", a.reasoning ? h("div", { class: "muted small" }, a.reasoning) : null),
      h("td", { class: "small" }, time(a.createdAt)),
      h("td", { class: "small" }, (versions.get(a.key) || []).filter((v) => v.id !== a.id).map((v) =>
        h("div", { class: "mono", title: time(v.createdAt) }, `v${v.version}: ${json(v.value)}`)))))));
}

function logs(uow) {
  return h("ol", { class: "feed logs" }, [...uow.logs].reverse().map((l) =>
    h("li", { class: `event log-${l.logType.toLowerCase()}` },
      h("time", {}, time(l.timestamp)),
      h("span", { class: "log-type" }, l.logType.replaceAll("_", " ").toLowerCase()),
      h("span", { class: "small" }, [l.actor?.name, l.role?.name, l.interaction?.name].filter(Boolean).join(" · ")),
      h("span", { class: "what mono", title: json(l.errorMetadata ?? l.eventDetails) }, json(l.errorMetadata ?? l.eventDetails)))));
}

export async function renderUow(view, uowId) {
  let uow = await unitOfWork(uowId);
  const verdict = h("span", { class: "verdict" });
  const message = h("div", { class: "small" });
  const actor = h("select", { "aria-label": "acting as" },
    h("option", { value: "" }, "no actor (pilot)"),
    uow.instance.actors.map((a) => h("option", { value: a.id, selected: uow.lockedBy?.id === a.id }, `${a.name} (${a.type.toLowerCase()})`)));
  const reasoning = h("input", { type: "text", placeholder: "reasoning (kept in history)", size: 30 });

  const draw = () => {
    const moves = movesFor(uow);
    clear(view,
      h("section", { class: "page-head" },
        h("div", { class: "crumbs" }, h("a", { href: "#/" }, "Instances"), " / ",
          h("a", { href: `#/instance/${uow.instance.id}` }, uow.instance.name), " / "),
        h("div", { class: "title-row" }, h("h1", {}, "Unit ", h("span", { class: "mono id" }, shortId(uow.id))), statusBadge(uow.status),
          h("span", { class: "muted" }, ` at ${uow.currentInteraction.name}`))),
      h("div", { class: "uow-grid" },
        h("section", { class: "card" },
          h("dl", { class: "fields" },
            field("Id", h("span", { class: "mono" }, uow.id)),
            field("Workflow", uow.workflow.name),
            field("Interaction", uow.currentInteraction.name),
            field("Role", uow.currentRole?.name || "—"),
            field("Held by", uow.lockedBy?.name || "—"),
            field("Version", String(uow.version)),
            field("Retries", String(uow.retryCount)),
            field("Created", time(uow.createdAt)),
            field("Updated", time(uow.updatedAt)),
            field("Heartbeat", time(uow.lastHeartbeatAt)),
            uow.parent ? field("Parent", h("a", { href: `#/uow/${uow.parent.id}`, class: "mono" }, shortId(uow.parent.id)), " ", statusBadge(uow.parent.status)) : null,
            uow.childCount ? field("Children", `${uow.finishedChildCount} of ${uow.childCount} finished`) : null,
            field("Content hash", h("span", { class: "mono hash" }, uow.contentHash)))),
        h("section", { class: "card actions" },
          h("h2", {}, "Integrity"),
          h("p", { class: "small muted" }, "Recomputes the hash of the current attributes and compares it with the stored one; a mismatch is recorded as a breach."),
          h("button", { class: "button", type: "button", id: "verify", onclick: verify }, "Verify state"), " ", verdict,
          h("h2", {}, "Pilot"),
          moves.length === 0 ? h("p", { class: "small muted" }, `No pilot move from ${uow.status.toLowerCase()}.`) :
            h("div", { class: "pilot" }, h("div", { class: "row" }, actor, reasoning),
              h("div", { class: "row" }, moves.map(([to, label]) =>
                h("button", { class: "button", type: "button", "data-to": to, onclick: () => move(to) }, label)))),
          message)),
      h("section", { class: "card" }, h("div", { class: "card-head" }, h("h2", {}, "Route"),
        h("span", { class: "small muted" }, `${uow.historyTotal} transition${uow.historyTotal === 1 ? "" : "s"}${uow.historyTotal > uow.history.length ? `, first ${uow.history.length} shown` : ""}`)),
        route(uow), timeline(uow)),
      h("section", { class: "card" }, h("h2", {}, "Attributes"),
        uow.attributes.length ? attributes(uow) : h("p", { class: "muted" }, "No attributes.")),
      uow.children.total ? h("section", { class: "card" }, h("h2", {}, `Children (${uow.children.total})`),
        h("ul", { class: "unit-list" }, uow.children.units.map((c) => h("li", {},
          h("a", { href: `#/uow/${c.id}`, class: "mono" }, shortId(c.id)), " ", statusBadge(c.status), ` at ${c.currentInteraction.name}`)))) : null,
      h("section", { class: "card" }, h("h2", {}, `Logs (${uow.logsTotal})`),
        uow.logs.length ? logs(uow) : h("p", { class: "muted" }, "No log entries.")));
  };

  async function verify() {
    clear(verdict, "checking…");
    const answer = await verifyUowState(uow.id).catch((e) => ({ errors: [{ code: "ERROR", message: e.message }] }));
    if (answer.errors.length) clear(verdict, problem(errorsOf(answer)));
    else clear(verdict, h("span", { class: answer.intact ? "ok" : "bad", id: "verdict" },
      answer.intact ? "✓ intact: the hash matches the attributes" : "✗ mismatch: recorded as a security breach"));
  }

  async function move(toStatus) {
    const input = { uowId: uow.id, toStatus, expectedVersion: uow.version };
    if (actor.value) input.actorId = actor.value;
    if (reasoning.value.trim()) input.reasoning = reasoning.value.trim();
    const answer = await transitionUow(input).catch((e) => ({ errors: [{ code: "ERROR", message: e.message }] }));
    if (answer.errors.length) clear(message, problem(errorsOf(answer)));
    else { reasoning.value = ""; await reload(); clear(message, `Moved to ${answer.uow.status}.`); }
  }

  async function reload() {
    uow = await unitOfWork(uowId);
    draw();
  }

  draw();
  let pending = null;
  const stop = watchTelemetry({ instanceId: uow.instance.id, uowId: uow.id }, () => {
    clearTimeout(pending);
    pending = setTimeout(reload, 200); // a burst of entries reloads once
  });
  return () => { stop(); clearTimeout(pending); };
}
