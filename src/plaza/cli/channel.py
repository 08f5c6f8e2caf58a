"""``plaza channel ...``: create, announce, publish, read, follow, grant, revoke, rotate.

State lives in ``--home`` (see :mod:`plaza.cli._channel_home`); the node is
reached over HTTP at ``--node``. Secrets are never printed: reader keys go
to their reader through the ledger (sealed to its key), and a backup is
encrypted under a password.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from plaza.adapters.ledger.remote import RemoteLedger
from plaza.bootstrap import SystemClock
from plaza.channels import (
    Channel,
    ChannelEntry,
    ChannelError,
    ChannelMode,
    Descriptor,
    LedgerAccessError,
    Publisher,
    Reader,
    announce,
    deliver,
    open_inbox,
)
from plaza.channels.backup import export_backup, restore_backup
from plaza.channels.cursors import SqliteCursorStore
from plaza.cli._channel_home import ChannelHome
from plaza.clients.node import ClientError, NodeClient
from plaza.crypto import EncryptionPublicKey, InvalidKey

__all__ = ["channel_app"]

channel_app = typer.Typer(
    help="MAM-style channels: signed streams with key epochs and sealed key delivery.",
    no_args_is_help=True,
)
HomeOption = Annotated[
    Path, typer.Option("--home", help="Where identity, cursors and reader keys are kept.")
]
NodeOption = Annotated[str, typer.Option("--node", help="The node's base URL.")]
ChannelOption = Annotated[
    str | None, typer.Option("--channel", "-c", help="Id (or prefix) of one of your channels.")
]
DEFAULT_HOME = Path(".plaza/channels")
DEFAULT_NODE = "http://127.0.0.1:8650"
_err = Console(stderr=True)


class Mode(enum.StrEnum):
    public = "public"
    private = "private"
    restricted = "restricted"


@dataclass
class _Session:
    home: ChannelHome
    store: SqliteCursorStore
    gateway: RemoteLedger
    clock: SystemClock

    def publisher(self, channel: str | None) -> Publisher:
        channel_id = self.home.owned_channel(self.store, channel)
        return Publisher.open(self.gateway, self.store, channel_id, clock=self.clock)


@contextmanager
def _session(home: Path, node: str) -> Iterator[_Session]:
    """Open the home and the node; turn every channel or node error into a clean exit."""
    channel_home = ChannelHome(home)
    store = channel_home.open_store()
    clock = SystemClock()
    try:
        with NodeClient(node) as client:
            yield _Session(channel_home, store, RemoteLedger(client, clock=clock), clock)
    except (ChannelError, LedgerAccessError, ClientError) as error:
        _err.print(f"[red]error:[/] {error}")
        raise typer.Exit(1) from None
    finally:
        store.close()


def _reader_public_key(text: str) -> EncryptionPublicKey:
    try:
        return EncryptionPublicKey(bytes.fromhex(text))
    except (ValueError, InvalidKey):
        raise typer.BadParameter("give the reader's X25519 public key as 64 hex digits") from None


def _show(entry: ChannelEntry, as_json: bool) -> None:
    try:
        text: str | None = entry.content.decode()
    except UnicodeDecodeError:
        text = None
    if as_json:
        body = {"position": entry.position, "epoch": entry.epoch}
        body["published_at_ms"] = entry.published_at_ms
        content = {"content": text} if text is not None else {"content_hex": entry.content.hex()}
        typer.echo(json.dumps({**body, **content}))
        return
    when = datetime.fromtimestamp(entry.published_at_ms / 1000, UTC).isoformat(timespec="seconds")
    shown = text if text is not None else f"0x{entry.content.hex()}"
    typer.echo(f"#{entry.position}  epoch {entry.epoch}  {when}  {shown}")


@channel_app.command("whoami")
def whoami(home: HomeOption = DEFAULT_HOME) -> None:
    """Show this home's public keys (a seller grants access to the encryption key)."""
    identity = ChannelHome(home).identity()
    typer.echo(f"signing key     {identity.public_key}")
    typer.echo(f"encryption key  {identity.encryption.public_key}")


@channel_app.command("create")
def create(
    mode: Annotated[Mode, typer.Option(help="Who may find and read it.")] = Mode.restricted,
    home: HomeOption = DEFAULT_HOME,
    node: NodeOption = DEFAULT_NODE,
) -> None:
    """Create a channel owned by this home's identity."""
    with _session(home, node) as session:
        channel = Channel.create(ChannelMode[mode.name.upper()], session.home.identity())
        Publisher.create(session.gateway, session.store, channel, clock=session.clock)
        typer.echo(f"channel      {channel.id.hex()}")
        typer.echo(f"mode         {channel.mode.label}")
        typer.echo(f"channel key  {channel.public_key}")


@channel_app.command("announce")
def announce_command(
    name: Annotated[str, typer.Option(help="What the channel is called.")],
    schema: Annotated[str, typer.Option(help="What its messages contain.")] = "",
    price: Annotated[str, typer.Option(help="Price in base units.")] = "",
    location: Annotated[str, typer.Option(help="Where, e.g. lat,long.")] = "",
    directory: Annotated[str, typer.Option(help="The tag it is filed under.")] = "plaza-channels",
    channel: ChannelOption = None,
    home: HomeOption = DEFAULT_HOME,
    node: NodeOption = DEFAULT_NODE,
) -> None:
    """Publish a signed public description of the channel."""
    with _session(home, node) as session:
        owned = session.home.owned_channel(session.store, channel)
        state = session.store.load(owned)
        assert state is not None
        descriptor = Descriptor.of(name=name, schema=schema, price=price, location=location)
        done = announce(
            session.gateway,
            state.channel,
            session.home.identity(),
            descriptor,
            clock=session.clock,
            directory=directory.encode(),
        )
        typer.echo(f"announced {owned.hex()[:16]}… in {directory!r}: {done.message_id.hex()}")


@channel_app.command("publish")
def publish(
    text: Annotated[str | None, typer.Argument(help="The message text.")] = None,
    file: Annotated[Path | None, typer.Option(help="Publish this file's bytes instead.")] = None,
    channel: ChannelOption = None,
    home: HomeOption = DEFAULT_HOME,
    node: NodeOption = DEFAULT_NODE,
) -> None:
    """Append a message to your channel."""
    if (text is None) == (file is None):
        raise typer.BadParameter("give TEXT or --file, one of them")
    content = file.read_bytes() if file is not None else (text or "").encode()
    with _session(home, node) as session:
        published = session.publisher(channel).publish(content)
        typer.echo(f"#{published.position}  epoch {published.epoch}  {published.message_id.hex()}")


def _reader(session: _Session, channel: str) -> Reader:
    """A reader for ``channel``: one of ours (every epoch), a held key, or a public key."""
    channel_id, key = session.home.readable(session.store, channel)
    if key is None and channel_id:
        state = session.store.load(channel_id)
        assert state is not None
        key = Publisher(session.gateway, session.store, state, clock=session.clock).reader_key()
    assert key is not None
    return Reader(session.gateway, key, encryption_key=session.home.identity().encryption)


@channel_app.command("read")
def read(
    channel: Annotated[str, typer.Argument(help="Channel id (prefix), or a public channel key.")],
    from_position: Annotated[int | None, typer.Option("--from", min=0)] = None,
    limit: Annotated[int | None, typer.Option(min=1)] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
    home: HomeOption = DEFAULT_HOME,
    node: NodeOption = DEFAULT_NODE,
) -> None:
    """Print a channel's verified messages, from a position onward."""
    with _session(home, node) as session:
        for entry in _reader(session, channel).read(from_position=from_position, limit=limit):
            _show(entry, as_json)


@channel_app.command("follow")
def follow(
    channel: Annotated[str, typer.Argument(help="Channel id (prefix), or a public channel key.")],
    count: Annotated[int | None, typer.Option(min=1, help="Stop after this many.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
    home: HomeOption = DEFAULT_HOME,
    node: NodeOption = DEFAULT_NODE,
) -> None:
    """Print a channel's messages as they are published (Ctrl-C to stop)."""
    with _session(home, node) as session:
        for number, entry in enumerate(_reader(session, channel).follow(), start=1):
            _show(entry, as_json)
            if count is not None and number >= count:
                break


@channel_app.command("inbox")
def inbox(home: HomeOption = DEFAULT_HOME, node: NodeOption = DEFAULT_NODE) -> None:
    """Fetch reader keys sealed to this identity and keep them for read and follow."""
    with _session(home, node) as session:
        deliveries = open_inbox(session.gateway, session.home.identity().encryption)
        for delivery in reversed(deliveries):  # oldest first: the newest key wins
            session.home.save_reader_key(delivery.reader_key)
        for delivery in deliveries:
            key = delivery.reader_key
            typer.echo(
                f"{key.channel_id.hex()}  {key.mode.label}  from #{key.position}"
                f"  sent by {str(delivery.sender)[:16]}…"
            )


@channel_app.command("grant")
def grant(
    reader: Annotated[str, typer.Argument(help="The reader's X25519 public key (hex).")],
    expires_in: Annotated[int | None, typer.Option(min=1, help="Seconds of access.")] = None,
    messages: Annotated[int | None, typer.Option(min=1, help="Messages of access.")] = None,
    channel: ChannelOption = None,
    home: HomeOption = DEFAULT_HOME,
    node: NodeOption = DEFAULT_NODE,
) -> None:
    """Entitle a reader and deliver its key, sealed, to its inbox."""
    recipient = _reader_public_key(reader)
    with _session(home, node) as session:
        expires = None if expires_in is None else session.clock.now_ms() + expires_in * 1000
        key = session.publisher(channel).grant(
            recipient, expires_at_ms=expires, max_messages=messages
        )
        sent = deliver(
            session.gateway, session.home.identity(), recipient, key, clock=session.clock
        )
        typer.echo(f"granted from #{key.position}, epoch {key.epoch}; delivered {sent.hex()}")


@channel_app.command("revoke")
def revoke(
    reader: Annotated[str, typer.Argument(help="The reader's X25519 public key (hex).")],
    channel: ChannelOption = None,
    home: HomeOption = DEFAULT_HOME,
    node: NodeOption = DEFAULT_NODE,
) -> None:
    """Drop a reader's grant and start a key epoch it cannot read."""
    recipient = _reader_public_key(reader)
    with _session(home, node) as session:
        published = session.publisher(channel).revoke(recipient)
        typer.echo(f"revoked; epoch {published.epoch} starts at #{published.position}")


@channel_app.command("rotate")
def rotate(
    channel: ChannelOption = None, home: HomeOption = DEFAULT_HOME, node: NodeOption = DEFAULT_NODE
) -> None:
    """Start a new key epoch for the readers whose grants still run."""
    with _session(home, node) as session:
        published = session.publisher(channel).rotate()
        typer.echo(f"epoch {published.epoch} starts at #{published.position}")


PasswordOption = Annotated[str, typer.Option(prompt=True, hide_input=True, help="Backup password.")]


@channel_app.command("backup")
def backup(
    out: Annotated[Path, typer.Argument(help="Where to write the encrypted backup.")],
    password: PasswordOption,
    channel: ChannelOption = None,
    home: HomeOption = DEFAULT_HOME,
) -> None:
    """Write the channel's cursor, encrypted under a password."""
    channel_home = ChannelHome(home)
    store = channel_home.open_store()
    try:
        state = store.load(channel_home.owned_channel(store, channel))
        assert state is not None
        out.write_bytes(export_backup(state, password))
    except ChannelError as error:
        _err.print(f"[red]error:[/] {error}")
        raise typer.Exit(1) from None
    finally:
        store.close()
    typer.echo(f"backed up {state.channel.id.hex()[:16]}… at #{state.position} to {out}")


@channel_app.command("restore")
def restore(
    backup_file: Annotated[Path, typer.Argument(help="A file written by `backup`.")],
    password: PasswordOption,
    home: HomeOption = DEFAULT_HOME,
    node: NodeOption = DEFAULT_NODE,
) -> None:
    """Restore a cursor, then move it past every position the ledger shows as taken."""
    with _session(home, node) as session:
        state = restore_backup(session.store, backup_file.read_bytes(), password)
        publisher = Publisher.open(
            session.gateway, session.store, state.channel.id, clock=session.clock
        )
        typer.echo(f"restored {state.channel.id.hex()[:16]}…; next position #{publisher.position}")
