"""Records of the user's workspace (conversations, turns, basket items, feedback) and how the API shows them.

Plain dataclasses; times are seconds since the epoch, shown as ISO 8601 (UTC, milliseconds).
The store is ``workspace.py``; the HTTP contract ``docs/workspace-api.md``.
"""
from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from indexer.settings import Settings

STORED_CITATIONS = 20
TITLE_CHARS = 30  # a conversation without a title takes its first question, cut to this
HISTORY_TURNS = 20  # turns of a stored conversation given to the follow-up resolution
BASKET_FIELDS = ("clause_id", "doc_id", "doc_title", "doc_number", "jurisdiction", "source", "label", "path",
                 "text", "quote", "quote_spans", "lines", "pages", "ocr", "cite", "kind", "status", "period")
REASONS = ("引用错误", "答案不完整", "数字不对", "已过时", "没找到但文档里有")
FEEDBACK_STATUSES = ("new", "accepted", "rejected")
FEEDBACK_FIELDS = ("rating", "question", "resolved_question", "answer", "cited_clause_ids", "conversation_id",
                   "turn_id", "reason", "correct_clause_id", "comment")
EDITABLE_FEEDBACK = ("reason", "correct_clause_id", "comment")


class WorkspaceError(Exception):
    """A request the workspace refuses; ``status`` is the HTTP status to answer with."""

    def __init__(self, message: str, status: int = 422):
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Limits:
    conversations: int = 200
    turns: int = 200
    basket: int = 500
    feedback: int = 10_000

    @classmethod
    def from_settings(cls, settings: Settings) -> "Limits":
        return cls(settings.workspace_max_conversations, settings.workspace_max_turns,
                   settings.workspace_max_basket, settings.workspace_max_feedback)


def iso(t: float | None) -> str | None:
    """Seconds since the epoch as ISO 8601 (UTC)."""
    return None if t is None else datetime.fromtimestamp(t, timezone.utc).isoformat(timespec="milliseconds")


@dataclass
class Conversation:
    conversation_id: str
    title: str
    created_at: float
    updated_at: float
    turns: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {"conversation_id": self.conversation_id, "title": self.title, "created_at": iso(self.created_at),
                "updated_at": iso(self.updated_at), "turns": self.turns}


@dataclass
class Turn:
    turn_id: str
    question: str
    resolved_question: str
    followup: bool
    slots: dict[str, Any]
    response: dict[str, Any]
    created_at: float

    def to_dict(self) -> dict[str, Any]:
        return {"turn_id": self.turn_id, "question": self.question, "resolved_question": self.resolved_question,
                "followup": self.followup, "slots": self.slots, "response": self.response,
                "created_at": iso(self.created_at)}


@dataclass
class BasketItem:
    item_id: str
    added_at: float
    citation: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {"item_id": self.item_id, "added_at": iso(self.added_at), **self.citation}


@dataclass
class Feedback:
    feedback_id: str
    author: str
    rating: str
    question: str
    status: str
    created_at: float
    updated_at: float
    resolved_question: str | None = None
    answer: str | None = None
    cited_clause_ids: list[str] = field(default_factory=list)
    conversation_id: str | None = None
    turn_id: str | None = None
    reason: str | None = None
    correct_clause_id: str | None = None
    comment: str | None = None
    decided_at: float | None = None

    def to_dict(self, viewer: str | None = None) -> dict[str, Any]:
        """The record as the API shows it: the author's id stays private, ``mine`` tells the viewer."""
        d = {"feedback_id": self.feedback_id, **{k: getattr(self, k) for k in FEEDBACK_FIELDS}, "status": self.status,
             "created_at": iso(self.created_at), "updated_at": iso(self.updated_at), "decided_at": iso(self.decided_at)}
        d["mine"] = viewer is not None and viewer == self.author
        return d


def cut_response(response: dict[str, Any]) -> dict[str, Any]:
    """The ``/ask`` response as stored with a turn: everything but citations past the 20th."""
    out = {k: v for k, v in response.items() if k not in ("citations", "conversation_id", "turn_id")}
    out["citations"] = list(response.get("citations") or [])[:STORED_CITATIONS]
    return out


def keep_citation(citation: dict[str, Any]) -> dict[str, Any]:
    """Only the citation fields the UI uses (``BASKET_FIELDS``), in that order."""
    return {k: citation[k] for k in BASKET_FIELDS if k in citation}


def to_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def column_value(value: Any) -> Any:
    return to_json(value) if isinstance(value, list) else value


def conversation_from_row(r: sqlite3.Row) -> Conversation:
    return Conversation(r["id"], r["title"], r["created_at"], r["updated_at"], r["turns"])


def turn_from_row(r: sqlite3.Row) -> Turn:
    return Turn(r["id"], r["question"], r["resolved_question"], bool(r["followup"]), json.loads(r["slots"]),
                json.loads(r["response"]), r["created_at"])


def item_from_row(r: sqlite3.Row) -> BasketItem:
    return BasketItem(r["id"], r["added_at"], json.loads(r["citation"]))


def feedback_from_row(r: sqlite3.Row) -> Feedback:
    values = {k: r[k] for k in FEEDBACK_FIELDS}
    values["cited_clause_ids"] = json.loads(values["cited_clause_ids"] or "[]")
    return Feedback(r["id"], r["user"], status=r["status"], created_at=r["created_at"], updated_at=r["updated_at"],
                    decided_at=r["decided_at"], **values)
