"""Fixtures: real Git repositories in tmp_path, an isolated Git environment, a controlled clock."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from git_model.cli import app

BASE_TIME = 1_767_225_600  # 2026-01-01T00:00:00Z
USER_NAME = "Test User"
USER_EMAIL = "test@example.com"
BIN = Path(sys.executable).parent

_GIT_ENV_TO_CLEAR = (
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_INDEX_FILE",
    "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES",
    "GIT_CONFIG",
    "GIT_CONFIG_COUNT",
    "GIT_CONFIG_PARAMETERS",
    "GIT_CONFIG_SYSTEM",
    "GIT_AUTHOR_DATE",
    "GIT_COMMITTER_DATE",
    "GIT_NAMESPACE",
    "GIT_CEILING_DIRECTORIES",
)


@pytest.fixture(autouse=True)
def isolated_git(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Never touch the developer's HOME or Git config; give Git a known identity."""
    return isolate(tmp_path_factory.mktemp("home"), monkeypatch)


def isolate(home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point HOME and Git's configuration at ``home``, with a known identity (also for
    fixtures wider than one test, through their own ``pytest.MonkeyPatch.context()``)."""
    gitconfig = home / ".gitconfig"
    gitconfig.write_text(
        f"[user]\n\tname = {USER_NAME}\n\temail = {USER_EMAIL}\n"
        "[init]\n\tdefaultBranch = main\n"
        "[tag]\n\tgpgSign = false\n[commit]\n\tgpgSign = false\n"
        "[advice]\n\tdetachedHead = false\n"
    )
    for var in _GIT_ENV_TO_CLEAR:
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("PATH", f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(gitconfig))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_AUTHOR_NAME", USER_NAME)
    monkeypatch.setenv("GIT_AUTHOR_EMAIL", USER_EMAIL)
    monkeypatch.setenv("GIT_COMMITTER_NAME", USER_NAME)
    monkeypatch.setenv("GIT_COMMITTER_EMAIL", USER_EMAIL)
    # DVC: no analytics (no network in tests), its machine-wide cache under the test HOME.
    monkeypatch.setenv("DVC_NO_ANALYTICS", "1")
    monkeypatch.setenv("DVC_SITE_CACHE_DIR", str(home / "dvc-site-cache"))
    return home


@dataclass
class Clock:
    """The time Git (and so git-model) sees, via GIT_COMMITTER_DATE / GIT_AUTHOR_DATE."""

    monkeypatch: pytest.MonkeyPatch
    now: int = BASE_TIME

    def set(self, when: int) -> None:
        self.now = when
        stamp = f"@{when} +0000"
        self.monkeypatch.setenv("GIT_COMMITTER_DATE", stamp)
        self.monkeypatch.setenv("GIT_AUTHOR_DATE", stamp)

    def tick(self, seconds: int = 1) -> int:
        self.set(self.now + seconds)
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    c = Clock(monkeypatch)
    c.set(BASE_TIME)
    return c


@dataclass
class CliResult:
    exit_code: int
    stdout: str
    stderr: str


class Repo:
    """A real Git repository in a temporary directory."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def git(
        self, *args: str, check: bool = True, input: str | None = None, date: int | None = None
    ) -> str:
        """Run git here; ``date`` stamps what it writes (as GIT_COMMITTER_DATE would)."""
        env = None if date is None else {**os.environ, "GIT_COMMITTER_DATE": f"@{date} +0000"}
        proc = subprocess.run(
            ["git", *args],
            cwd=self.path,
            capture_output=True,
            text=True,
            input=input,
            check=False,
            env=env,
        )
        if check and proc.returncode != 0:
            raise AssertionError(f"git {' '.join(args)} failed: {proc.stderr}")
        return proc.stdout.strip()

    def commit(self, message: str = "change", files: dict[str, str] | None = None) -> str:
        """Commit ``files`` (default: a new line in model.bin); return the commit id."""
        if files is None:
            model = self.path / "model.bin"
            previous = model.read_text() if model.exists() else ""
            files = {"model.bin": previous + message + "\n"}
        for name, text in files.items():
            target = self.path / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text)
        self.git("add", *files)
        self.git("commit", "-q", "-m", message)
        return self.git("rev-parse", "HEAD")

    def refs(self) -> str:
        """Every ref and the object it points at: compare before/after a refused command."""
        return self.git("for-each-ref", "--format=%(refname) %(objectname)")

    def tags(self) -> list[str]:
        return self.git("tag", "-l").splitlines()

    def cli(self, *args: str) -> CliResult:
        """Run ``git model ARGS`` in-process, in this repository."""
        cwd = Path.cwd()
        os.chdir(self.path)
        try:
            result = CliRunner().invoke(app, list(args), catch_exceptions=False)
        finally:
            os.chdir(cwd)
        return CliResult(result.exit_code, result.stdout, result.stderr)

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run the installed ``git-model`` executable (a real process)."""
        return subprocess.run(
            [str(BIN / "git-model"), *args],
            cwd=self.path,
            capture_output=True,
            text=True,
            check=False,
        )


@pytest.fixture
def repo(tmp_path: Path, clock: Clock) -> Repo:
    """A repository with one commit."""
    path = tmp_path / "repo"
    path.mkdir()
    r = Repo(path)
    r.git("init", "-q")
    r.commit("initial")
    return r


@pytest.fixture
def empty_repo(tmp_path: Path, clock: Clock) -> Repo:
    """A repository with no commits."""
    path = tmp_path / "empty"
    path.mkdir()
    r = Repo(path)
    r.git("init", "-q")
    return r


def dvc(repo: Repo, *args: str) -> str:
    """Run the real `dvc` command line in a repository (as a user would)."""
    proc = subprocess.run(
        [str(BIN / "dvc"), *args], cwd=repo.path, capture_output=True, text=True, check=False
    )
    if proc.returncode != 0:
        raise AssertionError(f"dvc {' '.join(args)} failed: {proc.stderr}")
    return proc.stdout


@pytest.fixture
def dvc_repo(repo: Repo, tmp_path: Path) -> Repo:
    """A repository with DVC initialised, a local-directory DVC remote, all committed."""
    storage = tmp_path / "dvc-storage"
    storage.mkdir()
    dvc(repo, "init", "-q")
    dvc(repo, "remote", "add", "-d", "storage", str(storage))
    repo.git("add", ".dvc", ".dvcignore")
    repo.git("commit", "-q", "-m", "Use DVC")
    return repo
