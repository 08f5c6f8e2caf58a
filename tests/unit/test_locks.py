""":class:`plaza.locks.FileLock`: reentrant in its process, exclusive among processes (two
locks on one file stand for two processes: each has a file description of its own), and
released by the kernel when its holder dies."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
from pathlib import Path

from plaza.locks import FileLock


def test_a_holder_may_enter_again_and_another_waits_until_it_has_left(tmp_path: Path) -> None:
    path = tmp_path / "orders.lock"
    mine, theirs = FileLock(path), FileLock(path)
    entered = threading.Event()

    def other() -> None:
        with theirs:
            entered.set()

    with mine, mine:  # reentrant
        waiting = threading.Thread(target=other)
        waiting.start()
        assert not entered.wait(0.3), "the other process waits while the lock is held"
    assert entered.wait(5), "and goes once the holder has left"
    waiting.join()


def test_a_killed_holder_leaves_the_lock_free(tmp_path: Path) -> None:
    path = tmp_path / "orders.lock"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from plaza.locks import FileLock\n"
            f"with FileLock({str(path)!r}):\n    print('held', flush=True); time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "held"
        entered = threading.Event()

        def take() -> None:
            with FileLock(path):
                entered.set()

        waiting = threading.Thread(target=take, daemon=True)
        waiting.start()
        assert not entered.wait(0.3)
        holder.send_signal(signal.SIGKILL)
        assert entered.wait(5), "the kernel dropped the dead holder's lock"
    finally:
        holder.kill()
        holder.wait()
        if holder.stdout is not None:
            holder.stdout.close()
