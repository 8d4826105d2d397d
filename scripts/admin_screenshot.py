"""Takes docs/admin.png, the README's picture of the owner's page: python scripts/admin_screenshot.py

A month of conversations is made up for it: questions written here (none from the evaluation sets) are
answered for real by careerbot over the knowledge folder, recorded with times spread over the last 30 days,
and some rated; then `python app.py` (bot/testing/apprunner.py, as the load bench does) serves /admin and Debian's chromium signs in and takes the picture.
"""

from __future__ import annotations

import random
import secrets
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import bot  # noqa: E402,F401 - offline switches first
from bot.answer.pipeline import CareerBot  # noqa: E402
from bot.owner.log import ConversationLog, Exchange  # noqa: E402
from bot.ingest.indexing import ingest  # noqa: E402
from bot.settings import Settings  # noqa: E402

ANSWERABLE = [
    "What does a machine learning engineer do?",
    "Which skills does an ML engineer need?",
    "what degree do you need to become a machine learning engineer",
    "How do ML engineers deploy models?",
    "What is the career path of a machine learning engineer?",
    "do machine learning engineers write a lot of code",
    "How is an ML engineer different from a data scientist?",
]
GAPS = [
    "Will an AI company sponsor my work visa?",
    "do ML startups sponsor H-1B visas for engineers",
    "How do I get a work permit for a machine learning job abroad?",
    "How should I value the stock options in my offer?",
    "is startup equity worth taking a lower salary for",
    "How do I avoid burnout in a machine learning job?",
    "My ML job leaves me exhausted every week, what can I do?",
    "How do I find freelance machine learning clients?",
    "What should a freelance data scientist charge per day?",
    "Which GPU should I buy to train models at home?",
]
SMALL_TALK = ["hello", "thanks, that helps!"]
REASONS = ["too general, I wanted numbers", "didn't answer my question", "out of date"]


def seed(settings: Settings) -> None:
    careerbot = CareerBot(settings)
    log = ConversationLog(settings)
    rng = random.Random(11)
    now = datetime.now(UTC)
    rated: list[tuple[str, str, str | None]] = []
    for day in range(30):
        for _ in range(rng.randint(2, 5) + (day % 7 < 5) * 3):  # busier on weekdays
            conversation = uuid.uuid4().hex[:16]
            asked_at = now - timedelta(days=day, minutes=rng.randint(0, 600))
            questions = rng.sample(ANSWERABLE, rng.randint(1, 2)) + rng.sample(GAPS, rng.random() < 0.45)
            if rng.random() < 0.2:
                questions.insert(0, SMALL_TALK[0])
            for question in questions:
                started = time.perf_counter()
                answer = careerbot.answer(question)
                exchange = Exchange.of(answer, question, rng.choice(["web", "widget", "widget", "api"]),
                                       conversation, round((time.perf_counter() - started) * 1000))
                exchange.created_at = asked_at = asked_at + timedelta(seconds=rng.randint(20, 90))
                log.record(exchange)
                if answer.kind == "answer" and rng.random() < 0.3:
                    down = rng.random() < 0.2
                    rated.append((exchange.id, "down" if down else "up", rng.choice(REASONS) if down else None))
    log.flush(timeout=60)
    for exchange_id, rating, reason in rated:
        log.rate(exchange_id, rating, reason)
    log.close()


def main() -> None:
    from bot.testing.apprunner import running_app

    root = Path(tempfile.mkdtemp(prefix="careerbot-admin-shot-"))
    token = secrets.token_urlsafe(24)
    settings = Settings(_env_file=None, store_dir=root / "store", data_dir=root / "data",
                        knowledge_dir=REPO / "knowledge")
    ingest([str(settings.knowledge_dir)], settings, progress=False)
    seed(settings)
    env = {"CAREERBOT_DATA_DIR": str(settings.data_dir), "CAREERBOT_ADMIN_TOKEN": token}
    with running_app(settings.store_dir, env) as base_url:
        shoot(base_url, token, REPO / "docs" / "admin.png")


def shoot(base: str, token: str, path: Path) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        # The top of the page: summary, chart, content gaps, articles and the start of the conversations.
        page = browser.new_page(viewport={"width": 1100, "height": 2600})
        page.goto(f"{base}/admin")
        page.get_by_label("Admin token").fill(token)
        page.get_by_role("button", name="Sign in").click()
        page.get_by_role("heading", name="Content gaps").wait_for()
        page.screenshot(path=str(path))
        browser.close()
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
