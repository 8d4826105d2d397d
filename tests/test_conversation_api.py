"""Small talk and suggested questions through the JSON API, its stream, and the OpenAI-compatible endpoint."""

import json

import pytest
from fastapi.testclient import TestClient

from bot.answer.pipeline import CareerBot
from tests.conftest import api_client


@pytest.fixture(scope="module")
def client(library_bot: CareerBot):
    with api_client(library_bot) as test_client:
        yield test_client


def test_small_talk_is_marked_and_has_no_sources(client: TestClient):
    body = client.post("/api/chat", json={"message": "hey, good to meet you"}).json()
    assert body["kind"] == "smalltalk" and body["refused"] is False and body["sources"] == []
    assert body["answer"].startswith("Hi")


def test_answers_and_declines_are_marked_with_suggestions(client: TestClient):
    answer = client.post("/api/chat", json={"message": "How long do full-time bootcamps run?"}).json()
    assert answer["kind"] == "answer" and answer["sources"]
    assert 1 <= len(answer["suggestions"]) <= 3
    decline = client.post("/api/chat", json={"message": "How do I repair a bicycle puncture?"}).json()
    assert decline["kind"] == "decline" and decline["refused"] is True and decline["suggestions"]


def stream_events(client: TestClient, message: str) -> dict[str, list[dict]]:
    events: dict[str, list[dict]] = {}
    with client.stream("POST", "/api/chat/stream", json={"message": message}) as response:
        for block in response.read().decode().split("\n\n"):
            if block.strip():
                name, data = block.split("\n", 1)
                events.setdefault(name.removeprefix("event: "), []).append(json.loads(data.removeprefix("data: ")))
    return events


def test_stream_final_event_carries_kind_and_suggestions(client: TestClient):
    final = stream_events(client, "What do hiring managers check in bootcamp graduates?")["sources"][-1]
    assert final["kind"] == "answer" and final["suggestions"]
    whole = client.post("/api/chat", json={"message": "What do hiring managers check in bootcamp graduates?"}).json()
    assert final.pop("exchange_id") != whole.pop("exchange_id")  # each answer is an exchange of its own
    assert final == whole
    small_talk = stream_events(client, "thank you kindly!")
    assert "token" not in small_talk and small_talk["sources"][0]["kind"] == "smalltalk"


def test_openai_endpoint_answers_small_talk_as_an_ordinary_message(client: TestClient):
    body = client.post("/v1/chat/completions", json={
        "model": "careerbot", "messages": [{"role": "user", "content": "who am I chatting with?"}]}).json()
    message = body["choices"][0]["message"]
    assert message["content"].startswith("I'm careerbot") and message["citations"] == []
    assert body["choices"][0]["finish_reason"] == "stop"
