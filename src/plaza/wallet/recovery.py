"""Finding what a restored seed has used, since only the seed is written on paper.

Addresses derive from ``(account, index)``; a restored wallet asks the ledger
which of them have any history, the way BIP-44 wallets scan with a gap limit.
Account names are local and not on the ledger, so found accounts are named
``main`` (account 0) and ``account-N``.
"""

from __future__ import annotations

from plaza.crypto import Identity, Seed
from plaza.ledger.ports import LedgerReader
from plaza.wallet.model import DEFAULT_ACCOUNT, Account

__all__ = ["SCAN_GAP", "discover_accounts"]

#: Unused addresses in a row after which the search stops looking further.
SCAN_GAP = 5


def discover_accounts(
    seed: Seed, gateway: LedgerReader, *, gap: int = SCAN_GAP
) -> tuple[Account, ...]:
    """Accounts a restored seed has used: addresses with any history, ``gap`` unused in a row
    ending each account, and the first account without any ending the search.

    Names are not on the ledger: account 0 is ``main``, the others ``account-N``.
    """
    accounts = [Account(DEFAULT_ACCOUNT, 0, max(1, _used_addresses(seed, 0, gateway, gap)))]
    while True:
        index = len(accounts)
        used = _used_addresses(seed, index, gateway, gap)
        if not used:
            return tuple(accounts)
        accounts.append(Account(f"account-{index}", index, used))


def _used_addresses(seed: Seed, account: int, gateway: LedgerReader, gap: int) -> int:
    """One past the highest used address index of ``account`` (0 when none is used)."""
    used, unused, index = 0, 0, 0
    while unused < gap:
        address = Identity.from_seed(seed, account=account, index=index).address
        if gateway.history(address, limit=1):
            used, unused = index + 1, 0
        else:
            unused += 1
        index += 1
    return used
