"""Small helpers over the CLI for behaviour tests."""

from __future__ import annotations

import json
from typing import Any

from tests.conftest import Repo


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
