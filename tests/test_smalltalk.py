"""Small talk and questions about the bot, recognised by meaning (none of these phrasings is an example in
bot/conversation/smalltalk.py), and real questions that open with a courtesy still answered."""

import pytest

from bot.answer.pipeline import CareerBot
from bot.conversation.catalog import group_titles
from bot.conversation.smalltalk import INTENTS

PHRASINGS = {
    "greeting": ["hello!", "hey there", "good afternoon"],
    "thanks": ["thank you!", "many thanks, very helpful", "awesome, thanks a lot"],
    "goodbye": ["ok bye", "gotta go, see ya", "farewell!"],
    "identity": ["who am I talking to?", "what exactly are you?"],
    "capabilities": ["what sort of questions can you answer?", "what are you able to help with?"],
    "how_it_works": ["how do you come up with answers?", "where does your information come from?"],
}


def test_phrasings_are_not_the_examples():
    examples = {text.lower() for texts in INTENTS.values() for text in texts}
    assert not examples & {p.lower() for texts in PHRASINGS.values() for p in texts}


@pytest.mark.parametrize("intent,message", [(i, m) for i, ms in PHRASINGS.items() for m in ms])
def test_each_intent_is_recognised_by_meaning(library_bot: CareerBot, intent: str, message: str):
    assert library_bot.smalltalk.intent(message) == intent
    reply = library_bot.answer(message)
    assert reply.kind == "smalltalk" and not reply.refused and reply.sources == [] and reply.suggestions == []
    assert "[1]" not in reply.text and "Sorry" not in reply.text


def test_what_can_you_help_with_lists_the_librarys_topics(library_bot: CareerBot):
    reply = library_bot.answer("So what can you help me with?")
    assert reply.kind == "smalltalk"
    for title in ("Data Analyst Salary Guide", "Are Data Bootcamps Worth It?", "Finding Remote Analytics Jobs"):
        assert title in reply.text
    assert "4 articles" in reply.text


def test_streamed_small_talk_is_one_final_reply(library_bot: CareerBot):
    pieces = list(library_bot.stream("hiya!"))
    assert len(pieces) == 1 and pieces[0].kind == "smalltalk" and pieces[0].text.startswith("Hi")


@pytest.mark.parametrize("message,expected", [
    ("thanks — and what do data engineers build?", "pipelines"),
    ("Hi, how long do data bootcamps take?", "12 to 16 weeks"),
    ("Thanks! How long do full-time bootcamps run?", "12 to 16 weeks"),
])
def test_real_questions_with_a_courtesy_are_answered(library_bot: CareerBot, message: str, expected: str):
    answer = library_bot.answer(message)
    assert answer.kind == "answer" and not answer.refused and answer.sources
    assert expected in answer.text


@pytest.mark.parametrize("message", ["What is the weather in Paris?", "Who won the football world cup?",
                                     "What is your favourite colour?", "Write me a poem about cats",
                                     "what is it?", "who is he?"])
def test_off_topic_requests_are_still_declined(library_bot: CareerBot, message: str):
    answer = library_bot.answer(message)
    assert answer.kind == "decline" and answer.refused


def test_titles_group_by_meaning():
    groups = group_titles(["Data analyst salaries in 2025", "What data analysts earn", "Learning to bake sourdough",
                           "Sourdough starters for beginners"])
    assert sorted(sorted(g.titles) for g in groups) == [
        ["Data analyst salaries in 2025", "What data analysts earn"],
        ["Learning to bake sourdough", "Sourdough starters for beginners"]]
    assert {g.label.lower() for g in groups} == {"data", "sourdough"}
