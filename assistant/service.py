"""HTTP API (FastAPI, run by uvicorn).

    POST /ask                {"question", "top_k"=5, "filters"?, "mode"?, "history"? | "conversation_id"?}
                             → {"question", "answer", "found", "citations", "resolved_question", "followup",
                                "slots", "took_ms"} (+ "conversation_id", "turn_id" with a conversation)
    POST /search             {"question" (or "query"), "top_k"=10, "filters"?} → {"question", "results", "took_ms"}
    GET  /clauses/{id}       one clause with its parent, neighbours and children (ids contain "/")
    GET  /clauses/{id}/versions  对照: {"clause_id", "doc_id", "label", "version_label", "validity", "versions":
                             [{"doc_id", "version_label", "validity", "clause_id", "label", "text", "similarity",
                             "match", "diff": [{"op", "text"}]…}]} the matching clause of each other version (``compare.py``)
    GET  /documents          {"documents": [metadata…]}
    GET  /documents/{doc_id} metadata + clause tree (an alias id resolves to the indexed document)
    GET  /documents/{doc_id}/versions  {"doc_id", "title", "versions": [{"doc_id", "version_label",
                             "promulgated", "effective", "validity"}]} (the versions of its title, newest first)
    GET  /health             index info (open even when an API key is set)
    /conversations, /basket, /feedback: the user's workspace (``workspace_api.py``, docs/workspace-api.md)

Filters: ``documents: [doc_id]``, ``jurisdiction: str | [str]``, ``year_from``, ``year_to``,
``kinds: [clause|table_row|paragraph|heading]``, ``as_of: "YYYY-MM-DD"`` (each law as in force then;
without it, a title with several versions answers from the one in force today); unknown keys are refused.

Follow-ups: ``history`` (≤ 20 earlier turns, oldest first, each ``{"question", "resolved_question"?,
"slots"?}``) or ``conversation_id`` (a stored conversation of this user: its turns are the history
and the new turn is appended to it); both at once → 422, an unknown or another user's id → 404.
The user is the API key's holder, else header ``X-PQA-User``, else ``local`` (``workspace_api.request_user``).

Every error is JSON ``{"detail": "…"}`` with a 4xx status (422 for invalid input, 401 without the
API key, 404 for unknown ids, 409 past a limit), 503 when the workspace database cannot be used;
a 500 only for a bug, never with a traceback.
"""
from __future__ import annotations

import ctypes
import gc
import json
import logging
import re
import secrets
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, FastAPI, File, Form, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from indexer.settings import Settings, get_settings
from indexer.versions import versions_listing

from .api_models import MAX_QUESTION, AskRequest, SearchRequest  # noqa: F401 (MAX_QUESTION re-exported)
from .candidates import EVALS_FILENAME
from .compare import clause_versions as compare_versions
from .config import AssistantConfig
from .engine import Assistant, AssistantError, index_version
from .guard import GuardLimits, RequestGuard
from .library import Library, LibraryError
from .retrieval import FilterError
from .workspace import WorkspaceStore
from .workspace_api import request_user, workspace_router
from .workspace_records import WorkspaceError

log = logging.getLogger(__name__)

MAX_ERRORS_SHOWN = 10  # a 422 names at most this many problems (700 unknown keys are not echoed back)

_MARKER = re.compile(r"\[(\d+)\]")


# ---------------------------------------------------------------------------------- errors
def _loc(loc: tuple | list) -> str:
    parts = [str(p) for p in loc if p not in ("body",)]
    return ".".join(parts) or "body"


def validation_message(exc: RequestValidationError) -> str:
    msgs = []
    for err in exc.errors():
        kind = err.get("type", "")
        if kind == "json_invalid":
            msgs.append("request body is not valid JSON")
            continue
        where = _loc(err.get("loc", ()))
        msg = str(err.get("msg", "invalid"))
        msg = msg.removeprefix("Value error, ")
        if kind == "extra_forbidden":
            msg = "unknown field"
        elif kind == "missing" and where == "body":
            msg = "a JSON body is required"
        msgs.append(_cut(f"{where}: {msg}" if where != "body" or kind != "missing" else msg, 200))
        if len(msgs) >= MAX_ERRORS_SHOWN:
            break
    unique = list(dict.fromkeys(msgs))
    more = len(exc.errors()) - len(msgs)
    return _cut("; ".join(unique) + (f"; and {more} more" if more > 0 else ""), 1000) or "invalid request"


def _cut(text: str, limit: int) -> str:
    """At most ``limit`` characters: a refusal never echoes a large part of the request."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


async def _validation_handler(request: Request, exc: RequestValidationError) -> JSONResponse:
    errors = [{"loc": [_cut(str(x), 60) for x in e.get("loc", ())][:8], "msg": _cut(str(e.get("msg", "")), 200),
               "type": str(e.get("type", ""))} for e in exc.errors()[:MAX_ERRORS_SHOWN]]
    return JSONResponse({"detail": validation_message(exc), "errors": errors}, status_code=422)


async def _http_handler(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    detail = exc.detail if exc.detail is not None else "error"
    return JSONResponse({"detail": detail}, status_code=exc.status_code, headers=getattr(exc, "headers", None))


async def _filter_handler(request: Request, exc: FilterError) -> JSONResponse:
    return JSONResponse({"detail": str(exc)}, status_code=422)


async def _internal_handler(request: Request, exc: Exception) -> JSONResponse:
    log.error("internal error on %s %s", request.method, request.url.path, exc_info=exc)
    return JSONResponse({"detail": "internal error"}, status_code=500)


class _StartupGuard:
    """Turns a failed start-up into one log line (uvicorn would print the traceback)."""

    def __init__(self, app, holder: dict[str, str]):
        self.app = app
        self.holder = holder

    async def __call__(self, scope, receive, send):
        if scope["type"] != "lifespan":
            return await self.app(scope, receive, send)

        async def guarded(message):
            if message.get("type") == "lifespan.startup.failed" and self.holder.get("error"):
                message = {**message, "message": self.holder["error"]}
            await send(message)

        return await self.app(scope, receive, guarded)


# ---------------------------------------------------------------------------------- app
def create_app(
    settings: Settings | None = None,
    *,
    assistant: Assistant | None = None,
    index_dir: str | Path | None = None,
    config: AssistantConfig | None = None,
    api_key: str | None = None,
    documents: bool = True,
    read_only: str | None = None,
) -> FastAPI:
    """The API. Pass a loaded ``assistant`` to share it, or let start-up load ``index_dir``
    (default ``settings.index_dir``); a start-up that cannot load the index fails with one line.
    ``api_key`` (default ``settings.api_key``) makes every route but /health need ``X-API-Key``.
    ``documents`` enables the document library (POST/PUT/DELETE /documents) over the served index;
    ``read_only`` (a reason) makes its writes answer 409 with it (several workers: no single writer)."""
    settings = settings or get_settings()
    key = api_key if api_key is not None else settings.api_key
    holder: dict[str, str] = {}
    workspace = WorkspaceStore.for_settings(settings)  # opened on first use: a bad data dir fails those routes only (503)

    if index_dir is not None:
        served_dir = Path(index_dir)
    elif assistant is not None and getattr(assistant.index, "index_dir", None):
        served_dir = Path(assistant.index.index_dir)
    else:
        served_dir = Path(settings.index_dir)

    def switch_to(path: Path) -> None:
        """Load the new index version and serve it from the next request on (in-flight ones finish on theirs)."""
        app.state.assistant = Assistant.load(path, settings, config)
        log.info("serving the index built at %s", app.state.assistant.health().get("built_at"))
        release_memory()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        if assistant is not None:
            app.state.assistant = assistant
        else:
            try:
                app.state.assistant = Assistant.load(index_dir, settings, config)
            except AssistantError as exc:
                holder["error"] = f"cannot start: {exc}"
                log.error("%s", holder["error"])
                raise
        if documents:
            app.state.library = Library(settings, served_dir, switch_to)
        yield
        library = getattr(app.state, "library", None)
        if library is not None:
            library.close()
        workspace.close()

    app = FastAPI(
        title="policy-qa",
        version="0.1.0",
        description="Question answering over Chinese policy documents, with clause-precise citations.",
        lifespan=lifespan,
        redirect_slashes=False,  # a redirect would carry the client's Host header back to it
    )
    if assistant is not None:
        app.state.assistant = assistant
    app.state.workspace = workspace
    app.add_exception_handler(RequestValidationError, _validation_handler)
    app.add_exception_handler(StarletteHTTPException, _http_handler)
    app.add_exception_handler(FilterError, _filter_handler)
    app.add_exception_handler(WorkspaceError, _workspace_handler)
    app.add_exception_handler(Exception, _internal_handler)
    app.add_middleware(_StartupGuard, holder=holder)
    # outermost: the key, the body's size and shape, and the load are checked before anything else runs
    app.add_middleware(RequestGuard, limits=GuardLimits(
        max_body_bytes=settings.max_body_bytes, upload_max_bytes=settings.upload_max_bytes,
        max_json_depth=settings.max_json_depth, max_json_keys=settings.max_json_keys,
        max_concurrent=settings.max_concurrent, max_queued=settings.max_queued,
        queue_timeout_s=settings.queue_timeout_s, body_timeout_s=settings.body_timeout_s), api_key=key)

    def require_key(request: Request) -> None:
        if not key:
            return
        given = request.headers.get("x-api-key")
        if not given or not secrets.compare_digest(given.encode(), key.encode()):
            raise StarletteHTTPException(status_code=401, detail="missing or invalid API key (header X-API-Key)")

    def qa(request: Request) -> Assistant:
        a = getattr(request.app.state, "assistant", None)
        if a is None:  # pragma: no cover - only before start-up completes
            raise StarletteHTTPException(status_code=503, detail="index not loaded")
        return a

    def library(request: Request, write: bool = False) -> Library:
        if write and read_only:
            raise LibraryError(read_only, 409)
        lib = getattr(request.app.state, "library", None)
        if lib is None:
            raise StarletteHTTPException(status_code=503, detail="this service was started without a document library")
        return lib

    @app.get("/health")
    async def health(request: Request) -> dict[str, Any]:
        """Answered on the event loop, not the worker threads, so busy workers cannot starve it."""
        out = qa(request).health()
        out["newer_on_disk"] = _disk_version(served_dir) not in (None, out.get("version"))
        lib = getattr(request.app.state, "library", None)
        out["documents_pending"] = lib.pending() if lib is not None else 0
        return out

    api = APIRouter(dependencies=[Depends(require_key)])

    def clause_lookup(request: Request):
        """Finds a clause of the index served now (``None`` when unknown)."""
        index = qa(request).index

        def find(clause_id: str):
            row = index.row_of.get(clause_id)
            return None if row is None else index.clauses[row]

        return find

    @api.post("/ask")
    def ask(body: AskRequest, request: Request) -> dict[str, Any]:
        filters = body.filters.model_dump(exclude_none=True) if body.filters else None
        history = [t.model_dump(exclude_none=True) for t in body.history] if body.history is not None else None
        cid = body.conversation_id
        if cid is not None:
            user = request_user(request, key)
            workspace.check_room(user, cid)
            history = workspace.history(user, cid)
        out = qa(request).ask(body.question, top_k=body.top_k, filters=filters, mode=body.mode, history=history)
        _check_markers(out)
        if cid is not None:
            out["conversation_id"] = cid
            out["turn_id"] = workspace.append_turn(user, cid, body.question, out).turn_id
        return out

    @api.post("/search")
    def search(body: SearchRequest, request: Request) -> dict[str, Any]:
        filters = body.filters.model_dump(exclude_none=True) if body.filters else None
        return qa(request).search(body.text, top_k=body.top_k, filters=filters, mode=body.mode)

    @api.get("/clauses/{clause_id:path}/versions")  # before /clauses/{id}: its path converter would swallow /versions
    def clause_versions(clause_id: str, request: Request) -> dict[str, Any]:
        out = compare_versions(qa(request).index, clause_id)
        if out is None:
            raise StarletteHTTPException(status_code=404, detail=f"unknown clause id: {clause_id}")
        return out

    @api.get("/clauses/{clause_id:path}")
    def clause(clause_id: str, request: Request) -> dict[str, Any]:
        info = qa(request).clause_info(clause_id)
        if info is None:
            raise StarletteHTTPException(status_code=404, detail=f"unknown clause id: {clause_id}")
        return info

    @api.get("/documents")
    def list_documents(request: Request) -> dict[str, Any]:
        docs = qa(request).documents()
        return {"documents": docs, "count": len(docs)}

    @api.get("/documents/{doc_id}")
    def document(doc_id: str, request: Request) -> dict[str, Any]:
        doc = qa(request).document(doc_id)
        if doc is None:
            raise StarletteHTTPException(status_code=404, detail=f"unknown document id: {doc_id}")
        return doc

    @api.get("/documents/{doc_id}/versions")
    def document_versions(doc_id: str, request: Request) -> dict[str, Any]:
        assistant = qa(request)
        real = assistant.retriever.resolve_doc_id(doc_id)
        out = versions_listing(real, assistant.index.documents) if real is not None else None
        if out is None:
            raise StarletteHTTPException(status_code=404, detail=f"unknown document id: {doc_id}")
        return out

    @api.post("/documents", status_code=202)
    async def upload(request: Request, file: UploadFile = File(...), title: str = Form(""), doc_number: str = Form(""),
                     issuer: str = Form(""), date: str = Form(""), jurisdiction: str = Form(""), status: str = Form(""),
                     period: str = Form("")) -> dict[str, Any]:
        lib = library(request, write=True)
        data = await _read_limited(file, settings.upload_max_bytes)
        meta = {"title": title, "doc_number": doc_number, "issuer": issuer, "date": date, "jurisdiction": jurisdiction, "status": status, "period": period}
        doc_id = lib.add(file.filename or "", data, meta)
        return {"doc_id": doc_id, "status": "queued"}

    @api.put("/documents/{doc_id}", status_code=202)
    async def replace(doc_id: str, request: Request, file: UploadFile | None = File(None), title: str = Form(""),
                      doc_number: str = Form(""), issuer: str = Form(""), date: str = Form(""),
                      jurisdiction: str = Form(""), status: str = Form(""), period: str = Form("")) -> dict[str, Any]:
        """A new version of the file (with its metadata), or, without a file, new metadata alone."""
        lib = library(request, write=True)
        meta = {"title": title, "doc_number": doc_number, "issuer": issuer, "date": date, "jurisdiction": jurisdiction, "status": status, "period": period}
        if file is None:
            lib.edit(doc_id, meta)
        else:
            lib.add(file.filename or "", await _read_limited(file, settings.upload_max_bytes), meta, replace_id=doc_id)
        return {"doc_id": doc_id, "status": "queued"}

    @api.delete("/documents/{doc_id}", status_code=202)
    def delete(doc_id: str, request: Request) -> dict[str, Any]:
        library(request, write=True).delete(doc_id)
        return {"doc_id": doc_id, "status": "queued"}

    @api.get("/documents/{doc_id}/status")
    def doc_status(doc_id: str, request: Request) -> dict[str, Any]:
        st = library(request).status(doc_id)
        if st is None:
            if qa(request).document(doc_id) is not None:
                return {"doc_id": doc_id, "status": "ready", "source": "corpus folder"}
            raise StarletteHTTPException(status_code=404, detail=f"unknown document id: {doc_id}")
        return st

    @api.get("/documents/{doc_id}/original")
    def original(doc_id: str, request: Request) -> FileResponse:
        meta = qa(request).document(doc_id)
        found = library(request).original(doc_id, (meta or {}).get("source"))
        if found is None:
            raise StarletteHTTPException(status_code=404, detail=f"no stored original for document {doc_id}")
        path, name = found
        return FileResponse(path, filename=name)

    app.add_exception_handler(LibraryError, _library_handler)
    app.include_router(api)
    app.include_router(workspace_router(workspace, key, clause_lookup, Path(settings.data_dir) / EVALS_FILENAME,
                                        dependencies=[Depends(require_key)]))
    return app


async def _workspace_handler(request: Request, exc: WorkspaceError) -> JSONResponse:
    return JSONResponse({"detail": str(exc)}, status_code=exc.status)


async def _library_handler(request: Request, exc: LibraryError) -> JSONResponse:
    return JSONResponse({"detail": str(exc), **exc.extra}, status_code=exc.status)


async def _read_limited(file: UploadFile, limit: int) -> bytes:
    """The upload's bytes, refused (413) as soon as they pass ``limit``."""
    chunks, size = [], 0
    while True:
        chunk = await file.read(1 << 20)
        if not chunk:
            break
        size += len(chunk)
        if size > limit:
            raise LibraryError(f"the file is larger than {limit // (1024 * 1024)} MB", 413)
        chunks.append(chunk)
    return b"".join(chunks)


def release_memory() -> None:
    """Free the previous index version now and hand the freed pages back to the system (glibc keeps
    them otherwise, and each rebuild would look like growth)."""
    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc: nothing to trim
        pass


def _disk_version(index_dir: Path) -> str | None:
    """The version of the index on disk (None when unreadable)."""
    try:
        m = json.loads((index_dir / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return index_version(m)


def _check_markers(out: dict[str, Any]) -> None:
    """Every [n] of the answer must name a returned citation (else it is a bug: refuse to answer)."""
    markers = {int(m) for m in _MARKER.findall(out.get("answer", ""))}
    have = {c.get("marker") for c in out.get("citations", [])}
    missing = markers - have
    if missing:
        raise RuntimeError(f"answer cites {sorted(missing)} but only {sorted(have)} were returned")
