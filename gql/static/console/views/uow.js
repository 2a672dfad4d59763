// A unit of work: its route through the workflow as a timeline, its attributes and their
// versions, its hash with a verifyUowState button, its logs (history, versions and logs
// newest first, "load older" pages back), the engine's verbs (check out, submit, report
// failure) and the pilot moves the transition rules allow from its status. Reloads when one
// of its transitions arrives.

import {
  checkout, olderOf, reportFailure, submit, transitionUow, unitOfWork, verifyUowState, watchTelemetry,
} from "../api.js";
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
  const pause = uow.history.items.find((e) => e.newStatus === "PAUSED"); // newest first
  return pause?.previousStatus ? [[pause.previousStatus, `Resume (${pause.previousStatus.toLowerCase()})`]] : [];
}

function field(label, ...value) {
  return h("div", { class: "field" }, h("dt", {}, label), h("dd", {}, ...value));
}

function errorsOf(answer) {
  return answer.errors.map((e) => `${e.code}: ${e.message}${e.path ? ` (${e.path.join(".")})` : ""}`).join("; ");
}

function timeline(uow) {
  return h("ol", { class: "timeline", id: "timeline" }, uow.history.items.map((e) =>
    h("li", { class: `step status-edge-${e.newStatus.toLowerCase()}`, "data-history": e.id },
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
  for (const e of [...uow.history.items].reverse()) {
    if (stops.at(-1) !== e.newInteraction.name) stops.push(e.newInteraction.name);
  }
  return h("div", { class: "route" }, stops.map((name, i) => [i ? h("span", { class: "arrow-sep" }, "→") : null, h("span", { class: "stop" }, name)]));
}

function attributes(uow) {
  const versions = new Map();
  for (const a of uow.attributeHistory.items) (versions.get(a.key) || versions.set(a.key, []).get(a.key)).push(a);
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
  return h("ol", { class: "feed logs", id: "logs" }, uow.logs.items.map((l) =>
    h("li", { class: `event log-${l.logType.toLowerCase()}`, "data-log": l.id },
      h("time", {}, time(l.timestamp)),
      h("span", { class: "log-type" }, l.logType.replaceAll("_", " ").toLowerCase()),
      h("span", { class: "small" }, [l.actor?.name, l.role?.name, l.interaction?.name].filter(Boolean).join(" · ")),
      h("span", { class: "what mono", title: json(l.errorMetadata ?? l.eventDetails) }, json(l.errorMetadata ?? l.eventDetails)))));
}

/** "load older" under a newest-first list: shown while the API has an older page. */
function olderButton(list, page, onLoad, noun) {
  if (!page.older) return null;
  return h("div", { class: "older" },
    h("button", { class: "button", type: "button", "data-older": list, onclick: onLoad },
      `Load older ${noun}`),
    h("span", { class: "small muted" }, ` ${page.items.length} of ${page.total} shown`));
}

function parseObject(text, what) {
  if (!text.trim()) return { value: null };
  try {
    const value = JSON.parse(text);
    if (value === null || typeof value !== "object" || Array.isArray(value)) return { error: `${what} must be a JSON object` };
    return { value };
  } catch (e) {
    return { error: `${what} is not JSON: ${e.message}` };
  }
}

export async function renderUow(view, uowId) {
  let uow = await unitOfWork(uowId);
  const verdict = h("span", { class: "verdict" });
  const message = h("div", { class: "small" });
  const engineMessage = h("div", { class: "small", id: "engine-message" });
  const actor = h("select", { "aria-label": "acting as" },
    h("option", { value: "" }, "no actor (pilot)"),
    uow.instance.actors.map((a) => h("option", { value: a.id, selected: uow.lockedBy?.id === a.id }, `${a.name} (${a.type.toLowerCase()})`)));
  const reasoning = h("input", { type: "text", placeholder: "reasoning (kept in history)", size: 30 });
  // The engine's inputs live across redraws, so a reload never loses what was typed.
  const attributesInput = h("textarea", { id: "submit-attributes", rows: 3, class: "mono", placeholder: 'attributes to set, a JSON object (optional), e.g. {"score": 710}' });
  const engineReasoning = h("input", { type: "text", id: "engine-reasoning", placeholder: "reasoning (kept in history)", size: 30 });
  const failureReason = h("input", { type: "text", id: "failure-reason", placeholder: "what went wrong", size: 30 });
  const takerRole = h("select", { "aria-label": "role", id: "uow-checkout-role" });
  const takerActor = h("select", { "aria-label": "actor", id: "uow-checkout-actor" });

  const takers = () => {
    const seen = new Map();
    for (const c of uow.workflow.components) {
      if (c.direction === "INBOUND" && c.interaction.id === uow.currentInteraction.id) seen.set(c.role.id, c.role);
    }
    return [...seen.values()];
  };
  const fillTakerActors = () => {
    const found = uow.instance.actors.filter((a) => a.roles.some((r) => r.id === takerRole.value));
    clear(takerActor, found.length ? found.map((a) => h("option", { value: a.id }, `${a.name} (${a.type.toLowerCase()})`))
      : h("option", { value: "" }, "no actor has this role"));
  };
  takerRole.addEventListener("change", fillTakerActors);

  const engine = () => {
    if (uow.status === "ACTIVE" && uow.lockedBy) {
      return h("div", { class: "engine" },
        h("p", { class: "small" }, "Held by ", h("strong", {}, uow.lockedBy.name),
          uow.currentRole ? ` as ${uow.currentRole.name}` : "", ": hand it back and the role's outbound guardians route it, or give up on it."),
        attributesInput,
        h("div", { class: "row" }, engineReasoning,
          h("button", { class: "button primary", type: "button", id: "submit", onclick: doSubmit }, "Submit")),
        h("div", { class: "row" }, failureReason,
          h("button", { class: "button", type: "button", id: "report-failure", onclick: doReportFailure }, "Report failure")));
    }
    if (uow.status === "PENDING") {
      const roles = takers();
      if (!roles.length) return h("p", { class: "small muted" }, `No role takes work from ${uow.currentInteraction.name}.`);
      const chosen = takerRole.value;
      clear(takerRole, roles.map((r) => h("option", { value: r.id, selected: r.id === chosen }, `as ${r.name.replaceAll("_", " ")}`)));
      fillTakerActors();
      return h("div", { class: "engine" },
        h("p", { class: "small muted" }, "Take this unit for an actor of a role that works from here (its inbound guardians must let it through)."),
        h("div", { class: "row" }, takerRole, takerActor,
          h("button", { class: "button primary", type: "button", id: "uow-checkout", onclick: doCheckout }, "Check out")));
    }
    return h("p", { class: "small muted" }, `No engine action for a ${uow.status.toLowerCase().replaceAll("_", " ")} unit.`);
  };

  const draw = () => {
    const moves = movesFor(uow);
    const shown = uow.history.items.length;
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
          h("h2", {}, "Engine"),
          engine(), engineMessage,
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
        h("span", { class: "small muted", id: "history-count" }, `${uow.history.total} transition${uow.history.total === 1 ? "" : "s"}, newest first` +
          (uow.history.total > shown ? `; the latest ${shown} shown` : ""))),
        route(uow), timeline(uow), olderButton("history", uow.history, () => older("history"), "transitions")),
      h("section", { class: "card" }, h("h2", {}, "Attributes"),
        uow.attributes.length ? attributes(uow) : h("p", { class: "muted" }, "No attributes."),
        olderButton("attributeHistory", uow.attributeHistory, () => older("attributeHistory"), "versions")),
      uow.children.total ? h("section", { class: "card" }, h("h2", {}, `Children (${uow.children.total})`),
        h("ul", { class: "unit-list" }, uow.children.units.map((c) => h("li", {},
          h("a", { href: `#/uow/${c.id}`, class: "mono" }, shortId(c.id)), " ", statusBadge(c.status), ` at ${c.currentInteraction.name}`)))) : null,
      h("section", { class: "card" }, h("h2", {}, `Logs (${uow.logs.total}, newest first)`),
        uow.logs.items.length ? logs(uow) : h("p", { class: "muted" }, "No log entries."),
        olderButton("logs", uow.logs, () => older("logs"), "log entries")));
  };

  async function older(list) {
    const page = uow[list];
    const answer = await olderOf(uow.id, list, page.older).catch((e) => ({ error: e.message }));
    if (answer.error) { clear(message, problem(answer.error)); return; }
    page.items.push(...answer.items);
    page.older = answer.older;
    page.total = answer.total;
    draw();
  }

  const failed = (e) => ({ errors: [{ code: "ERROR", message: e.message }] });

  async function verify() {
    clear(verdict, "checking…");
    const answer = await verifyUowState(uow.id).catch(failed);
    if (answer.errors.length) clear(verdict, problem(errorsOf(answer)));
    else clear(verdict, h("span", { class: answer.intact ? "ok" : "bad", id: "verdict" },
      answer.intact ? "✓ intact: the hash matches the attributes" : "✗ mismatch: recorded as a security breach"));
  }

  async function move(toStatus) {
    const input = { uowId: uow.id, toStatus, expectedVersion: uow.version };
    if (actor.value) input.actorId = actor.value;
    if (reasoning.value.trim()) input.reasoning = reasoning.value.trim();
    const answer = await transitionUow(input).catch(failed);
    if (answer.errors.length) clear(message, problem(errorsOf(answer)));
    else { reasoning.value = ""; await reload(); clear(message, `Moved to ${answer.uow.status}.`); }
  }

  /** Runs an engine verb; on success clears the inputs, reloads and says where the unit went. */
  async function engineVerb(send, done) {
    const answer = await send().catch(failed);
    if (answer.errors.length) { clear(engineMessage, problem(errorsOf(answer))); return; }
    attributesInput.value = ""; engineReasoning.value = ""; failureReason.value = "";
    await reload();
    const [verb, detail] = done(answer);
    clear(engineMessage, h("span", { id: "engine-done" }, h("strong", { class: "ok" }, verb), " ", detail));
  }

  async function doSubmit() {
    const parsed = parseObject(attributesInput.value, "attributes");
    if (parsed.error) { clear(engineMessage, problem(parsed.error)); return; }
    const input = { uowId: uow.id, actorId: uow.lockedBy.id, expectedVersion: uow.version };
    if (parsed.value) input.attributes = parsed.value;
    if (engineReasoning.value.trim()) input.reasoning = engineReasoning.value.trim();
    await engineVerb(() => submit(input), (a) => ["Submitted:",
      `${a.uow.status.toLowerCase()} at ${a.uow.currentInteraction.name}` +
      (a.route ? ` — ${a.route.reason}` : "") + "."]);
  }

  async function doReportFailure() {
    const reason = failureReason.value.trim();
    if (!reason) { clear(engineMessage, problem("Say what went wrong.")); return; }
    const input = { uowId: uow.id, actorId: uow.lockedBy.id, expectedVersion: uow.version, error: { reason } };
    if (engineReasoning.value.trim()) input.reasoning = engineReasoning.value.trim();
    await engineVerb(() => reportFailure(input), (a) =>
      ["Failure reported:", `${a.uow.status.toLowerCase()} at ${a.uow.currentInteraction.name}.`]);
  }

  async function doCheckout() {
    if (!takerActor.value) { clear(engineMessage, problem("No actor has this role.")); return; }
    await engineVerb(() => checkout(takerRole.value, takerActor.value, uow.id), (a) => a.uow
      ? ["Checked out", `by ${a.uow.lockedBy?.name ?? "no one"} as ${a.uow.currentRole?.name ?? "—"}.`]
      : ["Not taken:", "nothing eligible now."]);
  }

  async function reload() {
    // Keep as many entries as were shown (older pages included), up to the server's bound.
    const shown = Math.max(uow.history.items.length, uow.attributeHistory.items.length, uow.logs.items.length);
    uow = await unitOfWork(uowId, Math.min(500, Math.max(50, shown)));
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
