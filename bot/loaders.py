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


# Page furniture that survives copy-pasting an article into a text file. Written by hand because
# trafilatura only cleans HTML; each pattern matches a whole line.
_BOILERPLATE_LINE = re.compile(
    r"""^(
        leave\ a\ (reply|comment) | your\ email\ address\ will\ not\ be\ published.* | required\ fields\ are\ marked.*
      | (table\ of\ contents|contents|sumário|índice) | glossary | share\ (this|on).* | (picture|image|photo)\ of\ .*
      | written\ by\ .* | posted\ (on|by|in)\ .* | subscribe.* | sign\ up.* | (read|see)\ (more|also).* | related\ posts?
      | want\ to\ automate\ your\ business\?? | schedule\ a\ free\ consultation.* | click\ here.* | advertisement
      | •\ .* | \d+\ comments?
    )$""",
    re.IGNORECASE | re.VERBOSE,
)


def clean_text(text: str, detect_headings: bool = False) -> str:
    """Join wrapped lines into paragraphs, drop boilerplate lines, normalise headings to `## `.

    `detect_headings` marks short unpunctuated lines as headings: plain text has no other heading syntax.
    """
    paragraphs: list[str] = []
    current: list[str] = []
    for raw in text.replace("\r\n", "\n").split("\n"):
        line = " ".join(raw.split())
        if not line or line.startswith("#"):
            paragraphs.append(" ".join(current))
            current = []
        if line.startswith("#"):
            paragraphs.append("## " + line.lstrip("#").strip())
        elif line:
            current.append(line)
    paragraphs.append(" ".join(current))
    kept = [p for p in paragraphs if p and p != "##" and not _BOILERPLATE_LINE.match(p)]
    if detect_headings:
        kept = [_as_heading(p) for p in kept]
    return "\n\n".join(kept).strip()


def _as_heading(paragraph: str) -> str:
    if paragraph.startswith("## "):
        return paragraph
    looks_like_heading = len(paragraph.split()) <= 12 and not paragraph.endswith((".", "!", ",", ";", ":", '"', ")"))
    return "## " + paragraph if looks_like_heading else paragraph


def _decode(data: bytes) -> str:
    if b"\x00" in data[:4096]:
        raise LoadError("binary file, not text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise LoadError("not valid UTF-8 text") from None


def _first_heading_title(text: str) -> str | None:
    match = re.search(r"^##? (.+)$", text, re.MULTILINE)
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
    import trafilatura

    html = article.data.decode("utf-8", errors="replace")
    extracted = trafilatura.bare_extraction(
        html, url=article.url, output_format="python", include_comments=False, include_tables=True, with_metadata=True
    )
    if extracted is None or not (extracted.text or "").strip():
        raise LoadError("no main text found in the page")
    # trafilatura separates paragraphs with single newlines; headings are kept as their own lines.
    text = clean_text(extracted.text.replace("\n", "\n\n"), detect_headings=True)
    return _document(
        article, text, title=extracted.title, author=extracted.author, date=extracted.date,
        url=extracted.url or article.url,
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
