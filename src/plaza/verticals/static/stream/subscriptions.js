// The sensors page's "your subscriptions": the streams this browser holds a key for, each
// with the grants its sensor sealed to that key and when the last one ends. The keys stay
// in this browser's storage; the page reads the inboxes' public messages and opens them here.

import * as protocol from "/static/plaza/wallet/protocol.js";
import { inboxTag, openDelivery } from "./channel.js";

const KEYS = "plaza.streams.v1";
const $ = (id) => document.getElementById(id);

async function lastEnd(sodium, row, key) {
  const reply = await fetch(`/streams/api/tags/${protocol.toHex(inboxTag(key.publicKey))}`);
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
  const left = Math.floor((ends - Date.now()) / 1000);
  const when = new Date(ends).toISOString().slice(0, 19).replace("T", " ");
  entry.append(left > 0 ? `: until ${when} UTC, ${left} s left` : `: ended ${when} UTC`);
  return entry;
}

async function start() {
  const kept = JSON.parse(localStorage.getItem(KEYS) || "{}");
  const rows = [...document.querySelectorAll("table.sensors tbody tr")].filter((row) => kept[row.dataset.id]);
  if (!rows.length) return;
  const sodium = window.sodium;
  await sodium.ready;
  const list = $("subscriptions-list");
  for (const row of rows) {
    const stored = kept[row.dataset.id];
    const key = { publicKey: protocol.fromHex(stored.publicKey), privateKey: protocol.fromHex(stored.privateKey) };
    const ends = await lastEnd(sodium, row, key);
    const link = row.querySelector("a");
    if (ends !== null) list.appendChild(item(link.textContent, link.href, ends));
  }
  $("subscriptions").hidden = list.children.length === 0;
}

start().catch(() => {});
