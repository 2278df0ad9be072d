"""What a user keeps, stored server-side: conversations and their turns, the citation basket, feedback.

One SQLite file (``<data_dir>/workspace.sqlite3``, WAL mode), opened on first use and re-opened
after a failure; one connection shared by the service's threads behind a lock (every operation is a
short transaction). ``schema_version`` holds the layout's version: a newer file is refused.

Everything is per user (``user`` column); another user's id is as unknown as a missing one (404).
Every list is bounded (:class:`Limits`, from ``Settings.workspace_max_*``): creating a conversation
past the limit deletes the user's least recently updated one; a conversation past its turn limit
and a full basket answer 409; feedback past its limit drops the oldest decided entry (503 when all
are undecided). A stored response is cut to its answer and 20 citations. Records: ``workspace_records.py``.
Errors are :class:`WorkspaceError` carrying the HTTP status (a database that cannot be opened,
read or written: 503). The HTTP contract is ``docs/workspace-api.md``; routes in ``workspace_api.py``.
"""
from __future__ import annotations

import json
import logging
import secrets
import sqlite3
import threading
import time
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any, Callable, Iterator

from indexer.settings import Settings

from .workspace_records import (
    EDITABLE_FEEDBACK, FEEDBACK_FIELDS, HISTORY_TURNS, TITLE_CHARS, BasketItem, Conversation, Feedback, Limits, Turn,
    WorkspaceError, column_value, conversation_from_row, cut_response, feedback_from_row, item_from_row, keep_citation,
    to_json, turn_from_row,
)

log = logging.getLogger(__name__)

FILENAME = "workspace.sqlite3"
SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS conversations (
    id TEXT PRIMARY KEY, user TEXT NOT NULL, title TEXT NOT NULL, titled INTEGER NOT NULL,
    created_at REAL NOT NULL, updated_at REAL NOT NULL, turns INTEGER NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS conversations_user ON conversations (user, updated_at);
CREATE TABLE IF NOT EXISTS turns (
    id TEXT PRIMARY KEY, conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    seq INTEGER NOT NULL, question TEXT NOT NULL, resolved_question TEXT NOT NULL, followup INTEGER NOT NULL,
    slots TEXT NOT NULL, response TEXT NOT NULL, created_at REAL NOT NULL);
CREATE INDEX IF NOT EXISTS turns_conversation ON turns (conversation_id, seq);
CREATE TABLE IF NOT EXISTS basket (
    id TEXT PRIMARY KEY, user TEXT NOT NULL, position INTEGER NOT NULL, clause_id TEXT NOT NULL,
    quote TEXT NOT NULL, citation TEXT NOT NULL, added_at REAL NOT NULL, UNIQUE (user, clause_id, quote));
CREATE INDEX IF NOT EXISTS basket_user ON basket (user, position);
CREATE TABLE IF NOT EXISTS feedback (
    id TEXT PRIMARY KEY, user TEXT NOT NULL, rating TEXT NOT NULL, question TEXT NOT NULL,
    resolved_question TEXT, answer TEXT, cited_clause_ids TEXT NOT NULL, conversation_id TEXT, turn_id TEXT,
    reason TEXT, correct_clause_id TEXT, comment TEXT, status TEXT NOT NULL, created_at REAL NOT NULL,
    updated_at REAL NOT NULL, decided_at REAL);
CREATE INDEX IF NOT EXISTS feedback_created ON feedback (created_at);
"""


class WorkspaceStore:
    """Conversations, basket and feedback of every user in one SQLite file. Thread-safe."""

    def __init__(self, path: str | Path, limits: Limits | None = None):
        self.path = Path(path)
        self.limits = limits or Limits()
        self._lock = threading.RLock()
        self._conn: sqlite3.Connection | None = None
        self._last = 0.0

    @classmethod
    def for_settings(cls, settings: Settings) -> "WorkspaceStore":
        return cls(Path(settings.data_dir) / FILENAME, Limits.from_settings(settings))

    # ------------------------------------------------------------------ connection
    def _open(self) -> sqlite3.Connection:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path, timeout=10.0, isolation_level=None, check_same_thread=False)
        except (OSError, sqlite3.Error) as exc:
            raise self._unavailable("opened", exc) from None
        try:
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA foreign_keys=ON")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
            row = conn.execute("SELECT MAX(version) FROM schema_version").fetchone()
            version = row[0] if row else None
            if version is not None and version > SCHEMA_VERSION:
                conn.execute("ROLLBACK")
                raise WorkspaceError(f"the workspace database {self.path} has schema version {version}, newer than this "
                                     f"service's {SCHEMA_VERSION}: upgrade policy-qa", 503)
            for stmt in filter(str.strip, _SCHEMA.split(";")):
                conn.execute(stmt)
            if version is None:
                conn.execute("INSERT INTO schema_version (version) VALUES (?)", (SCHEMA_VERSION,))
            conn.execute("COMMIT")
        except WorkspaceError:
            conn.close()
            raise
        except sqlite3.Error as exc:
            conn.close()
            raise self._unavailable("opened", exc) from None
        log.info("workspace database %s opened", self.path)
        return conn

    def _unavailable(self, what: str, exc: BaseException) -> WorkspaceError:
        log.error("workspace database %s cannot be %s: %s", self.path, what, exc)
        return WorkspaceError(f"the workspace database cannot be {what} ({self.path}: {exc})", 503)

    @contextmanager
    def _tx(self, write: bool = True) -> Iterator[sqlite3.Connection]:
        """The connection, inside a transaction when ``write``; database errors become 503."""
        with self._lock:
            if self._conn is None:
                self._conn = self._open()
            conn = self._conn
            try:
                if write:
                    conn.execute("BEGIN IMMEDIATE")
                yield conn
                if write:
                    conn.execute("COMMIT")
            except sqlite3.Error as exc:
                self._rollback(conn)
                self.close()  # re-open on the next request: the file may have been repaired or replaced
                raise self._unavailable("written" if write else "read", exc) from None
            except BaseException:
                self._rollback(conn)
                raise

    @staticmethod
    def _rollback(conn: sqlite3.Connection) -> None:
        with suppress(sqlite3.Error):
            if conn.in_transaction:
                conn.execute("ROLLBACK")

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                with suppress(sqlite3.Error):
                    self._conn.close()
                self._conn = None

    def _now(self) -> float:
        """Strictly increasing time (called under the lock), so 'newest first' is never a tie."""
        t = max(time.time(), self._last + 1e-6)
        self._last = t
        return t

    # ------------------------------------------------------------------ conversations
    def create_conversation(self, user: str, title: str | None = None) -> Conversation:
        """A new conversation; past the limit the user's least recently updated one is deleted."""
        title = (title or "").strip()
        with self._tx() as db:
            n = db.execute("SELECT COUNT(*) FROM conversations WHERE user = ?", (user,)).fetchone()[0]
            if n >= self.limits.conversations:
                old = db.execute("SELECT id FROM conversations WHERE user = ? ORDER BY updated_at ASC LIMIT ?",
                                 (user, n - self.limits.conversations + 1)).fetchall()
                db.executemany("DELETE FROM conversations WHERE id = ?", [(r[0],) for r in old])
                log.info("conversation limit %d reached: deleted %d of user %s", self.limits.conversations, len(old), user)
            now, cid = self._now(), secrets.token_hex(8)
            db.execute("INSERT INTO conversations (id, user, title, titled, created_at, updated_at, turns) "
                       "VALUES (?, ?, ?, ?, ?, ?, 0)", (cid, user, title, int(bool(title)), now, now))
        return Conversation(cid, title, now, now, 0)

    def conversations(self, user: str) -> list[Conversation]:
        """The user's conversations, most recently updated first."""
        with self._tx(write=False) as db:
            rows = db.execute("SELECT * FROM conversations WHERE user = ? ORDER BY updated_at DESC LIMIT ?",
                              (user, self.limits.conversations)).fetchall()
        return [conversation_from_row(r) for r in rows]

    def conversation(self, user: str, conversation_id: str) -> Conversation:
        with self._tx(write=False) as db:
            return conversation_from_row(self._own_conversation(db, user, conversation_id))

    def turns(self, user: str, conversation_id: str) -> list[Turn]:
        """The conversation's turns, oldest first."""
        with self._tx(write=False) as db:
            self._own_conversation(db, user, conversation_id)
            rows = db.execute("SELECT * FROM turns WHERE conversation_id = ? ORDER BY seq", (conversation_id,)).fetchall()
        return [turn_from_row(r) for r in rows]

    def history(self, user: str, conversation_id: str, n: int = HISTORY_TURNS) -> list[dict[str, Any]]:
        """The last ``n`` turns, oldest first, as ``Assistant.ask(history=…)`` takes them."""
        with self._tx(write=False) as db:
            self._own_conversation(db, user, conversation_id)
            rows = db.execute("SELECT question, resolved_question, slots FROM turns WHERE conversation_id = ? "
                              "ORDER BY seq DESC LIMIT ?", (conversation_id, n)).fetchall()
        return [{"question": r["question"], "resolved_question": r["resolved_question"], "slots": json.loads(r["slots"])}
                for r in reversed(rows)]

    def check_room(self, user: str, conversation_id: str) -> None:
        """404 for a conversation that is not the user's, 409 when it holds its last turn."""
        conv = self.conversation(user, conversation_id)
        if conv.turns >= self.limits.turns:
            raise WorkspaceError(f"conversation {conversation_id} has reached {self.limits.turns} turns: start a new one", 409)

    def append_turn(self, user: str, conversation_id: str, question: str, response: dict[str, Any]) -> Turn:
        """Store a question and its ``/ask`` response as the conversation's next turn."""
        with self._tx() as db:
            conv = conversation_from_row(self._own_conversation(db, user, conversation_id))
            if conv.turns >= self.limits.turns:
                raise WorkspaceError(f"conversation {conversation_id} has reached {self.limits.turns} turns: start a new one", 409)
            now, tid = self._now(), secrets.token_hex(8)
            turn = Turn(tid, question, str(response.get("resolved_question") or question), bool(response.get("followup")),
                        dict(response.get("slots") or {}), cut_response(response), now)
            db.execute("INSERT INTO turns (id, conversation_id, seq, question, resolved_question, followup, slots, response, "
                       "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       (tid, conversation_id, conv.turns + 1, question, turn.resolved_question, int(turn.followup),
                        to_json(turn.slots), to_json(turn.response), now))
            db.execute("UPDATE conversations SET turns = turns + 1, updated_at = ?, "
                       "title = CASE WHEN titled THEN title ELSE ? END, titled = 1 WHERE id = ?",
                       (now, question.strip()[:TITLE_CHARS], conversation_id))
        return turn

    def rename_conversation(self, user: str, conversation_id: str, title: str) -> Conversation:
        with self._tx() as db:
            self._own_conversation(db, user, conversation_id)
            db.execute("UPDATE conversations SET title = ?, titled = 1, updated_at = ? WHERE id = ?",
                       (title.strip(), self._now(), conversation_id))
            return conversation_from_row(self._own_conversation(db, user, conversation_id))

    def delete_conversation(self, user: str, conversation_id: str) -> None:
        with self._tx() as db:
            self._own_conversation(db, user, conversation_id)
            db.execute("DELETE FROM conversations WHERE id = ?", (conversation_id,))

    @staticmethod
    def _own_conversation(db: sqlite3.Connection, user: str, conversation_id: str) -> sqlite3.Row:
        row = db.execute("SELECT * FROM conversations WHERE id = ? AND user = ?", (conversation_id, user)).fetchone()
        if row is None:
            raise WorkspaceError(f"unknown conversation id: {conversation_id}", 404)
        return row

    # ------------------------------------------------------------------ basket
    def basket(self, user: str) -> list[BasketItem]:
        """The user's basket in the user's order."""
        with self._tx(write=False) as db:
            rows = db.execute("SELECT * FROM basket WHERE user = ? ORDER BY position LIMIT ?",
                              (user, self.limits.basket)).fetchall()
        return [item_from_row(r) for r in rows]

    def add_to_basket(self, user: str, citation: dict[str, Any]) -> tuple[BasketItem, bool]:
        """``(item, duplicate)``: the same clause and quote again returns the item already there."""
        kept = keep_citation(citation)
        clause_id, quote = str(kept.get("clause_id") or ""), str(kept.get("quote") or "")
        if not clause_id:
            raise WorkspaceError("citation.clause_id is required")
        with self._tx() as db:
            row = db.execute("SELECT * FROM basket WHERE user = ? AND clause_id = ? AND quote = ?",
                             (user, clause_id, quote)).fetchone()
            if row is not None:
                return item_from_row(row), True
            n, last = db.execute("SELECT COUNT(*), MAX(position) FROM basket WHERE user = ?", (user,)).fetchone()
            if n >= self.limits.basket:
                raise WorkspaceError(f"the basket is full ({self.limits.basket} items): remove some first", 409)
            now, iid = self._now(), secrets.token_hex(8)
            db.execute("INSERT INTO basket (id, user, position, clause_id, quote, citation, added_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                       (iid, user, (last or 0) + 1, clause_id, quote, to_json(kept), now))
        return BasketItem(iid, now, kept), False

    def order_basket(self, user: str, item_ids: list[str]) -> list[BasketItem]:
        """Put the basket in the order of ``item_ids``, a permutation of its current ids."""
        with self._tx() as db:
            have = [r[0] for r in db.execute("SELECT id FROM basket WHERE user = ?", (user,))]
            if len(item_ids) != len(set(item_ids)) or set(item_ids) != set(have):
                raise WorkspaceError(f"item_ids must list each of the basket's {len(have)} item ids exactly once")
            db.executemany("UPDATE basket SET position = ? WHERE id = ?", [(i, iid) for i, iid in enumerate(item_ids, 1)])
        return self.basket(user)

    def remove_from_basket(self, user: str, item_id: str) -> None:
        with self._tx() as db:
            if db.execute("DELETE FROM basket WHERE user = ? AND id = ?", (user, item_id)).rowcount == 0:
                raise WorkspaceError(f"unknown basket item id: {item_id}", 404)

    def clear_basket(self, user: str) -> None:
        with self._tx() as db:
            db.execute("DELETE FROM basket WHERE user = ?", (user,))

    # ------------------------------------------------------------------ feedback
    def add_feedback(self, user: str, fields: dict[str, Any]) -> Feedback:
        """Store a 👍/👎; past the limit the oldest decided entry goes (503 when none is decided)."""
        values = {k: fields.get(k) for k in FEEDBACK_FIELDS}
        values["cited_clause_ids"] = list(values["cited_clause_ids"] or [])
        with self._tx() as db:
            n = db.execute("SELECT COUNT(*) FROM feedback").fetchone()[0]
            if n >= self.limits.feedback:
                old = db.execute("SELECT id FROM feedback WHERE status != 'new' ORDER BY created_at ASC LIMIT ?",
                                 (n - self.limits.feedback + 1,)).fetchall()
                if len(old) < n - self.limits.feedback + 1:
                    raise WorkspaceError(f"the feedback store is full ({self.limits.feedback} undecided entries): "
                                         "accept or reject some first", 503)
                db.executemany("DELETE FROM feedback WHERE id = ?", [(r[0],) for r in old])
            now, fid = self._now(), secrets.token_hex(8)
            fb = Feedback(fid, user, status="new", created_at=now, updated_at=now, **values)
            db.execute(f"INSERT INTO feedback (id, user, status, created_at, updated_at, {', '.join(FEEDBACK_FIELDS)}) "
                       f"VALUES (?, ?, ?, ?, ?{', ?' * len(FEEDBACK_FIELDS)})",
                       (fid, user, "new", now, now, *[column_value(values[k]) for k in FEEDBACK_FIELDS]))
        return fb

    def feedback(self, feedback_id: str) -> Feedback:
        with self._tx(write=False) as db:
            return feedback_from_row(self._feedback_row(db, feedback_id))

    def feedback_list(self, rating: str | None = None, status: str | None = None, limit: int | None = None) -> list[Feedback]:
        """Feedback of every user, newest first."""
        where, args = [], []
        for col, val in (("rating", rating), ("status", status)):
            if val is not None:
                where.append(f"{col} = ?")
                args.append(val)
        sql = "SELECT * FROM feedback" + (" WHERE " + " AND ".join(where) if where else "")
        with self._tx(write=False) as db:
            rows = db.execute(sql + " ORDER BY created_at DESC LIMIT ?", (*args, limit or self.limits.feedback)).fetchall()
        return [feedback_from_row(r) for r in rows]

    def edit_feedback(self, user: str, feedback_id: str, changes: dict[str, Any]) -> Feedback:
        """Change ``reason``, ``correct_clause_id`` or ``comment`` (the author only: 403 otherwise)."""
        changes = {k: v for k, v in changes.items() if k in EDITABLE_FEEDBACK}
        with self._tx() as db:
            if self._feedback_row(db, feedback_id)["user"] != user:
                raise WorkspaceError(f"only the author can edit feedback {feedback_id}", 403)
            sets = "".join(f", {k} = ?" for k in changes)
            db.execute(f"UPDATE feedback SET updated_at = ?{sets} WHERE id = ?", (self._now(), *changes.values(), feedback_id))
            return feedback_from_row(self._feedback_row(db, feedback_id))

    def decide_feedback(self, feedback_id: str, status: str, before: Callable[[Feedback], None] | None = None) -> Feedback:
        """Mark ``accepted`` or ``rejected`` (409 if already decided); ``before`` runs inside the
        transaction, so when it fails (e.g. the eval file cannot be written) nothing is marked."""
        if status not in ("accepted", "rejected"):
            raise ValueError(status)
        with self._tx() as db:
            fb = feedback_from_row(self._feedback_row(db, feedback_id))
            if fb.status != "new":
                raise WorkspaceError(f"feedback {feedback_id} is already {fb.status}", 409)
            if before is not None:
                before(fb)
            now = self._now()
            db.execute("UPDATE feedback SET status = ?, decided_at = ?, updated_at = ? WHERE id = ?",
                       (status, now, now, feedback_id))
            fb.status, fb.decided_at, fb.updated_at = status, now, now
        return fb

    @staticmethod
    def _feedback_row(db: sqlite3.Connection, feedback_id: str) -> sqlite3.Row:
        row = db.execute("SELECT * FROM feedback WHERE id = ?", (feedback_id,)).fetchone()
        if row is None:
            raise WorkspaceError(f"unknown feedback id: {feedback_id}", 404)
        return row
