"""Which extractor made an article: a digest of the code that turns a page into stored
fields (extraction, date parsing, text normalization, the item pipelines) and of the site
profile's extraction rules. `ingest reextract` re-extracts the articles made by another."""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ("ingest/extract/*.py", "ingest/dates.py", "ingest/text.py", "pipelines/*.py")


@lru_cache(maxsize=1)
def code_digest() -> str:
    digest = hashlib.sha256()
    for pattern in SOURCES:
        for path in sorted(ROOT.glob(pattern)):
            digest.update(path.relative_to(ROOT).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def extractor_version(profile: Any = None) -> str:
    """`<code digest>-<rules digest>`; the rules are the profile's extraction rules and time
    zone (None: the generic rules)."""
    rules = repr((profile.extraction, profile.timezone)) if profile is not None else "generic"
    return f"{code_digest()}-{hashlib.sha256(rules.encode()).hexdigest()[:6]}"
