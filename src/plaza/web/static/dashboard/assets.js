// The dashboard's assets: register one (signed here), disable, enable or retire it, name it in
// an order, and read its history: every state the marketplace recorded (version, event, when,
// name, status: GET /assets/{id}/history), the orders that named it and the revenue their
// contracts made.

const $ = (id) => document.getElementById(id);

function when(ms) {
  return `${new Date(ms).toISOString().replace("T", " ").slice(0, 19)} UTC`;
}

export class Assets {
  constructor({ market, me, status, onChange, button }) {
    this.market = market;
    this.me = me;
    this.status = status;
    this.onChange = onChange;
    this.button = button;
    this.items = [];
    this.shown = null; // the asset whose history is open
    $("asset-form").addEventListener("submit", (event) => this.register(event));
  }

  async register(event) {
    event.preventDefault();
    const name = $("asset-name");
    $("asset-name-error").textContent = "";
    name.removeAttribute("aria-invalid");
    const text = name.value.trim();
    if (!text || text.length > 256) {
      $("asset-name-error").textContent = "a name of 1 to 256 characters";
      name.setAttribute("aria-invalid", "true");
      return;
    }
    try {
      const made = await this.market.call("POST", "/assets", { json: { kind: $("asset-kind").value, name: text } });
      this.status(`Asset ${made.asset.id} registered: name it in your offers.`);
      name.value = "";
    } catch (error) {
      $("asset-name-error").textContent = error.message;
      name.setAttribute("aria-invalid", "true");
      return;
    }
    await this.onChange();
  }

  async refresh(orders, contracts) {
    const found = await this.market.publicGet("/assets", `owner=${encodeURIComponent(this.me)}&status=any&limit=500`);
    this.items = found.items;
    this.render(orders, contracts);
    this.fillChoices();
  }

  // The order form's asset choice: the person's active assets of the chosen kind.
  fillChoices() {
    const choice = $("order-asset");
    const kind = $("order-kind").value;
    const kept = choice.value;
    const options = [new Option("none", "")];
    for (const asset of this.items) {
      if (asset.status === "active" && asset.kind === kind) options.push(new Option(`${asset.name} (${asset.id})`, asset.id));
    }
    choice.replaceChildren(...options);
    choice.value = options.some((option) => option.value === kept) ? kept : "";
  }

  render(orders, contracts) {
    const rows = this.items.map((asset) => {
      const used = orders.filter((order) => order.asset_id === asset.id);
      const ids = new Set(used.map((order) => order.id));
      const earned = contracts.filter((c) => c.terms.provider === this.me && ids.has(c.terms.offer_id));
      const revenue = earned.reduce((sum, c) => sum + c.terms.total, 0);
      const row = document.createElement("tr");
      row.id = `asset-${asset.id}`;
      for (const [content, numeric] of [[asset.id, false], [asset.name, false], [asset.kind, false], [asset.status, false],
        [String(used.length), true], [`${revenue.toLocaleString("en")} coins`, true]]) {
        const cell = document.createElement("td");
        if (numeric) cell.className = "num";
        cell.textContent = content;
        row.append(cell);
      }
      const actions = document.createElement("td");
      actions.className = "actions-cell";
      actions.append(this.button(`History of ${asset.id}`, async () => this.history(asset, used, earned)));
      if (asset.status === "active") actions.append(this.button(`Disable ${asset.id}`, () => this.change(asset, "POST", "disable")));
      if (asset.status === "disabled") actions.append(this.button(`Enable ${asset.id}`, () => this.change(asset, "POST", "enable")));
      if (asset.status !== "removed") actions.append(this.button(`Retire ${asset.id}`, () => this.change(asset, "DELETE", "")));
      row.append(actions);
      return row;
    });
    $("assets-body").replaceChildren(...rows);
    $("assets-empty").hidden = rows.length > 0;
    if (this.shown) {
      const asset = this.items.find((item) => item.id === this.shown);
      if (asset) {
        const used = orders.filter((order) => order.asset_id === asset.id);
        const ids = new Set(used.map((order) => order.id));
        this.history(asset, used, contracts.filter((c) => c.terms.provider === this.me && ids.has(c.terms.offer_id)));
      }
    }
  }

  async change(asset, method, action) {
    await this.market.call(method, `/assets/${encodeURIComponent(asset.id)}${action ? `/${action}` : ""}`);
    this.status(`${asset.id} ${{ disable: "disabled", enable: "enabled", "": "retired" }[action]}.`);
    await this.onChange();
  }

  async history(asset, used, earned) {
    this.shown = asset.id;
    $("asset-history").hidden = false;
    $("asset-history-for").textContent = `${asset.name} (${asset.id})`;
    let states = [asset];
    try {
      states = (await this.market.publicGet(`/assets/${encodeURIComponent(asset.id)}/history`, "")).items;
    } catch (error) {
      this.status(`The asset's earlier states could not be read: ${error.message}`);
    }
    const lines = [
      ...states.map((state) => `Version ${state.version}: ${state.event} ${when(state.updated_at_ms)}, "${state.name}", ${state.status}.`),
      ...used.map((order) => `${order.side} ${order.id}: ${order.quantity.toLocaleString("en")} at ${order.unit_price}, ${order.status}`),
      ...earned.map((c) => `contract ${c.contract_id} (${c.terms.offer_id}): ${c.terms.total.toLocaleString("en")} coins, ${c.settlement ? c.settlement.phase : "being opened"}`),
    ];
    const revenue = earned.reduce((sum, c) => sum + c.terms.total, 0);
    lines.push(`Revenue from its orders' contracts: ${revenue.toLocaleString("en")} coins.`);
    $("asset-history-list").replaceChildren(...lines.map((line) => {
      const item = document.createElement("li");
      item.textContent = line;
      return item;
    }));
  }
}
