"""The dashboard in a real browser (issue 11, item 6): two people, each with a wallet made in
their browser, register its key with a real marketplace, one offers energy, the other
requests it, sees the match, places the order from it, and both watch the contract settle
live (the marketplace's event stream, relayed), the consumer paying from the browser.

Every marketplace call is signed in the page (``static/dashboard/signing.js``); the
browser's canonical request and registration are held here against Python's
:func:`~plaza.market.auth.sign_request` and :func:`~plaza.market.auth.sign_registration`
byte for byte, the published vector of ``tests/unit/market/auth`` among them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from market_server import serve_market
from node_server import node_settings, serve_node
from playwright.sync_api import Browser, Page, expect
from test_web_accessibility import AXE
from web_server import RunningWeb, memory_accounts, serve_web_app

from plaza.bootstrap import SystemClock
from plaza.crypto import EncryptionPublicKey, Identity, PublicKey, Seed, SigningKey
from plaza.market.auth import Role, sign_registration, sign_request
from plaza.market.auth.registration import Registration
from plaza.testing import FakeClock

PASSWORD = "a dashboard's long password"
PASSPHRASE = "a long wallet passphrase"
SEED = bytes(range(32))
BOB = Seed(bytes(range(140, 172)))  # Bob's wallet, restored from its words


@pytest.fixture(scope="module")
def trading(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningWeb]:
    """A node, a marketplace recording on it, and the web app relaying to the marketplace."""
    accounts = memory_accounts(SystemClock())
    with (
        serve_node(node_settings(tmp_path_factory.mktemp("node"))) as node,
        serve_market(tmp_path_factory.mktemp("market"), node_url=node.url) as market,
    ):
        with node.client() as client:
            genesis = client.milestone(1).message_id.hex()
        with serve_web_app(node.url, genesis, accounts=accounts, market_url=market.url) as web:
            yield web


def _axe_violations(page: Page) -> list[tuple[Any, Any]]:
    """axe-core's WCAG 2 A and AA rules on the page as it is (its event stream stays open,
    so the page never goes network-idle: test_web_accessibility's waits for that)."""
    page.evaluate(AXE.read_text())
    results: dict[str, Any] = page.evaluate(
        "async () => await axe.run(document, {runOnly: ['wcag2a', 'wcag2aa', 'wcag21aa']})"
    )
    assert results["passes"], "axe ran its rules"
    return [(v["id"], [node["target"] for node in v["nodes"]][:3]) for v in results["violations"]]


def _in_browser(page: Page, script: str, arg: object) -> Any:
    """``script`` with ``g`` (signing.js), ``p`` (protocol.js), ``s`` (libsodium) and ``arg``."""
    return page.evaluate(
        "async (arg) => { const g = await import('/static/plaza/dashboard/signing.js');"
        " const p = await import('/static/plaza/wallet/protocol.js');"
        " const s = window.sodium; await s.ready; " + script + " }",
        arg,
    )


def test_the_browser_signs_requests_and_registrations_as_the_market_checks_them(
    visit: Page, trading: RunningWeb
) -> None:
    visit.goto(trading.url + "/wallet")  # a page with libsodium loaded
    keys = "const k = s.crypto_sign_seed_keypair(Uint8Array.from(arg.seed));"
    # the published vector: key 0x01 * 32, nonce 0 * 16, a query to sort and a path to encode
    vector = _in_browser(
        visit,
        keys + "return g.signRequest(s, k, {audience: 'plaza-test-market', method: 'post',"
        " path: '/offers/new%20one', query: 'b=2&a=x+y&a=1',"
        " body: new TextEncoder().encode('{\"energyAmount\":250}'),"
        " timestampMs: 1767225600000, nonce: '00'.repeat(16)});",
        {"seed": [1] * 32},
    )
    expected = sign_request(
        SigningKey(bytes([1]) * 32),
        audience="plaza-test-market",
        method="post",
        path="/offers/new%20one",
        query="b=2&a=x+y&a=1",
        body=b'{"energyAmount":250}',
        clock=FakeClock(1_767_225_600_000),
        nonce="00" * 16,
    )
    assert vector == expected
    assert vector["X-Plaza-Signature"].startswith("2facc4e89f0a26bd")  # the unit test's vector
    # a path and a query with what needs escaping, signed by another key
    awkward = {"path": "/api/v1/market/orders/ord-1/é x", "query": "z=é&y=a+b&y=&x"}
    browser = _in_browser(
        visit,
        keys + "return g.signRequest(s, k, {audience: 'plz1market', method: 'GET',"
        " path: arg.path, query: arg.query, timestampMs: 5, nonce: 'ab'.repeat(16)});",
        {"seed": list(SEED), **awkward},
    )
    python = sign_request(
        SigningKey(SEED),
        audience="plz1market",
        method="GET",
        clock=FakeClock(5),
        nonce="ab" * 16,
        path=awkward["path"],
        query=awkward["query"],
    )
    assert browser == python
    registration = _in_browser(
        visit,
        keys + "return g.signRegistration(s, k, {audience: 'plz1market', displayName: 'Ada',"
        " roles: ['provider', 'consumer'], issuedAtMs: 7});",
        {"seed": list(SEED)},
    )
    key = SigningKey(SEED)
    made = Registration(
        key.public_key,
        EncryptionPublicKey(bytes.fromhex(registration["encryption_key"])),
        "Ada",
        frozenset({Role.PROVIDER, Role.CONSUMER}),
        7,
    )
    assert registration["signing_key"] == key.public_key.raw.hex()
    assert registration["roles"] == ["consumer", "provider"]
    assert bytes.fromhex(registration["signature"]) == key.sign(made.canonical("plz1market"))
    signed = sign_registration(
        key,
        made.encryption_key,
        display_name="Ada",
        roles=made.roles,
        audience="plz1market",
        clock=FakeClock(7),
    )
    assert signed.signature.hex() == registration["signature"]
    assert PublicKey(bytes.fromhex(registration["signing_key"])) == key.public_key


def _person(page: Page, url: str, email: str, *, words: str = "", funded: bool = False) -> None:
    """Sign up, make a wallet in the browser (from ``words`` if given; funded from the
    faucet), open the dashboard, unlock the wallet there and register its key with the
    marketplace."""
    page.goto(url + "/signup")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password again").fill(PASSWORD)
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your account")
    page.goto(url + "/wallet")
    if words:
        page.get_by_label("Recovery words").fill(words)
        page.get_by_label("New passphrase (at least 10 characters)").fill(PASSPHRASE)
        page.get_by_role("button", name="Restore", exact=True).click()
    else:
        page.get_by_label("Passphrase (at least 10 characters)", exact=True).fill(PASSPHRASE)
        page.get_by_label("The passphrase again").fill(PASSPHRASE)
        page.get_by_role("button", name="Create a wallet").click()
        page.get_by_role("button", name="I have written them down").click()
    if funded:
        page.get_by_role("button", name="Get coins from the devnet faucet").click()
        balance = page.locator("#wallet-balance")
        expect(balance).to_have_text(re.compile(r"^[1-9][0-9,]* coins$"), timeout=15_000)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Dashboard").click()
    page.get_by_label("Wallet passphrase").fill("not the passphrase")
    page.get_by_role("button", name="Unlock").click()
    expect(page.locator("#unlock-passphrase-error")).to_have_text("wrong passphrase")
    page.get_by_label("Wallet passphrase").fill(PASSPHRASE)
    page.get_by_role("button", name="Unlock").click()
    name = page.get_by_label("Name shown to the marketplace")
    expect(name).to_have_value(email.split("@", maxsplit=1)[0])
    page.get_by_role("button", name="Register with the marketplace").click()
    expect(page.locator("#participant-id")).to_have_text(re.compile(r"^plz1"))
    expect(page.locator("#live")).to_have_text("(live updates: on)")


def _register_asset(page: Page) -> str:
    """A solar roof registered with the marketplace (a name first forgotten)."""
    register = page.get_by_role("button", name="Sign and register the asset")
    register.click()
    expect(page.locator("#asset-name-error")).to_have_text("a name of 1 to 256 characters")
    page.get_by_label("Name (a solar panel, a charger…)").fill("solar roof")
    register.click()
    status = page.locator("#dash-status")
    expect(status).to_contain_text("registered: name it in your offers")
    found = re.search(r"Asset (ast-\d+)", status.inner_text())
    assert found is not None
    return found.group(1)


def _place(page: Page, side: str, quantity: str, price: str) -> str:
    page.get_by_label("I want to").select_option(side)
    page.get_by_label("Energy (Wh)").fill(quantity)
    page.get_by_label("Price (coins per kWh)").fill(price)
    page.get_by_role("button", name="Sign and place").click()
    status = page.locator("#dash-status")
    expect(status).to_contain_text("is on the market")
    found = re.search(r"(ord-\d+)", status.inner_text())
    assert found is not None
    return found.group(1)


def _no_secret_left(sent: list[str], tmp_path_factory: pytest.TempPathFactory) -> None:
    """Bob registered, ordered, confirmed and paid, all signed by his wallet's key: no request
    his browser made carried his seed, his key or his passphrase, and no file the servers
    wrote (the node's and the marketplace's databases among them) holds the seed or the key."""
    key = Identity.from_seed(BOB).signing
    assert any("/dashboard/market/api/v1/market/contracts/" in line for line in sent)
    for secret in (BOB.to_bytes().hex(), key.seed_bytes.hex(), PASSPHRASE):
        assert not [line for line in sent if secret in line], "a secret left the browser"
    raw = [BOB.to_bytes(), key.seed_bytes]
    files = [path for path in tmp_path_factory.getbasetemp().rglob("*") if path.is_file()]
    assert any(path.suffix == ".sqlite3" for path in files)
    for path in files:
        content = path.read_bytes()
        assert not [s for s in raw if s in content or s.hex().encode() in content], path


def _phase(page: Page, contract: str) -> Any:
    return page.locator(f"#contract-{contract} td.phase")


def _find_and_verify(page: Page, contract: str) -> None:
    """The contracts' filter, search and pages; a contract checked against the ledger in the
    page; the chart of it."""
    page.get_by_label("Settlement").select_option("Fulfilled")
    expect(page.locator("#contracts-page")).to_have_text("Page 1 of 1 (1 contract)")
    page.get_by_label("Settlement").select_option("Payment requested")
    expect(page.locator("#contracts-empty")).to_have_text("No contract matches the filter.")
    page.get_by_label("Settlement").select_option("")
    page.get_by_label("Contract id").fill("mat-none")
    expect(page.locator("#contracts-page")).to_have_text("Page 1 of 1 (0 contracts)")
    page.get_by_label("Contract id").fill(contract)
    page.get_by_label("Matched since (UTC)").fill("2000-01-01")
    expect(page.locator(f"#contract-{contract}")).to_be_visible()
    page.get_by_role("button", name=f"Details of {contract}").click()
    page.get_by_role("button", name=f"Verify {contract} against the ledger").click()
    checks = page.locator(f"#details-{contract} .checks li.check-ok")
    expect(checks).to_have_count(2)
    expect(checks.first).to_have_text(
        "The marketplace's signature over the terms holds (its published key)."
    )
    expect(checks.nth(1)).to_contain_text("confirmed at milestone")
    expect(checks.nth(1)).to_contain_text("paying 40 coins of the 40 due")
    plotted = page.evaluate(
        "() => Chart.getChart('contracts-chart').data.datasets.map((d) => [d.label, d.data])"
    )
    assert plotted == [
        ["sold (Wh)", [0]],
        ["bought (Wh)", [2000]],
        ["revenue (coins, running)", [0]],
        ["price (coins per kWh)", [20]],
    ]


def _change_and_remove(page: Page, request: str) -> None:
    """What is left of the request changed (a new order replacing it), then disabled,
    enabled and removed."""
    row = page.locator(f"#order-{request}")
    expect(row).to_contain_text("1,000 of 3,000 Wh")
    page.get_by_role("button", name=f"Change {request}").click()
    expect(page.get_by_label("Energy (Wh)")).to_have_value("1000")
    page.get_by_label("Price (coins per kWh)").fill("30")
    page.get_by_role("button", name=f"Sign and replace {request}").click()
    status = page.locator("#dash-status")
    expect(status).to_contain_text(f"It replaces {request}, removed.")
    expect(row).to_contain_text("removed")
    found = re.search(r"request (ord-\d+) is on the market", status.inner_text())
    assert found is not None
    changed = found.group(1)
    expect(page.locator(f"#order-{changed}")).to_contain_text("30 coins per kWh")
    page.get_by_role("button", name=f"Disable {changed}").click()
    expect(page.locator(f"#order-{changed}")).to_contain_text("disabled")
    page.get_by_role("button", name=f"Enable {changed}").click()
    expect(page.locator(f"#order-{changed}")).to_contain_text("active")
    page.get_by_role("button", name=f"Remove {changed}").click()
    expect(page.locator(f"#order-{changed}")).to_contain_text("removed")


def test_offer_and_request_see_the_match_place_the_order_and_watch_it_settle_live(
    visit: Page,
    browser: Browser,
    trading: RunningWeb,
    problems: list[str],
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    alice = visit
    _person(alice, trading.url, "alice@example.org")
    asset = _register_asset(alice)
    alice.get_by_label("Asset it comes from or goes to (optional)").select_option(asset)
    offer = _place(alice, "offer", "2000", "20")
    expect(alice.locator(f"#order-{offer}")).to_contain_text("2,000 of 2,000 Wh")

    context = browser.new_context(viewport={"width": 1280, "height": 900})
    bob = context.new_page()
    bob.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    sent: list[str] = []

    def record(request: Any) -> None:
        body = request.post_data_buffer or b""
        sent.append(f"{request.url} {request.headers} {body.hex()} {body!r}")

    bob.on("request", record)
    try:
        _person(bob, trading.url, "bob@example.org", words=BOB.to_mnemonic(), funded=True)
        bob.get_by_label("I want to").select_option("request")
        bob.get_by_label("Energy (Wh)").fill("lots")
        bob.get_by_role("button", name="Sign and place").click()
        expect(bob.locator("#order-energy-quantity-error")).to_have_text(
            "a whole number, at least 1"
        )
        assert _axe_violations(bob) == []  # the problem beside its field, named by it
        request = _place(bob, "request", "3000", "25")  # more than the offer: no match at once
        bob.get_by_role("button", name=f"Find matches for {request}").click()
        expect(bob.locator("#matches-summary")).to_have_text(
            f"Match found: 1 counterpart for {request}, best first."
        )
        expect(bob.locator("#matches-body")).to_contain_text("2,000 Wh")
        assert _axe_violations(bob) == []  # orders, their buttons and the matches
        bob.get_by_role("button", name=f"Place the order with {offer}").click()
        status = bob.locator("#dash-status")
        expect(status).to_contain_text("Order placed: contract")
        found = re.search(r"contract (\S+) with", status.inner_text())
        assert found is not None
        contract = found.group(1)
        expect(_phase(bob, contract)).to_have_text("Contract created")
        # Alice's page learns of it without being reloaded: the event stream
        expect(_phase(alice, contract)).to_have_text("Contract created", timeout=10_000)
        alice.get_by_role("button", name=f"Report delivery of {contract}").click()
        expect(_phase(bob, contract)).to_have_text("Energy provision finished", timeout=10_000)
        alice.get_by_role("button", name=f"Ask for payment of {contract}").click()
        expect(_phase(bob, contract)).to_have_text("Payment requested", timeout=10_000)
        bob.get_by_role("button", name=f"Pay 40 coins for {contract}").click()
        expect(status).to_contain_text(f"Paid 40 coins for {contract}, signed here")
        # the marketplace's round confirms the payment once a milestone does (a loaded
        # machine makes that slow)
        expect(_phase(alice, contract)).to_have_text("Fulfilled", timeout=45_000)
        expect(_phase(bob, contract)).to_have_text("Fulfilled", timeout=10_000)
        expect(alice.locator("#wallet-balance")).to_have_text("40 coins", timeout=10_000)
        expect(bob.locator(f"#contract-{contract}")).to_contain_text("the payment on the ledger")
        history = bob.locator("#wallet-history tr")  # the faucet's grant and the payment
        expect(history.first).to_contain_text(re.compile(r"-40 coins.*confirmed \(milestone \d+\)"))
        expect(history).to_have_count(2)
        expect(alice.locator(f"#asset-{asset}")).to_contain_text("40 coins")
        alice.get_by_role("button", name=f"History of {asset}").click()
        history = alice.locator("#asset-history-list")
        expect(history.locator("li").first).to_contain_text(
            re.compile(r"^Version 1: registered .* UTC, .*, active\.$")
        )  # every state the marketplace recorded, from its registration on
        expect(history).to_contain_text(f"contract {contract} ({offer}): 40 coins, Fulfilled")
        expect(history).to_contain_text("Revenue from its orders' contracts: 40 coins.")
        assert _axe_violations(alice) == []  # the contracts' table, the asset's history
        _find_and_verify(bob, contract)
        _change_and_remove(bob, request)
    finally:
        context.close()
    _no_secret_left(sent, tmp_path_factory)
    # each page asked the marketplace who it is before registering: 401, unknown participant
    assert [p for p in problems if "status of 401" in p] == [problems[0]] * 2
    problems.clear()
