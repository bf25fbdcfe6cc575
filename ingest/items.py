"""The item the spider yields and the pipelines refine."""

from __future__ import annotations

import scrapy


class ArticleItem(scrapy.Item):
    # identity
    url = scrapy.Field()
    canonical_url = scrapy.Field()
    site = scrapy.Field()
    source_id = scrapy.Field()
    # content
    title = scrapy.Field()
    body = scrapy.Field()
    body_html = scrapy.Field()
    lead = scrapy.Field()
    captions = scrapy.Field()
    authors = scrapy.Field()
    categories = scrapy.Field()
    listed_in = scrapy.Field()
    tags = scrapy.Field()
    language = scrapy.Field()
    # dates: raw as found, then UTC instants set by pipelines.dates, and the publication
    # date on the site's calendar (ISO 8601 with its offset; zone: "page" or the IANA zone used)
    published_raw = scrapy.Field()
    modified_raw = scrapy.Field()
    date_source = scrapy.Field()
    printed_date_raw = scrapy.Field()  # the date beside the headline (pubdate.PageDates)
    published_at = scrapy.Field()
    published_local = scrapy.Field()
    published_zone = scrapy.Field()
    modified_at = scrapy.Field()
    # crawl facts
    fetched_at = scrapy.Field()
    http_status = scrapy.Field()
    etag = scrapy.Field()
    last_modified = scrapy.Field()
    crawl_id = scrapy.Field()
    # the archived page: {warc_file, offset, length, record_id} (ingest.archive)
    archive = scrapy.Field()
    extractor = scrapy.Field()  # ingest.extract.version.extractor_version of what made it
    change_reason = scrapy.Field()  # "crawl", "reextract" or "import": why this version exists
    last_seen_at = scrapy.Field()  # set only by re-extraction (keeps the crawl's)
    # derived by pipelines
    word_count = scrapy.Field()
    content_hash = scrapy.Field()


class ListingUpdate(scrapy.Item):
    """A category listing that links to an article already extracted in this run: the store
    adds the category to the article's listed_in."""

    url = scrapy.Field()
    listed_in = scrapy.Field()
