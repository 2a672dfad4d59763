// A small graphql-transport-ws client: one WebSocket per page, many subscriptions on it.
// It reconnects with backoff and re-subscribes what is still wanted, so a restarted server
// does not leave the console silently frozen; `onState` tells the page what is going on.

const PROTOCOL = "graphql-transport-ws";
// The server closes with these when the connection_init's token is missing or refused
// (4401), or when it expires while open (4403): retrying with the same token is useless.
const REFUSED = new Set([4401, 4403]);

export class SubscriptionClient {
  constructor(url, { onState = () => {}, connectionParams = () => ({}) } = {}) {
    this.url = url;
    this.onState = onState;
    this.connectionParams = connectionParams;
    this.socket = null;
    this.acknowledged = false;
    this.nextId = 1;
    this.active = new Map(); // id -> { payload, sink }
    this.retries = 0;
    this.closed = false;
  }

  /** Starts `payload` ({query, variables, operationName}); returns a function that stops it. */
  subscribe(payload, sink) {
    const id = String(this.nextId++);
    this.active.set(id, { payload, sink });
    this.connect();
    if (this.acknowledged) this.send({ id, type: "subscribe", payload });
    return () => {
      if (!this.active.delete(id)) return;
      if (this.acknowledged) this.send({ id, type: "complete" });
    };
  }

  /** Starts over on a new socket (a new token): what is still wanted is subscribed again. */
  restart() {
    this.closed = false;
    this.retries = 0;
    const socket = this.socket;
    if (socket) {
      socket.onclose = null;
      socket.close(1000, "new token");
      this.socket = null;
      this.acknowledged = false;
    }
    if (this.active.size > 0) this.connect();
  }

  /** Stops every subscription and the socket, but may be started again (sign out). */
  stop() {
    this.active.clear();
    this.restart();
    this.onState("idle");
  }

  close() {
    this.closed = true;
    this.active.clear();
    if (this.socket) this.socket.close(1000, "page left");
  }

  connect() {
    if (this.socket || this.closed) return;
    const socket = new WebSocket(this.url, PROTOCOL);
    this.socket = socket;
    this.onState("connecting");
    socket.onopen = () => this.send({ type: "connection_init", payload: this.connectionParams() });
    socket.onmessage = (event) => this.receive(JSON.parse(event.data));
    socket.onclose = (event) => {
      this.socket = null;
      this.acknowledged = false;
      if (this.closed) return;
      if (REFUSED.has(event.code)) {
        this.onState("refused", event.reason || `closed (${event.code})`);
        return; // the page asks for a token, then restart()s
      }
      this.onState("disconnected", event.reason || `closed (${event.code})`);
      if (this.active.size === 0) return;
      const delay = Math.min(10000, 250 * 2 ** this.retries++);
      setTimeout(() => this.connect(), delay);
    };
  }

  receive(message) {
    switch (message.type) {
      case "connection_ack":
        this.acknowledged = true;
        this.retries = 0;
        this.onState("live");
        for (const [id, { payload }] of this.active) this.send({ id, type: "subscribe", payload });
        break;
      case "ping":
        this.send({ type: "pong" });
        break;
      case "next": {
        const wanted = this.active.get(message.id);
        if (!wanted) break;
        if (message.payload.errors) wanted.sink.error?.(message.payload.errors);
        if (message.payload.data) wanted.sink.next(message.payload.data);
        break;
      }
      case "error": {
        const wanted = this.active.get(message.id);
        this.active.delete(message.id);
        wanted?.sink.error?.(message.payload);
        break;
      }
      case "complete": {
        const wanted = this.active.get(message.id);
        this.active.delete(message.id);
        wanted?.sink.complete?.();
        break;
      }
      default:
        break;
    }
  }

  send(message) {
    if (this.socket && this.socket.readyState === WebSocket.OPEN) {
      this.socket.send(JSON.stringify(message));
    }
  }
}

/** The WebSocket URL of an HTTP endpoint given relative to this page. */
export function socketUrl(relative) {
  const url = new URL(relative, window.location.href);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  return url.toString();
}
