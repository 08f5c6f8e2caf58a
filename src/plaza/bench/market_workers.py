"""``plaza bench market --postgres URL --workers N``: the end-to-end part on PostgreSQL.

The same traders as :mod:`plaza.bench.market_e2e` (each thread its own kind, an offer
then a request crossing it, every request one contract) trade through ``plaza market
run`` started as a process of its own on a fresh schema of the given database, with
its own data directory and port: first with one worker, the baseline, then with ``N``
worker processes sharing the database (the book's journal held step by step through
an advisory lock; one worker at a time publishes twins). Both runs are in one
invocation, so their ratio survives a noisy machine.

With ``ledger`` a node is served in this process for each run, as for the SQLite
figures, and the marketplace records twins on it; the outbox is read from the
database itself (no worker is asked) to wait for it to empty and for milestones.
Each run's schema is dropped at its end. The contracts are also counted in the
journal: every request must have made exactly one.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path

import httpx
import psycopg
from psycopg import sql

from plaza.api.market import MARKET_PREFIX
from plaza.bench.market_e2e import (
    BenchNode,
    confirmed_twins,
    drain_twins,
    served_node,
    trade_pairs,
)
from plaza.market.sql import SqlBookStore, SqlTwinOutbox, make_engine

__all__ = ["PostgresPlan", "WorkersBenchError", "check_database", "run_market_workers"]

Progress = Callable[[str], None]

_START_TIMEOUT_S = 60.0
_STOP_TIMEOUT_S = 30.0
_SERVING = re.compile(r"worker \d+ serving")  # what each worker says once it serves


class WorkersBenchError(RuntimeError):
    """The database did not answer, or the marketplace did not start: nothing measured."""


@dataclass(frozen=True, slots=True)
class PostgresPlan:
    """Where and how: ``url`` a ``postgresql://`` database the benchmark may make schemas
    in; ``workers`` the processes compared with one."""

    url: str
    workers: int = 2
    threads: int = 8
    pairs_per_thread: int = 50
    ledger: bool = True
    pow_difficulty: int = 11
    milestone_interval_s: float = 1.0


def check_database(url: str) -> None:
    """Fail before anything is measured when the database does not answer (the message
    is psycopg's, which never quotes a password)."""
    try:
        with psycopg.connect(url, connect_timeout=5) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as error:
        raise WorkersBenchError(f"PostgreSQL did not answer: {error}") from None


@contextmanager
def _schema(url: str) -> Iterator[str]:
    """A fresh schema, dropped with everything in it afterwards."""
    name = f"plaza_bench_{uuid.uuid4().hex[:12]}"
    try:
        with psycopg.connect(url, autocommit=True, connect_timeout=5) as conn:
            conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(name)))
    except psycopg.Error as error:
        raise WorkersBenchError(f"no schema made on PostgreSQL: {error}") from None
    try:
        yield name
    finally:
        with psycopg.connect(url, autocommit=True, connect_timeout=5) as conn:
            conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(name)))


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def _answers(url: str) -> bool:
    try:
        return httpx.get(f"{url}{MARKET_PREFIX}/info", timeout=1.0).status_code == 200
    except httpx.HTTPError:
        return False


def _wait_serving(process: subprocess.Popen[bytes], url: str, log: Path, workers: int) -> None:
    """Until the marketplace answers and, with several workers, each has said it serves
    (one answering alone would take every connection the traders open)."""
    deadline = time.monotonic() + _START_TIMEOUT_S
    while not _answers(url) or (
        workers > 1 and len(_SERVING.findall(log.read_text(errors="replace"))) < workers
    ):
        if process.poll() is not None or time.monotonic() > deadline:
            tail = log.read_text(errors="replace").strip().splitlines()[-5:]
            raise WorkersBenchError(f"plaza market run --workers {workers} did not start: {tail}")
        time.sleep(0.1)


def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM (the workers stop with their supervisor); its process group killed if it
    does not end in time."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(_STOP_TIMEOUT_S)
            return
        except subprocess.TimeoutExpired:
            pass
    os.killpg(process.pid, signal.SIGKILL)  # its own session: this group is ours alone
    process.wait()


@contextmanager
def _served(
    plan: PostgresPlan, workers: int, schema: str, node: BenchNode | None, scratch: Path
) -> Iterator[str]:
    """``plaza market run --workers`` on ``schema``, until stopped: its URL. The database
    URL goes through the environment, off the process list."""
    port = _free_port()
    options = ["--data-dir", str(scratch / "market"), "--port", str(port)]
    options += ["--node-url", node.url if node is not None else "", "--periodic-interval", "1"]
    command = [sys.executable, "-m", "plaza.cli.main", "market", "run", *options]
    env = {
        **os.environ,
        "PLAZA_MARKET_DATABASE_URL": plan.url,
        "PLAZA_MARKET_DATABASE_SCHEMA": schema,
        "PLAZA_MARKET_TWIN_LAG_LIMIT_S": "0",  # measured, not bounded: see market_e2e
    }
    log = scratch / "market.log"
    with log.open("wb") as output:
        process = subprocess.Popen(  # noqa: S603 - this interpreter, our command
            [*command, "--workers", str(workers)],
            stdout=output,
            stderr=output,
            env=env,
            start_new_session=True,
        )
    try:
        url = f"http://127.0.0.1:{port}"
        _wait_serving(process, url, log, workers)
        yield url
    finally:
        _stop(process)


def _journal_contracts(engine_url: str, schema: str) -> tuple[int, int]:
    """Matches in the journal, and how many of them were made more than once."""
    engine = make_engine(engine_url, schema=schema)
    try:
        made = Counter(m.id for entry in SqlBookStore(engine).entries() for m in entry.matches())
    finally:
        engine.dispose()
    return sum(made.values()), sum(1 for count in made.values() if count > 1)


def _twins(url: str, schema: str, node: BenchNode) -> dict[str, float]:
    """Drain and confirmation figures, read from the outbox in the database."""
    engine = make_engine(url, schema=schema)
    try:
        outbox = SqlTwinOutbox(engine)
        figures = drain_twins(outbox, lambda: outbox.counts()["pending"])
        figures.update(confirmed_twins(outbox, node))
    finally:
        engine.dispose()
    return figures


def _run(plan: PostgresPlan, workers: int, scratch: Path, say: Progress) -> dict[str, float]:
    """One run on a fresh schema, data directory and (with ``ledger``) node."""
    scratch.mkdir()
    pow_difficulty, interval = plan.pow_difficulty, plan.milestone_interval_s
    nodes = (
        served_node(scratch, pow_difficulty=pow_difficulty, milestone_interval_s=interval)
        if plan.ledger
        else nullcontext(None)
    )
    with nodes as node, _schema(plan.url) as schema:
        before = node.message_count() if node is not None else 0
        with _served(plan, workers, schema, node, scratch) as url:
            say(
                f"{plan.threads} threads x {plan.pairs_per_thread} matched pairs through"
                f" {workers} worker(s) of plaza market run on PostgreSQL"
                f"{', twins on a node' if node is not None else ''}"
            )
            figures = trade_pairs(url, threads=plan.threads, pairs_per_thread=plan.pairs_per_thread)
            if node is not None:
                say("waiting for the twin outbox (in the database) to empty, then for milestones")
                figures.update(_twins(plan.url, schema, node))
                figures["e2e_ledger_messages"] = float(node.message_count() - before)
        figures["e2e_contracts"], figures["e2e_contracts_twice"] = _journal_contracts(
            plan.url, schema
        )
    return figures


def _checked(figures: dict[str, float], plan: PostgresPlan) -> dict[str, float]:
    """A run's figures, refused if they would flatter: contracts missing or made twice,
    twin states left unwritten or unconfirmed."""
    expected = plan.threads * plan.pairs_per_thread
    if figures["e2e_contracts"] != expected or figures["e2e_contracts_twice"]:
        raise RuntimeError(
            f"the journal holds {figures['e2e_contracts']:.0f} matches"
            f" ({figures['e2e_contracts_twice']:.0f} made twice) for {expected} requests"
        )
    if figures.get("e2e_twins_waiting") or figures.get("e2e_twins_unconfirmed"):
        raise RuntimeError("twin states were left unwritten or unconfirmed: figures would flatter")
    return figures


def _figures(one: dict[str, float], many: dict[str, float], workers: int) -> dict[str, float]:
    figures = {
        "e2e_pg_workers": workers,
        "e2e_pg_contracts": int(many["e2e_contracts"]),
        "e2e_pg_1_worker_contracts_per_s": one["e2e_contracts_per_s"],
        "e2e_pg_1_worker_p99_s": one["e2e_p99_s"],
        "e2e_pg_contracts_per_s": many["e2e_contracts_per_s"],
        "e2e_pg_p99_s": many["e2e_p99_s"],
        "e2e_pg_workers_vs_1": round(many["e2e_contracts_per_s"] / one["e2e_contracts_per_s"], 3),
    }
    if "e2e_twin_lag_p99_s" in many:
        figures.update(
            e2e_pg_1_worker_twin_lag_p99_s=one["e2e_twin_lag_p99_s"],
            e2e_pg_twin_lag_p99_s=many["e2e_twin_lag_p99_s"],
            e2e_pg_twin_written_lag_p99_s=many["e2e_twin_written_lag_p99_s"],
            e2e_pg_twin_drain_s=many["e2e_twin_drain_s"],
            e2e_pg_ledger_messages=int(many["e2e_ledger_messages"]),
        )
    return figures


def run_market_workers(plan: PostgresPlan, progress: Progress | None = None) -> dict[str, float]:
    """Trade through one worker, then through ``plan.workers``; the ``e2e_pg_*`` figures."""
    say = progress or (lambda _text: None)
    with tempfile.TemporaryDirectory(prefix="plaza-bench-workers-") as scratch:
        one = _checked(_run(plan, 1, Path(scratch) / "one", say), plan)
        many = one
        if plan.workers > 1:
            many = _checked(_run(plan, plan.workers, Path(scratch) / "many", say), plan)
    return _figures(one, many, plan.workers)
