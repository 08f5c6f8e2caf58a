// The sensor page's purchase, in a logged-in person's browser and always through the
// marketplace: unlock this browser's wallet, sign a request that meets the sensor's standing
// offer, pay the contract with a transfer carrying this browser's X25519 key for the stream,
// wait for the grant the sensor seals to that key, then follow the stream, a row per reading.
//
// Everything secret stays here: the wallet's seed (locked in this browser's storage, as the
// wallet page keeps it), and the stream key (derived from the seed: keys.js, nothing stored).
// The server is asked for public things only: the network, the messages under a tag, to
// relay the signed transfer, and to relay the signed market calls.

import { Market, MarketError } from "/static/plaza/dashboard/market.js";
import * as protocol from "/static/plaza/wallet/protocol.js";
import { AccessEnded, cursor, inboxTag, openDelivery, positionTag, step } from "./channel.js";
import { bought, registered, remember, streamKey, walletSeed } from "./keys.js";

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

const UNITS = { s: 1000n, m: 60000n, h: 3600000n, d: 86400000n };

// "90s", "10m", "1h", "2d" or "1h30m" in milliseconds; null if it is not one.
export function duration(text) {
  const parts = [...text.trim().matchAll(/(\d{1,6})([smhd])/g)];
  if (!parts.length || parts.map((part) => part[0]).join("") !== text.trim()) return null;
  return parts.reduce((total, part) => total + BigInt(part[1]) * UNITS[part[2]], 0n);
}

// The wallet's signing keys and the sensor's stream key, from the seed unlocked once.
function unlock(sensorId, passphrase) {
  const seed = walletSeed(sodium, passphrase);
  try {
    return { keys: protocol.signingKeys(sodium, seed), reader: streamKey(sodium, seed, sensorId) };
  } finally {
    seed.fill(0);
  }
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

// Through the marketplace (never a bare payment, so every purchase is an order and a
// contract with its twins): a request for the seconds wanted, requiring this sensor's channel,
// signed here by the wallet's key and relayed (login needed); it meets the sensor's standing
// offer, and the contract's total is paid from the same key with the stream key beside it.
async function payThroughMarket(sensor, durationMs, keys, reader) {
  const market = new Market(sodium, keys, sensor.csrf);
  await market.connect();
  const me = protocol.toHex(keys.publicKey);
  if (!registered(me)) {  // asked once per key, not at every purchase
    try {
      await market.register("stream buyer");
    } catch (error) {
      if (!(error instanceof MarketError && error.code === "participant_exists")) throw error;
    }
    registered(me, true);
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
  const inbox = await api(`/explorer/api/tags/${protocol.toHex(inboxTag(reader.publicKey))}?limit=50`);
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
      const found = await api(`/explorer/api/tags/${positionTag(walk)}?limit=50`);
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
  let keys = null;
  try {
    status("Unlocking the wallet and signing…");
    const unlocked = unlock(sensor.id, $("buy-passphrase").value);
    keys = unlocked.keys;
    const reader = unlocked.reader;
    $("buy-passphrase").value = "";
    const known = (await grants(sensor, reader)).length;
    remember(sensor.id);
    const paid = await payThroughMarket(sensor, durationMs, keys, reader);
    status(`${paid.said}; waiting for the sensor's grant…`);
    const grant = await waitForGrant(sensor, reader, known);
    const until = grant.key.expiresAtMs ? new Date(grant.key.expiresAtMs).toISOString() : "no end";
    const reported = await paid.report().then(() => " The marketplace has the payment.",
      (error) => ` The marketplace did not take the payment's report: ${error.message}.`);
    status(`${paid.said}. Granted until ${until}, from position ${grant.key.position}.${reported}`);
    $("buy-submit").textContent = "Renew the stream";
    $("buy-open").hidden = false;
    clearTimeout(following);
    follow(cursor(grant.key), reader);
  } catch (error) {
    status(`Not bought: ${error.message}`, true);
  } finally {
    if (keys) keys.privateKey.fill(0);  // the report was the last thing it signed
  }
}

// A browser that bought from this sensor renews rather than buys, and may open what it
// holds: the wallet's passphrase unlocks the stream key, the status says until when the last
// grant runs (or that it ended), and a running grant is followed.
function offerRenewal() {
  if (!bought().includes($("buy-form").dataset.id)) return;
  $("buy-submit").textContent = "Renew the stream";
  $("buy-open").hidden = false;
  status("You bought this stream in this browser: your wallet passphrase opens what you hold.");
}

async function openHeld() {
  const sensor = $("buy-form").dataset;
  try {
    status("Unlocking the wallet…");
    const { keys, reader } = unlock(sensor.id, $("buy-passphrase").value);
    keys.privateKey.fill(0);
    $("buy-passphrase").value = "";
    const held = await grants(sensor, reader);
    if (!held.length) {
      status("No grant from this sensor yet: it serves a payment when it is back.");
      return;
    }
    const latest = held[held.length - 1];
    const ends = Math.max(...held.map((grant) => grant.key.expiresAtMs || 0));
    const when = new Date(ends).toISOString();
    if (ends <= Date.now()) {
      status(`Your access ended at ${when}; a renewal starts from now.`);
      return;
    }
    status(`Your access runs until ${when}; a renewal extends it from then.`);
    clearTimeout(following);
    follow(cursor(latest.key), reader);
  } catch (error) {
    status(`Not opened: ${error.message}`, true);
  }
}

async function start() {
  sodium = window.sodium;
  await sodium.ready;
  $("buy-form").addEventListener("submit", buy);
  $("buy-open").addEventListener("click", openHeld);
  $("download-csv").addEventListener("click", () => download("csv"));
  $("download-json").addEventListener("click", () => download("json"));
  $("buy-form").hidden = false;
  offerRenewal();
}

start().catch((error) => status(`Buying here could not start: ${error.message}`, true));
