"""Model artifacts: declared in ``dvc.yaml`` (``artifacts:``), tracked and moved by DVC.

A model named ``churn`` is declared in the repository's ``dvc.yaml``; ``dir/sub:churn`` in
``dir/sub/dvc.yaml`` (GTO's and DVC's convention). The declaration gives the artifact's
path; the ``.dvc`` file beside it (or ``dvc.lock``, for a pipeline's output) gives DVC's
hash and size. Reading what a commit declares needs only Git (one ``cat-file --batch``);
DVC is imported by the operations that move data: tracking, pushing, downloading.
"""

from __future__ import annotations

import hashlib
import logging
import posixpath
import re
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from git_model.errors import ArtifactError, ArtifactNotDeclared, OutputExists, writing
from git_model.safeyaml import load_yaml_blob, read_file, repo_path
from git_model.state import Artifact

if TYPE_CHECKING:
    from dvc.repo import Repo

    from git_model.gitcmd import Git

DVC_YAML = "dvc.yaml"
DVC_LOCK = "dvc.lock"
DVC_CONFIG = ".dvc/config"  # DVC's setup: which remote holds the artifacts' bytes
_CHUNK = 1 << 20


@dataclass(frozen=True, slots=True)
class Declaration:
    """Where a model is declared: the dvc.yaml file, and its name in it."""

    model: str
    dvc_yaml: str
    name: str

    @classmethod
    def of(cls, model: str) -> Declaration:
        directory, _, name = model.rpartition(":")
        if directory.endswith(DVC_YAML):
            directory = posixpath.dirname(directory)
        return cls(model, posixpath.join(directory, DVC_YAML) if directory else DVC_YAML, name)

    @property
    def directory(self) -> str:
        return posixpath.dirname(self.dvc_yaml)

    def entry(
        self, path: str, model_type: str | None, desc: str | None, labels: tuple[str, ...]
    ) -> dict[str, Any]:
        """The ``artifacts:`` entry that declares the model to DVC (its own fields only)."""
        found: dict[str, Any] = {"path": self.relative(path)}
        if model_type:
            found["type"] = model_type
        if desc:
            found["desc"] = desc
        if labels:
            found["labels"] = list(labels)
        return found

    def relative(self, path: str) -> str:
        """A repository path as written in this dvc.yaml (relative to its directory)."""
        return posixpath.relpath(path, self.directory or ".")


def _out(outs: object, path: str, base: str) -> dict[str, Any] | None:
    """The entry of ``outs`` (paths relative to ``base``) whose path is ``path``."""
    if not isinstance(outs, list):
        return None
    for out in outs:
        where = out.get("path") if isinstance(out, dict) else None
        if where is not None and posixpath.normpath(posixpath.join(base, str(where))) == path:
            return out  # type: ignore[no-any-return]
    return None


def _pipeline_out(lock: object, path: str, base: str) -> dict[str, Any] | None:
    """The output ``path`` of a pipeline stage, as dvc.lock records it."""
    stages = lock.get("stages") if isinstance(lock, dict) else None
    for stage in stages.values() if isinstance(stages, dict) else ():
        found = _out(stage.get("outs"), path, base) if isinstance(stage, dict) else None
        if found is not None:
            return found
    return None


def _entry_in(decl: Declaration, dvc_yaml: object) -> dict[str, Any] | None:
    """The ``artifacts:`` entry a parsed dvc.yaml has for ``decl`` (None: none, or no path)."""
    artifacts = dvc_yaml.get("artifacts") if isinstance(dvc_yaml, dict) else None
    entry = artifacts.get(decl.name) if isinstance(artifacts, dict) else None
    if not isinstance(entry, dict) or not isinstance(entry.get("path"), str):
        return None
    return entry


def _path_of(decl: Declaration, label: str, entry: dict[str, Any] | None) -> str | None:
    """The artifact path an ``artifacts:`` entry of the dvc.yaml ``label`` declares for
    ``decl``, as a repository path; InvalidFile if it leaves the repository."""
    if entry is None:
        return None
    return repo_path(label, f"artifacts.{decl.name}.path", entry["path"], decl.directory)


def pipeline_output(root: Path, model: str, path: str) -> bool:
    """Whether a stage of the work tree's dvc.yaml produces ``path`` (DVC tracks it in
    dvc.lock; `dvc add` would refuse it)."""
    decl = Declaration.of(model)
    data = load_yaml_blob(decl.dvc_yaml, read_file(root / decl.dvc_yaml, decl.dvc_yaml))
    stages = data.get("stages") if isinstance(data, dict) else None
    for stage in stages.values() if isinstance(stages, dict) else ():
        outs = stage.get("outs") if isinstance(stage, dict) else None
        for out in outs if isinstance(outs, list) else ():
            name = next(iter(out), None) if isinstance(out, dict) else out
            if (
                isinstance(name, str)
                and posixpath.normpath(posixpath.join(decl.directory, name)) == path
            ):
                return True
    return False


def declared_entry(git: Git, commit: str, model: str) -> dict[str, Any] | None:
    """``model``'s entry in ``artifacts:`` of its dvc.yaml at ``commit``, as written."""
    decl = Declaration.of(model)
    [blob] = git.read_blobs([f"{commit}:{decl.dvc_yaml}"])
    return _entry_in(decl, load_yaml_blob(f"{decl.dvc_yaml} at {commit[:12]}", blob))


def declared_path(git: Git, commit: str, model: str) -> str | None:
    """The artifact path ``model``'s dvc.yaml declares at ``commit`` (repository-relative)."""
    decl = Declaration.of(model)
    label = f"{decl.dvc_yaml} at {commit[:12]}"
    return _path_of(decl, label, declared_entry(git, commit, model))


def recorded(git: Git, commit: str, model: str, path: str | None = None) -> Artifact | None:
    """The artifact ``model`` has at ``commit``: declared path (in dvc.yaml, or else the
    ``path`` the model's YAML file gives), DVC hash and size."""
    path = declared_path(git, commit, model) or path
    if path is None:
        return None
    decl = Declaration.of(model)
    lock = posixpath.join(decl.directory, DVC_LOCK)
    pointer, lock_blob = git.read_blobs([f"{commit}:{path}.dvc", f"{commit}:{lock}"])
    data = load_yaml_blob(f"{path}.dvc at {commit[:12]}", pointer)
    out = _out(data.get("outs"), path, posixpath.dirname(path)) if isinstance(data, dict) else None
    if out is None:
        lock_data = load_yaml_blob(f"{lock} at {commit[:12]}", lock_blob)
        out = _pipeline_out(lock_data, path, decl.directory)
    if out is None or not isinstance(out.get("md5"), str):
        raise ArtifactError(
            f"{model}'s artifact {path} is declared at {commit[:12]} but not tracked by DVC",
            f"track it with `dvc add {path}` and commit, or register with --path {path}",
        )
    size, files = out.get("size"), out.get("nfiles")
    return Artifact(
        path=path,
        md5=out["md5"],
        size=size if isinstance(size, int) else None,
        files=files if isinstance(files, int) else None,
    )


def cached_file(git: Git, md5: str) -> Path | None:
    """Where this clone's DVC cache keeps the bytes of a file with DVC hash ``md5`` (DVC
    3's ``files/md5`` layout, then DVC 2's), if it keeps them; never for a directory."""
    if git.work_tree is None or not _MD5_RE.fullmatch(md5):
        return None
    cache = git.work_tree / ".dvc" / "cache"
    for path in (cache / "files" / "md5" / md5[:2] / md5[2:], cache / md5[:2] / md5[2:]):
        if path.is_file():
            return path
    return None


def md5_of(path: Path) -> str:
    """DVC's hash of a file: the MD5 of its bytes."""
    digest = hashlib.md5(usedforsecurity=False)
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


# --- DVC ---------------------------------------------------------------------------------


_MD5_RE = re.compile(r"[0-9a-f]{32}")
_DVC_LOGGERS = ("dvc", "dvc_data", "dvc_objects")


def _quiet_dvc() -> None:
    """Importing DVC binds its loggers to the standard output and error of that moment
    (``dvc.logger.setup``). The registry is a library and never prints: DVC's handlers go,
    a null handler stays, so its records reach only handlers the host program set up (and
    what DVC would warn about, our errors say)."""
    from dvc.logger import LoggerHandler  # noqa: PLC0415

    for name in _DVC_LOGGERS:
        log = logging.getLogger(name)
        for handler in [h for h in log.handlers if isinstance(h, LoggerHandler)]:
            log.removeHandler(handler)
        if not any(isinstance(h, logging.NullHandler) for h in log.handlers):
            log.addHandler(logging.NullHandler())
        log.setLevel(logging.NOTSET)


@contextmanager
def _dvc_errors(what: str) -> Iterator[None]:
    """DVC's failures as one-line registry errors."""
    from dvc.exceptions import DvcException  # noqa: PLC0415

    _quiet_dvc()
    try:
        yield
    except DvcException as exc:
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        if type(exc).__name__ == "NoRemoteError":  # DVC's text breaks off mid-sentence
            detail = "no default DVC remote is configured"
        raise ArtifactError(f"DVC could not {what}: {detail}", _dvc_hint(exc)) from None
    except FileNotFoundError as exc:  # raised by DVC's filesystem when no copy exists
        raise ArtifactError(
            f"DVC could not {what}: it is in neither the DVC cache nor the DVC remote "
            f"({exc.strerror or exc})",
            "push it from the clone that registered it (`dvc push`), then re-run",
        ) from None


_ADD_REMOTE = "add one with `dvc remote add -d NAME URL` and commit .dvc/config"


def _dvc_hint(exc: Exception) -> str:
    name = type(exc).__name__
    if name == "NoRemoteError":
        return f"{_ADD_REMOTE}, then re-run"
    if name in ("RWLockFileCorruptedError", "RWLockFileFormatError"):
        return "a DVC command stopped while it wrote that file: `git model doctor --fix` removes it"
    if name == "NotDvcRepoError":
        return "run `dvc init` and commit .dvc/, then re-run"
    if name == "OutputAlreadyTrackedError":
        return "the file is committed to Git itself: `git rm --cached` it so that DVC tracks it"
    if "Remote" in name or "remote" in str(exc):
        return "configure a DVC remote (`dvc remote add -d NAME URL`) and check it is reachable"
    return "fix what DVC reports, then re-run"


class Workspace:
    """The DVC project in a work tree (imports DVC)."""

    def __init__(self, root: Path) -> None:
        with _dvc_errors("open the project"):
            from dvc.repo import Repo  # noqa: PLC0415

            self.repo: Repo = Repo(str(root))
        self.root = root
        # git-model commits what it means to; DVC must neither stage nor print advice.
        self.repo.scm_context.quiet = True
        self.repo.scm_context.autostage = False

    def track(self, path: str) -> list[str]:
        """``dvc add PATH``; the files that may change: its .dvc file and a .gitignore."""
        with _dvc_errors(f"track {path}"):
            self.repo.add([str(self.root / path)])
        return [f"{path}.dvc", posixpath.join(posixpath.dirname(path), ".gitignore")]

    def declare(self, decl: Declaration, entry: dict[str, Any]) -> list[str]:
        """Set the model's entry in ``artifacts:`` of its dvc.yaml (DVC's round-trip YAML
        editor, which keeps comments); the file that changes. DVC's own ``artifacts.add``
        would import GTO, which the registry never does."""
        from dvc.utils.serialize import modify_yaml  # noqa: PLC0415

        with (
            _dvc_errors(f"declare {decl.model} in {decl.dvc_yaml}"),
            modify_yaml(str(self.root / decl.dvc_yaml)) as data,
        ):
            data.setdefault("artifacts", {})[decl.name] = entry
        return [decl.dvc_yaml]

    def changed(self, path: str) -> bool:
        """Whether the work tree's ``path`` differs from what its .dvc file records."""
        with _dvc_errors(f"compare {path} with its .dvc file"):
            return bool(self.repo.status(targets=[str(self.root / path)]))

    def ensure_pushed(self, model: str, artifact: Artifact, commit: str) -> None:
        """Push the artifact's objects, from this clone's DVC cache where it holds them,
        to the default DVC remote, then check the remote has every one. By hash, not by
        checking out ``commit``: DVC resolves a relative remote URL wrongly at a revision."""
        from dvc_data.hashfile.hash_info import HashInfo  # noqa: PLC0415
        from dvc_data.hashfile.tree import Tree  # noqa: PLC0415

        with _dvc_errors(f"push {artifact.path}"):
            cache = self.repo.cache.local
            root = HashInfo("md5", artifact.md5)
            objects = [root]
            if artifact.is_dir and cache.exists(artifact.md5):
                objects += [entry for _, _, entry in Tree.load(cache, root)]
            held = [o for o in objects if cache.exists(o.value)]
            if held:
                self.repo.cloud.push(held)
            status = self.repo.cloud.status(objects)
        if status.missing or status.new:
            raise ArtifactError(
                f"{model}'s artifact {artifact.path} at {commit[:12]} is not in the DVC "
                "remote, and this clone's DVC cache does not hold it to push it",
                "push it from the clone that registered it (`dvc push`), then re-run",
            )


Progress = Callable[[int, int | None], None]  # bytes so far, bytes in all (if known)


@contextmanager
def _watch(folder: Path, total: int | None, report: Progress | None) -> Iterator[None]:
    """Report how many bytes have arrived in ``folder`` while the body runs. DVC reports
    progress for some remotes only; the bytes on disk tell it for every remote."""
    if report is None:
        yield
        return
    done = threading.Event()

    def arrived() -> int:
        return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())

    def poll() -> None:
        while not done.wait(0.2):
            with suppress(OSError):  # a file renamed or removed while counted
                report(arrived(), total)

    watcher = threading.Thread(target=poll, daemon=True)
    watcher.start()
    try:
        yield
    finally:
        done.set()
        watcher.join()
        report(total if total is not None else arrived(), total)


def _target(out: Path | None, path: str, force: bool) -> Path:
    """Where to write the artifact ``path``: ``out``, inside ``out`` if it is a directory,
    or beside the caller under its own name."""
    name = posixpath.basename(path.rstrip("/"))
    base = Path.cwd() if out is None else out.absolute()
    target = base / name if base.is_dir() else base
    if target.exists() and not force:
        raise OutputExists(str(target))
    return target


def _declared_in(repo: Repo, model: str, commit: str) -> str:
    """The artifact path ``model``'s dvc.yaml declares in a repository DVC opened at
    ``commit`` (read here: DVC's own artifacts API imports GTO)."""
    decl = Declaration.of(model)
    try:
        blob = repo.fs.read_bytes(repo.fs.join(repo.root_dir, decl.dvc_yaml))
    except FileNotFoundError:
        blob = None
    label = f"{decl.dvc_yaml} at {commit[:12]}"
    path = _path_of(decl, label, _entry_in(decl, load_yaml_blob(label, blob)))
    if path is None:
        raise ArtifactNotDeclared(model, f"commit {commit[:12]}")
    return path


def _info(repo: Repo, model: str, commit: str, expected: Artifact | None) -> Artifact:
    """What DVC records at ``commit`` for ``model``'s artifact; it must be what the
    version recorded at registration."""
    path = expected.path if expected else _declared_in(repo, model, commit)
    info = repo.dvcfs.info(path)
    entry = (info.get("dvc_info") or {}).get("entry")
    found = Artifact(
        path=path,
        md5=info.get("md5", ""),
        size=info.get("size"),
        files=getattr(getattr(entry, "meta", None), "nfiles", None),
    )
    if expected is not None and found.md5 != expected.md5:
        raise ArtifactError(
            f"{model}'s artifact at {commit[:12]} has DVC hash {found.md5}, but the version "
            f"recorded {expected.md5} when it was registered",
            "the version's commit was rewritten after registration; register it again",
        )
    return found


def download(
    source: str,
    commit: str,
    model: str,
    expected: Artifact | None,
    *,
    out: Path | None = None,
    force: bool = False,
    progress: Progress | None = None,
) -> tuple[Artifact, Path]:
    """Download ``model``'s artifact at ``commit`` from ``source`` (a repository path or
    URL) through DVC (its cache, else its remote), verify every byte against DVC's hashes,
    then move it to ``out``. Returns what was downloaded and where it is. ``progress`` is
    called with the bytes downloaded so far, several times a second."""
    from dvc.fs import download as dvc_download  # noqa: PLC0415
    from dvc.repo import Repo  # noqa: PLC0415

    with (
        _dvc_errors(f"download {model}'s artifact"),
        Repo.open(url=source, rev=commit, subrepos=True, uninitialized=True) as repo,
    ):
        found = _info(repo, model, commit, expected)
        with writing(out if out is not None else posixpath.basename(found.path)):
            target = _target(out, found.path, force)
            target.parent.mkdir(parents=True, exist_ok=True)
            staging = tempfile.TemporaryDirectory(prefix=".git-model-", dir=target.parent)
        fs = repo.dvcfs
        with staging as tmp:
            staged = Path(tmp) / target.name
            with _watch(Path(tmp), found.size, progress):
                try:
                    dvc_download(fs, found.path, str(staged))
                except FileNotFoundError:
                    if repo.config["core"].get("remote") in _NO_REMOTE:
                        raise _no_remote(model, commit) from None
                    raise
            files = (
                {f: fs.info(f).get("md5") for f in fs.find(found.path)} if found.is_dir else None
            )
            _verify(staged, found, files)
            with writing(target):
                if target.is_dir():
                    shutil.rmtree(target)
                staged.replace(target)
    return found, target


# The default remote of a repository DVC opened at a commit that names none: no name, or
# (in a clone) the one DVC makes up for the clone's own DVC cache (dvc/repo/open_repo.py).
_NO_REMOTE = (None, "", "auto-generated-upstream")


def _no_remote(model: str, commit: str) -> ArtifactError:
    """No DVC cache here holds the artifact, and the commit names no DVC remote: DVC reads
    the remote from the version's commit (and a clone's .dvc/config.local)."""
    return ArtifactError(
        f"DVC could not download {model}'s artifact: no DVC cache here holds it, and commit "
        f"{commit[:12]} configures no default DVC remote",
        f"{_ADD_REMOTE} (for versions registered earlier: `dvc remote add --local -d NAME "
        "URL` in this clone), `dvc push` in the clone that registered it, then re-run",
    )


def _verify(path: Path, expected: Artifact, files: dict[str, Any] | None) -> None:
    if files is None:
        got = md5_of(path)
        if got != expected.md5:
            raise ArtifactError(
                f"the downloaded {expected.path} has MD5 {got}, not {expected.md5}: it is corrupt",
                "the DVC remote holds damaged data; push the artifact again from a good copy",
            )
        return
    prefix = expected.path.rstrip("/") + "/"
    for name, md5 in files.items():
        local = path / name.removeprefix(prefix)
        if md5 and md5_of(local) != md5:
            raise ArtifactError(
                f"the downloaded file {name} does not match its DVC hash: it is corrupt",
                "the DVC remote holds damaged data; push the artifact again from a good copy",
            )
