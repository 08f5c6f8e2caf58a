"""The web app over real HTTP: every route, the bad input a browser can send, the headers.

A real node (the module's, from conftest) and a book of 24 listings
(``web_server.py``) behind a real uvicorn server on loopback.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest
from node_server import RunningNode
from web_server import LISTINGS, PLACED, TRONDHEIM, RunningWeb, serve_web_app, web_book

from plaza.api.serving import ThreadedServer, bind_listener, listener_url
from plaza.clients.node import NodeClient
from plaza.crypto import SigningKey
from plaza.ledger.model import DataPayload
from plaza.web import SECURITY_HEADERS, WebSources, create_web_app


@pytest.fixture(scope="module")
def web(node: RunningNode) -> Iterator[RunningWeb]:
    with node.client() as client:
        genesis = client.milestone(1).message_id.hex()
    with serve_web_app(node.url, genesis) as running:
        yield running


@pytest.fixture
def http(web: RunningWeb) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=web.url, timeout=10) as client:
        yield client


def _message_id(http: httpx.Client) -> str:
    found = re.search(r"/explorer/messages/([0-9a-f]{64})", http.get("/explorer").text)
    assert found
    return found.group(1)


@pytest.mark.parametrize(
    ("path", "seen"),
    [
        ("/", "open offers"),
        ("/market", f"{LISTINGS} listings"),
        ("/market?vertical=energy&side=offer", "22 coins per kWh"),
        ("/market?kind=widgets&status=all", "units"),
        ("/market?per_page=10&page=3", "page 3 of 3"),
        ("/market?min_price=30&max_price=40", "30 coins per kWh"),
        ("/market?from=2000-01-01T00:00&until=2000-01-02T00:00", "No listing matches"),
        ("/market?q=ord-1", "ord-1"),
        ("/market/ord-2", "Digital twin"),
        ("/market/ord-1", "offer received"),
        ("/explorer", "Latest milestones"),
        ("/explorer/milestones/1", "milestone 1"),
        ("/docs", "node API"),
        ("/energy", "coins per kWh"),
        ("/market/map", "8 listings with a place"),
        ("/market/map?lat=63.43&lon=10.39&radius_km=50", "4 listings with a place"),
    ],
)
def test_every_page_answers_with_its_content_and_headers(
    http: httpx.Client, path: str, seen: str
) -> None:
    reply = http.get(path, follow_redirects=True)
    assert reply.status_code == 200, reply.text[-500:]
    assert reply.headers["content-type"].startswith("text/html")
    assert seen in reply.text
    for name, value in SECURITY_HEADERS.items():
        assert reply.headers[name] == value
    assert "<script>" not in reply.text, "no inline script: the CSP forbids it"
    assert 'style="' not in reply.text, "no inline style either"


def test_the_front_page_shows_each_vertical_that_trades_with_its_open_listings(
    http: httpx.Client,
) -> None:
    page = http.get("/").text
    cards = dict(re.findall(r'<h3 id="vertical-(\w+)"><a href="([^"]+)"', page))
    assert cards == {
        "energy": "/energy",
        "service": "/services",
        "stream": "/streams",
        "telco": "/telco",
    }, "the sensor agent's vertical trades no kind of its own, so it has no card"
    assert "in 4 verticals" in page
    energy_open = re.search(r'href="/market\?vertical=energy"><strong>(\d+)</strong>', page)
    assert energy_open
    assert int(energy_open.group(1)) > 0
    listed = http.get("/market?vertical=sensor")
    assert listed.status_code == 400, "no vertical named sensor is on the marketplace"


def test_energy_quantities_show_watt_hours_and_kilowatt_hours(http: httpx.Client) -> None:
    page = http.get("/market/ord-3").text
    assert "1,700 Wh (1.7 kWh)" in page
    assert "coins per kWh" in page


def test_a_message_page_links_its_parents_children_and_state(http: httpx.Client) -> None:
    message_id = _message_id(http)
    page = http.get(f"/explorer/messages/{message_id}").text
    assert "Parents" in page
    assert "Children" in page
    assert "confirmed" in page or "not confirmed yet" in page
    state = http.get(f"/explorer/messages/{message_id}/state")
    assert state.status_code == 200
    assert state.text.lstrip().startswith('<span id="state"')


def test_an_address_and_a_tag_have_their_pages(http: httpx.Client, node: RunningNode) -> None:
    address = str(node.faucet.public_key.address)
    page = http.get(f"/explorer/addresses/{address}")
    assert page.status_code == 200
    assert "coins" in page.text
    assert address in page.text
    tag = http.get("/explorer/tags", params={"tag": "no-such-tag"})
    assert tag.status_code == 200
    assert "No message carries this tag" in tag.text


def test_a_data_message_shows_its_text_and_its_tag_lists_it(
    http: httpx.Client, node: RunningNode
) -> None:
    with node.client() as client:
        payload = DataPayload(b"web-page-tag", b"hello from the web test <b>")
        sent = client.compose_and_submit(SigningKey.generate(), payload, pow=True)
        client.wait_for_confirmation(sent.id, timeout=10)
    page = http.get(f"/explorer/messages/{sent.id.hex()}").text
    assert "hello from the web test &lt;b&gt;" in page, "shown, and escaped"
    assert "confirmed by milestone" in page
    assert 'href="/explorer/tags?tag=web-page-tag"' in page
    tag = http.get("/explorer/tags", params={"tag": "web-page-tag"}).text
    assert sent.id.hex() in tag


def test_search_goes_to_the_page_of_what_it_was_given(http: httpx.Client) -> None:
    message_id = _message_id(http)
    for query, target in [
        (message_id, f"/explorer/messages/{message_id}"),
        ("1", "/explorer/milestones/1"),
        ("a tag", "/explorer/tags?tag=a+tag"),
    ]:
        reply = http.get("/explorer/search", params={"q": query})
        assert reply.status_code == 303
        assert reply.headers["location"].endswith(target)


def test_the_map_gets_its_markers_with_units_and_the_radius_applied(http: httpx.Client) -> None:
    everything = http.get("/market/map.json").json()["listings"]
    assert len(everything) == len(PLACED)
    near = http.get("/market/map.json?lat=63.43&lon=10.39&radius_km=50").json()["listings"]
    assert {listing["id"] for listing in near} == {
        f"ord-{n + 1}" for n, place in PLACED.items() if place == TRONDHEIM
    }
    assert all(listing["price"].endswith("coins per kWh") for listing in near)
    assert {"id", "side", "kind", "lat", "lon", "quantity", "price"} == set(near[0])


def test_htmx_gets_the_results_table_alone(http: httpx.Client) -> None:
    reply = http.get("/market?side=request", headers={"HX-Request": "true", "HX-Target": "results"})
    assert reply.status_code == 200
    assert reply.text.lstrip().startswith('<section id="results"')
    assert "<html" not in reply.text
    assert "HX-Target" in reply.headers["vary"]


def test_htmx_gets_a_bad_filter_as_the_tables_place_saying_why(http: httpx.Client) -> None:
    headers = {"HX-Request": "true", "HX-Target": "results"}
    reply = http.get("/market?min_price=9&max_price=1", headers=headers)
    assert reply.status_code == 400
    assert reply.text.lstrip().startswith('<section id="results"')
    assert 'role="alert"' in reply.text
    assert "max_price: must be at least min_price (9)" in reply.text


def test_verify_says_what_it_checked_and_what_did_not_hold(http: httpx.Client) -> None:
    """Without JavaScript, a page of its own; to htmx, the verdict alone for the listing's
    page. The fixed twin's contract state is unconfirmed, so the verdict is "not verified"."""
    page = http.get("/market/ord-1")
    assert 'action="/market/ord-1/verify"' in page.text
    full = http.get("/market/ord-1/verify")
    assert full.status_code == 200
    assert "<html" in full.text
    assert "Not verified: the ledger disagrees" in full.text
    assert "signed by solar-roof" in full.text
    assert "1 state read, 1 confirmed by a milestone" in full.text
    assert "state 1 (message 00ff) is unconfirmed" in full.text
    partial = http.get("/market/ord-1/verify", headers={"HX-Request": "true"})
    assert partial.text.lstrip().startswith('<section id="verification"')
    assert "<html" not in partial.text
    none = http.get("/market/ord-2/verify")
    assert none.status_code == 200
    assert "This listing has no twin this marketplace can check." in none.text
    assert 'action="/market/ord-2/verify"' not in http.get("/market/ord-2").text


def test_front_end_packages_are_served_from_node_modules(http: httpx.Client) -> None:
    for path in ["htmx.org/dist/htmx.min.js", "htmx-ext-sse/dist/sse.min.js"]:
        reply = http.get(f"/static/vendor/{path}")
        assert reply.status_code == 200, path
    assert http.get("/static/plaza/plaza.css").status_code == 200


def test_live_events_arrive_as_html_fragments(web: RunningWeb) -> None:
    """The node issues a milestone every 0.2 s: one arrives, relayed as an htmx fragment."""
    with (
        httpx.Client(base_url=web.url, timeout=10) as client,
        client.stream("GET", "/explorer/live") as stream,
    ):
        assert stream.headers["content-type"].startswith("text/event-stream")
        lines: list[str] = []
        for line in stream.iter_lines():
            lines.append(line)
            if line.startswith('data: <li class="live-milestone"'):
                break
    assert "event: milestone" in lines


BAD = [
    ("/market?page=0", 400, "page"),
    ("/market?page=999999", 404, "past the last page"),
    ("/market?page=99999999999999999999", 400, "page"),
    ("/market?page=abc", 400, "page"),
    ("/market?min_price=-5", 400, "min_price"),
    ("/market?min_price=7&max_price=2", 400, "max_price"),
    ("/market?vertical=gold", 400, "vertical"),
    ("/market?side=sideways", 400, "side"),
    ("/market?status=%00", 400, "status"),
    ("/market?from=tomorrow", 400, "from"),
    ("/market?until=2026-13-45T99:99", 400, "until"),
    ("/market?q=%3Cscript%3E", 400, "q"),
    ("/market?kind=" + "x" * 300, 400, "kind"),
    ("/market?per_page=1000000", 400, "per_page"),
    ("/market?lat=91&lon=0&radius_km=5", 400, "lat: must be from -90 to 90"),
    ("/market/map?lat=1&lon=1", 400, "give all three or none"),
    ("/market/map?radius_km=-1", 400, "radius_km"),
    ("/market/ord-999999", 404, "no listing"),
    ("/market/%E2%9C%93", 400, "listing id"),
    ("/market/" + "a" * 300, 400, "listing id"),
    ("/explorer/messages/xyz", 400, "64 hexadecimal"),
    ("/explorer/messages/" + "0" * 64, 404, "knows no message"),
    ("/explorer/messages/" + "0" * 64 + "/state", 404, "knows no message"),
    ("/explorer/milestones/99999999", 404, "knows no milestone"),
    ("/explorer/milestones/-1", 400, "milestone"),
    ("/explorer/milestones/" + "9" * 40, 400, "milestone"),
    ("/explorer/addresses/plz1nope", 400, "address"),
    ("/explorer/addresses/" + "x" * 500, 400, "address"),
    ("/explorer/tags?tag=", 400, "tag"),
    ("/explorer/tags?tag=" + "t" * 100, 400, "tag"),
    ("/explorer/tags?tag=a&cursor=-3", 400, "cursor"),
    ("/explorer/search?q=", 400, "give a message id"),
    ("/explorer/search?q=" + "q" * 200, 400, "at most 128"),
    ("/no/such/page", 404, "no such page"),
    ("/market/ord-999/verify", 404, "there is no listing ord-999"),
    ("/market/" + "x" * 200 + "/verify", 400, "up to 128 letters"),
    ("/static/plaza/../../app.py", 404, "no such page"),
]


@pytest.mark.parametrize(("path", "status", "says"), BAD)
def test_bad_input_gets_a_clear_message_and_a_4xx_page(
    http: httpx.Client, path: str, status: int, says: str
) -> None:
    reply = http.get(path)
    assert reply.status_code == status, reply.text[-800:]
    assert reply.headers["content-type"].startswith("text/html")
    assert says in reply.text
    assert 'role="alert"' in reply.text


def test_a_post_to_a_read_page_is_refused_with_a_page(http: httpx.Client) -> None:
    reply = http.post("/market", data={"x": "1"})
    assert reply.status_code == 405
    assert "Error 405" in reply.text


def test_a_node_that_does_not_answer_is_a_503_page_and_ends_the_live_stream() -> None:
    with bind_listener() as closed:
        dead = listener_url(closed)  # bound, never served: connections are refused once closed
    with NodeClient(dead, timeout=2) as node:
        app = create_web_app(WebSources(book=web_book(), node=node), verticals=())
        with ThreadedServer(app) as server, httpx.Client(base_url=server.url, timeout=10) as http:
            for path in ["/explorer", "/explorer/milestones/1", "/explorer/messages/" + "a" * 64]:
                reply = http.get(path)
                assert reply.status_code == 503, path
                assert "could not be asked" in reply.text
            assert http.get("/market").status_code == 200, "the book needs no node"
            live = http.get("/explorer/live")
            assert live.status_code == 200
            assert "event:" not in live.text
