"""Running a streamed answer from async routes: gated by how many answers the machine can retrieve at once,
and with the pieces a backend writes in quick succession moved across threads in one batch."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Iterator
from itertools import islice

from anyio import CapacityLimiter, to_thread

from bot.answer.backends import backend_class
from bot.answer.pipeline import Answer
from bot.settings import Settings

# Pieces the backend has ready within this window leave in one thread hop: a per-word hop made 50 streams
# queue behind each other's retrievals for the default thread pool, stretching every answer.
_DRAIN_S = 0.02


def sse(data: dict, event: str | None = None) -> str:
    """One Server-Sent Event: named (careerbot's /api/chat/stream) or bare data (the OpenAI-compatible route)."""
    head = f"event: {event}\n" if event else ""
    return f"{head}data: {json.dumps(data, ensure_ascii=False)}\n\n"


def answer_gate(settings: Settings) -> CapacityLimiter:
    """How many answers may start (retrieve: embed the question, search Chroma) at once: the backend's own
    `concurrency()`."""
    return CapacityLimiter(backend_class(settings.backend).concurrency())


async def batches(pieces: Iterator[str | Answer], gate: CapacityLimiter) -> AsyncIterator[list[str | Answer]]:
    """The pieces of CareerBot.stream() in batches, the blocking work in worker threads (the first, which
    retrieves, through the gate)."""
    batch = await to_thread.run_sync(_first_piece, pieces, limiter=gate)
    while batch:
        yield batch
        batch = await to_thread.run_sync(_ready_pieces, pieces)


def _first_piece(pieces: Iterator[str | Answer]) -> list[str | Answer]:
    return list(islice(pieces, 1))


def _ready_pieces(pieces: Iterator[str | Answer]) -> list[str | Answer]:
    """Waits for one piece, then takes those that follow within _DRAIN_S; [] when the answer is over."""
    batch: list[str | Answer] = []
    deadline = 0.0
    for piece in pieces:
        batch.append(piece)
        deadline = deadline or time.monotonic() + _DRAIN_S
        if time.monotonic() >= deadline:
            break
    return batch
