"""The energy modules' reply convention: a refusal is ``{"success": false, "error", "code"}``
with the error's status, and ``"details"`` when the error has any."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pytest
from fastapi import APIRouter, FastAPI

from plaza.api.energy.replies import install_replies, json_object, post_route
from plaza.api.serving import ThreadedServer
from plaza.energy.errors import EnergyError, EnergyForbidden, InvalidMessage, WrongState


def refuse_with(error: EnergyError) -> Callable[[bytes], None]:
    def handle(body: bytes) -> None:
        raise error

    return handle


def module_app() -> FastAPI:
    app = FastAPI()
    install_replies(app)
    router = APIRouter()
    post_route(router, "/ok", lambda body: {"echo": json_object(body)}, summary="ok", sealed=False)
    dead = WrongState(
        "offer:o1 is no longer open (cancelled)",
        details={
            "dead": ["offer:o1", "request:r1"],
            "hint": "ask again",
        },
    )
    post_route(router, "/dead", refuse_with(dead), summary="dead", sealed=False)
    post_route(
        router, "/plain", refuse_with(EnergyForbidden("not yours")), summary="plain", sealed=False
    )
    app.include_router(router)
    return app


@pytest.fixture(scope="module")
def client() -> Iterator[httpx.Client]:
    with ThreadedServer(module_app()) as server, httpx.Client(base_url=server.url) as http:
        yield http


def test_a_refusal_with_details_carries_them_in_its_reply(client: httpx.Client) -> None:
    response = client.post("/dead", content=b"{}")
    assert response.status_code == 409
    assert response.json() == {
        "success": False,
        "error": "offer:o1 is no longer open (cancelled)",
        "code": "wrong_state",
        "details": {"dead": ["offer:o1", "request:r1"], "hint": "ask again"},
    }


def test_a_refusal_without_details_has_no_details_key(client: httpx.Client) -> None:
    response = client.post("/plain", content=b"{}")
    assert response.status_code == 403
    assert response.json() == {"success": False, "error": "not yours", "code": "forbidden"}


def test_a_body_that_is_not_json_is_refused_without_details(client: httpx.Client) -> None:
    response = client.post("/ok", content=b"[1]")
    assert response.status_code == 400
    assert response.json() == {
        "success": False,
        "error": "the body must be a JSON object",
        "code": InvalidMessage.code,
    }
    assert client.post("/ok", content=b'{"a": 1}').json() == {"success": True, "echo": {"a": 1}}


def test_an_errors_details_are_its_own_copy() -> None:
    dead = ["offer:o1"]
    error = WrongState("gone", details={"dead": dead})
    dead.append("request:r1")
    assert error.details == {"dead": ["offer:o1"]}
    assert WrongState("gone").details == {}
    with pytest.raises(TypeError):
        error.details["dead"] = []  # type: ignore[index]
