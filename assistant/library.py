"""The live document library: uploads, replacements and deletions while the service keeps answering.

An upload is checked at once (size, type, a duplicate of a document already there), its original
is kept under ``data_dir/originals/<sha256><suffix>`` (content-addressed) and a job is queued.
One writer thread takes the jobs in order: it reads the document (a file that cannot be read fails
with its reason and changes nothing), places it in the corpus folder's ``uploads/`` with its
metadata in ``uploads/manifest.toml``, and runs the ordinary incremental build (only new text is
embedded; the new index version is written aside and swapped into place) in a child process, so a
parser that crashes or needs much memory never takes the service down. The service then loads
the new version and switches to it between requests: a request in flight finishes on the version
it started with. A failed build puts the corpus back as it was; the previous version keeps serving.

Statuses: ``queued`` → ``parsing`` → ``embedding`` → ``ready`` | ``failed`` (with a reason), kept
in ``data_dir/status.json`` so they survive a restart.
"""
from __future__ import annotations

import hashlib
import json
import logging
import multiprocessing
import os
import queue
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from indexer.index import build_index
from indexer.readers import SUPPORTED_SUFFIXES, UnreadableDocument, read_document
from indexer.settings import Settings

log = logging.getLogger(__name__)

UPLOADS = "uploads"
QUEUE_MAX = 32
BUILD_TIMEOUT_S = 3600.0  # one document's build, in its own process (see build_in_child)
META_FIELDS = ("title", "doc_number", "issuer", "date", "jurisdiction", "status", "period")


class LibraryError(ValueError):
    """A request the library refuses; ``status`` is the HTTP status to answer with."""

    def __init__(self, message: str, status: int = 422, **extra: Any):
        super().__init__(message)
        self.status = status
        self.extra = extra


@dataclass
class Job:
    action: str  # add | replace | meta | delete
    doc_id: str
    filename: str = ""
    sha256: str = ""
    meta: dict[str, str] = field(default_factory=dict)


class Library:
    """Uploaded documents of one corpus folder and index; one writer, any number of readers."""

    def __init__(self, settings: Settings, index_dir: Path, on_new_index: Callable[[Path], None]):
        self.settings = settings
        self.index_dir = Path(index_dir)
        # the folder this index was built from (not whatever PQA_CORPUS_DIR says today)
        self.corpus_dir = _built_from(self.index_dir) or Path(settings.corpus_dir)
        self.data_dir = Path(settings.data_dir)
        self.originals = self.data_dir / "originals"
        self.originals.mkdir(parents=True, exist_ok=True)
        self.on_new_index = on_new_index
        self._lock = threading.RLock()
        self._status: dict[str, dict[str, Any]] = self._load_status()
        self._queue: queue.Queue[Job | None] = queue.Queue(maxsize=QUEUE_MAX)
        self._worker = threading.Thread(target=self._run, name="library-writer", daemon=True)
        self._worker.start()

    # ------------------------------------------------------------------ requests (any thread)
    def add(self, filename: str, data: bytes, meta: dict[str, str], replace_id: str | None = None) -> str:
        """Queue an upload (or the new version of ``replace_id``); returns the document id."""
        suffix = Path(filename or "").suffix.lower()
        if suffix not in SUPPORTED_SUFFIXES:
            raise LibraryError(f"unsupported file type {suffix or '(none)'}: use .txt, .md, .pdf, .docx, .ofd, .html, .xlsx or .csv", 415)
        if not data:
            raise LibraryError("the file is empty", 422)
        if len(data) > self.settings.upload_max_bytes:
            raise LibraryError(f"the file is larger than {self.settings.upload_max_bytes // (1024 * 1024)} MB", 413)
        sha = hashlib.sha256(data).hexdigest()
        with self._lock:
            for doc_id, st in self._status.items():
                if st.get("sha256") == sha and st.get("status") != "failed" and st.get("action") != "delete" and doc_id != replace_id:
                    raise LibraryError(f"the same file is already document {doc_id}", 409, doc_id=doc_id)
            if replace_id is not None and replace_id not in self._status:
                raise LibraryError(f"unknown uploaded document: {replace_id}", 404)
            if replace_id is not None and self._status[replace_id].get("status") in ("queued", "parsing", "embedding"):
                raise LibraryError(f"document {replace_id} is still being processed", 409, doc_id=replace_id)
            doc_id = replace_id or f"u{sha[:10]}"
            original = self.originals / f"{sha}{suffix}"
            if not original.exists():
                _write_atomic(original, data)
            job = Job("replace" if replace_id else "add", doc_id, Path(filename).name, sha, {k: v for k, v in meta.items() if k in META_FIELDS and v})
            self._enqueue(job)
        return doc_id

    def edit(self, doc_id: str, meta: dict[str, str]) -> None:
        """Queue new metadata (title, 文号, 适用地区, period …) for an uploaded document, file unchanged."""
        changes = {k: v for k, v in meta.items() if k in META_FIELDS and v}
        if not changes:
            raise LibraryError("nothing to change: give a file or at least one metadata field", 422)
        with self._lock:
            st = self._status.get(doc_id)
            if st is None or st.get("action") == "delete":
                raise LibraryError(f"unknown uploaded document: {doc_id}", 404)
            if st.get("status") in ("queued", "parsing", "embedding"):
                raise LibraryError(f"document {doc_id} is still being processed", 409, doc_id=doc_id)
            self._enqueue(Job("meta", doc_id, st.get("filename", ""), st.get("sha256", ""), changes))

    def delete(self, doc_id: str) -> None:
        """Queue the removal of an uploaded document."""
        with self._lock:
            st = self._status.get(doc_id)
            if st is None or st.get("action") == "delete" and st.get("status") == "ready":
                raise LibraryError(f"unknown uploaded document: {doc_id} (documents of the corpus folder are removed there)", 404)
            if st.get("status") in ("queued", "parsing", "embedding"):
                raise LibraryError(f"document {doc_id} is still being processed", 409, doc_id=doc_id)
            self._enqueue(Job("delete", doc_id, st.get("filename", ""), st.get("sha256", "")))

    def status(self, doc_id: str) -> dict[str, Any] | None:
        with self._lock:
            st = self._status.get(doc_id)
            return {"doc_id": doc_id, **{k: v for k, v in st.items() if k != "action"}} if st else None

    def original(self, doc_id: str, source: str | None = None) -> tuple[Path, str] | None:
        """The original file of a document and its name: the stored upload, else the corpus folder's
        file ``source`` (never a path outside the corpus folder)."""
        with self._lock:
            st = self._status.get(doc_id)
        if st and st.get("sha256") and st.get("action") != "delete":
            path = self.originals / f"{st['sha256']}{Path(st.get('filename', '')).suffix.lower()}"
            if path.is_file():
                return path, st.get("filename") or path.name
        if source:
            path = (self.corpus_dir / source).resolve()
            if path.is_file() and path.is_relative_to(self.corpus_dir.resolve()):
                return path, path.name
        return None

    def pending(self) -> int:
        return self._queue.qsize()

    def close(self, timeout: float = 5.0) -> None:
        try:
            self._queue.put_nowait(None)
        except queue.Full:
            pass
        self._worker.join(timeout)

    # ------------------------------------------------------------------ the writer thread
    def _enqueue(self, job: Job) -> None:
        try:
            self._queue.put_nowait(job)
        except queue.Full:
            raise LibraryError("too many documents are waiting to be indexed: try again shortly", 503) from None
        self._set(job.doc_id, "queued", action=job.action, filename=job.filename, sha256=job.sha256)

    def _run(self) -> None:
        while True:
            job = self._queue.get()
            if job is None:
                return
            try:
                self._process(job)
            except Exception as exc:  # the writer must survive any one document
                log.exception("indexing %s failed", job.doc_id)
                self._set(job.doc_id, "failed", reason=f"internal error: {type(exc).__name__}")

    def _process(self, job: Job) -> None:
        uploads = self.corpus_dir / UPLOADS
        uploads.mkdir(parents=True, exist_ok=True)
        manifest_path = uploads / "manifest.toml"
        before = {p.name: p.read_bytes() for p in uploads.iterdir() if p.is_file()}
        entries = _read_entries(manifest_path)
        old = next((name for name, e in entries.items() if e.get("id") == job.doc_id), None)
        if job.action in ("add", "replace"):
            self._set(job.doc_id, "parsing")
            suffix = Path(job.filename).suffix.lower()
            data = (self.originals / f"{job.sha256}{suffix}").read_bytes()
            try:
                read = read_document(job.filename, data)
            except UnreadableDocument as exc:
                self._set(job.doc_id, "failed", reason=str(exc))
                return
            if not read.text.strip():
                self._set(job.doc_id, "failed", reason="no text")
                return
            if old:
                entries.pop(old)
                (uploads / old).unlink(missing_ok=True)
            name = f"{job.doc_id}{suffix}"
            _write_atomic(uploads / name, data)
            entries[name] = {"id": job.doc_id, "original_name": job.filename, **job.meta}
        elif job.action == "meta":
            if not old:
                self._set(job.doc_id, "failed", reason="the document is no longer in the library")
                return
            entries[old].update(job.meta)
        else:
            if old:
                entries.pop(old)
                (uploads / old).unlink(missing_ok=True)
        _write_atomic(manifest_path, _toml(entries).encode("utf-8"))
        self._set(job.doc_id, "embedding")
        t0 = time.perf_counter()
        try:
            report = build_in_child(self.settings, self.corpus_dir, self.index_dir)
            self.on_new_index(self.index_dir)
        except Exception as exc:
            _restore(uploads, before)
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            self._set(job.doc_id, "failed", reason=f"index not updated: {reason}")
            log.warning("indexing %s failed: %s (the previous index keeps serving)", job.doc_id, reason)
            return
        skipped = next((s["reason"] for s in report["skipped"] if s["file"] == f"{UPLOADS}/{job.doc_id}{Path(job.filename).suffix.lower()}"), None)
        if skipped and job.action != "delete":
            self._set(job.doc_id, "failed", reason=skipped)
            return
        self._set(job.doc_id, "ready", seconds=round(time.perf_counter() - t0, 2), embedded=report["embedded"])
        log.info("%s %s: index updated in %.1fs (%d embedded)", job.action, job.doc_id, time.perf_counter() - t0, report["embedded"])

    # ------------------------------------------------------------------ status file
    def _set(self, doc_id: str, status: str, **extra: Any) -> None:
        with self._lock:
            st = self._status.setdefault(doc_id, {})
            if status != "failed":
                st.pop("reason", None)
            st.update(extra, status=status, updated_at=time.strftime("%Y-%m-%dT%H:%M:%S"))
            _write_atomic(self.data_dir / "status.json", json.dumps(self._status, ensure_ascii=False, indent=1).encode("utf-8"))

    def _load_status(self) -> dict[str, dict[str, Any]]:
        path = self.data_dir / "status.json"
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        for st in data.values():  # work cut off by a restart did not finish
            if st.get("status") in ("queued", "parsing", "embedding"):
                st.update(status="failed", reason="interrupted by a restart: upload it again")
        return data


def build_in_child(settings: Settings, corpus_dir: Path, index_dir: Path, timeout_s: float = BUILD_TIMEOUT_S) -> dict[str, Any]:
    """The incremental build, run in a child process: a parser that crashes, leaks or needs much
    memory for one large document takes the child down, never the service. Returns the build
    report's ``embedded`` and ``skipped``; raises ``RuntimeError`` (one line) when it fails."""
    ctx = multiprocessing.get_context("spawn")
    receiver, sender = ctx.Pipe(duplex=False)
    child = ctx.Process(target=_build_child, args=(settings.model_dump_json(), str(corpus_dir), str(index_dir), sender),
                        name="index-builder", daemon=True)
    child.start()
    sender.close()
    try:
        result = receiver.recv() if receiver.poll(timeout_s) else None
    except EOFError:
        result = None
    child.join(timeout=30)
    if child.is_alive():
        child.kill()
        child.join()
    if result is None:
        raise RuntimeError(f"the index builder stopped without a result (exit {child.exitcode})")
    if not result.get("ok"):
        raise RuntimeError(str(result.get("error") or "the index build failed"))
    return result


def _build_child(settings_json: str, corpus_dir: str, index_dir: str, sender) -> None:
    """Child process: build, then send ``{"ok", "embedded", "skipped"}`` or ``{"ok": False, "error"}``."""
    try:
        settings = Settings.model_validate_json(settings_json)
        report = build_index(settings, corpus_dir=Path(corpus_dir), out_dir=Path(index_dir), show_progress=False)
        sender.send({"ok": True, "embedded": report.embedded, "skipped": list(report.skipped)})
    except Exception as exc:  # noqa: BLE001 - the parent reports it as the document's reason
        text = " ".join(str(exc).split()) or type(exc).__name__
        sender.send({"ok": False, "error": text[:300]})
    finally:
        sender.close()


def _built_from(index_dir: Path) -> Path | None:
    try:
        folder = json.loads((index_dir / "manifest.json").read_text(encoding="utf-8")).get("corpus_dir")
    except (OSError, ValueError):
        return None
    return Path(folder) if folder and Path(folder).is_dir() else None


def _read_entries(path: Path) -> dict[str, dict[str, Any]]:
    import tomllib

    try:
        return {k: dict(v) for k, v in tomllib.loads(path.read_text(encoding="utf-8")).items() if isinstance(v, dict)}
    except FileNotFoundError:
        return {}


def _toml(entries: dict[str, dict[str, Any]]) -> str:
    lines = ["# Written by the service for uploaded documents (POST /documents); edit through the API."]
    for name, entry in sorted(entries.items()):
        lines.append(f"\n[{json.dumps(name, ensure_ascii=False)}]")
        for k, v in entry.items():
            lines.append(f"{k} = {json.dumps(str(v), ensure_ascii=False)}")
    return "\n".join(lines) + "\n"


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}-{threading.get_ident()}")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def _restore(folder: Path, files: dict[str, bytes]) -> None:
    """Put ``folder`` back to ``files`` (name → bytes)."""
    for p in folder.iterdir():
        if p.is_file() and p.name not in files:
            p.unlink()
    for name, data in files.items():
        _write_atomic(folder / name, data)


__all__ = ["Library", "LibraryError", "UPLOADS"]
