"""Where webhooks may go: no server-side request forgery through a callback URL.

A participant names the URL the marketplace will POST to, so without a check it
could make the marketplace call its own admin ports, a cloud metadata service
(``169.254.169.254``) or any host on the private network behind it.
:class:`CallbackPolicy` refuses callbacks whose host resolves to a loopback,
private, link-local, multicast, unspecified, reserved or otherwise non-global
address (IPv4-mapped IPv6 addresses are judged by their IPv4 address), and
non-http(s) schemes:

* at **registration** (:meth:`CallbackPolicy.check`): a clear
  :class:`~plaza.notify.errors.InvalidSubscription`, nothing stored;
* at **delivery**, again, because DNS can change after registration (DNS
  rebinding): :class:`~plaza.notify.webhook.WebhookDeliverer` checks before each
  attempt, and :func:`~plaza.notify.transport.guarded_transport` checks every
  address at the moment it connects and connects to that very address, so no
  second lookup can swap it (TLS still verifies the certificate against the host).

``allow_private=True`` turns every address check off (only the URL's shape is
checked, and nothing is resolved): for tests and demos whose receivers listen on
``127.0.0.1``. Production marketplaces leave it off.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from plaza.notify.errors import InvalidSubscription
from plaza.notify.model import check_callback

__all__ = [
    "CallbackPolicy",
    "Resolver",
    "refused_because",
    "system_resolver",
]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
#: Host and port to the IP addresses (text) a connection to them may use.
Resolver = Callable[[str, int], Sequence[str]]

_DEFAULT_PORTS = {"http": 80, "https": 443}


def system_resolver(host: str, port: int) -> list[str]:
    """The addresses the operating system resolves ``host`` to, in its order, each once."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def refused_because(address: IPAddress) -> str | None:
    """Why a webhook may not go to ``address`` (``"loopback"``...), or None if it may."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return refused_because(address.ipv4_mapped)
    checks = (
        ("unspecified", address.is_unspecified),
        ("loopback", address.is_loopback),
        ("link-local", address.is_link_local),
        ("multicast", address.is_multicast),
        ("private", address.is_private),
        ("reserved", address.is_reserved),
        ("non-global", not address.is_global),
    )
    return next((reason for reason, refused in checks if refused), None)


@dataclass(frozen=True)
class CallbackPolicy:
    """Which callback URLs the hub accepts and the deliverer posts to."""

    allow_private: bool = False
    resolver: Resolver = field(default=system_resolver, repr=False)

    def check(self, url: str) -> None:
        """Raise :class:`InvalidSubscription` unless webhooks may be posted to ``url`` now."""
        check_callback(url)
        if self.allow_private:
            return
        parts = urlsplit(url)
        assert parts.hostname is not None  # check_callback made sure
        self.addresses(parts.hostname, parts.port or _DEFAULT_PORTS[parts.scheme])

    def addresses(self, host: str, port: int) -> list[str]:
        """The addresses ``host`` resolves to, all of them allowed; raise
        :class:`InvalidSubscription` if it does not resolve or any of them is refused."""
        if self.allow_private:
            return [host]
        try:
            found = [ipaddress.ip_address(host.strip("[]"))]
        except ValueError:
            found = self._resolve(host, port)
        for address in found:
            reason = refused_because(address)
            if reason is not None:
                raise InvalidSubscription(
                    f"callback host resolves to a {reason} address ({address}); webhooks go to "
                    "public addresses only (set allow_private_callbacks to allow it)"
                )
        return [str(address) for address in found]

    def _resolve(self, host: str, port: int) -> list[IPAddress]:
        try:
            texts = self.resolver(host, port)
        except (OSError, UnicodeError) as error:
            raise InvalidSubscription(f"callback host does not resolve: {error}") from None
        found: list[IPAddress] = []
        for text in texts:
            try:
                found.append(ipaddress.ip_address(text.split("%", 1)[0]))  # drop a scope id
            except ValueError:
                raise InvalidSubscription(f"callback host resolved to {text!r}") from None
        if not found:
            raise InvalidSubscription("callback host resolves to no address")
        return found
