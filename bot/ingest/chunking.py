"""Document -> chunks that keep the article's structure.

Loaders hand over Markdown-ish text (`#` headings, paragraphs, `- ` list items, `| a | b |` table rows).
Chunks are packed from whole blocks, section by section, so a list stays with the sentence that introduces
it, a table row carries its column names ("Pay at L3 (US) — Data Engineer: $130K; Analytics Engineer:
$110K"), and every chunk knows its heading path. all-MiniLM-L6-v2 truncates at 256 word pieces (~200
English words), so chunks stay at or under `chunk_words`; a block longer than that is cut at sentences
(a list or table at items, repeating its introduction).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

from langchain_core.documents import Document

from bot.text import (HEADING, HEADING_SEPARATOR, NUMBERED_HEADING, SPEAKER, is_item, item_label, item_text,
                      split_sentences)

_TABLE_SEPARATOR = re.compile(r"^\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?$")
_INTRO_MAX_WORDS = 45  # a paragraph this short right before a list or table introduces it
# A table header names its columns ("Share of data engineers on call"). A converter that takes a table without
# one makes its first data row the header: a row with a sentence in a cell, or a figure ("35%", "$500") after
# its label, is data. A bare year ("2023") may name a column.
_HEADER_MAX_WORDS = 8
_FIGURE_CELL = re.compile(r"^(?:[$€£₹]\s?\d|\d[\d,.]*\s?(?:%|[a-z]))", re.IGNORECASE)


def word_count(text: str) -> int:
    return len(text.split())


def content_hash(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()


def embedding_text(chunk: Document) -> str:
    """What gets embedded: the title and heading path give a short passage (a table row) its topic."""
    title = chunk.metadata.get("title") or ""
    heading = chunk.metadata.get("heading_path") or chunk.metadata.get("heading") or ""
    context = heading if heading.startswith(title) else HEADING_SEPARATOR.join(filter(None, [title, heading]))
    return f"{context}\n{chunk.page_content}" if context else chunk.page_content


@dataclass
class Block:
    """A paragraph (one line, after the question it answers, if any), or a list / table: its introducing
    sentence and one line per item or row."""

    lines: list[str]
    intro: str | None = None

    def render(self) -> str:
        return "\n".join(([self.intro] if self.intro else []) + self.lines)

    @property
    def words(self) -> int:
        return word_count(self.render())


@dataclass
class Section:
    path: list[str]
    blocks: list[Block] = field(default_factory=list)


def sections(text: str) -> list[Section]:
    """The article's sections in order, each with its heading path and blocks. A section whose sub-sections
    are numbered ("1. Recruiter screen", "2. SQL live coding") also lists their headings as its last block:
    an article that writes its rounds or steps as numbered headings answers "what are the rounds?" with
    them, as one that writes them as a list would."""
    found = _parsed_sections(text)
    for section in found:
        children = [s.path[-1] for s in found if len(s.path) == len(section.path) + 1 and s.path[:-1] == section.path]
        numbered = [NUMBERED_HEADING.sub("", child) for child in children if NUMBERED_HEADING.match(child)]
        if len(numbered) >= 2:
            _add_structured(section.blocks, ["- " + title for title in numbered])
    return [s for s in found if s.blocks]


def _parsed_sections(text: str) -> list[Section]:
    found = [Section([])]
    levels: list[tuple[int, str]] = []
    for group in filter(None, (g.strip() for g in text.split("\n\n"))):
        heading = HEADING.match(group)
        if heading and "\n" not in group:
            level = len(heading.group(1))
            levels = [(lv, title) for lv, title in levels if lv < level] + [(level, heading.group(2).strip())]
            found.append(Section([title for _, title in levels]))
            continue
        blocks = found[-1].blocks
        lines = group.split("\n")
        if lines[0].lstrip().startswith("|"):
            _add_structured(blocks, _table_rows(lines))
        elif is_item(lines[0]):
            _add_structured(blocks, [line for item in _list_tree(lines) for line in _item_lines(item)])
        else:
            _add_paragraph(blocks, " ".join(lines))
    return found


def _add_paragraph(blocks: list[Block], paragraph: str) -> None:
    """A paragraph; one that follows a short question (an interviewer's turn, an FAQ's question written as
    a paragraph, a turn that asks and goes on) is its answer, so the two are packed as one block and never split
    across chunks."""
    previous = blocks[-1] if blocks else None
    prompt = previous.lines[0] if previous and len(previous.lines) == 1 else ""
    answers = prompt.rstrip().endswith("?") or _answers_turn(prompt, paragraph)
    if (previous and previous.intro is None and prompt and not is_item(prompt) and answers
            and previous.words <= _INTRO_MAX_WORDS):
        blocks[-1] = Block([paragraph], intro=previous.lines[0])
    else:
        blocks.append(Block([paragraph]))


def _answers_turn(prompt: str, paragraph: str) -> bool:
    """Whether the paragraph is another speaker's answer to a turn that asks something and goes on ("HOST: Why are
    they hiring for this now? Chemists did fine for a century." "GUEST: Three reasons. ..."): not a turn that asks
    in its turn ("GUEST: Why does it matter? Shelves are money." "HOST: What tools do you use?")."""
    asker, answerer = SPEAKER.match(prompt), SPEAKER.match(paragraph)
    return bool(asker and answerer and asker.group(1) != answerer.group(1) and not paragraph.rstrip().endswith("?")
                and any(sentence.rstrip().endswith("?") for sentence in split_sentences(prompt)))


def _add_structured(blocks: list[Block], lines: list[str]) -> None:
    """A list or table, taking the short paragraph just before it as its introduction: with the question that
    paragraph answers, if any ("Q: What should someone learning now focus on?" "A: Three things:"), so a chunk
    boundary never parts a list from the question it answers."""
    previous = blocks[-1] if blocks else None
    if previous and len(previous.lines) == 1 and not is_item(previous.lines[0]) and previous.words <= _INTRO_MAX_WORDS:
        blocks[-1] = Block(lines, intro=previous.render())
    else:
        blocks.append(Block(lines))


_Item = tuple[str, list]  # an item's text and its sub-items


def _list_tree(lines: list[str]) -> list[_Item]:
    """The top-level items of a list, each with its sub-items: loaders indent a sub-item deeper than its
    parent, so nesting survives (`- Exam\n  - 90 minutes`)."""
    roots: list[_Item] = []
    stack: list[tuple[int, _Item]] = []
    for line in lines:
        indent = len(line) - len(line.lstrip())
        item: _Item = (item_text(line), [])
        while stack and indent <= stack[-1][0]:
            stack.pop()
        (stack[-1][1][1] if stack else roots).append(item)
        stack.append((indent, item))
    return roots


def _item_lines(item: _Item, label: str | None = None) -> list[str]:
    """An item, then each of its sub-items (and theirs) as a line that names the item it belongs to, as a
    table row carries its column names: "- Exam X — 90 minutes; pass mark 65%". A sub-item is never
    quoted or retrieved apart from its item, and the item stays a short line of its own list."""
    text, children = item  # list markers (`1.`, `*`) are normalised to `- `
    own = item_label(text)
    lines = ["- " + (f"{label} — {text}" if label else text)]
    for child in children:
        lines += _item_lines(child, own or label)
    return lines


def _cells(row: str) -> list[str]:
    return [cell.strip() for cell in row.strip().strip("|").split("|")]


def _cells_line(cells: list[str]) -> list[str]:
    return ["| " + " | ".join(cells) + " |"]


def _table_rows(lines: list[str]) -> list[str]:
    """Rows as `- first cell — column: cell; column: cell`, so a row quoted alone still says what it means."""
    header: list[str] | None = None
    if len(lines) > 1 and _TABLE_SEPARATOR.match(lines[1].strip()):
        header, lines = _cells(lines[0]), lines[2:]
        if any(word_count(cell) > _HEADER_MAX_WORDS for cell in header) or any(map(_FIGURE_CELL.match, header[1:])):
            header, lines = None, [*_cells_line(header), *lines]  # type: ignore[arg-type]  # a data row a converter made the header
    rows = []
    for line in lines:
        if _TABLE_SEPARATOR.match(line.strip()):
            continue
        cells = _cells(line)
        if header and len(header) == len(cells) and len(cells) > 1:
            pairs = "; ".join(f"{name}: {cell}" if name else cell for name, cell in zip(header[1:], cells[1:]) if cell)
            rows.append(f"- {cells[0]} — {pairs}" if pairs else f"- {cells[0]}")  # a note spanning the row
        else:
            filled = [cell for cell in cells if cell]
            rows.append("- " + " — ".join(filled[:1] + ["; ".join(filled[1:])] if len(filled) > 1 else filled))
    return rows


def _pieces(block: Block, limit: int, overlap: int) -> list[Block]:
    """A block cut to fit `limit` words: a list or table at items (each piece keeps the introduction), a
    paragraph at sentences, with about `overlap` words repeated so a cut sentence is still found whole."""
    if block.words <= limit:
        return [block]
    if block.intro is not None and len(block.lines) == 1 and not is_item(block.lines[0]):
        # an answer too long for one chunk: cut at sentences, each piece keeping its question
        budget = max(limit - word_count(block.intro), 1)
        return [Block([" ".join(group)], block.intro) for group in _pack(split_sentences(block.lines[0]), budget, overlap)]
    if block.intro is not None or len(block.lines) > 1:
        budget = max(limit - word_count(block.intro or ""), 1)
        return [Block(group, block.intro) for group in _pack(block.lines, budget, overlap=0)]
    return [Block([" ".join(group)]) for group in _pack(split_sentences(block.lines[0]), limit, overlap)]


def _pack(units: list[str], limit: int, overlap: int) -> list[list[str]]:
    groups: list[list[str]] = [[]]
    for unit in units:
        if groups[-1] and word_count(" ".join(groups[-1] + [unit])) > limit:
            carried: list[str] = []
            for previous in reversed(groups[-1]):
                if word_count(" ".join([previous, *carried, unit])) > limit or word_count(
                        " ".join([previous, *carried])) > overlap:
                    break
                carried.insert(0, previous)
            groups.append(carried)
        groups[-1].append(unit)
    return [g for g in groups if g]


def _with_announcement(chunk: list[Block], piece: Block, chunk_words: int) -> Block:
    """A list about to open the next chunk, with the sentence that announces it ("The main employers are:") moved
    from the end of the longer paragraph that closes `chunk` (which loses it), so the chunk boundary doesn't part
    them; when that sentence is short and the list still fits."""
    last = chunk[-1]
    if piece.intro is not None or not is_item(piece.lines[0]) or len(last.lines) != 1 or is_item(last.lines[0]):
        return piece
    *kept, announcement = split_sentences(last.lines[0])
    words = word_count(announcement)
    if not kept or not announcement.endswith(":") or words > _INTRO_MAX_WORDS or piece.words + words > chunk_words:
        return piece
    chunk[-1] = Block([" ".join(kept)], intro=last.intro)
    return Block(piece.lines, intro=announcement)


def split_document(document: Document, chunk_words: int, overlap_words: int) -> list[Document]:
    """Chunks carrying the article's metadata plus heading, heading_path, chunk_index, chunk_hash and a
    stable id. Blocks are packed whole, within one section, up to `chunk_words` words."""
    chunks: list[Document] = []
    for section in sections(document.page_content):
        packed: list[list[Block]] = [[]]
        for block in section.blocks:
            for piece in _pieces(block, chunk_words, overlap_words):
                if packed[-1] and sum(b.words for b in packed[-1]) + piece.words > chunk_words:
                    piece = _with_announcement(packed[-1], piece, chunk_words)
                    packed.append([])
                packed[-1].append(piece)
        for blocks in filter(None, packed):
            metadata = dict(document.metadata)
            if section.path:
                metadata["heading"] = section.path[-1]
                metadata["heading_path"] = HEADING_SEPARATOR.join(section.path)
            text = "\n".join(block.render() for block in blocks)
            chunks.append(Document(page_content=text, metadata=metadata))
    for index, chunk in enumerate(chunks):
        chunk.metadata["chunk_index"] = index
        chunk.metadata["chunk_hash"] = content_hash(embedding_text(chunk))
        # The id includes the source and position, so identical text in two articles stays two records.
        chunk.id = content_hash(document.metadata["source"], str(index), chunk.metadata["chunk_hash"])[:32]
    return chunks
