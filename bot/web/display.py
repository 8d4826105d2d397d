"""How text from readers and articles reaches a client: as text, never as markup, and without server paths."""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import quote

from bot.answer.pipeline import Source
from bot.text import http_url_problem

# The ASCII punctuation that means something to CommonMark, GFM or the chat UIs' extensions (each may be
# backslash-escaped): with all of them escaped no construct survives, neither images, links, autolinks
# (`http\://`, `www\.`, `a\@b`), code spans, emphasis, headings, lists, tables, raw HTML, entities nor `$` math.
# The rest (" % ' , / ; ?) starts nothing, so it stays as it is, for readable raw text.
_MARKDOWN_SPECIAL = re.compile(r"([!#$&()*+\-.:<=>@\[\\\]^_`{|}~])")
_MARKDOWN_ESCAPED = re.compile(r"\\([!#$&()*+\-.:<=>@\[\\\]^_`{|}~])")
_ESCAPED_CITATION = re.compile(r"\\\[(\d+)\\\]")  # a citation marker [n] after markdown_text
# What may stay unencoded in a link we make: RFC 3986's reserved and unreserved characters except those
# that end a Markdown link destination or an HTML attribute ( ) < > " ' and the backslash and backtick.
_URL_SAFE = ";/?:@&=+$,-_.!~*#%[]"


def markdown_text(text: str) -> str:
    """`text` escaped so that a Markdown renderer shows exactly these characters."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def markdown_answer(text: str) -> str:
    """An answer as Markdown text whose citation markers stay readable as `[n]`: a bracketed number links
    nowhere, as every other bracket, colon and parenthesis around it is escaped."""
    return _ESCAPED_CITATION.sub(r"[\1]", markdown_text(text))


def unescape_markdown_text(escaped: str) -> str:
    """The inverse of markdown_text: every backslash it wrote escapes the character after it."""
    return _MARKDOWN_ESCAPED.sub(r"\1", escaped)


def markdown_link(label: str, url: str | None) -> str:
    """A Markdown link to `url` if it is a well-formed http(s) URL, else just the label, as text."""
    safe_url = http_url(url)
    return f"[{markdown_text(label)}]({safe_url})" if safe_url else markdown_text(label)


def http_url(url: str | None) -> str | None:
    """`url` percent-encoded so it can't break out of a link, or None unless it is http(s) with a host."""
    if not url:
        return None
    try:
        valid = http_url_problem(url.strip()) is None
    except ValueError:  # e.g. a malformed IPv6 host
        return None
    return quote(url.strip(), safe=_URL_SAFE) if valid else None


def public_source(source: str, knowledge_dir: Path) -> str:
    """How a citation names its article to clients: the URL, the path inside the knowledge folder, or, for
    a file ingested from anywhere else, only its file name (the rest is the server's business)."""
    if http_url(source):
        return source
    path = Path(source)
    inside = not path.is_absolute() and ".." not in path.parts and (knowledge_dir / path).is_file()
    return source if inside else path.name


def source_dicts(sources: Sequence[Source], knowledge_dir: Path) -> list[dict]:
    """Citations as the API returns them (`/api/chat`'s `sources`, `/v1/`'s `citations`): one per article,
    `text` its first quoted passage, `quotes` every passage the answer quotes from it."""
    return [{"n": s.n, "title": s.title, "source": public_source(s.source, knowledge_dir), "text": s.text,
             "url": s.url, "quotes": [{"text": q.text, "heading": q.heading} for q in _quotes(s)]}
            for s in sources]


def plain_answer(text: str, notice: str | None, sources: Sequence[Source], knowledge_dir: Path) -> str:
    """An answer for API clients, which show text as it is: the answer with its `[n]` markers, its notice,
    then `[n] title — where` per source, without Markdown."""
    parts = [text]
    if notice:
        parts.append(notice)
    if sources:
        parts.append("\n".join(["Sources:", *(plain_source(s, knowledge_dir) for s in sources)]))
    return "\n\n".join(part for part in parts if part)


def plain_source(source: Source, knowledge_dir: Path) -> str:
    """`[n] title — URL` (or the article's name, without a URL)."""
    return f"[{source.n}] {source.title} — {http_url(source.url) or public_source(source.source, knowledge_dir)}"


def html_source(source: Source, knowledge_dir: Path) -> str:
    """One entry of a compact source list, as one line of HTML: `[n] title` (a link to the article's URL if
    it has one), with the quoted passage and where it comes from behind a click. Article text is
    HTML-escaped: in an HTML block a Markdown renderer leaves it as written. Each passage quoted from the
    article is one blockquote."""
    title = html.escape(source.title)
    url = http_url(source.url)
    if url:
        title = f'<a href="{html.escape(url)}" target="_blank" rel="noopener noreferrer">{title}</a>'
    quotes = "".join(f"<blockquote>{html.escape(' '.join(q.text.split()))}</blockquote>" for q in _quotes(source))
    origin = html.escape(public_source(source.source, knowledge_dir))
    return (f"<details><summary><b>[{source.n}]</b> {title}</summary>"
            f"{quotes}<small>{origin}</small></details>")


def _quotes(source: Source) -> list:
    """The passages quoted from a source's article (a Source built by hand may list none but its own)."""
    return source.quotes or [source]
