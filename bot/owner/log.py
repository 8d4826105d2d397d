"""The exchange log: every question careerbot answers, what it answered and cited, and readers' feedback.

One code path, SQLAlchemy Core, for SQLite (the default: `careerbot.db` under CAREERBOT_DATA_DIR, created on
first use) and PostgreSQL (CAREERBOT_DATABASE_URL, so several app instances behind a load balancer share one
log).

Recording never holds up an answer: `record()` puts the exchange on a queue that one writer thread drains in
batches. If the database is down, locked or full, the exchanges of that moment are dropped and the error is
logged at most once a minute; readers get their answers either way. Nothing about who asked is stored beyond
the conversation id their client chose and a keyed hash of their address (so the owner's content gaps count a
client once and can leave an abusive one out): no IP address, no user agent, no account.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import queue
import secrets
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from sqlalchemy import (
    Boolean, Column, DateTime, Engine, ForeignKey, Integer, MetaData, String, Table, Text, TypeDecorator,
    create_engine, delete, event, inspect, insert, select, text, update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Dialect, make_url

from bot.settings import Settings

if TYPE_CHECKING:
    from bot.answer.pipeline import Answer

log = logging.getLogger(__name__)

Channel = Literal["web", "widget", "api", "openai"]
Rating = Literal["up", "down"]
SQLITE_FILE = "careerbot.db"
BATCH_SIZE = 200  # exchanges written per transaction: 50 answers finishing at once cost one commit
QUEUE_LIMIT = 10_000  # with the database down this long, memory matters more than the oldest records
PURGE_EVERY_S = 24 * 3600.0
ERROR_LOG_INTERVAL_S = 60.0
SQLITE_BUSY_TIMEOUT_MS = 5000
READ_ONLY = "careerbot_read_only"  # execution option of connections that only read


class UtcDateTime(TypeDecorator):
    """A timezone-aware UTC datetime on both databases: SQLite keeps no zone, so it is put back on reading."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


metadata = MetaData()

exchanges = Table(
    "exchanges", metadata,
    Column("id", String(36), primary_key=True),  # uuid4, with dashes
    Column("conversation_id", String(64), index=True),
    Column("channel", String(16), nullable=False),  # web | widget | api | openai
    Column("question", Text, nullable=False),
    Column("answer", Text, nullable=False),
    Column("kind", String(16), nullable=False),  # answer | decline | smalltalk
    Column("declined", Boolean, nullable=False),
    Column("backend", String(32), nullable=False),
    Column("notice", Text),
    Column("latency_ms", Integer, nullable=False),
    Column("created_at", UtcDateTime, nullable=False, index=True),
    # A keyed hash of the client's address (its /64 for IPv6), never the address: content gaps count a client
    # once per group, and the owner can mark one abusive. NULL on exchanges recorded before version 3.
    Column("client", String(32), index=True),
)

exchange_sources = Table(
    "exchange_sources", metadata,
    Column("exchange_id", String(36), ForeignKey("exchanges.id", ondelete="CASCADE"), primary_key=True),
    Column("n", Integer, primary_key=True),
    Column("title", Text, nullable=False),
    Column("source", Text, nullable=False),
    Column("url", Text),
    Column("passage", Text, nullable=False),
)

feedback = Table(
    "feedback", metadata,
    Column("exchange_id", String(36), ForeignKey("exchanges.id", ondelete="CASCADE"), primary_key=True),
    Column("rating", String(4), nullable=False),  # up | down
    Column("reason", Text),
    Column("created_at", UtcDateTime, nullable=False),
)

schema_version = Table("careerbot_schema", metadata, Column("version", Integer, nullable=False))

# /admin sign-ins that are still open: a session cookie opens the page only while its id is here (by hash), so
# signing out ends it on every instance sharing the log.
admin_sessions = Table(
    "admin_sessions", metadata,
    Column("id_hash", String(64), primary_key=True),
    Column("expires_at", UtcDateTime, nullable=False, index=True),
)

# What the owner took out of the content gaps: questions (by their normalised words) and clients.
hidden_questions = Table(
    "hidden_questions", metadata,
    Column("question_key", Text, primary_key=True),
    Column("hidden_at", UtcDateTime, nullable=False),
)
abusive_clients = Table(
    "abusive_clients", metadata,
    Column("client", String(32), primary_key=True),
    Column("marked_at", UtcDateTime, nullable=False),
)

# Secrets the app makes for itself, shared by every instance on the log (the key of the client hashes).
app_keys = Table(
    "careerbot_keys", metadata,
    Column("name", String(32), primary_key=True),
    Column("value", String(128), nullable=False),
)


# Migrations: MIGRATIONS[i] takes a database from version i + 1 to i + 2. A new database gets today's tables
# from `metadata` and the latest version at once, so a step only ever runs on a database that exists; a change
# to a table above is made twice: in its definition and in a new step here. An ordered list rather than
# Alembic: the app creates and upgrades its own three tables on first use, in one transaction, with no
# migration folder, config file or command for the site owner to run.
def _add_feedback(conn: Connection) -> None:
    """Version 2: readers' ratings of answers (version 1 logged exchanges only)."""
    feedback.create(conn)


def _add_clients_and_admin(conn: Connection) -> None:
    """Version 3: the client hash on exchanges, /admin sessions, and what the owner hid from content gaps."""
    if "client" not in {column["name"] for column in inspect(conn).get_columns("exchanges")}:
        conn.execute(text("ALTER TABLE exchanges ADD COLUMN client VARCHAR(32)"))
    conn.execute(text("CREATE INDEX IF NOT EXISTS ix_exchanges_client ON exchanges (client)"))
    for table in (admin_sessions, hidden_questions, abusive_clients, app_keys):
        table.create(conn)


MIGRATIONS: list[Callable[[Connection], None]] = [_add_feedback, _add_clients_and_admin]
SCHEMA_VERSION = len(MIGRATIONS) + 1


@dataclass
class RecordedSource:
    n: int
    title: str
    source: str
    url: str | None
    passage: str


@dataclass
class Exchange:
    id: str
    conversation_id: str | None
    channel: str
    question: str
    answer: str
    kind: str
    declined: bool
    backend: str
    notice: str | None
    latency_ms: int
    created_at: datetime
    sources: list[RecordedSource] = field(default_factory=list)
    client: str | None = None  # who asked: their address key until written, then stored as client_hash()

    @classmethod
    def of(cls, answer: Answer, question: str, channel: str, conversation_id: str | None,
           latency_ms: int, client: str | None = None) -> Exchange:
        return cls(
            id=str(uuid.uuid4()), conversation_id=conversation_id, channel=channel, question=question,
            answer=answer.text, kind=answer.kind, declined=answer.refused, backend=answer.backend,
            notice=answer.notice, latency_ms=latency_ms, created_at=datetime.now(UTC),
            # One per cited article; its passage: every one the answer quoted from it, in order of use.
            sources=[RecordedSource(s.n, s.title, s.source, s.url, "\n\n".join(q.text for q in s.quotes) or s.text)
                     for s in answer.sources],
            client=client,
        )

    def row(self) -> dict:
        row = asdict(self)
        del row["sources"]
        return row

    def source_rows(self) -> list[dict]:
        return [{"exchange_id": self.id, **asdict(source)} for source in self.sources]


class UnknownExchange(LookupError):
    """Feedback for an exchange id that was never recorded (or has been purged)."""


def database_url(settings: Settings) -> str:
    """CAREERBOT_DATABASE_URL with PostgreSQL through psycopg 3, else the SQLite file in the data folder."""
    if not settings.database_url:
        return f"sqlite:///{settings.data_dir / SQLITE_FILE}"
    url = make_url(settings.database_url)
    if url.drivername in ("postgresql", "postgres"):
        url = url.set(drivername="postgresql+psycopg")  # SQLAlchemy's default would be psycopg2
    return url.render_as_string(hide_password=False)


def open_engine(settings: Settings) -> Engine:
    url = make_url(database_url(settings))
    if url.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True, connect_args={"connect_timeout": 5})
    if not settings.database_url:
        private_database(settings.data_dir / SQLITE_FILE)
    engine = create_engine(url)
    event.listen(engine, "connect", _sqlite_connected)
    event.listen(engine, "begin", _sqlite_begin)
    return engine


def private_database(path: Path) -> None:
    """The log holds what readers asked: its folder 700 and the file 600, whatever the umask, so other local
    users can't read it (SQLite gives its -wal and -shm files the database file's mode)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(path.parent, 0o700)
    os.close(os.open(path, os.O_CREAT | os.O_RDWR, 0o600))
    os.chmod(path, 0o600)


def _sqlite_connected(dbapi_connection: Any, _record: object) -> None:
    # SQLAlchemy, not the sqlite3 module, begins transactions (see _sqlite_begin), so DDL is transactional too.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")  # readers (the admin page) never wait for the writer
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")  # other writers wait instead of failing
    cursor.execute("PRAGMA foreign_keys=ON")  # for ON DELETE CASCADE
    cursor.close()


def _sqlite_begin(conn: Connection) -> None:
    # IMMEDIATE takes the write lock up front: a deferred transaction that reads, then writes, can fail at
    # once with "database is locked" instead of waiting out the busy timeout. Readers (`reading(engine)`)
    # begin deferred: under WAL they then never hold up the writer, however long an export takes.
    conn.exec_driver_sql("BEGIN" if conn.get_execution_options().get(READ_ONLY) else "BEGIN IMMEDIATE")


def reading(engine: Engine) -> Engine:
    """The engine for read-only work (the admin page, reports, exports): on SQLite its transactions take no
    write lock."""
    return engine.execution_options(**{READ_ONLY: True})


def migrate(engine: Engine) -> int:
    """Brings the database to SCHEMA_VERSION; returns the version it found (0: a new database)."""
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":  # instances starting together migrate one after the other
            conn.execute(text("SELECT pg_advisory_xact_lock(hashtext('careerbot_schema'))"))
        found = current_version(conn)
        if found > SCHEMA_VERSION:
            raise RuntimeError(f"the exchange log's schema is version {found}, newer than this careerbot's "
                               f"({SCHEMA_VERSION}): upgrade careerbot, or point CAREERBOT_DATABASE_URL elsewhere")
        if found == 0:
            metadata.create_all(conn)
            conn.execute(insert(schema_version).values(version=SCHEMA_VERSION))
        elif found < SCHEMA_VERSION:
            for step in MIGRATIONS[found - 1:]:
                step(conn)
            conn.execute(update(schema_version).values(version=SCHEMA_VERSION))
    if found and found < SCHEMA_VERSION:
        log.info("exchange log upgraded from schema version %d to %d", found, SCHEMA_VERSION)
    return found


def current_version(conn: Connection) -> int:
    if not inspect(conn).has_table(schema_version.name):
        return 0
    return conn.execute(select(schema_version.c.version)).scalar_one()


class ThrottledLog:
    """Logs an error at most once per interval, counting the ones it held back, so a database that is down
    fills the log with one line a minute, not one per answer."""

    def __init__(self, logger: logging.Logger, interval_s: float = ERROR_LOG_INTERVAL_S,
                 level: int = logging.ERROR) -> None:
        self.logger = logger
        self.interval_s = interval_s
        self.level = level
        self._last = float("-inf")
        self._held = 0
        self._lock = threading.Lock()

    def error(self, message: str, *args: object) -> None:
        with self._lock:
            now = time.monotonic()
            if now - self._last < self.interval_s:
                self._held += 1
                return
            held, self._held, self._last = self._held, 0, now
        suffix = f" ({held} more such lines in the last {self.interval_s:.0f} s not logged)" if held else ""
        self.logger.log(self.level, message + suffix, *args)


_STOP = object()


class ConversationLog:
    """The exchange log of one app. `record()` returns at once; a writer thread stores the exchanges."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.enabled = settings.log_conversations
        self.errors = ThrottledLog(log)
        self._queue: queue.Queue = queue.Queue(maxsize=QUEUE_LIMIT)
        self._pending = 0  # recorded but not yet written (or dropped)
        self._idle = threading.Condition()
        self._engine: Engine | None = None
        self._setup = threading.Lock()
        self._schema_ready = False
        self._hash_key: bytes | None = None
        self._writer: threading.Thread | None = None
        if self.enabled:
            self._writer = threading.Thread(target=self._write_loop, name="conversation-log", daemon=True)
            self._writer.start()

    @property
    def engine(self) -> Engine:
        with self._setup:
            if self._engine is None:
                self._engine = open_engine(self.settings)
            return self._engine

    def ensure_schema(self) -> None:
        """Creates or upgrades the tables, once per process (again after a failure)."""
        engine = self.engine
        with self._setup:
            if not self._schema_ready:
                migrate(engine)
                self._schema_ready = True

    def record(self, exchange: Exchange) -> None:
        if not self.enabled or self._writer is None:
            return
        with self._idle:
            try:
                self._queue.put_nowait(exchange)
            except queue.Full:
                self.errors.error("the exchange log is %d exchanges behind: dropping new ones", QUEUE_LIMIT)
                return
            self._pending += 1

    def record_answer(self, answer: Answer, question: str, channel: Channel, conversation_id: str | None,
                      started: float, client: str | None = None) -> str | None:
        """Records an answer asked for at `started` (time.perf_counter()) by `client` (its address key, which the
        writer stores only as client_hash()); returns its exchange id, None when off."""
        if not self.enabled:
            return None
        exchange = Exchange.of(answer, question, channel, conversation_id,
                               latency_ms=round((time.perf_counter() - started) * 1000), client=client)
        self.record(exchange)
        return exchange.id

    def recorder(self, question: str, channel: Channel, conversation_id: str | None,
                 client: str | None = None) -> Callable[[Answer], str | None]:
        """`record_answer` for a question asked now, to call with its final Answer (every channel answers
        through a stream, so the answer is known only at its end); returns the exchange id."""
        started = time.perf_counter()
        return lambda answer: self.record_answer(answer, question, channel, conversation_id, started, client)

    def flush(self, timeout: float = 5) -> None:
        """Waits (up to `timeout` seconds) until every recorded exchange is written or given up on."""
        with self._idle:
            self._idle.wait_for(lambda: self._pending == 0, timeout)

    def rate(self, exchange_id: str, rating: Rating, reason: str | None, conversation_id: str | None = None) -> None:
        """Stores a reader's rating of an exchange (with `conversation_id`: only of an exchange of that
        conversation); rating again replaces the earlier rating."""
        self.flush()  # the answer may have been given a moment ago
        self.ensure_schema()
        row = {"exchange_id": exchange_id, "rating": rating, "reason": reason, "created_at": datetime.now(UTC)}
        known = select(exchanges.c.id).where(exchanges.c.id == exchange_id)
        if conversation_id is not None:
            known = known.where(exchanges.c.conversation_id == conversation_id)
        with self.engine.begin() as conn:
            if conn.execute(known).first() is None:
                raise UnknownExchange(exchange_id)
            statement = _INSERT[conn.dialect.name](feedback).values(row)
            conn.execute(statement.on_conflict_do_update(
                index_elements=[feedback.c.exchange_id],
                set_={name: statement.excluded[name] for name in ("rating", "reason", "created_at")}))

    def client_hash(self, client: str) -> str | None:
        """The client as stored: an HMAC of its address key under a random key kept in the log itself, so the
        log never holds an address and the hash can't be reversed by trying all IPv4 addresses."""
        key = self._client_key()
        return hmac.new(key, client.encode("utf-8", "replace"), hashlib.sha256).hexdigest()[:32] if key else None

    def _client_key(self) -> bytes | None:
        if self._hash_key is None:
            try:
                self.ensure_schema()
                with self.engine.begin() as conn:
                    found = conn.execute(select(app_keys.c.value).where(app_keys.c.name == "client")).scalar()
                    if found is None:
                        statement = _INSERT[conn.dialect.name](app_keys).values(name="client", value=secrets.token_hex(32))
                        conn.execute(statement.on_conflict_do_nothing(index_elements=[app_keys.c.name]))
                        found = conn.execute(select(app_keys.c.value).where(app_keys.c.name == "client")).scalar_one()
                self._hash_key = bytes.fromhex(found)
            except Exception as exc:  # no key, no client hash: the exchange is still recorded
                self.errors.error("exchange log: no client key (%s: %s)", type(exc).__name__, exc)
                return None
        return self._hash_key

    # --- /admin sessions ------------------------------------------------------------------------------------

    def open_admin_session(self, session_id: str, expires_at: datetime) -> None:
        self.ensure_schema()
        with self.engine.begin() as conn:
            conn.execute(delete(admin_sessions).where(admin_sessions.c.expires_at < datetime.now(UTC)))
            conn.execute(insert(admin_sessions).values(id_hash=_id_hash(session_id), expires_at=expires_at))

    def admin_session_open(self, session_id: str) -> bool:
        self.ensure_schema()
        with reading(self.engine).connect() as conn:
            found = conn.execute(select(admin_sessions.c.expires_at)
                                 .where(admin_sessions.c.id_hash == _id_hash(session_id))).scalar()
        return found is not None and found > datetime.now(UTC)

    def end_admin_session(self, session_id: str) -> None:
        self.ensure_schema()
        with self.engine.begin() as conn:
            conn.execute(delete(admin_sessions).where(admin_sessions.c.id_hash == _id_hash(session_id)))

    # --- what the owner takes out of the content gaps ---------------------------------------------------------

    def hide_questions(self, question_keys: list[str]) -> None:
        self._mark(hidden_questions, "question_key", question_keys, "hidden_at")

    def mark_abusive(self, clients: list[str]) -> None:
        self._mark(abusive_clients, "client", clients, "marked_at")

    def _mark(self, table: Table, column: str, values: list[str], stamp: str) -> None:
        self.ensure_schema()
        now = datetime.now(UTC)
        with self.engine.begin() as conn:
            for value in dict.fromkeys(values):
                statement = _INSERT[conn.dialect.name](table).values({column: value, stamp: now})
                conn.execute(statement.on_conflict_do_nothing(index_elements=[table.c[column]]))

    def purge(self, now: datetime | None = None) -> int:
        """Deletes exchanges (with their sources and feedback) older than log_retention_days; returns how many."""
        cutoff = (now or datetime.now(UTC)) - timedelta(days=self.settings.log_retention_days)
        self.ensure_schema()
        with self.engine.begin() as conn:
            deleted = conn.execute(delete(exchanges).where(exchanges.c.created_at < cutoff)).rowcount
        if deleted:
            log.info("exchange log: purged %d exchanges older than %d days", deleted, self.settings.log_retention_days)
        return deleted

    def close(self) -> None:
        """Writes what is queued, stops the writer and closes the database connections."""
        if self._writer is not None:
            self._queue.put(_STOP)
            self._writer.join(timeout=10)
            self._writer = None
        if self._engine is not None:
            self._engine.dispose()

    def _write_loop(self) -> None:
        next_purge = time.monotonic()  # at start, then daily
        while True:
            if time.monotonic() >= next_purge:
                next_purge = time.monotonic() + PURGE_EVERY_S
                self._quietly("purging old exchanges", self.purge)
            try:
                first = self._queue.get(timeout=max(0.0, next_purge - time.monotonic()))
            except queue.Empty:
                continue
            batch = [first, *self._ready(BATCH_SIZE - 1)]
            recorded = [item for item in batch if item is not _STOP]
            if recorded:
                self._quietly(f"recording {len(recorded)} exchange(s)", lambda: self._write(recorded))
                self._written(len(recorded))
            if len(recorded) < len(batch):
                return

    def _ready(self, limit: int) -> list:
        items: list = []
        while len(items) < limit:
            try:
                items.append(self._queue.get_nowait())
            except queue.Empty:
                break
        return items

    def _write(self, batch: list[Exchange]) -> None:
        self.ensure_schema()
        rows = [{**exchange.row(), "client": self.client_hash(exchange.client) if exchange.client else None}
                for exchange in batch]  # before the transaction: the key may need one of its own
        with self.engine.begin() as conn:
            conn.execute(insert(exchanges), rows)
            sources = [row for exchange in batch for row in exchange.source_rows()]
            if sources:
                conn.execute(insert(exchange_sources), sources)

    def _written(self, count: int) -> None:
        with self._idle:
            self._pending -= count
            self._idle.notify_all()

    def _quietly(self, what: str, work: Callable[[], object]) -> None:
        """Runs the writer's work; a failure (database down, locked, full, data folder unwritable) is logged,
        throttled, and the work given up: the answers it concerned were delivered long ago."""
        try:
            work()
        except Exception as exc:
            self.errors.error("exchange log: %s failed (%s: %s); readers still get their answers",
                              what, type(exc).__name__, exc)


# Both dialects' INSERT offer ON CONFLICT; their Insert classes share no base that declares it.
_INSERT: dict[str, Any] = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}


def _id_hash(session_id: str) -> str:
    """Sessions are stored by hash: a copy of the database opens no /admin."""
    return hashlib.sha256(session_id.encode("utf-8", "replace")).hexdigest()  # the two with INSERT ... ON CONFLICT
