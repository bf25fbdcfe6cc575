"""Findings: where a run's figures fell clearly below the site's own recent runs.

A finding needs both a change beyond its threshold and enough articles to be sure of it:
a rate is flagged only when its whole confidence interval (Wilson score) lies beyond the
usual rate plus or minus the threshold, so a run of 6 articles is not flagged for 5 of
them lacking a caption. Without `min_history` comparable past runs nothing is compared."""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, fields
from typing import Any

from ingest.monitors.figures import FIELDS

CHECKS = ("fill", "body_length", "boilerplate", "repeated_titles", "new_articles", "errors",
          "invalid")


@dataclass(frozen=True)
class Thresholds:
    """The quality monitors' settings; their defaults and meanings are declared once, in
    ingest/settings.py."""

    history_runs: int
    min_history: int
    min_articles: int
    fill_drop: float
    body_length_low: float
    body_length_high: float
    boilerplate_rise: float
    new_ratio: float
    new_runs: int
    min_usual_new: int
    error_rise: float
    invalid_rise: float
    z: float
    skip: tuple[str, ...]

    # Spelt out, so that every setting read stays findable by name (tests/test_settings.py).
    SETTINGS = {"history_runs": "INGEST_MONITOR_HISTORY_RUNS",
                "min_history": "INGEST_MONITOR_MIN_HISTORY",
                "min_articles": "INGEST_MONITOR_MIN_ARTICLES",
                "fill_drop": "INGEST_MONITOR_FILL_DROP",
                "body_length_low": "INGEST_MONITOR_BODY_LENGTH_LOW",
                "body_length_high": "INGEST_MONITOR_BODY_LENGTH_HIGH",
                "boilerplate_rise": "INGEST_MONITOR_BOILERPLATE_RISE",
                "new_ratio": "INGEST_MONITOR_NEW_RATIO",
                "new_runs": "INGEST_MONITOR_NEW_RUNS",
                "min_usual_new": "INGEST_MONITOR_MIN_USUAL_NEW",
                "error_rise": "INGEST_MONITOR_ERROR_RISE",
                "invalid_rise": "INGEST_MONITOR_INVALID_RISE",
                "z": "INGEST_MONITOR_Z",
                "skip": "INGEST_MONITOR_SKIP"}

    @classmethod
    def from_settings(cls, settings: Any) -> Thresholds:
        values: dict[str, Any] = {}
        for spec in fields(cls):
            name = cls.SETTINGS[spec.name]
            try:
                if spec.name == "skip":
                    values["skip"] = tuple(settings.getlist(name))
                elif spec.type == "int":
                    values[spec.name] = settings.getint(name)
                else:
                    values[spec.name] = settings.getfloat(name)
            except ValueError as exc:
                raise ValueError(f"{name}: {exc}") from None
        unknown = set(values["skip"]) - {*CHECKS, *FIELDS}
        if unknown:
            raise ValueError(f"INGEST_MONITOR_SKIP: unknown checks {sorted(unknown)}; "
                             f"known: {sorted({*CHECKS, *FIELDS})}")
        return cls(**values)


@dataclass(frozen=True)
class Finding:
    check: str
    message: str
    value: float
    usual: float

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def wilson(k: int, n: int, z: float) -> tuple[float, float]:
    """Confidence interval of a proportion k/n."""
    if n <= 0:
        return 0.0, 1.0
    p = k / n
    centre = p + z * z / (2 * n)
    spread = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    denominator = 1 + z * z / n
    return max(0.0, (centre - spread) / denominator), min(1.0, (centre + spread) / denominator)


def poisson_cdf(k: int, mean: float) -> float:
    """P(X <= k) for X ~ Poisson(mean)."""
    term = total = math.exp(-mean)
    for i in range(1, k + 1):
        term *= mean / i
        total += term
    return min(1.0, total)


def _pooled(history: Sequence[Mapping[str, Any]], part: Any, whole: Any) -> float | None:
    total = sum(whole(run) for run in history)
    return sum(part(run) for run in history) / total if total else None


def _pct(rate: float) -> str:
    return f"{rate:.0%}" if rate >= 0.01 or rate == 0 else f"{rate:.1%}"


def compare(current: Mapping[str, Any], history: Sequence[Mapping[str, Any]],
            limits: Thresholds, previous: Sequence[Mapping[str, Any]] = ()) -> list[Finding]:
    """Findings of this run's figures against the figures of the site's recent runs
    (`history`: the baseline, runs that were not flagged; `previous`: the runs just before
    this one, flagged or not, newest first)."""
    skip = set(limits.skip)
    findings: list[Finding] = []
    n = current.get("articles", 0)
    extracted = [run for run in history if run.get("articles", 0) >= limits.min_articles]
    if len(extracted) >= limits.min_history and n >= 1:
        if "fill" not in skip:
            for field, label in FIELDS.items():
                if field in skip:
                    continue
                usual = _pooled(extracted, lambda r, f=field: r["filled"].get(f, 0),
                                lambda r: r["articles"])
                k = current["filled"].get(field, 0)
                if usual is not None and wilson(k, n, limits.z)[1] < usual - limits.fill_drop:
                    findings.append(Finding(f"fill:{field}", f"{label} found on {_pct(k / n)} of "
                                            f"articles (usually {_pct(usual)})", k / n, usual))
        for check, key, what in (
                ("boilerplate", "boilerplate_bodies", "of bodies are near-identical across articles"),
                ("repeated_titles", "repeated_titles", "of titles are repeated across articles")):
            if check in skip:
                continue
            usual = _pooled(extracted, lambda r, key=key: r.get(key, 0), lambda r: r["articles"])
            k = current.get(key, 0)
            if usual is not None and wilson(k, n, limits.z)[0] > usual + limits.boilerplate_rise:
                findings.append(Finding(check, f"{_pct(k / n)} {what} (usually {_pct(usual)})",
                                        k / n, usual))
        if "body_length" not in skip and n >= limits.min_articles:
            lengths = [run["body_chars_median"] for run in extracted if run.get("body_chars_median")]
            usual_length = statistics.median(lengths) if lengths else 0
            length = current.get("body_chars_median", 0)
            if usual_length and not (limits.body_length_low * usual_length <= length
                                     <= limits.body_length_high * usual_length):
                findings.append(Finding("body_length", f"median body length {length:,} characters "
                                        f"(usually {usual_length:,.0f})", length, usual_length))
    if "new_articles" not in skip and len(history) >= limits.min_history:
        findings += _new_articles(current, history, previous, limits)
    for check, part, whole, rise, what in (
            ("errors", "errors", "requests", limits.error_rise, "of requests failed"),
            ("invalid", "invalid", "articles", limits.invalid_rise, "of articles dropped as invalid")):
        runs = [run for run in history if run.get(whole, 0) > 0]
        total = current.get(whole, 0)
        if check in skip or len(runs) < limits.min_history or not total:
            continue
        usual = _pooled(runs, lambda r, part=part: r.get(part, 0), lambda r, whole=whole: r[whole])
        k = current.get(part, 0)
        if usual is not None and wilson(k, total, limits.z)[0] > usual + rise:
            findings.append(Finding(check, f"{_pct(k / total)} {what} (usually {_pct(usual)})",
                                    k / total, usual))
    return findings


def _new_articles(current: Mapping[str, Any], history: Sequence[Mapping[str, Any]],
                  previous: Sequence[Mapping[str, Any]], limits: Thresholds) -> list[Finding]:
    """New articles collapsed for `new_runs` runs in a row: a quiet day (or two) is not a
    finding, a site whose listings stopped yielding its new articles is."""
    usual = statistics.median(run.get("new", 0) for run in history)
    window = [current.get("new", 0), *(run.get("new", 0) for run in previous[: limits.new_runs - 1])]
    if usual < limits.min_usual_new or len(window) < limits.new_runs:
        return []
    total = sum(window)
    expected = usual * len(window)
    if total >= limits.new_ratio * expected or poisson_cdf(total, expected) >= 1 - _confidence(limits.z):
        return []
    runs = f" in the last {len(window)} runs" if len(window) > 1 else ""
    return [Finding("new_articles", f"{total:,} new articles{runs} (usually {usual:,.0f} per run)",
                    total / len(window), usual)]


def _confidence(z: float) -> float:
    """One-sided confidence of a normal z score."""
    return 0.5 * (1 + math.erf(z / math.sqrt(2)))
