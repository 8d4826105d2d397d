"""Answer backends: turn numbered passages into an answer that cites them as [n].

`composer` (offline, extractive, always available) is the default and the fallback of every other one;
`openai` asks any OpenAI-compatible chat server; `local` runs the bundled SmolLM2 (requirements-llm.txt).
Generated answers are checked by bot/backends/verify.py before the chain shows them.
"""

from __future__ import annotations

from bot.backends.base import AnswerBackend
from bot.backends.composer import Composer

__all__ = ["BACKEND_NAMES", "AnswerBackend", "Composer", "make_backend"]

BACKEND_NAMES = ("composer", "openai", "local")


def make_backend(name: str, settings: object | None = None) -> AnswerBackend:
    """Backends with optional dependencies are imported only when chosen."""
    if name == "composer":
        return Composer()
    if name == "openai":
        from bot.backends.openai import OpenAIBackend

        if settings is None:
            raise ValueError("the openai backend needs settings (llm_base_url, llm_model, ...)")
        return OpenAIBackend.from_settings(settings)
    if name == "local":
        from bot.backends.local import LocalBackend

        return LocalBackend()
    raise ValueError(f"unknown backend {name!r}; choose one of {', '.join(BACKEND_NAMES)}")
