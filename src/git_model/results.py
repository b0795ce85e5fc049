"""What the API returns: frozen dataclasses, rendered by the CLI and used by programs."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from git_model.config import RegistryConfig
from git_model.leftovers import Leftover
from git_model.metadata import (
    LineageChange,
    Metadata,
    MetricDelta,
    ParamChange,
    Scalar,
    SignatureChange,
)
from git_model.policy import Evaluation
from git_model.semver import SemVer
from git_model.series import MetricSeries
from git_model.signing import SignatureCheck
from git_model.state import (
    Artifact,
    DeclaredArtifact,
    Event,
    EventKind,
    Skipped,
    StageHolder,
    StageTagLag,
    Tenure,
    Version,
)


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
    sort_value: Scalar = None  # the latest version's value of the metric sorted by


@dataclass(frozen=True, slots=True)
class RegistryView:
    """``show``: every model, its latest version and who holds each stage."""

    stages: tuple[str, ...]
    models: tuple[ModelSummary, ...]
    lags: tuple[StageTagLag, ...]
    skipped: tuple[Skipped, ...]
    sorted_by: str | None = None
    filtered: bool = False  # some models were left out by --label, --owner or --stage
    hidden: int = 0  # deprecated models that match, left out without --all
    # The --sort metric when no model's latest version recorded it, and what they recorded.
    missing_metrics: tuple[str, ...] = ()
    known_metrics: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ModelView:
    """``show NAME``: one model's versions and stages."""

    name: str
    stages: tuple[StageCell, ...]
    versions: tuple[Version, ...]
    deprecated: bool
    lags: tuple[StageTagLag, ...]
    skipped: tuple[Skipped, ...]
    sorted_by: str | None = None
    sort_values: tuple[Scalar, ...] = ()  # one per version, when sorted by a metric
    hidden: int = 0  # archived versions that match, left out without --all
    # The --sort metric when no version shown recorded it, and what they recorded.
    missing_metrics: tuple[str, ...] = ()
    known_metrics: tuple[str, ...] = ()
    series: tuple[MetricSeries, ...] = ()  # with --metric: each by version, to draw


@dataclass(frozen=True, slots=True)
class History:
    model: str | None
    events: tuple[Event, ...]
    newest_first: bool
    metrics: tuple[str, ...] = ()  # the metrics asked for
    values: tuple[tuple[Scalar, ...], ...] = ()  # per event, its version's value of each
    # The metrics asked for that no version recorded, and the metrics the versions did.
    missing_metrics: tuple[str, ...] = ()
    known_metrics: tuple[str, ...] = ()
    signatures: tuple[SignatureCheck, ...] = ()  # with --signers: the signed events, verified
    signatures_note: str | None = None  # why they could not be verified
    series: tuple[MetricSeries, ...] = ()  # one model's, with --metric: each by version


@dataclass(frozen=True, slots=True)
class VersionDetail:
    """``describe``: one version, how it was reached from what the user typed, its events."""

    ref: str
    version: Version
    deprecated: bool
    events: tuple[Event, ...]
    lags: tuple[StageTagLag, ...]
    metadata: Metadata | None = None
    signatures: tuple[SignatureCheck, ...] = ()  # its signed events, verified
    signatures_note: str | None = None  # why they could not be verified
    # What the version's commit declares of its artifact, for a version that recorded none
    # (one GTO registered): dvc.yaml's entry, or GTO's older artifacts.yaml's.
    declared: DeclaredArtifact | None = None


@dataclass(frozen=True, slots=True)
class RefChange:
    ref: str
    old: str | None
    new: str | None


class NoticeKind(StrEnum):
    # Files of the work tree differ from the commit a version records.
    UNCOMMITTED = "uncommitted"
    # The version's artifact has the DVC hash an earlier version's has.
    SAME_ARTIFACT = "same-artifact"
    # The version's artifact is at a URL whose ETag, MD5 and size could not be asked.
    URL_NOT_CHECKED = "url-not-checked"


@dataclass(frozen=True, slots=True)
class Notice:
    """What a command did not refuse but wants you to know: one line for people, and its
    facts for programs (the files, the other version)."""

    kind: NoticeKind
    message: str
    paths: tuple[str, ...] = ()
    version: SemVer | None = None


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
    bump_reason: str | None = None  # why `--bump auto` chose the version it did
    # When the change was already made by the model's last write (this same command run
    # before, perhaps cut short by a crash, a kill or a dropped connection): that write's
    # tags. Nothing new was written; what it left undone (stage tags) was completed.
    completed: tuple[str, ...] = ()
    # Another tool's stage tags (GTO's --simple assignments) this write kept as counted
    # events before its own: (the stage tag, the event tag that now records it).
    adopted: tuple[tuple[str, str], ...] = ()
    notices: tuple[Notice, ...] = ()
    # A promotion: the gates of its stage, as evaluated (failed ones, if forced); and a
    # warning about the policy (the working tree declares other gates than those in force).
    gates: Evaluation | None = None
    policy_warning: str | None = None


@dataclass(frozen=True, slots=True)
class Timeline:
    """``history NAME#STAGE``: which version held the stage, from when to when, who moved
    it and why, oldest first."""

    model: str
    stage: str
    tenures: tuple[Tenure, ...]


@dataclass(frozen=True, slots=True)
class TagMeaning:
    """``check-ref``: what one registry tag means, for a CI job its push started."""

    ref: str  # as given
    tag: str
    kind: EventKind  # what happened (for a moving stage tag: the event behind it)
    model: str
    version: Version | None  # None for a deprecation
    stage: str | None
    previous: SemVer | None  # who held the stage just before (stage events)
    holder: SemVer | None  # who holds the stage now
    current: bool  # the event still describes the present: deploy only then
    stage_tag: bool  # the ref is the moving stage tag, not an event
    event: Event
    artifact: Artifact | None  # what to deploy: git model get NAME@VERSION


@dataclass(frozen=True, slots=True)
class Release:
    """``promote`` of several models at once: one change per model, all in one
    transaction, their events sharing ``release``."""

    release: str
    stage: str
    changes: tuple[Change, ...]
    policy_warning: str | None = None


@dataclass(frozen=True, slots=True)
class Check:
    """``check``: every gate of a stage, evaluated for one version, and what to know about
    the policy it came from."""

    evaluation: Evaluation
    warning: str | None = None  # the working tree declares other gates than those in force


@dataclass(frozen=True, slots=True)
class ArtifactCheck:
    """``verify``: the artifact the version tag records against what DVC recorded in the
    version's commit, and against the bytes this clone holds, where it holds them."""

    path: str
    recorded: str  # the md5 in the version tag (a Git artifact's blob id; a URL's identity)
    identity: str  # what names the bytes, for people: "md5 ...", "Git blob ...", "ETag ..."
    dvc: str | None  # the md5 in the commit's .dvc file or dvc.lock (the commit's blob id;
    # the URL the commit declares)
    local: str | None  # where the bytes checked here are (None: not held here)
    passed: bool
    reason: str


@dataclass(frozen=True, slots=True)
class Verification:
    """``verify``: the version's registration and the events that put it in its stages,
    each signature checked, and its artifact."""

    model: str
    version: Version
    trust: str  # where the allowed signers were read
    checks: tuple[SignatureCheck, ...]
    artifact: ArtifactCheck | None
    passed: bool  # every check, and the artifact's


@dataclass(frozen=True, slots=True)
class Diagnosis:
    """``doctor``: what the registry cannot read, stage tags that lag, files in Git's way."""

    skipped: tuple[Skipped, ...]
    lags: tuple[StageTagLag, ...]
    leftovers: tuple[Leftover, ...]  # still there after the run
    removed: tuple[Leftover, ...]  # removed by --fix
    repaired: tuple[StageTagLag, ...]

    @property
    def healthy(self) -> bool:
        return not self.leftovers and len(self.repaired) == len(self.lags)


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
    ignored: tuple[str, ...] = ()  # the remote's lightweight registry tags, never fetched


@dataclass(frozen=True, slots=True)
class Initialized:
    path: Path
    config: RegistryConfig


@dataclass(frozen=True, slots=True)
class Comparison:
    """``compare``: two versions side by side, for a reviewer (``--markdown`` for a PR)."""

    a: Version
    b: Version
    metrics: tuple[MetricDelta, ...]
    params: tuple[ParamChange, ...]
    size_a: int | None
    size_b: int | None
    training_time_a: float | None
    training_time_b: float | None
    signature: SignatureChange | None  # None: a version recorded no signature
    lineage: LineageChange
    recorded: bool  # both versions recorded metadata at registration


@dataclass(frozen=True, slots=True)
class ModelCard:
    """``card``: a Markdown model card, and the sections nobody wrote."""

    model: str
    version: SemVer
    text: str
    missing: tuple[str, ...]


class Rule(StrEnum):
    """What a push may not do to the registry: each check the push hooks make."""

    UNREADABLE = "unreadable"  # a registry tag git-model cannot read (lightweight, ...)
    VERSION_MOVED = "version-moved"
    VERSION_DELETED = "version-deleted"
    SECOND_VERSION = "second-version"  # a second version of a model on one commit
    EVENT_MOVED = "event-moved"
    EVENT_DELETED = "event-deleted"
    COUNTER_ORDER = "counter-order"  # an event whose counter is not above the model's
    UNKNOWN_STAGE = "unknown-stage"  # a stage the configuration does not list
    STAGE_TAG = "stage-tag"  # a stage tag that disagrees with the events
    GATES = "gates"  # a promotion that fails its gates, not forced by one allowed to
    SIGNERS = "signers"  # a move into a stage not signed by one its gates name


@dataclass(frozen=True, slots=True)
class Refusal:
    """One tag a push may not carry, and why (one line: what is wrong, and the fix)."""

    tag: str
    rule: Rule
    reason: str

    def __str__(self) -> str:
        return f"{self.tag}: {self.reason}"


@dataclass(frozen=True, slots=True)
class PushReview:
    """``hooks run``: a push's registry tags, checked against the receiving side's
    registry and policy; passed when nothing is refused."""

    hook: str  # pre-receive, pre-push
    updates: int  # the refs the push changes
    checked: tuple[str, ...]  # the registry tags among them
    refusals: tuple[Refusal, ...]
    policy: str | None  # where the stages and gates were read (None: no registry tag)

    @property
    def passed(self) -> bool:
        return not self.refusals


@dataclass(frozen=True, slots=True)
class HooksInstalled:
    """``hooks install``: the hook written, the git-model it runs, and the hook that was
    there before (kept, and run first)."""

    hook: str  # pre-receive, pre-push
    path: Path
    command: Path
    chained: Path | None
    updated: bool  # git-model's hook was there already, and was written again


@dataclass(frozen=True, slots=True)
class FileCheck:
    path: str  # from the top of the working tree
    problem: str | None  # None: it reads


@dataclass(frozen=True, slots=True)
class Validation:
    """``validate``: git-model.yaml and the models' YAML files, each read as the commands
    read them."""

    stages: tuple[str, ...]
    files: tuple[FileCheck, ...]

    @property
    def passed(self) -> bool:
        return all(f.problem is None for f in self.files)


@dataclass(frozen=True, slots=True)
class PromotionRequest:
    """``promote --request``: a branch whose one commit asks, in the model's desired-state
    file, for the version to hold the stage; to be merged through a reviewed pull request."""

    model: str
    version: Version
    stage: str
    replaces: SemVer | None  # the stage's holder now
    branch: str  # refs/heads/git-model/promote/...
    commit: str
    base: str  # the policy branch the branch starts from
    base_commit: str
    path: str  # the desired-state file it changes
    gates: Evaluation
    message: str  # the commit message: subject, then the check and the comparison
    pushed: str | None = None  # the remote it was pushed to
    url: str | None = None  # where to open the pull request, for GitHub and GitLab


@dataclass(frozen=True, slots=True)
class Move:
    """One stage the desired state asks to change: from its holder to a version."""

    model: str
    stage: str
    holder: Version | None  # who holds the stage now (the tags)
    version: Version  # who the desired state asks for
    replaces: SemVer | None  # who held it when the request was made
    gates: Evaluation
    metrics: tuple[MetricDelta, ...]  # the holder's (None without one) against the version's
    params: tuple[ParamChange, ...]  # those that differ (all of them, without a holder)
    comparison: Comparison | None  # with the holder (None: no holder)
    where: str  # the desired-state file and line
    conflict: bool  # the stage moved since the request: its holder is not what it replaces


@dataclass(frozen=True, slots=True)
class Drift:
    """A stage whose tags disagree with the desired state of the base: moved by hand
    (or merged and not applied yet)."""

    model: str
    stage: str
    asked: SemVer
    holder: SemVer | None
    where: str


@dataclass(frozen=True, slots=True)
class PlanReport:
    """``plan``: what the desired state at HEAD asks that the tags do not say yet."""

    head: str  # the commit whose desired state is planned
    base: str  # what drift is measured against (a ref)
    base_commit: str | None
    moves: tuple[Move, ...]
    in_place: int  # requests the tags already satisfy
    drift: tuple[Drift, ...]
    policy: str  # where the gates were read
    warning: str | None = None

    @property
    def conflicts(self) -> tuple[Move, ...]:
        return tuple(m for m in self.moves if m.conflict)

    @property
    def failing(self) -> tuple[Move, ...]:
        return tuple(m for m in self.moves if not m.gates.passed)


@dataclass(frozen=True, slots=True)
class Applied:
    """``apply``: the tags moved to match the desired state at HEAD, in one transaction."""

    merge_commit: str
    changes: tuple[Change, ...]  # empty: the tags already said it
    release: str | None
    approved_by: tuple[str, ...]
    pushed: str | None = None
    policy_warning: str | None = None
    # Stages whose request was applied and that moved since (by hand): left as they are.
    kept: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ReportWritten:
    """``report``: the HTML page written, its size, and what it shows."""

    path: Path
    size: int  # bytes
    models: int
    versions: int
    events: int
    charts: int  # metric charts (one per model and recorded metric)
