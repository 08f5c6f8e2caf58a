"""What a provider's dashboard rests on: the owner named in the signed description, and
the failure report (the reasons of refunded calls, tallied) its provider files."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_services_domain import description
from typer.testing import CliRunner

from plaza.channels import Descriptor
from plaza.services import InvalidDescription, ProviderState
from plaza.services.commands import service_app
from plaza.services.description import ServiceDescription
from plaza.services.provider import ProviderHome
from plaza.services.provider.book import Call
from plaza.services.report import (
    MAX_REASONS,
    REASON_CHARS,
    FailureReport,
    decode_report,
    encode_report,
)

OWNER = "usr_0123456789abcdef"


def test_the_owner_rides_in_the_record_and_the_announcement() -> None:
    owned = description(owner=OWNER)
    assert ServiceDescription.decode(owned.encode()) == owned
    announced = ServiceDescription.from_descriptor_fields(owned.descriptor_fields())
    assert announced.owner == OWNER
    assert owned.retire().owner == OWNER


def test_an_unowned_description_encodes_without_an_owner_field() -> None:
    unowned = description()
    assert "owner" not in unowned.to_json()
    assert Descriptor.of(unowned.descriptor_fields()).get("owner") is None
    assert ServiceDescription.decode(unowned.encode()).owner == ""


@pytest.mark.parametrize("owner", ["alice", "usr_0123", "usr_0123456789ABCDEF", 5])
def test_an_owner_that_is_not_a_user_id_is_refused(owner: object) -> None:
    with pytest.raises(InvalidDescription, match="owner"):
        description(owner=owner)
    with pytest.raises(InvalidDescription, match="owner"):
        ServiceDescription.from_json({**description().to_json(), "owner": owner})


def test_a_report_merges_cut_reasons_and_keeps_the_most_frequent() -> None:
    long = "x" * (REASON_CHARS + 50)
    tally = [(long, 3), ("x" * REASON_CHARS, 1), ("rare", 1)]
    tally += [(f"reason {n}", 3) for n in range(MAX_REASONS)]
    report = FailureReport.of(7, tally)
    assert len(report.reasons) == MAX_REASONS
    assert report.reasons[0] == ("x" * REASON_CHARS, 4)  # cut to one reason, merged
    assert ("rare", 1) not in report.reasons  # the least frequent left out
    assert report.failed == 4 + 3 * (MAX_REASONS - 1)


reasons = st.lists(
    st.tuples(st.text(max_size=REASON_CHARS), st.integers(min_value=1, max_value=2**40)),
    max_size=MAX_REASONS + 5,
)


@given(st.integers(min_value=0, max_value=2**62), reasons)
def test_a_report_decodes_to_what_was_encoded(at_ms: int, tally: list[tuple[str, int]]) -> None:
    report = FailureReport.of(at_ms, tally)
    assert decode_report(encode_report(report)) == report


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\x02{}",
        b"\x01{",
        b'\x01{"at_ms":1}',
        b'\x01{"at_ms":"1","reasons":[]}',
        b'\x01{"at_ms":1,"reasons":[["a",0]]}',
        b'\x01{"at_ms":1,"reasons":[[1,1]]}',
        b'\x01{"at_ms":1,"reasons":[["a",true]]}',
        b'\x01{"at_ms":1,"reasons":[["a",1,2]]}',
        b'\x01{"at_ms":1,"reasons":[["' + b"a" * (REASON_CHARS + 1) + b'",1]]}',
        b'\x01{"at_ms":1,"reasons":' + str([["a", 1]] * (MAX_REASONS + 1)).encode() + b"}",
        b"\x01[]",
    ],
)
def test_anything_else_is_not_a_report(data: bytes) -> None:
    with pytest.raises(InvalidDescription):
        decode_report(data.replace(b"'", b'"'))


def test_the_book_tallies_the_refunded_calls_by_reason(tmp_path: Path) -> None:
    book = ProviderHome(tmp_path / "provider").book()
    try:
        for n, (reason, refunded) in enumerate(
            [("no road", True), ("no road", True), ("bad image", True), ("slow", False)]
        ):
            call = Call(
                bytes([n]) * 32, None, ProviderState.ACCEPTED, 3, 99, None, None, "", None, None, 1
            )
            assert book.take(call)
            failing = book.move(call, "failure", 2, detail=reason)
            if refunded:
                book.move(failing, "settle", 3)
        assert sorted(book.failure_reasons()) == [("bad image", 1), ("no road", 2)]
    finally:
        book.close()


def test_plaza_service_run_refuses_an_owner_that_is_not_a_user_id() -> None:
    result = CliRunner().invoke(service_app, ["run", "nowhere:nothing", "--owner", "alice"])
    assert result.exit_code == 2
    assert "is not a user id" in result.output
