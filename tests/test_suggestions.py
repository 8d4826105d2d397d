"""Suggested next questions and starter questions, built from the loaded library."""

import shutil
from pathlib import Path

import pytest

from bot.answer.pipeline import CareerBot
from bot.ingest.indexing import ingest
from bot.settings import Settings
from bot.conversation.suggestions import parse_starters
from tests.conftest import LIBRARY


@pytest.mark.parametrize("question", ["How long do full-time bootcamps run?", "What do data engineers build?",
                                      "How much does a senior data analyst earn?"])
def test_each_suggestion_gets_a_cited_answer_and_none_repeats_the_question(library_bot: CareerBot, question: str):
    answer = library_bot.answer(question)
    assert answer.sources and 1 <= len(answer.suggestions) <= 3
    assert question not in answer.suggestions and len(set(answer.suggestions)) == len(answer.suggestions)
    for suggestion in answer.suggestions:
        followed = library_bot.answer(suggestion)
        assert followed.kind == "answer" and followed.sources, suggestion
        assert {s.text for s in followed.sources} != {s.text for s in answer.sources}, suggestion  # somewhere new


def test_suggestions_start_with_the_cited_articles_other_sections(library_bot: CareerBot):
    answer = library_bot.answer("How long do full-time bootcamps run?")
    assert {s.title for s in answer.sources} == {"Are Data Bootcamps Worth It?"}
    assert answer.suggestions[0] == "Are bootcamps worth it?"  # another section's heading, a question already
    assert "What should I know about what employers check?" in answer.suggestions


@pytest.mark.parametrize("question", ["How long do full-time bootcamps run?", "How much does a senior data analyst earn?",
                                      "How much does a data analyst earn as a lion tamer in the circus?"])
def test_suggestions_and_starters_read_as_questions_a_reader_would_type(library_bot: CareerBot, question: str):
    offered = library_bot.answer(question).suggestions + library_bot.starter_questions()
    assert offered
    for asked in offered:
        assert asked.endswith("?") and asked[0].isupper() and "Tell me about" not in asked and "“" not in asked, asked
    assert "What should I know about data analyst salary?" in library_bot.starter_questions()  # "… Salary Guide"


def test_a_question_asked_in_other_words_is_not_suggested(library_bot: CareerBot):
    history = [{"role": "user", "content": "WHAT DO EMPLOYERS CHECK"}, {"role": "assistant", "content": "A portfolio. [1]"}]
    answer = library_bot.answer("How long do full-time bootcamps run?", history)
    assert answer.suggestions and not any("employers check" in s for s in answer.suggestions)
    assert "employers check" in " ".join(library_bot.answer("How long do full-time bootcamps run?").suggestions)


def test_a_suggestion_asked_is_not_suggested_again(library_bot: CareerBot):
    first = library_bot.answer("How long do full-time bootcamps run?")
    history = [{"role": "user", "content": "How long do full-time bootcamps run?"},
               {"role": "assistant", "content": first.text}]
    second = library_bot.answer(first.suggestions[0], history)
    assert first.suggestions[0] not in second.suggestions
    assert "How long do full-time bootcamps run?" not in second.suggestions


def test_after_a_decline_suggestions_point_at_the_nearest_topics(library_bot: CareerBot):
    answer = library_bot.answer("How much does a data analyst earn as a lion tamer in the circus?")
    assert answer.kind == "decline" and answer.suggestions
    assert answer.suggestions[0] == "What should I know about data analyst salary?"
    for suggestion in answer.suggestions:
        assert library_bot.answer(suggestion).sources


def test_starter_questions_come_from_the_library_and_follow_an_ingest(settings: Settings):
    for name in ("bootcamps.md", "analyst-pay.html"):
        shutil.copy(LIBRARY / name, settings.knowledge_dir / name)
    ingest([str(settings.knowledge_dir)], settings, progress=False)
    careerbot = CareerBot(settings)
    before = careerbot.starter_questions()
    assert set(before) == {"Are data bootcamps worth it?", "What should I know about data analyst salary?"}
    for starter in before:
        assert careerbot.answer(starter).sources

    shutil.copy(LIBRARY / "remote-analytics-jobs.txt", settings.knowledge_dir)
    ingest([str(settings.knowledge_dir)], settings, progress=False)  # the same store, the same running bot
    after = careerbot.starter_questions()
    assert "How do I go about finding remote analytics jobs?" in after and set(before) < set(after)


def test_starter_questions_differ_between_libraries(library_bot: CareerBot, careerbot: CareerBot):
    assert library_bot.starter_questions() and careerbot.starter_questions()
    assert not set(library_bot.starter_questions()) & set(careerbot.starter_questions())


def test_owner_sets_starter_questions(tmp_path: Path, library_settings: Settings):
    listed = tmp_path / "starters.txt"
    listed.write_text("What is a data analyst?\n\n  How do I start?  \n", encoding="utf-8")
    assert parse_starters(str(listed)) == ["What is a data analyst?", "How do I start?"]
    assert parse_starters("One? | Two?|") == ["One?", "Two?"]
    owned = CareerBot(library_settings.model_copy(update={"starter_questions": "Is SQL enough?|Remote or office?"}))
    assert owned.starter_questions() == ["Is SQL enough?", "Remote or office?"]
