"""Feedback turned into eval questions: the candidate a reviewer edits, its checks, the feedback eval file.

A 👎 naming the correct clause becomes a question in the eval-set schema of ``evals/README.md``
(written here: the product never imports ``evals``)::

    {"id": "fb-<feedback id>", "type", "question", "gold": [{"doc_id", "clause_id", "evidence"}], "answer": "", "notes"}

``type`` is guessed from the wording (:func:`guess_type`): ``responsibility`` when the question asks
who (谁, 哪个部门/单位, 责任单位, 牵头, 负责), else ``numeric`` when it asks a quantity (多少, 几, 比例,
百分, 比重, 率, 多久, 多长, 多大, 多高), else ``measure``; the reviewer corrects it. The evidence
(:func:`pick_evidence`) is the clause's sentence sharing the most characters and two-character
pairs with the question, cut to its best window of ≤ 60 characters (starting at a question
character) when longer, extended to 6 characters when shorter. ``answer`` stays empty for the
reviewer to fill in.

A table row's evidence comes from its cell values as the source row has them (:func:`source_text`).
On accept, :func:`check_candidate` applies the eval loader's rules against the served index: every
evidence is 6–60 characters and occurs in its clause's text or source form (NFKC, no whitespace), the
answer key(s) are non-empty and each occurs in an evidence; :func:`append_line` then adds one JSON
line to ``<data_dir>/feedback-evals.jsonl`` and fsyncs it (the caller holds the lock).
"""
from __future__ import annotations

import json
import os
import re
import unicodedata
from pathlib import Path
from typing import Any, Callable

from indexer.records import Clause

from .citation import table_row_values
from .workspace_records import Feedback, WorkspaceError

EVALS_FILENAME = "feedback-evals.jsonl"
# the eval set's types (evals/dataset.py: TYPES) but 'unanswerable': a candidate has a gold clause
TYPES = ("numeric", "responsibility", "paraphrase", "multi", "table", "measure", "noisy", "article")
EVIDENCE_MIN, EVIDENCE_MAX = 6, 60
_WHO = ("谁", "哪个部门", "哪些部门", "哪个单位", "哪些单位", "什么部门", "什么单位", "责任单位", "牵头", "负责")
_HOW_MUCH = ("多少", "几", "比例", "百分", "比重", "率", "多久", "多长", "多大", "多高")
_WS = re.compile(r"\s+")
_SENTENCE = re.compile(r"[^。！？；\n]+[。！？；]?")
# a table cell stating a target (≥ 3, 4.5, 不低于90%): the cell before it names the indicator
_TARGET = re.compile(r"^\s*(?:[≥≤<>＞＜≈~约]|不低于|不高于|不少于|不超过|控制在|达到)?\s*[\d.]+")

ClauseLookup = Callable[[str], "Clause | None"]


def normalize(text: str) -> str:
    """NFKC with every whitespace removed: the form the eval loader compares."""
    return _WS.sub("", unicodedata.normalize("NFKC", text or ""))


def guess_type(question: str) -> str:
    """``responsibility``, ``numeric`` or ``measure`` from the question's wording."""
    if any(w in question for w in _WHO):
        return "responsibility"
    if any(w in question for w in _HOW_MUCH):
        return "numeric"
    return "measure"


def pick_evidence(text: str, question: str) -> str:
    """The 6–60 character excerpt of ``text`` that shares the most with ``question``."""
    compact = _WS.sub("", text or "")
    if len(compact) <= EVIDENCE_MIN:
        return compact
    q = normalize(question)
    chars = {c for c in q if c.isalnum()}
    pairs = {q[i:i + 2] for i in range(len(q) - 1)}

    def score(s: str) -> int:
        n = normalize(s)
        return sum(1 for c in set(n) if c in chars) + 2 * sum(1 for p in pairs if p in n)

    best, best_score = "", -1
    for m in _SENTENCE.finditer(compact):
        a, b = m.start(), m.end()
        if b - a < EVIDENCE_MIN:  # a short sentence takes the characters that follow (or precede)
            a, b = max(0, min(a, len(compact) - EVIDENCE_MIN)), max(b, min(len(compact), a + EVIDENCE_MIN))
        if b - a > EVIDENCE_MAX:  # windows of a long sentence start at its start or at a word of the question
            starts = [a] + [i for i in range(a + 1, b - EVIDENCE_MIN + 1) if normalize(compact[i]) in chars]
            windows = [compact[i:min(i + EVIDENCE_MAX, b)] for i in starts]
        else:
            windows = [compact[a:b]]
        for w in windows:
            s = score(w)
            if s > best_score:
                best, best_score = w, s
    while len(normalize(best)) > EVIDENCE_MAX:  # NFKC may lengthen a character (㎡ → m2)
        best = best[:-1]
    trimmed = best.rstrip("。；，、！？：")
    return trimmed if len(normalize(trimmed)) >= EVIDENCE_MIN else best


def source_text(clause: Clause) -> str:
    """The clause as its source reads: a table row's cell values from the indicator on, joined
    (its indexed text adds headers and ``|``; cells left of the indicator may be merged from above)."""
    parsed = table_row_values(clause.text) if clause.kind == "table_row" else None
    if not parsed or not parsed[1]:
        return clause.text
    values = parsed[1]
    start = next((i - 1 for i, v in enumerate(values) if i > 0 and _TARGET.match(v)), 0)
    return "".join(values[start:])


def build_candidate(fb: Feedback, clause: Clause) -> dict[str, Any]:
    """The eval question a 👎 with its correct clause suggests (``answer`` left for the reviewer)."""
    question = (fb.resolved_question or fb.question).strip()
    notes = f"from feedback {fb.feedback_id}: {fb.reason or 'no reason given'}"
    if fb.comment:
        notes += f"; comment: {fb.comment}"
    return {
        "id": f"fb-{fb.feedback_id}",
        "type": guess_type(question),
        "question": question,
        "gold": [{"doc_id": clause.doc_id, "clause_id": clause.id, "evidence": pick_evidence(source_text(clause), question)}],
        "answer": "",
        "notes": notes,
    }


def check_candidate(candidate: dict[str, Any], feedback_id: str, lookup: ClauseLookup) -> dict[str, Any]:
    """The candidate as it will be written, once it passes the eval loader's rules (422 otherwise)."""
    def bad(msg: str) -> WorkspaceError:
        return WorkspaceError(f"candidate.{msg}", 422)

    if candidate.get("id") != f"fb-{feedback_id}":
        raise bad(f"id: must be fb-{feedback_id}")
    typ = candidate.get("type")
    if typ not in TYPES:
        raise bad(f"type: must be one of {', '.join(TYPES)}")
    question = str(candidate.get("question") or "").strip()
    if not question:
        raise bad("question: must not be empty")
    gold = list(candidate.get("gold") or [])
    if not gold:
        raise bad("gold: at least one location is required")
    if typ == "multi" and len(gold) < 2:
        raise bad("gold: a multi question needs at least two locations")
    out_gold, evidences = [], []
    for i, g in enumerate(gold):
        clause = lookup(str(g.get("clause_id") or ""))
        if clause is None:
            raise bad(f"gold[{i}].clause_id: {g.get('clause_id')!r} is not a clause of the served index")
        if g.get("doc_id") != clause.doc_id:
            raise bad(f"gold[{i}].doc_id: clause {clause.id} belongs to document {clause.doc_id}")
        ev = normalize(g.get("evidence") or "")
        if not EVIDENCE_MIN <= len(ev) <= EVIDENCE_MAX:
            raise bad(f"gold[{i}].evidence: must be {EVIDENCE_MIN}–{EVIDENCE_MAX} characters (has {len(ev)})")
        if ev not in normalize(clause.text) and ev not in normalize(source_text(clause)):
            raise bad(f"gold[{i}].evidence: does not occur in the text of clause {clause.id}")
        out_gold.append({"doc_id": clause.doc_id, "clause_id": clause.id, "evidence": str(g["evidence"]).strip()})
        evidences.append(ev)
    answer = candidate.get("answer")
    keys = [answer] if isinstance(answer, str) else list(answer or [])
    if not keys or any(not normalize(k) for k in keys):
        raise bad("answer: fill in the key a correct answer must contain (found in an evidence)")
    for k in keys:
        if not any(normalize(k) in ev for ev in evidences):
            raise bad(f"answer: {k!r} does not occur in any evidence")
    return {"id": candidate["id"], "type": typ, "question": question, "gold": out_gold, "answer": answer,
            "notes": str(candidate.get("notes") or "")}


def append_line(path: Path, record: dict[str, Any]) -> None:
    """Append ``record`` as one JSON line and fsync; the caller serializes writers."""
    line = json.dumps(record, ensure_ascii=False) + "\n"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "a+b") as f:
            if f.tell() > 0:  # a line cut short by a crash must not swallow this one
                f.seek(-1, os.SEEK_END)
                if f.read(1) != b"\n":
                    line = "\n" + line
            f.write(line.encode("utf-8"))
            f.flush()
            os.fsync(f.fileno())
    except OSError as exc:
        raise WorkspaceError(f"cannot write the feedback eval file {path}: {exc}", 503) from None
