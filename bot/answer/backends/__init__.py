"""Answer backends: turn numbered passages into an answer that cites them as [n].

`composer` (offline, extractive, always available) is the default and the fallback of every other one;
`openai` asks any OpenAI-compatible chat server; `local` runs the bundled SmolLM2 (requirements-llm.txt).
Generated answers are checked by bot/answer/verify.py before the chain shows them.

A backend is one module with one `AnswerBackend` subclass, and one line in `BACKENDS` below: its name and
where the class lives, imported only when it is chosen (a backend's optional dependencies stay optional).
Its traits (`needs_check`, `concurrency()`) are on the class. Settings, the CLIs' `--backend` choices and the
web layer's answer gate all read this registry.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

from bot.answer.backends.base import AnswerBackend
from bot.answer.backends.composer import Composer

if TYPE_CHECKING:
    from bot.settings import Settings

__all__ = ["BACKENDS", "BACKEND_NAMES", "AnswerBackend", "Composer", "backend_class", "make_backend"]

# name -> "module:Class", or the class itself.
BACKENDS: dict[str, str | type[AnswerBackend]] = {
    "composer": Composer,
    "openai": "bot.answer.backends.openai:OpenAIBackend",
    "local": "bot.answer.backends.local:LocalBackend",
}
BACKEND_NAMES = tuple(BACKENDS)  # the built-in ones, for argparse choices


def backend_class(name: str) -> type[AnswerBackend]:
    target = BACKENDS.get(name)
    if target is None:
        raise ValueError(f"unknown backend {name!r}; choose one of {', '.join(BACKENDS)}")
    if isinstance(target, str):
        module, _, attribute = target.partition(":")
        target = getattr(import_module(module), attribute)
    return target


def make_backend(name: str, settings: Settings | None = None) -> AnswerBackend:
    """The backend called `name`, built from settings (backends that need none take None)."""
    return backend_class(name).from_settings(settings)
