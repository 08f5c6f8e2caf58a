// This browser's stream keys, derived from the wallet's seed so that no secret is kept for
// them: the X25519 key a sensor seals its grants to is a function of the seed (locked in this
// browser's storage under the wallet's passphrase, as the Wallet page keeps it) and the
// sensor's channel id. Restoring the wallet's words in another browser brings the keys, and
// so the grants, with it. What this browser's storage keeps is only which sensors it bought
// from (public: their channel ids), so the pages know where to offer to open the grants.

import * as protocol from "/static/plaza/wallet/protocol.js";

const WALLET = "plaza.wallet.v1";
const BOUGHT = "plaza.streams.v2";
// The wallet keys (public, hex) this browser registered in the marketplace as buyers.
const REGISTERED = "plaza.streams.participants";
// Before the keys were derived, each was kept unlocked in this entry: it goes.
const UNLOCKED = "plaza.streams.v1";
const PERSON = new TextEncoder().encode("plaza-stream-reader-v1");

localStorage.removeItem(UNLOCKED);

// The sensors (channel ids) this browser bought streams from.
export function bought() {
  const kept = JSON.parse(localStorage.getItem(BOUGHT) || "[]");
  return Array.isArray(kept) ? kept.filter((id) => /^[0-9a-f]{64}$/.test(id)) : [];
}

export function remember(sensorId) {
  const kept = bought();
  if (!kept.includes(sensorId)) localStorage.setItem(BOUGHT, JSON.stringify([...kept, sensorId]));
}

// Whether this browser registered the key (its public half, hex) in the marketplace already;
// with `now`, that it did.
export function registered(publicKey, now = false) {
  const kept = JSON.parse(localStorage.getItem(REGISTERED) || "[]");
  if (now && !kept.includes(publicKey)) localStorage.setItem(REGISTERED, JSON.stringify([...kept, publicKey]));
  return now || kept.includes(publicKey);
}

// The wallet's seed, unlocked with its passphrase; the caller zeroes it once done.
export function walletSeed(sodium, passphrase) {
  const locked = localStorage.getItem(WALLET);
  if (!locked) throw new Error("there is no wallet in this browser: make one on the Wallet page");
  return protocol.unlockSeed(sodium, JSON.parse(locked), passphrase);
}

// The X25519 key pair for one sensor's stream: BLAKE2b-256 keyed with the seed over a label
// and the channel id, as the seed of a box key pair.
export function streamKey(sodium, seed, sensorId) {
  const derived = sodium.crypto_generichash(32, protocol.concat(PERSON, protocol.fromHex(sensorId)), seed);
  const pair = sodium.crypto_box_seed_keypair(derived);
  derived.fill(0);
  return { publicKey: pair.publicKey, privateKey: pair.privateKey };
}
