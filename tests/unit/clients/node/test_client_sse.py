"""The client's event-stream parser, against the WHATWG rules the node relies on."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from plaza.clients.node import ServerSentEvent, parse_sse

_line = st.text(st.characters(exclude_characters="\r\n", exclude_categories=["Cs"]), max_size=20)


def _format(name: str, data_lines: list[str]) -> list[str]:
    return [f"event: {name}", *(f"data: {line}" for line in data_lines), ""]


@given(st.lists(st.tuples(_line.filter(bool), st.lists(_line, min_size=1, max_size=3)), max_size=5))
def test_formatted_events_parse_back(events: list[tuple[str, list[str]]]) -> None:
    lines = [line for name, data in events for line in _format(name, data)]

    parsed = list(parse_sse(lines))

    assert parsed == [ServerSentEvent(name, "\n".join(data)) for name, data in events]


def test_comments_fields_and_defaults() -> None:
    lines = [
        ": keepalive",
        "",
        "data:no-space",
        "id: 7",
        "retry: 100",
        "",
        "event: only-a-name",
        "",
        "event: milestone",
        "data",
        "",
    ]

    assert list(parse_sse(lines)) == [
        ServerSentEvent("message", "no-space", "7"),
        ServerSentEvent("milestone", "", "7"),
    ]


def test_an_unterminated_event_is_not_dispatched() -> None:
    assert list(parse_sse(["event: message", "data: {}"])) == []
