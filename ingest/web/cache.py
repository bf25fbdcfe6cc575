"""Aggregations the web app shares between requests: the same filtered stats asked for by
many at once are computed once (the others wait for that answer) and kept for a while."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

STATS_CACHE_SECONDS = 30.0  # how long an aggregation's answer is served again
STATS_CACHE_ENTRIES = 512


class SharedResults:
    """A small LRU of computed answers with a time to live; concurrent callers of one key
    wait for the first one's computation instead of repeating it. Errors are not kept."""

    def __init__(self, seconds: float = STATS_CACHE_SECONDS, entries: int = STATS_CACHE_ENTRIES) -> None:
        self.seconds = seconds
        self.entries = entries
        self._answers: OrderedDict[Hashable, tuple[float, Any]] = OrderedDict()
        self._computing: dict[Hashable, threading.Lock] = {}
        self._lock = threading.Lock()

    def _fresh(self, key: Hashable) -> tuple[bool, Any]:
        with self._lock:
            kept = self._answers.get(key)
            if kept and time.monotonic() - kept[0] < self.seconds:
                self._answers.move_to_end(key)
                return True, kept[1]
            return False, None

    def get(self, key: Hashable, compute: Callable[[], Any]) -> Any:
        if self.seconds <= 0:
            return compute()
        found, value = self._fresh(key)
        if found:
            return value
        with self._lock:
            computing = self._computing.setdefault(key, threading.Lock())
        with computing:
            found, value = self._fresh(key)  # computed while this caller waited
            if found:
                return value
            try:
                value = compute()
            finally:
                with self._lock:
                    self._computing.pop(key, None)
            with self._lock:
                self._answers[key] = (time.monotonic(), value)
                self._answers.move_to_end(key)
                while len(self._answers) > self.entries:
                    self._answers.popitem(last=False)
            return value
