"""HTTP API (FastAPI, run by uvicorn).

    POST /ask                {"question", "top_k"=5, "filters"?, "mode"?} → {"question", "answer", "found", "citations", "took_ms"}
    POST /search             {"question" (or "query"), "top_k"=10, "filters"?} → {"question", "results", "took_ms"}
    GET  /clauses/{id}       one clause with its parent, neighbours and children (ids contain "/")
    GET  /documents          {"documents": [metadata…]}
    GET  /documents/{doc_id} metadata + clause tree (an alias id resolves to the indexed document)
    GET  /health             index info (open even when an API key is set)

Filters: ``documents: [doc_id]``, ``jurisdiction: str | [str]``, ``year_from``, ``year_to``,
``kinds: [clause|table_row|paragraph|heading]``; unknown keys are refused.

Every error is JSON ``{"detail": "…"}`` with a 4xx status (422 for invalid input, 401 without the
API key, 404 for unknown ids); a 500 only for a bug, never with a traceback.
"""
from __future__ import annotations

import logging
import re
import secrets
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from starlette.exceptions import HTTPException as StarletteHTTPException

from indexer.records import CLAUSE_KINDS
from indexer.settings import Settings, get_settings

from .config import AssistantConfig
from .engine import Assistant, AssistantError
from .retrieval import FilterError

log = logging.getLogger(__name__)

MAX_QUESTION = 1000
_MARKER = re.compile(r"\[(\d+)\]")


# ---------------------------------------------------------------------------------- models
class FiltersModel(BaseModel):
    model_config = ConfigDict(extra="forbid")

    documents: list[Annotated[str, Field(min_length=1, max_length=200)]] | None = Field(None, max_length=1000)
    jurisdiction: Annotated[str, Field(min_length=1, max_length=100)] | list[Annotated[str, Field(min_length=1, max_length=100)]] | None = None
    year_from: Annotated[int, Field(strict=True, ge=1900, le=2200)] | None = None
    year_to: Annotated[int, Field(strict=True, ge=1900, le=2200)] | None = None
    kinds: list[Literal[CLAUSE_KINDS]] | None = None  # type: ignore[valid-type]

    @model_validator(mode="after")
    def _range(self) -> "FiltersModel":
        if self.year_from is not None and self.year_to is not None and self.year_from > self.year_to:
            raise ValueError("year_from must not be after year_to")
        return self


def _clean_question(v: Any) -> Any:
    if isinstance(v, str):
        v = v.strip()
        if not v:
            raise ValueError("question is empty")
        if len(v) > MAX_QUESTION:
            raise ValueError(f"question is longer than {MAX_QUESTION} characters")
    return v


class AskRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question: Annotated[str, Field(strict=True)]
    top_k: Annotated[int, Field(strict=True, ge=1, le=50)] = 5
    filters: FiltersModel | None = None
    mode: Literal["hybrid", "bm25", "dense"] | None = None

    _q = field_validator("question")(_clean_question)


class SearchRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question: Annotated[str, Field(strict=True)] | None = None
    query: Annotated[str, Field(strict=True)] | None = None
    top_k: Annotated[int, Field(strict=True, ge=1, le=50)] = 10
    filters: FiltersModel | None = None
    mode: Literal["hybrid", "bm25", "dense"] | None = None

    _q = field_validator("question", "query")(_clean_question)

    @model_validator(mode="after")
    def _one_text(self) -> "SearchRequest":
        if self.question is None and self.query is None:
            raise ValueError("question is required")
        if self.question is not None and self.query is not None and self.question != self.query:
            raise ValueError("give question or query, not two different texts")
        return self

    @property
    def text(self) -> str:
        return self.question if self.question is not None else str(self.query)


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
        msgs.append(f"{where}: {msg}" if where != "body" or kind != "missing" else msg)
    return "; ".join(dict.fromkeys(msgs)) or "invalid request"


async def _validation_handler(request: Request, exc: RequestValidationError) -> JSONResponse:
    errors = [{"loc": [str(x) for x in e.get("loc", ())], "msg": str(e.get("msg", "")), "type": e.get("type", "")} for e in exc.errors()]
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
) -> FastAPI:
    """The API. Pass a loaded ``assistant`` to share it, or let start-up load ``index_dir``
    (default ``settings.index_dir``); a start-up that cannot load the index fails with one line.
    ``api_key`` (default ``settings.api_key``) makes every route but /health need ``X-API-Key``."""
    settings = settings or get_settings()
    key = api_key if api_key is not None else settings.api_key
    holder: dict[str, str] = {}

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
        yield

    app = FastAPI(
        title="policy-qa",
        version="0.1.0",
        description="Question answering over Chinese policy documents, with clause-precise citations.",
        lifespan=lifespan,
    )
    if assistant is not None:
        app.state.assistant = assistant
    app.add_exception_handler(RequestValidationError, _validation_handler)
    app.add_exception_handler(StarletteHTTPException, _http_handler)
    app.add_exception_handler(FilterError, _filter_handler)
    app.add_exception_handler(Exception, _internal_handler)
    app.add_middleware(_StartupGuard, holder=holder)

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

    @app.get("/health")
    def health(request: Request) -> dict[str, Any]:
        return qa(request).health()

    api = APIRouter(dependencies=[Depends(require_key)])

    @api.post("/ask")
    def ask(body: AskRequest, request: Request) -> dict[str, Any]:
        filters = body.filters.model_dump(exclude_none=True) if body.filters else None
        out = qa(request).ask(body.question, top_k=body.top_k, filters=filters, mode=body.mode)
        _check_markers(out)
        return out

    @api.post("/search")
    def search(body: SearchRequest, request: Request) -> dict[str, Any]:
        filters = body.filters.model_dump(exclude_none=True) if body.filters else None
        return qa(request).search(body.text, top_k=body.top_k, filters=filters, mode=body.mode)

    @api.get("/clauses/{clause_id:path}")
    def clause(clause_id: str, request: Request) -> dict[str, Any]:
        info = qa(request).clause_info(clause_id)
        if info is None:
            raise StarletteHTTPException(status_code=404, detail=f"unknown clause id: {clause_id}")
        return info

    @api.get("/documents")
    def documents(request: Request) -> dict[str, Any]:
        docs = qa(request).documents()
        return {"documents": docs, "count": len(docs)}

    @api.get("/documents/{doc_id}")
    def document(doc_id: str, request: Request) -> dict[str, Any]:
        doc = qa(request).document(doc_id)
        if doc is None:
            raise StarletteHTTPException(status_code=404, detail=f"unknown document id: {doc_id}")
        return doc

    app.include_router(api)
    return app


def _check_markers(out: dict[str, Any]) -> None:
    """Every [n] of the answer must name a returned citation (else it is a bug: refuse to answer)."""
    markers = {int(m) for m in _MARKER.findall(out.get("answer", ""))}
    have = {c.get("marker") for c in out.get("citations", [])}
    missing = markers - have
    if missing:
        raise RuntimeError(f"answer cites {sorted(missing)} but only {sorted(have)} were returned")
