// The dashboard: unlock the browser's wallet, register its key with the marketplace, place
// offers and requests, see their matches, place an order from one, and follow contracts as
// they settle (the marketplace's event stream), paying from the wallet when it is our turn.
// Every marketplace call is signed here (market.js); the keys stay in this page's memory.

import * as protocol from "../wallet/protocol.js";
import { Assets } from "./assets.js";
import { ContractTable } from "./contracts.js";
import { Market, MarketError } from "./market.js";
import { participantId } from "./signing.js";

const STORAGE = "plaza.wallet.v1";
const PAYMENT_TAG = "plaza-payment";
const HOUR_MS = 3_600_000;
const $ = (id) => document.getElementById(id);

let sodium = null;
let keys = null;
let market = null;
let me = "";
let refreshTimer = null;
let contracts = null;
let assets = null;
let replacing = null; // the order the form changes, if it does

function status(text, problem = false) {
  const line = $("dash-status");
  line.textContent = text;
  line.classList.toggle("problem", problem);
  line.classList.toggle("muted", !problem);
}

function fieldError(field, text) {
  const line = $(`${field.id}-error`);
  if (line) line.textContent = text;
  field.setAttribute("aria-invalid", "true");
}

function clearErrors(form) {
  for (const line of form.querySelectorAll(".field-error")) line.textContent = "";
  for (const field of form.querySelectorAll("[aria-invalid]")) field.removeAttribute("aria-invalid");
}

function account() {
  const marker = $("dash-account");
  return { csrf: marker.dataset.csrf, name: marker.dataset.name, connected: marker.dataset.connected === "yes" };
}

function coins(amount) {
  return `${Number(amount).toLocaleString("en")} coins`;
}

function cell(row, content, numeric = false) {
  const td = document.createElement("td");
  if (numeric) td.className = "num";
  td.append(content);
  row.append(td);
  return td;
}

function button(label, action) {
  const made = document.createElement("button");
  made.type = "button";
  made.textContent = label;
  made.addEventListener("click", async () => {
    made.disabled = true;
    try {
      await action();
    } catch (error) {
      status(`${label}: ${error.message}`, true);
    } finally {
      made.disabled = false;
    }
  });
  return made;
}

function link(href, text) {
  const made = document.createElement("a");
  made.href = href;
  made.textContent = text;
  return made;
}

function unitsOf(kind) {
  const fields = document.querySelector(`fieldset[data-kind="${CSS.escape(kind)}"]`);
  return fields ? { quantity: fields.dataset.quantityUnit, price: fields.dataset.priceUnit }
    : { quantity: "units", price: "coins per unit" };
}

// -- the wallet -------------------------------------------------------------------------

// One transfer of the wallet's, and where the ledger stands on it (pending, confirmed at a
// milestone, conflicting).
function historyRow(item) {
  const row = document.createElement("tr");
  cell(row, link(`/explorer/messages/${item.messageId}`, `${item.messageId.slice(0, 12)}…`));
  cell(row, `${item.delta > 0 ? "+" : ""}${coins(item.delta)}`, true);
  cell(row, `${new Date(item.issuedAtMs).toISOString().replace("T", " ").slice(0, 19)} UTC`);
  cell(row, item.milestone === null ? item.state : `${item.state} (milestone ${item.milestone})`);
  return row;
}

async function refreshBalance() {
  try {
    const reply = await fetch(`/wallet/api/addresses/${me}`);
    const view = await reply.json();
    if (!reply.ok) throw new Error(view.error);
    $("wallet-balance").textContent = coins(view.balance);
    $("wallet-milestone").textContent = `(confirmed at milestone ${view.milestone})`;
    $("wallet-history").replaceChildren(...view.history.map(historyRow));
  } catch (error) {
    $("wallet-balance").textContent = `unknown (${error.message})`;
  }
}

async function unlock(event) {
  event.preventDefault();
  const form = event.target;
  clearErrors(form);
  status("Unlocking…");
  try {
    const locked = JSON.parse(localStorage.getItem(STORAGE));
    const seed = protocol.unlockSeed(sodium, locked, $("unlock-passphrase").value);
    keys = protocol.signingKeys(sodium, seed);
    seed.fill(0);
  } catch (error) {
    fieldError($("unlock-passphrase"), error.message);
    status("Your wallet is locked.");
    return;
  }
  $("unlock-passphrase").value = "";
  me = participantId(keys);
  form.hidden = true;
  $("wallet-address").textContent = me;
  $("wallet-qr").src = `/wallet/qr/${me}.svg`;
  $("wallet-open").hidden = false;
  refreshBalance();
  setInterval(refreshBalance, 3000);
  status("Unlocked: your key signs here, in this page only.");
  if (account().connected) await connectMarket();
}

async function faucet() {
  const reply = await fetch("/wallet/api/faucet", {
    method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ address: me }),
  });
  const grant = await reply.json();
  if (!reply.ok) throw new Error(grant.error);
  status(`The faucet sent ${coins(grant.amount)}; they count once a milestone confirms them.`);
}

// A transfer signed here and relayed to the node (the wallet page's way): its message id.
async function transfer(payee, amount, data) {
  const reply = await fetch("/wallet/api/network");
  const network = await reply.json();
  // The latest milestone as its one parent: a tip's unconfirmed cone may be about to turn
  // lazy, and the payment with it (see /wallet/api/network).
  const raw = protocol.signTransfer(sodium, keys, {
    networkId: network.networkId, parents: [network.milestone], issuedAtMs: network.nowMs,
    outputs: [{ address: protocol.decodeAddress(payee), amount: BigInt(amount) }],
    tag: PAYMENT_TAG, data,
  });
  const sent = await fetch("/wallet/api/messages", {
    method: "POST", headers: { "content-type": "application/octet-stream" }, body: raw,
  });
  const body = await sent.json();
  if (!sent.ok) throw new Error(body.error);
  return body.messageId;
}

// -- the marketplace --------------------------------------------------------------------

async function connectMarket() {
  market = new Market(sodium, keys, account().csrf);
  try {
    const info = await market.connect();
    contracts = new ContractTable({ me, sodium, marketKey: info.signing_key, unitsOf, nextStep });
    await market.call("GET", "/participants/me");
  } catch (error) {
    if (error instanceof MarketError && error.code === "unknown_participant") {
      $("register-name").value = account().name;
      $("register").hidden = false;
      status("Unlocked. Register your key with the marketplace to trade.");
      return;
    }
    status(`The marketplace could not be reached: ${error.message}`, true);
    return;
  }
  registered();
}

async function register(event) {
  event.preventDefault();
  const form = event.target;
  clearErrors(form);
  const name = $("register-name").value.trim();
  if (!name) {
    fieldError($("register-name"), "a name of 1 to 100 characters");
    return;
  }
  try {
    await market.register(name);
  } catch (error) {
    fieldError($("register-name"), error.message);
    return;
  }
  $("register").hidden = true;
  status("Registered with the marketplace: your key signs your orders.");
  registered();
}

function registered() {
  assets = new Assets({ market, me, status, onChange: refreshAll, button });
  $("participant-id").textContent = me;
  $("participant").hidden = false;
  $("dash-orders").hidden = false;
  refreshAll();
  follow();
}

async function follow() {
  for (;;) {
    try {
      $("live").textContent = "(live updates: on)";
      await market.follow(() => scheduleRefresh());
    } catch (error) {
      $("live").textContent = `(live updates: reconnecting, ${error.message})`;
    }
    await new Promise((resolve) => setTimeout(resolve, 2000));
  }
}

function scheduleRefresh() {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(refreshAll, 150);
}

async function refreshAll() {
  try {
    const [orders, items] = await Promise.all([refreshOrders(), refreshContracts()]);
    await assets.refresh(orders, items);
  } catch (error) {
    status(error.message, true);
  }
}

// -- orders -----------------------------------------------------------------------------

function knownOrders() {
  return JSON.parse(localStorage.getItem(`plaza.dashboard.orders.${me}`) || "[]");
}

function remember(orderId) {
  const known = knownOrders();
  if (!known.includes(orderId)) localStorage.setItem(`plaza.dashboard.orders.${me}`, JSON.stringify([...known, orderId]));
}

function wholeNumber(field, least = 1) {
  const text = field.value.trim();
  if (!/^[0-9]{1,15}$/.test(text) || Number(text) < least) {
    fieldError(field, `a whole number, at least ${least}`);
    return null;
  }
  return Number(text);
}

function place(field) {
  const text = field.value.trim();
  if (!text) return null;
  const found = /^(-?\d{1,2}(?:\.\d+)?)\s*,\s*(-?\d{1,3}(?:\.\d+)?)$/.exec(text);
  if (!found || Math.abs(Number(found[1])) > 90 || Math.abs(Number(found[2])) > 180) {
    fieldError(field, "latitude, longitude in degrees, like 63.43, 10.40");
    return undefined;
  }
  return { lat: Number(found[1]), lon: Number(found[2]) };
}

// The order the form describes, or null (each problem said beside its field).
function orderFrom(fields, kind) {
  const named = (name) => fields.querySelector(`[name="${name}"]`);
  const quantity = wholeNumber(named("quantity"));
  const price = wholeNumber(named("unit_price"), 0);
  const hours = wholeNumber(named("hours"));
  const location = named("place") ? place(named("place")) : null;
  if (quantity === null || price === null || hours === null || location === undefined) return null;
  const attributes = {};
  for (const box of fields.querySelectorAll('input[type="checkbox"][name^="attribute-"]')) {
    attributes[box.name.slice("attribute-".length)] = box.checked;
  }
  const now = market.now();
  const order = { kind, quantity, unit_price: price, valid_from_ms: now, valid_until_ms: now + hours * HOUR_MS, attributes };
  if (location) order.location = location;
  if ($("order-asset").value) order.asset_id = $("order-asset").value;
  return order;
}

// A refusal from the marketplace, beside the field it is about when it names one.
function showRefusal(fields, error) {
  const text = error.message.replace(/^invalid order: /, "");
  for (const [word, name] of [["quantity", "quantity"], ["price", "unit_price"], ["valid", "hours"], ["location", "place"]]) {
    const field = fields.querySelector(`[name="${name}"]`);
    if (field && text.includes(word)) {
      fieldError(field, text);
      return;
    }
  }
  $("order-form-error").textContent = text;
}

async function submitOrder(event) {
  event.preventDefault();
  const form = event.target;
  clearErrors(form);
  const kind = $("order-kind").value;
  const side = $("order-side").value;
  const fields = form.querySelector(`fieldset[data-kind="${CSS.escape(kind)}"]`);
  const order = orderFrom(fields, kind);
  if (order === null) return;
  let outcome;
  try {
    outcome = await market.call("POST", side === "offer" ? "/offers" : "/requests", { json: order });
  } catch (error) {
    showRefusal(fields, error);
    return;
  }
  remember(outcome.order.id);
  const made = outcome.contracts.map((c) => c.contract_id);
  let said = made.length ? `Your ${side} ${outcome.order.id} matched at once: contract ${made.join(", ")}.`
    : `Your ${side} ${outcome.order.id} is on the market. Find its matches below.`;
  if (replacing) {
    const old = replacing;
    stopChanging();
    try {
      await market.call("POST", `/orders/${encodeURIComponent(old.id)}/cancel`);
      said = `${said} It replaces ${old.id}, removed.`;
    } catch (error) {
      said = `${said} ${old.id} stays: ${error.message}.`;
    }
  }
  status(said);
  await refreshAll();
}

// "Change": the form takes the order's terms; placing it replaces the order (the
// marketplace amends no order: a changed one is a new order, with its own twin).
function startChanging(order) {
  replacing = order;
  $("order-side").value = order.side;
  $("order-kind").value = order.kind;
  chooseKind();
  const fields = document.querySelector(`fieldset[data-kind="${CSS.escape(order.kind)}"]`);
  fields.querySelector('[name="quantity"]').value = String(order.remaining);
  fields.querySelector('[name="unit_price"]').value = String(order.unit_price);
  $("order-submit").textContent = `Sign and replace ${order.id}`;
  $("order-stop").hidden = false;
  $("new-heading").textContent = `Change ${order.id}`;
  $("order-form").scrollIntoView({ block: "start" });
  fields.querySelector('[name="quantity"]').focus();
}

function stopChanging() {
  replacing = null;
  $("order-submit").textContent = "Sign and place";
  $("order-stop").hidden = true;
  $("new-heading").textContent = "Offer or request";
}

function orderRow(order) {
  const units = unitsOf(order.kind);
  const row = document.createElement("tr");
  row.id = `order-${order.id}`;
  cell(row, link(`/market/${order.id}`, order.id));
  cell(row, order.side);
  cell(row, `${order.remaining.toLocaleString("en")} of ${order.quantity.toLocaleString("en")} ${units.quantity}`, true);
  cell(row, `${order.unit_price.toLocaleString("en")} ${units.price}`, true);
  cell(row, order.status);
  const actions = cell(row, "");
  actions.className = "actions-cell";
  if (order.status === "active") {
    actions.append(button(`Find matches for ${order.id}`, () => findMatches(order)));
    actions.append(button(`Disable ${order.id}`, () => change(order, "disable")));
  }
  if (order.status === "disabled") actions.append(button(`Enable ${order.id}`, () => change(order, "enable")));
  if (order.status === "active" || order.status === "disabled") {
    actions.append(button(`Change ${order.id}`, async () => startChanging(order)));
    actions.append(button(`Remove ${order.id}`, () => change(order, "cancel")));
  }
  return row;
}

async function refreshOrders() {
  const found = new Map();
  const listed = await market.publicGet("/orders", "limit=500");
  for (const order of listed.items) if (order.owner === me) found.set(order.id, order);
  for (const id of knownOrders()) {
    if (!found.has(id)) found.set(id, await market.publicGet(`/orders/${encodeURIComponent(id)}`));
  }
  const orders = [...found.values()].sort((a, b) => b.accepted_at_ms - a.accepted_at_ms);
  $("orders-body").replaceChildren(...orders.map(orderRow));
  $("orders-empty").hidden = orders.length > 0;
  return orders;
}

async function change(order, action) {
  await market.call("POST", `/orders/${encodeURIComponent(order.id)}/${action}`);
  const done = { disable: "disabled", enable: "enabled", cancel: "removed" }[action];
  status(`${order.id} ${done}.`);
  await refreshAll();
}

async function findMatches(order) {
  const found = await market.call("GET", `/orders/${encodeURIComponent(order.id)}/suggestions`);
  const units = unitsOf(order.kind);
  $("matches").hidden = false;
  $("matches-for").textContent = order.id;
  $("matches-summary").textContent = found.items.length
    ? `Match found: ${found.items.length} counterpart${found.items.length > 1 ? "s" : ""} for ${order.id}, best first.`
    : `No match for ${order.id} yet.`;
  $("matches-body").replaceChildren(...found.items.map((item) => {
    const row = document.createElement("tr");
    cell(row, link(`/market/${item.order.id}`, `${item.order.side} ${item.order.id}`));
    cell(row, `${item.quantity.toLocaleString("en")} ${units.quantity}`, true);
    cell(row, `${item.unit_price.toLocaleString("en")} ${units.price}`, true);
    cell(row, item.distance_km === null ? "-" : `${item.distance_km.toFixed(1)} km`, true);
    cell(row, button(`Place the order with ${item.order.id}`, () => confirm(order, item)));
    return row;
  }));
  $("matches").scrollIntoView({ block: "nearest" });
}

async function confirm(order, item) {
  const made = await market.call("POST", `/orders/${encodeURIComponent(order.id)}/confirm`, {
    json: { counter_id: item.order.id, quantity: item.quantity },
  });
  status(`Order placed: contract ${made.contract_id} with ${item.order.id}.`);
  $("matches").hidden = true;
  await refreshAll();
}

// -- contracts --------------------------------------------------------------------------

function nextStep(contract, provider) {
  const phase = contract.settlement ? contract.settlement.phase : "being opened";
  const id = contract.contract_id;
  const path = `/contracts/${encodeURIComponent(id)}`;
  const step = (label, action) => button(label, async () => {
    await action();
    await refreshContracts();
  });
  if (phase === "Contract created") return step(`Report delivery of ${id}`, () => market.call("POST", `${path}/delivery`));
  if (phase === "Energy provision finished") {
    return provider ? step(`Ask for payment of ${id}`, () => market.call("POST", `${path}/payment-request`))
      : "waiting for the provider to ask for payment";
  }
  if (phase === "Payment requested") {
    return provider ? "waiting for the consumer's payment" : step(`Pay ${coins(contract.terms.total)} for ${id}`, () => pay(contract));
  }
  if (phase === "Payment processed") return "waiting for the ledger to confirm the payment";
  const payment = contract.settlement && contract.settlement.payment;
  if (payment && payment.message_id) return link(`/explorer/messages/${payment.message_id}`, "the payment on the ledger");
  return "-";
}

async function pay(contract) {
  const salt = protocol.toHex(sodium.randombytes_buf(16));
  const data = new TextEncoder().encode(JSON.stringify({ contract: contract.contract_id, salt }));
  const messageId = await transfer(contract.terms.provider, contract.terms.total, data);
  await market.call("POST", `/contracts/${encodeURIComponent(contract.contract_id)}/payment`, { json: { message_id: messageId } });
  status(`Paid ${coins(contract.terms.total)} for ${contract.contract_id}, signed here: message ${messageId.slice(0, 12)}…`);
}

async function refreshContracts() {
  const found = await market.call("GET", "/contracts", { query: "limit=500" });
  contracts.show(found.items);
  return found.items;
}

// -- the page ---------------------------------------------------------------------------

function chooseKind() {
  const kind = $("order-kind").value;
  for (const fields of document.querySelectorAll("fieldset.order-fields")) {
    const chosen = fields.dataset.kind === kind;
    fields.hidden = !chosen;
    fields.disabled = !chosen;
  }
  if (assets) assets.fillChoices();
}

async function start() {
  sodium = window.sodium;
  await sodium.ready;
  $("unlock-form").addEventListener("submit", unlock);
  $("register-form").addEventListener("submit", register);
  $("order-form").addEventListener("submit", submitOrder);
  $("order-kind").addEventListener("change", chooseKind);
  $("order-stop").addEventListener("click", stopChanging);
  $("faucet").addEventListener("click", () => faucet().catch((error) => status(`The faucet said no: ${error.message}`, true)));
  if (localStorage.getItem(STORAGE)) {
    $("unlock-form").hidden = false;
    status("Unlock your wallet to trade: your key signs every order here.");
  } else {
    $("wallet-none").hidden = false;
    status("There is no wallet in this browser yet.");
  }
}

start().catch((error) => status(`The dashboard could not start: ${error.message}`, true));
