"""A registry shared through a Git remote: a real bare "server" repository, a real
local-directory DVC remote whose URL is committed in ``.dvc/config``, and real clones.

Layout under ``tmp_path``: ``server.git`` (bare), ``dvc-storage`` (the DVC remote),
``alice`` (the first clone, which set the project up), and any further clones.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import Repo


def md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes(), usedforsecurity=False).hexdigest()


def save_model(repo: Repo, relpath: str = "models/churn.pkl", size: int = 20_000) -> Path:
    """Write a 'trained model' of random bytes into the work tree."""
    path = repo.path / relpath
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(os.urandom(size))
    return path


def git_at(path: Path, *args: str, check: bool = True) -> str:
    """Run git in ``path`` (a bare repository, or any directory)."""
    proc = subprocess.run(["git", *args], cwd=path, capture_output=True, text=True, check=False)
    if check and proc.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} in {path} failed: {proc.stderr}")
    return proc.stdout.strip()


def model_patterns(model: str) -> tuple[str, str]:
    return (f"refs/tags/{model}@*", f"refs/tags/{model}#*")


@dataclass
class Shared:
    root: Path
    server: Path
    storage: Path
    alice: Repo

    def clone(self, name: str) -> Repo:
        """A new clone of the server (it has no DVC cache)."""
        git_at(self.root, "clone", "-q", str(self.server), name)
        return Repo(self.root / name)

    def server_refs(self, model: str | None = None) -> dict[str, str]:
        """The server's tags (name -> object), as ``git ls-remote`` lists them."""
        patterns = model_patterns(model) if model else ("refs/tags/*",)
        out = git_at(self.root, "ls-remote", str(self.server), *patterns)
        pairs = (line.split("\t") for line in out.splitlines())
        return {ref: oid for oid, ref in pairs if not ref.endswith("^{}")}

    def server_refs_of(self, ref: str) -> str | None:
        """What one ref of the server (any namespace) points at, or None."""
        return self.server_git("for-each-ref", "--format=%(objectname)", ref) or None

    def server_git(self, *args: str, check: bool = True) -> str:
        return git_at(self.server, *args, check=check)

    def stored(self, md5_hash: str) -> Path:
        """Where the DVC remote keeps the object with this hash (DVC 3 layout)."""
        return self.storage / "files" / "md5" / md5_hash[:2] / md5_hash[2:]


def local_refs(repo: Repo, model: str | None = None) -> dict[str, str]:
    """A clone's tags (name -> object), comparable with ``Shared.server_refs``."""
    patterns = model_patterns(model) if model else ("refs/tags",)
    out = repo.git("for-each-ref", "--format=%(refname) %(objectname)", *patterns)
    found = {}
    for line in out.splitlines():
        ref, _, oid = line.partition(" ")
        found[ref] = oid
    return found


def make_shared(tmp_path: Path, *, dvc_remote: bool = True) -> Shared:
    """Set the project up as its first user would: a bare server, a clone with DVC
    initialised and (unless not ``dvc_remote``) a DVC remote configured and committed,
    pushed to the server."""
    from dvc.repo import Repo as DvcRepo  # noqa: PLC0415  (imported once per worker)

    server = tmp_path / "server.git"
    storage = tmp_path / "dvc-storage"
    storage.mkdir()
    git_at(tmp_path, "init", "-q", "--bare", str(server))
    alice = Repo(tmp_path / "alice")
    alice.path.mkdir()
    alice.git("init", "-q")
    alice.commit("initial", files={"README.md": "churn models\n"})
    dvc_project = DvcRepo.init(str(alice.path))
    try:
        with dvc_project.config.edit() as conf:
            if dvc_remote:
                conf["remote"]["storage"] = {"url": str(storage)}
                conf["core"]["remote"] = "storage"
    finally:
        dvc_project.close()
    alice.git("add", ".dvc", ".dvcignore")
    alice.git("commit", "-q", "-m", "Use DVC" + (", with the team's storage" if dvc_remote else ""))
    alice.git("remote", "add", "origin", str(server))
    alice.git("push", "-q", "-u", "origin", "main")
    return Shared(tmp_path, server, storage, alice)
