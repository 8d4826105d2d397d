"""Site sync speed against a local web site of generated articles listed by a sitemap:

    python -m bench.sync [--pages 300] [--words 500]

1. the first sync (download, parse, embed everything): the baseline;
2. an unchanged re-sync: every page asked for with its ETag / Last-Modified, every answer a 304 (goal: < 5 s,
   0 embeddings);
3. the same re-sync against a server without validators: every page downloaded and parsed again, found
   unchanged by its content hash (still 0 embeddings) - what the conditional requests save.

The per-host pause is 0 here: the server is local and the bench measures careerbot, not politeness.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

import bot  # noqa: F401 - offline switches first
from bot.testing.siteserver import SiteServer, generated_site
from bot.ingest.indexing import IngestReport, ingest
from bot.settings import Settings
from bot.ingest.sites import Listing


def _sync(settings: Settings, sitemap: str) -> tuple[float, IngestReport]:
    started = time.perf_counter()
    report = ingest([], settings, sites=[Listing(sitemap, settings)], progress=False)
    return time.perf_counter() - started, report


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=300)
    parser.add_argument("--words", type=int, default=500)
    args = parser.parse_args(argv)

    workdir = Path(tempfile.mkdtemp(prefix="careerbot-bench-sync-"))
    settings = Settings(_env_file=None, store_dir=workdir / "store", knowledge_dir=workdir, crawl_delay_s=0.0)
    server = SiteServer()
    paths = generated_site(server, args.pages, args.words)
    try:
        with server.running():
            sitemap = server.url + "/sitemap.xml"
            first_s, first = _sync(settings, sitemap)
            assert len(first.added) == args.pages and not first.failed, first.summary()

            server.reset_counts()
            again_s, again = _sync(settings, sitemap)
            answered_304 = sum(server.not_modified.values())
            assert len(again.unchanged) == args.pages, again.summary()

            for path in paths:  # a server without ETag / Last-Modified
                server.routes[path].etag, server.routes[path].last_modified = False, None
            _sync(settings, sitemap)  # the stored validators are dropped (metadata rewritten, nothing embedded)
            blind_s, blind = _sync(settings, sitemap)
            assert len(blind.unchanged) == args.pages, blind.summary()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    print(f"site of {args.pages} pages ({first.chunks_written} chunks), local server, 0 s per-host pause")
    print(f"first sync (baseline):        {first_s:7.2f} s  {first.chunks_embedded} embeddings")
    print(f"unchanged re-sync:            {again_s:7.2f} s  {again.chunks_embedded} embeddings, "
          f"{answered_304}/{args.pages} answered 304  -> {first_s / again_s:.0f}x faster than the first sync "
          f"(goal < 5 s: {'met' if again_s < 5 and again.chunks_embedded == 0 else 'NOT met'})")
    print(f"re-sync, server w/o ETag/LM:  {blind_s:7.2f} s  {blind.chunks_embedded} embeddings "
          f"(full download + parse)  -> conditional requests are {blind_s / again_s:.1f}x faster")


if __name__ == "__main__":
    main()
