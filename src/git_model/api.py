"""The registry's API: the CLI makes one call here per command; other programs do too.

Every function opens the repository at ``repo`` (default: the current directory), reads
what it needs with one ``git for-each-ref``, and returns a frozen result. Writes build all
their tags first and change every ref in one ``git update-ref`` transaction, events
first and moving stage tags last, so that an interrupted write leaves only states that
the next command understands and repairs.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path, PurePosixPath

from git_model import artifacts
from git_model.config import (
    DEFAULT_STAGES,
    RegistryConfig,
    make_config,
    write_config,
)
from git_model.errors import (
    AlreadyInStage,
    ArtifactChanged,
    ArtifactError,
    ArtifactMissing,
    ArtifactNotDeclared,
    CommitAlreadyRegistered,
    ModelDeprecated,
    ModelNotFound,
    NoCommits,
    NoNextStage,
    RevisionNotFound,
    StageEmpty,
    UncommittedChanges,
    UnknownStage,
    UsageError,
    VersionArchived,
    VersionExists,
)
from git_model.gitcmd import (
    Git,
)
from git_model.names import (
    Action,
    ModelRef,
    check_model_name,
    check_stage_name,
    model_in_tag,
    model_ref_patterns,
)
from git_model.reading import (
    cells,
    model_from,
    open_reader,
    open_registry,
    read_model,
    require_model,
    resolve,
    stage_columns,
)
from git_model.results import (
    Change,
    Diagnosis,
    Fetched,
    History,
    Initialized,
    ModelSummary,
    ModelView,
    RefChange,
    RegistryView,
    StageCell,
    Synced,
    VersionDetail,
)
from git_model.semver import ZERO, Bump, SemVer
from git_model.state import (
    MODEL_TYPE,
    Artifact,
    EventKind,
    Model,
    StageHolder,
    Version,
    build_state,
    merge_events,
)
from git_model.writing import Plan, ensure_artifact_pushed, repair_all, sync

__all__ = [
    "Change",
    "Diagnosis",
    "Fetched",
    "History",
    "Initialized",
    "ModelSummary",
    "ModelView",
    "RefChange",
    "RegistryView",
    "StageCell",
    "Synced",
    "VersionDetail",
    "archive",
    "artifact_path",
    "cache_dir",
    "demote",
    "deprecate",
    "describe",
    "doctor",
    "fetch",
    "get",
    "history",
    "init",
    "promote",
    "register",
    "show",
]


def show(
    name: str | None = None,
    *,
    include_all: bool = False,
    source: str | None = None,
    repo: Path | str | None = None,
) -> RegistryView | ModelView:
    """The registry (every model) or, with ``name``, one model's versions and stages; with
    ``source``, a remote's, read without fetching (authors, dates and messages unknown)."""
    reader = open_reader(repo, source)
    config = reader.config
    if name is not None:
        wanted = ModelRef.parse(name).model
        model = model_from(reader.list_tags(model_ref_patterns(wanted)), wanted, config.stages)
        if model is None:
            raise ModelNotFound(wanted)
        return ModelView(
            name=model.name,
            stages=cells(model, stage_columns(config, [model])),
            versions=tuple(v for v in model.versions if include_all or not v.archived),
            deprecated=model.deprecated,
            lags=model.lags,
            skipped=model.skipped,
        )
    state = build_state(reader.list_tags(()), config.stages)
    columns = stage_columns(config, state.models)
    return RegistryView(
        stages=columns,
        models=tuple(
            ModelSummary(
                name=m.name,
                latest=m.latest,
                stages=cells(m, columns),
                deprecated=m.deprecated,
                versions=sum(not v.archived for v in m.versions),
            )
            for m in state.models
            if include_all or not m.deprecated
        ),
        lags=tuple(lag for m in state.models for lag in m.lags),
        skipped=state.skipped,
    )


def _locate(
    ref: str, repo: Path | str | None, source: str | None
) -> tuple[Model, Version, str, Artifact | None]:
    """The model and version ``ref`` names, where DVC finds the repository, and the
    artifact the version recorded (None when only a remote's listing was read)."""
    reader = open_reader(repo, source)
    target = ModelRef.parse(ref)
    patterns = model_ref_patterns(target.model)
    model = model_from(reader.list_tags(patterns), target.model, reader.config.stages)
    if model is None:
        raise ModelNotFound(target.model)
    version = resolve(model, target)
    expected = version.artifact
    if expected is None and reader.git is not None:
        expected = artifacts.recorded(reader.git, version.commit, model.name)
        if expected is None:
            raise ArtifactNotDeclared(model.name, f"{model.name} {version.version.tag}")
    return model, version, reader.url, expected


def get(
    ref: str,
    *,
    out: Path | str | None = None,
    source: str | None = None,
    force: bool = False,
    progress: artifacts.Progress | None = None,
    repo: Path | str | None = None,
) -> Fetched:
    """Download the artifact of the version ``ref`` names (``NAME@VERSION``,
    ``NAME@latest``, ``NAME#STAGE``) from this repository's DVC cache or remote, or from
    the repository ``source`` (a remote name, URL or path: nothing is cloned by you), and
    verify it against the hashes DVC and the version recorded."""
    model, version, url, expected = _locate(ref, repo, source)
    if isinstance(out, str) and out.endswith(("/", os.sep)):
        Path(out).mkdir(parents=True, exist_ok=True)  # `-o dir/` means into that directory
    found, path = artifacts.download(
        url,
        version.commit,
        model.name,
        expected,
        out=None if out is None else Path(out),
        force=force,
        progress=progress,
    )
    return Fetched(model.name, version.version, version.commit, url, found, path, True)


def cache_dir() -> Path:
    """Where ``artifact_path`` keeps artifacts: $XDG_CACHE_HOME/git-model/artifacts."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "git-model" / "artifacts"


def artifact_path(ref: str, *, source: str | None = None, repo: Path | str | None = None) -> Path:
    """A local path to the artifact of ``ref`` (e.g. ``"churn#prod"``), for deployment
    code: downloaded and verified once per commit into the cache, then reused."""
    model, version, url, expected = _locate(ref, repo, source)
    slot = cache_dir() / version.commit / model_in_tag(model.name)
    if expected is not None:
        cached = slot / PurePosixPath(expected.path).name
        if cached.exists():
            return cached
    else:  # a remote's listing does not say the artifact's name; a finished one is here
        done = [p for p in slot.glob("*") if not p.name.startswith(".")] if slot.is_dir() else []
        if done:
            return done[0]
    slot.mkdir(parents=True, exist_ok=True)
    _, path = artifacts.download(url, version.commit, model.name, expected, out=slot, force=True)
    return path


def history(
    name: str | None = None, *, newest_first: bool = True, repo: Path | str | None = None
) -> History:
    """Every event of one model, or of all models, ordered by counter within a model."""
    git, config = open_registry(repo)
    model_name = None
    if name is not None:
        model = require_model(git, config, ModelRef.parse(name).model)
        model_name = model.name
        events = list(model.events)
    else:
        events = merge_events(build_state(git.list_tags(), config.stages).models)
    if newest_first:
        events.reverse()
    return History(model=model_name, events=tuple(events), newest_first=newest_first)


def describe(ref: str, *, repo: Path | str | None = None) -> VersionDetail:
    """One version, given as ``NAME@VERSION``, ``NAME@latest`` or ``NAME#STAGE``."""
    git, config = open_registry(repo)
    target = ModelRef.parse(ref)
    model = require_model(git, config, target.model)
    version = resolve(model, target)
    return VersionDetail(
        ref=ref,
        version=version,
        deprecated=model.deprecated,
        events=tuple(
            e
            for e in model.events
            if e.version == version.version or e.kind is EventKind.DEPRECATED
        ),
        lags=model.lags,
    )


def _writable(model: Model) -> Model:
    if model.deprecated:
        raise ModelDeprecated(model.name)
    return model


def _repo_path(git: Git, path: str | Path) -> str:
    """``path`` (absolute, or relative to the current directory) relative to the work tree."""
    if git.work_tree is None:
        raise UsageError("a bare repository has no work tree to take --path from", "run in a clone")
    full = (Path.cwd() / path).resolve()
    try:
        return full.relative_to(git.work_tree.resolve()).as_posix()
    except ValueError:
        raise UsageError(
            f"{path} is outside the repository {git.work_tree}", "pass a path inside it"
        ) from None


def _head_declares(git: Git, head: str, name: str, path: str) -> bool:
    """Whether HEAD declares ``name``'s artifact at ``path`` exactly as it is on disk (else
    the declaration must be committed first); refuse a declaration at another path."""
    declared = artifacts.declared_path(git, head, name)
    if declared is not None and declared != path:
        raise ArtifactError(
            f"{artifacts.Declaration.of(name).dvc_yaml} declares {name}'s artifact at "
            f"{declared}, not {path}",
            f"pass --path {declared}, or change the declaration in dvc.yaml and commit it",
        )
    if declared is None or git.work_tree is None:
        return False
    try:
        artifact = artifacts.recorded(git, head, name)
    except ArtifactError:  # declared, but its .dvc file is not committed yet
        return False
    return artifact is not None and _disk_matches(git, git.work_tree, artifact)


def _commit_declaration(
    git: Git, root: Path, name: str, path: str, model_type: str | None
) -> tuple[str, tuple[str, ...]]:
    """Track ``path`` with DVC, declare it in dvc.yaml, and commit exactly those files."""
    decl = artifacts.Declaration.of(name)
    if not (root / path).exists():
        raise ArtifactMissing(path)
    dirty = git.dirty([decl.dvc_yaml])
    if dirty:
        raise UncommittedChanges(dirty)
    workspace = artifacts.Workspace(root)
    touched = workspace.track(path)
    if artifacts.declared_path(git, "HEAD", name) is None:
        touched += workspace.declare(decl, path, model_type)
    files = tuple(sorted(git.dirty(touched)))
    commit = git.commit_paths(files, f"Record model {name}'s artifact {path}")
    return commit, files


def _disk_matches(git: Git, root: Path, artifact: Artifact) -> bool:
    """Whether the work tree holds the artifact HEAD records (true when it holds none:
    a clone without `dvc pull` has nothing to mistake it for)."""
    on_disk = root / artifact.path
    if not on_disk.exists():
        return True
    if git.dirty([f"{artifact.path}.dvc"]):
        return False
    if artifact.is_dir:
        return not artifacts.Workspace(root).changed(artifact.path)
    return artifacts.md5_of(on_disk) == artifact.md5


def _commit_of(git: Git, rev: str) -> str:
    commit = git.resolve_commit(rev)
    if commit is None:
        if rev == "HEAD" and git.resolve_commit("HEAD") is None:
            raise NoCommits()
        raise RevisionNotFound(rev)
    return commit


def _check_declared(git: Git, commit: str, name: str, path: str) -> None:
    declared = artifacts.declared_path(git, commit, name)
    if declared is None:
        raise ArtifactNotDeclared(name, f"commit {commit[:12]}")
    if declared != path:
        raise ArtifactError(
            f"commit {commit[:12]} declares {name}'s artifact at {declared}, not {path}",
            f"pass --path {declared}",
        )


def _new_version(
    name: str, model: Model | None, wanted: SemVer | None, bump: Bump | None
) -> SemVer:
    """The version to register: as asked, or the highest one bumped (minor by default)."""
    if wanted is not None:
        new = wanted
    else:
        base = model.versions[0].version if model and model.versions else ZERO
        new = base.bump(bump or Bump.MINOR)
    clash = model.same_precedence(new) if model else None
    if clash is not None:
        raise VersionExists(name, new.tag, clash.tag)
    return new


def register(
    name: str,
    *,
    rev: str | None = None,
    version: str | None = None,
    bump: Bump | None = None,
    path: str | Path | None = None,
    message: str | None = None,
    model_type: str | None = None,
    push: str | None = None,
    repo: Path | str | None = None,
) -> Change:
    """Tag ``rev`` (default HEAD) as a new version of ``name``: ``version`` as given, or the
    latest bumped.

    With ``path``, the version carries that DVC-tracked artifact: when ``rev`` is not given
    and HEAD does not yet declare the artifact as it is on disk, git-model tracks it,
    declares it in dvc.yaml and commits exactly those files first, then tags that commit.
    """
    check_model_name(name)
    if version is not None and bump is not None:
        raise UsageError("--version and --bump cannot be combined", "pass one of them")
    wanted = SemVer.parse(version) if version is not None else None
    git, config = open_registry(repo)
    if model_type is not None:
        config.check_type(model_type)
    commit = _commit_of(git, rev or "HEAD")
    head = commit if rev is None else git.resolve_commit("HEAD")
    artifact_path = _repo_path(git, path) if path is not None else None
    declare = (
        artifact_path is not None
        and rev is None
        and not _head_declares(git, commit, name, artifact_path)
    )
    if artifact_path is not None and not declare:
        _check_declared(git, commit, name, artifact_path)
    remote = sync(git, push, name) if push else None
    model = read_model(git, name, config.stages)
    if model is not None:
        _writable(model)
        existing = None if declare else model.at_commit(commit)
        if existing is not None:
            raise CommitAlreadyRegistered(name, commit, existing.version.tag, existing.archived)
    new = _new_version(name, model, wanted, bump)
    committed: tuple[str, ...] = ()
    if declare and artifact_path is not None and git.work_tree is not None:
        commit, committed = _commit_declaration(git, git.work_tree, name, artifact_path, model_type)
        head = commit
    artifact = artifacts.recorded(git, commit, name)
    root = git.work_tree
    if artifact and root and commit == head and not _disk_matches(git, root, artifact):
        raise ArtifactChanged(name, artifact.path, commit)
    text = message or f"Register {name} {new.tag}"
    trailers = [(MODEL_TYPE, model_type)] if model_type is not None else []
    trailers += artifact.trailers() if artifact is not None else []
    if remote is not None and artifact is not None and root is not None:
        artifacts.Workspace(root).ensure_pushed(name, artifact, commit)
    plan = Plan(git, config, name, model, remote)
    plan.repair()
    plan.version(new, commit, text, trailers)
    return plan.finish(EventKind.REGISTERED, new, committed=committed)


def _next_stage(config: RegistryConfig, model: Model, version: Version, ref: ModelRef) -> str:
    if ref.stage is not None:
        config.check_stage(ref.stage)
        current: str | None = ref.stage
    else:
        held = [s for s in config.stages if s in version.stages]
        current = held[-1] if held else None
    nxt = config.next_stage(current)
    if nxt is None:
        raise NoNextStage(model.name, version.version.tag, current or "")
    return nxt


def promote(
    ref: str,
    *,
    to: str | None = None,
    message: str | None = None,
    push: str | None = None,
    repo: Path | str | None = None,
) -> Change:
    """Give stage ``to`` (default: the next one) to the version ``ref`` names."""
    git, config = open_registry(repo)
    target = ModelRef.parse(ref)
    if to is not None:
        config.check_stage(check_stage_name(to))
    remote = sync(git, push, target.model) if push else None
    model = _writable(require_model(git, config, target.model))
    version = resolve(model, target)
    if version.archived:
        raise VersionArchived(model.name, version.version.tag)
    stage = to or _next_stage(config, model, version, target)
    old = model.holder(stage)
    if old is not None and old.commit == version.commit:
        raise AlreadyInStage(model.name, version.version.tag, stage)
    if remote is not None:
        ensure_artifact_pushed(git, model.name, version)
    plan = Plan(git, config, model.name, model, remote)
    plan.repair()
    if old is not None:
        plan.event(
            Action.UNASSIGN,
            old.commit,
            f"Replace {model.name} {old.version.tag} in {stage} by {version.version.tag}",
            stage=stage,
        )
    text = message or f"Promote {model.name} {version.version.tag} to {stage}"
    plan.event(Action.ASSIGN, version.commit, text, stage=stage)
    plan.set_stage(stage, version.commit, f"{model.name} {version.version.tag} is in {stage}")
    return plan.finish(
        EventKind.PROMOTED, version.version, stage, replaced=old.version if old else None
    )


def demote(
    ref: str,
    *,
    message: str | None = None,
    push: str | None = None,
    repo: Path | str | None = None,
) -> Change:
    """Empty the stage ``NAME#STAGE`` names. No earlier holder takes it back."""
    git, config = open_registry(repo)
    target = ModelRef.parse(ref)
    if target.stage is None:
        raise UsageError(f"{ref!r} names no stage", "write NAME#STAGE, e.g. churn#prod")
    remote = sync(git, push, target.model) if push else None
    model = _writable(require_model(git, config, target.model))
    holder = model.holder(target.stage)
    if holder is None:
        if target.stage not in config.stages:
            raise UnknownStage(target.stage, config.stages)
        raise StageEmpty(model.name, target.stage)
    plan = Plan(git, config, model.name, model, remote)
    plan.repair()
    text = message or f"Demote {model.name} {holder.version.tag} from {target.stage}"
    plan.event(Action.UNASSIGN, holder.commit, text, stage=target.stage)
    plan.set_stage(target.stage, None, text)
    return plan.finish(EventKind.DEMOTED, holder.version, target.stage)


def _empty_stages(plan: Plan, model: Model, holders: Sequence[StageHolder], why: str) -> None:
    for holder in holders:
        plan.event(
            Action.UNASSIGN,
            holder.commit,
            f"Demote {model.name} {holder.version.tag} from {holder.stage}: {why}",
            stage=holder.stage,
        )
        plan.set_stage(holder.stage, None, why)


def archive(
    ref: str,
    *,
    message: str | None = None,
    push: str | None = None,
    repo: Path | str | None = None,
) -> Change:
    """Archive a version: out of every stage, kept in history, never promoted again."""
    git, config = open_registry(repo)
    target = ModelRef.parse(ref)
    remote = sync(git, push, target.model) if push else None
    model = _writable(require_model(git, config, target.model))
    version = resolve(model, target)
    if version.archived:
        raise VersionArchived(model.name, version.version.tag)
    plan = Plan(git, config, model.name, model, remote)
    plan.repair()
    held = [h for h in model.holders if h.commit == version.commit]
    _empty_stages(plan, model, held, f"{version.version.tag} archived")
    text = message or f"Archive {model.name} {version.version.tag}"
    plan.event(Action.DEREGISTER, version.commit, text, version=version.version)
    return plan.finish(EventKind.ARCHIVED, version.version)


def deprecate(
    name: str,
    *,
    message: str | None = None,
    push: str | None = None,
    repo: Path | str | None = None,
) -> Change:
    """Retire a model: every stage emptied, no new versions or promotions."""
    git, config = open_registry(repo)
    wanted = ModelRef.parse(name).model
    remote = sync(git, push, wanted) if push else None
    model = _writable(require_model(git, config, wanted))
    plan = Plan(git, config, model.name, model, remote)
    plan.repair()
    _empty_stages(plan, model, model.holders, f"{model.name} deprecated")
    anchor = model.latest or (model.versions[0] if model.versions else None)
    commit = anchor.commit if anchor is not None else model.events[-1].commit
    plan.event(Action.DEPRECATE, commit, message or f"Deprecate {model.name}")
    return plan.finish(EventKind.DEPRECATED, None)


def init(
    *,
    stages: Sequence[str] | None = None,
    types: Sequence[str] | None = None,
    repo: Path | str | None = None,
) -> Initialized:
    """Write ``git-model.yaml`` with the given (or default) stages and types."""
    git = Git.discover(None if repo is None else Path(repo))
    try:
        config = make_config(DEFAULT_STAGES if stages is None else stages, types)
    except ValueError as exc:
        raise UsageError(
            str(exc), "list names separated by commas, e.g. dev,staging,prod"
        ) from None
    path = write_config(git.root, config)
    return Initialized(path, config)


def fetch(remote: str = "origin", *, repo: Path | str | None = None) -> Synced:
    """Bring the registry from ``remote``: new events, and stage tags moved there (which a
    plain ``git fetch`` refuses to update); then point every local stage tag where the
    events say. Local events that differ from the remote's are kept and reported."""
    git, config = open_registry(repo)
    synced = sync(git, remote, strict=False)
    repaired = repair_all(git, config, build_state(git.list_tags(), config.stages).models)
    return Synced(remote, synced.fetched, repaired, synced.conflicts)


def doctor(*, fix: bool = False, repo: Path | str | None = None) -> Diagnosis:
    """Report unreadable tags, lagging stage tags and stale ref locks; ``fix`` repairs tags."""
    git, config = open_registry(repo)
    state = build_state(git.list_tags(), config.stages)
    lagging = [m for m in state.models if m.lags]
    repaired = repair_all(git, config, lagging) if fix else ()
    locks = [git.git_dir / "packed-refs.lock", *(git.git_dir / "refs").rglob("*.lock")]
    return Diagnosis(
        skipped=state.skipped,
        lags=tuple(lag for m in lagging for lag in m.lags),
        stale_locks=tuple(str(p) for p in locks if p.exists()),
        repaired=repaired,
    )
