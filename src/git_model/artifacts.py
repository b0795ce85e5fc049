"""Model artifacts: declared in ``dvc.yaml`` (``artifacts:``), kept by DVC, Git or a URL.

A model named ``churn`` is declared in the repository's ``dvc.yaml``; ``dir/sub:churn`` in
``dir/sub/dvc.yaml`` (GTO's and DVC's convention); where ``dvc.yaml`` has no entry for it,
GTO's older ``artifacts.yaml`` at the root may declare it. The declaration gives the
artifact's path, which is one of three kinds (``ArtifactKind``): a file tracked by DVC
(the ``.dvc`` file beside it, or ``dvc.lock`` for a pipeline's output, gives DVC's hash
and size), a file committed to Git itself (its blob id and size), or a URL (``s3://``,
``https://``, ``file://``...). Reading what a commit declares needs only Git (one
``cat-file --batch``); DVC is imported by the operations that move data: tracking,
pushing, downloading from a DVC remote or a URL. A Git file is read with Git alone.
"""

from __future__ import annotations

import hashlib
import io
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
from urllib.parse import unquote, urlsplit

from git_model.errors import (
    ArtifactError,
    ArtifactMissing,
    ArtifactNotDeclared,
    InvalidFile,
    OutputExists,
    writing,
)
from git_model.gitcmd import fetched_tag
from git_model.safeyaml import (
    artifact_location,
    is_one_line,
    is_url,
    load_yaml_blob,
    read_file,
)
from git_model.state import Artifact, ArtifactKind, DeclaredArtifact, split_document

if TYPE_CHECKING:
    from dvc.repo import Repo

    from git_model.gitcmd import Git

DVC_YAML = "dvc.yaml"
DVC_LOCK = "dvc.lock"
DVC_CONFIG = ".dvc/config"  # DVC's setup: which remote holds the artifacts' bytes
# GTO's older declaration file, at the repository root: name -> path, type, description,
# labels (and ``virtual``). Read where dvc.yaml has no entry for the model.
ARTIFACTS_YAML = "artifacts.yaml"
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
        """A repository path as written in this dvc.yaml (relative to its directory); a
        URL as it is."""
        return path if is_url(path) else posixpath.relpath(path, self.directory or ".")


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


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and is_one_line(value) else None


def _declared(
    decl: Declaration, source: str, label: str, *, key: str, entry: object, desc: str
) -> DeclaredArtifact | None:
    """A declaration's entry (``key`` in the file ``source``, read as ``label``), with
    its description under ``desc``; None when it is no mapping with a path."""
    if not isinstance(entry, dict) or not isinstance(entry.get("path"), str):
        return None
    labels = entry.get("labels")
    return DeclaredArtifact(
        source=source,
        path=artifact_location(label, f"{key}.path", entry["path"], decl.directory),
        type=_text(entry.get("type")),
        description=_text(entry.get(desc)),
        labels=tuple(x for x in labels if isinstance(x, str)) if isinstance(labels, list) else (),
    )


def declaration(git: Git, commit: str, model: str) -> DeclaredArtifact | None:
    """What ``commit`` declares of ``model``'s artifact: its entry in ``artifacts:`` of
    its dvc.yaml, else (a model of the root's) its entry in GTO's older artifacts.yaml.
    Both files are read in one ``cat-file``, each bounded and parsed safely."""
    decl = Declaration.of(model)
    root = not decl.directory
    names = [decl.dvc_yaml, *([ARTIFACTS_YAML] if root else [])]
    blobs = git.read_blobs([f"{commit}:{name}" for name in names])
    label = f"{decl.dvc_yaml} at {commit[:12]}"
    entry = _entry_in(decl, load_yaml_blob(label, blobs[0]))
    found = _declared(
        decl, decl.dvc_yaml, label, key=f"artifacts.{decl.name}", entry=entry, desc="desc"
    )
    if found is None and root and blobs[1] is not None:
        label = f"{ARTIFACTS_YAML} at {commit[:12]}"
        data = load_yaml_blob(label, blobs[1])
        entry = data.get(decl.name) if isinstance(data, dict) else None
        found = _declared(
            decl, ARTIFACTS_YAML, label, key=decl.name, entry=entry, desc="description"
        )
    return found


def declared_path(git: Git, commit: str, model: str) -> str | None:
    """The artifact path (repository-relative) or URL that ``commit`` declares for
    ``model`` (dvc.yaml, else artifacts.yaml)."""
    found = declaration(git, commit, model)
    return found.path if found is not None else None


def recorded(git: Git, commit: str, model: str, path: str | None = None) -> Artifact | None:
    """The artifact ``model`` has at ``commit``: its declared path (in dvc.yaml or
    artifacts.yaml, or else the ``path`` the model's YAML file gives) and what names its
    bytes: DVC's hash and size, else (a file committed to Git) its blob id and size; a URL
    as it is (``stat_url`` asks its server)."""
    path = declared_path(git, commit, model) or path
    if path is None:
        return None
    if is_url(path):
        return Artifact(path, None, None, kind=ArtifactKind.URL)
    decl = Declaration.of(model)
    lock = posixpath.join(decl.directory, DVC_LOCK)
    pointer, lock_blob = git.read_blobs([f"{commit}:{path}.dvc", f"{commit}:{lock}"])
    data = load_yaml_blob(f"{path}.dvc at {commit[:12]}", pointer)
    out = _out(data.get("outs"), path, posixpath.dirname(path)) if isinstance(data, dict) else None
    if out is None:
        lock_data = load_yaml_blob(f"{lock} at {commit[:12]}", lock_blob)
        out = _pipeline_out(lock_data, path, decl.directory)
    if out is None or not isinstance(out.get("md5"), str):
        return _in_git(git, commit, model, path)
    size, files = out.get("size"), out.get("nfiles")
    return Artifact(
        path=path,
        md5=out["md5"],
        size=size if isinstance(size, int) else None,
        files=files if isinstance(files, int) else None,
    )


def _in_git(git: Git, commit: str, model: str, path: str) -> Artifact:
    """The artifact ``path`` that DVC does not track: a file committed to Git, by its
    blob id (read without reading the file)."""
    [info] = git.object_info([f"{commit}:{path}"])
    if info is not None and info[1] == "blob":
        return Artifact(path, None, info[2], kind=ArtifactKind.GIT, blob=info[0])
    if info is not None:
        raise ArtifactError(
            f"{model}'s artifact {path} at {commit[:12]} is a directory committed to Git; "
            "git-model keeps a file committed to Git, and a directory tracked by DVC",
            f"track it with DVC: `git rm -r --cached {path}`, commit, then "
            f"`git model register {model} --path {path}`",
        )
    raise ArtifactError(
        f"{model}'s artifact {path} is declared at {commit[:12]} but neither committed to "
        "Git nor tracked by DVC",
        f"commit it to Git, or register with --path {path} (DVC tracks it)",
    )


def write_declaration(root: Path, decl: Declaration, entry: dict[str, Any]) -> list[str]:
    """Set the model's entry in ``artifacts:`` of its dvc.yaml in the work tree: each key
    of ``entry`` takes its value; every other key of the entry and of the file, comment
    and order stays (a ruamel.yaml round trip). Returns the file that changes."""
    from ruamel.yaml import YAML  # noqa: PLC0415
    from ruamel.yaml.comments import CommentedMap  # noqa: PLC0415

    target = root / decl.dvc_yaml
    blob = read_file(target, decl.dvc_yaml)
    data = load_yaml_blob(decl.dvc_yaml, blob, lines=True)  # bounded, aliases refused
    if data is None:
        data = CommentedMap()
    declared = data.setdefault("artifacts", CommentedMap()) if isinstance(data, dict) else None
    if not isinstance(declared, dict):
        raise InvalidFile(
            decl.dvc_yaml,
            "is not a mapping with an artifacts: mapping",
            "fix the file (see DVC's dvc.yaml reference), then re-run",
        )
    current = declared.get(decl.name)
    if isinstance(current, dict):
        for key, value in entry.items():
            if current.get(key) != value:
                current[key] = value
    else:
        declared[decl.name] = CommentedMap(entry)
    yaml = YAML(typ="rt", pure=True)
    yaml.default_flow_style = False
    yaml.preserve_quotes = True
    yaml.width = 4096  # never fold a long line that was one line
    text = io.StringIO()
    yaml.dump(data, text)
    with writing(decl.dvc_yaml):
        target.write_text(text.getvalue(), encoding="utf-8")
    return [decl.dvc_yaml]


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


def _info(repo: Repo, model: str, commit: str, expected: Artifact) -> Artifact:
    """What DVC records at ``commit`` for ``model``'s artifact; it must be what the
    version recorded at registration."""
    info = repo.dvcfs.info(expected.path)
    entry = (info.get("dvc_info") or {}).get("entry")
    found = Artifact(
        path=expected.path,
        md5=info.get("md5", ""),
        size=info.get("size"),
        files=getattr(getattr(entry, "meta", None), "nfiles", None),
    )
    if found.md5 != expected.md5:
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
    tag: str,
    expected: Artifact | None,
    *,
    git: Git | None = None,
    out: Path | None = None,
    force: bool = False,
    progress: Progress | None = None,
) -> tuple[Artifact, Path]:
    """Download ``model``'s artifact at ``commit`` (the version tag ``tag``), verify
    every byte against what the version recorded (``expected``; None: what the commit
    records, for a version registered without it), then move it to ``out``. Returns what
    was downloaded and where it is. ``progress`` is called with the bytes so far, several
    times a second.

    ``git`` is the repository that holds the commit; without it (``source`` is a remote's
    URL, whose listing was read), ``tag`` is fetched from ``source`` into a scratch
    repository, without history, for what the version recorded and the commit's files.
    The bytes come from Git for a file committed to Git (DVC is not imported), through
    DVC's filesystems for a URL, and from DVC's cache or remote for a DVC artifact."""
    if git is None:
        with fetched_tag(source, tag) as scratch:
            wanted = expected or _recorded_by(scratch, tag, commit, model)
            return _download(
                source, commit, model, wanted, git=scratch, out=out, force=force, progress=progress
            )
    found = expected or recorded(git, commit, model)
    if found is None:
        raise ArtifactNotDeclared(model, f"commit {commit[:12]}")
    return _download(source, commit, model, found, git=git, out=out, force=force, progress=progress)


def _recorded_by(git: Git, tag: str, commit: str, model: str) -> Artifact:
    """What the version tag ``tag`` recorded of its artifact; for a tag that recorded
    none (GTO's), what its commit records."""
    for record in git.list_tags([f"refs/tags/{tag}"]):
        found = Artifact.from_trailers(split_document(record.message)[1])
        if record.target == commit and found is not None:
            return found
    found = recorded(git, commit, model)
    if found is None:
        raise ArtifactNotDeclared(model, f"commit {commit[:12]}")
    return found


def _download(
    source: str,
    commit: str,
    model: str,
    expected: Artifact,
    *,
    git: Git,
    out: Path | None,
    force: bool,
    progress: Progress | None,
) -> tuple[Artifact, Path]:
    if expected.kind is ArtifactKind.GIT:
        fill: Callable[[Path], None] = lambda staged: _copy_from_git(  # noqa: E731
            git, commit, model, expected, staged
        )
        return expected, _deliver(
            expected.path, expected.size, out=out, force=force, progress=progress, fill=fill
        )
    if expected.kind is ArtifactKind.URL:
        name = urlsplit(expected.path).path or expected.path
        fill = lambda staged: _copy_from_url(model, expected, staged)  # noqa: E731
        return expected, _deliver(
            name, expected.size, out=out, force=force, progress=progress, fill=fill
        )
    return _download_dvc(source, commit, model, expected, out=out, force=force, progress=progress)


def _deliver(
    path: str,
    size: int | None,
    *,
    out: Path | None,
    force: bool,
    progress: Progress | None,
    fill: Callable[[Path], None],
) -> Path:
    """Have ``fill`` write the artifact ``path`` (its bytes verified) into a staging
    directory beside the target, then move it to ``out`` (see ``_target``)."""
    with writing(out if out is not None else posixpath.basename(path)):
        target = _target(out, path, force)
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = tempfile.TemporaryDirectory(prefix=".git-model-", dir=target.parent)
    with staging as tmp:
        staged = Path(tmp) / target.name
        with _watch(Path(tmp), size, progress):
            fill(staged)
        with writing(target):
            if target.is_dir():
                shutil.rmtree(target)
            staged.replace(target)
    return target


def _download_dvc(
    source: str,
    commit: str,
    model: str,
    expected: Artifact,
    *,
    out: Path | None,
    force: bool,
    progress: Progress | None,
) -> tuple[Artifact, Path]:
    """A DVC artifact, through DVC (its cache, else its remote), verified against DVC's
    hashes."""
    from dvc.fs import download as dvc_download  # noqa: PLC0415
    from dvc.repo import Repo  # noqa: PLC0415

    with (
        _dvc_errors(f"download {model}'s artifact"),
        Repo.open(url=source, rev=commit, subrepos=True, uninitialized=True) as repo,
    ):
        found = _info(repo, model, commit, expected)
        fs = repo.dvcfs

        def fill(staged: Path) -> None:
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

        target = _deliver(
            found.path, found.size, out=out, force=force, progress=progress, fill=fill
        )
    return found, target


def _copy_from_git(git: Git, commit: str, model: str, expected: Artifact, staged: Path) -> None:
    """The file committed to Git, written from the commit's blob, which must be the one
    the version recorded; the bytes written are hashed again as Git would."""
    [info] = git.object_info([f"{commit}:{expected.path}"])
    found = f"Git blob {info[0]}" if info is not None and info[1] == "blob" else "missing"
    if info is None or info[0] != expected.blob:
        raise ArtifactError(
            f"{model}'s artifact {expected.path} at {commit[:12]} is {found}, but the "
            f"version recorded Git blob {expected.blob} when it was registered",
            "the version's commit was rewritten after registration; register it again",
        )
    git.copy_blob(info[0], staged)
    got = git_blob_id(staged, len(info[0]))
    if got != expected.blob:
        raise ArtifactError(
            f"the {expected.path} Git wrote hashes to {got}, not {expected.blob}: the "
            "repository's copy is corrupt",
            "run `git fsck`, and fetch the object again from a good clone",
        )


def git_blob_id(path: Path, length: int = 40) -> str:
    """The id Git gives a file's bytes as a blob (SHA-1, or SHA-256 for 64-digit ids)."""
    digest = hashlib.sha256() if length == 64 else hashlib.sha1(usedforsecurity=False)
    digest.update(f"blob {path.stat().st_size}\0".encode())
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


# --- URLs --------------------------------------------------------------------------------

_PLUGIN_RE = re.compile(r"requires '(?P<plugin>[^']+)'")


def _url_fs(url: str) -> tuple[Any, str]:
    """DVC's filesystem for ``url``, and the path in it; ArtifactError naming the DVC
    plugin to install when DVC's support for the URL's scheme is not installed."""
    from dvc.fs import get_cloud_fs  # noqa: PLC0415

    _quiet_dvc()
    scheme = urlsplit(url).scheme
    try:
        cls, config, fs_path = get_cloud_fs({}, url=url)
    except ImportError as exc:
        match = _PLUGIN_RE.search(str(exc))
        plugin = match["plugin"] if match else f"dvc[{scheme}]"
        raise ArtifactError(
            f"DVC's support for {scheme}:// URLs is not installed",
            f"`pip install {plugin}` installs it",
        ) from None
    except Exception as exc:  # noqa: BLE001  (DVC's config schema refuses a URL its way)
        raise ArtifactError(
            f"DVC cannot read {scheme}:// URLs ({str(exc).strip() or type(exc).__name__})",
            "declare the artifact at a URL DVC reads (s3://, gs://, azure://, https://, "
            "file://...)",
        ) from None
    if scheme == "file":  # DVC's local filesystem takes a path, not a file:// URL
        fs_path = unquote(urlsplit(url).path)
    return cls(**config), fs_path


def _server_says(info: dict[str, Any]) -> tuple[str | None, str | None]:
    """(ETag, MD5) from what a filesystem's ``info`` reports, where it reports them."""
    etag = info.get("ETag") or info.get("etag")
    md5 = info.get("md5") if isinstance(info.get("md5"), str) else None
    clean = [v if isinstance(v, str) and is_one_line(v) and v else None for v in (etag, md5)]
    return clean[0], clean[1]


def stat_url(model: str, artifact: Artifact) -> tuple[Artifact, str | None]:
    """A URL artifact with what DVC's filesystem reports of it: its ETag (or MD5), its
    size; for a ``file://`` URL, the MD5 of its bytes. Returns it, and why it could not be
    asked (DVC's support for the scheme not installed, the server unreachable); an
    ArtifactMissing when the server says nothing is there."""
    try:
        fs, fs_path = _url_fs(artifact.path)
    except ArtifactError as exc:
        return artifact, f"{exc.message}: {exc.hint}"
    with _dvc_errors(f"read {artifact.path}"):
        try:
            info = fs.info(fs_path)
        except FileNotFoundError:
            raise ArtifactMissing(
                artifact.path, "upload the model there first, or declare the URL it is at"
            ) from None
        except OSError as exc:
            return artifact, f"{artifact.path} could not be read ({exc.strerror or exc})"
    etag, md5 = _server_says(info)
    if getattr(fs, "protocol", None) == "local" and info.get("type") == "file":
        md5 = md5_of(Path(info["name"]))
    size = info.get("size") if isinstance(info.get("size"), int) else None
    return Artifact(artifact.path, md5, size, kind=ArtifactKind.URL, etag=etag), None


def _copy_from_url(model: str, expected: Artifact, staged: Path) -> None:
    """The bytes at the URL, through DVC's filesystem, checked against what was recorded:
    the ETag before downloading, the MD5 and size after."""
    fs, fs_path = _url_fs(expected.path)
    with _dvc_errors(f"download {model}'s artifact {expected.path}"):
        if expected.etag is not None:
            now, _ = _server_says(fs.info(fs_path))
            if now != expected.etag:
                raise ArtifactError(
                    f"{expected.path} has ETag {now}, but the version recorded "
                    f"{expected.etag}: the object was replaced since it was registered",
                    "register the object as it is now as a new version, or restore it",
                )
        fs.get_file(fs_path, str(staged))
    size = staged.stat().st_size
    if expected.size is not None and size != expected.size:
        raise ArtifactError(
            f"the downloaded {expected.path} has {size} bytes, not the {expected.size} "
            "recorded: the object was replaced since it was registered",
            "register the object as it is now as a new version, or restore it",
        )
    if expected.md5 is not None and (got := md5_of(staged)) != expected.md5:
        raise ArtifactError(
            f"the downloaded {expected.path} has MD5 {got}, not {expected.md5}: the object "
            "was replaced since it was registered",
            "register the object as it is now as a new version, or restore it",
        )


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
