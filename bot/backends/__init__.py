"""Answer backends: turn numbered passages into an answer that cites them as [n].

`composer` (offline, extractive, always available) is the default and the fallback of every other one.
"""

from __future__ import annotations

from bot.backends.base import AnswerBackend
from bot.backends.composer import Composer

__all__ = ["BACKEND_NAMES", "AnswerBackend", "Composer", "make_backend"]

BACKEND_NAMES = ("composer",)


def make_backend(name: str, settings: object | None = None) -> AnswerBackend:
    if name == "composer":
        return Composer()
    raise ValueError(f"unknown backend {name!r}; choose composer")
