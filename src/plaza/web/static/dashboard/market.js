// The marketplace as the dashboard reaches it: every call signed here, by the wallet's key,
// and sent through this site's relay (/dashboard/market/...), which adds nothing of its own.

import { signRegistration, signRequest } from "./signing.js";

const RELAY = "/dashboard/market";
const API = "/api/v1/market";
const encoder = new TextEncoder();

export class MarketError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

async function answer(reply) {
  const body = await reply.json().catch(() => null);
  if (reply.ok) return body;
  const error = body && body.error;
  if (error && typeof error === "object") throw new MarketError(reply.status, error.code, error.message);
  throw new MarketError(reply.status, "refused", typeof error === "string" ? error : `the site answered ${reply.status}`);
}

export class Market {
  constructor(sodium, keys, csrf) {
    this.sodium = sodium;
    this.keys = keys;
    this.csrf = csrf;
    this.audience = null;
    this.offsetMs = 0; // the marketplace's clock minus ours: signed times must be near its
  }

  async connect() {
    const info = await answer(await fetch(`${RELAY}${API}/info`));
    this.audience = info.audience;
    this.offsetMs = info.time_ms - Date.now();
    return info;
  }

  now() {
    return Date.now() + this.offsetMs;
  }

  // The signed fetch of `method path?query` with an optional JSON body.
  signedFetch(method, path, { query = "", json = undefined, signal = undefined } = {}) {
    const body = json === undefined ? new Uint8Array(0) : encoder.encode(JSON.stringify(json));
    const headers = signRequest(this.sodium, this.keys, {
      audience: this.audience, method, path: API + path, query, body, timestampMs: this.now(),
    });
    headers["x-csrf-token"] = this.csrf;
    if (json !== undefined) headers["content-type"] = "application/json";
    const target = `${RELAY}${API}${path}${query ? `?${query}` : ""}`;
    return fetch(target, { method, headers, body: json === undefined ? undefined : body, signal });
  }

  async call(method, path, options = {}) {
    return answer(await this.signedFetch(method, path, options));
  }

  async publicGet(path, query = "") {
    return answer(await fetch(`${RELAY}${API}${path}${query ? `?${query}` : ""}`));
  }

  async register(displayName) {
    const body = signRegistration(this.sodium, this.keys, {
      audience: this.audience, displayName, roles: ["consumer", "provider"], issuedAtMs: this.now(),
    });
    return answer(await fetch(`${RELAY}${API}/participants`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-csrf-token": this.csrf },
      body: JSON.stringify(body),
    }));
  }

  // Calls `onEvent(type)` for each event of the marketplace's stream of this participant's
  // events, until `signal` aborts or the stream ends (then it resolves); `onEvent(null)`
  // once it is open: nothing is replayed, so that is when to read the records to catch up.
  async follow(onEvent, signal) {
    const reply = await this.signedFetch("GET", "/events", { signal });
    if (!reply.ok) await answer(reply);
    onEvent(null);
    const reader = reply.body.pipeThrough(new TextDecoderStream()).getReader();
    let pending = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      pending += value;
      let end = pending.indexOf("\n\n");
      while (end >= 0) {
        const record = pending.slice(0, end);
        pending = pending.slice(end + 2);
        const type = record.split("\n").find((line) => line.startsWith("event:"));
        if (type) onEvent(type.slice(6).trim());
        end = pending.indexOf("\n\n");
      }
    }
  }
}
