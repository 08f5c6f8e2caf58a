"""The error table: every ledger error has a status, rejections are 400 or 422."""

from __future__ import annotations

import pytest

from plaza.api import STATUS_BY_ERROR, status_for
from plaza.api.errors import code_for, retry_after_s
from plaza.api.views import CONFLICT_NAMES, KIND_NAMES, STATE_NAMES
from plaza.clients.errors import (
    REJECTION_CODES,
    ApiError,
    InvalidRequestError,
    MessageRejectedError,
    NodeBusyError,
    NotFoundError,
    RateLimitedError,
    api_error,
)
from plaza.crypto import InvalidAddress
from plaza.ledger import errors
from plaza.ledger.model import ConfirmationState, Conflict, PayloadKind
from plaza.storage import StorageError


def _subclasses(cls: type[Exception]) -> list[type[Exception]]:
    found: list[type[Exception]] = []
    for sub in cls.__subclasses__():
        found += [sub, *_subclasses(sub)]
    return found


@pytest.mark.parametrize("cls", _subclasses(errors.MessageRejected), ids=lambda c: c.__name__)
def test_every_rejection_is_a_400_or_422_listed_in_the_table(cls: type[Exception]) -> None:
    assert cls in STATUS_BY_ERROR, f"{cls.__name__} falls back to its parent's status"
    assert STATUS_BY_ERROR[cls] in {400, 422}


def test_retryable_errors_carry_whole_seconds() -> None:
    limited = errors.PowRateLimited(0.2)
    held = errors.HeldLimitReached(10)

    assert (status_for(limited), retry_after_s(limited)) == (429, 1)
    assert retry_after_s(errors.PowRateLimited(2.01)) == 3
    assert status_for(held) == 503
    assert retry_after_s(held) is not None


def test_other_errors_and_their_codes() -> None:
    assert (status_for(errors.NotFound("x")), code_for(errors.NotFound("x"))) == (404, "not_found")
    bad = InvalidAddress("bad checksum")
    assert (status_for(bad), code_for(bad)) == (400, "invalid_address")
    assert (status_for(StorageError("x")), code_for(StorageError("x"))) == (
        503,
        "storage_unavailable",
    )
    assert status_for(errors.LedgerError("x")) == 500
    assert (status_for(ValueError("x")), code_for(ValueError("x"))) == (500, "internal_error")


def test_client_sorts_codes_into_classes() -> None:
    assert errors.InvalidSignature.code in REJECTION_CODES
    assert errors.NotFound.code not in REJECTION_CODES
    cases: list[tuple[int, str, type[ApiError]]] = [
        (400, "malformed_message", MessageRejectedError),
        (422, "insufficient_pow", MessageRejectedError),
        (400, "invalid_request", InvalidRequestError),
        (400, "invalid_address", InvalidRequestError),
        (404, "not_found", NotFoundError),
        (429, "pow_rate_limited", RateLimitedError),
        (503, "held_limit_reached", NodeBusyError),
        (502, "http_502", ApiError),
    ]
    for status, code, cls in cases:
        assert type(api_error(status, code, "m", None)) is cls


def test_every_enum_member_has_an_api_name() -> None:
    assert set(CONFLICT_NAMES) == set(Conflict)
    assert set(STATE_NAMES) == set(ConfirmationState)
    assert set(KIND_NAMES) == set(PayloadKind)
