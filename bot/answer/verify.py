"""Is a generated answer supported by the passages it cites? The app's check, whatever the model did.

Every sentence of the answer is attributed to the passages it cites (a sentence without a citation takes
the next cited sentence's, as models often cite once at the end of a run of sentences). A sentence passes
when its support score clears SUPPORT_BOUND and every number in it occurs in those passages; the model's
instructions must never appear in the answer.

Support = the mean of (a) the best cosine similarity (MiniLM, as retrieval uses) of the sentence to one
sentence, or the whole text, of a cited passage, and (b) the share of the sentence's content words that
occur in the cited passages. Meaning alone rates a short faithful paraphrase ("Pandas and NumPy help with
manipulating data", 0.48) below a fluent invention on the same topic ("engineers get a company car",
0.67); invented claims bring words the passages lack, faithful ones reuse theirs. Calibrated with
`python -m bench.calibrate_support`: faithful paraphrases score 0.38-0.93 (all but two above 0.67), unsupported sentences on the
same topic up to 0.619, so the bound sits just above the latter: when unsure, the app shows the composer's
extract rather than a claim it cannot back. Plausible distortions that reuse the passages' words (a
wrong "only", a swapped subject) can still pass: this check catches text about something else, not lies.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from langchain_core.documents import Document

from bot.answer.backends.prompt import REWRITE_PROMPT, SYSTEM_PROMPT
from bot.embeddings import embed_texts
from bot.text import CITATION, MARKUP_CHARS, answer_sentences, content_stems, cosine, passage_units, plain_words

# Support score a sentence needs from the passages it cites (calibration: see module doc).
SUPPORT_BOUND = 0.62
_MIN_WORDS = 3  # shorter pieces ("Yes.", a list label) carry no claim worth checking
_LEAK_WORDS = 6  # this many consecutive words of the system prompt in an answer means it is being revealed

_NUMBER = re.compile(r"\d(?:[\d,.]*\d)?")


@dataclass
class Claim:
    text: str  # without citations or markup
    cites: list[int] = field(default_factory=list)


def claims(answer: str) -> list[Claim]:
    """The answer's sentences with the passage numbers each one rests on."""
    found = []
    for line in answer.splitlines():
        for sentence in answer_sentences(line):
            text = MARKUP_CHARS.sub("", CITATION.sub("", sentence)).strip()
            if text:
                found.append(Claim(text, [int(n) for n in CITATION.findall(sentence)]))
    inherited: list[int] = []
    for claim in reversed(found):  # uncited -> the next cited sentence's passages
        claim.cites = claim.cites or inherited
        inherited = claim.cites
    inherited = []
    for claim in found:  # trailing uncited sentences -> the last cited passages
        claim.cites = claim.cites or inherited
        inherited = claim.cites
    return found


def _numbers(text: str) -> set[str]:
    return {n.replace(",", "").rstrip(".") for n in _NUMBER.findall(text)}


def _leaks_prompt(answer: str) -> bool:
    said = " ".join(plain_words(answer))
    for prompt in map(plain_words, (SYSTEM_PROMPT, REWRITE_PROMPT)):
        if any(" ".join(prompt[i:i + _LEAK_WORDS]) in said for i in range(len(prompt) - _LEAK_WORDS + 1)):
            return True
    return False


class Verifier:
    """`problem(answer, passages)` -> why the answer must not be shown, or None when it is supported."""

    def __init__(self, bound: float = SUPPORT_BOUND) -> None:
        self.bound = bound

    def problem(self, answer: str, passages: Sequence[Document]) -> str | None:
        found = [c for c in claims(answer) if c.cites]
        if not found:
            return "the answer cites no passage"
        if _leaks_prompt(answer):
            return "the answer repeats the system prompt"
        # Short pieces are skipped only beside real claims: an answer of nothing but "Pwned! [1]" is checked.
        checked = [c for c in found if len(plain_words(c.text)) >= _MIN_WORDS] or found
        for claim in checked:
            cited = " ".join(passages[n - 1].page_content for n in claim.cites if 1 <= n <= len(passages))
            missing = _numbers(claim.text) - _numbers(cited)
            if missing:
                return f"numbers {sorted(missing)} are not in the cited passages: {claim.text!r}"
        scores = self.support(checked, passages)
        for claim, score in zip(checked, scores):
            if score < self.bound:
                return f"sentence not supported by passages {claim.cites} (support {score:.2f}): {claim.text!r}"
        return None

    def support(self, found: Sequence[Claim], passages: Sequence[Document]) -> list[float]:
        """Each claim's support by the passages it cites: mean of best cosine similarity and word coverage."""
        return [
            (similarity + _coverage(claim, passages)) / 2
            for claim, similarity in zip(found, self.similarity(found, passages))
        ]

    def similarity(self, found: Sequence[Claim], passages: Sequence[Document]) -> list[float]:
        """Each claim's best cosine similarity to a sentence, or the whole text, of a passage it cites."""
        if not found:
            return []
        units = [(i, s) for i, p in enumerate(passages, 1) for s in [*(u.text for u in passage_units(p.page_content)), p.page_content]]
        vectors = embed_texts([c.text for c in found] + [s for _, s in units])
        claim_vectors, unit_vectors = vectors[: len(found)], vectors[len(found):]
        return [
            max((cosine(v, u) for (n, _), u in zip(units, unit_vectors) if n in claim.cites), default=0.0)
            for claim, v in zip(found, claim_vectors)
        ]


def _coverage(claim: Claim, passages: Sequence[Document]) -> float:
    stems = content_stems(claim.text)
    if not stems:
        return 0.0
    cited = set().union(*(content_stems(passages[n - 1].page_content) for n in claim.cites if 1 <= n <= len(passages)))
    return len(stems & cited) / len(stems)
