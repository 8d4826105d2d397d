"""Add articles to careerbot's library: python ingest.py [PATH_OR_URL ...]  (default: the knowledge folder)."""

from __future__ import annotations

import argparse
import logging
import sys

import bot  # noqa: F401 - offline switches first
from bot.settings import get_settings


def main(argv: list[str] | None = None) -> int:
    settings = get_settings()
    parser = argparse.ArgumentParser(
        description="Clean, chunk, embed and store articles (.md .txt .html .pdf, folders, http(s) URLs). "
        "Unchanged articles are skipped; changed ones replace their old chunks.",
    )
    parser.add_argument("targets", nargs="*", metavar="PATH_OR_URL",
                        help=f"files, folders or URLs (default: {settings.knowledge_dir})")
    parser.add_argument("--prune", action="store_true", help="remove stored articles whose files are gone from the given folders")
    parser.add_argument("--dry-run", action="store_true", help="show what would change, change nothing")
    parser.add_argument("--rebuild", action="store_true", help="empty the collection first and ingest afresh")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress bars")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(message)s")
    # A broken PDF is reported once, as a skipped file, not also as pypdf's own warnings.
    logging.getLogger("pypdf").setLevel(logging.ERROR)

    from bot.indexing import ingest
    from bot.store import describe

    report = ingest(args.targets or [str(settings.knowledge_dir)], settings, prune=args.prune,
                    dry_run=args.dry_run, rebuild=args.rebuild, progress=not args.quiet)
    for source, reason in report.failed:
        print(f"skipped {source}: {reason}", file=sys.stderr)
    print(f"{report.summary()} -> {describe(settings)}")
    return 1 if report.failed else 0


if __name__ == "__main__":
    sys.exit(main())
