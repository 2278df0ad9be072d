"""Follow-up questions without a language model: an elliptical question resolved against the
conversation's earlier turns (docs/workspace-api.md, "Follow-up questions").

Each turn is read into slots — topic (the indicator or subject asked about), year, place,
document, article, clause_id (the clause the turn's answer came from) — plus the question's form
(是多少, 责任单位是谁). A follow-up keeps what it names and takes the rest from the previous turn:

    2025年每千人口托位数目标是多少？  →  那平坝区呢？  =  平坝区2025年每千人口托位数目标是多少？

A question is elliptical only on robust cues (那…/…呢, a pronoun 这个/该项/它, 下一条/第X条
without a document, or nothing of its own to ask about beyond a place, a year or 谁负责); anything
else stands alone and is never rewritten. Parsing reuses :func:`assistant.query.analyze`.

>>> vocab = Vocabulary.from_documents([{"doc_id": "002", "title": "安顺市平坝区“十四五”卫生健康事业发展规划",
...                                     "jurisdiction": "安顺市平坝区", "years": [2021, 2025]}])
>>> resolve("那平坝区呢？", [{"question": "2025年每千人口托位数目标是多少？"}], vocab).question
'平坝区2025年每千人口托位数目标是多少？'
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from typing import Any

from indexer.parser import int_to_cn as cn_numeral  # 10 → 十, 105 → 一百零五, as laws number articles

from .query import place_core
from .slots import (ARTICLE, FRAME, MAX_HISTORY, NUMERIC_TOPIC, PLAN_SPAN, PROVINCE_LEVEL, SLOT_KEYS, Parsed,
                    has_content, is_elliptical, parse)
from .textutil import cn_number_to_int
from .vocabulary import DocEntry, Vocabulary, vocabulary_for

__all__ = ["DocEntry", "Parsed", "Resolution", "Vocabulary", "clean_slots", "cn_numeral", "is_elliptical", "parse",
           "resolve", "vocabulary_for"]

log = logging.getLogger(__name__)

# --------------------------------------------------------------------------------- resolution
@dataclass
class Resolution:
    """A question as understood: ``question`` (resolved text), ``followup`` (something was carried
    over), ``slots`` (this turn's, to send back), ``carried`` / ``replaced`` slot names, and
    ``anchor`` (a clause the answer must come from: 下一条 in a document without 第X条)."""

    question: str
    followup: bool
    slots: dict[str, Any]
    carried: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    anchor: str | None = None


@dataclass
class _Turn:
    parsed: Parsed
    slots: dict[str, Any]


def _turn_state(turn: dict[str, Any], earlier: list[_Turn], vocab: Vocabulary) -> _Turn:
    """An earlier turn's slots: as it sent them, else read from its (resolved) question."""
    text = str(turn.get("resolved_question") or "").strip()
    question = str(turn.get("question") or "").strip()
    if text:
        parsed = parse(text, vocab)
        slots = parsed.slots()
    else:
        r = _resolve(question, earlier, vocab)
        parsed, slots = parse(r.question, vocab), r.slots
    given = turn.get("slots")
    if isinstance(given, dict):
        clean = clean_slots(given, vocab)
        # a slot the client set (or cleared) wins; one it garbled falls back to the question's
        slots = {**slots, **{k: v for k, v in clean.items() if k in given and (v is not None or given[k] is None)}}
    return _Turn(parsed, {k: slots.get(k) for k in SLOT_KEYS})


def clean_slots(given: dict[str, Any], vocab: Vocabulary) -> dict[str, Any]:
    """Slots as a client sent them, each of its type or ``None`` (a client's slots are not trusted)."""
    out: dict[str, Any] = {}
    for key in SLOT_KEYS:
        v = given.get(key)
        if isinstance(v, str):
            v = v.strip()[:200] or None
        if key in ("year", "article") and isinstance(v, str) and v.isdigit():
            v = int(v)
        if key == "year" and not (isinstance(v, int) and 1900 <= v <= 2100 or isinstance(v, str) and bool(PLAN_SPAN.fullmatch(v))):
            v = None
        elif key == "article" and not (isinstance(v, int) and 0 < v < 10000):
            v = None
        elif key in ("topic", "place", "clause_id") and not isinstance(v, str):
            v = None
        elif key == "document" and v not in vocab.documents:
            v = None
        out[key] = None if isinstance(v, bool) else v
    return out


def resolve(question: str, history: list[dict[str, Any]] | None, vocabulary: Vocabulary) -> Resolution:
    """Resolve ``question`` against ``history`` (earlier turns, oldest first, each
    ``{"question", "resolved_question"?, "slots"?}``). A stand-alone question comes back as typed."""
    earlier: list[_Turn] = []
    for turn in (history or [])[-MAX_HISTORY:]:
        if isinstance(turn, dict) and str(turn.get("question") or turn.get("resolved_question") or "").strip():
            earlier.append(_turn_state(turn, earlier, vocabulary))
    return _resolve(question, earlier, vocabulary)


def _resolve(question: str, earlier: list[_Turn], vocab: Vocabulary) -> Resolution:
    cur = parse(question, vocab)
    own = cur.slots()
    prev = next((t for t in reversed(earlier) if any(t.slots.get(k) for k in SLOT_KEYS)), None)
    if prev is None or not is_elliptical(cur):
        return Resolution(question, False, own)
    ps, pp = prev.slots, prev.parsed
    slots: dict[str, Any] = {}
    carried: list[str] = []
    replaced: list[str] = []
    anchor = None

    def take(key: str, value: Any, carry: bool) -> None:
        if value not in (None, ""):
            slots[key] = value
            if ps.get(key) not in (None, "") and ps.get(key) != value:
                replaced.append(key)
        elif carry and ps.get(key) not in (None, ""):
            slots[key] = ps[key]
            carried.append(key)
        else:
            slots[key] = None

    new_topic = cur.topic if has_content(cur.topic) and not cur.predicate else ""
    if new_topic and ps.get("topic"):
        new_topic = _with_frame(new_topic, str(ps["topic"]))
    prev_article = ps.get("article") if isinstance(ps.get("article"), int) else _article_of_clause(ps.get("clause_id"))
    nav_article = prev_article + cur.nav if cur.nav and prev_article else None
    article = cur.article or nav_article
    take("topic", new_topic, carry=not article)
    take("year", cur.year, carry=True)
    take("place", cur.place, carry=cur.document is None)
    clause_doc = vocab.doc_of_clause(ps.get("clause_id"))
    doc_carry = ps.get("document") or ((article or cur.nav) and clause_doc)
    slots["document"] = cur.document or (doc_carry if _doc_fits(vocab, doc_carry, slots) else None)
    if slots["document"] and not cur.document:
        carried.append("document")
    elif cur.document and ps.get("document") not in (None, cur.document):
        replaced.append("document")
    take("article", article, carry=not new_topic and cur.nav == 0 and cur.place is None and cur.year is None)
    slots["clause_id"] = None
    if cur.aspect and ps.get("clause_id"):
        slots["clause_id"] = ps["clause_id"]
        carried.append("clause_id")
    elif cur.nav and not nav_article and ps.get("clause_id") and vocab.neighbour:
        anchor = vocab.neighbour(str(ps["clause_id"]), cur.nav)
        if anchor:
            slots.update(clause_id=anchor, document=vocab.doc_of_clause(anchor), topic=None, article=None)
            carried.append("clause_id")
    if new_topic and not cur.real_ask and pp.ask:
        carried.append("ask")  # 那护士呢: the new topic is asked the previous way
    if not carried and not anchor:
        return Resolution(question, False, own)
    if cur.predicate and not cur.aspect:
        ask = cur.predicate
    else:
        ask = cur.ask if cur.real_ask else pp.ask
    aspect = cur.aspect or (not cur.real_ask and not cur.predicate and pp.aspect)
    if aspect and "topic" in carried and pp.core:
        slots_text = {**slots, "topic": pp.core}  # 要巩固完善标准化重症床位，谁牵头
    else:
        slots_text = slots
    text = _render(slots_text, ask, vocab, aspect=aspect, anchor=anchor)
    log.debug("follow-up %r → %r (carried %s, replaced %s)", question, text, carried, replaced)
    return Resolution(text, True, slots, sorted(set(carried)), sorted(set(replaced)), anchor)


def _article_of_clause(clause_id: Any) -> int | None:
    """第十条 of a clause id such as ``g01/第二章/第十条/（一）`` (``None`` when it has none)."""
    for part in reversed(str(clause_id or "").split("/")[1:]):
        m = ARTICLE.fullmatch(part)
        if m:
            return cn_number_to_int(m.group(1))
    return None


def _doc_fits(vocab: Vocabulary, doc_id: Any, slots: dict[str, Any]) -> bool:
    """A carried document still fits the place and year the follow-up asks about."""
    d = vocab.documents.get(str(doc_id)) if doc_id else None
    if d is None:
        return False
    place, year = slots.get("place"), slots.get("year")
    if place and place != PROVINCE_LEVEL and d.jurisdiction and place_core(place) not in d.jurisdiction:
        return False
    if place == PROVINCE_LEVEL and d.jurisdiction and not re.search(r"(?:省|自治区)$", d.jurisdiction):
        return False
    if isinstance(year, int) and d.years and not d.years[0] <= year <= d.years[1]:
        return False
    return True


def _with_frame(topic: str, previous: str) -> str:
    """那护士呢 after 每千常住人口执业医师数: the new noun keeps the previous measure (每千常住人口…)."""
    m = FRAME.match(previous)
    if not m or FRAME.match(topic) or len(topic) > 4:
        return topic
    rest = previous[m.end():]
    return m.group(0) + topic + ("数" if rest.endswith("数") and not topic.endswith("数") else "")


def _render(slots: dict[str, Any], ask: str, vocab: Vocabulary, *, aspect: bool, anchor: str | None) -> str:
    """A natural question from the slots: 平坝区2025年每千人口托位数目标是多少？"""
    doc = vocab.documents.get(str(slots.get("document"))) if slots.get("document") else None
    if anchor:
        where = vocab.location(anchor) if vocab.location else ""
        return f"《{doc.short if doc else ''}》{where or anchor}的内容是什么？"
    place, year, topic, article = slots.get("place"), slots.get("year"), slots.get("topic") or "", slots.get("article")
    head = ""
    if place and not (doc and _doc_fits(vocab, doc.doc_id, {"place": place})):
        head += str(place)
    if year is not None:
        head += f"{year}年" if isinstance(year, int) else str(year)
    if doc:
        head += f"《{doc.short}》" + (f"第{cn_numeral(article)}条" if article else ("中" if topic else ""))
    elif article:
        head += f"第{cn_numeral(article)}条"
    if aspect:
        return f"{head}{topic}，{ask or '责任单位是谁'}？" if topic else f"{head}{ask or '责任单位是谁'}？"
    if not ask:
        ask = "是怎么规定的" if article and not topic else ("是多少" if NUMERIC_TOPIC.search(topic) else "有什么规定")
    return f"{head}{topic}{ask}？"
