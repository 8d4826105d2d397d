"""Answers written by any server that speaks the OpenAI chat API: Ollama, vLLM, llama.cpp server, LM Studio,
OpenAI itself. Uses LangChain's ChatOpenAI; what it writes is checked by the chain before anyone trusts it.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from functools import cached_property
from typing import TYPE_CHECKING, Any

from langchain_core.documents import Document

from bot.answer.backends.base import AnswerBackend
from bot.answer.backends.prompt import messages

if TYPE_CHECKING:
    from bot.settings import Settings

_MAX_TOKENS = 400  # bounds how long a slow server can keep a request busy, beyond the per-read timeout
_TEMPERATURE = 0.1  # near-deterministic: the answer should restate the passages, not be creative


class OpenAIBackend(AnswerBackend):
    name = "openai"

    def __init__(self, base_url: str, model: str, api_key: str | None = None, timeout_s: float = 30.0) -> None:
        self.base_url, self.model, self.api_key, self.timeout_s = base_url, model, api_key, timeout_s

    @classmethod
    def from_settings(cls, settings: Settings | None) -> OpenAIBackend:
        if settings is None:
            raise ValueError("the openai backend needs settings (llm_base_url, llm_model, ...)")
        return cls(settings.llm_base_url, settings.llm_model, settings.llm_api_key, settings.llm_timeout_s)

    @cached_property
    def llm(self) -> Any:
        try:
            from langchain_openai import ChatOpenAI
        except ImportError:  # pragma: no cover - it is in requirements.txt; explained if someone removed it
            raise RuntimeError("the openai backend needs langchain-openai: pip install -r requirements.txt") from None
        return ChatOpenAI(
            base_url=self.base_url, model=self.model,
            # Local servers (Ollama, llama.cpp) need no key, but the client refuses to start without one.
            api_key=self.api_key or "not-needed",
            # The timeout is per network wait (connect, first byte, each streamed chunk), not per answer.
            timeout=self.timeout_s,
            # No retries: a failed call falls back to the composer at once instead of stalling the user.
            max_retries=0,
            temperature=_TEMPERATURE, max_tokens=_MAX_TOKENS,
        )

    def stream(self, question: str, passages: Sequence[Document]) -> Iterator[str]:
        for chunk in self.llm.stream(messages(question, passages)):
            if isinstance(chunk.content, str) and chunk.content:
                yield chunk.content
