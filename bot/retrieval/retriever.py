"""Question (+ conversation) -> the passages worth answering from, or none when the articles don't cover it."""

from __future__ import annotations

import math
import os
import re
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from functools import lru_cache, partial
from typing import NamedTuple

import numpy as np
from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict, Field, PrivateAttr
from rapidfuzz.distance import OSA

from bot.embeddings import (doubled_consonant, embed_query, english_frequency, is_common_word, is_dictionary_word,
                            normalised, stored_unit_vectors)
from bot.retrieval.index import NUMERONYM, LibraryIndex, indexed_text, tokens
from bot.settings import Settings
from bot.store import Collection, Revision, count_revision, packed_unit_vectors
from bot.text import (ACRONYMS, CITATION, DURATION, HEADING_SEPARATOR, MONEY, NUMBER_AS_WRITTEN, SPELLED_OUT,
                      STATED_FIGURE, TURN_BREAK, Unit, as_typed, asked, capitalised_acronyms, clipped_stopword,
                      concepts, content_words, cosine, countries_in, country_names_in, country_names_of,
                      described_section, described_words, expand_acronyms, in_other_currency, misspelt_stopword,
                      named_section, names_city, other_city_names, other_spellings, passage_units,
                      pay_amount_asked, sections_asked, spelled_in, split_turns, stem, without_parts_asked,
                      without_question_form)

# Words by which a follow-up keeps the earlier subject ("how much do *they* earn?", "*why so* tight?").
_SAME_SUBJECT_WORDS = (r"they|them|their|theirs|it|its|this|that|these|those|he|she|him|his|her|hers|mine|yours|ours|there|the role|"
                       r"the job|the position|the field|the (?:whole |entire )?process|same|why so|the latter|the former|"
                       r"of the (?:two|three|four)")
# Words that only make sense with an earlier turn ("How much do *they* earn?", "and *that* role?"), including
# those that name a new subject ("what about a dentist?").
_REFERRING = re.compile(
    rf"\b({_SAME_SUBJECT_WORDS}|one|ones|also|else|instead|what about|how about)\b|^\W*(and|so|but|ok|okay)\b",
    re.IGNORECASE,
)
_SAME_SUBJECT = re.compile(rf"\b({_SAME_SUBJECT_WORDS})\b", re.IGNORECASE)
# Words by which a follow-up turns to another subject ("what about a dentist?", "and how do dentists find work?");
# not "and if I fail, ...?" (or "but if ..."), which puts a case of the same one.
_NEW_SUBJECT = re.compile(r"\b(?:what about|how about|instead|else)\b|^\W*(?:and|but)\b(?!\s+if\b)", re.IGNORECASE)
# "and at the very top of the ladder?", "and for seniors?": a few words asking no question of their own, only the
# earlier one narrowed; a new subject they name ("and at Microsoft?", "and in Tokyo?") is still judged by the decline
# check's other parts. Not "and in the meantime I want to learn piano": no question at all.
_NARROWING = re.compile(r"^\W*(?:and|or|but)\s+(?:at|in|for|on|after|before|as|with|from|the)\b(?![^?]*\b(?:what|how|"
                        r"who|which|where|when|why|do|does|did|is|are|can|could|would|should|will)\b)"
                        r"(?:\s+[\w'-]+){0,6}\W*\?\W*$", re.IGNORECASE)
# "to" before a verb, unless it joins the two ends of a span ("start to finish", "day to day", "end to end").
_INFINITIVE_TO = (r"(?<!\bstart )(?<!\bday )(?<!\bend )(?<!\bweek )(?<!\bmonth )(?<!\byear )(?<!\bside )"
                  r"\bto\s+[a-z]{2,}")
# The same words where they refer to nothing earlier: "is *there* a ...", "how common is *it* to get hired ...", but
# not "how long does *it* take to fix?", whose verb's object is the earlier subject; "is a law
# degree worth *it*?", "*one* skill", "*one* of the big firms". Taking a new question for a follow-up searches it with an unrelated turn
# (bench.topic_switch). Patterns, not a parser: no tagger model is available offline.
_NOT_REFERRING = re.compile(
    rf"\b(?:is|are|was|were)\s+there\b|\bthere(?:'s|\s+(?:is|are|was|were))\b|"
    rf"\bit\b(?=[^?.!]*?{_INFINITIVE_TO}\s+[a-z])|"
    r"(?<=\bworth )it\b|"
    r"\bone\b(?=\s+(?!(?:is|are|was|were|do|does|did|has|have|had|should|would|could|can|will|pays?)\b)[a-z])",
    re.IGNORECASE,
)
# "that" after a noun or verb starts a clause ("a tweak *that* helps", "says *that* ..."); after one of these, or
# first, it points back ("does *that* pay?", "what about *that*?").
_POINTING_THAT_AFTER = frozenset("is are was were do does did will would can could should has have had about like than "
                                 "for with in on of to from after before besides beyond and or but at by into".split())
_THAT = re.compile(r"(\b[a-z']+\s+)?\bthat\b(?=\s+[a-z])", re.IGNORECASE)
# A question with this few words of its own leans on the conversation: counted as its longer words ("how big is
# the pay *difference*?") or its words other than stopwords ("what do you actually get *handed*?").
_FEW_WORDS = 2
_CONTENT_WORD = re.compile(r"[a-z][a-z+#.-]{3,}", re.IGNORECASE)
_LONG_WORD = re.compile(r"\b[a-z]{5,}\b", re.IGNORECASE)  # in a shorter word one edit makes another ("chip", "chop")
# A word typed in lower case without vowels ("ppl", "mgr"): a casual contraction, unless already spelled out
# ("yrs (years)"). In capitals it is an acronym ("PMP"), never a contraction.
_CONTRACTION = re.compile(r"\b[b-df-hj-np-tv-z]{3,5}\b(?! \()")
# Five letters whose only vowel is the first ("intvw": interview; "asst" may be assistant or associate).
_VOWEL_FIRST_CONTRACTION = re.compile(r"\b[aeiou][b-df-hj-np-tv-z]{4}\b(?! \()")
# A word a clipping may be: "med", "certs", "admin"; a longer one the library mostly writes itself. Among the words
# as typed, digits included ("bf16").
_CLIPPING = re.compile(r"[a-z]{3,5}", re.IGNORECASE)
_TYPED_TOKEN = re.compile(r"[\w']+")
_SHORT_WORD = re.compile(r"\b[a-z]{2,4}\b", re.IGNORECASE)
# A capital inside a word ("SpaceX", "LinkedIn", "iPhone") is typed on purpose: a name, never a typo of an everyday
# word ("space"); it may be one of another name ("PaySclae": PayScale).
_CAMEL_CASE = re.compile(r"[a-z][A-Z]")
_CAMEL_CASE_WORD = re.compile(r"\b\w*[a-z][A-Z]\w*\b")
# They say what kind of answer is asked for ("what skills...": a list), so "wat" is read as "what".
_QUESTION_WORDS = frozenset("what when where which who why how".split())


# An occupation no article names ("paramedic", "electrician") makes a question about a job the library lacks,
# however close the pay or training passages it finds. The model knows an occupation by how close the word comes
# to these descriptions, closer than to work and pay in general ("earn", "hiring", which a small library may never
# write either), to things in general ("learners", whom a question counts, and no job it asks about) and to a
# qualification ("doctorate", which the model puts near a profession too). Each word is embedded once, then cached.
_OCCUPATION = ("an occupation", "a profession")
_NOT_OCCUPATIONS = ("a job", "work", "employment", "money", "a thing", "an idea", "a skill", "a degree",
                    "a qualification")
# So does a place no article names ("Tokyo", "Texas"): the pay and jobs passages it finds are about other places.
# A word is a place by how much closer the model puts it to these than to things in general; words the library
# does use ("world", "London") are never checked.
_PLACE = ("a city", "a country", "a place")
_THINGS_IN_GENERAL = ("a job", "work", "a thing", "an idea", "a skill")
# Only where the question puts something there ("salary in Tokyo", "jobs at Waterloo"): "international students"
# or "downtown offices" name no place the answer must be about.
_LOCATED = re.compile(r"\b(?:in|at|to|near|around|across|outside|within)\s+(?:the\s+)?$", re.IGNORECASE)
# Unless it is where the reader comes from: "I'm a nurse, ...", "as a teacher, ...", "switching from nursing", "a
# good fit for nurses", or the job someone leaves for another ("can a chef get into tech?", "for a pharmacist to
# switch into data science"): the library may well cover the move.
_BACKGROUND = re.compile(r"(?:\b(?:i'?m|i am|i was|former|ex|from|(?:live|living|based) in|"
                         r"(?:fit|suited|suitable|right) for)\s+(?:an?\s+)?|"
                         r"(?:^|[,.;:!?]\s*)as an?\s+)(?:[\w'-]+\s+){0,2}$", re.IGNORECASE)
_MOVING_ON = re.compile(r"^[^.?!]*?\b(?:become|becoming|switch\w*|transition\w*|pivot\w*|mov(?:e|es|ing) (?:in)?to|"
                        r"(?:get|gets|getting|break|breaks|breaking|go|goes|going) into)\b", re.IGNORECASE)
# "no med bg", "with a physics background": the reader's own background, named by the word before it.
_BACKGROUND_NAMED = re.compile(r"\s+(?:bg|background)\b(?!\s+checks?)", re.IGNORECASE)
# A job title's head noun, right after the word that says which kind ("UX researcher", "toll booth operator"); not a
# word further off, which is as often an adjective ("a decent data scientist").
_JOB_TITLE_HEAD = re.compile(r"\s+(?:researchers?|engineers?|analysts?|scientists?|designers?|developers?|"
                             r"operators?|technicians?|technologists?|specialists?|consultants?|officers?|programmers?|"
                             r"architects?|administrators?|planners?|modell?ers?|strategists?|coordinators?|managers?)\b",
                             re.IGNORECASE)
# Words by which readers say what kind of post, not what job: "a newbie analyst", "fulltime engineers".
_SAME_JOB_WORDS = frozenset("newbie noob n00b rookie fresher wannabe aspiring fulltime parttime freelance contract "
                            "junior jr senior sr mid midlevel principal lead staff remote hybrid onsite inhouse solo "
                            "underpaid overpaid".split())
# Nor do these, said of people in general: "what do *beginners* earn?".
_NOT_JOBS = _SAME_JOB_WORDS | frozenset("men women beginner beginners learner learners newcomer newcomers".split())
_PARTICIPLE_ENDINGS = ("ing", "ed", "paid")
# Where a question names the job it asks about: "how do I become a *zookeeper*?", "how much do *croupiers* make?", "what
# does a *numismatist* do all day?", "a typical day for a flight *attendant*". The job is the word of the name that
# says who does it: a job title ("data *scientist* nowadays"), or else its last agent noun (-er, -or, -ist, -ant ...;
# not "automation", "ASAP"). When no article uses it, the library lacks the job, whatever the model makes of the word.
# English phrasing, not a parser: no tagger model is available offline.
_AFTER_A_NAME = r"(?:and|or|at|in|for|with|without|from|if|when|on|after|before|who|once|of|to|the|an?|via)\b"
_NAME_WORD = rf"(?!{_AFTER_A_NAME})[a-z][\w'-]*"
_JOB_NAME = rf"((?:{_NAME_WORD}\s+){{0,3}}{_NAME_WORD})"
_NAME_ENDS = rf"(?=\s*(?:[?,.!;:]|$)|\s+(?:{_AFTER_A_NAME}|[a-z]+ing\b))"  # "... illustrator *designing* cards"
_JOB_ASKED = (
    re.compile(rf"\b(?:becom(?:e|es|ing)|(?:work|working|jobs?|careers?|life|hired|train|training|qualify|"
               rf"qualifying) as)\s+(?:an?|the)\s+{_JOB_NAME}{_NAME_ENDS}", re.IGNORECASE),
    re.compile(rf"\b(?:what|how much)\s+(?:do|does|did|would|can|could|will)\s+(?:(?:an?|the|most|typical)\s+)?"
               rf"{_JOB_NAME}\s+(?:earn|make|get paid|charge|take home|(?:actually\s+)?do(?=\s*(?:[?,.!]|$)|\s+(?:all "
               rf"day|day to day|each day|every day|at work|for a living)\b))\b", re.IGNORECASE),
    re.compile(rf"\b(?:day|days|life|week|routine|salary|pay|earnings|wages?)\s+(?:is\s+)?(?:like\s+)?(?:for|of)\s+"
               rf"(?:an?|the)\s+{_JOB_NAME}{_NAME_ENDS}", re.IGNORECASE),
)
_COMPARED_LETTERS = 5  # "fast", "smart": a comparative's adjective is short; a job's verb may not be ("interpret")
_AGENT_NOUN = re.compile(r"[a-z]{2,}(?:er|or|ist|yst|ian|ant|ent|eer|ier|ee|man|men|woman|women)s?", re.IGNORECASE)
_KIND_OF_JOB_LETTERS = 5  # "UX", "SOC", "COBOL"; a longer word no dictionary holds is as often a typo
# Right before a word that is then a verb: a modal, "to", a pronoun or a plural subject ("do banks *poach* engineers?",
# "how to *upskill* analysts"); not "do" ("what do *UX* researchers earn?").
_BEFORE_A_VERB = re.compile(r"\b(?:to|can|could|should|would|will|might|must|they|we|you|i|"
                            r"(?!(?:does|was|has|this|his|its|plus|across|unless)\b)\w{2,}[^s\W]s)\s+$", re.IGNORECASE)
_AFTER_A_NUMBER = re.compile(r"\d\s*$")
_TYPED_WORD = re.compile(r"[a-z][a-z']+", re.IGNORECASE)
# Title Case capitalises a text's longer words ("a", "in", "the" may stay lower case); three or more of them say so.
_TITLE_WORD_LETTERS, _TITLE_WORDS = 4, 3
# A name a question asks something of: its verb's subject ("how much does *Netflix* pay?") or an owner ("*Google's*
# interview loop"); not a name asked about as a tool ("is *Tableau* worth learning?") or an example ("a lab like
# *OpenAI*"), which the passages may answer for without naming.
_NAME_ASKED_OF = re.compile(r"\b(?:do|does|did|will|would|can|could)\s+([A-Z][\w-]*(?:\s+[A-Z][\w-]*)*)\s+[a-z]|"
                            r"\b([A-Z][\w-]*)['’]s\b")
# "Spotify", "Seattle", "DraftKings": typed as a name; "US" is typed as an abbreviation
_NAME = re.compile(r"[A-Z][a-z']+(?:[A-Z][a-z']+)*|[A-Z][a-z']{2,}(?:[A-Z][a-z']*)+")  # "SpaceX"; not "HoP" (head of pricing)


def _held(concept: tuple[str, ...], found: set[str]) -> bool:
    """Whether a concept is found: by its acronym, or by every word of its phrase."""
    acronym, *phrase = concept
    return acronym in found or all(t in found for t in phrase or [acronym])


def _share_held(weights: dict[tuple[str, ...], float], found: set[str]) -> float:
    """The share of the concepts' weight found."""
    total = sum(weights.values())
    held = sum(weight for concept, weight in weights.items() if _held(concept, found))
    return held / total if total else 0.0


def _missing(weights: dict[tuple[str, ...], float], found: set[str]) -> int:
    """How many of the concepts are not found."""
    return sum(not _held(concept, found) for concept in weights)


def _tokens_in(passages: Sequence[Document]) -> set[str]:
    """The tokens the passages hold, their titles and headings included."""
    return _tokens_of(" ".join(indexed_text(p.page_content, p.metadata) for p in passages))


def _units_in_context(passages: Sequence[Document]) -> Iterator[tuple[Unit, set[str]]]:
    """The passages' units (sentences, list items, table rows), each with the tokens it holds together with its list
    intro and its passage's heading and title."""
    for passage in passages:
        context = _tokens_of(indexed_text("", passage.metadata))
        for unit in passage_units(passage.page_content):
            yield unit, context | _tokens_of(f"{unit.intro or ''} {unit.text}")


def _places_named(places: list[tuple[str, ...]], unit: set[str], passage: set[str], in_currency: bool,
                  countries: set[str]) -> set[tuple[str, ...]]:
    """The places asked about (as concept forms) that a unit with an amount states pay for: those it names, a
    country only when the amount is in its currency ("Unlike Germany, US engineers earn $140,000" is no German pay; a
    city's may be in any); or, in its currency, a country its passage names (`countries`: the tokens of the countries
    asked)."""
    return {forms for forms in places if (in_currency or forms[0] not in countries) and _held(forms, unit)
            or in_currency and _held(forms, passage)}


def _sections(headings: Iterable[str], title: str | None) -> set[str]:
    """The headings an article's sections go by: its title heads the whole article, no section of it."""
    return set(headings) - {title or "", ""}


def _tokens_of(text: str) -> set[str]:
    """A text's tokens, with those of the other names of the countries it names ("US": American, United States)."""
    return set(tokens(f"{text} {country_names_in(text)}"))


def _exam_name(question: str) -> str:
    """The words naming the exam, certification or visa the question asks about ("the *SnowPro Core* exam"), or "": the
    content words just before "exam", and capitalised ones (a name's "Machine *Learning*"); a count names none
    ("four exams down")."""
    found = _EXAM.search(question)
    if not found:
        return ""
    words = question[:found.start()].split()
    named: list[str] = []
    while words and not _COUNT.fullmatch(words[-1]) and (content_words(words[-1]) or words[-1][:1].isupper()):
        named.insert(0, words.pop())
    return " ".join(named)


def _title_cased(text: str) -> bool:
    """Whether the text is typed in Title Case ("What Does a Data Analyst Earn?"): every longer word but one with a
    capital, which then says nothing of a word being a name."""
    capitals = [m.group(0)[0].isupper() for m in _TYPED_WORD.finditer(text) if len(m.group(0)) >= _TITLE_WORD_LETTERS]
    return len(capitals) >= _TITLE_WORDS and sum(capitals) >= len(capitals) - 1


def _cased_like(typed: str, word: str) -> str:
    """The word that replaces what the reader typed, capitalised as they capitalised it ("Wat" -> "What")."""
    return word.capitalize() if typed[0].isupper() else word


def _starts_sentence(text: str, at: int) -> bool:
    """Whether the word at `at` opens a sentence (its capital says nothing of it being a name)."""
    before = text[:at].rstrip()
    return not before or before[-1] in ".?!"


def _source(passage: Document) -> str:
    return str(passage.metadata.get("source"))


def _more_of_article(ranked: list[Document], following: list[Document], extra: int) -> list[Document]:
    """Up to `extra` of the `following` passages of the first ranked one's article. The passage that answers, when
    ranked just below the ones shown, is most often of the article they lead with (a list going on in the next chunk,
    the section on the part asked); another article's ranked there says less of the subject than those shown."""
    article, shown = _source(ranked[0]), {p.id for p in ranked}
    return [p for p in following if _source(p) == article and p.id not in shown][:extra]


def _closest(passages: Sequence[Document]) -> Document:
    return max(passages, key=lambda p: p.metadata["score"])


@lru_cache(maxsize=4)
def _kind_vectors(descriptions: tuple[str, ...]) -> list[list[float]]:
    """The vectors of a kind's descriptions (_OCCUPATION, _PLACE...), embedded once per process."""
    return [embed_query(description) for description in descriptions]


def _closeness(vector: list[float], descriptions: tuple[str, ...]) -> float:
    return max(cosine(vector, kind) for kind in _kind_vectors(descriptions))


class _Unknown(NamedTuple):
    """A question word no article uses: whether the question puts something at it ("in Tokyo"), and whether it
    is typed as a name inside a sentence ("at Nvidia", "Nvidia's plan"): an employer, a place, a programme the
    library never names, which no passage can answer for."""

    word: str
    located: bool
    named: bool
    # It names a job the question asks about ("how much do *croupiers* make?", _jobs_asked) or the kind of a job title
    # the library uses ("*UX* researcher").
    names_job: bool = False


def _jobs_asked(question: str) -> set[int]:
    """Where the jobs the question asks about end (_JOB_ASKED): the offset after each job's word, the job title of
    its name ("a decent *analyst* nowadays") or else its last agent noun ("a long-haul flight *attendant*"), passing
    over words of seniority or for people in general ("a *junior* croupier", "*beginners*")."""
    ends: set[int] = set()
    for pattern in _JOB_ASKED:
        for m in pattern.finditer(question):
            words = [w for w in re.finditer(r"\S+", m.group(1)) if w.group(0).lower() not in _NOT_JOBS]
            titled = next((w for w in words if _JOB_TITLE_HEAD.match(f" {w.group(0)}")), None)
            agents = [w for w in words if _AGENT_NOUN.fullmatch(w.group(0)) and not _comparative(w.group(0))]
            job = titled or (agents[-1] if agents else None)
            if job:
                ends.add(m.start(1) + job.end())
    return ends


def _comparative(word: str) -> bool:
    """Whether a word is the comparative of a short everyday adjective ("better", "faster", "bigger", "easier")."""
    lower = word.lower()
    if not lower.endswith("er"):
        return False
    bases = {lower[:-2], lower[:-1], lower[:-3], lower[:-3] + "y"}
    return any(len(base) <= _COMPARED_LETTERS and is_common_word(base) for base in bases if len(base) >= 2)


def _subject_tokens(question: str) -> set[str]:
    """The library tokens of the names the question asks something of (_NAME_ASKED_OF): "how much does *Netflix*
    pay ...?", "how does *Spotify* interview?", "*Google's* interview loop"."""
    return {token for m in _NAME_ASKED_OF.finditer(question)
            if m.group(1) or not _starts_sentence(question, m.start(2))  # an owner's capital may only open a sentence
            for word in (m.group(1) or m.group(2)).split() if _NAME.fullmatch(word)
            for token in tokens(word)}  # as the passages' tokens are made


def _common_plural(typed: str) -> bool:
    """A plural of an everyday noun typed in lower case ("at cinemas", "in hospitals"): somewhere of a kind, not a
    place's name, unless a country or city goes by it ("philippines", "athens"); "the Midlands" is typed as one."""
    return (typed.islower() and typed.endswith("s") and is_dictionary_word(typed[:-1])
            and not countries_in(typed.capitalize()) and not names_city(typed))


def _most_occupation_like(words: list[_Unknown]) -> tuple[str, float]:
    """Of these words (each with whether the question puts something at it), the one closest to an occupation
    and that closeness, counting only words closer to one than to work, pay or things in general, and than to a
    place ("British" is the place check's to judge)."""
    found = ("", 0.0)
    for word, *_ in words:
        vector = embed_query(word)
        occupation = _closeness(vector, _OCCUPATION)
        general = max(_closeness(vector, _NOT_OCCUPATIONS), _closeness(vector, _PLACE))
        if general < occupation > found[1]:
            found = (word, occupation)
    return found


def _most_place_like(words: list[_Unknown], located: bool) -> tuple[str, float]:
    """Of these words (only those the question puts something at, when `located`), the one whose closeness to a
    city or country most exceeds its closeness to things in general, and by how much."""
    found = ("", 0.0)
    for word, at, *_ in words:
        if at or not located:
            vector = embed_query(word)
            margin = _closeness(vector, _PLACE) - _closeness(vector, _THINGS_IN_GENERAL)
            if margin > found[1]:
                found = (word, margin)
    return found


_PAY_WORDS = frozenset(stem(word) for word in "make makes earn earns earning paid pay salary salaries wage wages income "
                       "earnings charge get base median typical average avg".split())
# "Is the SnowPro Core exam worth it?", "passing score for the certified kubernetes administrator exam?", "can I get a
# Global Talent visa?": a question about the exam (or visa) the words before "exam" name, or a figure of it. Only a
# sentence naming that exam answers it.
_COUNT = re.compile(NUMBER_AS_WRITTEN, re.IGNORECASE)
# Not where the word only says what kind of organisation, time or place follows ("the stages *exam boards* go
# through", "exam season").
_EXAM = re.compile(r"\b(?:exams?|certifications?|certificates?|certs?|diplomas?|visas?)\b"
                   r"(?!\s+(?:boards?|bod(?:y|ies)|seasons?|halls?|cent(?:re|er)s?|periods?|rooms?)\b)", re.IGNORECASE)
_FIGURE_ASKED = re.compile(r"\bhow (?:much|many|long|fast)\b|"
                           r"\b(?:costs?|fees?|price|pass(?:ing)? (?:mark|score|rate|grade)|score|speed)\b",
                           re.IGNORECASE)
# What a unit stating the figure asked holds, by the words asking it: a fee is an amount of money, a length a
# duration, a pass mark a number said of passing or scoring ("Questions: 40-60" is none); any other, a number.
_PASS_FIGURE = re.compile(r"\b(?:pass\w*|scor\w*)\b[^.;]*?\d|\d[^.;]*?\b(?:pass\w*|scor\w*)\b", re.IGNORECASE)
_EXAM_FIGURES = ((re.compile(r"\b(?:costs?|fees?|price|how much)\b", re.IGNORECASE), MONEY),
                 (re.compile(r"\bhow long\b", re.IGNORECASE), DURATION),
                 (re.compile(r"\bpass(?:ing)? (?:mark|score|rate|grade)|\bscores?\b", re.IGNORECASE), _PASS_FIGURE))


# Whether a question (second) names a section of the article the conversation (first) is on ("the scaling
# round"); ArticleRetriever.names_section_of, which reads the library.
SectionCheck = Callable[[Sequence[dict], str], bool]


def last_question(history: Sequence[dict]) -> str | None:
    """The reader's last question in the conversation, if any."""
    return next((turn["content"] for turn in reversed(history) if turn.get("role") == "user" and turn.get("content")),
                None)


def _previous_question(question: str, history: Sequence[dict], names_section_of: SectionCheck | None = None
                       ) -> str | None:
    """The earlier question a follow-up leans on, if this question is one."""
    previous = last_question(history)
    is_follow_up = previous is not None and (
        bool(_REFERRING.search(_without_words_referring_to_nothing(question)))
        or _own_words(without_question_form(question)) <= _FEW_WORDS
        or (names_section_of is not None and names_section_of(history, question))
    )
    return previous if is_follow_up else None


def _own_words(question: str) -> int:
    """How many words of its own a question has: its longer words, or its words other than stopwords."""
    return min(len(_CONTENT_WORD.findall(question)), len(content_words(question)))


def _without_words_referring_to_nothing(question: str) -> str:
    def clause_that(match: re.Match) -> str:
        before = (match.group(1) or "").strip().lower()
        return f"{match.group(1)} " if before and before not in _POINTING_THAT_AFTER else match.group(0)

    return _THAT.sub(clause_that, _NOT_REFERRING.sub(" ", question))


def standalone_query(question: str, history: Sequence[dict] = (), names_section_of: SectionCheck | None = None) -> str:
    """The text to search for. A follow-up that leans on the conversation is searched together with the
    previous question, which names what "they" or "it" refers to (or the article whose section it names, with
    `names_section_of`). Without an LLM this is the robust choice: prepending only adds the earlier topic; the
    current question's words still drive the answer."""
    previous = _previous_question(question, history, names_section_of)
    return joined_query(previous, question) if previous else expand_acronyms(as_typed(question))


def joined_query(previous: str, question: str) -> str:
    """A follow-up searched with the question it follows, acronyms spelled out as in any query."""
    return expand_acronyms(f"{as_typed(previous)}{TURN_BREAK}{as_typed(question)}")


def what_is_asked(question: str) -> str:
    """The judged question with the sentences the reader only tells left out ("I've spent two years doing SQL for a
    logistics firm in Hamburg. What's a junior analyst in Berlin paid?" asks nothing of Hamburg), unless what it asks
    points back at them ("My sister is a nurse in Texas. What would she earn?")."""
    earlier, now = split_turns(question)
    asking = asked(now)
    asking = now if _points_back(asking) else asking
    return f"{earlier}{TURN_BREAK}{asking}" if earlier else asking


def _words_asked(question: str) -> str:
    """The sentences whose words the passages must hold: those that ask, or the whole latest message when what it
    asks points back at what the reader told ("... a mistake she made at the start. What was it?")."""
    earlier, now = split_turns(question)
    if not _points_back(asked(now)):
        return asked(question)
    return f"{asked(earlier)}{TURN_BREAK}{now}" if earlier else now


def _points_back(asking: str) -> bool:
    return bool(_SAME_SUBJECT.search(_without_words_referring_to_nothing(asking)))


def judged_question(question: str, history: Sequence[dict] = (), knows_every_word: Callable[[str], bool] | None = None
                    ) -> str:
    """What the decline check judges: a follow-up that refers back ("how long do *they* take?") together with
    the question it refers to, which names its subject; one that names a new subject ("what about a
    dentist?") by its own words, so a subject the library lacks is still declined. With `knows_every_word`
    (the library's), a follow-up that turns to nothing new ("how much worse?": no "what about", every word one
    the library uses) is judged with the question it follows too, as is one that only narrows it ("and at the very
    top of the ladder?")."""
    question, previous = as_typed(question), _previous_question(question, history)
    keeps_subject = _SAME_SUBJECT.search(_NOT_REFERRING.sub(" ", question)) or _NARROWING.search(question) or (
        knows_every_word is not None and not _NEW_SUBJECT.search(question) and knows_every_word(question))
    return f"{as_typed(previous)}{TURN_BREAK}{question}" if previous and keeps_subject else question


_DEFAULTS = Settings.model_fields
_SEVERAL_PARTS = 3  # a section with fewer parts is no list written as headings
# Another form of a word ("statistician", "statistical") shares all its letters but its ending, and at least a stem's.
_RELATIVE_ENDING = 3
_RELATIVE_STEM = 5
# A real word English uses this many times less than a library word an edit or two away misspells it ("manger" 585,
# "manager" 36,577 in pyspellchecker's counts); words as common either way are both meant ("perks" 2,543, "peaks" 2,367).
_TYPO_FREQUENCY_RATIO = 10
# The decline check reads as many passages as the app hands its composer, however few a caller asks for
# (`invoke(query, k=1)`): whether the library covers a question doesn't depend on how many passages are shown.
_JUDGED_AT_LEAST = _DEFAULTS["top_k"].default
_RANKINGS_KEPT = 256
_READ_AT_LEAST = 8  # records per read of a ranking's passages: a few spare for identical passages


class ArticleRetriever(BaseRetriever):
    """Hybrid search over the Chroma collection's chunks, as `index` keeps them in memory: dense (MiniLM vectors,
    exact nearest neighbours) and lexical (BM25) candidates fused by reciprocal rank, then a check that the
    passages cover the question.

    Dense search finds paraphrases ("paid" for "salary"); BM25 finds the rare exact term a short passage
    shares with the question (a tool name, "L5", a table row), which dense search ranks low inside a chunk
    about something else. Reciprocal rank fusion needs no score calibration between the two.

    Declining: a question whose distinctive words the passages don't contain is not covered, however
    close its embedding ("nurse salary in Texas" sits near every salary passage). Each word of the
    question is weighted by its rarity in the library (a word no article uses weighs most, "salary" in a
    careers library little); the passages must hold `min_coverage` of that weight, and the best passage
    must clear `threshold` cosine similarity. Misspellings of library words count as those words. A question about
    an occupation or a place no article names ("what does a paramedic earn?", "... in Tokyo?") is not covered
    either (`unknown_occupation`, `unknown_place`).

    Each Document carries `metadata["score"]` (cosine similarity to the query); identical passages stored
    under two articles are returned once. `collection` is a Chroma collection, or a function returning the
    current one (the app's: see bot.store.live_collection); `revision` tells when it may have changed.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    collection: Collection | Callable[[], Collection]
    # The collection of the chunks' unit vectors (bot.store.get_unit_collection), for the passages `search`
    # returns; without it the composer embeds the units it weighs itself.
    units: Collection | Callable[[], Collection] | None = None
    revision: Callable[[Collection], Revision] = lambda collection: count_revision(
        collection, _DEFAULTS["lexical_refresh_s"].default)
    index: LibraryIndex = Field(default_factory=LibraryIndex)
    # Defaults live in Settings (one home); from_settings() is how the app builds it.
    k: int = _DEFAULTS["top_k"].default
    candidates: int = _DEFAULTS["candidates"].default
    threshold: float = _DEFAULTS["threshold"].default
    min_coverage: float = _DEFAULTS["min_coverage"].default
    similarity_weight: float = _DEFAULTS["similarity_weight"].default
    min_evidence: float = _DEFAULTS["min_evidence"].default
    reworded_evidence: float = _DEFAULTS["reworded_evidence"].default
    reworded_words: int = _DEFAULTS["reworded_words"].default
    occupation_similarity: float = _DEFAULTS["occupation_similarity"].default
    place_margin: float = _DEFAULTS["place_margin"].default
    amount_share: float = _DEFAULTS["amount_share"].default
    amount_similarity: float = _DEFAULTS["amount_similarity"].default
    fusion_k: int = 60  # reciprocal rank fusion's usual constant
    # Rankings of recent queries per store revision: one question is ranked for its answer, and again for
    # its decline message and its suggestions.
    _ranked: dict[tuple[str, Revision, int], _Ranking] = PrivateAttr(default_factory=dict)

    @classmethod
    def from_settings(cls, settings: Settings, **overrides: object) -> ArticleRetriever:
        return cls(**({
            "k": settings.top_k, "candidates": settings.candidates, "threshold": settings.threshold,
            "min_coverage": settings.min_coverage, "similarity_weight": settings.similarity_weight,
            "min_evidence": settings.min_evidence, "reworded_evidence": settings.reworded_evidence,
            "reworded_words": settings.reworded_words, "occupation_similarity": settings.occupation_similarity,
            "place_margin": settings.place_margin, "amount_share": settings.amount_share,
            "amount_similarity": settings.amount_similarity,
        } | overrides))

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun, k: int | None = None
    ) -> list[Document]:
        return self.search(query, k=k)

    def search(self, query: str, focus: str | None = None, k: int | None = None, extra: int = 0) -> list[Document]:
        """Up to `k` passages for `query`, then up to `extra` more of the first one's article from the next
        2 x `extra` ranks (`_more_of_article`); none when the passages ranked first don't cover `focus` (the
        question asked in this turn; the query may also carry the previous turn). The extras are not judged."""
        wanted = k or self.k
        judged = max(wanted, _JUDGED_AT_LEAST)
        ranking = self.rank(query, max(judged, wanted + 2 * extra))
        ranked = ranking[:wanted]
        if not ranked or not self.covers(focus or query, ranking[:judged]):
            return []
        more = _more_of_article(ranked, ranking[wanted:wanted + 2 * extra], extra)
        return self._with_unit_vectors(self._with_subheadings(ranked + more))

    def search_continuing(self, question: str, query: str, joined: str, extra: int = 0) -> list[Document]:
        """Passages for a question declined alone that may go on with the conversation without a word pointing
        back ("can I make the switch at my current employer?" after "how do I go from GIS analyst to geospatial
        data scientist?"): those of `joined` (the question searched with the one before it), when the library
        uses every word of the question and the joined search comes closest to a passage of the article the
        question's own search (`query`) came closest to, too weakly to answer alone (often another section of
        it: "how long is the take-home supposed to take?" after the interview process), or whose passages of the
        article it comes closest to hold every word of the question ("what capability level do most programmes
        demand?" after "what is Automotive SPICE?": its own search comes closest to another article's "levels").
        Otherwise none: a question the earlier subject doesn't answer comes closest to an article elsewhere."""
        own = self.rank(query, self.k)
        if not own or self.coverage(question, own) < self.min_coverage or not self.knows_every_word(question):
            return []
        passages = self.search(joined, joined, extra=extra)
        shown = passages[:self.k]  # judged without the extras, as `search` judges
        if not shown:
            return []
        article = _source(_closest(shown))
        holds_every_word = self.coverage(question, [p for p in shown if _source(p) == article]) == 1.0
        return passages if article == _source(_closest(own)) or holds_every_word else []

    def covers(self, question: str, passages: Sequence[Document]) -> bool:
        """Whether the passages answer the question: close in meaning, holding its rare words, and not
        weak on both (see the class doc; the bounds come from bench/calibrate.py), unless what they lack is many
        everyday words (a reader's own wording: reworded_evidence); and naming the place or
        employer it asks about ("... at Spotify?", "how does Spotify interview ...?"): an article that names Spotify
        elsewhere, in passing, says nothing of its interviews."""
        similarity = max(p.metadata["score"] for p in passages)
        found = _tokens_in(passages)
        weights = self._concept_weights(question)
        coverage = _share_held(weights, found)
        evidence = self.similarity_weight * similarity + coverage
        close_enough = similarity >= self.threshold and coverage >= self.min_coverage and (
            evidence >= self.min_evidence or (evidence >= self.reworded_evidence
                                              and _missing(weights, found) >= self.reworded_words))
        # Asked of, not told: "We're moving to Sydney. What salary is normal?" asks no Sydney figure.
        asked_now = asked(split_turns(question)[-1])
        named = {t for t in self._located_tokens(asked_now, names_only=True) | _subject_tokens(asked_now)
                 if self.index.document_frequency(t)}  # an unknown one is unknown_place's to judge
        asking = what_is_asked(question)
        return (close_enough and named <= found
                and not self.unknown_subject(asking) and self.states_amount(question, passages)
                and self.names_exam(asking, passages))

    def knows_every_word(self, question: str) -> bool:
        """Whether some article uses each of the question's content words (or the word it misspells); an acronym
        counts as known when the phrase it stands for is ("PMs": product managers)."""
        self._synced()

        def known(word: str) -> bool:
            token = self._library_token(word)
            return token is None or bool(self.index.document_frequency(token))

        return all(known(acronym) or (phrase and all(map(known, phrase)))
                   for acronym, *phrase in concepts(asked(question)))

    def unknown_subject(self, question: str) -> str | None:
        """An occupation, a place or a name the question asks about that no article names ("what does a paramedic
        earn?", "... in Tokyo?", "... at Nvidia?"); the question's unknown words are found once for all three."""
        words = self._unknown_subjects(question)
        return (self._unknown_occupation(words) or self._unknown_place(words)
                or next((word.word for word in words if word.named or word.names_job), None))

    def unknown_occupation(self, question: str) -> str | None:
        """An occupation the question asks about that no article names ("what does a paramedic earn?")."""
        return self._unknown_occupation(self._unknown_subjects(question))

    def unknown_place(self, question: str) -> str | None:
        """A place the question asks about that no article names ("what do data scientists earn in Tokyo?")."""
        return self._unknown_place(self._unknown_subjects(question))

    def occupation_likeness(self, question: str) -> tuple[str, float]:
        """The question's most occupation-like word that no article uses, and how close the model puts it to
        an occupation; ("", 0.0) when no such word is closer to one than to work and pay in general."""
        return _most_occupation_like(self._unknown_subjects(question))

    def place_likeness(self, question: str, located: bool = True) -> tuple[str, float]:
        """The question's most place-like word that no article uses (where the question puts something, unless
        not `located`), and how much closer the model puts it to a city or country than to things in general;
        ("", 0.0) when none is closer."""
        return _most_place_like(self._unknown_subjects(question), located)

    def _unknown_occupation(self, words: list[_Unknown]) -> str | None:
        word, likeness = _most_occupation_like(words)
        return word if likeness >= self.occupation_similarity else None

    def _unknown_place(self, words: list[_Unknown]) -> str | None:
        word, margin = _most_place_like(words, located=True)
        return word if margin >= self.place_margin else None

    def _unknown_subjects(self, question: str) -> list[_Unknown]:
        """The question's words that no article uses (nor a word they misspell), lower-cased, once each, with
        whether the question puts something at it ("in Tokyo") and whether it types it as a name; except the
        reader's own background ("I'm a nurse", "I live in Ohio", "no med bg") and a job they would leave ("can a chef
        get into tech?"): the library may well cover the move; nor an acronym spelled out beside it. Somewhere of a kind
        ("at cinemas") is put nowhere. Each is embedded once, then cached."""
        self._synced()
        question = expand_acronyms(question)
        unknown = [m for m in _TYPED_WORD.finditer(question) if content_words(m.group(0))
                   and not question.startswith(" (", m.end())  # "NYC (New York City)": judged by its phrase
                   and (token := self._library_token(m.group(0))) and not self.index.document_frequency(token)
                   and not self._names_known_country(m.group(0)) and not _BACKGROUND.search(question[:m.start()])
                   and not _MOVING_ON.search(question[m.end():]) and not _BACKGROUND_NAMED.match(question, m.end())]
        spelled = [range(*m.span(2)) for m in SPELLED_OUT.finditer(question)]  # "UK (United Kingdom)"
        jobs = _jobs_asked(question)
        capitals_tell = not _title_cased(question)
        found: dict[str, _Unknown] = {}
        for m in unknown:
            word = m.group(0).lower()
            before = found.get(word, _Unknown(word, False, False))
            names_job = (before.names_job or m.end() in jobs
                         or self._titles_a_job(m.group(0), question, m.start(), m.end()))
            found[word] = _Unknown(word, not _common_plural(m.group(0)) and (
                                       before.located or bool(_LOCATED.search(question[:m.start()]))),
                                   before.named or capitals_tell and bool(_NAME.fullmatch(m.group(0)))
                                   and not _starts_sentence(question, m.start())
                                   and not any(m.start() in span for span in spelled)
                                   and not self.index.starts_a_word(m.group(0)),  # "Jan": January
                                   names_job)
        return list(found.values())

    def _titles_a_job(self, word: str, question: str, start: int, end: int) -> bool:
        """Whether a word no article uses says which kind of a job title the library does use ("UX researcher",
        "COBOL programmer"): a job no article covers. Only a short word no dictionary holds (a field's acronym, a
        language): an English word before a job title is as often the reader's adjective ("a *decent* analyst",
        "*toxic* manager") or verb ("do banks *poach* engineers?"), and a longer unknown one a typo no library word
        corrects ("*preesales* engineer"). Nor a word of seniority or employment ("a *newbie* analyst"), one for pay
        ("*avg* analyst salary"), a clipped word some article writes whole, or a word used as a verb ("how do
        startups *headhunt* engineers?")."""
        lower = word.lower()
        return (len(word) <= _KIND_OF_JOB_LETTERS and bool(_JOB_TITLE_HEAD.match(question, end))
                and not is_dictionary_word(word)
                and lower not in _SAME_JOB_WORDS and stem(word) not in _PAY_WORDS
                and not lower.endswith(_PARTICIPLE_ENDINGS) and not self.index.starts_a_word(word)
                and not _BEFORE_A_VERB.search(question[:start]))

    def _names_known_country(self, word: str) -> bool:
        """Whether the word names a country, by its people or its code, that some article names another way
        ("British", "AUS": the UK, Australia), as a name or typed in lower case, as readers do ("canadian")."""
        return any(self.index.document_frequency(t) for name in dict.fromkeys([word, word.capitalize()])
                   for t in tokens(country_names_of(name)))

    def rank(self, query: str, limit: int | None = None) -> list[Document]:
        """The candidates, best first, without the decline check: the first `limit`, or every one.

        Fusion needs only ids and ranks, so the passages' text and metadata are read for the ones asked for: an
        answer reads ~k records, not every candidate."""
        collection, revision = self._synced()
        ranking = self._ranked.get((query, revision, self.k))  # the part asked is brought among the first k
        if ranking is None:
            ranking = self._rank(collection, query)
            if len(self._ranked) >= _RANKINGS_KEPT:
                self._ranked.clear()
            self._ranked[(query, revision, self.k)] = ranking
        return ranking.passages(collection, limit)

    def _rank(self, collection: Collection, query: str) -> _Ranking:
        vector = embed_query(query)
        similarity = {chunk_id: round(score, 4)
                      for chunk_id, score in self.index.nearest(vector, max(self.candidates, self.k))}
        fused: dict[str, float] = {}
        for ranked in (list(similarity), [chunk_id for chunk_id, _ in self.index.search(query, self.candidates)]):
            for rank, chunk_id in enumerate(ranked):
                fused[chunk_id] = fused.get(chunk_id, 0.0) + 1 / (self.fusion_k + rank)
        order = self._with_part_asked(query, sorted(fused, key=fused.__getitem__, reverse=True))
        named = self._named_section(collection, query, order)
        first = set(named)
        return _Ranking(named + [chunk_id for chunk_id in order if chunk_id not in first], similarity, vector,
                        partial(self.index.similarity, vector), first)

    def _with_part_asked(self, query: str, order: list[str]) -> list[str]:
        """For a question asking what someone is paid, the route into a job, what the job involves or its tools,
        the first passage of that part of the article ranked first (one stating an amount of money; one under a
        heading naming the route, "How to get in", the work, "What the job involves", or the tools), brought among
        the `k` passages shown when search ranked it below them. "What does a space planning analyst make in the
        US?" shares few words with the pay table ("Space planning analyst | GBP 33,000–42,000 | USD 63,000–80,000")
        and as many with the article's other passages; "get into" and "do" are stopwords. Another article's part is
        never brought up: its subject is not the one asked."""
        is_part = self._part_asked(split_turns(query)[-1]) if order else None
        if is_part is None:
            return order
        article = self.index.source(order[0])
        # Search may not have found a chunk of the part at all: those rank last, in the article's order.
        rank: dict[str, float] = {chunk_id: n for n, chunk_id in enumerate(order)}
        parts = sorted((chunk_id for chunk_id in self.index.chunks_of(article) if is_part(chunk_id)),
                       key=lambda chunk_id: rank.get(chunk_id, math.inf))
        top = set(order[:self.k])
        shown = {self.index.heading(chunk_id) for chunk_id in parts if chunk_id in top}
        # The best-ranked not shown, unless one of the part is: then only the rest of its section, split over chunks.
        hidden = [chunk_id for chunk_id in parts if chunk_id not in top
                  and (not shown or self.index.heading(chunk_id) in shown)]
        if not hidden:
            return order
        # Of that section, its first chunk not shown: a list opens there with its introduction.
        section = self.index.heading(hidden[0])
        part = min((chunk_id for chunk_id in hidden if self.index.heading(chunk_id) == section),
                   key=self.index.position)
        others = [chunk_id for chunk_id in order if chunk_id != part]
        return [*others[:self.k - 1], part, *others[self.k - 1:]]

    def _part_asked(self, question: str) -> Callable[[str], bool] | None:
        """Whether a chunk is of the part of an article the question asks for, if it asks for one."""
        if pay_amount_asked(question):
            return self.index.states_money
        sections = sections_asked(question)
        return (lambda chunk_id: any(s.search(self.index.part(chunk_id)) for s in sections)) \
            if sections else None

    def _named_section(self, collection: Collection, query: str, order: list[str]) -> list[str]:
        """The chunks of the section a follow-up names in the article the conversation is about ("what do they
        ask in the scaling round?" after the stages of an interview), when search ranked another passage above
        it: the follow-up's own few words rarely bring it up, and the earlier turn's pull towards the whole
        article. They go first, marked `named_section` for the composer. None when search already put it first."""
        if TURN_BREAK not in query or not order:
            return []
        best = collection.get(ids=order[:1], include=["metadatas"])["metadatas"]
        source = best[0].get("source") if best else None
        if not source:
            return []
        article = collection.get(where={"source": source}, include=["metadatas"])
        headings = {chunk_id: meta.get("heading") or "" for chunk_id, meta in zip(article["ids"], article["metadatas"])}
        title = str(best[0].get("title") or "")
        heading = named_section(query, _sections(headings.values(), title), title)
        if not heading or headings.get(order[0]) == heading:
            return []
        rank = {chunk_id: n for n, chunk_id in enumerate(order)}
        return sorted((chunk_id for chunk_id, h in headings.items() if h == heading),
                      key=lambda chunk_id: rank.get(chunk_id, len(order)))

    def names_section_of(self, history: Sequence[dict], question: str) -> bool:
        """Whether the question names, by a definite description, one section of the article the conversation
        is on: "what comes up in the scaling round?" after the stages of an AI lab's hiring process follows
        them, though no pronoun says so. That article is the one the last answer quotes (its best lexical
        match: no second embedding while the reader waits); its title is no section."""
        asked = [turn.get("content") or "" for turn in history if turn.get("role") == "user"]
        answers = [turn.get("content") or "" for turn in history if turn.get("role") == "assistant"]
        earlier = asked[-1] if asked else ""
        if not described_words(question, earlier):
            return False
        quoted = answers[-1] if answers and CITATION.search(answers[-1]) else earlier
        collection, _ = self._synced()
        best = self.index.search(quoted, 1)
        found = collection.get(ids=[best[0][0]], include=["metadatas"])["metadatas"] if best else None
        if not found or not found[0].get("source"):
            return False
        article = collection.get(where={"source": found[0]["source"]}, include=["metadatas"])["metadatas"] or []
        headings = _sections((str(m.get("heading") or "") for m in article), str(found[0].get("title") or ""))
        return described_section(question, earlier, headings) is not None

    def corrected(self, text: str) -> str:
        """The text with each typo replaced by the library word or stopword it misspells ("wat does a machin
        lerning enginer do" -> "... machine learning engineer do") or contracts ("mgr" -> manager, "ppl" ->
        people) or clips ("med device" -> medical device, `_clippings_spelled_out`) or writes as a numeronym ("l10n"
        -> localization), and two words written closed up spelled out
        beside it as an acronym is ("adtech (ad tech)"):
        the model then embeds words it knows, and the passages that use them come up. A word the library or the
        model's vocabulary knows is left as typed."""
        self._synced()
        text = NUMERONYM.sub(lambda m: self.index.numeronym(m.group(0)) or m.group(0), text)
        text = self._clippings_spelled_out(text)
        text = _CONTRACTION.sub(lambda m: self._spelling(m.group(0), contracted=True), text)
        text = _VOWEL_FIRST_CONTRACTION.sub(lambda m: self._vowel_first_contraction(m.group(0)), text)
        text = _SHORT_WORD.sub(lambda m: self._question_word(m.group(0)), text)
        return _LONG_WORD.sub(lambda m: self._spelling(m.group(0)), text)

    def _clippings_spelled_out(self, text: str) -> str:
        """The text with each short word the library lacks that clips a library word ("med", "certs") replaced by that
        word as articles write it beside the same neighbour (`LibraryIndex.clipped_beside`): "a med device" -> "a
        medical device". Not an acronym ("CGM", "DEs") or a name ("Ana") written with capitals."""
        words = [m for m in _TYPED_TOKEN.finditer(text) if content_words(m.group(0))]
        for i in reversed(range(len(words))):  # from the end, so the spans still ahead keep their places
            word, at = words[i].group(0), words[i].start()
            if (not _CLIPPING.fullmatch(word) or self.index.knows(word) or sum(map(str.isupper, word)) > 1
                    or (word[0].isupper() and not _starts_sentence(text, at))):
                continue
            before, after = (words[j].group(0) if 0 <= j < len(words) else None for j in (i - 1, i + 1))
            found = self.index.clipped_beside(word, before, after)
            if found:
                text = text[:at] + _cased_like(word, found) + text[words[i].end():]
        return text

    def _vowel_first_contraction(self, word: str) -> str:
        """The one library word a word no dictionary holds contracts keeping only its first vowel, dropping at most one
        consonant ("intvw": interview); one it may contract as well as another is left as typed."""
        if self.index.knows(word) or is_dictionary_word(word):
            return word
        return self.index.spelled_out(word, strict=True) or word

    def _question_word(self, word: str) -> str:
        """The question word a short word writes with a silent letter dropped ("wat", "wen"), or the library word it
        writes with a slip (`_slipped`: "Olso", "tols"), or the word."""
        clipped = None if self.index.knows(word) else clipped_stopword(word)
        if clipped not in _QUESTION_WORDS:
            return self._slipped(word) or word
        return _cased_like(word, clipped)

    def _slipped(self, word: str) -> str | None:
        """The library word a short word no article or dictionary holds writes with two letters swapped or a double
        letter typed once (LibraryIndex.slipped)."""
        if len(word) < 4 or self.index.knows(word) or is_dictionary_word(word):
            return None
        slipped = self.index.slipped(word)
        return _cased_like(word, slipped) if slipped else None

    def _doubled(self, word: str) -> str | None:
        """The library word an inflected word misspells with a single consonant ("shiping": shipping)."""
        doubled = doubled_consonant(word)
        return doubled if doubled and self.index.knows(doubled) else None

    def _spelling(self, word: str, contracted: bool = False) -> str:
        if self.index.knows(word):
            return word
        if _CAMEL_CASE.search(word):
            return self._other_name(word) or word
        if city := next((name for name in other_city_names(word) if self.index.knows(name)), None):
            return city  # "Bangalore" in a library that writes "Bengaluru"
        if spelled := next((other for other in other_spellings(word) if self.index.knows(other)), None):
            return spelled  # "maximise" in a library that writes "maximize"
        if is_common_word(word):
            return self._doubled(word) or word
        if is_dictionary_word(word):  # a rarer word: another form of a library word, written closed up, or neither
            return self._doubled(word) or self._relative(word) or self._with_closed_up(word)
        if contracted:
            return self.index.spelled_out(word) or word
        return misspelt_stopword(word) or self.index.misspelt(word) or self._with_closed_up(word)

    def _relative(self, word: str) -> str | None:
        """The library word an edit or two from a rarer real word the library lacks, when it is what the reader meant:
        a word English uses far more, which the rarer one misspells by one slip ("manger": manager, "untied": united),
        or one it shares all but the last few letters with, another form of it ("statistician": statistical). Not
        "peaks" for "perks", a word as common that differs inside."""
        found = self.index.misspelt(word)
        if not found:
            return None
        commoner = OSA.distance(word.lower(), found.lower()) == 1 and (
            english_frequency(found) >= _TYPO_FREQUENCY_RATIO * max(english_frequency(word), 1))
        shared = len(os.path.commonprefix([word.lower(), found.lower()]))
        same_stem = shared >= max(_RELATIVE_STEM, *(len(w) - _RELATIVE_ENDING for w in (word, found)))
        return found if commoner or same_stem else None

    def _with_closed_up(self, word: str) -> str:
        """The word with the two library words it writes closed up beside it ("adtech (ad tech)"), if any."""
        closed_up = self.index.compound(word)
        return f"{word} ({closed_up})" if closed_up else word

    def _other_name(self, name: str) -> str | None:
        """The library word a name typed with a capital inside misspells, when that word is no everyday one."""
        found = self.index.misspelt(name)
        return found if found and not is_dictionary_word(found) else None

    def _synced(self) -> tuple[Collection, Revision]:
        """The current collection and its revision, with the library index brought in line with it."""
        collection = self.collection if isinstance(self.collection, Collection) else self.collection()
        revision = self.revision(collection)
        self.index.sync(collection, revision)
        return collection, revision

    def acronyms(self, query: str) -> dict[str, str]:
        """Acronyms in the query that the library never writes as such, with the phrase the query's
        candidate passages spell them with ("RS vs RE?" -> research scientist, research engineer): the
        question is then searched, judged and answered with the phrase too."""
        written, typed = capitalised_acronyms(query), self._lower_case_acronyms(query)
        if not written and not typed:
            return {}
        # With their titles and headings, each once: an article names its subject there ("Capacity Planning for Data
        # Centres") and its passages may say "facilities". Ranking also brings the library index up to date.
        ranked = self.rank(query)
        named = [t for p in ranked for t in (p.metadata.get("title"), p.metadata.get("heading")) if t]
        texts = [p.page_content for p in ranked] + list(dict.fromkeys(named))
        unknown = [a for a in written if not self.index.document_frequency(stem(a))]
        found = {a: spelled_in(a, texts, is_word=is_dictionary_word) for a in unknown}
        # Typed in lower case, it is the subject's name, which an article puts in its title or a heading, a word for
        # each letter ("mi teams": "Episode 47: Materials Informatics in Specialty Chemicals"); an everyday word
        # ("fun") is no acronym of a phrase the passages happen to hold ("future users notice").
        found |= {a: spelled_in(a, named, min_count=1) for a in typed}
        return {a: phrase for a, phrase in found.items() if phrase}

    def _lower_case_acronyms(self, query: str) -> list[str]:
        """Short words typed in lower case that no article uses and that clip no stopword ("ri analysts", "mi
        teams", "the em route"): a reader's acronym, perhaps, of a phrase the passages found spell out; not a unit
        after a number ("5 pm", "3 mi")."""
        words = dict.fromkeys(m.group(0) for m in _TYPED_WORD.finditer(query)
                              if m.group(0).islower() and not _AFTER_A_NUMBER.search(query[:m.start()]))
        return [w for w in words if 2 <= len(w) <= 4 and w not in ACRONYMS and content_words(w)
                and not self.index.document_frequency(stem(w)) and not clipped_stopword(w)
                and not misspelt_stopword(w)]

    def forget_rankings(self) -> None:
        """For benchmarks that time every question cold."""
        self._ranked.clear()

    def coverage(self, question: str, passages: Sequence[Document]) -> float:
        """The share of the question's word weight (rarity in the library) that the passages contain. An
        acronym and the phrase it stands for are one concept, found when either form is."""
        return _share_held(self._concept_weights(question), _tokens_in(passages))

    def missing_concepts(self, question: str, passages: Sequence[Document]) -> int:
        """How many of the question's concepts the passages lack (see reworded_evidence)."""
        return _missing(self._concept_weights(question), _tokens_in(passages))

    def _concept_weights(self, question: str) -> dict[tuple[str, ...], float]:
        """The question's concepts, each as its library tokens (an acronym first, then the phrase it stands for),
        weighted by the rarity of its rarest phrase word. A clipped word some article writes too ("Assoc.") is
        found by the word it clips as well ("Associate"), as an acronym is by its phrase."""
        weights: dict[tuple[str, ...], float] = {}
        typed = {word.lower(): word for word in _CAMEL_CASE_WORD.findall(question)}  # concepts are lower-cased
        for concept in concepts(without_parts_asked(_words_asked(question))):
            forms = tuple(t for t in (self._library_token(typed.get(w, w)) for w in concept) if t)
            if len(concept) == 1 and forms and not is_dictionary_word(concept[0]):
                clipped = self.index.completed(concept[0])
                forms += (clipped,) if clipped and clipped not in forms else ()
            if forms and forms not in weights:
                weights[forms] = max(self.index.idf(t) for t in forms[1:] or forms)
        return weights

    def states_amount(self, question: str, passages: Sequence[Document]) -> bool:
        """Whether the passages state the pay a question asks the amount of, for what it asks about: a sentence or
        table row with an amount that names the question's subject (`amount_share` of the weight of its words
        the library uses, the row's heading and title counting) or comes `amount_similarity` close to the
        question in meaning, in the currency of the country it names, if any. An article that mentions "my sister,
        a pharmacist in Leeds" in passing states no pay for one, however well its words cover "how much does a
        pharmacist earn in Leeds?"; nor does "£68,000" at an English water company for one in the US."""
        evidence = self.amount_evidence(question, passages)
        return evidence is None or evidence[0] >= self.amount_share or evidence[1] >= self.amount_similarity

    def amount_evidence(self, question: str, passages: Sequence[Document]) -> tuple[float, float] | None:
        """For a question asking an amount of pay, the most of its subject's word weight a sentence or row with
        an amount holds, and the closest such a unit comes to it in meaning; None for any other question (or
        one whose subject no article names at all: the decline check's other parts judge it). A subject word no
        article uses weighs the most ("pharma" analysts are paid nowhere in a library that never says pharma).

        Where the question puts the pay ("in Germany", "at Spotify"), only a unit naming one of those places counts,
        and each must have one ("Germany compared with Detroit"). A unit names a country its passage names, when it
        is in that country's currency ("In the United States ... The BLS reported $81,390")."""
        asked_now = split_turns(question)[-1]
        if not pay_amount_asked(asked_now):
            return None
        asked_of = {forms: weight for forms, weight in self._concept_weights(question).items()
                    if not set(forms) & _PAY_WORDS}
        known = {forms for forms in asked_of if any(self.index.document_frequency(t) for t in forms)}
        if not known:
            return None
        # A word no article uses is part of it, unless it is the reader's own background ("I live in Lisbon").
        unknown = {stem(word) for word, *_ in self._unknown_subjects(asked_now)}
        subject = {forms: weight for forms, weight in asked_of.items() if forms in known or forms[0] in unknown}
        located = self._located_tokens(question) | self._named_tokens(asked_now)
        places = [forms for forms in subject if forms[0] in located]
        countries = countries_in(asked_now)
        country_tokens = set(tokens(country_names_in(asked_now)))
        vector = np.asarray(embed_query(question), dtype=np.float32)
        share, similarity, stated_for = 0.0, 0.0, set()
        for passage in self._with_unit_vectors(list(passages)):
            units = list(_units_in_context([passage]))
            vectors = stored_unit_vectors(passage.metadata, len(units))
            closeness = (vectors @ vector).tolist() if vectors is not None else None
            in_passage = set(tokens(country_names_in(passage.page_content))) if places else set()
            for i, (unit, found) in enumerate(units):
                in_currency = not (countries and in_other_currency(unit.text, countries))
                named = _places_named(places, found, in_passage, in_currency, country_tokens)
                if MONEY.search(unit.text) and (named if places else in_currency):
                    stated_for |= named
                    share = max(share, _share_held(subject, found))
                    similarity = max(similarity, closeness[i] if closeness else 0.0)
        return (share, similarity) if stated_for == set(places) else (0.0, 0.0)

    def names_exam(self, question: str, passages: Sequence[Document]) -> bool:
        """Whether the passages name the exam, certification or visa the question asks about ("is the SnowPro Core
        exam worth it?", "can I get a Global Talent visa?"): a sentence or row naming it by every word the question
        does (its heading and title counting) and, when it asks a figure of it (fee, pass mark, length...), stating
        that figure. An article that lists the CKA among certifications worth having says nothing of its pass mark; one
        that never names the Tableau certification, nothing of it at all."""
        asked_now = split_turns(question)[-1]
        name = _exam_name(asked_now)
        weights = self._concept_weights(name) if name else {}
        stated = None  # asked nothing of it but itself: naming it is enough
        if _FIGURE_ASKED.search(asked_now):
            stated = next((figure for asking, figure in _EXAM_FIGURES if asking.search(asked_now)), STATED_FIGURE)
        return not weights or any(
            (stated is None or stated.search(unit.text)) and _share_held(weights, found) == 1.0
            for unit, found in _units_in_context(passages))

    def _located_tokens(self, question: str, names_only: bool = False) -> set[str]:
        """The library tokens of the words the question puts something at ("in Berlin", "at Airbnb"; not "at the
        *whole* world", which goes on); with `names_only`, of those typed as a name ("Spotify", not "US"), which
        may go on ("at Spotify next month")."""
        words = list(_TYPED_WORD.finditer(question))
        return {token for m, after in zip(words, [*words[1:], None]) if _LOCATED.search(question[:m.start()])
                and (_NAME.fullmatch(m.group(0)) if names_only else not (
                    after and question[m.end():after.start()].isspace() and content_words(after.group(0))))
                and (token := self._library_token(m.group(0)))}

    def _named_tokens(self, question: str) -> set[str]:
        """The library tokens of the words typed as a name inside the question ("What does *Harrowgate Mutual*
        pay ...?"): whose pay it asks, as much as a place it names."""
        return {token for m in _TYPED_WORD.finditer(question)
                if _NAME.fullmatch(m.group(0)) and not _starts_sentence(question, m.start())
                and (token := self._library_token(m.group(0)))}

    def _library_token(self, word: str) -> str | None:
        """The word's token; or for a word the library never uses, the library token it abbreviates
        ("math" -> mathematics) or misspells: a word the model's vocabulary doesn't know either, an edit
        or two from a library word ("salery" -> salary; "truck" is a real word, never a misspelt "track").
        None for a misspelt stopword ("actualy"), which says nothing about the subject."""
        token = stem(word)
        if self.index.document_frequency(token):
            return token
        if _CAMEL_CASE.search(word):
            name = self._other_name(word)
            return stem(name) if name else token
        if len(word) <= 4 and clipped_stopword(word):
            return None
        completed = self.index.completed(word) if len(word) >= 3 else None
        if completed:
            return completed
        if len(word) < 4:
            return token
        if corrected := self._slipped(word) if len(word) < 5 else self._doubled(word):
            return stem(corrected)
        if len(word) < 5 or is_common_word(word):
            return token
        if is_dictionary_word(word):
            relative = self._relative(word)
            return stem(relative) if relative else token
        if misspelt_stopword(word):
            return None
        found = self.index.misspelt(word)
        return stem(found) if found else token

    def _with_subheadings(self, passages: list[Document]) -> list[Document]:
        """The passages with the headings of their section's parts in `metadata["subheadings"]`, where it has
        several, and that section's heading in `metadata["subheadings_of"]`: the items of a list written as
        headings, for the composer ("what kinds of models ...?" under "The models you would build", whose parts
        head "Propensity to pay", "Right-party contact", ...; see LibraryIndex.subheadings)."""
        found = [self.index.subheadings(p.id or "") for p in passages]
        return [Document(id=p.id, page_content=p.page_content, metadata={
                    **p.metadata, "subheadings": parts, "subheadings_of": section.rpartition(HEADING_SEPARATOR)[2]})
                if len(parts) >= _SEVERAL_PARTS else p for p, (section, parts) in zip(passages, found)]

    def _with_unit_vectors(self, passages: list[Document]) -> list[Document]:
        """The passages with their units' vectors in `metadata["unit_vectors"]`, where stored."""
        if self.units is None:
            return passages
        units = self.units if isinstance(self.units, Collection) else self.units()
        found = units.get(ids=[p.id for p in passages], include=["metadatas", "documents"])
        packed = {i: v for i, v in zip(found["ids"], packed_unit_vectors(found)) if v is not None}
        return [
            Document(id=p.id, page_content=p.page_content, metadata={**p.metadata, "unit_vectors": packed[p.id]})
            if p.id in packed else p
            for p in passages
        ]


class _Ranking:
    """One query's fused candidate ids, best first, and the passages read for them so far (identical passages
    stored under two articles count once)."""

    def __init__(self, order: list[str], similarity: dict[str, float], vector: list[float],
                 similarity_of: Callable[[list[str]], dict[str, float]], named: set[str] | None = None) -> None:
        self.order, self.similarity, self.vector, self.similarity_of = order, similarity, vector, similarity_of
        self.named = named or set()  # a section the follow-up names (ArticleRetriever._named_section)
        self.read = 0
        self.unique: dict[str, Document] = {}
        self.lock = threading.Lock()  # one ranking serves the answer, its decline message and its suggestions

    def passages(self, collection: Collection, limit: int | None) -> list[Document]:
        wanted = len(self.order) if limit is None else limit
        with self.lock:
            while len(self.unique) < wanted and self.read < len(self.order):
                batch = self.order[self.read : self.read + max(wanted - len(self.unique), _READ_AT_LEAST)]
                self.read += len(batch)
                for passage in self._read(collection, batch):
                    self.unique.setdefault(passage.metadata.get("chunk_hash") or str(passage.id), passage)
            return list(self.unique.values())[:wanted]

    def _read(self, collection: Collection, ids: list[str]) -> list[Document]:
        """The passages of `ids`, in that order, each with its cosine similarity to the query: known from the
        dense search, else from its stored vector (never re-embedded), as the index holds it, or as Chroma does for
        a chunk the index has yet to read (a section named by a follow-up, written since the index's last look)."""
        found = collection.get(ids=ids, include=["documents", "metadatas"])
        lexical_only = [chunk_id for chunk_id in found["ids"] if chunk_id not in self.similarity]
        for chunk_id, score in self.similarity_of(lexical_only).items():
            self.similarity[chunk_id] = round(score, 4)
        unread = [chunk_id for chunk_id in lexical_only if chunk_id not in self.similarity]
        if unread:
            stored = collection.get(ids=unread, include=["embeddings"])
            scores = normalised(stored["embeddings"]) @ normalised(self.vector)
            self.similarity.update((chunk_id, round(float(score), 4)) for chunk_id, score in zip(stored["ids"], scores))
        by_id = {chunk_id: Document(id=chunk_id, page_content=text, metadata=self._metadata(chunk_id, meta))
                 for chunk_id, text, meta in zip(found["ids"], found["documents"], found["metadatas"])}
        return [by_id[chunk_id] for chunk_id in ids if chunk_id in by_id]

    def _metadata(self, chunk_id: str, stored: dict) -> dict:
        named = {"named_section": True} if chunk_id in self.named else {}
        return {**stored, "score": self.similarity[chunk_id], **named}
