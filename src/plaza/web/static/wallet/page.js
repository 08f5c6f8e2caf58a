// The wallet page: create, restore, unlock, receive, send; all signing happens here.
//
// The seed is kept only in this browser's storage, locked under the passphrase
// (protocol.js lockSeed); once unlocked, the account's keys live in this page's memory
// until "Lock" or the page closes. The server is asked only for public things
// (/wallet/api/...: tips, balances, the faucet) and to relay signed bytes.

import * as protocol from "./protocol.js";

const STORAGE = "plaza.wallet.v1";
const SECTIONS = ["wallet-new", "wallet-words", "wallet-locked", "wallet-open"];
const MIN_PASSPHRASE = 10;
const $ = (id) => document.getElementById(id);

let sodium = null;
let wordlist = [];
let keys = null;
let address = "";
let balance = null;
let refreshing = null;

function status(text, problem = false) {
  const line = $("wallet-status");
  line.textContent = text;
  line.classList.toggle("problem", problem);
  line.classList.toggle("muted", !problem);
}

function show(id) {
  for (const section of SECTIONS) $(section).hidden = section !== id;
}

function fieldError(id, text) {
  $(`${id}-error`).textContent = text;
  $(id).setAttribute("aria-invalid", "true");
  $(id).focus();
}

function clearErrors(form) {
  for (const line of form.querySelectorAll(".field-error")) line.textContent = "";
  for (const field of form.querySelectorAll("[aria-invalid]")) field.removeAttribute("aria-invalid");
}

// Argon2id takes a moment: let the page say so before it starts.
function later(work) {
  return new Promise((resolve, reject) => {
    setTimeout(() => {
      try {
        resolve(work());
      } catch (error) {
        reject(error);
      }
    }, 20);
  });
}

async function api(path, options = {}) {
  const reply = await fetch(path, options);
  const body = await reply.json().catch(() => ({ error: `the site answered ${reply.status}` }));
  if (!reply.ok) throw new protocol.WalletError(body.error || `the site answered ${reply.status}`);
  return body;
}

function coins(amount) {
  return `${Number(amount).toLocaleString("en")} coins`;
}

function open(seed) {
  keys = protocol.signingKeys(sodium, seed);
  seed.fill(0);
  address = protocol.encodeAddress(protocol.addressBytes(keys.publicKey));
  $("wallet-address").textContent = address;
  $("wallet-qr").src = `/wallet/qr/${address}.svg`;
  show("wallet-open");
  status("Unlocked. Lock the wallet when you leave this computer.");
  refresh();
  refreshing = setInterval(refresh, 3000);
}

function historyRow(item) {
  const row = document.createElement("tr");
  const link = document.createElement("a");
  link.href = `/explorer/messages/${item.messageId}`;
  link.textContent = `${item.messageId.slice(0, 12)}…`;
  const cells = [link, `${item.delta > 0 ? "+" : ""}${coins(item.delta)}`,
    new Date(item.issuedAtMs).toISOString().replace("T", " ").slice(0, 19) + " UTC",
    item.milestone === null ? item.state : `${item.state} (milestone ${item.milestone})`];
  cells.forEach((content, at) => {
    const cell = document.createElement("td");
    if (at === 1) cell.className = "num";
    cell.append(content);
    row.append(cell);
  });
  return row;
}

async function refresh() {
  if (!keys) return;
  try {
    const view = await api(`/wallet/api/addresses/${address}`);
    balance = BigInt(view.balance);
    $("wallet-balance").textContent = coins(view.balance);
    $("wallet-milestone").textContent = `(confirmed at milestone ${view.milestone})`;
    $("wallet-history").replaceChildren(...view.history.map(historyRow));
  } catch (error) {
    status(`The balance could not be read: ${error.message}`, true);
  }
}

function lock() {
  clearInterval(refreshing);
  if (keys) keys.privateKey.fill(0);
  keys = null;
  show("wallet-locked");
  status("Locked.");
}

function checkedPassphrase(id, confirmId = null) {
  const passphrase = $(id).value;
  if (passphrase.length < MIN_PASSPHRASE) {
    fieldError(id, `at least ${MIN_PASSPHRASE} characters`);
    return null;
  }
  if (confirmId && $(confirmId).value !== passphrase) {
    fieldError(confirmId, "does not match the passphrase");
    return null;
  }
  return passphrase;
}

async function keep(seed, passphrase) {
  status("Locking the wallet under your passphrase…");
  const locked = await later(() => protocol.lockSeed(sodium, seed, passphrase));
  localStorage.setItem(STORAGE, JSON.stringify(locked));
}

async function create(event) {
  event.preventDefault();
  clearErrors(event.target);
  const passphrase = checkedPassphrase("create-passphrase", "create-confirm");
  if (passphrase === null) return;
  const seed = sodium.randombytes_buf(32);
  await keep(seed, passphrase);
  const items = protocol.seedToWords(sodium, seed, wordlist).map((word) => {
    const item = document.createElement("li");
    item.textContent = word;
    return item;
  });
  $("words-list").replaceChildren(...items);
  show("wallet-words");
  status("Your wallet is made and saved in this browser, locked.");
  $("words-done").onclick = () => {
    $("words-list").replaceChildren();
    open(seed);
  };
}

async function restore(event) {
  event.preventDefault();
  clearErrors(event.target);
  let seed;
  try {
    seed = protocol.wordsToSeed(sodium, $("restore-words").value, wordlist);
  } catch (error) {
    fieldError("restore-words", error.message);
    return;
  }
  const passphrase = checkedPassphrase("restore-passphrase");
  if (passphrase === null) return;
  await keep(seed, passphrase);
  $("restore-words").value = "";
  open(seed);
}

async function unlock(event) {
  event.preventDefault();
  clearErrors(event.target);
  status("Unlocking…");
  const locked = JSON.parse(localStorage.getItem(STORAGE));
  try {
    const seed = await later(() => protocol.unlockSeed(sodium, locked, $("unlock-passphrase").value));
    $("unlock-passphrase").value = "";
    open(seed);
  } catch (error) {
    status("Your wallet is locked.");
    fieldError("unlock-passphrase", error.message);
  }
}

async function faucet() {
  try {
    const grant = await api("/wallet/api/faucet", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ address }),
    });
    status(`The faucet sent ${coins(grant.amount)}; they count once a milestone confirms them.`);
  } catch (error) {
    status(`The faucet said no: ${error.message}`, true);
  }
}

function parseAmount() {
  const text = $("send-amount").value.trim();
  if (!/^[0-9]{1,19}$/.test(text) || BigInt(text) <= 0n) {
    fieldError("send-amount", "a whole number of coins above 0");
    return null;
  }
  const amount = BigInt(text);
  if (balance !== null && amount > balance) {
    fieldError("send-amount", `more than your balance (${coins(balance)})`);
    return null;
  }
  return amount;
}

async function send(event) {
  event.preventDefault();
  clearErrors(event.target);
  let payee;
  try {
    payee = protocol.decodeAddress($("send-to").value);
  } catch (error) {
    fieldError("send-to", error.message);
    return;
  }
  const amount = parseAmount();
  if (amount === null) return;
  try {
    const network = await api("/wallet/api/network");
    const raw = protocol.signTransfer(sodium, keys, {
      networkId: network.networkId,
      parents: network.tips,
      issuedAtMs: network.nowMs,
      outputs: [{ address: payee, amount }],
    });
    const sent = await api("/wallet/api/messages", {
      method: "POST",
      headers: { "content-type": "application/octet-stream" },
      body: raw,
    });
    event.target.reset();
    status(`Signed here and sent: message ${sent.messageId.slice(0, 12)}…; it counts once confirmed.`);
    refresh();
  } catch (error) {
    status(`Not sent: ${error.message}`, true);
  }
}

function account() {
  const marker = $("wallet-account");
  return {
    loggedIn: marker.dataset.loggedIn === "yes",
    accounts: marker.dataset.accounts === "yes",
    csrf: marker.dataset.csrf,
  };
}

async function keepBackup() {
  try {
    await api("/account/wallet-backup", {
      method: "PUT",
      headers: { "content-type": "application/json", "x-csrf-token": account().csrf },
      body: JSON.stringify({ locked: JSON.parse(localStorage.getItem(STORAGE)) }),
    });
    status("Kept with your account, locked: this site cannot open it; your passphrase does.");
  } catch (error) {
    status(`The backup was not kept: ${error.message}`, true);
  }
}

async function restoreBackup() {
  try {
    const kept = await api("/account/wallet-backup");
    localStorage.setItem(STORAGE, JSON.stringify(kept.locked));
    show("wallet-locked");
    status("Your account's backup is in this browser: unlock it with the passphrase it was locked with.");
  } catch (error) {
    status(`No backup restored: ${error.message}`, true);
  }
}

async function start() {
  sodium = window.sodium;
  await sodium.ready;
  wordlist = (await (await fetch("/wallet/words.txt")).text()).trim().split("\n");
  $("create-form").addEventListener("submit", create);
  $("restore-form").addEventListener("submit", restore);
  $("unlock-form").addEventListener("submit", unlock);
  $("send-form").addEventListener("submit", send);
  $("faucet").addEventListener("click", faucet);
  $("lock").addEventListener("click", lock);
  $("backup-keep").addEventListener("click", keepBackup);
  $("backup-restore").addEventListener("click", restoreBackup);
  const { loggedIn, accounts } = account();
  for (const part of document.querySelectorAll(".with-account")) part.hidden = !loggedIn;
  for (const part of document.querySelectorAll(".without-account")) part.hidden = loggedIn || !accounts;
  if (localStorage.getItem(STORAGE)) {
    show("wallet-locked");
    status("Your wallet is locked.");
  } else {
    show("wallet-new");
    status("There is no wallet in this browser yet.");
  }
}

start().catch((error) => status(`The wallet could not start: ${error.message}`, true));
