"""Keep the library in step with a folder: ingest it, then again after every burst of changes to its articles.

Each pass re-reads the whole folder with `prune`: unchanged files cost a hash and no embedding (~0.4 s for
300 articles), and a removed or renamed file leaves the library, with no per-event bookkeeping to get wrong.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bot.ingest.indexing import IngestReport, ingest
from bot.ingest.loaders import LOADERS
from bot.settings import Settings


def is_article(_change: object, path: str) -> bool:
    """Changes worth a pass: supported files, not hidden ones (editors' swap and lock files)."""
    name = Path(path).name
    return Path(name).suffix.lower() in LOADERS and not name.startswith(".")


def watch_folder(folder: Path, settings: Settings, on_sync: Callable[[IngestReport], None],
                 stop_event: threading.Event | None = None) -> None:
    """Ingest `folder`, then again `watch_debounce_ms` after each burst of changes, until Ctrl-C (or SIGTERM) or
    `stop_event`. A stop asked for during a pass lets the pass finish: interrupted inside Chroma or the model, a
    pass could leave the store half written and the process waiting on their threads. A second Ctrl-C stops at once."""
    from watchfiles import watch

    stop = stop_event or threading.Event()
    previous = _stop_on_signals(stop)
    try:
        on_sync(ingest([str(folder)], settings, prune=True, progress=False))
        for _changes in watch(folder, watch_filter=is_article, debounce=settings.watch_debounce_ms,
                              stop_event=stop, raise_interrupt=False):
            if stop.is_set():
                break
            on_sync(ingest([str(folder)], settings, prune=True, progress=False))
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _stop_on_signals(stop: threading.Event) -> dict[int, Any]:
    """Make Ctrl-C and SIGTERM set `stop` (a second Ctrl-C raises as usual); the handlers they had before. Only the
    main thread can set handlers: elsewhere, none are set."""
    if threading.current_thread() is not threading.main_thread():
        return {}

    def on_signal(signum: int, _frame: object) -> None:
        if stop.is_set() and signum == signal.SIGINT:
            raise KeyboardInterrupt
        stop.set()

    return {signum: signal.signal(signum, on_signal) for signum in (signal.SIGINT, signal.SIGTERM)}
