"""How the browser tests and ``make screenshots`` launch Chromium: Debian's, as root."""

from __future__ import annotations

import os
from pathlib import Path

#: Playwright cannot download its own browser here; the system's (``apt-get install chromium``).
CHROMIUM = Path(os.environ.get("PLAZA_CHROMIUM", "/usr/bin/chromium"))
#: No sandbox (we run as root), and none of the services a desktop browser calls home to.
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
