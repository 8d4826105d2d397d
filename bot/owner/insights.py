"""What the exchange log tells the site owner: questions per day (answered vs declined), content gaps (the
questions the library could not answer, or answered badly, grouped by meaning), the most and least cited
articles, recent conversations as threads, and exports.

Read-only SQLAlchemy Core over bot/owner/log.py's tables: the same statements run on SQLite and
PostgreSQL (the one construct that differs, a timestamp's UTC day, is compiled per dialect below).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import threading
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy import Date, Engine, func, or_, select, true
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import GenericFunction

from bot.conversation.catalog import Article
from bot.owner.log import (
    Exchange, RecordedSource, abusive_clients, exchange_sources, exchanges, feedback, hidden_questions, reading,
)
from bot.text import defanged, unicode_words


class utc_day(GenericFunction):  # noqa: N801 - SQL function names are lower case
    """The UTC calendar day of a stored timestamp."""

    type = Date()
    inherit_cache = True


@compiles(utc_day)
def _utc_day_sqlite(element: utc_day, compiler: Any, **kw: object) -> str:
    # SQLite stores UTC timestamps as 'YYYY-MM-DD HH:MM:SS...' text (bot/owner/log.py's UtcDateTime).
    return f"date({compiler.process(element.clauses, **kw)})"


@compiles(utc_day, "postgresql")
def _utc_day_postgresql(element: utc_day, compiler: Any, **kw: object) -> str:
    # A timestamptz's date depends on the session's time zone; the owner's page counts UTC days everywhere.
    return f"CAST(({compiler.process(element.clauses, **kw)}) AT TIME ZONE 'UTC' AS DATE)"


@dataclass
class Day:
    day: date
    answered: int = 0
    declined: int = 0
    smalltalk: int = 0

    @property
    def total(self) -> int:
        return self.answered + self.declined + self.smalltalk


@dataclass
class Gap:
    """Questions about one thing the library doesn't cover (or covers badly), most typical phrasing first.
    Counts are of clients: however often one client asks, it counts once per group. Every text is a reader's,
    defanged (bot/text.py): no address or phone number in it can be clicked or dialled as shown."""

    label: str
    count: int  # clients who asked it and were declined or rated it down
    declined: int  # clients declined
    disliked: int  # clients who rated an answer down
    examples: list[str]  # other phrasings, most asked first
    reasons: list[str]  # what readers wrote with their thumbs down, most often written first, each once
    last_asked: datetime
    keys: list[str] = field(default_factory=list)  # the normalised questions: what hiding the group hides
    clients: list[tuple[str, int]] = field(default_factory=list)  # (client hash, exchanges), most first


@dataclass
class ArticleUse:
    title: str
    source: str
    url: str | None
    citations: int  # answers citing it


@dataclass
class Turn:
    """One exchange of a thread, with the reader's rating of it if any."""

    exchange: Exchange
    rating: str | None = None
    reason: str | None = None


@dataclass
class Thread:
    key: str  # the conversation id, or the exchange's own id when the client sent none
    turns: list[Turn] = field(default_factory=list)

    @property
    def last(self) -> datetime:
        return self.turns[-1].exchange.created_at

    @property
    def opening(self) -> str:
        """What the thread is about: its first question that is not small talk ("hello")."""
        asked = [turn.exchange for turn in self.turns]
        return next((e.question for e in asked if e.kind != "smalltalk"), asked[0].question)


def since(days: int, now: datetime | None = None) -> datetime:
    """The start of the window covering today and the `days - 1` UTC days before it."""
    today = (now or datetime.now(UTC)).astimezone(UTC).date()
    return datetime.combine(today - timedelta(days=days - 1), datetime.min.time(), tzinfo=UTC)


def _as_date(value: date | str) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)  # SQLite returns text


def questions_per_day(engine: Engine, days: int, now: datetime | None = None) -> list[Day]:
    """Every UTC day of the window, oldest first, with zero counts on days without questions."""
    start = since(days, now)
    day = utc_day(exchanges.c.created_at)
    statement = (select(day, exchanges.c.kind, func.count()).where(exchanges.c.created_at >= start)
                 .group_by(day, exchanges.c.kind))
    counts = {start.date() + timedelta(days=i): Day(start.date() + timedelta(days=i)) for i in range(days)}
    with reading(engine).connect() as conn:
        for value, kind, count in conn.execute(statement):
            entry = counts.get(_as_date(value))
            if entry is not None:
                field_name = {"answer": "answered", "decline": "declined"}.get(kind, "smalltalk")
                setattr(entry, field_name, getattr(entry, field_name) + count)
    return list(counts.values())


def logged_count(engine: Engine, days: int, now: datetime | None = None) -> int:
    with reading(engine).connect() as conn:
        return conn.execute(select(func.count()).select_from(exchanges)
                            .where(exchanges.c.created_at >= since(days, now))).scalar_one()


def ratings(engine: Engine, days: int, now: datetime | None = None) -> tuple[int, int]:
    """Thumbs up and thumbs down on the window's answers."""
    statement = (select(feedback.c.rating, func.count()).join(exchanges, exchanges.c.id == feedback.c.exchange_id)
                 .where(exchanges.c.created_at >= since(days, now)).group_by(feedback.c.rating))
    with reading(engine).connect() as conn:
        counts: dict[str, int] = dict(conn.execute(statement).all())
    return counts.get("up", 0), counts.get("down", 0)


# --- content gaps ---------------------------------------------------------------------------------------



@dataclass
class _Asked:
    """One distinct question (the same words in any case, spacing or punctuation) among the declined or
    disliked ones."""

    text: str
    key: str
    asked_by: Counter = field(default_factory=Counter)  # client (or, unknown, the exchange) -> times
    declined_by: set[str] = field(default_factory=set)
    disliked_by: set[str] = field(default_factory=set)
    reasons: dict[tuple[str, str], None] = field(default_factory=dict)  # (client, reason), each once
    last_asked: datetime | None = None


def question_key(question: str) -> str:
    """The words of a question, whatever their case, spacing or punctuation."""
    return " ".join(unicode_words(question.casefold()))


def content_gaps(engine: Engine, days: int, distance: float, max_questions: int, articles: Iterable[Article] = (),
                 examples: int = 4, now: datetime | None = None) -> list[Gap]:
    """Declined and thumbs-down questions of the window grouped by meaning (see group_by_meaning; `articles`
    are the library's), largest group (most clients) first; without the questions the owner hid and those of
    clients marked abusive."""
    asked = _gap_questions(engine, days, max_questions, now)
    groups = group_by_meaning([a.text for a in asked], distance, library_texts(articles))
    gaps = [_gap([asked[i] for i in members], examples) for members in groups]
    return sorted(gaps, key=lambda gap: (-gap.count, -gap.last_asked.timestamp()))


_UNKNOWN_CLIENT = "exchange:"  # exchanges logged before clients were: each its own client


def _gap_questions(engine: Engine, days: int, max_questions: int, now: datetime | None) -> list[_Asked]:
    """The distinct questions (most recent first, at most `max_questions`) declined or rated down."""
    disliked = feedback.c.rating == "down"
    trusted = or_(exchanges.c.client.is_(None), exchanges.c.client.not_in(select(abusive_clients.c.client)))
    statement = (
        select(exchanges.c.id, exchanges.c.client, exchanges.c.question, exchanges.c.declined,
               disliked.label("disliked"), feedback.c.reason, exchanges.c.created_at)
        .select_from(exchanges.outerjoin(feedback, feedback.c.exchange_id == exchanges.c.id))
        .where(exchanges.c.created_at >= since(days, now), or_(exchanges.c.declined, disliked), trusted)
        .order_by(exchanges.c.created_at.desc())
    )
    asked: dict[str, _Asked] = {}
    with reading(engine).connect() as conn:
        hidden = set(conn.execute(select(hidden_questions.c.question_key)).scalars())
        for exchange_id, client, question, declined, was_disliked, reason, created_at in conn.execute(statement):
            key = question_key(question)
            if key in hidden or (key not in asked and len(asked) >= max_questions):
                continue
            entry = asked.setdefault(key, _Asked(" ".join(question.split()), key, last_asked=created_at))
            who = client or _UNKNOWN_CLIENT + exchange_id
            entry.asked_by[who] += 1
            if declined:
                entry.declined_by.add(who)
            if was_disliked:
                entry.disliked_by.add(who)
            if reason and reason.strip():
                entry.reasons[(who, reason.strip())] = None
    return list(asked.values())


def _gap(members: list[_Asked], examples: int) -> Gap:
    label, others = members[0], sorted(members[1:], key=lambda a: -len(a.asked_by))
    asked_by = sum((a.asked_by for a in members), Counter())
    return Gap(
        label=defanged(label.text), count=len(asked_by),
        declined=len(set().union(*(a.declined_by for a in members))),
        disliked=len(set().union(*(a.disliked_by for a in members))),
        examples=[defanged(a.text) for a in others[:examples]],
        reasons=[defanged(reason) for reason, _ in
                 Counter(r for a in members for _, r in a.reasons).most_common(examples)],
        last_asked=max(a.last_asked for a in members if a.last_asked),
        keys=[a.key for a in members],
        clients=[(c, n) for c, n in asked_by.most_common() if not c.startswith(_UNKNOWN_CLIENT)],
    )


def group_by_meaning(texts: Sequence[str], distance: float, library: Sequence[str] = ()) -> list[list[int]]:
    """Indices of `texts` grouped by meaning; in each group the most typical text (nearest the group's mean)
    comes first.

    What every article of the library shares (machine-learning careers, say) is in most questions too and
    says nothing about which article is missing, yet it dominates the model's similarity of short questions:
    "Do ML companies sponsor visas?" sits nearer "What does an ML engineer do?" than "which AI employers
    offer visa sponsorship". So the common direction of the library's titles and headings (`library`) is
    projected out of the question vectors before they are compared.

    Then agglomerative clustering, average linkage on cosine distance, cut at `distance`
    (Settings.gap_distance). `python -m bench.gaps` chose both on bench/gap_questions.jsonl, questions of our
    own grouped by hand (none from the evaluation sets): 0.60 had the best adjusted Rand index (0.56), and
    5 of 6 question pairs it put together belong together. Without the projection the best index was 0.34
    (precision 0.35); complete linkage reached 0.38 with it."""
    if not texts:
        return []
    vectors = question_vectors(texts)
    if library:
        vectors = _without_common_direction(vectors, question_vectors(library))
    if len(texts) == 1:
        return [[0]]
    from sklearn.cluster import AgglomerativeClustering

    labels = AgglomerativeClustering(n_clusters=None, distance_threshold=distance, metric="cosine",
                                     linkage="average").fit_predict(vectors)
    groups: dict[int, list[int]] = {}
    for index, label in enumerate(labels):
        groups.setdefault(int(label), []).append(index)
    return [_typical_first(members, vectors) for members in groups.values()]


def library_texts(articles: Iterable[Article]) -> list[str]:
    """What the library's articles are about, in their own words: titles and section headings."""
    return [text for article in articles for text in (article.title, *article.headings)]


def _without_common_direction(vectors: np.ndarray, library: np.ndarray) -> np.ndarray:
    common = library.mean(axis=0)
    common /= np.linalg.norm(common) or 1.0
    return vectors - np.outer(vectors @ common, common)


def _typical_first(members: list[int], vectors: np.ndarray) -> list[int]:
    centre = vectors[members].mean(axis=0)
    return sorted(members, key=lambda i: -float(vectors[i] @ centre))


# Question vectors by SHA-256 of the text: the owner's page reloads and the same declined questions come back
# every time; the digest keeps readers' text out of the cache's keys. Bounded as bot.embeddings' text cache is
# (emptied when full): a long-running app must not grow with every question ever asked.
_vectors: dict[bytes, np.ndarray] = {}
_vectors_lock = threading.Lock()
_VECTORS_MAX = 20_000


def question_vectors(texts: Sequence[str]) -> np.ndarray:
    """Unit vectors (one row per text) from the app's embedding model, each text embedded once."""
    from bot.embeddings import get_embeddings

    keys = [hashlib.sha256(text.encode("utf-8")).digest() for text in texts]
    with _vectors_lock:
        known = {key: _vectors[key] for key in keys if key in _vectors}
    missing = {key: text for key, text in zip(keys, texts) if key not in known}
    if missing:
        computed = get_embeddings().embed_documents(list(missing.values()))
        fresh = {key: np.asarray(v, dtype=np.float32) for key, v in zip(missing, computed)}
        known |= fresh
        with _vectors_lock:
            if len(_vectors) + len(fresh) > _VECTORS_MAX:
                _vectors.clear()
            _vectors.update(fresh)
    return np.stack([known[key] for key in keys])


# --- articles -------------------------------------------------------------------------------------------

def article_uses(engine: Engine, days: int, articles: Iterable[Article], now: datetime | None = None) -> list[ArticleUse]:
    """Every article of the library, and every article cited in the window that has since left it, with the
    number of answers citing it."""
    cited = func.count(func.distinct(exchange_sources.c.exchange_id))
    statement = (
        select(exchange_sources.c.source, func.max(exchange_sources.c.title), func.max(exchange_sources.c.url), cited)
        .join(exchanges, exchanges.c.id == exchange_sources.c.exchange_id)
        .where(exchanges.c.created_at >= since(days, now)).group_by(exchange_sources.c.source)
    )
    uses = {a.source: ArticleUse(a.title, a.source, a.url, 0) for a in articles}
    with reading(engine).connect() as conn:
        for source, title, url, count in conn.execute(statement):
            uses.setdefault(source, ArticleUse(title, source, url, 0)).citations = count
    return list(uses.values())


def most_cited(uses: Iterable[ArticleUse], limit: int) -> list[ArticleUse]:
    return sorted((u for u in uses if u.citations), key=lambda u: (-u.citations, u.title))[:limit]


def least_cited(uses: Iterable[ArticleUse], articles: Iterable[Article], limit: int) -> list[ArticleUse]:
    """The library's articles cited least (never, first): candidates to rewrite, retitle or retire."""
    in_library = {a.source for a in articles}
    return sorted((u for u in uses if u.source in in_library), key=lambda u: (u.citations, u.title))[:limit]


# --- conversations and exports --------------------------------------------------------------------------

_THREAD = func.coalesce(exchanges.c.conversation_id, exchanges.c.id)
_EXCHANGE_COLUMNS = [column.name for column in exchanges.columns]


def recent_threads(engine: Engine, limit: int) -> list[Thread]:
    """The `limit` conversations with the latest questions, newest first, each as its turns in order with
    their sources and ratings. An exchange without a conversation id is a thread of its own."""
    latest = (select(_THREAD.label("key"), func.max(exchanges.c.created_at).label("last"))
              .group_by(_THREAD).order_by(func.max(exchanges.c.created_at).desc()).limit(limit).subquery())
    with reading(engine).connect() as conn:
        keys = [key for key, _ in conn.execute(select(latest.c.key, latest.c.last))]
        threads = {key: Thread(key) for key in keys}
        for exchange, rating, reason in _exchanges(conn, _THREAD.in_(keys)):
            threads[exchange.conversation_id or exchange.id].turns.append(Turn(exchange, rating, reason))
    return list(threads.values())


def _exchanges(conn: Any, where: Any, yield_per: int | None = None) -> Iterator[tuple[Exchange, str | None, str | None]]:
    """Exchanges (oldest first) with their sources, rating and reason, streamed: one query, read in
    batches, the rows of one exchange (one per source) joined back together."""
    statement = (
        select(exchanges, feedback.c.rating, feedback.c.reason, *_SOURCE_COLUMNS)
        .select_from(exchanges.outerjoin(feedback, feedback.c.exchange_id == exchanges.c.id)
                     .outerjoin(exchange_sources, exchange_sources.c.exchange_id == exchanges.c.id))
        .where(where).order_by(exchanges.c.created_at, exchanges.c.id, exchange_sources.c.n)
    )
    if yield_per:
        conn = conn.execution_options(yield_per=yield_per)
    current: tuple[Exchange, str | None, str | None] | None = None
    for row in conn.execute(statement):
        values = row._mapping
        if current is None or current[0].id != values["id"]:
            if current is not None:
                yield current
            current = (Exchange(**{name: values[name] for name in _EXCHANGE_COLUMNS}), values["rating"],
                       values["reason"])
        if values["source_n"] is not None:
            current[0].sources.append(RecordedSource(*(values[f"source_{name}"] for name in _SOURCE_FIELDS)))
    if current is not None:
        yield current


_SOURCE_FIELDS = ("n", "title", "source", "url", "passage")
_SOURCE_COLUMNS = [exchange_sources.c[name].label(f"source_{name}") for name in _SOURCE_FIELDS]


def export_records(engine: Engine, batch: int = 500) -> Iterator[dict]:
    """Every exchange in the log, oldest first, as a JSON-ready dict with its sources and rating."""
    with reading(engine).connect() as conn:
        for exchange, rating, reason in _exchanges(conn, true(), yield_per=batch):
            record = asdict(exchange)
            record["created_at"] = exchange.created_at.isoformat()
            record.update(rating=rating, reason=reason)
            yield record


EXPORT_FIELDS = [*_EXCHANGE_COLUMNS, "rating", "reason", "sources"]
# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection): the CSV export puts
# a ' before them, as OWASP advises. The JSONL export keeps every text exactly as it was.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def jsonl_lines(records: Iterable[dict]) -> Iterator[str]:
    for record in records:
        yield json.dumps(record, ensure_ascii=False) + "\n"


def csv_lines(records: Iterable[dict]) -> Iterator[str]:
    """One CSV line per exchange (the header first); its sources as a JSON list in the `sources` column."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(EXPORT_FIELDS)
    for record in records:
        record = {**record, "sources": json.dumps(record["sources"], ensure_ascii=False)}
        writer.writerow([_cell(record[name]) for name in EXPORT_FIELDS])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue()


def _cell(value: object) -> object:
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value
