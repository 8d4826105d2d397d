"""Loaders on small generated files of every format and bad inputs (pages served over HTTP: tests/test_sites.py)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from bot.ingest.chunking import sections
from bot.ingest.loaders import Article, LoadError, clean_text, iter_files, parse, read_file
from bot.settings import Settings

ARTICLE = (
    "Machine learning engineers turn research models into dependable production services. "
    "They build data pipelines, train and evaluate models, and monitor them after deployment."
)

HTML_PAGE = f"""<!doctype html><html><head>
<title>Site name | What ML engineers do</title>
<meta name="author" content="Ada Writer">
<meta property="article:published_time" content="2023-05-06T10:00:00Z">
<link rel="canonical" href="https://example.com/canonical-ml-engineer">
<script>window.trackingPixel = "SCRIPT-MARKER";</script>
</head><body>
<header><div>HEADER-MARKER Careers blog</div></header>
<nav><a href="/">NAV-MARKER Home</a> <a href="/about">About</a></nav>
<div class="cookie-banner" id="cookie-consent">COOKIE-MARKER We use cookies. Accept all cookies.</div>
<main><article>
<h1>What ML engineers do</h1>
<p>{ARTICLE}</p>
<h2>Skills</h2>
<p>Python, statistics and software engineering are the core skills that employers ask for in interviews.</p>
<p>Cloud platforms and container tools matter because models must be served reliably at scale.</p>
</article></main>
<aside class="advertisement ad-banner">AD-MARKER Buy our course now</aside>
<section id="comments" class="comments"><h3>Leave a reply</h3>
<form><textarea>COMMENT-MARKER</textarea><button>Post comment</button></form></section>
<footer>FOOTER-MARKER Copyright 2024 Careers blog</footer>
</body></html>"""


def pdf_bytes(lines: list[str], title: str | None = None) -> bytes:
    """A minimal valid PDF with one page of Helvetica text lines (pypdf reads PDFs but cannot write text)."""
    text_ops = "BT /F1 12 Tf 14 TL 72 720 Td " + " ".join(
        f"({line.replace('(', '[').replace(')', ']')}) Tj T*" for line in lines) + " ET"
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
        f"<< /Length {len(text_ops)} >>\nstream\n{text_ops}\nendstream",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    if title:
        objects.append(f"<< /Title ({title}) /Author (Pdf Author) >>")
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n".encode("latin-1")
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += "".join(f"{offset:010d} 00000 n \n" for offset in offsets).encode()
    info = f" /Info {len(objects)} 0 R" if title else ""
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R{info} >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


PDF_LINES = [
    "Becoming a data scientist",
    "Data scientists explore data, build statistical models and explain what",
    "the numbers mean to the people who make decisions in a business.",
    "Most of them use Python, SQL and notebooks every single working day.",
]


def load(path: Path, settings: Settings):
    return parse(read_file(path, settings))


def test_markdown_front_matter_becomes_metadata(settings: Settings, write_article) -> None:
    path = write_article("ml.md", f"---\ntitle: The ML engineer\nauthor: Jo Smith\ndate: 2024-03-01\n"
                                  f"url: https://example.com/ml\n---\n\n# Intro\n\n{ARTICLE}\n")
    document = load(path, settings)
    assert document.metadata | {"path": None} == {
        "source": "ml.md", "title": "The ML engineer", "author": "Jo Smith", "date": "2024-03-01",
        "url": "https://example.com/ml", "path": None,
    }
    assert "title:" not in document.page_content and ARTICLE in document.page_content.replace("\n\n", " ")


def test_text_file_title_falls_back_to_first_heading(settings: Settings, write_article) -> None:
    document = load(write_article("plain.txt", f"Careers in data\n\n{ARTICLE}\n"), settings)
    assert document.metadata["title"] == "Careers in data"
    assert "author" not in document.metadata and "url" not in document.metadata


def test_html_keeps_main_text_and_meta_tags(settings: Settings, write_article) -> None:
    document = load(write_article("page.html", HTML_PAGE), settings)
    text = document.page_content
    assert "dependable production services" in text and "core skills" in text
    for marker in ("SCRIPT", "HEADER", "NAV", "COOKIE", "AD", "COMMENT", "FOOTER"):
        assert f"{marker}-MARKER" not in text, marker
    assert document.metadata["author"] == "Ada Writer"
    assert document.metadata["date"] == "2023-05-06"
    assert document.metadata["url"] == "https://example.com/canonical-ml-engineer"
    assert "ML engineers do" in document.metadata["title"]


def test_a_list_whose_items_open_with_headings_becomes_those_sections(settings: Settings, write_article) -> None:
    items = "".join(f"<li>\n<h3>{n}. {skill}</h3>\n<p>{skill} is what the {n} managers we asked looked for first, "
                    f"and they tested it in every interview loop they ran this year.</p>\n</li>\n"
                    for n, skill in enumerate(["Adversarial thinking", "Policy literacy", "Resilience"], 1))
    page = (f"<html><head><title>Skills T&amp;S teams hire for</title></head><body><article><h1>Skills T&amp;S teams "
            f"hire for</h1><p>We asked eight hiring managers what they look for in trust and safety engineers, and "
            f"their answers fell into three groups.</p><h2>The skills</h2><ul>\n{items}</ul></article></body></html>")
    text = load(write_article("skills.html", page), settings).page_content
    assert "### 2. Policy literacy\n\nPolicy literacy is what" in text, text
    assert "- ###" not in text


def test_a_description_list_becomes_a_section_per_term(settings: Settings, write_article) -> None:
    """A FAQ written as `<dl>`: each question a heading under the list's own, its answer the paragraph below."""
    page = ("<html><head><title>Pricing analyst FAQ</title></head><body><article><h1>Pricing analyst FAQ</h1>"
            "<p>Readers ask us the same few things about the job every week, so here are our answers to them.</p>"
            "<div class='faq'><h3>Questions readers ask</h3><dl>"
            "<dt>Can I work remotely?</dt><dd>Partly. Most teams expect you at the office three days a week.</dd>"
            "<dt>What do I need to know?</dt><dd><p>Forecasting, above all.</p><ul><li>SQL</li><li>Python</li>"
            "</ul></dd></dl></div></article></body></html>")
    text = load(write_article("faq.html", page), settings).page_content
    assert "#### Can I work remotely?\n\nPartly. Most teams expect you" in text, text
    assert "#### What do I need to know?\n\nForecasting, above all.\n\n- SQL\n- Python" in text, text
    assert "- Can I work remotely?" not in text


def test_description_lists_grouped_short_nested_or_second_in_a_section(settings: Settings, write_article) -> None:
    """HTML5 lets a list group each term and its description in a <div>; a list of short values is one item per
    term; a second list in a section is not put under the first one's last term; a list in a list item stays a list."""
    page = ("<html><head><title>Pricing analyst FAQ</title></head><body><article><h1>Pricing analyst FAQ</h1>"
            "<p>Readers ask us the same few things about the job every week, so here are our answers to them.</p>"
            "<h2>Questions</h2><dl><div><dt>Can I work remotely?</dt><dd>Partly. Most teams expect you at the office "
            "three days a week.</dd></div></dl><p>And two about pay.</p><dl><dt>What does it pay?</dt><dd>Juniors "
            "earn around 40,000 a year in most of the cities we looked at.</dd></dl><h2>Job facts</h2><dl>"
            "<dt>Salary</dt><dd>£40k</dd><dt>Location</dt><dd>Leeds</dd></dl><h2>Roles</h2><ul><li>Analyst<dl>"
            "<dt>Pay</dt><dd>GBP 40k</dd></dl></li><li>Scientist</li></ul></article></body></html>")
    text = load(write_article("faq.html", page), settings).page_content
    assert "### Can I work remotely?\n\nPartly. Most teams expect you" in text, text
    assert "### What does it pay?\n\nJuniors earn" in text, text  # not "####": the first list has closed
    assert "- Salary: £40k\n- Location: Leeds" in text, text
    assert "- Analyst\n" in text and "###" not in text.split("## Roles")[1], text


def test_pdf_text_and_metadata_title(settings: Settings) -> None:
    path = settings.knowledge_dir / "report.pdf"
    path.write_bytes(pdf_bytes(PDF_LINES, title="Data science careers"))
    document = load(path, settings)
    assert document.metadata["title"] == "Data science careers"
    assert document.metadata["author"] == "Pdf Author"
    # Hard-wrapped PDF lines are joined back into one paragraph.
    assert "explain what the numbers mean" in document.page_content


def test_pdf_without_metadata_takes_its_first_heading(settings: Settings) -> None:
    path = settings.knowledge_dir / "untitled.pdf"
    path.write_bytes(pdf_bytes(PDF_LINES))
    assert load(path, settings).metadata["title"] == "Becoming a data scientist"


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("empty.md", b"", "empty file"),
        ("blank.txt", b"  \n\n \n", "no article text"),
        ("binary.txt", bytes(range(256)) * 20, "binary file"),
        ("latin1.md", "Un café très réputé pour les ingénieurs de données à Paris".encode("latin-1"), "not valid UTF-8"),
        ("broken.pdf", b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog", "unreadable PDF"),
        ("furniture.html", b"<html><body><nav>Home About</nav><footer>Copyright</footer></body></html>", "no "),
    ],
)
def test_bad_files_fail_with_a_one_line_reason(settings: Settings, name: str, data: bytes, reason: str) -> None:
    path = settings.knowledge_dir / name
    path.write_bytes(data)
    with pytest.raises(LoadError) as error:
        load(path, settings)
    assert reason in str(error.value) and "\n" not in str(error.value)


def test_huge_file_is_refused_before_it_is_read(settings: Settings) -> None:
    path = settings.knowledge_dir / "huge.txt"
    with path.open("wb") as handle:  # sparse: 50 MB on paper, nothing written
        handle.truncate(50 * 1024 * 1024)
    with pytest.raises(LoadError, match=r"file too large \(50 MB > 20 MB\)"):
        read_file(path, settings)


def test_folders_are_walked_recursively_for_supported_files(settings: Settings, write_article) -> None:
    for name in ("a.md", "sub/b.txt", "sub/deeper/c.html", "sub/notes.docx", ".hidden.md"):
        write_article(name, ARTICLE)
    names = [p.relative_to(settings.knowledge_dir).as_posix() for p in iter_files(settings.knowledge_dir)]
    assert names == ["a.md", "sub/b.txt", "sub/deeper/c.html"]


FIXTURES = Path(__file__).parent / "fixtures" / "library"


def test_plain_text_keeps_bullets_and_advice_that_look_like_furniture(settings: Settings) -> None:
    text = parse(read_file(FIXTURES / "remote-analytics-jobs.txt", settings)).page_content
    assert "- Specialist job boards for analytics and data roles list remote openings first." in text
    assert "Sign up for two or three saved searches" in text
    assert "Written by a hiring manager, the best cover letters" in text
    assert "Posted in a remote team's handbook" in text
    for furniture in ("Share this article", "12 comments", "Leave a reply"):
        assert furniture not in text


def test_markdown_images_and_links_become_plain_text(settings: Settings) -> None:
    text = parse(read_file(FIXTURES / "bootcamps.md", settings)).page_content
    assert "tracker.example" not in text and "](" not in text and "![" not in text
    assert "See also our guide to portfolios before you enrol." in text
    assert "- SQL fluency in a live exercise;" in text


def test_html_keeps_headings_lists_and_tables_without_page_furniture(settings: Settings) -> None:
    document = parse(read_file(FIXTURES / "analyst-pay.html", settings))
    text = document.page_content
    assert "## Pay by level" in text and "## Skills that raise pay" in text
    assert "| Senior analyst | $97,500 | £52,000 |" in text
    assert "- dbt models that keep metric definitions in one place" in text
    assert "FURNITURE" not in text
    assert document.metadata["title"] == "Data Analyst Salary Guide"


def test_a_5_mb_article_is_chunked_without_stalling(settings: Settings, write_article) -> None:
    from bot.ingest.chunking import split_document

    paragraph = "Data analysts who learn SQL early find their first role sooner than those who wait. " * 12
    path = write_article("huge.md", "# Huge\n\n" + "\n\n".join([paragraph] * 5200))
    assert path.stat().st_size > 5_000_000
    started = time.perf_counter()
    chunks = split_document(parse(read_file(path, settings)), settings.chunk_words, settings.chunk_overlap_words)
    assert len(chunks) > 5000 and time.perf_counter() - started < 60


def test_paragraphs_opening_with_a_bold_label_are_a_list():
    text = ("Their reasons fall into two groups.\n\n**Compute.** Labs have far more GPUs\nthan universities.\n\n"
            "**Pay:** offers are higher.\n\nA **bold** word inside a sentence changes nothing.")
    assert clean_text(text) == ("Their reasons fall into two groups.\n\n- Compute. Labs have far more GPUs than "
                                "universities.\n- Pay: offers are higher.\n\nA bold word inside a sentence changes nothing.")


def test_a_transcript_with_bold_speaker_names_is_turns_not_a_list(settings: Settings, write_article):
    # Two names that each open several paragraphs are speakers: each turn stays a paragraph, so the chunker keeps a
    # question with the turn that answers it and the composer reads who asks and who answers.
    turns = "".join(f"<p><strong>Nadia:</strong> What was hard about month {n}?</p><p><strong>Omar:</strong> Month {n} "
                    f"was hard because the sensor data came in late.</p>" for n in range(1, 4))
    path = write_article("talk.html", f"<html><body><article><h1>A talk</h1>{turns}<h2>Reasons</h2><p><strong>"
                         "Cost:</strong> sensors are cheap now.</p><p><strong>Data:</strong> there is more of it."
                         "</p></article></body></html>")
    text = parse(read_file(path, settings)).page_content
    assert "Nadia: What was hard about month 2?\n\nOmar: Month 2 was hard because" in text
    assert "\n- Nadia" not in text and "\n- Omar" not in text
    # A list's labels, each its own, stay a list.
    assert "- Cost: sensors are cheap now.\n- Data: there is more of it." in text
    # In plain text a short turn is no heading; a third voice with one turn is a turn too, however it is capitalised.
    talk = "".join(f"**Dr. Patel:** What about month {n}?\n\n**Omar:** Month {n} was slow.\n\n" for n in range(1, 4))
    assert clean_text(f"# A talk\n\n{talk}**LEE:** And now?\n\n**omar:** Faster.\n", detect_headings=True) == (
        "# A talk\n\n" + "".join(f"Dr. Patel: What about month {n}?\n\nOmar: Month {n} was slow.\n\n" for n in range(1, 4))
        + "LEE: And now?\n\nomar: Faster.")
    # Nor when the transcript closes the text, nor after a table in the middle of it.
    assert "- " not in clean_text(talk.rstrip())
    assert "- " not in clean_text(f"{talk}| Month | Pace |\n|---|---|\n| 3 | slow |\n\n**Dr. Patel:** Later?\n\n**Omar:** Fine.")
    # The same labels under each heading of a profile page are each section's list, not speakers.
    jobs = "".join(f"## Job {n}\n\nWhat job {n} does.\n\n**Pay:** {n}0k.\n\n**Degree:** Any.\n\n" for n in range(1, 4))
    assert "What job 2 does.\n\n- Pay: 20k.\n- Degree: Any." in clean_text(jobs)


def test_paragraphs_opening_with_bold_words_after_an_introduction_are_its_list(settings: Settings, write_article):
    path = write_article("employers.html", "<html><body><article><h1>Grid forecasting</h1><p>Forecasters work for "
                         "many kinds of company across the industry.</p><p>There are three main types of employer:</p>"
                         "<p><strong>Grid operators</strong> such as TenneT, who balance the system.</p><p><strong>"
                         "Trading houses</strong> that buy and sell power.</p><p><strong>Vendors</strong> that sell "
                         "forecasts.</p><h2>Pay</h2><p><strong>Trading desks</strong> pay the most, by far, for "
                         "forecasters with a few years of experience.</p></article></body></html>")
    text = parse(read_file(path, settings)).page_content
    assert ("There are three main types of employer:\n\n- Grid operators such as TenneT, who balance the system.\n"
            "- Trading houses that buy and sell power.\n- Vendors that sell forecasts.") in text
    # A bold opening nothing introduces is emphasis.
    assert "\n\nTrading desks pay the most" in text


def test_numbered_step_titles_in_plain_text_are_their_sections_sub_headings_and_items():
    text = ("How to get started\n\nThese are the steps, in order.\n\nStep 1. Learn SQL.\nSpend a month on joins.\n\n"
            "Step 2. Build a dashboard.\nPick a public dataset and\npublish it.\n\nStep 3. This line stands alone.")
    cleaned = clean_text(text, detect_headings=True)
    assert cleaned == ("## How to get started\n\nThese are the steps, in order.\n\n### Step 1. Learn SQL\n\n"
                       "Spend a month on joins.\n\n### Step 2. Build a dashboard\n\nPick a public dataset and publish "
                       "it.\n\nStep 3. This line stands alone.")
    # "What are the steps?" is answered by the section that lists them (chunking lists numbered sub-headings).
    started = next(s for s in sections(cleaned) if s.path == ["How to get started"])
    assert started.blocks[-1].render().endswith("in order.\n- Learn SQL\n- Build a dashboard")


def test_a_numbered_line_standing_alone_between_paragraphs_titles_its_section():
    text = ("Where people come from\n\nMost fall into two groups.\n\n1. The career changer\n\nThey bring research "
            "skills.\n\n2. The new grad\n\nThey bring fresh coursework.\n\nTwo tips:\n\n1. Apply early\n2. Ask for "
            "referrals")
    cleaned = clean_text(text, detect_headings=True)
    assert cleaned == ("## Where people come from\n\nMost fall into two groups.\n\n### 1. The career changer\n\n"
                       "They bring research skills.\n\n### 2. The new grad\n\nThey bring fresh coursework.\n\n"
                       "Two tips:\n\n1. Apply early\n2. Ask for referrals")
    # Markdown has heading syntax of its own: a numbered line there stays a list item.
    assert "\n1. The career changer\n" in clean_text(text)
    changer = next(s for s in sections(cleaned) if s.path[-1] == "1. The career changer")
    assert changer.blocks[0].render() == "They bring research skills."


def test_a_numbered_section_title_in_capitals_or_underlined_titles_the_list_below_it():
    text = ("Going freelance\n\n5) MISTAKES NEW CONTRACTORS MAKE\n\n  a. Pricing from their old salary. Divide your\n"
            "     target income by 180.\n  b. Skipping indemnity insurance.\n\n6. Where the work is\n"
            "--------------------\n\n  - Banks\n  - Retailers")
    assert clean_text(text, detect_headings=True) == (
        "## Going freelance\n\n### 5) MISTAKES NEW CONTRACTORS MAKE\n\n- Pricing from their old salary. Divide your "
        "target income by 180.\n- Skipping indemnity insurance.\n\n## 6. Where the work is\n\n- Banks\n- Retailers")


def test_a_lettered_list_is_a_list_only_in_letter_order():
    assert clean_text("Two routes:\n\n  a) an agency;\n  b) a direct client.") == (
        "Two routes:\n\n- an agency;\n- a direct client.")
    # A wrapped sentence's line that opens with a letter and a dot is no item.
    assert clean_text("The firm was founded\nc. 1990 in Leeds.") == "The firm was founded c. 1990 in Leeds."


def test_a_plain_text_timetable_is_a_list_of_its_rows():
    text = ("Her Tuesday:\n\n    06:45  Drive in; the plant is 40 minutes from town\n"
            "    07:45  Morning production meeting with the plant manager, the process\n"
            "           engineer and quality\n    4.30pm  Leave, unless the kiln is in trouble\n\nShe likes it.")
    assert clean_text(text) == ("Her Tuesday:\n\n- 06:45 Drive in; the plant is 40 minutes from town\n"
                                "- 07:45 Morning production meeting with the plant manager, the process engineer and "
                                "quality\n- 4.30pm Leave, unless the kiln is in trouble\n\nShe likes it.")


def test_a_list_numbered_in_brackets_is_a_numbered_list():
    text = ("A typical check list looks like this:\n\n    [1] Net pay swings: pay that moved more than a set\n"
            "        percentage since the last run.\n    [2] Duplicate payments: the same person paid twice.\n"
            "    (3) Bank detail changes: new accounts added before payday.")
    # A wrapped sentence's line that opens with a bracketed number out of order is no item.
    assert clean_text("You need three things: (1) SQL, (2) Python and\n(3) statistics.") == (
        "You need three things: (1) SQL, (2) Python and (3) statistics.")
    assert clean_text(text) == ("A typical check list looks like this:\n\n1. Net pay swings: pay that moved more than "
                                "a set percentage since the last run.\n2. Duplicate payments: the same person paid "
                                "twice.\n3. Bank detail changes: new accounts added before payday.")


def test_a_dotted_leader_block_is_a_list_of_its_keys_and_values():
    text = ("QUICK FACTS\n  Typical UK day rate ........ GBP 500 - 700\n  Usual contract length ...... 3 to 6 months,\n"
            "                               often extended\n  HCPCS Level II ... supplies\n\nI waited ... then left.")
    assert clean_text(text, detect_headings=True) == (
        "## QUICK FACTS\n\n- Typical UK day rate: GBP 500 - 700\n- Usual contract length: 3 to 6 months, often "
        "extended\n- HCPCS Level II: supplies\n\nI waited ... then left.")


def test_a_line_indented_less_than_a_list_item_is_not_its_continuation():
    # Sub-headings of a salary block sit left of its items: each heads its own list, however short.
    text = ("PAY\n\n  United States\n    Junior analyst ....... USD 65,000\n    Senior analyst ....... USD 110,000\n\n"
            "  Germany\n    Junior analyst ....... EUR 45,000\n\n  Note: a PhD adds about 10%.\n\n"
            "  - Wraps onto the next line\n    as items do\n  - and at its own indent")
    assert clean_text(text, detect_headings=True) == (
        "## PAY\n\n## United States\n\n- Junior analyst: USD 65,000\n- Senior analyst: USD 110,000\n\n"
        "## Germany\n\n- Junior analyst: EUR 45,000\n\nNote: a PhD adds about 10%.\n\n"
        "- Wraps onto the next line as items do\n- and at its own indent")


STRUCTURE = Path(__file__).parent / "fixtures" / "structure"


def test_setext_underlines_make_headings_and_thematic_breaks_vanish(settings: Settings) -> None:
    document = parse(read_file(STRUCTURE / "cloud-badges-guide.txt", settings))
    text = document.page_content
    assert text.startswith("# CLOUD BADGES FOR ANALYSTS: A PRICE CHECK\n\n")
    assert "## WHY WE WROTE IT\n\nStudents keep asking" in text
    assert "---" not in text.replace("|---", "") and "===" not in text
    markdown = parse(read_file(STRUCTURE / "offer-playbook.md", settings)).page_content
    assert "## Setext headings work in Markdown too\n\nA heading underlined" in markdown
    assert "\n---\n" not in markdown and "\n\n---" not in markdown
    # `--` under a line of a fenced code block is an SQL comment, not an underline.
    assert "## ```sql" not in markdown and "-- offers(company, base_usd) --" in markdown


def test_a_grid_table_becomes_a_markdown_table(settings: Settings) -> None:
    text = parse(read_file(STRUCTURE / "cloud-badges-guide.txt", settings)).page_content
    assert "+--" not in text
    assert ("| Badge | Vendor | Price | Renewal |\n|---|---|---|---|\n"
            "| Warehouse Analyst Level 1 | Nimbus | $120 | every 2 yrs |") in text
    # A grid table that draws a border under every row wraps a cell over lines: one row, cell text joined.
    wrapped = parse(read_file(STRUCTURE / "wrapped-cells-table.txt", settings)).page_content
    assert "| Harbour Metrics | $600 once, then $40 a month for internet |" in wrapped
    assert "| Lantern Data | $1,000 every two years |" in wrapped


def test_sub_bullets_stay_nested_under_their_item(settings: Settings) -> None:
    text = parse(read_file(STRUCTURE / "cloud-badges-guide.txt", settings)).page_content
    assert ("- You are moving from finance into analytics\n  - Recruiters screen on job titles first.\n"
            "  - A badge shows you have touched the tools.\n    - Pair it with one public dashboard.\n") in text
    assert "- A failed attempt costs the whole price again.\n- Renewals add up over a career." in text  # `o` bullets
    markdown = parse(read_file(STRUCTURE / "offer-playbook.md", settings)).page_content
    assert "1. Ask for the offer in writing.\n  - Ask the recruiter to email base, bonus and equity." in markdown


def test_a_transcript_title_comes_from_its_title_line_not_a_speakers_turn(settings: Settings) -> None:
    document = parse(read_file(STRUCTURE / "switching-podcast.txt", settings))
    assert document.metadata["title"] == "THE LATERAL MOVE SHOW - EPISODE 12"
    assert '"From teacher to data analyst in one school year"' in document.page_content
    # A speaker's short question is something said, not a heading.
    assert "PRIYA: Why leave teaching?" in document.page_content
    assert "## PRIYA" not in document.page_content


def test_a_title_line_above_an_episodes_details_is_the_title_and_an_editors_note_no_heading() -> None:
    text = ("THE DATA CAREERS HOUR\nEpisode 9: From teacher to analyst\nHost: Sam Reyes\nRecorded: 9 October 2024\n\n"
            "[Transcript lightly edited for clarity.]\n\nSAM: Welcome back. Why did you leave teaching?\n")
    document = parse(Article(source="episode-9.txt", data=text.encode(), suffix=".txt"))
    assert document.metadata["title"] == "THE DATA CAREERS HOUR"
    assert "Host: Sam Reyes" in document.page_content
    assert "\n[Transcript lightly edited for clarity.]\n" in document.page_content
    assert "## [Transcript" not in document.page_content


def test_a_header_blocks_title_field_is_the_title_without_its_key() -> None:
    text = ("Title: From Clinic Records to Herd Sensors: Data Science in Animal Health\nAuthor: Ines Farrow\n"
            "Published: 2023-11-02\n\nVets keep records in a dozen systems.\n")
    document = parse(Article(source="animal-health.txt", data=text.encode(), suffix=".txt"))
    assert document.metadata["title"] == "From Clinic Records to Herd Sensors: Data Science in Animal Health"
    # The rest of the block is metadata too: who wrote it and when, not what the article says.
    assert document.metadata["author"] == "Ines Farrow" and document.metadata["date"] == "2023-11-02"
    assert "Author:" not in document.page_content and "Vets keep records" in document.page_content


def test_a_markdown_files_opening_key_value_block_is_its_metadata(settings: Settings, write_article) -> None:
    path = write_article("space.md", "Title: Space Planning Analyst\nSource: retailroles.example/space\nAuthor: "
                                     "Gareth Lowe\nDate: 2024-09-05\nRegion: UK, US\n\n# Space Planning Analyst\n\n"
                                     f"{ARTICLE}\n")
    document = load(path, settings)
    assert (document.metadata["title"], document.metadata["author"], document.metadata["date"]) == (
        "Space Planning Analyst", "Gareth Lowe", "2024-09-05")
    assert document.metadata.get("url") is None  # no link a reader could follow
    assert "Author:" not in document.page_content and ARTICLE in document.page_content.replace("\n\n", " ")
    assert "Region: UK, US" in document.page_content  # a field of no known kind may say something: it stays
    # An FAQ or a transcript opening with "Q:" / "Interviewer:" lines is the article itself, "Author:" or not.
    faq = load(write_article("faq.md", "Q: Do I need a degree?\nA: No.\n\nMore answers below.\n"), settings)
    assert faq.page_content.startswith("Q: Do I need a degree?")
    talk = load(write_article("talk.md", "Interviewer: Why leave?\nAuthor: Burnout, mostly.\n\nMore.\n"), settings)
    assert talk.page_content.startswith("Interviewer: Why leave?") and "author" not in talk.metadata


def test_a_title_line_above_sentences_about_the_episode_is_the_title() -> None:
    text = ('CAREER TALK - Episode 12: "Leading a labelling team"\nRecorded May 2024. Host: Sam Reyes. Guest: Ana '
            'Lim, a labelling team lead.\nTranscript lightly edited.\n\nSAM: Ana, what does your team do?\n')
    document = parse(Article(source="episode-12.txt", data=text.encode(), suffix=".txt"))
    assert document.metadata["title"] == 'CAREER TALK - Episode 12: "Leading a labelling team"'
    assert "Recorded May 2024. Host: Sam Reyes." in document.page_content


def test_a_line_underlined_below_a_kicker_is_the_title_and_the_kicker_stays_in_the_text() -> None:
    title = "From the kitchen pass to Power BI: the food waste analyst"
    text = f"BACK OF HOUSE CAREERS - EPISODE 27\n{title}\n{'=' * len(title)}\n\nTOM: We split it three ways.\n"
    document = parse(Article(source="episode-27.txt", data=text.encode(), suffix=".txt"))
    assert document.metadata["title"] == title
    assert "BACK OF HOUSE CAREERS - EPISODE 27" in document.page_content
    # A rule under a whole header block, longer than its last line, underlines no title: the first line is it.
    block = "THE DATA JOBS HOUR\nPricing the front row\nRecorded October 2024 | 41 min\n" + "=" * 50
    document = parse(Article(source="episode-87.txt", data=f"{block}\n\nDANA: Hello.\n".encode(), suffix=".txt"))
    assert document.metadata["title"] == "THE DATA JOBS HOUR"
    # The lines after the underline stay lines of their own; a sentence above an underlined heading is no kicker.
    text = f"KICKER - EPISODE 3\n{title}\n{'=' * len(title)}\nHost: Maya Chen\n\nTOM: Hello.\n"
    document = parse(Article(source="episode-3.txt", data=text.encode(), suffix=".txt"))
    assert "KICKER - EPISODE 3 Host" not in document.page_content and "Host: Maya Chen" in document.page_content
    text = "Some intro sentence wraps here and\ncontinues on this line.\nSection One\n-----------\n\nMore.\n"
    assert parse(Article(source="notes.txt", data=text.encode(), suffix=".txt")).metadata["title"] == "notes"


def test_a_paragraph_wrapped_after_its_first_line_gives_no_title() -> None:
    text = ("Most analysts we spoke to moved into the role from\nFinance teams, where reporting is the daily work.\n\n"
            "More text follows here.\n")
    document = parse(Article(source="analyst-notes.txt", data=text.encode(), suffix=".txt"))
    assert document.metadata["title"] == "analyst-notes"


def test_an_underlined_title_in_capitals_with_a_colon_is_no_speakers_turn() -> None:
    text = ("THE ANALYTICS TRANSLATOR: BRIDGE ROLE OR DEAD END?\n=================================================="
            "\n\nBy a former translator.\n\nWhat the job is\n---------------\n\nA translator sits between teams.\n")
    document = parse(Article(source="translator.txt", data=text.encode(), suffix=".txt"))
    assert document.metadata["title"] == "THE ANALYTICS TRANSLATOR: BRIDGE ROLE OR DEAD END?"


def test_a_text_file_without_a_title_line_is_named_after_the_file(settings: Settings) -> None:
    document = parse(read_file(STRUCTURE / "call-notes.txt", settings))
    assert document.metadata["title"] == "call-notes"
    assert not any(line.startswith("#") for line in document.page_content.splitlines())


def test_html_table_caption_and_footnote_marks(settings: Settings) -> None:
    text = parse(read_file(STRUCTURE / "analyst-pay-table.html", settings)).page_content
    assert "<sup>" not in text and "</sup>" not in text
    # The caption introduces the table instead of being its first row; the header is the real one. Its footnote
    # mark goes too, not run into the year before it ("spring 20244").
    assert "Table 2. Median analyst offers by city, spring 2024:\n\n| City | Level | Base | Bonus |\n|---|" in text
    assert "| Lisbon | Mid | €41,000 | 6% |" in text and "| Oslo | Senior | NOK 780,000 | 8% |" in text
    assert "Target bonus as a share of base salary." in text  # the footnotes themselves stay
    assert "A team of 10^3 analysts" in text and "2nd-line teams" in text  # not footnote marks
