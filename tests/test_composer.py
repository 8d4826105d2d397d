import re

from langchain_core.documents import Document

from bot.backends.composer import Composer
from bot.text import split_sentences


def passage(text: str, heading: str | None = None, score: float = 0.6, source: str = "a.md") -> Document:
    meta = {"score": score, "source": source, "title": "A"}
    if heading:
        meta["heading"] = heading
    return Document(page_content=text, metadata=meta)


SALARY = passage(
    "Engineers work in many industries. The starting pay is usually around $75,000 a year. "
    "Senior engineers can earn up to $200,000. Some go freelance."
)
SKILLS = passage("Engineers should know Python and R. They also need statistics and linear algebra.", score=0.7)


def test_every_sentence_comes_from_a_cited_passage():
    passages = [SKILLS, SALARY]
    answer = Composer().compose("How much do engineers earn?", passages)
    for cited_text, number in re.findall(r"(.+?)\s\[(\d+)\]", answer):
        source = passages[int(number) - 1].page_content
        for sentence in split_sentences(cited_text):
            assert sentence in source


def test_picks_the_passage_that_answers_not_the_most_similar():
    answer = Composer().compose("What salary can engineers earn?", [SKILLS, SALARY])
    assert "$200,000" in answer and answer.rstrip().endswith("[2]")
    assert "Python" not in answer


def test_keeps_the_sentences_after_a_topic_sentence():
    challenges = passage("Engineers face several challenges. One is biased data. Another is generalization.",
                         heading="Challenges")
    answer = Composer().compose("What challenges do engineers face?", [SKILLS, challenges])
    assert "biased data" in answer


def test_heading_lines_and_fragments_are_not_sentences():
    assert split_sentences("Career path\nThis is a full sentence here. And another one follows it.") == [
        "This is a full sentence here.", "And another one follows it."]


def test_streams_the_same_text_it_composes():
    composer = Composer()
    assert "".join(composer.stream("salary?", [SALARY])) == composer.compose("salary?", [SALARY])


def test_a_strong_match_in_a_second_article_is_added_with_its_own_citation():
    other = passage("Most engineers earn a good salary, often above $100,000.", source="b.md")
    answer = Composer().compose("How much do engineers earn?", [SALARY, other])
    assert "[1]" in answer and "[2]" in answer
