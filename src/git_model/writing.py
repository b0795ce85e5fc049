"""Writing the registry: the tags one command creates, in a safe order, applied in one
ref transaction (pushed first with ``--push``), and what to say when another writer won."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from git_model import artifacts
from git_model.config import (
    RegistryConfig,
)
from git_model.errors import (
    ConcurrentUpdate,
    PushedNotApplied,
    TagConflict,
)
from git_model.gitcmd import (
    Git,
    Ident,
    NewTag,
    RefUpdate,
)
from git_model.names import (
    Action,
    RegistryTag,
    model_ref_patterns,
    stage_tag,
    version_tag,
)
from git_model.reading import read_model, require_model
from git_model.results import Change, RefChange
from git_model.semver import SemVer
from git_model.state import (
    EventKind,
    Model,
    StageTagLag,
    Version,
    with_trailers,
)


class Plan:
    """The tags one write creates, in order: events first, moving stage tags last.

    Every write starts by pointing the model's lagging stage tags where its events say.
    Event times strictly increase within a model (one second apart at least), so that
    tools ordering by tag time (GTO, ``dvc artifacts get``) reach the counter order.
    """

    def __init__(
        self,
        git: Git,
        config: RegistryConfig,
        name: str,
        model: Model | None,
        remote: RemoteState | None = None,
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
        self._repair()

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

    def _repair(self) -> None:
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
        self,
        version: SemVer,
        commit: str,
        message: str,
        trailers: Sequence[tuple[str, str]],
        document: str | None = None,
    ) -> None:
        name = str(version_tag(self.name, version))
        text = with_trailers(message, trailers, document)
        self.events.append(NewTag(name, commit, self._stamp(), text))

    def event(
        self,
        action: Action,
        commit: str,
        message: str,
        *,
        stage: str | None = None,
        version: SemVer | None = None,
        document: str | None = None,
    ) -> None:
        if stage is not None:
            self._adopt(stage)
        self.counter += 1
        tag = RegistryTag(self.name, action, version=version, stage=stage, counter=self.counter)
        text = with_trailers(message, document=document)
        self.events.append(NewTag(str(tag), commit, self._stamp(), text))

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
                sync(self.git, self.remote.name, self.name)
                lost = ConcurrentUpdate(
                    ref.removeprefix("refs/tags/"), f"{self.remote.name} {reason}"
                )
                raise explain_race(self.git, self.name, self.model, lost)
        try:
            self.git.update_refs(updates)
        except ConcurrentUpdate as exc:
            if self.remote is not None:
                raise PushedNotApplied(self.remote.name, exc.ref) from None
            raise explain_race(self.git, self.name, self.model, exc) from None
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
                ensure_artifact_pushed(self.git, self.name, version)

    def finish(
        self,
        action: EventKind,
        version: SemVer | None,
        stage: str | None = None,
        *,
        replaced: SemVer | None = None,
        committed: tuple[str, ...] = (),
        bump_reason: str | None = None,
    ) -> Change:
        refs = self.apply()
        fresh = require_model(self.git, self.config, self.name)
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
            bump_reason=bump_reason,
            pushed=self.remote.name if self.remote else None,
        )


@dataclass(frozen=True, slots=True)
class RemoteState:
    name: str
    values: dict[str, str]  # ref -> object, as the remote had them when last read
    fetched: tuple[str, ...]  # tags brought in or moved here
    conflicts: tuple[str, ...]  # events here that clash with the remote's
    unpushed: tuple[tuple[str, str], ...]  # (tag, object): events only here, no clash


def sync(git: Git, remote: str, name: str | None = None, strict: bool = True) -> RemoteState:
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
    return RemoteState(remote, values, tuple(wanted), tuple(conflicts), tuple(unpushed))


def _model_of(name: str) -> str | None:
    parsed = RegistryTag.parse(name)
    return parsed.model if parsed else None


def _is_stage_tag(name: str) -> bool:
    parsed = RegistryTag.parse(name)
    return parsed is not None and parsed.is_stage_tag


def explain_race(git: Git, name: str, before: Model | None, exc: ConcurrentUpdate) -> Exception:
    """Say what the other writer did, from the events it left."""
    after = read_model(git, name)
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


def ensure_artifact_pushed(git: Git, name: str, version: Version) -> None:
    """Before a stage tag points at a version, its artifact must be in the DVC remote."""
    artifact = version.artifact or artifacts.recorded(git, version.commit, name)
    if artifact is not None and git.work_tree is not None:
        artifacts.Workspace(git.work_tree).ensure_pushed(name, artifact, version.commit)


def repair_all(
    git: Git, config: RegistryConfig, models: Sequence[Model]
) -> tuple[StageTagLag, ...]:
    """Point every lagging stage tag of ``models`` where its events say (a transaction per
    model); return the lags repaired."""
    repaired: list[StageTagLag] = []
    for model in models:
        if model.lags:
            plan = Plan(git, config, model.name, model)
            plan.apply()
            repaired.extend(plan.repaired)
    return tuple(repaired)
