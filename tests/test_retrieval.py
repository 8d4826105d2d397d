from bot.chain import CareerBot
from bot.retrieval import ArticleRetriever, standalone_query


def test_follow_up_is_searched_with_the_previous_question():
    history = [{"role": "user", "content": "What does a machine learning engineer do?"},
               {"role": "assistant", "content": "They build models."}]
    assert standalone_query("How much do they earn?", history) == (
        "What does a machine learning engineer do? How much do they earn?"
    )


def test_self_contained_question_is_searched_alone():
    history = [{"role": "user", "content": "What does a machine learning engineer do?"}]
    question = "Which programming languages should a data scientist learn first?"
    assert standalone_query(question, history) == question
    assert standalone_query("How much do they earn?") == "How much do they earn?"


def test_follow_up_retrieves_salary_passages(careerbot: CareerBot):
    history = [{"role": "user", "content": "What does a machine learning engineer do?"}]
    passages = careerbot.retriever.invoke(standalone_query("How much do they earn?", history))
    assert any("$75,000" in p.page_content for p in passages[:2])


def test_retriever_returns_scored_passages_above_threshold(careerbot: CareerBot):
    passages = careerbot.retriever.invoke("What salary does a machine learning engineer earn?")
    assert 1 <= len(passages) <= careerbot.settings.top_k
    assert all(p.metadata["score"] >= careerbot.settings.threshold for p in passages)
    assert "$75,000" in passages[0].page_content


def test_off_topic_question_retrieves_nothing(careerbot: CareerBot):
    assert careerbot.retriever.invoke("What's the best way to grow tomatoes on a balcony?") == []


def test_word_filtered_search_finds_a_sentence_dense_search_ranks_low(careerbot: CareerBot):
    # "iterative" sits in a paragraph that is mostly about salaries.
    passages = careerbot.retriever.invoke("Is machine learning an iterative process?")
    assert "iterative" in passages[0].page_content


def test_threshold_is_configurable(seeded_settings):
    strict = ArticleRetriever(collection=CareerBot(seeded_settings).collection, k=4, threshold=0.99,
                              supported_threshold=0.99)
    assert strict.invoke("What does a machine learning engineer do?") == []


def test_short_question_is_answered_when_a_distinctive_word_is_in_the_articles(careerbot: CareerBot):
    passages = careerbot.retriever.invoke("What math do I need?")
    assert passages and all("math" in p.page_content.lower() or p.metadata["score"] >= careerbot.settings.threshold
                            for p in passages)


def test_near_miss_without_shared_words_is_declined(careerbot: CareerBot):
    # Similar in shape to on-topic questions ("what should I learn"), but nothing in the articles is about chess.
    assert careerbot.retriever.invoke("What should I learn to play chess?") == []


def test_domain_abbreviations_are_searched_spelled_out(careerbot: CareerBot):
    assert standalone_query("MLE vs DS?") == "MLE (machine learning engineer) vs DS (data scientist)?"
    assert standalone_query("What does an MLE do?") != "What does an MLE do?"
    assert careerbot.answer("What does an MLE do?").sources
