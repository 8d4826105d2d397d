"""What the owner's page and the report read from the exchange log, on a real SQLite file and a real
PostgreSQL server: questions per day, content gaps (grouped by the real embedding model), article
citations, threads and exports."""

from __future__ import annotations

import csv
import io
import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.owner import insights
from bot.conversation.catalog import Article
from bot.answer.pipeline import CareerBot
from bot.owner.log import ConversationLog
from bot.settings import Settings
from tests.conftest import made_exchange, make_settings, seed_log

NOW = datetime.now(UTC).replace(hour=12, minute=0, second=0, microsecond=0)
ML_ENGINEER = ("What does an ML engineer do", "ml-engineer.md", "https://example.com/ml", "They ship models.")
DATA_SCIENTIST = ("Data scientists", "data-scientist.md", None, "They study data.")


@pytest.fixture
def engine(log_settings: Settings):
    log = ConversationLog(log_settings)
    log.ensure_schema()
    yield log.engine
    log.close()


def days_ago(days: float, hour: int = 12) -> datetime:
    return NOW.replace(hour=hour) - timedelta(days=days)


def test_questions_per_day_counts_each_kind_per_utc_day(log_settings: Settings, engine: object):
    seed_log(log_settings, [
        made_exchange("What does an ML engineer do?", at=days_ago(2, hour=0)),
        made_exchange("Do ML companies sponsor visas?", "decline", at=days_ago(2, hour=23)),
        made_exchange("hello", "smalltalk", at=days_ago(1)),
        made_exchange("Which skills do I need?", at=days_ago(0)),
        made_exchange("Which skills do I need?", at=days_ago(0)),
        made_exchange("An old question", at=days_ago(10)),  # outside a 7-day window
    ])
    days = insights.questions_per_day(engine, 7, now=NOW)
    assert [d.day for d in days] == [(NOW - timedelta(days=6 - i)).date() for i in range(7)]
    counts = {d.day: (d.answered, d.declined, d.smalltalk) for d in days}
    assert counts[days_ago(2).date()] == (1, 1, 0)  # 00:00 and 23:00 UTC: the same day
    assert counts[days_ago(1).date()] == (0, 0, 1)
    assert counts[NOW.date()] == (2, 0, 0)
    assert sum(d.total for d in days) == 5
    assert insights.logged_count(engine, 7, now=NOW) == 5


def test_content_gaps_group_declined_and_disliked_questions_largest_first(log_settings: Settings, engine: object):
    visa = [made_exchange(q, "decline", at=days_ago(i)) for i, q in enumerate([
        "Will a tech company sponsor my work visa?", "will a tech company sponsor my work visa ?",
        "Can I get visa sponsorship for a data science job?"])]
    disliked = made_exchange("How do I negotiate a higher salary offer?", sources=[ML_ENGINEER], at=days_ago(1))
    liked = made_exchange("What does an ML engineer do?", sources=[ML_ENGINEER], at=days_ago(1))
    answered = made_exchange("Which skills does an ML engineer need?", sources=[ML_ENGINEER], at=days_ago(1))
    seed_log(log_settings, [*visa, disliked, liked, answered],
             ratings=[(disliked, "down", "no numbers"), (liked, "up", None)])

    gaps = insights.content_gaps(engine, 30, Settings(_env_file=None).gap_distance, 100, now=NOW)

    assert [gap.count for gap in gaps] == [3, 1]
    visa_gap, salary_gap = gaps
    assert visa_gap.declined == 3 and visa_gap.disliked == 0
    # Two spellings of one question count as one phrasing: the other phrasing is the example.
    assert len(visa_gap.examples) == 1 and {visa_gap.label, *visa_gap.examples} == {
        "Will a tech company sponsor my work visa?", "Can I get visa sponsorship for a data science job?"}
    assert salary_gap.label == "How do I negotiate a higher salary offer?"
    assert (salary_gap.declined, salary_gap.disliked, salary_gap.reasons) == (0, 1, ["no numbers"])


def test_content_gaps_keep_to_the_window_and_the_question_limit(log_settings: Settings, engine: object):
    seed_log(log_settings, [made_exchange("How do I become a beekeeper?", "decline", at=days_ago(40)),
                            made_exchange("Where is the nearest bakery?", "decline", at=days_ago(3)),
                            made_exchange("What is the capital of Peru?", "decline", at=days_ago(1))])
    assert [g.label for g in insights.content_gaps(engine, 30, 0.6, 100, now=NOW)] == [
        "What is the capital of Peru?", "Where is the nearest bakery?"]  # equal counts: most recent first
    assert [g.label for g in insights.content_gaps(engine, 30, 0.6, 1, now=NOW)] == ["What is the capital of Peru?"]
    assert [g.label for g in insights.content_gaps(engine, 2, 0.6, 100, now=NOW)] == ["What is the capital of Peru?"]
    assert insights.content_gaps(engine, 1, 0.6, 100, now=NOW) == []


# Questions of our own (not bench/gap_questions.jsonl's, which chose the threshold): a held-out check.
PARAPHRASES = {
    "relocation": ["How do I relocate to Canada for an ML job?", "moving to Canada to work in machine learning",
                   "Can I move to Canada as a machine learning engineer?"],
    "parental leave": ["How much parental leave do AI companies give?", "maternity leave policies at tech firms",
                       "do machine learning employers offer paid parental leave"],
    "interview": ["How do I prepare for a machine learning coding interview?",
                  "tips for passing an ML technical interview", "what to study before an AI engineer interview"],
}
UNRELATED = ["What's the best pizza topping?", "How tall is Mount Everest?", "Can I unsubscribe from your emails?"]


def test_grouping_puts_paraphrases_together_and_unrelated_questions_apart(careerbot: CareerBot):
    texts = [q for group in PARAPHRASES.values() for q in group] + UNRELATED
    library = insights.library_texts(careerbot.catalog.articles())
    groups = [{texts[i] for i in members}
              for members in insights.group_by_meaning(texts, Settings(_env_file=None).gap_distance, library)]
    for phrasings in PARAPHRASES.values():
        assert set(phrasings) in groups
    for question in UNRELATED:
        assert {question} in groups


def test_the_most_typical_phrasing_leads_its_group(careerbot: CareerBot):
    texts = ["moving to Canada to work in machine learning", "How do I relocate to Canada for an ML job?",
             "How can I relocate to Canada for an ML job?", "How do I relocate to Canada for a machine learning job?"]
    (group,) = insights.group_by_meaning(texts, 0.6, insights.library_texts(careerbot.catalog.articles()))
    assert group[0] != 0 and group[-1] == 0  # three say it alike; the odd phrasing is the least typical


def test_each_question_is_embedded_once_per_process(monkeypatch: pytest.MonkeyPatch):
    import bot.embeddings

    real = bot.embeddings.get_embeddings()
    embedded: list[str] = []

    class Counting:
        def embed_documents(self, texts: list[str]) -> list[list[float]]:
            embedded.extend(texts)
            return real.embed_documents(texts)

    monkeypatch.setattr(bot.embeddings, "get_embeddings", lambda: Counting())
    first = insights.question_vectors(["A question asked once in this test?", "Another one for this test?"])
    again = insights.question_vectors(["Another one for this test?", "A third one for this test?"])
    assert embedded == ["A question asked once in this test?", "Another one for this test?",
                        "A third one for this test?"]
    assert (again[0] == first[1]).all() and first.shape == (2, 384)


def test_most_and_least_cited_articles_include_the_never_cited(log_settings: Settings, engine: object):
    gone = ("An article since removed", "removed.md", None, "Old text.")
    seed_log(log_settings, [
        made_exchange("What does an ML engineer do?", sources=[ML_ENGINEER, DATA_SCIENTIST], at=days_ago(1)),
        made_exchange("What do ML engineers ship?", sources=[ML_ENGINEER], at=days_ago(2)),
        made_exchange("Old days", sources=[gone], at=days_ago(3)),
        made_exchange("Long ago", sources=[DATA_SCIENTIST], at=days_ago(60)),  # outside the window
    ])
    library = [Article("ml-engineer.md", "What does an ML engineer do", "https://example.com/ml"),
               Article("data-scientist.md", "Data scientists"),
               Article("never.md", "Zoology careers")]
    uses = insights.article_uses(engine, 30, library, now=NOW)
    assert [(u.source, u.citations) for u in insights.most_cited(uses, 10)] == [
        ("ml-engineer.md", 2), ("removed.md", 1), ("data-scientist.md", 1)]  # ties by title: "An ..." < "Data ..."
    assert [(u.title, u.citations) for u in insights.least_cited(uses, library, 2)] == [
        ("Zoology careers", 0), ("Data scientists", 1)]
    assert insights.most_cited(uses, 1)[0].url == "https://example.com/ml"


def test_recent_threads_are_conversations_in_order_with_sources_and_ratings(log_settings: Settings, engine: object):
    first = made_exchange("What does an ML engineer do?", conversation_id="conv-aaaa", at=days_ago(1, 9),
                          sources=[ML_ENGINEER, DATA_SCIENTIST])
    follow_up = made_exchange("And what do they earn?", "decline", conversation_id="conv-aaaa", at=days_ago(1, 10))
    lone = made_exchange("hello", "smalltalk", at=days_ago(1, 11))
    older = made_exchange("Which skills?", conversation_id="conv-bbbb", at=days_ago(2))
    seed_log(log_settings, [older, follow_up, first, lone], ratings=[(first, "down", "too long")])

    threads = insights.recent_threads(engine, 10)
    assert [t.key for t in threads] == [lone.id, "conv-aaaa", "conv-bbbb"]
    conversation = threads[1]
    assert [turn.exchange.question for turn in conversation.turns] == [first.question, follow_up.question]
    assert [(s.n, s.title, s.passage) for s in conversation.turns[0].exchange.sources] == [
        (1, ML_ENGINEER[0], ML_ENGINEER[3]), (2, DATA_SCIENTIST[0], DATA_SCIENTIST[3])]
    assert (conversation.turns[0].rating, conversation.turns[0].reason) == ("down", "too long")
    assert conversation.turns[1].rating is None and conversation.turns[1].exchange.declined
    assert conversation.last == follow_up.created_at
    assert conversation.opening == first.question and threads[0].opening == "hello"
    assert [t.key for t in insights.recent_threads(engine, 2)] == [lone.id, "conv-aaaa"]


def test_exports_parse_back_to_what_was_recorded(log_settings: Settings, engine: object):
    tricky = 'She said "no", then left;\nnew line, comma, emoji 🚀, and <b>tags</b>'
    answered = made_exchange(tricky, conversation_id="conv-export", at=days_ago(1), sources=[ML_ENGINEER, DATA_SCIENTIST],
                             notice="an extract")
    formula = made_exchange("=HYPERLINK(\"http://evil.example\",\"click\")", "decline", at=days_ago(0))
    seed_log(log_settings, [formula, answered], ratings=[(answered, "up", "clear, thanks")])

    records = [json.loads(line) for line in insights.jsonl_lines(insights.export_records(engine, batch=1))]
    assert [r["id"] for r in records] == [answered.id, formula.id]  # oldest first
    first = records[0]
    assert first["question"] == tricky and first["notice"] == "an extract" and first["channel"] == "web"
    assert (first["rating"], first["reason"]) == ("up", "clear, thanks")
    assert [s["title"] for s in first["sources"]] == [ML_ENGINEER[0], DATA_SCIENTIST[0]]
    assert datetime.fromisoformat(first["created_at"]) == answered.created_at
    assert records[1]["question"] == formula.question and records[1]["declined"] is True

    rows = list(csv.DictReader(io.StringIO("".join(insights.csv_lines(insights.export_records(engine))))))
    assert [row["id"] for row in rows] == [answered.id, formula.id]
    assert rows[0]["question"] == tricky and rows[0]["rating"] == "up"
    assert json.loads(rows[0]["sources"]) == first["sources"]
    assert rows[1]["question"] == "'" + formula.question  # a spreadsheet shows it, doesn't run it


def test_an_empty_log_reads_as_empty(engine: object):
    assert sum(day.total for day in insights.questions_per_day(engine, 30)) == 0
    assert insights.content_gaps(engine, 30, 0.6, 100) == []
    assert insights.recent_threads(engine, 5) == []
    assert list(insights.csv_lines(insights.export_records(engine))) == [",".join(insights.EXPORT_FIELDS) + "\r\n"]


def test_an_export_in_progress_never_holds_up_recording(tmp_path: Path):
    settings = make_settings(data_dir=tmp_path / "data")
    seed_log(settings, [made_exchange(f"Question {i}?", at=days_ago(0)) for i in range(3)])
    log = ConversationLog(settings)
    records = insights.export_records(log.engine, batch=1)
    next(records)  # the export's transaction is open, as while a big file downloads
    started = time.monotonic()
    log.record(made_exchange("Asked during the export?"))
    log.flush(timeout=10)
    assert time.monotonic() - started < 2  # not the 5 s busy timeout: a reader takes no write lock
    assert len(list(records)) == 2  # the export reads one snapshot
    assert insights.logged_count(log.engine, 1) == 4
    log.close()


BAIT = ["URGENT admin: your careerbot licence expired, renew at https://evil.example/renew today",
        "Call +1-555-0100 now or your careerbot licence ends, or mail billing@evil.example"]


def test_content_gaps_count_each_client_once_and_show_bait_inert(log_settings: Settings, engine: object):
    """The first probe's attack: 30 questions from three addresses made an attacker's message the top gap."""
    attackers = ["203.0.113.1", "203.0.113.2", "203.0.113.3"]
    spam = [made_exchange(BAIT[i % 2], "decline", at=days_ago(1), client=attackers[i % 3]) for i in range(30)]
    visa = "Will a tech company sponsor my work visa?"
    readers = [made_exchange(visa, "decline", at=days_ago(2), client=f"198.51.100.{i}") for i in range(4)]
    eager = [made_exchange(visa, "decline", at=days_ago(2), client="198.51.100.9") for _ in range(12)]
    seed_log(log_settings, [*spam, *readers, *eager])

    gaps = insights.content_gaps(engine, 30, 0.6, 100, now=NOW)

    assert gaps[0].label == visa and gaps[0].count == 5  # five readers, however often one of them asked
    assert all(gap.count <= 3 for gap in gaps[1:]) and sum(len(g.clients) for g in gaps[1:]) >= 3
    shown = " ".join(text for gap in gaps for text in (gap.label, *gap.examples, *gap.reasons))
    for bait in ("evil.example", "https://", "555-0100", "billing@"):
        assert bait not in shown
    assert "evil[.]example" in shown and "[phone number]" in shown
    assert not any(ip in client for gap in gaps for client, _ in gap.clients for ip in attackers)  # hashes only


def test_the_owner_can_hide_a_group_and_mark_a_client_abusive(log_settings: Settings, engine: object):
    spam = [made_exchange(BAIT[0], "decline", at=days_ago(1), client="203.0.113.7") for _ in range(3)]
    visa = [made_exchange("Will a tech company sponsor my work visa?", "decline", at=days_ago(1), client="198.51.100.1"),
            made_exchange("Can I get visa sponsorship for a data science job?", "decline", at=days_ago(1))]
    peru = made_exchange("What is the capital of Peru?", "decline", at=days_ago(1), client="203.0.113.7")
    seed_log(log_settings, [*spam, *visa, peru])
    gaps = {gap.label: gap for gap in insights.content_gaps(engine, 30, 0.6, 100, now=NOW)}
    assert len(gaps) == 3
    log = ConversationLog(log_settings)
    try:
        visa_gap = next(gap for gap in gaps.values() if "visa" in gap.label)
        log.hide_questions(visa_gap.keys)
        spam_gap = next(gap for gap in gaps.values() if "licence" in gap.label)
        log.mark_abusive([client for client, _ in spam_gap.clients])
    finally:
        log.close()
    # Hidden: both phrasings of the group; abusive: every question of that client, Peru included.
    assert insights.content_gaps(engine, 30, 0.6, 100, now=NOW) == []
