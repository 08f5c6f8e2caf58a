// The history of the calls made from this browser (/services/my/calls): each call in this
// browser's book, finished if it was left open (its hold asked of the ledger, its result
// or reason opened here with its keys), with its result, receipt or refund.

import { closed, remember, remembered, settled } from "./calls.js";

const $ = (id) => document.getElementById(id);

function cell(row, text) {
  const td = document.createElement("td");
  td.textContent = text;
  row.append(td);
  return td;
}

function outcome(entry) {
  if (entry.state === "released") return `paid ${entry.price} coins`;
  if (entry.state === "refunded") return `refunded: ${entry.reason}`;
  if (entry.state === "expired") return `refunded at the deadline: ${entry.reason}`;
  return "waiting for the ledger";
}

function render(book) {
  const body = $("calls-body");
  body.replaceChildren();
  for (const entry of [...book].sort((a, b) => b.at - a.at)) {
    const row = document.createElement("tr");
    const link = document.createElement("a");
    link.href = `/services/${entry.service}`;
    link.textContent = entry.service;
    cell(row, "").append(link);
    cell(row, new Date(entry.at).toISOString().replace("T", " ").slice(0, 19));
    cell(row, outcome(entry));
    const result = cell(row, entry.result === undefined ? "" : JSON.stringify(entry.result));
    result.classList.add("result");
    cell(row, entry.closedBy ? `hold ${entry.holdId.slice(0, 16)}…, closed by ${entry.closedBy.slice(0, 16)}…` : `hold ${entry.holdId.slice(0, 16)}…`);
    body.append(row);
  }
  $("calls-table").hidden = book.length === 0;
  $("calls-empty").hidden = book.length !== 0;
}

async function start() {
  await window.sodium.ready;
  render(remembered());
  for (const entry of remembered().filter((kept) => kept.state === "held")) {
    remember(settled(entry, await closed(entry.holdId, entry.deadlineMs)));
    render(remembered());
  }
}

start().catch((error) => {
  $("calls-status").textContent = `The history could not be read: ${error.message}`;
});
