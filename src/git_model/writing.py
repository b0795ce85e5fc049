"""Writing the registry: the tags one command creates, in a safe order, applied in one
ref transaction (pushed first with ``--push``), and what to say when another writer won."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from git_model import artifacts
from git_model.config import RegistryConfig
from git_model.errors import (
    ConcurrentUpdate,
    GitFailed,
    ModelDeprecated,
    PublishUnknown,
    PushedNotApplied,
    RemoteError,
    TagConflict,
    TagInTheWay,
    UsageError,
    WriteInterrupted,
)
from git_model.gitcmd import (
    Git,
    Ident,
    NewTag,
    RefUpdate,
)
from git_model.names import (
    HEAD_REFS,
    SEPARATOR_IN_NAME,
    SEPARATOR_IN_TAG,
    Action,
    RegistryTag,
    check_model_name,
    head_ref,
    model_ref_patterns,
    stage_tag,
    version_tag,
)
from git_model.reading import missing_model, read_for_write, read_model, require_model
from git_model.results import Change, RefChange
from git_model.semver import SemVer
from git_model.state import (
    ADOPTED,
    FOLLOWS,
    NO_HEAD,
    ArtifactKind,
    Event,
    EventKind,
    Model,
    StageTagLag,
    Version,
    counter_of,
    group_key,
    with_trailers,
)


class Plan:
    """The tags one write creates, in order: events first, moving stage tags next, and the
    model's head last (see ``names.head_ref``).

    Every write starts by pointing the model's lagging stage tags where its events say,
    and every write that records an event first adopts the model's stage tags that another
    tool wrote as events (GTO's ``--simple`` assignments): it copies each into a counted
    event that keeps its date, tagger and message. Event times strictly increase within a
    model (one second apart at least), so that tools ordering by tag time (GTO, ``dvc
    artifacts get``) reach the counter order. Every event carries the head the write was
    planned on (``Follows:``), so that the events of a write cut short before it moved the
    head can be told apart. A stage tag it writes repeats the assignment event that put
    its holder there (its tagger, date and message), so that GTO, which reads the stage
    tag as one more assignment, reads the same one twice.
    """

    def __init__(
        self,
        git: Git,
        config: RegistryConfig,
        model: Model,
        remote: RemoteState | None = None,
        *,
        sign: bool | None = None,
    ) -> None:
        self.git = git
        self.config = config
        self.name = model.name
        self.model = model
        self.remote = remote
        self.sign = wants_signature(git, sign)
        # Run on the written tag objects (name -> object id) before any ref changes: what
        # must hold of them, such as who signed them (it raises to stop the write).
        self.vouch: Callable[[dict[str, str]], None] | None = None
        now = git.ident()
        self.ident = now
        self.time = max(now.timestamp, model.last_timestamp + 1)
        self.counter = max(model.max_counter, remote.max_counter if remote else 0)
        # What this write follows: the last event of a write cut short, else the head.
        self.follows = model.unfinished[-1][1] if model.unfinished else model.head or NO_HEAD
        self.events: list[NewTag] = []
        self.moves: dict[str, str | None] = {}  # stage -> the commit its tag points at
        self.assigned: dict[str, tuple[str, Ident, str]] = {}  # stage -> this write's assignment
        self.adopted: list[tuple[str, str]] | None = None  # (stage tag, its copy), once done
        self.lags = {lag.stage: lag for lag in model.lags}
        for lag in model.lags:
            self.moves[lag.stage] = lag.expected_commit

    def _stamp(self) -> Ident:
        ident = Ident(self.ident.name, self.ident.email, self.time, self.ident.tz)
        self.time += 1
        return ident

    def _trailers(self, extra: Sequence[tuple[str, str]] = ()) -> list[tuple[str, str]]:
        return [*extra, (FOLLOWS, self.follows)]

    def _adopt(self) -> None:
        """Another tool's stage tags that are events of their own (GTO's ``--simple``
        assignments) become counted events before this write's first: each copy keeps the
        tag's commit, tagger, date and message, and names the object it copies
        (``Adopted:``), so that it is read where the tag was, and the tag as git-model's
        pointer from then on (see ``state``)."""
        if self.adopted is not None:
            return
        self.adopted = []
        read = {e.tag for e in self.model.events}
        found = sorted(
            ((t.tagger, t) for t in self.model.stage_tags if t.event and t.tagger is not None),
            key=lambda found: (found[0].timestamp, found[1].stage),
        )
        for tagger, tag in found:  # oldest first, so their counters follow their dates
            moving = str(stage_tag(self.name, tag.stage))
            if moving not in read:
                continue  # skipped when read (its commit holds no version): nothing to keep
            self.counter += 1
            name = RegistryTag(self.name, Action.ASSIGN, stage=tag.stage, counter=self.counter)
            trailers = [(ADOPTED, tag.object), (FOLLOWS, self.follows)]
            text = with_trailers(tag.message, trailers)
            self.events.append(NewTag(str(name), tag.target, tagger, text))
            self.assigned[tag.stage] = (tag.target, tagger, tag.message)
            self.adopted.append((moving, str(name)))
            # A pointer from now on: where a later event (GTO's counted assignment or
            # unassignment) changed the stage since, it moves where the events say.
            holder = self.model.holder(tag.stage)
            where = holder.commit if holder else None
            if where != tag.target and tag.stage not in self.moves:
                self.moves[tag.stage] = where
                self.lags[tag.stage] = StageTagLag(
                    self.name,
                    tag.stage,
                    moving,
                    holder.version if holder else None,
                    where,
                    tag.target,
                )

    def version(
        self,
        version: SemVer,
        commit: str,
        message: str,
        trailers: Sequence[tuple[str, str]],
        document: str | None = None,
    ) -> None:
        self._adopt()
        name = str(version_tag(self.name, version))
        text = with_trailers(message, self._trailers(trailers), document)
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
        trailers: Sequence[tuple[str, str]] = (),
    ) -> None:
        self._adopt()
        self.counter += 1
        tag = RegistryTag(self.name, action, version=version, stage=stage, counter=self.counter)
        text = with_trailers(message, self._trailers(trailers), document)
        stamp = self._stamp()
        self.events.append(NewTag(str(tag), commit, stamp, text))
        if action is Action.ASSIGN and stage is not None:
            self.assigned[stage] = (commit, stamp, message)

    def set_stage(self, stage: str, commit: str | None) -> None:
        """Point the stage tag at ``commit`` (None: delete it)."""
        self.moves[stage] = commit
        self.lags.pop(stage, None)  # what the stage tag says now is this write's doing

    def _mirror(self, stage: str, commit: str) -> tuple[Ident, str]:
        """The tagger and message of the assignment that puts ``commit`` in ``stage``:
        this write's own, or (repairing a stage tag) the event behind the holder."""
        own = self.assigned.get(stage)
        if own is not None and own[0] == commit:
            return own[1], own[2]
        holder = self.model.holder(stage)
        event = next(
            e
            for e in self.model.events
            if holder is not None and holder.commit == commit and e.tag == holder.event
        )
        assert event.author is not None and event.date is not None  # noqa: S101  (read here)
        offset = event.date.strftime("%z") or "+0000"
        ident = Ident(event.author.name, event.author.email, int(event.date.timestamp()), offset)
        return ident, event.message

    def _check_free(self, names: Sequence[str]) -> None:
        """A tag git-model must create whose name another tag already has (lightweight, or
        pointing at something other than a commit), here or on the remote, is in the way."""
        taken = {s.tag: s.reason for s in self.model.skipped}
        if self.remote is not None:
            taken.update(self.remote.in_the_way)
        for name in names:
            if name in taken:
                raise TagInTheWay(name, taken[name], self.remote.name if self.remote else None)

    def apply(self, *, complete: bool = False) -> tuple[RefChange, ...]:
        """Write the tags and move the refs; ``complete``: this write, with no event of its
        own, completes one that was cut short (so the head moves past that write's)."""
        return apply_together([self], complete=complete)[0]

    def prepare(self, complete: bool) -> Prepared:
        """Write this plan's tag objects (no ref yet); return its ref changes."""
        moving: list[tuple[str, str | None, str | None, NewTag | None]] = []
        for stage, commit in self.moves.items():
            current = self.model.stage_tag(stage)
            old = current.object if current else None
            if commit is None:
                if old is not None:
                    moving.append((stage, old, None, None))
            elif current is None or current.target != commit:
                name = str(stage_tag(self.name, stage))
                tagger, message = self._mirror(stage, commit)
                tag = NewTag(name, commit, tagger, with_trailers(message))
                moving.append((stage, old, commit, tag))
        new_tags = self.events + [t for *_, t in moving if t is not None]
        self._check_free([t.name for t in new_tags])
        written = self.git.write_tags(new_tags, sign=self.sign)
        if self.vouch is not None:
            self.vouch({t.name: oid for t, oid in zip(new_tags, written, strict=True)})
        oids = iter(written)
        events = [RefUpdate(f"refs/tags/{t.name}", next(oids), None) for t in self.events]
        moves = []
        for stage, old, commit, _tag in moving:
            ref = stage_tag(self.name, stage).ref
            new = next(oids) if commit is not None else None
            moves.append(RefUpdate(ref, new, old, moving=True))
        # The head moves to this write's last event, or past the events of the write it
        # completes; a repair only checks that nobody wrote meanwhile.
        last = events[-1].new if events else None
        if last is None and complete and self.model.unfinished:
            last = self.model.unfinished[-1][1]
        head = RefUpdate(head_ref(self.name), last or self.model.head, self.model.head, True)
        return Prepared(self, events, moves, head)

    def unpublished(self) -> list[RefUpdate]:
        """What this clone wrote to the model earlier without pushing, for a push to carry
        ahead of this write: the events, and the stage tags they moved that this write does
        not move again (with a lease on the remote's value)."""
        assert self.remote is not None  # noqa: S101  (callers check)
        earlier = [RefUpdate(f"refs/tags/{t}", oid, None) for t, oid in self.remote.unpushed]
        for tag in self.model.stage_tags:
            ref = stage_tag(self.name, tag.stage).ref
            ours = not tag.event and tag.stage not in self.moves
            if ours and self.remote.values.get(ref) != tag.object:
                earlier.append(RefUpdate(ref, tag.object, None, moving=True))
        self._publish_earlier_artifacts()
        return earlier

    def _publish_earlier_artifacts(self) -> None:
        """Versions registered here earlier and never pushed go out with this push: their
        artifacts go to the DVC remote first, like this write's own."""
        for tag, _ in self.remote.unpushed if self.remote else ():
            parsed = RegistryTag.parse(tag)
            version = self.model.find(parsed.version) if parsed and parsed.version else None
            if parsed and parsed.action is Action.REGISTER and version is not None:
                ensure_artifact_pushed(self.git, self.name, version)

    def finish(
        self,
        action: EventKind,
        version: SemVer | None,
        stage: str | None = None,
        **details: Any,
    ) -> Change:
        """Apply the plan and say what it did (``details``: more fields of the Change)."""
        refs = self.apply(complete=not self.events)
        return self.result(action, version, refs, stage=stage, **details)

    def result(
        self,
        action: EventKind,
        version: SemVer | None,
        refs: tuple[RefChange, ...],
        *,
        stage: str | None = None,
        replaced: SemVer | None = None,
        **details: Any,
    ) -> Change:
        """What the applied plan did: the events it wrote (or, if it wrote none, those of
        the model's last write, which it found already made the change)."""
        fresh = require_model(self.git, self.config, self.name)
        written = {t.name for t in self.events} or set(self.model.latest_write)
        return Change(
            action=action,
            model=self.name,
            version=fresh.find(version) if version is not None else None,
            stage=stage,
            replaced=replaced,
            events=tuple(e for e in fresh.events if e.tag in written),
            refs=refs,
            repaired=repaired(self.lags.values(), fresh),
            pushed=self.remote.name if self.remote else None,
            completed=self.model.latest_write if not self.events else (),
            adopted=tuple(self.adopted or ()),
            **details,
        )


def repaired(lags: Iterable[StageTagLag], after: Model) -> tuple[StageTagLag, ...]:
    """The lagging stage tags a write repaired, as they are once it is done: what the
    events say now (never a state the write itself went on to change), and only those that
    agree with the events now."""
    still = {lag.stage for lag in after.lags}
    done = []
    for lag in lags:
        if lag.stage in still:
            continue
        holder = after.holder(lag.stage)
        done.append(
            dataclasses.replace(
                lag,
                expected=holder.version if holder else None,
                expected_commit=holder.commit if holder else None,
            )
        )
    return tuple(done)


@dataclass(frozen=True, slots=True)
class Prepared:
    """A plan's ref changes, its tag objects written: events, stage tags, head."""

    plan: Plan
    events: list[RefUpdate]
    moves: list[RefUpdate]
    head: RefUpdate


def wants_signature(git: Git, sign: bool | None) -> bool:
    """Whether a write signs its tags: ``--sign``/``--no-sign`` if given, else the
    clone's ``gitmodel.sign``, else Git's own ``tag.gpgSign``."""
    if sign is not None:
        return sign
    setting = git.config_value("gitmodel.sign") or git.config_value("tag.gpgSign")
    return setting is not None and setting.lower() in ("true", "yes", "on", "1")


def apply_together(plans: Sequence[Plan], *, complete: bool = False) -> list[tuple[RefChange, ...]]:
    """Apply the writes of one model, or of several (one release), in one ref transaction,
    and with a remote in one atomic push first: every event of every model, then every
    stage tag, then every head, so that any prefix of it is a state the next command
    understands. Returns each plan's tag changes."""
    prepared = [plan.prepare(complete) for plan in plans]
    updates = [u for p in prepared for u in p.events]
    updates += [u for p in prepared for u in p.moves]
    updates += [p.head for p in prepared]
    git, remote = plans[0].git, plans[0].remote
    if remote is not None:
        _publish(plans, updates)
    try:
        git.update_refs(updates)
    except ConcurrentUpdate as exc:
        if remote is not None:
            raise PushedNotApplied(remote.name, exc.ref) from None
        plan = _plan_of(plans, exc.ref)
        raise explain_race(git, plan.name, plan.model, exc) from None
    except GitFailed as exc:
        now = git.read_refs([u.ref for u in updates])
        written = [u.ref for u in updates if u.new != u.old and now.get(u.ref) == u.new]
        if not written:
            raise
        names = ", ".join(p.name for p in plans)
        raise WriteInterrupted(names, written, len(updates), exc.message) from None
    return [tuple(RefChange(u.ref, u.old, u.new) for u in p.events + p.moves) for p in prepared]


def _plan_of(plans: Sequence[Plan], ref: str) -> Plan:
    """The plan a ref of a transaction belongs to (by the model its name is about)."""
    name = ref.removeprefix("refs/tags/")
    model = _head_model(ref) if ref.startswith(HEAD_REFS) else _model_of(name)
    return next((p for p in plans if p.name == model), plans[0])


def _publish(plans: Sequence[Plan], updates: list[RefUpdate]) -> None:
    """The remote first: if someone else got there first, nothing changes anywhere. What
    this clone wrote earlier without pushing goes first: what is published is the state
    the write was planned on."""
    remote = plans[0].remote
    assert remote is not None  # noqa: S101  (callers check)
    git = plans[0].git
    pushed = [u for plan in plans for u in plan.unpublished()] + updates
    values = {ref: oid for plan in plans if plan.remote for ref, oid in plan.remote.values.items()}
    try:
        refused = git.push_refs(remote.name, pushed, values)
    except RemoteError as exc:
        # The connection may have dropped after the remote applied the push: ask it.
        outcome = published(git, remote.name, pushed)
        if outcome is None:
            raise PublishUnknown(remote.name, exc.detail) from None
        if not outcome:
            raise
        return  # it did: this clone now catches up
    if refused:
        # Git lists every ref of a refused atomic push: name a stale tag (the head is
        # stale whenever one is).
        stale = [r for r in refused if "atomic" not in r[1]] or refused
        ref, reason = min(stale, key=lambda r: r[0].startswith(HEAD_REFS))
        for plan in plans:
            sync(git, remote.name, plan.name)
        plan = _plan_of(plans, ref)
        lost = ConcurrentUpdate(ref, f"{remote.name} {reason}")
        raise explain_race(git, plan.name, plan.model, lost)


def published(git: Git, remote: str, updates: Sequence[RefUpdate]) -> bool | None:
    """Whether ``remote`` holds every ref of a push whose outcome was not reported: True
    (all of them), False (none: nothing was published), None (cannot tell: unreachable,
    or only some of them)."""
    try:
        listed = git.ls_remote(remote, [u.ref for u in updates])
    except RemoteError:
        return None
    there = {f"refs/tags/{t.name}": t.object for t in listed.tags} | listed.heads
    changed = [u for u in updates if u.new != u.old]
    landed = [there.get(u.ref) == u.new for u in changed]
    if all(landed):
        return True
    if not any(landed):
        return False
    return None


@dataclass(frozen=True, slots=True)
class RemoteState:
    name: str
    values: dict[str, str]  # ref -> object (tags and heads), as the remote had them when read
    fetched: tuple[str, ...]  # tags brought in or moved here
    conflicts: tuple[str, ...]  # events here that clash with the remote's
    unpushed: tuple[tuple[str, str], ...]  # (tag, object): events only here, no clash
    in_the_way: dict[str, str]  # the remote's registry tags git-model cannot read, and why
    ignored: tuple[str, ...]  # the remote's tags not fetched: lightweight (see in_the_way)
    max_counter: int  # the highest #N among the synced model's tags there


def sync(git: Git, remote: str, name: str | None = None, strict: bool = True) -> RemoteState:
    """Bring a model's tags and head (all models' without ``name``) from ``remote``: the
    events this clone lacks and the stage tags that moved there. Events written here and
    never pushed are kept; those that clash with the remote's (the same name with another
    object, or a counter the remote has used) are refused when ``strict``. A lightweight
    registry tag there is never fetched: it would replace an annotated one here."""
    patterns = (*model_ref_patterns(name), head_ref(name)) if name else ()
    listed = git.ls_remote(remote, patterns)
    used: dict[str, set[int]] = {}
    for t in listed.tags:
        key, counter = group_key(t.name), counter_of(t.name)
        if key is not None and counter is not None:
            used.setdefault(key, set()).add(counter)
    registry = [t for t in listed.tags if RegistryTag.parse(t.name)]
    theirs = {t.name: t.object for t in registry if t.annotated}
    lightweight = sorted(t.name for t in registry if not t.annotated)
    ours = {t.name: t.object for t in git.list_tags(patterns[:-1] or ("refs/tags",))}
    conflicts, unpushed = [], []
    for tag, oid in sorted(ours.items()):
        parsed = RegistryTag.parse(tag)
        if parsed is None or parsed.is_stage_tag or theirs.get(tag) == oid:
            continue
        counter_used = parsed.counter is not None and parsed.counter in used.get(parsed.model, ())
        if tag in theirs or tag in lightweight or counter_used:
            conflicts.append(tag)
        else:
            unpushed.append((tag, oid))
    if conflicts and strict:
        raise TagConflict(remote, conflicts)
    # A model whose events clash keeps its own stage tags and head: they follow its events.
    clashing = {p.model for p in map(RegistryTag.parse, conflicts) if p is not None}
    wanted = [
        t
        for t, oid in theirs.items()
        if ours.get(t) != oid
        and t not in conflicts
        and not (_is_stage_tag(t) and _model_of(t) in clashing)
    ]
    local_heads = git.read_refs([head_ref(name)] if name else [HEAD_REFS])
    heads = [
        ref
        for ref, oid in listed.heads.items()
        if local_heads.get(ref) != oid and _head_model(ref) not in clashing
    ]
    git.fetch_refs(remote, [f"refs/tags/{t}" for t in wanted] + heads)
    values = {f"refs/tags/{t.name}": t.object for t in listed.tags} | listed.heads
    return RemoteState(
        name=remote,
        values=values,
        fetched=tuple(wanted),
        conflicts=tuple(conflicts),
        unpushed=tuple(unpushed),
        in_the_way=dict.fromkeys(lightweight, "a lightweight tag (registry tags are annotated)"),
        ignored=tuple(lightweight),
        max_counter=max(used.get(name, ()), default=0) if name else 0,
    )


def _head_model(ref: str) -> str:
    return (
        ref.removeprefix(HEAD_REFS)
        .removesuffix("@head")
        .replace(SEPARATOR_IN_TAG, SEPARATOR_IN_NAME)
    )


def _model_of(name: str) -> str | None:
    parsed = RegistryTag.parse(name)
    return parsed.model if parsed else None


def _is_stage_tag(name: str) -> bool:
    parsed = RegistryTag.parse(name)
    return parsed is not None and parsed.is_stage_tag


def check_message(message: str | None) -> None:
    """A write's ``-m`` text must say something (None: the default message)."""
    if message is not None and not message.strip():
        raise UsageError("the message is empty", "say why with -m, or leave -m out")


def writable(model: Model) -> Model:
    if model.deprecated:
        raise ModelDeprecated(model.name)
    return model


def changing(
    git: Git, config: RegistryConfig, name: str, push: str | None
) -> tuple[Model, RemoteState | None]:
    """The model a write changes, read (its head first) after its tags were synced from
    ``push``, so that the write builds on the remote's events, and the remote's state."""
    remote = sync(git, push, name) if push else None
    model = read_for_write(git, check_model_name(name), config.stages)
    if not model.versions:
        raise missing_model(git, config, name)
    return model, remote


def done_before(model: Model, event: str | None) -> bool:
    """Whether what a command asks for is already the state because of the model's most
    recent write: it was this same change, cut short (a crash, a kill, a dropped
    connection) or not. Running the command again then completes that write, or reports
    it done, instead of refusing: a write can always be retried."""
    return event is not None and event in model.latest_write


def last_event(
    model: Model, stage: str | None = None, version: SemVer | None = None
) -> Event | None:
    """The model's newest event about ``stage`` (or, with ``version``, its archiving)."""
    for event in reversed(model.events):
        if stage is not None and event.stage == stage:
            return event
        if version is not None and event.kind is EventKind.ARCHIVED and event.version == version:
            return event
    return None


def explain_race(git: Git, name: str, before: Model, exc: ConcurrentUpdate) -> Exception:
    """Say what the other writer did, from the events it left."""
    shown = name if exc.ref == head_ref(name) else exc.ref.removeprefix("refs/tags/")
    after = read_model(git, name)
    seen = {e.tag for e in before.events}
    newer = [e for e in (after.events if after else ()) if e.tag not in seen]
    if not newer:
        return ConcurrentUpdate(shown, exc.detail)
    last = newer[-1]
    what = " ".join(
        part
        for part in (
            last.kind.value,
            last.version.tag if last.version else "",
            f"to {last.stage}" if last.kind.assigns and last.stage else "",
            f"from {last.stage}" if last.kind is EventKind.DEMOTED and last.stage else "",
        )
        if part
    )
    who = last.author.name if last.author else "someone"
    when = f" at {last.date.isoformat()}" if last.date else ""
    return ConcurrentUpdate(shown, f"{who} {what}{when} ({last.tag})")


def ensure_artifact_pushed(git: Git, name: str, version: Version) -> None:
    """Before a stage tag points at a version, its DVC artifact must be in the DVC remote
    (a Git artifact travels with its commit; a URL's is where it is)."""
    artifact = version.artifact or artifacts.recorded(git, version.commit, name)
    if artifact is not None and artifact.kind is ArtifactKind.DVC and git.work_tree is not None:
        artifacts.Workspace(git.work_tree).ensure_pushed(name, artifact, version.commit)


def repair_all(
    git: Git, config: RegistryConfig, models: Sequence[Model]
) -> tuple[StageTagLag, ...]:
    """Point every lagging stage tag of ``models`` (read for a write) where its events say,
    a transaction per model; return the lags repaired. A write that was cut short stays
    so (the head does not move), so that running it again completes it."""
    repaired: list[StageTagLag] = []
    for model in models:
        if model.lags:
            plan = Plan(git, config, model)
            plan.apply()
            repaired.extend(plan.lags.values())
    return tuple(repaired)
