"""Debian's Chromium, as the report's browser tests and scripts/report_screenshot.py start
it through playwright: never a browser download."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

CHROMIUM = Path("/usr/bin/chromium")
# The machine's network is closed: without the background-networking flags Chromium
# keeps trying to reach its services and floods the log with refused connections.
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def missing() -> str | None:
    """Why no browser can be started here; None when one can."""
    if not CHROMIUM.exists():
        return (
            f"{CHROMIUM} is not installed: `make chromium` installs Debian's package as root "
            "(apt-get install --no-install-recommends chromium)"
        )
    if importlib.util.find_spec("playwright") is None:
        return "playwright is not installed: pip install -e '.[test]'"
    return None


def launch(playwright: Any) -> Any:
    """Debian's Chromium, headless, started by ``playwright`` (a playwright instance)."""
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
