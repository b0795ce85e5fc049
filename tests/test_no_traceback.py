"""No input reaches the user as a Python traceback: the installed ``git-model`` executable,
run over a corpus of bad inputs, answers each with the documented exit code and one line
on standard error (the command-line parser's refusals too), and changes no ref.

The corpus is ``CORPUS``, a list to extend: a ``Case`` is the arguments, the exit code
where one is certain, and what to do to the repository first. Every case runs in its own
copy of one registry, built once per module: ``churn`` 1.0.0 in ``prod`` and 1.1.0 (at
HEAD), ``README`` a regular file (a directory that is a file, for ``-o`` paths), and
``models/`` a directory.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from git_model.errors import EXIT_CODES
from tests.conftest import BASE_TIME, Clock, Repo, isolate
from tests.helpers import ok

Setup = Callable[[Repo], None]


@dataclass(frozen=True)
class Case:
    args: tuple[str, ...]
    code: int | None = None  # the exit code it must give, where one is certain
    setup: Setup | None = None  # what to do to the repository before running it
    note: str = ""  # names the case where its arguments do not

    @property
    def id(self) -> str:
        shown = " ".join(self.args)
        if len(shown) > 60:
            shown = shown[:40] + f"...({len(shown)} chars)"
        return f"{shown} [{self.note}]" if self.note else shown


def committed(files: dict[str, str]) -> Setup:
    """Commit these files (as the registry's YAML files would be)."""

    def setup(repo: Repo) -> None:
        repo.commit("bad input", files)

    return setup


def written(path: str, text: str) -> Setup:
    """Write a file into the working tree, uncommitted."""

    def setup(repo: Repo) -> None:
        (repo.path / path).parent.mkdir(parents=True, exist_ok=True)
        (repo.path / path).write_text(text)

    return setup


def linked(path: str, target: str) -> Setup:
    """Make ``path`` a symbolic link to ``target`` (absolute, or in the repository's parent)."""

    def setup(repo: Repo) -> None:
        link = repo.path / path
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(target if target.startswith("/") else repo.path.parent / target)

    return setup


def fifo(path: str) -> Setup:
    def setup(repo: Repo) -> None:
        (repo.path / path).parent.mkdir(parents=True, exist_ok=True)
        os.mkfifo(repo.path / path)

    return setup


def directory(path: str) -> Setup:
    return lambda repo: (repo.path / path).mkdir(parents=True)


LONG = "a" * 10_000
NESTED = "/".join("a" * 200)

CORPUS: list[Case] = [
    # Names: the grammar and its limits.
    Case(("register", LONG), 4),
    Case(("register", NESTED), 4),
    Case(("register", "a" * 129), 4),
    Case(("register", ""), 4),
    Case(("register", "churn\n"), 4),
    Case(("register", "modèle"), 4),
    Case(("register", "churn.lock"), 4),
    Case(("register", "a/.b"), 4),
    Case(("show", LONG), 4),
    Case(("describe", "churn#ünï"), 4),
    Case(("describe", "churn@"), 4),
    Case(("describe", "@"), 4),
    Case(("describe", "churn@latest#prod"), 4),
    Case(("describe", "churn#prod@1.0.0"), 4),
    Case(("describe", f"churn@1.0.0-{LONG}"), 4),
    Case(("describe", "churn@1.0.0-x.lock"), 5),
    Case(("history", "ghost"), 5),
    Case(("compare", "churn@1.0.0", "ghost#prod"), 5),
    # Versions: semantic, bounded, and storable by Git.
    *(
        Case(("register", "churn", "--version", version), 4)
        for version in (
            "1.0.0-x.lock",
            "1.0.0+build.lock",
            "1.0.0-" + "a" * 59,
            "1.0.0-" + "9" * 5000,
            "",
            "1.0.0\n",
        )
    ),
    # Stages.
    *(
        Case(("promote", "churn@1.1.0", "--to", stage), 4)
        for stage in ("", "prød", "prod/", "x.lock", "-x", "s" * 65, "qa")
    ),
    Case(("demote", "churn#😀"), 4),
    Case(("demote", "churn@1.0.0"), 2),
    # Revisions.
    *(
        Case(("register", "other", "--rev", rev), 5)
        for rev in ("", "HEAD\nHEAD", "HEAD:README", "@{-1}", "-x", "--output=/tmp/x", LONG)
    ),
    # Messages.
    Case(("register", "other", "-m", "   "), 2),
    Case(("promote", "churn@1.1.0", "--to", "dev", "-m", ""), 2),
    Case(("archive", "churn@1.1.0", "-m", " \t "), 2),
    Case(("annotate", "churn@1.0.0", "uat=passed", "-m", "  "), 2),
    # Annotations.
    Case(("annotate", "churn@1.0.0", "=passed"), 4),
    Case(("annotate", "churn@1.0.0", "ключ=v"), 4),
    # --path and --type.
    Case(("register", "other", "--path", "a\nb.pkl"), 2),
    Case(("register", "other", "--path", "/"), 2),
    Case(("register", "other", "--path", "../outside.pkl"), 2),
    Case(("register", "other", "--path", ""), 2),
    Case(("register", "other", "--path", LONG), 5),
    Case(("register", "other", "--type", "a\nb"), 2),
    Case(("register", "other", "--type", "a\nb"), 2, committed({"models/other.yaml": "type: x\n"})),
    # Files the registry reads: the model's YAML file, dvc.yaml, git-model.yaml.
    Case(("register", "other"), 9, committed({"models/other.yaml": "path: ../../x\n"})),
    Case(("register", "other"), 9, committed({"models/other.yaml": "path: /etc/passwd\n"})),
    Case(("register", "other"), 9, committed({"models/other.yaml": 'path: "a\\nb"\n'})),
    Case(("register", "other"), 9, committed({"models/other.yaml": 'type: "a\\nb"\n'})),
    Case(("register", "other"), 9, committed({"models/other.yaml": "metrics: [../m.json]\n"})),
    Case(("register", "other"), 9, committed({"models/other.yaml": "metrics: [missing.json]\n"})),
    Case(("register", "other"), 9, linked("models/other.yaml", "/dev/zero"), "yaml /dev/zero"),
    Case(("register", "other"), 9, fifo("models/other.yaml"), "yaml fifo"),
    Case(("register", "other"), 9, directory("models/other.yaml"), "yaml directory"),
    Case(("register", "other"), 9, written("models/other.yaml", "[" * 30), "yaml deep"),
    Case(("register", "other"), 9, written("models/other.yaml", "\xff"), "yaml not utf-8"),
    Case(("register", "other"), 9, linked("models/other.yaml", "elsewhere.yaml"), "yaml out"),
    Case(
        ("register", "other"),
        9,
        committed({"dvc.yaml": "artifacts:\n  other:\n    path: ../x.pkl\n"}),
    ),
    Case(("register", "other"), 9, committed({"dvc.yaml": "metrics:\n  - ../../m.json\n"})),
    Case(("register", "other"), 9, committed({"dvc.yaml": "artifacts: [1\n"})),
    Case(("show",), 9, linked("git-model.yaml", "/dev/zero"), "config /dev/zero"),
    Case(("show",), 9, fifo("git-model.yaml"), "config fifo"),
    Case(("show",), 9, directory("git-model.yaml"), "config directory"),
    Case(("show",), 9, written("git-model.yaml", "models: ../x\n"), "config models"),
    Case(("register", "other"), 9, written("git-model.yaml", f"models: {LONG}\n"), "long models"),
    Case(("show",), 9, written("git-model.yaml", f"stages: [{'s' * 65}]\n"), "config stage"),
    Case(("show",), 9, written("git-model.yaml", "stages: [a, [b]]\n"), "config list"),
    Case(("show",), 9, written("git-model.yaml", "\x00\x01"), "config binary"),
    Case(("init",), 9, written("git-model.yaml", "stages: [dev]\n"), "config exists"),
    Case(("init", "--stages", "s" * 65), 2),
    Case(("init", "--types", "a\nb"), 2),
    # Files the registry writes.
    Case(("card", "churn@1.0.0", "-o", "/nonexistent/card.md"), 9),
    Case(("card", "churn@1.0.0", "-o", "README/card.md"), 9),
    Case(("card", "churn@1.0.0", "-o", "models", "--force"), 9),
    Case(("card", "churn@1.0.0", "-o", "README"), 6),
    Case(("card", "churn@1.0.0", "-o", LONG), 9),
    Case(("get", "churn@1.0.0", "-o", "README/model.pkl"), 5),
    # Remotes.
    Case(("show", "--repo", "ext::sh -c touch% /tmp/pwned"), 4),
    Case(("show", "--repo", "/nonexistent/repo"), 12),
    Case(("fetch", "nowhere"), 12),
    Case(("show", "--repo", "a\nb"), 12),
    Case(("card", "churn@1.0.0", "-o", "a\nb"), 6, written("a\nb", "there"), "exists"),
    Case(("promote", "churn@1.1.0", "--to", "dev", "--push", "--remote", "nowhere"), 12),
    Case(("register", "other", "--push", "--remote", "-x"), 4),
    # What the command-line parser refuses.
    Case(("register",), 2),
    Case(("promote", "churn@1.1.0", "--to"), 2),
    Case(("card", "churn@1.0.0", "-o"), 2),
    Case(("annotate", "churn@1.0.0"), 2),
    Case(("register", "churn", "--bump", "huge"), 2),
    Case(("history", "--metric"), 2),
]


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The registry every case copies, built once (with its own isolated Git setup: the
    function-scoped fixtures do not reach this far)."""
    path = tmp_path_factory.mktemp("corpus") / "repo"
    path.mkdir()
    with pytest.MonkeyPatch.context() as monkeypatch:
        isolate(tmp_path_factory.mktemp("home"), monkeypatch)
        Clock(monkeypatch).set(BASE_TIME)
        repo = Repo(path)
        repo.git("init", "-q")
        shutil.rmtree(path / ".git" / "hooks")  # samples only: less to copy for every case
        repo.commit("initial", {"README": "a file, not a directory\n", "models/.keep": ""})
        ok(repo, "register", "churn", "--version", "1.0.0")
        ok(repo, "promote", "churn@1.0.0", "--to", "prod")
        repo.commit("retrain")
        ok(repo, "register", "churn", "--version", "1.1.0")
    return path


@pytest.mark.parametrize("case", CORPUS, ids=[case.id for case in CORPUS])
def test_bad_input_never_gives_a_traceback(registry: Path, tmp_path: Path, case: Case) -> None:
    repo = Repo(tmp_path / "repo")
    shutil.copytree(registry, repo.path, symlinks=True)
    if case.setup is not None:
        case.setup(repo)
    before = repo.refs()
    result = repo.run(*case.args)
    said = result.stderr[-1500:]  # the end of a traceback, or the message
    assert "Traceback" not in result.stderr, said
    assert result.returncode in {*EXIT_CODES.values(), 2}, said
    if case.code is not None:
        assert result.returncode == case.code, said
    lines = result.stderr.splitlines()  # the parser's refusals read like the registry's
    assert len(lines) == 1, said
    assert lines[0].startswith("git-model: error: "), said
    assert "; " in lines[0]  # what is wrong; how to fix it
    assert result.stdout == ""
    assert repo.refs() == before
    assert list(tmp_path.glob("elsewhere*")) == []  # nothing written out of the repository
