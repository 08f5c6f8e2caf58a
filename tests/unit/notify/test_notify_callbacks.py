"""Callback URLs and SSRF: which addresses webhooks may go to, checked at registration, and
nothing stored when refused."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

import pytest

from plaza.jobs import InlineQueue
from plaza.notify import (
    CallbackPolicy,
    InvalidSubscription,
    MemorySubscriptionStore,
    NotificationHub,
    refused_because,
)
from plaza.testing import FakeClock

PUBLIC = "93.184.216.34"


def resolving(table: dict[str, Sequence[str]]) -> CallbackPolicy:
    """A policy whose DNS is ``table`` (a missing name does not resolve)."""

    def resolve(host: str, port: int) -> Sequence[str]:
        if host not in table:
            raise OSError(f"[Errno -2] Name or service not known: {host}")
        return table[host]

    return CallbackPolicy(resolver=resolve)


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("127.0.0.1", "loopback"),
        ("::1", "loopback"),
        ("0.0.0.0", "unspecified"),
        ("::", "unspecified"),
        ("10.1.2.3", "private"),
        ("172.16.0.9", "private"),
        ("192.168.1.1", "private"),
        ("fc00::1", "private"),
        ("169.254.169.254", "link-local"),
        ("fe80::1", "link-local"),
        ("224.0.0.1", "multicast"),
        ("ff02::1", "multicast"),
        ("::ffff:127.0.0.1", "loopback"),
        ("::ffff:10.0.0.1", "private"),
        ("100.64.0.1", "*"),
        ("240.0.0.1", "*"),  # shared, reserved: refused, named by Python
        (PUBLIC, None),
        ("2606:2800:220:1:248:1893:25c8:1946", None),
    ],
)
def test_addresses_are_judged(address: str, reason: str | None) -> None:
    found = refused_because(ipaddress.ip_address(address))
    assert found == reason or (reason == "*" and found is not None)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/cb",
        "http://[::1]/cb",
        "http://localhost/cb",
        "http://169.254.169.254/latest/meta-data/",
        "https://10.0.0.5/hook",
        "http://0.0.0.0:80/",
        "http://[::ffff:192.168.0.1]/",
        "http://intranet.example/",
        "http://mixed.example/",
        "http://nowhere.example/",
        "ftp://hooks.example/",
        "file:///etc/passwd",
        "gopher://hooks.example/",
    ],
)
def test_private_and_unresolvable_callbacks_are_refused(url: str) -> None:
    policy = resolving(
        {
            "localhost": ["127.0.0.1", "::1"],
            "intranet.example": ["10.0.0.8"],
            "mixed.example": [PUBLIC, "192.168.1.7"],  # one private address is enough to refuse
        }
    )
    with pytest.raises(InvalidSubscription):
        policy.check(url)


def test_public_callbacks_pass_and_the_reason_is_clear() -> None:
    policy = resolving({"hooks.example": [PUBLIC], "localhost": ["127.0.0.1"]})
    policy.check("https://hooks.example/plaza?token=x")
    policy.check(f"http://{PUBLIC}:8080/cb")
    assert policy.addresses("hooks.example", 443) == [PUBLIC]
    with pytest.raises(InvalidSubscription, match=r"loopback address \(127\.0\.0\.1\)") as refused:
        policy.check("http://localhost:9/cb")
    assert "allow_private_callbacks" in str(refused.value)
    with pytest.raises(InvalidSubscription, match="does not resolve"):
        policy.check("http://gone.example/cb")


def test_the_setting_allows_private_callbacks_without_resolving() -> None:
    def never(host: str, port: int) -> Sequence[str]:
        raise AssertionError("allowed callbacks are not resolved")

    policy = CallbackPolicy(allow_private=True, resolver=never)
    policy.check("http://127.0.0.1:9/cb")
    policy.check("http://made-up.invalid/cb")
    with pytest.raises(InvalidSubscription):
        policy.check("ftp://127.0.0.1/")  # the scheme is still checked


def test_a_refused_registration_stores_nothing() -> None:
    store, clock = MemorySubscriptionStore(), FakeClock()
    hub = NotificationHub(store, InlineQueue(clock), clock)  # the default: public only
    for url in ("http://127.0.0.1:9/cb", "http://[::1]/cb", "http://169.254.169.254/"):
        with pytest.raises(InvalidSubscription):
            hub.register(url)
    assert store.list_all() == []
