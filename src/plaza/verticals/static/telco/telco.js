// The dashboard's telco section: add an asset, offer it, request one, see "match found",
// order a match from either side (the service provider from its request, paying with a
// hold; the asset provider from its offer), confirm or decline what the other side ordered,
// and follow one's orders. Every call to the marketplace is signed here by
// the browser wallet's key (the dashboard's signing.js) and sent through this site's relay;
// an order's payment is a hold signed here, naming the marketplace as its arbiter, which
// the wallet API relays to the node. The seed is unlocked in this page and never leaves it.

import * as protocol from "/static/plaza/wallet/protocol.js";
import { participantId, signRequest } from "/static/plaza/dashboard/signing.js";

const WALLET = "plaza.wallet.v1";
const RELAY = "/dashboard/market";
const API = "/api/v1/market";
const TMF = "/telco/tmf-api";
const RESOURCE = `${TMF}/resourceInventoryManagement/v4/resource`;
const OFFERING = `${TMF}/productCatalogManagement/v4/productOffering`;
const REQUEST = `${TMF}/productCatalogManagement/v4/productRequest`;
const ORDER = `${TMF}/productOrderingManagement/v4/productOrder`;
const HOLD_KIND = 4;
const HOUR_MS = 3_600_000;
const NUMBERS = new Set(["capacity_mbps", "flight_minutes", "bandwidth_mbps", "frequency_mhz", "width_mhz", "vcpus", "memory_gb", "storage_gb"]);
const encoder = new TextEncoder();
const $ = (id) => document.getElementById(id);

let sodium = null;
let keys = null;
let me = null;
let market = null; // {audience, offsetMs, arbiter}
let refresh = null;
const busy = new Set(); // orders being confirmed or declined here

class Refused extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

function status(text, problem = false) {
  const line = $("telco-status");
  line.textContent = text;
  line.classList.toggle("problem", problem);
}

async function answer(reply) {
  const body = await reply.json().catch(() => null);
  if (reply.ok) return body;
  const message = body && (body.message || (body.error && (body.error.message || body.error)));
  throw new Refused(reply.status, typeof message === "string" ? message : `the marketplace answered ${reply.status}`);
}

async function call(method, path, json = undefined) {
  const [bare, query = ""] = path.split("?");
  const body = json === undefined ? new Uint8Array(0) : encoder.encode(JSON.stringify(json));
  const headers = signRequest(sodium, keys, {
    audience: market.audience, method, path: API + bare, query, body, timestampMs: Date.now() + market.offsetMs,
  });
  headers["x-csrf-token"] = $("dash-account").dataset.csrf;
  if (json !== undefined) headers["content-type"] = "application/json";
  return answer(await fetch(`${RELAY}${API}${path}`, { method, headers, body: json === undefined ? undefined : body }));
}

// -- forms: values checked here for their shape, refusals said beside the field named ------

function clearErrors(form) {
  for (const span of form.querySelectorAll(".field-error")) span.textContent = "";
}

function fieldError(form, id, message) {
  const span = $(`${id}-error`);
  const target = span && !span.closest("[hidden]") ? span : $(`${form.id}-error`);
  target.textContent = message;
}

function number(form, id, { integer = false, min = null } = {}) {
  const text = $(id).value.trim();
  const value = Number(text);
  if (text === "" || !Number.isFinite(value) || (integer && !Number.isInteger(value)) || (min !== null && value < min)) {
    fieldError(form, id, integer ? `a whole number${min !== null ? `, at least ${min}` : ""}` : "a number");
    return null;
  }
  return value;
}

function moment(form, id) {
  const text = $(id).value;
  if (!text) {
    fieldError(form, id, "a date and time (UTC)");
    return null;
  }
  return new Date(`${text.length === 16 ? `${text}:00` : text}Z`).toISOString();
}

// The marketplace's refusal beside the field its message names, else under the form.
function refusal(form, error, fields) {
  const named = fields.find(([name]) => new RegExp(`\\b${name}\\b`).test(error.message));
  fieldError(form, named ? named[1] : `${form.id}`, error.message);
  status(`Refused: ${error.message}`, true);
}

// -- assets ----------------------------------------------------------------------------------

function showAttributes() {
  const type = $("telco-asset-type").value;
  for (const field of document.querySelectorAll(".telco-attribute")) {
    const shown = field.dataset.types.split(" ").includes(type);
    field.hidden = !shown;
    field.querySelector("input").disabled = !shown;
  }
}

async function addAsset(event) {
  event.preventDefault();
  const form = $("telco-asset-form");
  clearErrors(form);
  const name = $("telco-asset-name").value.trim();
  if (!name) fieldError(form, "telco-asset-name", "a name of 1 to 256 characters");
  const lat = number(form, "telco-asset-lat");
  const lon = number(form, "telco-asset-lon");
  if (!name || lat === null || lon === null) return;
  const characteristics = [];
  for (const input of form.querySelectorAll(".telco-attribute input:not(:disabled), #telco-asset-city, #telco-asset-country, #telco-asset-orchestrator")) {
    const text = input.value.trim();
    if (text) characteristics.push({ name: input.name, value: NUMBERS.has(input.name) && /^\d+$/.test(text) ? Number(text) : text });
  }
  const fields = [...form.querySelectorAll("input")].map((input) => [input.name, input.id]);
  try {
    const asset = await call("POST", RESOURCE, {
      name, category: $("telco-asset-type").value, place: { id: `geo:${lat},${lon}` }, resourceCharacteristic: characteristics,
    });
    status(`Telco asset ${asset.id} added: ${asset.name}.`);
    await listAssets();
  } catch (error) {
    refusal(form, error, [["name", "telco-asset-name"], ["place", "telco-asset-lat"], ...fields]);
  }
}

async function listAssets() {
  const assets = (await call("GET", `${RESOURCE}?limit=1000`)).filter(
    (asset) => asset.relatedParty.some((party) => party.id === me),
  );
  const list = $("telco-mine");
  const select = $("telco-offer-asset");
  list.replaceChildren();
  select.replaceChildren();
  for (const asset of assets) {
    const item = document.createElement("li");
    const link = document.createElement("a");
    link.href = `/telco/assets/${asset.id}`;
    link.textContent = `${asset.name} (${asset.id}, ${asset.category.replace("_", " ")})`;
    item.append(link, `: ${asset.usageState}, ${asset.resourceStatus}`);
    list.append(item);
    select.append(new Option(`${asset.name} (${asset.id})`, asset.id));
  }
  if (!assets.length) list.append(Object.assign(document.createElement("li"), { textContent: "You have no telco asset yet." }));
}

async function offer(event) {
  event.preventDefault();
  const form = $("telco-offer-form");
  clearErrors(form);
  const start = moment(form, "telco-offer-start");
  const end = moment(form, "telco-offer-end");
  const price = number(form, "telco-offer-price", { integer: true, min: 1 });
  if (!$("telco-offer-asset").value) fieldError(form, "telco-offer-form", "add an asset first");
  if (start === null || end === null || price === null || !$("telco-offer-asset").value) return;
  try {
    const made = await call("POST", OFFERING, {
      resource: { id: $("telco-offer-asset").value }, validFor: { startDateTime: start, endDateTime: end },
      productOfferingPrice: [{ price: { value: price, unit: "coin" } }],
    });
    showMatches(made, "offer");
    status(`Offer ${made.id} is on the market${made.match.length ? `: match found with ${made.match.length} request(s)` : ""}.`);
  } catch (error) {
    refusal(form, error, [["validFor", "telco-offer-start"], ["price", "telco-offer-price"]]);
  }
}

// -- requests, matches and orders -----------------------------------------------------------

async function request(event) {
  event.preventDefault();
  const form = $("telco-request-form");
  clearErrors(form);
  const lat = number(form, "telco-request-lat");
  const lon = number(form, "telco-request-lon");
  const radius = number(form, "telco-request-radius", { min: 0.001 });
  const start = moment(form, "telco-request-start");
  const end = moment(form, "telco-request-end");
  const price = number(form, "telco-request-price", { integer: true, min: 1 });
  if ([lat, lon, radius, start, end, price].includes(null)) return;
  const technology = $("telco-request-technology").value.trim();
  try {
    const made = await call("POST", REQUEST, {
      category: $("telco-request-type").value, place: { id: `geo:${lat},${lon}` }, radiusKm: radius,
      validFor: { startDateTime: start, endDateTime: end }, maxPrice: { value: price },
      requiredCharacteristic: technology ? [{ name: "technology", value: technology }] : [],
    });
    showMatches(made, "request");
    status(`Request ${made.id} is on the market.`);
  } catch (error) {
    refusal(form, error, [["place", "telco-request-lat"], ["radiusKm", "telco-request-radius"], ["validFor", "telco-request-start"], ["maxPrice", "telco-request-price"], ["technology", "telco-request-technology"]]);
  }
}

// The suggestions for one's new request (offers, ordered with a hold) or offer (requests,
// ordered for the service provider to confirm with its hold).
function showMatches(made, side) {
  const list = $("telco-matches-list");
  list.replaceChildren();
  $("telco-matches").hidden = false;
  const counterparts = side === "request" ? "offer(s)" : "request(s)";
  $("telco-matches-summary").textContent = made.match.length
    ? `Match found: ${made.match.length} ${counterparts} for ${made.id}, best first.`
    : `No match for ${made.id} yet.`;
  for (const found of made.match) {
    const item = document.createElement("li");
    const button = document.createElement("button");
    button.type = "button";
    if (side === "request") {
      button.textContent = `Order ${found.id} for ${found.price.value} coins`;
      button.addEventListener("click", () => order(made.id, found.id, button));
    } else {
      button.textContent = `Order for ${found.id} at your price`;
      button.addEventListener("click", () => propose(made.id, found.id, button));
    }
    const distance = found.distanceKm == null ? "" : `, ${Number(found.distanceKm).toFixed(2)} km away`;
    item.append(`${found.id}: ${found.price.value} coins${distance} `, button);
    list.append(item);
  }
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

const bytes8 = (data) => protocol.concat(Uint8Array.of(data.length), data);

// A hold of `amount` for `payee` until `expiresAtMs`, the marketplace its arbiter (no
// hashlock): the canonical bytes of plaza.ledger's HoldPayload, signed, nonce 0 for the
// node's proof of work; and its id, the hash of what the payer signed.
function signHold({ networkId, parents, issuedAtMs, payee, amount, expiresAtMs, arbiter }) {
  const payload = protocol.concat(
    payee, u64(amount), u64(expiresAtMs), bytes8(new Uint8Array(0)), bytes8(arbiter),
    bytes8(encoder.encode("plaza-telco")), new Uint8Array(0),
  );
  const sorted = parents.map(protocol.fromHex);
  const essence = protocol.concat(
    Uint8Array.of(1), u32(networkId), Uint8Array.of(sorted.length), ...sorted, keys.publicKey,
    u64(issuedAtMs), Uint8Array.of(HOLD_KIND), u32(payload.length), payload,
  );
  const signature = sodium.crypto_sign_detached(protocol.concat(encoder.encode(protocol.MESSAGE_DOMAIN), essence), keys.privateKey);
  return { raw: protocol.concat(essence, signature, u64(0)), holdId: protocol.toHex(sodium.crypto_generichash(32, essence)) };
}

async function hold(seller, amount, endMs) {
  const network = await (await fetch("/wallet/api/network")).json();
  const signed = signHold({
    networkId: network.networkId, parents: [network.milestone], issuedAtMs: network.nowMs,
    payee: protocol.decodeAddress(seller), amount, expiresAtMs: endMs + HOUR_MS, arbiter: market.arbiter,
  });
  const relayed = await fetch("/wallet/api/messages", {
    method: "POST", headers: { "content-type": "application/octet-stream" }, body: signed.raw,
  });
  if (!relayed.ok) throw new Error(`the node refused the hold (${relayed.status})`);
  return signed.holdId;
}

// The offer's price held on the ledger for its seller, signed here: the hold's id.
async function holdFor(offerId) {
  const offered = await call("GET", `${OFFERING}/${offerId}`);
  const seller = offered.relatedParty.find((party) => party.role === "seller").id;
  const price = offered.productOfferingPrice[0].price.value;
  status(`Holding ${price} coins for ${offerId} on the ledger, signed here…`);
  return { price, holdId: await hold(seller, price, Date.parse(offered.validFor.endDateTime)) };
}

// Send what the hold pays once the ledger has confirmed it (409 until then).
async function once(send, price) {
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      return await send();
    } catch (error) {  // 409: the hold is not confirmed on the ledger yet
      if (error.status !== 409 || Date.now() > deadline) throw error;
      status(`Waiting for the ledger to confirm the hold of ${price} coins…`);
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }
}

async function order(requestId, offerId, button) {
  button.disabled = true;
  try {
    const { price, holdId } = await holdFor(offerId);
    const body = {
      productOrderItem: [{ id: "1", action: "add", productOffering: { id: offerId } }],
      productRequest: { id: requestId }, payment: [{ id: holdId, "@referredType": "HeldPayment" }],
    };
    const placed = await once(() => call("POST", ORDER, body), price);
    status(`Order ${placed.id} placed: ${price} coins held; the asset provider confirms it.`);
    await listOrders();
  } catch (error) {
    button.disabled = false;
    status(`Not ordered: ${error.message}`, true);
  }
}

async function propose(offerId, requestId, button) {
  button.disabled = true;
  try {
    const placed = await call("POST", ORDER, {
      productOrderItem: [{ id: "1", action: "add", productOffering: { id: offerId } }], productRequest: { id: requestId },
    });
    status(`Order ${placed.id} placed for ${requestId}: the service provider confirms it with its payment.`);
    await listOrders();
  } catch (error) {
    button.disabled = false;
    status(`Not ordered: ${error.message}`, true);
  }
}

// The other side's answer to an order waiting for it: confirmed (the service provider's with
// its hold of the price) or declined.
async function answerOrder(found, state, button) {
  busy.add(found.id);
  button.disabled = true;
  try {
    const path = `${ORDER}/${found.id}`;
    const customer = found.relatedParty.find((party) => party.role === "customer").id;
    let body = { state };
    let price = 0;
    if (state === "inProgress" && customer === me) {
      const held = await holdFor(found.productOrderItem[0].productOffering.id);
      price = held.price;
      body = { state, payment: [{ id: held.holdId, "@referredType": "HeldPayment" }] };
    }
    const done = await once(() => call("PATCH", path, body), price);
    status(state === "inProgress" ? `Order ${done.id} confirmed.` : `Order ${done.id} declined.`);
  } catch (error) {
    status(`Not answered: ${error.message}`, true);
  } finally {
    busy.delete(found.id);
    await listOrders();
  }
}

function answers(found) {
  const cell = document.createElement("td");
  if (found.awaitingConfirmationBy !== me) {
    cell.textContent = found.awaitingConfirmationBy ? "waiting for the other side" : "";
    return cell;
  }
  for (const [state, label] of [["inProgress", "Confirm"], ["rejected", "Decline"]]) {
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = `${label} ${found.id}`;
    button.disabled = busy.has(found.id);
    button.addEventListener("click", () => answerOrder(found, state, button));
    cell.append(button, " ");
  }
  return cell;
}

async function listOrders() {
  const orders = await call("GET", `${ORDER}?limit=100`);
  const body = $("telco-orders");
  body.replaceChildren();
  for (const found of orders) {
    const row = document.createElement("tr");
    row.id = `telco-order-${found.id}`;
    const price = found.productOrderItem[0].itemTotalPrice[0].price.taxIncludedAmount.value;
    const window = `${found.requestedStartDate.slice(0, 19).replace("T", " ")} to ${found.requestedCompletionDate.slice(11, 19)} UTC`;
    for (const text of [found.id, found.resource.id, window, `${price} coins`, found.state]) {
      const cell = document.createElement("td");
      cell.textContent = text;
      row.append(cell);
    }
    row.children[3].className = "num";
    row.children[4].className = "state";
    row.append(answers(found));
    body.append(row);
  }
}

// -- starting --------------------------------------------------------------------------------

async function unlock(event) {
  event.preventDefault();
  const form = $("telco-unlock");
  clearErrors(form);
  const locked = localStorage.getItem(WALLET);
  if (!locked) {
    fieldError(form, "telco-passphrase", "there is no wallet in this browser: make one on the Wallet page");
    return;
  }
  try {
    const seed = protocol.unlockSeed(sodium, JSON.parse(locked), $("telco-passphrase").value);
    keys = protocol.signingKeys(sodium, seed);
    seed.fill(0);
  } catch {
    fieldError(form, "telco-passphrase", "wrong passphrase");
    return;
  }
  $("telco-passphrase").value = "";
  me = participantId(keys);
  const info = await answer(await fetch(`${RELAY}${API}/info`));
  market = { audience: info.audience, offsetMs: info.time_ms - Date.now(), arbiter: protocol.addressBytes(protocol.fromHex(info.signing_key)) };
  form.hidden = true;
  $("telco-open").hidden = false;
  status(`Signing telco orders as ${me}.`);
  await listAssets();
  await listOrders();
  refresh = setInterval(() => listOrders().catch(() => {}), 2000);
}

async function start() {
  if ($("telco-dashboard").hidden) return;  // no marketplace: nothing to trade
  sodium = window.sodium;
  await sodium.ready;
  showAttributes();
  $("telco-asset-type").addEventListener("change", showAttributes);
  $("telco-unlock").addEventListener("submit", (event) => unlock(event).catch((error) => status(error.message, true)));
  $("telco-asset-form").addEventListener("submit", addAsset);
  $("telco-offer-form").addEventListener("submit", offer);
  $("telco-request-form").addEventListener("submit", request);
}

window.addEventListener("pagehide", () => clearInterval(refresh));
start().catch((error) => status(`The telco section could not start: ${error.message}`, true));
