"""Add articles to careerbot's library: python ingest.py [PATH_OR_URL ...]  (default: the knowledge folder),
whole web sites with --sitemap / --feed / --crawl, and a folder kept in sync with --watch."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

import bot  # noqa: F401 - offline switches first
from bot.settings import get_settings


def main(argv: list[str] | None = None) -> int:
    settings = get_settings()
    parser = argparse.ArgumentParser(
        description="Clean, chunk, embed and store articles (.md .txt .html .pdf, folders, http(s) URLs, whole "
        "sites). Unchanged articles are skipped; changed ones replace their old chunks; web pages are "
        "re-fetched only when the server says they changed.",
    )
    parser.add_argument("targets", nargs="*", metavar="PATH_OR_URL",
                        help=f"files, folders or URLs (default without sites: {settings.knowledge_dir})")
    site = parser.add_argument_group("web sites")
    site.add_argument("--sitemap", action="append", default=[], metavar="URL",
                      help="every page of a sitemap or sitemap index (.xml, .xml.gz); a feed works too")
    site.add_argument("--feed", action="append", default=[], metavar="URL", help="every post of an RSS/Atom feed")
    site.add_argument("--crawl", action="append", default=[], metavar="URL",
                      help="follow links from URL within its folder on the same host")
    site.add_argument("--max-pages", type=int, metavar="N",
                      help=f"pages one crawl fetches at most (default {settings.crawl_max_pages})")
    site.add_argument("--max-depth", type=int, metavar="D",
                      help=f"links followed from the start page (default {settings.crawl_max_depth})")
    parser.add_argument("--prune", action="store_true",
                        help="remove stored articles whose files are gone from the given folders, and pages that "
                        "left their sitemap or now answer 404/410")
    parser.add_argument("--watch", nargs="?", const=settings.knowledge_dir, type=Path, metavar="DIR",
                        help=f"ingest DIR (default {settings.knowledge_dir}), then again whenever its articles are "
                        "added, changed or removed, until Ctrl-C")
    parser.add_argument("--dry-run", action="store_true", help="show what would change, change nothing")
    parser.add_argument("--rebuild", action="store_true", help="empty the collection first and ingest afresh")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress bars")
    args = parser.parse_args(argv)
    others = args.targets or args.sitemap or args.feed or args.crawl or args.dry_run or args.rebuild
    if args.watch is not None and others:
        parser.error("--watch takes only its folder (and always prunes what leaves it)")
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(message)s")
    # A broken PDF or sitemap is reported once, as a skipped input, not also as the parser's own warnings.
    for noisy in ("pypdf", "trafilatura", "courlan"):
        logging.getLogger(noisy).setLevel(logging.ERROR)

    from bot.ingest.indexing import IngestReport, ingest
    from bot.ingest.sites import Crawl, Listing, Page
    from bot.store import describe

    def show(report: IngestReport) -> None:
        for source, reason in report.ignored:
            print(f"ignored {source}: {reason}", file=sys.stderr, flush=True)
        for source, reason in report.failed:
            print(f"skipped {source}: {reason}", file=sys.stderr, flush=True)
        print(f"{report.summary()} -> {describe(settings)}", flush=True)

    if args.watch is not None:
        from bot.ingest.watch import watch_folder

        print(f"watching {args.watch} (Ctrl-C stops)", flush=True)
        watch_folder(args.watch, settings, show)
        return 0
    urls = [target for target in args.targets if "://" in target]
    paths = [target for target in args.targets if "://" not in target]
    sites = [Page(url, settings) for url in urls]
    sites += [Listing(url, settings) for url in args.sitemap + args.feed]
    sites += [Crawl(url, settings, args.max_pages, args.max_depth) for url in args.crawl]
    if not paths and not sites:
        paths = [str(settings.knowledge_dir)]
    report = ingest(paths, settings, sites=sites, prune=args.prune, dry_run=args.dry_run, rebuild=args.rebuild,
                    progress=not args.quiet)
    show(report)
    return 1 if report.failed else 0


if __name__ == "__main__":
    sys.exit(main())
