from langchain_core.documents import Document

from bot.answer.pipeline import Answer, CareerBot, cite
from bot.embeddings import _embed_query
from bot.retrieval.retriever import standalone_query
from bot.text import asked, expand_acronyms


def test_answer_cites_numbered_sources_that_contain_its_text(careerbot: CareerBot):
    answer = careerbot.answer("What is the difference between a machine learning engineer and a data scientist?")
    assert not answer.refused and answer.backend == "composer"
    assert answer.sources and "insights" in answer.text
    for source in answer.sources:
        assert f"[{source.n}]" in answer.text
        assert source.title and source.source.endswith(".md") and source.text
    assert any("001_d1d2b828880663f0" in s.source for s in answer.sources)


def test_off_topic_question_is_declined_without_citations(careerbot: CareerBot):
    answer = careerbot.answer("What's a good recipe for lemon cake?")
    assert answer.refused and answer.sources == [] and "don't cover" in answer.text
    assert "[" not in answer.text
    assert "Machine Learning Engineer" in answer.text  # suggests what it can answer


def test_follow_up_uses_the_conversation(careerbot: CareerBot):
    first = careerbot.answer("What does a machine learning engineer do?")
    history = [{"role": "user", "content": "What does a machine learning engineer do?"},
               {"role": "assistant", "content": first.text}]
    answer = careerbot.answer("How much do they earn?", history)
    assert "$75,000" in answer.text or "$200,000" in answer.text


def test_stream_yields_pieces_then_the_final_answer(careerbot: CareerBot):
    pieces = list(careerbot.stream("Which programming languages should a machine learning engineer know?"))
    assert isinstance(pieces[-1], Answer) and all(isinstance(p, str) for p in pieces[:-1])
    assert "".join(pieces[:-1]).strip() == pieces[-1].text
    assert "Python" in pieces[-1].text


def test_chain_is_a_langchain_runnable(careerbot: CareerBot):
    answer = careerbot.chain.invoke({"question": "What degree do I need to become a machine learning engineer?"})
    assert isinstance(answer, Answer) and "computer science" in answer.text.lower()


def test_cite_drops_numbers_that_point_nowhere_and_lists_only_cited_passages():
    passages = [Document(page_content=f"passage {i}", metadata={"title": f"T{i}", "source": f"{i}.md"}) for i in (1, 2, 3)]
    text, sources = cite("First claim [3]. Second claim [7]. Third [3][1].", passages)
    assert text == "First claim [3]. Second claim. Third [3][1]."
    assert [(s.n, s.source) for s in sources] == [(1, "1.md"), (3, "3.md")]


def test_questions_that_say_nothing_answerable_are_declined(careerbot: CareerBot):
    for question in ("what is it?", "¿Cuánto gana un ingeniero de aprendizaje automático en México?",
                     "qwertz asdfgh zxcvbn", "machine " * 400):
        answer = careerbot.answer(question)
        assert answer.refused and not answer.sources, question[:40]


def test_an_answer_about_a_missing_subject_is_declined_even_with_shared_career_words(careerbot: CareerBot):
    answer = careerbot.answer("What's the average salary for registered nurses in Texas?")
    assert answer.refused and answer.sources == []


def test_answering_embeds_only_the_question(careerbot: CareerBot, embedded_texts: list[str]):
    """The units the composer weighs were embedded at ingest and come from the unit collection."""
    question = "What does a machine learning engineer do all day?"
    _embed_query.cache_clear()
    answer = careerbot.chain.invoke({"question": question, "history": []})
    assert answer.sources and embedded_texts
    assert set(embedded_texts) <= {standalone_query(question), expand_acronyms(asked(question), keep=False)}


def test_a_follow_up_naming_a_listed_item_by_place_goes_on_with_that_item(careerbot: CareerBot):
    history = [{"role": "user", "content": "Which skills matter most?"},
               {"role": "assistant", "content": "Three skills stand out: Python; statistics; communication. [1]"}]
    context = careerbot.retrieval_chain.invoke({"question": "how do I get better at the second one?",
                                                "history": history})
    assert context["query"] == "Which skills matter most? (statistics)\nhow do I get better at the second one?"
    # A model's numbered list counts too; a place the list doesn't have names nothing.
    history[1]["content"] = "1. Python [1]\n2. Statistics [2]"
    context = careerbot.retrieval_chain.invoke({"question": "and the last one?", "history": history})
    assert "(Statistics)" in context["query"]
    context = careerbot.retrieval_chain.invoke({"question": "and the fifth one?", "history": history})
    assert "(" not in context["query"]
