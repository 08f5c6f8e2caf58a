// The sensor page's purchase, in the browser: unlock this browser's wallet, pay the sensor
// with a transfer carrying this browser's X25519 key for the stream, wait for the grant the
// sensor seals to that key, then follow the stream, a row per reading.
//
// Everything secret stays here: the wallet's seed (locked in this browser's storage, as the
// wallet page keeps it), and the stream key (kept per sensor in this browser's storage).
// The server is asked for public things only: the network, the messages under a tag, and to
// relay the signed transfer.

import { Market, MarketError } from "/static/plaza/dashboard/market.js";
import * as protocol from "/static/plaza/wallet/protocol.js";
import { AccessEnded, cursor, inboxTag, openDelivery, positionTag, step } from "./channel.js";

const WALLET = "plaza.wallet.v1";
const KEYS = "plaza.streams.v1";
const PAYMENT_TAG = "plaza-streams-pay";
const MARKET_PAYMENT_TAG = "plaza-payment";
const HOUR_MS = 3600000;
const $ = (id) => document.getElementById(id);

let sodium = null;
let following = null;

function status(text, problem = false) {
  const line = $("buy-status");
  line.textContent = text;
  line.classList.toggle("problem", problem);
}

async function api(path, options = {}) {
  const reply = await fetch(path, options);
  const body = await reply.json().catch(() => ({}));
  if (!reply.ok) throw new Error(body.error || body.detail || `the site answered ${reply.status}`);
  return body;
}

// This browser's X25519 key for the sensor's stream: made once, kept per sensor.
function streamKey(sensorId) {
  const kept = JSON.parse(localStorage.getItem(KEYS) || "{}");
  if (!kept[sensorId]) {
    const pair = sodium.crypto_box_keypair();
    kept[sensorId] = { publicKey: protocol.toHex(pair.publicKey), privateKey: protocol.toHex(pair.privateKey) };
    localStorage.setItem(KEYS, JSON.stringify(kept));
  }
  return { publicKey: protocol.fromHex(kept[sensorId].publicKey), privateKey: protocol.fromHex(kept[sensorId].privateKey) };
}

const UNITS = { s: 1000n, m: 60000n, h: 3600000n, d: 86400000n };

// "90s", "10m", "1h", "2d" or "1h30m" in milliseconds; null if it is not one.
export function duration(text) {
  const parts = [...text.trim().matchAll(/(\d{1,6})([smhd])/g)];
  if (!parts.length || parts.map((part) => part[0]).join("") !== text.trim()) return null;
  return parts.reduce((total, part) => total + BigInt(part[1]) * UNITS[part[2]], 0n);
}

function amountFor(sensor, durationMs) {
  const price = BigInt(sensor.price);
  const period = BigInt(sensor.periodMs);
  return (durationMs * price + period - 1n) / period;  // the least that buys it, as the CLI
}

function walletKeys(passphrase) {
  const locked = localStorage.getItem(WALLET);
  if (!locked) throw new Error("there is no wallet in this browser: make one on the Wallet page");
  const seed = protocol.unlockSeed(sodium, JSON.parse(locked), passphrase);
  const keys = protocol.signingKeys(sodium, seed);
  seed.fill(0);
  return keys;
}

// A transfer signed here and relayed; it approves the latest milestone alone, so it
// confirms at the next one (a tip's cone may be about to turn lazy: /wallet/api/network).
async function transfer(keys, payTo, amount, tag, data) {
  const network = await api("/wallet/api/network");
  const raw = protocol.signTransfer(sodium, keys, {
    networkId: network.networkId, parents: [network.milestone], issuedAtMs: network.nowMs,
    outputs: [{ address: protocol.decodeAddress(payTo), amount }], tag, data,
  });
  const sent = await api("/wallet/api/messages", {
    method: "POST", headers: { "content-type": "application/octet-stream" }, body: raw,
  });
  return sent.messageId;
}

// PEGASUS's way: a payment to the sensor carrying the stream key.
async function pay(sensor, durationMs, passphrase, reader) {
  const keys = walletKeys(passphrase);
  const amount = amountFor(sensor, durationMs);
  const data = protocol.concat(Uint8Array.of(1), protocol.fromHex(sensor.id), reader.publicKey);
  await transfer(keys, sensor.payTo, amount, PAYMENT_TAG, data);
  return { amount, said: `Paid ${amount} coins` };
}

// Through the marketplace: a request for the seconds wanted, requiring this sensor's channel,
// signed here by the wallet's key and relayed (login needed); it meets the sensor's standing
// offer, and the contract's total is paid from the same key with the stream key beside it.
async function payThroughMarket(sensor, durationMs, passphrase, reader) {
  const keys = walletKeys(passphrase);
  const market = new Market(sodium, keys, sensor.csrf);
  await market.connect();
  try {
    await market.register("stream buyer");
  } catch (error) {
    if (!(error instanceof MarketError && error.code === "participant_exists")) throw error;
  }
  const now = market.now();
  const outcome = await market.call("POST", "/requests", { json: {
    kind: "stream", quantity: Number((durationMs + 999n) / 1000n), unit_price: Number(sensor.hourlyPrice),
    valid_from_ms: now, valid_until_ms: now + HOUR_MS, requirements: { attributes: { channel: sensor.id } },
  } });
  if (!outcome.contracts.length) {
    await market.call("POST", `/orders/${encodeURIComponent(outcome.order.id)}/cancel`);
    throw new Error("the sensor has no open offer in the marketplace");
  }
  const contract = outcome.contracts[0];
  const salt = protocol.toHex(sodium.randombytes_buf(8));
  const memo = { contract: contract.contract_id, reader: protocol.toHex(reader.publicKey), salt };
  const data = new TextEncoder().encode(JSON.stringify(memo));
  const messageId = await transfer(keys, sensor.payTo, BigInt(contract.terms.total), MARKET_PAYMENT_TAG, data);
  // Told once the grant came (the payment confirmed): the marketplace reads it back and fulfils.
  const report = () => market.call("POST", `/contracts/${encodeURIComponent(contract.contract_id)}/payment`,
    { json: { message_id: messageId } });
  return { amount: contract.terms.total, said: `Contract ${contract.contract_id}: paid ${contract.terms.total} coins`, report };
}

async function grants(sensor, reader) {
  const inbox = await api(`/streams/api/tags/${protocol.toHex(inboxTag(reader.publicKey))}`);
  return inbox.messages
    .map((message) => openDelivery(sodium, reader, protocol.fromHex(message.data)))
    .filter((found) => found && found.sender === sensor.owner && protocol.toHex(found.key.channel) === sensor.channelKey)
    .sort((a, b) => a.issuedAtMs - b.issuedAtMs);
}

const SHOWN = 60;  // the chart's last readings
// Every reading opened in this page, oldest first, from the granted position on: what the
// downloads hold (as `plaza stream history --format csv|json` writes them).
const opened = [];
const COLOURS = ["#1d4f91", "#b3541e", "#2e7d32", "#6a1b9a", "#00838f", "#ad1457", "#5d4037", "#455a64"];
let chart = null;

// A line per data type over the last readings; made at the first reading (Chart.js).
function plot(body, names) {
  if (!window.Chart) return;
  if (!chart) {
    $("readings-chart").hidden = false;
    chart = new window.Chart($("readings-chart"), {
      type: "line",
      data: { labels: [], datasets: names.map((name, at) => ({ label: name, data: [], borderColor: COLOURS[at % COLOURS.length], pointRadius: 0 })) },
      options: { animation: false, responsive: true, maintainAspectRatio: false, scales: { x: { ticks: { maxTicksLimit: 8 } } } },
    });
  }
  chart.data.labels.push(new Date(body.at).toISOString().slice(11, 19));
  names.forEach((name, at) => chart.data.datasets[at].data.push(body.values[name]));
  if (chart.data.labels.length > SHOWN) {
    chart.data.labels.shift();
    for (const dataset of chart.data.datasets) dataset.data.shift();
  }
  chart.update();
}

function rows() {
  return opened.map(({ position, body }) => ({ position, at_ms: body.at, ...body.values }));
}

// CSV as the CLI writes it: position, at_ms, then the values by name in sorted order.
export function toCsv(table) {
  const names = [...new Set(table.flatMap((row) => Object.keys(row)))]
    .filter((name) => name !== "position" && name !== "at_ms").sort();
  const cell = (value) => {
    const text = value === undefined || value === null ? "" : String(value);
    return /[",\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
  };
  const header = ["position", "at_ms", ...names];
  return [header.join(","), ...table.map((row) => header.map((name) => cell(row[name])).join(","))]
    .join("\n") + "\n";
}

function download(kind) {
  const table = rows();
  const text = kind === "csv" ? toCsv(table) : `${JSON.stringify(table, null, 1)}\n`;
  const type = kind === "csv" ? "text/csv" : "application/json";
  const link = document.createElement("a");
  link.href = URL.createObjectURL(new Blob([text], { type }));
  link.download = `${$("buy-form").dataset.name}-readings.${kind}`;
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 1000);
}

function addRow(reading) {
  const body = JSON.parse(reading.content);
  opened.push({ position: reading.position, body });
  $("downloads").hidden = false;
  plot(body, $("readings").dataset.types.split(","));
  const row = document.createElement("tr");
  const cells = [String(reading.position), new Date(body.at).toISOString().slice(11, 19)];
  for (const name of $("readings").dataset.types.split(",")) cells.push(String(body.values[name]));
  for (const value of cells) {
    const cell = document.createElement("td");
    cell.textContent = value;
    row.appendChild(cell);
  }
  $("readings-body").prepend(row);
  $("readings").hidden = false;
}

async function follow(walk, reader) {
  try {
    for (;;) {
      const found = await api(`/streams/api/tags/${positionTag(walk)}`);
      const reading = step(sodium, walk, found.messages, reader);
      if (reading === undefined) {
        await new Promise((resolve) => { following = setTimeout(resolve, 500); });
      } else if (reading !== null) {
        addRow(reading);
      }
    }
  } catch (error) {
    status(error instanceof AccessEnded ? `${error.message}: renew to read on` : `Stopped: ${error.message}`, true);
  }
}

async function waitForGrant(sensor, reader, known) {
  for (let tries = 0; tries < 120; tries += 1) {
    const found = await grants(sensor, reader);
    if (found.length > known) return found[found.length - 1];
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error("no grant came within a minute; the sensor serves it when it is back");
}

async function buy(event) {
  event.preventDefault();
  const sensor = $("buy-form").dataset;
  const durationMs = duration($("buy-duration").value);
  if (durationMs === null || durationMs < BigInt(sensor.minimumMs)) {
    status(`How long: a duration like 10m, 1h or 90s, at least ${Number(sensor.minimumMs) / 1000} s`, true);
    return;
  }
  try {
    const reader = streamKey(sensor.id);
    const known = (await grants(sensor, reader)).length;
    status("Unlocking the wallet and signing…");
    const viaMarket = $("buy-market") && $("buy-market").checked;
    const paid = await (viaMarket ? payThroughMarket : pay)(sensor, durationMs, $("buy-passphrase").value, reader);
    $("buy-passphrase").value = "";
    status(`${paid.said}; waiting for the sensor's grant…`);
    const grant = await waitForGrant(sensor, reader, known);
    const until = grant.key.expiresAtMs ? new Date(grant.key.expiresAtMs).toISOString() : "no end";
    let reported = "";
    if (paid.report) {
      reported = await paid.report().then(() => " The marketplace has the payment.",
        (error) => ` The marketplace did not take the payment's report: ${error.message}.`);
    }
    status(`${paid.said}. Granted until ${until}, from position ${grant.key.position}.${reported}`);
    $("buy-submit").textContent = "Renew the stream";
    clearTimeout(following);
    follow(cursor(grant.key), reader);
  } catch (error) {
    status(`Not bought: ${error.message}`, true);
  }
}

// A browser that holds a grant for this sensor renews rather than buys: the button says so,
// and the status says until when the last grant runs (or that it ended).
async function offerRenewal() {
  const sensor = $("buy-form").dataset;
  if (!JSON.parse(localStorage.getItem(KEYS) || "{}")[sensor.id]) return;
  const held = await grants(sensor, streamKey(sensor.id));
  if (!held.length) return;
  $("buy-submit").textContent = "Renew the stream";
  const ends = Math.max(...held.map((grant) => grant.key.expiresAtMs || 0));
  const when = new Date(ends).toISOString();
  status(ends > Date.now() ? `Your access runs until ${when}; a renewal extends it from then.`
    : `Your access ended at ${when}; a renewal starts from now.`);
}

async function start() {
  sodium = window.sodium;
  await sodium.ready;
  $("buy-form").addEventListener("submit", buy);
  $("download-csv").addEventListener("click", () => download("csv"));
  $("download-json").addEventListener("click", () => download("json"));
  $("buy-form").hidden = false;
  await offerRenewal();
}

start().catch((error) => status(`Buying here could not start: ${error.message}`, true));
