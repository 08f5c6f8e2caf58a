// What a service's page and the history page share: asking the server, following a call's
// hold, opening its result or reason with the call's keys, and this browser's book of
// calls (localStorage), which keeps each call's id and side key from before its hold is
// relayed, as plaza service call's book does, so a call left mid-way is finished later.

import * as protocol from "/static/plaza/wallet/protocol.js";
import { blake2b } from "/static/plaza/wallet/blake2b.js";

const BOOK = "plaza.services.calls.v1";
const RESULT_PREFIX = "plaza-call-result";
const encoder = new TextEncoder();
const decoder = new TextDecoder();

export async function api(path, options = {}) {
  const reply = await fetch(path, options);
  const body = await reply.json().catch(() => ({}));
  if (!reply.ok) throw new Error(body.detail || body.error || `the site answered ${reply.status}`);
  return body;
}

export async function closed(holdId, deadlineMs) {
  while (Date.now() < deadlineMs + 30000) {
    const state = await api(`/services/api/holds/${holdId}`);
    if (state.status !== "pending" && state.status !== "open") return state;
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
  throw new Error("the ledger shows no end to the hold yet; look again later");
}

function personal(text) {
  return encoder.encode(text);
}

export function openResult(closing, callId, sideKey) {
  if (!closing.record) throw new Error("the provider was paid but names no result record");
  const content = protocol.fromHex(closing.record);
  const prefix = encoder.encode(RESULT_PREFIX);
  if (protocol.toHex(content.slice(0, prefix.length)) !== protocol.toHex(prefix)) throw new Error("not a result record");
  const label = content.slice(prefix.length, prefix.length + 32);
  const locator = blake2b(callId, { key: sideKey, person: personal("plaza-call-loc") });
  if (protocol.toHex(label) !== protocol.toHex(locator)) throw new Error("the result record is another call's");
  const secret = protocol.fromHex(closing.secret);
  const key = blake2b(protocol.concat(secret, callId), { key: sideKey, person: personal("plaza-call-key") });
  const sealed = content.slice(prefix.length + 32);
  const ad = protocol.concat(encoder.encode("plaza-call-result-v1"), callId);
  const plain = sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(null, sealed.slice(24), ad, sealed.slice(0, 24), key);
  return JSON.parse(decoder.decode(plain));
}

export function openReason(closing, callId, sideKey) {
  if (!closing.reason) return "the provider refunded the call without a reason";
  const sealed = protocol.fromHex(closing.reason);
  const key = blake2b(callId, { key: sideKey, person: personal("plaza-call-why") });
  const ad = protocol.concat(encoder.encode("plaza-call-reason-v1"), callId);
  try {
    return decoder.decode(sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(null, sealed.slice(24), ad, sealed.slice(0, 24), key));
  } catch {
    return "the provider refunded the call with a reason this browser cannot read";
  }
}


// -- this browser's book of calls -----------------------------------------------------

export function remembered() {
  return JSON.parse(localStorage.getItem(BOOK) || "[]");
}

export function remember(entry) {
  const book = remembered().filter((kept) => kept.callId !== entry.callId);
  book.push(entry);
  localStorage.setItem(BOOK, JSON.stringify(book));
}

export function forget(callId) {
  localStorage.setItem(BOOK, JSON.stringify(remembered().filter((kept) => kept.callId !== callId)));
}

// The entry with how its hold ended, opened with its keys; unchanged while it is open.
export function settled(entry, closing) {
  const callId = protocol.fromHex(entry.callId);
  const sideKey = protocol.fromHex(entry.sideKey);
  const done = { ...entry, state: closing.status, closedBy: closing.closedBy || "" };
  if (closing.status === "released") return { ...done, result: openResult(closing, callId, sideKey), resultId: closing.resultId };
  if (closing.status === "settled") return { ...done, state: "refunded", reason: openReason(closing, callId, sideKey) };
  if (closing.status === "expired") return { ...done, reason: "no result came by the deadline" };
  return entry;
}
