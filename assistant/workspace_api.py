"""HTTP routes of the user's workspace (contract: ``docs/workspace-api.md``).

    POST/GET /conversations, GET/PATCH/DELETE /conversations/{id}
    GET/POST/DELETE /basket, POST /basket/order, DELETE /basket/{item_id}
    POST/GET /feedback, PATCH /feedback/{id}, GET /feedback/{id}/candidate,
    POST /feedback/{id}/accept, POST /feedback/{id}/reject

:func:`workspace_router` builds the router (``service.py`` mounts it behind the API-key check);
:func:`request_user` says whose workspace a request touches: the API key's holder (``key:`` + the
first 16 hex digits of its SHA-256) when a key is set, else header ``X-PQA-User`` (8–64 characters
of ``[A-Za-z0-9_-]``, anything else 422), else ``local``. Request bodies refuse unknown fields and
bound every string and list; errors are :class:`~assistant.workspace.WorkspaceError` (JSON
``{"detail"}`` through the service's handler).
"""
from __future__ import annotations

import hashlib
import json
import logging
import re
from pathlib import Path
from typing import Annotated, Any, Callable, Literal

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from .candidates import ClauseLookup, append_line, build_candidate, check_candidate
from .workspace import WorkspaceStore
from .workspace_records import REASONS, WorkspaceError, keep_citation

log = logging.getLogger(__name__)

USER_HEADER = "X-PQA-User"
_USER = re.compile(r"[A-Za-z0-9_-]{8,64}")
MAX_CITATION_JSON = 20_000  # characters of one basket citation, its clause text included (under the 64 KB body limit)


def request_user(request: Request, api_key: str | None) -> str:
    """Whose workspace: the API key's holder, else the ``X-PQA-User`` header, else ``local``."""
    if api_key:
        return "key:" + hashlib.sha256(api_key.encode("utf-8")).hexdigest()[:16]
    given = request.headers.get(USER_HEADER)
    if given is None:
        return "local"
    if not _USER.fullmatch(given):
        raise WorkspaceError(f"header {USER_HEADER} must be 8–64 characters of A–Z, a–z, 0–9, '_' and '-'", 422)
    return given


# ---------------------------------------------------------------------------------- models
def _text(max_length: int, min_length: int = 0) -> Any:
    return Annotated[str, Field(strict=True, min_length=min_length, max_length=max_length)]


Id = _text(64, 1)
ClauseId = _text(300, 1)
Short = _text(200)
Label = _text(200, 1)
Title = _text(100)
Comment = _text(1000)
Question = _text(1000, 1)
Reason = Literal[REASONS]  # type: ignore[valid-type]


def _trimmed(v: Any, lo: int, hi: int) -> Any:
    if isinstance(v, str):
        v = v.strip()
        if not lo <= len(v) <= hi:
            raise ValueError(f"must be {lo}–{hi} characters (without surrounding spaces)")
    return v


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ConversationCreate(_Body):
    title: Title | None = None


class ConversationRename(_Body):
    title: Annotated[str, Field(strict=True)]

    _t = field_validator("title")(lambda v: _trimmed(v, 1, 100))


class BasketAdd(_Body):
    citation: dict[str, Any]

    @field_validator("citation")
    @classmethod
    def _citation(cls, v: dict[str, Any]) -> dict[str, Any]:
        cid = v.get("clause_id")
        if not isinstance(cid, str) or not cid.strip() or len(cid) > 300:
            raise ValueError("clause_id is required (a string of 1–300 characters)")
        if "quote" in v and v["quote"] is not None and not isinstance(v["quote"], str):
            raise ValueError("quote must be a string")
        kept = keep_citation(v)
        if len(json.dumps(kept, ensure_ascii=False)) > MAX_CITATION_JSON:
            raise ValueError(f"the citation is larger than {MAX_CITATION_JSON} characters")
        return kept


class BasketOrder(_Body):
    item_ids: list[Id] = Field(max_length=10_000)


class FeedbackCreate(_Body):
    rating: Literal["up", "down"]
    question: Annotated[str, Field(strict=True)]
    resolved_question: Question | None = None
    answer: Annotated[str, Field(strict=True, max_length=20_000)] | None = None
    cited_clause_ids: list[ClauseId] | None = Field(None, max_length=100)
    conversation_id: Id | None = None
    turn_id: Id | None = None
    reason: Reason | None = None
    correct_clause_id: ClauseId | None = None
    comment: Comment | None = None

    _q = field_validator("question")(lambda v: _trimmed(v, 1, 1000))


class FeedbackEdit(_Body):
    reason: Reason | None = None
    correct_clause_id: ClauseId | None = None
    comment: Comment | None = None

    @model_validator(mode="after")
    def _something(self) -> "FeedbackEdit":
        if not self.model_fields_set:
            raise ValueError("give reason, correct_clause_id or comment")
        return self


class GoldLocation(_Body):
    doc_id: Label
    clause_id: ClauseId
    evidence: Label


class Candidate(_Body):
    id: Label
    type: Label
    question: Question
    gold: list[GoldLocation] = Field(min_length=1, max_length=10)
    answer: Short | Annotated[list[Short], Field(min_length=1, max_length=10)]
    notes: Annotated[str, Field(strict=True, max_length=2000)] = ""


class AcceptBody(_Body):
    candidate: Candidate


# ---------------------------------------------------------------------------------- routes
def workspace_router(store: WorkspaceStore, api_key: str | None, lookup_of: Callable[[Request], ClauseLookup],
                     evals_path: Path, dependencies: list[Any] | None = None) -> APIRouter:
    """The workspace routes over ``store``; ``lookup_of(request)`` finds a clause of the served index,
    ``evals_path`` is the feedback eval file accepted candidates are appended to."""
    router = APIRouter(dependencies=dependencies or [])

    def user(request: Request) -> str:
        return request_user(request, api_key)

    # ------------------------------------------------------------------ conversations
    @router.post("/conversations", status_code=201)
    def create_conversation(request: Request, body: ConversationCreate | None = None) -> dict[str, Any]:
        return store.create_conversation(user(request), body.title if body else None).to_dict()

    @router.get("/conversations")
    def list_conversations(request: Request) -> dict[str, Any]:
        return {"conversations": [c.to_dict() for c in store.conversations(user(request))]}

    @router.get("/conversations/{conversation_id}")
    def get_conversation(conversation_id: str, request: Request) -> dict[str, Any]:
        u = user(request)
        out = store.conversation(u, conversation_id).to_dict()
        out["turns"] = [t.to_dict() for t in store.turns(u, conversation_id)]
        return out

    @router.patch("/conversations/{conversation_id}")
    def rename_conversation(conversation_id: str, body: ConversationRename, request: Request) -> dict[str, Any]:
        return store.rename_conversation(user(request), conversation_id, body.title).to_dict()

    @router.delete("/conversations/{conversation_id}", status_code=204)
    def delete_conversation(conversation_id: str, request: Request) -> Response:
        store.delete_conversation(user(request), conversation_id)
        return Response(status_code=204)

    # ------------------------------------------------------------------ basket
    @router.get("/basket")
    def get_basket(request: Request) -> dict[str, Any]:
        return {"items": [i.to_dict() for i in store.basket(user(request))]}

    @router.post("/basket", status_code=201)
    def add_to_basket(body: BasketAdd, request: Request, response: Response) -> dict[str, Any]:
        item, duplicate = store.add_to_basket(user(request), body.citation)
        if duplicate:
            response.status_code = 200
        return {"item": item.to_dict(), "duplicate": duplicate}

    @router.post("/basket/order")
    def order_basket(body: BasketOrder, request: Request) -> dict[str, Any]:
        return {"items": [i.to_dict() for i in store.order_basket(user(request), body.item_ids)]}

    @router.delete("/basket/{item_id}", status_code=204)
    def remove_from_basket(item_id: str, request: Request) -> Response:
        store.remove_from_basket(user(request), item_id)
        return Response(status_code=204)

    @router.delete("/basket", status_code=204)
    def clear_basket(request: Request) -> Response:
        store.clear_basket(user(request))
        return Response(status_code=204)

    # ------------------------------------------------------------------ feedback
    def known_clause(request: Request, clause_id: str | None) -> None:
        if clause_id is not None and lookup_of(request)(clause_id) is None:
            raise WorkspaceError(f"correct_clause_id: {clause_id} is not a clause of the served index", 422)

    @router.post("/feedback", status_code=201)
    def add_feedback(body: FeedbackCreate, request: Request) -> dict[str, Any]:
        u = user(request)
        known_clause(request, body.correct_clause_id)
        fb = store.add_feedback(u, body.model_dump())
        log.info("feedback %s: %s %s", fb.feedback_id, fb.rating, fb.reason or "")
        return fb.to_dict(u)

    @router.get("/feedback")
    def list_feedback(request: Request, rating: Literal["up", "down"] | None = None,
                      status: Literal["new", "accepted", "rejected"] | None = None,
                      limit: Annotated[int, Query(ge=1, le=10_000)] = 1000) -> dict[str, Any]:
        u = user(request)
        return {"feedback": [f.to_dict(u) for f in store.feedback_list(rating, status, limit)]}

    @router.patch("/feedback/{feedback_id}")
    def edit_feedback(feedback_id: str, body: FeedbackEdit, request: Request) -> dict[str, Any]:
        u = user(request)
        changes = body.model_dump(include=body.model_fields_set)
        known_clause(request, changes.get("correct_clause_id"))
        return store.edit_feedback(u, feedback_id, changes).to_dict(u)

    def eligible(request: Request, feedback_id: str):
        fb = store.feedback(feedback_id)
        if fb.rating != "down" or not fb.correct_clause_id:
            raise WorkspaceError(f"feedback {feedback_id} is not a 👎 naming the correct clause: no eval question to make", 409)
        clause = lookup_of(request)(fb.correct_clause_id)
        if clause is None:
            raise WorkspaceError(f"clause {fb.correct_clause_id} is no longer in the served index", 409)
        return fb, clause

    @router.get("/feedback/{feedback_id}/candidate")
    def candidate(feedback_id: str, request: Request) -> dict[str, Any]:
        fb, clause = eligible(request, feedback_id)
        return {"candidate": build_candidate(fb, clause)}

    @router.post("/feedback/{feedback_id}/accept")
    def accept(feedback_id: str, body: AcceptBody, request: Request) -> dict[str, Any]:
        u = user(request)
        if (status := store.feedback(feedback_id).status) != "new":
            raise WorkspaceError(f"feedback {feedback_id} is already {status}", 409)
        eligible(request, feedback_id)
        record = check_candidate(body.candidate.model_dump(), feedback_id, lookup_of(request))
        fb = store.decide_feedback(feedback_id, "accepted", before=lambda _fb: append_line(evals_path, record))
        log.info("feedback %s accepted into %s as %s", feedback_id, evals_path, record["id"])
        return {**fb.to_dict(u), "candidate": record}

    @router.post("/feedback/{feedback_id}/reject")
    def reject(feedback_id: str, request: Request) -> dict[str, Any]:
        fb = store.decide_feedback(feedback_id, "rejected")
        log.info("feedback %s rejected", feedback_id)
        return fb.to_dict(user(request))

    return router


__all__ = ["USER_HEADER", "request_user", "workspace_router"]
