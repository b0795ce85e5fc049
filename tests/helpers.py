"""Small helpers over the CLI for behaviour tests."""

from __future__ import annotations

import json
import os
import subprocess
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import BIN, Repo


def ok(repo: Repo, *args: str) -> str:
    """Run ``git model ARGS``; fail the test with its stderr unless it succeeds."""
    result = repo.cli(*args)
    assert result.exit_code == 0, f"git model {' '.join(args)}: {result.stderr}"
    return result.stdout


def data(repo: Repo, *args: str) -> Any:
    """Run ``git model ARGS --json`` and parse its output."""
    return json.loads(ok(repo, *args, "--json"))


def stages(repo: Repo, model: str) -> dict[str, str | None]:
    """Stage -> version held, from ``show NAME --json``."""
    view = data(repo, "show", model)
    return {
        cell["stage"]: cell["holder"]["version"] if cell["holder"] else None
        for cell in view["stages"]
    }


def versions(repo: Repo, model: str, *flags: str) -> list[str]:
    return [v["version"] for v in data(repo, "show", model, *flags)["versions"]]


def events(repo: Repo, model: str | None = None) -> list[tuple[Any, ...]]:
    """(kind, version, stage, counter) of every event, oldest first."""
    args = ["history", "--oldest-first"] + ([model] if model else [])
    return [
        (e["kind"], e["version"], e["stage"], e["counter"]) for e in data(repo, *args)["events"]
    ]


def tag(repo: Repo, name: str, target: str, when: int, message: str = "by hand") -> None:
    """Write (or overwrite) an annotated tag as another tool would, at a given time."""
    repo.git("tag", "-a", "-f", name, target, "-m", message, date=when)


def git_calls(
    repo: Repo, monkeypatch: pytest.MonkeyPatch, *args: str, exit_code: int = 0
) -> Counter[str]:
    """The Git processes ``git model ARGS`` starts, by subcommand (from GIT_TRACE); the
    command must exit with ``exit_code``."""
    trace = repo.path.parent / "git-trace.log"
    trace.unlink(missing_ok=True)
    monkeypatch.setenv("GIT_TRACE", str(trace))
    try:
        result = repo.cli(*args)
    finally:
        monkeypatch.delenv("GIT_TRACE")
    assert result.exit_code == exit_code, f"git model {' '.join(args)}: {result.stderr}"
    return traced_git_calls(trace)


def traced_git_calls(trace: Path) -> Counter[str]:
    """The Git processes a GIT_TRACE file records, by subcommand."""
    calls: Counter[str] = Counter()
    for line in trace.read_text().splitlines():
        if "trace: built-in: git " in line:
            words = line.split("trace: built-in: git ", 1)[1].split()
            calls[next(w for w in words if not w.startswith("-"))] += 1
    return calls


def churn_in_prod(repo: Repo, *, dev: bool = False) -> Repo:
    """churn v1.0.0 in prod and v1.1.0 registered on a later commit (with ``dev``: in dev)."""
    ok(repo, "register", "churn", "--version", "1.0.0")
    ok(repo, "promote", "churn@1.0.0", "--to", "prod")
    repo.commit("retrain")
    ok(repo, "register", "churn", "--version", "1.1.0")
    if dev:
        ok(repo, "promote", "churn@1.1.0", "--to", "dev")
    return repo


def run_ci_script(
    cwd: Path, script: str, env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the shell script of a job of a CI file (docs/ci) as the job would: in its clone,
    with this environment's ``git-model`` first on PATH and the job's variables ``env``."""
    path = f"{BIN}{os.pathsep}{os.environ['PATH']}"
    return subprocess.run(
        ["bash", "-c", script],
        cwd=cwd,
        env={**os.environ, "PATH": path, **(env or {})},
        capture_output=True,
        text=True,
        check=False,
    )
