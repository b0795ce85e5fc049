"""Rendering of API results: rich tables for people, JSON for programs."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from enum import Enum
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from git_model.errors import closest, did_you_mean
from git_model.leftovers import AGE_LIMIT, Leftover, LeftoverKind
from git_model.metadata import Metadata, Scalar
from git_model.reports import (
    check_markdown,
    check_title,
    human_size,
    move_status,
    plan_markdown,
    plan_verdict,
)
from git_model.results import (
    Applied,
    Change,
    Check,
    Comparison,
    Diagnosis,
    Fetched,
    History,
    HooksInstalled,
    Initialized,
    ModelCard,
    ModelView,
    Notice,
    PlanReport,
    PromotionRequest,
    RegistryView,
    Release,
    ReportWritten,
    StageCell,
    Synced,
    TagMeaning,
    Timeline,
    Validation,
    Verification,
    VersionDetail,
)
from git_model.semver import SemVer
from git_model.series import MetricSeries
from git_model.signing import SignatureCheck
from git_model.state import (
    Artifact,
    DeclaredArtifact,
    Event,
    EventKind,
    Person,
    StageTagLag,
    Version,
)

# Piped output is not cut to 80 columns: tables keep every column for grep and less.
out = Console(highlight=False, soft_wrap=True)
if not out.is_terminal:
    out = Console(highlight=False, soft_wrap=True, width=160)
err = Console(stderr=True, highlight=False, soft_wrap=True)
EMPTY = "-"


def jsonable(value: Any) -> Any:
    """Plain JSON data from results: versions as "1.2.3", times in ISO 8601."""
    if isinstance(value, SemVer | Path):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        value = {
            f.name: getattr(value, f.name)
            for f in dataclasses.fields(value)
            if f.metadata.get("json", True)
        }
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value


def print_json(value: Any) -> None:
    out.out(json.dumps(jsonable(value), indent=2, ensure_ascii=False), highlight=False)


def _v(version: SemVer | None) -> str:
    return version.tag if version is not None else EMPTY


@contextmanager
def quiet(enabled: bool) -> Iterator[None]:
    """With -q: nothing on standard output (warnings still go to standard error)."""
    out.quiet = enabled
    try:
        yield
    finally:
        out.quiet = False


class _Columns:
    """A plain table: aligned columns under a bold header. Rich's tables measure every
    cell several times; this stays fast at thousands of rows (`show`, `history`). The last
    column (free text, a message) is never cut: a terminal wraps a long line, as with
    `git log`, and a pipe gets it whole."""

    def __init__(self, *headers: str) -> None:
        self.headers = headers
        self.rows: list[tuple[str, ...]] = []

    def add_row(self, *cells: str) -> None:
        self.rows.append(cells)

    def print(self) -> None:
        widths = [
            max([len(h), *(len(row[i]) for row in self.rows)]) for i, h in enumerate(self.headers)
        ]

        def line(cells: Sequence[str]) -> str:
            text = "  ".join(c.ljust(w) for c, w in zip(cells[:-1], widths, strict=False))
            text = f"{text}  {cells[-1]}" if len(cells) > 1 else cells[-1]
            return text.rstrip()

        out.out(line(self.headers), style="bold", highlight=False)
        if self.rows:
            out.out("\n".join(line(row) for row in self.rows), highlight=False)


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M") if moment else EMPTY


def _who(person: Person | None, email: bool = False) -> str:
    if person is None:
        return EMPTY
    return f"{person.name} <{person.email}>" if email else person.name


def _cell(cell: StageCell) -> str:
    return _v(cell.holder.version if cell.holder else None)


def warn_lags(lags: Iterable[StageTagLag]) -> None:
    for lag in lags:
        says = lag.expected.tag if lag.expected else "nothing"
        points = lag.actual_commit[:7] if lag.actual_commit else "nowhere (missing)"
        err.print(
            f"[yellow]warning:[/yellow] stage tag {lag.tag} points at {points} but its events "
            f"put {says} in {lag.stage}; the events are what counts: `git model fetch` (if "
            f"the tag moved on a remote), the next write to {lag.model} or `git model doctor "
            "--fix` repairs the tag"
        )


def _warning(text: str) -> None:
    err.print(f"[yellow]warning:[/yellow] {escape(text)}")


def warn_unrecorded(missing: Iterable[str], known: Sequence[str]) -> None:
    """A metric asked for (--sort, --metric) that no version shown recorded."""
    recorded = f"they recorded {', '.join(known)}" if known else "they recorded no metrics"
    for metric in missing:
        guess = closest(metric, known)
        _warning(
            f"none of the versions shown recorded a metric named {metric!r}; "
            + (did_you_mean(guess, recorded) if guess else recorded)
        )


def _hidden(count: int, what: str) -> str:
    """How many of ``what`` a view leaves out, and how to see them."""
    if count == 1:
        return f"1 {what} is hidden (add --all to see it)"
    return f"{count} {what}s are hidden (add --all to see them)"


def registry(view: RegistryView) -> None:
    if view.models:
        metric = (view.sorted_by,) if view.sorted_by else ()
        table = _Columns("Model", "Latest", *metric, *view.stages)
        for model in view.models:
            name = f"{model.name} (deprecated)" if model.deprecated else model.name
            latest = _v(model.latest.version if model.latest else None)
            value = (_scalar(model.sort_value),) if view.sorted_by else ()
            table.add_row(name, latest, *value, *(_cell(c) for c in model.stages))
        table.print()
        if view.hidden:
            out.print(f"[dim]{_hidden(view.hidden, 'deprecated model')}[/dim]")
    elif view.hidden:
        out.print(f"No models to show: {_hidden(view.hidden, 'deprecated model')}.")
    elif view.filtered:
        out.print("No model matches the filters.")
    else:
        out.print("No models registered yet. Register one with `git model register NAME`.")
    warn_unrecorded(view.missing_metrics, view.known_metrics)
    warn_lags(view.lags)


def model(view: ModelView) -> None:
    status = " (deprecated)" if view.deprecated else ""
    stages = "  ".join(f"{c.stage}: {_cell(c)}" for c in view.stages)
    out.print(f"[bold]{view.name}[/bold]{status}  {stages}")
    if not view.versions and view.hidden:
        out.print(f"No versions to show: {_hidden(view.hidden, 'archived version')}.")
        warn_lags(view.lags)
        return
    metric = (view.sorted_by,) if view.sorted_by else ()
    table = _Columns("Version", *metric, "Stages", "Commit", "Registered by", "When", "Message")
    values = view.sort_values or (None,) * len(view.versions)
    for version, value in zip(view.versions, values, strict=True):
        label = version.version.tag + (" (archived)" if version.archived else "")
        table.add_row(
            label,
            *((_scalar(value),) if view.sorted_by else ()),
            ", ".join(version.stages) or EMPTY,
            version.commit[:7],
            _who(version.author),
            _when(version.date),
            version.message.splitlines()[0] if version.message else "",
        )
    table.print()
    if view.hidden:
        out.print(f"[dim]{_hidden(view.hidden, 'archived version')}[/dim]")
    metric_charts(view.series)
    warn_unrecorded(view.missing_metrics, view.known_metrics)
    warn_lags(view.lags)


def _event_row(event: Event) -> tuple[str, ...]:
    return (
        str(event.counter) if event.counter is not None else EMPTY,
        _when(event.date),
        event.kind.value,
        event.model,
        _v(event.version) if event.version else EMPTY,
        event.stage or EMPTY,
        _who(event.author),
        _said(event),
    )


def _said(event: Event) -> str:
    """An event's message (its first line), and what it overrode, on the record."""
    text = event.message.splitlines()[0] if event.message else ""
    if event.forced:
        text += f" [forced past {', '.join(event.forced)}: {event.reason or 'no reason'}]"
    return text


def _events_table(events: Sequence[Event], signatures: Sequence[SignatureCheck] = ()) -> _Columns:
    signed = any(e.signed for e in events)
    extra = ("Signed",) if signed else ()
    table = _Columns("#", "When", "Event", "Model", "Version", "Stage", "By", *extra, "Message")
    checks = {c.tag: c for c in signatures}
    for event in events:
        row = _event_row(event)
        mark = (_signed(event, checks.get(event.tag)),) if signed else ()
        table.add_row(*row[:7], *mark, *row[7:])
    return table


def _signed(event: Event, check: SignatureCheck | None) -> str:
    """Whether an event is signed, and (where it was verified) by whom."""
    if not event.signed:
        return EMPTY
    if check is None:
        return "yes"  # not verified here: `history --signers` or `verify` does
    return check.principal if check.passed and check.principal else f"INVALID: {check.reason}"


def history(view: History) -> None:
    if not view.events:
        out.print("No events yet.")
    else:
        if view.signatures_note:
            _warning(view.signatures_note)
        if not view.metrics:
            _events_table(view.events, view.signatures).print()
        else:
            columns = ("#", "When", "Event", "Model", "Version", *view.metrics)
            table = _Columns(*columns, "Stage", "By", "Message")
            for event, values in zip(view.events, view.values, strict=True):
                row = _event_row(event)  # the metrics go after the version
                table.add_row(*row[:5], *(_scalar(v) for v in values), *row[5:])
            table.print()
        metric_charts(view.series)
    warn_unrecorded(view.missing_metrics, view.known_metrics)


BAR_WIDTH = 30
_EIGHTHS = " ▏▎▍▌▋▊▉"


def _plain() -> bool:
    """Plain characters: output that is not a terminal, or NO_COLOR set."""
    return not out.is_terminal or out.no_color


def _bar(fraction: float, plain: bool) -> str:
    """A bar ``fraction`` of BAR_WIDTH long: ``#`` characters, or blocks to an eighth."""
    if plain:
        return "#" * max(1, round(fraction * BAR_WIDTH))
    eighths = max(1, round(fraction * BAR_WIDTH * 8))
    return "█" * (eighths // 8) + (_EIGHTHS[eighths % 8] if eighths % 8 else "")


def metric_charts(series: Sequence[MetricSeries]) -> None:
    """Each metric by version, lowest version first: a bar per version (from a little
    below the lowest value to the highest), its value, and the stages it reached (in
    parentheses: it has left them)."""
    plain = _plain()
    for chart in series:
        values = [p.value for p in chart.points]
        low, high = min(values), max(values)
        base = low - (high - low) * 0.1 if high > low else None
        out.print()
        scale = f"bars from {_scalar(base)} to {_scalar(high)}" if base is not None else "all equal"
        out.print(f"{chart.metric} by version ({scale})", style="bold", highlight=False)
        width = max(len(p.version.tag) for p in chart.points)
        numbers = [_scalar(p.value) for p in chart.points]
        value_width = max(len(n) for n in numbers)
        for point, number in zip(chart.points, numbers, strict=True):
            fraction = 1.0 if base is None else (point.value - base) / (high - base)
            stages = ", ".join(s if s in point.holds else f"({s})" for s in point.reached)
            if point.archived:
                stages = f"{stages}, archived" if stages else "archived"
            bar = _bar(fraction, plain)
            line = Text(f"{point.version.tag.ljust(width)}  {number.rjust(value_width)}  ")
            line.append(bar, style=None if plain else ("bold cyan" if point.holds else "cyan"))
            if stages:
                line.append(" " * (BAR_WIDTH + 2 - len(bar)) + stages)
            out.print(line, highlight=False)


def _artifact(version: Version) -> str:
    artifact = version.artifact
    if artifact is None:
        return "not recorded"
    return _artifact_text(artifact)


def _artifact_text(artifact: Artifact) -> str:
    files = f", {artifact.files} files" if artifact.files is not None else ""
    return f"{artifact.path} ({artifact.identity}, {human_size(artifact.size)}{files})"


def _declared(declared: DeclaredArtifact) -> list[tuple[str, str]]:
    """What the commit declares, for a version that recorded none of it (GTO's)."""
    rows = [("Declared in", declared.source), ("Declared path", declared.path)]
    rows += [("Declared type", declared.type)] if declared.type else []
    rows += [("Description", declared.description)] if declared.description else []
    rows += [("Labels", ", ".join(declared.labels))] if declared.labels else []
    return rows


def _version_lines(version: Version) -> list[tuple[str, str]]:
    return [
        ("Model", version.model),
        ("Version", version.version.tag + (" (archived)" if version.archived else "")),
        ("Stages", ", ".join(version.stages) or "none"),
        ("Tag", version.tag),
        ("Commit", version.commit),
        ("Registered by", _who(version.author, email=True)),
        ("Registered at", version.date.isoformat() if version.date else EMPTY),
        ("Type", version.model_type or "not recorded"),
        ("Artifact", _artifact(version)),
        ("Message", version.message),
    ]


def _scalar(value: Scalar) -> str:
    if value is None:
        return EMPTY
    return f"{value:.6g}" if isinstance(value, float) else str(value)


def _grid(rows: Iterable[tuple[str, str]]) -> Table:
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold", no_wrap=True)
    table.add_column(overflow="fold")
    for key, value in rows:
        table.add_row(key, value)
    return table


def _metadata_panels(metadata: Metadata) -> list[Panel]:
    spec = metadata.spec
    panels = []
    about = [
        (k, v)
        for k, v in (
            ("Description", spec.description),
            ("Owner", spec.owner),
            ("Labels", ", ".join(spec.labels)),
            ("Framework", spec.framework),
            ("Format", spec.format),
        )
        if v
    ]
    if about:
        panels.append(Panel(_grid(about), title="About", title_align="left", expand=False))
    if spec.signature:
        rows = [
            (f"{kind} {f.name}", f"{f.dtype} {f.shape_text}")
            for kind, fields in (("in", spec.signature.inputs), ("out", spec.signature.outputs))
            for f in fields
        ]
        panels.append(Panel(_grid(rows), title="Signature", title_align="left", expand=False))
    for title, values in (("Metrics", metadata.metrics), ("Params", metadata.params)):
        if values:
            grid = _grid((v.name, _scalar(v.value)) for v in values)
            panels.append(Panel(grid, title=title, title_align="left", expand=False))
    if metadata.lineage:
        rows = []
        for stage in metadata.lineage:
            rows.append((stage.name, stage.cmd))
            rows += [(f"  {d.path}", (d.md5 or "")[:12]) for d in stage.deps]
        panels.append(
            Panel(_grid(rows), title="Lineage (dvc.lock)", title_align="left", expand=False)
        )
    env = metadata.environment
    if env:
        pins = ", ".join(f"{p.path} ({p.blob[:12]})" for p in env.package_files)
        rows = [
            ("Python", env.python),
            ("Platform", env.platform),
            ("Hardware", f"{env.cpu}, {env.cores} cores, {human_size(env.memory_bytes)}"),
            ("Packages", pins or f"{len(env.packages)} installed (see --json)"),
        ]
        if metadata.uncommitted:  # registered with --allow-uncommitted
            differed = escape(", ".join(metadata.uncommitted))
            rows.append(("Uncommitted", f"{differed} (differed from the commit)"))
        panels.append(Panel(_grid(rows), title="Environment", title_align="left", expand=False))
    sections = [(c.section.replace("_", " "), c.text) for c in spec.card]
    if sections:
        panels.append(Panel(_grid(sections), title="Model card", title_align="left", expand=False))
    return panels


def detail(view: VersionDetail) -> None:
    rows = _version_lines(view.version)
    if view.declared is not None:
        rows += _declared(view.declared)
    if view.deprecated:
        rows.append(("Model status", "deprecated"))
    out.print(_grid(rows))
    for panel in _metadata_panels(view.metadata) if view.metadata else ():
        out.print(panel)
    if view.version.annotations:
        notes = _grid(
            (a.key, f"{a.value}  [dim]({_who(a.author)}, {_when(a.date)})[/dim]")
            for a in view.version.annotations
        )
        out.print(Panel(notes, title="Annotations", title_align="left", expand=False))
    if view.signatures_note:
        err.print(f"[yellow]warning:[/yellow] {view.signatures_note}")
    _events_table(view.events, view.signatures).print()
    warn_lags(view.lags)


def comparison(view: Comparison) -> None:
    a, b = view.a.version.tag, view.b.version.tag
    out.print(f"[bold]{view.a.model} {a} → {view.b.model} {b}[/bold]")
    if view.metrics:
        table = _Columns("Metric", a, b, "Change")
        for m in view.metrics:
            delta = EMPTY if m.delta is None else f"{m.delta:+.6g}"
            table.add_row(m.name, _scalar(m.a), _scalar(m.b), delta)
        table.print()
    else:
        out.print("No metrics recorded.")
    if view.params:
        table = _Columns("Param changed", a, b)
        for p in view.params:
            table.add_row(p.name, _scalar(p.a), _scalar(p.b))
        table.print()
    facts = [("Artifact size", f"{human_size(view.size_a)} → {human_size(view.size_b)}")]
    if view.training_time_a is not None or view.training_time_b is not None:
        facts.append(
            (
                "Training time",
                f"{_scalar(view.training_time_a)} s → {_scalar(view.training_time_b)} s",
            )
        )
    if view.signature is None:
        facts.append(("Signature", "not recorded for both"))
    else:
        verdict = "compatible" if view.signature.compatible else "[red]breaking[/red]"
        facts.append(("Signature", "; ".join((verdict, *view.signature.reasons))))
    lineage = view.lineage
    facts.append(
        (
            "Data lineage",
            "not recorded"
            if lineage.changed is None
            else ("changed: " + ", ".join(lineage.inputs) if lineage.changed else "unchanged"),
        )
    )
    out.print(_grid(facts))


def card_written(result: ModelCard, path: str) -> None:
    out.print(f"Wrote the model card of {result.model} {result.version.tag} to {path}")
    if result.missing:
        out.print(f"Sections nobody wrote yet: {', '.join(result.missing)}")


def report_written(result: ReportWritten) -> None:
    charts = f"{result.charts} chart{'s' if result.charts != 1 else ''}"
    models = f"{result.models} model{'s' if result.models != 1 else ''}"
    versions = f"{result.versions} version{'s' if result.versions != 1 else ''}"
    out.print(f"Wrote {result.path} ({human_size(result.size)}: {models}, {versions}, {charts})")


_VERBS = {
    EventKind.ANNOTATED: "Annotated",
    EventKind.REGISTERED: "Registered",
    EventKind.PROMOTED: "Promoted",
    EventKind.ROLLED_BACK: "Rolled back",
    EventKind.DEMOTED: "Demoted",
    EventKind.ARCHIVED: "Archived",
    EventKind.DEPRECATED: "Deprecated",
}


def change(result: Change) -> None:
    if result.committed and result.version is not None:
        out.print(
            f"Committed the model's declaration as {result.version.commit[:7]}: "
            f"{', '.join(result.committed)}"
        )
    what = result.model
    if result.version is not None:
        what += f" {result.version.version.tag}"
    line = f"{_VERBS[result.action]} {what}"
    if result.bump_reason:
        out.print(f"Version chosen by --bump auto: {result.bump_reason}")
    if result.action is EventKind.REGISTERED and result.version is not None:
        line += f" at {result.version.commit[:7]} (tag {result.version.tag})"
        artifact = result.version.artifact
        if artifact is not None:
            line += (
                f"\n  artifact {artifact.path}: {artifact.identity}, {human_size(artifact.size)}"
            )
    elif result.action.assigns:
        line += f" {'to' if result.action is EventKind.PROMOTED else 'in'} {result.stage}"
        if result.replaced is not None:
            line += f", replacing {result.replaced.tag}"
    elif result.action is EventKind.DEMOTED:
        line += f" from {result.stage}; {result.stage} is now empty"
    emptied = [e.stage for e in result.events if e.kind is EventKind.DEMOTED and e.stage]
    if result.action in (EventKind.ARCHIVED, EventKind.DEPRECATED) and emptied:
        line += f" (taken out of {', '.join(emptied)})"
    out.print(line)
    notices(result.notices)
    _gated(result)
    _written(result)


def notices(items: Iterable[Notice]) -> None:
    """What a command did not refuse but wants known, on standard error (paths may hold
    brackets: the message is text, never markup)."""
    for notice in items:
        err.print(Text.assemble(("warning:", "yellow"), " ", notice.message))


def _gated(result: Change) -> None:
    """What the stage's gates said of a promotion, and which policy they came from."""
    if result.policy_warning:
        err.print(f"[yellow]warning:[/yellow] {result.policy_warning}")
    gates = result.gates
    if gates is None or not gates.results:
        return
    source = gates.cited
    if gates.passed:
        out.print(f"Gates of {gates.stage} passed: {len(gates.results)} (policy: {source})")
    else:
        failed = ", ".join(r.gate for r in gates.failed)
        out.print(f"[bold]Forced past failing gates of {gates.stage}: {failed}[/bold]")


def release(result: Release) -> None:
    """A promotion of several models at once."""
    out.print(f"Release {result.release}: {len(result.changes)} models to {result.stage}")
    if result.policy_warning:
        err.print(f"[yellow]warning:[/yellow] {result.policy_warning}")
    for one in result.changes:
        change(dataclasses.replace(one, policy_warning=None))


def check(result: Check, markdown: bool = False) -> None:
    """Every gate of a stage for one version: a table, or Markdown for a pull request."""
    ev = result.evaluation
    source, title = ev.cited, check_title(ev)
    if result.warning:
        err.print(f"[yellow]warning:[/yellow] {result.warning}")
    if markdown:
        out.out(check_markdown(ev), highlight=False)
        return
    out.print(f"[bold]{title}[/bold] (policy: {source})")
    if ev.results:
        table = _Columns("Gate", "Expected", "Actual", "Holder", "Result")
        for r in ev.results:
            table.add_row(r.gate, r.expected, r.actual, r.holder or EMPTY, _verdict(r.passed))
        table.print()


def promotion_request(result: PromotionRequest) -> None:
    """A promotion asked for on a branch, for a pull request."""
    replacing = f", replacing {result.replaces.tag}" if result.replaces else ""
    branch = result.branch.removeprefix("refs/heads/")
    out.print(
        f"Requested {result.model} {result.version.version.tag} in {result.stage}{replacing}: "
        f"branch {branch} ({result.commit[:7]}), from {result.base}"
    )
    out.print(f"It changes {result.path}; {check_title(result.gates)}")
    if result.pushed is None:
        out.print(f"Push it (or use --push), then open a pull request: git push origin {branch}")
    elif result.url is not None:
        out.print(f"Pushed to {result.pushed}; open the pull request: {result.url}")
    else:
        out.print(f"Pushed to {result.pushed}: open a pull request from {branch}")


def plan_report(result: PlanReport, markdown: bool = False) -> None:
    """What the desired state asks: a table, or the pull-request comment."""
    if result.warning:
        err.print(f"[yellow]warning:[/yellow] {result.warning}")
    if markdown:
        out.out(plan_markdown(result), highlight=False, end="")
        return
    _mark, verdict = plan_verdict(result)
    out.print(f"[bold]Plan of {result.head[:7]}: {verdict}[/bold] (policy: {result.policy})")
    if result.moves:
        table = _Columns("Model", "Stage", "Holder", "Candidate", "Gates")
        for m in result.moves:
            holder = m.holder.version.tag if m.holder else EMPTY
            table.add_row(m.model, m.stage, holder, m.version.version.tag, move_status(m, ""))
        table.print()
        for m in result.moves:
            if m.gates.failed:
                out.print(f"{m.model} {m.stage}: " + "; ".join(str(r) for r in m.gates.failed))
    if result.in_place:
        out.print(f"Already in place: {result.in_place}")
    if result.drift:
        out.print(f"Drift: the tags disagree with the desired state of {result.base}:")
        table = _Columns("Model", "Stage", "Asked", "Holder")
        for d in result.drift:
            table.add_row(d.model, d.stage, d.asked.tag, _v(d.holder))
        table.print()


def applied(result: Applied) -> None:
    """What apply moved, or that the tags already said it."""
    if result.policy_warning:
        err.print(f"[yellow]warning:[/yellow] {result.policy_warning}")
    if result.kept:
        err.print(
            f"[yellow]warning:[/yellow] moved by hand since they were applied, left as they "
            f"are: {', '.join(result.kept)}; to record the present holder in the desired "
            "state, merge `git model promote NAME#STAGE --to STAGE --request`"
        )
    if not result.changes:
        out.print(
            f"Nothing to apply: the tags already say what the desired state at "
            f"{result.merge_commit[:7]} asks; nothing was written"
        )
        return
    count = len(result.changes)
    release = f" (release {result.release})" if result.release else ""
    out.print(
        f"Applied the desired state at {result.merge_commit[:7]}: {count} "
        f"promotion{'s' if count > 1 else ''}{release}"
    )
    if result.approved_by:
        out.print(f"Approved by: {', '.join(result.approved_by)}")
    for one in result.changes:
        change(dataclasses.replace(one, policy_warning=None))


def timeline(result: Timeline) -> None:
    """A stage's timeline: each stay of a version, oldest first."""
    if not result.tenures:
        out.print(f"No version of {result.model} has held {result.stage}.")
        return
    table = _Columns("Version", "From", "Until", "Came", "By", "Why", "Left", "Why it left")
    for t in result.tenures:
        came = t.kind.value + (f", forced past {', '.join(t.forced)}" if t.forced else "")
        table.add_row(
            t.version.tag,
            _when(t.since),
            _when(t.until) if t.until or t.end_event else "now",
            came,
            _who(t.by),
            t.why.splitlines()[0] if t.why else "",
            _who(t.ended_by) if t.end_event else EMPTY,
            t.end_why.splitlines()[0] if t.end_why else "",
        )
    out.print(f"[bold]{result.model}#{result.stage}[/bold]")
    table.print()


def tag_meaning(result: TagMeaning) -> None:
    """What a registry tag means, for a CI job: one line, then the facts a deploy needs."""
    what = result.kind.value
    version = result.version.version.tag if result.version else None
    line = f"{result.tag}: {result.model} {version or ''} {what}".replace("  ", " ")
    if result.stage is not None:
        line += f" {'to' if result.kind.assigns else 'from'} {result.stage}"
    out.print(f"[bold]{line}[/bold]")
    rows = [("Model", result.model), ("Version", version or EMPTY)]
    if result.stage is not None:
        rows += [
            ("Stage", result.stage),
            ("Before", _v(result.previous)),
            ("Holds it now", _v(result.holder)),
        ]
    rows.append(("Current", "yes" if result.current else "no: a later event superseded it"))
    if result.artifact is not None and version is not None:
        rows += [
            ("Artifact", f"{result.artifact.path} ({result.artifact.identity})"),
            (
                "Get it",
                f"git model get {result.model}@{result.version.version if result.version else ''}",
            ),
        ]
    out.print(_grid(rows))


def verification(result: Verification) -> None:
    """Each tag that makes a version what it is, who signed it, and the verdict."""
    verdict = "verified" if result.passed else "NOT verified"
    out.print(
        f"[bold]{result.model} {result.version.version.tag}: {verdict}[/bold] "
        f"(allowed signers: {result.trust})"
    )
    table = _Columns("Tag", "Proves", "Signed by", "Key", "Result", "Why")
    for c in result.checks:
        table.add_row(
            c.tag, c.what, c.principal or EMPTY, c.key or EMPTY, _verdict(c.passed), c.reason
        )
    table.print()
    a = result.artifact
    if a is not None:
        out.print(f"Artifact {a.path} ({a.identity}): {_verdict(a.passed)}, {a.reason}")


def _verdict(passed: bool) -> str:
    return "pass" if passed else "FAIL"


def _written(result: Change) -> None:
    """What a write wrote, repaired and completed."""
    if result.completed:
        out.print(
            f"Already done by the last write to {result.model} "
            f"({', '.join(result.completed)}): nothing new was written"
        )
    for tag, event in result.adopted:
        out.print(
            f"Kept {tag}, another tool's assignment, as the event {event} (its date, tagger "
            "and message)"
        )
    _repaired(result.repaired)
    if result.refs:
        written = ", ".join(_short(r.ref, r.new) for r in result.refs)
        out.print(f"[dim]Tags written: {written}[/dim]")
    if result.pushed:
        out.print(f"Pushed to {result.pushed}")


def _repaired(lags: Iterable[StageTagLag]) -> None:
    for lag in lags:
        says = lag.expected.tag if lag.expected else "nothing"
        out.print(f"Repaired stage tag {lag.tag}: it now says {says}, as its events do")


def _short(ref: str, new: str | None) -> str:
    name = ref.removeprefix("refs/tags/")
    return f"{name} (deleted)" if new is None else name


def synced(result: Synced) -> None:
    if result.fetched:
        count = len(result.fetched)
        out.print(f"Fetched {count} registry tag{'s' if count > 1 else ''} from {result.remote}")
    else:
        out.print(f"The registry is up to date with {result.remote}")
    _repaired(result.repaired)
    if result.ignored:
        err.print(
            f"[yellow]warning:[/yellow] not fetched from {result.remote}: "
            f"{', '.join(result.ignored)}: lightweight tags with registry names (registry "
            "tags are annotated), which would replace this clone's; whoever made them can "
            f"remove them with `git push {result.remote} :refs/tags/NAME`"
        )
    if result.conflicts:
        err.print(
            f"[red]error:[/red] {len(result.conflicts)} local tags differ from "
            f"{result.remote}'s and were kept: {', '.join(result.conflicts)}; this clone "
            "recorded events it never pushed: delete them (`git tag -d ...`) and fetch again"
        )


@contextmanager
def transfer(what: str, enabled: bool) -> Iterator[Callable[[int, int | None], None] | None]:
    """A progress bar on a terminal's standard error; the callback the API reports to."""
    if not enabled or not err.is_terminal:
        yield None
        return
    from rich.progress import (  # noqa: PLC0415
        BarColumn,
        DownloadColumn,
        Progress,
        TransferSpeedColumn,
    )

    columns = (BarColumn(), DownloadColumn(), TransferSpeedColumn())
    with Progress(f"{what}", *columns, console=err, transient=True) as bar:
        task = bar.add_task(what, total=None)

        def report(done: int, total: int | None) -> None:
            bar.update(task, completed=done, total=total)

        yield report


def fetched(result: Fetched) -> None:
    artifact = result.artifact
    what = f"{artifact.files} files, " if artifact.files is not None else ""
    out.print(
        f"Downloaded {result.model} {result.version.tag} ({artifact.path}, {what}"
        f"{human_size(artifact.size)}) to {result.path}"
    )
    if result.verified:
        out.print(f"[dim]Verified: {artifact.identity}, as recorded at {result.commit[:7]}[/dim]")
    else:
        out.print(
            f"[dim]Not verified: the version recorded no ETag or MD5 of {artifact.path}[/dim]"
        )


def initialized(result: Initialized) -> None:
    out.print(f"Wrote {result.path} with stages: {', '.join(result.config.stages)}")
    out.print("Commit it so that everyone shares the same stages.")


_LEFTOVER_KINDS = {
    LeftoverKind.LOCK: "a lock file",
    LeftoverKind.UNFINISHED: "an unfinished rewrite of packed-refs",
    LeftoverKind.BROKEN_REF: "a ref cut short",
    LeftoverKind.DVC_LOCK_TABLE: "DVC's lock table cut short",
}


def _duration(seconds: int) -> str:
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            count = seconds // size
            return f"{count} {unit}{'s' if count > 1 else ''}"
    return f"{seconds} second{'' if seconds == 1 else 's'}"


def _holders(leftover: Leftover) -> str:
    """Who holds a leftover, and what --fix does about it."""
    fix = "`git model doctor --fix` removes it"
    if leftover.held_by:
        holders = ", ".join(f"{h.command} (pid {h.pid})" for h in leftover.held_by)
        return f"held by {holders}: wait for it to end; then, if it is still there, {fix}"
    if leftover.held_by == ():
        return f"no Git process holds it: {fix}"
    unknown = "nobody can tell whether a Git process holds it"
    if leftover.removable:
        return f"{unknown}, and it is {_duration(leftover.age)} old: {fix}"
    return f"{unknown}: {fix} once it is {_duration(AGE_LIMIT)} old (now {_duration(leftover.age)})"


def diagnosis(result: Diagnosis) -> None:
    for skipped in result.skipped:
        out.print(f"skipped tag {skipped.tag}: {skipped.reason}")
    for leftover in result.removed:
        why = (
            "no Git process held it"
            if leftover.held_by == ()
            else f"nobody could tell whether a Git process held it, and it was "
            f"{_duration(leftover.age)} old"
        )
        out.print(f"removed {leftover.path} ({_LEFTOVER_KINDS[leftover.kind]}): {why}")
    for leftover in result.leftovers:
        out.print(
            f"left over: {leftover.path} ({_LEFTOVER_KINDS[leftover.kind]}, which blocks "
            f"{leftover.blocks}); {_holders(leftover)}"
        )
    if result.repaired:
        for lag in result.repaired:
            says = lag.expected.tag if lag.expected else "nothing"
            out.print(f"repaired stage tag {lag.tag}: it now says {says}, as its events do")
    else:
        warn_lags(result.lags)
    if result.healthy:
        out.print("The registry is consistent.")


def hooks_installed(result: HooksInstalled) -> None:
    verb = "Updated" if result.updated else "Installed"
    out.out(f"{verb} the {result.hook} hook: {result.path}", highlight=False)
    out.out(f"It runs: {result.command} hooks run {result.hook}", highlight=False)
    if result.chained is not None:
        out.out(f"The hook that was there runs first: {result.chained}", highlight=False)


def validation(result: Validation) -> None:
    """Each file read, and what is wrong with those that do not read."""
    for found in result.files:
        out.out(
            f"FAIL  {found.problem}" if found.problem else f"ok    {found.path}", highlight=False
        )
    failed = sum(f.problem is not None for f in result.files)
    if failed:
        out.out(f"{failed} of {len(result.files)} files do not read", highlight=False)
    else:
        stages = ", ".join(result.stages)
        out.out(f"Every file reads (stages: {stages})", highlight=False)
