"""对照: one clause beside its counterparts in the other versions of the same law, differences marked.

For each other version of the clause's title (newest first, ``indexer.versions.versions_listing``)
the counterpart is the clause with the same article number (the path from the nearest 第X条 down,
else the whole structural path) when its text is similar enough (:data:`SAME_NUMBER_MIN`), else the
clause of that version whose text is most similar (articles are renumbered between versions) when
it reaches :data:`SIMILAR_MIN`, else none (本版本无对应条款). Similarity is difflib's ratio over the
clause texts without their leading 第X条; the diff is character-level from the asked clause's text
to the counterpart's: ``delete`` is only in the asked clause, ``insert`` only in the other version.

Texts are compared up to :data:`MAX_COMPARE_CHARS` characters each (difflib is quadratic at worst),
and candidates are ranked by difflib's cheap upper bounds first, so a law of a thousand articles is
searched with a few full ratios.
"""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from difflib import SequenceMatcher
from typing import Any

from indexer.index import ClauseIndex
from indexer.records import Clause
from indexer.versions import versions_listing

MAX_COMPARE_CHARS = 3000  # longer clause texts are compared (and diffed) on their first 3,000 characters
MAX_VERSIONS = 30  # other versions compared at most (a title rarely has more than a dozen)
SAME_NUMBER_MIN = 0.6  # the same 第X条 is its counterpart when at least this similar
SIMILAR_MIN = 0.5  # else the most similar clause, when at least this similar
NO_COUNTERPART = "本版本无对应条款"

_ARTICLE = re.compile(r"^第[零〇一二三四五六七八九十百千\d]+条(?:之[一二三四五六七八九十]+)?$")


@dataclass
class Segment:
    """One run of a diff: ``op`` is ``equal`` | ``insert`` | ``delete``."""

    op: str
    text: str


@dataclass
class Counterpart:
    """The clause of one other version matching the asked clause (``clause_id`` None when none does)."""

    doc_id: str
    version_label: str | None
    validity: str | None
    promulgated: str | None
    effective: str | None
    clause_id: str | None = None
    label: str | None = None
    text: str | None = None
    similarity: float | None = None
    match: str | None = None  # "number" (same 第X条) | "similar" (renumbered) | None
    truncated: bool = False  # a text longer than MAX_COMPARE_CHARS was diffed on its head only
    note: str | None = None
    diff: list[Segment] = field(default_factory=list)


def position_key(clause: Clause) -> tuple[str, ...]:
    """Where a clause sits, comparable across versions: the path from its 第X条 down
    (``第二十二条`` or ``第三条/（一）``; the chapter is left out, chapters get renumbered too), else
    its whole structural path below the document."""
    rest = clause.id[len(clause.doc_id) + 1:] if clause.id.startswith(clause.doc_id + "/") else clause.id
    parts = rest.split("/")
    for i in range(len(parts) - 1, -1, -1):
        if _ARTICLE.match(parts[i]):
            return tuple(parts[i:])
    return tuple(parts)


def body(clause: Clause) -> str:
    """The clause text without its leading label (第X条 changes when articles are renumbered), capped."""
    text = clause.text
    if clause.label and text.startswith(clause.label):
        text = text[len(clause.label):].lstrip()
    return text[:MAX_COMPARE_CHARS]


def _comparable(asked: Clause, other: Clause) -> bool:
    """Headings are compared with headings, the rest (articles, rows, paragraphs) with each other."""
    return (asked.kind == "heading") == (other.kind == "heading")


def best_match(asked: Clause, candidates: list[Clause]) -> tuple[Clause | None, float, str | None]:
    """``(clause, similarity, how)`` of the counterpart of ``asked`` among one version's clauses;
    ``(None, best similarity seen, None)`` when none is similar enough."""
    pool = [c for c in candidates if _comparable(asked, c)]
    if not pool:
        return None, 0.0, None
    sm = SequenceMatcher(None, autojunk=False)
    sm.set_seq2(body(asked))  # difflib caches what it learns about seq2: the asked text stays put
    key = position_key(asked)
    same = [c for c in pool if position_key(c) == key]
    best: tuple[Clause | None, float] = (None, 0.0)
    for c in same[:1]:
        sm.set_seq1(body(c))
        score = sm.ratio()
        if score >= SAME_NUMBER_MIN:
            return c, score, "number"
        best = (c, score)
    bounds = []
    for c in pool:
        sm.set_seq1(body(c))
        if sm.real_quick_ratio() > best[1]:
            bounds.append((sm.quick_ratio(), c))
    bounds.sort(key=lambda b: b[0], reverse=True)
    for bound, c in bounds:
        if bound <= best[1]:
            break  # no later candidate can beat the best ratio found
        sm.set_seq1(body(c))
        score = sm.ratio()
        if score > best[1]:
            best = (c, score)
    if best[0] is not None and best[1] >= SIMILAR_MIN:
        return best[0], best[1], "similar"
    return None, best[1], None


def diff_segments(old: str, new: str) -> list[Segment]:
    """Character-level diff from ``old`` to ``new`` (each capped at :data:`MAX_COMPARE_CHARS`),
    adjacent runs of one kind merged, and a single equal character between two changes folded
    into them (一 character islands make a changed phrase unreadable)."""
    a, b = old[:MAX_COMPARE_CHARS], new[:MAX_COMPARE_CHARS]
    raw: list[Segment] = []
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            raw.append(Segment("equal", a[i1:i2]))
            continue
        if tag in ("delete", "replace"):
            raw.append(Segment("delete", a[i1:i2]))
        if tag in ("insert", "replace"):
            raw.append(Segment("insert", b[j1:j2]))
    folded: list[Segment] = []
    for i, seg in enumerate(raw):
        island = (seg.op == "equal" and len(seg.text) == 1 and 0 < i < len(raw) - 1
                  and raw[i - 1].op != "equal" and raw[i + 1].op != "equal")
        if island:
            folded += [Segment("delete", seg.text), Segment("insert", seg.text)]
        else:
            folded.append(seg)
    return _merge(folded)


def _merge(segments: list[Segment]) -> list[Segment]:
    """Runs of one op joined; within a changed stretch all deletions first, then all insertions."""
    out: list[Segment] = []
    i = 0
    while i < len(segments):
        if segments[i].op == "equal":
            if out and out[-1].op == "equal":
                out[-1].text += segments[i].text
            elif segments[i].text:
                out.append(Segment("equal", segments[i].text))
            i += 1
            continue
        j = i
        while j < len(segments) and segments[j].op != "equal":
            j += 1
        deleted = "".join(s.text for s in segments[i:j] if s.op == "delete")
        inserted = "".join(s.text for s in segments[i:j] if s.op == "insert")
        out += [Segment(op, t) for op, t in (("delete", deleted), ("insert", inserted)) if t]
        i = j
    return out


def clause_versions(index: ClauseIndex, clause_id: str) -> dict[str, Any] | None:
    """``{"clause_id", "doc_id", "label", "version_label", "validity", "versions": [Counterpart…]}``
    for a clause of the index (``versions`` empty when its document has no other version); None
    for an unknown clause id."""
    row = index.row_of.get(clause_id)
    if row is None:
        return None
    asked = index.clauses[row]
    meta = index.documents.get(asked.doc_id, {})
    listing = versions_listing(asked.doc_id, index.documents) or {"versions": []}
    own = next((v for v in listing["versions"] if v["doc_id"] == asked.doc_id), {})
    others = [v for v in listing["versions"] if v["doc_id"] != asked.doc_id][:MAX_VERSIONS]
    out = []
    for v in others:
        found, score, how = best_match(asked, index.document_clauses(v["doc_id"]))
        cp = Counterpart(v["doc_id"], v.get("version_label"), v.get("validity"), v.get("promulgated"),
                         v.get("effective"), similarity=round(score, 3) if score else None)
        if found is None:
            cp.note = NO_COUNTERPART
        else:
            cp.clause_id, cp.label, cp.text, cp.match = found.id, found.label, found.text, how
            cp.truncated = max(len(asked.text), len(found.text)) > MAX_COMPARE_CHARS
            cp.diff = diff_segments(asked.text, found.text)
        out.append(asdict(cp))
    return {"clause_id": asked.id, "doc_id": asked.doc_id, "label": asked.label,
            "version_label": meta.get("version_label"), "validity": own.get("validity", meta.get("validity")),
            "versions": out}
