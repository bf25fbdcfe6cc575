"""Pages as fetched, in WARC files (ISO 28500) through warcio: the crawl's archive
(middleware), reading any producer's files back (reader), re-extraction of stored
articles and import of web archives (spiders)."""
