import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from bot.embeddings import EncoderEmbeddings, _QueryBatcher, embed_query, get_embeddings

QUESTIONS = [f"question {i} about {topic}?" for i, topic in enumerate(
    ["salaries", "Python", "degrees", "data scientists", "deployment", "interviews", "portfolios", "statistics"] * 3)]


def test_concurrent_questions_get_their_own_vectors():
    with ThreadPoolExecutor(max_workers=12) as pool:
        batched = list(pool.map(embed_query, QUESTIONS))
    alone = get_embeddings().embed_documents(QUESTIONS)
    assert np.allclose(batched, alone, atol=1e-5)
    assert len({tuple(np.round(v, 4)) for v in batched}) == len(set(QUESTIONS))


def test_a_question_finding_the_model_idle_goes_alone_and_those_arriving_meanwhile_go_together(monkeypatch):
    sizes: list[int] = []
    encode = EncoderEmbeddings.embed_documents

    def slow(self: EncoderEmbeddings, texts: list[str]) -> list[list[float]]:
        sizes.append(len(texts))
        time.sleep(0.3)  # the model is busy while the others arrive
        return encode(self, texts)

    monkeypatch.setattr(EncoderEmbeddings, "embed_documents", slow)
    batcher = _QueryBatcher()
    with ThreadPoolExecutor(max_workers=9) as pool:
        first = pool.submit(batcher.embed, "the first question")
        time.sleep(0.1)
        rest = [pool.submit(batcher.embed, q) for q in QUESTIONS[:8]]
        vectors = [first.result()] + [f.result() for f in rest]
    assert sizes == [1, 8] and len(vectors) == 9


def test_query_vectors_are_normalised_like_passages():
    assert abs(np.linalg.norm(embed_query("What does a machine learning engineer do?")) - 1.0) < 1e-5


# Late chunking: unit vectors from the chunk's own forward pass (bot/ingest/indexing.py:_embed).

def _library_chunks() -> list:
    from bot.ingest.chunking import split_document
    from bot.ingest.loaders import iter_files, parse, read_file
    from tests.conftest import LIBRARY, make_settings

    settings = make_settings(knowledge_dir=LIBRARY)
    return [c for f in iter_files(LIBRARY) for c in split_document(parse(read_file(f, settings)), 120, 20)]


def test_late_chunked_unit_vectors_stay_close_to_separately_encoded_ones() -> None:
    """Each unit's vector from its chunk's pass against the same unit embedded on its own with its context
    (what ingest stored before): the cosine is reported and bounded, and within its chunk a unit's late
    vector is nearest its own separately-encoded vector more often than not. Measured on the development
    library (1,356 units): mean cosine 0.87, own unit nearest 67%; here (31 units) 0.91 and 54%. Pooling the
    whole chunk for every unit instead gives 0.87 and 27% here."""
    from sentence_transformers import SentenceTransformer

    from bot.ingest.chunking import embedding_text
    from bot.embeddings import ONNX_MIN_COSINE, get_encoder, model_path, unpack_vectors
    from bot.ingest.indexing import _embed
    from bot.text import passage_units, unit_context, with_context

    chunks = _library_chunks()
    embedded = _embed(chunks)
    # The chunk vector is sentence-transformers' (up to the verified precision of the ingest encoder: bf16
    # products where the CPU has them).
    reference = SentenceTransformer(model_path(), device="cpu", local_files_only=True)
    expected = reference.encode([embedding_text(c) for c in chunks], normalize_embeddings=True)
    assert ((np.asarray([e.vector for e in embedded]) * expected).sum(axis=1) >= ONNX_MIN_COSINE).all()

    cosines, own_nearest, units_in_multi = [], 0, 0
    for chunk, found in zip(chunks, embedded):
        units = passage_units(chunk.page_content)
        late = unpack_vectors(found.unit_vectors)
        assert late.shape == (len(units), 384)
        alone = get_encoder().encode([with_context(unit_context(chunk.metadata.get("heading_path"), u), u.text)
                                      for u in units])
        similarity = late @ alone.T
        cosines += np.diag(similarity).tolist()
        if len(units) > 1:
            own_nearest += int((similarity.argmax(axis=1) == np.arange(len(units))).sum())
            units_in_multi += len(units)
    mean, low, share = float(np.mean(cosines)), float(np.min(cosines)), own_nearest / units_in_multi
    print(f"late vs separately-encoded unit vectors: {len(cosines)} units, mean cosine {mean:.3f}, "
          f"min {low:.3f}, own unit nearest within its chunk {share:.0%}")
    assert mean >= 0.8 and low >= 0.3 and share >= 0.45
    # CAREERBOT_UNIT_VECTORS=separate: every unit encoded on its own with its context, as before.
    separate = unpack_vectors(_embed(chunks[:1], "separate")[0].unit_vectors)
    units = passage_units(chunks[0].page_content)
    alone = get_encoder().encode([with_context(unit_context(chunks[0].metadata.get("heading_path"), u), u.text)
                                  for u in units])
    assert ((separate * alone).sum(axis=1) > 0.999).all()


def test_a_unit_past_the_models_window_is_encoded_on_its_own() -> None:
    """A chunk longer than 256 word pieces is truncated by the model: its units past the window get the
    vector of the unit encoded alone with its context, not a vector of tokens the model never saw."""
    from langchain_core.documents import Document

    from bot.embeddings import get_encoder, unpack_vectors
    from bot.ingest.indexing import _embed, unit_spans
    from bot.text import passage_units

    sentences = [f"Sentence {i} says that analytics engineers review dashboards and write tests." for i in range(30)]
    chunk = Document(" ".join(sentences), metadata={"title": "Long", "heading_path": "Long"})
    vectors = unpack_vectors(_embed([chunk])[0].unit_vectors)
    assert len(vectors) == 30
    alone = get_encoder().encode([f"Long {sentences[-1]}"])[0]
    assert float(vectors[-1] @ alone) > 0.999  # the last unit: far past the window, encoded alone
    text = f"Long\n{chunk.page_content}"
    first = unit_spans(text, 5, passage_units(chunk.page_content), "Long")[:1]  # heading and first sentence
    late = get_encoder().encode_late([text], [first])[1][0][0]
    assert late is not None and float(vectors[0] @ late) > 0.999  # the first unit: from the chunk's pass
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-2)


# The ONNX Runtime encoder: exported once, verified against torch, cached; a failed verification keeps torch.

def test_the_onnx_encoder_is_verified_against_torch_and_gives_its_vectors() -> None:
    import json

    from bot.embeddings import ONNX_MIN_COSINE, OnnxEncoder, TorchEncoder, load_encoder, model_path, onnx_cache_dir
    from bot.settings import get_settings

    encoder_dir = get_settings().encoder_cache_dir()
    onnx = load_encoder("onnx", encoder_dir)
    assert isinstance(onnx, OnnxEncoder)
    verdict = json.loads((onnx_cache_dir(encoder_dir, model_path()) / "verdict.json").read_text())
    assert verdict["verified"] and verdict["min_cosine"] >= ONNX_MIN_COSINE
    texts = QUESTIONS + ["Data engineers > Tools\n- Airflow — schedules pipelines\n- dbt — models the warehouse"]
    assert ((onnx.encode(texts) * TorchEncoder(model_path()).encode(texts)).sum(axis=1) >= ONNX_MIN_COSINE).all()


def test_an_onnx_export_failing_verification_stays_on_torch_and_says_why(tmp_path, monkeypatch, caplog) -> None:
    import bot.embeddings
    from bot.embeddings import TorchEncoder, load_encoder

    monkeypatch.setattr(bot.embeddings, "ONNX_MIN_COSINE", 1.01)  # no export can meet it
    with caplog.at_level("WARNING", logger="bot.embeddings"):
        encoder = load_encoder("onnx", tmp_path)
    assert isinstance(encoder, TorchEncoder)
    assert "ONNX encoder not used, staying on torch: min cosine to torch" in caplog.text
    # The verdict is kept: the next start stays on torch at once, without exporting again.
    caplog.clear()
    monkeypatch.setattr(bot.embeddings, "export_onnx", lambda *a: (_ for _ in ()).throw(AssertionError("exported")))
    with caplog.at_level("WARNING", logger="bot.embeddings"):
        assert isinstance(load_encoder("onnx", tmp_path), TorchEncoder)
    assert "staying on torch: min cosine to torch" in caplog.text


def test_an_inflected_word_is_a_word_and_a_misspelling_is_not():
    from bot.embeddings import is_dictionary_word

    assert is_dictionary_word("potter") and is_dictionary_word("potters")  # potter + s: a plural, not a typo
    assert is_dictionary_word("toughest") and is_dictionary_word("scariest")  # tough + est: a superlative
    assert all(map(is_dictionary_word, ["electrician", "journeyman", "mentorship"]))  # electric + ian, journey + man
    assert not is_dictionary_word("analist")  # anal + ist: a misspelt "analyst"
    assert not is_dictionary_word("enginer") and not is_dictionary_word("rejectd") and not is_dictionary_word("salery")


def test_an_english_word_the_vocabulary_splits_is_a_word_too():
    from bot.embeddings import is_common_word, is_dictionary_word

    # WordPiece splits them (per + ##ks, ho + ##bbies), but they are words, not typos of "peaks" or "hobbits".
    for word in ("perks", "hobbies", "paycheck", "burnout", "counteroffer"):
        assert is_dictionary_word(word) and not is_common_word(word), word
    assert not any(map(is_dictionary_word, ["recieve", "experiance", "managment", "carreer"]))
    assert not is_dictionary_word("codding")  # a word nobody says: as likely a slip of "coding"


def test_an_inflected_word_split_by_the_vocabulary_may_misspell_its_doubled_consonant_form():
    from bot.embeddings import doubled_consonant, is_dictionary_word

    assert is_dictionary_word("shiping")  # ship + ing: the vocabulary can't tell it from a real word
    assert doubled_consonant("shiping") == "shipping" and doubled_consonant("stoped") == "stopped"
    # A whole vocabulary word, or an ending after a vowel or without one of its own, doubles nothing.
    assert doubled_consonant("shipping") is None and doubled_consonant("potters") is None


# torch with bf16 matrix products: verified against fp32 torch at start; a failed verification keeps fp32.

def test_the_bf16_encoder_is_verified_against_fp32_torch_and_gives_its_vectors() -> None:
    from bot.embeddings import ONNX_MIN_COSINE, TorchEncoder, load_encoder
    from bot.settings import get_settings

    bf16 = load_encoder("torch-bf16", get_settings().encoder_cache_dir())
    assert isinstance(bf16, TorchEncoder) and bf16.bf16 and bf16.name == "torch-bf16"
    texts = QUESTIONS + ["Data engineers > Tools\n- Airflow — schedules pipelines\n- dbt — models the warehouse"]
    vectors, reference = bf16.encode(texts), bf16.fp32().encode(texts)
    assert ((vectors * reference).sum(axis=1) >= ONNX_MIN_COSINE).all()
    assert not np.array_equal(vectors, reference)  # the bf16 pass did run: its last bits differ


def test_a_bf16_encoder_failing_verification_stays_on_fp32_and_says_why(tmp_path, monkeypatch, caplog) -> None:
    import bot.embeddings
    from bot.embeddings import TorchEncoder, load_encoder

    monkeypatch.setattr(bot.embeddings, "ONNX_MIN_COSINE", 1.01)  # nothing can meet it
    with caplog.at_level("WARNING", logger="bot.embeddings"):
        encoder = load_encoder("torch-bf16", tmp_path)
    assert isinstance(encoder, TorchEncoder) and not encoder.bf16 and encoder.name == "torch"
    assert "bf16 encoder not used, staying on fp32 torch: min cosine to fp32" in caplog.text


def _ingest_encoder(monkeypatch, setting: str, has_bf16: bool):
    import bot.embeddings
    from bot.settings import get_settings

    monkeypatch.setenv("CAREERBOT_INGEST_ENCODER", setting)
    monkeypatch.setattr(bot.embeddings, "cpu_has_bf16", lambda: has_bf16)
    get_settings.cache_clear()
    bot.embeddings.get_ingest_encoder.cache_clear()
    try:
        return bot.embeddings.get_ingest_encoder()
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
        bot.embeddings.get_ingest_encoder.cache_clear()


def test_ingest_encodes_with_bf16_where_the_cpu_has_it_and_questions_stay_on_their_encoder(monkeypatch) -> None:
    from bot.embeddings import TorchEncoder, get_encoder

    on_bf16_cpu = _ingest_encoder(monkeypatch, "auto", has_bf16=True)
    assert isinstance(on_bf16_cpu, TorchEncoder) and on_bf16_cpu.bf16 and get_encoder().name == "onnx"
    assert _ingest_encoder(monkeypatch, "auto", has_bf16=False) is get_encoder()
    assert _ingest_encoder(monkeypatch, "onnx", has_bf16=True) is get_encoder()  # a setting is obeyed


def test_auto_falls_back_to_the_questions_encoder_when_bf16_does_not_verify(monkeypatch) -> None:
    import bot.embeddings
    from bot.embeddings import get_encoder

    questions_encoder = get_encoder()  # loaded (its ONNX export verified) before nothing can verify
    monkeypatch.setattr(bot.embeddings, "ONNX_MIN_COSINE", 1.01)
    assert _ingest_encoder(monkeypatch, "auto", has_bf16=True) is questions_encoder  # not fp32 torch: slower


def test_importing_bot_bounds_onednn_kernel_cache_and_keeps_a_value_the_user_set() -> None:
    import subprocess
    import sys

    read = "import bot, os; print(os.environ['ONEDNN_PRIMITIVE_CACHE_CAPACITY'])"
    env = {"PATH": "/usr/bin:/bin"}
    assert subprocess.run([sys.executable, "-c", read], env=env, capture_output=True, text=True,
                          check=True).stdout.strip() == "8"  # 1,000-article ingest: 1.9 GB peak without it
    mine = subprocess.run([sys.executable, "-c", read], env={**env, "ONEDNN_PRIMITIVE_CACHE_CAPACITY": "64"},
                          capture_output=True, text=True, check=True)
    assert mine.stdout.strip() == "64"
