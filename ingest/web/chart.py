"""Articles per month by category as a stacked bar chart, laid out here and drawn as
inline SVG by the template: no script, nothing for the Content-Security-Policy to allow."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

# Okabe & Ito's palette: tells categories apart for colour-blind readers too.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
OTHER_COLOUR = "#9a9a9a"
OTHER = "other categories"


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    colour: str
    label: str  # shown on hover (an SVG <title>)


@dataclass
class Chart:
    width: int
    height: int
    left: int
    bottom: int  # y of the x axis
    bars: list[Bar] = field(default_factory=list)
    y_ticks: list[tuple[float, int]] = field(default_factory=list)  # (y, count)
    x_labels: list[tuple[float, str]] = field(default_factory=list)  # (x centre, "YYYY-MM")
    legend: list[tuple[str, str, int]] = field(default_factory=list)  # (colour, category, total)
    months: list[str] = field(default_factory=list)


def month_range(first: str, last: str) -> list[str]:
    """Every month from first to last ("YYYY-MM"), so months without articles show as gaps."""
    year, month = map(int, first.split("-"))
    end = tuple(map(int, last.split("-")))
    months = []
    while (year, month) <= end and len(months) < 1200:
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def nice_step(highest: int, ticks: int = 5) -> int:
    raw = max(highest, 1) / ticks
    magnitude = 10 ** math.floor(math.log10(raw))
    return max(1, int(next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)))


def monthly_chart(rows: Iterable[tuple[str, str, int]], width: int = 960, height: int = 340,
                  colours: int = len(PALETTE)) -> Chart:
    counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    totals: dict[str, int] = defaultdict(int)
    for month, category, n in rows:
        counts[month][category] += n
        totals[category] += n
    left, right, top, bottom = 48, 12, 12, height - 28
    chart = Chart(width=width, height=height, left=left, bottom=bottom)
    if not counts:
        return chart
    ranked = sorted(totals, key=lambda c: (-totals[c], c))
    shown, rest = ranked[:colours], ranked[colours:]
    colour_of = {c: PALETTE[i] for i, c in enumerate(shown)}
    chart.legend = [(colour_of[c], c, totals[c]) for c in shown]
    if rest:
        chart.legend.append((OTHER_COLOUR, OTHER, sum(totals[c] for c in rest)))
    chart.months = month_range(min(counts), max(counts))
    highest = max(sum(by_category.values()) for by_category in counts.values())
    step = nice_step(highest)
    scale_top = step * math.ceil(highest / step)
    per_unit = (bottom - top) / scale_top
    slot = (width - left - right) / len(chart.months)
    bar_width = max(slot * 0.8, 1.0)
    chart.y_ticks = [(bottom - v * per_unit, v) for v in range(0, scale_top + 1, step)]
    label_every = math.ceil(len(chart.months) / 12)
    for index, month in enumerate(chart.months):
        x = left + index * slot + (slot - bar_width) / 2
        if index % label_every == 0:
            chart.x_labels.append((x + bar_width / 2, month))
        stack = [(c, counts[month].get(c, 0), colour_of[c]) for c in shown]
        stack.append((OTHER, sum(counts[month].get(c, 0) for c in rest), OTHER_COLOUR))
        y = float(bottom)
        for category, n, colour in stack:
            if not n:
                continue
            h = n * per_unit
            y -= h
            chart.bars.append(Bar(x, y, bar_width, h, colour, f"{month} · {category}: {n}"))
    return chart
