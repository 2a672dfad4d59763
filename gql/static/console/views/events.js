// The live event feed of an instance, filtered by log type and unit of work on the server
// (the `telemetry` subscription's arguments), newest on top.

import { LOG_TYPES, listInstances, watchTelemetry } from "../api.js";
import { clear, clock, h, json, problem, shortId } from "../dom.js";

const KEEP = 300;

function describe(event) {
  const t = event.transition;
  if (t) {
    const moved = t.previousInteraction && t.previousInteraction.id !== t.newInteraction.id;
    const from = t.previousStatus ? `${t.previousStatus}${moved ? ` at ${t.previousInteraction.name}` : ""}` : "new";
    return [`${from} → ${t.newStatus} at ${t.newInteraction.name}`, t.reasoning ? h("span", { class: "muted" }, ` — ${t.reasoning}`) : null];
  }
  const text = json(event.error ?? event.details);
  return text.length > 160 ? `${text.slice(0, 159)}…` : text;
}

/** One event as a list item (used by the feed and by the instance page). */
export function eventRow(event) {
  return h("li", { class: `event log-${event.logType.toLowerCase()}`, "data-log-type": event.logType },
    h("time", { datetime: event.timestamp }, clock(event.timestamp)),
    h("span", { class: "log-type" }, event.logType.replaceAll("_", " ").toLowerCase()),
    event.uowId ? h("a", { href: `#/uow/${event.uowId}`, class: "mono" }, shortId(event.uowId)) : h("span", { class: "mono muted" }, "—"),
    h("span", { class: "what" }, describe(event)),
    event.dropped ? h("span", { class: "badge status-failed", title: "events lost to overflow before this one" }, `${event.dropped} dropped`) : null);
}

export async function renderEvents(view, instanceId) {
  const instances = await listInstances();
  if (!instanceId && instances.length) instanceId = instances[0].id;
  const types = new Set(LOG_TYPES);
  let uowId = null;
  let paused = false;
  let stop = null;
  let received = 0;

  const list = h("ol", { class: "feed", id: "feed" });
  const state = h("p", { class: "muted small" });
  const subscribe = () => {
    if (stop) stop();
    stop = null;
    if (!instanceId) return;
    const logTypes = types.size === LOG_TYPES.length ? null : [...types];
    state.textContent = `Listening to ${logTypes ? logTypes.join(", ").toLowerCase() : "every log type"}${uowId ? ` of unit ${shortId(uowId)}` : ""} from now on.`;
    if (types.size === 0) { state.textContent = "Choose at least one log type."; return; }
    stop = watchTelemetry({ instanceId, uowId, logTypes }, (event) => {
      received += 1;
      counter.textContent = `${received} received`;
      if (paused) return;
      list.prepend(eventRow(event));
      while (list.children.length > KEEP) list.lastChild.remove();
    }, (errors) => clear(state, problem((Array.isArray(errors) ? errors : [errors]).map((e) => e.message).join("; "))));
  };

  const counter = h("span", { class: "small muted" }, "0 received");
  const pause = h("button", { class: "button", type: "button", onclick: () => {
    paused = !paused;
    pause.textContent = paused ? "Resume feed" : "Pause feed";
  } }, "Pause feed");
  const unitInput = h("input", { type: "search", placeholder: "unit of work id (all units when empty)", class: "mono", size: 24 });
  unitInput.addEventListener("change", () => { uowId = unitInput.value.trim() || null; subscribe(); });

  clear(view,
    h("section", { class: "page-head" }, h("h1", {}, "Live events"),
      h("p", { class: "muted" }, "Interaction log entries as they happen, from the telemetry subscription.")),
    h("section", { class: "card filters" },
      h("label", {}, "Instance ",
        h("select", { onchange: (e) => { instanceId = e.target.value; clear(list); subscribe(); } },
          instances.map((i) => h("option", { value: i.id, selected: i.id === instanceId }, i.name)))),
      h("fieldset", {}, h("legend", {}, "Log types"),
        LOG_TYPES.map((t) => h("label", { class: "check" },
          h("input", { type: "checkbox", checked: true, value: t, onchange: (e) => {
            if (e.target.checked) types.add(t); else types.delete(t);
            subscribe();
          } }), t.replaceAll("_", " ").toLowerCase()))),
      h("label", {}, "Unit ", unitInput),
      h("span", { class: "spacer" }), counter, pause),
    state,
    h("section", { class: "card" }, list));
  subscribe();
  return () => stop?.();
}
