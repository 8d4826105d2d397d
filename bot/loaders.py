"""File or URL -> LangChain `Document` (clean text + title/author/date/url metadata), one function per format.

Every loader returns Markdown-ish text: paragraphs separated by blank lines, section headings as `## `,
so chunking has one format to understand.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from typing import TYPE_CHECKING

from langchain_core.documents import Document

if TYPE_CHECKING:
    from bot.settings import Settings

SUPPORTED_SUFFIXES = (".md", ".markdown", ".txt", ".html", ".htm", ".pdf")


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

# Inline Markdown that would reach readers as markup: images go, links keep their text, emphasis and code
# markers go (quotes are shown as plain text, and an article must not make a reader's browser load anything).
_INLINE_MARKUP = [
    (re.compile(r"!\[[^\]]*\]\([^)]*\)"), ""),
    (re.compile(r"\[([^\]]+)\]\([^)]*\)"), r"\1"),
    (re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1"), r"\2"),
    (re.compile(r"(?<![\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![\w*])"), r"\1"),
    (re.compile(r"`([^`\n]+)`"), r"\1"),
]

# "**Compute.** Modern research needs...": paragraphs opening with a bold label are the items of a list (the
# reasons, steps or options an article gives), written as paragraphs.
_BOLD_LEAD_IN = re.compile(r"^\s*(\*\*|__)[^*_\n]{2,80}?(?:[.:!?](?:\*\*|__)|(?:\*\*|__)[.:])\s+\S")

# Markdown block syntax that clean_text keeps line by line instead of joining into paragraphs.
_LIST_ITEM = re.compile(r"^\s*(?:[-*+•▪◦]|\d{1,2}[.)])\s+\S")
_TABLE_ROW = re.compile(r"^\s*\|.*\|\s*$")
_HEADING = re.compile(r"^(#{1,6})\s*(.*?)\s*#*\s*$")


def clean_text(text: str, detect_headings: bool = False) -> str:
    """Markdown-ish text with one block per line group: `#` headings, paragraphs (wrapped lines joined),
    list items (`- ` or `1. `, one per line) and table rows (`| a | b |`), separated by blank lines.

    `detect_headings` marks short unpunctuated lines as headings: plain text has no other heading syntax.
    """
    blocks: list[str] = []
    paragraph: list[str] = []
    lead_in = False  # the paragraph opens with a bold lead-in: one of a list written as paragraphs

    def end_paragraph() -> None:
        if paragraph:
            joined = " ".join(paragraph)
            if lead_in:
                blocks.append("- " + joined)
            elif not _is_furniture(joined):
                blocks.append(_as_heading(joined) if detect_headings else joined)
            paragraph.clear()

    for raw in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        line = _plain(" ".join(_BLOCKQUOTE.sub("", raw).split()))
        heading = _HEADING.match(line)
        if _is_furniture(line):
            line = ""  # a furniture line ends the paragraph it interrupts
        if not line or heading or _LIST_ITEM.match(raw) or _TABLE_ROW.match(line):
            end_paragraph()
        if heading:
            if heading.group(2):
                blocks.append(f"{heading.group(1)} {heading.group(2)}")
        elif _LIST_ITEM.match(raw):
            blocks.append(_normal_list_item(line))
        elif _TABLE_ROW.match(line):
            blocks.append(line)
        elif line and blocks and blocks[-1][:1] in "-0123456789" and not paragraph and raw[:1] in " \t":
            blocks[-1] += " " + line  # an indented continuation of a list item
        elif line:
            if not paragraph:
                lead_in = bool(_BOLD_LEAD_IN.match(raw))
            paragraph.append(line)
    end_paragraph()
    return _join_blocks(blocks).strip()


def _plain(line: str) -> str:
    for pattern, replacement in _INLINE_MARKUP:
        line = pattern.sub(replacement, line)
    return line


def _normal_list_item(line: str) -> str:
    marker, item = line.split(None, 1)
    return f"{marker} {item}" if marker[0].isdigit() else f"- {item}"


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
    both_items = bool(_LIST_ITEM.match(last) and _LIST_ITEM.match(block))
    both_rows = bool(_TABLE_ROW.match(last) and _TABLE_ROW.match(block))
    return both_items or both_rows


def _is_furniture(paragraph: str) -> bool:
    return len(paragraph.split()) <= _FURNITURE_MAX_WORDS and bool(_BOILERPLATE_LINE.match(paragraph))


def _as_heading(paragraph: str) -> str:
    if paragraph.startswith("#"):
        return paragraph
    looks_like_heading = len(paragraph.split()) <= 12 and not paragraph.endswith((".", "!", ",", ";", ":", '"'))
    return "## " + paragraph if looks_like_heading else paragraph


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


def load_markdown(article: Article) -> Document:
    import frontmatter

    try:
        post = frontmatter.loads(_decode(article.data))
    except LoadError:
        raise
    except Exception as exc:  # malformed YAML front matter
        raise LoadError(f"bad front matter: {exc}") from None
    text = clean_text(post.content)
    meta = {key: _scalar(post.metadata.get(key)) for key in ("title", "author", "date", "url")}
    return _document(article, text, **meta)


def load_text(article: Article) -> Document:
    text = clean_text(_decode(article.data), detect_headings=True)
    return _document(article, text)


def load_html(article: Article) -> Document:
    """Main text as Markdown (headings, lists and tables kept), without the page's furniture (trafilatura)."""
    import trafilatura

    html = article.data.decode("utf-8", errors="replace")
    text = trafilatura.extract(
        html, url=article.url, output_format="markdown", include_comments=False, include_tables=True,
        include_formatting=True, include_links=False, include_images=False,
    )
    if not (text or "").strip():
        raise LoadError("no main text found in the page")
    meta = trafilatura.extract_metadata(html, default_url=article.url)
    return _document(
        article, clean_text(text, detect_headings=True), title=meta.title if meta else None,
        author=meta.author if meta else None, date=meta.date if meta else None,
        url=(meta.url if meta else None) or article.url,
    )


def load_pdf(article: Article) -> Document:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(article.data))
        pages = [page.extract_text() or "" for page in reader.pages]
        info = reader.metadata or {}
    except (PdfReadError, ValueError, KeyError, OSError) as exc:
        raise LoadError(f"unreadable PDF: {exc}") from None
    # PDF text comes as hard-wrapped lines; a blank line or a short line ends a paragraph.
    text = clean_text("\n\n".join(_unwrap_pdf_page(page) for page in pages), detect_headings=True)
    return _document(article, text, title=_scalar(info.get("/Title")), author=_scalar(info.get("/Author")))


def _unwrap_pdf_page(page: str) -> str:
    paragraphs, current = [], []
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


LOADERS: dict[str, Callable[[Article], Document]] = {
    ".md": load_markdown,
    ".markdown": load_markdown,
    ".txt": load_text,
    ".html": load_html,
    ".htm": load_html,
    ".pdf": load_pdf,
}


def parse(article: Article) -> Document:
    loader = LOADERS.get(article.suffix)
    if loader is None:
        raise LoadError(f"unsupported file type {article.suffix or '(none)'}")
    document = loader(article)
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
        if candidate.is_file() and candidate.suffix.lower() in SUPPORTED_SUFFIXES and not candidate.name.startswith("."):
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
