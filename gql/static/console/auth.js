// The console's bearer token (README "Callers and tokens"). With auth on, the server answers
// 401 (HTTP) or closes the socket with 4401/4403; the console then asks for a token. It is
// kept in sessionStorage (this tab only, gone when the tab closes, never in localStorage)
// and travels only in the Authorization header and in connection_init, never in a URL.

const KEY = "chameleon.console.token";

/** The token this tab signed in with, or null. */
export function token() {
  return window.sessionStorage.getItem(KEY);
}

export function remember(value) {
  window.sessionStorage.setItem(KEY, value);
}

export function forget() {
  window.sessionStorage.removeItem(KEY);
}

/** The Authorization header value (a pasted "Bearer …" is accepted as well), or null. */
export function authorization() {
  const value = token();
  return value ? `Bearer ${value}` : null;
}

/** A pasted token without surrounding space or a "Bearer " prefix. */
export function cleaned(pasted) {
  return pasted.trim().replace(/^bearer\s+/i, "").trim();
}

/** What the token says it reaches, read from its payload for display only: the server
 * checks the signature and decides; the console just tells the operator who they are. */
export function claims() {
  const value = token();
  if (!value) return null;
  try {
    const part = value.split(".")[1].replaceAll("-", "+").replaceAll("_", "/");
    const payload = JSON.parse(atob(part.padEnd(part.length + ((4 - (part.length % 4)) % 4), "=")));
    const scope = Array.isArray(payload.scope) ? payload.scope : String(payload.scope ?? "").split(/\s+/);
    return { subject: payload.sub ?? null, scopes: scope.filter(Boolean), expires: payload.exp ?? null };
  } catch {
    return null;
  }
}

/** Raised when the server refuses the caller: no token, or one it does not accept. */
export class AuthRequired extends Error {}
