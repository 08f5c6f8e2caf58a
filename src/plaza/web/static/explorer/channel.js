// A channel's states decoded in the browser for a reader holding its key (docs/protocol.md,
// "Channels"): the reader key (as `plaza channel` keeps it, hex) parsed here, the forward chain
// walked from its position, each message at the position's tag checked (its issuer, the
// envelope opened with the chain key, the record's signature by the channel key) and shown.
// Public and private channels; the key never leaves the page: the site is asked only for
// the data messages filed under each tag, which are public.

import { blake2b } from "../wallet/blake2b.js";
import { concat, fromHex, toHex } from "../wallet/protocol.js";

const text = new TextEncoder();
const CHAIN = text.encode("plaza-chan-v1");
const RECORD_DOMAIN = text.encode("plaza-chan-msg-v1");
const AD_DOMAIN = text.encode("plaza-chan-ad-v1");
const MODES = { 1: "public", 2: "private", 3: "restricted" };
const MAX_STEPS = 200;
const $ = (id) => document.getElementById(id);

function kdf(key, label) {
  return blake2b(text.encode(label), { key, person: CHAIN });
}

function uint(bytes) {
  let value = 0n;
  for (let at = bytes.length - 1; at >= 0; at -= 1) value = (value << 8n) | BigInt(bytes[at]);
  return value;
}

function le(value, size) {
  const out = new Uint8Array(size);
  let rest = BigInt(value);
  for (let at = 0; at < size; at += 1) {
    out[at] = Number(rest & 0xffn);
    rest >>= 8n;
  }
  return out;
}

class Bytes {
  constructor(raw) {
    this.raw = raw;
    this.at = 0;
  }

  take(size) {
    if (this.at + size > this.raw.length) throw new Error("the key is cut short");
    const part = this.raw.slice(this.at, this.at + size);
    this.at += size;
    return part;
  }

  number(size) {
    return Number(uint(this.take(size)));
  }
}

// plaza.channels.codec.write_reader_key: version, channel key, mode, position, chain state,
// epoch, flags, the optional keys, the owner, expiry and allowance.
export function parseReaderKey(hex) {
  const input = new Bytes(fromHex(hex.trim().toLowerCase()));
  if (input.number(1) !== 1) throw new Error("not a reader key this page knows (format 1)");
  const key = { channel: input.take(32), mode: input.number(1), position: input.number(8), chain: input.take(32) };
  key.epoch = input.number(4);
  const flags = input.number(1);
  if (flags >= 16) throw new Error("not a reader key this page knows (flags)");
  for (const [bit, name] of [[1, "epochKey"], [2, "hintKey"], [4, "epochMaster"]]) key[name] = flags & bit ? input.take(32) : null;
  if (flags & 8) input.take(32);
  input.take(12);
  if (input.at !== input.raw.length) throw new Error("a reader key has nothing after its allowance");
  if (!MODES[key.mode]) throw new Error(`unknown channel mode ${key.mode}`);
  return key;
}

function openRecord(sodium, key, walk, envelope) {
  const id = blake2b(key.channel, { person: text.encode("plaza-chan-id") });
  let record = envelope;
  if (key.mode !== 1) {
    const ad = concat(AD_DOMAIN, id, le(walk.position, 8), le(key.epoch, 4));
    try {
      record = sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(null, envelope.slice(24), ad, envelope.slice(0, 24), kdf(walk.state, "key"));
    } catch {
      return null;
    }
  }
  const input = new Bytes(record);
  try {
    const kind = input.number(1);
    const publishedAtMs = input.number(8);
    const content = input.take(input.number(4));
    const signature = input.take(64);
    const signed = concat(RECORD_DOMAIN, id, le(walk.position, 8), le(key.epoch, 4), Uint8Array.of(kind),
      le(publishedAtMs, 8), blake2b(content));
    if (!sodium.crypto_sign_verify_detached(signature, signed, key.channel)) return null;
    return { kind, publishedAtMs, content };
  } catch {
    return null;
  }
}

// Every state from the key's position on, until a position holds nothing yet.
export async function readChannel(sodium, key, fetchTag) {
  const states = [];
  const walk = { position: key.position, state: key.chain };
  for (let steps = 0; steps < MAX_STEPS; steps += 1) {
    const issuer = key.mode === 1 ? key.channel : sodium.crypto_sign_seed_keypair(kdf(walk.state, "issuer")).publicKey;
    const messages = await fetchTag(toHex(kdf(walk.state, "addr")));
    let found = null;
    let skipped = 0;
    for (const message of messages) {
      const record = message.issuer === toHex(issuer) ? openRecord(sodium, key, walk, fromHex(message.data)) : null;
      if (record) {
        found = { ...record, messageId: message.id };
        break;
      }
      skipped += 1;
    }
    if (!found) break;
    states.push({ position: walk.position, skipped, ...found });
    walk.state = kdf(walk.state, "next");
    walk.position += 1;
  }
  return states;
}

async function fetchTag(tag) {
  const reply = await fetch(`/explorer/api/tags/${tag}`);
  const body = await reply.json();
  if (!reply.ok) throw new Error(body.error || `the site answered ${reply.status}`);
  return body.messages;
}

function show(states, key) {
  const items = states.map((state) => {
    const item = document.createElement("li");
    const head = document.createElement("p");
    const link = document.createElement("a");
    link.href = `/explorer/messages/${state.messageId}`;
    link.textContent = `message ${state.messageId.slice(0, 12)}…`;
    const when = new Date(state.publishedAtMs).toISOString().replace("T", " ").slice(0, 19);
    const kind = state.kind === 1 ? "data" : "keys";
    head.append(`Position ${state.position}, ${kind}, published ${when} UTC, signed by the channel key (checked), in `, link);
    if (state.skipped) head.append(` (${state.skipped} foreign message${state.skipped > 1 ? "s" : ""} at that tag skipped)`);
    const body = document.createElement("pre");
    body.className = "data";
    const decoded = new TextDecoder().decode(state.content);
    try {
      body.textContent = JSON.stringify(JSON.parse(decoded), null, 2);
    } catch {
      body.textContent = decoded;
    }
    item.append(head, body);
    return item;
  });
  $("channel-states").replaceChildren(...items);
  $("channel-summary").textContent = `${MODES[key.mode]} channel ${toHex(key.channel).slice(0, 16)}…: `
    + `${states.length} state${states.length === 1 ? "" : "s"} read from position ${key.position}, each signed by the channel key.`;
}

async function read(event) {
  event.preventDefault();
  const field = $("channel-key");
  $("channel-key-error").textContent = "";
  field.removeAttribute("aria-invalid");
  let key;
  try {
    key = parseReaderKey(field.value);
    if (key.mode === 3) throw new Error("a restricted channel's readings are read on its stream's page; this page reads public and private channels");
  } catch (error) {
    $("channel-key-error").textContent = error.message;
    field.setAttribute("aria-invalid", "true");
    return;
  }
  $("channel-summary").textContent = "Reading the channel…";
  try {
    show(await readChannel(window.sodium, key, fetchTag), key);
  } catch (error) {
    $("channel-summary").textContent = `The channel could not be read: ${error.message}`;
  }
}

async function start() {
  await window.sodium.ready;
  $("channel-form").addEventListener("submit", read);
  $("channel-summary").textContent = "Paste a reader key to read the channel.";
}

start();
