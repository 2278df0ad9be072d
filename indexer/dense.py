"""Dense vector search over an index folder's vectors, shared between processes.

``vectors.faiss`` (an ``IndexFlatIP`` of L2-normalised passage vectors, unchanged since format 1)
is opened with ``faiss.IO_FLAG_MMAP_IFC``: faiss ≥ 1.11 maps the flat codes of the file instead of
copying them onto the heap (zero copy), so the vectors are page-cache pages that every process
serving the same folder shares — memory does not multiply with workers, and loading takes
milliseconds. A faiss without that flag reads the file into memory as before.

Optionally an approximate ``IndexHNSWFlat`` (inner product) is written beside it as
``vectors.hnsw`` (``PQA_DENSE_INDEX=hnsw`` at build time). It is used when configured and present;
configured but absent, serving stays on exact flat search (with a warning). Its recall against flat
search is what :func:`recall_at_k` measures (tests on the seed index, ``python -m assistant.bench``).
"""
from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

FLAT_FILE = "vectors.faiss"
HNSW_FILE = "vectors.hnsw"
DENSE_KINDS = ("flat", "hnsw")
HNSW_M = 32
HNSW_EF_CONSTRUCTION = 200
HNSW_EF_SEARCH = 128  # raised to k per query when a search asks for more rows


def _faiss():
    import faiss

    return faiss


def mmap_supported() -> bool:
    """True when this faiss can map an IndexFlat's vectors instead of copying them."""
    return hasattr(_faiss(), "IO_FLAG_MMAP_IFC")


def read_flat(path: Path) -> Any:
    """The flat index at ``path``, memory-mapped (shared, read-only) where faiss can."""
    faiss = _faiss()
    if mmap_supported():
        try:
            return faiss.read_index(str(path), faiss.IO_FLAG_MMAP_IFC)
        except RuntimeError:  # e.g. a file system without mmap: read it the ordinary way
            log.debug("could not memory-map %s; reading it", path, exc_info=True)
    return faiss.read_index(str(path))


def write_flat(path: Path, vectors: np.ndarray) -> None:
    faiss = _faiss()
    index = faiss.IndexFlatIP(int(vectors.shape[1]))
    index.add(np.ascontiguousarray(vectors, dtype=np.float32))
    faiss.write_index(index, str(path))


def build_hnsw(vectors: np.ndarray, m: int = HNSW_M, ef_construction: int = HNSW_EF_CONSTRUCTION) -> Any:
    """An ``IndexHNSWFlat`` (inner product) over ``vectors`` (rows must be L2-normalised)."""
    faiss = _faiss()
    x = np.ascontiguousarray(vectors, dtype=np.float32)
    index = faiss.IndexHNSWFlat(int(x.shape[1]), int(m), faiss.METRIC_INNER_PRODUCT)
    index.hnsw.efConstruction = int(ef_construction)
    index.add(x)
    index.hnsw.efSearch = HNSW_EF_SEARCH
    return index


def write_hnsw(path: Path, vectors: np.ndarray) -> None:
    _faiss().write_index(build_hnsw(vectors), str(path))


def read_hnsw(path: Path) -> Any:
    """The HNSW index at ``path``; its stored vectors are mapped like the flat ones where faiss can."""
    faiss = _faiss()
    if mmap_supported():
        try:
            return faiss.read_index(str(path), faiss.IO_FLAG_MMAP_IFC)
        except RuntimeError:
            log.debug("could not memory-map %s; reading it", path, exc_info=True)
    return faiss.read_index(str(path))


def flat_vectors(flat: Any) -> np.ndarray:
    """The rows of a flat index as an ``(n, d)`` float32 array (a copy)."""
    return np.asarray(flat.reconstruct_n(0, flat.ntotal), dtype=np.float32).reshape(flat.ntotal, flat.d)


class DenseIndex:
    """Exact (flat) or approximate (HNSW) inner-product search; ``search(q, k)`` like faiss's."""

    def __init__(self, flat: Any, hnsw: Any | None = None, ef_search: int = HNSW_EF_SEARCH) -> None:
        self.flat = flat
        self.hnsw = hnsw
        self.ef_search = int(ef_search)
        self.kind = "hnsw" if hnsw is not None else "flat"
        self.ntotal = int(flat.ntotal)
        self.d = int(flat.d)

    def search(self, q: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        if self.hnsw is None:
            return self.flat.search(q, k)
        return hnsw_search(self.hnsw, q, k, self.ef_search)


def hnsw_search(index: Any, q: np.ndarray, k: int, ef_search: int = HNSW_EF_SEARCH) -> tuple[np.ndarray, np.ndarray]:
    faiss = _faiss()
    params = faiss.SearchParametersHNSW()
    params.efSearch = max(int(ef_search), int(k))
    return index.search(q, k, params=params)


def load_dense(index_dir: Path, kind: str = "flat") -> DenseIndex:
    """The dense search of an index folder: ``kind`` "hnsw" uses ``vectors.hnsw`` when it is there
    and agrees with the flat vectors, else (with a warning) exact flat search."""
    index_dir = Path(index_dir)
    flat = read_flat(index_dir / FLAT_FILE)
    hnsw = None
    if kind == "hnsw":
        path = index_dir / HNSW_FILE
        if not path.is_file():
            log.warning("PQA_DENSE_INDEX=hnsw but %s has no %s (write it with `PQA_DENSE_INDEX=hnsw python -m indexer "
                        "build --force`): exact flat search", index_dir, HNSW_FILE)
        else:
            try:
                hnsw = read_hnsw(path)
            except RuntimeError as exc:
                log.warning("%s unreadable (%s): exact flat search", path, str(exc).splitlines()[0] if str(exc) else "")
            else:
                if hnsw.ntotal != flat.ntotal or hnsw.d != flat.d:
                    log.warning("%s holds %d vectors of dim %d, the flat index %d of dim %d: exact flat search",
                                path, hnsw.ntotal, hnsw.d, flat.ntotal, flat.d)
                    hnsw = None
    elif kind not in DENSE_KINDS:
        raise ValueError(f"unknown dense index {kind!r}: expected one of {', '.join(DENSE_KINDS)}")
    return DenseIndex(flat, hnsw)


def recall_at_k(exact: Any, approx: Any, queries: np.ndarray, k: int = 10, ef_search: int = HNSW_EF_SEARCH) -> dict[str, float]:
    """Recall@k of ``approx`` (HNSW) against ``exact`` (flat) over ``queries``, with each one's
    query time: ``{"recall", "flat_ms", "hnsw_ms", "queries", "k"}`` (ms are per query, one at a time)."""
    q = np.ascontiguousarray(queries, dtype=np.float32)
    k = min(int(k), int(exact.ntotal))
    flat_ms, hnsw_ms, hits = [], [], 0
    for row in q:
        one = row.reshape(1, -1)
        t0 = time.perf_counter()
        _, truth = exact.search(one, k)
        flat_ms.append((time.perf_counter() - t0) * 1000)
        t0 = time.perf_counter()
        _, got = hnsw_search(approx, one, k, ef_search)
        hnsw_ms.append((time.perf_counter() - t0) * 1000)
        hits += len(set(truth[0].tolist()) & set(got[0].tolist()) - {-1})
    n = len(q)
    return {
        "recall": hits / (n * k) if n and k else float("nan"),
        "flat_ms": float(np.median(flat_ms)) if n else float("nan"),
        "hnsw_ms": float(np.median(hnsw_ms)) if n else float("nan"),
        "flat_p95_ms": float(np.percentile(flat_ms, 95)) if n else float("nan"),
        "hnsw_p95_ms": float(np.percentile(hnsw_ms, 95)) if n else float("nan"),
        "queries": n,
        "k": k,
    }
