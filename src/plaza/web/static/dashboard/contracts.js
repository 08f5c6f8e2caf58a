// The dashboard's contracts: a table with a settlement filter, search by id and by time, pages,
// each contract's details with its next step, a check of it against the ledger made in this
// browser, and charts of energy, revenue and prices over time (Chart.js).
//
// The check holds the marketplace's Ed25519 signature over the contract's terms
// (plaza.market.contracts: "plaza-contract-v1\n" + the terms as sorted compact JSON) against
// the key the marketplace published, and reads the payment back from the ledger: the
// payer's history on the node says whether a milestone confirmed it, and for how much.

import { fromHex } from "../wallet/protocol.js";

const PAGE_SIZE = 10;
const CONTRACT_DOMAIN = "plaza-contract-v1\n";
const OPEN = new Set(["Contract created", "Energy provision finished", "Payment requested", "Payment processed", "Payment confirmed"]);
const $ = (id) => document.getElementById(id);

function sortedJson(terms) {
  const sorted = {};
  for (const key of Object.keys(terms).sort()) sorted[key] = terms[key];
  return JSON.stringify(sorted);
}

// What holds and what does not, each said in words, for one contract.
export async function verifyContract(sodium, marketKey, contract) {
  const findings = [];
  const terms = contract.terms;
  const signed = new TextEncoder().encode(CONTRACT_DOMAIN + sortedJson(terms));
  const valid = terms.marketplace === marketKey
    && sodium.crypto_sign_verify_detached(fromHex(contract.signature), signed, fromHex(marketKey));
  findings.push([valid, valid ? "The marketplace's signature over the terms holds (its published key)."
    : "The marketplace's signature over the terms does NOT hold."]);
  const payment = contract.settlement && contract.settlement.payment;
  if (!payment) {
    findings.push([true, "Not paid yet: there is no payment to find on the ledger."]);
    return findings;
  }
  const reply = await fetch(`/wallet/api/addresses/${terms.consumer}`);
  const history = reply.ok ? (await reply.json()).history : [];
  const entry = history.find((item) => item.messageId === payment.message_id);
  if (!entry) {
    findings.push([false, `The payment ${payment.message_id.slice(0, 12)}… is not in the payer's history on the ledger.`]);
  } else if (entry.state !== "confirmed") {
    findings.push([false, `The payment ${payment.message_id.slice(0, 12)}… is on the ledger but ${entry.state}.`]);
  } else {
    const paid = -entry.delta;
    findings.push([paid >= terms.total, `The payment ${payment.message_id.slice(0, 12)}… is on the ledger, confirmed at milestone ${entry.milestone}, paying ${paid} coins of the ${terms.total} due.`]);
  }
  return findings;
}

export class ContractTable {
  constructor({ me, sodium, marketKey, unitsOf, nextStep }) {
    this.me = me;
    this.sodium = sodium;
    this.marketKey = marketKey;
    this.unitsOf = unitsOf;
    this.nextStep = nextStep;
    this.items = [];
    this.page = 0;
    this.open = new Set(); // the contracts whose details are shown
    this.chart = null;
    for (const id of ["contracts-phase", "contracts-search", "contracts-since"]) {
      $(id).addEventListener("input", () => { this.page = 0; this.render(); });
    }
    $("contracts-filter").addEventListener("submit", (event) => { event.preventDefault(); this.page = 0; this.render(); });
    $("contracts-previous").addEventListener("click", () => { this.page -= 1; this.render(); });
    $("contracts-next").addEventListener("click", () => { this.page += 1; this.render(); });
  }

  show(items) {
    this.items = items;
    this.render();
    this.draw();
  }

  chosen() {
    const phase = $("contracts-phase").value;
    const search = $("contracts-search").value.trim().toLowerCase();
    const since = $("contracts-since").value ? Date.parse(`${$("contracts-since").value}T00:00:00Z`) : null;
    return this.items.filter((contract) => {
      const current = contract.settlement ? contract.settlement.phase : "";
      if (phase === "open" && !OPEN.has(current)) return false;
      if (phase && phase !== "open" && current !== phase) return false;
      if (search && !contract.contract_id.toLowerCase().includes(search)) return false;
      return since === null || contract.terms.matched_at_ms >= since;
    });
  }

  render() {
    const chosen = this.chosen();
    const pages = Math.max(1, Math.ceil(chosen.length / PAGE_SIZE));
    this.page = Math.min(Math.max(this.page, 0), pages - 1);
    const shown = chosen.slice(this.page * PAGE_SIZE, (this.page + 1) * PAGE_SIZE);
    $("contracts-body").replaceChildren(...shown.flatMap((contract) => this.rows(contract)));
    $("contracts-empty").hidden = chosen.length > 0;
    $("contracts-empty").textContent = this.items.length ? "No contract matches the filter." : "No contracts yet.";
    $("contracts-page").textContent = `Page ${this.page + 1} of ${pages} (${chosen.length} contract${chosen.length === 1 ? "" : "s"})`;
    $("contracts-previous").disabled = this.page === 0;
    $("contracts-next").disabled = this.page >= pages - 1;
  }

  rows(contract) {
    const terms = contract.terms;
    const units = this.unitsOf(terms.kind);
    const provider = terms.provider === this.me;
    const id = contract.contract_id;
    const row = document.createElement("tr");
    row.id = `contract-${id}`;
    const cells = [id, provider ? "provider" : "consumer",
      `${terms.quantity.toLocaleString("en")} ${units.quantity}`, `${terms.unit_price.toLocaleString("en")} ${units.price}`,
      `${terms.total.toLocaleString("en")} coins`, contract.settlement ? contract.settlement.phase : "being opened",
      this.nextStep(contract, provider)];
    cells.forEach((content, at) => {
      const cell = document.createElement("td");
      if (at >= 2 && at <= 4) cell.className = "num";
      if (at === 5) cell.className = "phase";
      cell.append(content);
      row.append(cell);
    });
    const toggle = document.createElement("button");
    toggle.type = "button";
    toggle.textContent = `Details of ${id}`;
    toggle.setAttribute("aria-expanded", String(this.open.has(id)));
    toggle.setAttribute("aria-controls", `details-${id}`);
    toggle.addEventListener("click", () => {
      if (this.open.has(id)) this.open.delete(id);
      else this.open.add(id);
      this.render();
    });
    const last = document.createElement("td");
    last.append(toggle);
    row.append(last);
    if (!this.open.has(id)) return [row];
    return [row, this.details(contract)];
  }

  details(contract) {
    const terms = contract.terms;
    const row = document.createElement("tr");
    row.id = `details-${contract.contract_id}`;
    row.className = "details";
    const cell = document.createElement("td");
    cell.colSpan = 8;
    const facts = document.createElement("dl");
    facts.className = "facts";
    const when = new Date(terms.matched_at_ms).toISOString().replace("T", " ").slice(0, 19) + " UTC";
    const payment = contract.settlement && contract.settlement.payment;
    for (const [name, value] of [["Matched", when], ["Offer", terms.offer_id], ["Request", terms.request_id],
      ["Provider", terms.provider], ["Consumer", terms.consumer], ["Policy", terms.policy],
      ["Payment", payment ? payment.message_id : "none yet"], ["Signature", contract.signature]]) {
      const term = document.createElement("dt");
      term.textContent = name;
      const text = document.createElement("dd");
      text.className = "wrap";
      text.textContent = value;
      facts.append(term, text);
    }
    const verify = document.createElement("button");
    verify.type = "button";
    verify.textContent = `Verify ${contract.contract_id} against the ledger`;
    const results = document.createElement("ul");
    results.className = "checks";
    results.setAttribute("aria-live", "polite");
    verify.addEventListener("click", async () => {
      const findings = await verifyContract(this.sodium, this.marketKey, contract);
      results.replaceChildren(...findings.map(([ok, text]) => {
        const item = document.createElement("li");
        item.className = ok ? "check-ok" : "check-failed";
        item.textContent = text;
        return item;
      }));
    });
    cell.append(facts, verify, results);
    row.append(cell);
    return row;
  }

  // Energy sold and bought, revenue and prices, contract by contract over time.
  draw() {
    if (!window.Chart || !this.items.length) return;
    const ordered = [...this.items].sort((a, b) => a.terms.matched_at_ms - b.terms.matched_at_ms);
    const labels = ordered.map((c) => new Date(c.terms.matched_at_ms).toISOString().slice(11, 19));
    let revenue = 0;
    const data = {
      labels,
      datasets: [
        { label: "sold (Wh)", data: ordered.map((c) => (c.terms.provider === this.me ? c.terms.quantity : 0)), yAxisID: "energy" },
        { label: "bought (Wh)", data: ordered.map((c) => (c.terms.consumer === this.me ? c.terms.quantity : 0)), yAxisID: "energy" },
        { label: "revenue (coins, running)", data: ordered.map((c) => (revenue += c.terms.provider === this.me ? c.terms.total : 0)), yAxisID: "coins" },
        { label: "price (coins per kWh)", data: ordered.map((c) => c.terms.unit_price), yAxisID: "coins" },
      ],
    };
    $("over-time").hidden = false;
    if (this.chart) {
      this.chart.data = data;
      this.chart.update();
      return;
    }
    this.chart = new window.Chart($("contracts-chart"), {
      type: "line",
      data,
      options: {
        animation: false, responsive: true, maintainAspectRatio: false,
        scales: { energy: { position: "left", beginAtZero: true }, coins: { position: "right", beginAtZero: true } },
      },
    });
  }
}
