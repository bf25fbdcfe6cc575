"""Drop items that are not articles (no title or no body), counting each reason; check the
rest against the stored article's schema (ingest.schema), counting each violation by field
(`validate/schema/<field>` in the stats and the run record) and keeping the article."""

from __future__ import annotations

import logging
import re
from typing import Any

from itemadapter import ItemAdapter
from scrapy.exceptions import DropItem
from spidermon.contrib.validation import JSONSchemaValidator

from ingest.items import ArticleItem
from ingest.schema import ARTICLE_SCHEMA, article_check, json_view, violation_field
from pipelines.base import ArticlePipeline

WORD = re.compile(r"\w+")
logger = logging.getLogger(__name__)


class InvalidArticle(DropItem):
    """Dropped for not being an article (the quality monitors count these, not duplicates)."""


class ValidatePipeline(ArticlePipeline):
    """Also caps oversized text (a runaway page would exceed MongoDB's 16 MB document
    limit): such fields are cut at INGEST_MAX_FIELD_CHARS and counted."""

    def __init__(self, crawler: Any) -> None:
        super().__init__(crawler)
        self.min_body_words = self.settings.getint("INGEST_MIN_BODY_WORDS")
        self.max_field_chars = self.settings.getint("INGEST_MAX_FIELD_CHARS")
        self.conforms = article_check()
        self.schema = JSONSchemaValidator(ARTICLE_SCHEMA)
        self.violated: set[str] = set()

    def process_article(self, item: ArticleItem) -> ArticleItem:
        adapter = ItemAdapter(item)
        for name in ("body", "body_html", "title", "lead"):
            value = adapter.get(name)
            if isinstance(value, str) and len(value) > self.max_field_chars:
                adapter[name] = value[: self.max_field_chars]
                self.stats.inc_value(f"validate/truncated/{name}")
        words = len(WORD.findall(adapter.get("body") or ""))
        adapter["word_count"] = words
        if not adapter.get("title"):
            self._drop("missing_title", adapter)
        if words == 0:
            self._drop("missing_body", adapter)
        if words < self.min_body_words:
            self._drop("short_body", adapter)
        if not adapter.get("canonical_url"):
            self._drop("missing_url", adapter)
        self._check_schema(item, adapter)
        self.stats.inc_value("validate/passed")
        return item

    def _check_schema(self, item: ArticleItem, adapter: ItemAdapter) -> None:
        """A compiled check first; Spidermon's validator lists the violations of the few
        articles that fail it. json_view copies the nested values itself (ItemAdapter.asdict
        would too, testing each one for being an item)."""
        article = json_view(dict(item))
        if self.conforms(article):
            return
        valid, errors = self.schema.validate(article)
        if valid:
            return
        for path, messages in errors.items():
            field = violation_field(path)
            self.stats.inc_value(f"validate/schema/{field}", len(messages))
            level = logging.DEBUG if field in self.violated else logging.WARNING
            self.violated.add(field)
            logger.log(level, "schema: %s %s on %s (further ones of this field at DEBUG level)",
                       path, "; ".join(messages), adapter.get("url"))

    def _drop(self, reason: str, adapter: ItemAdapter) -> None:
        self.stats.inc_value(f"validate/dropped/{reason}")
        raise InvalidArticle(f"{reason}: {adapter.get('url')}")
