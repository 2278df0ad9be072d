"""The assistant: one loaded index, answering questions and serving clauses and documents.

>>> from assistant import Assistant
>>> qa = Assistant.load("var/index")
>>> qa.ask("2025年每千人口托位数目标是多少")["answer"]
"""
from __future__ import annotations

import dataclasses
import logging
import time
from pathlib import Path
from typing import Any

from indexer.records import Clause
from indexer.settings import Settings, get_settings
from indexer.tokenize import tokenize

from .answer import Answer, compose, render
from .budget import QuestionFocus, focus_question
from .citation import build_citation, location
from .config import AssistantConfig
from .decision import ConfidenceModel, load_confidence_model
from .followup import resolve, vocabulary_for
from .query import analyze
from .retrieval import Filters, FilterError, Retriever
from .subquestions import split_coordination, split_subquestions

log = logging.getLogger(__name__)


class AssistantError(RuntimeError):
    """The assistant cannot start (message: one line saying what is wrong and what to do)."""


class Assistant:
    """Question answering over one index. Thread-safe; load once and share."""

    def __init__(self, index, config: AssistantConfig | None = None, embedder=None):
        self.index = index
        self.config = config or AssistantConfig()
        self.retriever = Retriever(index, self.config, embedder=embedder)
        self.model = _confidence_model(self.config)

    # ------------------------------------------------------------------ loading
    @classmethod
    def load(
        cls,
        index_dir: str | Path | None = None,
        settings: Settings | None = None,
        config: AssistantConfig | None = None,
        *,
        warm: bool = True,
    ) -> "Assistant":
        """Load the index at ``index_dir`` (default ``settings.index_dir``) for ``settings.model``.

        Raises :class:`AssistantError` with one line when the index is missing, of another format
        version, or built with another embedding model or dimension than the configured one.
        """
        from indexer.embedder import EmbedderError
        from indexer.index import ClauseIndex, IndexLoadError

        settings = settings or get_settings()
        index_dir = Path(index_dir if index_dir is not None else settings.index_dir)
        try:
            index = ClauseIndex.load(index_dir, expected_model=settings.model)
        except IndexLoadError as exc:
            raise AssistantError(_one_line(exc)) from exc
        try:
            embedder = index.embedder()
        except EmbedderError as exc:
            raise AssistantError(f"cannot load embedding model {index.model}: {_one_line(exc)}") from exc
        if int(embedder.dim) != int(index.dim):
            raise AssistantError(
                f"index at {index_dir} has vectors of dim {index.dim} but model {settings.model} embeds {embedder.dim}: "
                "rebuild with `python -m indexer build --force`"
            )
        qa = cls(index, config or AssistantConfig.from_env(), embedder=embedder)
        if warm:
            qa.warm_up()
        return qa

    def warm_up(self) -> None:
        """Load the tokenizer, place tagger and embedding engine before the first question."""
        t0 = time.perf_counter()
        try:
            self.ask("2025年每千人口托位数目标是多少", top_k=1)
        except Exception:  # pragma: no cover - warm-up is best effort
            log.exception("warm-up failed")
        log.debug("warm-up took %.0f ms", (time.perf_counter() - t0) * 1000)

    # ------------------------------------------------------------------ questions
    def focus(self, question: str) -> QuestionFocus:
        """The part of ``question`` that is answered: all of it, or the key part of a long paste."""
        return focus_question(question, self.config.question_budget, self.index.token_doc_freq,
                              len(self.index.clauses), tokenize)

    def answer(self, question: str, top_k: int = 5, filters: Filters | dict | None = None, mode: str | None = None) -> Answer:
        f = filters if isinstance(filters, Filters) else Filters.from_dict(filters)
        focus = self.focus(question)
        q = analyze(focus.text)
        ans = None
        # several years or places are facets of one answer (compose), not separate questions
        if len(q.years) <= 1:
            subs = split_subquestions(focus.text)
            if len(subs) > 1:
                ans = self._answer_parts(focus.text, subs, top_k, f, mode)
            elif len(self.retriever.question_places(q)) <= 1:
                subs = split_coordination(focus.text)
                if len(subs) > 1:
                    ans = self._answer_parts(focus.text, subs, top_k, f, mode, parallel=True)
        if ans is None:
            result = self.retriever.search(q, top_k=max(top_k, 10), filters=f, mode=mode)
            ans = compose(result, self.config, self.retriever.texts, self.ancestors, top_k=top_k, model=self.model)
        ans.note = " ".join(n for n in (focus.note(), ans.note) if n)
        return ans

    def _answer_parts(self, question: str, subs: list[str], top_k: int, f: Filters, mode: str | None,
                      parallel: bool = False) -> Answer | None:
        """Each part of a multi-part question answered on its own with its share of the answer's
        room, the later parts within the first part's documents unless they name a place or
        document of their own; ``None`` when the first part finds nothing (the question is then
        answered whole). ``parallel``: the parts ask the same of two things (A和B分别…), so a part
        that finds nothing leaves the question to be answered whole."""
        share = self.config.answer_max_chars // len(subs)
        first_q = analyze(subs[0])
        first = self.retriever.search(first_q, top_k=max(top_k, 10), filters=f, mode=mode)
        answers = [compose(first, self.config, self.retriever.texts, self.ancestors, top_k=top_k, model=self.model, budget=share)]
        if not answers[0].found:
            return None
        docs = tuple(dict.fromkeys(p.hit.clause.doc_id for p in answers[0].parts))
        for sub in subs[1:]:
            sq = analyze(sub)
            own = bool(sq.titles or sq.doc_numbers or self.retriever.question_places(sq) or self.retriever.named_documents(sq))
            g = f if own or f.documents is not None else dataclasses.replace(f, documents=docs)
            result = self.retriever.search(sq, top_k=max(top_k, 10), filters=g, mode=mode)
            answers.append(compose(result, self.config, self.retriever.texts, self.ancestors, top_k=top_k, model=self.model, budget=share))
        found = [a for a in answers if a.found]
        if parallel and len(found) < len(answers):
            return None
        # each part's best quote first, then the parts' further quotes while there is room
        parts = []
        for a in [a.parts[:1] for a in answers] + [a.parts[1:] for a in answers]:
            parts += [p for p in a if all(p.hit.row != x.hit.row for x in parts)]
        budget = max(self.config.answer_max_chars, sum(len(a.parts[0].quote) + 8 for a in found))
        reasons = [a.reason for a in answers if not a.found and a.reason]
        # the confidence of what is answered: the parts not found are said to be so in the note
        merged = render(question, parts, first.hits, reasons, min(a.confidence for a in found), budget, top_k,
                        self.ancestors)
        if len(found) < len(answers):
            merged.note = f"问题的{len(answers)}个部分中有{len(answers) - len(found)}个未找到依据，只回答了找到的部分。"
        return merged

    def ask(self, question: str, top_k: int = 5, filters: Filters | dict | None = None, mode: str | None = None,
            history: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        """The ``/ask`` response: question, answer, found, citations (best first), took_ms, and the
        follow-up fields ``resolved_question``, ``followup``, ``slots`` (docs/workspace-api.md).

        ``mode``: ``hybrid`` (default), ``bm25`` or ``dense`` (one retriever alone, for evals).
        ``history``: earlier turns, oldest first (``{"question", "resolved_question"?, "slots"?}``);
        an elliptical question is resolved against them (``assistant.followup``). A follow-up about
        the previous answer's clause (责任单位是谁, 下一条) is searched within that clause's document;
        下一条 in a document without 第X条 is searched by the next clause's own text."""
        t0 = time.perf_counter()
        vocab = vocabulary_for(self)
        res = resolve(question, history, vocab)
        query, f = res.question, filters
        anchor_doc = vocab.doc_of_clause(res.anchor or (res.slots.get("clause_id") if res.followup else None))
        base = filters if isinstance(filters, Filters) else Filters.from_dict(filters)
        if anchor_doc and base.documents is None:
            f = dataclasses.replace(base, documents=(anchor_doc,))
        if res.anchor and res.anchor in self.index.row_of:
            query = self.index.clauses[self.index.row_of[res.anchor]].text[:120]
        ans = self.answer(query, top_k=top_k, filters=f, mode=mode)
        out = ans.to_dict()
        slots = dict(res.slots)
        top = (out.get("citations") or [{}])[0]
        if out.get("found") and top.get("clause_id"):
            slots["clause_id"] = top["clause_id"]  # what 责任单位是谁 / 下一条 in the next turn refer to
        out["question"] = question
        out["resolved_question"] = res.question
        out["followup"] = res.followup
        out["slots"] = slots
        out["took_ms"] = round((time.perf_counter() - t0) * 1000, 2)
        return out

    def search(self, question: str, top_k: int = 10, filters: Filters | dict | None = None, mode: str | None = None) -> dict[str, Any]:
        """Ranked clauses only (no answer), each with its best-matching sentence as ``quote``."""
        t0 = time.perf_counter()
        f = filters if isinstance(filters, Filters) else Filters.from_dict(filters)
        focus = self.focus(question)
        result = self.retriever.search(focus.text, top_k=top_k, filters=f, mode=mode)
        results = []
        for i, h in enumerate(result.hits[:top_k], start=1):
            spans = [(0, len(h.clause.text))] if h.clause.kind == "table_row" else [(h.span.start, h.span.end)]
            cit = build_citation(i, "result", h.clause, h.doc, self.ancestors(h.clause), spans, h.score).to_dict()
            cit.pop("role_label", None)
            cit["rank"] = i
            cit["signals"] = {
                "fused": round(h.fused, 4),
                "bm25_rank": h.bm25_rank,
                "dense_rank": h.dense_rank,
                "coverage": round(h.span.coverage, 3),
                "year": h.span.year_state,
                "place": h.place_state,
            }
            results.append(cit)
        out = {
            "question": question,
            "results": results,
            "took_ms": round((time.perf_counter() - t0) * 1000, 2),
        }
        if focus.trimmed:
            out["note"] = focus.note()
        return out

    # ------------------------------------------------------------------ navigation
    def ancestors(self, clause: Clause) -> list[Clause]:
        """Parents of ``clause``, outermost first."""
        out: list[Clause] = []
        seen = set()
        pid = clause.parent_id
        while pid and pid not in seen and pid in self.index.row_of:
            seen.add(pid)
            parent = self.index.clauses[self.index.row_of[pid]]
            out.append(parent)
            pid = parent.parent_id
        out.reverse()
        return out

    def clause_record(self, clause: Clause, *, with_text: bool = True) -> dict[str, Any]:
        doc = self.index.documents.get(clause.doc_id, {})
        d = {
            "clause_id": clause.id,
            "doc_id": clause.doc_id,
            "doc_title": doc.get("title") or clause.title,
            "doc_number": doc.get("doc_number"),
            "jurisdiction": doc.get("jurisdiction"),
            "kind": clause.kind,
            "label": clause.label,
            "path": list(clause.path),
            "lines": list(clause.lines),
            "parent_id": clause.parent_id,
            "order": clause.order,
            "location": location(clause, self.ancestors(clause)),
        }
        if with_text:
            d["text"] = clause.text
            d["sentences"] = [list(s) for s in clause.sentences]
        return d

    def clause_info(self, clause_id: str) -> dict[str, Any] | None:
        """One clause with its parent, previous/next clause in the document, and children."""
        row = self.index.row_of.get(clause_id)
        if row is None:
            return None
        c = self.index.clauses[row]
        doc_rows = self.retriever.doc_rows.get(c.doc_id, [])
        pos = doc_rows.index(row) if row in doc_rows else -1
        prev_c = self.index.clauses[doc_rows[pos - 1]] if pos > 0 else None
        next_c = self.index.clauses[doc_rows[pos + 1]] if 0 <= pos < len(doc_rows) - 1 else None
        parent = self.index.clauses[self.index.row_of[c.parent_id]] if c.parent_id in self.index.row_of else None
        doc = self.index.documents.get(c.doc_id, {})
        cite = build_citation(1, "clause", c, doc, self.ancestors(c), [(0, len(c.text))], 0.0).cite
        return {
            "clause": {**self.clause_record(c), "cite": cite, "source": doc.get("source") or c.source},
            "parent": self.clause_record(parent) if parent else None,
            "neighbours": {
                "previous": self.clause_record(prev_c) if prev_c else None,
                "next": self.clause_record(next_c) if next_c else None,
            },
            "children": [self.clause_record(self.index.clause(cid), with_text=False) for cid in self.index.children.get(c.id, [])],
            "ancestors": [{"clause_id": a.id, "label": a.label, "text": a.text} for a in self.ancestors(c)],
        }

    def documents(self) -> list[dict[str, Any]]:
        return [self._doc_meta(d) for d in self.index.documents]

    def _doc_meta(self, doc_id: str) -> dict[str, Any]:
        meta = dict(self.index.documents[doc_id])
        meta.pop("clauses", None)
        meta.pop("fingerprint", None)
        meta["clause_count"] = len(self.retriever.doc_rows.get(doc_id, []))
        meta["legal_type"] = self.retriever.filters.legal_types.get(doc_id)
        return meta

    def document(self, doc_id: str) -> dict[str, Any] | None:
        """Metadata plus the clause tree (nested, in reading order). Alias ids resolve."""
        real = self.retriever.resolve_doc_id(doc_id)
        if real is None:
            return None
        rows = self.retriever.doc_rows.get(real, [])
        nodes: dict[str, dict[str, Any]] = {}
        roots: list[dict[str, Any]] = []
        for row in rows:
            c = self.index.clauses[row]
            node = {
                "clause_id": c.id,
                "kind": c.kind,
                "label": c.label,
                "text": c.text if c.kind == "heading" else _preview(c.text),
                "lines": list(c.lines),
                "children": [],
            }
            nodes[c.id] = node
            if c.parent_id and c.parent_id in nodes:
                nodes[c.parent_id]["children"].append(node)
            else:
                roots.append(node)
        out = self._doc_meta(real)
        if real != doc_id:
            out["resolved_from"] = doc_id
        out["tree"] = roots
        return out

    def health(self) -> dict[str, Any]:
        m = self.index.manifest
        return {
            "status": "ok",
            "clauses": len(self.index.clauses),
            "documents": len(self.index.documents),
            "model": self.index.model,
            "dim": self.index.dim,
            "built_at": m.get("created_at") or m.get("built_at"),
            "format_version": m.get("format_version"),
            "index": Path(str(getattr(self.index, "index_dir", "") or "")).name,  # a name, never an absolute path
            "version": index_version(m),
        }


def _confidence_model(cfg: AssistantConfig) -> ConfidenceModel:
    """The fitted model, with the configured threshold when one is set."""
    try:
        model = load_confidence_model(cfg.confidence_model or None)
    except ValueError as exc:
        raise AssistantError(_one_line(exc)) from exc
    if cfg.confidence_threshold > 0:
        model = dataclasses.replace(model, threshold=cfg.confidence_threshold)
    return model


def index_version(manifest: dict[str, Any]) -> str:
    """An index version: when it was built and from which corpus (changes with every new build)."""
    return f"{manifest.get('created_at') or manifest.get('built_at') or '?'}/{str(manifest.get('corpus_fingerprint') or '')[:12]}"


def _preview(text: str, n: int = 80) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def _one_line(exc: BaseException) -> str:
    s = str(exc).strip()
    return s.splitlines()[0] if s else type(exc).__name__


__all__ = ["Assistant", "AssistantError", "FilterError", "Filters"]
