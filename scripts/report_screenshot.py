"""Redo docs/images/report.png: run the demo (scripts/demo.sh, in a throw-away directory),
open the report it ends with in Debian's Chromium, and take a full-page screenshot.

    .venv/bin/python scripts/report_screenshot.py [--out docs/images/report.png]

Needs what the browser tests need: /usr/bin/chromium (`make chromium`) and playwright
(`pip install -e '.[test]'`); it downloads no browser.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # for tests/browser.py: the browser as the tests start it

from tests import browser as chromium  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "images" / "report.png")
    parser.add_argument("--width", type=int, default=1200)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright  # noqa: PLC0415 (a test tool)

    with tempfile.TemporaryDirectory() as tmp:
        bin_dir = Path(sys.executable).parent
        env = {**os.environ, "TMPDIR": tmp, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}
        demo = subprocess.run(
            ["bash", "scripts/demo.sh"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if demo.returncode != 0:
            sys.exit(f"the demo failed:\n{demo.stdout[-2000:]}{demo.stderr[-2000:]}")
        found = re.search(r"^Wrote (\S+/report\.html) \(", demo.stdout, re.MULTILINE)
        if found is None:
            sys.exit("the demo did not say where it wrote the report")
        report = Path(found.group(1))
        with sync_playwright() as playwright:
            browser = chromium.launch(playwright)
            page = browser.new_page(viewport={"width": args.width, "height": 900})
            page.goto(report.as_uri())
            args.out.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(args.out), full_page=True)
            browser.close()
    print(f"wrote {args.out} from the demo's report")


if __name__ == "__main__":
    main()
