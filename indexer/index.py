"""Build the clause index (dense FAISS + lexical BM25) and read it back.

Index folder layout (``FORMAT_VERSION`` 1)::

    manifest.json    format_version, model, dim, corpus_fingerprint, counts, created_at, skipped, tokenizer
    documents.json   Document.metadata() of every indexed document (aliases, years, doc_number, …)
    clauses.jsonl    Clause.to_dict(), one per line; line i is row i of both search indexes
    vectors.faiss    IndexFlatIP over L2-normalized passage vectors (inner product = cosine); read
                     memory-mapped (``indexer.dense``): processes serving one folder share its pages
    vectors.hnsw     optional (``PQA_DENSE_INDEX=hnsw`` at build time): IndexHNSWFlat, approximate
    bm25/            bm25s index over tokenize(clause.passage())

A build writes a complete new folder next to the target and swaps it into place, so readers
only ever see a whole index: the previous one stays intact if the build fails or is killed.
"""
from __future__ import annotations

import ctypes
import errno
import fcntl
import hashlib
import json
import logging
import os
import shutil
import threading
import time
import uuid
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator

import numpy as np

from . import corpus as corpus_module
from . import dense
from .corpus import Corpus, load_corpus
from .embedder import CachedEmbedding, Embedder, embed_with_cache, load_embedder
from .progress import Progress, format_duration, peak_rss_mb
from .records import Clause
from .settings import Settings
from .tokenize import TOKENIZER_VERSION, tokenize, userdict_sha

log = logging.getLogger(__name__)

FORMAT_VERSION = 1
MANIFEST_FILE = "manifest.json"
DOCUMENTS_FILE = "documents.json"
CLAUSES_FILE = "clauses.jsonl"
VECTORS_FILE = "vectors.faiss"
BM25_DIR = "bm25"
INDEX_PARTS = (MANIFEST_FILE, DOCUMENTS_FILE, CLAUSES_FILE, VECTORS_FILE, BM25_DIR)
BUILD_COMMAND = "python -m indexer build"


class IndexLoadError(RuntimeError):
    """The index cannot be used as it is (message: one line saying what to do)."""


@dataclass
class BuildReport:
    """What a build did. ``embedded`` vectors were computed, ``reused`` came from the cache."""

    out_dir: Path
    documents: int
    clauses: int
    embedded: int
    reused: int
    skipped: list[dict[str, str]] = field(default_factory=list)
    seconds: float = 0.0
    up_to_date: bool = False
    model: str = ""
    texts: int = 0  # distinct passage texts (versions of a law share most of them)
    texts_embedded: int = 0
    texts_reused: int = 0
    peak_rss_mb: float = 0.0
    parse_seconds: float = 0.0
    model_seconds: float = 0.0  # inside the embedding model alone (the pure-embedding time)

    def summary(self) -> str:
        """One line for the CLI."""
        skipped = f", {len(self.skipped)} skipped" if self.skipped else ""
        if self.up_to_date:
            return (
                f"index up to date: {self.documents} documents, {self.clauses} clauses{skipped}"
                f" ({self.seconds:.1f}s) → {self.out_dir}"
            )
        return (
            f"indexed {self.documents} documents, {self.clauses} clauses "
            f"({self.embedded} embedded, {self.reused} cached){skipped} in {self.seconds:.1f}s "
            f"(model {self.model_seconds:.1f}s), peak RSS {self.peak_rss_mb:.0f} MB → {self.out_dir}"
        )


# --------------------------------------------------------------------------------------------
# build


def build_index(
    settings: Settings,
    *,
    corpus_dir: Path | None = None,
    out_dir: Path | None = None,
    model: str | None = None,
    force: bool = False,
    show_progress: bool = True,
) -> BuildReport:
    """Index every document under ``corpus_dir`` into ``out_dir`` (defaults from ``settings``).

    Returns at once with ``up_to_date=True`` when ``out_dir`` already holds an index of the same
    corpus, model and format (unless ``force``). Raises ``FileNotFoundError`` for a missing corpus
    folder and ``ValueError`` when nothing in it can be indexed.
    """
    t0 = time.perf_counter()
    corpus_dir = Path(corpus_dir if corpus_dir is not None else settings.corpus_dir)
    out_dir = Path(out_dir if out_dir is not None else settings.index_dir)
    model = model or settings.model
    tokenizer_info = {"version": TOKENIZER_VERSION, "userdict_sha": userdict_sha()}
    if not force:
        # Fast path: file hashes alone say nothing changed, so the corpus need not be parsed.
        current = _current_manifest(out_dir)
        if _matches(current, model, _file_fingerprint(corpus_dir), tokenizer_info):
            _remove_stale_if_idle(out_dir)
            return _up_to_date_report(current, out_dir, model, t0)
    corpus = _parse(settings, corpus_dir, show_progress)
    parse_seconds = time.perf_counter() - t0
    if not corpus.documents:
        raise ValueError(_nothing_indexed(corpus_dir, corpus))
    clauses = [c for d in corpus.documents for c in d.clauses]
    duplicates = sorted(cid for cid, n in Counter(c.id for c in clauses).items() if n > 1)
    if duplicates:
        log.warning("%d clause ids occur more than once (first: %s); citations to them are ambiguous", len(duplicates), duplicates[0])

    _check_target(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    with _build_lock(out_dir):
        _remove_stale(out_dir)
        if not force:
            current = _current_manifest(out_dir)
            if _matches(current, model, corpus.fingerprint, tokenizer_info):
                return _up_to_date_report(current, out_dir, model, t0, log_skipped=False)

        emb = _embed_clauses(settings, model, clauses, show_progress)
        vectors, embedded, reused = emb.vectors, emb.rows_embedded, emb.rows_reused
        tmp = out_dir.parent / f".{out_dir.name}.tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        try:
            tmp.mkdir()
            _write_vectors(tmp / VECTORS_FILE, vectors)
            if getattr(settings, "dense_index", "flat") == "hnsw":
                t_hnsw = time.perf_counter()
                dense.write_hnsw(tmp / dense.HNSW_FILE, vectors)
                log.info("HNSW index of %d vectors built in %s", len(vectors), format_duration(time.perf_counter() - t_hnsw))
            _write_bm25(tmp / BM25_DIR, clauses)
            _write_records(tmp, corpus, clauses)
            manifest = {
                "format_version": FORMAT_VERSION,
                "model": model,
                "dim": int(vectors.shape[1]),
                "corpus_fingerprint": corpus.fingerprint,
                "corpus_dir": str(corpus_dir),
                "counts": {
                    "documents": len(corpus.documents),
                    "clauses": len(clauses),
                    "aliases": sum(len(d.aliases) for d in corpus.documents),
                    "files": corpus.file_count,
                    "skipped": len(corpus.skipped),
                    "by_kind": dict(sorted(Counter(c.kind for c in clauses).items())),
                },
                "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                "skipped": list(corpus.skipped),
                "tokenizer": tokenizer_info,
                "embedding": {"embedded": embedded, "reused": reused},
                "build_seconds": round(time.perf_counter() - t0, 3),
                "phase_seconds": {"parse": round(parse_seconds, 3), "model": round(emb.model_seconds, 3)},
                # distinct passage texts and memory, for the library-scale build figures (indexer.bench_law)
                "texts": {"distinct": emb.texts, "embedded": emb.texts_embedded, "reused": emb.texts_reused},
                "peak_rss_mb": round(peak_rss_mb(), 1),
                # what an unforced build verifies before it says "up to date"
                "checksums": _checksums(tmp),
            }
            _write_json(tmp / MANIFEST_FILE, manifest)
            _fsync_tree(tmp)
            _swap_into_place(tmp, out_dir)
        except BaseException:
            _remove(tmp)
            raise
    report = BuildReport(
        out_dir, len(corpus.documents), len(clauses), embedded, reused, list(corpus.skipped),
        time.perf_counter() - t0, model=model, texts=emb.texts, texts_embedded=emb.texts_embedded,
        texts_reused=emb.texts_reused, peak_rss_mb=peak_rss_mb(), parse_seconds=parse_seconds,
        model_seconds=emb.model_seconds,
    )
    log.info("build done in %s (parsing %s, inside the model %s): %d documents, %d clause rows, %d distinct texts "
             "(%d embedded, %d from the cache), peak RSS %.0f MB", format_duration(report.seconds),
             format_duration(parse_seconds), format_duration(emb.model_seconds), report.documents, report.clauses,
             report.texts, report.texts_embedded, report.texts_reused, report.peak_rss_mb)
    return report


def _parse(settings: Settings, corpus_dir: Path, show_progress: bool) -> Corpus:
    """``load_corpus`` with documents-done progress (a missing folder raises before any log line)."""
    cache = corpus_module.ParseCache(Path(settings.cache_dir) / "parsed")
    if not corpus_dir.is_dir():
        return load_corpus(corpus_dir, cache=cache)
    total = len(corpus_module.corpus_files(corpus_dir))
    log.info("parsing %d files in %s", total, corpus_dir)
    with Progress("parsing", total, "documents", bar=show_progress) as progress:
        # load_corpus reports each file as it starts it
        return load_corpus(corpus_dir, progress=lambda _rel: progress.advance(1), cache=cache)


def _file_fingerprint(corpus_dir: Path) -> str | None:
    """``Corpus.fingerprint`` computed from file bytes alone, without parsing (None if unsure).

    Mirrors :func:`indexer.corpus.load_corpus`; should that ever hash differently, the values
    simply stop matching and the build takes the full path, which is always correct.
    """
    if not corpus_dir.is_dir():
        return None
    digest = hashlib.sha256(f"parser={corpus_module.PARSER_VERSION}\n".encode())
    try:
        digest.update(corpus_module.manifest_digest(corpus_dir))
        for path in corpus_module.corpus_files(corpus_dir):
            rel = path.relative_to(corpus_dir).as_posix()
            try:
                data = path.read_bytes()
            except OSError:
                continue
            digest.update(rel.encode() + b"\0" + hashlib.sha256(data).digest())
    except OSError:
        return None
    return digest.hexdigest()


def _matches(current: dict[str, Any] | None, model: str, fingerprint: str | None, tokenizer: dict[str, str]) -> bool:
    return (
        current is not None
        and fingerprint is not None
        and current.get("format_version") == FORMAT_VERSION
        and current.get("model") == model
        and current.get("corpus_fingerprint") == fingerprint
        and current.get("tokenizer") == tokenizer
    )


def _up_to_date_report(
    current: dict[str, Any], out_dir: Path, model: str, t0: float, log_skipped: bool = True
) -> BuildReport:
    counts = current.get("counts", {})
    skipped = [dict(s) for s in current.get("skipped", [])]
    if log_skipped:  # load_corpus (not run on the fast path) would have warned about them
        for s in skipped:
            log.warning("skipped %s: %s", s.get("file"), s.get("reason"))
    return BuildReport(
        out_dir, int(counts.get("documents", 0)), int(counts.get("clauses", 0)), 0, 0, skipped,
        time.perf_counter() - t0, up_to_date=True, model=model, peak_rss_mb=peak_rss_mb(),
    )


def _nothing_indexed(corpus_dir: Path, corpus: Corpus) -> str:
    if not corpus.file_count:
        return f"nothing to index: no documents in {corpus_dir}"
    reasons = "; ".join(f"{s['file']}: {s['reason']}" for s in corpus.skipped[:3])
    more = f"; … {len(corpus.skipped) - 3} more" if len(corpus.skipped) > 3 else ""
    return f"nothing to index: all {corpus.file_count} files in {corpus_dir} were skipped ({reasons}{more})"


def _embed_clauses(settings: Settings, model: str, clauses: list[Clause], show_progress: bool) -> CachedEmbedding:
    """Vectors for every clause passage, row order (each distinct text looked up or embedded once)."""
    return embed_with_cache(
        [c.passage() for c in clauses], model, Path(settings.cache_dir), settings.embed_batch_size, show_progress
    )


def _write_vectors(path: Path, vectors: np.ndarray) -> None:
    dense.write_flat(path, vectors)


def _import_bm25s():
    import bm25s

    # bm25s pins its logger at DEBUG on import; let the application's logging config decide.
    logging.getLogger("bm25s").setLevel(logging.NOTSET)
    return bm25s


def _write_bm25(path: Path, clauses: list[Clause]) -> None:
    bm25s = _import_bm25s()
    corpus_tokens = [tokenize(c.passage()) for c in clauses]
    if not any(corpus_tokens):  # bm25s cannot index an empty vocabulary; this token never matches
        corpus_tokens[0] = ["\x00"]
    retriever = bm25s.BM25()
    retriever.index(corpus_tokens, show_progress=False)
    retriever.save(str(path), show_progress=False)


def _write_records(tmp: Path, corpus: Corpus, clauses: list[Clause]) -> None:
    _write_json(tmp / DOCUMENTS_FILE, [d.metadata() for d in corpus.documents])
    with open(tmp / CLAUSES_FILE, "w", encoding="utf-8") as f:
        for c in clauses:
            f.write(json.dumps(c.to_dict(), ensure_ascii=False))
            f.write("\n")


def _write_json(path: Path, data: Any) -> None:
    with open(path, "w", encoding="utf-8") as f:
        json.dump(data, f, ensure_ascii=False, indent=1)
        f.write("\n")


def _fsync_tree(root: Path) -> None:
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            fd = os.open(os.path.join(dirpath, name), os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        _fsync_dir(Path(dirpath))


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@contextmanager
def _build_lock(out_dir: Path) -> Iterator[None]:
    """One build at a time per target folder (a lock file next to it)."""
    lock_path = out_dir.parent / f".{out_dir.name}.lock"
    with open(lock_path, "a+") as f:
        try:
            fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            log.info("another build of %s is running; waiting for it", out_dir)
            fcntl.flock(f.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f.fileno(), fcntl.LOCK_UN)


def _remove(path: Path) -> None:
    if path.is_symlink() or path.is_file():
        path.unlink(missing_ok=True)
    else:
        shutil.rmtree(path, ignore_errors=True)


def _remove_stale(out_dir: Path) -> None:
    """Temp folders left by a killed build (safe: we hold the build lock)."""
    for pattern in (f".{out_dir.name}.tmp-*", f".{out_dir.name}.old-*"):
        for stale in out_dir.parent.glob(pattern):
            log.info("removing %s left by an interrupted build", stale.name)
            _remove(stale)


def _remove_stale_if_idle(out_dir: Path) -> None:
    """Remove leftovers of killed builds unless a build is running right now."""
    try:
        with open(out_dir.parent / f".{out_dir.name}.lock", "a+") as f:
            try:
                fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return
            try:
                _remove_stale(out_dir)
            finally:
                fcntl.flock(f.fileno(), fcntl.LOCK_UN)
    except OSError as exc:  # e.g. a read-only folder: leftovers are harmless
        log.debug("could not check for stale build folders: %s", exc)


def _check_target(out_dir: Path) -> None:
    """Refuse to replace a folder that is not an index (``--out .`` must not wipe a project)."""
    if out_dir.is_dir() and not (out_dir / MANIFEST_FILE).exists() and any(out_dir.iterdir()):
        raise ValueError(f"{out_dir} exists and is not an index folder (no {MANIFEST_FILE}): choose another output folder")
    if out_dir.exists() and not out_dir.is_dir():
        raise ValueError(f"{out_dir} exists and is not a folder: choose another output folder")


def _current_manifest(out_dir: Path) -> dict[str, Any] | None:
    """The existing index's manifest if the index is complete and undamaged, else None."""
    if not all((out_dir / part).exists() for part in INDEX_PARTS):
        return None
    try:
        data = json.loads((out_dir / MANIFEST_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        log.warning("index at %s: %s is unreadable: rebuilding", out_dir, MANIFEST_FILE)
        return None
    if not isinstance(data, dict):
        return None
    expected = data.get("checksums")
    if isinstance(expected, dict):
        actual = _checksums(out_dir)
        for name, digest in sorted(expected.items()):
            if actual.get(name) != digest:
                log.warning("index at %s: %s is %s: rebuilding", out_dir, name, "missing" if name not in actual else "damaged")
                return None
    return data


def _checksums(folder: Path) -> dict[str, str]:
    """sha256 of every file of an index folder but its manifest, by relative path."""
    out = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file() and path.name != MANIFEST_FILE:
            h = hashlib.sha256()
            with path.open("rb") as f:
                for block in iter(lambda: f.read(1 << 20), b""):
                    h.update(block)
            out[path.relative_to(folder).as_posix()] = h.hexdigest()
    return out


_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two paths (Linux renameat2); False where the system cannot."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        fn = libc.renameat2
    except (OSError, AttributeError):
        return False
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    fn.restype = ctypes.c_int
    if fn(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP, errno.EXDEV, errno.EPERM):
        return False
    raise OSError(err, f"cannot swap {a} and {b}: {os.strerror(err)}")


def _swap_into_place(tmp: Path, out_dir: Path) -> None:
    """Make ``tmp`` the index at ``out_dir``; the old index is removed only once replaced."""
    if out_dir.exists():
        if _exchange(tmp, out_dir):
            _fsync_dir(out_dir.parent)
            _remove(tmp)  # now holds the previous index
            return
        old = out_dir.parent / f".{out_dir.name}.old-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        os.rename(out_dir, old)
        try:
            os.rename(tmp, out_dir)
        except BaseException:
            os.rename(old, out_dir)
            raise
        _fsync_dir(out_dir.parent)
        _remove(old)
    else:
        os.rename(tmp, out_dir)
        _fsync_dir(out_dir.parent)


# --------------------------------------------------------------------------------------------
# read


class ClauseIndex:
    """A built index, loaded read-only: clause records plus dense and lexical search.

    Safe to share between threads: searches only read (FAISS CPU and bm25s scoring are
    read-only), and the lazily loaded embedder is created under a lock.
    """

    def __init__(
        self,
        index_dir: Path,
        manifest: dict[str, Any],
        documents: dict[str, dict[str, Any]],
        clauses: list[Clause],
        vectors: Any,
        bm25: Any,
    ) -> None:
        self.index_dir = Path(index_dir)
        self.manifest = manifest
        self.documents = documents
        self.clauses = clauses
        self.model: str = str(manifest["model"])
        self.dim: int = int(manifest["dim"])
        self.row_of: dict[str, int] = {c.id: i for i, c in enumerate(clauses)}
        self.children: dict[str, list[str]] = {}
        self._doc_rows: dict[str, list[int]] = {}
        for i, c in enumerate(clauses):
            self._doc_rows.setdefault(c.doc_id, []).append(i)
            if c.parent_id:
                self.children.setdefault(c.parent_id, []).append(c.id)
        self._vectors = vectors
        self._bm25 = bm25
        self._embedder: Embedder | None = None
        self._embedder_lock = threading.Lock()

    # ---- loading

    @classmethod
    def load(cls, index_dir: Path, expected_model: str | None = None, dense_index: str | None = None) -> "ClauseIndex":
        """Open the index in ``index_dir``; ``expected_model`` is the configured model, if any.

        The vectors are memory-mapped (shared by every process serving the folder); ``dense_index``
        "hnsw" searches the optional ``vectors.hnsw`` instead of exact flat search (default:
        ``PQA_DENSE_INDEX``, else "flat").

        Raises :class:`IndexLoadError` when the folder holds no index, an index of another
        format version, an index built with another model, or a damaged index.
        """
        index_dir = Path(index_dir)
        rebuild = f"rebuild with `{BUILD_COMMAND} --force`"
        manifest_path = index_dir / MANIFEST_FILE
        if not manifest_path.is_file():
            raise IndexLoadError(f"no index at {index_dir}: run `{BUILD_COMMAND}`")
        try:
            manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
            if not isinstance(manifest, dict):
                raise ValueError("not an object")
        except (OSError, ValueError) as exc:
            raise IndexLoadError(f"index at {index_dir} is damaged ({MANIFEST_FILE}: {exc}): {rebuild}") from exc
        version = manifest.get("format_version")
        if version != FORMAT_VERSION:
            raise IndexLoadError(f"index format {version} != {FORMAT_VERSION} at {index_dir}: {rebuild}")
        model, dim = manifest.get("model"), manifest.get("dim")
        if not isinstance(model, str) or not isinstance(dim, int):
            raise IndexLoadError(f"index at {index_dir} is damaged (manifest lacks model/dim): {rebuild}")
        if expected_model is not None and expected_model != model:
            raise IndexLoadError(
                f"index built with model {model} (dim {dim}) but configured model is {expected_model}: "
                f"rebuild (`{BUILD_COMMAND} --force`) or set PQA_MODEL={model}"
            )
        for part in INDEX_PARTS:
            if not (index_dir / part).exists():
                raise IndexLoadError(f"index at {index_dir} is incomplete (missing {part}): {rebuild}")
        try:
            docs = json.loads((index_dir / DOCUMENTS_FILE).read_text(encoding="utf-8"))
            documents = {d["doc_id"]: d for d in docs}
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise IndexLoadError(f"index at {index_dir} is damaged ({DOCUMENTS_FILE}: {_one_line(exc)}): {rebuild}") from exc
        clauses: list[Clause] = []
        lineno = 0
        try:
            with open(index_dir / CLAUSES_FILE, encoding="utf-8") as f:
                for lineno, line in enumerate(f, 1):
                    if line.strip():
                        clauses.append(Clause.from_dict(json.loads(line)))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise IndexLoadError(
                f"index at {index_dir} is damaged ({CLAUSES_FILE} line {lineno}: {_one_line(exc)}): {rebuild}") from exc
        if dense_index is None:
            dense_index = _configured_dense_index()
        try:
            vectors = dense.load_dense(index_dir, dense_index)
        except ValueError as exc:
            raise IndexLoadError(str(exc)) from exc
        except Exception as exc:  # noqa: BLE001 - faiss raises RuntimeError subclasses
            raise IndexLoadError(f"index at {index_dir} is damaged ({VECTORS_FILE} unreadable): {rebuild}") from exc
        try:
            bm25 = _import_bm25s().BM25.load(str(index_dir / BM25_DIR), show_progress=False)
        except Exception as exc:  # noqa: BLE001
            raise IndexLoadError(f"index at {index_dir} is damaged ({BM25_DIR}/ unreadable): {rebuild}") from exc
        n = len(clauses)
        counted = int(bm25.scores.get("num_docs", -1)) if isinstance(getattr(bm25, "scores", None), dict) else -1
        if vectors.ntotal != n or vectors.d != dim or counted != n:
            raise IndexLoadError(
                f"index at {index_dir} is inconsistent ({MANIFEST_FILE} says dim {dim}; {VECTORS_FILE} holds "
                f"{vectors.ntotal} vectors of dim {vectors.d}; {CLAUSES_FILE} {n} clauses; {BM25_DIR}/ {counted} "
                f"passages): {rebuild}"
            )
        return cls(index_dir, manifest, documents, clauses, vectors, bm25)

    # ---- search

    def __len__(self) -> int:
        return len(self.clauses)

    def dense_search(self, query_vec: np.ndarray, k: int) -> list[tuple[int, float]]:
        """``[(row, cosine)]`` of the ``k`` clauses nearest to ``query_vec``, best first."""
        k = min(int(k), len(self.clauses))
        if k <= 0:
            return []
        q = np.ascontiguousarray(np.asarray(query_vec, dtype=np.float32).reshape(1, -1))
        if q.shape[1] != self.dim:
            raise ValueError(f"query vector has dim {q.shape[1]}, index has {self.dim}")
        scores, rows = self._vectors.search(q, k)
        return [(int(r), float(s)) for r, s in zip(rows[0], scores[0]) if r >= 0]

    def token_doc_freq(self, tokens: list[str]) -> list[int]:
        """How many clauses hold each token (0 for a token the index never saw); no scan of the text."""
        vocab = getattr(self._bm25, "vocab_dict", None) or {}
        indptr = self._bm25.scores.get("indptr") if isinstance(getattr(self._bm25, "scores", None), dict) else None
        if indptr is None:
            return [0] * len(tokens)
        total = len(self._bm25.scores.get("indices", ()))
        out = []
        for t in tokens:
            i = vocab.get(t)
            if i is None or i >= len(indptr):
                out.append(0)
            else:
                end = int(indptr[i + 1]) if i + 1 < len(indptr) else total
                out.append(max(0, end - int(indptr[i])))
        return out

    def bm25_search(self, tokens: list[str], k: int) -> list[tuple[int, float]]:
        """``[(row, bm25 score)]`` of up to ``k`` clauses sharing a token with ``tokens``, best first."""
        tokens = [t for t in tokens if t]
        k = min(int(k), len(self.clauses))
        if not tokens or k <= 0:
            return []
        scores = np.asarray(self._bm25.get_scores(list(tokens)), dtype=np.float32)
        hits = np.flatnonzero(scores > 0)
        if hits.size == 0:
            return []
        if hits.size > k:
            top = np.argpartition(-scores[hits], k - 1)[:k]
            hits = hits[top]
        order = sorted(hits.tolist(), key=lambda r: (-float(scores[r]), r))
        return [(int(r), float(scores[r])) for r in order]

    # ---- records

    def clause(self, clause_id: str) -> Clause:
        """The clause with this id (``KeyError`` if unknown)."""
        return self.clauses[self.row_of[clause_id]]

    def document_clauses(self, doc_id: str) -> list[Clause]:
        """The clauses of one document in reading order (empty for an unknown id)."""
        return [self.clauses[i] for i in self._doc_rows.get(doc_id, [])]

    def embedder(self) -> Embedder:
        """The embedder of the index's model (loaded on first use)."""
        with self._embedder_lock:
            if self._embedder is None:
                self._embedder = load_embedder(self.model)
            return self._embedder


def _configured_dense_index() -> str:
    try:
        from .settings import get_settings

        return str(get_settings().dense_index)
    except Exception:  # noqa: BLE001 - invalid PQA_* values are reported where settings are read
        return "flat"


def _one_line(exc: BaseException) -> str:
    """An exception as one short line (JSON decoders put positions, not newlines, but be safe)."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 200 else text[:200] + "…"
