"""Content gaps in the terminal, for a cron job or a mail: python -m bot.owner.report [--days N] [--limit N]

The questions careerbot declined, or answered and got a thumbs down for, grouped by meaning, largest group
first: the articles the library is missing. The same list as the owner's page (/admin).
"""

from __future__ import annotations

import argparse
import sys
import textwrap
from pathlib import Path

import bot  # noqa: F401 - offline switches first
from bot.settings import Settings, get_settings

WIDTH = 100


def main(argv: list[str] | None = None) -> int:
    settings = get_settings()
    parser = argparse.ArgumentParser(prog="python -m bot.owner.report", description=__doc__.split("\n\n")[0])
    parser.add_argument("--days", type=int, default=settings.insights_days,
                        help=f"days covered, today included (default {settings.insights_days}, "
                             "CAREERBOT_INSIGHTS_DAYS)")
    parser.add_argument("--limit", type=int, default=20, help="groups shown at most (default 20)")
    args = parser.parse_args(argv)
    if args.days < 1 or args.limit < 1:
        parser.error("--days and --limit must be at least 1")
    problem = _unavailable(settings)
    if problem:
        print(problem)
        return 1 if not settings.log_conversations else 0
    print(report(settings, args.days, args.limit))
    return 0


def _unavailable(settings: Settings) -> str | None:
    """Why there is nothing to report yet, or None."""
    from sqlalchemy.engine import make_url

    from bot.owner.log import current_version, database_url, open_engine, reading

    if not settings.log_conversations:
        return ("Recording is off (CAREERBOT_LOG_CONVERSATIONS=false): careerbot keeps no log of questions, so "
                "there are no content gaps to report. Turn it on to see what readers ask that the library lacks.")
    url = make_url(database_url(settings))
    if url.get_backend_name() == "sqlite" and not Path(url.database or "").exists():
        return f"No exchange log yet at {url.database}: the app creates it when readers ask their first questions."
    engine = open_engine(settings)
    try:
        with reading(engine).connect() as conn:
            if current_version(conn) == 0:
                return "The exchange log is empty: the app records questions as readers ask them."
    finally:
        engine.dispose()
    return None


def _articles(settings: Settings) -> list:
    """The library's articles (their common topic is set aside when grouping); none if there is no store."""
    from bot.conversation.catalog import Catalog
    from bot.store import get_collection, revision

    if not settings.chroma_url and not settings.store_dir.exists():
        return []  # opening it would create an empty store
    return Catalog(lambda: get_collection(settings), revision(settings)).articles()


def report(settings: Settings, days: int, limit: int) -> str:
    from bot.owner.log import open_engine
    from bot.owner.insights import content_gaps, logged_count

    engine = open_engine(settings)
    try:
        logged = logged_count(engine, days)
        articles = _articles(settings)
        gaps = content_gaps(engine, days, settings.gap_distance, settings.gap_max_questions, articles)
    finally:
        engine.dispose()
    span = f"the last {days} days (UTC)" if days > 1 else "today (UTC)"
    if not gaps:
        return f"No content gaps in {span}: of {_questions(logged)} logged, none was declined or rated down."
    asked = sum(gap.count for gap in gaps)
    lines = [f"Content gaps in {span}: {asked} of {_questions(logged)} were declined or rated down; "
             f"{len(gaps)} topics, largest first{f' (top {limit} shown)' if len(gaps) > limit else ''}.", ""]
    for rank, gap in enumerate(gaps[:limit], 1):
        lines.append(_wrapped(f"{rank:>2}. {_printable(gap.label)}", "    "))
        what = [f"{gap.declined} declined" if gap.declined else "", f"{gap.disliked} rated down" if gap.disliked else ""]
        lines.append(f"    asked by {gap.count} reader{'s' if gap.count != 1 else ''} ({', '.join(w for w in what if w)}), "
                     f"last on {gap.last_asked:%Y-%m-%d}")
        lines += [_wrapped(f"    also: {_printable(example)}", "          ") for example in gap.examples]
        lines += [_wrapped(f"    reader: {_printable(reason)}", "            ") for reason in gap.reasons]
        lines.append("")
    return "\n".join(lines).rstrip()


def _questions(count: int) -> str:
    return f"{count} question{'s' if count != 1 else ''}"


def _printable(text: str) -> str:
    """Reader text with control characters (terminal escape sequences among them) shown as spaces."""
    return " ".join("".join(c if c.isprintable() else " " for c in text).split())


def _wrapped(text: str, indent: str) -> str:
    return textwrap.fill(text, WIDTH, subsequent_indent=indent)


if __name__ == "__main__":
    sys.exit(main())
