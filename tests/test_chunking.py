"""Chunking: sizes the model sees whole, headings carried, ids stable and distinct per article."""

from __future__ import annotations

from langchain_core.documents import Document

from bot.testing.corpus import article_text
from bot.ingest.chunking import embedding_text, sections, split_document, word_count


def _document(source: str = "a.md", text: str | None = None) -> Document:
    return Document(page_content=text or article_text(7, words=600).split("---\n", 2)[2],
                    metadata={"source": source, "title": "T", "url": "https://example.com/t"})


def test_chunks_fit_the_model_and_cover_the_article() -> None:
    document = _document()
    chunks = split_document(document, chunk_words=120, overlap_words=20)
    assert len(chunks) >= 5
    assert all(word_count(c.page_content) <= 120 for c in chunks)
    body_words = {w for line in document.page_content.splitlines() if not line.startswith("## ") for w in line.split()}
    assert body_words <= {w for c in chunks for w in c.page_content.split()}


def test_chunks_carry_article_metadata_heading_and_position() -> None:
    chunks = split_document(_document(), chunk_words=120, overlap_words=20)
    assert [c.metadata["chunk_index"] for c in chunks] == list(range(len(chunks)))
    for chunk in chunks:
        assert chunk.metadata["title"] == "T" and chunk.metadata["url"] == "https://example.com/t"
        assert chunk.metadata["heading"] and embedding_text(chunk).startswith(f"T > {chunk.metadata['heading']}\n")


def test_ids_are_stable_and_differ_between_articles_with_the_same_text() -> None:
    first = split_document(_document("a.md"), 120, 20)
    again = split_document(_document("a.md"), 120, 20)
    twin = split_document(_document("copy-of-a.md"), 120, 20)
    assert [c.id for c in first] == [c.id for c in again]
    assert {c.id for c in first}.isdisjoint(c.id for c in twin)
    # Same text, same chunk_hash: what lets ingest copy the vector and retrieval drop the twin.
    assert [c.metadata["chunk_hash"] for c in first] == [c.metadata["chunk_hash"] for c in twin]


def test_an_edit_changes_only_the_ids_of_what_changed_and_after() -> None:
    text = _document().page_content
    paragraphs = text.split("\n\n")
    edited = "\n\n".join(paragraphs[:-1] + [paragraphs[-1] + " An extra closing sentence."])
    before, after = split_document(_document(text=text), 120, 20), split_document(_document(text=edited), 120, 20)
    assert [c.id for c in before][:-1] == [c.id for c in after][:-1]
    assert before[-1].id != after[-1].id


STRUCTURED = """# Data roles

## Skills that raise pay

Analysts who got the largest raises had added one of these skills:

- Tableau dashboards used every week
- Python for data that outgrew spreadsheets
- dbt models with shared metric definitions

## Pay by level

The medians come from a reader survey.

| Level | US median | UK median |
|---|---|---|
| Junior analyst | $62,000 | £31,000 |
| Senior analyst | $97,500 | £52,000 |
"""


def test_a_list_stays_with_its_heading_and_introduction() -> None:
    chunks = split_document(_document(text=STRUCTURED), 120, 20)
    skills = next(c for c in chunks if "Tableau" in c.page_content)
    assert skills.metadata["heading_path"] == "Data roles > Skills that raise pay"
    assert skills.page_content.splitlines() == [
        "Analysts who got the largest raises had added one of these skills:",
        "- Tableau dashboards used every week", "- Python for data that outgrew spreadsheets",
        "- dbt models with shared metric definitions",
    ]


def test_table_rows_carry_their_column_names() -> None:
    chunks = split_document(_document(text=STRUCTURED), 120, 20)
    pay = next(c for c in chunks if "$62,000" in c.page_content)
    assert pay.metadata["heading"] == "Pay by level"
    assert "- Senior analyst — US median: $97,500; UK median: £52,000" in pay.page_content.splitlines()


def test_a_long_column_name_is_a_header_and_a_first_row_with_a_figure_is_data() -> None:
    named = ("| Company size | Share of analysts on call | Typical stipend |\n|---|---|---|\n"
             "| Under 50 employees | 52% | None |\n| 1,000+ employees | 79% | $500 per week |\n")
    rows = split_document(_document(text=f"## On call\n\n{named}"), 120, 20)[0].page_content.splitlines()
    assert "- 1,000+ employees — Share of analysts on call: 79%; Typical stipend: $500 per week" in rows
    # A converter gave this header-less table its first row as the header.
    unnamed = "| Growth in analyst postings | 343 percent |\n|---|---|\n| Rank among jobs | #1 |\n"
    rows = split_document(_document(text=f"## Outlook\n\n{unnamed}"), 120, 20)[0].page_content.splitlines()
    assert rows[-2:] == ["- Growth in analyst postings — 343 percent", "- Rank among jobs — #1"]


def test_a_long_list_is_cut_at_items_and_each_piece_keeps_the_introduction() -> None:
    items = "\n".join(f"- Skill number {i} is worth learning for a data analyst job" for i in range(40))
    chunks = split_document(_document(text=f"## Skills\n\nLearn these:\n\n{items}\n"), 120, 20)
    assert len(chunks) > 3 and all(word_count(c.page_content) <= 120 for c in chunks)
    assert all(c.page_content.startswith("Learn these:\n- Skill number") for c in chunks)
    assert sum(c.page_content.count("\n- ") for c in chunks) == 40


def test_numbered_sub_headings_are_listed_in_their_parent_section():
    text = ("# The Rounds of a Data Interview\n\nMost loops have three rounds:\n\n## 1. Recruiter screen\n\n"
            "A short call.\n\n## 2. SQL live coding\n\nFifty minutes.\n\n## 3. Data modeling\n\nDesign tables."
            "\n\n## How long it takes\n\nThree weeks.")
    chunks = split_document(Document(page_content=text, metadata={"source": "r.md"}), 120, 20)
    first = chunks[0]
    assert first.metadata["heading"] == "The Rounds of a Data Interview"
    assert first.page_content == ("Most loops have three rounds:\n- Recruiter screen\n- SQL live coding\n"
                                  "- Data modeling")  # numbers dropped, the unnumbered section left out


def test_a_grid_table_from_a_text_file_is_chunked_as_rows_with_column_names(settings) -> None:
    from pathlib import Path

    from bot.ingest.loaders import parse, read_file

    path = Path(__file__).parent / "fixtures" / "structure" / "cloud-badges-guide.txt"
    chunks = split_document(parse(read_file(path, settings)), 120, 20)
    prices = next(c for c in chunks if "$180" in c.page_content)
    assert prices.metadata["heading"] == "WHAT THEY COST"
    assert "- Pipeline Practitioner — Vendor: Stratus; Price: $180; Renewal: every 3 yrs" in prices.page_content.splitlines()


NESTED = """## When a badge pays off

- You are moving from finance into analytics
  - Recruiters screen on job titles first.
  - A badge shows you have touched the tools.
    - Pair it with one public dashboard.
- Your manager pays the fee
  - Then the only cost is your evenings.
"""


def test_a_sub_item_names_the_item_it_belongs_to() -> None:
    chunks = split_document(_document(text=NESTED), 120, 20)
    assert chunks[0].page_content.splitlines() == [
        "- You are moving from finance into analytics",
        "- You are moving from finance into analytics — Recruiters screen on job titles first.",
        "- You are moving from finance into analytics — A badge shows you have touched the tools.",
        "- A badge shows you have touched the tools — Pair it with one public dashboard.",
        "- Your manager pays the fee",
        "- Your manager pays the fee — Then the only cost is your evenings.",
    ]


def test_a_long_nested_list_cut_at_items_keeps_each_sub_item_with_its_item() -> None:
    subs = "\n".join(f"  - Practice drill number {i} takes one evening with a friend" for i in range(12))
    chunks = split_document(_document(text=f"## Steps\n\n1. Rehearse the call. It takes a week.\n{subs}\n"), 40, 0)
    lines = [line for c in chunks for line in c.page_content.splitlines()]
    assert lines[0] == "- Rehearse the call. It takes a week."
    assert lines[1:] == [f"- Rehearse the call — Practice drill number {i} takes one evening with a friend"
                         for i in range(12)]
    assert len(chunks) > 2 and all(word_count(c.page_content) <= 40 for c in chunks)


def test_a_short_question_stays_with_the_paragraph_that_answers_it() -> None:
    filler = " ".join(f"Sentence {i} of the warm-up talks about the weather and the commute." for i in range(8))
    text = (f"## Interview\n\nHOST: Welcome to the show. {filler}\n\nHOST: How long did your switch take?\n\n"
            "GUEST: About ten months of evenings, mostly SQL practice and one portfolio project.\n")
    chunks = split_document(_document(text=text), 120, 20)
    answer = next(c for c in chunks if "ten months" in c.page_content)
    assert answer.page_content.splitlines() == [
        "HOST: How long did your switch take?",
        "GUEST: About ten months of evenings, mostly SQL practice and one portfolio project.",
    ]
    # An answer too long for one chunk is cut at sentences, every piece keeping the question.
    long_answer = " ".join(f"Reason {i} is that the team needed a person who could explain numbers." for i in range(20))
    pieces = split_document(_document(text=f"Why did they hire you?\n\n{long_answer}\n"), 60, 0)
    assert len(pieces) > 2 and all(p.page_content.startswith("Why did they hire you?\nReason") for p in pieces)
    assert all(word_count(p.page_content) <= 60 for p in pieces)


def test_an_interviewer_turn_that_asks_then_goes_on_stays_with_the_answer() -> None:
    # "HOST: Why now? Teams did fine for years." asks, then says more: the next speaker's turn still answers it.
    filler = " ".join(f"Sentence {i} of the warm-up talks about the weather and the commute." for i in range(8))
    text = (f"## Interview\n\nGUEST: Thanks for having me. {filler}\n\n"
            "[00:01:45] HOST: Why are bakeries hiring for this now? Bakers did fine for a century.\n\n"
            "[00:01:55] GUEST: Three reasons. Flour prices swing, waste is costly, and the best bakers are retiring.\n\n"
            "[00:03:10] GUEST: And one more thing, since you asked about ovens earlier.\n")
    chunks = split_document(_document(text=text), 120, 20)
    answer = next(c for c in chunks if "Three reasons" in c.page_content)
    assert answer.page_content.splitlines()[:2] == [
        "[00:01:45] HOST: Why are bakeries hiring for this now? Bakers did fine for a century.",
        "[00:01:55] GUEST: Three reasons. Flour prices swing, waste is costly, and the best bakers are retiring.",
    ]
    # A turn is answered by another speaker, never by the same one going on, nor by a turn that asks in its turn;
    # an FAQ line that asks and answers ("Is it remote? Partly.") answers itself.
    turns = sections("GUEST: Why does it matter? Shelves are money.\n\nHOST: What tools do you use day to day?\n\n"
                     "GUEST: Mostly Blue Yonder and SQL.\n")
    assert [block.render() for block in turns[0].blocks] == [
        "GUEST: Why does it matter? Shelves are money.",
        "HOST: What tools do you use day to day?\nGUEST: Mostly Blue Yonder and SQL."]
    faq = sections("## FAQ\n\nIs it remote? Partly, most teams are hybrid.\n\nDo I need a degree? No.\n")
    assert [block.intro for block in faq[0].blocks] == [None, None]


def test_a_list_that_goes_on_an_answer_keeps_the_question_and_the_answer_it_follows() -> None:
    filler = " ".join(f"Sentence {i} of the last answer talks about the weather and the commute." for i in range(7))
    steps = "\n".join(f"{n}. {step}, enough to judge a translation yourself." for n, step in
                      enumerate(["Python and basic statistics", "How each metric works", "Two languages"], 1))
    text = (f"## Getting in\n\nQ: How did you move?\n\nA: Slowly. {filler}\n\n"
            f"Q: What should someone learning now focus on?\n\nA: Three things:\n\n{steps}\n")
    chunks = split_document(_document(text=text), 120, 20)
    listed = next(c for c in chunks if "Python and basic statistics" in c.page_content)
    assert listed.page_content.splitlines()[:3] == [
        "Q: What should someone learning now focus on?", "A: Three things:",
        "- Python and basic statistics, enough to judge a translation yourself."]


def test_a_long_paragraph_gives_a_list_its_last_sentence_when_that_announces_the_list() -> None:
    filler = " ".join(f"Sentence {i} of the overview talks about how the field grew and then shrank." for i in range(7))
    employers = "\n".join(f"- {name}, which hire analysts for surveillance work" for name in
                          ("National public health agencies", "City health departments", "Hospital networks"))
    text = f"## Where the jobs are\n\n{filler} The main employers are:\n\n{employers}\n"
    chunks = split_document(_document(text=text), 120, 20)
    listed = next(c for c in chunks if "Hospital networks" in c.page_content)
    assert listed.page_content.startswith("The main employers are:\n- National public health agencies")
    assert all(word_count(c.page_content) <= 120 for c in chunks)
    assert any(c.page_content.startswith("Sentence 0") and "Sentence 6" in c.page_content for c in chunks)
