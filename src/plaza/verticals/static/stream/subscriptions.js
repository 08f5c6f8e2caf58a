// The sensors page's "your subscriptions": the streams this browser bought, each with the
// grants its sensor sealed to this browser's key for it and when the last one ends. The keys
// come from the wallet's seed (keys.js), unlocked here with its passphrase; the page reads the
// inboxes' public messages and opens them here.

import * as protocol from "/static/plaza/wallet/protocol.js";
import { inboxTag, openDelivery } from "./channel.js";
import { bought, streamKey, walletSeed } from "./keys.js";

const $ = (id) => document.getElementById(id);

async function lastEnd(sodium, row, key) {
  const reply = await fetch(`/explorer/api/tags/${protocol.toHex(inboxTag(key.publicKey))}?limit=50`);
  if (!reply.ok) return null;
  const ends = (await reply.json()).messages
    .map((message) => openDelivery(sodium, key, protocol.fromHex(message.data)))
    .filter((found) => found && found.sender === row.dataset.owner
      && protocol.toHex(found.key.channel) === row.dataset.channelKey)
    .map((found) => found.key.expiresAtMs || 0);
  return ends.length ? Math.max(...ends) : null;
}

function item(name, link, ends) {
  const entry = document.createElement("li");
  const anchor = document.createElement("a");
  anchor.href = link;
  anchor.textContent = name;
  entry.appendChild(anchor);
  if (ends === null) {
    entry.append(": paid, no grant yet");
    return entry;
  }
  const left = Math.floor((ends - Date.now()) / 1000);
  const when = new Date(ends).toISOString().slice(0, 19).replace("T", " ");
  entry.append(left > 0 ? `: until ${when} UTC, ${left} s left` : `: ended ${when} UTC`);
  return entry;
}

async function show(sodium, rows, event) {
  event.preventDefault();
  const said = $("subscriptions-status");
  let seed;
  try {
    seed = walletSeed(sodium, $("subscriptions-passphrase").value);
  } catch (error) {
    said.textContent = `Not opened: ${error.message}`;
    return;
  }
  $("subscriptions-passphrase").value = "";
  const keys = rows.map((row) => streamKey(sodium, seed, row.dataset.id));
  seed.fill(0);
  const list = $("subscriptions-list");
  list.replaceChildren();
  for (const [at, row] of rows.entries()) {
    const link = row.querySelector("a");
    list.appendChild(item(link.textContent, link.href, await lastEnd(sodium, row, keys[at])));
    keys[at].privateKey.fill(0);
  }
  said.textContent = "";
}

async function start() {
  const kept = bought();
  const rows = [...document.querySelectorAll("table.sensors tbody tr")].filter((row) => kept.includes(row.dataset.id));
  if (!rows.length) return;
  const sodium = window.sodium;
  await sodium.ready;
  $("subscriptions-open").addEventListener("submit", (event) => show(sodium, rows, event));
  $("subscriptions").hidden = false;
}

start().catch(() => {});
