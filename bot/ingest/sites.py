"""Web pages as articles: one URL, a whole site from its sitemap (index, gzipped or not) or RSS/Atom feed, or
a crawl of a site's article area; fetched politely and kept in sync rather than downloaded again.

Politeness: one User-Agent (`Settings.user_agent`), robots.txt obeyed, a pause between two requests to the
same host, a timeout and a size cap per page, redirects followed by hand so every hop is checked (http(s)
only, no credentials, never off the site). Sync: a page stored whole is asked for with `If-None-Match` /
`If-Modified-Since`; a 304 costs no parsing and no embedding (bot/ingest/indexing.py keeps the validators with the
chunks).

trafilatura parses the sitemaps (XML or plain lists of URLs) and feeds, courlan normalises and filters
crawled links. Both judge hosts by their registered domain, which loopback and intranet hosts lack, so the
same-site rule is ours: same host and port as the URL the user gave.
"""

from __future__ import annotations

import gzip
import io
import time
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, ClassVar
from urllib.parse import urldefrag, urljoin, urlsplit
from urllib.robotparser import RobotFileParser

import httpx
from tqdm import tqdm

from bot.ingest.indexing import Gone, Ignored, Loaded, StoredArticle, Unchanged
from bot.ingest.loaders import LOADERS, Article, LoadError, parse, suffix_for
from bot.text import http_url_problem

if TYPE_CHECKING:
    from bot.settings import Settings

ROBOTS_AGENT = "careerbot"  # the product token robots.txt rules name
_REDIRECTS = {301, 302, 303, 307, 308}
_LISTING_MAX_BYTES = 50 * 2**20  # sitemaps.org's limit for one (uncompressed) sitemap
_MAX_SITEMAPS = 1000  # nested sitemaps read per site, as a guard against generated loops
_ROBOTS_MAX_BYTES = 500 * 1024  # RFC 9309 asks crawlers to read at least 500 KiB

class ClientError(LoadError):
    """HTTP 4xx other than 404/410 (those are `Gone`)."""


@dataclass(frozen=True)
class Response:
    url: str  # after redirects
    status: int
    location: str | None = None  # where a redirect points
    data: bytes = b""
    content_type: str = ""
    etag: str | None = None
    last_modified: str | None = None


def url_problem(url: str) -> str | None:
    """Why careerbot will not fetch this URL, or None."""
    parts = urlsplit(url)
    if parts.scheme in ("http", "https") and (parts.username or parts.password):
        return "URL carries credentials; careerbot does not send them"
    return http_url_problem(url)


def same_host(url: str, other: str) -> bool:
    first, second = urlsplit(url), urlsplit(other)
    return (first.hostname, first.port) == (second.hostname, second.port)


class Fetcher:
    """One HTTP client per run: the careerbot User-Agent, robots.txt, a per-host pause, timeouts, size caps."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._client = httpx.Client(timeout=settings.url_timeout_s, headers={"User-Agent": settings.user_agent})
        self._robots: dict[str, RobotFileParser | LoadError] = {}
        self._next_turn: dict[str, float] = {}

    def close(self) -> None:
        self._client.close()

    def robots_refusal(self, url: str) -> LoadError | None:
        """Why robots.txt keeps careerbot from `url`, or None."""
        origin = _origin(url)
        if origin not in self._robots:
            self._robots[origin] = self._read_robots(origin)
        rules = self._robots[origin]
        if isinstance(rules, LoadError):
            return rules
        return None if rules.can_fetch(ROBOTS_AGENT, url) else Ignored("disallowed by robots.txt")

    def fetch(self, url: str, *, max_bytes: int, headers: Mapping[str, str] | None = None,
              content_types: Collection[str] | None = None, site: str | None = None) -> Response:
        """GET `url`, following redirects (only within `site`'s host when given); raises LoadError (Gone for
        404/410) with the one-line reason. With `content_types`, other types are refused before their body."""
        seen = [url]
        while True:
            response = self._get(seen[-1], max_bytes, headers or {}, content_types)
            if response.status not in _REDIRECTS:
                return response
            target = urldefrag(urljoin(seen[-1], response.location or ""))[0]
            problem = url_problem(target) or (None if site is None or same_host(target, site) else "outside the site")
            if problem:
                raise LoadError(f"redirected to {target}: {problem}")
            if target in seen:
                raise LoadError(f"redirect loop: {' -> '.join([*seen[seen.index(target):], target])}")
            if len(seen) > self.settings.max_redirects:
                raise LoadError(f"more than {self.settings.max_redirects} redirects")
            seen.append(target)

    def _get(self, url: str, max_bytes: int, headers: Mapping[str, str],
             content_types: Collection[str] | None) -> Response:
        """One request; a redirect is returned, not followed."""
        self._wait_turn(url)
        deadline = time.monotonic() + self.settings.url_timeout_s
        try:
            with self._client.stream("GET", url, headers=dict(headers)) as response:
                status = response.status_code
                if status in _REDIRECTS and "location" in response.headers:
                    return Response(url, status, location=response.headers["location"])
                if status == 304:
                    return Response(url, status)
                if status in (404, 410):
                    raise Gone(f"HTTP {status}")
                if status >= 400:
                    raise (ClientError if status < 500 else LoadError)(f"HTTP {status}")
                content_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
                if content_types is not None and content_type not in content_types:
                    raise LoadError(f"not an article: {content_type or 'no content type'}")
                data = _read_capped(response, max_bytes, deadline)
                return Response(str(response.url), status, data=data, content_type=content_type,
                                etag=response.headers.get("etag"), last_modified=response.headers.get("last-modified"))
        except httpx.TimeoutException:
            raise LoadError(f"timed out after {self.settings.url_timeout_s:g}s") from None
        except httpx.HTTPError as error:
            raise LoadError(f"could not fetch: {error.__class__.__name__} {error}".strip()) from None
        finally:
            self._next_turn[_origin(url)] = time.monotonic() + self._delay(url)

    def _wait_turn(self, url: str) -> None:
        pause = self._next_turn.get(_origin(url), 0.0) - time.monotonic()
        if pause > 0:
            time.sleep(pause)

    def _delay(self, url: str) -> float:
        rules = self._robots.get(_origin(url))
        robots_delay = rules.crawl_delay(ROBOTS_AGENT) if isinstance(rules, RobotFileParser) else None
        return max(self.settings.crawl_delay_s, float(robots_delay or 0))

    def _read_robots(self, origin: str) -> RobotFileParser | LoadError:
        """RFC 9309: a missing robots.txt (4xx) allows everything; an unreachable one (5xx, network) nothing."""
        rules = RobotFileParser(origin + "/robots.txt")
        try:
            response = self.fetch(origin + "/robots.txt", max_bytes=_ROBOTS_MAX_BYTES)
        except (Gone, ClientError):
            rules.allow_all = True  # type: ignore[attr-defined]  # the parser's own flag; typeshed lacks it
            return rules
        except LoadError as error:
            return LoadError(f"robots.txt unreachable: {error}")
        rules.parse(response.data.decode("utf-8", errors="replace").splitlines())
        return rules


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _read_capped(response: httpx.Response, max_bytes: int, deadline: float) -> bytes:
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise LoadError(f"larger than {max_bytes / 2**20:g} MB ({int(declared) / 2**20:.0f} MB)")
    body, received = [], 0
    for piece in response.iter_bytes():
        received += len(piece)
        if received > max_bytes:
            raise LoadError(f"larger than {max_bytes / 2**20:g} MB")
        if time.monotonic() > deadline:
            raise httpx.ReadTimeout("whole download took too long")
        body.append(piece)
    return b"".join(body)


def _gunzip(data: bytes, max_bytes: int) -> bytes:
    """A gzipped sitemap (`.xml.gz` served as a file), read no further than the cap: no gzip bombs."""
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as unzipped:
            text = unzipped.read(max_bytes + 1)
    except (OSError, EOFError) as error:
        raise LoadError(f"broken gzip file: {error}") from None
    if len(text) > max_bytes:
        raise LoadError(f"unzipped sitemap larger than {max_bytes / 2**20:g} MB")
    return text


def read_listing(url: str, text: str) -> tuple[list[str], list[str], bool]:
    """(nested sitemaps, page URLs, is a feed) of a sitemap, sitemap index or RSS/Atom/JSON feed."""
    from trafilatura.feeds import FeedParameters, find_links
    from trafilatura.sitemaps import SitemapObject, is_plausible_sitemap

    head = text.lstrip()[:1000]
    if ("<rss" in head or "<feed" in head or "<rdf:RDF" in head) and "<urlset" not in head:
        origin = _origin(url)
        links = [urljoin(url, link) for link in find_links(text.strip(), FeedParameters(origin, origin, url))]
        # An Atom feed's own <link>s name the site's home page, not an article.
        return [], [link for link in links if urlsplit(link).path not in ("", "/") and link != url], True
    if not is_plausible_sitemap(url, text):
        raise LoadError("not a sitemap: neither sitemap XML nor a feed")

    class _Sitemap(SitemapObject):
        # trafilatura's own link check drops hosts without a registered domain (see the module docstring).
        def handle_link(self, link: str) -> None:
            link = urljoin(self.base_url, link.strip())
            if link != self.current_url:
                (self.sitemap_urls if _looks_like_sitemap(link) else self.urls).append(link)

    sitemap = _Sitemap(url, urlsplit(url).hostname or "", [])
    sitemap.current_url, sitemap.content = url, text
    sitemap.process()
    if not sitemap.sitemap_urls and not sitemap.urls:
        raise LoadError("no URLs in the sitemap")
    return sitemap.sitemap_urls, sitemap.urls, False


def _looks_like_sitemap(url: str) -> bool:
    from trafilatura.sitemaps import DETECT_SITEMAP_LINK

    return bool(DETECT_SITEMAP_LINK.search(url))


def page_links(html: bytes, url: str) -> list[str]:
    """Links of a page (absolute, without fragments, normalised by courlan), in page order."""
    import lxml.html
    from courlan import normalize_url

    try:
        tree = lxml.html.fromstring(html, base_url=url)
    except (ValueError, lxml.etree.ParserError):
        return []
    links = (urldefrag(urljoin(url, href.strip()))[0] for href in tree.xpath("//a/@href"))
    return list(dict.fromkeys(normalize_url(link) for link in links if not url_problem(link)))


@dataclass
class Site:
    """Pages from the web for ingest: the fetching, conditional re-fetch and parsing every source shares. A
    subclass says which pages (`_found`); `SOURCES` names them for ingest.py."""

    kind: ClassVar[str]
    url: str
    settings: Settings
    _fetcher: Fetcher = field(init=False, repr=False)
    _listed: set[str] = field(default_factory=set, init=False, repr=False)
    _gone: set[str] = field(default_factory=set, init=False, repr=False)
    _final_urls: dict[str, str] = field(default_factory=dict, init=False, repr=False)  # after redirects -> listed

    def load(self, stored: Mapping[str, StoredArticle], progress: bool) -> Iterator[tuple[str, Loaded]]:
        self._fetcher, self._listed, self._gone, self._final_urls = Fetcher(self.settings), set(), set(), {}
        bar = tqdm(desc=f"{self.kind} {urlsplit(self.url).netloc}", unit=" pages", disable=not progress)
        counts = {"fetched": 0, "unchanged": 0, "skipped": 0, "failed": 0}
        try:
            for source, loaded in self._pages(stored, bar):
                kind = ("unchanged" if isinstance(loaded, Unchanged) else "skipped" if isinstance(loaded, Ignored)
                        else "failed" if isinstance(loaded, LoadError) else "fetched")
                counts[kind] += 1
                bar.set_postfix(counts, refresh=False)
                bar.update()
                yield source, loaded
        finally:
            bar.close()
            self._fetcher.close()

    def gone(self, stored: Mapping[str, StoredArticle]) -> set[str]:
        return set(self._gone)

    def _pages(self, stored: Mapping[str, StoredArticle], bar: tqdm) -> Iterator[tuple[str, Loaded]]:
        problem = url_problem(self.url)
        if problem:
            yield self.url, LoadError(problem)
            return
        yield from self._found(stored, bar)
        if self._revisits():
            # A feed lists recent posts and a crawl stops at its limits: pages stored earlier are asked for
            # again (cheaply, conditionally), so edits reach the store and deleted pages can be pruned.
            for url in sorted(s for s, r in stored.items() if r.meta.get("site") == self.url and s not in self._listed):
                self._listed.add(url)
                yield url, self._load_page(url, stored[url])

    def _found(self, stored: Mapping[str, StoredArticle], bar: tqdm) -> Iterator[tuple[str, Loaded]]:
        """The pages this source finds, each with what became of it."""
        raise NotImplementedError

    def _revisits(self) -> bool:
        """Whether pages stored from this source earlier, and not found now, are asked for again."""
        return True

    def _site(self) -> str | None:
        """The site redirects must stay within (None: any host, as in a browser)."""
        return self.url

    # --- one page ----------------------------------------------------------------------------------------

    def _load_page(self, url: str, stored: StoredArticle | None) -> Loaded:
        return self._as_loaded(url, self._download(url, stored))

    def _download(self, url: str, stored: StoredArticle | None) -> Response | LoadError:
        """The page (a 304 when `stored` is current), or why it was not downloaded."""
        problem = url_problem(url)
        if not problem and not same_host(url, self.url):
            problem = f"outside the site ({urlsplit(url).netloc})"
        if problem:
            return LoadError(problem)
        refusal = self._fetcher.robots_refusal(url)
        if refusal:
            return refusal
        try:
            # One page given on its own may move to another host, as in a browser; a site's pages may not.
            response = self._fetcher.fetch(url, max_bytes=int(self.settings.max_page_mb * 2**20),
                                           headers=_conditional_headers(stored), content_types=_page_types(),
                                           site=self._site())
        except Gone as error:
            self._gone.add(url)
            return error
        except LoadError as error:
            return error
        first = self._final_urls.setdefault(response.url, url)
        return Ignored(f"same page as {first}") if first != url else response

    def _as_loaded(self, url: str, response: Response | LoadError) -> Loaded:
        if isinstance(response, LoadError):
            return response
        if response.status == 304:
            return Unchanged()
        try:
            document = parse(_article(url, response))
        except LoadError as error:
            return error
        versions = {"etag": response.etag, "last_modified": response.last_modified, "site": self.url}
        document.metadata |= {key: value for key, value in versions.items() if value}
        return document


@dataclass
class Page(Site):
    """One URL, which may move to another host (as in a browser)."""

    kind = "page"

    def _found(self, stored: Mapping[str, StoredArticle], bar: tqdm) -> Iterator[tuple[str, Loaded]]:
        self._listed.add(self.url)
        yield self.url, self._load_page(self.url, stored.get(self.url))

    def _site(self) -> str | None:
        return None


@dataclass
class Listing(Site):
    """A sitemap (and the sitemaps it names) or an RSS / Atom / JSON feed."""

    kind = "listing"
    _listing_complete: bool = field(default=False, init=False, repr=False)  # every sitemap read, none failed
    _is_feed: bool = field(default=False, init=False, repr=False)  # lists recent posts only: no prune by absence

    def gone(self, stored: Mapping[str, StoredArticle]) -> set[str]:
        if not self._listing_complete or self._is_feed:
            return set(self._gone)
        left = {source for source, record in stored.items() if record.meta.get("site") == self.url}
        return self._gone | (left - self._listed)

    def _found(self, stored: Mapping[str, StoredArticle], bar: tqdm) -> Iterator[tuple[str, Loaded]]:
        yield from self._listing()
        bar.total = len(self._listed)
        for url in sorted(self._listed):
            yield url, self._load_page(url, stored.get(url))

    def _revisits(self) -> bool:
        return self._is_feed

    def _listing(self) -> Iterator[tuple[str, LoadError]]:
        """Read the sitemap (and the sitemaps it names) into `_listed`; yields the ones that failed."""
        queue, read = [self.url], set[str]()
        self._listing_complete, self._is_feed = True, False
        while queue and len(read) < _MAX_SITEMAPS:
            url = queue.pop(0)
            if url in read:
                continue
            read.add(url)
            try:
                sitemaps, pages, is_feed = self._read_sitemap(url)
            except LoadError as error:
                self._listing_complete = False
                yield url, error
                continue
            self._is_feed = self._is_feed or is_feed
            queue += sitemaps
            self._listed.update(pages)

    def _read_sitemap(self, url: str) -> tuple[list[str], list[str], bool]:
        problem = url_problem(url) or (None if same_host(url, self.url) else "outside the site")
        if problem:
            raise LoadError(problem)
        refusal = self._fetcher.robots_refusal(url)
        if refusal:
            raise refusal
        data = self._fetcher.fetch(url, max_bytes=_LISTING_MAX_BYTES, site=self.url).data
        if data[:2] == b"\x1f\x8b":
            data = _gunzip(data, _LISTING_MAX_BYTES)
        return read_listing(url, data.decode("utf-8", errors="replace"))


@dataclass
class Crawl(Site):
    """Breadth first from a start page through links within its area (its folder on the same host)."""

    kind = "crawl"
    max_pages: int | None = None
    max_depth: int | None = None

    def _found(self, stored: Mapping[str, StoredArticle], bar: tqdm) -> Iterator[tuple[str, Loaded]]:
        from courlan import is_navigation_page

        area = self.url.rsplit("/", 1)[0] if self.url.count("/") >= 3 else self.url
        max_pages = self.max_pages or self.settings.crawl_max_pages
        max_depth = self.settings.crawl_max_depth if self.max_depth is None else self.max_depth
        queue = [(self.url, 0)]
        self._listed.add(self.url)
        while queue and max_pages:
            url, depth = queue.pop(0)
            max_pages -= 1
            # The start folder and index pages (tags, categories, page 2...) are followed, not stored.
            if (url == self.url and self.url.endswith("/")) or is_navigation_page(url):
                response = self._download(url, None)
                if isinstance(response, LoadError):
                    yield url, response
                    continue
            else:
                response = self._download(url, stored.get(url))
                yield url, self._as_loaded(url, response)
            if not isinstance(response, Response) or depth >= max_depth or not response.content_type.endswith("html"):
                continue
            for link in page_links(response.data, response.url):
                if link not in self._listed and _worth_crawling(link, area):
                    self._listed.add(link)
                    queue.append((link, depth + 1))


# The web sources ingest.py offers (--url / --sitemap and --feed / --crawl): a source is a Site subclass and a
# line here.
SOURCES: dict[str, type[Site]] = {"page": Page, "listing": Listing, "crawl": Crawl}


def _worth_crawling(link: str, area: str) -> bool:
    """Inside the crawl's area (a folder on the same host), and by courlan's rules a page, not a file, login
    or feed."""
    from courlan import is_not_crawlable
    from courlan.filters import extension_filter

    in_area = (link == area or link.startswith(area + "/")) and same_host(link, area)
    return in_area and extension_filter(urlsplit(link).path) and not is_not_crawlable(link)


def _page_types() -> set[str]:
    """The content types a page may have: those of the loaders, and none (then the URL's suffix decides)."""
    return {content_type for found in LOADERS.values() for content_type in found.content_types} | {""}


def _article(url: str, response: Response) -> Article:
    by_name = PurePosixPath(urlsplit(response.url).path).suffix.lower()
    suffix = suffix_for(response.content_type) or by_name or ".html"
    return Article(source=url, data=response.data, suffix=suffix, url=response.url)


def _conditional_headers(stored: StoredArticle | None) -> dict[str, str]:
    """Validators of the stored copy, sent only when it is whole: a 304 then proves the store current."""
    if stored is None or not stored.is_whole():
        return {}
    headers = {"If-None-Match": stored.meta.get("etag"), "If-Modified-Since": stored.meta.get("last_modified")}
    return {name: str(value) for name, value in headers.items() if value}
