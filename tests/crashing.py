"""Crashing git-model at every point where it writes, and checking what it leaves.

A fault is injected with strace into one Git process of a command (``update-ref``, which
moves the refs; ``hash-object``, which writes the tag objects; ``add`` and ``commit``
for ``register --path``): the Nth ``rename`` (``link``, ``unlink``, ``write``,
``fsync``) of that process is made to fail with an errno, or to kill it. When the fault
kills Git, the ``git`` on the command's PATH (a small shell script) kills git-model
too, as a power cut would: nothing runs after the fault. N goes from 1 until the process
no longer reaches an Nth call, so every such point is visited.

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

from tests.conftest import BIN

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
  if [ $code -eq 137 ]; then kill -9 $PPID; fi
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


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str
    fired: bool  # the Nth call happened, and the fault with it


def env(extra: dict[str, str] | None = None) -> dict[str, str]:
    return {
        **os.environ,
        "GIT_COMMITTER_DATE": DATE,
        "GIT_AUTHOR_DATE": DATE,
        **(extra or {}),
    }


def git_model(repo: Path, *args: str, environ: dict[str, str] | None = None) -> Run:
    proc = subprocess.run(
        [str(BIN / "git-model"), *args],
        cwd=repo,
        capture_output=True,
        text=True,
        check=False,
        env=environ or env(),
    )
    return Run(proc.returncode, proc.stdout, proc.stderr, False)


class Injector:
    """Runs a command with one fault at one call of one Git subcommand."""

    def __init__(self, workdir: Path) -> None:
        self.dir = workdir
        shim = workdir / "bin" / "git"
        shim.parent.mkdir(parents=True, exist_ok=True)
        shim.write_text(_SHIM)
        shim.chmod(0o755)
        real = shutil.which("git")
        assert real is not None
        self.path = f"{shim.parent}{os.pathsep}{os.environ['PATH']}"
        self.real = real

    def run(self, repo: Path, args: tuple[str, ...], target: str, fault: Fault, n: int) -> Run:
        marks = self.dir / "marks"
        shutil.rmtree(marks, ignore_errors=True)
        marks.mkdir()
        environ = env(
            {
                "PATH": self.path,
                "REAL_GIT": self.real,
                "CRASH_DIR": str(marks),
                "CRASH_TARGET": target,
                "CRASH_CALL": fault.call,
                "CRASH_FAULT": fault.fault,
                "CRASH_N": str(n),
            }
        )
        run = git_model(repo, *args, environ=environ)
        run.fired = (marks / "fired").exists()
        return run


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
