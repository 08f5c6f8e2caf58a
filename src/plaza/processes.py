"""Whether a process still runs, as the commands that stop others (``plaza stack down``,
``plaza devnet down``) and the tests that check nothing was left behind need to know.

Signal 0 says whether the pid exists; a zombie (exited, not yet reaped by its parent,
such as a supervisor a shell script or a test started and has not waited for) exists
too, but has stopped, and ``/proc`` tells them apart.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["alive"]


def alive(pid: int) -> bool:
    """Running: it exists and is not a zombie (where there is no ``/proc`` to tell, it
    counts as running once signalling it works)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # someone else's process: it exists
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True
    return state != "Z"
