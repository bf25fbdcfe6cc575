"""Extraction quality on saved pages with ground truth: body shingle F1 (the
article-extraction benchmark's metric) and publication-date accuracy (htmldate's).

Pure functions plus a runner; the folders are arguments (nothing here knows where the
benchmark lives)."""

from __future__ import annotations

import gzip
import json
import re
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

TOKEN = re.compile(r"\w+")


def shingles(text: str, size: int = 4) -> Counter[tuple[str, ...]]:
    tokens = TOKEN.findall(text or "")
    return Counter(tuple(tokens[i:i + size]) for i in range(max(len(tokens) - size + 1, 0)))


def body_precision_recall(predicted: str, truth: str) -> tuple[float | None, float | None]:
    """Per-page precision and recall over 4-token shingles; None where undefined
    (precision when nothing was predicted, recall when the truth is empty)."""
    pred, true = shingles(predicted), shingles(truth)
    matched = sum((pred & true).values())
    extra = sum(pred.values()) - matched
    missing = sum(true.values()) - matched
    precision = matched / (matched + extra) if pred else None
    recall = matched / (matched + missing) if true else None
    return precision, recall


@dataclass
class BodyScore:
    precisions: list[float] = field(default_factory=list)
    recalls: list[float] = field(default_factory=list)
    seconds: float = 0.0  # CPU time: what one extractor costs, whatever else the machine runs
    pages: int = 0

    def add(self, predicted: str, truth: str) -> None:
        precision, recall = body_precision_recall(predicted, truth)
        if precision is not None:
            self.precisions.append(precision)
        if recall is not None:
            self.recalls.append(recall)
        self.pages += 1

    @property
    def precision(self) -> float:
        return sum(self.precisions) / len(self.precisions) if self.precisions else 0.0

    @property
    def recall(self) -> float:
        return sum(self.recalls) / len(self.recalls) if self.recalls else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass
class DateScore:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    seconds: float = 0.0

    def add(self, predicted: date | None, truth: date | None) -> None:
        if predicted is None:
            self.fn += 1
        elif predicted == truth:
            self.tp += 1
        else:
            self.fp += 1

    @property
    def pages(self) -> int:
        return self.tp + self.fp + self.fn

    @property
    def accuracy(self) -> float:
        return self.tp / self.pages if self.pages else 0.0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        return 2 * self.tp / (2 * self.tp + self.fp + self.fn) if self.pages else 0.0


def read_page(path: Path) -> bytes:
    data = path.read_bytes()
    return gzip.decompress(data) if path.suffix == ".gz" else data


def page_id(path: Path) -> str:
    name = path.name.removesuffix(".gz")
    return name.removesuffix(".html").removesuffix(".htm")


def stated_date(raw: str | None, timezone: str = "UTC") -> date | None:
    """The calendar date a value states, in its own offset (not converted to UTC)."""
    if not raw:
        return None
    from ingest.dates import parse_datetime

    try:
        return datetime.fromisoformat(raw.strip().replace("Z", "+00:00")).date()
    except ValueError:
        parsed = parse_datetime(raw, timezone=timezone)
        return parsed.date() if parsed else None


Extractor = Callable[[bytes, str], str | None]


def ours_body(html: bytes, url: str) -> str:
    from ingest.extract.article import extract_article

    return extract_article(html, url)["body"]


def ours_date(html: bytes, url: str) -> str | None:
    """The publication date as the site's calendar shows it (published_local)."""
    from ingest.dates import parse_local
    from ingest.extract.article import extract_article

    fields = extract_article(html, url)
    stated = parse_local(fields["published_raw"] or "", url=url, printed=fields["printed_date_raw"])
    return stated.local if stated else None


def trafilatura_body(html: bytes, url: str) -> str:
    import trafilatura

    return trafilatura.extract(html, url=url) or ""


def htmldate_date(html: bytes, url: str) -> str | None:
    from htmldate import find_date

    return find_date(html, url=url, original_date=True)


def warm_up(folder: Path, truth: dict[str, dict], extractors: dict[str, Extractor]) -> None:
    """Run each extractor once, untimed: lazy imports and locale tables load on first use,
    a one-off cost per process that per-page figures should not carry."""
    from ingest.dates import preload

    preload()
    for html, entry in pages_with_truth(folder, truth):
        for extract in extractors.values():
            try:
                extract(html, entry.get("url") or "")
            except Exception:  # the timed run reports failures; this one only loads
                pass
        break


def pages_with_truth(folder: Path, truth: dict[str, dict]) -> Iterator[tuple[bytes, dict]]:
    """(page bytes, truth entry) for every saved page that has an entry."""
    for path in sorted(folder.glob("*.htm*")):
        entry = truth.get(page_id(path))
        if entry is not None:
            yield read_page(path), entry


def evaluate_bodies(folder: Path, truth: dict[str, dict], extractors: dict[str, Extractor]
                    ) -> dict[str, BodyScore]:
    warm_up(folder, truth, extractors)
    scores = {name: BodyScore() for name in extractors}
    for html, entry in pages_with_truth(folder, truth):
        for name, extract in extractors.items():
            started = time.process_time()
            predicted = extract(html, entry.get("url") or "")
            scores[name].seconds += time.process_time() - started
            scores[name].add(predicted or "", entry.get("articleBody") or "")
    return scores


def ours_title(html: bytes, url: str) -> str | None:
    from ingest.extract.article import extract_article

    return extract_article(html, url)["title"]


def trafilatura_title(html: bytes, url: str) -> str | None:
    import trafilatura

    metadata = trafilatura.extract_metadata(html, default_url=url or None)
    return metadata.title if metadata else None


def evaluate_titles(folder: Path, truth: dict[str, dict], extractors: dict[str, Extractor]
                    ) -> dict[str, tuple[int, int]]:
    """(exact matches, pages) per extractor, over pages whose truth has a title."""
    from ingest.text import collapse_spaces

    scores = {name: (0, 0) for name in extractors}
    for html, entry in pages_with_truth(folder, truth):
        if not entry.get("title"):
            continue
        for name, extract in extractors.items():
            predicted = collapse_spaces(extract(html, entry.get("url") or "") or "")
            hits, pages = scores[name]
            scores[name] = (hits + (predicted == collapse_spaces(entry["title"])), pages + 1)
    return scores


def evaluate_dates(folder: Path, truth: dict[str, dict], extractors: dict[str, Extractor]
                   ) -> dict[str, DateScore]:
    warm_up(folder, truth, extractors)
    scores = {name: DateScore() for name in extractors}
    for html, entry in pages_with_truth(folder, truth):
        expected = date.fromisoformat(entry["date"]) if entry.get("date") else None
        for name, extract in extractors.items():
            started = time.process_time()
            try:
                predicted = stated_date(extract(html, entry.get("url") or ""))
            except Exception:  # a competitor's crash is a miss, not the end of the run
                predicted = None
            scores[name].seconds += time.process_time() - started
            scores[name].add(predicted, expected)
    return scores


def find_truth(folder: Path) -> tuple[Path, dict[str, dict]]:
    """A benchmark folder holds html/ and a JSON truth file (id -> fields)."""
    for name in ("ground-truth.json", "truth.json"):
        if (folder / name).is_file():
            pages = folder / "html" if (folder / "html").is_dir() else folder
            return pages, json.loads((folder / name).read_text(encoding="utf-8"))
    raise FileNotFoundError(f"{folder}: no ground-truth.json or truth.json")


def report(folders: Iterable[Path], compare: bool = True) -> list[str]:
    lines = []
    for folder in folders:
        pages_dir, truth = find_truth(folder)
        sample = next(iter(truth.values()), {})
        if "articleBody" in sample:
            extractors: dict[str, Extractor] = {"ingest": ours_body}
            if compare:
                extractors["trafilatura"] = trafilatura_body
            for name, score in evaluate_bodies(pages_dir, truth, extractors).items():
                lines.append(f"{folder.name:14} body  {name:12} P {score.precision:.3f} "
                             f"R {score.recall:.3f} F1 {score.f1:.3f}  "
                             f"{score.pages / max(score.seconds, 1e-9):6.1f} pages/CPU-s ({score.pages} pages)")
        if any(entry.get("title") for entry in truth.values()):
            title_extractors: dict[str, Extractor] = {"ingest": ours_title}
            if compare:
                title_extractors["trafilatura"] = trafilatura_title
            for name, (hits, pages) in evaluate_titles(pages_dir, truth, title_extractors).items():
                lines.append(f"{folder.name:14} title {name:12} exact {hits / pages:.3f} ({hits}/{pages} pages)")
        if "date" in sample:
            extractors = {"ingest": ours_date}
            if compare:
                extractors["htmldate"] = htmldate_date
            for name, dscore in evaluate_dates(pages_dir, truth, extractors).items():
                lines.append(f"{folder.name:14} date  {name:12} acc {dscore.accuracy:.3f} "
                             f"P {dscore.precision:.3f} R {dscore.recall:.3f} F1 {dscore.f1:.3f}  "
                             f"{dscore.pages / max(dscore.seconds, 1e-9):6.1f} pages/CPU-s ({dscore.pages} pages)")
    return lines
