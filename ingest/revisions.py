"""Revision history as line diffs between consecutive versions of an article."""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Change:
    from_revision: int
    to_revision: int
    changed_at: Any  # when the newer version was first seen (a datetime, as stored)
    lines: list[tuple[str, str]]  # (mark, text); mark is "-", "+", " " or "@" (a hunk header)
    reason: str | None = None  # why the newer version exists: "crawl", "reextract", "import"


def version_lines(doc: Mapping[str, Any]) -> list[str]:
    """What a revision is made of (title, body, captions), one line per paragraph."""
    lines = [f"Title: {doc.get('title') or ''}"]
    lines += [p for p in (doc.get("body") or "").split("\n\n") if p.strip()]
    for caption in doc.get("captions") or []:
        if isinstance(caption, Mapping):
            image = caption.get("image_url")
            lines.append(f"Caption: {caption.get('text') or ''}" + (f" [{image}]" if image else ""))
    return lines


def line_diff(old: Sequence[str], new: Sequence[str], context: int = 1) -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = []
    for line in difflib.unified_diff(list(old), list(new), lineterm="", n=context):
        if line.startswith(("---", "+++")):
            continue
        rows.append((line[0], line[1:]) if line[0] in "-+ " else ("@", line))
    return rows


def revision_changes(revisions: Sequence[Mapping[str, Any]], current: Mapping[str, Any]) -> list[Change]:
    """Newest change first: each stored revision against the version that replaced it."""
    versions = [*sorted(revisions, key=lambda r: int(r.get("revision") or 0)), current]
    changes = []
    for older, newer in zip(versions, versions[1:]):
        changes.append(Change(
            from_revision=int(older.get("revision") or 0),
            to_revision=int(newer.get("revision") or 0),
            changed_at=newer.get("last_changed_at"),
            lines=line_diff(version_lines(older), version_lines(newer)),
            reason=newer.get("change_reason"),
        ))
    return changes[::-1]
