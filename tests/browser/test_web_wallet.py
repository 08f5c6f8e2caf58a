"""The wallet a person holds in the browser: its protocol code against docs/protocol.md's test
vectors and the Python wallet, then the flow a new user follows (create, fund, send, lock,
unlock), in headless Chromium against the web app and a real node on loopback.

The browser's code is ``static/wallet/protocol.js``, run here as the wallet page runs it
(over the libsodium the page loads), so a difference in a byte of a key, an address or a
signed transfer fails here rather than on the ledger.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect
from web_server import RunningWeb

from plaza.crypto import Address, Identity, Seed, SigningKey
from plaza.ledger.codec import decode_message
from plaza.ledger.model import TransferPayload

PROTOCOL = Path(__file__).parents[2] / "docs" / "protocol.md"
SEED = bytes(range(32))


def _vectors() -> dict[str, Any]:
    text = PROTOCOL.read_text()
    block = text.split("## Test vectors", 1)[1].split("```json", 1)[1].split("```", 1)[0]
    vectors: dict[str, Any] = json.loads(block)
    return vectors


def _in_browser(page: Page, script: str, arg: object) -> Any:
    """Run ``script`` (an async function body with ``p``, the protocol module, ``s``,
    libsodium, and ``arg``) in the wallet page."""
    return page.evaluate(
        "async (arg) => { const p = await import('/static/plaza/wallet/protocol.js');"
        " const s = window.sodium; await s.ready; " + script + " }",
        arg,
    )


@pytest.fixture
def wallet_page(visit: Page, site: RunningWeb) -> Page:
    visit.goto(site.url + "/wallet")
    expect(visit.locator("#wallet-status")).to_have_text("There is no wallet in this browser yet.")
    return visit


def test_the_browser_signs_the_protocol_vectors_transfer_byte_for_byte(wallet_page: Page) -> None:
    vectors = _vectors()
    raw = bytes.fromhex(vectors["transfer_message"]["raw"])
    message = decode_message(raw)
    payload = message.payload
    assert isinstance(payload, TransferPayload)
    transfer = {
        "seed": vectors["keys"]["issuer_seed"],
        "networkId": message.network_id,
        "parents": [parent.hex() for parent in message.parents],
        "issuedAtMs": message.issued_at_ms,
        "outputs": [{"address": o.address.hex(), "amount": o.amount} for o in payload.outputs],
        "tag": payload.tag.decode(),
    }
    signed = _in_browser(
        wallet_page,
        """const keys = s.crypto_sign_seed_keypair(p.fromHex(arg.seed));
        const outputs = arg.outputs.map((o) => ({address: p.fromHex(o.address), amount: o.amount}));
        return {
          publicKey: p.toHex(keys.publicKey),
          address: p.encodeAddress(p.addressBytes(keys.publicKey)),
          raw: p.toHex(p.signTransfer(s, keys, {...arg, outputs})),
        };""",
        transfer,
    )
    assert signed["publicKey"] == vectors["keys"]["issuer_public_key"]
    assert signed["address"] == vectors["keys"]["issuer_address"]
    nonce_hex = 16  # the nonce is the node's proof of work; the browser leaves it at 0
    assert signed["raw"][:-nonce_hex] == raw.hex()[:-nonce_hex]
    assert signed["raw"][-nonce_hex:] == "0" * nonce_hex


def test_the_browser_derives_the_python_wallets_keys_words_and_addresses(
    wallet_page: Page,
) -> None:
    derived = _in_browser(
        wallet_page,
        """const words = await (await fetch('/wallet/words.txt')).text();
        const list = words.trim().split('\\n');
        const seed = p.fromHex(arg);
        const at = (a, i) => p.toHex(p.signingKeys(s, seed, a, i).publicKey);
        const phrase = p.seedToWords(s, seed, list).join(' ');
        return {
          first: at(0, 0), other: at(1, 2), phrase,
          back: p.toHex(p.wordsToSeed(s, phrase, list)),
          address: p.encodeAddress(p.addressBytes(p.signingKeys(s, seed).publicKey)),
        };""",
        SEED.hex(),
    )
    seed = Seed(SEED)
    first = Identity.from_seed(seed).signing.public_key
    assert derived["first"] == first.raw.hex()
    assert (
        derived["other"]
        == Identity.from_seed(seed, account=1, index=2).signing.public_key.raw.hex()
    )
    assert derived["phrase"] == seed.to_mnemonic()
    assert derived["back"] == SEED.hex()
    assert derived["address"] == str(first.address)


def test_the_browser_refuses_a_mistyped_address_or_phrase_and_a_wrong_passphrase(
    wallet_page: Page,
) -> None:
    good = str(SigningKey(bytes(32)).public_key.address)
    typo = good[:-1] + ("q" if good[-1] != "q" else "p")
    refusals = _in_browser(
        wallet_page,
        """const refusal = (f) => {
          try { f(); return 'accepted'; } catch (e) { return e.message; }
        };
        const list = (await (await fetch('/wallet/words.txt')).text()).trim().split('\\n');
        const seed = s.randombytes_buf(32);
        const words = p.seedToWords(s, seed, list);
        const swapped = [words[1], words[0], ...words.slice(2)].join(' ');
        const locked = p.lockSeed(s, seed, 'correct horse battery');
        return {
          good: p.toHex(p.decodeAddress(arg.good)),
          typo: refusal(() => p.decodeAddress(arg.typo)),
          swapped: words[0] === words[1]
            ? 'same word' : refusal(() => p.wordsToSeed(s, swapped, list)),
          short: refusal(() => p.wordsToSeed(s, words.slice(1).join(' '), list)),
          unlocked: p.toHex(p.unlockSeed(s, locked, 'correct horse battery')) === p.toHex(seed),
          wrong: refusal(() => p.unlockSeed(s, locked, 'correct horse battery!')),
        };""",
        {"good": good, "typo": typo},
    )
    assert refusals["good"] == Address.parse(good).raw.hex()
    assert "checksum does not match" in refusals["typo"]
    assert "checksum does not match" in refusals["swapped"]
    assert refusals["short"] == "a recovery phrase has 24 words, not 23"
    assert refusals["unlocked"] is True
    assert refusals["wrong"] == "wrong passphrase"


def test_create_a_wallet_fund_it_from_the_faucet_send_coins_then_lock_and_unlock(
    wallet_page: Page, site: RunningWeb
) -> None:
    page = wallet_page
    page.get_by_label("Passphrase (at least 10 characters)", exact=True).fill("too short")
    page.get_by_label("The passphrase again").fill("too short")
    page.get_by_role("button", name="Create a wallet").click()
    expect(page.locator("#create-passphrase-error")).to_have_text("at least 10 characters")

    page.get_by_label("Passphrase (at least 10 characters)", exact=True).fill("a long passphrase")
    page.get_by_label("The passphrase again").fill("a long passphrase")
    page.get_by_role("button", name="Create a wallet").click()
    expect(page.locator("#words-list li")).to_have_count(24)
    page.get_by_role("button", name="I have written them down").click()
    address = page.locator("#wallet-address")
    expect(address).to_have_text(re.compile(r"^plz1[0-9a-z]{58}$"))
    mine = address.inner_text()
    qr = page.locator("#wallet-qr")
    expect(qr).to_have_attribute("src", f"/wallet/qr/{mine}.svg")
    page.wait_for_load_state("networkidle")
    assert qr.evaluate("image => image.complete && image.naturalWidth > 0"), "the QR code shows"

    page.get_by_role("button", name="Get coins from the devnet faucet").click()
    expect(page.locator("#wallet-status")).to_contain_text("The faucet sent")
    expect(page.locator("#wallet-balance")).not_to_have_text("0 coins", timeout=15_000)
    expect(page.locator("#wallet-balance")).to_have_text(re.compile(r"^[1-9][0-9,]* coins$"))

    payee = str(SigningKey.generate().public_key.address)
    typo = payee[:-1] + ("x" if payee[-1] != "x" else "q")  # one character other than the payee's
    page.get_by_label("To (a plz1… address)").fill(typo)
    page.get_by_label("Amount (coins)").fill("25")
    page.get_by_role("button", name="Sign and send").click()
    expect(page.locator("#send-to-error")).to_contain_text("checksum does not match")
    page.get_by_label("To (a plz1… address)").fill(payee)
    page.get_by_label("Amount (coins)").fill("-3")
    page.get_by_role("button", name="Sign and send").click()
    expect(page.locator("#send-amount-error")).to_have_text("a whole number of coins above 0")
    page.get_by_label("Amount (coins)").fill("25")
    page.get_by_role("button", name="Sign and send").click()
    expect(page.locator("#wallet-status")).to_contain_text("Signed here and sent")
    received = 0
    for _ in range(75):  # the ledger's word, not the page's: the payee holds what was signed
        received = httpx.get(f"{site.url}/wallet/api/addresses/{payee}").json()["balance"]
        if received:
            break
        page.wait_for_timeout(200)
    assert received == 25
    expect(page.locator("#wallet-history tr")).to_have_count(2, timeout=15_000)

    page.get_by_role("button", name="Lock").click()
    expect(page.locator("#wallet-locked")).to_be_visible()
    page.get_by_label("Passphrase", exact=True).fill("not the passphrase")
    page.get_by_role("button", name="Unlock").click()
    expect(page.locator("#unlock-passphrase-error")).to_have_text("wrong passphrase")
    page.get_by_label("Passphrase", exact=True).fill("a long passphrase")
    page.get_by_role("button", name="Unlock").click()
    expect(address).to_have_text(mine)


def test_no_secret_of_the_wallet_reaches_the_server(
    wallet_page: Page, site: RunningWeb, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Restored from known words, funded and spending: no request the browser makes carries
    the seed, the private key, the words or the passphrase, and no file the tests' servers
    wrote holds the seed or the key."""
    page = wallet_page
    seed = Seed(bytes(range(100, 132)))
    words = seed.to_mnemonic()
    identity = Identity.from_seed(seed)
    passphrase = "restored passphrase"
    secrets = [
        seed.to_bytes().hex(),
        identity.signing.seed_bytes.hex(),
        words.split()[5],
        passphrase,
    ]
    sent: list[str] = []

    def record(request: Any) -> None:
        body = request.post_data_buffer or b""
        sent.append(f"{request.url} {request.headers} {body.hex()} {body!r}")

    page.on("request", record)
    page.get_by_label("Recovery words").fill(words)
    page.get_by_label("New passphrase (at least 10 characters)").fill(passphrase)
    page.get_by_role("button", name="Restore").click()
    expect(page.locator("#wallet-address")).to_have_text(str(identity.signing.public_key.address))
    page.get_by_role("button", name="Get coins from the devnet faucet").click()
    expect(page.locator("#wallet-balance")).to_have_text(re.compile(r"^[1-9]"), timeout=15_000)
    page.get_by_label("To (a plz1… address)").fill(str(SigningKey.generate().public_key.address))
    page.get_by_label("Amount (coins)").fill("7")
    page.get_by_role("button", name="Sign and send").click()
    expect(page.locator("#wallet-status")).to_contain_text("Signed here and sent")
    assert any("/wallet/api/messages" in line for line in sent)
    for secret in secrets:
        assert not [line for line in sent if secret in line], "a secret left the browser"
    raw_secrets = [seed.to_bytes(), identity.signing.seed_bytes]
    for path in tmp_path_factory.getbasetemp().rglob("*"):
        if path.is_file():
            content = path.read_bytes()
            assert not [s for s in raw_secrets if s in content or s.hex().encode() in content]


def test_a_backup_kept_with_the_account_restores_the_wallet_in_a_new_browser(
    wallet_page: Page, site: RunningWeb
) -> None:
    """Signed up, a person keeps their wallet's locked seed with their account; a browser
    that has forgotten the wallet gets it back and unlocks it with the same passphrase."""
    page = wallet_page
    page.goto(site.url + "/signup")
    page.get_by_label("Email").fill("keeps-a-backup@example.org")
    page.get_by_label("Password", exact=True).fill("a password long enough")
    page.get_by_label("Password again").fill("a password long enough")
    page.get_by_role("button", name="Sign up").click()
    page.goto(site.url + "/wallet")
    page.get_by_label("Passphrase (at least 10 characters)", exact=True).fill("my passphrase!")
    page.get_by_label("The passphrase again").fill("my passphrase!")
    page.get_by_role("button", name="Create a wallet").click()
    page.get_by_role("button", name="I have written them down").click()
    address = page.locator("#wallet-address")
    expect(address).to_have_text(re.compile(r"^plz1"))
    mine = address.inner_text()
    page.get_by_role("button", name="Keep an encrypted backup with your account").click()
    expect(page.locator("#wallet-status")).to_contain_text("Kept with your account, locked")

    page.evaluate("localStorage.clear()")  # the new browser: it knows the account, no wallet
    page.reload()
    expect(page.locator("#wallet-status")).to_have_text("There is no wallet in this browser yet.")
    page.get_by_role("button", name="Restore the backup kept with your account").click()
    page.get_by_label("Passphrase", exact=True).fill("not my passphrase")
    page.get_by_role("button", name="Unlock").click()
    expect(page.locator("#unlock-passphrase-error")).to_have_text("wrong passphrase")
    page.get_by_label("Passphrase", exact=True).fill("my passphrase!")
    page.get_by_role("button", name="Unlock").click()
    expect(address).to_have_text(mine)


def test_without_an_account_the_wallet_offers_to_log_in_for_a_backup(wallet_page: Page) -> None:
    wallet_page.get_by_label("Passphrase (at least 10 characters)", exact=True).fill("0123456789")
    wallet_page.get_by_label("The passphrase again").fill("0123456789")
    wallet_page.get_by_role("button", name="Create a wallet").click()
    wallet_page.get_by_role("button", name="I have written them down").click()
    expect(wallet_page.get_by_role("link", name="Log in").last).to_be_visible()
    expect(wallet_page.locator("#backup-keep")).to_be_hidden()
