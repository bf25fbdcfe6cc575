"""A run's figures as Prometheus metrics (prometheus-client): written for node_exporter's
textfile collector and/or pushed to a Pushgateway, labelled by site."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from prometheus_client import CollectorRegistry, Gauge, push_to_gateway, write_to_textfile

from ingest.monitors.figures import FIELDS

JOB = "ingest_crawl"


def run_registry(site: str, report: Mapping[str, Any], finished_at: float) -> CollectorRegistry:
    figures = report["figures"]
    registry = CollectorRegistry()

    def gauge(name: str, doc: str, labels: tuple[str, ...] = ()) -> Gauge:
        return Gauge(name, doc, ("site", *labels), registry=registry)

    articles = gauge("ingest_run_articles", "Articles of the last run by store outcome", ("outcome",))
    for outcome in ("new", "changed", "unchanged", "dead_lettered"):
        articles.labels(site, outcome).set(figures.get(outcome, 0))
    gauge("ingest_run_extracted_articles", "Articles the last run extracted").labels(site).set(
        figures.get("articles", 0))
    dropped = gauge("ingest_run_dropped_articles", "Articles the last run dropped, by reason",
                    ("reason",))
    for reason, count in (figures.get("dropped") or {}).items():
        dropped.labels(site, reason).set(count)
    violations = gauge("ingest_run_schema_violations", "Schema violations in the last run, by field",
                       ("field",))
    for field, count in (figures.get("violations") or {}).items():
        violations.labels(site, field).set(count)
    gauge("ingest_run_requests", "Requests of the last run").labels(site).set(figures.get("requests", 0))
    gauge("ingest_run_errors", "Failed requests and extractions of the last run").labels(site).set(
        figures.get("errors", 0))
    fill = gauge("ingest_run_fill_ratio", "Share of the last run's articles with the field filled",
                 ("field",))
    n = figures.get("articles", 0)
    for field in FIELDS:
        fill.labels(site, field).set(figures["filled"].get(field, 0) / n if n else 0)
    gauge("ingest_run_body_chars_median", "Median body length of the last run (characters)"
          ).labels(site).set(figures.get("body_chars_median", 0))
    gauge("ingest_run_boilerplate_ratio", "Share of the last run's bodies near-identical across "
          "articles").labels(site).set(figures.get("boilerplate_bodies", 0) / n if n else 0)
    gauge("ingest_run_duration_seconds", "Duration of the last run").labels(site).set(
        figures.get("duration_s") or 0)
    gauge("ingest_run_findings", "Quality findings of the last run").labels(site).set(
        len(report.get("findings") or ()))
    gauge("ingest_run_last_finished_timestamp_seconds", "When the last run finished (Unix time)"
          ).labels(site).set(finished_at)
    return registry


def write_textfile(directory: str | Path, site: str, registry: CollectorRegistry) -> Path:
    """<directory>/ingest_<site>.prom, replaced atomically (the collector never reads half)."""
    path = Path(directory) / f"ingest_{site}.prom"
    path.parent.mkdir(parents=True, exist_ok=True)
    write_to_textfile(str(path), registry)
    return path


def push(gateway: str, site: str, registry: CollectorRegistry, timeout: float = 30.0) -> None:
    """Replace this site's group on the Pushgateway (PUT /metrics/job/ingest_crawl/site/<site>)."""
    push_to_gateway(gateway, job=JOB, registry=registry, grouping_key={"site": site}, timeout=timeout)
