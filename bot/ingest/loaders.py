"""File or URL -> LangChain `Document` (clean text + title/author/date/url metadata), one function per format.

Every loader returns Markdown-ish text: paragraphs separated by blank lines, section headings as `## `,
so chunking has one format to understand.
"""

from __future__ import annotations

import datetime as dt
import io
import itertools
import re
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from typing import TYPE_CHECKING, Any

from langchain_core.documents import Document

from bot.text import HEADING, MARKDOWN_HEADING, MARKDOWN_ITEM, plain_text, split_sentences

if TYPE_CHECKING:
    from bot.settings import Settings



class LoadError(Exception):
    """An input that cannot become an article; the message is the one-line reason shown to the user."""


@dataclass(frozen=True)
class Article:
    """Raw bytes of one input and where they came from, before format-specific parsing."""

    source: str  # path relative to the knowledge folder, or the URL
    data: bytes
    suffix: str
    url: str | None = None
    path: str | None = None  # absolute path of a local file, so `--prune` can tell it is gone


# Page furniture that survives copy-pasting a web page into a text or Markdown file. Written by hand because
# trafilatura only cleans HTML. A pattern matches a whole short line that is never advice in itself (a comment
# form, a share row, a "N comments" counter); list items and longer lines are never dropped, since a
# pattern that happened to match one site's footer would delete another article's bullets or sentences.
_BOILERPLATE_LINE = re.compile(
    r"""^(
        leave\ a\ (reply|comment) | your\ email\ address\ will\ not\ be\ published.* | required\ fields\ are\ marked.*
      | (table\ of\ contents|contents|sumário|índice) | share\ (this|on)\b.* | \d+\ comments? | advertisement
      | (click|tap)\ here\ to\ .* | related\ (posts?|articles?)
    )$""",
    re.IGNORECASE | re.VERBOSE,
)
_FURNITURE_MAX_WORDS = 10
_BLOCKQUOTE = re.compile(r"^\s*(?:>\s?)+")


# "**Compute.** Modern research needs...": paragraphs opening with a bold label are the items of a list (the
# reasons, steps or options an article gives), written as paragraphs.
_BOLD_LEAD_IN = re.compile(r"^\s*(\*\*|__)[^*_\n]{2,80}?(?:[.:!?](?:\*\*|__)|(?:\*\*|__)[.:])\s+\S")
# Not a transcript's turns, though ("**Graham:** Where does a data scientist fit?" "**Seun:** The service desk is
# the business."): in a run of paragraphs back to back that each open with a bold label and a colon, two or more labels
# that each open several are speakers, and every paragraph of the run is a turn, which the chunker keeps with the
# question it answers. A list's bold labels differ item to item; the same labels repeated in separate sections ("**Pay:**"
# under each job of a profile page) are separated by headings and text.
_BOLD_LABEL = re.compile(r"^\s*(?:\*\*|__)([^*_\n]{1,40}?)(?::\s*(?:\*\*|__)|(?:\*\*|__)\s*:)\s")
_TURNS_PER_SPEAKER = 3
_SPEAKERS_AT_LEAST = 2
# So are paragraphs opening with bold words that run on into the sentence ("**Forecasting vendors** that sell
# ..."), after a paragraph that introduces them ("There are four main types of employer:") or another such item:
# alone, a bold opening is only emphasis.
_BOLD_OPENING = re.compile(r"^\s*(\*\*|__)[^*_\n]{2,80}?(\*\*|__)\s*\S")

# Markdown block syntax that clean_text keeps line by line instead of joining into paragraphs. A lone "o" is
# the bullet plain-text and word-processor lists use for a sub-level; no English sentence starts with "o ".
_TABLE_ROW = re.compile(r"^\s*\|.*\|\s*$")
# A Setext underline (`=====` under a level-1 heading, `-----` under a level-2 one) and, where no paragraph
# stands above it, a thematic break (`---`, `***`, `___`), which carries no text.
_SETEXT_UNDERLINE = re.compile(r"^\s*(=+|-+)\s*$")
_FENCE = re.compile(r"^\s*(```|~~~)")
_THEMATIC_BREAK = re.compile(r"^\s*([-*_])(?:\s*\1){2,}\s*$")
# A grid table's border (`+------+----+`, `+======+` under its header) and its rows (`| a    | b  |`).
_GRID_BORDER = re.compile(r"^\s*\+(?:[-=:]+\+)+\s*$")
_GRID_ROW = re.compile(r"^\s*\|.*\|\s*$")
# "DANIEL: And why leave?" - a speaker's turn in a transcript or interview: a name in capitals (up to three
# words) or one capitalised first name, a colon, and a sentence. Something said, never a heading or title
# ("Machine Learning Engineer: the new job?" is a title: three capitalised words are not a speaker's name).
# What is said is written in sentence case: "THE ANALYTICS TRANSLATOR: BRIDGE ROLE OR DEAD END?" is a title.
_SPEAKER_TURN = re.compile(r"^(?:[A-Z][A-Z.'’-]*(?:\s+[A-Z][A-Z.'’-]*){0,2}|[A-Z][a-z'’-]+):\s+(?=.*[a-z])\S.*[.?!]$")
_HEADING_MAX_WORDS = 12
# "Step 3. Learn differential privacy properly." on a line of its own, its explanation on the lines below: in plain
# text, the title of one of a section's numbered steps (stages, rounds...), a sub-heading. So is "1. The STEM career
# changer" standing alone between paragraphs: a list of one item is a numbered section's title.
_STEP_TITLE = re.compile(r"^(?:[A-Z][a-z]+ )?\d{1,2}[.:)] +(\S.*)$")
# "a. Pricing from ...", "b) ...": a lettered list's item, its letters in order from "a" (a wrapped line that opens
# "c. 1990" is none).
_LETTERED_ITEM = re.compile(r"^\s*([a-z])[.)]\s+\S")
# "[1] Net pay swings: ...", "(2) Duplicate payments: ...": a numbered list's item in plain text, its number in brackets.
_BRACKETED_ITEM = re.compile(r"^\s*(?:\[(\d{1,2})\]|\((\d{1,2})\))\s+\S")
# "    07:15  Read the night shift log": a timetable's row in plain text (a day in the life), its time then two spaces.
_TIMETABLE_ROW = re.compile(r"^\s*\d{1,2}[:.]\d{2}(?:\s?[ap]\.?m\.?)?\s{2,}[A-Za-z]", re.IGNORECASE)
# "Usual contract length ........ 3 to 6 months": a key and its value joined by a dotted leader, one fact of a
# block of them (written as the list item "- Usual contract length: 3 to 6 months"). In such a block a long key
# leaves room for three dots only ("HCPCS Level II ... supplies"), which alone could be a sentence's ellipsis.
_DOTTED_LEADER = re.compile(r"^(\s*)(\S.*?)\s*\.{4,}\s*(\S.*)$")
_SHORT_DOTTED_LEADER = re.compile(r"^(\s*)(\S.*?) \.{3,} (\S.*)$")
_TITLE_MAX_WORDS = 20  # a first line standing alone may be a longer title than a heading inside the text


def clean_text(text: str, detect_headings: bool = False) -> str:
    """Markdown-ish text with one block per line group: `#` headings, paragraphs (wrapped lines joined),
    list items (`- ` or `1. `, one per line) and table rows (`| a | b |`), separated by blank lines.

    `detect_headings` marks short unpunctuated lines as headings: plain text has no other heading syntax.
    """
    blocks: list[str] = []
    paragraph: list[str] = []
    lines = _grid_tables(text.replace("\r\n", "\n").replace("\r", "\n").split("\n"))
    turns = _turn_openings(lines)
    lead_in = False  # the paragraph opens with a bold lead-in: one of a list written as paragraphs
    turn = False  # the paragraph is a transcript's turn (never a heading, however short)
    lead_in_items: list[str] = []  # the blocks made of such paragraphs

    def end_paragraph() -> None:
        if paragraph:
            step = detect_headings and len(paragraph) > 1 and _STEP_TITLE.match(paragraph[0])
            if step and _looks_like_heading(step.group(1).rstrip(".")):
                blocks.append(f"{_sub_heading_marks(blocks)} {paragraph.pop(0).rstrip('.')}")
            joined = " ".join(paragraph)
            if lead_in:
                blocks.append("- " + joined)
                lead_in_items.append(blocks[-1])
            elif not _is_furniture(joined):
                blocks.append(_as_heading(joined) if detect_headings and not turn else joined)
            paragraph.clear()

    indents: list[int] = []  # indentation of the open list's levels, outermost first
    in_fence = False  # inside a fenced code block
    next_letter = "a"  # the letter the next item of a lettered list has
    next_number = 1  # the number the next item of a list numbered in brackets has
    after_item = False  # the line before was a list item's first line
    item_indent = 0  # how far the last list item is indented: its wrapped lines are indented as far or further
    after_leader = False  # the lines before are a dotted-leader block's
    for line_number, raw in enumerate(lines):
        raw, leaders = _DOTTED_LEADER.subn(r"\1- \2: \3", raw.expandtabs(4))
        if after_leader and not leaders:
            raw, leaders = _SHORT_DOTTED_LEADER.subn(r"\1- \2: \3", raw)
        after_leader = bool(leaders) or (after_leader and raw[:1] == " ")  # its value may wrap onto the next line
        line = plain_text(" ".join(_BLOCKQUOTE.sub("", raw).split()))
        heading = MARKDOWN_HEADING.match(line)
        if _FENCE.match(raw):
            in_fence = not in_fence
        underline = not in_fence and _SETEXT_UNDERLINE.match(raw)  # `--` in code is an SQL comment
        level = "#" if underline and underline.group(1)[0] == "=" else "##"
        if underline and paragraph:
            # Setext heading: the paragraph above the underline is the heading.
            blocks.append(f"{level} {' '.join(paragraph)}")
            paragraph.clear()
            indents.clear()
            continue
        if underline and after_item and detect_headings and _STEP_TITLE.match(blocks[-1]):
            blocks[-1] = f"{level} {blocks[-1]}"  # "1. THE DATA YOU WILL WORK WITH", underlined: a section's title
            indents.clear()
            continue
        if underline or (not in_fence and _THEMATIC_BREAK.match(raw)):
            end_paragraph()
            continue
        if _is_furniture(line):
            line = ""  # a furniture line ends the paragraph it interrupts
        lettered = _LETTERED_ITEM.match(raw)
        timetabled = _TIMETABLE_ROW.match(raw)
        bracketed = _BRACKETED_ITEM.match(raw)
        number = int(bracketed.group(1) or bracketed.group(2)) if bracketed else 0
        # In order, the first opening a block: "Python and\n(3) statistics" is a wrapped sentence.
        in_order = number == next_number and (number > 1 or not paragraph or paragraph[-1].endswith(":"))
        item = (MARKDOWN_ITEM.match(raw) or (bracketed if in_order else None) or timetabled
                or (lettered if lettered and lettered.group(1) == next_letter else None))
        next_letter = chr(ord(lettered.group(1)) + 1) if item and lettered else "a" if item or heading else next_letter
        next_number = number + 1 if item and bracketed else 1 if item or heading else next_number
        after_item = bool(item)
        if not line or heading or item or _TABLE_ROW.match(line):
            end_paragraph()
        if heading:
            if heading.group(2):
                blocks.append(f"{heading.group(1)} {heading.group(2)}")
                indents.clear()
        elif item and detect_headings and _is_capitals_title(line):
            blocks.append(f"{_sub_heading_marks(blocks)} {line}")  # "5) MISTAKES I SEE NEW CONTRACTORS MAKE"
            indents.clear()
        elif item:
            item_indent = len(raw) - len(raw.lstrip())
            blocks.append("  " * _list_level(indents, item_indent) + (f"- {line}" if timetabled else _normal_list_item(line)))
        elif _TABLE_ROW.match(line):
            blocks.append(line)
            indents.clear()
        elif (line and blocks and MARKDOWN_ITEM.match(blocks[-1]) and not paragraph and raw[:1] == " "
              and len(raw) - len(raw.lstrip()) >= item_indent):
            blocks[-1] += " " + line  # an indented continuation of a list item
        elif line:
            if not paragraph:
                introduced = bool(blocks) and (blocks[-1].endswith(":") or blocks[-1] in lead_in_items[-1:])
                turn = line_number in turns
                lead_in = bool(_BOLD_LEAD_IN.match(raw) or (introduced and _BOLD_OPENING.match(raw))) and not turn
                indents.clear()
            paragraph.append(line)
    end_paragraph()
    return _join_blocks(_numbered_titles(blocks) if detect_headings else blocks).strip()


def _turn_openings(lines: list[str]) -> set[int]:
    """The numbers of the lines that open a transcript's turns (see _BOLD_LABEL)."""
    runs: list[list[tuple[int, str]]] = [[]]  # (line number, label) of labelled paragraphs back to back
    opens_paragraph = True
    for number, line in enumerate(lines):
        label = _BOLD_LABEL.match(line) if opens_paragraph else None
        if label:
            runs[-1].append((number, label.group(1).strip().lower()))
        elif opens_paragraph and line.strip() and runs[-1]:  # another paragraph, a heading or a list ends the run
            runs.append([])
        opens_paragraph = not line.strip()
    # Once a run shows who speaks, their turns after a table or a quote in the middle of the interview are turns too.
    speakers = {label for run in runs if _speakers_in(run) for _, label in run}
    return {number for run in runs if run and {label for _, label in run} <= speakers for number, _ in run}


def _speakers_in(run: list[tuple[int, str]]) -> bool:
    counts = Counter(label for _, label in run)
    return sum(count >= _TURNS_PER_SPEAKER for count in counts.values()) >= _SPEAKERS_AT_LEAST


def _numbered_titles(blocks: list[str]) -> list[str]:
    """The blocks with each numbered item that stands alone between paragraphs and reads as a heading ("1. The
    STEM career changer", its section's paragraphs below) made a sub-heading."""
    titled: list[str] = []
    for before, block, after in zip(["", *blocks], blocks, [*blocks[1:], ""]):
        step = _STEP_TITLE.match(block)
        alone = not MARKDOWN_ITEM.match(before.rsplit("\n", 1)[-1]) and after and not (
            MARKDOWN_ITEM.match(after) or HEADING.match(after) or _TABLE_ROW.match(after))
        titled.append(f"{_sub_heading_marks(titled)} {block}"
                      if step and alone and _looks_like_heading(step.group(1)) else block)
    return titled


def _is_capitals_title(line: str) -> bool:
    """Whether a numbered line is a section's title in capitals ("5) MISTAKES I SEE NEW CONTRACTORS MAKE"), which
    titles the section whatever follows it: a list's items are not written in capitals."""
    step = _STEP_TITLE.match(line)
    return step is not None and step.group(1).isupper() and _looks_like_heading(step.group(1))


def _sub_heading_marks(blocks: list[str]) -> str:
    """The `#`s of a heading one level below the last heading so far that is no step's (or of a section, `##`,
    before any)."""
    level = next((len(h.group(1)) for b in reversed(blocks)
                  if (h := HEADING.match(b)) and not _STEP_TITLE.match(h.group(2))), 1)
    return "#" * min(level + 1, 6)


def _list_level(indents: list[int], indent: int) -> int:
    """The nesting level of a list item indented by `indent` spaces, in the list whose open levels are
    indented by `indents`: deeper than its parent's indentation makes it a sub-item."""
    while indents and indent < indents[-1]:
        indents.pop()
    if not indents or indent > indents[-1]:
        indents.append(indent)
    return len(indents) - 1


def _grid_tables(lines: list[str]) -> list[str]:
    """Grid tables (`+---+---+` borders around `| a | b |` rows, as plain-text and reStructuredText
    documents draw them) rewritten as Markdown tables, the one table syntax chunking reads. Written by hand:
    docutils' grid-table parser wants a border under every row, and text tables usually have one only under
    the header."""
    out: list[str] = []
    index = 0
    while index < len(lines):
        end = index
        while end < len(lines) and (_GRID_BORDER.match(lines[end]) or _GRID_ROW.match(lines[end])):
            end += 1
        table = lines[index:end]
        if _GRID_BORDER.match(lines[index]) and any(_GRID_ROW.match(line) for line in table):
            out += ["", *_grid_to_markdown(table), ""]
            index = end
        else:
            out.append(lines[index])
            index += 1
    return out


def _grid_to_markdown(table: list[str]) -> list[str]:
    """One grid table as Markdown rows. Rows between two borders are one row whose cells wrap over lines
    when the table draws a border under every row; when it draws one only under the header, each line is a
    row, and a line with an empty first cell continues the row above."""
    border = table[0].expandtabs(4)
    stops = [i for i, char in enumerate(border) if char == "+"]

    def cells(line: str) -> list[str]:
        line = line.expandtabs(4)
        if all(i < len(line) and line[i] == "|" for i in stops):
            return [line[a + 1:b].strip() for a, b in zip(stops, stops[1:])]
        return [cell.strip() for cell in line.strip().strip("|").split("|")]  # ragged: split at the bars

    groups: list[list[list[str]]] = [[]]
    for line in table[1:]:
        if _GRID_BORDER.match(line):
            groups.append([])
        else:
            groups[-1].append(cells(line))
    groups = [g for g in groups if g]
    header = groups.pop(0) if len(groups) > 1 else None
    rows: list[list[list[str]]] = []
    if len(groups) > 1:
        rows = groups
    else:
        for row in (groups[0] if groups else []):
            if rows and row and not row[0]:
                rows[-1].append(row)
            else:
                rows.append([row])
    merged = [_merge_cells(lines) for lines in ([header] if header else []) + rows]
    out = ["| " + " | ".join(row) + " |" for row in merged]
    if header:
        out.insert(1, "|" + "---|" * len(merged[0]))
    return out


def _merge_cells(lines: list[list[str]]) -> list[str]:
    width = max(len(cells) for cells in lines)
    return [" ".join(cells[i] for cells in lines if i < len(cells) and cells[i]) for i in range(width)]


def _normal_list_item(line: str) -> str:
    marker, item = line.split(None, 1)
    number = marker.strip("[]()")
    return f"{marker} {item}" if marker[0].isdigit() else f"{number}. {item}" if number.isdigit() else f"- {item}"


def _join_blocks(blocks: list[str]) -> str:
    """List items and table rows of one list or table stay on consecutive lines; other blocks get a blank line."""
    out: list[str] = []
    for block in blocks:
        if out and _same_group(out[-1], block):
            out[-1] += "\n" + block
        else:
            out.append(block)
    return "\n\n".join(out)


def _same_group(previous: str, block: str) -> bool:
    last = previous.rsplit("\n", 1)[-1]
    both_items = bool(MARKDOWN_ITEM.match(last) and MARKDOWN_ITEM.match(block))
    both_rows = bool(_TABLE_ROW.match(last) and _TABLE_ROW.match(block))
    return both_items or both_rows


def _is_furniture(paragraph: str) -> bool:
    return len(paragraph.split()) <= _FURNITURE_MAX_WORDS and bool(_BOILERPLATE_LINE.match(paragraph))


def _as_heading(paragraph: str) -> str:
    if paragraph.startswith("#"):
        return paragraph
    return "## " + paragraph if _looks_like_heading(paragraph) else paragraph


def _looks_like_heading(line: str, max_words: int = _HEADING_MAX_WORDS) -> bool:
    """A short line that names something: one sentence at most, no closing punctuation but a question mark
    (an FAQ's questions are its headings; inside quotes or brackets too), and not a speaker's turn."""
    bare = line.strip().strip("\"“”'‘’[]()").strip()  # "[Transcript edited for clarity.]" is a note
    return (0 < len(bare.split()) <= max_words and not bare.endswith((".", "!", ",", ";", ":"))
            and len(split_sentences(bare)) == 1 and not _SPEAKER_TURN.match(bare)
            and not MARKDOWN_ITEM.match(bare) and not _TABLE_ROW.match(bare))


# A header block's title field ("Title: From Clinic Records to Herd Sensors"; "Author: ..." lines follow).
_TITLE_FIELD = re.compile(r"^(?:title|headline)\s*:\s*(\S.*)$", re.IGNORECASE)


def _title_line(text: str) -> tuple[str | None, str]:
    """The title a plain-text file states on its first line: a header block's "Title:" (or "Headline:") field, a
    title-like line standing alone (or above more short lines: a subtitle, a byline, an episode's details) as the
    first paragraph, or a first line underlined (`====`), or a line underlined below a kicker ("BACK OF HOUSE CAREERS
    - EPISODE 27"). None when the first line is a sentence, a speaker's turn or a wrapped paragraph's start: the file
    name is the better title then. Also returns the text after the title lines."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").strip().split("\n")
    first: list[str] = []
    for line in lines:
        if not line.strip():
            break
        first.append(line.strip())
    if first and (field := _TITLE_FIELD.match(first[0])):
        return plain_text(field.group(1)), "\n".join(lines[1:])
    if len(first) > 1 and _SETEXT_UNDERLINE.match(first[1]) and _looks_like_heading(first[0], _TITLE_MAX_WORDS):
        return plain_text(first[0]), "\n".join(lines[2:])
    if (underlined := _underlined_below_kicker(first)) is not None:
        # The lines above it (a series' name, "EPISODE 27") stay in the text.
        return plain_text(first[underlined]), "\n".join([*lines[:underlined], "", *lines[underlined + 2:]])
    if first and _looks_like_heading(first[0], _TITLE_MAX_WORDS) and (
            all(_looks_like_heading(line, _TITLE_MAX_WORDS) for line in first[1:]) or _ends_on_purpose(*first[:2])):
        # The lines under it (a subtitle, a byline, "Host: Maya Chen", "Recorded: 9 October 2024") stay in the text.
        return plain_text(first[0]), "\n".join(lines[1:])
    return None, text


def _underlined_below_kicker(first: list[str]) -> int | None:
    """Where in the first paragraph a line below a kicker ("BACK OF HOUSE CAREERS - EPISODE 27") is underlined as a
    title is: by a rule as long as it, as setext headings are; a rule under a whole header block is longer or shorter
    than its last line ("Recorded October 2024  |  Runtime 41 min")."""
    return next((i - 1 for i in range(2, len(first)) if _SETEXT_UNDERLINE.match(first[i])
                 and abs(len(first[i]) - len(first[i - 1])) <= 1
                 and all(_looks_like_heading(line, _TITLE_MAX_WORDS) for line in first[:i])), None)


def _ends_on_purpose(line: str, next_line: str) -> bool:
    """Whether a line ends where its writer ended it, not where a paragraph wrapped: the next line's first word
    would have fitted on it (the next line is longer), and it doesn't go on in lower case."""
    next_word = next_line.split()[0]
    return not next_word[0].islower() and len(line) + 1 + len(next_word) <= len(next_line)


def _decode(data: bytes) -> str:
    if b"\x00" in data[:4096]:
        raise LoadError("binary file, not text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise LoadError("not valid UTF-8 text") from None


def _first_heading_title(text: str) -> str | None:
    match = re.search(r"^#{1,2} (.+)$", text, re.MULTILINE)
    return match.group(1).strip() if match else None


@dataclass(frozen=True)
class Loader:
    load: Callable[[Article], Document]
    content_types: tuple[str, ...] = ()  # web pages served as these are parsed with this loader


# The one list of what careerbot reads: file suffix -> loader. Files are picked by it (ingest, --watch), web
# pages by its content types (bot/ingest/sites.py). A format is one function and its `@loader(...)` line.
LOADERS: dict[str, Loader] = {}


def loader(*suffixes: str, content_types: tuple[str, ...] = ()) -> Callable[[Callable[[Article], Document]],
                                                                            Callable[[Article], Document]]:
    """Registers a loader for files with these suffixes and for web pages of these content types (which are
    parsed as the first suffix)."""
    def register(load: Callable[[Article], Document]) -> Callable[[Article], Document]:
        for index, suffix in enumerate(suffixes):
            LOADERS[suffix] = Loader(load, content_types if index == 0 else ())
        return load
    return register


def suffix_for(content_type: str) -> str | None:
    """The suffix a web page of this content type is parsed as, or None if careerbot reads no such page."""
    return next((suffix for suffix, found in LOADERS.items() if content_type in found.content_types), None)


@loader(".md", ".markdown", content_types=("text/markdown", "text/x-markdown"))
def load_markdown(article: Article) -> Document:
    import frontmatter

    try:
        post = frontmatter.loads(_decode(article.data))
    except LoadError:
        raise
    except Exception as exc:  # malformed YAML front matter
        raise LoadError(f"bad front matter: {exc}") from None
    fields, content = ({}, post.content) if post.metadata else _header_block(post.content)
    text = clean_text(content)
    meta = {key: _scalar(post.metadata.get(key)) or fields.get(key) for key in ("title", "author", "date", "url")}
    return _document(article, text, **meta)


# A MultiMarkdown-style metadata block opening a file: "Key: value" lines up to the first blank line ("Title: ...",
# "Author: ...", "Published: 2024-11-20"), which says who wrote the article and when, not what it says.
_HEADER_FIELD = re.compile(r"^([A-Za-z][A-Za-z-]*(?: [A-Za-z]+){0,2})\s*:\s+(\S.*)$")
_HEADER_KEYS = {"title": "title", "headline": "title", "author": "author", "by": "author", "date": "date",
                "published": "date", "updated": "date", "source": "url", "url": "url", "link": "url"}
_HEADER_KNOWN_AT_LEAST = 2  # "Interviewer: Why leave? / Author: Burnout, mostly." is a transcript, not a header


def _header_block(text: str) -> tuple[dict[str, str], str]:
    """The fields of a metadata block opening the text (title, author, date, url: the first of each) and the text
    without their lines; none and the text when its first lines are no such block: "Key: value" lines, at least two
    of them known fields. Lines of other keys ("Salary: GBP 40,000", "Region: UK") stay in the text."""
    lines = text.lstrip("\n").split("\n")
    block = list(itertools.takewhile(str.strip, lines))
    found = [_HEADER_FIELD.match(line.strip()) for line in block]
    fields = [(m.group(1).lower(), m.group(2)) for m in found if m]
    known_at = [i for i, (key, _) in enumerate(fields) if key in _HEADER_KEYS]
    if len(fields) < len(block) or len(known_at) < _HEADER_KNOWN_AT_LEAST:
        return {}, text
    known: dict[str, str] = {}
    for key, value in (fields[i] for i in known_at):
        known.setdefault(_HEADER_KEYS[key], plain_text(value))
    if not re.match(r"https?://", known.get("url", "https://")):
        del known["url"]  # "Source: retailroles.example/..." is no link a reader could follow
    kept = [line for i, line in enumerate(block) if i not in known_at]
    return known, "\n".join(kept + lines[len(block):])


@loader(".txt", content_types=("text/plain",))
def load_text(article: Article) -> Document:
    fields, rest = _header_block(_decode(article.data))
    title, rest = (fields["title"], rest) if fields.get("title") else _title_line(rest)
    text = clean_text(rest, detect_headings=True)
    if title:
        text = f"# {title}\n\n{text}"
    # A heading further down ("DANIEL: ..." was one) names a section, not the file.
    return _document(article, text, **{**fields, "title": title or Path(article.source).stem})


@loader(".html", ".htm", content_types=("text/html", "application/xhtml+xml"))
def load_html(article: Article) -> Document:
    """Main text as Markdown (headings, lists and tables kept), without the page's furniture (trafilatura)."""
    import trafilatura

    html = article.data.decode("utf-8", errors="replace")
    text = trafilatura.extract(
        _prepare_html(html), url=article.url, output_format="markdown", include_comments=False, include_tables=True,
        include_formatting=True, include_links=False, include_images=False,
    )
    if not (text or "").strip():
        raise LoadError("no main text found in the page")
    meta = trafilatura.extract_metadata(html, default_url=article.url)
    return _document(
        article, clean_text(text or "", detect_headings=True), title=meta.title if meta else None,
        author=meta.author if meta else None, date=meta.date if meta else None,
        url=(meta.url if meta else None) or article.url,
    )


# A footnote reference: a number, a symbol or a letter, alone in a superscript ("Bonus<sup>1</sup>").
_FOOTNOTE_MARK = re.compile(r"\[?(?:\d{1,3}|[*†‡§¶#]{1,3}|[a-z])\]?")
# What a power is written after: a number of one or two digits ("10<sup>6</sup>", "2<sup>10</sup>"); after a
# longer one ("in 2024<sup>1</sup>", "$150,000<sup>2</sup>") a superscript number is a footnote reference.
_EXPONENT_BASE = re.compile(r"(?<![\d,.])\d{1,2}$")


def _prepare_html(html: str) -> str:
    """The page with two things trafilatura (2.3) gets wrong for us, and has no option for, undone first:
    a `<sup>` / `<sub>` would reach readers as a literal tag (and run into a caption's last number: "2024<sup>1
    </sup>" read as 20241), so a footnote reference (`Bonus<sup>1</sup>`, `<sup><a href="#fn1">1</a></sup>`)
    goes and any other superscript or subscript keeps its text (`10^6`, `1st`, `H2O`); a table's `<caption>`
    would become the table's first row (and the real header a data row), so it becomes the paragraph before
    the table, ending in a colon (chunking takes it as the table's introduction)."""
    import lxml.html

    try:
        root = lxml.html.document_fromstring(html)
    except Exception:  # an unparsable page: trafilatura reports it
        return html
    for element in list(root.iter("sup", "sub")):
        text = " ".join(element.text_content().split())
        previous = element.getprevious()
        before = ((previous.tail or previous.text_content()) if previous is not None
                  else (element.getparent().text or "")).rstrip()
        is_reference = element.tag == "sup" and _FOOTNOTE_MARK.fullmatch(text) and (
            element.find(".//a") is not None or not _EXPONENT_BASE.search(before))
        if is_reference or not text:
            element.drop_tree()  # keeps the text after it
        else:
            if element.tag == "sup" and text.isdigit() and _EXPONENT_BASE.search(before):
                element.text, element[:] = "^" + text, []  # an exponent: 10^6
            element.drop_tag()
    for caption in root.iter("caption"):
        table = caption.getparent()
        words = " ".join(caption.text_content().split())
        if table is not None and table.tag == "table" and table.getparent() is not None and words:
            paragraph = lxml.html.Element("p")
            paragraph.text = words if words.endswith((":", ".")) else words + ":"  # it introduces the table
            table.addprevious(paragraph)
        caption.drop_tree()
    _unwrap_sectioned_lists(root)
    _unwrap_description_lists(root)
    return lxml.html.tostring(root, encoding="unicode")


_HEADING_TAGS = ("h1", "h2", "h3", "h4", "h5", "h6")


def _unwrap_sectioned_lists(root: Any) -> None:
    """A list whose items each open with a heading (`<li><h3>1. Adversarial thinking</h3><p>...</p></li>`) is a
    run of sections laid out as a list: trafilatura would write each as one list item, "- ### 1. Adversarial
    thinking In most ...", with the heading's marks in the text readers are quoted. Its items become the
    sections they are."""
    for items in list(root.iter("ul", "ol")):
        children = [child for child in items if isinstance(child.tag, str)]
        if children and all(_opens_with_heading(child) for child in children):
            for child in children:
                child.drop_tag()
            items.drop_tag()


_BLOCK_TAGS = ("p", "div", "ul", "ol", "dl", "table", "blockquote", "pre", *_HEADING_TAGS)
_SHORT_DESCRIPTION_WORDS = 8  # "£40k", "Leeds", "Yes": a value, not an answer to set under its own heading


def _unwrap_description_lists(root: Any) -> None:
    """A description list (`<dl>`: a FAQ's questions and answers, a glossary's terms) as the sections it is: each
    term a heading one level below the heading before the list, its description the text under it. trafilatura
    writes terms and descriptions alike as items of one list ("- Can I work remotely? - Partly. ..."), so a question
    about one answer was answered with the whole list. A list of short values ("Salary: £40k") becomes one item per
    term instead, and a list inside a list item is left as it is: a heading there would reach readers as marks."""
    lists = [(terms, _level_before(terms) + 1) for terms in root.iter("dl")  # levels before any list changes
             if not any(ancestor.tag == "li" for ancestor in terms.iterancestors())]
    for terms, level in lists:
        pairs = [child for child in terms.iter("dt", "dd") if next(child.iterancestors("dl")) is terms]
        if all(len(dd.text_content().split()) <= _SHORT_DESCRIPTION_WORDS and not _holds_blocks(dd)
               for dd in pairs if dd.tag == "dd"):
            _as_items(terms, pairs)
            continue
        for child in pairs:
            if child.tag == "dt":
                child.tag = f"h{min(level, 6)}"
            else:
                child.tag = "div" if _holds_blocks(child) else "p"
        for group in list(terms.iter("div")):  # HTML5 lets a list group each term and its description in a <div>
            if group is not terms and next(group.iterancestors("dl")) is terms:
                group.drop_tag()
        terms.tag = "div"


def _holds_blocks(element: Any) -> bool:
    return any(isinstance(child.tag, str) and child.tag in _BLOCK_TAGS for child in element)


def _as_items(terms: Any, pairs: list[Any]) -> None:
    """The list as `<ul>` items, each term with its values: "Salary: £40k"."""
    import lxml.html

    entries: list[tuple[str, list[str]]] = []  # each term with its values
    for child in pairs:
        words = " ".join(child.text_content().split())
        if child.tag == "dt" or not entries:
            entries.append((words, []))
        else:
            entries[-1][1].append(words)
    items = lxml.html.Element("ul")
    for term, values in entries:
        item = lxml.html.Element("li")
        item.text = f"{term}: {'; '.join(values)}" if values else term
        items.append(item)
    terms.addprevious(items)
    terms.drop_tree()


def _level_before(element: Any) -> int:
    """The level of the last heading before `element` in the page, 2 when there is none."""
    before = element.xpath("preceding::*[self::h1 or self::h2 or self::h3 or self::h4 or self::h5 or self::h6][1]")
    return int(before[0].tag[1]) if before else 2


def _opens_with_heading(item: Any) -> bool:
    first = next((child for child in item if isinstance(child.tag, str)), None)
    return (item.tag == "li" and first is not None and first.tag in _HEADING_TAGS
            and not (item.text or "").strip())


@loader(".pdf", content_types=("application/pdf",))
def load_pdf(article: Article) -> Document:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(article.data))
        pages = [page.extract_text() or "" for page in reader.pages]
        info: Mapping[str, object] = reader.metadata or {}
    except (PdfReadError, ValueError, KeyError, OSError) as exc:
        raise LoadError(f"unreadable PDF: {exc}") from None
    # PDF text comes as hard-wrapped lines; a blank line or a short line ends a paragraph.
    text = clean_text("\n\n".join(_unwrap_pdf_page(page) for page in pages), detect_headings=True)
    return _document(article, text, title=_scalar(info.get("/Title")), author=_scalar(info.get("/Author")))


def _unwrap_pdf_page(page: str) -> str:
    paragraphs: list[str] = []
    current: list[str] = []
    for line in page.splitlines():
        line = line.strip()
        if not line:
            paragraphs.append(" ".join(current))
            current = []
            continue
        current.append(line)
        if len(line.split()) <= 8 and not line.endswith((",", "-")):
            paragraphs.append(" ".join(current))
            current = []
    paragraphs.append(" ".join(current))
    return "\n\n".join(p for p in paragraphs if p)


def parse(article: Article) -> Document:
    found = LOADERS.get(article.suffix)
    if found is None:
        raise LoadError(f"unsupported file type {article.suffix or '(none)'}")
    document = found.load(article)
    if len(document.page_content.split()) < 5:
        raise LoadError("no article text (empty after cleaning)")
    return document


def _document(article: Article, text: str, **meta: str | None) -> Document:
    title = meta.pop("title", None) or _first_heading_title(text) or Path(article.source).stem
    metadata = {"source": article.source, "title": str(title).strip()}
    metadata |= {key: str(value) for key, value in meta.items() if value}
    if article.url and "url" not in metadata:
        metadata["url"] = article.url
    if article.path:
        metadata["path"] = article.path
    return Document(page_content=text, metadata=metadata)


def _scalar(value: object) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return str(value)


def iter_files(path: Path) -> Iterator[Path]:
    """The supported files under `path` (itself if a file), sorted so runs are reproducible."""
    if path.is_file():
        yield path
        return
    for candidate in sorted(path.rglob("*")):
        if candidate.is_file() and candidate.suffix.lower() in LOADERS and not candidate.name.startswith("."):
            yield candidate


def source_name(path: Path, knowledge_dir: Path) -> str:
    """How citations name a file: relative to the knowledge folder when inside it, else to the cwd."""
    resolved = path.resolve()
    for base in (knowledge_dir.resolve(), Path.cwd()):
        if resolved.is_relative_to(base):
            return resolved.relative_to(base).as_posix()
    return resolved.as_posix()


def read_file(path: Path, settings: "Settings") -> Article:
    size = path.stat().st_size
    if size > settings.max_file_mb * 1024 * 1024:
        raise LoadError(f"file too large ({size / 2**20:.0f} MB > {settings.max_file_mb:g} MB)")
    if size == 0:
        raise LoadError("empty file")
    return Article(
        source=source_name(path, settings.knowledge_dir), data=path.read_bytes(), suffix=path.suffix.lower(),
        path=str(path.resolve()),
    )
