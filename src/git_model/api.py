"""The registry's API: the CLI makes one call here per command; other programs do too.

Every function opens the repository at ``repo`` (default: the current directory), reads
what it needs with one ``git for-each-ref``, and returns a frozen result. Writes build all
their tags first and change every ref in one ``git update-ref`` transaction, events
first and moving stage tags last, so that an interrupted write leaves only states that
the next command understands and repairs.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from git_model import artifacts
from git_model.config import (
    DEFAULT_STAGES,
    RegistryConfig,
    load_config,
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
    ConcurrentUpdate,
    ModelDeprecated,
    ModelNotFound,
    NoCommits,
    NoNextStage,
    NotARepository,
    PushedNotApplied,
    RevisionNotFound,
    StageEmpty,
    TagConflict,
    UncommittedChanges,
    UnknownStage,
    UsageError,
    VersionArchived,
    VersionExists,
    VersionNotFound,
)
from git_model.gitcmd import (
    Git,
    Ident,
    NewTag,
    RefUpdate,
    TagRecord,
    absolute_url,
    check_remote,
    ls_remote,
)
from git_model.names import (
    Action,
    ModelRef,
    RegistryTag,
    check_model_name,
    check_stage_name,
    model_in_tag,
    model_ref_patterns,
    stage_tag,
    version_tag,
)
from git_model.semver import ZERO, Bump, SemVer
from git_model.state import (
    MODEL_TYPE,
    Artifact,
    Event,
    EventKind,
    Model,
    Skipped,
    StageHolder,
    StageTagLag,
    Version,
    build_model,
    build_state,
    classify,
    merge_events,
    with_trailers,
)

# --- results ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StageCell:
    stage: str
    holder: StageHolder | None


@dataclass(frozen=True, slots=True)
class ModelSummary:
    name: str
    latest: Version | None
    stages: tuple[StageCell, ...]
    deprecated: bool
    versions: int


@dataclass(frozen=True, slots=True)
class RegistryView:
    """``show``: every model, its latest version and who holds each stage."""

    stages: tuple[str, ...]
    models: tuple[ModelSummary, ...]
    lags: tuple[StageTagLag, ...]
    skipped: tuple[Skipped, ...]


@dataclass(frozen=True, slots=True)
class ModelView:
    """``show NAME``: one model's versions and stages."""

    name: str
    stages: tuple[StageCell, ...]
    versions: tuple[Version, ...]
    deprecated: bool
    lags: tuple[StageTagLag, ...]
    skipped: tuple[Skipped, ...]


@dataclass(frozen=True, slots=True)
class History:
    model: str | None
    events: tuple[Event, ...]
    newest_first: bool


@dataclass(frozen=True, slots=True)
class VersionDetail:
    """``describe``: one version, how it was reached from what the user typed, its events."""

    ref: str
    version: Version
    deprecated: bool
    events: tuple[Event, ...]
    lags: tuple[StageTagLag, ...]


@dataclass(frozen=True, slots=True)
class RefChange:
    ref: str
    old: str | None
    new: str | None


@dataclass(frozen=True, slots=True)
class Change:
    """What a write did: the events it recorded and every ref it changed."""

    action: EventKind
    model: str
    version: Version | None
    stage: str | None
    replaced: SemVer | None
    events: tuple[Event, ...]
    refs: tuple[RefChange, ...]
    repaired: tuple[StageTagLag, ...]
    committed: tuple[str, ...] = ()  # files of the declaration commit register made first
    pushed: str | None = None  # the remote the change was pushed to


@dataclass(frozen=True, slots=True)
class Diagnosis:
    """``doctor``: what the registry cannot read, stage tags that lag, stale lock files."""

    skipped: tuple[Skipped, ...]
    lags: tuple[StageTagLag, ...]
    stale_locks: tuple[str, ...]
    repaired: tuple[StageTagLag, ...]

    @property
    def healthy(self) -> bool:
        return not self.stale_locks and len(self.repaired) == len(self.lags)


@dataclass(frozen=True, slots=True)
class Fetched:
    """``get``: which version's artifact was downloaded, from where, to where, verified."""

    model: str
    version: SemVer
    commit: str
    source: str
    artifact: Artifact
    path: Path
    verified: bool


@dataclass(frozen=True, slots=True)
class Synced:
    """``fetch``: the registry tags brought from a remote, and what that left to repair."""

    remote: str
    fetched: tuple[str, ...]
    repaired: tuple[StageTagLag, ...]
    conflicts: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Initialized:
    path: Path
    config: RegistryConfig


# --- opening and reading ----------------------------------------------------------------


def _open(repo: Path | str | None) -> tuple[Git, RegistryConfig]:
    git = Git.discover(None if repo is None else Path(repo))
    return git, load_config(git.root)


TagLister = Callable[[Sequence[str]], list[TagRecord]]


def _model_from(records: list[TagRecord], name: str, stage_order: Sequence[str]) -> Model | None:
    """One model from its tags (None when it has no version)."""
    by_model, _ = classify(records)
    tags = by_model.get(name)
    model = build_model(name, tags, stage_order) if tags else None
    return model if model is not None and model.versions else None


def _read_model(git: Git, name: str, stage_order: Sequence[str] = ()) -> Model | None:
    """One model, from one for-each-ref of its tags only."""
    return _model_from(git.list_tags(model_ref_patterns(name)), name, stage_order)


@dataclass(frozen=True, slots=True)
class _Reader:
    config: RegistryConfig
    list_tags: TagLister
    url: str  # where DVC finds the repository
    git: Git | None  # the local repository, when it is what is read


def _reader(repo: Path | str | None, source: str | None) -> _Reader:
    """What reads the registry: this repository's tags, or with ``source`` a remote's
    listing (``git ls-remote``: names and commits; no taggers, dates or messages)."""
    try:
        git = Git.discover(None if repo is None else Path(repo))
    except NotARepository:
        if source is None:
            raise
        url = absolute_url(check_remote(source), Path.cwd())
        return _Reader(RegistryConfig(), lambda patterns: ls_remote(url, patterns), url, None)
    config = load_config(git.root)
    if source is not None:
        url = git.remote_url(source)
        return _Reader(config, lambda patterns: ls_remote(url, patterns), url, None)
    return _Reader(
        config, lambda patterns: git.list_tags(patterns or ("refs/tags",)), str(git.root), git
    )


def _require_model(git: Git, config: RegistryConfig, name: str) -> Model:
    model = _read_model(git, check_model_name(name), config.stages)
    if model is None:
        raise ModelNotFound(name)
    return model


def _columns(config: RegistryConfig, models: Sequence[Model]) -> tuple[str, ...]:
    extra = sorted({s for m in models for s in m.used_stages} - set(config.stages))
    return (*config.stages, *extra)


def _cells(model: Model, stages: Sequence[str]) -> tuple[StageCell, ...]:
    return tuple(StageCell(s, model.holder(s)) for s in stages)


def _resolve(model: Model, ref: ModelRef) -> Version:
    if ref.stage is not None:
        holder = model.holder(ref.stage)
        found = model.find(holder.version) if holder is not None else None
        if found is None:
            raise StageEmpty(model.name, ref.stage)
        return found
    if ref.version is not None:
        found = model.find(ref.version)
        if found is None:
            raise VersionNotFound(model.name, ref.version.tag)
        return found
    # NAME@latest (a bare NAME means the same where a version is expected)
    if model.latest is None:
        raise VersionNotFound(model.name, "latest (every version is archived)")
    return model.latest


def show(
    name: str | None = None,
    *,
    include_all: bool = False,
    source: str | None = None,
    repo: Path | str | None = None,
) -> RegistryView | ModelView:
    """The registry (every model) or, with ``name``, one model's versions and stages; with
    ``source``, a remote's, read without fetching (authors, dates and messages unknown)."""
    reader = _reader(repo, source)
    config = reader.config
    if name is not None:
        wanted = ModelRef.parse(name).model
        model = _model_from(reader.list_tags(model_ref_patterns(wanted)), wanted, config.stages)
        if model is None:
            raise ModelNotFound(wanted)
        return ModelView(
            name=model.name,
            stages=_cells(model, _columns(config, [model])),
            versions=tuple(v for v in model.versions if include_all or not v.archived),
            deprecated=model.deprecated,
            lags=model.lags,
            skipped=model.skipped,
        )
    state = build_state(reader.list_tags(()), config.stages)
    columns = _columns(config, state.models)
    return RegistryView(
        stages=columns,
        models=tuple(
            ModelSummary(
                name=m.name,
                latest=m.latest,
                stages=_cells(m, columns),
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
    reader = _reader(repo, source)
    target = ModelRef.parse(ref)
    patterns = model_ref_patterns(target.model)
    model = _model_from(reader.list_tags(patterns), target.model, reader.config.stages)
    if model is None:
        raise ModelNotFound(target.model)
    version = _resolve(model, target)
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
    git, config = _open(repo)
    model_name = None
    if name is not None:
        model = _require_model(git, config, ModelRef.parse(name).model)
        model_name = model.name
        events = list(model.events)
    else:
        events = merge_events(build_state(git.list_tags(), config.stages).models)
    if newest_first:
        events.reverse()
    return History(model=model_name, events=tuple(events), newest_first=newest_first)


def describe(ref: str, *, repo: Path | str | None = None) -> VersionDetail:
    """One version, given as ``NAME@VERSION``, ``NAME@latest`` or ``NAME#STAGE``."""
    git, config = _open(repo)
    target = ModelRef.parse(ref)
    model = _require_model(git, config, target.model)
    version = _resolve(model, target)
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


# --- writing --------------------------------------------------------------------------------


class _Plan:
    """The tags one write creates, in order: events first, moving stage tags last.

    Event times strictly increase within a model (one second apart at least), so that
    tools ordering by tag time (GTO, ``dvc artifacts get``) reach the counter order.
    """

    def __init__(
        self,
        git: Git,
        config: RegistryConfig,
        name: str,
        model: Model | None,
        remote: _Remote | None = None,
    ) -> None:
        self.git = git
        self.config = config
        self.name = name
        self.model = model
        self.remote = remote
        now = git.ident()
        self.ident = now
        self.time = max(now.timestamp, model.last_timestamp + 1 if model else 0)
        self.counter = model.max_counter if model else 0
        self.events: list[NewTag] = []
        self.moves: dict[str, tuple[str | None, str]] = {}
        self.adopted: set[str] = set()
        self.repaired: tuple[StageTagLag, ...] = ()

    def _stamp(self) -> Ident:
        ident = Ident(self.ident.name, self.ident.email, self.time, self.ident.tz)
        self.time += 1
        return ident

    def _adopt(self, stage: str) -> None:
        # A GTO `--simple` stage tag is that stage's only record: before it moves, copy it
        # into an event tag so that its history survives.
        current = self.model.stage_tag(stage) if self.model else None
        if current is None or current.counted or stage in self.adopted:
            return
        self.adopted.add(stage)
        self.counter += 1
        name = str(RegistryTag(self.name, Action.ASSIGN, stage=stage, counter=self.counter))
        tagger = current.tagger or self._stamp()
        self.events.append(NewTag(name, current.target, tagger, current.message))

    def repair(self) -> None:
        """Point every lagging stage tag of the model where its events say."""
        if self.model is None:
            return
        self.repaired = self.model.lags
        for lag in self.model.lags:
            held = lag.expected.tag if lag.expected else "nothing"
            self.moves[lag.stage] = (
                lag.expected_commit,
                f"{self.name} {held} is in {lag.stage} (repaired stage tag)",
            )

    def version(
        self, version: SemVer, commit: str, message: str, trailers: Sequence[tuple[str, str]]
    ) -> None:
        name = str(version_tag(self.name, version))
        self.events.append(NewTag(name, commit, self._stamp(), with_trailers(message, trailers)))

    def event(
        self,
        action: Action,
        commit: str,
        message: str,
        stage: str | None = None,
        version: SemVer | None = None,
    ) -> None:
        if stage is not None:
            self._adopt(stage)
        self.counter += 1
        tag = RegistryTag(self.name, action, version=version, stage=stage, counter=self.counter)
        self.events.append(NewTag(str(tag), commit, self._stamp(), with_trailers(message)))

    def set_stage(self, stage: str, commit: str | None, message: str) -> None:
        self._adopt(stage)
        self.moves[stage] = (commit, message)

    def apply(self) -> tuple[RefChange, ...]:
        stamp = Ident(self.ident.name, self.ident.email, self.time - 1, self.ident.tz)
        moving: list[tuple[str, str | None, str | None, NewTag | None]] = []
        for stage, (commit, message) in self.moves.items():
            current = self.model.stage_tag(stage) if self.model else None
            old = current.object if current else None
            if commit is None:
                if old is not None:
                    moving.append((stage, old, None, None))
            elif current is None or current.target != commit:
                name = str(stage_tag(self.name, stage))
                tag = NewTag(name, commit, stamp, with_trailers(message))
                moving.append((stage, old, commit, tag))
        new_tags = self.events + [t for *_, t in moving if t is not None]
        oids = iter(self.git.write_tags(new_tags))
        updates = [RefUpdate(f"refs/tags/{t.name}", next(oids), None) for t in self.events]
        for stage, old, commit, _tag in moving:
            ref = stage_tag(self.name, stage).ref
            new = next(oids) if commit is not None else None
            updates.append(RefUpdate(ref, new, old, moving=True))
        if self.remote is not None:
            # The remote first: if someone else got there first, nothing changes anywhere.
            # Events this clone wrote earlier without pushing go first: what is published
            # is the state this write was planned on.
            earlier = [RefUpdate(f"refs/tags/{t}", oid, None) for t, oid in self.remote.unpushed]
            self._publish_earlier_artifacts()
            refused = self.git.push_refs(self.remote.name, earlier + updates, self.remote.values)
            if refused:
                ref, reason = refused[0]
                _sync(self.git, self.remote.name, self.name)
                lost = ConcurrentUpdate(
                    ref.removeprefix("refs/tags/"), f"{self.remote.name} {reason}"
                )
                raise _explain_race(self.git, self.name, self.model, lost)
        try:
            self.git.update_refs(updates)
        except ConcurrentUpdate as exc:
            if self.remote is not None:
                raise PushedNotApplied(self.remote.name, exc.ref) from None
            raise _explain_race(self.git, self.name, self.model, exc) from None
        return tuple(RefChange(u.ref, u.old, u.new) for u in updates)

    def _publish_earlier_artifacts(self) -> None:
        """Versions registered here earlier and never pushed go out with this push: their
        artifacts go to the DVC remote first, like this write's own."""
        for tag, _ in self.remote.unpushed if self.remote else ():
            parsed = RegistryTag.parse(tag)
            version = (
                self.model.find(parsed.version)
                if self.model and parsed and parsed.version
                else None
            )
            if parsed and parsed.action is Action.REGISTER and version is not None:
                _ensure_artifact_pushed(self.git, self.name, version)

    def finish(
        self,
        action: EventKind,
        version: SemVer | None,
        stage: str | None = None,
        replaced: SemVer | None = None,
        committed: tuple[str, ...] = (),
    ) -> Change:
        refs = self.apply()
        fresh = _require_model(self.git, self.config, self.name)
        written = {t.name for t in self.events}
        return Change(
            action=action,
            model=self.name,
            version=fresh.find(version) if version is not None else None,
            stage=stage,
            replaced=replaced,
            events=tuple(e for e in fresh.events if e.tag in written),
            refs=refs,
            repaired=self.repaired,
            committed=committed,
            pushed=self.remote.name if self.remote else None,
        )


@dataclass(frozen=True, slots=True)
class _Remote:
    name: str
    values: dict[str, str]  # ref -> object, as the remote had them when last read
    fetched: tuple[str, ...]  # tags brought in or moved here
    conflicts: tuple[str, ...]  # events here that clash with the remote's
    unpushed: tuple[tuple[str, str], ...]  # (tag, object): events only here, no clash


def _sync(git: Git, remote: str, name: str | None = None, strict: bool = True) -> _Remote:
    """Bring a model's tags (all registry tags without ``name``) from ``remote``: the
    events this clone lacks and the stage tags that moved there. Events written here and
    never pushed are kept; those that clash with the remote's (the same name with another
    object, or a counter the remote has used) are refused when ``strict``."""
    patterns = model_ref_patterns(name) if name else ()
    theirs = {
        t.name: t.object for t in git.ls_remote(remote, patterns) if RegistryTag.parse(t.name)
    }
    used: dict[str, set[int]] = {}
    for tag in theirs:
        parsed = RegistryTag.parse(tag)
        if parsed is not None and parsed.counter is not None:
            used.setdefault(parsed.model, set()).add(parsed.counter)
    ours = {t.name: t.object for t in git.list_tags(patterns or ("refs/tags",))}
    conflicts, unpushed = [], []
    for tag, oid in sorted(ours.items()):
        parsed = RegistryTag.parse(tag)
        if parsed is None or parsed.is_stage_tag or theirs.get(tag) == oid:
            continue
        counter_used = parsed.counter is not None and parsed.counter in used.get(parsed.model, ())
        if tag in theirs or counter_used:
            conflicts.append(tag)
        else:
            unpushed.append((tag, oid))
    if conflicts and strict:
        raise TagConflict(remote, conflicts)
    # A model whose events clash keeps its own stage tags: they follow its events here.
    clashing = {p.model for p in map(RegistryTag.parse, conflicts) if p is not None}
    wanted = [
        t
        for t, oid in theirs.items()
        if ours.get(t) != oid
        and t not in conflicts
        and not (_is_stage_tag(t) and _model_of(t) in clashing)
    ]
    git.fetch_tags(remote, wanted)
    values = {f"refs/tags/{t}": oid for t, oid in theirs.items()}
    return _Remote(remote, values, tuple(wanted), tuple(conflicts), tuple(unpushed))


def _model_of(name: str) -> str | None:
    parsed = RegistryTag.parse(name)
    return parsed.model if parsed else None


def _is_stage_tag(name: str) -> bool:
    parsed = RegistryTag.parse(name)
    return parsed is not None and parsed.is_stage_tag


def _explain_race(git: Git, name: str, before: Model | None, exc: ConcurrentUpdate) -> Exception:
    """Say what the other writer did, from the events it left."""
    after = _read_model(git, name)
    seen = before.max_counter if before else 0
    newer = [e for e in (after.events if after else ()) if (e.counter or 0) > seen]
    if not newer:
        return exc
    last = newer[-1]
    what = " ".join(
        part
        for part in (
            last.kind.value,
            last.version.tag if last.version else "",
            f"to {last.stage}" if last.kind is EventKind.PROMOTED and last.stage else "",
            f"from {last.stage}" if last.kind is EventKind.DEMOTED and last.stage else "",
        )
        if part
    )
    who = last.author.name if last.author else "someone"
    when = f" at {last.date.isoformat()}" if last.date else ""
    return ConcurrentUpdate(exc.ref, f"{who} {what}{when} ({last.tag})")


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
    git, config = _open(repo)
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
    remote = _sync(git, push, name) if push else None
    model = _read_model(git, name, config.stages)
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
    plan = _Plan(git, config, name, model, remote)
    plan.repair()
    plan.version(new, commit, text, trailers)
    return plan.finish(EventKind.REGISTERED, new, committed=committed)


def _ensure_artifact_pushed(git: Git, name: str, version: Version) -> None:
    """Before a stage tag points at a version, its artifact must be in the DVC remote."""
    artifact = version.artifact or artifacts.recorded(git, version.commit, name)
    if artifact is not None and git.work_tree is not None:
        artifacts.Workspace(git.work_tree).ensure_pushed(name, artifact, version.commit)


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
    git, config = _open(repo)
    target = ModelRef.parse(ref)
    if to is not None:
        config.check_stage(check_stage_name(to))
    remote = _sync(git, push, target.model) if push else None
    model = _writable(_require_model(git, config, target.model))
    version = _resolve(model, target)
    if version.archived:
        raise VersionArchived(model.name, version.version.tag)
    stage = to or _next_stage(config, model, version, target)
    old = model.holder(stage)
    if old is not None and old.commit == version.commit:
        raise AlreadyInStage(model.name, version.version.tag, stage)
    if remote is not None:
        _ensure_artifact_pushed(git, model.name, version)
    plan = _Plan(git, config, model.name, model, remote)
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
    git, config = _open(repo)
    target = ModelRef.parse(ref)
    if target.stage is None:
        raise UsageError(f"{ref!r} names no stage", "write NAME#STAGE, e.g. churn#prod")
    remote = _sync(git, push, target.model) if push else None
    model = _writable(_require_model(git, config, target.model))
    holder = model.holder(target.stage)
    if holder is None:
        if target.stage not in config.stages:
            raise UnknownStage(target.stage, config.stages)
        raise StageEmpty(model.name, target.stage)
    plan = _Plan(git, config, model.name, model, remote)
    plan.repair()
    text = message or f"Demote {model.name} {holder.version.tag} from {target.stage}"
    plan.event(Action.UNASSIGN, holder.commit, text, stage=target.stage)
    plan.set_stage(target.stage, None, text)
    return plan.finish(EventKind.DEMOTED, holder.version, target.stage)


def _empty_stages(plan: _Plan, model: Model, holders: Sequence[StageHolder], why: str) -> None:
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
    git, config = _open(repo)
    target = ModelRef.parse(ref)
    remote = _sync(git, push, target.model) if push else None
    model = _writable(_require_model(git, config, target.model))
    version = _resolve(model, target)
    if version.archived:
        raise VersionArchived(model.name, version.version.tag)
    plan = _Plan(git, config, model.name, model, remote)
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
    git, config = _open(repo)
    wanted = ModelRef.parse(name).model
    remote = _sync(git, push, wanted) if push else None
    model = _writable(_require_model(git, config, wanted))
    plan = _Plan(git, config, model.name, model, remote)
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
    git, config = _open(repo)
    synced = _sync(git, remote, strict=False)
    repaired = _repair(git, config, build_state(git.list_tags(), config.stages).models)
    return Synced(remote, synced.fetched, repaired, synced.conflicts)


def _repair(git: Git, config: RegistryConfig, models: Sequence[Model]) -> tuple[StageTagLag, ...]:
    """Point every lagging stage tag of ``models`` where its events say (a transaction per
    model); return the lags repaired."""
    repaired: list[StageTagLag] = []
    for model in models:
        if model.lags:
            plan = _Plan(git, config, model.name, model)
            plan.repair()
            plan.apply()
            repaired.extend(plan.repaired)
    return tuple(repaired)


def doctor(*, fix: bool = False, repo: Path | str | None = None) -> Diagnosis:
    """Report unreadable tags, lagging stage tags and stale ref locks; ``fix`` repairs tags."""
    git, config = _open(repo)
    state = build_state(git.list_tags(), config.stages)
    lagging = [m for m in state.models if m.lags]
    repaired = _repair(git, config, lagging) if fix else ()
    locks = [git.git_dir / "packed-refs.lock", *(git.git_dir / "refs").rglob("*.lock")]
    return Diagnosis(
        skipped=state.skipped,
        lags=tuple(lag for m in lagging for lag in m.lags),
        stale_locks=tuple(str(p) for p in locks if p.exists()),
        repaired=repaired,
    )
