"""Each seam grows by one new class plus one registration line: a toy backend, a toy loader and a toy web
source registered here are used by the real settings, chain, ingest and web layer, with nothing else edited."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import pytest
from langchain_core.documents import Document

from bot.answer.backends import BACKENDS, AnswerBackend, make_backend
from bot.answer.pipeline import CareerBot
from bot.settings import Settings
from bot.web.streaming import answer_gate
from tests.conftest import make_settings


class Echo(AnswerBackend):
    """Answers with the first passage, cited; a toy with the traits of a generating backend."""

    name = "echo"

    @classmethod
    def concurrency(cls) -> int:
        return 3

    def stream(self, question: str, passages: Sequence[Document]) -> Iterator[str]:
        yield passages[0].page_content.split(". ")[0] + "."
        yield " [1]"


def test_a_registered_backend_is_chosen_by_settings_and_answers_through_the_chain(
        monkeypatch: pytest.MonkeyPatch, seeded_settings: Settings) -> None:
    with pytest.raises(ValueError, match="unknown backend 'echo'"):
        make_settings(backend="echo")
    monkeypatch.setitem(BACKENDS, "echo", Echo)  # the registration line
    settings = make_settings(knowledge_dir=seeded_settings.knowledge_dir, store_dir=seeded_settings.store_dir,
                             data_dir=seeded_settings.data_dir, backend="echo")
    assert isinstance(make_backend("echo", settings), Echo) and answer_gate(settings).total_tokens == 3
    answer = CareerBot(settings).answer("What salary does a machine learning engineer earn?")
    assert answer.backend == "echo" and answer.notice is None and answer.text.endswith("[1]") and answer.sources


def test_a_backend_named_by_its_module_is_imported_only_when_chosen(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(BACKENDS, "echo", "tests.test_registries:Echo")
    assert type(make_backend("echo")) is Echo


def test_a_registered_loader_reads_its_files_and_pages(monkeypatch: pytest.MonkeyPatch, settings: Settings) -> None:
    from bot.ingest import loaders, sites
    from bot.ingest.indexing import ingest
    from bot.ingest.watch import is_article

    monkeypatch.setitem(loaders.LOADERS, ".csv", None)  # so the registration below is undone after the test

    @loaders.loader(".csv", content_types=("text/csv",))  # the registration line
    def load_csv(article: loaders.Article) -> Document:
        rows = article.data.decode().splitlines()
        return Document(page_content="\n".join(f"- {row.replace(',', ': ')}" for row in rows),
                        metadata={"source": article.source, "title": "Pay table", "path": article.path})

    table = settings.knowledge_dir / "pay.csv"
    table.write_text("Data engineer,130K to 180K a year in the United States\nAnalyst,90K to 120K a year in Ohio\n")
    assert list(loaders.iter_files(settings.knowledge_dir)) == [table] and is_article(None, str(table))
    assert loaders.suffix_for("text/csv") == ".csv" and "text/csv" in sites._page_types()
    report = ingest([str(settings.knowledge_dir)], settings, progress=False)
    assert report.added == ["pay.csv"] and not report.failed


def test_a_registered_web_source_is_fetched_and_ingested(monkeypatch: pytest.MonkeyPatch, settings: Settings) -> None:
    from bot.ingest import sites
    from bot.ingest.indexing import ingest
    from bot.testing.siteserver import Route, SiteServer

    class LinkList(sites.Site):
        """A plain-text page listing page URLs, one a line."""

        kind = "links"

        def _found(self, stored, bar):  # noqa: ANN001, ANN202 - the base class's signature
            listing = self._fetcher.fetch(self.url, max_bytes=2**20, site=self.url).data.decode()
            for url in listing.split():
                self._listed.add(url)
                yield url, self._load_page(url, stored.get(url))

    monkeypatch.setitem(sites.SOURCES, "links", LinkList)  # the registration line
    server = SiteServer()
    server.page("/ml-engineer", "What ML engineers do", "Machine learning engineers build and deploy models. "
                "They write Python every day and review each other's pipelines.")
    server.routes["/links.txt"] = Route(body=f"{server.url}/ml-engineer\n".encode(), content_type="text/plain")
    with server.running():
        source = sites.SOURCES["links"](server.url + "/links.txt", settings.model_copy(update={"crawl_delay_s": 0.0}))
        report = ingest([], settings, sites=[source], progress=False)
    assert report.added == [server.url + "/ml-engineer"] and not report.failed
