"""Monitoring pages: each site's runs over time (articles per run, fill rates per run) and
its latest findings, from the runs collection (ingest.monitors). Charts are inline SVG laid
out here, like the stats page's."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, abort, current_app, render_template
from pymongo.database import Database

from ingest.monitors.figures import FIELDS
from ingest.monitors.history import site_runs
from ingest.store.client import RUNS
from ingest.web.chart import PALETTE, nice_step

bp = Blueprint("monitoring", __name__)
RUNS_SHOWN = 60
OUTCOMES = (("new", PALETTE[0]), ("changed", PALETTE[1]), ("unchanged", "#bbbbbb"))


@dataclass
class RunChart:
    width: int = 960
    height: int = 240
    left: int = 48
    top: int = 12
    bottom: int = 212
    bars: list[tuple[float, float, float, float, str, str]] = field(default_factory=list)
    lines: list[tuple[str, str, str]] = field(default_factory=list)  # (colour, label, points)
    y_ticks: list[tuple[float, str]] = field(default_factory=list)
    legend: list[tuple[str, str]] = field(default_factory=list)


def _slots(chart: RunChart, count: int) -> float:
    return (chart.width - chart.left - 12) / max(count, 1)


def articles_chart(runs: Sequence[Mapping[str, Any]]) -> RunChart:
    """Stacked bars per run: new, changed, unchanged articles."""
    chart = RunChart(legend=[(colour, name) for name, colour in OUTCOMES])
    counts = [[(run.get("counts") or {}).get(name, 0) or 0 for name, _ in OUTCOMES] for run in runs]
    highest = max((sum(c) for c in counts), default=0)
    step = nice_step(highest)
    top_value = step * max(1, -(-highest // step))
    per_unit = (chart.bottom - chart.top) / top_value
    chart.y_ticks = [(chart.bottom - v * per_unit, str(v)) for v in range(0, top_value + 1, step)]
    slot = _slots(chart, len(runs))
    for index, (run, values) in enumerate(zip(runs, counts)):
        x, y = chart.left + index * slot + slot * 0.1, float(chart.bottom)
        for (name, colour), value in zip(OUTCOMES, values):
            if value:
                y -= value * per_unit
                chart.bars.append((x, y, slot * 0.8, value * per_unit, colour,
                                   f"{run['_id']}: {value} {name}"))
    return chart


def fill_chart(runs: Sequence[Mapping[str, Any]]) -> RunChart:
    """A line per field: the share of each run's articles that had it."""
    chart = RunChart()
    chart.y_ticks = [(chart.bottom - share * (chart.bottom - chart.top), f"{share:.0%}")
                     for share in (0, 0.25, 0.5, 0.75, 1)]
    slot = _slots(chart, len(runs))
    for colour, (field_name, label) in zip(PALETTE, FIELDS.items()):
        points = []
        for index, run in enumerate(runs):
            figures = (run.get("quality") or {}).get("figures") or {}
            if figures.get("articles"):
                share = (figures.get("filled") or {}).get(field_name, 0) / figures["articles"]
                points.append(f"{chart.left + (index + 0.5) * slot:.1f},"
                              f"{chart.bottom - share * (chart.bottom - chart.top):.1f}")
        chart.lines.append((colour, label, " ".join(points)))
        chart.legend.append((colour, label))
    return chart


def store() -> Database:
    return current_app.extensions["ingest_db"]


@bp.get("/monitoring")
def sites() -> str:
    rows = []
    for site in sorted(s for s in store()[RUNS].distinct("site") if s):
        last = site_runs(store(), site, limit=1)
        rows.append((site, last[-1] if last else None))
    return render_template("monitoring.html", rows=rows)


@bp.get("/monitoring/<site>")
def site_page(site: str) -> str:
    runs = site_runs(store(), site, limit=RUNS_SHOWN)
    if not runs:
        abort(404, f"No run of {site!r} is recorded.")
    checked = [run for run in runs if run.get("quality")]
    latest = checked[-1] if checked else None
    return render_template("monitoring_site.html", site=site, runs=runs, latest=latest,
                           articles=articles_chart(runs), fill=fill_chart(runs))
