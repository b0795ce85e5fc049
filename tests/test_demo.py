"""`make demo` runs end to end, and ends by saying what to do next: where its repositories
are, how to put `git model` on PATH, and commands to try, which work as printed."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

from tests.conftest import BIN

ROOT = Path(__file__).parent.parent


def test_the_demo_ends_with_next_steps_that_work_as_typed(tmp_path: Path) -> None:
    env = {**os.environ, "TMPDIR": str(tmp_path), "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}
    demo = subprocess.run(
        ["bash", "scripts/demo.sh"],  # as `make demo` runs it, in the project's directory
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert demo.returncode == 0, demo.stdout + demo.stderr
    [where] = tmp_path.glob("git-model-demo.*")
    plain = re.sub(r"\x1b\[[0-9;]*m", "", demo.stdout)
    _, _, next_steps = plain.rpartition("# Next steps\n")
    assert f"The demo's repositories are in {where} (delete it when done)" in next_steps
    typed = [line.strip() for line in next_steps.splitlines() if line.startswith("    ")]
    assert typed[0] == 'export PATH="$PWD/.venv/bin:$PATH"'
    assert typed[1] == f"cd {where}/scientist && git model show"
    assert 3 <= len(typed) <= 4, typed

    # Typed in order into one shell in the project's directory, as the demo says.
    reader = subprocess.run(
        ["bash", "-e", "-c", "\n".join(typed)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert reader.returncode == 0, reader.stdout + reader.stderr
    assert "churn" in reader.stdout
    assert reader.stderr == ""
