// A restricted channel's reader in the browser (docs/protocol.md, "Channels"): the grant a
// sensor sealed to this browser's X25519 key, opened; the forward chain walked from the
// granted position; each record opened with its epoch key and checked against the channel's
// signature; a keys record's wrap for this reader opened, or the end of its access said.
//
// Pure functions over libsodium (passed in) and the wallet's BLAKE2b, like the wallet's own
// protocol.js: no secret leaves the page.

import { blake2b } from "/static/plaza/wallet/blake2b.js";
import { concat, fromHex, toHex } from "/static/plaza/wallet/protocol.js";

const text = new TextEncoder();
const CHAIN = text.encode("plaza-chan-v1");
const DELIVERY_DOMAIN = text.encode("plaza-chan-dlv-v1");
const RECORD_DOMAIN = text.encode("plaza-chan-msg-v1");
const AD_DOMAIN = text.encode("plaza-chan-ad-v1");
const DATA = 1;
const KEYS = 2;

export class AccessEnded extends Error {}

// KDF(k, label) = BLAKE2b(label, key=k, person="plaza-chan-v1")
export function kdf(key, label, size = 32) {
  return blake2b(typeof label === "string" ? text.encode(label) : label, { key, person: CHAIN, size });
}

export function inboxTag(publicKey) {
  return blake2b(publicKey, { person: text.encode("plaza-inbox") });
}

export function channelId(channelKey) {
  return blake2b(channelKey, { person: text.encode("plaza-chan-id") });
}

function u32(value) {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, value, true);
  return out;
}

function u64(value) {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt(value), true);
  return out;
}

function same(a, b) {
  return a.length === b.length && a.every((byte, at) => byte === b[at]);
}

class Bytes {
  constructor(bytes) {
    this.bytes = bytes;
    this.at = 0;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  take(count) {
    if (this.at + count > this.bytes.length) throw new Error("truncated");
    const out = this.bytes.slice(this.at, this.at + count);
    this.at += count;
    return out;
  }

  u8() { return this.take(1)[0]; }

  u16() { const v = this.view.getUint16(this.at, true); this.take(2); return v; }

  u32() { const v = this.view.getUint32(this.at, true); this.take(4); return v; }

  u64() { const v = this.view.getBigUint64(this.at, true); this.take(8); return Number(v); }
}

// reader_key = 0x01 || channel 32 || mode u8 || position u64 || chain 32 || epoch u32 || flags u8
//              || [epoch_key 32] || [hint_key 32] || [epoch_master 32] || [owner 32]
//              || expires_at_ms u64 || max_messages u32
function readerKey(input) {
  if (input.u8() !== 1) throw new Error("unknown reader key format");
  const key = { channel: input.take(32), mode: input.u8(), position: input.u64() };
  key.chain = input.take(32);
  key.epoch = input.u32();
  const flags = input.u8();
  ["epochKey", "hintKey", "epochMaster"].forEach((name, bit) => {
    key[name] = flags & (1 << bit) ? input.take(32) : null;
  });
  key.owner = flags & 8 ? input.take(32) : null;
  key.expiresAtMs = input.u64() || null;
  input.u32();
  return key;
}

// One inbox message opened: sealed to us, addressed to us, signed by its sender.
export function openDelivery(sodium, reader, sealed) {
  let plain;
  try {
    plain = sodium.crypto_box_seal_open(sealed, reader.publicKey, reader.privateKey);
  } catch {
    return null;
  }
  const body = plain.slice(0, plain.length - 64);
  const input = new Bytes(body);
  const recipient = input.take(32);
  const sender = input.take(32);
  const issuedAtMs = input.u64();
  const key = readerKey(input);
  const signature = plain.slice(plain.length - 64);
  if (!same(recipient, reader.publicKey)) return null;
  if (!sodium.crypto_sign_verify_detached(signature, concat(DELIVERY_DOMAIN, body), sender)) return null;
  return { sender: toHex(sender), issuedAtMs, key };
}

// The walker's state: where it stands on the chain and the epoch key it holds.
export function cursor(key) {
  return {
    channel: key.channel,
    id: channelId(key.channel),
    position: key.position,
    state: key.chain,
    epoch: key.epoch,
    epochKey: key.epochKey,
    hintKey: key.hintKey,
  };
}

export function positionTag(walk) {
  return toHex(kdf(walk.state, "addr"));
}

function issuer(sodium, walk) {
  return sodium.crypto_sign_seed_keypair(kdf(walk.state, "issuer")).publicKey;
}

function decodeRecord(raw) {
  const input = new Bytes(raw);
  const kind = input.u8();
  const publishedAtMs = input.u64();
  const content = input.take(input.u32());
  const signature = input.take(64);
  return { kind, publishedAtMs, content, signature };
}

function tryOpen(sodium, walk, envelope, key, epoch, kind) {
  if (!key) return null;
  const ad = concat(AD_DOMAIN, walk.id, u64(walk.position), u32(epoch));
  let record;
  try {
    const nonce = envelope.slice(0, 24);
    record = decodeRecord(sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(null, envelope.slice(24), ad, nonce, key));
  } catch {
    return null;
  }
  const signed = concat(RECORD_DOMAIN, walk.id, u64(walk.position), u32(epoch), Uint8Array.of(record.kind),
    u64(record.publishedAtMs), blake2b(record.content));
  if (record.kind !== kind || !sodium.crypto_sign_verify_detached(record.signature, signed, walk.channel)) return null;
  return { ...record, epoch };
}

// keys = epoch u32 || wrap_count u16 || (hint 8 || sealed 84) * n || owner_blob
function enterEpoch(sodium, walk, record, reader) {
  const input = new Bytes(record.content);
  const epoch = input.u32();
  if (epoch === walk.epoch && walk.epochKey) return;  // the epoch we were handed, starting here
  const mine = kdf(walk.hintKey, concat(text.encode("hint"), u32(epoch)), 8);
  const count = input.u16();
  for (let n = 0; n < count; n += 1) {
    const hint = input.take(8);
    const sealed = input.take(84);
    if (!same(hint, mine)) continue;
    const opened = sodium.crypto_box_seal_open(sealed, reader.publicKey, reader.privateKey);
    walk.epoch = new DataView(opened.buffer, opened.byteOffset).getUint32(0, true);
    walk.epochKey = opened.slice(4, 36);
    return;
  }
  throw new AccessEnded(`access ended at position ${walk.position} (epoch ${epoch})`);
}

// One step: the reading at the walker's position (null for a keys record, undefined when
// nothing is there yet); the walker moves on past what it accepted.
export function step(sodium, walk, messages, reader) {
  const expected = toHex(issuer(sodium, walk));
  const chainKey = kdf(walk.state, "key");
  for (const message of messages) {
    if (message.issuer !== expected) continue;
    const envelope = fromHex(message.data);
    const data = tryOpen(sodium, walk, envelope, walk.epochKey, walk.epoch, DATA);
    const keys = data ? null : tryOpen(sodium, walk, envelope, chainKey, walk.epoch + 1, KEYS)
      || tryOpen(sodium, walk, envelope, chainKey, walk.epoch, KEYS);
    if (!data && !keys) continue;
    if (keys) enterEpoch(sodium, walk, keys, reader);
    const position = walk.position;
    walk.state = kdf(walk.state, "next");
    walk.position += 1;
    return data ? { position, publishedAtMs: data.publishedAtMs, content: new TextDecoder().decode(data.content) } : null;
  }
  return undefined;
}
