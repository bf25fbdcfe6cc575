"""The runs collection as the monitors' memory: each run's record gets a `quality` block
(its figures, the usual figures it was compared with, its findings); the next runs read the
figures of the site's recent healthy runs from there."""

from __future__ import annotations

from typing import Any

from pymongo.database import Database

from ingest.store.articles import safe_keys
from ingest.store.client import RUNS


def recent_runs(db: Database, site: str, exclude_run: str, limit: int
                ) -> list[tuple[dict[str, Any], bool]]:
    """(figures, flagged) of the site's last `limit` finished runs, newest first."""
    cursor = db[RUNS].find(
        {"site": site, "_id": {"$ne": exclude_run}, "status": "finished",
         "finish_reason": "finished"},
        {"quality": 1}).sort("started_at", -1).limit(limit)
    return [(run["quality"]["figures"], bool(run["quality"].get("flagged"))) for run in cursor
            if "figures" in (run.get("quality") or {})]


def save_report(db: Database, run_id: str, report: dict[str, Any]) -> None:
    db[RUNS].update_one({"_id": run_id}, {"$set": {"quality": safe_keys(report)}})


def site_runs(db: Database, site: str, limit: int = 100) -> list[dict[str, Any]]:
    """The site's recent runs, oldest first, for the web app's monitoring page."""
    cursor = db[RUNS].find({"site": site}, {"stats": 0}).sort("started_at", -1).limit(limit)
    return list(reversed(list(cursor)))
