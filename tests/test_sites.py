"""Whole web sites from a real HTTP server on 127.0.0.1: sitemap index with nested (and gzipped) sitemaps, a
feed, a crawl, robots.txt, redirects, bad pages of every kind, conditional re-fetch, prune, and SIGKILL."""

from __future__ import annotations

import gzip
from collections.abc import Iterator

import pytest

from bot.testing.siteserver import Route, SiteServer, generated_site
from bot.answer.pipeline import CareerBot
from bot.ingest.indexing import IngestReport, ingest
from bot.settings import Settings
from bot.ingest.loaders import LoadError
from bot.ingest.sites import SOURCES, read_listing
from bot.store import get_collection
from bot.testing.apprunner import free_port
from tests.test_indexing import chunk_texts, snapshot
from tests.test_ingest_cli import _kill_once_stored, finish, run_cli
from tests.test_loaders import ARTICLE, HTML_PAGE, PDF_LINES, pdf_bytes

DATA_SCIENTIST = """Data scientists explore messy data and explain what it means for the business.

## A typical week

They clean tables in SQL, fit statistical models in Python notebooks and present charts to product managers.
Most weeks end with a written summary of experiments, because decisions rest on clear evidence."""

ANALYST = """Data analysts answer business questions with dashboards, spreadsheets and careful SQL queries.

Many analysts later move into analytics engineering or data science after learning more statistics."""

NOTES = f"---\ntitle: Served notes on careers\n---\n\n{ARTICLE}\n"

GOOD = ["/blog/ml-engineer", "/blog/data-scientist", "/blog/old-analyst", "/blog/notes", "/blog/paper"]


def _bad_pages(site: SiteServer) -> dict[str, str]:
    """Listed URL -> the one-line reason it is skipped."""
    url = site.url
    return {
        f"{url}/blog/missing": "HTTP 404",
        f"{url}/blog/broken": "HTTP 500",
        f"{url}/blog/slow": "timed out after 1s",
        f"{url}/blog/photo": "not an article: image/png",
        f"{url}/blog/huge": "larger than 5 MB (20 MB)",
        f"{url}/blog/loop": f"redirect loop: {url}/blog/loop -> {url}/blog/loop-back -> {url}/blog/loop",
        f"{url}/blog/escape": "redirected to http://elsewhere.invalid/jobs: outside the site",
        f"{url}/blog/local-file": "redirected to file:///etc/passwd: not an http(s) URL (file:)",
        f"http://user:secret@{url[7:]}/blog/ml-engineer": "URL carries credentials; careerbot does not send them",
        "http://elsewhere.invalid/blog/post": "outside the site (elsewhere.invalid)",
        f"{url}/sitemaps/not-a-sitemap.xml": "not a sitemap: neither sitemap XML nor a feed",
    }


def _build(site: SiteServer) -> None:
    site.routes["/robots.txt"] = Route(b"User-agent: *\nDisallow: /blog/private/\n", "text/plain")
    site.routes["/blog/ml-engineer"] = Route(HTML_PAGE.encode())  # its canonical URL is on example.com
    site.page("/blog/data-scientist", "Becoming a data scientist", DATA_SCIENTIST, etag=False,
              last_modified=1_700_000_000)
    site.routes["/blog/old-analyst"] = Route(status=301, location="/blog/analyst")
    site.page("/blog/analyst", "The data analyst role", ANALYST)
    site.routes["/blog/notes"] = Route(NOTES.encode(), "text/markdown")
    site.routes["/blog/paper"] = Route(pdf_bytes(PDF_LINES, title="Served PDF"), "application/pdf")
    site.page("/blog/private/salaries", "Salaries", "Secret salary bands for every engineering level, by region.")
    site.routes["/blog/broken"] = Route(b"oops", status=500)
    site.page("/blog/slow", "Slow", "A page that takes too long to arrive at the client.", delay_s=3)
    site.routes["/blog/photo"] = Route(b"\x89PNG\r\n\x1a\n" + b"0" * 100, "image/png")
    site.routes["/blog/huge"] = Route(declared_bytes=20 * 2**20)
    site.routes["/blog/loop"] = Route(status=302, location="/blog/loop-back")
    site.routes["/blog/loop-back"] = Route(status=302, location="/blog/loop")
    site.routes["/blog/escape"] = Route(status=302, location="http://elsewhere.invalid/jobs")
    site.routes["/blog/local-file"] = Route(status=302, location="file:///etc/passwd")
    site.routes["/sitemaps/not-a-sitemap.xml"] = Route(b"<html><body>Our sitemap moved</body></html>")
    bad = [u for u in _bad_pages(site) if "sitemap" not in u]
    site.sitemap("/sitemaps/posts.xml", [*GOOD, "/blog/private/salaries"])
    site.sitemap("/sitemaps/bad.xml", bad)
    site.routes["/sitemaps/bad.xml.gz"] = Route(gzip.compress(site.routes.pop("/sitemaps/bad.xml").body),
                                                "application/gzip")
    site.sitemap("/sitemap_index.xml", ["/sitemaps/posts.xml", "/sitemaps/bad.xml.gz", "/sitemaps/not-a-sitemap.xml"],
                 index=True)
    # The blog's front page and a tag page, for the crawl; /about is outside the blog.
    links = "".join(f'<a href="{p}">{p}</a> ' for p in
                    ["/blog/ml-engineer", "/blog/data-scientist#top", "/blog/private/salaries", "/blog/tag/careers",
                     "/about", "http://elsewhere.invalid/blog/x", "/blog/photo.png"])
    site.routes["/blog/"] = Route(f"<html><body><h1>Blog</h1>{links}</body></html>".encode())
    site.routes["/blog/tag/careers"] = Route(b'<html><body><a href="/blog/notes">notes</a></body></html>')
    site.page("/about", "About us", "We are a careers blog with many writers and one editor.")


@pytest.fixture(scope="module")
def site() -> Iterator[SiteServer]:
    server = SiteServer()
    _build(server)
    with server.running():
        yield server


@pytest.fixture
def web_settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"crawl_delay_s": 0.0, "url_timeout_s": 1.0})


def sync(settings: Settings, kind: str, url: str, **options: object) -> IngestReport:
    limits = {key: options.pop(key) for key in ("max_pages", "max_depth") if key in options}
    site = SOURCES[kind](url, settings, **limits)
    return ingest([], settings, sites=[site], progress=False, **options)


def stored_meta(settings: Settings, source: str) -> dict:
    found = get_collection(settings).get(where={"source": source}, include=["metadatas"])
    assert found["metadatas"], f"{source} is not stored"
    return found["metadatas"][0]


def test_sitemap_index_ingests_the_site_and_gives_one_reason_per_skipped_page(
    site: SiteServer, web_settings: Settings
) -> None:
    site.reset_counts()
    report = sync(web_settings, "listing", site.url + "/sitemap_index.xml")
    assert sorted(report.added) == sorted(site.url + path for path in GOOD)
    assert dict(report.failed) == _bad_pages(site)
    assert report.ignored == [(site.url + "/blog/private/salaries", "disallowed by robots.txt")]
    assert site.requests["/blog/private/salaries"] == 0
    assert site.user_agents == {"careerbot-ingest/1.0"}

    # A redirect: stored under the listed URL, cited by where the page now lives.
    assert stored_meta(web_settings, site.url + "/blog/old-analyst")["url"] == site.url + "/blog/analyst"
    ml = stored_meta(web_settings, site.url + "/blog/ml-engineer")
    assert ml["etag"].startswith('"') and ml["site"] == site.url + "/sitemap_index.xml"
    assert stored_meta(web_settings, site.url + "/blog/data-scientist")["last_modified"].endswith(" GMT")
    assert stored_meta(web_settings, site.url + "/blog/paper")["title"] == "Served PDF"

    # Citations show the canonical URL the page declares.
    answer = CareerBot(web_settings).answer("What do machine learning engineers do?")
    assert answer.sources and answer.sources[0].url == "https://example.com/canonical-ml-engineer"
    assert answer.sources[0].source == site.url + "/blog/ml-engineer"


def test_resync_asks_with_validators_and_reembeds_only_changed_pages(
    site: SiteServer, web_settings: Settings, embedded_texts: list[str]
) -> None:
    posts = site.url + "/sitemaps/posts.xml"
    first = sync(web_settings, "listing", posts)
    assert len(first.added) == len(GOOD) and not first.failed
    before = snapshot(web_settings)
    site.reset_counts()
    embedded_texts.clear()

    again = sync(web_settings, "listing", posts)
    assert sorted(again.unchanged) == sorted(site.url + path for path in GOOD)
    assert again.chunks_written == 0 and embedded_texts == [] and snapshot(web_settings) == before
    # Every page was answered 304: by ETag, or by Last-Modified for the page without one.
    assert sorted(site.not_modified) == sorted(["/blog/ml-engineer", "/blog/data-scientist", "/blog/analyst",
                                                "/blog/notes", "/blog/paper"])

    original = site.routes["/blog/data-scientist"]
    try:
        site.page("/blog/data-scientist", "Becoming a data scientist",
                  DATA_SCIENTIST + "\n\nMentors help new data scientists choose their first real project.",
                  etag=False, last_modified=1_700_000_500)
        changed = sync(web_settings, "listing", posts)
    finally:
        site.routes["/blog/data-scientist"] = original
    assert changed.updated == [site.url + "/blog/data-scientist"] and len(changed.unchanged) == len(GOOD) - 1
    assert 0 < len(chunk_texts(embedded_texts)) < changed.chunks_written + 1
    assert any("Mentors help" in text for text in embedded_texts)


def test_prune_removes_pages_that_left_the_sitemap_or_are_gone(site: SiteServer, web_settings: Settings) -> None:
    for name in ("keep", "delisted", "deleted"):
        site.page(f"/prune/{name}", f"The {name} page", f"This {name} page explains how recruiters read a resume.")
    site.sitemap("/prune/sitemap.xml", ["/prune/keep", "/prune/delisted", "/prune/deleted"])
    sitemap = site.url + "/prune/sitemap.xml"
    assert len(sync(web_settings, "listing", sitemap).added) == 3

    site.sitemap("/prune/sitemap.xml", ["/prune/keep", "/prune/deleted"])
    site.routes["/prune/deleted"] = Route(b"gone", status=410)
    kept = sync(web_settings, "listing", sitemap)
    assert kept.failed == [(site.url + "/prune/deleted", "HTTP 410")] and kept.removed == []

    pruned = sync(web_settings, "listing", sitemap, prune=True)
    assert pruned.removed == [site.url + "/prune/deleted", site.url + "/prune/delisted"]
    assert {m["source"] for m in get_collection(web_settings).get(include=["metadatas"])["metadatas"]} == {
        site.url + "/prune/keep"}


def test_a_feed_adds_its_posts_and_keeps_older_ones(site: SiteServer, web_settings: Settings) -> None:
    site.page("/feed/first", "First post", "Bootcamps teach the basics of analytics in twelve busy weeks.")
    site.page("/feed/second", "Second post", "Portfolio projects show hiring managers how a candidate thinks.")

    def feed(*paths: str) -> Route:
        items = "".join(f"<item><title>{p}</title><link>{site.url}{p}</link></item>" for p in paths)
        return Route(f'<?xml version="1.0"?><rss version="2.0"><channel><title>Blog</title><link>{site.url}/</link>'
                     f"{items}</channel></rss>".encode(), "application/rss+xml")

    site.routes["/feed.xml"] = feed("/feed/first")
    assert sync(web_settings, "listing", site.url + "/feed.xml").added == [site.url + "/feed/first"]
    site.routes["/feed.xml"] = feed("/feed/second")  # the feed moved on: the first post is still on the site
    report = sync(web_settings, "listing", site.url + "/feed.xml", prune=True)
    assert report.added == [site.url + "/feed/second"]
    assert report.unchanged == [site.url + "/feed/first"] and report.removed == []


H = "http://blog.test"
SITEMAP_NS = 'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'


@pytest.mark.parametrize(("text", "listed"), [
    (f'<?xml version="1.0"?><urlset {SITEMAP_NS}><url><loc>{H}/a</loc><lastmod>2024-01-01</lastmod></url>'
     f"<url><loc>{H}/b</loc></url></urlset>", ([], [f"{H}/a", f"{H}/b"], False)),
    (f'<sitemapindex {SITEMAP_NS}><sitemap><loc>{H}/posts.xml</loc></sitemap>'
     f"<sitemap><loc>{H}/pages.xml.gz</loc></sitemap></sitemapindex>",
     ([f"{H}/posts.xml", f"{H}/pages.xml.gz"], [], False)),
    (f"{H}/a\n{H}/b\n", ([], [f"{H}/a", f"{H}/b"], False)),  # a plain-text sitemap
    (f'<?xml version="1.0"?><rss version="2.0"><channel><link>{H}/</link><item><link>{H}/a</link></item>'
     f"<item><link>{H}/b</link></item></channel></rss>", ([], [f"{H}/a", f"{H}/b"], True)),
    (f'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><link href="{H}/"/>'
     f'<link rel="self" href="{H}/sitemap.txt"/><entry><link href="{H}/a"/></entry></feed>', ([], [f"{H}/a"], True)),
])
def test_listings_name_their_pages(text: str, listed: tuple[list[str], list[str], bool]) -> None:
    assert read_listing(f"{H}/sitemap.txt", text) == listed


@pytest.mark.parametrize("text", ["<!doctype html><html><body>Sitemap</body></html>", "no links here"])
def test_a_listing_without_urls_is_refused(text: str) -> None:
    with pytest.raises(LoadError, match="not a sitemap|no URLs in the sitemap"):
        read_listing(f"{H}/sitemap.xml", text)


def test_two_urls_of_one_page_are_stored_once(site: SiteServer, web_settings: Settings) -> None:
    site.page("/dup/page", "Career changers", "Career changers often start as analysts before moving to engineering.")
    site.routes["/dup/short-link"] = Route(status=301, location="/dup/page")
    site.sitemap("/dup/sitemap.xml", ["/dup/page", "/dup/short-link"])
    report = sync(web_settings, "listing", site.url + "/dup/sitemap.xml")
    assert report.added == [site.url + "/dup/page"]
    assert report.ignored == [(site.url + "/dup/short-link", f"same page as {site.url}/dup/page")]


def test_crawl_follows_links_within_the_blog_only(site: SiteServer, web_settings: Settings) -> None:
    report = sync(web_settings, "crawl", site.url + "/blog/")
    # The front page and the tag page are followed, not stored; /about is outside /blog/, the .png not a page.
    assert sorted(report.added) == sorted(site.url + p for p in ["/blog/ml-engineer", "/blog/data-scientist",
                                                                 "/blog/notes"])
    assert report.ignored == [(site.url + "/blog/private/salaries", "disallowed by robots.txt")]
    assert not report.failed

    shallow = web_settings.model_copy(update={"store_dir": web_settings.store_dir.with_name("shallow")})
    assert site.url + "/blog/notes" not in sync(shallow, "crawl", site.url + "/blog/", max_depth=1).added
    limited = web_settings.model_copy(update={"store_dir": web_settings.store_dir.with_name("limited")})
    assert len(sync(limited, "crawl", site.url + "/blog/", max_pages=2).added) == 1


def test_polite_pause_between_requests_to_one_host(site: SiteServer, settings: Settings) -> None:
    site.reset_counts()
    polite = settings.model_copy(update={"crawl_delay_s": 0.5})
    assert sync(polite, "listing", site.url + "/sitemaps/posts.xml").added
    arrivals = [at for at, path in site.arrivals]
    # robots.txt, the sitemap, then each page (and the redirect's target), one at a time.
    assert len(arrivals) == 3 + len(GOOD) and site.arrivals[0][1] == "/robots.txt"
    assert min(later - earlier for earlier, later in zip(arrivals, arrivals[1:])) >= 0.5


def test_cli_bad_urls_one_line_each_and_exit_status_1(site: SiteServer, settings: Settings) -> None:
    refused = f"http://127.0.0.1:{free_port()}/article"
    # (trafilatura's sitemap parser itself drops locations that are not http(s) URLs.)
    process = run_cli(settings, "-q", site.url + "/blog/notes", "file:///etc/passwd", "ftp://127.0.0.1/cv", refused,
                      "--sitemap", site.url + "/sitemaps/not-a-sitemap.xml", env={"CAREERBOT_CRAWL_DELAY_S": "0"})
    status, out, err = finish(process)
    assert status == 1, err
    assert sorted(line for line in err.splitlines() if line.startswith("skipped ")) == sorted([
        "skipped file:///etc/passwd: not an http(s) URL (file:)",
        "skipped ftp://127.0.0.1/cv: not an http(s) URL (ftp:)",
        f"skipped {refused}: robots.txt unreachable: could not fetch: ConnectError [Errno 111] Connection refused",
        f"skipped {site.url}/sitemaps/not-a-sitemap.xml: not a sitemap: neither sitemap XML nor a feed",
    ])
    assert "documents: 1 added, 0 updated, 0 unchanged, 0 removed, 4 failed" in out


def test_sigkill_during_a_sync_then_rerun_equals_one_clean_sync(settings: Settings) -> None:
    server = SiteServer()
    generated_site(server, pages=40, words=250)
    with server.running():
        sitemap = server.url + "/sitemap.xml"
        env = {"CAREERBOT_CRAWL_DELAY_S": "0"}
        first = _kill_once_stored(run_cli(settings, "-q", "--sitemap", sitemap, embed_batch_size=4, env=env),
                                  settings.store_dir, more_than=0)
        second = _kill_once_stored(run_cli(settings, "-q", "--sitemap", sitemap, embed_batch_size=4, env=env),
                                   settings.store_dir, more_than=first)
        status, out, err = finish(run_cli(settings, "-q", "--sitemap", sitemap, embed_batch_size=4, env=env))
        assert status == 0, err

        clean = settings.model_copy(update={"store_dir": settings.store_dir.with_name("clean"), "crawl_delay_s": 0.0})
        assert not sync(clean, "listing", sitemap).failed
        recovered, expected = snapshot(settings), snapshot(clean)
        assert first < second < len(expected)
        assert recovered == expected
        # The repaired store is whole: the next sync is 40 answers of 304 and writes nothing.
        server.reset_counts()
        again = sync(settings.model_copy(update={"crawl_delay_s": 0.0}), "listing", sitemap)
        assert len(again.unchanged) == 40 and again.chunks_written == 0
        assert sum(server.not_modified.values()) == 40
