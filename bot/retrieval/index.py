"""Both halves of hybrid search over the collection's chunks, kept in memory in step with Chroma: BM25 (bm25s)
over their words, and exact nearest-neighbour search over their stored vectors (see `LibraryIndex.nearest`).

Why derived from the collection instead of written by ingest: Chroma is the record of what is stored (see
bot/ingest/indexing.py), so an index rebuilt from it agrees with it after any ingest, update, delete, `--rebuild`,
crash or write by another process, on the embedded store and on a Chroma server alike. The chunk ids are
content hashes, so comparing id sets is enough to know what changed; only new chunks' texts and vectors are
fetched (never embedded again). (A `--rebuild` with the other ingest encoder keeps the ids, so a running app keeps
the vectors it read, which differ from the new ones by less than 0.0001 cosine, until it restarts.)
`sync()` is cheap when nothing changed: the caller passes a revision (the store's file stamp, or the
server's count plus a time bucket) and the ids are listed only when it moves.

It also answers how common a word is in the library, which the decline check weighs words by.
"""

from __future__ import annotations

import logging
import math
import re
import threading
from collections import Counter
from collections.abc import Hashable
from typing import Any, NamedTuple

import numpy as np
from rapidfuzz.distance import OSA

from bot.embeddings import english_frequency, is_dictionary_word, normalised
from bot.store import PAGE, Collection
from bot.text import (HEADING_SEPARATOR, MONEY, abbreviates, chunk_part, closest_spelling, content_words, section_path,
                      spelled_out, stem)

log = logging.getLogger(__name__)

_LETTERS_PER_EDIT = 5  # a typo makes about one slip in five letters: two in "scientsits", one in "salery"


def tokens(text: str) -> list[str]:
    """What BM25 matches on: stems of the content words (shared by passages and questions)."""
    return [stem(word) for word in content_words(text)]


def _indexed_parts(document: str, metadata: dict) -> list[str]:
    """A chunk's title, heading path and text: what it is searched by."""
    return [part for part in (metadata.get("title"), metadata.get("heading_path") or metadata.get("heading"), document)
            if part]


def indexed_text(document: str, metadata: dict) -> str:
    """A chunk as searched: its title and heading path say what a bare table row or list item is about."""
    return " ".join(_indexed_parts(document, metadata))


def clause_words(document: str, metadata: dict) -> list[str]:
    """A chunk's content words as `indexed_text` has them, with `_BREAK` after each clause (and after its title and
    heading path): the words either side of a break were never written side by side."""
    return [word for part in _indexed_parts(document, metadata) for clause in _CLAUSE_END.split(part)
            for word in [*content_words(clause), _BREAK]]


# Where a clause ends: punctuation before a space or the end, a closing quote after it ("4.5" and "node.js" go on), a
# bracket or dash opening an aside, a table cell's bar, a line's end, and "and", "or", "vs" between two words
# ("developer or reporting analyst" writes no "developer reporting").
_CLAUSE_END = re.compile(r"[.,;:!?)\]]+[\"'”’]*(?=\s|$)|(?<=\s)[(\[|\u2014\u2013-](?=\s|\w)|\n"
                         r"|\s(?:and|or|nor|vs\.?|versus)\s", re.IGNORECASE)
_BREAK = ""
_NEIGHBOUR_CHUNKS = 50  # chunks searched for the word a clipping stands beside: enough to find how articles write it
_CLEAR_LEAD = 2  # times as often as any other the word a clipping is read as must be written beside its neighbour
_CLIPPINGS_KEPT = 10_000  # clipped_beside's answers kept per index build
_CLIPPING_LETTERS = 3  # "med", "eng": two letters ("mi", "co") are as often an acronym typed in lower case
# Endings that make a longer word of a library word, not a second word: "understandable" is no "understand able".
_SUFFIXES = frozenset("able ably ness less ful fully ment ments ship hood wise ward wards like".split())


# A numeronym: a word's first and last letters around the count of the letters between them ("l10n", "k8s").
NUMERONYM = re.compile(r"\b([a-z])(\d{1,2})([a-z])\b", re.IGNORECASE)


class _Chunk(NamedTuple):
    """What retrieval asks of a chunk besides its words."""

    source: str  # its article's source
    heading: str  # its heading path below the title
    position: int  # its place in its article
    states_money: bool  # whether its text states an amount of money
    part: str  # the part of its article it is in ("Cons"; see bot.text.chunk_part), or ""


class _Vectors(NamedTuple):
    """The chunks' stored vectors as unit rows, in the order of `ids` (set in one assignment: a reader never
    sees the ids of one build with the rows of another)."""

    ids: list[str]
    rows: np.ndarray  # float32, one unit-length row per id
    row_of: dict[str, int]


_NO_VECTORS = _Vectors([], np.zeros((0, 0), dtype=np.float32), {})


class LibraryIndex:
    """BM25 over every chunk of a collection, and the chunks' vectors for exact nearest-neighbour search.
    Thread-safe: readers search the index built last."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._revision: tuple[Hashable, int | None] | None = None
        self._words: dict[str, list[str]] = {}  # chunk id -> its content words, clause by clause (clause_words)
        self._chunks: dict[str, _Chunk] = {}
        self._sections: dict[str, list[str]] = {}  # source -> its chunks' heading paths, in article order, once each
        self._by_source: dict[str, list[str]] = {}  # source -> its chunks' ids, in article order
        self._ids: list[str] = []
        self._bm25: Any = None  # a bm25s.BM25, built lazily
        self._document_frequency: Counter[str] = Counter()
        self._by_prefix: dict[str, dict[str, str]] = {}  # first two letters -> {word: token}
        self._clippings: dict[tuple[str, str | None, str | None], str | None] = {}  # clipped_beside's, per build
        self._vectors = _NO_VECTORS

    def sync(self, collection: Collection, revision: tuple[Hashable, int | None]) -> None:
        """Bring the index in line with the collection, if `revision` (signal, time bucket) says it may have
        changed. A new signal (a write was seen) is synced before the query, so new chunks are found at once;
        a new time bucket alone only asks for a look in the background (listing a large collection's ids
        takes a while), and queries meanwhile use the index as it is."""
        if revision == self._revision:
            return
        if self._revision is not None and revision[0] == self._revision[0]:
            if self._lock.acquire(blocking=False):  # else a look is already under way
                threading.Thread(target=self._sync_locked, args=(collection, revision), daemon=True).start()
            return
        self._lock.acquire()
        self._sync_locked(collection, revision)

    def _sync_locked(self, collection: Collection, revision: tuple[Hashable, int | None]) -> None:
        try:
            if revision != self._revision:
                ids = _all_ids(collection)
                if set(ids) != set(self._words):
                    self._update(collection, ids)
                self._revision = revision
        except Exception:  # a failed look leaves the index as it was; the next revision tries again
            log.exception("could not bring the library index up to date")
        finally:
            self._lock.release()

    def _update(self, collection: Collection, ids: list[str]) -> None:
        current = set(ids)
        words = {i: w for i, w in self._words.items() if i in current}
        chunks = {i: chunk for i, chunk in self._chunks.items() if i in current}
        vectors = {i: self._vectors.rows[row] for i, row in self._vectors.row_of.items() if i in current}
        new = [i for i in ids if i not in words]
        for start in range(0, len(new), PAGE):
            batch = collection.get(ids=new[start:start + PAGE], include=["documents", "metadatas", "embeddings"])
            if not batch["ids"]:  # deleted since they were listed (another process's prune or --rebuild)
                continue
            vectors |= zip(batch["ids"], normalised(batch["embeddings"]))
            for chunk_id, document, metadata in zip(batch["ids"], batch["documents"], batch["metadatas"]):
                metadata = metadata or {}
                words[chunk_id] = clause_words(document or "", metadata)
                heading = section_path(metadata)
                chunks[chunk_id] = _Chunk(str(metadata.get("source") or chunk_id), heading,
                                          int(metadata.get("chunk_index") or 0), bool(MONEY.search(document or "")),
                                          chunk_part(document or "", heading))
        self._chunks, self._by_source = chunks, _chunks_by_source(chunks)
        self._sections = _sections_by_source(chunks, self._by_source)
        stacked = _stacked(vectors, sorted(words))
        self._build(words)
        self._vectors = stacked  # right after the words: a reader meets the new BM25 with the old vectors at most briefly
        log.info("library index: %d chunks (%d new)", len(words), len(new))

    def _build(self, words: dict[str, list[str]]) -> None:
        import bm25s

        ids = sorted(words)
        tokens_by_id = {i: [stem(w) for w in words[i] if w != _BREAK] for i in ids}
        bm25 = None
        if ids:
            bm25 = bm25s.BM25()
            bm25.index([tokens_by_id[i] or ["\x00"] for i in ids], show_progress=False)
        frequency: Counter[str] = Counter()
        for chunk_tokens in tokens_by_id.values():
            frequency.update(set(chunk_tokens))
        by_prefix: dict[str, dict[str, str]] = {}
        for word in {w for chunk_words in words.values() for w in chunk_words} - {_BREAK}:
            by_prefix.setdefault(word[:2], {})[word] = stem(word)
        self._words, self._ids, self._bm25 = words, ids, bm25
        self._document_frequency, self._by_prefix, self._clippings = frequency, by_prefix, {}

    def search(self, query: str, k: int) -> list[tuple[str, float]]:
        """(chunk id, BM25 score) of the best `k` chunks that share a word with the query."""
        bm25, ids = self._bm25, self._ids
        known = [t for t in dict.fromkeys(tokens(query)) if t in self._document_frequency]
        if bm25 is None or not known:
            return []
        # n_threads=0 scores in this thread; any other value starts a thread pool per call (~1.3 ms a query).
        found, scores = bm25.retrieve([known], k=min(k, len(ids)), show_progress=False, n_threads=0)
        return [(ids[int(i)], float(s)) for i, s in zip(found[0], scores[0]) if s > 0]

    def nearest(self, vector: list[float], k: int) -> list[tuple[str, float]]:
        """(chunk id, cosine similarity) of the `k` chunks closest to `vector`, closest first.

        Exact, over every stored vector, rather than Chroma's HNSW index: that index is approximate, and an
        embedded store below Chroma's sync threshold (1,000 vectors) builds it afresh, at random, in each
        process, so two replicas or two runs found different candidates for one question (one in forty,
        in two processes of three) and answered or declined it differently. One matrix product costs
        ~2 ms at 20k chunks, ~8 ms at 100k (bench/retrieval_scale.py); equal scores are ordered by id, the
        same in every process."""
        found = self._vectors
        if not found.ids or k < 1:
            return []
        scores = found.rows @ normalised(vector)
        if k < len(scores):  # every row as close as the k-th, so that a tie there goes to the lower id too
            best = np.flatnonzero(scores >= scores[np.argpartition(-scores, k - 1)[k - 1]])
        else:
            best = np.arange(len(scores))
        best = best[np.lexsort((best, -scores[best]))][:k]
        return [(found.ids[i], float(scores[i])) for i in best]

    def similarity(self, vector: list[float], ids: list[str]) -> dict[str, float]:
        """The cosine similarity of `vector` to each of these chunks the index holds."""
        found = self._vectors
        known = [i for i in ids if i in found.row_of]
        scores = found.rows[[found.row_of[i] for i in known]] @ normalised(vector) if known else []
        return dict(zip(known, (float(s) for s in scores)))

    def states_money(self, chunk_id: str) -> bool:
        """Whether the chunk's text states an amount of money ("$120,000", "GBP 33,000–42,000")."""
        chunk = self._chunks.get(chunk_id)
        return chunk is not None and chunk.states_money

    def source(self, chunk_id: str) -> str | None:
        """The source of the article the chunk belongs to."""
        chunk = self._chunks.get(chunk_id)
        return chunk.source if chunk else None

    def part(self, chunk_id: str) -> str:
        """The part of its article the chunk is in ("Cons", "How to get in"), or ""."""
        chunk = self._chunks.get(chunk_id)
        return chunk.part if chunk else ""

    def chunks_of(self, source: str | None) -> list[str]:
        """The ids of an article's chunks, in its order."""
        return self._by_source.get(source or "", [])

    def heading(self, chunk_id: str) -> str:
        """The chunk's heading path below its article's title ("" for none)."""
        chunk = self._chunks.get(chunk_id)
        return chunk.heading if chunk else ""

    def position(self, chunk_id: str) -> int:
        """The chunk's place in its article (0 first)."""
        chunk = self._chunks.get(chunk_id)
        return chunk.position if chunk else 0

    def subheadings(self, chunk_id: str) -> tuple[str, list[str]]:
        """The chunk's section (below the title) and the headings one level below it in its article, in order ("The
        models you would build": "Propensity to pay", "Right-party contact", ...): a list written as headings, which
        no one chunk holds whole. A chunk that is itself one of those parts, with none of its own ("Six skills the job
        asks for > Talking to operators"), has its section's parent and that one's parts. None ("", []) for a chunk
        under the title alone: the article's own sections are no list."""
        chunk = self._chunks.get(chunk_id)
        if chunk is None or not chunk.heading:
            return "", []
        parent = chunk.heading.rpartition(HEADING_SEPARATOR)[0]
        for section in (chunk.heading, parent) if parent else (chunk.heading,):
            below = section + HEADING_SEPARATOR
            parts = list(dict.fromkeys(path[len(below):].split(HEADING_SEPARATOR)[0]
                                       for path in self._sections.get(chunk.source, []) if path.startswith(below)))
            if parts:
                return section, parts
        return "", []

    @property
    def size(self) -> int:
        return len(self._ids)

    def document_frequency(self, token: str) -> int:
        return self._document_frequency.get(token, 0)

    def knows(self, word: str) -> bool:
        """Whether some article writes this very word."""
        return word.lower() in self._by_prefix.get(word[:2].lower(), {})

    def starts_a_word(self, word: str) -> bool:
        """Whether some article writes a longer word that this one starts ("Jan": January)."""
        lower = word.lower()
        return any(w.startswith(lower) and w != lower for w in self._by_prefix.get(lower[:2], {}))

    def misspelt(self, word: str) -> str | None:
        """The library word that `word` misspells, if any: the same first letter and one edit away (a letter
        added, dropped, changed or two swapped), two in a word of ten letters or more ("salery" -> salary). The
        first letter is the one typed; the second may be the slip ("Lundon", "sngapore"). A word formed from a
        library word ("statistician", three edits from "statistics") is no misspelling."""
        typed = word.lower()
        words = self._starting_with(typed[:1])
        found = self._closest(typed, {w: w for w in words})
        # Else by stems: "ricorder" is two edits from the library's "recorders", one from its stem. A word whose
        # stem is a library word's is another form of it ("specialisations"), no misspelling.
        by_stem: dict[str, list[str]] = {}
        for w, t in words.items():
            by_stem.setdefault(t, []).append(w)
        if found or stem(typed) in by_stem:
            return found
        closest_stem = self._closest(stem(typed), {t: forms[0] for t, forms in by_stem.items()})
        # Of that stem's words the one closest to what was typed stands for it ("prcoessed": processed, not
        # processing), the same in every process (a set's order is not: one replica corrected to "process", another
        # to "processing").
        return min(by_stem[words[closest_stem]], key=lambda w: (OSA.distance(typed, w), w)) if closest_stem else None

    def slipped(self, word: str) -> str | None:
        """The library word `word` writes with two neighbouring letters swapped ("Olso": Oslo), else with a double
        letter typed once ("tols": tools), the commonest where two are: the slips read in a word shorter than five
        letters, where any letter added, dropped or changed makes another ("chip", "chop")."""
        typed = word.lower()
        swaps = {typed[:i] + typed[i + 1] + typed[i] + typed[i + 2:] for i in range(len(typed) - 1)}
        doubled = {typed[:i] + typed[i] + typed[i:] for i in range(len(typed))}
        for slips in (swaps - {typed}, doubled):
            known = [w for w in sorted(slips) if self.knows(w)]
            if known:
                return max(known, key=lambda w: self.document_frequency(stem(w)))
        return None

    def _closest(self, typed: str, forms: dict[str, str]) -> str | None:
        """The library word whose form (the word or its stem) `typed` is fewest edits from, within the slips its
        length allows."""
        found = closest_spelling(typed, list(forms), max(1, len(typed) // _LETTERS_PER_EDIT),
                                 lambda form: self.document_frequency(stem(forms[form])))
        return forms[found] if found else None

    def compound(self, word: str) -> str | None:
        """The two library words `word` writes closed up ("adtech" -> "ad tech", "bigtech" -> "big tech"), the
        commonest such pair, or None; a word and an ending ("understand" + "able") are one word, not two."""
        typed = word.lower()
        splits = [(typed[:i], typed[i:]) for i in range(2, len(typed) - 1)
                  if self.knows(typed[:i]) and self.knows(typed[i:]) and typed[i:] not in _SUFFIXES]
        best = max(splits, key=lambda pair: min(self.document_frequency(stem(w)) for w in pair), default=None)
        return " ".join(best) if best else None

    def completed(self, word: str) -> str | None:
        """The token of the most common library word that `word` abbreviates ("math" -> mathematics, "stats"
        -> statistics: its stem is the prefix; "assoc" -> associate, a clipping no dictionary holds)."""
        # The stem of a plural clips too ("stats": stat-), not one cut from a misspelling ("resue": resu- is no
        # clipping of "result").
        prefixes = {word.lower(), stem(word) if word.lower().endswith("s") else ""} - {""}
        is_word = is_dictionary_word(word)
        words = self._by_prefix.get(word[:2].lower(), {})
        longer = [t for w, t in words.items() if any(abbreviates(p, t, is_word) and not _word_before_word(p, w)
                                                     for p in prefixes)]
        if not longer and len(word) == 3 and not is_word:
            # Three letters start many words ("ret": retail, retention, return): a clipping that short no
            # dictionary holds is read only when the library has one word it can clip ("adj": adjustment).
            longer = list({t for w, t in words.items() if w.startswith(word.lower()) and len(w) > 3})
            return longer[0] if len(longer) == 1 else None
        return max(longer, key=self.document_frequency, default=None)

    def clipped_beside(self, word: str, before: str | None, after: str | None) -> str | None:
        """The library word a short word the library lacks clips ("med device": medical device, "certs": certifications),
        as articles write it beside the reader's neighbouring word, in one clause (`clause_words`), clearly more often
        than any other in the chunks holding that neighbour; None when no article does, or two are as likely. The
        neighbour tells which word it clips, where its letters alone start dozens; a plural clipping stands for a plural
        ("certs"), a singular for a singular."""
        cache, key = self._clippings, (word.lower(), before, after)  # this build's, whatever a sync does meanwhile
        if key not in cache:
            if len(cache) >= _CLIPPINGS_KEPT:
                cache.clear()
            cache[key] = self._clipped_beside(word.lower(), before, after)
        return cache.get(key)

    def _clipped_beside(self, word: str, before: str | None, after: str | None) -> str | None:
        plural = word.endswith("s") and len(word) > _CLIPPING_LETTERS
        short = word.removesuffix("s") if plural else word
        if not any(_clips(short, w) for w in self._by_prefix.get(word[:2], {})):
            return None  # no library word it could clip: no search
        found: Counter[str] = Counter()
        for neighbour, offset in ((after, 1), (before, -1)):
            if not neighbour:
                continue
            forms = {neighbour.lower(), neighbour.lower().removesuffix("s"), f"{neighbour.lower()}s"}  # "device(s)"
            for chunk_id, _ in self.search(neighbour, _NEIGHBOUR_CHUNKS):
                words = self._words.get(chunk_id, [])
                found.update(w for i, w in enumerate(words) if 0 <= i + offset < len(words)
                             and words[i + offset] in forms and _clips(short, w) and w.endswith("s") == plural)
        ranked = sorted(found.items(), key=lambda item: (-item[1], item[0]))  # the same in every process
        if not ranked or len(ranked) > 1 and ranked[0][1] < _CLEAR_LEAD * ranked[1][1]:
            return None  # as likely another word ("prod analyst": product or production)
        return ranked[0][0]

    def numeronym(self, word: str) -> str | None:
        """The most common library word the numeronym `word` writes ("l10n" -> localization, "k8s" -> kubernetes);
        none for a word the library writes, nor for a count under three ("b2b", "h1b", "e2e" are no numeronyms)."""
        typed = NUMERONYM.fullmatch(word.lower())
        between = int(typed.group(2)) if typed else 0
        if not typed or between < 3 or self.knows(word):
            return None
        first, last = typed.group(1), typed.group(3)
        words = [(self.document_frequency(token), w) for w, token in self._starting_with(first).items()
                 if len(w) == between + 2 and w.endswith(last) and w.isalpha()]
        return max(words, default=(0, None))[1]  # the word breaks a tie: the same in every process

    def _starting_with(self, letter: str) -> dict[str, str]:
        """The library's words that start with `letter`, each with its token."""
        return {w: t for prefix, found in self._by_prefix.items() if prefix[:1] == letter for w, t in found.items()}

    def spelled_out(self, contraction: str, strict: bool = False) -> str | None:
        """The library word or stopword that `contraction` writes without its vowels ("mgr" -> manager, "ppl" ->
        people); see `bot.text.spelled_out`."""
        words = list(self._starting_with(contraction[:1].lower()))
        return spelled_out(contraction, words, lambda w: self.document_frequency(stem(w)), strict)

    def idf(self, token: str) -> float:
        """How telling a word is in this library; a word no article uses weighs the most."""
        return math.log(1 + (self.size + 1) / (self.document_frequency(token) + 0.5))


# A word readers say this often (in pyspellchecker's subtitle counts) is typed as itself, not clipped: "soft" (48k)
# skills are no software, "fried" no Friedrich; "cyber", "infra", "auto" (9.5k) are clippings.
_SAID_AS_ITSELF = 10_000
_REST_LETTERS = 4  # "bell", "ware", "rich": shorter endings ("ist", "cy", "or") are suffixes, not words


def _word_before_word(short: str, word: str) -> bool:
    """Whether `word` is the common word `short` and another real one ("soft" + "ware", "door" + "bells"), not a longer
    word `short` clips ("stats": statistics, "cyber": cybersecurity)."""
    rest = word[len(short):]
    return english_frequency(short) >= _SAID_AS_ITSELF and len(rest) >= _REST_LETTERS and english_frequency(rest) > 0


def _clips(short: str, word: str) -> bool:
    """Whether `short` is a clipping of `word` (`abbreviates`: "med" of medical, not "grad" of grades), not a word of
    it: the letters it leaves out are no word of their own ("soft" + "ware")."""
    return abbreviates(short, stem(word), min_letters=_CLIPPING_LETTERS) and not is_dictionary_word(word[len(short):])


def _chunks_by_source(chunks: dict[str, _Chunk]) -> dict[str, list[str]]:
    by_source: dict[str, list[str]] = {}
    for chunk_id, chunk in sorted(chunks.items(), key=lambda item: (item[1].source, item[1].position)):
        by_source.setdefault(chunk.source, []).append(chunk_id)
    return by_source


def _sections_by_source(chunks: dict[str, _Chunk], by_source: dict[str, list[str]]) -> dict[str, list[str]]:
    """Each article's heading paths, in its order, once each."""
    return {source: list(dict.fromkeys(chunks[chunk_id].heading for chunk_id in ids if chunks[chunk_id].heading))
            for source, ids in by_source.items()}


def _stacked(vectors: dict[str, np.ndarray], ids: list[str]) -> _Vectors:
    kept = [i for i in ids if i in vectors]
    if not kept:
        return _NO_VECTORS
    return _Vectors(kept, np.stack([vectors[i] for i in kept]), {i: row for row, i in enumerate(kept)})


def _all_ids(collection: Collection) -> list[str]:
    ids: list[str] = []
    total = collection.count()
    for offset in range(0, total, PAGE):
        ids += collection.get(include=[], limit=PAGE, offset=offset)["ids"]
    return ids
