"""A recorded metric across a model's versions: the data its charts draw (the report's
SVG charts, and ``history NAME --metric`` / ``show NAME --metric`` at a terminal).

Pure: from a model's state (its versions, their documents, its events) to values.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from git_model.metadata import TRAINING_TIME_METRICS, Metadata, Scalar
from git_model.semver import SemVer
from git_model.state import Model, Version


@dataclass(frozen=True, slots=True)
class MetricPoint:
    """One version's value of a metric, and where the version went."""

    version: SemVer
    value: float
    reached: tuple[str, ...]  # the stages it ever held (in the registry's order)
    holds: tuple[str, ...]  # the stages it holds now
    archived: bool


@dataclass(frozen=True, slots=True)
class MetricSeries:
    """A metric by version, lowest version first: only the versions that recorded it as a
    number (a text value or none leaves the version out)."""

    model: str
    metric: str
    points: tuple[MetricPoint, ...]


def number(value: Scalar) -> float | None:
    """A metric's value as a number to draw (None: text, a flag, infinite, or missing)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    result = float(value)
    return result if math.isfinite(result) else None


def reached_stages(model: Model, stage_order: Sequence[str] = ()) -> dict[SemVer, tuple[str, ...]]:
    """Per version, every stage it was ever assigned (promoted or rolled back into), from
    the events: in the registry's stage order, other stages after them by name."""
    found: dict[SemVer, set[str]] = {}
    for event in model.events:
        if event.kind.assigns and event.version is not None and event.stage is not None:
            found.setdefault(event.version, set()).add(event.stage)
    rank = {s: i for i, s in enumerate(stage_order)}
    last = len(rank)
    return {
        v: tuple(sorted(stages, key=lambda s: (rank.get(s, last), s)))
        for v, stages in found.items()
    }


def metric_series(
    model: Model,
    metric: str,
    stage_order: Sequence[str] = (),
    documents: dict[str, Metadata | None] | None = None,
) -> MetricSeries:
    """``metric`` by version for ``model`` (archived versions included: they are history).
    ``documents``: each version's parsed metadata by tag, when already parsed."""
    reached = reached_stages(model, stage_order)
    points = []
    for version in sorted(model.versions, key=lambda v: v.version):
        metadata = _metadata(version, documents)
        value = number(metadata.metric(metric)) if metadata is not None else None
        if value is not None:
            points.append(
                MetricPoint(
                    version.version,
                    value,
                    reached.get(version.version, ()),
                    version.stages,
                    version.archived,
                )
            )
    return MetricSeries(model.name, metric, tuple(points))


def drawable_metrics(
    versions: Sequence[Version], documents: dict[str, Metadata | None] | None = None
) -> tuple[str, ...]:
    """The metrics some version recorded as a number, by name."""
    names: set[str] = set()
    for version in versions:
        metadata = _metadata(version, documents)
        if metadata is not None:
            names |= {m.name for m in metadata.metrics if number(m.value) is not None}
    return tuple(sorted(names))


def main_metric(
    versions: Sequence[Version], documents: dict[str, Metadata | None] | None = None
) -> str | None:
    """The metric that stands for a model in a sparkline: the first numeric metric its
    newest version with any recorded (in the order of its metrics file), training time
    last."""
    for version in sorted(versions, key=lambda v: v.version, reverse=True):
        metadata = _metadata(version, documents)
        if metadata is None:
            continue
        names = [m.name for m in metadata.metrics if number(m.value) is not None]
        quality = [n for n in names if n not in TRAINING_TIME_METRICS]
        if quality or names:
            return (quality or names)[0]
    return None


def _metadata(version: Version, documents: dict[str, Metadata | None] | None) -> Metadata | None:
    if documents is not None and version.tag in documents:
        return documents[version.tag]
    return version.metadata()
