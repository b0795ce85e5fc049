"""Registering a version: what the commit must declare, the one commit ``register --path``
may make, and what the version records.

A model is declared by its YAML file (``models/NAME.yaml``: what people know of it) and by
DVC's files (the ``.dvc`` pointer, and its entry in ``dvc.yaml``'s ``artifacts:``, which
``dvc artifacts get`` reads). ``register --path`` makes HEAD declare the model as it is on
disk, committing exactly those files when it does not; registering a commit as it is
refuses when the work tree holds another artifact or an edited YAML file than the
commit records.
"""

from __future__ import annotations

import dataclasses
import posixpath
from collections.abc import Sequence
from pathlib import Path

from git_model import artifacts, leftovers
from git_model.collect import spec_from_blob, spec_path
from git_model.config import RegistryConfig
from git_model.errors import (
    ALLOW_UNCOMMITTED,
    ArtifactChanged,
    ArtifactError,
    ArtifactMissing,
    ArtifactNotDeclared,
    DvcNotCommitted,
    InvalidFile,
    NoCommits,
    RegistryBusy,
    RevisionNotFound,
    UncommittedChanges,
    UsageError,
    VersionExists,
    listed,
    quoted,
    writing,
)
from git_model.gitcmd import Git
from git_model.metadata import Metadata, ModelSpec, auto_bump
from git_model.results import Notice, NoticeKind
from git_model.safeyaml import is_one_line, is_url, read_file
from git_model.semver import ZERO, Bump, SemVer
from git_model.state import Artifact, ArtifactKind, Model

AUTO = "auto"


def repo_path(git: Git, path: str | Path) -> str:
    """``path`` (absolute, or relative to the current directory) relative to the work
    tree; a URL as it is."""
    if git.work_tree is None:
        raise UsageError("a bare repository has no work tree to take --path from", "run in a clone")
    if is_url(str(path)) and is_one_line(str(path)):
        return str(path)  # a URL (s3://...), kept as written
    if not is_one_line(str(path)):
        raise UsageError(
            f"--path {quoted(str(path))} holds a control character",
            "rename the artifact so that its path is one line of text",
        )
    full = (Path.cwd() / path).resolve()
    try:
        inside = full.relative_to(git.work_tree.resolve()).as_posix()
    except ValueError:
        raise UsageError(
            f"{path} is outside the repository {git.work_tree}", "pass a path inside it"
        ) from None
    if inside == ".":
        raise UsageError(
            f"--path {quoted(str(path))} is the repository itself",
            "pass the artifact: a file or directory inside the repository",
        )
    return inside


def commit_of(git: Git, rev: str) -> str:
    commit = git.resolve_commit(rev)
    if commit is None:
        if rev == "HEAD" and git.resolve_commit("HEAD") is None:
            raise NoCommits()
        raise RevisionNotFound(rev)
    return commit


def disk_matches(root: Path, artifact: Artifact, changed: Sequence[str]) -> bool:
    """Whether the work tree holds the artifact HEAD records (true when it holds none:
    a clone without `dvc pull` has nothing to mistake it for; and for a URL), given the
    files that differ from HEAD (``changed``: a Git artifact, or a DVC artifact's .dvc
    file, among them: it does not)."""
    if artifact.kind is ArtifactKind.URL:
        return True
    if artifact.kind is ArtifactKind.GIT:
        return artifact.path not in changed
    on_disk = root / artifact.path
    if not on_disk.exists():
        return True
    if f"{artifact.path}.dvc" in changed:
        return False
    if artifact.is_dir:
        return not artifacts.Workspace(root).changed(artifact.path)
    return artifacts.md5_of(on_disk) == artifact.md5


@dataclasses.dataclass(frozen=True, slots=True)
class Declared:
    """What the work tree declares for a model: its YAML file and artifact path."""

    spec_file: str
    spec: ModelSpec | None  # None: no YAML file yet
    path: str | None
    model_type: str | None


def _in_work_tree(git: Git, root: Path, path: str) -> Path:
    """The work tree's file ``path``, where registering reads or writes it; InvalidFile
    when a symbolic link (the file, or a directory on its way) takes it outside the work
    tree or into the Git directory: nothing is read or written there."""
    full = root / path
    real = full.resolve()
    if not real.is_relative_to(root.resolve()) or real.is_relative_to(git.git_dir.resolve()):
        raise InvalidFile(
            path,
            f"a symbolic link takes it outside the repository's work tree, to {real}",
            "replace the link with a file or directory of the work tree",
        )
    return full


def declared_here(
    git: Git, config: RegistryConfig, name: str, path: str | Path | None, model_type: str | None
) -> Declared:
    """Read and check the model's YAML file in the work tree against the options given."""
    if model_type is not None and not is_one_line(model_type):
        raise UsageError(
            f"--type {quoted(model_type)} holds a control character", "pass a type on one line"
        )
    spec_file = spec_path(config.models_dir, name)
    spec = None
    if git.work_tree is not None:
        on_disk = _in_work_tree(git, git.work_tree, spec_file)
        spec = spec_from_blob(spec_file, read_file(on_disk, spec_file))
    artifact_path = repo_path(git, path) if path is not None else None
    if spec is not None and spec.path and artifact_path and spec.path != artifact_path:
        raise UsageError(
            f"--path {artifact_path}, but {spec_file} says path: {spec.path}",
            f"pass --path {spec.path}, or change {spec_file}",
        )
    if spec is not None and spec.type and model_type and spec.type != model_type:
        raise UsageError(
            f"--type {model_type}, but {spec_file} says type: {spec.type}",
            f"leave --type out, or change {spec_file}",
        )
    effective = model_type or (spec.type if spec else None)
    if effective is not None:
        config.check_type(effective)
    return Declared(spec_file, spec, artifact_path, effective)


def _entry(name: str, declared: Declared, path: str) -> dict[str, object]:
    """The keys of the model's dvc.yaml entry that registering sets (the others stay)."""
    spec = declared.spec or ModelSpec()
    decl = artifacts.Declaration.of(name)
    return decl.entry(path, declared.model_type, spec.description, spec.labels)


def _entry_differs(git: Git, rev: str, name: str, declared: Declared, path: str) -> bool:
    """Whether ``rev``'s dvc.yaml entry for the model lacks what registering sets."""
    current = artifacts.declared_entry(git, rev, name)
    wanted = _entry(name, declared, path)
    return current is None or any(current.get(k) != v for k, v in wanted.items())


def kind_of(git: Git, path: str) -> ArtifactKind:
    """How ``register --path`` keeps the artifact ``path``: a URL as it is; a file Git
    tracks (committed, or added to the index) in Git; any other through DVC."""
    if is_url(path):
        return ArtifactKind.URL
    [info] = git.object_info([f":{path}"])
    return ArtifactKind.GIT if info is not None else ArtifactKind.DVC


def needs_commit(git: Git, head: str, name: str, declared: Declared, path: str) -> bool:
    """Whether HEAD lacks the model's declaration as the work tree has it (with --path):
    its YAML file, its dvc.yaml entry, its tracked artifact as it is on disk."""
    found = artifacts.declaration(git, head, name)
    at_head = found.path if found is not None else None
    if found is not None and found.path != path:
        raise ArtifactError(
            f"{found.source} declares {name}'s artifact at {found.path}, not {path}",
            f"pass --path {found.path}, or change the declaration in {found.source} and commit it",
        )
    if at_head is None or declared.spec is None or git.dirty([declared.spec_file]):
        return True
    if _entry_differs(git, head, name, declared, path):
        return True
    try:
        artifact = artifacts.recorded(git, head, name)
    except ArtifactError:  # declared, but neither its .dvc file nor it is committed yet
        return True
    return (
        artifact is None
        or git.work_tree is None
        or not disk_matches(
            git.work_tree, artifact, git.dirty([artifact.path, f"{artifact.path}.dvc"])
        )
    )


def template(name: str, path: str, model_type: str | None) -> str:
    """A new model's YAML file: what is known, and the rest as comments to fill in."""
    lines = [
        f"# {name}: what people should know about this model (docs/metadata.md).",
        "# Registering snapshots this file, with DVC's metrics, params and lineage.",
        f"path: {path}",
        f"type: {model_type}" if model_type else "# type: model",
        "# description: What it predicts, for whom, from which data.",
        "# owner: the-team",
        "# labels: [tabular, classification]",
        "# framework: scikit-learn",
        "# format: pickle   # onnx, joblib, torchscript, savedmodel, pmml, pickle, other",
        "# signature:",
        "#   inputs:",
        "#     - {name: tenure_months, type: float64, shape: [-1]}",
        "#   outputs:",
        "#     - {name: churn_probability, type: float64, shape: [-1]}",
        "# card:",
        "#   intended_use: Who may use it, for what; what it is not for.",
        "#   training_data: Which data, how it was prepared.",
        "#   evaluation_data: Which data it was evaluated on.",
        "#   ethical_considerations: Risks, and what was done about them.",
        "#   caveats_and_recommendations: Known limits.",
    ]
    return "\n".join(lines) + "\n"


def commit_declaration(
    git: Git, root: Path, name: str, declared: Declared, path: str
) -> tuple[str, tuple[str, ...]]:
    """Keep the artifact as it is kept (``kind_of``: a file Git tracks is committed as
    it is in the work tree; a URL is only declared; any other file DVC tracks), write
    the model's YAML file if it has none, set its dvc.yaml entry's keys, and commit
    exactly those files. Returns the commit and the files."""
    decl = artifacts.Declaration.of(name)
    kind = kind_of(git, path)
    if kind is not ArtifactKind.URL:
        try:
            (root / path).stat()
        except OSError:  # none there, or no file can be there (a name too long, ...)
            raise ArtifactMissing(path) from None
    # What is written (beside the artifact, and dvc.yaml) stays in the work tree too; the
    # model's YAML file was checked when it was read.
    beside = posixpath.join(posixpath.dirname(path), ".gitignore")
    dvc_files = (f"{path}.dvc", beside) if kind is ArtifactKind.DVC else ()
    for written in (*dvc_files, decl.dvc_yaml):
        _in_work_tree(git, root, written)
    blocker = leftovers.commit_blocker(git)
    if blocker is not None:  # the commit would fail after the work tree changed
        raise RegistryBusy(blocker)
    dirty = git.dirty([decl.dvc_yaml])
    if dirty:
        raise UncommittedChanges(dirty)
    touched: list[str] = []
    if kind is ArtifactKind.GIT:
        touched.append(path)  # committed as the work tree has it (if it changed)
    elif kind is ArtifactKind.DVC and artifacts.pipeline_output(root, name, path):
        # A stage makes it: dvc.lock records it, and must be committed as the run left it.
        lock = posixpath.join(decl.directory, "dvc.lock")
        if git.dirty([lock]):
            raise UncommittedChanges(
                [lock], f"commit {lock} (your last `dvc repro` wrote it), then re-run"
            )
    elif kind is ArtifactKind.DVC:
        touched += artifacts.Workspace(root).track(path)
    if declared.spec is None:
        spec_on_disk = root / declared.spec_file
        with writing(declared.spec_file, "make its directory one you may write to"):
            spec_on_disk.parent.mkdir(parents=True, exist_ok=True)
            spec_on_disk.write_text(template(name, path, declared.model_type))
    touched.append(declared.spec_file)
    if _entry_differs(git, "HEAD", name, declared, path):
        entry = _entry(name, declared, path)
        found = artifacts.declaration(git, "HEAD", name)
        if found is not None and found.source == artifacts.ARTIFACTS_YAML:
            # GTO's older file declared it: its dvc.yaml entry starts as that one.
            seed = {"type": found.type, "desc": found.description, "labels": list(found.labels)}
            entry |= {k: v for k, v in seed.items() if v and k not in entry}
        touched += artifacts.write_declaration(root, decl, entry)
    files = tuple(sorted(git.dirty(touched)))
    commit = git.commit_paths(files, f"Record model {name}'s artifact {path}")
    return commit, files


def check_declared(git: Git, commit: str, name: str, path: str) -> None:
    declared = artifacts.declared_path(git, commit, name)
    if declared is None:
        raise ArtifactNotDeclared(name, f"commit {commit[:12]}")
    if declared != path:
        raise ArtifactError(
            f"commit {commit[:12]} declares {name}'s artifact at {declared}, not {path}",
            f"pass --path {declared}",
        )


@dataclasses.dataclass(frozen=True, slots=True)
class WorkTree:
    """What registering found of the work tree: the files the version records that differ
    there from the commit, let through by --allow-uncommitted (the version records which),
    and what to say about it."""

    allowed: tuple[str, ...] = ()
    notices: tuple[Notice, ...] = ()

    @property
    def uncommitted(self) -> tuple[str, ...]:
        """Every file with uncommitted changes that a notice names."""
        return tuple(p for n in self.notices if n.kind is NoticeKind.UNCOMMITTED for p in n.paths)


def check_head(
    git: Git,
    name: str,
    commit: str,
    declared: Declared,
    *,
    read: Sequence[str],
    artifact: Artifact | None,
    allow: bool,
) -> WorkTree:
    """Registering HEAD as it is: the work tree must hold what HEAD records, the model's
    YAML file, the files its metadata is read from (``read``) and the artifact, and for a
    DVC artifact HEAD must hold DVC's setup. When nothing declares the model's file, the
    tracked files with uncommitted changes may be it: that is said."""
    changed = git.dirty(untracked=False)
    found = _check_work_tree(
        git,
        name,
        commit,
        [declared.spec_file, *read],
        changed=changed,
        artifact=artifact,
        dvc=artifact is not None and artifact.kind is ArtifactKind.DVC,
        allow=allow,
        hint="commit {} and register that commit, or register the commit you mean with --rev",
        spec_file=declared.spec_file,
    )
    others = [p for p in changed if p not in found.allowed]
    if artifact is not None or not others:
        return found
    one = len(others) == 1
    notice = Notice(
        NoticeKind.UNCOMMITTED,
        f"{listed(others)} ha{'s' if one else 've'} uncommitted changes: the version records "
        f"commit {commit[:7]}, not your working tree; if {'it is' if one else 'they are'} the "
        f"model, commit {'it' if one else 'them'} and register that commit",
        tuple(others),
    )
    return WorkTree(found.allowed, (*found.notices, notice))


def check_declaration_inputs(
    git: Git, name: str, head: str, read: Sequence[str], *, allow: bool, dvc: bool
) -> WorkTree:
    """``register --path``: the declaration commit holds the declaration's own files as the
    work tree has them, and nothing else of the user's; so the other files the version
    reads (the metrics and params files, among ``read``) must be committed already, and
    so must DVC's setup (``dvc``: for an artifact DVC is to track). (dvc.yaml and
    dvc.lock are the declaration's: ``commit_declaration`` checks them.)"""
    decl = artifacts.Declaration.of(name)
    own = {decl.dvc_yaml, posixpath.join(decl.directory, artifacts.DVC_LOCK)}
    return _check_work_tree(
        git,
        name,
        head,
        [f for f in read if f not in own],
        changed=git.dirty(untracked=False),
        artifact=None,
        dvc=dvc,
        allow=allow,
        hint="commit {} first (the declaration commit takes only the model's declaration), "
        "then re-run",
    )


def _check_work_tree(
    git: Git,
    name: str,
    commit: str,
    files: Sequence[str],
    *,
    changed: Sequence[str],
    artifact: Artifact | None,
    dvc: bool,
    allow: bool,
    hint: str,
    spec_file: str | None = None,
) -> WorkTree:
    """``files`` and the declared ``artifact`` must be in the work tree as in HEAD, which
    ``commit`` is or (the declaration commit to come) differs from only in the
    declaration's own files: not among the tracked files ``changed``, nor missing from
    the commit but there. Refused when they are not, unless ``allow`` (``hint``: the fix,
    ``{}`` standing for "it" or "them"; the model's YAML file alone, ``spec_file``, may
    also be committed by --path). ``dvc``: the commit must hold DVC's setup
    (always refused: no other clone could fetch the artifact)."""
    root = git.work_tree
    if root is None:
        return WorkTree()
    names = [*files, artifacts.DVC_CONFIG] if dvc else list(files)
    at_commit = dict(zip(names, git.read_blobs([f"{commit}:{f}" for f in names]), strict=True))
    if (
        dvc
        and at_commit.pop(artifacts.DVC_CONFIG) is None
        and (root / artifacts.DVC_CONFIG).exists()
    ):
        raise DvcNotCommitted(commit)
    found = {
        f for f, blob in at_commit.items() if f in changed or (blob is None and (root / f).exists())
    }
    if artifact is not None and not disk_matches(root, artifact, changed):
        found.add(artifact.path)
    differ = sorted(found)
    if not differ:
        return WorkTree()
    one = len(differ) == 1
    if allow:
        notice = Notice(
            NoticeKind.UNCOMMITTED,
            f"registered commit {commit[:7]} as it is (--allow-uncommitted): your working "
            f"tree has {'another' if one else 'other'} {listed(differ)}; the version records "
            "the commit's, and that they differed",
            tuple(differ),
        )
        return WorkTree(tuple(differ), (notice,))
    if artifact is not None and differ == [artifact.path]:
        raise ArtifactChanged(name, artifact.path, commit)
    if differ == [spec_file]:
        fix = f"commit {spec_file}, or pass --path to commit it with the model"
    else:
        fix = hint.format("it" if one else "them")
    raise UncommittedChanges(differ, f"{fix}; {ALLOW_UNCOMMITTED}", commit)


def same_artifact(model: Model, artifact: Artifact | None) -> Notice | None:
    """A notice when an earlier version of ``model`` has this artifact (the same DVC
    hash, Git blob, or URL's ETag or MD5)."""
    if artifact is None:
        return None
    same = next((v for v in model.versions if v.artifact and v.artifact.same_bytes(artifact)), None)
    if same is None:
        return None
    archived = " (archived)" if same.archived else ""
    return Notice(
        NoticeKind.SAME_ARTIFACT,
        f"same artifact as {same.version.tag}{archived} ({artifact.identity})",
        (artifact.path,),
        same.version,
    )


def url_not_checked(artifact: Artifact, why: str) -> Notice:
    """The notice of a URL artifact recorded without what names its bytes."""
    return Notice(
        NoticeKind.URL_NOT_CHECKED,
        f"recorded {artifact.path} without its ETag, MD5 or size, so `get` cannot check "
        f"them: {why}",
        (artifact.path,),
    )


def next_version(
    name: str,
    model: Model | None,
    wanted: SemVer | None,
    bump: Bump | None,
    *,
    metadata: Metadata | None = None,
    auto: bool = False,
) -> tuple[SemVer, str | None]:
    """The version to register: as asked, or the highest bumped (minor by default; with
    ``auto``, the part the metadata's changes call for). Returns it and why, for auto."""
    reason = None
    if wanted is not None:
        new = wanted
    else:
        base = model.versions[0] if model and model.versions else None
        if auto:
            bump, reason = auto_bump(base.metadata() if base else None, metadata)
        new = (base.version if base else ZERO).bump(bump or Bump.MINOR)
    clash = model.same_precedence(new) if model else None
    if clash is not None:
        raise VersionExists(name, new.tag, clash.tag)
    return new, reason


def snapshot_spec(spec: ModelSpec | None, model_type: str | None, path: str | None) -> ModelSpec:
    """The spec a version records: the commit's YAML file, with the type and path in force."""
    base = spec or ModelSpec()
    return dataclasses.replace(base, type=model_type or base.type, path=base.path or path)
