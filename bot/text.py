"""Word and sentence helpers shared by retrieval (word filters) and the composer (sentence choice)."""

from __future__ import annotations

import re

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"“(A-Z0-9$])")
_WORD = re.compile(r"[a-z0-9][a-z0-9+#]*", re.IGNORECASE)
_STOPWORDS = frozenset(
    """a about above after again all also am an and any are as at be because been before being below between both
    but by can could did do does doing down during each few for from further had has have having how i if in into
    is it its just me more most my no nor not now of off on once only or other our out over own same should so
    some such than that the their them then there these they this those through to too under until up very was we
    were what when where which while who whom why will with would you your much many tell know want get need like
    someone become becoming kind kinds thing things really good better best way ways lot lots time times
    people learn learning work working play make making start use using help find new first take look think""".split()
)


def stem(word: str) -> str:
    """Truncation stemming: the first five letters conflate salary/salaries, deploy/deployment. Chosen over
    a linguistic stemmer because it needs no dependency and works as well for short-text matching."""
    return word.lower()[:5]


def content_stems(text: str) -> set[str]:
    return {stem(w) for w in _WORD.findall(text) if w.lower() not in _STOPWORDS and len(w) > 1}


def split_sentences(text: str) -> list[str]:
    """Sentences of a passage; lines without end punctuation (leftover headings, list labels) are dropped."""
    sentences = []
    for paragraph in text.split("\n"):
        for sentence in _SENTENCE_END.split(paragraph.strip()):
            if len(sentence.split()) >= 4 and sentence.rstrip().endswith((".", "!", "?", '"', "”", ")")):
                sentences.append(sentence.strip())
    return sentences




# Job-title and field abbreviations the embedding model does not resolve ("MLE" lands nowhere near "machine
# learning engineer"). Domain vocabulary of the library, not of any question set.
ACRONYMS = {
    "MLE": "machine learning engineer", "MLEs": "machine learning engineers", "ML": "machine learning",
    "DS": "data scientist", "AI": "artificial intelligence", "MLOps": "machine learning operations",
    "SWE": "software engineer", "DL": "deep learning", "NLP": "natural language processing",
    "LLM": "large language model", "LLMs": "large language models",
    "PhD": "Ph.D. doctorate", "MSc": "master's degree", "BSc": "bachelor's degree",
}
_ACRONYM = re.compile(r"\b(" + "|".join(sorted(map(re.escape, ACRONYMS), key=len, reverse=True)) + r")\b")


def expand_acronyms(text: str) -> str:
    """'MLE vs DS?' -> 'MLE (machine learning engineer) vs DS (data scientist)?' (case-sensitive, so 'cv' or
    'ds' in ordinary words stay as they are)."""
    return _ACRONYM.sub(lambda m: f"{m.group(1)} ({ACRONYMS[m.group(1)]})", text)
