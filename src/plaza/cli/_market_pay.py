"""``plaza market pay``: the consumer pays a contract from its wallet, then reports it.

The marketplace pays nothing itself: the consumer's own transfer is the payment,
and the marketplace checks it on the ledger. It must come from the participant's
address, so the home's identity must be a wallet address's keys
(``plaza market register --wallet``); the transfer carries the contract's id
(``payment_data``), so it can never be counted for a second contract. That id
also makes ``pay`` safe to run again after a lost report: a transfer of the
payer's that pays the contract and can still apply is reported, not repeated.
"""

from __future__ import annotations

import contextlib
import secrets
from pathlib import Path

import typer
from rich.markup import escape

from plaza.cli._wallet_io import open_wallet, stderr
from plaza.clients.market import ContractRecord
from plaza.clients.node import NodeClient
from plaza.crypto import Address
from plaza.ledger.model import TRANSFER_TTL_MS, Conflict
from plaza.market.payments.service import PAYMENT_TAG, check_ledger_payment, payment_data
from plaza.market.settlement import PaymentFailed, Phase
from plaza.wallet import Wallet, WalletAddress

__all__ = ["check_payable", "earlier_payment", "send_payment"]

#: The payer's latest transfers looked through for an earlier payment of the contract.
HISTORY_LIMIT = 100

#: Where paying makes sense: delivered and unpaid, or claimed (a late payment settles it).
_PAYABLE = frozenset({Phase.PROVISION_FINISHED, Phase.PAYMENT_REQUESTED, Phase.CLAIM_ISSUED})


def _refuse(text: str) -> typer.Exit:
    stderr.print(f"[bold red]error:[/] {escape(text)}")
    return typer.Exit(1)


def check_payable(record: ContractRecord, payer: Address) -> bool:
    """Whether to send a payment now: False if one is recorded already (nothing to do);
    exits if this participant is not the consumer or the contract is not payable."""
    match, settlement = record.signed.match, record.settlement
    if match.consumer != str(payer):
        raise _refuse(f"{payer} is not the consumer of contract {match.id}")
    if settlement is None:
        raise _refuse(f"contract {match.id} has no settlement yet; try again shortly")
    if settlement.payment_message_id is not None:
        return False
    if settlement.phase not in _PAYABLE:
        raise _refuse(f"contract {match.id} is {settlement.phase.value!r}: nothing to pay")
    return True


def _wallet_address(wallet: Wallet, payer: Address) -> WalletAddress:
    for address in wallet.addresses(None):
        if address.address == payer:
            return address
    raise _refuse(
        f"this wallet holds no key of {payer}; register with `plaza market register --wallet`"
    )


def send_payment(record: ContractRecord, wallet: Path, node: str, payer: Address) -> str:
    """Send the contract total to the provider from ``payer`` without waiting for the
    ledger to confirm it (the marketplace follows that); the message id, hex."""
    match, total = record.signed.match, record.signed.total
    data = payment_data(match.id, secrets.token_bytes(8))
    with open_wallet(wallet, node) as opened:
        source = _wallet_address(opened, payer)
        sent = opened.send(
            match.provider,
            total,
            account=source.account,
            payer=payer,
            tag=PAYMENT_TAG,
            data=data,
        )
    [transfer] = sent.transfers  # one payer: one transfer
    message_id = transfer.message_id.hex()
    typer.echo(f"paid {total} to {match.provider} from {payer} in message {message_id}")
    return message_id


def earlier_payment(node: str, record: ContractRecord, payer: Address) -> str | None:
    """An earlier transfer from ``payer`` that pays the contract as the marketplace checks
    it, and may still apply (pending within its lifetime, or applied), hex; else None."""
    contract = record.signed.contract
    with NodeClient(node) as client:
        ledger_now = client.latest_milestone().timestamp_ms
        for item in client.history(payer, limit=HISTORY_LIMIT):
            expired = item.milestone_index is None and (
                ledger_now - item.issued_at_ms > TRANSFER_TTL_MS
            )
            if item.delta >= 0 or item.conflict is not Conflict.NONE or expired:
                continue
            message = client.get_message(item.message_id)
            with contextlib.suppress(PaymentFailed):  # not this contract's payment
                return check_ledger_payment(contract, item.message_id, message).message_id.hex()
    return None
