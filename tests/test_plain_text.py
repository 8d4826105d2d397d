"""Markdown only where it is rendered: /api, /v1 and Gradio's API return plain text with the same [n] markers,
against a real `python app.py` over knowledge/."""

from __future__ import annotations

import json
import re

import httpx

from tests.test_gradio_security import gradio_call
from tests.conftest import new_client

QUESTION = "How much do machine learning engineers earn?"  # an answer with "$", "," and "." in it


def markers(text: str) -> list[str]:
    return re.findall(r"\[\d+\]", text)


def test_api_channels_answer_in_plain_text_with_the_same_citations(app_server: str) -> None:
    body = httpx.post(f"{app_server}/api/chat", json={"message": QUESTION}, timeout=60).json()
    answer = body["answer"]
    assert "$" in answer and "\\" not in answer and markers(answer)[0] == "[1]"

    completion = httpx.post(f"{app_server}/v1/chat/completions", timeout=60, headers={"X-Forwarded-For": new_client()},
                            json={"model": "careerbot", "messages": [{"role": "user", "content": QUESTION}]}).json()
    content = completion["choices"][0]["message"]["content"]
    assert content.startswith(answer) and "\\" not in content and "**" not in content
    assert content.split("Sources:\n", 1)[1].splitlines()[0].startswith(f"[1] {body['sources'][0]['title']} — ")

    with httpx.stream("POST", f"{app_server}/v1/chat/completions", timeout=60, headers={"X-Forwarded-For": new_client()},
                      json={"model": "careerbot", "stream": True,
                            "messages": [{"role": "user", "content": QUESTION}]}) as response:
        chunks = [json.loads(line[6:]) for line in response.iter_lines() if line.startswith("data: {")]
    streamed = "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks if c["choices"])
    assert streamed == content

    event, data = gradio_call(app_server, QUESTION, new_client())
    gradio = data[0] if isinstance(data, list) else data
    gradio = gradio if isinstance(gradio, str) else json.dumps(gradio)
    assert event == "complete" and gradio.startswith(answer) and "\\" not in gradio and "<details>" not in gradio
