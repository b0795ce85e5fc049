"""From tags to registry state: one pure function of the tag list, no Git calls.

The rule (docs/tag-grammar.md, "Reading the registry"):

1. Events are the truth. A model's events are its registry tags except the moving stage
   tags; they are ordered by their ``#N`` counters. Tags without a counter (version tags,
   GTO's ``--simple`` tags) are merged in by tag time, before any counter event of the
   same second.
2. Replaying them in that order: a registration creates a version, a deregistration
   archives it (and takes it out of every stage), an assignment gives the stage to the
   version registered at the tag's commit, an unassignment empties the stage if that
   version holds it. A stage holds one version; emptying it never falls back to an
   earlier holder. A model is deprecated while its newest event is a deprecation.
3. ``NAME#STAGE`` is git-model's pointer when its message carries git-model's mark, or
   when an event records that it adopted this very tag object (``Adopted:``); it must
   point where the events say. Where it lags, it is reported (``lags``) and the next
   write to the model repairs it. Any other ``NAME#STAGE`` (GTO's ``--simple``
   assignment, a tag moved by hand) is an event, placed by its date; so is the counted
   copy git-model makes of it when it adopts it (its counter is that of the write that
   adopted it, not of the moment it happened).
"""

from __future__ import annotations

import dataclasses
import heapq
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from enum import StrEnum

from git_model.gitcmd import Ident, TagRecord
from git_model.metadata import Metadata
from git_model.names import SEPARATOR_IN_NAME, SEPARATOR_IN_TAG, Action, RegistryTag
from git_model.safejson import depth_problem
from git_model.safejson import loads as load_json
from git_model.semver import SemVer

_EPOCH = datetime.fromtimestamp(0, UTC)


class EventKind(StrEnum):
    ANNOTATED = "annotated"
    REGISTERED = "registered"
    ARCHIVED = "archived"
    PROMOTED = "promoted"
    ROLLED_BACK = "rolled-back"  # an assignment that gave a stage back to a former holder
    DEMOTED = "demoted"
    DEPRECATED = "deprecated"

    @property
    def assigns(self) -> bool:
        return self in (EventKind.PROMOTED, EventKind.ROLLED_BACK)


KIND_OF_ACTION = {
    Action.REGISTER: EventKind.REGISTERED,
    Action.DEREGISTER: EventKind.ARCHIVED,
    Action.ASSIGN: EventKind.PROMOTED,
    Action.UNASSIGN: EventKind.DEMOTED,
    Action.DEPRECATE: EventKind.DEPRECATED,
    Action.ANNOTATE: EventKind.ANNOTATED,
}
# Within one second, tags without a counter replay in GTO's priority order.
_PRIORITY = {
    Action.DEPRECATE: 2,
    Action.REGISTER: 3,
    Action.DEREGISTER: 4,
    Action.ASSIGN: 5,
    Action.UNASSIGN: 6,
    Action.ANNOTATE: 7,
}


# `Key: value`; an empty value loses its space when the message is stripped.
_TRAILER_RE = re.compile(r"(?P<key>[A-Za-z][A-Za-z0-9-]*):(?: (?P<value>.*))?")
MODEL_TYPE = "Model-Type"
WRITTEN_BY = ("Written-By", "git-model")
ARTIFACT_PATH = "Artifact-Path"
ARTIFACT_MD5 = "Artifact-Md5"
ARTIFACT_SIZE = "Artifact-Size"
ARTIFACT_FILES = "Artifact-Files"
ARTIFACT_KIND = "Artifact-Kind"  # absent: dvc
ARTIFACT_BLOB = "Artifact-Blob"
ARTIFACT_ETAG = "Artifact-Etag"


DOCUMENT = ("Document", "json")  # trailer: the paragraph before the trailers is JSON
# Trailer of every event a write creates: the model's head when the write was planned
# ("none": it had none). Events that follow the head as it still is were written by a
# write that was cut short before it moved the head (see Model.unfinished).
FOLLOWS = "Follows"
# Trailer of the counted copy of another tool's stage tag (GTO's --simple assignment): the
# object id of the tag it copies. That stage tag is git-model's pointer from then on, and
# the copy is placed by its date, where the tag it copies was.
ADOPTED = "Adopted"
# Trailers of a promotion: the gates it overrode and why, the policy that gated it, the
# release it was part of, and (on a rollback) the version the stage was taken from.
FORCED = "Forced"
REASON = "Reason"
POLICY = "Policy"
RELEASE = "Release"
ROLLBACK = "Rollback"
# Trailers of a promotion `apply` made from a merged desired state: the merge commit
# whose desired state it applied, and who approved the pull request (one trailer each).
MERGE_COMMIT = "Merge-Commit"
APPROVED_BY = "Approved-By"
NO_HEAD = "none"
_COUNTER_RE = re.compile(r"#([0-9]+)$")


def with_trailers(
    message: str, trailers: Sequence[tuple[str, str]] = (), document: str | None = None
) -> str:
    """A tag message as git-model writes it: the text, a JSON document if any (it holds
    no blank line), then a trailer block that marks the message as git-model's."""
    marks = (WRITTEN_BY, *trailers, *((DOCUMENT,) if document is not None else ()))
    block = "\n".join(f"{key}: {value}" for key, value in marks)
    middle = f"{document.strip()}\n\n" if document is not None else ""
    return f"{message.strip()}\n\n{middle}{block}\n"


def split_document(message: str) -> tuple[str, dict[str, str], str | None]:
    """A message git-model wrote: its text, its trailers, and its JSON document."""
    text, trailers = split_trailers(message)
    if trailers.get(DOCUMENT[0]) != DOCUMENT[1]:
        return text, trailers, None
    body, _, document = text.rpartition("\n\n")
    return body.strip(), trailers, document


def split_trailers(message: str) -> tuple[str, dict[str, str]]:
    """The text and trailers of a message git-model wrote; other messages stay whole."""
    text = message.strip()
    body, sep, last = text.rpartition("\n\n")
    matches = [_TRAILER_RE.fullmatch(line) for line in last.splitlines()]
    trailers = {m["key"]: m["value"] or "" for m in matches if m}
    if not sep or not all(matches) or trailers.get(WRITTEN_BY[0]) != WRITTEN_BY[1]:
        return text, {}
    return body.strip(), trailers


@dataclass(frozen=True, slots=True)
class Person:
    name: str
    email: str


def ident_time(ident: Ident) -> datetime:
    """The tagger's time, in the tagger's time zone."""
    sign = -1 if ident.tz.startswith("-") else 1
    offset = timedelta(hours=int(ident.tz[1:3]), minutes=int(ident.tz[3:5])) * sign
    return datetime.fromtimestamp(ident.timestamp, timezone(offset))


@dataclass(frozen=True, slots=True)
class Annotation:
    """A fact added to a version after registration (``git model annotate``)."""

    key: str
    value: str
    author: Person | None
    date: datetime | None
    event: str


@dataclass(frozen=True, slots=True)
class Event:
    """One immutable registry event: a tag that is never moved or deleted."""

    kind: EventKind
    model: str
    version: SemVer | None
    stage: str | None
    counter: int | None
    tag: str
    commit: str
    author: Person | None  # None where only a remote's listing was read
    date: datetime | None
    message: str
    forced: tuple[str, ...] = ()  # the gates that failed and were overridden (--force)
    reason: str | None = None  # why they were overridden
    policy: str | None = None  # the commit whose git-model.yaml gated the promotion
    release: str | None = None  # shared by the events of one multi-model promotion
    signed: bool = False  # its tag carries a signature (not verified: see `verify`)


class ArtifactKind(StrEnum):
    """Where a model's bytes are kept, and so what names them."""

    DVC = "dvc"  # tracked by DVC: its MD5 (in a .dvc file or dvc.lock); bytes in a DVC remote
    GIT = "git"  # committed to Git itself: the blob's id; bytes in the commit
    URL = "url"  # at a URL (s3://, gs://, https://, file://): what its server reports


@dataclass(frozen=True, slots=True)
class Artifact:
    """A model's artifact as a commit records it: where it is and what names its bytes.

    ``kind`` DVC: ``md5`` is DVC's hash, of the file or, for a directory, of its ``.dir``
    manifest (then ``files`` counts the files in it). GIT: ``blob`` is the Git blob id of
    the file at ``path``. URL: ``path`` is the URL; ``etag`` and ``md5`` are what its
    server reported (or, for a ``file://`` URL, the MD5 of its bytes), where it could say.
    """

    path: str
    md5: str | None
    size: int | None
    files: int | None = None
    kind: ArtifactKind = ArtifactKind.DVC
    blob: str | None = None
    etag: str | None = None

    @property
    def is_dir(self) -> bool:
        return self.kind is ArtifactKind.DVC and (self.md5 or "").endswith(".dir")

    @property
    def identity(self) -> str:
        """What names the bytes, for people: ``md5 ...``, ``Git blob ...``, ``ETag ...``."""
        if self.kind is ArtifactKind.GIT:
            return f"Git blob {self.blob}"
        if self.md5 is not None:
            return f"md5 {self.md5}"
        if self.etag is not None:
            return f"ETag {self.etag}"
        return "URL, bytes not checked at registration"

    def same_bytes(self, other: Artifact) -> bool:
        """Whether ``other`` names the same bytes (never for a URL that records nothing)."""
        mine = (self.kind, self.blob, self.md5, self.etag)
        return mine == (other.kind, other.blob, other.md5, other.etag) and any(mine[1:])

    def trailers(self) -> list[tuple[str, str]]:
        found = [(ARTIFACT_PATH, self.path)]
        if self.kind is not ArtifactKind.DVC:  # a DVC artifact's tags are as they always were
            found.append((ARTIFACT_KIND, self.kind.value))
        if self.blob is not None:
            found.append((ARTIFACT_BLOB, self.blob))
        if self.md5 is not None:
            found.append((ARTIFACT_MD5, self.md5))
        if self.etag is not None:
            found.append((ARTIFACT_ETAG, self.etag))
        if self.size is not None:
            found.append((ARTIFACT_SIZE, str(self.size)))
        if self.files is not None:
            found.append((ARTIFACT_FILES, str(self.files)))
        return found

    @classmethod
    def from_trailers(cls, trailers: dict[str, str]) -> Artifact | None:
        path, md5 = trailers.get(ARTIFACT_PATH), trailers.get(ARTIFACT_MD5)
        blob = trailers.get(ARTIFACT_BLOB)
        try:
            kind = ArtifactKind(trailers.get(ARTIFACT_KIND, ArtifactKind.DVC.value))
        except ValueError:  # a kind this version does not know: not an artifact it can get
            return None
        if (
            path is None
            or (kind is ArtifactKind.DVC and md5 is None)
            or (kind is ArtifactKind.GIT and blob is None)
        ):
            return None
        size, files = trailers.get(ARTIFACT_SIZE, ""), trailers.get(ARTIFACT_FILES, "")
        return cls(
            path,
            md5,
            int(size) if size.isdigit() else None,
            int(files) if files.isdigit() else None,
            kind,
            blob,
            trailers.get(ARTIFACT_ETAG),
        )


@dataclass(frozen=True, slots=True)
class DeclaredArtifact:
    """What a commit declares of a model's artifact, as GTO and ``dvc artifacts get``
    read it: its entry in ``artifacts:`` of its dvc.yaml, or in GTO's older
    artifacts.yaml."""

    source: str  # the file that declares it
    path: str  # a repository path, or a URL
    type: str | None = None
    description: str | None = None
    labels: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Version:
    """A registered version of a model and where it stands now."""

    model: str
    version: SemVer
    tag: str
    commit: str
    author: Person | None  # None where only a remote's listing was read
    date: datetime | None
    message: str
    model_type: str | None
    artifact: Artifact | None
    archived: bool
    stages: tuple[str, ...]
    annotations: tuple[Annotation, ...] = ()
    # The JSON document the version tag carries (metadata.Metadata); parsed on demand,
    # since most commands never need it. Not part of the JSON output: see metadata().
    document: str = field(default="", repr=False, compare=False, metadata={"json": False})

    def metadata(self) -> Metadata | None:
        """What the version recorded at registration (None for versions without it)."""
        return Metadata.from_json(self.document) if self.document else None


@dataclass(frozen=True, slots=True)
class StageHolder:
    """Which version holds a stage, since when, by which event."""

    stage: str
    version: SemVer
    commit: str
    since: datetime | None
    by: Person | None
    event: str


@dataclass(frozen=True, slots=True)
class StageTagLag:
    """A moving stage tag that disagrees with the events (``None``: absent / empty)."""

    model: str
    stage: str
    tag: str
    expected: SemVer | None
    expected_commit: str | None
    actual_commit: str | None


@dataclass(frozen=True, slots=True)
class Skipped:
    """A tag that looks like a registry tag but is not read, and why."""

    tag: str
    reason: str


@dataclass(frozen=True, slots=True)
class StageTagRef:
    """A moving stage tag as found: what writers must name as the old value."""

    stage: str
    object: str
    target: str
    event: bool  # a --simple assignment another tool wrote: an event, not git-model's pointer
    tagger: Ident | None
    message: str


@dataclass(frozen=True, slots=True)
class Model:
    name: str
    versions: tuple[Version, ...]  # highest precedence first, archived included
    holders: tuple[StageHolder, ...]
    events: tuple[Event, ...]  # oldest first
    deprecated: bool
    lags: tuple[StageTagLag, ...]
    skipped: tuple[Skipped, ...]
    stage_tags: tuple[StageTagRef, ...]
    max_counter: int  # the highest #N among all its tags, readable or not
    last_timestamp: int
    head: str | None = None  # its head ref, when read (before its tags) for a write
    # (tag, object) of the events of writes cut short since the head last moved, in replay
    # order; and the tags of the most recent write (cut short or not). Known only when
    # the head was read.
    unfinished: tuple[tuple[str, str], ...] = ()
    latest_write: tuple[str, ...] = ()

    def holder(self, stage: str) -> StageHolder | None:
        return next((h for h in self.holders if h.stage == stage), None)

    def holder_by_event(self, event: str) -> StageHolder | None:
        """The stage holder the event ``event`` (a tag name) put there, if it still holds."""
        return next((h for h in self.holders if h.event == event), None)

    def find(self, version: SemVer) -> Version | None:
        exact = next((v for v in self.versions if v.version == version), None)
        if exact is not None or version.build:
            return exact
        return self.same_precedence(version)

    def same_precedence(self, version: SemVer) -> Version | None:
        """A version equal to ``version`` but for build metadata (so it cannot coexist)."""
        return next((v for v in self.versions if v.version.same_precedence(version)), None)

    def at_commit(self, commit: str) -> Version | None:
        return next((v for v in self.versions if v.commit == commit), None)

    @property
    def latest(self) -> Version | None:
        """The highest-precedence version that is not archived."""
        return next((v for v in self.versions if not v.archived), None)

    @property
    def used_stages(self) -> tuple[str, ...]:
        return tuple(sorted({e.stage for e in self.events if e.stage is not None}))

    def stage_tag(self, stage: str) -> StageTagRef | None:
        return next((t for t in self.stage_tags if t.stage == stage), None)

    def brief(self) -> Brief:
        latest = self.latest
        return Brief(
            name=self.name,
            latest=dataclasses.replace(latest, document="") if latest else None,
            holders=self.holders,
            deprecated=self.deprecated,
            active_versions=sum(not v.archived for v in self.versions),
            lags=self.lags,
            used_stages=self.used_stages,
        )


@dataclass(frozen=True, slots=True)
class Brief:
    """What listing every model needs of one: its latest version (without its metadata
    document), who holds each stage, and what is wrong with its stage tags."""

    name: str
    latest: Version | None
    holders: tuple[StageHolder, ...]
    deprecated: bool
    active_versions: int
    lags: tuple[StageTagLag, ...]
    used_stages: tuple[str, ...]

    def holder(self, stage: str) -> StageHolder | None:
        return next((h for h in self.holders if h.stage == stage), None)


@dataclass(frozen=True, slots=True)
class RegistryState:
    models: tuple[Model, ...]
    skipped: tuple[Skipped, ...]

    def get(self, name: str) -> Model | None:
        return next((m for m in self.models if m.name == name), None)


# --- building ---------------------------------------------------------------------------


@dataclass
class _Tag:
    parsed: RegistryTag
    record: TagRecord
    ident: Ident | None  # None: listed by a remote, whose tag objects are not here

    @property
    def time(self) -> int:
        return self.ident.timestamp if self.ident else 0

    @property
    def author(self) -> Person | None:
        return Person(self.ident.name, self.ident.email) if self.ident else None

    @property
    def date(self) -> datetime | None:
        return ident_time(self.ident) if self.ident else None

    @property
    def adopts(self) -> str | None:
        """The object id of the stage tag this event is git-model's copy of, if it is one."""
        if self.parsed.action is not Action.ASSIGN or self.parsed.counter is None:
            return None
        if ADOPTED not in self.record.message:
            return None
        return split_trailers(self.record.message)[1].get(ADOPTED)


def classify(records: Iterable[TagRecord]) -> tuple[dict[str, list[_Tag]], list[Skipped]]:
    """Group registry tags by model; skip (with a reason) what cannot be read."""
    by_model: dict[str, list[_Tag]] = {}
    skipped: list[Skipped] = []
    for record in records:
        parsed = RegistryTag.parse(record.name)
        if parsed is None:
            if "@" in record.name or "#" in record.name:
                skipped.append(Skipped(record.name, "does not follow the registry tag grammar"))
            continue
        if not record.annotated:
            skipped.append(Skipped(record.name, "lightweight tag (registry tags are annotated)"))
            continue
        if record.problem is not None:
            skipped.append(Skipped(record.name, record.problem))
            continue
        if record.target_type != "commit":
            skipped.append(Skipped(record.name, f"points at a {record.target_type}, not a commit"))
            continue
        by_model.setdefault(parsed.model, []).append(_Tag(parsed, record, record.tagger))
    return by_model, skipped


def counter_of(tag: str) -> int | None:
    """The ``#N`` a tag name ends with, whether or not the rest of it can be read."""
    match = _COUNTER_RE.search(tag)
    return int(match[1]) if match else None


def ours(message: str) -> bool:
    """Whether git-model wrote a tag with this message (its trailer block says so)."""
    return bool(split_trailers(message)[1])


def _order(events: list[_Tag]) -> list[_Tag]:
    """Counted events by counter; tags without a counter, and git-model's copies of them
    (adopted GTO stage tags), merged in by date."""
    by_date = [t for t in events if t.parsed.counter is None or t.adopts is not None]
    placed = {id(t) for t in by_date}
    counted = sorted(
        (t for t in events if id(t) not in placed),
        key=lambda t: (t.parsed.counter, t.time, t.record.name),
    )
    uncounted = sorted(
        by_date,
        key=lambda t: (t.time, _PRIORITY[t.parsed.action], t.record.name),
    )
    # Stable merge: an uncounted tag goes before a counted one of the same second.
    merged: list[_Tag] = []
    i = 0
    for tag in counted:
        while i < len(uncounted) and uncounted[i].time <= tag.time:
            merged.append(uncounted[i])
            i += 1
        merged.append(tag)
    merged.extend(uncounted[i:])
    return merged


class _ModelBuilder:
    """Replays one model's tags (see the module docstring for the rule)."""

    def __init__(
        self,
        name: str,
        tags: Sequence[_Tag],
        stage_order: Sequence[str],
        unreadable: Sequence[Skipped] = (),
        head: Head | None = None,
    ) -> None:
        self.name = name
        self.tags = tags
        self.head = head
        self.stage_order = {stage: i for i, stage in enumerate(stage_order)}
        self.newest: dict[str, _Tag] = {}  # stage -> its newest event
        self.skipped: list[Skipped] = list(unreadable)
        self.moving: dict[str, _Tag] = {}
        self.pointers: set[str] = set()  # stages whose moving tag is git-model's pointer
        self.registered: dict[SemVer, _Tag] = {}
        self.by_commit: dict[str, _Tag] = {}
        self.archived: set[SemVer] = set()
        self.holders: dict[str, StageHolder] = {}
        self.deprecated = False
        self.events: list[Event] = []
        self.notes: dict[SemVer, dict[str, Annotation]] = {}

    def _event_tags(self) -> list[_Tag]:
        """The tags that are events: all but git-model's moving stage tags, which carry
        its mark or were adopted (an event names their object in ``Adopted:``). Another
        moving stage tag (GTO's ``--simple`` assignment, a tag moved by hand) is an event,
        read as GTO reads it."""
        adopted = {t.adopts for t in self.tags} - {None}
        events = []
        for tag in self.tags:
            stage = tag.parsed.stage
            if tag.parsed.is_stage_tag and stage is not None:
                self.moving[stage] = tag
                if ours(tag.record.message) or tag.record.object in adopted:
                    self.pointers.add(stage)
                    continue
            events.append(tag)
        return events

    def _register(self, events: list[_Tag]) -> list[_Tag]:
        """Versions come from version tags; each commit holds at most one version."""
        dropped = set()
        for tag in sorted(events, key=lambda t: (t.time, t.record.name)):
            version = tag.parsed.version
            if tag.parsed.action is not Action.REGISTER or version is None:
                continue
            other = self.by_commit.get(tag.record.target)
            if other is not None:
                reason = f"its commit already holds {other.record.name}"
                self.skipped.append(Skipped(tag.record.name, reason))
                dropped.add(tag.record.name)
                continue
            self.registered[version] = self.by_commit[tag.record.target] = tag
        return [t for t in events if t.record.name not in dropped]

    def _event(self, tag: _Tag) -> Event | None:
        parsed, record = tag.parsed, tag.record
        version = parsed.version
        if parsed.action in (Action.ASSIGN, Action.UNASSIGN):
            owner = self.by_commit.get(record.target)
            if owner is None:
                reason = f"its commit {record.target[:12]} holds no version"
                self.skipped.append(Skipped(record.name, reason))
                return None
            version = owner.parsed.version
        elif parsed.action in (Action.DEREGISTER, Action.ANNOTATE) and (
            version not in self.registered
        ):
            reason = f"{parsed.action.value}s a version that was never registered"
            self.skipped.append(Skipped(record.name, reason))
            return None
        message, trailers, _ = split_document(record.message)
        kind = KIND_OF_ACTION[parsed.action]
        if kind is EventKind.PROMOTED and ROLLBACK in trailers:
            kind = EventKind.ROLLED_BACK
        forced = trailers.get(FORCED, "")
        return Event(
            kind=kind,
            model=self.name,
            version=version,
            stage=parsed.stage,
            counter=parsed.counter,
            tag=record.name,
            commit=record.target,
            author=tag.author,
            date=tag.date,
            message=message,
            forced=tuple(g.strip() for g in forced.split(",") if g.strip()),
            reason=trailers.get(REASON),
            policy=trailers.get(POLICY),
            release=trailers.get(RELEASE),
            signed=record.signed,
        )

    def _annotate(self, event: Event, tag: _Tag) -> None:
        """Fold an annotation's key/value pairs into its version's notes (empty: removed)."""
        _, _, document = split_document(tag.record.message)
        problem = depth_problem(document) if document else None
        try:
            pairs = {} if problem else load_json(document or "{}").get("annotations", {})
        except (ValueError, AttributeError):
            problem = "not readable JSON"
        if problem is not None:
            self.skipped.append(Skipped(event.tag, f"read without its annotations, {problem}"))
            return
        notes = self.notes.setdefault(event.version, {}) if event.version else {}
        for key, value in pairs.items() if isinstance(pairs, dict) else ():
            if value in ("", None):
                notes.pop(str(key), None)
            else:
                notes[str(key)] = Annotation(
                    str(key), str(value), event.author, event.date, event.tag
                )

    def _apply(self, event: Event) -> None:
        if event.kind is EventKind.ANNOTATED:
            return  # facts about a version, not a change of state
        self.deprecated = event.kind is EventKind.DEPRECATED
        stage, version = event.stage, event.version
        if event.kind is EventKind.ARCHIVED and version is not None:
            self.archived.add(version)
            self.holders = {s: h for s, h in self.holders.items() if h.version != version}
        elif event.kind.assigns and stage is not None and version is not None:
            self.holders[stage] = StageHolder(
                stage=stage,
                version=version,
                commit=event.commit,
                since=event.date,
                by=event.author,
                event=event.tag,
            )
        elif event.kind is EventKind.DEMOTED and stage is not None:
            current = self.holders.get(stage)
            if current is not None and current.commit == event.commit:
                del self.holders[stage]

    def _in_order(self, stages: Iterable[str]) -> tuple[str, ...]:
        """Stages in the registry's order; others after them, by name."""
        last = len(self.stage_order)
        return tuple(sorted(stages, key=lambda s: (self.stage_order.get(s, last), s)))

    def _versions(self) -> list[Version]:
        versions = []
        for version, tag in self.registered.items():
            message, trailers, document = split_document(tag.record.message)
            problem = depth_problem(document) if document else None
            if problem is not None:
                reason = f"read without its metadata document, {problem}"
                self.skipped.append(Skipped(tag.record.name, reason))
                document = None
            versions.append(
                Version(
                    model=self.name,
                    version=version,
                    tag=tag.record.name,
                    commit=tag.record.target,
                    author=tag.author,
                    date=tag.date,
                    message=message,
                    model_type=trailers.get(MODEL_TYPE),
                    artifact=Artifact.from_trailers(trailers),
                    archived=version in self.archived,
                    annotations=tuple(
                        sorted(self.notes.get(version, {}).values(), key=lambda a: a.key)
                    ),
                    document=document or "",
                    stages=self._in_order(
                        s for s, h in self.holders.items() if h.version == version
                    ),
                )
            )
        versions.sort(key=lambda v: v.version, reverse=True)
        return versions

    def _lags(self) -> list[StageTagLag]:
        lags = []
        for stage in sorted(self.pointers | set(self.newest)):
            if stage in self.moving and stage not in self.pointers:
                continue  # another tool's stage tag is an event: it cannot lag
            holder = self.holders.get(stage)
            tag = self.moving.get(stage)
            expected = holder.commit if holder else None
            actual = tag.record.target if tag else None
            # A missing stage tag is a lag where git-model wrote the stage's newest event
            # (a write cut short before its stage tag); GTO's incremental registries have
            # none, and need none.
            newest = self.newest.get(stage)
            if expected == actual or (
                actual is None and (newest is None or not ours(newest.record.message))
            ):
                continue
            lags.append(
                StageTagLag(
                    model=self.name,
                    stage=stage,
                    tag=f"{self.name}#{stage}",
                    expected=holder.version if holder else None,
                    expected_commit=expected,
                    actual_commit=actual,
                )
            )
        return lags

    def _writes(
        self, events: Sequence[_Tag]
    ) -> tuple[tuple[tuple[str, str], ...], tuple[str, ...]]:
        """The model's most recent writes, known from its head and the ``Follows:`` every
        event carries (what its write was planned on: the head, or the last event of a
        write cut short before it). Returns the events of the writes cut short since the
        head last moved, as (tag, object) pairs in replay order, and the tags of the most
        recent write, cut short or not."""
        if self.head is None:
            return (), ()
        writes: dict[str, list[_Tag]] = {}  # what they follow -> a write's events
        for tag in events:
            if FOLLOWS in tag.record.message:
                follows = split_trailers(tag.record.message)[1].get(FOLLOWS)
                if follows is not None:
                    writes.setdefault(follows, []).append(tag)
        cut_short: list[_Tag] = []
        write: list[_Tag] = []
        cursor = self.head.value or NO_HEAD
        while cursor in writes:  # each write cut short follows the one before it
            write = writes.pop(cursor)
            cut_short += write
            cursor = write[-1].record.object
        if not write:  # none: the most recent write is the one the head points into
            write = next((w for w in writes.values() if w[-1].record.object == cursor), [])
        return (
            tuple((t.record.name, t.record.object) for t in cut_short),
            tuple(t.record.name for t in write),
        )

    def build(self) -> Model:
        ordered = _order(self._register(self._event_tags()))
        for tag in ordered:
            event = self._event(tag)
            if event is not None:
                self.events.append(event)
                self._apply(event)
                if event.kind is EventKind.ANNOTATED:
                    self._annotate(event, tag)
                if event.stage is not None:
                    self.newest[event.stage] = tag
        unfinished, latest_write = self._writes(ordered)
        names = [t.record.name for t in self.tags] + [s.tag for s in self.skipped]
        counters = [c for c in map(counter_of, names) if c is not None]
        return Model(
            name=self.name,
            versions=tuple(self._versions()),
            holders=tuple(self.holders[s] for s in self._in_order(self.holders)),
            events=tuple(self.events),
            deprecated=self.deprecated,
            lags=tuple(self._lags()),
            skipped=tuple(self.skipped),
            stage_tags=tuple(
                StageTagRef(
                    s,
                    t.record.object,
                    t.record.target,
                    s not in self.pointers,
                    t.ident,
                    t.record.message,
                )
                for s, t in sorted(self.moving.items())
            ),
            max_counter=max(counters, default=0),
            last_timestamp=max((t.time for t in self.tags), default=0),
            head=self.head.value if self.head else None,
            unfinished=unfinished,
            latest_write=latest_write,
        )


@dataclass(frozen=True, slots=True)
class Head:
    """A model's head ref, read before its tags (a write's compare-and-swap token)."""

    value: str | None  # None: the model has none


def build_model(
    name: str,
    tags: Sequence[_Tag],
    stage_order: Sequence[str] = (),
    unreadable: Sequence[Skipped] = (),
    head: Head | None = None,
) -> Model:
    """One model's state; ``stage_order`` orders the stages it reports, ``unreadable`` are
    its tags that cannot be read (their names still hold counters), and ``head`` is its
    head ref when it was read (to find a write that was cut short)."""
    return _ModelBuilder(name, tags, stage_order, unreadable, head).build()


@dataclass(frozen=True, slots=True)
class Group:
    """The tags whose names start with one model's name: the model they make (None when it
    has no version) and the tags that cannot be read."""

    model: Model | None
    skipped: tuple[Skipped, ...]


@dataclass(frozen=True, slots=True)
class Listing:
    """Every model, briefly, and every tag that cannot be read."""

    models: tuple[Brief, ...]
    skipped: tuple[Skipped, ...]


def group_key(tag: str) -> str | None:
    """The model a tag name is about, read cheaply: what comes before its first ``@`` or
    ``#`` (``dir=name`` as ``dir:name``); None for names that are no registry tag at all."""
    cut = min((i for i in (tag.find("@"), tag.find("#")) if i >= 0), default=-1)
    return tag[:cut].replace(SEPARATOR_IN_TAG, SEPARATOR_IN_NAME) if cut >= 0 else None


def build_group(records: Iterable[TagRecord], stage_order: Sequence[str] = ()) -> Group:
    """The model one group of tags makes, and what in it cannot be read."""
    by_model, unreadable = classify(records)
    model = None
    skipped = list(unreadable)
    for name, tags in sorted(by_model.items()):
        built = build_model(name, tags, stage_order, unreadable)
        own = built.skipped[len(unreadable) :]
        skipped += own
        if built.versions:
            model = built
        else:
            seen = {s.tag for s in own}
            reason = f"{name} has no registered version"
            skipped += [Skipped(t.record.name, reason) for t in tags if t.record.name not in seen]
    return Group(model, tuple(skipped))


def build_state(records: Iterable[TagRecord], stage_order: Sequence[str] = ()) -> RegistryState:
    """Every model with at least one version (the tags of others are reported skipped)."""
    groups: dict[str, list[TagRecord]] = {}
    for record in records:
        key = group_key(record.name)
        if key is not None:
            groups.setdefault(key, []).append(record)
    return assemble(build_group(groups[k], stage_order) for k in sorted(groups))


def assemble(groups: Iterable[Group]) -> RegistryState:
    built = list(groups)
    models = sorted((g.model for g in built if g.model is not None), key=lambda m: m.name)
    return RegistryState(tuple(models), tuple(s for g in built for s in g.skipped))


def merge_events(models: Iterable[Model]) -> list[Event]:
    """All models' events, oldest first: by time across models, by counter within one."""
    return list(heapq.merge(*(m.events for m in models), key=lambda e: e.date or _EPOCH))


def former_holders(model: Model, stage: str) -> list[Version]:
    """The versions that held ``stage``, most recent first, each once (archived ones too)."""
    seen: list[Version] = []
    for event in reversed(model.events):
        if event.stage == stage and event.kind.assigns and event.version is not None:
            version = model.find(event.version)
            if version is not None and version not in seen:
                seen.append(version)
    return seen


@dataclass(frozen=True, slots=True)
class Tenure:
    """One stay of a version in a stage: who put it there and why, and what ended it."""

    version: SemVer
    kind: EventKind  # how it came: promoted, or rolled back
    since: datetime | None
    by: Person | None
    why: str
    event: str
    forced: tuple[str, ...] = ()
    until: datetime | None = None  # None: it holds the stage now
    ended_by: Person | None = None
    end_why: str | None = None
    end_event: str | None = None


def tenures(model: Model, stage: str) -> tuple[Tenure, ...]:
    """Which version held ``stage``, from when to when, oldest first, from the events."""
    done: list[Tenure] = []
    current: Tenure | None = None
    for event in model.events:
        if current is not None and _ends(event, stage, current.version):
            done.append(
                dataclasses.replace(
                    current,
                    until=event.date,
                    ended_by=event.author,
                    end_why=event.message,
                    end_event=event.tag,
                )
            )
            current = None
        if event.stage == stage and event.kind.assigns and event.version is not None:
            current = Tenure(
                event.version,
                event.kind,
                event.date,
                event.author,
                event.message,
                event.tag,
                event.forced,
            )
    return (*done, current) if current is not None else tuple(done)


def _ends(event: Event, stage: str, holder: SemVer) -> bool:
    """Whether ``event`` ends the stay of ``holder`` in ``stage``."""
    if event.stage == stage and event.kind.assigns:
        return True  # another holder (or the same, again)
    if event.kind is EventKind.DEMOTED and event.stage == stage:
        return event.version == holder
    return event.kind is EventKind.ARCHIVED and event.version == holder
