// The console's router: hash routes to views; each view renders into <main> and returns a
// function that stops what it started (subscriptions, timers) when the route changes.

import { subscriptions } from "./api.js";
import { AuthRequired, claims, forget, remember, token } from "./auth.js";
import { clear, h, problem } from "./dom.js";
import { renderEvents } from "./views/events.js";
import { renderInstance } from "./views/instance.js";
import { renderInstances } from "./views/instances.js";
import { describeCaller, signInPanel } from "./views/signin.js";
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
  if (state === "refused") signIn(`The live connection was refused: ${detail}`);
});

const caller = document.getElementById("caller");
const signOut = document.getElementById("sign-out");

/** The header shows who is signed in and the sign-out control while a token is kept. */
function showCaller() {
  const signedIn = token() !== null;
  caller.hidden = !signedIn;
  signOut.hidden = !signedIn;
  caller.textContent = signedIn ? describeCaller(claims()) : "";
}

/** Stops the page and asks for a token; a token the server refused is forgotten. */
function signIn(reason) {
  if (stop) stop();
  stop = null;
  generation++;
  forget();
  showCaller();
  const view = document.getElementById("view");
  view.replaceChildren(signInPanel(reason, (value) => {
    remember(value);
    showCaller();
    subscriptions().restart();
    route();
  }));
}

signOut.addEventListener("click", () => {
  forget();
  subscriptions().stop();
  showCaller();
  signIn("Signed out. Paste a token to sign in again.");
});
showCaller();

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
      if (mine !== generation) return;
      if (error instanceof AuthRequired) {
        signIn(token() ? `The token was refused: ${error.message}` : `This server needs a bearer token: ${error.message}`);
      } else {
        clear(view, problem(`Could not load this page: ${error.message}`));
      }
    }
    return;
  }
  clear(view, problem(`No page at ${window.location.hash}`));
}

window.addEventListener("hashchange", route);
route();
