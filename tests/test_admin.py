"""The owner's page at /admin: off without a token, its sign-in (form and bearer, a signed cookie, the token
never in a URL or a log), its exports, and, in real chromium against a real `python app.py`, HTML and
script payloads in every field it shows, shown as text with nothing executed."""

from __future__ import annotations

import csv
import io
import json
import logging
import re
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr

from bot.answer.pipeline import CareerBot
from bot.web.admin import SESSION_COOKIE
from bot.testing.apprunner import running_app
from tests.conftest import XSS_ARTICLE, knowledge_with, made_exchange, make_settings, seed_log

TOKEN = "owner-token-4f9c2a7e1b"
BEARER = {"Authorization": f"Bearer {TOKEN}"}


def admin_client(careerbot: CareerBot, tmp_path: Path, base_url: str = "http://testserver", **settings: object):
    from fastapi.testclient import TestClient

    from bot.web.api import create_app

    configured = careerbot.settings.model_copy(update={
        "admin_token": SecretStr(TOKEN), "data_dir": tmp_path / "data", "rate_limit": "off", **settings})
    return TestClient(create_app(configured, careerbot=careerbot, with_ui=False), base_url=base_url)


def test_without_a_token_there_is_no_admin_page(app_server: str):
    for path in ("/admin", "/admin/export.csv", "/admin/export.jsonl", "/admin/login"):
        assert httpx.get(app_server + path, headers=BEARER).status_code == 404
    assert httpx.post(app_server + "/admin/login", data={"token": TOKEN}).status_code in (404, 405)


def test_missing_or_wrong_token_is_401(careerbot: CareerBot, tmp_path: Path):
    with admin_client(careerbot, tmp_path) as client:
        for headers in ({}, {"Authorization": "Bearer wrong-token-000000"}, {"Authorization": f"Basic {TOKEN}"},
                        {"Authorization": f"Bearer {TOKEN}x"}):
            response = client.get("/admin", headers=headers)
            assert response.status_code == 401
            assert '<form method="post" action="/admin/login"' in response.text  # the sign-in form
            assert client.get("/admin/export.jsonl", headers=headers).status_code == 401
        wrong = client.post("/admin/login", data={"token": "wrong-token-000000"}, follow_redirects=False)
        assert wrong.status_code == 401 and "That token is not right" in wrong.text
        assert SESSION_COOKIE not in wrong.headers.get("set-cookie", "")
        forged = {SESSION_COOKIE: f"{int(time.time()) + 3600}.{'0' * 64}"}
        assert client.get("/admin", cookies=forged).status_code == 401


def test_bearer_token_opens_the_page_with_a_strict_policy(careerbot: CareerBot, tmp_path: Path):
    with admin_client(careerbot, tmp_path) as client:
        response = client.get("/admin", headers=BEARER)
    assert response.status_code == 200
    assert "Content gaps" in response.text and "Questions per day" in response.text
    policy = response.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "frame-ancestors 'none'" in policy and "script-src" not in policy
    assert response.headers["cache-control"] == "no-store"
    assert "<script" not in response.text.lower() and TOKEN not in response.text


def test_login_form_sets_a_signed_session_cookie_and_logout_ends_it(
        careerbot: CareerBot, tmp_path: Path, caplog: pytest.LogCaptureFixture):
    caplog.set_level(logging.DEBUG)
    with admin_client(careerbot, tmp_path) as client:
        client.post("/admin/login", data={"token": "wrong-token-000000"})
        response = client.post("/admin/login", data={"token": TOKEN}, follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"] == "/admin"
        cookie = response.headers["set-cookie"]
        assert cookie.startswith(f"{SESSION_COOKIE}=") and TOKEN not in cookie
        assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/admin" in cookie
        assert "Secure" not in cookie  # plain http here; see the https test
        page = client.get("/admin")
        assert page.status_code == 200 and "Sign out" in page.text
        assert client.get("/admin?days=7").status_code == 200
        client.post("/admin/logout")
        assert client.get("/admin").status_code == 401
    assert TOKEN not in caplog.text
    assert "admin: sign-in with a wrong token" in caplog.text


def test_over_https_the_cookie_is_secure(careerbot: CareerBot, tmp_path: Path):
    with admin_client(careerbot, tmp_path, base_url="https://testserver") as client:
        response = client.post("/admin/login", data={"token": TOKEN}, follow_redirects=False)
    assert "Secure" in response.headers["set-cookie"]


def test_a_session_expires(careerbot: CareerBot, tmp_path: Path):
    # 5 s: signing in and loading the page fit in it even on a loaded machine.
    with admin_client(careerbot, tmp_path, admin_session_hours=5 / 3600) as client:
        client.post("/admin/login", data={"token": TOKEN})
        assert client.get("/admin").status_code == 200
        time.sleep(6.1)
        assert client.get("/admin").status_code == 401


def test_exports_of_real_answers_parse_back(careerbot: CareerBot, tmp_path: Path):
    questions = ["What does a machine learning engineer do?", "Which skills does an ML engineer need?",
                 "How do I train as a deep-sea welder?"]
    with admin_client(careerbot, tmp_path) as client:
        ids = [client.post("/api/chat", json={"message": q}, headers={"X-Conversation-Id": "export-test-1"})
               .json()["exchange_id"] for q in questions]
        assert client.post("/api/feedback", json={"exchange_id": ids[0], "rating": "down",
                                                  "reason": "=1+1, and more"}).status_code == 204
        jsonl = client.get("/admin/export.jsonl", headers=BEARER)
        table = client.get("/admin/export.csv", headers=BEARER)
    assert jsonl.headers["content-type"].startswith("application/x-ndjson")
    assert "attachment" in jsonl.headers["content-disposition"]
    records = [json.loads(line) for line in jsonl.text.splitlines()]
    assert [r["id"] for r in records] == ids and [r["question"] for r in records] == questions
    assert {r["conversation_id"] for r in records} == {"export-test-1"}
    assert (records[0]["rating"], records[0]["reason"]) == ("down", "=1+1, and more")
    assert records[0]["sources"] and all(s["title"] and s["passage"] for s in records[0]["sources"])
    assert records[2]["declined"] is True and records[2]["sources"] == []
    rows = list(csv.DictReader(io.StringIO(table.text)))
    assert [row["id"] for row in rows] == ids
    assert rows[0]["reason"] == "'=1+1, and more"  # not a formula in a spreadsheet
    assert json.loads(rows[0]["sources"]) == records[0]["sources"]


def test_with_recording_off_the_page_says_so(careerbot: CareerBot, tmp_path: Path):
    with admin_client(careerbot, tmp_path, log_conversations=False) as client:
        page = client.get("/admin", headers=BEARER)
        assert page.status_code == 200 and "Recording is off" in page.text
        assert client.get("/admin/export.csv", headers=BEARER).status_code == 409
    assert not (tmp_path / "data").exists()


# --- in a real browser ----------------------------------------------------------------------------------

def payload(field: str) -> str:
    """Markup that would set window.__xss (and open a dialog) if the page ran it instead of showing it."""
    return (f"<script>window.__xss='{field}-script';alert(1)</script>"
            f"<img src=x onerror=\"window.__xss='{field}-img';alert(2)\"> {field}")


FIELDS = ["question", "example", "answer", "notice", "reason", "title", "source", "passage", "backend", "channel"]


@pytest.fixture(scope="module")
def payload_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """An app with an admin token, the XSS article in its library, and a log whose every shown field
    carries a payload; yields its URL and its log file."""
    root = tmp_path_factory.mktemp("admin_app")
    knowledge = knowledge_with(root, "quantum-gardening.md", XSS_ARTICLE)
    source = (payload("title"), payload("source"), "javascript:window.__xss='url'", payload("passage"))
    rated = made_exchange(payload("question"), sources=[source], answer=payload("answer"), notice=payload("notice"),
                          channel=payload("channel"), conversation_id="payload-conversation")
    rated.backend = payload("backend")
    example = made_exchange(payload("example"), "decline", conversation_id="payload-conversation")
    seed_log(make_settings(data_dir=root / "data"), [rated, example], ratings=[(rated, "down", payload("reason"))])
    with running_app(root / "store", {"CAREERBOT_KNOWLEDGE_DIR": str(knowledge), "CAREERBOT_DATA_DIR": str(root / "data"),
                                      "CAREERBOT_ADMIN_TOKEN": TOKEN}) as base_url:
        yield base_url, root / "app.log"  # where running_app writes the app's output


def sign_in(page: object, base_url: str) -> None:
    page.goto(base_url + "/admin")
    page.get_by_label("Admin token").fill(TOKEN)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Content gaps").wait_for()


@pytest.mark.browser
def test_reader_and_article_text_is_shown_as_text_and_never_runs(page: object, payload_app: tuple[str, Path]):
    base_url, log_file = payload_app
    dialogs, urls = [], []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.on("request", lambda request: urls.append(request.url))
    sign_in(page, base_url)
    page.wait_for_timeout(500)  # time for an onerror to fire, were there an image

    assert page.evaluate("() => window.__xss") is None and dialogs == []
    assert page.evaluate("() => document.querySelectorAll('script, img, iframe, object, embed').length") == 0
    assert page.locator("a[href^='javascript']").count() == 0
    text = page.evaluate("() => document.body.textContent")
    for field in FIELDS:
        if field == "source":  # named by its file name only (public_source); the markup is still text
            assert "onerror=\"window.__xss='source-img';alert(2)\"> source" in text
        else:
            assert payload(field) in text, field
    assert "Quantum gardening <img src=x onerror=" in text  # the library's article, in the least cited
    # The thumbs down and its reason sit next to the answer they rate.
    feedback = page.locator(".turn .bot .feedback.down")
    assert payload("reason") in feedback.text_content()
    rated = page.locator(".turn .bot", has=page.locator(".feedback.down"))
    assert payload("answer") in rated.locator(".answer").text_content()

    assert page.url == base_url + "/admin" and not any(TOKEN in url for url in urls)
    time.sleep(0.5)
    assert TOKEN not in log_file.read_text() and "POST /admin/login" in log_file.read_text()


@pytest.mark.browser
def test_the_page_reads_on_a_phone(browser: object, payload_app: tuple[str, Path]):
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    sign_in(page, payload_app[0])
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390  # nothing wider than the screen
    page.get_by_role("link", name="CSV").wait_for()
    context.close()


def test_a_copy_of_the_cookie_opens_nothing_after_sign_out(careerbot: CareerBot, tmp_path: Path):
    with admin_client(careerbot, tmp_path) as client:
        signed_in = client.post("/admin/login", data={"token": TOKEN}, follow_redirects=False)
        copy = {SESSION_COOKIE: signed_in.cookies[SESSION_COOKIE]}
        client.cookies.clear()
        assert client.get("/admin", cookies=copy).status_code == 200
        client.post("/admin/logout", cookies=copy)
        client.cookies.clear()
        assert client.get("/admin", cookies=copy).status_code == 401
        assert client.get("/admin/export.csv", cookies=copy).status_code == 401
        # Other sessions go on; one whose signature or expiry was tampered with never opens the page.
        other = client.post("/admin/login", data={"token": TOKEN}, follow_redirects=False).cookies[SESSION_COOKIE]
        client.cookies.clear()
        assert client.get("/admin", cookies={SESSION_COOKIE: other}).status_code == 200
        session_id, expires, signature = other.split(".")
        for forged in (f"{session_id}.{int(expires) + 9999}.{signature}", f"{session_id}.{'9' * 4301}.{signature}",
                       f"{'A' * 32}.{expires}.{signature}"):
            assert client.get("/admin", cookies={SESSION_COOKIE: forged}).status_code == 401


def test_the_owner_hides_a_gap_and_marks_a_client_abusive_from_the_page(careerbot: CareerBot, tmp_path: Path):
    bait = "URGENT admin: renew your careerbot licence at https://evil.example or call +1-555-0100"
    seed_log(make_settings(data_dir=tmp_path / "data"),
             [made_exchange(bait, "decline", client="203.0.113.5") for _ in range(3)]
             + [made_exchange("How do I become a lighthouse keeper?", "decline", client="198.51.100.4")])
    with admin_client(careerbot, tmp_path) as client:
        page = client.get("/admin", headers=BEARER).text
        gaps = gap_section(page)
        assert "evil[.]example" in gaps and "[phone number]" in gaps
        assert "evil.example" not in gaps and "555-0100" not in gaps
        bait_gap = next(item for item in gaps.split('<li class="gap">') if "licence" in item)
        client_id = re.search(r'name="client" value="([0-9a-f]{32})"', bait_gap).group(1)
        assert client.post("/admin/clients/abusive", data={"client": client_id}).status_code == 401  # signed out
        marked = client.post("/admin/clients/abusive", data={"client": client_id}, headers=BEARER, follow_redirects=False)
        assert marked.status_code == 303
        page = client.get("/admin", headers=BEARER).text
        assert "licence" not in gap_section(page)
        keys = re.findall(r'name="key" value="([^"]+)"', page)
        assert keys == ["how do i become a lighthouse keeper"]
        hidden = client.post("/admin/gaps/hide", data={"key": keys}, headers=BEARER, follow_redirects=False)
        assert hidden.status_code == 303
        assert "No declined or thumbs-down questions" in client.get("/admin", headers=BEARER).text
        assert client.post("/admin/clients/abusive", data={"client": "not-a-client"}, headers=BEARER).status_code == 422


def gap_section(page: str) -> str:
    return page.split('id="gaps"')[1].split("</section>")[0]


# --- failed sign-ins, and several replicas ----------------------------------------------------------------

def test_failed_sign_ins_are_throttled_per_client_and_in_all(careerbot: CareerBot, tmp_path: Path,
                                                             caplog: pytest.LogCaptureFixture):
    from fastapi.testclient import TestClient

    from bot.web.api import create_app

    settings = careerbot.settings.model_copy(update={
        "admin_token": SecretStr(TOKEN), "data_dir": tmp_path / "data", "rate_limit": "off",
        "admin_login_limit": "3/minute", "admin_login_global_limit": "5/minute"})
    app = create_app(settings, careerbot=careerbot, with_ui=False)
    guesser, owner, stranger = (TestClient(app, client=(address, 50000))
                                for address in ("203.0.113.5", "198.51.100.7", "192.0.2.9"))
    with owner:  # runs the app's start-up once; the three clients share the app
        check_throttle(guesser, owner, stranger, caplog)


def check_throttle(guesser: object, owner: object, stranger: object, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="bot.web.admin")
    for _ in range(2):
        assert guesser.post("/admin/login", data={"token": "wrong-token-000000"}).status_code == 401
    assert guesser.get("/admin", headers={"Authorization": "Bearer wrong-token-000000"}).status_code == 401
    for attempt in ({"data": {"token": "wrong-token-000000"}}, {"data": {"token": TOKEN}}):  # even the right one
        refused = guesser.post("/admin/login", follow_redirects=False, **attempt)
        assert refused.status_code == 429 and 1 <= int(refused.headers["retry-after"]) <= 60
        assert "try again in" in refused.text and SESSION_COOKIE not in refused.headers.get("set-cookie", "")
    assert guesser.get("/admin", headers=BEARER).status_code == 429
    # The two wrong sign-ins are one warning line (at most one a minute); refusals aren't logged at all.
    assert len([r for r in caplog.records if "wrong token" in r.getMessage()]) == 1

    # Another client may still sign in, until failures from everyone reach the global limit.
    assert owner.post("/admin/login", data={"token": TOKEN}, follow_redirects=False).status_code == 303
    for _ in range(2):
        assert stranger.post("/admin/login", data={"token": "wrong-token-000000"}).status_code == 401
    assert owner.post("/admin/login", data={"token": TOKEN}, follow_redirects=False).status_code == 429
    # A session already open isn't a sign-in: it keeps working.
    assert owner.get("/admin").status_code == 200


def test_sessions_and_the_sign_in_throttle_hold_on_every_replica(careerbot: CareerBot, tmp_path: Path):
    from fastapi.testclient import TestClient

    from bot.web.api import create_app
    from bot.testing.services import RedisServer

    redis_server = RedisServer(tmp_path)
    redis_server.start()
    try:
        settings = careerbot.settings.model_copy(update={
            "admin_token": SecretStr(TOKEN), "data_dir": tmp_path / "data", "rate_limit": "off",
            "rate_limit_storage": redis_server.url, "admin_login_limit": "4/minute"})
        with TestClient(create_app(settings, careerbot=careerbot, with_ui=False), client=("203.0.113.5", 1)) as one, \
                TestClient(create_app(settings, careerbot=careerbot, with_ui=False), client=("203.0.113.5", 1)) as two:
            check_replicas(one, two)
    finally:
        redis_server.stop()


def check_replicas(one: object, two: object) -> None:
    signed_in = one.post("/admin/login", data={"token": TOKEN}, follow_redirects=False)
    assert signed_in.status_code == 303
    cookie = signed_in.cookies[SESSION_COOKIE]
    one.cookies.clear()
    two.cookies.set(SESSION_COOKIE, cookie, path="/admin")
    assert two.get("/admin").status_code == 200  # a session made by the other replica
    two.cookies.clear()
    for replica in (one, two, one, two):
        assert replica.post("/admin/login", data={"token": "wrong-token-000000"}).status_code == 401
    assert two.post("/admin/login", data={"token": TOKEN}).status_code == 429
    assert one.post("/admin/login", data={"token": TOKEN}).status_code == 429
