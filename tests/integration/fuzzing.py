"""Schemathesis over a served API: every operation of its OpenAPI document, bounded.

:func:`fuzz_api` loads the document a running server publishes, and for each
operation draws a few requests that fit the schema and a few that do not
(Schemathesis' positive and negative generation), sends them over real HTTP and
checks each answer: no 5xx, and the body matches the operation's documented
response. Hypothesis is derandomized (the same cases on every run and machine,
so CI never flakes) and does not shrink (a failure is reported as found); the
failures of every operation are gathered, so one run names them all.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable

import httpx
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import response_schema_conformance

__all__ = ["Sealer", "fuzz_api"]

#: Seals a body to the server (the market's ``seal_body`` with its key).
Sealer = Callable[[bytes], bytes]

#: A peer's failure an API reports (502: the energy user module could not reach a device
#: at the URL it was given), not a fault of the server's own.
PEER_FAILED = 502


@schemathesis.check
def not_a_server_fault(
    ctx: object, response: schemathesis.Response, case: schemathesis.Case
) -> None:
    """No 5xx but a documented 502: every input is answered with the API's own refusal."""
    if response.status_code >= 500 and response.status_code != PEER_FAILED:
        raise AssertionError(
            f"{case.operation.label}: {response.status_code} {response.text[:300]}"
        )


CHECKS = [not_a_server_fault, response_schema_conformance]
#: Streams never end by themselves: they are tested on their own.
STREAMS = r".*/(events|live)$"


def fuzz_api(
    url: str,
    *,
    examples: int = 8,
    headers: dict[str, str] | None = None,
    skip: str = STREAMS,
    seal: Sealer | None = None,
) -> list[str]:
    """The failures found on the API served at ``url`` (empty when it held). With ``seal``,
    each generated JSON body is also sent sealed by it, and as an ``{"encrypted": ...}``
    that opens to nothing: neither may get a 5xx."""
    schema = schemathesis.openapi.from_url(url + "/openapi.json").exclude(path_regex=skip)
    failures: list[str] = []
    bounded = settings(
        max_examples=examples,
        derandomize=True,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    for result in schema.get_all_operations():
        operation = result.ok()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            check = _checker(url, headers, seal)
            test = bounded(given(case=operation.as_strategy(generation_mode=mode))(check))
            try:
                test()
            except Unsatisfiable:
                pass  # no input to get wrong (an operation without parameters or body)
            except Exception as error:  # a failed check, reported with its operation
                failures.append(f"{operation.label} ({mode}): {str(error)[:600]}")
    return failures


def _checker(
    url: str, headers: dict[str, str] | None, seal: Sealer | None
) -> Callable[[schemathesis.Case], None]:
    def check(case: schemathesis.Case) -> None:
        case.call_and_validate(base_url=url, headers=headers, checks=CHECKS, timeout=10)
        if seal is not None and isinstance(case.body, dict | list):
            _send_sealed(case, url, headers, seal)

    return check


def _send_sealed(
    case: schemathesis.Case, url: str, headers: dict[str, str] | None, seal: Sealer
) -> None:
    """The case's body sealed, then a sealed body that is not one: never a 5xx."""
    request = case.as_transport_kwargs(base_url=url, headers=headers)
    plain = json.dumps(case.body).encode()
    noise = base64.b64encode(hashlib.sha512(plain).digest()).decode()
    for content in (seal(plain), json.dumps({"encrypted": noise}).encode()):
        answer = httpx.request(
            request["method"],
            request["url"],
            params=request.get("params"),
            headers={**request.get("headers", {}), "content-type": "application/json"},
            content=content,
            timeout=10,
        )
        assert answer.status_code < 500, (case.operation.label, answer.text[:300])
