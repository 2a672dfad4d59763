// The sign-in panel, shown when the server refuses the caller (auth on, README "Callers and
// tokens"): paste a bearer token, kept for this tab only (see auth.js).

import { cleaned } from "../auth.js";
import { h, problem } from "../dom.js";

/** The panel; `onToken` gets the pasted token (trimmed, without "Bearer "). */
export function signInPanel(reason, onToken) {
  const input = h("input", {
    id: "token", name: "token", type: "password", autocomplete: "off", spellcheck: "false",
    placeholder: "eyJhbGciOi…", "aria-label": "Bearer token", required: true,
  });
  const form = h("form", { id: "sign-in", class: "card sign-in" },
    h("h1", {}, "Sign in"),
    h("p", { class: "muted" },
      "This server checks bearer tokens. Paste one to use the console; it is kept in this tab only ",
      "(session storage) and sent in the Authorization header and the live connection's init message."),
    reason ? h("div", { id: "sign-in-problem" }, problem(reason)) : null,
    h("label", { for: "token", class: "strong" }, "Token"),
    h("div", { class: "sign-in-row" }, input, h("button", { type: "submit", class: "button", id: "sign-in-submit" }, "Sign in")),
    h("p", { class: "muted small" },
      "An administrator mints one on the server with ",
      h("code", { class: "mono" }, "chameleon token create --admin"), " or ",
      h("code", { class: "mono" }, "chameleon token create --instance ID --ttl 86400"),
      " (signed with CHAMELEON_AUTH_SECRET), or use one from your identity provider."));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const value = cleaned(input.value);
    if (value) onToken(value);
  });
  queueMicrotask(() => input.focus());
  return form;
}

/** Who the stored token says the caller is, for the header ("admin", "instance 3f2a…"). */
export function describeCaller(claims) {
  if (!claims) return "signed in";
  const reach = claims.scopes.includes("admin")
    ? "admin"
    : claims.scopes.map((s) => s.replace(/^(instance|actor):(.{8}).*$/, "$1 $2…")).join(", ") || "no scope";
  return claims.subject ? `${claims.subject} · ${reach}` : reach;
}
