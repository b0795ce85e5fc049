"""Crashing git-model at every point where it writes, and checking what it leaves.

A fault is injected with strace into one Git process of a command (``update-ref``, which
moves the refs; ``hash-object``, which writes the tag objects; ``add`` and ``commit``
for ``register --path``): the Nth ``rename`` (``link``, ``unlink``, ``write``,
``fsync``) of that process is made to fail with an errno, or kills it. N goes from 1
until the process no longer reaches an Nth call, so every such point is visited.

Where Git is killed, git-model goes on just long enough to report the failure: it writes
nothing after a Git write fails (it only reads the refs back, to say what was written),
so what is on disk is what a power cut at that call leaves. That lets the command run in
the test's own process, several times faster than a new interpreter per crash point; the
whole process group is also killed at random moments, separately.

``snapshot`` and ``prefix_of`` say what a crash may leave: every ref at its value before
the command or its value after a clean run of it. (The clock is fixed, so a clean run
writes the very same objects every time.)
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

_SHIM = """#!/bin/sh
# Run one git subcommand under strace with a fault injected (tests/crashing.py).
sub=""
skip=""
for arg in "$@"; do
  if [ -n "$skip" ]; then skip=""; continue; fi
  case "$arg" in
    -c) skip=1 ;;
    -*) ;;
    *) sub=$arg; break ;;
  esac
done
if [ "$sub" = "$CRASH_TARGET" ] && [ ! -e "$CRASH_DIR/traced" ]; then
  : > "$CRASH_DIR/traced"
  strace -f -qq -o "$CRASH_DIR/strace.log" -e signal=none -e trace="$CRASH_CALL" \\
    -e inject="$CRASH_CALL:$CRASH_FAULT:when=$CRASH_N" "$REAL_GIT" "$@"
  code=$?
  # Killed (strace then dies of the same signal, unflushed), or an error was injected.
  if [ $code -eq 137 ] || grep -q INJECTED "$CRASH_DIR/strace.log"; then
    : > "$CRASH_DIR/fired"
  fi
  exit $code
fi
exec "$REAL_GIT" "$@"
"""

DATE = "@1767240000 +0000"  # every run of a scenario writes at the same moment


@dataclass(frozen=True)
class Fault:
    call: str  # the system call: rename, link, unlink, write, fsync
    fault: str  # what strace does: signal=SIGKILL, error=EIO, error=ENOSPC

    @property
    def kills(self) -> bool:
        return self.fault.startswith("signal=")

    def __str__(self) -> str:
        return f"{self.call}:{self.fault}"


class Injector:
    """The environment that injects one fault at one call of one Git subcommand."""

    def __init__(self, workdir: Path) -> None:
        self.marks = workdir / "marks"
        shim = workdir / "bin" / "git"
        shim.parent.mkdir(parents=True, exist_ok=True)
        shim.write_text(_SHIM)
        shim.chmod(0o755)
        real = shutil.which("git")
        assert real is not None
        self.path = f"{shim.parent}{os.pathsep}{os.environ['PATH']}"
        self.real = real

    def environment(self, target: str, fault: Fault, n: int) -> dict[str, str]:
        shutil.rmtree(self.marks, ignore_errors=True)
        self.marks.mkdir()
        return {
            "PATH": self.path,
            "REAL_GIT": self.real,
            "CRASH_DIR": str(self.marks),
            "CRASH_TARGET": target,
            "CRASH_CALL": fault.call,
            "CRASH_FAULT": fault.fault,
            "CRASH_N": str(n),
        }

    @property
    def fired(self) -> bool:
        """Whether the last run reached the Nth call, and the fault happened."""
        return (self.marks / "fired").exists()


def snapshot(repo: Path) -> dict[str, str]:
    """Every ref and its value."""
    out = subprocess.run(
        ["git", "for-each-ref", "--format=%(refname) %(objectname)"],
        cwd=repo,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return dict(line.split(" ", 1) for line in out.splitlines())


def prefix_of(now: dict[str, str], before: dict[str, str], after: dict[str, str]) -> list[str]:
    """The refs whose value is neither the one before the command nor the one after a
    clean run of it (empty: the state is the pre-state, the post-state, or between)."""
    return sorted(
        ref
        for ref in set(now) | set(before) | set(after)
        if now.get(ref) not in (before.get(ref), after.get(ref))
    )


def fsck(repo: Path) -> str:
    """What ``git fsck`` finds wrong (unreachable objects a crash leaves are not wrong)."""
    proc = subprocess.run(
        ["git", "fsck", "--no-dangling", "--no-progress"],
        cwd=repo,
        capture_output=True,
        text=True,
        check=False,
    )
    return "" if proc.returncode == 0 else proc.stdout + proc.stderr
