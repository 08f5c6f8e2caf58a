// The allowance's funding, signed in this browser: unlock the wallet this browser keeps
// (locked under its passphrase, as the Wallet page keeps it), sign a transfer of what the
// allowance still lacks to its account, and have the node relay it (the node does the
// proof of work). The server sees the signed transfer only: never the seed, the key or
// the passphrase. Without JavaScript the page says to move the coins from the Wallet page.

import * as protocol from "/static/plaza/wallet/protocol.js";

const WALLET = "plaza.wallet.v1";

async function api(path, options = {}) {
  const reply = await fetch(path, options);
  const body = await reply.json().catch(() => ({}));
  if (!reply.ok) throw new Error(body.error || `the site answered ${reply.status}`);
  return body;
}

function say(form, text, problem = false) {
  const line = form.querySelector(".allowance-status");
  line.textContent = text;
  line.classList.toggle("problem", problem);
  line.classList.toggle("muted", !problem);
}

function fieldError(field, text) {
  document.getElementById(`${field.id}-error`).textContent = text;
  if (text) field.setAttribute("aria-invalid", "true");
  else field.removeAttribute("aria-invalid");
}

async function fund(sodium, form, event) {
  event.preventDefault();
  const field = form.querySelector("input[type=password]");
  fieldError(field, "");
  const locked = localStorage.getItem(WALLET);
  if (!locked) {
    say(form, "There is no wallet in this browser: make or restore one on the Wallet page.", true);
    return;
  }
  say(form, "Unlocking your wallet…");
  let keys;
  try {
    const seed = protocol.unlockSeed(sodium, JSON.parse(locked), field.value);
    keys = protocol.signingKeys(sodium, seed);
    seed.fill(0);
  } catch (error) {
    say(form, "");
    fieldError(field, error.message);
    field.focus();
    return;
  }
  field.value = "";
  try {
    const network = await api("/wallet/api/network");
    const raw = protocol.signTransfer(sodium, keys, {
      networkId: network.networkId,
      parents: network.tips,
      issuedAtMs: network.nowMs,
      outputs: [{ address: protocol.decodeAddress(form.dataset.address), amount: BigInt(form.dataset.amount) }],
    });
    const sent = await api("/wallet/api/messages", {
      method: "POST",
      headers: { "content-type": "application/octet-stream" },
      body: raw,
    });
    say(form, `Signed here and sent: message ${sent.messageId.slice(0, 12)}…; the allowance holds it once confirmed.`);
    form.querySelector("button").disabled = true;
  } catch (error) {
    say(form, `Not sent: ${error.message}`, true);
  } finally {
    keys.privateKey.fill(0);
  }
}

async function start() {
  const forms = document.querySelectorAll("form.allowance-fund");
  if (forms.length === 0) return;
  const sodium = window.sodium;
  await sodium.ready;
  for (const form of forms) {
    form.hidden = false;
    form.addEventListener("submit", (event) => fund(sodium, form, event));
  }
  for (const line of document.querySelectorAll(".allowance-manual")) line.hidden = true;
}

start().catch((error) => {
  for (const form of document.querySelectorAll("form.allowance-fund")) say(form, `The page could not start: ${error.message}`, true);
});
