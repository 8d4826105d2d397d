"""Citations as a reader sees them: [1], [2]… in order of first use, one source per article, on the whole answer
and on a streamed one alike."""

import re
from collections.abc import Iterator, Sequence

from langchain_core.documents import Document

from bot.answer.backends.base import AnswerBackend
from bot.answer.pipeline import Answer, CareerBot
from bot.settings import Settings

QUESTION = "How much does a senior data analyst earn?"


class BackToFront(AnswerBackend):
    """Cites the retrieved passages last first, each in a sentence of its own, in small pieces (the composer's
    own order is the retrieval order, so it would never show the renumbering)."""

    name = "back-to-front"
    needs_check = False

    def stream(self, question: str, passages: Sequence[Document]) -> Iterator[str]:
        text = " ".join(f"{p.page_content.split('.')[0].strip()} [{i}]." for i, p in reversed(list(enumerate(passages, 1))))
        text += f" In short [{len(passages)}][1]."
        for start in range(0, len(text), 7):  # pieces end mid-marker ("[1" + "2]")
            yield text[start:start + 7]


def test_citations_are_numbered_in_order_of_first_use_one_per_article(library_settings: Settings):
    bot = CareerBot(library_settings, backend=BackToFront())
    passages = bot.retrieval_chain.invoke({"question": QUESTION, "history": []})["passages"]
    assert len(passages) >= 2 and len({p.metadata["source"] for p in passages}) < len(passages)  # an article twice
    answer = bot.answer(QUESTION)

    used = [int(n) for n in re.findall(r"\[(\d+)\]", answer.text)]
    assert used[0] == 1 and list(dict.fromkeys(used)) == list(range(1, max(used) + 1))
    assert [s.n for s in answer.sources] == list(range(1, len(answer.sources) + 1))
    articles = [s.source for s in answer.sources]
    assert len(articles) == len(set(articles)) == len({p.metadata["source"] for p in passages})
    quoted = [q.text for s in answer.sources for q in s.quotes]
    assert sorted(quoted) == sorted(p.page_content for p in passages)  # each passage listed under its article
    for source in answer.sources:
        assert all(p.metadata["source"] == source.source
                   for p in passages if p.page_content in {q.text for q in source.quotes})
    assert "[1][1]" not in answer.text  # one number written once in a run


def test_a_streamed_answer_is_numbered_as_the_whole_one(library_settings: Settings):
    bot = CareerBot(library_settings, backend=BackToFront())
    pieces = list(bot.stream(QUESTION))
    final = pieces[-1]
    assert isinstance(final, Answer)
    streamed = "".join(pieces[:-1])
    assert streamed.strip() == final.text == bot.answer(QUESTION).text
    assert re.search(r"\[(\d+)\]", streamed).group(1) == "1"


def test_pieces_split_anywhere_are_numbered_as_the_whole_text():
    from bot.answer.citations import Numbering, StreamNumbering

    articles = ["a.md", "b.md", "a.md", "c.md", "b.md", "a.md"]  # passage n's article at n - 1
    text = "X [6]. Y [2][4] z [1] [3]. W [5] [6]. [2]  [4]\t[6] v[5][5] [1] and [2024"
    whole = Numbering(articles).text(text)
    assert whole == "X [1]. Y [2][3] z [1]. W [2] [1]. [2]  [3]\t[1] v[2] [1] and [2024"
    for size in range(1, 8):
        for offset in range(size):
            stream = StreamNumbering()
            stream.know([Document(page_content="", metadata={"source": a}) for a in articles])
            cuts = [0, *range(offset or size, len(text), size), len(text)]
            pieces = [stream.piece(text[a:b]) for a, b in zip(cuts, cuts[1:])]
            assert "".join(pieces) + stream.rest() == whole, (size, offset)
