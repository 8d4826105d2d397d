"""Hardening pass two, against a real `python app.py`: no 5xx from any hostile body, cookie, header or query on
any route (a fixed corpus and hypothesis); one feedback path under a limit of its own; JSON 404/405 under /api
and /v1; /v1's key checked first; /admin sessions that end on sign-out; the Host check; the exchange log's
file modes; /docs served offline (chromium)."""

from __future__ import annotations

import json
import math
import os
import stat
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from hypothesis import HealthCheck, given, settings as hypothesis_settings, strategies as st

from bot.testing.apprunner import running_app
from tests.conftest import new_client, queue_completion

QUESTION = "What does a machine learning engineer do?"
TOKEN = "owner-token-7d1e9b3c5a"
KEY = "hardening-key-1"
BEARER = {"Authorization": f"Bearer {KEY}"}


@pytest.fixture(scope="module")
def strict_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """An app with /admin, /v1 keys, /docs on, 3 questions and 3 ratings a minute per client, trusting
    127.0.0.1 as its proxy (so each test poses as clients of its own); yields its URL and root folder. Its
    data folder starts under a permissive umask."""
    root = tmp_path_factory.mktemp("strict_app")
    old_umask = os.umask(0o022)
    try:
        with running_app(root / "store", {
            "CAREERBOT_DATA_DIR": str(root / "data"), "CAREERBOT_ADMIN_TOKEN": TOKEN, "CAREERBOT_API_KEYS": KEY,
            "CAREERBOT_RATE_LIMIT": "3/minute", "CAREERBOT_FEEDBACK_RATE_LIMIT": "3/minute",
            # Hostile cookies and bearer tokens are sent many times here: the sign-in throttle is test_admin's.
            "CAREERBOT_ADMIN_LOGIN_LIMIT": "off", "CAREERBOT_ADMIN_LOGIN_GLOBAL_LIMIT": "off",
            "CAREERBOT_TRUSTED_PROXIES": "127.0.0.1", "CAREERBOT_API_DOCS": "true",
        }) as base_url:
            os.umask(old_umask)
            yield base_url, root
    finally:
        os.umask(old_umask)


def as_client(client: str | None = None, **extra: str) -> dict[str, str]:
    return {"X-Forwarded-For": client or new_client(), **extra}


# --- hostile input: no 5xx anywhere ---------------------------------------------------------------------

DEEP = b"[" * 100_000
HOSTILE_BODIES = [
    b'{"message": NaN}', b'{"message": Infinity}', b'{"message": -Infinity}', b'{"message": 1e400}',
    b'{"message": -1e400}', b'{"message": ' + b"9" * 5000 + b"}", b'{"exchange_id": 1e400, "rating": "up"}',
    DEEP, b'{"a":' * 50_000 + b"1" + b"}" * 50_000, b'{"message": "\\ud800"}', b"\xff\xfe\x00", b"", b"null",
    b"[]", b'"text"', b"true", b"0", b'{"message": ""}', b'{"message": ["x"]}', b'{"message": {"$gt": ""}}',
    b'{"data": NaN, "fn_index": 0}', b'{"data": [], "fn_index": 9999, "session_hash": "abcdefghij"}',
    b'{"data": [], "fn_index": -1, "session_hash": "abcdefghij"}', b'{"data": [], "fn_index": 1e400}',
    b'{"data": [], "fn_index": ' + b"9" * 5000 + b"}", b'{"data": [null, null], "fn_index": true}',
    b'{"model": "careerbot", "messages": [{"role": "user", "content": NaN}]}',
    b'{"model": "careerbot", "messages": [{"role": "user", "content": [{"type": "text", "text": 1e400}]}]}',
    b'{"model": "careerbot", "messages": [{"role": "user", "content": [1, 2]}]}',
    b'{"model": "careerbot", "messages": [{"role": "user", "content": [{"type": "text"}]}]}',
    b"token=" + b"%ff" * 1000, b"--x\r\nContent-Disposition: form-data; name=token\r\n\r\nx\r\n",
]
POST_ROUTES = [
    "/api/chat", "/api/chat/stream", "/api/feedback", "/v1/chat/completions", "/admin/login", "/admin/logout",
    "/admin/gaps/hide", "/admin/clients/abusive", "/gradio_api/queue/join", "/gradio_api/call/respond",
    "/gradio_api/run/load_example", "/gradio_api/call/v2/respond", "/gradio_api/call/nonexistent",
    "/gradio_api/run/predict", "/gradio_api/api/respond", "/gradio_api/cancel", "/gradio_api/component_server",
    "/api/unknown", "/v1/unknown", "/",
]
GET_ROUTES = [
    "/", "/health", "/api/starters", "/widget.js", "/demo", "/openapi.json", "/docs", "/admin", "/admin/export.csv",
    "/admin/export.jsonl", "/v1/models", "/v1/models/careerbot", "/config", "/gradio_api/info",
    "/gradio_api/call/respond/nonexistent-event", "/gradio_api/call/nonexistent/1",
    "/gradio_api/file=../../etc/passwd",
]  # not the endless event streams (/gradio_api/queue/data, /gradio_api/heartbeat/…)
HOSTILE_QUERIES = ["days=1e400", "days=" + "9" * 5000, "days=NaN", "session_hash=" + "%00" * 100,
                   "days=%ff%fe", "a=" + "[" * 2000]
HOSTILE_COOKIES = ["1" * 4301 + ".abc", "A" * 32 + "." + "9" * 4301 + ".abc", "a.b.c", "..", "\xff\xfe\x80",
                   "%ff%fe", "x" * 4000, '"unterminated', "A" * 32 + ".-1.abc"]
# The bodies that were 500s in the first probe, and bytes that aren't text.
KILLERS = [b'{"message": NaN}', b'{"message": 1e400}', b'{"message": ' + b"9" * 5000 + b"}", DEEP,
           b'{"message": "\\ud800"}', b"\xff\xfe\x00"]


def no_server_error(response: httpx.Response, what: str) -> None:
    assert response.status_code < 500, f"{what}: {response.status_code} {response.text[:300]}"


def send(base: str, method: str, path: str, body: bytes | None = None, content_type: str | None = None,
         **headers: str) -> httpx.Response:
    sent = {**BEARER, **as_client(**headers)}
    if content_type:
        sent["Content-Type"] = content_type
    # Bytes, so that any byte reaches the app (httpx would refuse to encode a non-ASCII str).
    return _CLIENT.request(method, base + path, content=body, timeout=60,
                           headers={name: value.encode("latin-1") for name, value in sent.items()})


_CLIENT = httpx.Client()  # one connection pool: some 1,500 requests


def test_hostile_bodies_get_4xx_on_every_route(strict_app: tuple[str, Path]) -> None:
    base, root = strict_app
    for path in POST_ROUTES:
        for body in HOSTILE_BODIES:
            no_server_error(send(base, "POST", path, body, "application/json"), f"POST {path} {body[:60]!r}")
        for body in KILLERS:  # Gradio reads JSON whatever the content type says
            for content_type in ("application/x-www-form-urlencoded", None):
                no_server_error(send(base, "POST", path, body, content_type), f"POST {path} {body[:60]!r} {content_type}")
    # The ones the first probe found, with the answer they get now.
    for body in (b'{"message": NaN}', b'{"message": 1e400}', b'{"message": ' + b"9" * 5000 + b"}", DEEP):
        for path in ("/api/chat", "/api/chat/stream", "/api/feedback"):
            refused = send(base, "POST", path, body, "application/json")
            assert refused.status_code == 422 and refused.json()["error"].startswith("invalid request"), path
        openai = send(base, "POST", "/v1/chat/completions", body, "application/json")
        assert openai.status_code == 400 and openai.json()["error"]["type"] == "invalid_request_error"
    for fn_index in (9999, -1):
        joined = send(base, "POST", "/gradio_api/queue/join", json.dumps(
            {"data": ["hi", []], "fn_index": fn_index, "session_hash": "abcdefghij"}).encode(), "application/json")
        assert joined.status_code == 404 and joined.json()["error"]
    for path in ("/gradio_api/call/nonexistent", "/gradio_api/call/v2/respond", "/gradio_api/run/predict"):
        assert send(base, "POST", path, b'{"data": ["hi"]}', "application/json").status_code == 404
    # A function that exists, called directly with a value its component can't take.
    example = send(base, "POST", "/gradio_api/run/load_example", b'{"data": [{}]}', "application/json")
    assert example.status_code == 400 and example.json() == {"error": "invalid input for this function"}
    assert " 500 Internal Server Error" not in (root / "app.log").read_text()


def test_hostile_queries_cookies_and_headers_get_4xx(strict_app: tuple[str, Path]) -> None:
    base, root = strict_app
    for path in GET_ROUTES:
        for query in HOSTILE_QUERIES:
            no_server_error(send(base, "GET", f"{path}?{query}"), f"GET {path}?{query}")
        for cookie in HOSTILE_COOKIES:
            no_server_error(send(base, "GET", path, Cookie=f"careerbot_admin={cookie}"), f"GET {path} cookie")
        for name, value in (("Authorization", "Bearer " + "\xff" * 50), ("Authorization", "Bearer"),
                            ("X-Conversation-Id", "\xff" * 100), ("Origin", "http://[::1"),
                            ("Accept-Language", "x" * 8000), ("X-Careerbot-Channel", "\x80")):
            no_server_error(send(base, "GET", path, **{name: value}), f"GET {path} {name}")
    for cookie in HOSTILE_COOKIES[:3]:  # the expiry of 4,301 digits was a 500
        for path in ("/admin", "/admin/export.csv"):
            assert send(base, "GET", path, Cookie=f"careerbot_admin={cookie}").status_code == 401
    assert " 500 Internal Server Error" not in (root / "app.log").read_text()


# Any JSON, including what Python's json module writes but no other parser reads (NaN, Infinity) and numbers
# of any size, nested at random, into the shapes each route reads.
HUGE = "__huge_integer__"  # replaced by 5,000 digits in the body: json.dumps won't write such an int
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.integers(min_value=10**300, max_value=10**400)
    | st.floats(allow_nan=True, allow_infinity=True) | st.sampled_from([math.nan, math.inf, -math.inf, HUGE])
    | st.text(max_size=30),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12)
SHAPED = st.one_of(
    JSON_VALUES,
    st.fixed_dictionaries({"message": JSON_VALUES}, optional={"history": JSON_VALUES}),
    st.fixed_dictionaries({"exchange_id": JSON_VALUES, "rating": JSON_VALUES}, optional={"reason": JSON_VALUES}),
    st.fixed_dictionaries({"model": st.just("careerbot"), "messages": st.lists(st.fixed_dictionaries(
        {"role": st.sampled_from(["user", "assistant", "system", "tool"]), "content": JSON_VALUES}), max_size=3)},
        optional={"stream": JSON_VALUES, "stream_options": JSON_VALUES}),
    st.fixed_dictionaries({"data": JSON_VALUES, "fn_index": JSON_VALUES | st.integers(-3, 60),
                           "session_hash": JSON_VALUES | st.just("abcdefghij")},
                          optional={"event_data": JSON_VALUES, "trigger_id": JSON_VALUES}),
)
FUZZED_ROUTES = ["/api/chat", "/api/chat/stream", "/api/feedback", "/v1/chat/completions", "/gradio_api/queue/join",
                 "/gradio_api/call/respond", "/gradio_api/run/load_example", "/gradio_api/run/predict"]


def test_generated_bodies_never_get_5xx(strict_app: tuple[str, Path]) -> None:
    base, _ = strict_app

    @hypothesis_settings(max_examples=150, deadline=None, database=None,
                         suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
    @given(path=st.sampled_from(FUZZED_ROUTES), value=SHAPED)
    def check(path: str, value: object) -> None:
        body = json.dumps(value, allow_nan=True).replace(f'"{HUGE}"', "9" * 5000).encode("utf-8", "surrogatepass")
        no_server_error(send(base, "POST", path, body, "application/json"), f"POST {path} {body[:200]!r}")

    check()


# --- one feedback path, under a limit of its own ---------------------------------------------------------

def gradio_dependency(base: str, api_name: str) -> int:
    config = httpx.get(f"{base}/config", timeout=30).json()
    return next(d["id"] for d in config["dependencies"] if d["api_name"] == api_name)


def rate_in_chat(base: str, client: str, session: str, exchange_id: str) -> dict:
    """A thumbs up in the chat page, as its queue sends it: the history (from the client) and the index of the
    rated message. The final queue message."""
    history = [{"role": "user", "content": [{"type": "text", "text": QUESTION}]},
               {"role": "assistant", "content": [{"type": "text", "text": "An answer."}],
                "metadata": {"id": exchange_id}}]
    body = {"data": [history], "fn_index": gradio_dependency(base, "rate"), "session_hash": session,
            "trigger_id": None, "event_data": {"index": 1, "value": "An answer.", "liked": True}}
    joined = httpx.post(f"{base}/gradio_api/queue/join", json=body, headers=as_client(client), timeout=30)
    assert joined.status_code == 200, joined.text
    return queue_completion(base, session, as_client(client), "the rating")


def ask_in_session(base: str, client: str, session: str) -> str:
    """A question in a chat session (the Gradio API's respond, with the session's hash): its exchange id."""
    started = httpx.post(f"{base}/gradio_api/call/respond", json={"data": [QUESTION, []], "session_hash": session},
                         headers=as_client(client), timeout=30)
    assert started.status_code == 200, started.text
    httpx.get(f"{base}/gradio_api/call/respond/{started.json()['event_id']}", headers=as_client(client), timeout=60)
    return stored_exchange(base, session)


def stored_exchange(base: str, conversation: str) -> str:
    from sqlalchemy import select

    from bot.owner.log import exchanges, open_engine
    from tests.conftest import make_settings

    engine = open_engine(make_settings(data_dir=_ROOTS[base] / "data"))
    try:
        for _ in range(100):
            with engine.connect() as conn:
                found = conn.execute(select(exchanges.c.id).where(exchanges.c.conversation_id == conversation)).scalar()
            if found:
                return found
            time.sleep(0.1)
    finally:
        engine.dispose()
    pytest.fail(f"no exchange of conversation {conversation}")


def rating_of(base: str, exchange_id: str) -> str | None:
    from sqlalchemy import select

    from bot.owner.log import feedback, open_engine
    from tests.conftest import make_settings

    engine = open_engine(make_settings(data_dir=_ROOTS[base] / "data"))
    try:
        with engine.connect() as conn:
            return conn.execute(select(feedback.c.rating).where(feedback.c.exchange_id == exchange_id)).scalar()
    finally:
        engine.dispose()


_ROOTS: dict[str, Path] = {}


@pytest.fixture
def app(strict_app: tuple[str, Path]) -> str:
    _ROOTS[strict_app[0]] = strict_app[1]
    return strict_app[0]


def test_chat_thumbs_rate_only_the_sessions_own_answers(app: str) -> None:
    client, session, other_session = new_client(), uuid.uuid4().hex[:11], uuid.uuid4().hex[:11]
    own = ask_in_session(app, client, session)
    others = ask_in_session(app, new_client(), other_session)

    assert rate_in_chat(app, client, session, others)["success"]  # another conversation's answer: not stored
    assert rate_in_chat(app, client, session, own)["success"]
    deadline = time.monotonic() + 10
    while rating_of(app, own) != "up":
        assert time.monotonic() < deadline, "the session's own answer was not rated"
        time.sleep(0.1)
    assert rating_of(app, others) is None
    # Ids that are no exchange's are turned away the same way (one more session, under limits of its own).
    for made_up in (str(uuid.uuid4()), "not-an-id"):
        assert rate_in_chat(app, new_client(), uuid.uuid4().hex[:11], made_up)["success"]


def test_feedback_has_a_limit_of_its_own_shared_by_api_and_chat(app: str) -> None:
    client, session = new_client(), uuid.uuid4().hex[:11]
    own = ask_in_session(app, client, session)  # question 1 of 3
    rating = {"exchange_id": own, "rating": "down"}
    statuses = [httpx.post(f"{app}/api/feedback", json=rating, headers=as_client(client), timeout=30).status_code
                for _ in range(4)]
    assert statuses == [204, 204, 204, 429]
    # The chat's thumbs count against the same feedback limit: limited, the up is not stored.
    message = rate_in_chat(app, client, session, own)
    assert message["success"]
    time.sleep(0.5)
    assert rating_of(app, own) == "down"
    # ...and ratings used none of the question allowance: two questions are left.
    for _ in range(2):
        assert httpx.post(f"{app}/api/chat", json={"message": QUESTION}, headers=as_client(client),
                          timeout=60).status_code == 200
    assert httpx.post(f"{app}/api/chat", json={"message": QUESTION}, headers=as_client(client),
                      timeout=60).status_code == 429


# --- errors in the API's own shape for any method and path -----------------------------------------------

def test_wrong_method_and_unknown_path_are_json_errors(app: str) -> None:
    for method, path, status, allow in (("GET", "/api/chat", 405, "POST"), ("PUT", "/api/feedback", 405, "POST"),
                                        ("DELETE", "/api/chat/stream", 405, "POST"), ("GET", "/api/nope", 404, None),
                                        ("POST", "/api/chat/", 404, None), ("POST", "/api/starters", 405, "GET")):
        response = httpx.request(method, app + path, headers=as_client(), timeout=30)
        assert response.status_code == status and isinstance(response.json()["error"], str), (method, path)
        assert response.headers.get("allow") == allow
    for method, path, status in (("GET", "/v1/chat/completions", 405), ("POST", "/v1/models", 405),
                                 ("GET", "/v1/nope", 404), ("DELETE", "/v1/models/careerbot", 405)):
        response = httpx.request(method, app + path, headers=as_client(**BEARER), timeout=30)
        error = response.json()["error"]
        assert response.status_code == status and error["type"] == "invalid_request_error" and error["message"]


def test_v1_checks_the_key_before_counting_a_question(app: str) -> None:
    conversation, wrong = f"conv-{uuid.uuid4().hex[:12]}", {"Authorization": "Bearer wrong-key"}
    body = {"model": "careerbot", "messages": [{"role": "user", "content": QUESTION}]}
    for _ in range(5):  # from many addresses, all naming one conversation: none counts against it
        refused = httpx.post(f"{app}/v1/chat/completions", json=body, timeout=30,
                             headers=as_client(**wrong, **{"X-Conversation-Id": conversation}))
        assert refused.status_code == 401 and refused.json()["error"]["code"] == "invalid_api_key"
    answered = httpx.post(f"{app}/v1/chat/completions", json=body, timeout=60,
                          headers=as_client(**BEARER, **{"X-Conversation-Id": conversation}))
    assert answered.status_code == 200
    assert httpx.post(f"{app}/v1/chat/completions", content=b'{"model": NaN}', timeout=30,
                      headers=as_client(**wrong)).status_code == 401  # before the body is even read


# --- /admin sessions end on sign-out; failed sign-ins are logged without flooding -------------------------

def test_signing_out_ends_the_session_on_the_server(app: str) -> None:
    client = new_client()
    signed_in = httpx.post(f"{app}/admin/login", data={"token": TOKEN}, headers=as_client(client), timeout=30)
    assert signed_in.status_code == 303
    jar = {"careerbot_admin": signed_in.cookies["careerbot_admin"]}
    assert httpx.get(f"{app}/admin", cookies=jar, headers=as_client(client), timeout=60).status_code == 200
    assert httpx.get(f"{app}/admin/export.jsonl", cookies=jar, headers=as_client(client), timeout=60).status_code == 200
    httpx.post(f"{app}/admin/logout", cookies=jar, headers=as_client(client), timeout=30)
    # The browser forgets the cookie; a copy of it (an old tab, a stolen cookie) no longer opens anything.
    assert httpx.get(f"{app}/admin", cookies=jar, headers=as_client(client), timeout=30).status_code == 401
    assert httpx.get(f"{app}/admin/export.csv", cookies=jar, headers=as_client(client), timeout=30).status_code == 401


def test_failed_sign_ins_are_logged_once_a_minute(strict_app: tuple[str, Path]) -> None:
    base, root = strict_app
    for _ in range(60):
        httpx.post(f"{base}/admin/login", data={"token": "wrong-token-000000"}, headers=as_client(), timeout=30)
    time.sleep(0.3)
    assert (root / "app.log").read_text().count("admin: sign-in with a wrong token") <= 2


# --- the Host check, file modes, offline docs -------------------------------------------------------------

def test_only_loopback_host_names_by_default(app: str) -> None:
    port = app.rsplit(":", 1)[1]
    for host in ("evil.example", f"evil.example:{port}", "192.168.1.20", "attacker.test:80"):
        assert httpx.get(f"{app}/health", headers={"Host": host}, timeout=30).status_code == 400, host
    for host in (f"localhost:{port}", f"127.0.0.1:{port}", "localhost"):
        assert httpx.get(f"{app}/health", headers={"Host": host}, timeout=30).status_code == 200, host


def test_allowed_hosts_setting() -> None:
    from bot.web.security import allowed_hosts
    from tests.conftest import make_settings

    assert allowed_hosts(make_settings(allowed_hosts=[], host="127.0.0.1")) == ["127.0.0.1", "localhost", "::1", "[::1]"]
    assert allowed_hosts(make_settings(allowed_hosts=[], host="0.0.0.0")) == ["*"]
    assert allowed_hosts(make_settings(allowed_hosts="bot.example.com, *.example.org")) == [
        "bot.example.com", "*.example.org"]


def test_the_exchange_log_is_private_to_its_user(app: str) -> None:
    assert httpx.post(f"{app}/api/chat", json={"message": QUESTION}, headers=as_client(), timeout=60).status_code == 200
    data = _ROOTS[app] / "data"
    time.sleep(0.5)
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    for path in data.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path.name


@pytest.mark.browser
def test_docs_load_nothing_from_elsewhere(app: str, page: object) -> None:
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(f"{app}/docs")
    page.locator(".swagger-ui .info .title").wait_for()
    page.get_by_text("/api/chat/stream").first.wait_for()
    assert requested and all(url.startswith(app + "/") for url in requested), requested
    assert httpx.get(f"{app}/redoc", timeout=30).status_code == 404


def test_docs_are_off_by_default(hardened_app: str) -> None:
    for path in ("/docs", "/redoc"):
        assert httpx.get(hardened_app + path, timeout=30).status_code == 404
    assert "/api/chat" in httpx.get(f"{hardened_app}/openapi.json", timeout=30).json()["paths"]
