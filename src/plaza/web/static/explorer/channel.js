// A channel's states decoded in the browser for a reader holding its key (docs/protocol.md,
// "Channels"): the reader key (as `plaza channel` keeps it, hex) parsed here, the forward chain
// walked from its position, each message at the position's tag checked (its issuer, the
// envelope opened with the chain key, the record's signature by the channel key) and shown.
// Public, private and restricted channels (each epoch opened with the key's epoch key, or
// every epoch with an auditor's epoch master); the key never leaves the page: the site is
// asked only for the data messages filed under each tag, which are public.

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

const DATA = 1;
const KEYS = 2;

// The record in `envelope` at the walker's position, opened with `aead` (null: in clear) under
// epoch `epoch`, of `kind`, signed by the channel key; null when it is not that.
function openRecord(sodium, key, walk, envelope, aead, epoch, kind) {
  let record = envelope;
  if (aead) {
    const ad = concat(AD_DOMAIN, walk.id, le(walk.position, 8), le(epoch, 4));
    try {
      record = sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(null, envelope.slice(24), ad, envelope.slice(0, 24), aead);
    } catch {
      return null;
    }
  }
  const input = new Bytes(record);
  try {
    const found = input.number(1);
    const publishedAtMs = input.number(8);
    const content = input.take(input.number(4));
    const signature = input.take(64);
    const signed = concat(RECORD_DOMAIN, walk.id, le(walk.position, 8), le(epoch, 4), Uint8Array.of(found),
      le(publishedAtMs, 8), blake2b(content));
    if (found !== kind || !sodium.crypto_sign_verify_detached(signature, signed, key.channel)) return null;
    return { kind: found, publishedAtMs, content, epoch };
  } catch {
    return null;
  }
}

// What one message at the walker's position is: a data or keys record, or null (foreign).
// A restricted channel's data opens under the epoch key, its keys records under the chain
// key with the next epoch or the one the reader was handed (docs/protocol.md).
function openAt(sodium, key, walk, envelope) {
  const chainKey = kdf(walk.state, "key");
  if (key.mode === 1) return openRecord(sodium, key, walk, envelope, null, 0, DATA);
  if (key.mode === 2) return openRecord(sodium, key, walk, envelope, chainKey, 0, DATA);
  return (walk.epochKey && openRecord(sodium, key, walk, envelope, walk.epochKey, walk.epoch, DATA))
    || openRecord(sodium, key, walk, envelope, chainKey, walk.epoch + 1, KEYS)
    || openRecord(sodium, key, walk, envelope, chainKey, walk.epoch, KEYS);
}

// E_e = KDF(epoch_master, "epoch" || e u32)
function epochKey(master, epoch) {
  return blake2b(concat(text.encode("epoch"), le(epoch, 4)), { key: master, person: CHAIN });
}

// A keys record moves the walker into its epoch: with the epoch master (an auditor's key)
// any epoch opens; a reader's own wrap is sealed to its X25519 key, which this page does
// not take, so its reading stops there and says why.
function enterEpoch(key, walk, record) {
  const epoch = new Bytes(record.content).number(4);
  if (epoch === walk.epoch && walk.epochKey) return null;  // the epoch this key was handed
  if (key.epochMaster) {
    walk.epoch = epoch;
    walk.epochKey = epochKey(key.epochMaster, epoch);
    return null;
  }
  return `epoch ${epoch} starts at position ${walk.position}: its key is sealed to each reader's own `
    + "X25519 key, which this page does not take (a stream's buyer reads on its stream's page; an auditor's key opens every epoch)";
}

// Every state from the key's position on, until a position holds nothing yet or the key
// opens no further; `stop` says why it stopped when it is not the chain's end.
export async function readChannel(sodium, key, fetchTag) {
  const states = [];
  const walk = {
    id: blake2b(key.channel, { person: text.encode("plaza-chan-id") }),
    position: key.position,
    state: key.chain,
    epoch: key.epoch,
    epochKey: key.epochKey,
  };
  let stop = null;
  for (let steps = 0; steps < MAX_STEPS && !stop; steps += 1) {
    const issuer = key.mode === 1 ? key.channel : sodium.crypto_sign_seed_keypair(kdf(walk.state, "issuer")).publicKey;
    const messages = await fetchTag(toHex(kdf(walk.state, "addr")));
    let found = null;
    let skipped = 0;
    for (const message of messages) {
      const record = message.issuer === toHex(issuer) ? openAt(sodium, key, walk, fromHex(message.data)) : null;
      if (record) {
        found = { ...record, messageId: message.id };
        break;
      }
      skipped += 1;
    }
    if (!found) {
      if (skipped) stop = `position ${walk.position} holds the channel's message, which this key does not open`;
      break;
    }
    states.push({ position: walk.position, skipped, ...found });
    if (found.kind === KEYS) stop = enterEpoch(key, walk, found);
    walk.state = kdf(walk.state, "next");
    walk.position += 1;
  }
  return { states, stop };
}

async function fetchTag(tag) {
  const reply = await fetch(`/explorer/api/tags/${tag}`);
  const body = await reply.json();
  if (!reply.ok) throw new Error(body.error || `the site answered ${reply.status}`);
  return body.messages;
}

function show({ states, stop }, key) {
  const items = states.map((state) => {
    const item = document.createElement("li");
    const head = document.createElement("p");
    const link = document.createElement("a");
    link.href = `/explorer/messages/${state.messageId}`;
    link.textContent = `message ${state.messageId.slice(0, 12)}…`;
    const when = new Date(state.publishedAtMs).toISOString().replace("T", " ").slice(0, 19);
    const kind = state.kind === DATA ? "data" : `keys (epoch ${new Bytes(state.content).number(4)})`;
    head.append(`Position ${state.position}, ${kind}, published ${when} UTC, signed by the channel key (checked), in `, link);
    if (state.skipped) head.append(` (${state.skipped} foreign message${state.skipped > 1 ? "s" : ""} at that tag skipped)`);
    const body = document.createElement("pre");
    body.className = "data";
    const decoded = new TextDecoder().decode(state.content);
    try {
      body.textContent = state.kind === KEYS ? `${state.content.length} bytes: the epoch's key wrapped for each reader`
        : JSON.stringify(JSON.parse(decoded), null, 2);
    } catch {
      body.textContent = decoded;
    }
    item.append(head, body);
    return item;
  });
  $("channel-states").replaceChildren(...items);
  $("channel-summary").textContent = `${MODES[key.mode]} channel ${toHex(key.channel).slice(0, 16)}…: `
    + `${states.length} state${states.length === 1 ? "" : "s"} read from position ${key.position}, each signed by the channel key.`
    + (stop ? ` Reading stops: ${stop}.` : "");
}

async function read(event) {
  event.preventDefault();
  const field = $("channel-key");
  $("channel-key-error").textContent = "";
  field.removeAttribute("aria-invalid");
  let key;
  try {
    key = parseReaderKey(field.value);
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
