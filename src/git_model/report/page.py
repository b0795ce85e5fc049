"""The report as HTML: one page from Jinja2 templates (autoescape on), with the charts of
``charts.py`` and the Markdown of ``markdown.py`` placed as they come (both escape what
they take from the registry). Jinja2 is imported here only, by the one command that
draws a page."""

from __future__ import annotations

import re
import shlex
from datetime import datetime
from posixpath import basename
from typing import TYPE_CHECKING

from git_model.metadata import CARD_EXTRAS, MetricDelta, Scalar
from git_model.report import charts
from git_model.report.markdown import to_html
from git_model.report.model import Chart, ModelSection, RegistryReport
from git_model.reports import CARD_LAYOUT, human_size
from git_model.series import number
from git_model.state import Person, Version

if TYPE_CHECKING:
    from markupsafe import Markup

EMPTY = "\N{EN DASH}"  # what a table shows where there is nothing
_UNSAFE_IN_ID = re.compile(r"[^A-Za-z0-9.-]")
# Model-card sections by key, titled as the card command titles them.
CARD_TITLES = {
    **{key: title for title, key in CARD_LAYOUT if key is not None},
    **{key: key.replace("_", " ").capitalize() for key in CARD_EXTRAS},
}


def ident(*parts: str) -> str:
    """An element id for a model or a version: each part's characters other than letters,
    digits, ``.`` and ``-`` written ``_XX`` (so ``a/b`` and ``a_b`` stay apart)."""
    return "-".join(_UNSAFE_IN_ID.sub(lambda m: f"_{ord(m.group()):02x}", p) for p in parts)


def model_id(name: str) -> str:
    return "m-" + ident(name)


def version_id(version: Version) -> str:
    return "v-" + ident(version.model, str(version.version))


def value(text: Scalar) -> str:
    if text is None:
        return EMPTY
    found = number(text)
    return charts.fmt(found) if found is not None and isinstance(text, float) else str(text)


def delta(change: MetricDelta) -> str:
    if change.delta is None:
        return ""
    if change.delta == 0:
        return "\N{PLUS-MINUS SIGN}0"
    return ("+" if change.delta > 0 else "") + charts.fmt(change.delta)


def when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M") if moment else EMPTY


def day(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d") if moment else EMPTY


def who(person: Person | None) -> str:
    return person.name if person else EMPTY


def get_command(version: Version) -> str:
    """The command that downloads the version's artifact."""
    out = basename(version.artifact.path) if version.artifact else "MODEL"
    return (
        f"git model get {shlex.quote(f'{version.model}@{version.version}')} -o {shlex.quote(out)}"
    )


def _metric_chart(report: RegistryReport, section: ModelSection, chart: Chart) -> str:
    lines = [
        charts.Line(
            g.threshold.value,
            f"{g.stage} {g.threshold.op} {charts.fmt(g.threshold.value)}",
            charts.stage_class(g.stage, report.stages),
        )
        for g in chart.gates
    ]
    title = f"{section.model.name}: {chart.series.metric} by version"
    return charts.metric_chart(chart.series, lines, report.stages, title)


def _sparkline(section: ModelSection) -> str:
    chart = section.chart(section.main_metric)
    if chart is None:
        return ""
    values = [p.value for p in chart.series.points]
    label = f"{section.model.name}: {chart.series.metric} by version"
    return charts.sparkline(values, label)


def _timeline(report: RegistryReport, section: ModelSection) -> str:
    model = section.model
    first = next((e.date for e in model.events if e.date is not None), None)
    end = report.end
    if first is None or end is None:
        return ""
    lanes = []
    for lane in section.lanes:
        stays = []
        for t in lane.tenures:
            if t.since is None:
                continue
            until = t.until or end
            tip = (  # why it came and went: in the activity, and `history NAME#STAGE`
                f"{t.version.tag} {when(t.since)} to "
                f"{when(t.until) if t.until else 'now'}, by {who(t.by)}"
            )
            stays.append(
                charts.Stay(
                    t.version.tag, t.since.timestamp(), until.timestamp(), t.until is None, tip
                )
            )
        lanes.append((lane.stage, stays))
    title = f"{model.name}: who held each stage, over time"
    return charts.timeline(lanes, first, end, report.stages, title)


def render(report: RegistryReport) -> str:
    """The page, as text."""
    import jinja2  # noqa: PLC0415 (only the report draws a page)
    from markupsafe import Markup  # noqa: PLC0415

    def safe(text: str) -> Markup:  # what charts and markdown return is escaped already
        return Markup(text)  # noqa: S704

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("git_model.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(
        markdown=lambda text: safe(to_html(text)),
        value=value,
        delta=delta,
        when=when,
        day=day,
        who=who,
        size=human_size,
    )
    env.globals.update(
        model_id=model_id,
        version_id=version_id,
        get_command=get_command,
        card_titles=CARD_TITLES,
        stage_class=lambda stage: charts.stage_class(stage, report.stages),
        metric_chart=lambda section, chart: safe(_metric_chart(report, section, chart)),
        sparkline=lambda section: safe(_sparkline(section)),
        timeline=lambda section: safe(_timeline(report, section)),
    )
    return env.get_template("report.html.j2").render(report=report)
