"""The chrome of a production WordPress theme for the demo site (`DemoSite(full_theme=True)`):
inline block-editor styles and scripts, a menu with sub-menus, archive, category and tag-cloud
widgets, a newsletter box, comments with a reply form and footer widgets. It brings an
article page to about 30 KB, the size of real news pages, for benchmarks; the default demo
site stays light.

The parts every page shares are built once per site state and host."""

from __future__ import annotations

import random
from collections import Counter
from html import escape
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ingest.demo.site import DemoArticle, DemoSite

COLORS = ("black", "cyan-bluish-gray", "white", "pale-pink", "vivid-red", "luminous-vivid-orange",
          "luminous-vivid-amber", "light-green-cyan", "vivid-green-cyan", "pale-cyan-blue",
          "vivid-cyan-blue", "vivid-purple", "primary", "secondary", "foreground", "background")
GRADIENTS = ("vivid-cyan-blue-to-vivid-purple", "light-green-cyan-to-vivid-green-cyan",
             "luminous-vivid-amber-to-luminous-vivid-orange", "very-light-gray-to-cyan-bluish-gray",
             "cool-to-warm-spectrum", "blush-light-purple", "blush-bordeaux", "midnight")
ARCHIVE_MONTHS = 24
FONT_SIZES = (("small", "13px"), ("medium", "20px"), ("large", "36px"), ("x-large", "42px"),
              ("xx-large", "56px"))
COMMENTERS = ("Parisa", "Hamid R.", "Elaheh", "concerned reader", "Kourosh", "M. Sadeghi",
              "Farzaneh", "Babak from Toronto")
COMMENT_OPENINGS = ("Thank you for reporting this.", "This is what we hear from our family too.",
                    "Why is nobody in charge answering these questions?",
                    "The same thing happened in our town last year.",
                    "Please keep following this story.", "I was there on that day.")
COMMENT_ENDINGS = ("People cannot live like this much longer.",
                   "The numbers in the article are, if anything, too low.",
                   "Solidarity with everyone who took part.",
                   "Local officials promised a solution months ago and nothing changed.",
                   "Share this so more people know.")


def _color(name: str) -> str:
    return "#%06x" % (random.Random(name).randrange(0x1000000))


class Theme:
    def __init__(self, site: DemoSite) -> None:
        self.site = site
        self._shared: dict[tuple[str, int], dict[str, str]] = {}

    def shared(self, base: str) -> dict[str, str]:
        """head, submenus (per category path), sidebar, footer and scripts for this host."""
        key = (base, len(self.site.articles))
        parts = self._shared.get(key)
        if parts is None:
            parts = {"head": self._head(base), "sidebar": self._sidebar(base),
                     "footer": self._footer(base), "scripts": self._scripts(base),
                     "top": self._top_bar(base)}
            parts.update({c.path: self._submenu(base, c.language) for c in self.site.categories})
            self._shared = {key: parts}
        return parts

    def _head(self, base: str) -> str:
        root = "".join(f"--wp--preset--color--{c}: {_color(c)};" for c in COLORS)
        root += "".join(f"--wp--preset--gradient--{g}: linear-gradient(135deg,{_color(g)} 0%,"
                        f"{_color(g[::-1])} 100%);" for g in GRADIENTS)
        root += "".join(f"--wp--preset--font-size--{n}: {s};" for n, s in FONT_SIZES)
        rules = "".join(
            f".has-{c}-color{{color: var(--wp--preset--color--{c}) !important;}}"
            f".has-{c}-background-color{{background-color: var(--wp--preset--color--{c}) !important;}}"
            for c in COLORS)
        rules += "".join(f".has-{g}-gradient-background{{background: var(--wp--preset--gradient--{g})"
                         " !important;}" for g in GRADIENTS)
        rules += "".join(f".has-{n}-font-size{{font-size: var(--wp--preset--font-size--{n}) !important;}}"
                         for n, _ in FONT_SIZES)
        block_css = ("body{margin:0;}.wp-site-blocks > *{margin-block-start:0;margin-block-end:0;}"
                     ".wp-block-image figcaption{font-size:13px;text-align:center;color:#555;}"
                     ".wp-caption{max-width:100%;}.wp-caption-text{font-style:italic;}"
                     ".sd-social ul{list-style:none;display:flex;gap:.5em;}"
                     ".comment-list{list-style:none;padding:0;}.comment-body{margin-bottom:1.5em;}")
        return (f'<link rel="preconnect" href="https://fonts.gstatic.com" crossorigin>\n'
                f'<link rel="stylesheet" id="wp-block-library-css" href="{base}/wp-includes/css/dist/'
                'block-library/style.min.css?ver=6.4.3" media="all">\n'
                f'<style id="global-styles-inline-css">body{{{root}}}{rules}</style>\n'
                f'<style id="wp-block-library-inline-css">{block_css}</style>\n'
                f'<link rel="alternate" type="application/rss+xml" title="{escape(self._name())} '
                f'&raquo; Feed" href="{base}/feed/">\n'
                f'<link rel="https://api.w.org/" href="{base}/wp-json/">\n'
                f'<link rel="EditURI" type="application/rsd+xml" title="RSD" href="{base}/xmlrpc.php?rsd">\n'
                '<meta name="generator" content="WordPress 6.4.3">')

    def _name(self) -> str:
        from ingest.demo.site import SITE_NAME

        return SITE_NAME

    def _top_bar(self, base: str) -> str:
        social = "".join(f'<li><a href="https://{net}.example/demofreedomnews" target="_blank" '
                         f'rel="noopener"><span class="screen-reader-text">{net.title()}</span>'
                         f'<svg class="icon icon-{net}" aria-hidden="true"><use href="#icon-{net}">'
                         "</use></svg></a></li>" for net in ("x", "facebook", "telegram", "instagram",
                                                            "youtube"))
        return ('<div class="top-bar"><div class="top-bar-inner">'
                f'<ul class="top-links"><li><a href="{base}/about/">About us</a></li>'
                f'<li><a href="{base}/contact/">Contact</a></li>'
                f'<li><a href="{base}/donate/">Support our work</a></li></ul>'
                f'<ul class="social-links">{social}</ul></div></div>')

    def _submenu(self, base: str, language: str) -> str:
        tags = sorted(Counter(t for a in self.site.articles if a.language == language
                              for t in a.tags).most_common(4))
        items = "".join(f'<li class="menu-item menu-item-type-taxonomy menu-item-object-post_tag">'
                        f'<a href="{base}/{language}/tag/{t.replace(" ", "-")}/">{escape(t.title())}</a></li>'
                        for t, _ in tags)
        return f'<ul class="sub-menu">{items}</ul>' if items else ""

    def _sidebar(self, base: str) -> str:
        from ingest.demo.site import MONTHS_EN, TEHRAN

        months = Counter(a.published_at.astimezone(TEHRAN).strftime("%Y/%m") for a in self.site.articles)
        archive = "".join(
            f'<li><a href="{base}/{ym}/">{MONTHS_EN[int(ym[5:]) - 1]} {ym[:4]}</a>&nbsp;({n})</li>'
            for ym, n in sorted(months.items(), reverse=True)[:ARCHIVE_MONTHS])
        per_category = Counter(c.path for a in self.site.articles for c in a.categories)
        categories = "".join(f'<li class="cat-item"><a href="{base}{c.path}">{escape(c.name)}</a> '
                             f"({per_category[c.path]})</li>" for c in self.site.categories)
        tags = Counter(t for a in self.site.articles for t in a.tags)
        most = max(tags.values(), default=1)
        cloud = "".join(f'<a href="{base}/en/tag/{t.replace(" ", "-")}/" class="tag-cloud-link" '
                        f'style="font-size: {8 + 14 * n / most:.1f}pt;" aria-label="{escape(t)} '
                        f'({n} items)">{escape(t)}</a> ' for t, n in sorted(tags.items()))
        return (
            '<section class="widget widget_newsletter"><h2 class="widget-title">Newsletter</h2>'
            '<p>The day\'s reports in your inbox every evening. No spam; unsubscribe any time.</p>'
            f'<form class="newsletter-form" method="post" action="{base}/subscribe/">'
            '<label for="nl-email" class="screen-reader-text">Email address</label>'
            '<input type="email" id="nl-email" name="email" placeholder="Your email" required>'
            '<button type="submit">Subscribe</button></form></section>'
            '<section class="widget widget_categories"><h2 class="widget-title">Categories</h2>'
            f"<ul>{categories}</ul></section>"
            '<section class="widget widget_archive"><h2 class="widget-title">Archives</h2>'
            '<label class="screen-reader-text" for="archives-dropdown">Archives</label>'
            f"<ul>{archive}</ul></section>"
            '<section class="widget widget_tag_cloud"><h2 class="widget-title">Tags</h2>'
            f'<div class="tagcloud">{cloud}</div></section>')

    def _footer(self, base: str) -> str:
        return (
            '<div class="footer-widgets">'
            '<section class="widget widget_text"><h2 class="widget-title">About</h2>'
            '<div class="textwidget"><p>An independent newsroom covering labour, rights and daily '
            "life, with reporters and contributors in many provinces. Tips and corrections are "
            'always welcome.</p></div></section>'
            '<section class="widget widget_text"><h2 class="widget-title">Contact</h2>'
            '<div class="textwidget"><p>newsroom@demo.example<br>Signal: +1 555 0100<br>'
            "PO Box 1234, Example City</p></div></section>"
            '<section class="widget widget_nav_menu"><h2 class="widget-title">Useful links</h2>'
            f'<ul><li><a href="{base}/about/">About us</a></li><li><a href="{base}/privacy-policy/">'
            f'Privacy policy</a></li><li><a href="{base}/corrections/">Corrections</a></li>'
            f'<li><a href="{base}/feed/">RSS</a></li></ul></section></div>')

    def _scripts(self, base: str) -> str:
        settings = ('{"baseUrl":"https:\\/\\/s.w.org\\/images\\/core\\/emoji\\/14.0.0\\/72x72\\/",'
                    '"ext":".png","svgUrl":"https:\\/\\/s.w.org\\/images\\/core\\/emoji\\/14.0.0\\/svg\\/",'
                    '"svgExt":".svg","source":{"concatemoji":"' + base.replace("/", "\\/") +
                    '\\/wp-includes\\/js\\/wp-emoji-release.min.js?ver=6.4.3"}}')
        return (
            f'<script id="wp-emoji-settings" type="application/json">{settings}</script>\n'
            "<script>(function(){var s=document.getElementById('wp-emoji-settings');"
            "if(!s){return;}var c=JSON.parse(s.textContent);function t(e){var n=document."
            "createElement('canvas');var r=n.getContext&&n.getContext('2d');if(!r||!r.fillText)"
            "{return!1;}r.textBaseline='top';r.font='600 32px Arial';r.fillText(e,0,0);return "
            "n.toDataURL().length>3000;}if(!t('\\ud83c\\udff3')){var d=document.createElement"
            "('script');d.src=c.source.concatemoji;d.defer=!0;document.head.appendChild(d);}})();"
            "</script>\n"
            f'<script src="{base}/wp-includes/js/comment-reply.min.js?ver=6.4.3" async></script>\n'
            "<script>var themeSettings = {\"stickyHeader\":true,\"lazyImages\":true,"
            "\"readingProgress\":true,\"i18n\":{\"expand\":\"Expand child menu\",\"collapse\":"
            "\"Collapse child menu\",\"close\":\"Close\",\"search\":\"Search\"}};document."
            "querySelectorAll('.menu-item-has-children > a').forEach(function(a){a.setAttribute("
            "'aria-expanded','false');});</script>")

    def comments(self, article: DemoArticle, base: str, url: str) -> str:
        """Readers' comments and the reply form, below the article (not part of it)."""
        rng = random.Random(f"comments:{article.id}")
        items = []
        for n in range(rng.choice((0, 1, 2, 2, 3, 4))):
            comment_id = article.id * 10 + n
            author = rng.choice(COMMENTERS)
            text = f"{rng.choice(COMMENT_OPENINGS)} {rng.choice(COMMENT_ENDINGS)}"
            items.append(
                f'<li id="comment-{comment_id}" class="comment even thread-even depth-1">'
                f'<article id="div-comment-{comment_id}" class="comment-body">'
                '<footer class="comment-meta"><div class="comment-author vcard">'
                f'<b class="fn">{escape(author)}</b> <span class="says">says:</span></div>'
                f'<div class="comment-metadata"><a href="{url}#comment-{comment_id}">'
                f"{n + 1} day{'s' if n else ''} after publication</a></div></footer>"
                f'<div class="comment-content"><p>{escape(text)}</p></div>'
                f'<div class="reply"><a rel="nofollow" class="comment-reply-link" '
                f'href="{url}?replytocom={comment_id}#respond" data-commentid="{comment_id}" '
                f'data-postid="{article.id}" aria-label="Reply to {escape(author)}">Reply</a></div>'
                "</article></li>")
        heading = (f'<h2 class="comments-title">{len(items)} thoughts on this report</h2>'
                   f'<ol class="comment-list">{"".join(items)}</ol>' if items else "")
        return (
            f'<div id="comments" class="comments-area">{heading}'
            '<div id="respond" class="comment-respond"><h3 id="reply-title" class="comment-reply-title">'
            'Leave a Reply</h3>'
            f'<form action="{base}/wp-comments-post.php" method="post" id="commentform" class="comment-form">'
            '<p class="comment-notes"><span id="email-notes">Your email address will not be published.'
            '</span> Required fields are marked <span class="required">*</span></p>'
            '<p class="comment-form-comment"><label for="comment">Comment</label>'
            '<textarea id="comment" name="comment" cols="45" rows="8" maxlength="65525" required>'
            "</textarea></p>"
            '<p class="comment-form-author"><label for="author">Name</label>'
            '<input id="author" name="author" type="text" size="30" maxlength="245"></p>'
            '<p class="comment-form-email"><label for="email">Email</label>'
            '<input id="email" name="email" type="email" size="30" maxlength="100"></p>'
            '<p class="form-submit"><input name="submit" type="submit" id="submit" class="submit" '
            'value="Post Comment"><input type="hidden" name="comment_post_ID" '
            f'value="{article.id}" id="comment_post_ID"></p></form></div></div>')
