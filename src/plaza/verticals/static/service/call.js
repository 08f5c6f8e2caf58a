// A service's page calls it from the browser, as plaza.services.customer.call does
// (docs/protocol.md, "Calls"): draw a call id and a side key K, get the provider's signed
// quote, hold the price with its hashlock and deadline (the job and K sealed to the
// provider inside), wait for the hold to close, and open the result with the released
// secret S and K, or the refund's reason with K.
//
// Everything secret stays here: the wallet's seed (locked in this browser, as the wallet
// page keeps it), K and the call id. The server relays the quote, the signed hold and the
// public ledger data the page opens the result with.

import * as protocol from "/static/plaza/wallet/protocol.js";
import { api, closed, forget, openReason, openResult, remember, settled } from "./calls.js";

const WALLET = "plaza.wallet.v1";
const HOLD_KIND = 4;
const QUOTE_DOMAIN = "plaza-call-quote-v1";
const encoder = new TextEncoder();
const $ = (id) => document.getElementById(id);

let sodium = null;

function status(text, problem = false) {
  const line = $("call-status");
  line.textContent = text;
  line.classList.toggle("problem", problem);
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

function bytes8(data) {
  return protocol.concat(Uint8Array.of(data.length), data);
}

function compareBytes(a, b) {
  for (let i = 0; i < a.length; i += 1) if (a[i] !== b[i]) return a[i] - b[i];
  return 0;
}

// The hold's canonical bytes, signed, nonce 0 for the node's proof of work; and its id,
// the hash of what the payer signed (the same whatever nonce the node finds).
export function signHold(keys, { networkId, parents, issuedAtMs, payee, amount, expiresAtMs, hashlock, tag, data }) {
  const sorted = [...parents].map(protocol.fromHex).sort(compareBytes);
  const payload = protocol.concat(
    payee, u64(amount), u64(expiresAtMs), bytes8(hashlock), bytes8(new Uint8Array(0)), bytes8(tag), data,
  );
  const essence = protocol.concat(
    Uint8Array.of(1), u32(networkId), Uint8Array.of(sorted.length), ...sorted, keys.publicKey,
    u64(issuedAtMs), Uint8Array.of(HOLD_KIND), u32(payload.length), payload,
  );
  const signed = protocol.concat(encoder.encode(protocol.MESSAGE_DOMAIN), essence);
  const signature = sodium.crypto_sign_detached(signed, keys.privateKey);
  return { raw: protocol.concat(essence, signature, u64(0)), holdId: sodium.crypto_generichash(32, essence) };
}

// The provider's quote, checked: signed by the key of the address the service is paid at,
// for this call, at the service's price.
function checkedQuote(quote, service, callId) {
  const signer = protocol.fromHex(quote.provider);
  if (protocol.encodeAddress(protocol.addressBytes(signer)) !== service.payTo) {
    throw new Error("the quote is not signed by the service's payment address");
  }
  const signed = protocol.concat(
    encoder.encode(QUOTE_DOMAIN), callId, protocol.fromHex(quote.hashlock), u64(quote.price),
    u64(quote.deadline_ms), bytes8(encoder.encode(quote.service)),
  );
  if (!sodium.crypto_sign_verify_detached(protocol.fromHex(quote.signature), signed, signer)) {
    throw new Error("the quote's signature does not verify");
  }
  if (quote.call_id !== protocol.toHex(callId) || quote.service !== service.name) {
    throw new Error("the quote is for another call");
  }
  if (BigInt(quote.price) !== BigInt(service.price)) throw new Error(`the quote asks ${quote.price}, not ${service.price}`);
  return quote;
}

// The request sealed to the provider, padded to its size class with spaces after the JSON.
function sealedRequest(service, callId, sideKey, input) {
  const name = encoder.encode(service.name);
  const request = protocol.concat(Uint8Array.of(1), callId, sideKey, bytes8(name), input);
  let size = 256;
  while (size < request.length) size *= 2;
  size = Math.max(Math.min(size, 17 * 1024), request.length);
  const padded = new Uint8Array(size).fill(0x20);
  padded.set(request);
  return sodium.crypto_box_seal(padded, protocol.fromHex(service.encryptionKey));
}

async function hold(service, quote, callId, sideKey, input, passphrase) {
  const locked = localStorage.getItem(WALLET);
  if (!locked) throw new Error("there is no wallet in this browser: make one on the Wallet page");
  const seed = protocol.unlockSeed(sodium, JSON.parse(locked), passphrase);
  const keys = protocol.signingKeys(sodium, seed);
  seed.fill(0);
  const network = await api("/wallet/api/network");
  const payee = protocol.decodeAddress(service.payTo);
  const signed = signHold(keys, {
    networkId: network.networkId, parents: network.tips, issuedAtMs: network.nowMs, payee,
    amount: quote.price, expiresAtMs: quote.deadline_ms, hashlock: protocol.fromHex(quote.hashlock),
    tag: protocol.concat(encoder.encode("plaza-call"), payee), data: sealedRequest(service, callId, sideKey, input),
  });
  const entry = {
    service: service.name, callId: protocol.toHex(callId), sideKey: protocol.toHex(sideKey),
    holdId: protocol.toHex(signed.holdId), price: quote.price, deadlineMs: Number(quote.deadline_ms),
    at: Date.now(), state: "held",
  };
  remember(entry);  // before the hold is relayed: a page left mid-call is finished later
  try {
    await api("/wallet/api/messages", {
      method: "POST", headers: { "content-type": "application/octet-stream" }, body: signed.raw,
    });
  } catch (error) {
    forget(entry.callId);  // the node refused the hold: nothing is held
    throw error;
  }
  return entry;
}

function receipt(rows) {
  const list = $("call-receipt");
  list.replaceChildren();
  for (const [name, value] of rows) {
    const term = document.createElement("dt");
    term.textContent = name;
    const detail = document.createElement("dd");
    detail.textContent = value;
    list.append(term, detail);
  }
  list.hidden = false;
}

async function call(event) {
  event.preventDefault();
  const service = $("call-form").dataset;
  let input;
  try {
    input = encoder.encode(JSON.stringify(JSON.parse($("call-input").value)));
  } catch {
    status("The input is not JSON.", true);
    return;
  }
  if (input.length > Number(service.maxInput)) {
    status(`The input is over ${service.maxInput} bytes.`, true);
    return;
  }
  $("call-result").hidden = true;
  try {
    const callId = sodium.randombytes_buf(16);
    const sideKey = sodium.randombytes_buf(32);
    status("Asking the provider for a quote…");
    const asked = await api(`/services/${service.name}/quote`, {
      method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ call_id: protocol.toHex(callId) }),
    });
    const quote = checkedQuote(asked.quote, service, callId);
    status("Unlocking the wallet and holding the price…");
    const held = await hold(service, quote, callId, sideKey, input, $("call-passphrase").value);
    $("call-passphrase").value = "";
    status(`Held ${quote.price} coins; waiting for the result…`);
    const closing = await closed(held.holdId, held.deadlineMs);
    remember(settled(held, closing));
    const rows = [["Call", protocol.toHex(callId)], ["Hold", held.holdId]];
    if (closing.status === "released") {
      const result = openResult(closing, callId, sideKey);
      $("call-output").textContent = JSON.stringify(result, null, 2);
      $("call-result").hidden = false;
      receipt([...rows, ["Paid", `${closing.amount} coins`], ["Released by", closing.closedBy], ["Result record", closing.resultId]]);
      status("Done: paid, and the result is yours alone.");
    } else if (closing.status === "expired") {
      receipt([...rows, ["Refunded", `${closing.amount} coins, at the deadline`]]);
      status("No result came by the deadline: the ledger refunded the hold.", true);
    } else {
      const reason = openReason(closing, callId, sideKey);
      receipt([...rows, ["Refunded", `${closing.amount} coins`], ["Refunded by", closing.closedBy || ""]]);
      status(`The job failed and was refunded: ${reason}`, true);
    }
  } catch (error) {
    status(`Not called: ${error.message}`, true);
  }
}

async function start() {
  sodium = window.sodium;
  await sodium.ready;
  $("call-form").addEventListener("submit", call);
  $("call-form").hidden = false;
}

start().catch((error) => status(`Calling here could not start: ${error.message}`, true));
