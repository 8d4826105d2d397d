from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import pytest
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from langchain_tests.integration_tests import RetrieversIntegrationTests

from bot.answer.pipeline import Answer, CareerBot
from bot.ingest.indexing import ingest
from bot.retrieval.retriever import ArticleRetriever, joined_query, judged_question, standalone_query
from bot.settings import Settings
from bot.store import get_collection
from tests.conftest import LIBRARY, make_settings


def test_follow_up_is_searched_with_the_previous_question():
    history = [{"role": "user", "content": "What does a machine learning engineer do?"},
               {"role": "assistant", "content": "They build models."}]
    assert standalone_query("How much do they earn?", history) == (
        "What does a machine learning engineer do?\nHow much do they earn?"
    )


def test_a_question_with_few_words_of_its_own_follows_on():
    # Question words and filler ("what", "actually", "usually", "thing") name no subject of their own.
    history = [{"role": "user", "content": "How common are take-home exercises in data science interviews?"}]
    for question in ("What do you actually get handed?", "how long does the whole thing usually take?",
                     "how big is the pay gap?", "what's happening with the pay gap specifically?",
                     # "how long" says a duration is asked, as "how much" says an amount: no words of its own
                     "how long would the extra courses take?", "how long should I give that step?"):
        assert standalone_query(question, history) == f"{history[0]['content']}\n{question}", question
    assert standalone_query("how long do data science bootcamps run?", history) == (
        "how long do data science bootcamps run?")


def test_mine_and_yours_refer_back_to_what_the_earlier_turn_asked_about():
    history = [{"role": "user", "content": "how common is a gap on a resume?"}]
    for question in ("how fast should I be able to explain mine in an interview?",
                     "should recruiters ask about yours before the technical screen?"):
        assert standalone_query(question, history) == f"{history[0]['content']}\n{question}", question


def test_the_process_refers_back_to_the_one_asked_about():
    history = [{"role": "user", "content": "what's the research engineer interview like at big labs?"}]
    question = "how long does the whole process usually take?"
    assert standalone_query(question, history) == f"{history[0]['content']}\n{question}"


def test_one_of_the_two_or_the_latter_refers_back_to_both():
    history = [{"role": "user", "content": "What are the UK equivalents of US security clearances?"}]
    for question in ("How long does the higher of the two take?", "how long does the latter take?"):
        assert standalone_query(question, history) == joined_query(history[0]["content"], question), question
        assert judged_question(question, history) == f"{history[0]['content']}\n{question}", question


def test_it_before_an_infinitive_without_an_object_refers_back():
    # "how long does it take to fix?": fix what? The earlier subject. "how common is it to get hired ..." names its own.
    history = [{"role": "user", "content": "What is the biggest tooling gap for physicists moving into data science?"}]
    assert standalone_query("how long does it take to fix?", history) == (
        "What is the biggest tooling gap for physicists moving into data science?\nhow long does it take to fix?")
    question = "How common is it to get hired without a degree?"
    assert standalone_query(question, history) == question


def test_self_contained_question_is_searched_alone():
    history = [{"role": "user", "content": "What does a machine learning engineer do?"}]
    question = "Which programming languages should a data scientist learn first?"
    assert standalone_query(question, history) == question
    assert standalone_query("How much do they earn?") == "How much do they earn?"


def test_follow_up_retrieves_salary_passages(careerbot: CareerBot):
    history = [{"role": "user", "content": "What does a machine learning engineer do?"}]
    passages = careerbot.retriever.invoke(standalone_query("How much do they earn?", history))
    assert any("$75,000" in p.page_content for p in passages[:2])


def test_retriever_returns_scored_passages(careerbot: CareerBot):
    passages = careerbot.retriever.invoke("What salary does a machine learning engineer earn?")
    assert 1 <= len(passages) <= careerbot.settings.top_k
    assert passages[0].metadata["score"] >= careerbot.settings.threshold
    assert "$75,000" in passages[0].page_content


def test_off_topic_question_retrieves_nothing(careerbot: CareerBot):
    assert careerbot.retriever.invoke("What's the best way to grow tomatoes on a balcony?") == []


def test_lexical_search_finds_a_table_row_dense_search_ranks_low(library_bot: CareerBot):
    # "£52,000" sits in a table row; the question's rare words ("UK", "median") are what finds it.
    passages = library_bot.retriever.invoke("UK median for a senior analyst?")
    assert "£52,000" in passages[0].page_content


def _source(passage: Document) -> str:
    return passage.metadata["source"]


def test_more_of_the_first_passages_article_comes_from_the_ranks_just_below(library_bot: CareerBot):
    question = "what tools do analysts use?"
    ranked = library_bot.retriever.rank(question, 6)
    first, second = _source(ranked[0]), _source(ranked[1])
    # The case holds every side: the two shown are of two articles, and the next ranks hold the second one's,
    # the first one's and a third article's.
    assert first != second and [_source(p) for p in ranked[2:6]] == [second, second, first, _source(ranked[5])]
    assert _source(ranked[5]) not in (first, second)
    found = library_bot.retriever.search(question, k=2, extra=2)
    assert [p.id for p in found] == [p.id for p in (*ranked[:2], ranked[4])]
    # Only the next 2 x extra ranks are looked at.
    assert [p.id for p in library_bot.retriever.search(question, k=2, extra=1)] == [p.id for p in ranked[:2]]
    assert [p.id for p in library_bot.retriever.search(question, k=2)] == [p.id for p in ranked[:2]]
    # At most `extra` of them, however many the next ranks hold.
    pay = "what is the salary of a junior analyst?"
    ranked = library_bot.retriever.rank(pay, 3)
    assert len({_source(p) for p in ranked}) == 1
    assert [p.id for p in library_bot.retriever.search(pay, k=1, extra=1)] == [p.id for p in ranked[:2]]
    # The app hands them to the answer backend.
    app = CareerBot(library_bot.settings.model_copy(update={"top_k": 2, "top_article_extra": 2}))
    assert [p.id for p in app.retrieval_chain.invoke({"question": question})["passages"]] == [p.id for p in found]


def test_threshold_is_configurable(seeded_settings):
    strict = ArticleRetriever.from_settings(seeded_settings, collection=get_collection(seeded_settings),
                                            threshold=0.99)
    assert strict.invoke("What does a machine learning engineer do?") == []


def test_short_question_is_answered_when_its_words_are_in_the_articles(careerbot: CareerBot):
    assert careerbot.retriever.invoke("What math do I need?")


def test_near_miss_without_shared_words_is_declined(careerbot: CareerBot):
    # Similar in shape to on-topic questions ("what should I learn"), but nothing in the articles is about chess.
    assert careerbot.retriever.invoke("What should I learn to play chess?") == []


def test_career_question_about_a_subject_the_library_lacks_is_declined(library_bot: CareerBot):
    # Shares "salary", "median", "degree", "job" with the articles; the subject is what's missing.
    for question in ("What's the median salary of a registered nurse in Texas?",
                     "What degree do I need for a job as an airline pilot?",
                     "How long does a plumbing apprenticeship take before the first job?"):
        assert library_bot.retriever.invoke(question) == [], question


def test_pronouns_and_forms_of_get_weigh_nothing_in_the_decline_check(library_bot: CareerBot):
    # "she" or "got" says nothing about the subject; an article that never writes them still answers.
    passages = library_bot.retriever.rank("What do bootcamps cost?")[:6]
    coverage = library_bot.retriever.coverage
    assert coverage("what did she pay for the bootcamps she got into?", passages) == coverage(
        "what did pay for the bootcamps into?", passages)


def test_a_question_about_an_occupation_no_article_names_is_declined(library_bot: CareerBot):
    # Every other word is in the salary guide ("median", "pay", "junior", "UK"): only the job is missing. (Put where no
    # phrasing names the job asked about, "paramedic" is found by the model's check alone.)
    question = "What's the median paramedic pay for a junior in the UK?"
    without_the_check = library_bot.retriever.model_copy(update={"occupation_similarity": 2.0})
    assert without_the_check.invoke(question)
    assert library_bot.retriever.unknown_occupation(question) == "paramedic"
    assert library_bot.retriever.invoke(question) == []


def test_a_question_about_a_place_no_article_names_is_declined(library_bot: CareerBot):
    # The salary guide gives US and UK figures: Lisbon's pay is not in it, however close the passages come. (Typed
    # in lower case: as a name, the name check would decline it too.)
    question = "What's the median pay of a junior analyst in lisbon?"
    # (The pay check alone would decline it too: "Lisbon" is part of whose pay it asks, and no amount names it.)
    assert library_bot.retriever.model_copy(update={"place_margin": 2.0, "amount_share": 0.0}).invoke(question)
    assert library_bot.retriever.unknown_place(question) == "lisbon"
    assert library_bot.retriever.invoke(question) == []
    # Where the reader lives, or a word that puts nothing anywhere ("international"), is no place asked about.
    for question in ("I live in Lisbon: what do junior analysts earn in the UK?",
                     "Do international students get junior analyst jobs in the UK?"):
        assert library_bot.retriever.unknown_place(question) is None, question
        assert library_bot.retriever.invoke(question), question


def test_what_the_reader_only_tells_beside_the_question_is_not_what_it_asks(library_bot: CareerBot):
    told = ("I spent two years running reports for a logistics firm in Lisbon. What's the median pay of a junior "
            "analyst in the UK?")
    assert library_bot.retriever.unknown_place(told) == "lisbon"  # judged whole, Lisbon would be asked about
    assert library_bot.retriever.invoke(told)
    # Unless the question points back at what was told: whose pay "she" earns is the paramedic's.
    assert library_bot.retriever.invoke("What's the median pay for a junior like her in the UK?")
    assert library_bot.retriever.invoke("My cousin is a paramedic. What's the median pay for a junior like her in "
                                        "the UK?") == []


def test_a_question_pointing_back_at_what_the_reader_told_is_judged_with_it(library_bot: CareerBot):
    # "How long did it take her?" holds no word of the articles; what "it" is, the reader said just before.
    assert library_bot.retriever.invoke("My friend finished a full-time bootcamp last spring. How long did it "
                                        "take her?")
    assert library_bot.retriever.invoke("How long did it take her?") == []


def test_a_country_named_by_its_people_is_found_by_its_name(library_bot: CareerBot):
    # The salary guide gives "US median" pay: an American company's, not a German one's.
    assert library_bot.retriever.invoke("What's the median pay of a junior analyst at an American company?")
    assert library_bot.retriever.invoke("What's the median pay of a junior analyst at a German company?") == []
    # "British" is no article's word, but the UK is: no unknown place.
    question = "What's the median pay of a senior analyst in British firms?"
    assert library_bot.retriever.unknown_place(question) is None
    assert library_bot.retriever.invoke(question)


def test_the_readers_own_background_is_no_occupation_a_question_asks_about(library_bot: CareerBot):
    # "paramedic" is what the reader did, said as a background ("no paramedic bg"), not whose job is asked about.
    for question in ("how do I become a data analyst? no paramedic bg, have a stats degree",
                     "how do I become a data analyst with a paramedic background?"):
        assert library_bot.retriever.unknown_occupation(question) is None, question
    assert library_bot.retriever.unknown_occupation("do paramedic background checks take long?") == "paramedic"


def test_a_kind_of_job_title_no_article_names_is_declined(library_bot: CareerBot):
    # "analyst" is the library's word; a "UX analyst" or a "COBOL analyst" is no job it covers.
    for question, word in (("What does a UX analyst earn?", "ux"),
                           ("what's the day to day of a cobol analyst like?", "cobol")):
        assert library_bot.retriever.unknown_subject(question) == word, question
        assert not library_bot.retriever.invoke(question), question
    # Unless the word may be the reader's adjective or verb (an English word: "decent", "toxic", "poach"), says what
    # kind of post ("newbie", "fulltime"), is a participle ("minted"), clips a word the library writes whole ("sen":
    # senior), is a pay word ("avg"), follows a plural subject ("do startups headhunt analysts?"), or is long enough
    # to be a typo ("preesales").
    for question in ("What do freshly minted analysts earn?", "what do sen analysts earn?", "avg analyst salary?",
                     "what does a decent analyst earn?", "how do I deal with a toxic manager as an analyst?",
                     "do banks poach analysts?", "can a newbie analyst work remotely?", "fulltime analyst pay?",
                     "do startups headhunt analysts?", "what does a preesales analyst earn?"):
        assert library_bot.retriever.unknown_subject(question) is None, question


def test_a_job_no_article_names_is_found_where_the_question_names_the_job_it_asks_about(library_bot: CareerBot):
    # The model doesn't put "croupier" near an occupation, but the question asks what one earns or does all day, or
    # how to become one: the agent noun of the name it asks that of is the job, and no article uses it.
    for question, word in (("What's the median pay of a junior croupier in the UK?", "croupier"),
                           ("how much do senior croupiers earn in the UK?", "croupiers"),
                           ("what does a junior croupier do all day?", "croupier"),
                           ("how do I become a croupier in the UK?", "croupier"),
                           ("how do I get work as a croupier dealing in the UK?", "croupier")):
        assert library_bot.retriever.unknown_occupation(question) is None, question  # not by the model
        assert library_bot.retriever.unknown_subject(question) == word, question
        assert library_bot.retriever.invoke(question) == [], question
    # A word for people in general names no job ("folks"), nor does one saying when, how or how well ("nowadays",
    # "ASAP", "faster", "decent"), the subject of "do" that is no job ("automation"), or one after a job title.
    for question in ("how much do junior data folks earn in the UK?", "what's the pay of a junior analyst nowadays?",
                     "how do I become a data analyst ASAP?", "how do I become a data analyst faster?",
                     "what does a decent analyst earn in the UK?", "what will automation do to data analyst jobs?",
                     "how do I get hired as a data analyst based in London?",
                     "what does a junior fintech analyst earn in the UK?"):
        assert library_bot.retriever.unknown_subject(question) is None, question


def test_a_capital_in_a_question_typed_in_title_case_marks_no_name(library_bot: CareerBot):
    # Every longer word has a capital, so "Earn" (no word of the fixture's articles) is no name the library lacks: the
    # salary guide gives an analyst's UK pay.
    assert library_bot.retriever.invoke("What Does a Data Analyst Earn in the UK?")
    # Typed as a sentence, a capital inside it still marks a name.
    assert library_bot.retriever.unknown_subject("What does a data analyst at Nvidia earn in the UK?") == "nvidia"


def test_a_nationality_is_no_occupation_a_question_asks_about(library_bot: CareerBot):
    # The model puts "British" near "a profession", but nearer "a country": the place check judges it.
    question = "What skills should a junior analyst at a British company learn?"
    assert library_bot.retriever.unknown_occupation(question) is None
    assert library_bot.retriever.invoke(question)


def test_people_a_question_counts_are_no_occupation_it_asks_about(library_bot: CareerBot):
    # "learners" is no article's word, and the model puts it near "an occupation", but nearer "a skill".
    question = "Is a bootcamp worth it for learners with a degree in another quantitative field?"
    assert library_bot.retriever.unknown_occupation(question) is None
    assert library_bot.retriever.invoke(question)


def test_a_degree_is_no_occupation_a_question_asks_about(library_bot: CareerBot):
    # The model puts "doctorate" near "a profession", but nearer "a qualification".
    question = "What share of people finishing a doctorate in the UK work as junior analysts?"
    assert library_bot.retriever.unknown_occupation(question) is None
    assert library_bot.retriever.unknown_occupation("What's the median pay of a junior paramedic?") == "paramedic"


def test_pay_asked_for_someone_an_article_names_only_in_passing_is_declined(settings: Settings, write_article):
    # Every word of the question is in the pay article, in a sentence that states no pay.
    write_article("pay.md", "# Data Analyst Pay in the UK, 2025\n\nJunior data analysts in the UK earn a median of "
                            "£32,000, and senior analysts £55,000.\n\n## By city\n\nAnalysts in London earn about 20% "
                            "more than the UK median.\n\n## Why I moved into data\n\nMy sister, a pharmacist in Leeds, "
                            "was the one who told me to learn SQL. She had automated her own stock reports. Harrowgate Mutual, "
                            "where she works now, still does them by hand.\n")
    write_article("bootcamps.md", "# Are Data Bootcamps Worth It?\n\nMost full-time bootcamps run 12 to 16 weeks and "
                                  "cost between £8,000 and £12,000.\n")
    ingest([str(settings.knowledge_dir)], settings, progress=False)
    retriever = CareerBot(settings).retriever
    question = "How much does a pharmacist earn in Leeds?"
    assert retriever.model_copy(update={"amount_share": 0.0}).invoke(question)
    assert retriever.invoke(question) == []
    # Pay for what a sentence with an amount names, or for what it says in other words, is still answered.
    assert retriever.invoke("How much does a senior data analyst earn in the UK?")
    assert retriever.invoke("what do junior analysts make?")
    # A word no article uses is part of whose pay is asked too: "pharma" analysts are paid nowhere in the library.
    assert retriever.invoke("What do oncology pharma analysts earn?") == []
    # Pay somewhere ("in Leeds") needs the amount stated for that place: the UK figure is no Leeds figure; so does
    # pay at an employer the question names (and "What does X pay ...?" asks an amount too).
    assert retriever.invoke("How much does a junior data analyst earn in Leeds?") == []
    assert retriever.invoke("What does Harrowgate Mutual pay its junior data analysts?") == []
    # "What day rate can ... charge?" asks an amount as "how much do ... charge?" does.
    passages = retriever.rank("What day rate can a pharmacist in Leeds charge?")
    assert retriever.amount_evidence("What day rate can a pharmacist in Leeds charge?", passages) is not None
    # "get" followed by what is got, or "make" with another object, asks no pay; "pay" as the clause's last verb does.
    # "Pay for" bought ("would pay for a course") asks none either; nor does a question asking why.
    for question in ("How much do bootcamps matter when you're trying to get hired as a data analyst?",
                     "What mistakes do junior data analysts tend to make in their first year?",
                     "what would actually make a hiring manager notice a junior data analyst?",
                     "which surveys tell you what analysts would pay for a bootcamp?",
                     "why do companies pay for whole teams of junior data analysts?"):
        assert retriever.amount_evidence(question, passages) is None, question
    assert retriever.amount_evidence("How much do junior data analyst jobs pay per hour?", passages) is not None
    # Pay in a country is stated in its currency: the UK's pounds are no US figure.
    assert retriever.invoke("How much does a junior data analyst earn in the US?") == []


def test_the_part_of_the_article_found_a_question_asks_for_is_among_the_passages_shown(
        settings: Settings, write_article):
    sections = "".join(f"## {topic}\n\nSpace planning analysts {text}.\n\n" for topic, text in (
        ("Who hires them", "work for supermarkets and plan space for every shelf of each store they run"),
        ("Tools", "plan space in Blue Yonder or Spaceman and analyse space in SQL and Excel"),
        ("What the job involves", "build planograms, cluster stores and compare shelf share with sales share"),
        ("How to get in", "usually start as space planners in a retailer's head office, then learn SQL"),
        ("Versus category analysts", "ask where and how a product sells, category analysts what to sell"),
        ("Why retailers pay for the role", "earn their keep: an empty shelf loses the sale to a rival")))
    write_article("space.md", f"# Space Planning Analyst\n\n{sections}## Pay\n\n| Level | United States |\n|---|---|\n"
                              "| Junior | USD 50,000 |\n| Senior | USD 63,000 |\n")
    ingest([str(settings.knowledge_dir)], settings, progress=False)
    retriever = CareerBot(settings).retriever.model_copy(update={"k": 1})
    # The part asked for shares fewer of the question's words ("make", "do", "get into" are none of its) than the
    # other sections do: the pay table, the work, the route in.
    for question, part in (("what does a space planning analyst make in the us", "USD 63,000"),
                           ("what does a space planning analyst actually do all day?", "build planograms"),
                           ("how do i get into space planning?", "start as space planners"),
                           ("which software do space planning analysts rely on?", "Blue Yonder"),
                           ("why would a supermarket bother hiring space planning analysts?", "earn their keep")):
        assert any(part in p.page_content for p in retriever.invoke(question)), question
    assert not any("USD 63,000" in p.page_content for p in retriever.invoke("what tools does a space planning analyst use"))


def test_a_part_split_over_chunks_is_brought_from_its_start(settings: Settings, write_article):
    # The list of what the job involves runs over two chunks; the second shares more of the question's words, but
    # the list opens in the first, with its introduction and first items.
    first = "".join(f"- Duty {n}: build planograms and cluster the stores of region {n} by their footfall\n"
                    for n in range(1, 13))
    rest = "".join(f"- Duty {n}: a space planning analyst actually spends the day on shelf reviews\n"
                   for n in range(13, 17))
    write_article("space.md", "# Space Planning Analyst\n\n## Who hires them\n\nSpace planning analysts work for "
                              "supermarkets and actually plan the space of every shelf, all day.\n\n"
                              f"## What the job involves\n\nThe work falls into sixteen duties:\n\n{first}{rest}")
    ingest([str(settings.knowledge_dir)], settings, progress=False)
    retriever = CareerBot(settings).retriever.model_copy(update={"k": 1})
    passages = retriever.invoke("what does a space planning analyst actually do all day?")
    assert passages[0].page_content.startswith("The work falls into sixteen duties:\n- Duty 1:")


def test_pay_asked_here_or_in_an_abbreviated_city_is_answered(settings: Settings, write_article):
    write_article("pay.md", "# Analyst Pay by City\n\nHere is our yearly guide. Junior data analysts earn $80,000 in "
                            "New York City and $70,000 in Chicago.\n")
    ingest([str(settings.knowledge_dir)], settings, progress=False)
    retriever = CareerBot(settings).retriever
    # "Here" puts the pay nowhere an article must name; "NYC" is where the article's New York City is.
    assert retriever.invoke("I'm in Chicago. How much does a junior data analyst earn around here?")
    assert retriever.invoke("how much do junior analysts make in NYC?")
    assert retriever.invoke("how much do junior analysts make in nyc?")  # readers type it in lower case
    assert retriever.invoke("how much do junior analysts make in Boston?") == []


def test_a_figure_of_an_exam_an_article_names_only_in_a_list_is_declined(settings: Settings, write_article):
    write_article("mlops.md", "# How to Become an MLOps Engineer\n\n## Certifications worth having\n\nThree "
                              "certifications come up again and again in MLOps job ads:\n\n"
                              "- Certified Kubernetes Administrator (CKA)\n- AWS Certified Machine Learning Specialty\n"
                              "- Google Professional Machine Learning Engineer\n\nEach takes most people a few weeks "
                              "of evening study, and every exam is passed on a scaled score. A networking certificate such "
                              "as the CCNA shows up on some CVs, but nobody we spoke to required one. A few UK editors ask for "
                              "the NCTJ diploma, with its shorthand speed test, too. The new Snowflake Analyst Assoc. "
                              "badge is not on the list yet.\n")
    write_article("fees.md", "# Data Certifications: Fees and Pass Marks\n\n| Certification | Fee | Questions | Pass mark |\n"
                             "|---|---|---|---|\n| SnowPro Core | $175 | 100 | 750 of 1000 |\n"
                             "| Databricks Data Engineer Associate | $200 | 45 | 70% |\n"
                             "| Azure Data Scientist Associate | $165 | 40-60 | not published |\n")
    ingest([str(settings.knowledge_dir)], settings, progress=False)
    retriever = CareerBot(settings).retriever
    for question in ("What's the passing score for the Certified Kubernetes Administrator exam?",
                     "How much does the AWS Certified Machine Learning Specialty exam cost?",
                     "How long is the CCNA exam?",
                     "What shorthand speed do you need for the NCTJ diploma?",
                     # The row names the exam, but its numbers are a fee and a count of questions, no pass mark.
                     "What's the passing score on the Azure Data Scientist Associate exam?",
                     "What's the pass rate for the Azure Data Scientist Associate exam?"):
        assert retriever.invoke(question) == [], question
    assert retriever.invoke("How much does the Azure Data Scientist Associate exam cost?")
    # The figure stated where the exam is named is answered; so is what the list does say of the others.
    assert retriever.invoke("How much does the SnowPro Core exam cost?")
    assert retriever.invoke("what's the pass mark for the databricks data engineer associate cert?")
    # A clipped word ("assoc", which an article writes too) names what it clips.
    assert retriever.invoke("databricks data engineer assoc cert - pass mark?")
    assert retriever.invoke("Which certifications are worth having for an MLOps engineer job?")
    # A count of exams names none.
    assert retriever.invoke("I've passed two exams already; which certifications are worth having for MLOps?")
    # Whatever it asks of an exam, a question about one no passage names is not covered: "Google" and "Kubernetes"
    # are each in the list, but no certification is both.
    assert retriever.invoke("Is the Google Kubernetes certification worth having for an MLOps engineer?") == []
    assert retriever.invoke("Is the Certified Kubernetes Administrator certification worth having for MLOps?")


def test_exam_as_the_kind_of_organisation_names_no_exam(settings: Settings, write_article):
    write_article("boards.md", "# Statistician at an Awarding Body\n\n## Setting grade boundaries\n\nEach summer the "
                               "boundaries are decided in a fixed order:\n\n1. Marking finishes.\n2. Predictions are "
                               "produced from prior attainment.\n3. Senior examiners review scripts near each "
                               "boundary.\n")
    ingest([str(settings.knowledge_dir)], settings, progress=False)
    retriever = CareerBot(settings).retriever
    # The words before "exam boards" name no exam that a sentence must name.
    assert retriever.invoke("walk me through the steps exam boards go through to decide grade boundaries")


def test_a_visa_no_passage_names_is_declined(settings: Settings, write_article):
    write_article("move.md", "# Moving to London as a Data Scientist\n\n## Visas\n\nMost data scientists from abroad "
                             "come on a Skilled Worker visa sponsored by their employer; the employer applies first, then "
                             "you do. Expect the process to take six to eight weeks. Global firms sponsor most often. Data "
                             "talent is scarce, so a good CV gets you far.\n\n## Pay\n\nJunior data scientists in London "
                             "earn £45,000 to £55,000.\n")
    ingest([str(settings.knowledge_dir)], settings, progress=False)
    retriever = CareerBot(settings).retriever
    assert retriever.invoke("How do I get a Skilled Worker visa as a data scientist in London?")
    assert retriever.invoke("what visa do data scientists moving to London come on?")
    # "Global" and "Talent" are both the article's words, but no sentence names a Global Talent visa.
    assert retriever.invoke("Can a data scientist get a Global Talent visa for London?") == []


def test_an_employer_asked_about_that_no_passage_found_names_is_declined(settings: Settings, write_article):
    write_article("loops.md", "# The Data Scientist Interview Loop\n\nMost data scientist interview processes have "
                              "four stages: a recruiter call, a SQL screen, a take-home and an onsite loop.\n")
    for role in ("data analyst", "data engineer", "ML engineer", "analytics engineer", "research scientist",
                 "product analyst", "BI developer"):  # the passages found for an interview question
        write_article(f"{role}.md", f"# How {role} interviews run\n\nA {role} interview process usually starts "
                                    f"with a recruiter call, then a technical screen and a final round.\n")
    write_article("layoffs.md", "# Tech Layoffs in 2023\n\nSpotify cut 6% of its staff in January, and several "
                                "other music and media companies followed.\n")
    ingest([str(settings.knowledge_dir)], settings, progress=False)
    retriever = CareerBot(settings).retriever
    for question in ("What's the interview process like for a data scientist at Spotify?",
                     "got a data scientist interview at Spotify next month, what's the process like?",
                     "How does Spotify run its data scientist interview process?"):
        assert retriever.invoke(question) == [], question
    assert retriever.invoke("What's the interview process like for a data scientist?")
    # A name the question asks nothing of (no verb's subject, no owner) need not be in them.
    assert retriever.invoke("Do interview processes for a data scientist differ at firms like Spotify?")
    # Where the reader has been, told beside the question, is not what it asks about.
    assert retriever.invoke("I spent two years at Spotify. What's the interview process like for a data scientist?")
    # A name the passages found hold is answered; "US" is typed as an abbreviation, not a name; a name no article
    # uses ("Jan") is for the place check to judge.
    assert retriever.invoke("How many staff did Spotify cut in January?")
    assert retriever.invoke("How many staff did Spotify cut in Jan?")
    assert retriever.invoke("What's the interview process like for a data scientist in the US?")


def test_a_name_no_article_uses_asked_about_is_declined(library_bot: CareerBot):
    # Every other word is the salary guide's: what Nvidia looks for, no article says.
    question = "Which skills does Nvidia look for in junior analysts?"
    assert library_bot.retriever.unknown_subject(question) == "nvidia"
    assert library_bot.retriever.invoke(question) == []
    # A name with a capital inside it is typed as one too; an abbreviation ending in a capital ("HoP") is not.
    assert library_bot.retriever.unknown_subject("Which skills does DraftKings look for in junior analysts?") == (
        "draftkings")
    assert library_bot.retriever.unknown_subject("Which skills does HoP look for in junior analysts?") is None
    # Where the reader works is told, not asked about; an acronym's spelled-out phrase is no name typed.
    assert library_bot.retriever.invoke("I'm a junior analyst at Nvidia. Which skills raise an analyst's pay?")
    assert library_bot.retriever.unknown_subject("Which skills raise an analyst's pay in the UK?") is None


def test_a_name_typed_with_a_capital_inside_is_no_typo_of_a_library_word(settings: Settings, write_article):
    write_article("satellites.md", "# ML Careers in Satellite Operations\n\nSpace agencies hire machine learning "
                                   "engineers to monitor satellite telemetry. Pay starts at $95,000 a year, "
                                   "PayScale reports.\n")
    ingest([str(settings.knowledge_dir)], settings, progress=False)
    retriever = CareerBot(settings).retriever
    # "SpaceX" is one letter from the library's "space", but typed as a name: an employer no article names.
    question = "Does SpaceX hire ML engineers to monitor satellite telemetry?"
    assert retriever.corrected(question) == question
    assert retriever.unknown_subject(question) == "spacex"
    assert retriever.invoke(question) == []
    assert retriever.invoke("Do space agencies hire ML engineers to monitor satellite telemetry?")
    assert retriever.corrected("Does SpaceX monitor satelite data?") == "Does SpaceX monitor satellite data?"
    # It may be a typo of another name, one no dictionary holds.
    assert "payscale" in retriever.corrected("what does PaySclae report for ML engineers?").lower()


def test_the_readers_own_occupation_is_no_subject_the_library_must_hold(library_bot: CareerBot):
    for question in ("I'm a paramedic: what do junior analysts earn in the UK?",
                     "As a paramedic, what do junior analysts earn in the UK?",
                     "switching from paramedic work, what do junior analysts earn in the UK?"):
        assert library_bot.retriever.unknown_occupation(question) is None, question
        assert library_bot.retriever.invoke(question), question


def test_a_job_the_reader_would_leave_is_no_subject_the_library_must_hold(library_bot: CareerBot):
    # A career change is about where it leads; "become a paramedic" is about the paramedic.
    for question in ("Can a paramedic become a data analyst?", "Is data analysis a good fit for paramedics?",
                     "What should a paramedic learn to switch into data analysis?"):
        assert library_bot.retriever.unknown_occupation(question) is None, question
    assert library_bot.retriever.unknown_occupation("How does a data analyst become a paramedic?") == "paramedic"


def test_misspelt_words_still_count_as_covered(library_bot: CareerBot):
    assert library_bot.retriever.invoke("senior analist salery in the UK?")


def test_a_follow_up_about_a_new_subject_is_declined(library_bot: CareerBot):
    history = [{"role": "user", "content": "How long do data bootcamps take?"}]
    question = "and what about a dentist?"
    assert library_bot.retriever.search(standalone_query(question, history), question) == []
    question = "and how much do they cost part-time?"
    assert library_bot.retriever.search(standalone_query("how long do they take part-time?", history),
                                        "how long do they take part-time?")


def test_domain_abbreviations_are_searched_spelled_out(careerbot: CareerBot):
    assert standalone_query("MLE vs DS?") == "MLE (machine learning engineer) vs DS (data scientist)?"
    assert standalone_query("What does an MLE do?") != "What does an MLE do?"
    assert careerbot.answer("What does an MLE do?").sources


@lru_cache(maxsize=1)
def _standard_suite_settings() -> Settings:
    import tempfile

    settings = make_settings(knowledge_dir=LIBRARY, store_dir=Path(tempfile.mkdtemp(prefix="careerbot-std-")))
    ingest([str(LIBRARY)], settings, progress=False)
    return settings


class TestArticleRetrieverStandard(RetrieversIntegrationTests):
    """LangChain's standard retriever contract, on a real store (`invoke(query, k=1)` included)."""

    @property
    def retriever_constructor(self) -> type[BaseRetriever]:
        return ArticleRetriever

    @property
    def retriever_constructor_params(self) -> dict:
        return {"collection": get_collection(_standard_suite_settings())}

    @property
    def retriever_query_example(self) -> str:
        return "What does a data analyst earn at each level, and which skills raise the pay?"


SRE_ARTICLE = """---
title: Life as a site reliability engineer
---
# What a site reliability engineer does

A site reliability engineer keeps production services fast and available. When a service goes down at night, the
site reliability engineer on call restores it first and writes the postmortem the next morning.

# Pay and hours

Most site reliability engineers join an on-call rotation one week in four, and teams pay extra for those weeks.
"""
ANALYST_ARTICLE = """# Data analysts

Data analysts query the warehouse, build dashboards and present findings to managers every week. A service team
often asks them which features customers use most.
"""


DBA_ARTICLE = """# Keeping databases healthy

A database administrator keeps the company's databases fast, backed up and secure. Most of the week goes to
tuning slow queries and planning upgrades.

## Where the job is going

Cloud services now automate much of database administration, so the role leans more on capacity planning.
"""


# "DBA": "database" gives two initials (data + base), and the library writes the phrase in two inflections.
@pytest.mark.parametrize(("article", "question", "spelled", "answered"), [
    (SRE_ARTICLE, "What does an SRE do when a service goes down?", {"SRE": "site reliability engineer"},
     "restores it first"),
    (DBA_ARTICLE, "What does a DBA spend the week on?", {"DBA": "database administrator"}, "tuning slow queries"),
    # Typed in lower case, as readers do.
    (SRE_ARTICLE, "lol what does an sre do when a service goes down?", {"sre": "site reliability engineer"},
     "restores it first"),
], ids=["SRE", "DBA", "sre"])
def test_an_acronym_the_library_never_writes_is_searched_as_the_library_spells_it(
        settings, write_article, article: str, question: str, spelled: dict[str, str], answered: str):
    write_article("acronym.md", article)
    write_article("analysts.md", ANALYST_ARTICLE)
    ingest([str(settings.knowledge_dir)], settings, progress=False)
    careerbot = CareerBot(settings)
    assert careerbot.retriever.acronyms(question) == spelled
    answer = careerbot.answer(question)
    assert [s.source for s in answer.sources] and {s.source for s in answer.sources} == {"acronym.md"}
    assert answered in answer.text


def test_a_lower_case_word_is_read_as_an_acronym_only_of_a_title_or_heading(settings, write_article):
    # "fun" is no acronym of "future users notice", which the text holds but no title or heading; "pm" after a
    # number is the time of day, though the title spells product managers.
    write_article("pm.md", "# Product Managers\n\nProduct managers watch what future users notice. Future users notice "
                           "slow pages first, and product managers hear of it by evening.\n")
    ingest([str(settings.knowledge_dir)], settings, progress=False)
    retriever = CareerBot(settings).retriever
    assert retriever.acronyms("is the job of product managers fun?") == {}
    assert retriever.acronyms("do product managers email a recruiter after 5 pm?") == {}
    assert retriever.acronyms("what do pm interviews ask?") == {"pm": "product managers"}


def test_a_misspelt_stopword_weighs_nothing_in_the_decline_check(library_bot: CareerBot):
    passages = library_bot.retriever.rank("How long do bootcamps take?")[:6]
    coverage = library_bot.retriever.coverage
    assert coverage("how long do bootcamps actualy take?", passages) == coverage("how long do bootcamps take?", passages)


def test_a_stopword_typed_without_its_silent_letter_weighs_nothing_in_the_decline_check(library_bot: CareerBot):
    passages = library_bot.retriever.rank("What do bootcamps cost?")[:6]
    coverage = library_bot.retriever.coverage
    assert coverage("wat do bootcamps cost?", passages) == coverage("what do bootcamps cost?", passages)


def test_else_weighs_nothing_in_the_decline_check(library_bot: CareerBot):
    # "what else can I ask for?" says nothing about the subject; no article needs to write "else".
    passages = library_bot.retriever.rank("What do bootcamps cost?")[:6]
    coverage = library_bot.retriever.coverage
    assert coverage("what else do bootcamps cost?", passages) == coverage("what do bootcamps cost?", passages)


def test_a_question_word_typed_without_its_silent_letter_is_read_as_the_question_word(library_bot: CareerBot):
    # "what skills" asks for a list; "wat skills" must too. "bot" (both without its h) is no question word.
    corrected = library_bot.retriever.corrected("Wat skills does a bot developer need, and wen?")
    assert corrected == "What skills does a bot developer need, and when?"
    # A stopword typed as it is stays itself: "were" is no "where" without its h.
    assert library_bot.retriever.corrected("How many analysts were let go?") == "How many analysts were let go?"


def test_chat_filler_weighs_nothing_in_the_decline_check(library_bot: CareerBot):
    # "lol", "tho", "kinda": no article writes them, and they say nothing about what is asked.
    passages = library_bot.retriever.rank("What do bootcamps cost?")[:6]
    coverage = library_bot.retriever.coverage
    assert coverage("what do bootcamps kinda cost tho lol", passages) == coverage("what do bootcamps cost?", passages)


def test_an_acronym_counts_as_covered_when_the_passage_writes_it(library_bot: CareerBot):
    # ACRONYMS spells "PhD" out with "doctorate", which no article writes: the acronym itself is enough.
    phd = Document(page_content="You do not need a PhD to become a data engineer.", metadata={})
    assert library_bot.retriever.coverage("Does a data engineer need a PhD?", [phd]) == pytest.approx(1.0)


def test_letters_joined_by_a_slash_are_one_word_as_readers_type_it(library_bot: CareerBot):
    # "ab test" was declined beside a passage on "A/B tests": "A" and "B" alone are no words.
    passage = Document(page_content="Run every A/B test for at least two weeks.", metadata={})
    assert library_bot.retriever.coverage("how many weeks should an ab test run?", [passage]) == pytest.approx(1.0)


def test_the_word_that_makes_how_ask_for_a_duration_is_no_word_the_passage_must_hold(library_bot: CareerBot):
    passage = Document(page_content="Most full-time bootcamps run 12 to 16 weeks.", metadata={})
    assert library_bot.retriever.coverage("how long do full-time bootcamps run?", [passage]) == pytest.approx(1.0)


def test_a_follow_up_that_refers_back_is_judged_with_what_it_refers_to():
    history = [{"role": "user", "content": "What is a take-home exercise?"}]
    assert judged_question("how much time should it eat up?", history) == (
        "What is a take-home exercise?\nhow much time should it eat up?")
    # "why so ...?" asks about what was just said, whatever its adjective ("tight": no article's word).
    assert judged_question("why so tight?", history) == "What is a take-home exercise?\nwhy so tight?"
    # "to" joining a span's ends ("start to finish") is no infinitive that would make "it" point at nothing.
    assert judged_question("how long does it take start to finish?", history) == (
        "What is a take-home exercise?\nhow long does it take start to finish?")
    assert judged_question("how common is it to fail at first?", history) == "how common is it to fail at first?"
    assert judged_question("and what about a dentist?", history) == "and what about a dentist?"
    assert judged_question("What do data engineers earn?", history) == "What do data engineers earn?"
    # One that only narrows the earlier question, in words no article may use ("ladder"), is judged with it; one that
    # asks a question of its own after "and" is not.
    assert judged_question("and at the very top of the ladder?", history) == (
        "What is a take-home exercise?\nand at the very top of the ladder?")
    assert judged_question("and for a paramedic?", history) == "What is a take-home exercise?\nand for a paramedic?"
    assert judged_question("and how do dentists find work?", history) == "and how do dentists find work?"


def test_a_follow_up_narrowing_to_a_job_no_article_names_is_still_declined(library_bot: CareerBot):
    history = [{"role": "user", "content": "What do data analysts earn?"},
               {"role": "assistant", "content": "Data analysts earn ... [1]"}]
    context = library_bot.retrieval_chain.invoke({"question": "and for a paramedic?", "history": history})
    assert "\n" in context["judged"] and not context["passages"]


def test_a_follow_up_that_names_nothing_new_is_judged_with_what_it_follows(library_bot: CareerBot):
    # "longer" is a word of the library, though not of the bootcamp passages: judged alone, it covered nothing.
    history = [{"role": "user", "content": "How long do data bootcamps take?"},
               {"role": "assistant", "content": "Most full-time bootcamps run 12 to 16 weeks. [1]"}]
    knows = library_bot.retriever.knows_every_word
    assert judged_question("how much longer?", history, knows) == "How long do data bootcamps take?\nhow much longer?"
    assert library_bot.retrieval_chain.invoke({"question": "how much longer?", "history": history})["passages"]
    # "and if ..." puts a case of the same subject, not a new one.
    for question in ("and if I work, how much longer?", "but if I work, how much longer?"):
        assert judged_question(question, history, knows) == f"How long do data bootcamps take?\n{question}", question
    # Turning to another subject, or naming one no article uses, is still judged alone.
    assert judged_question("what about remote ones?", history, knows) == "what about remote ones?"
    assert judged_question("how much pricier?", history, knows) == "how much pricier?"


_SWITCH_LIBRARY = {
    "lab.md": "# From Lab Technician to Bioinformatician\n\nMany lab technicians already handle sequencing runs every "
              "week.\n\n## How to make the move\n\nOf the 140 people we spoke to, 44% never left their employer: they "
              "took over the analysis scripts of their own lab and were given the new title in place. The rest applied "
              "elsewhere after a year of part-time study. The median time from the first script to the new title was "
              "14 months. Sequencing cores were the most common first home, followed by hospital genetics labs and seed "
              "companies. Three in four kept wet-lab duties for at least six months, and most said the overlap helped "
              "them understand the data.\n\n## What to learn\n\nLearn Python and R first, then the command line tools "
              "used to align reads.\n\n## Where they go next\n\nAbout a third of our group later became data product "
              "managers; most others stayed in research.\n",
    "pay.md": "# Data Analyst Pay in 2025\n\nThe median data analyst earns $78,000 in the United States.\n\n## By "
              "industry\n\nAnalysts in finance earn about 12% more than those in retail.\n\n## Remote work\n\nRemote "
              "analyst roles paid 4% less than office roles in our survey.\n\n## Raises\n\nAnalysts who stay with their "
              "current team get a median raise of 3% a year.\n",
    "bootcamps.md": "# Are Data Bootcamps Worth It?\n\nMost full-time bootcamps run 12 to 16 weeks and cost between "
                    "$10,000 and $17,000.\n\n## What employers think\n\nEmployers care more about the projects you ship "
                    "than the certificate.\n\n## Studying while working\n\nCareer changers who make the switch through a "
                    "part-time bootcamp study for about ten hours a week.\n\n## Refunds\n\nMost bootcamps refund the fee "
                    "in full during the first two weeks.\n",
}


def test_a_question_that_goes_on_without_pointing_back_is_answered_from_the_earlier_subject(
        settings: Settings, write_article):
    # No "it" or "they": alone it comes closest to the lab passage, too weakly to answer.
    for name, text in _SWITCH_LIBRARY.items():
        write_article(name, text)
    ingest([str(settings.knowledge_dir)], settings, progress=False)
    careerbot = CareerBot(settings)
    question = "can I make the switch at my current employer?"

    def after(first: str) -> Answer:
        history = [{"role": "user", "content": first}, {"role": "assistant", "content": careerbot.answer(first).text}]
        return careerbot.answer(question, history)

    assert careerbot.answer(question).refused
    assert "44% never left their employer" in after("how do I get from lab technician to bioinformatician?").text
    # One that comes closest to another section of the article the conversation is on goes on with it too.
    later, earlier = "how many stayed in research later?", "how do I get from lab technician to bioinformatician?"
    own, joined = (max(careerbot.retriever.rank(query, 4), key=lambda p: p.metadata["score"])
                   for query in (later, joined_query(earlier, later)))
    assert own.id != joined.id and own.metadata["source"] == joined.metadata["source"]
    assert careerbot.retriever.search_continuing(later, later, joined_query(earlier, later))
    # After another subject, whose passages the question alone doesn't come closest to, it is still declined.
    assert after("what do data analysts earn in finance?").refused
    assert after("how long do bootcamps run?").refused


_PROCESS_LIBRARY = {
    "adas.md": "# Careers in ADAS Validation\n\nValidation engineers prove that driver assistance features work on real "
               "roads.\n\n## Process standards\n\nAutomotive SPICE is the process assessment model carmakers use to "
               "audit suppliers' software development. Most programmes demand capability level 2, which means test "
               "data, tools and reports must be versioned and reviewed.\n",
    "mt.md": "# Machine Translation Careers\n\nMT engineers train and evaluate translation engines for localization "
             "teams.\n\n## Career levels\n\nMost teams grade engineers at three levels: associate, engineer and lead. "
             "Each level adds ownership of a language pair and a say in which engines the team buys.\n",
    "pay.md": "# Data Analyst Pay in 2025\n\nThe median data analyst earns $78,000 in the United States.\n",
}


def test_a_question_going_on_in_words_only_the_earlier_article_holds_is_answered_from_it(
        settings: Settings, write_article):
    for name, text in _PROCESS_LIBRARY.items():
        write_article(name, text)
    ingest([str(settings.knowledge_dir)], settings, progress=False)
    retriever = CareerBot(settings).retriever
    question = "What capability level do most programmes demand?"
    own = max(retriever.rank(question, retriever.k), key=lambda p: p.metadata["score"])
    assert own.metadata["source"].endswith("mt.md")  # alone, it comes closest to the other article's levels
    passages = retriever.search_continuing(question, question, joined_query(
        "What is Automotive SPICE in ADAS validation?", question))
    assert any("capability level 2" in p.page_content for p in passages)
    # After a subject whose article lacks the question's words, it doesn't go on.
    assert retriever.search_continuing(question, question, joined_query("What does a data analyst earn?", question)) == []


def test_pay_stated_in_a_passage_on_the_country_asked_or_for_each_place_compared_is_answered(
        settings: Settings, write_article):
    write_article("epi.md", "# Epidemiology Careers\n\n## Why the figures disagree\n\nIn the United States, published "
                            "figures disagree. The Bureau of Labor Statistics reported a median annual wage for "
                            "epidemiologists of $81,390 in May 2023.\n")
    write_article("adas.md", "# ADAS Validation Careers\n\nThe biggest employers are Bosch and Continental.\n\n## Pay\n\n"
                             "- Germany: €65,000 to €85,000 for validation engineers.\n"
                             "- United States: $105,000 to $140,000 around Detroit.\n")
    ingest([str(settings.knowledge_dir)], settings, progress=False)
    retriever = CareerBot(settings).retriever
    # The sentence with the figure doesn't name the US; the passage does, and the figure is in dollars.
    assert retriever.invoke("What is the median salary for epidemiologists in the US?")
    assert retriever.invoke("What is the median salary for epidemiologists in the UK?") == []
    # Two places compared: each has a row of its own, in its own currency.
    assert retriever.invoke("How does pay for validation engineers in Germany compare with the Detroit area?")
    # An employer named beside the place must have a figure of its own too.
    assert retriever.invoke("What does Continental pay validation engineers in Germany?") == []


def test_a_country_asked_by_its_code_or_a_short_name_is_no_unknown_place(settings: Settings, write_article):
    write_article("mining.md", "# Data Science in Mining\n\nMost roles are in Western Australia.\n\n## Pay\n\n"
                               "- Perth, office-based: AUD 140,000 to 180,000 a year\n- Australian contractor: AUD 1,100 to "
                               "1,400 per day\n\n## In the UK\n\nLondon head offices hire a few analysts.\n")
    ingest([str(settings.knowledge_dir)], settings, progress=False)
    retriever = CareerBot(settings).retriever
    assert retriever.unknown_subject("mining analyst contractor day rate in AUS?") is None
    assert retriever.invoke("mining analyst contractor day rate in AUS?")
    assert retriever.unknown_subject("mining analyst jobs in Britain?") is None


def test_a_country_typed_in_lower_case_by_its_people_is_no_unknown_place(settings: Settings, write_article):
    write_article("sawmill.md", "# Yield Analysts in Sawmills\n\nThe role exists at the larger lumber producers in "
                                "Sweden and Canada.\n\n## Pay\n\n| Role | Sweden | Canada |\n|---|---|---|\n| Yield "
                                "analyst | SEK 520,000 | CAD 88,000 |\n")
    ingest([str(settings.knowledge_dir)], settings, progress=False)
    retriever = CareerBot(settings).retriever
    assert retriever.unknown_subject("what do yield analysts at canadian sawmills make") is None
    assert retriever.invoke("what do yield analysts at canadian sawmills make")
    assert retriever.unknown_subject("what do yield analysts at chilean sawmills make") == "chilean"


def test_a_section_written_as_headed_parts_is_answered_by_its_parts_headings(settings: Settings, write_article):
    parts = "".join(f"### {name}\n\n{text}\n\n" for name, text in [
        ("Propensity to pay", "How likely is this customer to pay something in the next 30 days?"),
        ("Right-party contact", "A call only counts if it reaches the actual customer."),
        ("Channel choice", "Letters, calls and texts cost very different amounts."),
        ("Settlement offers", "Offer models estimate which discount a customer will accept.")])
    write_article("debt.md", "# Data Work in Debt Collection\n\nAgencies decide who gets contacted and how.\n\n"
                             "## The models you would build\n\nCollections teams use a standard set of models.\n\n"
                             f"{parts}## Pay\n\nAnalysts earn GBP 38,000.\n")
    ingest([str(settings.knowledge_dir)], settings, progress=False)
    careerbot = CareerBot(settings)
    section = next(p for p in careerbot.retriever.invoke("what models do collections teams build?")
                   if p.metadata.get("heading") == "The models you would build")
    assert section.metadata["subheadings"] == ["Propensity to pay", "Right-party contact", "Channel choice",
                                               "Settlement offers"]
    answer = careerbot.answer("what kinds of models do collections analysts build?").text
    assert answer.startswith("Propensity to pay; Right-party contact; Channel choice; Settlement offers."), answer


def test_a_section_of_headed_parts_with_no_text_of_its_own_is_answered_by_its_parts_headings(
        settings: Settings, write_article):
    # No chunk holds "Four skills the job asks for": each part is a chunk of its own, under that heading.
    parts = "".join(f"### {name}\n\n{text}\n\n" for name, text in [
        ("Object detection on poor video", "Cameras are cheap and many are decades old."),
        ("Learning from rare outcomes", "Almost every alarm is false, so accuracy means little."),
        ("Working with event streams", "Panels send coded events in sequence: set, unset, zone trip."),
        ("Talking to operators", "Sit a night shift in the control room once a quarter.")])
    write_article("alarm.md", "# Alarm Monitoring ML Engineer\n\nMonitoring centres watch alarms for homes and shops."
                              f"\n\n## Four skills the job asks for\n\n{parts}## Pay\n\nEngineers earn GBP 48,000.\n")
    ingest([str(settings.knowledge_dir)], settings, progress=False)
    careerbot = CareerBot(settings)
    answer = careerbot.answer("what skills do I need to be an ML engineer at an alarm monitoring centre?")
    assert answer.text.startswith("Object detection on poor video; Learning from rare outcomes; Working with event "
                                  "streams; Talking to operators."), answer.text
    # A question naming one of the parts is answered from it, not with the list of them all.
    answer = careerbot.answer("what are the skills needed to talk to operators?")
    assert "night shift" in answer.text and "Object detection" not in answer.text, answer.text


def test_a_word_in_the_other_english_spelling_is_read_in_the_librarys(settings: Settings, write_article):
    write_article("paint.md", "# Paint Color Matching\n\nColor matchers model how pigments mix, at the tinting "
                              "center of each store.\n")
    ingest([str(settings.knowledge_dir)], settings, progress=False)
    retriever = CareerBot(settings).retriever
    # Words of the dictionary both ways, so no typo of the library's.
    assert retriever.corrected("do colour matchers work at the centre?") == "do color matchers work at the center?"
    assert retriever.corrected("what behaviour is modelled?") == "what behaviour is modelled?"  # the library writes neither


def test_an_english_word_the_library_lacks_is_no_typo_of_a_library_word(settings: Settings, write_article):
    write_article("mill.md", "# Loom Analyst\n\n## Pros and cons\n\nPay peaks in the second year, per the manager. "
                             "Every counter-offer is weighed against the mill's budget, and statistical checks run "
                             "nightly.\n")
    ingest([str(settings.knowledge_dir)], settings, progress=False)
    corrected = CareerBot(settings).retriever.corrected
    assert corrected("any perks to working at a mill?") == "any perks to working at a mill?"  # not "peaks", "per"
    # A rarer word one slip from a library word English uses far more is a typo of it.
    assert corrected("is the manger fair?") == "is the manager fair?"
    # A rarer word written closed up is still read with the library's two words.
    assert corrected("how big a counteroffer?") == "how big a counteroffer (counter offer)?"
    # Another form of a library word is read as it: the library writes "statistical", not "statistician".
    assert corrected("do mills hire a statistician?") == "do mills hire a statistical?"
    assert corrected("wat is the pay in the secnd year?") == "what is the pay in the second year?"  # typos still are


def test_a_clipped_word_is_read_as_the_library_writes_it_beside_the_same_word(settings: Settings, write_article):
    write_article("sensor.md", "# Glucose Sensor Data Scientist\n\nAt a medical device company, the data scientist "
                               "measures how closely each sensor tracks blood glucose. Every medical device needs "
                               "clearance. Cloud certifications help; two cloud certifications are common. Medicine is "
                               "another world. School grades matter, but not all school grades, and software skills "
                               "too. Readers pay for a subscription. Boxes arrive monthly. An analyst writes SQL. A product "
                               "analyst and a production analyst work here.\n")
    ingest([str(settings.knowledge_dir)], settings, progress=False)
    careerbot = CareerBot(settings)
    corrected = careerbot.retriever.corrected
    # "med" starts dozens of words; the word beside it tells which the reader clipped. A plural clips a plural.
    assert corrected("any ds jobs at a med device co?") == "any ds jobs at a medical device co?"
    assert corrected("Med device jobs?") == "Medical device jobs?"
    assert corrected("which cloud certs help?") == "which cloud certifications help?"
    assert corrected("which cloud cert helps?") == "which cloud cert helps?"  # articles write only the plural there
    # Two words as likely: "prod analyst" may be a product or a production analyst.
    assert corrected("is a prod analyst role good?") == "is a prod analyst role good?"
    # Not beside a word the library writes it with ("med school"), nor only across the end of a sentence ("... a
    # subscription. Boxes ..."), nor an acronym or a name in capitals ("MED", "MEDs", "Ana"), nor a word whose stem it
    # would only end ("grads" is no "grades"), nor one a library word holds whole ("soft").
    assert corrected("is med school needed?") == "is med school needed?"
    assert corrected("a MED device role?") == "a MED device role?"
    assert corrected("do MEDs device teams hire?") == "do MEDs device teams hire?"
    assert careerbot.retriever.index.clipped_beside("grads", "school", None) is None  # (a typo's to judge)
    assert corrected("are soft skills enough?") == "are soft skills enough?"
    assert corrected("do sub boxes sell?") == "do sub boxes sell?"
    assert corrected("does Ana write SQL?") == "does Ana write SQL?"
    # The question is then covered, not declined for an unknown "med" that reads like an occupation.
    answer = careerbot.answer("what does a data scientist at a med device co measure?")
    assert not answer.refused and "blood glucose" in answer.text


def test_the_words_asking_for_the_good_or_bad_parts_are_no_subject_the_library_must_hold(settings: Settings,
                                                                                           write_article):
    write_article("freelance.md", "# Freelance Data Engineering\n\n## Pros and cons\n\n**Pros**\n\n- You choose "
                                  "your clients and projects as a freelance data engineer.\n- Day rates run well above "
                                  "salaried pay.\n\n**Cons**\n\n- No paid leave.\n- Finding clients takes time.\n")
    write_article("pay.md", "# Data Engineer Pay\n\n## Salaries\n\nSalaried data engineers earn $120,000 in the US, "
                            "with a bonus of about 10 percent and paid leave.\n")
    ingest([str(settings.knowledge_dir)], settings, progress=False)
    careerbot = CareerBot(settings)
    answer = careerbot.answer("what perks do freelancers get?")
    assert answer.kind != "decline" and "choose your clients" in answer.text, answer.text
    assert careerbot.answer("any perks to being a freelance dentist?").kind == "decline"


def _ingested_by_heading(settings: Settings) -> tuple[ArticleRetriever, dict[str, str]]:
    """The knowledge folder ingested: a retriever with its library index up to date, and each heading's chunk id."""
    ingest([str(settings.knowledge_dir)], settings, progress=False)
    retriever = CareerBot(settings).retriever
    retriever.rank("analyst")  # brings the library index up to date
    stored = get_collection(settings).get(include=["metadatas"])
    return retriever, {meta.get("heading"): chunk_id for chunk_id, meta in zip(stored["ids"], stored["metadatas"])}


def test_the_part_asked_for_is_the_innermost_heading_naming_a_part(settings: Settings, write_article):
    write_article("loom.md", "# Loom Analyst\n\n## Pros and cons\n\n### Pros\n\n- Your work shows up in metres of "
                             "cloth.\n\n### Cons\n\n- The shed is loud and warm.\n")
    retriever, by_heading = _ingested_by_heading(settings)
    is_part = retriever._part_asked("what's the catch with being a loom analyst?")
    assert is_part(by_heading["Cons"]) and not is_part(by_heading["Pros"])


def test_a_label_says_which_part_a_chunk_of_a_section_naming_both_is_in(settings: Settings, write_article):
    # "Pros and cons" names both parts; split over two chunks, each chunk's label ("Pros", "Cons") says its part.
    pros = "".join(f"- Upside number {n} of the job is that the sales are exciting and the feedback is real.\n"
                   for n in range(1, 9))
    write_article("stud.md", "# Bloodstock Analyst\n\n## Pros and cons\n\nHere is how I would weigh it up.\n\n"
                             f"**Pros**\n\n{pros}\n**Cons**\n\n- It is a tiny field.\n- Hours are brutal around the "
                             "sales.\n")
    ingest([str(settings.knowledge_dir)], settings, progress=False)
    retriever = CareerBot(settings).retriever
    retriever.rank("bloodstock analyst")  # brings the library index up to date
    stored = get_collection(settings).get(include=["documents"])
    chunks = dict(zip(stored["ids"], stored["documents"]))
    cons = next(chunk_id for chunk_id, text in chunks.items() if "tiny field" in text)
    pros_only = next(chunk_id for chunk_id, text in chunks.items() if "Upside number 1 " in text)
    assert "tiny field" not in chunks[pros_only]  # the section is split over chunks
    is_bad_part = retriever._part_asked("what are the downsides of being a bloodstock analyst?")
    assert is_bad_part(cons) and not is_bad_part(pros_only)
    answer = CareerBot(settings).answer("what are the downsides of being a bloodstock analyst?")
    assert answer.text.startswith("Cons: It is a tiny field; Hours are brutal"), answer.text


def test_the_part_asked_is_brought_up_even_when_search_found_none_of_it(settings: Settings, write_article):
    write_article("zoo.md", "# Zoo Data Analyst\n\n## What the job is\n\nScoring behaviour and keeping records.\n\n"
                            "## Pay\n\nAnalysts earn GBP 31,000.\n\n## What is hard about it\n\nSample sizes are tiny.\n")
    retriever, by_heading = _ingested_by_heading(settings)
    found = [by_heading["What the job is"], by_heading["Pay"]]  # search missed the hard part
    order = retriever._with_part_asked("what are the hardest parts of being a zoo data analyst?", found)
    assert order[:3] == [*found, by_heading["What is hard about it"]], order


def test_a_contraction_keeps_its_first_letter_even_a_vowel(settings: Settings, write_article):
    write_article("gaps.md", "# Career Gaps\n\nIn an interview, explain your gap in under 60 seconds. Accept the "
                             "offer only once the account manager confirms it.\n")
    ingest([str(settings.knowledge_dir)], settings, progress=False)
    careerbot = CareerBot(settings)
    assert careerbot.retriever.corrected("how long shld my gap explanation be in an intvw?") == \
        "how long should my gap explanation be in an interview?"
    # A word, or a contraction of either of two library words, stays as typed.
    assert careerbot.retriever.corrected("is my acct awry?") == "is my acct awry?"
    answer = careerbot.answer("how long shld my gap explanation be in an intvw, roughly?")
    assert answer.kind != "decline" and "under 60 seconds" in answer.text, answer.text


def test_an_acronym_is_spelled_out_by_the_articles_title_and_a_kind_of_place_is_no_unknown_place(
        settings: Settings, write_article):
    write_article("capacity.md", "# Capacity Planning for Data Centres\n\n## Why data centres run out of power\n\n"
                                 "Modern facilities target a PUE of around 1.2; older halls can exceed 1.6. Grid "
                                 "connections take years.\n")
    ingest([str(settings.knowledge_dir)], settings, progress=False)
    retriever = CareerBot(settings).retriever
    # The passage says "facilities": its title and heading spell DC out.
    assert retriever.acronyms("What PUE do modern DCs aim for?") == {"DC": "data centres"}
    # "at cinemas", "in hospitals": somewhere of a kind, no place's name; a city's name still is one.
    assert retriever.unknown_subject("do capacity planners work at cinemas?") is None
    assert retriever.unknown_subject("do capacity planners work in hospitals?") is None
    assert retriever.unknown_subject("do capacity planners work in Stockholm?") == "stockholm"


GREENHOUSE = ("# Data Science in Greenhouse Farming\n\nLarge glasshouse growers now hire data scientists to forecast "
              "yields and tune climate control.\n\n## Results\n\nAt one tomato grower we visited, a yield forecast "
              "built on three seasons of sensor data cut unsold stock by 18% in its first year, more than paying for the "
              "whole analytics team.\n\n## Pay\n\nJunior greenhouse data scientists in the Netherlands earn EUR 45,000 "
              "to 55,000.\n")


def test_a_question_in_the_readers_own_words_is_answered_though_the_article_uses_few_of_them(
        settings: Settings, write_article):
    write_article("greenhouse.md", GREENHOUSE)
    ingest([str(settings.knowledge_dir)], settings, progress=False)
    question = "did a better forecast let one farm throw away far less of its produce before long?"
    # Short of min_evidence, but what the passages lack is many everyday words, not one thing the library lacks.
    assert "18%" in CareerBot(settings).answer(question).text
    assert CareerBot(settings.model_copy(update={"reworded_words": 99})).answer(question).refused


def test_a_city_asked_by_another_name_is_read_by_the_librarys(settings: Settings, write_article):
    write_article("mt.md", "# Machine Translation Careers\n\nIn Bengaluru, an MT engineer with three to five years gets "
                           "18 to 28 LPA.\n")
    ingest([str(settings.knowledge_dir)], settings, progress=False)
    careerbot = CareerBot(settings)
    assert careerbot.retriever.corrected("MT engineer pay in Bangalore?") == "MT engineer pay in Bengaluru?"
    assert "18 to 28 LPA" in careerbot.answer("what do MT engineers make in bangalore?").text
    # A city none of whose names the library writes stays as typed, and is a place it lacks.
    assert careerbot.retriever.corrected("MT engineer pay in Bombay?") == "MT engineer pay in Bombay?"
    assert careerbot.answer("what do MT engineers make in Bombay?").refused


def test_swapped_letters_a_single_consonant_and_equally_close_words_are_corrected(settings: Settings, write_article):
    write_article("shipping.md", "# Shipping Analytics\n\nShipping analysts in Oslo earn NOK 650,000. Funds buy card "
                                 "transaction panels; each transaction is a row.\n\n## Translation\n\nMachine translation "
                                 "engineers build engines.\n")
    ingest([str(settings.knowledge_dir)], settings, progress=False)
    corrected = CareerBot(settings).retriever.corrected
    assert corrected("data scientist pay in Olso in the shiping industry") == (
        "data scientist pay in Oslo in the shipping industry")
    assert corrected("what do machine transaltion engineers make?") == "what do machine translation engineers make?"


def test_an_acronym_the_articles_spell_out_is_a_word_they_use(settings: Settings, write_article):
    write_article("lab.md", _SWITCH_LIBRARY["lab.md"])
    ingest([str(settings.knowledge_dir)], settings, progress=False)
    retriever = CareerBot(settings).retriever
    assert retriever.knows_every_word("how many later become data PMs?")  # "PMs": product managers
    assert not retriever.knows_every_word("how many later become potters?")
    # A follow-up searched with the question before it has its acronyms spelled out as any query does.
    assert joined_query("where do they go next?", "how many become PMs?").endswith("PMs (product managers)?")


def test_a_question_is_searched_and_judged_without_its_markup_and_web_addresses():
    # The parts of an address (host, port, path) would count as words no article uses.
    noisy = "![q](http://127.0.0.1:41179/q.png) [click](http://127.0.0.1:41179/l) `code` what do potters earn?"
    assert standalone_query(noisy) == judged_question(noisy) == "click code what do potters earn?"


def test_typos_are_corrected_against_the_library_before_searching(library_bot: CareerBot):
    corrected = library_bot.retriever.corrected
    assert corrected("how long do bootcmaps actualy take?") == "how long do bootcamps actually take?"
    assert corrected("what do analysts make at each levle?") == "what do analysts make at each level?"  # five letters
    # A word the library or the model knows stays, and a short word is not "corrected" into another one.
    assert corrected("do bootcamps teach statistics or tech chops?") == "do bootcamps teach statistics or tech chops?"
    context = library_bot.retrieval_chain.invoke({"question": "how long do full-time bootcmaps run?", "history": []})
    assert context["query"] == "how long do full-time bootcamps run?"
    assert "12 to 16 weeks" in context["passages"][0].page_content


def test_a_superlative_is_no_typo_of_a_library_word(settings: Settings, write_article):
    # "toughest" (tough + est) is neither in this library nor one word piece, and an edit or two from "touches".
    write_article("loop.md", "# Interview loop\n\nThe design round touches storage, queues and caching.\n")
    ingest([str(settings.knowledge_dir)], settings, progress=False)
    corrected = CareerBot(settings).retriever.corrected
    assert corrected("which round is the toughest?") == "which round is the toughest?"


def test_an_answer_reads_its_passages_not_every_candidate(library_bot: CareerBot, monkeypatch):
    collection = get_collection(library_bot.settings)
    # A fixed revision: the default's 5-second time bucket may turn between the two rankings on a loaded machine,
    # and a new revision ranks (and reads) afresh.
    retriever = ArticleRetriever.from_settings(library_bot.settings, collection=collection, k=1,
                                               revision=lambda collection: (collection.count(), 0))
    retriever.rank("salary")  # the library index is built from the collection on first use
    read: list[str] = []
    real_get = type(collection).get

    def counting_get(self, ids=None, **kwargs):
        read.extend(ids or [])
        return real_get(self, ids=ids, **kwargs)

    monkeypatch.setattr(type(collection), "get", counting_get)
    question = "What does a data analyst do all day?"
    passages = retriever.rank(question, 1)
    read_for_the_answer = len(read)
    every = retriever.rank(question)  # every candidate, the same one first, each with its similarity
    assert len(passages) == 1 and every[0].id == passages[0].id
    assert read_for_the_answer <= 1 + 8 < len(every) == len(read)  # and no record is read twice
    assert all(isinstance(p.metadata["score"], float) for p in every)


DESIGN_LOOP_ARTICLE = """# Inside a Product Designer Interview Loop

Most studios run the same four stages, in this order:

- Portfolio walkthrough
- Whiteboard exercise
- Critique round
- Team conversation

## 1. Portfolio walkthrough

You present two or three projects for forty minutes and explain the decisions behind each one.

## 2. Whiteboard exercise

You sketch a flow for a brief such as booking a dentist appointment, talking through trade-offs as you draw.

## 3. Critique round

You are shown a live app and asked what hurts its users most. Interviewers listen for a ranked list of
problems backed by evidence, not a list of personal tastes about colours and fonts.

## 4. Team conversation

The last stage is a relaxed chat with future teammates about how you give and receive feedback.
"""


PARAMEDIC_SHIFT_ARTICLE = """# A Week on an Ambulance Analytics Team

Our analysts support three kinds of meeting, and each has its own rhythm.

## 1. Morning huddle

On an ambulance analytics team the huddle is what happens first: it takes about 15 minutes, and everyone reads out
last night's response times.

## 2. Capacity review

This is the meeting managers care about most. Plan on roughly 90 minutes with the rota planners, going
through forecast call volumes by hour and the crews booked against them.

## 3. Quarterly board pack

The board pack is assembled over two weeks and presented to the trust board by the head of analytics.
"""


def test_a_follow_up_with_no_words_of_its_own_asks_about_the_section_the_turn_before_named(settings, write_article):
    write_article("ambulance-analytics.md", PARAMEDIC_SHIFT_ARTICLE)
    ingest([str(settings.knowledge_dir)], settings, progress=False)
    careerbot = CareerBot(settings)
    first = "what happens in the capacity review on an ambulance analytics team?"
    history = [{"role": "user", "content": first}, {"role": "assistant", "content": careerbot.answer(first).text}]
    # "it" is the capacity review; "last" asks how long, and as a word would match "last night's" in the huddle.
    answer = careerbot.answer("how long does it last?", history).text
    assert "roughly 90 minutes" in answer and "15 minutes" not in answer


def test_a_follow_up_naming_a_section_is_answered_from_that_section(settings, write_article):
    write_article("design-loop.md", DESIGN_LOOP_ARTICLE)
    ingest([str(settings.knowledge_dir)], settings, progress=False)
    careerbot = CareerBot(settings)
    first = "what are the stages of a product designer interview?"
    history = [{"role": "user", "content": first}, {"role": "assistant", "content": careerbot.answer(first).text}]
    assert "Critique round" in history[1]["content"]
    follow_up = "what do they listen for in the critique one?"
    passages = careerbot.retriever.search(standalone_query(follow_up, history))
    assert passages[0].metadata.get("named_section") and passages[0].metadata["heading"] == "3. Critique round"
    assert "ranked list of problems" in careerbot.answer(follow_up, history).text
    # A word of the title ("loop") names the article the conversation is on, not a section of it.
    passages = careerbot.retriever.search(standalone_query(
        "in the loop, what do they want when giving and receiving feedback?", history))
    assert passages[0].metadata["heading"] == "4. Team conversation"
    assert not any(p.metadata.get("named_section") for p in passages)


LAB_LOOP_ARTICLE = """# The Research Engineer Interview at a Robotics Lab

Robotics labs hire research engineers through three stages.

## 1. Recruiter screen

A short call about your background, your notice period and the team you would join.

## 2. Practical coding

You implement a small controller in Python while the interviewer watches.

## 3. Systems and scaling

Expect questions on splitting a policy model across several GPUs and on replaying a month of sensor logs quickly.
"""
STARTUP_ARTICLE = """# Scaling a Startup Team

Founders who raise a funding round often hire too fast. Scaling works best one round of hiring at a time, with a
round of interviews led by the founders themselves.
"""


def test_a_question_naming_a_section_by_a_definite_description_follows_the_conversation(settings, write_article):
    # "the scaling round" names section 3 of the article the last answer quotes; alone, the question finds the
    # startup article, full of "scaling" and "round".
    write_article("lab-loop.md", LAB_LOOP_ARTICLE)
    write_article("startup.md", STARTUP_ARTICLE)
    ingest([str(settings.knowledge_dir)], settings, progress=False)
    careerbot = CareerBot(settings)
    first = "what is the hiring process for research engineers at a robotics lab?"
    history = [{"role": "user", "content": first}, {"role": "assistant", "content": careerbot.answer(first).text}]
    question = "what kind of questions come up in the scaling round?"
    assert careerbot.search_query(question, history) == f"{first}\n{question}"
    assert "several GPUs" in careerbot.answer(question, history).text
    assert careerbot.retriever.search(question)[0].metadata["source"].endswith("startup.md")
    # A definite description naming no section of that article, and no description at all, start a new subject.
    for new_subject in ("how big is the funding round for a startup?", "how does scaling a startup team work?"):
        assert careerbot.search_query(new_subject, history) == new_subject


def test_it_there_and_one_that_refer_to_nothing_earlier_do_not_make_a_follow_up():
    history = [{"role": "user", "content": "What does a data engineer do?"},
               {"role": "assistant", "content": "They build pipelines. [1]"}]
    for question in ("Is there a proven way to explain a career gap on a resume?",
                     "How common is it to take a career break in tech?",
                     "What's the one skill every product manager needs now?",
                     "Which certificate that employers respect can I finish in a month?",
                     "What LSAT score do I need for law school, and is a law degree worth it?"):
        assert standalone_query(question, history) == question
    for question in ("How long does it take?", "Is it worth it?", "Which one pays more?", "Is there demand there?",
                     "Does that pay well?"):
        assert standalone_query(question, history) == f"What does a data engineer do?\n{question}"


def test_a_question_typed_with_contractions_is_searched_and_judged_spelled_out(settings: Settings, write_article):
    write_article("reviews.md", "# Portfolio reviews\n\nHiring managers skim a portfolio for one finished project "
                  "with a written summary of its results.\n")
    write_article("pay.md", "# Analyst pay\n\nJunior analysts earn less than seniors in most cities.\n")
    ingest([str(settings.knowledge_dir)], settings, progress=False)
    careerbot = CareerBot(settings)
    context = careerbot.retrieval_chain.invoke({"question": "what do hiring mgrs skim for?", "history": []})
    assert context["query"] == "what do hiring managers skim for?"
    assert context["passages"] and context["passages"][0].metadata["source"].endswith("reviews.md")
    # In capitals it is an acronym, never a contraction of a library word; one already spelled out stays.
    assert careerbot.retriever.corrected("do hiring MGRS skim?") == "do hiring MGRS skim?"
    assert careerbot.retriever.corrected("do hiring mgrs (managers) skim?") == "do hiring mgrs (managers) skim?"
