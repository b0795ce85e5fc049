"""Racing real git-model processes against each other, at the worst moment.

Two writers race for real only if both read the registry before either writes. A process
cannot be told to pause there, so each racer runs with a ``git`` on its PATH that stops
at the first ``git hash-object`` (git-model's first write: its tag objects, made after
every read and check) until the test has seen every racer arrive there, then lets them
all go at once. Git itself is the real one; only the moment is chosen.
"""

from __future__ import annotations

import os
import select
import shutil
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import BIN

_SHIM = """#!/bin/sh
# Stop at the first hash-object until the test says go (see tests/racing.py).
for arg in "$@"; do
  if [ "$arg" = hash-object ] && [ ! -e "$RACE_DIR/passed-$PPID" ]; then
    : > "$RACE_DIR/passed-$PPID"
    echo $PPID > "$RACE_DIR/owner-$$"
    mkfifo "$RACE_DIR/go-$$"
    echo $$ > "$RACE_DIR/arrive"
    read _ < "$RACE_DIR/go-$$"
    break
  fi
done
exec "$REAL_GIT" "$@"
"""

ARRIVAL_TIMEOUT = 60.0  # seconds a racer may take to reach its first write


@dataclass
class Outcome:
    args: tuple[str, ...]
    code: int
    stdout: str
    stderr: str


class Race:
    """Racers started together in their repositories, released together at their writes."""

    def __init__(self, workdir: Path) -> None:
        self.dir = workdir
        self.dir.mkdir(parents=True, exist_ok=True)
        shim = self.dir / "bin" / "git"
        shim.parent.mkdir(exist_ok=True)
        shim.write_text(_SHIM)
        shim.chmod(0o755)
        real = shutil.which("git")
        assert real is not None
        self.env = {
            **os.environ,
            "PATH": f"{shim.parent}{os.pathsep}{os.environ['PATH']}",
            "REAL_GIT": real,
            "RACE_DIR": str(self.dir),
        }
        self.arrive = self.dir / "arrive"
        os.mkfifo(self.arrive)

    def run(self, *racers: tuple[Path, Sequence[str]], staggered: bool = False) -> list[Outcome]:
        """Run ``git-model ARGS`` in each repository at once; return how each ended. With
        ``staggered``, the racers still all read before any writes, but write one after the
        other: each starts its write only once the one before has finished."""
        for stale in [*self.dir.glob("passed-*"), *self.dir.glob("owner-*")]:
            stale.unlink()
        procs = [
            subprocess.Popen(
                [str(BIN / "git-model"), *args],
                cwd=cwd,
                env=self.env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for cwd, args in racers
        ]
        self._release_together(procs, staggered)
        return [
            Outcome(tuple(args), proc.wait(), *proc.communicate())
            for proc, (_, args) in zip(procs, racers, strict=True)
        ]

    def _release_together(self, procs: list[subprocess.Popen[str]], staggered: bool) -> None:
        """Wait until every racer still running has reached its first write, then let
        them all go (one by one, each after the one before ended, when ``staggered``). A
        racer that ends before writing (it was refused) is not waited for."""
        deadline = time.monotonic() + ARRIVAL_TIMEOUT
        # Opened for writing too, so that it never reads as ended between racers' lines.
        fd = os.open(self.arrive, os.O_RDWR | os.O_NONBLOCK)
        waiting: list[str] = []
        buffer = ""
        try:
            while len(waiting) < sum(p.poll() is None for p in procs):
                assert time.monotonic() < deadline, "a racer never reached its first write"
                if select.select([fd], [], [], 0.05)[0]:
                    buffer += os.read(fd, 4096).decode()
                    *lines, buffer = buffer.split("\n")
                    waiting += [line for line in lines if line]
        finally:
            os.close(fd)
        by_pid = {str(p.pid): p for p in procs}
        for pid in waiting:
            go = self.dir / f"go-{pid}"
            with go.open("w") as handle:
                handle.write("go\n")
            go.unlink()
            if staggered:
                # The shim's parent is the racer: wait for the one it belongs to.
                owner = (self.dir / f"owner-{pid}").read_text().strip()
                by_pid[owner].wait()
