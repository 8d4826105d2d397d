"""Document -> chunks: split at headings, then paragraphs, into pieces the embedding model sees whole.

all-MiniLM-L6-v2 truncates at 256 word pieces (~200 English words), so chunks stay at or under
`chunk_words` words, overlapping a little so a sentence cut at a boundary is still found.
"""

from __future__ import annotations

import hashlib
import re

from langchain_core.documents import Document
from langchain_text_splitters import MarkdownHeaderTextSplitter, RecursiveCharacterTextSplitter


def word_count(text: str) -> int:
    return len(text.split())


def content_hash(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()


def embedding_text(chunk: Document) -> str:
    """What gets embedded: the section heading gives a short passage its topic."""
    heading = chunk.metadata.get("heading")
    return f"{heading}\n{chunk.page_content}" if heading else chunk.page_content


def split_document(document: Document, chunk_words: int = 200, overlap_words: int = 30) -> list[Document]:
    """Chunks carrying the article's metadata plus heading, chunk_index, chunk_hash and a stable id."""
    sections = MarkdownHeaderTextSplitter([("##", "heading")], strip_headers=True).split_text(document.page_content)
    splitter = RecursiveCharacterTextSplitter(
        chunk_size=chunk_words,
        chunk_overlap=overlap_words,
        length_function=word_count,
        separators=["\n\n", "\n", ". ", " "],
        keep_separator="end",
    )
    chunks: list[Document] = []
    for section in sections:
        body = re.sub(r"\s*\n\s*", "\n\n", section.page_content).strip()
        heading = section.metadata.get("heading")
        for piece in splitter.split_text(body):
            metadata = dict(document.metadata)
            if heading:
                metadata["heading"] = heading
            chunks.append(Document(page_content=piece.strip(), metadata=metadata))
    for index, chunk in enumerate(chunks):
        chunk.metadata["chunk_index"] = index
        chunk.metadata["chunk_hash"] = content_hash(embedding_text(chunk))
        # The id includes the source and position, so identical text in two articles stays two records.
        chunk.id = content_hash(document.metadata["source"], str(index), chunk.metadata["chunk_hash"])[:32]
    return chunks
