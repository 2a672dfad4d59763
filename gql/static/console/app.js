// The console's router: hash routes to views; each view renders into <main> and returns a
// function that stops what it started (subscriptions, timers) when the route changes.

import { subscriptions } from "./api.js";
import { clear, h, problem } from "./dom.js";
import { renderEvents } from "./views/events.js";
import { renderInstance } from "./views/instance.js";
import { renderInstances } from "./views/instances.js";
import { renderUow } from "./views/uow.js";

const ROUTES = [
  [/^#?\/?$/, "instances", () => renderInstances],
  [/^#\/instance\/([^/?]+)(?:\?workflow=([^&]+))?$/, "instances", () => renderInstance],
  [/^#\/uow\/([^/?]+)$/, "instances", () => renderUow],
  [/^#\/events(?:\/([^/?]+))?$/, "events", () => renderEvents],
];

let stop = null;
let generation = 0;

const connection = document.getElementById("connection");
subscriptions((state, detail) => {
  connection.textContent = state;
  connection.className = `connection ${state}`;
  connection.title = detail || "Subscription WebSocket";
});

async function route() {
  if (stop) stop();
  stop = null;
  const mine = ++generation;
  // Each page renders into its own element: a page still loading when the route changes
  // renders into a detached element and never over its successor.
  const view = h("div", {}, h("p", { class: "muted" }, "Loading…"));
  document.getElementById("view").replaceChildren(view);
  for (const [pattern, nav, load] of ROUTES) {
    const match = pattern.exec(window.location.hash);
    if (!match) continue;
    for (const link of document.querySelectorAll("[data-nav]")) {
      link.classList.toggle("current", link.dataset.nav === nav);
    }
    try {
      const stopper = await load()(view, ...match.slice(1).map((p) => p && decodeURIComponent(p)));
      if (mine === generation) stop = stopper;
      else stopper?.(); // the route changed while this page loaded
    } catch (error) {
      if (mine === generation) clear(view, problem(`Could not load this page: ${error.message}`));
    }
    return;
  }
  clear(view, problem(`No page at ${window.location.hash}`));
}

window.addEventListener("hashchange", route);
route();
