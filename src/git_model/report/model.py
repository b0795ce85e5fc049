"""What a report shows, as data: built by ``commands/report.py`` from the registry's state
and the policy in force, drawn by ``page.py``. Frozen and ordered, so that the same
registry always gives the same page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from git_model.metadata import Metadata, MetricDelta, ModelSpec
from git_model.policy import Threshold
from git_model.results import Comparison
from git_model.series import MetricSeries
from git_model.state import Event, Model, StageHolder, Tenure, Version


@dataclass(frozen=True, slots=True)
class StageCard:
    """Who holds a stage of a model: the holder (None: empty), and whether the event that
    put it there is signed (None where the registry signs nothing)."""

    stage: str
    holder: StageHolder | None
    signed: bool | None


@dataclass(frozen=True, slots=True)
class Gate:
    """A metric threshold a version must pass to enter ``stage``: a line on its chart."""

    stage: str
    threshold: Threshold


@dataclass(frozen=True, slots=True)
class Chart:
    """One recorded metric by version, and the gates on it."""

    series: MetricSeries
    gates: tuple[Gate, ...]


@dataclass(frozen=True, slots=True)
class VersionEntry:
    """One version: what it recorded, the stages it reached, and each metric of the model's
    against the version before it (``deltas``, in the order of the model's metrics)."""

    version: Version
    metadata: Metadata | None
    reached: tuple[str, ...]
    deltas: tuple[MetricDelta, ...]
    signed: bool
    card_file: str  # where the model's YAML file (and its card) lives
    # The lower version whose details show the same schema, and model card (None: this
    # one shows its own): a registry of many versions does not repeat them in every one.
    schema_as: Version | None = None
    card_as: Version | None = None


@dataclass(frozen=True, slots=True)
class Lane:
    """One stage's stays, oldest first: its lane on the stage timeline."""

    stage: str
    tenures: tuple[Tenure, ...]


@dataclass(frozen=True, slots=True)
class Candidate:
    """The newest version against the holder of the last stage (production), when they
    differ: ``comparison`` goes from the holder to the candidate."""

    stage: str
    comparison: Comparison

    @property
    def changed_metrics(self) -> tuple[MetricDelta, ...]:
        return tuple(d for d in self.comparison.metrics if d.a != d.b)


@dataclass(frozen=True, slots=True)
class ModelSection:
    model: Model
    stages: tuple[StageCard, ...]
    main_metric: str | None
    charts: tuple[Chart, ...]
    metrics: tuple[str, ...]  # the versions table's metric columns
    versions: tuple[VersionEntry, ...]  # highest first
    lanes: tuple[Lane, ...]
    candidate: Candidate | None
    last_event: Event | None

    @property
    def spec(self) -> ModelSpec | None:
        """The model's YAML file as its highest version with metadata recorded it."""
        return next((e.metadata.spec for e in self.versions if e.metadata), None)

    def chart(self, metric: str | None) -> Chart | None:
        return next((c for c in self.charts if c.series.metric == metric), None)


@dataclass(frozen=True, slots=True)
class RegistryReport:
    """Everything the page shows."""

    stages: tuple[str, ...]
    models: tuple[ModelSection, ...]
    activity: tuple[Event, ...]  # the most recent events, newest first
    events: int  # events in the registry (activity shows the most recent of them)
    start: datetime | None  # the first and last events: the timelines' span
    end: datetime | None
    policy: str  # where the gates were read
    signing: bool  # some event is signed: stage cards say which
    at: datetime | None  # the moment shown (--at), None: as the tags are now
    generated_at: str | None  # the text of --generated-at
    skipped: int  # registry tags that cannot be read
