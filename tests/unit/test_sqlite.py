"""The SQLite kit every stdlib store stands on: one writer, explicit transactions, own errors."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from plaza.jobs.sqlite import SqliteQueue
from plaza.sqlite import SqliteFile
from plaza.testing import FakeClock

SCHEMA = ["CREATE TABLE IF NOT EXISTS items (name TEXT PRIMARY KEY, n INTEGER NOT NULL)"]


class StoreBroke(Exception):
    """Stands for a package's own store error (StorageError, QueueError, ...)."""


def _open(path: Path, *, private: bool = True) -> SqliteFile:
    return SqliteFile(path, SCHEMA, error=StoreBroke, label="shelf", private=private)


def test_a_write_commits_and_readers_see_it(tmp_path: Path) -> None:
    db = _open(tmp_path / "a.db")
    with db.write() as conn:
        conn.execute("INSERT INTO items VALUES ('a', 1)")
    assert db.rows("SELECT name, n FROM items") == [("a", 1)]
    with db.cursor() as cur:
        assert cur.execute("SELECT count(*) FROM items").fetchone() == (1,)
    db.close()


def _insert(db: SqliteFile, *rows: tuple[str, int], then: Exception | None = None) -> None:
    with db.write() as conn:
        conn.executemany("INSERT INTO items VALUES (?, ?)", rows)
        if then is not None:
            raise then


def test_a_failed_write_leaves_nothing_and_raises_the_stores_own_error(tmp_path: Path) -> None:
    db = _open(tmp_path / "a.db")
    with pytest.raises(StoreBroke, match="SQLite: UNIQUE constraint failed"):
        _insert(db, ("a", 1), ("a", 2))
    with pytest.raises(StoreBroke, match=r"SQLite: .*too large"):  # the driver's OverflowError
        _insert(db, ("b", 2**64))
    with pytest.raises(KeyError):  # not the driver's: passes unchanged, still rolled back
        _insert(db, ("c", 1), then=KeyError("c"))
    assert db.count("SELECT count(*) FROM items") == 0
    db.close()


def _nested(db: SqliteFile) -> None:
    with db.write() as outer:
        outer.execute("INSERT INTO items VALUES ('a', 1)")
        _insert(db, ("b", 1))
        assert db.count("SELECT count(*) FROM items") == 2  # its own writes, uncommitted
        raise RuntimeError("the step fails after the inner write")


def test_a_nested_write_joins_the_outer_transaction(tmp_path: Path) -> None:
    db = _open(tmp_path / "a.db")
    with pytest.raises(RuntimeError, match="after the inner write"):
        _nested(db)
    assert db.count("SELECT count(*) FROM items") == 0
    db.close()


def test_a_write_takes_the_files_write_lock_up_front(tmp_path: Path) -> None:
    """``BEGIN IMMEDIATE``: another process cannot start writing even before this one writes."""
    db = _open(tmp_path / "a.db")
    other = sqlite3.connect(tmp_path / "a.db", isolation_level=None, timeout=0)
    with db.write(), pytest.raises(sqlite3.OperationalError, match="locked"):
        other.execute("BEGIN IMMEDIATE")
    other.execute("BEGIN IMMEDIATE")
    other.execute("ROLLBACK")
    other.close()
    db.close()


def test_threads_write_one_at_a_time(tmp_path: Path) -> None:
    db = _open(tmp_path / "a.db")
    db.execute("INSERT INTO items VALUES ('counter', 0)")

    def bump() -> None:
        for _ in range(50):
            with db.write() as conn:
                (n,) = conn.execute("SELECT n FROM items WHERE name = 'counter'").fetchone()
                conn.execute("UPDATE items SET n = ? WHERE name = 'counter'", (n + 1,))

    threads = [threading.Thread(target=bump) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert db.row("SELECT n FROM items WHERE name = 'counter'") == (200,)
    db.close()


def _mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


def test_a_private_file_is_created_owner_only_with_its_folders(tmp_path: Path) -> None:
    path = tmp_path / "secrets" / "deep" / "a.db"
    tmp_path.chmod(0o755)
    db = _open(path)
    with db.write() as conn:
        conn.execute("INSERT INTO items VALUES ('a', 1)")
    wal, shm = path.with_name("a.db-wal"), path.with_name("a.db-shm")
    assert [_mode(p) for p in (path, wal, shm)] == [0o600] * 3
    db.close()
    assert [_mode(p) for p in (path.parent, path.parent.parent)] == [0o700, 0o700]
    assert _mode(tmp_path) == 0o755, "a folder that was there is left as it was"


def test_a_private_file_an_older_release_left_readable_is_made_owner_only(
    tmp_path: Path,
) -> None:
    path = tmp_path / "jobs.sqlite3"
    _open(path, private=False).close()
    side = path.with_name("jobs.sqlite3-wal")
    side.write_bytes(b"")
    for each in (path, side):
        each.chmod(0o644)
    db = _open(path)
    assert [_mode(path), _mode(side)] == [0o600, 0o600]
    db.close()


def test_the_job_queue_keeps_its_letters_owner_only(tmp_path: Path) -> None:
    queue = SqliteQueue(tmp_path / "queue" / "jobs.sqlite3", FakeClock())
    queue.enqueue("letters.deliver", {"body": {"secret": 1}})
    files = sorted((tmp_path / "queue").iterdir())
    assert [p.name for p in files] == ["jobs.sqlite3", "jobs.sqlite3-shm", "jobs.sqlite3-wal"]
    assert {_mode(p) for p in files} == {0o600}
    assert _mode(tmp_path / "queue") == 0o700
    queue.close()


def test_a_plain_file_needs_its_folder_and_says_so_in_the_stores_error(tmp_path: Path) -> None:
    with pytest.raises(StoreBroke, match="cannot open SQLite file"):
        _open(tmp_path / "missing" / "a.db", private=False)


def test_open_sets_the_pragmas_and_runs_schema_then_migrate(tmp_path: Path) -> None:
    seen: list[list[str]] = []

    def migrate(conn: sqlite3.Connection) -> None:
        seen.append([row[1] for row in conn.execute("PRAGMA table_info(items)")])
        assert conn.in_transaction  # schema and migration land together

    db = SqliteFile(
        tmp_path / "a.db",
        SCHEMA,
        migrate=migrate,
        foreign_keys=True,
        busy_timeout_ms=1234,
        pragmas={"cache_size": -2048},
    )
    assert seen == [["name", "n"]]
    assert db.row("PRAGMA journal_mode") == ("wal",)
    assert db.row("PRAGMA synchronous") == (1,)  # NORMAL
    assert db.row("PRAGMA busy_timeout") == (1234,)
    assert db.row("PRAGMA foreign_keys") == (1,)
    assert db.row("PRAGMA cache_size") == (-2048,)
    db.close()
    with pytest.raises(ValueError, match="pragma"):
        SqliteFile(tmp_path / "b.db", synchronous="NORMAL; DROP TABLE items")


def test_a_closed_file_refuses_every_call(tmp_path: Path) -> None:
    db = _open(tmp_path / "a.db")
    db.close()
    db.close()  # twice is fine
    for call in (db.write, db.read, db.cursor):
        with pytest.raises(StoreBroke, match="the shelf is closed"):
            call().__enter__()
    plain = SqliteFile(tmp_path / "b.db")  # no error factory: the driver's own exception
    plain.close()
    with pytest.raises(sqlite3.ProgrammingError, match="the database is closed"):
        plain.rows("SELECT 1")


def test_memory_databases_open_without_a_file() -> None:
    db = SqliteFile(":memory:", SCHEMA)  # private, yet nothing is created on disk
    db.execute("INSERT INTO items VALUES ('a', 1)")
    assert db.count("SELECT count(*) FROM items") == 1
    db.close()
