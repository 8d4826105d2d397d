import json

import httpx
import pytest
from fastapi.testclient import TestClient

from bot.answer.pipeline import CareerBot
from bot.web.api import create_app
from tests.conftest import api_client, recorded


@pytest.fixture(scope="module")
def client(careerbot: CareerBot):
    with api_client(careerbot) as test_client:
        yield test_client


def test_chat_returns_answer_and_numbered_sources(client: TestClient):
    response = client.post("/api/chat", json={"message": "What degree do I need to become a machine learning engineer?"})
    assert response.status_code == 200
    body = response.json()
    assert "computer science" in body["answer"].lower()
    assert body["sources"] and set(body["sources"][0]) >= {"n", "title", "source", "text"}
    assert "degree" in body["sources"][0]["text"].lower()  # the first source is the passage that answers
    assert f"[{body['sources'][0]['n']}]" in body["answer"]


def test_chat_uses_history_for_follow_ups(client: TestClient):
    history = [{"role": "user", "content": "What does a machine learning engineer do?"},
               {"role": "assistant", "content": "They build and deploy models."}]
    body = client.post("/api/chat", json={"message": "How much do they earn?", "history": history}).json()
    assert "75,000" in body["answer"] or "200,000" in body["answer"]


def test_refusal_has_empty_sources(client: TestClient):
    body = client.post("/api/chat", json={"message": "How do I repair a bicycle puncture?"}).json()
    assert body["refused"] is True and body["sources"] == []


@pytest.mark.parametrize(
    ("payload", "status", "needle"),
    [
        ({}, 422, "message"),
        ({"message": ""}, 422, "empty"),
        ({"message": "   "}, 422, "empty"),
        ({"message": 42}, 422, "message"),
        ({"message": "hi", "history": "nope"}, 422, "history"),
        ({"message": "hi", "history": [{"role": "system", "content": "x"}]}, 422, "role"),
        ({"message": "x" * 2001}, 413, "too long"),
        ({"message": "hi", "extra": 1}, 422, "extra"),
    ],
)
def test_bad_input_gets_a_clear_json_error(client: TestClient, payload: object, status: int, needle: str):
    for path in ("/api/chat", "/api/chat/stream"):
        response = client.post(path, json=payload)
        assert response.status_code == status, (path, response.text)
        assert needle in response.json()["error"]


def test_non_json_body_is_rejected(client: TestClient):
    response = client.post("/api/chat", content=b"not json", headers={"content-type": "application/json"})
    assert response.status_code == 422 and "JSON" in response.json()["error"]


def test_stream_sends_tokens_then_sources_then_done(client: TestClient):
    with client.stream("POST", "/api/chat/stream", json={"message": "What tools do ML engineers use?"}) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        events = [block for block in response.read().decode().split("\n\n") if block]
    names = [block.split("\n")[0].removeprefix("event: ") for block in events]
    assert names[-2:] == ["sources", "done"] and set(names[:-2]) == {"token"}
    final = json.loads(events[-2].split("data: ", 1)[1])
    streamed = "".join(json.loads(b.split("data: ", 1)[1])["text"] for b in events[:-2])
    assert streamed.strip() == final["answer"] and final["sources"]


def test_health_reports_chunks(client: TestClient, careerbot: CareerBot):
    body = client.get("/health").json()
    assert body == {"status": "ok", "chunks": careerbot.chunk_count()} and body["chunks"] > 0


def test_real_server_ingested_empty_store_on_start(app_server: str):
    assert httpx.get(f"{app_server}/health").json()["chunks"] > 0
    body = httpx.post(f"{app_server}/api/chat", json={"message": "MLE vs data scientist?"}, timeout=30).json()
    assert body["sources"] and "[1]" in body["answer"]


def test_widget_gets_its_message_limit_from_the_server(careerbot: CareerBot):
    settings = careerbot.settings.model_copy(update={"max_message_chars": 1234})
    with TestClient(create_app(settings, careerbot=careerbot, with_ui=False)) as test_client:
        script = test_client.get("/widget.js").text
    assert ('var SERVER = {"maxMessageChars": 1234, "feedback": true, "maxFeedbackChars": 500, '
            '"maxHistoryTurns": 20};') in script
    assert "filled in by the server" not in script


# --- the exchange log and feedback ---------------------------------------------------------------------

def test_answers_are_recorded_per_channel_with_their_conversation(client: TestClient, careerbot: CareerBot):
    from bot.owner.log import exchanges

    question = "What does a machine learning engineer do?"
    plain = client.post("/api/chat", json={"message": question}, headers={"X-Conversation-Id": "api-conversation-1"})
    with client.stream("POST", "/api/chat/stream", json={"message": question},
                       headers={"X-Conversation-Id": "widget-conversation-1", "X-Careerbot-Channel": "widget"}) as sse:
        final = [json.loads(line[5:]) for line in sse.iter_lines() if line.startswith("data:") and '"answer"' in line][-1]
    rows = [recorded(careerbot.settings.data_dir, exchanges, body["exchange_id"]) for body in (plain.json(), final)]
    assert [(r.channel, r.conversation_id) for r in rows] == [("api", "api-conversation-1"),
                                                              ("widget", "widget-conversation-1")]
    for row, body in zip(rows, (plain.json(), final)):
        assert (row.question, row.answer, row.declined, row.kind) == (question, body["answer"], False, "answer")
        assert row.backend == body["backend"] and row.latency_ms > 0


def test_feedback_is_tied_to_its_exchange_and_replaced_by_a_new_rating(client: TestClient, careerbot: CareerBot):
    from bot.owner.log import feedback

    exchange_id = client.post("/api/chat", json={"message": "Do I need a PhD for ML research?"}).json()["exchange_id"]
    assert client.post("/api/feedback", json={"exchange_id": exchange_id, "rating": "up"}).status_code == 204
    assert client.post("/api/feedback", json={"exchange_id": exchange_id, "rating": "down",
                                              "reason": "  It ignored my question  "}).status_code == 204
    row = recorded(careerbot.settings.data_dir, feedback, exchange_id)
    assert (row.rating, row.reason) == ("down", "It ignored my question")


@pytest.mark.parametrize(("body", "status", "says"), [
    ({"exchange_id": "0b5e7a0e-8c1f-4a7e-9f55-8d1a2b3c4d5e", "rating": "up"}, 404, "no answer with this exchange_id"),
    ({"exchange_id": "not-an-id", "rating": "up"}, 422, "exchange_id"),
    ({"exchange_id": "0b5e7a0e-8c1f-4a7e-9f55-8d1a2b3c4d5e", "rating": "meh"}, 422, "rating"),
    ({"exchange_id": "0b5e7a0e-8c1f-4a7e-9f55-8d1a2b3c4d5e", "rating": "down", "reason": "x" * 501}, 422,
     "reason too long: 501 characters, at most 500"),
    ({"exchange_id": "0b5e7a0e-8c1f-4a7e-9f55-8d1a2b3c4d5e", "rating": "down", "extra": 1}, 422, "extra"),
])
def test_bad_feedback_is_refused_with_a_reason(client: TestClient, body: dict, status: int, says: str):
    response = client.post("/api/feedback", json=body)
    assert response.status_code == status and says in response.json()["error"]


def test_with_logging_off_nothing_is_recorded_and_feedback_is_off(careerbot: CareerBot, tmp_path):
    with api_client(careerbot, log_conversations=False, data_dir=tmp_path / "data") as off:
        body = off.post("/api/chat", json={"message": "What does a data scientist do?"}).json()
        refused = off.post("/api/feedback", json={"exchange_id": "0b5e7a0e-8c1f-4a7e-9f55-8d1a2b3c4d5e",
                                                   "rating": "up"})
        script = off.get("/widget.js").text
    assert body["answer"] and body["exchange_id"] is None
    assert refused.status_code == 404 and "CAREERBOT_LOG_CONVERSATIONS=false" in refused.json()["error"]
    assert '"feedback": false' in script
    assert not (tmp_path / "data").exists()
