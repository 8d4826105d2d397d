"""The library index (BM25 and the chunks' vectors) stays in step with the Chroma collection, whoever writes to it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from bot.answer.pipeline import CareerBot
from bot.ingest.indexing import ingest
from bot.retrieval.index import LibraryIndex, tokens
from bot.settings import Settings
from bot.store import get_collection, revision


def _ids(careerbot: CareerBot, query: str) -> set[str]:
    return {p.metadata["source"] for p in careerbot.retriever.rank(query)}


def _synced(settings: Settings) -> LibraryIndex:
    index = LibraryIndex()
    collection = get_collection(settings)
    index.sync(collection, revision(settings)(collection))
    return index


def test_index_follows_ingest_update_delete_and_rebuild(settings: Settings, write_article) -> None:
    write_article("a.md", "# Quokka careers\n\nQuokka wranglers earn a modest salary in Perth.\n")
    ingest([str(settings.knowledge_dir)], settings, progress=False)
    careerbot = CareerBot(settings)
    assert careerbot.retriever.index.size == 0  # built on the first query, not before
    assert "a.md" in _ids(careerbot, "quokka wranglers")
    assert careerbot.retriever.index.document_frequency(tokens("quokka")[0]) == 1

    write_article("a.md", "# Wombat careers\n\nWombat keepers earn a modest salary in Perth.\n")
    ingest([str(settings.knowledge_dir)], settings, progress=False)
    careerbot.retriever.rank("wombat keepers")
    assert careerbot.retriever.index.document_frequency(tokens("quokka")[0]) == 0
    assert careerbot.retriever.index.document_frequency(tokens("wombat")[0]) == 1

    (settings.knowledge_dir / "a.md").unlink()
    write_article("b.md", "# Platypus careers\n\nPlatypus trainers earn a modest salary in Hobart.\n")
    ingest([str(settings.knowledge_dir)], settings, prune=True, progress=False)
    careerbot.retriever.rank("platypus")
    assert careerbot.retriever.index.document_frequency(tokens("wombat")[0]) == 0
    assert careerbot.retriever.index.size == 1

    ingest([str(settings.knowledge_dir)], settings, rebuild=True, progress=False)
    careerbot.retriever.rank("platypus")
    assert careerbot.retriever.index.size == 1
    assert careerbot.retriever.index.search("platypus trainers", 3)[0][0] in get_collection(settings).get()["ids"]


def test_a_second_process_writing_is_seen_by_a_running_retriever(settings: Settings, write_article) -> None:
    write_article("a.md", "# Quokka careers\n\nQuokka wranglers earn a modest salary in Perth.\n")
    ingest([str(settings.knowledge_dir)], settings, progress=False)
    careerbot = CareerBot(settings)
    careerbot.retriever.rank("quokka")
    write_article("b.md", "# Echidna careers\n\nEchidna groomers are paid by the hour in Adelaide.\n")
    subprocess.run(
        [sys.executable, "ingest.py", str(settings.knowledge_dir)], check=True, timeout=300,
        cwd=Path(__file__).parents[1], capture_output=True,
        env={**__import__("os").environ, "CAREERBOT_STORE_DIR": str(settings.store_dir),
             "CAREERBOT_KNOWLEDGE_DIR": str(settings.knowledge_dir)},
    )
    hits = careerbot.retriever.index.search("echidna", 3)
    assert hits == []  # not yet synced: the next query syncs
    assert "b.md" in _ids(careerbot, "echidna groomers")
    assert careerbot.retriever.index.document_frequency(tokens("echidna")[0]) == 1


def test_index_built_from_a_collection_matches_a_fresh_one(library_settings: Settings) -> None:
    index = _synced(library_settings)
    assert index.size == get_collection(library_settings).count()
    assert index.misspelt("salery") == "salary"
    assert index.misspelt("truck") is None


def test_a_misspelling_is_an_edit_or_two_from_the_word_typed_furthest(settings: Settings, write_article) -> None:
    write_article("a.md", "# Review work\n\nProtocols aim for a recall of 75%, a real test of statistics skills "
                          "in the field for an associate.\n")
    ingest([str(settings.knowledge_dir)], settings, progress=False)
    index = _synced(settings)
    # One edit from both "recall" and "real": the word typed right up to the slip, whatever the set order.
    assert index.misspelt("recal") == "recall"
    assert index.misspelt("statistcs") == "statistics"
    assert index.misspelt("feild") == "field"  # the second letter swapped with the third
    assert index.misspelt("faeld") == "field"  # the second letter the slip
    assert index.misspelt("fld") is None and index.misspelt("rield") is None  # too short; the first letter is typed
    assert index.completed("assoc") == tokens("associate")[0]  # no dictionary word: a clipping, one letter short
    # A word formed from a library word is three edits from it: no misspelling.
    assert index.misspelt("statistician") is None


def test_a_misspelling_read_by_its_stem_is_the_same_word_in_every_process(settings: Settings, write_article) -> None:
    # "ricorder" is two edits from "recorders" and one from the stem all three words share: which of them it stands
    # for was a set's order, which changes from process to process (PYTHONHASHSEED), so replicas answered differently.
    write_article("a.md", "# Studio work\n\nRecorders log every take; recording runs late; we record twice.\n")
    ingest([str(settings.knowledge_dir)], settings, progress=False)
    script = ("import sys; from tests.test_index import _synced; from bot.settings import Settings; "
              "print(_synced(Settings(store_dir=sys.argv[1], knowledge_dir=sys.argv[2])).misspelt('ricorder'))")
    found = {subprocess.run([sys.executable, "-c", script, str(settings.store_dir), str(settings.knowledge_dir)],
                            capture_output=True, text=True, check=True, cwd=Path(__file__).parents[1], timeout=120,
                            env={**__import__("os").environ, "PYTHONHASHSEED": seed}).stdout.strip()
             for seed in ("1", "2", "3", "4")}
    assert found == {"recorders"}


def test_a_shortened_word_is_completed_from_its_stem(library_settings: Settings) -> None:
    index = _synced(library_settings)
    assert index.completed("stats") == tokens("statistics")[0]  # its stem "stat" is the prefix
    assert index.completed("math") is None  # the library never writes mathematics


def test_a_shortened_word_is_completed_to_a_longer_word_not_to_a_near_namesake(settings: Settings, write_article) -> None:
    # "stating" (stem "state") is commoner here than "statistics", but "stat" is no clipping of "state".
    write_article("a.md", "# Reports\n\nStating the goal first helps. Stating the audience helps too.\n")
    write_article("b.md", "# Methods\n\nStating the method matters. Analysts learn statistics early.\n")
    ingest([str(settings.knowledge_dir)], settings, progress=False)
    assert _synced(settings).completed("stats") == tokens("statistics")[0]


def test_a_word_is_no_clipping_of_a_longer_one_that_leaves_a_word_behind(settings: Settings, write_article) -> None:
    # "doors" starts "doorbells" and "fried" starts "Friedrich", but neither is short for them: the letters cut off
    # ("bell", "rich") are a word of their own, as no clipping leaves ("stats": stat + istics).
    write_article("a.md", "# Smart homes\n\nFriedrich fits doorbells and reads statistics on them; cybersecurity "
                          "and infrastructure teams review them.\n")
    ingest([str(settings.knowledge_dir)], settings, progress=False)
    index = _synced(settings)
    assert index.completed("doors") is None and index.completed("fried") is None
    assert index.completed("stats") == tokens("statistics")[0]
    # Clippings readers rarely say whole are still read, whatever word their ending makes ("security", "structure").
    assert index.completed("cyber") == tokens("cybersecurity")[0]
    assert index.completed("infra") == tokens("infrastructure")[0]


def test_a_three_letter_clipping_is_completed_only_to_the_one_library_word_it_starts(settings: Settings,
                                                                                      write_article) -> None:
    write_article("a.md", "# Seasonal adjustment\n\nAnalysts run retail and retention reports.\n")
    ingest([str(settings.knowledge_dir)], settings, progress=False)
    index = _synced(settings)
    assert index.completed("adj") == tokens("adjustment")[0]
    assert index.completed("ret") is None  # retail or retention: no telling which
    # So "adj" is no unknown subject (the model puts it near "an occupation") but the library's word.
    assert CareerBot(settings).retriever.unknown_subject("what tools do analysts use for seasonal adj?") is None


def test_a_misspelling_is_no_clipping_by_its_stem(settings: Settings, write_article) -> None:
    # "resue" stems to "resu", which starts "results": the stem of a plural clips ("stats"), a typo's does not.
    write_article("a.md", "# Results\n\nThe results of a resume review. Results vary; results matter. Statistics.\n")
    ingest([str(settings.knowledge_dir)], settings, progress=False)
    index = _synced(settings)
    assert index.completed("resue") is None and index.misspelt("resue") == "resume"
    assert index.completed("stats") == tokens("statistics")[0]


def test_a_misspelling_of_another_form_of_a_library_word_is_found_by_its_stem(settings: Settings,
                                                                              write_article) -> None:
    write_article("a.md", "# Field work\n\nAcoustic recorders and teams specialising in bats.\n")
    ingest([str(settings.knowledge_dir)], settings, progress=False)
    index = _synced(settings)
    assert index.misspelt("ricorder") == "recorders"  # two edits from the word, one from its stem
    assert index.misspelt("specialisations") is None  # another form of "specialising", no misspelling


def test_a_short_word_with_two_letters_swapped_or_a_double_letter_typed_once_is_found(settings: Settings,
                                                                                     write_article) -> None:
    write_article("a.md", "# Shipping\n\nShipping analysts in Oslo earn NOK 650,000 a year with good tools. Their "
                          "tools pay tolls.\n")
    write_article("b.md", "# Tooling\n\nAnalysts compare their tools every year.\n")
    ingest([str(settings.knowledge_dir)], settings, progress=False)
    index = _synced(settings)
    assert index.slipped("Olso") == "oslo"
    assert index.slipped("Oslo") is None and index.slipped("Olos") is None  # as written / no one swap away
    # A double letter typed once is the other slip read in a short word; any other letter dropped is not.
    assert index.slipped("tols") == "tools" and index.slipped("tool") is None  # "tolls": in fewer passages


def test_a_word_typed_without_vowels_is_spelled_out_from_the_library(settings: Settings, write_article) -> None:
    write_article("a.md", "# Reviews\n\nHiring managers read the proposal twice. A margin note helps.\n")
    write_article("b.md", "# Timelines\n\nMost analysts need two years before a senior title.\n")
    ingest([str(settings.knowledge_dir)], settings, progress=False)
    index = _synced(settings)
    assert index.spelled_out("mgrs") == "managers"
    assert index.spelled_out("yrs") == "years"
    # "proposal" holds p, p, l in order too, but leaves out more of its consonants than the stopword "people".
    assert index.spelled_out("ppl") == "people"
    assert index.spelled_out("xqz") is None


def test_a_word_written_closed_up_is_read_as_the_two_library_words(settings: Settings, write_article) -> None:
    write_article("bidding.md", "# ML in ad tech\n\nAd tech engineers build bidding models. On-call duty comes round one "
                                "week in every six. Few are able to understand the auction.\n")
    ingest([str(settings.knowledge_dir)], settings, progress=False)
    retriever = CareerBot(settings).retriever
    assert retriever.corrected("how often are adtech engineers on call?") == (
        "how often are adtech (ad tech) engineers on call?")
    assert retriever.invoke("how often are adtech engineers on call?")
    assert retriever.index.compound("oncall") is None  # "on" is no word the index holds
    # A library word and an ending are one longer word, not two: "understandable" is no "understand able".
    assert retriever.index.compound("understandable") is None


def test_a_numeronym_is_read_as_the_library_word_it_counts(settings: Settings, write_article) -> None:
    write_article("mt.md", "# Localization careers\n\nMTPE, machine translation post-editing, is most of the volume in "
                           "localization. Teams deploy engines on Kubernetes.\n")
    ingest([str(settings.knowledge_dir)], settings, progress=False)
    careerbot = CareerBot(settings)
    assert careerbot.retriever.corrected("in l10n what does mtpe stand for") == "in localization what does mtpe stand for"
    assert careerbot.retriever.index.numeronym("k8s") == "kubernetes"
    assert careerbot.retriever.index.numeronym("i18n") is None  # no library word has that shape
    assert careerbot.retriever.corrected("b2b saas and h1b visas") == "b2b saas and h1b visas"  # counts under three
    assert "machine translation post-editing" in careerbot.answer("in l10n what does mtpe stand for?").text


_RANKING_SCRIPT = """
import json, sys
from bot.answer.pipeline import CareerBot
from bot.settings import Settings
bot = CareerBot(Settings(_env_file=None, store_dir=sys.argv[1], knowledge_dir=sys.argv[2]))
print(json.dumps([[p.id for p in bot.retriever.rank(q, limit=40)] for q in json.loads(sys.argv[3])]))
"""


def test_dense_candidates_are_the_exact_nearest_the_same_in_every_process(settings: Settings) -> None:
    """Chroma's HNSW index is approximate, and below its sync threshold an embedded store builds it afresh, at
    random, in each process: two replicas found different candidates for one question. 990 random vectors make
    that index miss some of a query's 40 nearest in nearly every process; the retriever must find exactly those
    40, in order, in this process and in another one."""
    import json

    import numpy as np

    vectors = np.random.default_rng(7).standard_normal((990, 384)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    ids = [f"c{i:03d}" for i in range(len(vectors))]
    # No words to match: the ranking is the dense search's alone.
    get_collection(settings).add(ids=ids, embeddings=vectors, documents=["." for _ in ids],
                                 metadatas=[{"source": f"{i}.md", "chunk_hash": i} for i in ids])
    questions = ["What does a data engineer do?", "How much do analysts earn?", "Is a PhD needed?",
                 "Which tools should I learn?", "How do I switch careers?", "What is MLOps?",
                 "Do bootcamps work?", "How long is the interview loop?", "Remote or office?"]
    retriever = CareerBot(settings).retriever
    ranked = [[p.id for p in retriever.rank(q, limit=40)] for q in questions]

    from bot.embeddings import embed_query

    for question, found in zip(questions, ranked):
        scores = vectors @ np.asarray(embed_query(question), dtype=np.float32)
        assert found == [ids[i] for i in np.argsort(-scores, kind="stable")[:40]], question
    other_process = subprocess.run(
        [sys.executable, "-c", _RANKING_SCRIPT, str(settings.store_dir), str(settings.knowledge_dir),
         json.dumps(questions)], check=True, timeout=300, cwd=Path(__file__).parents[1], capture_output=True,
        text=True)
    assert json.loads(other_process.stdout.strip().splitlines()[-1]) == ranked


def test_equal_scores_are_ordered_by_id_even_at_the_last_place_kept(settings: Settings) -> None:
    """The same passage stored under several articles has one vector: which of them are kept must not depend on how
    numpy partitions the scores (that differs between CPUs; here it would keep c04 over c03)."""
    ids = [f"c{i:02d}" for i in range(61)]
    vectors = [[1.0, 0.0] if chunk_id == "c30" else [0.6, 0.8] for chunk_id in ids]
    get_collection(settings).add(ids=ids, embeddings=vectors, documents=["." for _ in ids],
                                 metadatas=[{"source": f"{i}.md"} for i in ids])
    index = _synced(settings)
    assert [i for i, _ in index.nearest([1.0, 0.0], 5)] == ["c30", "c00", "c01", "c02", "c03"]


def test_a_chunk_the_index_has_yet_to_read_is_scored_by_its_stored_vector(settings: Settings) -> None:
    """A section a follow-up names is read from Chroma, which may be ahead of the index (a Chroma server's index
    looks for same-size updates only now and then): its similarity comes from the vector Chroma stores."""
    from bot.retrieval.retriever import _Ranking

    collection = get_collection(settings)
    collection.add(ids=["x"], embeddings=[[0.6, 0.8, 0.0]], documents=["A passage."], metadatas=[{"source": "x.md"}])
    ranking = _Ranking(["x"], {}, [1.0, 0.0, 0.0], lambda ids: {})
    assert ranking.passages(collection, 1)[0].metadata["score"] == 0.6
