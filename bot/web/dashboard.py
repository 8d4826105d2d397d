"""What the owner's page shows: the view model of /admin (questions per day, content gaps, article citations,
recent conversations) and its chart, drawn here as inline SVG (the page allows no script)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bot.conversation.catalog import Catalog
from bot.owner import insights
from bot.owner.log import ConversationLog
from bot.settings import Settings
from bot.web.display import http_url, public_source

LIST_LIMIT = 10  # articles per list
GAP_LIMIT = 10  # content gaps shown before 'smaller groups'
THREAD_LIMIT = 15  # recent conversations shown


@dataclass
class Bar:
    x: float
    width: float
    segments: list[tuple[str, float, float]]  # (css class, y, height)
    label: str  # the bar's tooltip


@dataclass
class Chart:
    width: int
    height: int
    bars: list[Bar]
    ticks: list[tuple[float, str, str]]  # (x, date label, text-anchor) under the bars
    top: int  # questions on the busiest day: the bars' full height


@dataclass
class Dashboard:
    days: int
    enabled: bool
    total: int = 0
    answered: int = 0
    declined: int = 0
    rated_up: int = 0
    rated_down: int = 0
    chart: Chart | None = None
    gaps: list[insights.Gap] | None = None
    most_cited: list[dict] | None = None
    least_cited: list[dict] | None = None
    threads: list[insights.Thread] | None = None
    knowledge_dir: Path | None = None

    def share(self, count: int) -> str:
        return f"{round(100 * count / self.total)}%" if self.total else "–"


def dashboard(settings: Settings, conversations: ConversationLog, catalog: Catalog, days: int) -> Dashboard:
    """Everything the page shows, read in one go (in a worker thread: these are blocking queries)."""
    view = Dashboard(days=days, enabled=conversations.enabled, knowledge_dir=settings.knowledge_dir)
    if not conversations.enabled:
        return view
    conversations.ensure_schema()
    engine = conversations.engine
    per_day = insights.questions_per_day(engine, days)
    view.total = sum(day.total for day in per_day)
    view.answered = sum(day.answered for day in per_day)
    view.declined = sum(day.declined for day in per_day)
    view.rated_up, view.rated_down = insights.ratings(engine, days)
    view.chart = day_chart(per_day)
    articles = catalog.articles()
    view.gaps = insights.content_gaps(engine, days, settings.gap_distance, settings.gap_max_questions, articles)
    uses = insights.article_uses(engine, days, articles)
    view.most_cited = [_article(use, settings) for use in insights.most_cited(uses, LIST_LIMIT)]
    view.least_cited = [_article(use, settings) for use in insights.least_cited(uses, articles, LIST_LIMIT)]
    view.threads = insights.recent_threads(engine, THREAD_LIMIT)
    return view


def _article(use: insights.ArticleUse, settings: Settings) -> dict:
    return {"title": use.title, "url": http_url(use.url), "citations": use.citations,
            "source": public_source(use.source, settings.knowledge_dir)}


CHART_WIDTH, CHART_HEIGHT, AXIS = 720, 200, 22  # SVG user units; the page scales it to its width


def day_chart(days: list[insights.Day]) -> Chart:
    """Stacked bars, one per day: answered, declined, small talk; a label under about every week."""
    top = max([day.total for day in days] + [1])
    slot = CHART_WIDTH / len(days)
    scale = (CHART_HEIGHT - AXIS) / top
    bars = []
    for i, day in enumerate(days):
        y: float = CHART_HEIGHT - AXIS
        segments: list[tuple[str, float, float]] = []
        for css, count in (("answered", day.answered), ("declined", day.declined), ("smalltalk", day.smalltalk)):
            if count:
                y -= count * scale
                segments.append((css, round(y, 1), round(count * scale, 1)))
        label = (f"{day.day:%a %d %b}: {day.total} question{'s' if day.total != 1 else ''}"
                 f" ({day.answered} answered, {day.declined} declined, {day.smalltalk} small talk)")
        bars.append(Bar(round(i * slot + slot * 0.15, 1), round(slot * 0.7, 1), segments, label))
    every = max(1, round(len(days) / 6))
    # Labels count back from today, the last one right-aligned so it stays inside the chart.
    ticks = [(round(i * slot + slot / 2, 1) if i < len(days) - 1 else CHART_WIDTH, f"{day.day:%d %b}",
              "middle" if i < len(days) - 1 else "end")
             for i, day in enumerate(days) if (len(days) - 1 - i) % every == 0]
    return Chart(CHART_WIDTH, CHART_HEIGHT, bars, ticks, top)


def thread_channel(thread: insights.Thread) -> str:
    return ", ".join(dict.fromkeys(turn.exchange.channel for turn in thread.turns))
