"""The allowance over real HTTP on ``plaza demo``: Alice grants the energy user module a
bounded allowance from ``/dashboard/energy``, her own wallet (a key the servers never see)
moves the cap into it, her devices are funded from it and never above its cap, and once
she revokes it, it pays nothing and what it held is back in her wallet.

Bad input and a form without the page's token change nothing. The demo runs in this
process (node, energy modules, market, web app on free ports).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from account_site import csrf_of, problem_beside

from plaza.adapters.ledger.remote import RemoteLedger
from plaza.bootstrap.energy_demo import EnergyDemo
from plaza.clients.node import NodeClient
from plaza.clock import SystemClock
from plaza.crypto import Address, SigningKey
from plaza.energy.errors import FundingRefused
from plaza.ledger.model import Output, TransferPayload

CAP = 5_000


def _until(check: Callable[[], bool], what: str, within_s: float = 30.0) -> None:
    """Wait for ``check()`` (a milestone must confirm a transfer first)."""
    deadline = time.monotonic() + within_s
    while not check():
        assert time.monotonic() < deadline, f"never: {what}"
        time.sleep(0.2)


def _pay(energy_demo: EnergyDemo, person: SigningKey, payee: str, amount: int) -> None:
    """The person's own wallet funded by the faucet, then paying ``amount`` to ``payee``."""
    with NodeClient(energy_demo.node_url) as client:
        ledger = RemoteLedger(client, clock=SystemClock())
        ledger.request_faucet(person.public_key.address)
        _until(lambda: ledger.balance(person.public_key.address).amount > 0, "the faucet")
        payload = TransferPayload((Output(Address.parse(payee).raw, amount),), b"", b"")
        ledger.submit(ledger.compose(person, payload).raw)


def _balance(energy_demo: EnergyDemo, address: str) -> int:
    with NodeClient(energy_demo.node_url) as client:
        return RemoteLedger(client, clock=SystemClock()).balance(Address.parse(address)).amount


def _text(http: httpx.Client) -> str:
    return http.get("/dashboard/energy").text


def _device(page: str) -> str:
    found = re.search(r'href="/dashboard/energy/devices/([^"]+)"', page)
    assert found
    return found.group(1)


def test_grant_fund_spend_within_the_cap_and_revoke(
    energy_demo: EnergyDemo, alice: httpx.Client
) -> None:
    page = alice.get("/dashboard/energy")
    assert page.status_code == 200
    assert "Grant an allowance" in page.text
    assert "wasm-unsafe-eval" in page.headers["content-security-policy"]
    token = csrf_of(page.text)
    person = SigningKey.generate()  # Alice's browser wallet: the servers never see it
    mine = str(person.public_key.address)

    forged = alice.post("/dashboard/energy/allowance", data={"csrf": "0" * 64, "cap": "5"})
    assert forged.status_code == 403
    bad_cap = alice.post("/dashboard/energy/allowance", data={"csrf": token, "cap": "lots"})
    assert bad_cap.status_code == 400
    assert problem_beside(bad_cap.text, "cap") == "Cap (coins): a whole number of coins above 0"
    bad_to = alice.post(
        "/dashboard/energy/allowance", data={"csrf": token, "cap": "5", "address": "plz1no"}
    )
    assert bad_to.status_code == 400
    assert "address is not a valid address" in problem_beside(bad_to.text, "address")
    assert "Active allowance" not in alice.get("/dashboard/energy").text  # nothing granted

    form = {"csrf": token, "cap": str(CAP), "address": mine}
    done = alice.post("/dashboard/energy/allowance", data=form)
    assert (done.status_code, done.headers["location"]) == (
        303,
        "/dashboard/energy?done=granted",
    )
    granted = alice.get(done.headers["location"])
    assert "Allowance granted: move its cap into it" in granted.text
    assert "5,000 coins</dd>" in granted.text.split("Cap")[1]
    assert alice.post("/dashboard/energy/allowance", data=form).status_code == 409
    account = re.search(r'class="wrap allowance-address">(plz1[^<]+)<', granted.text)
    assert account
    allowance = re.search(r'id="allowance-(al[0-9a-f]+)"', granted.text)
    assert allowance

    module = energy_demo.stack.owner.service
    device = _device(granted.text)
    found = module.store.device(device)
    assert found is not None
    owner_id = found.owner_id

    def view() -> dict[str, Any]:
        (only,) = module.allowances.allowances(owner_id)
        return only

    _pay(energy_demo, person, account.group(1), CAP)
    # held once confirmed; Alice's consumer devices may draw from it at once, so what it
    # holds and what it paid make up the cap
    _until(lambda: (view()["balance"] or 0) + view()["paid"] >= CAP, "the allowance holds")
    module.fund_device(owner_id, device, 3_000)  # the module pays for Alice: from the allowance
    paid = view()["paid"]
    assert paid >= 3_000
    with pytest.raises(FundingRefused) as over:
        module.fund_device(owner_id, device, CAP - paid + 1)
    assert over.value.details["rule"] == "allowance_cap"
    shown = re.search(
        r'allowance-paid">([\d,]+) coins \(([\d,]+) coins of the cap left', _text(alice)
    )
    assert shown
    assert int(shown.group(1).replace(",", "")) >= 3_000
    assert sum(int(n.replace(",", "")) for n in shown.groups()) == CAP

    revoked = alice.post(
        f"/dashboard/energy/allowance/{allowance.group(1)}/revoke",
        data={"csrf": token},
        follow_redirects=True,
    )
    assert revoked.status_code == 200
    assert "Allowance revoked: it pays nothing more" in revoked.text
    assert "Revoked allowance" in revoked.text
    back = re.search(rf"([\d,]+) coins back to {mine}", revoked.text)
    assert back
    with pytest.raises(FundingRefused) as stopped:
        module.fund_device(owner_id, device, 1)
    assert stopped.value.details["rule"] == "allowance_revoked"
    _until(lambda: _balance(energy_demo, account.group(1)) == 0, "the rest back")
    assert view()["paid"] + int(back.group(1).replace(",", "")) == CAP  # nothing lost
    assert "Grant an allowance" in _text(alice)  # a new one may be granted


def test_revoking_someone_elses_or_no_allowance_is_a_404(alice: httpx.Client) -> None:
    token = csrf_of(alice.get("/dashboard/energy").text)
    answer = alice.post("/dashboard/energy/allowance/al-nobody/revoke", data={"csrf": token})
    assert answer.status_code == 404
    assert "no allowance" in answer.text
