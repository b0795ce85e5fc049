"""Rendering of API results: rich tables for people, JSON for programs."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from enum import Enum
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from git_model.results import (
    Change,
    Diagnosis,
    Fetched,
    History,
    Initialized,
    ModelView,
    RegistryView,
    StageCell,
    Synced,
    VersionDetail,
)
from git_model.semver import SemVer
from git_model.state import Event, EventKind, Person, StageTagLag, Version

# Piped output is not cut to 80 columns: tables keep every column for grep and less.
out = Console(highlight=False, soft_wrap=True)
if not out.is_terminal:
    out = Console(highlight=False, soft_wrap=True, width=160)
err = Console(stderr=True, highlight=False, soft_wrap=True)
EMPTY = "[dim]-[/dim]"


def jsonable(value: Any) -> Any:
    """Plain JSON data from results: versions as "1.2.3", times in ISO 8601."""
    if isinstance(value, SemVer | Path):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        value = {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value


def print_json(value: Any) -> None:
    out.out(json.dumps(jsonable(value), indent=2, ensure_ascii=False), highlight=False)


def _v(version: SemVer | None) -> str:
    return version.tag if version is not None else EMPTY


def _table(*columns: str) -> Table:
    """A borderless table; every column but the last (free text) keeps to one line."""
    table = Table(box=None, header_style="bold", pad_edge=False)
    for column in columns[:-1]:
        table.add_column(column, no_wrap=True)
    table.add_column(columns[-1], overflow="fold")
    return table


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


def registry(view: RegistryView) -> None:
    if not view.models:
        out.print("No models registered yet. Register one with `git model register NAME`.")
        return
    table = _table("Model", "Latest", *view.stages)
    for model in view.models:
        name = f"{model.name} [dim](deprecated)[/dim]" if model.deprecated else model.name
        latest = _v(model.latest.version if model.latest else None)
        table.add_row(name, latest, *(_cell(c) for c in model.stages))
    out.print(table)
    warn_lags(view.lags)


def model(view: ModelView) -> None:
    status = " [dim](deprecated)[/dim]" if view.deprecated else ""
    stages = "  ".join(f"{c.stage}: {_cell(c)}" for c in view.stages)
    out.print(f"[bold]{view.name}[/bold]{status}  {stages}")
    table = _table("Version", "Stages", "Commit", "Registered by", "When", "Message")
    for version in view.versions:
        label = version.version.tag + (" [dim](archived)[/dim]" if version.archived else "")
        table.add_row(
            label,
            ", ".join(version.stages) or EMPTY,
            version.commit[:7],
            _who(version.author),
            _when(version.date),
            version.message.splitlines()[0] if version.message else "",
        )
    out.print(table)
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
        event.message.splitlines()[0] if event.message else "",
    )


def _events_table(events: Iterable[Event]) -> Table:
    table = _table("#", "When", "Event", "Model", "Version", "Stage", "By", "Message")
    for event in events:
        table.add_row(*_event_row(event))
    return table


def history(view: History) -> None:
    if not view.events:
        out.print("No events yet.")
        return
    out.print(_events_table(view.events))


def _artifact(version: Version) -> str:
    artifact = version.artifact
    if artifact is None:
        return "not recorded"
    files = f", {artifact.files} files" if artifact.files is not None else ""
    return f"{artifact.path} (md5 {artifact.md5}, {_size(artifact.size)}{files})"


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


def detail(view: VersionDetail) -> None:
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold")
    table.add_column()
    for key, value in _version_lines(view.version):
        table.add_row(key, value)
    if view.deprecated:
        table.add_row("Model status", "deprecated")
    out.print(table)
    out.print()
    out.print(_events_table(view.events))
    warn_lags(view.lags)


_VERBS = {
    EventKind.REGISTERED: "Registered",
    EventKind.PROMOTED: "Promoted",
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
    if result.action is EventKind.REGISTERED and result.version is not None:
        line += f" at {result.version.commit[:7]} (tag {result.version.tag})"
        artifact = result.version.artifact
        if artifact is not None:
            line += f"\n  artifact {artifact.path}: md5 {artifact.md5}, {_size(artifact.size)}"
    elif result.action is EventKind.PROMOTED:
        line += f" to {result.stage}"
        if result.replaced is not None:
            line += f", replacing {result.replaced.tag}"
    elif result.action is EventKind.DEMOTED:
        line += f" from {result.stage}; {result.stage} is now empty"
    emptied = [e.stage for e in result.events if e.kind is EventKind.DEMOTED and e.stage]
    if result.action in (EventKind.ARCHIVED, EventKind.DEPRECATED) and emptied:
        line += f" (taken out of {', '.join(emptied)})"
    out.print(line)
    for lag in result.repaired:
        says = lag.expected.tag if lag.expected else "nothing"
        out.print(f"Repaired stage tag {lag.tag}: it now says {says}, as its events do")
    out.print(f"[dim]Tags written: {', '.join(_short(r.ref, r.new) for r in result.refs)}[/dim]")
    if result.pushed:
        out.print(f"Pushed to {result.pushed}")


def _size(size: int | None) -> str:
    if size is None:
        return "size unknown"
    if size < 1024:
        return f"{size} bytes"
    value, unit = size / 1024, "KiB"
    for larger in ("MiB", "GiB", "TiB"):
        if value < 1024:
            break
        value, unit = value / 1024, larger
    return f"{value:.1f} {unit}"


def _short(ref: str, new: str | None) -> str:
    name = ref.removeprefix("refs/tags/")
    return f"{name} (deleted)" if new is None else name


def synced(result: Synced) -> None:
    if result.fetched:
        count = len(result.fetched)
        out.print(f"Fetched {count} registry tag{'s' if count > 1 else ''} from {result.remote}")
    else:
        out.print(f"The registry is up to date with {result.remote}")
    for lag in result.repaired:
        says = lag.expected.tag if lag.expected else "nothing"
        out.print(f"Repaired stage tag {lag.tag}: it now says {says}, as its events do")
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
        f"{_size(artifact.size)}) to {result.path}"
    )
    out.print(f"[dim]Verified: md5 {artifact.md5}, as recorded at {result.commit[:7]}[/dim]")


def initialized(result: Initialized) -> None:
    out.print(f"Wrote {result.path} with stages: {', '.join(result.config.stages)}")
    out.print("Commit it so that everyone shares the same stages.")


def diagnosis(result: Diagnosis) -> None:
    for skipped in result.skipped:
        out.print(f"skipped tag {skipped.tag}: {skipped.reason}")
    for lock in result.stale_locks:
        out.print(
            f"lock file {lock} is left over: a Git process holds it or crashed; "
            "delete it if no Git process is running"
        )
    if result.repaired:
        for lag in result.repaired:
            says = lag.expected.tag if lag.expected else "nothing"
            out.print(f"repaired stage tag {lag.tag}: it now says {says}, as its events do")
    else:
        warn_lags(result.lags)
    if result.healthy:
        out.print("The registry is consistent.")
