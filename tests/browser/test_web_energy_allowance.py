"""The allowance in a real browser, on ``plaza demo``: Alice, her wallet restored in this
browser from known words, grants the energy user module an allowance on
``/dashboard/energy``, moves its cap into it with a transfer signed in the page, sees it
held, and revokes it: the coins come back to her wallet.

The line this draws: the allowance's key is the module's (it derives from the module's
wallet secret, so the module can pay while Alice is away), while Alice's own seed and key
never leave the browser: no request carries them and no file the demo wrote holds them.
"""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import Page, expect
from test_web_dashboard import _axe_violations
from test_web_energy_dashboard import _log_in_as_alice

from plaza.bootstrap.energy_demo import EnergyDemo
from plaza.crypto import Identity, Seed

PASSPHRASE = "alice's own passphrase"


def _restore_wallet(page: Page, demo: EnergyDemo, identity: Identity, words: str) -> str:
    page.goto(demo.web_url + "/wallet")
    page.get_by_label("Recovery words").fill(words)
    page.get_by_label("New passphrase (at least 10 characters)").fill(PASSPHRASE)
    page.get_by_role("button", name="Restore", exact=True).click()
    mine = str(identity.signing.public_key.address)
    expect(page.locator("#wallet-address")).to_have_text(mine)
    page.get_by_role("button", name="Get coins from the devnet faucet").click()
    expect(page.locator("#wallet-balance")).to_have_text(re.compile(r"^[1-9]"), timeout=15_000)
    return mine


def test_alice_grants_funds_and_revokes_an_allowance_her_key_staying_here(
    visit: Page, demo: EnergyDemo, problems: list[str]
) -> None:
    seed = Seed(bytes(range(7, 39)))
    identity = Identity.from_seed(seed)
    sent: list[str] = []

    def record(request: Any) -> None:
        body = request.post_data_buffer or b""
        sent.append(f"{request.url} {request.headers} {body.hex()} {body!r}")

    visit.on("request", record)
    _log_in_as_alice(visit, demo)
    mine = _restore_wallet(visit, demo, identity, seed.to_mnemonic())

    visit.goto(demo.web_url + "/dashboard/energy")
    visit.get_by_label("Cap (coins)").fill("-4")
    visit.get_by_label(re.compile(r"^Your wallet's address")).fill(mine)
    visit.get_by_role("button", name="Grant an allowance").click()
    expect(visit.locator("#a-cap-problem")).to_have_text(
        "Cap (coins): a whole number of coins above 0"
    )
    visit.get_by_label("Cap (coins)").fill("4000")
    visit.get_by_label(re.compile(r"^Your wallet's address")).fill(mine)
    visit.get_by_role("button", name="Grant an allowance").click()
    expect(visit.get_by_role("status").first).to_contain_text("Allowance granted")
    account = visit.locator(".allowance-address").inner_text()
    (allowance,) = demo.stack.owner.service.allowances.allowances(_owner_of(visit, demo))
    assert allowance["address"] == account  # the module's account: its key is the module's

    visit.get_by_label(re.compile(r"^Your wallet's passphrase")).fill("not my passphrase")
    visit.get_by_role("button", name="Move 4,000 coins into the allowance").click()
    refused = visit.locator(".allowance-fund .field-error")
    expect(refused).to_have_text("wrong passphrase", timeout=15_000)  # Argon2id takes a while
    visit.get_by_label(re.compile(r"^Your wallet's passphrase")).fill(PASSPHRASE)
    visit.get_by_role("button", name="Move 4,000 coins into the allowance").click()
    expect(visit.locator(".allowance-status")).to_contain_text(
        "Signed here and sent", timeout=15_000
    )
    for _ in range(60):  # held once a milestone confirms it (the devices may draw at once)
        visit.goto(demo.web_url + "/dashboard/energy")
        if _coins(visit, ".allowance-balance") + _coins(visit, ".allowance-paid") >= 4_000:
            break
        visit.wait_for_timeout(250)
    assert _coins(visit, ".allowance-balance") > 0
    assert _axe_violations(visit) == []

    visit.get_by_role("button", name=re.compile(r"^Revoke the allowance")).click()
    expect(visit.get_by_role("status").first).to_contain_text("it pays nothing more")
    expect(visit.locator("h3").first).to_contain_text("Revoked allowance")
    visit.locator(".allowance summary").click()  # what the devices drew, then the rest back
    back = visit.locator(".allowance li", has_text=f"coins back to {mine}")
    expect(back).to_have_count(1)
    assert (
        _coins(visit, ".allowance li", has=f"back to {mine}") + _coins(visit, ".allowance-paid")
        == 4_000
    )
    _nothing_secret_left(sent, demo, seed, identity)
    problems[:] = [p for p in problems if "status of 400" not in p]  # the refused cap


def _coins(page: Page, selector: str, has: str = "") -> int:
    """The first number of coins the element shows."""
    text = page.locator(selector, has_text=has).first.inner_text()
    found = re.match(r"([\d,]+) coins", text)
    assert found, text
    return int(found.group(1).replace(",", ""))


def _owner_of(page: Page, demo: EnergyDemo) -> str:
    """Alice's owner id at the user module: the owner of a device her page lists."""
    link = page.locator("#device-solar-roof a").first.get_attribute("href")
    assert link is not None
    device = demo.stack.owner.service.store.device(link.rsplit("/", 1)[1])
    assert device is not None
    return device.owner_id


def _nothing_secret_left(sent: list[str], demo: EnergyDemo, seed: Seed, who: Identity) -> None:
    assert any("/wallet/api/messages" in line for line in sent)
    secrets = [seed.to_bytes().hex(), who.signing.seed_bytes.hex(), PASSPHRASE]
    for secret in secrets:
        assert not [line for line in sent if secret in line], "a secret left the browser"
    raw = [seed.to_bytes(), who.signing.seed_bytes]
    for path in demo.root.rglob("*"):
        if path.is_file():
            content = path.read_bytes()
            assert not [s for s in raw if s in content or s.hex().encode() in content]
