"""Captions: drop empty entries and repeats of one image's caption; keep caption text out
of the body."""

from __future__ import annotations

from itemadapter import ItemAdapter

from ingest.items import ArticleItem
from ingest.text import near_duplicate
from pipelines.base import ArticlePipeline


class CaptionsPipeline(ArticlePipeline):
    def process_article(self, item: ArticleItem) -> ArticleItem:
        adapter = ItemAdapter(item)
        kept: list[dict] = []
        for caption in adapter.get("captions") or []:
            if not caption.get("text"):
                self.stats.inc_value("captions/dropped/empty")
            elif any(near_duplicate(caption["text"], k["text"])
                     and caption.get("image_url") == k.get("image_url") for k in kept):
                self.stats.inc_value("captions/dropped/duplicate")
            else:
                if caption.get("alt") and near_duplicate(caption["alt"], caption["text"]):
                    self.stats.inc_value("captions/alt_duplicates_collapsed")
                kept.append(caption)
        adapter["captions"] = kept
        body = adapter.get("body") or ""
        if kept and body:
            paragraphs = body.split("\n\n")
            clean = [p for p in paragraphs if not any(near_duplicate(p, c["text"]) for c in kept)]
            if len(clean) != len(paragraphs):
                self.stats.inc_value("captions/removed_from_body", len(paragraphs) - len(clean))
                adapter["body"] = "\n\n".join(clean)
        self.stats.inc_value("captions/kept", len(kept))
        return item
