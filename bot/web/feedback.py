"""Readers' ratings of answers: the one code path behind `POST /api/feedback` and the chat page's thumbs.

Both arrive under the feedback limit (CAREERBOT_FEEDBACK_RATE_LIMIT, apart from the question limit): the API's
in the middleware (bot/web/security.py), the chat's in ui.py, per client and per conversation.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy.exc import SQLAlchemyError

from bot.owner.log import ConversationLog, Rating, UnknownExchange
from bot.settings import Settings


@dataclass
class FeedbackRefused(Exception):
    """Why a rating was not stored, as an HTTP status and a message for the reader."""

    status: int
    message: str


def submit_feedback(conversations: ConversationLog, settings: Settings, exchange_id: str, rating: Rating,
                    reason: str | None, conversation: str | None = None) -> None:
    """Stores a rating of the exchange `exchange_id`; with `conversation`, only of an exchange of that
    conversation (the chat page rates only its own session's answers, whatever id its client sends)."""
    if not conversations.enabled:
        raise FeedbackRefused(404, "feedback is off: this server doesn't record conversations "
                                   "(CAREERBOT_LOG_CONVERSATIONS=false)")
    try:
        exchange_id = str(uuid.UUID(str(exchange_id)))
    except ValueError:
        raise FeedbackRefused(422, "exchange_id is not an exchange id") from None
    reason = (reason or "").strip() or None
    if reason and len(reason) > settings.max_feedback_chars:
        raise FeedbackRefused(422, f"reason too long: {len(reason)} characters, at most {settings.max_feedback_chars}")
    try:
        conversations.rate(exchange_id, rating, reason, conversation_id=conversation)
    except UnknownExchange:
        raise FeedbackRefused(404, "no answer with this exchange_id: rate an answer by the exchange_id it came "
                                   "with (exchanges are kept CAREERBOT_LOG_RETENTION_DAYS days)") from None
    except (SQLAlchemyError, OSError) as exc:
        conversations.errors.error("feedback not saved (%s: %s)", type(exc).__name__, exc)
        raise FeedbackRefused(503, "feedback can't be saved right now; please try again later") from None
