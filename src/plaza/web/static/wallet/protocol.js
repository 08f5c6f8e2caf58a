// Plaza's wallet protocol in the browser (docs/protocol.md): keys from a seed, addresses,
// recovery words, signed transfers, and the seed locked under a passphrase.
//
// Pure functions over libsodium, which the caller passes in (window.sodium once ready), so
// the wallet page and the test suite run the very same code. Nothing here talks to a
// server: a person's seed and private keys never leave the browser.

import { blake2b } from "./blake2b.js";

const encoder = new TextEncoder();
const CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
const BECH32M = 0x2bc830a3;
const GENERATORS = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3];
export const ADDRESS_PREFIX = "plz";
export const MESSAGE_DOMAIN = "plaza-message-v1";
const TRANSFER_KIND = 2;
const MAX_AMOUNT = (1n << 63n) - 1n;

export class WalletError extends Error {}

export function concat(...parts) {
  const out = new Uint8Array(parts.reduce((size, part) => size + part.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

export function toHex(bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export function fromHex(text) {
  if (!/^([0-9a-f]{2})*$/.test(text)) throw new WalletError("not lowercase hex");
  return Uint8Array.from(text.match(/../g) || [], (pair) => parseInt(pair, 16));
}

// BLAKE2b-256 as hashlib computes it, personalised with `person`, optionally keyed.
function hash(data, { key = new Uint8Array(0), person = "" } = {}) {
  return blake2b(data, { key, person: encoder.encode(person) });
}

// -- keys and addresses ---------------------------------------------------------------

function derivationPath(account, index) {
  const path = new Uint8Array(8);
  const view = new DataView(path.buffer);
  view.setUint32(0, account, false);
  view.setUint32(4, index, false);
  return path;
}

// The Ed25519 key pair of (account, index) under a 32-byte wallet seed.
export function signingKeys(sodium, seed, account = 0, index = 0) {
  const derived = hash(derivationPath(account, index), { key: seed, person: "plaza-sign-v1" });
  return sodium.crypto_sign_seed_keypair(derived);
}

export function addressBytes(publicKey) {
  return hash(publicKey, { person: "plaza-address" });
}

function polymod(values) {
  let check = 1;
  for (const value of values) {
    const top = check >>> 25;
    check = ((check & 0x1ffffff) << 5) ^ value;
    GENERATORS.forEach((generator, bit) => {
      if ((top >>> bit) & 1) check ^= generator;
    });
  }
  return check >>> 0;
}

function expandPrefix(prefix) {
  const codes = Array.from(prefix, (c) => c.charCodeAt(0));
  return [...codes.map((c) => c >> 5), 0, ...codes.map((c) => c & 31)];
}

function convertBits(data, from, to, pad) {
  let accumulator = 0;
  let bits = 0;
  const out = [];
  const mask = (1 << to) - 1;
  const keep = (1 << (from + to - 1)) - 1;
  for (const value of data) {
    accumulator = ((accumulator << from) | value) & keep;
    bits += from;
    while (bits >= to) {
      bits -= to;
      out.push((accumulator >> bits) & mask);
    }
  }
  if (pad && bits > 0) out.push((accumulator << (to - bits)) & mask);
  else if (!pad && (bits >= from || ((accumulator << (to - bits)) & mask))) {
    throw new WalletError("the address has stray bits");
  }
  return out;
}

// An address as people see it: bech32m (BIP-350) with the prefix plz.
export function encodeAddress(raw) {
  const data = convertBits(raw, 8, 5, true);
  const mod = polymod([...expandPrefix(ADDRESS_PREFIX), ...data, 0, 0, 0, 0, 0, 0]) ^ BECH32M;
  const checksum = [0, 1, 2, 3, 4, 5].map((i) => (mod >>> (5 * (5 - i))) & 31);
  return ADDRESS_PREFIX + "1" + [...data, ...checksum].map((v) => CHARSET[v]).join("");
}

// The 32 bytes of a plz1… address; a WalletError saying what is wrong otherwise.
export function decodeAddress(text) {
  const trimmed = text.trim();
  if (trimmed !== trimmed.toLowerCase() && trimmed !== trimmed.toUpperCase()) {
    throw new WalletError("an address is all lower case or all upper case");
  }
  const lower = trimmed.toLowerCase();
  if (!lower.startsWith(ADDRESS_PREFIX + "1")) throw new WalletError("an address starts with plz1");
  const values = Array.from(lower.slice(ADDRESS_PREFIX.length + 1), (c) => CHARSET.indexOf(c));
  if (values.length < 7 || values.includes(-1)) throw new WalletError("not an address: a character is not bech32");
  if (polymod([...expandPrefix(ADDRESS_PREFIX), ...values]) !== BECH32M) {
    throw new WalletError("not an address: its checksum does not match (a typo?)");
  }
  const raw = convertBits(values.slice(0, -6), 5, 8, false);
  if (raw.length !== 32) throw new WalletError("not an address: wrong length");
  return Uint8Array.from(raw);
}

// -- recovery words (BIP-39: the 24 words encode the seed's 32 bytes) ----------------

export function seedToWords(sodium, seed, wordlist) {
  const checksum = sodium.crypto_hash_sha256(seed)[0];
  const bits = [...seed, checksum].map((b) => b.toString(2).padStart(8, "0")).join("").slice(0, 264);
  return bits.match(/.{11}/g).map((chunk) => wordlist[parseInt(chunk, 2)]);
}

export function wordsToSeed(sodium, phrase, wordlist) {
  const words = phrase.trim().toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length !== 24) throw new WalletError(`a recovery phrase has 24 words, not ${words.length}`);
  const bits = words
    .map((word, at) => {
      const index = wordlist.indexOf(word);
      if (index < 0) throw new WalletError(`word ${at + 1} ("${word}") is not a recovery word`);
      return index.toString(2).padStart(11, "0");
    })
    .join("");
  const seed = Uint8Array.from(bits.slice(0, 256).match(/.{8}/g), (byte) => parseInt(byte, 2));
  if (parseInt(bits.slice(256), 2) !== sodium.crypto_hash_sha256(seed)[0]) {
    throw new WalletError("the words' checksum does not match: a word is wrong or out of order");
  }
  return seed;
}

// -- transfers ------------------------------------------------------------------------

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

function compareBytes(a, b) {
  for (let i = 0; i < a.length; i += 1) if (a[i] !== b[i]) return a[i] - b[i];
  return 0;
}

function transferPayload(outputs, tag, data) {
  if (outputs.length < 1 || outputs.length > 32) throw new WalletError("a transfer has 1 to 32 outputs");
  const sorted = [...outputs].sort((a, b) => compareBytes(a.address, b.address));
  let total = 0n;
  const parts = [Uint8Array.of(sorted.length)];
  sorted.forEach((output, at) => {
    const amount = BigInt(output.amount);
    if (amount <= 0n) throw new WalletError("an amount is a whole number of coins above 0");
    if (at > 0 && compareBytes(sorted[at - 1].address, output.address) === 0) {
      throw new WalletError("each address may be paid once per transfer");
    }
    total += amount;
    parts.push(output.address, u64(amount));
  });
  if (total > MAX_AMOUNT) throw new WalletError("the amounts add up to more than the ledger holds");
  const tagBytes = encoder.encode(tag);
  if (tagBytes.length > 64) throw new WalletError("a tag is at most 64 bytes");
  return concat(...parts, Uint8Array.of(tagBytes.length), tagBytes, data);
}

// The canonical bytes of a transfer, signed, with its nonce left at 0 for the node's
// proof of work (POST /api/v1/messages?pow=true).
export function signTransfer(sodium, keys, { networkId, parents, issuedAtMs, outputs, tag = "", data = new Uint8Array(0) }) {
  const sortedParents = [...parents].map(fromHex).sort(compareBytes);
  if (sortedParents.length < 1 || sortedParents.length > 8) throw new WalletError("a message has 1 to 8 parents");
  const payload = transferPayload(outputs, tag, data);
  const essence = concat(
    Uint8Array.of(1),
    u32(networkId),
    Uint8Array.of(sortedParents.length),
    ...sortedParents,
    keys.publicKey,
    u64(issuedAtMs),
    Uint8Array.of(TRANSFER_KIND),
    u32(payload.length),
    payload,
  );
  const signature = sodium.crypto_sign_detached(concat(encoder.encode(MESSAGE_DOMAIN), essence), keys.privateKey);
  return concat(essence, signature, u64(0));
}

// -- the seed, locked under a passphrase (Argon2id, then XSalsa20-Poly1305) -----------

export function lockSeed(sodium, seed, passphrase) {
  const salt = sodium.randombytes_buf(sodium.crypto_pwhash_SALTBYTES);
  const opslimit = sodium.crypto_pwhash_OPSLIMIT_INTERACTIVE;
  const memlimit = sodium.crypto_pwhash_MEMLIMIT_INTERACTIVE;
  const key = sodium.crypto_pwhash(32, passphrase, salt, opslimit, memlimit, sodium.crypto_pwhash_ALG_ARGON2ID13);
  const nonce = sodium.randombytes_buf(sodium.crypto_secretbox_NONCEBYTES);
  const box = sodium.crypto_secretbox_easy(seed, nonce, key);
  return { version: 1, kdf: "argon2id13", opslimit, memlimit, salt: toHex(salt), nonce: toHex(nonce), box: toHex(box) };
}

export function unlockSeed(sodium, locked, passphrase) {
  if (!locked || locked.version !== 1 || locked.kdf !== "argon2id13") {
    throw new WalletError("this wallet was saved in a format this page does not know");
  }
  const key = sodium.crypto_pwhash(
    32, passphrase, fromHex(locked.salt), locked.opslimit, locked.memlimit, sodium.crypto_pwhash_ALG_ARGON2ID13,
  );
  try {
    return sodium.crypto_secretbox_open_easy(fromHex(locked.box), fromHex(locked.nonce), key);
  } catch {
    throw new WalletError("wrong passphrase");
  }
}
