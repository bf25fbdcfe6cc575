"""CSS selectors the generic extractor tries, grouped in one place.

Site profiles put their own selectors in front of these; order matters (first hit wins,
most specific first)."""

ARTICLE_SCOPE = (
    "article[id^='post-']",
    "article.post",
    "article.type-post",
    "[itemtype*='Article']",
    "[itemtype*='BlogPosting']",
    ".hentry",
    "main article",
    "article",
    "main",
    "#content",
    ".site-content",
)

TITLE = (
    "h1.entry-title",
    "h1.post-title",
    "h1.tdb-title-text",
    "h1.td-post-title",
    ".entry-title h1",
    "h1[itemprop='headline']",
    "h1.headline",
    "h1.article-title",
)

BODY = (
    "[itemprop='articleBody']",
    ".entry-content",
    ".td-post-content",
    ".post-content",
    ".article-content",
    ".article-body",
    ".article__body",
    ".post-body",
    ".single-content",
    ".story-body",
    ".content-inner",
    ".field--name-body",
    ".field-name-body",
    ".article-text",
    ".article__text",
    ".story-text",
    ".story-content",
    ".news-text",
    ".news-body",
    ".item-text",
    ".artikel-text",
    ".artikeltext",
    ".texto-nota",
    ".cuerpo-nota",
    ".nota-texto",
)

# Elements that never hold article text (tag names).
NON_TEXT = (
    "script", "style", "noscript", "template", "iframe", "form", "button", "select",
    "input", "textarea", "svg", "nav", "aside", "figure", "figcaption", "address", "amp-ad",
)

# Boxes themes put around and inside articles: captions, sharing, related posts, ads...
NOISE_BOXES = (
    ".wp-caption", ".wp-caption-text", ".gallery", ".wp-block-gallery",
    ".sharedaddy", ".sd-sharing", ".jp-relatedposts", ".addtoany_share_save_container",
    ".social", ".share", ".shares", ".sharing", ".share-buttons", ".social-share",
    "[class*='share-']", "[class*='-share']", "[class*='sharing']",
    "[class*='related']", "[class*='newsletter']", "[class*='subscribe']",
    "[class*='advert']", "[class*='ad-slot']", "[class*='adsbygoogle']",
    ".author-box", ".about-author", "[class*='author-bio']", ".post-tags", ".tags-links",
    ".cat-links", ".entry-meta", ".post-meta", ".entry-footer", ".post-navigation",
    ".nav-links", "#comments", ".comments-area", ".comment-respond", ".widget",
    ".screen-reader-text", ".sr-only", "[hidden]", "[aria-hidden='true']",
    ".td-post-sharing", ".td-post-source-tags", ".td-block-row", ".td-post-next-prev",
    ".wp-block-buttons", ".wp-block-embed", ".yarpp-related", ".crp_related",
    "[class*='caption']", "[class*='byline']", "[class*='timestamp']", "[class*='promo']",
    "[class*='recommend']", "[class*='more-stories']", "[class*='breadcrumb']",
    "[class*='author']", "[class*='tags']", "[class*='gallery']", "[class*='slideshow']",
    "[class*='toolbar']", "[class*='signup']", "[class*='sign-up']", "[class*='inline-ad']",
    "[id*='newsletter']", "[class*='print-only']", ".hidden", ".is-hidden", ".visually-hidden",
    # the same boxes named in other languages
    "[class*='partage']", "[class*='publicit']", "[class*='publicidad']",
    "[class*='anzeige']", "[class*='reklam']", "[class*='werbung']", "[class*='teilen']",
    "[class*='compartir']", "[class*='lire-aussi']", "[class*='lesen-sie-auch']",
    "[class*='relacionad']", "[class*='mas-noticias']", "[class*='plus-lus']",
    "[class*='mostread']", "[class*='most-read']", "[class*='readmore']", "[class*='read-more']",
    "[class*='comment']", "[class*='kommentar']", "[class*='signature']", "[class*='firma']",
    "[class*='fecha']", "[class*='datum']", "[class*='cookie']", "[class*='infolettre']",
    "[class*='redes']", "[class*='sharebar']", "[class*='adv-']", ".adv", ".ad", ".ads", "[class*='ads-']", "[class*='-ads']",
    "[data-ad-slot]", "[class*='auteur']", "[class*='autor']", "[class*='tambien']",
    # labels above headlines
    "[class*='kicker']", "[class*='dachzeile']", "[class*='overline']", "[class*='eyebrow']",
    "[class*='surtitre']",
    # standfirsts and subtitles in article headers
    "[class*='entradilla']", "[class*='standfirst']", "[class*='encabezado']", "[class*='chapo']",
    "[class*='subtitle']",
)


# Regions whose dates, links and figures never belong to the article.
OUTSIDE_ARTICLE = (
    "aside", "nav", "header.site-header", "footer.site-footer", "#sidebar", ".sidebar",
    ".widget", ".widget-area", "[class*='related']", "[class*='recent']",
    "#comments", ".comments-area", ".menu", "form",
)

CAPTION_BLOCKS = ("figure", ".wp-caption")
CAPTION_TEXT = ("figcaption", ".wp-caption-text", ".wp-element-caption", ".caption-text")
CREDIT = ("[class*='credit']", "[class*='copyright']")

PUBLISHED_META = (
    "meta[property='article:published_time']",
    "meta[property='og:published_time']",
    "meta[name='article:published_time']",
    "meta[itemprop='datePublished']",
    "meta[name='pubdate']",
    "meta[name='publishdate']",
    "meta[name='publish-date']",
    "meta[name='parsely-pub-date']",
    "meta[name='sailthru.date']",
    "meta[name='dc.date.issued']",
    "meta[name='DC.date.issued']",
    "meta[name='dcterms.created']",
    "meta[name='date']",
)

MODIFIED_META = (
    "meta[property='article:modified_time']",
    "meta[property='og:updated_time']",
    "meta[itemprop='dateModified']",
    "meta[name='lastmod']",
    "meta[name='dcterms.modified']",
)

PUBLISHED_TIME = (
    "time.published[datetime]",
    "time.entry-date[datetime]",
    "[itemprop='datePublished'][datetime]",
    "[itemprop='datePublished'][content]",
    "time[pubdate][datetime]",
    "time[datetime]",
)

MODIFIED_TIME = (
    "time.updated[datetime]",
    "[itemprop='dateModified'][datetime]",
    "[itemprop='dateModified'][content]",
)

DATE_TEXT = (
    "time",
    "[class*='datum']",
    "[class*='fecha']",
    "[class*='publication']",
    ".entry-date",
    ".posted-on",
    ".post-date",
    ".td-post-date",
    ".published",
    ".date",
    "[class*='date']",
    "[class*='time']",
    ".meta",
    "[class*='byline']",
)

AUTHOR = (
    "[rel='author']",
    ".author.vcard .fn",
    ".author .fn",
    "[itemprop='author'] [itemprop='name']",
    "[class*='author-name']",
    "[class*='author__name']",
    "[class*='byline__author']",
    "[class*='autor-nombre']",
    ".byline a",
    ".td-post-author-name a",
    ".author a",
    "a[class*='auteur']",
    "[class*='auteur'] a",
    "[class*='autor'] a",
    "[class*='author'] a",
)

NEXT_PAGE = (
    "a.next.page-numbers",
    "link[rel='next']",
    "a[rel='next']",
    ".nav-previous a",
    ".pagination a.next",
    "a.next",
)
