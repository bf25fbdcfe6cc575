"""Instants as the store keeps them: aware UTC datetimes, and their millisecond copies."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def epoch_ms(value: datetime) -> int:
    """An instant as stored in published_ms (see articles.published_keys)."""
    return (as_utc(value) - EPOCH) // timedelta(milliseconds=1)


def as_utc(value: datetime) -> datetime:
    """Aware and in UTC; a naive datetime is taken as UTC already (as pymongo returns them)."""
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


def as_datetime(value: Any) -> datetime | None:
    """Datetimes as stored; tolerates servers that hand them back as ISO strings."""
    if value is None or isinstance(value, datetime):
        return value.astimezone(timezone.utc) if isinstance(value, datetime) and value.tzinfo else value
    if isinstance(value, str):
        text = value.strip()
        if text.startswith('{"$date"'):
            text = text.split('"')[3]
        try:
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            return None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)
    return None
