"""``plaza stream``: find sensors, buy their streams, read and download them (issue 12).

The buyer's X25519 key lives in ``--home`` (``identity.key``, 0600) and never
leaves it: only its public half goes in the payment, and grants come back
sealed to it. Payments come from ``--wallet`` (``PLAZA_WALLET``; its password
from ``PLAZA_WALLET_PASSWORD`` or a hidden prompt). A stream is bought only through
a marketplace (``--market``, ``PLAZA_MARKET``), so every purchase is an order and a
contract there with its twins.
"""

from __future__ import annotations

import enum
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from plaza.adapters.ledger.remote import RemoteLedger
from plaza.channels import AccessEnded
from plaza.clients.market import MarketClient
from plaza.crypto import EncryptionKey
from plaza.keyfiles import identity_at
from plaza.market.auth import Role
from plaza.sqlite import private_folder
from plaza.streams.announcement import STREAMS_TAG, Sensor
from plaza.streams.buyer import (
    discover,
    find_sensor,
    follow,
    grants,
    history,
    refunds,
    wait_for_grant,
)
from plaza.streams.catalog import summary
from plaza.streams.commands.common import (
    CLOCK,
    NodeOption,
    TagOption,
    fail,
    parse_duration,
    remote,
    reported,
)
from plaza.streams.market import ensure_participant, pay_contract, request_stream
from plaza.streams.readings import Reading, to_csv, to_json
from plaza.wallet import Wallet

__all__ = ["stream_app"]

stream_app = typer.Typer(help="Sensor data streams: find, buy, follow.", no_args_is_help=True)
HomeOption = Annotated[Path, typer.Option("--home", help="Where the buyer's key is kept.")]
WalletOption = Annotated[
    Path, typer.Option("--wallet", envvar="PLAZA_WALLET", help="The wallet that pays.")
]
SensorArgument = Annotated[str, typer.Argument(help="The sensor's name or id (a prefix will do).")]
MarketOption = Annotated[
    str | None,
    typer.Option("--market", envvar="PLAZA_MARKET", help="The marketplace to buy through."),
]
DEFAULT_HOME = Path(".plaza/streams")
DEFAULT_TAG = STREAMS_TAG.decode()
DEFAULT_NODE = "http://127.0.0.1:8650"


class Format(enum.StrEnum):
    text = "text"
    csv = "csv"
    json = "json"


def _reader(home: Path) -> EncryptionKey:
    return identity_at(private_folder(home) / "identity.key").encryption


def _sensor(gateway: RemoteLedger, text: str, tag: str) -> Sensor:
    return find_sensor(discover(gateway, directory=tag.encode()), text)


def _when(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat(timespec="seconds")


@contextmanager
def _wallet(path: Path, gateway: RemoteLedger) -> Iterator[Wallet]:
    password = os.environ.get("PLAZA_WALLET_PASSWORD")
    if password is None:
        password = typer.prompt("Wallet password", hide_input=True)
    with reported():
        yield Wallet.open(path, password, gateway=gateway, clock=CLOCK)


@stream_app.command("sensors")
def sensors(
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object a line.")] = False,
    node: NodeOption = DEFAULT_NODE,
    tag: TagOption = DEFAULT_TAG,
) -> None:
    """Every sensor announced under the tag, verified, the latest announcement of each."""
    with remote(node) as gateway:
        for sensor in discover(gateway, directory=tag.encode()):
            said, terms = sensor.announcement, sensor.announcement.terms
            types = ", ".join(f"{t.name} ({t.unit})" for t in said.data_types)
            if as_json:
                typer.echo(json.dumps(summary(sensor), ensure_ascii=False))
                continue
            typer.echo(
                f"{sensor.id[:16]}  {said.name:<24} {said.latitude:.4f},{said.longitude:.4f}  "
                f"{terms.price} per {terms.period_ms // 1000} s  {types}"
            )


@stream_app.command("buy")
def buy_command(
    sensor: SensorArgument,
    period: Annotated[str, typer.Option(help="How long: 10m, 1h, 1d.")],
    market: MarketOption = None,
    wait: Annotated[float, typer.Option(help="Seconds to wait for the grant.")] = 60.0,
    home: HomeOption = DEFAULT_HOME,
    wallet: WalletOption = Path(".plaza/wallet.json"),
    node: NodeOption = DEFAULT_NODE,
    tag: TagOption = DEFAULT_TAG,
) -> None:
    """Buy a sensor's stream for a period (a renewal extends a running one) and wait for
    the grant: a request and a contract in the marketplace, paid from the wallet's first
    address (the buyer's identity there) and reported once granted."""
    if not market:
        raise fail("a stream is bought through a marketplace: give --market URL or PLAZA_MARKET")
    seconds = -(-parse_duration(period) // 1000)
    reader = _reader(home)
    with remote(node) as gateway, _wallet(wallet, gateway) as paying:
        found = _sensor(gateway, sensor, tag)
        least = found.announcement.terms.minimum_ms
        if seconds * 1000 < least:
            raise fail(f"{period} is below the sensor's minimum of {least} ms")
        known = len(grants(gateway, reader, found))
        with reported(), MarketClient(market, identity=paying.export_identity()) as client:
            ensure_participant(client, "stream buyer", Role.CONSUMER)
            record = request_stream(client, found, seconds, CLOCK.now_ms())
            payment = pay_contract(client, paying, found, record, reader)
            typer.echo(f"contract {record.id}: paid {record.signed.total} for {seconds} s")
            _granted(gateway, reader, found, known, wait)
            client.report_payment(record.id, payment.message_ids[0])


def _granted(
    gateway: RemoteLedger, reader: EncryptionKey, sensor: Sensor, known: int, wait: float
) -> None:
    try:
        grant = wait_for_grant(gateway, reader, sensor, known=known, timeout_s=wait)
    except TimeoutError as error:
        raise fail(f"{error}; the sensor serves it when it is back") from None
    key = grant.reader_key
    ends = _when(key.expires_at_ms) if key.expires_at_ms else "never"
    typer.echo(f"granted until {ends}, from position {key.position}")


def _show(position: int, reading: Reading, output: Format) -> None:
    if output is Format.json:
        body = {"position": position, "at_ms": reading.at_ms, **dict(reading.values)}
        typer.echo(json.dumps(body))
        return
    values = "  ".join(f"{name}={value}" for name, value in sorted(reading.values.items()))
    typer.echo(f"#{position}  {_when(reading.at_ms)}  {values}")


@stream_app.command("follow")
def follow_command(
    sensor: SensorArgument,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object a line.")] = False,
    home: HomeOption = DEFAULT_HOME,
    node: NodeOption = DEFAULT_NODE,
    tag: TagOption = DEFAULT_TAG,
) -> None:
    """Print a bought stream's readings as they arrive, from the latest grant's position."""
    reader = _reader(home)
    with remote(node) as gateway:
        found = _sensor(gateway, sensor, tag)
        delivered = grants(gateway, reader, found)
        if not delivered:
            raise fail(f"no grant from {found.announcement.name}: buy its stream first")
        try:
            for position, reading in follow(gateway, reader, delivered[-1]):
                _show(position, reading, Format.json if as_json else Format.text)
        except AccessEnded as ended:
            raise fail(f"{ended}: renew with plaza stream buy") from None


@stream_app.command("history")
def history_command(
    sensor: SensorArgument,
    output_format: Annotated[Format, typer.Option("--format", help="text, csv or json")] = (
        Format.text
    ),
    output: Annotated[Path | None, typer.Option(help="Write to this file.")] = None,
    home: HomeOption = DEFAULT_HOME,
    node: NodeOption = DEFAULT_NODE,
    tag: TagOption = DEFAULT_TAG,
) -> None:
    """Every reading the buyer's grants open, from the first granted position; download it."""
    reader = _reader(home)
    with remote(node) as gateway:
        found = _sensor(gateway, sensor, tag)
        readings = history(gateway, reader, grants(gateway, reader, found))
    if output_format is Format.text:
        for position, reading in readings:
            _show(position, reading, Format.text)
        return
    text = to_csv(readings) if output_format is Format.csv else to_json(readings)
    if output is None:
        typer.echo(text, nl=False)
    else:
        output.write_text(text)
        typer.echo(f"{len(readings)} readings written to {output}")


@stream_app.command("subscriptions")
def subscriptions_command(
    home: HomeOption = DEFAULT_HOME,
    node: NodeOption = DEFAULT_NODE,
    tag: TagOption = DEFAULT_TAG,
) -> None:
    """The streams this buyer holds grants for, when each ends and the time left."""
    reader, now = _reader(home), CLOCK.now_ms()
    with remote(node) as gateway:
        for sensor in discover(gateway, directory=tag.encode()):
            delivered = grants(gateway, reader, sensor)
            if not delivered:
                continue
            ends = max(d.reader_key.expires_at_ms or 0 for d in delivered)
            left = f"{(ends - now) // 1000} s left" if ends > now else "ended"
            name = sensor.announcement.name
            typer.echo(f"{sensor.id[:16]}  {name:<24} until {_when(ends)}  {left}")


@stream_app.command("refunds")
def refunds_command(
    wallet: WalletOption = Path(".plaza/wallet.json"),
    node: NodeOption = DEFAULT_NODE,
) -> None:
    """Refunds sensors sent back to this wallet, and why."""
    with remote(node) as gateway, _wallet(wallet, gateway) as paying:
        for refund in refunds(gateway, paying):
            typer.echo(f"{refund.amount:>10}  for {refund.payment_id.hex()[:16]}  {refund.reason}")
