"""The report's charts, as inline SVG: a metric by version (points joined by a line, the
versions that reached each stage marked, the gates' thresholds drawn), a sparkline, and a
stage timeline (one lane per stage over time). No script, no font, nothing fetched: the
colours and text styles come from the page's CSS, by class.

Every text that comes from the registry (versions, stage names, messages) is escaped
here, so the SVG can be placed in the page as it is. Coordinates are rounded to whole
units: the same data always gives the same bytes, and a page of 500 versions stays small.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from html import escape

from git_model.series import MetricSeries

# The drawing area of a chart, inside its margins (left for the values, bottom for the
# versions), in SVG user units: the SVG scales to the page's width.
WIDTH = 480
HEIGHT = 210
_LEFT, _RIGHT, _TOP, _BOTTOM = 48, 84, 16, 30
# The stage timeline spans the page's width; a stay narrower than _POINTABLE units (a
# sliver in a long history) has its version alone as its tooltip.
TIMELINE_WIDTH = 1000
_POINTABLE = 4
# At most this many version labels under a chart; more are thinned evenly.
_MAX_LABELS = 12


@dataclass(frozen=True, slots=True)
class Line:
    """A horizontal line across a chart (a gate's threshold) and its label."""

    value: float
    label: str
    stage_class: str


def fmt(value: float) -> str:
    """A number as the page shows it: up to 4 significant digits, no exponent for the
    usual magnitudes."""
    if value == 0:
        return "0"
    if abs(value) >= 10_000:
        return f"{value:,.0f}"
    if abs(value) < 0.001:
        return f"{value:.3g}"
    return f"{value:.4g}"


def _n(value: float) -> str:
    """A coordinate, to the nearest unit (a pixel or so on screen: the page stays small)."""
    return str(round(value))


def _range(values: Sequence[float]) -> tuple[float, float]:
    """The y range that holds ``values`` with a margin (a flat series gets one around it)."""
    low, high = min(values), max(values)
    span = high - low
    if span == 0:
        span = abs(high) * 0.1 or 1.0
        return low - span, high + span
    return low - span * 0.08, high + span * 0.08


def _ticks(low: float, high: float, count: int = 4) -> list[float]:
    """Round values between ``low`` and ``high`` for the y axis."""
    raw = (high - low) / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    first = math.ceil(low / step) * step
    found = []
    value = first
    while value <= high + step * 1e-9:
        found.append(round(value, 12))
        value += step
    return found


def stage_class(stage: str, stages: Sequence[str]) -> str:
    """The CSS class of a stage's colour: by its place in the registry's order."""
    return f"s{stages.index(stage) + 1}" if stage in stages else "sx"


def metric_chart(
    series: MetricSeries, lines: Sequence[Line], stages: Sequence[str], title: str
) -> str:
    """``series`` as points joined by a line, one per version (lowest first): filled in the
    colour of the highest stage the version reached (grey: none), ringed when it holds a
    stage now, hollow when archived; ``lines`` across the chart. Each point carries its
    version and value as a tooltip (``<title>``)."""
    points = series.points
    values = [p.value for p in points] + [line.value for line in lines]
    low, high = _range(values) if values else (0.0, 1.0)
    inner_w = WIDTH - _LEFT - _RIGHT
    inner_h = HEIGHT - _TOP - _BOTTOM

    def x(i: int) -> float:
        if len(points) == 1:
            return _LEFT + inner_w / 2
        return _LEFT + inner_w * i / (len(points) - 1)

    def y(value: float) -> float:
        return _TOP + inner_h * (high - value) / (high - low)

    out = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'data-metric="{escape(series.metric)}" data-points="{len(points)}">',
        f"<title>{escape(title)}</title>",
    ]
    ticks = [(_n(y(t)), fmt(t)) for t in _ticks(low, high)]
    grid = "".join(f"M{_LEFT} {ty}H{WIDTH - _RIGHT}" for ty, _ in ticks)
    tick_labels = "".join(f'<text y="{ty}">{text}</text>' for ty, text in ticks)
    out.append(
        f'<path class="grid" d="{grid}"/><g class="ax" text-anchor="end" '
        f'transform="translate({_LEFT - 6},3)">{tick_labels}</g>'
    )
    for line in lines:
        ly = _n(y(line.value))
        out.append(
            f'<g class="gate {line.stage_class}"><line x1="{_LEFT}" x2="{WIDTH - _RIGHT}" '
            f'y1="{ly}" y2="{ly}"/><text x="{WIDTH - _RIGHT + 4}" y="{ly}" dy="3">'
            f"{escape(line.label)}</text></g>"
        )
    if len(points) > 1:
        path = " ".join(f"{_n(x(i))},{_n(y(p.value))}" for i, p in enumerate(points))
        out.append(f'<polyline class="trend" points="{path}"/>')
    every = max(1, math.ceil(len(points) / _MAX_LABELS))
    # The points in groups by their look (one class attribute per group, not per point),
    # drawn after the labels so that they stay on top.
    groups: dict[str, list[str]] = {}
    labels: list[str] = []  # the versions under the chart
    for i, point in enumerate(points):
        cx, cy = _n(x(i)), _n(y(point.value))
        reached = point.reached[-1] if point.reached else None
        classes = [stage_class(reached, stages) if reached else "s0"]
        if point.holds:
            classes.append("now")
        if point.archived:
            classes.append("arch")
        tip = f"{point.version.tag} {fmt(point.value)}"  # the colour says where it went
        groups.setdefault(" ".join(classes), []).append(
            f'<circle cx="{cx}" cy="{cy}" r="4"><title>{escape(tip)}</title></circle>'
        )
        if point.holds:
            out.append(
                f'<text class="hold" x="{cx}" y="{_n(y(point.value) - 9)}" '
                f'text-anchor="middle">{escape(", ".join(point.holds))}</text>'
            )
        if i % every == 0 or i == len(points) - 1:
            labels.append(f'<text x="{cx}">{escape(point.version.tag)}</text>')
    out.append(
        f'<g class="ax" text-anchor="middle" transform="translate(0,{HEIGHT - _BOTTOM + 16})">'
        f"{''.join(labels)}</g>"
    )
    for look in sorted(groups):
        out.append(f'<g class="{look}">{"".join(groups[look])}</g>')
    out.append("</svg>")
    return "".join(out)


def sparkline(values: Sequence[float], label: str, width: int = 120, height: int = 24) -> str:
    """A line of ``values`` in a small box, its last value dotted."""
    out = [
        f'<svg class="spark" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'role="img" data-points="{len(values)}"><title>{escape(label)}</title>'
    ]
    if values:
        low, high = _range(values)

        def at(i: int, value: float) -> tuple[str, str]:
            px = 3 + (width - 6) * (i / (len(values) - 1) if len(values) > 1 else 0.5)
            py = 3 + (height - 6) * (high - value) / (high - low)
            return _n(px), _n(py)

        coords = [at(i, v) for i, v in enumerate(values)]
        if len(coords) > 1:
            out.append(f'<polyline points="{" ".join(f"{a},{b}" for a, b in coords)}"/>')
        last = coords[-1]
        out.append(f'<circle cx="{last[0]}" cy="{last[1]}" r="2.5"/>')
    out.append("</svg>")
    return "".join(out)


@dataclass(frozen=True, slots=True)
class Stay:
    """One stretch of a lane: a version in a stage from ``start`` to ``end`` (seconds)."""

    label: str
    start: float
    end: float
    open: bool  # it holds the stage still
    tip: str


def timeline(
    lanes: Sequence[tuple[str, Sequence[Stay]]],
    start: datetime,
    end: datetime,
    stages: Sequence[str],
    title: str,
) -> str:
    """One lane per stage from ``start`` to ``end``: a bar per stay, labelled with its
    version where it is wide enough, the stay's dates and who moved it as a tooltip."""
    left, right, lane_h, top = 70, 12, 26, 6
    height = top + lane_h * len(lanes) + 22
    t0, t1 = start.timestamp(), end.timestamp()
    span = (t1 - t0) or 1.0
    inner = TIMELINE_WIDTH - left - right
    shown = "%Y-%m-%d %H:%M" if span < 3 * 86_400 else "%Y-%m-%d"

    def x(seconds: float) -> float:
        return left + inner * (min(max(seconds, t0), t1) - t0) / span

    out = [
        f'<svg class="timeline" viewBox="0 0 {TIMELINE_WIDTH} {height}" role="img" '
        f'data-lanes="{len(lanes)}"><title>{escape(title)}</title>'
    ]
    for row, (stage, stays) in enumerate(lanes):
        ly = top + row * lane_h
        out.append(
            f'<g class="{stage_class(stage, stages)}" transform="translate(0,{ly})">'
            f'<text class="ax" x="{left - 6}" y="16" text-anchor="end">{escape(stage)}</text>'
            f'<line class="grid" x1="{left}" x2="{TIMELINE_WIDTH - right}" y1="{lane_h - 2}" '
            f'y2="{lane_h - 2}"/>'
        )
        for stay in stays:  # the page's CSS shades every other one
            x0, x1 = x(stay.start), x(stay.end)
            w = max(x1 - x0, 2.0)
            more = ' class="open"' if stay.open else ""
            tip = stay.tip if w >= _POINTABLE else stay.label  # a sliver: its version only
            out.append(
                f'<rect{more} x="{_n(x0)}" y="3" width="{_n(w)}" height="{lane_h - 8}">'
                f"<title>{escape(tip)}</title></rect>"
            )
            if w >= 7 * len(stay.label) + 6:
                out.append(f'<text class="on" x="{_n(x0 + 4)}" y="16">{escape(stay.label)}</text>')
        out.append("</g>")
    axis_y = top + lane_h * len(lanes) + 14
    out.append(
        f'<text class="ax" x="{left}" y="{axis_y}">{start.strftime(shown)}</text>'
        f'<text class="ax" x="{TIMELINE_WIDTH - right}" y="{axis_y}" text-anchor="end">'
        f"{end.strftime(shown)}</text></svg>"
    )
    return "".join(out)
