"""The one settings object: every knob is a `CAREERBOT_*` environment variable or a line in `.env`."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


MIN_ADMIN_TOKEN_CHARS = 16  # long enough that guessing it over HTTP is hopeless


class Settings(BaseSettings):
    # hide_input_in_errors: a rejected setting may be a secret (a token, a key, a database password), and
    # startup errors end up in logs.
    model_config = SettingsConfigDict(env_prefix="CAREERBOT_", env_file=".env", extra="ignore",
                                      hide_input_in_errors=True)

    knowledge_dir: Path = Path("knowledge")
    store_dir: Path = Field(Path(".careerbot/store"), description="Where the embedded Chroma store persists.")
    chroma_url: str | None = Field(None, description="http://host:port of a `chroma run` server; overrides store_dir.")
    collection: str = "careerbot"

    host: str = "127.0.0.1"
    port: int = 7860

    top_k: int = Field(6, ge=1, le=20, description="Passages the decline check judges and the answer backend gets "
                                                   "(with top_article_extra's).")
    top_article_extra: int = Field(
        2, ge=0, le=10, description="Passages of the first passage's article handed to the answer backend besides "
                                    "top_k, the best of it ranked in the next 2 x this many: a passage that answers and "
                                    "ranks just below the first top_k is most often of the article they lead with "
                                    "(measured with `python -m bench.composer_cases`).")
    candidates: int = Field(40, ge=1, le=200, description="Dense and lexical candidates fused per question.")
    threshold: float = Field(
        0.25, description="Minimum cosine similarity of the best passage; below it the bot declines to answer."
    )
    min_coverage: float = Field(
        0.1, ge=0.0, le=1.0,
        description="Share of the question's word weight (rarity in the library) the passages must contain.",
    )
    similarity_weight: float = Field(
        2.5, ge=0.0, description="How much best-passage similarity counts against word coverage in the evidence.")
    min_evidence: float = Field(
        1.6, description="Minimum of similarity_weight x best-passage similarity + word coverage: a question "
                          "weak on both is declined (calibrated by `python -m bench.calibrate`)."
    )
    reworded_evidence: float = Field(
        1.2, description="A question short of min_evidence is still covered with this much evidence when the words "
                         "the passages lack are many (reworded_words or more): a reader's own wording spreads over many "
                         "everyday words, a question about something the library lacks misses one or two names "
                         "(calibrated by `python -m bench.calibrate`).")
    reworded_words: int = Field(5, ge=1, description="See reworded_evidence.")
    place_margin: float = Field(
        0.11, description="A question word no article uses, this much closer to 'a city' / 'a country' / 'a place' than to "
                          "things in general, names a place the library lacks: the bot declines (calibrated by "
                          "`python -m bench.calibrate`).")
    amount_share: float = Field(
        0.32, ge=0.0, le=1.0,
        description="A question asking an amount of pay is answered only from a sentence or row with an amount that "
                    "holds this share of the question's subject words (or comes amount_similarity close in meaning); "
                    "else the bot declines (calibrated by `python -m bench.calibrate`).")
    amount_similarity: float = Field(
        0.67, description="See amount_share: how close in meaning a sentence or row with an amount must come to the "
                          "question when it doesn't name the question's subject.")
    occupation_similarity: float = Field(
        0.37, description="A question word no article uses, this close to 'an occupation' or 'a profession', names a "
                          "job the library lacks: the bot declines (calibrated by `python -m bench.calibrate`).")
    lexical_refresh_s: float = Field(
        5.0, gt=0, description="With a Chroma server: how often the library index checks for same-size updates."
    )
    max_message_chars: int = 2000
    max_history_turns: int = 40
    widget_history_turns: int = Field(
        20, ge=1, description="Earlier turns the widget sends with a question (the server accepts max_history_turns).")
    max_turn_chars: int = Field(
        8000, description="Longest earlier turn accepted in a conversation's history (an answer with its sources fits)."
    )
    max_body_bytes: int = Field(1 << 20, description="Largest request body on any route; a chat request is far smaller.")

    chunk_words: int = 120
    chunk_overlap_words: int = 20
    embed_batch_size: int = 32
    encoder: Literal["onnx", "torch", "torch-bf16"] = Field(
        "onnx", description="What runs the embedding model: `onnx` (ONNX Runtime, exported once and verified "
                            "against torch; measured faster, so the default), `torch`, or `torch-bf16` (torch "
                            "with bfloat16 matrix products, verified against fp32 torch at start; fast only on "
                            "CPUs with AVX-512 BF16 or AMX). A failed export or verification stays on "
                            "torch (fp32) and logs why.")
    ingest_encoder: Literal["auto", "onnx", "torch", "torch-bf16"] = Field(
        "auto", description="What encodes chunks at ingest: `auto` is `torch-bf16` on a CPU with bf16 "
                            "instructions (AVX-512 BF16 or AMX: 1.5x the fp32 speed there) when it verifies, "
                            "else `encoder`'s; or one of `encoder`'s values. Questions always use `encoder`.")
    unit_vectors: Literal["late", "separate"] = Field(
        "late", description="How ingest gets the vectors of a chunk's units (sentences, items, rows) for the "
                            "composer: `late`, from the chunk's own forward pass, or `separate`, each unit "
                            "encoded again on its own with its context (about twice the encoding).")
    encoder_dir: Path | None = Field(
        None, description="Where the ONNX export is cached; default: `encoder/` beside store_dir.")
    max_file_mb: float = 20.0
    url_timeout_s: float = 15.0

    allowed_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="Sites allowed to embed the widget / call the API from a browser; '*' = any."
    )
    rate_limit: str = "20/minute"
    feedback_rate_limit: str = Field(
        "30/minute", description="Ratings per client and per conversation (POST /api/feedback and the chat's "
                                 "thumbs), counted apart from questions; 'off' = no limit.")
    allowed_hosts: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="Host names the app answers to (Host header); '*' = any. Default: the "
                                          "loopback names while host is a loopback address, else any.")
    api_docs: bool = Field(False, description="Serve the interactive API docs at /docs (Swagger UI, from local "
                                              "files); /openapi.json is always served.")
    rate_limit_storage: str = Field(
        "memory://", description="Where rate limits count: memory:// (this process) or redis://host:port, shared "
                                 "by every replica so a client gets each limit once.")
    trusted_proxies: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="Proxy addresses whose X-Forwarded-For names the client; none by default."
    )
    gradio_api: bool = Field(True, description="Offer the Gradio chat's own API (/gradio_api/call/respond, its docs).")
    ui_queue_size: int = Field(
        32, ge=1, description="Questions the Gradio chat lets wait; beyond that a reader is told it is busy."
    )
    api_keys: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="Bearer keys required on the OpenAI-compatible /v1/ routes; none = open."
    )
    openai_model_id: str = Field("careerbot", description="The model name /v1/models lists and /v1/chat/completions takes.")

    starter_questions: str | None = Field(
        None, description="The chat's starter questions: a file (one per line) or a |-separated list; "
                          "default: built from the loaded library.")

    # The exchange log (bot/owner/log.py): what readers asked, what they got, and their feedback.
    data_dir: Path = Field(Path(".careerbot/data"), description="Where the SQLite exchange log (careerbot.db) lives.")
    database_url: str | None = Field(
        None, description="postgresql://user:pass@host/db (or any SQLAlchemy URL) for the exchange log; "
                          "overrides data_dir, so several instances share one log.")
    log_conversations: bool = Field(True, description="Record every exchange and accept feedback on answers.")
    log_retention_days: int = Field(90, ge=1, description="Recorded exchanges older than this are deleted.")
    max_feedback_chars: int = Field(500, ge=1, description="Longest reason a reader may give with a rating.")

    # The owner's page (/admin, bot/web/admin.py) and `python -m bot.owner.report` (bot/owner/insights.py).
    admin_token: SecretStr | None = Field(
        None, description="Opens /admin (login form or `Authorization: Bearer`); unset = no /admin. "
                                         "Make one with: python3 -c 'import secrets; print(secrets.token_urlsafe(32))'")
    admin_session_hours: float = Field(12.0, gt=0, description="How long an /admin login lasts.")
    admin_login_limit: str = Field("5/minute", description="Failed /admin sign-ins per client before it must wait.")
    admin_login_global_limit: str = Field(
        "30/minute", description="Failed /admin sign-ins from all clients together before everyone must wait.")
    insights_days: int = Field(30, ge=1, description="Days of the exchange log the owner's page and report cover.")
    gap_distance: float = Field(
        0.60, gt=0, lt=2, description="Content gaps: questions whose cosine distance (average linkage) stays "
                                      "under this form one group; calibrated by `python -m bench.gaps`.")
    gap_max_questions: int = Field(
        3000, ge=2, description="Content gaps group at most this many distinct questions (the most recent).")

    backend: str = Field("composer", description="The answer backend: a name in bot.answer.backends.BACKENDS.")
    llm_base_url: str = "http://127.0.0.1:11434/v1"
    llm_model: str = "llama3.2"
    llm_api_key: str | None = None
    llm_timeout_s: float = 30.0

    # Web sites (ingest.py --sitemap / --feed / --crawl, and single URLs).
    user_agent: str = Field("careerbot-ingest/1.0", description="The one User-Agent careerbot fetches pages with.")
    crawl_delay_s: float = Field(
        1.0, ge=0, description="Pause between two requests to the same host; a longer robots.txt Crawl-delay wins."
    )
    max_page_mb: float = Field(5.0, gt=0, description="Largest web page downloaded; bigger ones are skipped.")
    max_redirects: int = Field(5, ge=0, description="Redirects followed per page; more is reported as a loop.")
    crawl_max_pages: int = Field(200, ge=1, description="Pages one --crawl fetches at most.")
    crawl_max_depth: int = Field(3, ge=0, description="Links followed from the start page of a --crawl.")
    watch_debounce_ms: int = Field(
        1000, ge=0, description="ingest.py --watch waits this long after the last change before ingesting."
    )

    def encoder_cache_dir(self) -> Path:
        return self.encoder_dir or self.store_dir.parent / "encoder"

    @field_validator("allowed_origins", "trusted_proxies", "api_keys", "allowed_hosts", mode="before")
    @classmethod
    def _split_commas(cls, value: object) -> object:
        if isinstance(value, str):
            return [item.strip() for item in value.split(",") if item.strip()]
        return value

    @field_validator("backend")
    @classmethod
    def _known_backend(cls, name: str) -> str:
        from bot.answer.backends import BACKENDS  # imported here: the backends import modules that read settings

        if name not in BACKENDS:
            raise ValueError(f"unknown backend {name!r}; choose one of {', '.join(BACKENDS)}")
        return name

    @field_validator("admin_token")
    @classmethod
    def _long_enough(cls, token: SecretStr | None) -> SecretStr | None:
        if token is not None and len(token.get_secret_value()) < MIN_ADMIN_TOKEN_CHARS:
            raise ValueError(f"CAREERBOT_ADMIN_TOKEN must be at least {MIN_ADMIN_TOKEN_CHARS} characters; make one "
                             "with: python3 -c 'import secrets; print(secrets.token_urlsafe(32))'")
        return token


@lru_cache
def get_settings() -> Settings:
    return Settings()
