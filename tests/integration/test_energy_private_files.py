"""The files that hold letters are private to their owner (issue 16, item 4).

A module's ``jobs.sqlite3`` holds the bodies of the letters it has yet to send, in the
clear (they are sealed only when they leave); its other databases hold what the letters
said. Each is 0600 with its WAL files, in folders that are 0700.
"""

from __future__ import annotations

import stat
import uuid as uuids
from pathlib import Path

from energy_stack import onboard, sqlite_stack

from plaza.testing.nodes import in_process_node


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_files_holding_letters_are_private_to_their_owner(tmp_path: Path) -> None:
    """Every module's job queue (the bodies of the letters it has yet to send), its
    databases and their WAL files are 0600; the folders they are in 0700."""
    with in_process_node() as node:
        stack = sqlite_stack(node, tmp_path / "energy")
        stack.start(threads=False)
        try:
            onboard(stack, "solar", str(uuids.uuid4()))
            root = tmp_path / "energy"
            files = {str(p.relative_to(root)): _mode(p) for p in root.rglob("*") if p.is_file()}
            folders = {str(p.relative_to(root)): _mode(p) for p in root.rglob("*") if p.is_dir()}
            folders["."] = _mode(root)
        finally:
            stack.stop()
    assert {"jobs.sqlite3", "jobs.sqlite3-wal", "jobs.sqlite3-shm"} <= {
        Path(name).name for name in files
    }
    assert {name: oct(mode) for name, mode in files.items() if mode != 0o600} == {}
    assert {name: oct(mode) for name, mode in folders.items() if mode != 0o700} == {}
