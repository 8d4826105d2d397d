"""Headings and titles -> questions a reader would type ("How do I become an AI researcher?").

Rules are written against the shape of a heading, whatever the article: numbering ("2. Salary", "Step 3:"),
figures and asides in parentheses ("Data engineering (20%)"), a subtitle after a colon, a comparison ("A vs
B"), a how-to, a gerund ("Finding remote jobs"), a question already, ALL CAPS or Title Case. The meaning stays
the heading's: words are only dropped when they are numbering, an aside, or name the kind of document
("… Guide"), never added beyond the question's frame. Whether a question is worth offering is decided
elsewhere, by asking it (bot/conversation/suggestions.py).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from bot.text import LETTER_WORD, MARKUP_CHARS

_SPACES = re.compile(r"\s+")
# "1.", "2)", "IV.", "a)", "Step 3:", "Part two -": numbering that says where, not what.
_NUMBERING = re.compile(
    r"^(?:(?:step|part|chapter|section|stage|tip|lesson|phase|no\.?|#)\s*)?(?:\d+|[ivxlc]+|[a-z]|one|two|three|four|five|six|seven|eight|nine|ten)"
    r"\s*[.):\-–—]\s+(?=\S)|^(?:step|part|chapter|section|stage|tip|lesson|phase)\s+\d+\s+(?=\S)", re.IGNORECASE)
_ASIDE = re.compile(r"\s*[(\[][^()\[\]]*[)\]]")  # "(20%)", "(MLE)", "[2024]"
_TRAILING_FIGURE = re.compile(r"\s*[:\-–—]\s*[\d$€£%.,\s]+%?$")  # "Data engineering: 20%"
# The kind of document a title names, not what it is about: "Data Analyst Salary Guide".
_DOCUMENT_KIND = re.compile(
    r"\s+(?:guide|overview|introduction|primer|handbook|cheat ?sheet|explained|compared|in \d{4}|\d{4}|101)$",
    re.IGNORECASE)
_VERSUS = re.compile(r"\s+(?:vs\.?|versus|or)\s+", re.IGNORECASE)
_WH = ("what", "how", "why", "when", "where", "which", "who", "whom", "whose")
_AUXILIARIES = ("is", "are", "was", "were", "do", "does", "did", "can", "could", "should", "would", "will", "shall",
                "may", "might", "must", "has", "have", "had", "am")


class Casing:
    """How the library writes each word inside a sentence, learnt from its sentence-case headings and titles:
    a Title Case or ALL CAPS heading is put in sentence case, keeping the names and acronyms the library
    writes capitalised ("Python", "AI") and lowercasing the rest."""

    def __init__(self, texts: Iterable[str]) -> None:
        self.names: dict[str, str] = {}
        for text in (part for text in texts for part in clean(text).split(": ")):  # "Step 3: Build …"
            words = LETTER_WORD.findall(text)
            shape = _shape(words)
            for word in words[1:]:  # a first word is capitalised whatever it is
                if len(word) > 1 and word.isupper() and shape != "caps":
                    self.names[word.lower()] = word  # an acronym
                elif word[:1].isupper() and shape == "sentence":
                    self.names.setdefault(word.lower(), word)

    def sentence(self, text: str) -> str:
        """`text` in sentence case: its first letter capital, the rest as the library writes each word."""
        out = self.inside(text)
        return out[:1].upper() + out[1:]

    def inside(self, text: str) -> str:
        """`text` to go inside a sentence: every word as the library writes it inside one."""
        shape = _shape(LETTER_WORD.findall(text))

        def word(match: re.Match) -> str:
            w = match.group(0)
            if w.lower() in self.names:
                return self.names[w.lower()]
            if shape == "caps" or (w[:1].isupper() and w[1:].islower() and (shape == "title" or match.start() == 0)):
                return w.lower()
            return w
        return LETTER_WORD.sub(word, text)


def _shape(words: list[str]) -> str:
    """"caps" (ALL CAPS), "title" (most longer words capitalised) or "sentence"."""
    letters = [w for w in words if len(w) > 1]
    if len(letters) > 1 and all(w.isupper() for w in letters):
        return "caps"
    longer = [w for w in words[1:] if len(w) > 3]
    if longer and sum(w[:1].isupper() for w in longer) * 2 > len(longer):
        return "title"
    return "sentence"


def clean(heading: str) -> str:
    """The heading without numbering, asides in parentheses, trailing figures, emphasis marks or end
    punctuation (a question mark stays)."""
    text = _SPACES.sub(" ", MARKUP_CHARS.sub("", heading)).strip()
    text = _NUMBERING.sub("", text)
    without_asides = _ASIDE.sub("", text).strip()
    text = without_asides or text
    text = _TRAILING_FIGURE.sub("", text).strip()
    question = text.endswith("?")
    text = text.rstrip(" .:;!?,–—-")
    return text + "?" if question else text


def question(heading: str, casing: Casing, topic: str | None = None) -> str | None:
    """A question a reader would type about a heading or title; `topic` (what the article is about, from
    `topic_of`) is added to a heading that doesn't name it. None for a heading with nothing left to ask."""
    text = clean(heading)
    if not LETTER_WORD.search(text):
        return None
    main, _, subtitle = text.partition(": ")
    first = main.split(" ", 1)[0].lower()
    if subtitle and first in _WH and main.lower().split()[-1] in _AUXILIARIES:  # "What is: Machine Learning"
        text, main, subtitle = f"{main} {subtitle}", f"{main} {subtitle}", ""
    if text.endswith("?") or (_is_question(main) and not subtitle):
        return casing.sentence(text.rstrip("?")) + "?"
    main = _DOCUMENT_KIND.sub("", main).strip() or main
    words = main.split()
    context = f" for {topic}" if topic and not _mentions(main, topic) else ""
    if main.lower().startswith("how to "):
        return f"How do I {casing.inside(main[7:])}{context}?"
    sides = _VERSUS.split(main)
    if len(sides) == 2 and all(LETTER_WORD.search(side) for side in sides) and " or " not in main.lower():
        return f"What is the difference between {casing.inside(sides[0])} and {casing.inside(sides[1])}?"
    if first in _WH:  # an embedded question: "What employers check", "How long they take"
        return f"What should I know about {casing.inside(main)}{context}?"
    if words[0].lower().endswith("ing") and len(words[0]) > 5 and len(words) > 1:  # "Finding remote jobs"
        return f"How do I go about {casing.inside(main)}{context}?"
    if _plural_things(words):  # "Key skills for data engineers", "Tools and technologies"
        return f"What are the {casing.inside(main[4:] if words[0].lower() == 'the' else main)}{context}?"
    return f"What should I know about {casing.inside(main)}{context}?"


def topic_of(title: str, casing: Casing) -> str | None:
    """What an article is about, to name in a question about one of its sections: its title without
    subtitle, document kind or question frame ("What Does a Machine Learning Engineer Do?" -> "a machine
    learning engineer"). None when no such phrase stands out (a yes/no question, a how-to, a comparison)."""
    text = clean(title).rstrip("?")
    main = text.partition(": ")[0]
    main = _DOCUMENT_KIND.sub("", main).strip() or main
    words = main.split()
    if not words:
        return None
    lower = [w.lower() for w in words]
    if lower[0] in _AUXILIARIES:
        return None
    if lower[0] in _WH:
        if len(words) > 2 and lower[1] in _AUXILIARIES:
            rest = words[2:]
            if rest and rest[-1].lower() in ("do", "does", "mean"):  # "What does X do?"
                rest = rest[:-1]
            return casing.inside(" ".join(rest)) if rest else None
        return None
    if lower[:2] == ["how", "to"]:
        return None
    if len(_VERSUS.split(main)) == 2:
        return None
    return casing.inside(main)


_POST_MODIFIER = frozenset("of for by that which who used in to faced with at on from behind".split())


def _plural_things(words: list[str]) -> bool:
    """A noun phrase naming several things, said as "the …": its head noun (the last word before "of",
    "for", "that"…) is plural, and something qualifies it (those words, or "and")."""
    lower = [w.lower().strip(",") for w in words]
    cut = next((i for i, w in enumerate(lower) if w in _POST_MODIFIER and i > 0), len(lower))
    head = lower[cut - 1]
    plural = head.endswith("s") and not head.endswith(("ss", "us", "is", "'s", "’s")) and len(head) > 3
    return plural and (cut < len(lower) or "and" in lower[:cut])


def _is_question(text: str) -> bool:
    words = text.lower().split()
    return len(words) > 1 and (words[0] in _AUXILIARIES or (words[0] in _WH and words[1] in _AUXILIARIES)
                               or (words[0] in _WH and len(words) > 2 and words[2] in _AUXILIARIES))


def _mentions(text: str, topic: str) -> bool:
    from bot.text import content_stems

    return bool(content_stems(text) & content_stems(topic))
