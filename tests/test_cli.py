"""The command line: help on everything, the entry point, output for people and programs."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import typer

from git_model.cli import app
from tests.conftest import BIN, Repo
from tests.helpers import ok

ROOT = Path(__file__).parent.parent


def _commands() -> dict[str, Any]:
    """Every command by its name after `git model`, groups (`hooks`) and theirs included."""
    group: Any = typer.main.get_command(app)
    found = {"": group}
    for name, command in group.commands.items():
        found[name] = command
        for sub, inner in getattr(command, "commands", {}).items():
            found[f"{name} {sub}"] = inner
    return found


@pytest.mark.parametrize("name", sorted(_commands()))
def test_every_command_and_option_has_help_text(name: str) -> None:
    command = _commands()[name]
    assert (command.help or "").strip(), f"command {name!r} has no help"
    for param in command.params:
        text = getattr(param, "help", None)
        assert text and text.strip(), f"{name} {param.name}: no help text"


def test_help_lists_every_command(repo: Repo) -> None:
    text = ok(repo, "--help")
    for name in _commands():
        assert name.partition(" ")[0] in text
    assert "install" in ok(repo, "hooks", "--help") and "run" in ok(repo, "hooks", "--help")


def test_the_installed_executable_runs_as_a_git_subcommand(repo: Repo) -> None:
    proc = repo.run("--version")
    assert proc.returncode == 0
    assert proc.stdout.startswith("git-model ")
    via_git = repo.git("model", "-h")
    assert "register" in via_git


def test_no_arguments_prints_help(repo: Repo) -> None:
    result = repo.cli()
    assert "Usage" in result.stdout + result.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["show"],
        ["show", "churn"],
        ["show", "--all"],
        ["history"],
        ["history", "churn"],
        ["describe", "churn@latest"],
        ["doctor"],
    ],
)
def test_json_output_parses(repo: Repo, args: list[str]) -> None:
    ok(repo, "register", "churn")
    ok(repo, "promote", "churn@0.1.0", "--to", "dev")
    parsed = json.loads(ok(repo, *args, "--json"))
    assert isinstance(parsed, dict)


def test_write_commands_report_in_json(repo: Repo) -> None:
    registered = json.loads(ok(repo, "register", "churn", "--json"))
    assert registered["action"] == "registered"
    assert registered["refs"] == [
        {"ref": "refs/tags/churn@v0.1.0", "old": None, "new": repo.git("rev-parse", "churn@v0.1.0")}
    ]
    promoted = json.loads(ok(repo, "promote", "churn@0.1.0", "--json"))
    assert [r["ref"] for r in promoted["refs"]] == ["refs/tags/churn#dev#1", "refs/tags/churn#dev"]


def test_human_output_of_writes(repo: Repo) -> None:
    assert ok(repo, "register", "churn").startswith("Registered churn v0.1.0 at ")
    repo.commit("next")
    ok(repo, "register", "churn")
    ok(repo, "promote", "churn@0.1.0", "--to", "prod")
    text = ok(repo, "promote", "churn@0.2.0", "--to", "prod")
    assert text.splitlines()[0] == "Promoted churn v0.2.0 to prod, replacing v0.1.0"
    assert "churn#prod!#2, churn#prod#3, churn#prod" in text
    text = ok(repo, "demote", "churn#prod")
    assert text.splitlines()[0] == "Demoted churn v0.2.0 from prod; prod is now empty"


def test_the_manual_page_is_generated_from_the_cli() -> None:
    script = ROOT / "scripts" / "gen_man.py"
    proc = subprocess.run(
        [sys.executable, str(script), "--check"], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stdout


@pytest.mark.skipif(shutil.which("man") is None, reason="this machine has no `man`")
def test_git_model_dash_dash_help_opens_the_manual_page(repo: Repo, tmp_path: Path) -> None:
    # Git turns `git model --help` into `man git-model`; man finds pages in ../share/man
    # of every PATH entry, where the install puts ours.
    prefix = tmp_path / "prefix"
    (prefix / "bin").mkdir(parents=True)
    (prefix / "bin" / "git-model").symlink_to(BIN / "git-model")
    (prefix / "share" / "man" / "man1").mkdir(parents=True)
    shutil.copy(ROOT / "man" / "git-model.1", prefix / "share" / "man" / "man1")
    proc = subprocess.run(
        ["git", "model", "--help"],
        cwd=repo.path,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PATH": f"{prefix / 'bin'}:/usr/bin:/bin", "MANPAGER": "cat"},
    )
    assert proc.returncode == 0, proc.stderr
    assert "git model register" in proc.stdout
