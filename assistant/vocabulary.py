"""What an index knows that a follow-up question may name: its documents (by title, short title
or quoted alias such as 八大工程), its places (core → name: 平坝 → 平坝区, 贵州 → 贵州省) and, for a
loaded assistant, clause navigation (the clause before or after another, where it sits).

Built from document metadata (:meth:`Vocabulary.from_documents`) or from a loaded assistant
(:func:`vocabulary_for`, cached while the assistant lives: a new index version is a new assistant).
"""
from __future__ import annotations

import re
import threading
import weakref
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

from .query import place_core
from .textutil import FIVE_YEAR_PLANS

_TITLE = re.compile(r"《([^《》]{2,80})》")
_ADMIN_UNIT = re.compile(r"[\u4e00-\u9fff]{2,8}?(?:特别行政区|自治区|自治州|自治县|省|市|州|盟|县|区|旗)")


@dataclass(frozen=True)
class DocEntry:
    """One indexed document as a question may name it."""

    doc_id: str
    title: str
    names: tuple[str, ...]  # full title, title without （…） or 中华人民共和国, quoted alias (八大工程)
    jurisdiction: str = ""
    years: tuple[int, int] | None = None
    short: str = ""  # how a resolved question names it: the title without a trailing （…）


@dataclass
class Vocabulary:
    """What the index knows: its documents, its places (core → name: 平坝 → 平坝区), and optional
    clause navigation (``neighbour(clause_id, ±1)``, ``location(clause_id)``)."""

    documents: dict[str, DocEntry] = field(default_factory=dict)
    places: dict[str, str] = field(default_factory=dict)
    neighbour: Callable[[str, int], str | None] | None = None
    location: Callable[[str], str] | None = None

    @classmethod
    def from_documents(cls, documents: Iterable[dict[str, Any]], **nav: Any) -> "Vocabulary":
        """From document metadata (``doc_id``, ``title``, ``jurisdiction``, ``years``, ``aliases``)."""
        docs: dict[str, DocEntry] = {}
        places: dict[str, str] = {}
        quoted: dict[str, set[str]] = {}
        metas = [m for m in documents if m.get("doc_id")]
        for m in metas:
            for q in re.findall(r"[“\"]([^”\"]{3,20})[”\"]", str(m.get("title") or "")):
                if q not in FIVE_YEAR_PLANS:
                    quoted.setdefault(q, set()).add(str(m["doc_id"]))
        for m in metas:
            doc_id, title = str(m["doc_id"]), str(m.get("title") or m["doc_id"]).strip()
            names = [title]
            short = re.sub(r"[（(][^（）()]*[）)]\s*$", "", title).strip()
            for n in (short, short.removeprefix("中华人民共和国")):
                if len(n) >= 3 and n not in names:
                    names.append(n)
            names += [q for q, ds in quoted.items() if ds == {doc_id} and q not in names]
            years = m.get("years") or []
            jur = str(m.get("jurisdiction") or "")
            span = (int(years[0]), int(years[-1])) if years else None
            docs[doc_id] = DocEntry(doc_id, title, tuple(names), jur, span, short.removeprefix("中华人民共和国") or title)
            for unit in _ADMIN_UNIT.findall(jur):
                core = place_core(unit)
                if len(core) >= 2:
                    places.setdefault(core, unit)
        return cls(docs, places, **nav)

    def doc_of_clause(self, clause_id: str | None) -> str | None:
        d = (clause_id or "").split("/", 1)[0]
        return d if d in self.documents else None

    def named_document(self, text: str) -> tuple[str | None, str]:
        """The document ``text`` names (by a 《title》 or one of its names) and the name as written."""
        best: tuple[str | None, str] = (None, "")
        for t in _TITLE.findall(text):
            for d in self.documents.values():
                if t in d.names or any(len(n) >= 4 and (n in t or t in n) for n in d.names):
                    return d.doc_id, f"《{t}》"
        for d in self.documents.values():
            for n in d.names:
                if len(n) >= 3 and n in text and len(n) > len(best[1]):
                    best = (d.doc_id, n)
        return best


_VOCABS: "weakref.WeakKeyDictionary[Any, Vocabulary]" = weakref.WeakKeyDictionary()
_VOCAB_LOCK = threading.Lock()


def vocabulary_for(assistant: Any) -> Vocabulary:
    """The vocabulary of a loaded :class:`assistant.engine.Assistant` (cached while it lives)."""
    with _VOCAB_LOCK:
        got = _VOCABS.get(assistant)
    if got is not None:
        return got
    from .citation import location

    index, retriever = assistant.index, assistant.retriever
    metas = [{"doc_id": d, **m} for d, m in index.documents.items()]

    def neighbour(clause_id: str, step: int) -> str | None:
        row = index.row_of.get(clause_id)
        if row is None:
            return None
        c = index.clauses[row]
        rows = [r for r in retriever.doc_rows.get(c.doc_id, []) if index.clauses[r].kind != "heading"]
        pos = rows.index(row) if row in rows else -1
        j = pos + step
        return index.clauses[rows[j]].id if pos >= 0 and 0 <= j < len(rows) else None

    def where(clause_id: str) -> str:
        row = index.row_of.get(clause_id)
        if row is None:
            return ""
        c = index.clauses[row]
        return location(c, assistant.ancestors(c))

    vocab = Vocabulary.from_documents(metas, neighbour=neighbour, location=where)
    with _VOCAB_LOCK:
        _VOCABS[assistant] = vocab
    return vocab
