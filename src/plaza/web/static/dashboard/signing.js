// Signed marketplace requests and registrations, made in the browser (plaza.market.auth).
//
// A request is signed over nine lines (plaza.market.auth.signing): the domain, the
// marketplace's audience, the method, the percent-normalised path, the sorted query, the
// participant id, the time, a nonce and the BLAKE2b-256 of the body; a registration over
// seven (plaza.market.auth.registration). Pure functions over libsodium, which the caller
// passes in, so the dashboard and the test suite run the very same code; the private key
// never leaves the page.

import { blake2b } from "../wallet/blake2b.js";
import { addressBytes, encodeAddress, toHex } from "../wallet/protocol.js";

const encoder = new TextEncoder();
export const REQUEST_DOMAIN = "plaza-request-v1";
export const REGISTRATION_DOMAIN = "plaza-registration-v1";
const UNRESERVED = /^[A-Za-z0-9\-_.~]$/;

// Python's urllib.parse.quote(text, safe=safe + "-_.~"): UTF-8, upper-case escapes.
function quote(text, safe = "") {
  let out = "";
  for (const byte of encoder.encode(text)) {
    const char = String.fromCharCode(byte);
    const kept = byte < 128 && (UNRESERVED.test(char) || safe.includes(char));
    out += kept ? char : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}

export function canonicalPath(path) {
  return quote(decodeURIComponent(path), "/");
}

// Pairs decoded ("+" is a space), re-encoded, sorted by key then value; blanks kept.
export function canonicalQuery(query) {
  const pairs = query.split("&").filter((part) => part !== "").map((part) => {
    const at = part.indexOf("=");
    const [key, value] = at < 0 ? [part, ""] : [part.slice(0, at), part.slice(at + 1)];
    const decode = (text) => decodeURIComponent(text.replaceAll("+", " "));
    return [quote(decode(key)), quote(decode(value))];
  });
  pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
  return pairs.map(([key, value]) => `${key}=${value}`).join("&");
}

export function participantId(keys) {
  return encodeAddress(addressBytes(keys.publicKey));
}

export function canonicalRequest({ audience, method, path, query, participant, timestampMs, nonce, body }) {
  const digest = blake2b(body, { size: 32 });
  return [REQUEST_DOMAIN, audience, method.toUpperCase(), canonicalPath(path), canonicalQuery(query),
    participant, String(timestampMs), nonce, toHex(digest)].join("\n");
}

// The four X-Plaza-* headers of one request; `nonce` is for test vectors only.
export function signRequest(sodium, keys, { audience, method, path, query = "", body = new Uint8Array(0), timestampMs, nonce = null }) {
  const participant = participantId(keys);
  const used = nonce ?? toHex(sodium.randombytes_buf(16));
  const text = canonicalRequest({ audience, method, path, query, participant, timestampMs, nonce: used, body });
  const signature = sodium.crypto_sign_detached(encoder.encode(text), keys.privateKey);
  return {
    "X-Plaza-Participant": participant,
    "X-Plaza-Timestamp": String(timestampMs),
    "X-Plaza-Nonce": used,
    "X-Plaza-Signature": toHex(signature),
  };
}

// The X25519 key the marketplace seals replies to: the signing key's, converted.
export function encryptionKey(sodium, keys) {
  return sodium.crypto_sign_ed25519_pk_to_curve25519(keys.publicKey);
}

// The body of POST /participants: a registration signed by the key it registers.
export function signRegistration(sodium, keys, { audience, displayName, roles, issuedAtMs }) {
  const sorted = [...roles].sort();
  const signingKey = toHex(keys.publicKey);
  const encryption = toHex(encryptionKey(sodium, keys));
  const text = [REGISTRATION_DOMAIN, audience, signingKey, encryption, String(issuedAtMs),
    sorted.join(","), displayName].join("\n");
  const signature = sodium.crypto_sign_detached(encoder.encode(text), keys.privateKey);
  return {
    signing_key: signingKey,
    encryption_key: encryption,
    display_name: displayName,
    roles: sorted,
    issued_at_ms: issuedAtMs,
    signature: toHex(signature),
  };
}
