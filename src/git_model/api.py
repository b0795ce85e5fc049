"""The registry's API: the CLI makes one call here per command; other programs do too.

Every function opens the repository at ``repo`` (default: the current directory), reads
what it needs with one ``git for-each-ref``, and returns a frozen result. Writes build all
their tags first and change every ref in one ``git update-ref`` transaction, events
first and moving stage tags last, so that an interrupted write leaves only states that
the next command understands and repairs.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath
from typing import Literal, TypeVar

from git_model import artifacts, leftovers, registration
from git_model.collect import collect, prefetch, read_spec, spec_path
from git_model.commands import hooks as push_hooks
from git_model.commands.apply import apply
from git_model.commands.check import check
from git_model.commands.check_ref import check_ref
from git_model.commands.plan import plan
from git_model.commands.promote import promote, promote_all
from git_model.commands.report import report
from git_model.commands.request import request_promotion
from git_model.commands.rollback import rollback
from git_model.commands.validate import validate
from git_model.commands.verify import verify
from git_model.config import (
    DEFAULT_STAGES,
    RegistryConfig,
    make_config,
    write_config,
)
from git_model.errors import (
    ArtifactNotDeclared,
    CommitAlreadyRegistered,
    GitModelError,
    HoldsStages,
    InvalidName,
    ModelDeprecated,
    OutputExists,
    StageEmpty,
    UnknownStage,
    UsageError,
    VersionArchived,
    writing,
)
from git_model.gitcmd import (
    Git,
)
from git_model.leftovers import Holder, Leftover, LeftoverKind
from git_model.metadata import (
    CardSection,
    Dep,
    Environment,
    Field,
    LineageChange,
    LineageStage,
    Metadata,
    MetricDelta,
    ModelSpec,
    PackageFile,
    ParamChange,
    Scalar,
    Signature,
    SignatureChange,
    Value,
)
from git_model.names import (
    Action,
    ModelRef,
    RegistryTag,
    check_model_name,
    check_version,
    is_model_name,
    model_in_tag,
    model_ref_patterns,
    prefix_patterns,
)
from git_model.policy import (
    Evaluation,
    GateResult,
    Override,
    Policy,
    Signing,
    StageGates,
    Threshold,
    Tolerance,
)
from git_model.reading import (
    Reader,
    cells,
    listing,
    missing_model,
    model_from,
    moment,
    open_reader,
    open_registry,
    policy_in_force,
    read_for_write,
    require_model,
    resolve,
    stage_columns,
    tag_names,
    until,
    with_documents,
)
from git_model.reports import comparison, model_card
from git_model.results import (
    Applied,
    ArtifactCheck,
    Change,
    Check,
    Comparison,
    Diagnosis,
    Drift,
    Fetched,
    FileCheck,
    History,
    HooksInstalled,
    Initialized,
    ModelCard,
    ModelSummary,
    ModelView,
    Move,
    Notice,
    NoticeKind,
    PlanReport,
    PromotionRequest,
    PushReview,
    RefChange,
    Refusal,
    RegistryView,
    Release,
    ReportWritten,
    Rule,
    StageCell,
    Synced,
    TagMeaning,
    Timeline,
    Validation,
    Verification,
    VersionDetail,
)
from git_model.safeyaml import write_file
from git_model.semver import Bump, SemVer
from git_model.series import MetricPoint, MetricSeries, metric_series
from git_model.signing import SignatureCheck, who_signed
from git_model.state import (
    MODEL_TYPE,
    Annotation,
    Artifact,
    ArtifactKind,
    Brief,
    DeclaredArtifact,
    Event,
    EventKind,
    Listing,
    Model,
    Person,
    RegistryState,
    Skipped,
    StageHolder,
    StageTagLag,
    Tenure,
    Version,
    build_state,
    merge_events,
    tenures,
)
from git_model.writing import (
    Plan,
    RemoteState,
    changing,
    check_message,
    done_before,
    last_event,
    repair_all,
    sync,
    writable,
)

T = TypeVar("T")

# The documented surface (docs/python-api.md): one function per command, what they take
# and return, and every value inside a result, so that a program can name its types.
__all__ = [
    "Annotation",
    "Applied",
    "Artifact",
    "ArtifactCheck",
    "ArtifactKind",
    "Bump",
    "CardSection",
    "Change",
    "Check",
    "Comparison",
    "DeclaredArtifact",
    "Dep",
    "Diagnosis",
    "Drift",
    "Environment",
    "Evaluation",
    "Event",
    "EventKind",
    "Fetched",
    "Field",
    "FileCheck",
    "Filters",
    "GateResult",
    "History",
    "Holder",
    "HooksInstalled",
    "Initialized",
    "Leftover",
    "LeftoverKind",
    "LineageChange",
    "LineageStage",
    "Metadata",
    "MetricDelta",
    "MetricPoint",
    "MetricSeries",
    "ModelCard",
    "ModelSpec",
    "ModelSummary",
    "ModelView",
    "Move",
    "Notice",
    "NoticeKind",
    "Override",
    "PackageFile",
    "ParamChange",
    "Person",
    "PlanReport",
    "Policy",
    "PromotionRequest",
    "PushReview",
    "RefChange",
    "Refusal",
    "RegistryConfig",
    "RegistryView",
    "Release",
    "ReportWritten",
    "Rule",
    "SemVer",
    "Signature",
    "SignatureChange",
    "SignatureCheck",
    "Signing",
    "Skipped",
    "StageCell",
    "StageGates",
    "StageHolder",
    "StageTagLag",
    "Synced",
    "TagMeaning",
    "Tenure",
    "Threshold",
    "Timeline",
    "Tolerance",
    "Validation",
    "Value",
    "Verification",
    "Version",
    "VersionDetail",
    "annotate",
    "apply",
    "archive",
    "artifact_path",
    "cache_dir",
    "card",
    "check",
    "check_ref",
    "check_unpushed",
    "compare",
    "complete",
    "demote",
    "deprecate",
    "describe",
    "doctor",
    "fetch",
    "get",
    "history",
    "init",
    "install_hooks",
    "plan",
    "promote",
    "promote_all",
    "register",
    "report",
    "request_promotion",
    "rollback",
    "run_hook",
    "show",
    "timeline",
    "validate",
    "verify",
]


@dataclass(frozen=True, slots=True)
class Filters:
    """What ``show`` keeps and how it orders: versions whose recorded metadata has the
    label or owner, that hold the stage; sorted by a recorded metric (highest first)."""

    label: str | None = None
    owner: str | None = None
    stage: str | None = None
    sort: str | None = None
    ascending: bool = False

    def keeps(self, version: Version | None) -> bool:
        if version is None:
            return not (self.label or self.owner or self.stage)
        if self.stage is not None and self.stage not in version.stages:
            return False
        if self.label is None and self.owner is None:
            return True
        metadata = version.metadata()
        spec = metadata.spec if metadata else None
        if self.label is not None and (spec is None or self.label not in spec.labels):
            return False
        return self.owner is None or (spec is not None and spec.owner == self.owner)

    @property
    def asked(self) -> tuple[str, ...]:
        """The metric asked for, if any."""
        return (self.sort,) if self.sort else ()

    def value(self, version: Version | None) -> Scalar:
        metadata = version.metadata() if version and self.sort else None
        return metadata.metric(self.sort) if metadata and self.sort else None

    def order(self, items: list[T], value: Callable[[T], Scalar]) -> list[T]:
        """Sorted by the metric; versions without it (or with text) last, in their order."""
        if self.sort is None:
            return items
        numbers = [i for i in items if _is_number(value(i))]
        others = [i for i in items if not _is_number(value(i))]
        numbers.sort(key=lambda i: float(value(i) or 0), reverse=not self.ascending)
        return numbers + others


def _is_number(value: Scalar) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _unrecorded(
    asked: Sequence[str],
    rows: Sequence[Sequence[Scalar]],
    versions: Iterable[Version | None],
    reader: Reader | None = None,
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The metrics ``asked`` for that none of the ``rows`` has a value of (each row holds a
    value per metric asked), and then every metric that ``versions`` recorded. Nothing when
    the ``reader`` read a remote's listing, which carries no metrics."""
    missing = tuple(m for i, m in enumerate(asked) if all(row[i] is None for row in rows))
    if not rows or not missing or (reader is not None and reader.git is None):
        return (), ()
    documents = (v.metadata() for v in versions if v is not None)
    return missing, tuple(sorted({m.name for d in documents if d for m in d.metrics}))


def show(
    name: str | None = None,
    *,
    include_all: bool = False,
    source: str | None = None,
    filters: Filters | None = None,
    at: str | None = None,
    metrics: Sequence[str] = (),
    repo: Path | str | None = None,
) -> RegistryView | ModelView:
    """The registry (every model) or, with ``name``, one model's versions and stages; with
    ``source``, a remote's, read without fetching (authors, dates and messages unknown).
    ``filters`` keep the models (by their latest version) or versions that match, sorted
    by a metric. ``at`` (a duration ago, a date, a commit or tag): the registry as it was
    then, replayed from the events made until then. ``metrics`` (with ``name``): each of
    them by version, over the versions shown, to draw."""
    if metrics and name is None:
        raise UsageError(
            "--metric draws one model's metric by version", "name the model: show NAME --metric M"
        )
    reader = open_reader(repo, source)
    chosen = filters or Filters()
    then = _moment(reader, at)
    if name is not None:
        model = ModelRef.parse(name).model
        return _model_view(reader, model, include_all, chosen, then, metrics=metrics)
    config = reader.config
    if reader.git is not None and then is None:
        state = listing(reader.git, config)
    else:
        records = until(reader.list_tags(()), then)
        state = _brief(build_state(records, config.stages), past=then is not None)
    columns = stage_columns(config, state.models)
    latest = {m.name: m.latest for m in state.models}
    if reader.git is not None and (chosen.label or chosen.owner or chosen.sort):
        # The filters read what the latest versions recorded: their tags' documents.
        filled = with_documents(reader.git, [v for v in latest.values() if v is not None])
        latest = {name: filled[v.tag] if v else None for name, v in latest.items()}
    matching = [m for m in state.models if _model_kept(chosen, m, latest[m.name])]
    rows = [
        ModelSummary(
            name=m.name,
            latest=latest[m.name],
            stages=cells(m, columns),
            deprecated=m.deprecated,
            versions=m.active_versions,
            sort_value=chosen.value(latest[m.name]),
        )
        for m in matching
        if include_all or not m.deprecated
    ]
    missing, known = _unrecorded(
        chosen.asked, [(r.sort_value,) for r in rows], [r.latest for r in rows], reader
    )
    return RegistryView(
        stages=columns,
        models=tuple(chosen.order(rows, lambda r: r.sort_value)),
        lags=tuple(lag for m in state.models for lag in m.lags),
        skipped=state.skipped,
        sorted_by=chosen.sort,
        filtered=bool(chosen.label or chosen.owner or chosen.stage),
        hidden=len(matching) - len(rows),
        missing_metrics=missing,
        known_metrics=known,
    )


def _model_view(
    reader: Reader,
    name: str,
    include_all: bool,
    chosen: Filters,
    then: int | None,
    *,
    metrics: Sequence[str] = (),
) -> ModelView:
    """``show NAME``: the model's stages, and its versions that match the filters (as they
    were at the moment ``then``, when given)."""
    records = until(reader.list_tags(model_ref_patterns(name)), then)
    model = _past(model_from(records, name, reader.config.stages), then)
    if model is None:
        raise reader.missing(name)
    matching = [v for v in model.versions if chosen.keeps(v)]
    kept = chosen.order([v for v in matching if include_all or not v.archived], chosen.value)
    values = tuple(chosen.value(v) for v in kept) if chosen.sort else ()
    missing, known = _unrecorded(chosen.asked, [(v,) for v in values], kept, reader)
    shown = dataclasses.replace(model, versions=tuple(kept))
    series = tuple(metric_series(shown, m, reader.config.stages) for m in metrics)
    if series:  # a metric asked for that no version shown recorded (as a number)
        drawn = [tuple(s.points[0].value if s.points else None for s in series)]
        more, recorded = _unrecorded(metrics, drawn, kept, reader)
        missing, known = (*missing, *more), known or recorded
    return ModelView(
        name=model.name,
        stages=cells(model, stage_columns(reader.config, [model])),
        versions=tuple(kept),
        deprecated=model.deprecated,
        lags=model.lags,
        skipped=model.skipped,
        sorted_by=chosen.sort,
        sort_values=values,
        hidden=len(matching) - len(kept),
        missing_metrics=missing,
        known_metrics=known,
        series=tuple(s for s in series if s.points),
    )


def _brief(state: RegistryState, past: bool = False) -> Listing:
    models = (dataclasses.replace(m, lags=()) if past else m for m in state.models)
    return Listing(tuple(m.brief() for m in models), state.skipped)


def _moment(reader: Reader, at: str | None) -> int | None:
    if at is None:
        return None
    if reader.git is None:
        raise UsageError(
            "--at needs the tags' dates, which a remote's listing does not give",
            "run it in a clone (git model fetch first)",
        )
    return moment(reader.git, at)


def _past(model: Model | None, then: int | None) -> Model | None:
    """A model as it was at a moment: what its stage tags say now does not apply then."""
    if model is None or then is None:
        return model
    return dataclasses.replace(model, lags=())


def _model_kept(filters: Filters, model: Brief, latest: Version | None) -> bool:
    """A model matches when its latest version does (the stage: when any version holds it)."""
    if filters.stage is not None and model.holder(filters.stage) is None:
        return False
    return Filters(filters.label, filters.owner).keeps(latest)


def _locate(
    ref: str, repo: Path | str | None, source: str | None
) -> tuple[Model, Version, str, Artifact | None, Git | None]:
    """The model and version ``ref`` names, where the repository is, the artifact the
    version recorded (None when only a remote's listing was read), and the repository
    that holds the version's commit (None: the remote's, fetched by ``download``)."""
    reader = open_reader(repo, source)
    target = ModelRef.parse(ref)
    patterns = model_ref_patterns(target.model)
    model = model_from(reader.list_tags(patterns), target.model, reader.config.stages)
    if model is None:
        raise reader.missing(target.model)
    version = resolve(model, target, source)
    expected = version.artifact
    if expected is None and reader.git is not None:
        expected = artifacts.recorded(reader.git, version.commit, model.name)
        if expected is None:
            raise ArtifactNotDeclared(model.name, f"{model.name} {version.version.tag}")
    return model, version, reader.url, expected, reader.git


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
    model, version, url, expected, git = _locate(ref, repo, source)
    if isinstance(out, str) and out.endswith(("/", os.sep)):
        with writing(out):  # `-o dir/` means into that directory
            Path(out).mkdir(parents=True, exist_ok=True)
    found, path = artifacts.download(
        url,
        version.commit,
        model.name,
        version.tag,
        expected,
        git=git,
        out=None if out is None else Path(out),
        force=force,
        progress=progress,
    )
    # A URL whose server gave no ETag or MD5 at registration cannot be checked (its size is).
    verified = found.kind is not ArtifactKind.URL or bool(found.md5 or found.etag)
    return Fetched(model.name, version.version, version.commit, url, found, path, verified)


def cache_dir() -> Path:
    """Where ``artifact_path`` keeps artifacts: $XDG_CACHE_HOME/git-model/artifacts."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "git-model" / "artifacts"


def artifact_path(ref: str, *, source: str | None = None, repo: Path | str | None = None) -> Path:
    """A local path to the artifact of ``ref`` (e.g. ``"churn#prod"``), for deployment
    code: downloaded and verified once per commit into the cache, then reused."""
    model, version, url, expected, git = _locate(ref, repo, source)
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
    _, path = artifacts.download(
        url, version.commit, model.name, version.tag, expected, git=git, out=slot, force=True
    )
    return path


def history(
    name: str | None = None,
    *,
    newest_first: bool = True,
    metrics: Sequence[str] = (),
    signers: bool = False,
    repo: Path | str | None = None,
) -> History:
    """Every event of one model, or of all models, ordered by counter within a model;
    with ``metrics``, the value each event's version recorded for each of them; with
    ``signers``, who signed each signed event (each one verified)."""
    git, config = open_registry(repo)
    model_name = None
    if name is not None:
        model = require_model(git, config, ModelRef.parse(name).model)
        model_name = model.name
        models: Sequence[Model] = (model,)
        events = list(model.events)
    else:
        models = build_state(git.list_tags(), config.stages).models
        events = merge_events(models)
    if newest_first:
        events.reverse()
    values = _recorded(models, events, metrics) if metrics else ()
    versions = [v for m in models for v in m.versions]
    missing, known = _unrecorded(metrics, values, versions)
    signatures: tuple[SignatureCheck, ...] = ()
    note = None
    if signers:
        signatures, note = who_signed(git, policy_in_force(git, config)[0], events)
    series = tuple(metric_series(models[0], m, config.stages) for m in metrics) if name else ()
    return History(
        model=model_name,
        events=tuple(events),
        newest_first=newest_first,
        metrics=tuple(metrics),
        values=values,
        missing_metrics=missing,
        known_metrics=known,
        signatures=signatures,
        signatures_note=note,
        series=tuple(s for s in series if s.points),
    )


def timeline(ref: str, *, repo: Path | str | None = None) -> Timeline:
    """``NAME#STAGE``'s timeline: every stay of a version in the stage, oldest first."""
    target = ModelRef.parse(ref)
    if target.stage is None:
        raise UsageError(f"{ref!r} names no stage", "write NAME#STAGE, e.g. churn#prod")
    git, config = open_registry(repo)
    model = require_model(git, config, target.model)
    return Timeline(model.name, target.stage, tenures(model, target.stage))


def _recorded(
    models: Sequence[Model], events: Sequence[Event], metrics: Sequence[str]
) -> tuple[tuple[Scalar, ...], ...]:
    """Per event, the value its version recorded for each metric (None: not recorded).
    The documents came with the tags: each version's is parsed once, when first needed."""
    Key = tuple[str, SemVer | None]  # a deprecation has no version
    versions: dict[Key, Version] = {(m.name, v.version): v for m in models for v in m.versions}
    parsed: dict[Key, Metadata | None] = {}

    def values(event: Event) -> tuple[Scalar, ...]:
        key = (event.model, event.version)
        if key not in parsed:
            version = versions.get(key)
            parsed[key] = version.metadata() if version is not None else None
        metadata = parsed[key]
        return tuple(metadata.metric(n) if metadata else None for n in metrics)

    return tuple(values(event) for event in events)


Completing = Literal["model", "ref", "stage"]


def complete(
    text: str, kind: Completing = "ref", *, repo: Path | str | None = None
) -> tuple[str, ...]:
    """What may complete ``text``, the word a shell completes: a model's name (``kind``
    "model"), a version ("ref": NAME, then NAME@VERSION, NAME@latest or NAME#STAGE once
    NAME is followed by ``@`` or ``#``) or a stage ("stage"). Read from the names of the
    tags that start like ``text``, in one ``git for-each-ref`` that reads no tag."""
    git, config = open_registry(repo)
    if kind == "stage":
        return tuple(s for s in config.stages if s.startswith(text))
    cut = min((i for i in (text.find("@"), text.find("#")) if i >= 0), default=-1)
    if kind == "model" or cut < 0:
        models = tag_names(git, prefix_patterns(text)).models
        return tuple(sorted(m for m in models if m.startswith(text)))
    model = text[:cut]
    known = tag_names(git, model_ref_patterns(model) if is_model_name(model) else ())
    if model not in known.models:
        return ()
    versions = sorted((t.version for t in known.versions if t.version), reverse=True)
    stages = dict.fromkeys([*config.stages, *sorted(known.stages)])
    candidates = [
        *(f"{model}@{v}" for v in versions),
        f"{model}@latest",
        *(f"{model}#{s}" for s in stages),
    ]
    return tuple(c for c in candidates if c.startswith(text))


def describe(ref: str, *, at: str | None = None, repo: Path | str | None = None) -> VersionDetail:
    """One version, given as ``NAME@VERSION``, ``NAME@latest`` or ``NAME#STAGE``; ``at``:
    as it was then (``NAME#STAGE --at 7d``: who held the stage a week ago)."""
    git, config = open_registry(repo)
    target = ModelRef.parse(ref)
    then = moment(git, at) if at is not None else None
    records = until(git.list_tags(model_ref_patterns(check_model_name(target.model))), then)
    model = _past(model_from(records, target.model, config.stages), then)
    if model is None:
        raise missing_model(git, config, target.model)
    version = resolve(model, target)
    events = tuple(
        e for e in model.events if e.version == version.version or e.kind is EventKind.DEPRECATED
    )
    signed = any(e.signed for e in events)
    policy = policy_in_force(git, config)[0] if signed else None
    signatures, note = who_signed(git, policy, events) if policy else ((), None)
    # A version that recorded no artifact (GTO's) is shown with what its commit declares.
    declared = None
    if version.artifact is None:
        declared = artifacts.declaration(git, version.commit, version.model)
    return VersionDetail(
        ref=ref,
        version=version,
        deprecated=model.deprecated,
        events=events,
        lags=model.lags,
        metadata=version.metadata(),
        signatures=signatures,
        signatures_note=note,
        declared=declared,
    )


_KEY_RE = re.compile(r"[A-Za-z][A-Za-z0-9_.-]*")


def annotate(
    ref: str,
    values: Mapping[str, str],
    *,
    message: str | None = None,
    push: str | None = None,
    sign: bool | None = None,
    repo: Path | str | None = None,
) -> Change:
    """Attach facts to a version after registration (UAT result, production notes, a
    deprecation reason): an event tag ``NAME@vX.Y.Z#note#N``; the version tag never
    moves. An empty value removes the key. ``describe`` shows the current values and
    ``history`` every change."""
    check_message(message)
    if not values:
        raise UsageError("nothing to annotate", "give KEY=VALUE pairs, e.g. uat=passed")
    for key in values:
        if not _KEY_RE.fullmatch(key):
            raise InvalidName(key, "annotation key")
    git, config = open_registry(repo)
    target = ModelRef.parse(ref)
    model, remote = changing(git, config, target.model, push)
    version = resolve(model, target)
    plan = Plan(git, config, model, remote, sign=sign)
    if _annotated_before(model, version, values):
        return plan.finish(EventKind.ANNOTATED, version.version)
    shown = ", ".join(f"{k}={v}" for k, v in values.items())
    text = message or f"Annotate {model.name} {version.version.tag}: {shown}"
    document = json.dumps({"annotations": dict(values)}, indent=1, ensure_ascii=False)
    plan.event(Action.ANNOTATE, version.commit, text, version=version.version, document=document)
    return plan.finish(EventKind.ANNOTATED, version.version)


def _annotated_before(model: Model, version: Version, values: Mapping[str, str]) -> bool:
    """Whether the model's most recent write annotated this version with these values
    (see ``done_before``): then annotating again only completes it."""
    latest = model.latest_write
    parsed = RegistryTag.parse(latest[0]) if len(latest) == 1 else None
    if parsed is None or parsed.action is not Action.ANNOTATE:
        return False
    notes = {note.key: note for note in version.annotations}
    for key, value in values.items():
        note = notes.get(key)
        removed = not value and note is None
        set_then = note is not None and note.value == value and note.event == latest[0]
        if not (removed or set_then):
            return False
    return parsed.version == version.version


def compare(ref_a: str, ref_b: str, *, repo: Path | str | None = None) -> Comparison:
    """Two versions (of one model or two) side by side: metrics with deltas, params that
    changed, artifact size, training time, signature compatibility, data lineage."""
    git, config = open_registry(repo)
    targets = [ModelRef.parse(ref) for ref in (ref_a, ref_b)]
    models: dict[str, Model] = {}  # two versions of one model: its tags are read once
    for target in targets:
        if target.model not in models:
            models[target.model] = require_model(git, config, target.model)
    a, b = (resolve(models[target.model], target) for target in targets)
    return comparison(a, b)


def card(
    ref: str,
    *,
    out: Path | str | None = None,
    force: bool = False,
    repo: Path | str | None = None,
) -> ModelCard:
    """A Markdown model card (Mitchell et al.) for a version, from what it recorded, with
    a Hugging Face-compatible YAML header; missing sections are listed, not invented. With
    ``out``, the card is also written to that file (one that exists only with ``force``)."""
    git, config = open_registry(repo)
    target = ModelRef.parse(ref)
    version = resolve(require_model(git, config, target.model), target)
    result = model_card(version, version.metadata(), spec_path(config.models_dir, version.model))
    if out is not None:
        write_file(Path(out), result.text, None if force else OutputExists(str(out)))
    return result


def register(
    name: str,
    *,
    rev: str | None = None,
    version: str | None = None,
    bump: Bump | Literal["auto"] | None = None,
    path: str | Path | None = None,
    message: str | None = None,
    model_type: str | None = None,
    push: str | None = None,
    sign: bool | None = None,
    allow_uncommitted: bool = False,
    repo: Path | str | None = None,
) -> Change:
    """Tag ``rev`` (default HEAD) as a new version of ``name``: ``version`` as given, or the
    highest bumped (``bump="auto"``: major for a breaking signature, minor for changed
    metrics or data, patch otherwise). The version records the model's YAML file, DVC's
    metrics, params and lineage at the commit, and the environment.

    With ``path``, the version carries that DVC-tracked artifact: when ``rev`` is not given
    and HEAD does not yet declare the model as the work tree has it, git-model tracks the
    artifact, writes or updates its declaration (the model's YAML file, its dvc.yaml
    entry) and commits exactly those files first, then tags that commit.

    Registering HEAD (or the declaration commit) is refused when the work tree holds
    another artifact, model YAML file, metrics or params file than the commit records;
    ``allow_uncommitted`` registers the commit as it is, and the version records which
    files differed. A DVC artifact is refused for good when the commit lacks the DVC setup
    the work tree has. The result's notices say what was not refused but matters.
    """
    check_message(message)
    check_model_name(name)
    if version is not None and bump is not None:
        raise UsageError("--version and --bump cannot be combined", "pass one of them")
    wanted = check_version(version) if version is not None else None
    auto = bump == registration.AUTO
    git, config = open_registry(repo)
    declared = registration.declared_here(git, config, name, path, model_type)
    commit = registration.commit_of(git, "HEAD" if rev is None else rev)
    head = commit if rev is None else git.resolve_commit("HEAD")
    artifact_path = declared.path
    declare = (
        artifact_path is not None
        and rev is None
        and registration.needs_commit(git, commit, name, declared, artifact_path)
    )
    if artifact_path is not None and not declare:
        registration.check_declared(git, commit, name, artifact_path)
    remote = sync(git, push, name) if push else None
    model = writable(read_for_write(git, name, config.stages))
    existing = None if declare else model.at_commit(commit)
    if existing is not None:
        checked = registration.WorkTree()
        if commit == head:  # a model retrained and left uncommitted: say that first
            artifact, _, read = _read_commit(git, name, commit, declared)
            checked = registration.check_head(
                git, name, commit, declared, read=read, artifact=artifact, allow=allow_uncommitted
            )
        if done_before(model, existing.tag) and wanted in (None, existing.version):
            plan = Plan(git, config, model, remote, sign=sign)
            return plan.finish(EventKind.REGISTERED, existing.version, notices=checked.notices)
        raise CommitAlreadyRegistered(
            name, commit, existing.version.tag, existing.archived, checked.uncommitted
        )
    step = bump if isinstance(bump, Bump) else None
    new, reason = registration.next_version(name, model, wanted, step)
    committed: tuple[str, ...] = ()
    checked = registration.WorkTree()  # checked here with --path; else when tagging HEAD
    root = git.work_tree
    if declare and artifact_path is not None and root is not None:
        # What the version records must be readable before anything is committed: the
        # commit to come differs from HEAD only in the declaration's own files.
        _, read = collect(git, commit, name, declared.spec or ModelSpec(), artifact_path)
        kind = registration.kind_of(git, artifact_path)
        checked = registration.check_declaration_inputs(
            git, name, commit, read, allow=allow_uncommitted, dvc=kind is ArtifactKind.DVC
        )
        commit, committed = registration.commit_declaration(
            git, root, name, declared, artifact_path
        )
    try:
        return _tag_version(
            git,
            config,
            model,
            remote,
            commit=commit,
            new=new,
            declared=declared,
            message=message,
            committed=committed,
            reason=reason,
            auto=auto and wanted is None,
            check_disk=not declare and commit == head,
            sign=sign,
            allow=allow_uncommitted,
            checked=checked,
        )
    except GitModelError as exc:
        if committed:
            raise exc.also(
                f"the declaration commit {commit[:7]} was made and stays: running the same "
                "command again registers it"
            ) from None
        raise


def _read_commit(
    git: Git, name: str, commit: str, declared: registration.Declared
) -> tuple[Artifact | None, Metadata, tuple[str, ...]]:
    """What registering ``commit`` records: the artifact it declares, the metadata, and
    the files of the commit that the metadata is read from."""
    prefetch(git, commit, name, declared.spec_file, declared.path)
    committed_spec = read_spec(git, commit, declared.spec_file)
    artifact = artifacts.recorded(
        git, commit, name, committed_spec.path if committed_spec else None
    )
    spec = registration.snapshot_spec(
        committed_spec, declared.model_type, artifact.path if artifact else None
    )
    metadata, read = collect(git, commit, name, spec, artifact.path if artifact else None)
    return artifact, metadata, read


def _tag_version(
    git: Git,
    config: RegistryConfig,
    model: Model,
    remote: RemoteState | None,
    *,
    commit: str,
    new: SemVer,
    declared: registration.Declared,
    message: str | None,
    committed: tuple[str, ...],
    reason: str | None,
    auto: bool,
    check_disk: bool,
    sign: bool | None,
    allow: bool,
    checked: registration.WorkTree,
) -> Change:
    """Register the commit that declares the model: read what it records, check that the
    work tree holds the same (``check_disk``: the commit is HEAD as it is; ``checked``:
    the work tree as it was checked before the declaration commit), tag it."""
    name = model.name
    artifact, metadata, read = _read_commit(git, name, commit, declared)
    if check_disk:
        checked = registration.check_head(
            git, name, commit, declared, read=read, artifact=artifact, allow=allow
        )
    metadata = replace(metadata, uncommitted=checked.allowed)
    if auto:
        new, reason = registration.next_version(
            name, model, None, None, metadata=metadata, auto=True
        )
    text = message or f"Register {name} {new.tag}"
    unchecked = None
    if artifact is not None and artifact.kind is ArtifactKind.URL:
        artifact, why = artifacts.stat_url(name, artifact)
        unchecked = registration.url_not_checked(artifact, why) if why else None
    trailers = [(MODEL_TYPE, declared.model_type)] if declared.model_type else []
    trailers += artifact.trailers() if artifact is not None else []
    dvc = artifact is not None and artifact.kind is ArtifactKind.DVC
    if remote is not None and dvc and artifact is not None and git.work_tree is not None:
        artifacts.Workspace(git.work_tree).ensure_pushed(name, artifact, commit)
    same = registration.same_artifact(model, artifact)
    notices = (*checked.notices, *(n for n in (unchecked, same) if n))
    plan = Plan(git, config, model, remote, sign=sign)
    plan.version(new, commit, text, trailers, document=metadata.to_json())
    return plan.finish(
        EventKind.REGISTERED, new, committed=committed, bump_reason=reason, notices=notices
    )


def demote(
    ref: str,
    *,
    message: str | None = None,
    push: str | None = None,
    sign: bool | None = None,
    repo: Path | str | None = None,
) -> Change:
    """Empty the stage ``NAME#STAGE`` names. No earlier holder takes it back."""
    check_message(message)
    git, config = open_registry(repo)
    target = ModelRef.parse(ref)
    if target.stage is None:
        raise UsageError(f"{ref!r} names no stage", "write NAME#STAGE, e.g. churn#prod")
    model, remote = changing(git, config, target.model, push)
    holder = model.holder(target.stage)
    if holder is None:
        last = last_event(model, target.stage)
        demoted = last is not None and last.kind is EventKind.DEMOTED
        if last is not None and demoted and done_before(model, last.tag):
            plan = Plan(git, config, model, remote, sign=sign)
            return plan.finish(EventKind.DEMOTED, last.version, target.stage)
        if target.stage not in config.stages:
            raise UnknownStage(target.stage, config.stages)
        raise StageEmpty(model.name, target.stage)
    writable(model)
    plan = Plan(git, config, model, remote, sign=sign)
    text = message or f"Demote {model.name} {holder.version.tag} from {target.stage}"
    plan.event(Action.UNASSIGN, holder.commit, text, stage=target.stage)
    plan.set_stage(target.stage, None)
    return plan.finish(EventKind.DEMOTED, holder.version, target.stage)


def _empty_stages(plan: Plan, model: Model, holders: Sequence[StageHolder], why: str) -> None:
    for holder in holders:
        plan.event(
            Action.UNASSIGN,
            holder.commit,
            f"Demote {model.name} {holder.version.tag} from {holder.stage}: {why}",
            stage=holder.stage,
        )
        plan.set_stage(holder.stage, None)


def archive(
    ref: str,
    *,
    message: str | None = None,
    demote: bool = False,
    push: str | None = None,
    sign: bool | None = None,
    repo: Path | str | None = None,
) -> Change:
    """Archive a version: kept in history, never promoted again. A version that holds a
    stage is archived only with ``demote`` (then it leaves its stages in the same write):
    archiving what serves production must be meant."""
    check_message(message)
    git, config = open_registry(repo)
    target = ModelRef.parse(ref)
    model, remote = changing(git, config, target.model, push)
    version = resolve(model, target)
    if version.archived:
        archived = last_event(model, version=version.version)
        if archived is not None and done_before(model, archived.tag):
            return Plan(git, config, model, remote, sign=sign).finish(
                EventKind.ARCHIVED, version.version
            )
        raise VersionArchived(model.name, version.version.tag)
    writable(model)
    held = [h for h in model.holders if h.commit == version.commit]
    if held and not demote:
        raise HoldsStages(model.name, version.version.tag, [h.stage for h in held])
    plan = Plan(git, config, model, remote, sign=sign)
    _empty_stages(plan, model, held, f"{version.version.tag} archived")
    text = message or f"Archive {model.name} {version.version.tag}"
    plan.event(Action.DEREGISTER, version.commit, text, version=version.version)
    return plan.finish(EventKind.ARCHIVED, version.version)


def deprecate(
    name: str,
    *,
    message: str | None = None,
    push: str | None = None,
    sign: bool | None = None,
    repo: Path | str | None = None,
) -> Change:
    """Retire a model: every stage emptied, no new versions or promotions."""
    check_message(message)
    git, config = open_registry(repo)
    wanted = ModelRef.parse(name).model
    model, remote = changing(git, config, wanted, push)
    if model.deprecated:
        last = next(e for e in reversed(model.events) if e.kind is EventKind.DEPRECATED)
        if done_before(model, last.tag):
            return Plan(git, config, model, remote, sign=sign).finish(EventKind.DEPRECATED, None)
        raise ModelDeprecated(model.name)
    plan = Plan(git, config, model, remote, sign=sign)
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


def _lagging(git: Git, config: RegistryConfig, state: Listing) -> list[Model]:
    """The models whose stage tags lag, read in full (a repair writes to them)."""
    return [read_for_write(git, m.name, config.stages) for m in state.models if m.lags]


def fetch(remote: str = "origin", *, repo: Path | str | None = None) -> Synced:
    """Bring the registry from ``remote``: new events, and stage tags moved there (which a
    plain ``git fetch`` refuses to update); then point every local stage tag where the
    events say. Local events that differ from the remote's are kept and reported."""
    git, config = open_registry(repo)
    synced = sync(git, remote, strict=False)
    repaired = repair_all(git, config, _lagging(git, config, listing(git, config)))
    return Synced(remote, synced.fetched, repaired, synced.conflicts, synced.ignored)


def doctor(*, fix: bool = False, repo: Path | str | None = None) -> Diagnosis:
    """Report unreadable tags, lagging stage tags and the files Git left in its way (see
    ``leftovers``). ``fix`` removes the leftovers no process holds, then, when none is
    left, repairs the lagging stage tags."""
    git, config = open_registry(repo)
    found = leftovers.find(git)
    removed = tuple(f for f in found if fix and f.removable and leftovers.remove(git, f))
    left = tuple(f for f in found if f not in removed)
    state = listing(git, config)  # after the removals: a ref cut short hid a packed one
    repaired = repair_all(git, config, _lagging(git, config, state)) if fix and not left else ()
    return Diagnosis(
        skipped=state.skipped,
        lags=tuple(lag for m in state.models for lag in m.lags),
        leftovers=left,
        removed=removed,
        repaired=repaired,
    )


def install_hooks(*, server: bool = False, repo: Path | str | None = None) -> HooksInstalled:
    """Install the push hook: the ``pre-receive`` hook of the repository that receives
    pushes (``server``), or a clone's ``pre-push`` hook; a hook already there is chained."""
    return push_hooks.install(server=server, repo=repo)


def run_hook(
    hook: str, data: bytes, *, remote: str | None = None, repo: Path | str | None = None
) -> PushReview:
    """Check a push as the hook ``hook`` (``pre-receive``, ``pre-push``) receives it:
    ``data`` is its standard input, ``remote`` (pre-push) the remote's URL or name."""
    return push_hooks.run(hook, data, remote=remote, repo=repo)


def check_unpushed(remote: str = "origin", *, repo: Path | str | None = None) -> PushReview:
    """Check the registry tags this clone holds and ``remote`` lacks, as a push of them
    would be checked there (for pre-commit, which does not pass a push's refs on)."""
    return push_hooks.unpushed(remote, repo=repo)
