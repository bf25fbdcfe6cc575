"""Unicode NFC, entities, invisible characters and whitespace in every text field."""

from __future__ import annotations

from typing import Any

from itemadapter import ItemAdapter

from ingest.items import ArticleItem
from ingest.text import collapse_spaces, normalize_text
from pipelines.base import ArticlePipeline

PROSE_FIELDS = ("title", "body", "lead")
LIST_FIELDS = ("authors", "categories", "tags", "listed_in")
CAPTION_FIELDS = ("text", "alt", "credit")


class NormalizeTextPipeline(ArticlePipeline):
    def process_article(self, item: ArticleItem) -> ArticleItem:
        adapter = ItemAdapter(item)
        for name in PROSE_FIELDS:
            value = adapter.get(name)
            if isinstance(value, str):
                adapter[name] = self._fix(name, value, normalize_text(value))
        for name in LIST_FIELDS:
            values = adapter.get(name) or []
            cleaned = list(dict.fromkeys(v for v in (normalize_text(v) for v in values) if v))
            adapter[name] = self._fix(name, values, cleaned)
        captions = []
        for caption in adapter.get("captions") or []:
            fixed = dict(caption)
            for key in CAPTION_FIELDS:
                if isinstance(fixed.get(key), str):
                    fixed[key] = collapse_spaces(normalize_text(fixed[key])) or None
            captions.append(self._fix("captions", caption, fixed))
        adapter["captions"] = captions
        return item

    def _fix(self, name: str, before: Any, after: Any) -> Any:
        if before != after:
            self.stats.inc_value(f"normalize/fixed/{name}")
        return after
