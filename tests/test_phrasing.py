"""Headings and titles of every shape become questions a reader would type, their meaning kept."""

import pytest

from bot.conversation.phrasing import Casing, question, topic_of

TITLES = ["Data Scientist vs Machine Learning Engineer: Salary, Skills & Career Path Compared",
          "How to Become an AI Researcher", "What Does a Machine Learning Engineer Do?", "Data Analyst Salary Guide",
          "Finding Remote Analytics Jobs", "What is: Machine Learning Engineer"]
HEADINGS = ["Side-by-side comparison", "Data Engineering (20%)", "2. Salary expectations", "Step 3: Build a portfolio",
            "HOW MUCH DO AI ENGINEERS EARN?", "ESSENTIAL SKILLS FOR AI ENGINEERS", "How long they take",
            "Skills that raise pay", "Becoming a machine learning engineer", "Why Python matters",
            "Key Responsibilities of a Machine Learning Engineer", "Machine Learning Engineer vs. Data Scientist",
            "IV) Where the remote openings are", "Salary: $95,000", "**Pay by level**"]
CASING = Casing(TITLES + HEADINGS)


@pytest.mark.parametrize("heading, expected", [
    ("Data Scientist vs Machine Learning Engineer: Salary, Skills & Career Path Compared",
     "What is the difference between data scientist and machine learning engineer?"),
    ("How to Become an AI Researcher", "How do I become an AI researcher?"),
    ("What Does a Machine Learning Engineer Do?", "What does a machine learning engineer do?"),
    ("What is: Machine Learning Engineer", "What is machine learning engineer?"),
    ("Data Analyst Salary Guide", "What should I know about data analyst salary?"),
    ("Finding Remote Analytics Jobs", "How do I go about finding remote analytics jobs?"),
    ("Data Engineering (20%)", "What should I know about data engineering?"),
    ("2. Salary expectations", "What should I know about salary expectations?"),
    ("HOW MUCH DO AI ENGINEERS EARN?", "How much do AI engineers earn?"),
    ("ESSENTIAL SKILLS FOR AI ENGINEERS", "What are the essential skills for AI engineers?"),
    ("Key Responsibilities of a Machine Learning Engineer", "What are the key responsibilities of a machine learning engineer?"),
    ("Machine Learning Engineer vs. Data Scientist", "What is the difference between machine learning engineer and data scientist?"),
    ("Why Python matters", "What should I know about why Python matters?"),
    ("IV) Where the remote openings are", "What should I know about where the remote openings are?"),
    ("Salary: $95,000", "What should I know about salary?"),
    ("**Pay by level**", "What should I know about pay by level?"),
])
def test_each_heading_shape_becomes_a_question(heading: str, expected: str):
    assert question(heading, CASING) == expected


@pytest.mark.parametrize("heading", HEADINGS + TITLES)
def test_questions_read_as_typed(heading: str):
    asked = question(heading, CASING, topic_of(TITLES[2], CASING))
    assert asked.endswith("?") and asked[0].isupper() and asked.count("?") == 1
    assert not any(mark in asked for mark in ("Tell me about", "“", "(", "%", "**", ":", "  "))
    assert not asked.split()[-1][:1].isupper() or asked.split()[-1].isupper()  # no Title Case left mid-sentence


def test_a_heading_that_does_not_name_its_article_gets_the_articles_topic():
    topic = topic_of("What Does a Machine Learning Engineer Do?", CASING)
    assert topic == "a machine learning engineer"
    assert question("How long they take", CASING, topic) == "What should I know about how long they take for a machine learning engineer?"
    assert question("Becoming a machine learning engineer", CASING, topic) == "How do I go about becoming a machine learning engineer?"
    assert topic_of("Are Data Bootcamps Worth It?", CASING) is None  # no phrase stands out: nothing added
