"""Site profiles: what to crawl and how, as data (one TOML file per site in this folder)."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field, replace
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlparse

from ingest.extract.article import ExtractionRules

# A Traversable, not a Path: the package may be imported from a zipped egg (scrapyd).
PROFILE_DIR = files(__package__)
ENTRY_POINTS = frozenset({"listings", "sitemap", "feed", "rest"})


class ProfileError(ValueError):
    """A site profile is missing or invalid."""


@dataclass(frozen=True)
class SiteProfile:
    name: str
    title: str = ""
    allowed_domains: tuple[str, ...] = ()
    start_urls: tuple[str, ...] = ()
    home_url: str | None = None
    timezone: str = "UTC"
    languages: tuple[str, ...] = ()
    article_url_pattern: str = ""
    category_url_pattern: str = ""
    all_categories: bool = False
    # Where article URLs come from: "listings" (category pages), "sitemap", "feed", "rest"
    # (the WordPress REST API: exact GMT dates and categories; pages still give the captions).
    entry_points: tuple[str, ...] = ("listings",)
    sitemap_urls: tuple[str, ...] = ()
    feed_urls: tuple[str, ...] = ()
    rest_api: str | None = None
    settings: dict[str, Any] = field(default_factory=dict)
    extraction: ExtractionRules = ExtractionRules()

    def is_article_url(self, url: str) -> bool:
        return bool(self.article_url_pattern and re.search(self.article_url_pattern, url))

    def is_category_url(self, url: str) -> bool:
        return bool(self.category_url_pattern and re.search(self.category_url_pattern, url))

    def with_start_urls(self, urls: list[str]) -> SiteProfile:
        """The profile crawling these listings instead; their hosts join the allowed domains."""
        hosts = [urlparse(u).hostname for u in urls]
        domains = tuple(dict.fromkeys([*self.allowed_domains, *(h for h in hosts if h)]))
        return replace(self, start_urls=tuple(urls), allowed_domains=domains)

    def with_base_url(self, base_url: str) -> SiteProfile:
        """Resolve the profile's relative URLs against a server (the local demo site)."""
        host = urlparse(base_url).hostname
        return replace(
            self,
            start_urls=tuple(urljoin(base_url, u) for u in self.start_urls),
            home_url=urljoin(base_url, self.home_url) if self.home_url else base_url,
            sitemap_urls=tuple(urljoin(base_url, u) for u in self.sitemap_urls),
            feed_urls=tuple(urljoin(base_url, u) for u in self.feed_urls),
            rest_api=urljoin(base_url, self.rest_api) if self.rest_api else None,
            allowed_domains=(host,) if host else self.allowed_domains,
        )


def available_profiles() -> list[str]:
    return sorted(p.name.removesuffix(".toml") for p in PROFILE_DIR.iterdir() if p.name.endswith(".toml"))


def load_profile(name_or_path: str) -> SiteProfile:
    """A bundled profile by name (`iranfreedom`) or any TOML file by path."""
    path: Path | Traversable = Path(name_or_path)
    if path.suffix != ".toml":
        path = PROFILE_DIR / f"{name_or_path}.toml"
    if not path.is_file():
        raise ProfileError(
            f"no site profile {name_or_path!r}; bundled: {', '.join(available_profiles())}"
        )
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ProfileError(f"{path}: {exc}") from exc
    return profile_from_mapping(data, default_name=path.name.removesuffix(".toml"))


def profile_from_mapping(data: dict[str, Any], default_name: str) -> SiteProfile:
    known = {f for f in SiteProfile.__dataclass_fields__}
    unknown = set(data) - known
    if unknown:
        raise ProfileError(f"profile {default_name!r}: unknown keys {sorted(unknown)}")
    for key in ("article_url_pattern", "category_url_pattern"):
        try:
            re.compile(data.get(key, ""))
        except re.error as exc:
            raise ProfileError(f"profile {default_name!r}: bad {key}: {exc}") from exc
    values = dict(data)
    values.setdefault("name", default_name)
    for key in ("allowed_domains", "start_urls", "languages", "entry_points", "sitemap_urls",
                "feed_urls"):
        if key in values:
            values[key] = tuple(values[key])
    unknown_entries = set(values.get("entry_points", ())) - ENTRY_POINTS
    if unknown_entries:
        raise ProfileError(f"profile {default_name!r}: unknown entry points {sorted(unknown_entries)}; "
                           f"known: {sorted(ENTRY_POINTS)}")
    try:
        values["extraction"] = ExtractionRules.from_mapping(values.get("extraction"))
    except ValueError as exc:
        raise ProfileError(f"profile {default_name!r}: {exc}") from exc
    return SiteProfile(**values)
