"""``report``: the registry as one self-contained HTML page (inline SVG charts and CSS, no
script, nothing fetched), for a person to open from disk or a CI job to publish.

Read top to bottom: read every tag with the one ``for-each-ref`` that ``history`` uses
(the version tags' messages carry their metadata documents, so nothing is read per
version), the policy in force (for the gates' thresholds), build what the page shows
(``report.model``), draw it (``report.page``), write it in place of the file it replaces.
The page depends only on the registry: no time of generation unless one is given, so the
same registry gives the same bytes and a CI job publishes only what changed.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from git_model.collect import spec_path
from git_model.config import RegistryConfig
from git_model.errors import OutputExists, writing
from git_model.metadata import Metadata, MetricDelta, metric_deltas
from git_model.names import check_model_name, model_ref_patterns
from git_model.policy import Policy
from git_model.reading import (
    missing_model,
    moment,
    open_registry,
    policy_in_force,
    stage_columns,
    until,
)
from git_model.report.model import (
    Candidate,
    Chart,
    Gate,
    Lane,
    ModelSection,
    RegistryReport,
    StageCard,
    VersionEntry,
)
from git_model.reports import comparison
from git_model.results import ReportWritten
from git_model.series import drawable_metrics, main_metric, metric_series, reached_stages
from git_model.state import Event, Model, Version, build_state, merge_events, tenures

DEFAULT_OUTPUT = "report.html"
INDEX = "index.html"  # the page's name in a directory given as the output
ACTIVITY = 30  # events in the overview's activity log
# The first bytes of every page git-model writes: a file that starts so is replaced
# without --force (a CI job writes the report again at every registry change).
MARK = "<!DOCTYPE html>\n<!-- git-model report -->\n"


def report(
    out: Path | str | None = None,
    *,
    model: str | None = None,
    at: str | None = None,
    generated_at: str | None = None,
    force: bool = False,
    repo: Path | str | None = None,
) -> ReportWritten:
    """Write the registry's report to ``out``: a file (default ``report.html``), or
    ``index.html`` in a directory (one that exists, or a path ending in ``/``). ``model``:
    one model only; ``at``: the registry as it was then; ``generated_at``: a text shown as
    the generation time (none by default, so the same registry gives the same bytes). A
    file that is not a report git-model wrote is replaced only with ``force``."""
    git, config = open_registry(repo)
    then = moment(git, at) if at is not None else None
    patterns = model_ref_patterns(check_model_name(model)) if model is not None else ()
    records = until(git.list_tags(patterns or ("refs/tags",)), then)
    state = build_state(records, config.stages)
    models = state.models
    if model is not None:
        models = tuple(m for m in models if m.name == model)
        if not models:
            raise missing_model(git, config, model)
    if then is not None:  # what the stage tags say now does not apply then
        models = tuple(dataclasses.replace(m, lags=()) for m in models)
    policy = policy_in_force(git, config)[0]
    content = build(
        models,
        config,
        policy,
        at=datetime.fromtimestamp(then, UTC) if then is not None else None,
        generated_at=generated_at,
        skipped=len(state.skipped),
    )
    from git_model.report.page import render  # noqa: PLC0415 (Jinja2: only here)

    html = render(content)
    path = destination(out)
    data = html.encode("utf-8")
    write_page(path, data, force)
    return ReportWritten(
        path=path,
        size=len(data),
        models=len(content.models),
        versions=sum(len(s.versions) for s in content.models),
        events=content.events,
        charts=sum(len(s.charts) for s in content.models),
    )


def build(
    models: Sequence[Model],
    config: RegistryConfig,
    policy: Policy,
    *,
    at: datetime | None = None,
    generated_at: str | None = None,
    skipped: int = 0,
) -> RegistryReport:
    """What the page shows, from the models' state and the policy in force."""
    events = merge_events(models)
    signing = any(e.signed for e in events)
    sections = tuple(_section(m, config, policy, signing) for m in models)
    dates = [e.date for e in events if e.date is not None]
    return RegistryReport(
        stages=stage_columns(config, models),
        models=sections,
        activity=tuple(reversed(events[-ACTIVITY:])),
        events=len(events),
        start=min(dates, default=None),
        end=at or max(dates, default=None),
        policy=policy.cited,
        signing=signing,
        at=at,
        generated_at=generated_at,
        skipped=skipped,
    )


def _section(model: Model, config: RegistryConfig, policy: Policy, signing: bool) -> ModelSection:
    documents: dict[str, Metadata | None] = {v.tag: v.metadata() for v in model.versions}
    stages = stage_columns(config, [model])
    by_tag = {e.tag: e for e in model.events}
    cards = tuple(
        StageCard(
            stage,
            holder,
            (holder.event in by_tag and by_tag[holder.event].signed)
            if signing and holder
            else None,
        )
        for stage in stages
        for holder in (model.holder(stage),)
    )
    metrics = drawable_metrics(model.versions, documents)
    charts = tuple(
        Chart(
            metric_series(model, metric, stages, documents),
            tuple(
                Gate(stage, threshold)
                for stage in stages
                for threshold in policy.for_stage(model.name, stage).metrics
                if threshold.metric == metric
            ),
        )
        for metric in metrics
    )
    gated = [g.threshold.metric for c in charts for g in c.gates if g.stage == stages[-1]]
    return ModelSection(
        model=model,
        stages=cards,
        main_metric=gated[0] if gated else main_metric(model.versions, documents),
        charts=charts,
        metrics=metrics,
        versions=_versions(
            model,
            stages,
            metrics=metrics,
            documents=documents,
            by_tag=by_tag,
            models_dir=config.models_dir,
        ),
        lanes=tuple(Lane(stage, tenures(model, stage)) for stage in stages),
        candidate=_candidate(model, stages),
        last_event=model.events[-1] if model.events else None,
    )


def _versions(
    model: Model,
    stages: Sequence[str],
    *,
    metrics: Sequence[str],
    documents: dict[str, Metadata | None],
    by_tag: dict[str, Event],
    models_dir: str,
) -> tuple[VersionEntry, ...]:
    """Every version, highest first, each metric against the version below it."""
    reached = reached_stages(model, stages)
    ascending = sorted(model.versions, key=lambda v: v.version)
    entries = []
    previous: Metadata | None = None
    schema_from: tuple[Version, object] | None = None  # where a run of one schema began
    card_from: tuple[Version, object] | None = None
    for version in ascending:
        metadata = documents[version.tag]
        deltas = {d.name: d for d in metric_deltas(previous, metadata)}
        registered = by_tag.get(version.tag)
        spec = metadata.spec if metadata is not None else None
        schema, card = (spec.signature, spec.card) if spec is not None else (None, ())
        schema_as = schema_from[0] if schema_from and schema and schema_from[1] == schema else None
        card_as = card_from[0] if card_from and card and card_from[1] == card else None
        schema_from = schema_from if schema_as else (version, schema)
        card_from = card_from if card_as else (version, card)
        entries.append(
            VersionEntry(
                version=version,
                metadata=metadata,
                reached=reached.get(version.version, ()),
                deltas=tuple(deltas.get(m, MetricDelta(m, None, None, None)) for m in metrics),
                signed=registered is not None and registered.signed,
                card_file=spec_path(models_dir, model.name),
                schema_as=schema_as,
                card_as=card_as,
            )
        )
        previous = metadata
    return tuple(reversed(entries))


def _candidate(model: Model, stages: Sequence[str]) -> Candidate | None:
    """The newest version against the holder of the last stage, when they differ."""
    last = stages[-1] if stages else None
    holder = model.holder(last) if last is not None else None
    latest = model.latest
    if holder is None or latest is None or latest.version == holder.version:
        return None
    held = model.find(holder.version)
    if last is None or held is None:
        return None
    return Candidate(last, comparison(held, latest))


def destination(out: Path | str | None) -> Path:
    """The file to write: ``out``, or ``index.html`` in it when it is a directory (one that
    exists, or a path that ends with ``/``, made here)."""
    if out is None:
        return Path(DEFAULT_OUTPUT)
    text = str(out)
    path = Path(out)
    if text.endswith(("/", os.sep)):
        with writing(text):
            path.mkdir(parents=True, exist_ok=True)
    return path / INDEX if path.is_dir() else path


def write_page(path: Path, data: bytes, force: bool) -> None:
    """Put ``data`` at ``path`` in one rename (a web server never serves half a page),
    replacing a page git-model wrote, and anything else only with ``force``."""
    if path.exists() and not force and not _ours(path):
        raise OutputExists(str(path))
    partial = path.with_name(f".{path.name}.partial")
    with writing(path):
        partial.write_bytes(data)
        partial.replace(path)


def _ours(path: Path) -> bool:
    """Whether the file at ``path`` is a page git-model wrote (its first bytes say so)."""
    with writing(path):
        if not path.is_file():
            return False
        with path.open("rb") as handle:
            return handle.read(len(MARK)) == MARK.encode()
