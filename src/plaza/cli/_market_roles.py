"""``plaza market operator add``, ``plaza market auditor add`` and ``plaza market audit``.

Auditor and operator roles are never self-assigned (a registration asking for
one is refused without an operator's sponsorship), so making an auditor is an
operator's act:

* ``operator add`` runs on the marketplace's machine, on its data directory: the
  first operator has no one to sponsor it, so the marketplace's own authority
  (whoever can open its database) admits it. It makes the operator's home.
* ``auditor add`` is the operator's signed request around the auditor's signed
  registration: it makes the auditor's home (identity 0600, the marketplace
  pinned) and registers it, in one command. Hand the home to the auditor.
* ``audit contract|order|asset ID`` is the auditor's (or an operator's) check of
  a record's twin on the ledger against the marketplace's database.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from plaza.bootstrap import SystemClock, admit_operator
from plaza.cli._market_common import DEFAULT_HOME, DEFAULT_URL, HomeOption, UrlOption, err
from plaza.cli._market_common import market_client as _client
from plaza.cli._market_home import MarketHome
from plaza.clients.market import MarketClient
from plaza.market.audit.model import AuditReport
from plaza.market.auth import AuthError, Participant, Role, sign_registration
from plaza.settings import MarketSettings

__all__ = ["audit_app", "auditor_app", "operator_app"]

operator_app = typer.Typer(help="The marketplace's operators.", no_args_is_help=True)
auditor_app = typer.Typer(help="Auditors: read and verify every trail.", no_args_is_help=True)
audit_app = typer.Typer(help="Audit a record's twin on the ledger.", no_args_is_help=True)

NameOption = Annotated[str, typer.Option("--name", help="Display name, shown to others.")]


def _show(participant: Participant) -> None:
    typer.echo(f"participant  {participant.id}")
    typer.echo(f"roles        {', '.join(sorted(participant.roles))}")


@operator_app.command("add")
def add_operator(
    name: NameOption,
    data_dir: Annotated[
        Path | None,
        typer.Option(
            help="The marketplace's data directory (PLAZA_MARKET_DATA_DIR, .plaza/market)."
        ),
    ] = None,
    home: HomeOption = DEFAULT_HOME,
) -> None:
    """On the marketplace's machine: make an operator identity in --home and admit it on the
    marketplace's own authority (its data directory and database)."""
    settings = MarketSettings() if data_dir is None else MarketSettings(data_dir=data_dir)
    identity = MarketHome(home).identity(create=True)
    try:
        participant = admit_operator(settings, identity, name)
    except AuthError as error:
        err.print(f"[red]error:[/] {error}")
        raise typer.Exit(1) from None
    _show(participant)


@auditor_app.command("add")
def add_auditor(
    name: NameOption,
    auditor_home: Annotated[
        Path, typer.Option(help="Where the auditor's identity is made (hand it to the auditor).")
    ],
    home: HomeOption = DEFAULT_HOME,
    url: UrlOption = DEFAULT_URL,
) -> None:
    """As an operator (--home): make an auditor's identity in --auditor-home and register it
    with this operator's sponsorship; pins the marketplace in the auditor's home."""
    auditor = MarketHome(auditor_home)
    identity = auditor.identity(create=True)
    with _client(home, url) as operator:
        info = operator.info()
        signed = sign_registration(
            identity.signing,
            identity.encryption.public_key,
            display_name=name,
            roles=[Role.AUDITOR],
            audience=info.audience,
            clock=SystemClock(),
        )
        participant = operator.sponsor(signed)
    auditor.pin(url, info)
    _show(participant)


def _report(report: AuditReport) -> None:
    typer.echo(
        f"{report.kind.value} {report.record_id}: {'clean' if report.clean else 'NOT clean'}"
    )
    typer.echo(f"  entries              {len(report.entries)}")
    typer.echo(f"  signatures verified  {report.signatures_verified}")
    typer.echo(f"  confirmed            {report.confirmed}")
    for difference in report.differences:
        typer.echo(
            f"  differs  {difference.field}: database {difference.database_value!r},"
            f" ledger {difference.ledger_value!r}"
        )
    for problem in report.problems:
        typer.echo(f"  problem  {problem}")
    if not report.clean:
        raise typer.Exit(1)


def _audit_command(name: str, audit: str) -> None:
    def command(
        record_id: str, home: HomeOption = DEFAULT_HOME, url: UrlOption = DEFAULT_URL
    ) -> None:
        with _client(home, url) as client:
            report = getattr(MarketClient, audit)(client, record_id)
        _report(report)

    command.__doc__ = (
        f"The {name}'s twin on the ledger, verified (signatures, confirmations) and compared"
        " with the marketplace's database; exits 1 unless clean. Auditors and operators."
    )
    audit_app.command(name)(command)


for _name, _audit in (
    ("contract", "audit_contract"),
    ("order", "audit_order"),
    ("asset", "audit_asset"),
):
    _audit_command(_name, _audit)
