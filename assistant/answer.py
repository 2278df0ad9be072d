"""Extractive answers: pick the sentences that answer, decide found / not found, label and cite.

Every character of an answer is quoted from the corpus, except the jurisdiction labels (from the
manifest), the joining punctuation and the citation markers ``[n]``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable

from indexer.records import Clause

from .citation import Citation, build_citation, jurisdiction_label
from .config import AssistantConfig
from .decision import CANDIDATE_DEPTH, Candidate, ConfidenceModel, load_confidence_model, score_candidates
from .query import QueryAnalysis
from .quotes import article_spans, extend_spans, quote_of
from .retrieval import Hit, SearchResult
from .spans import ClauseText

NOT_FOUND = "未在语料中找到相关条款"
# a further part (a second asked year or place, another document scoring near the best) answers
# only its share of the question: half the threshold will do
FACET_SHARE = 0.5

PROVINCE_FIRST = 0.05
_PROVINCE = re.compile(r"(?:省|自治区|特别行政区)$|^(?:北京|天津|上海|重庆)市$")


def _province_level(doc: dict[str, Any]) -> bool:
    return bool(_PROVINCE.search(str(doc.get("jurisdiction") or "")))


@dataclass
class AnswerPart:
    hit: Hit
    spans: list[tuple[int, int]]
    quote: str
    label: str = ""


@dataclass
class Answer:
    question: str
    answer: str
    found: bool
    citations: list[Citation]
    reason: str = ""
    parts: list[AnswerPart] = field(default_factory=list)
    confidence: float = 0.0
    """Probability that the answer is correct (for not found: that the best candidate would have been)."""
    note: str = ""
    """Said to the user beside the answer (a long question answered from its key part)."""

    def to_dict(self) -> dict[str, Any]:
        out = {
            "question": self.question,
            "answer": self.answer,
            "found": self.found,
            "confidence": self.confidence,
            "citations": [c.to_dict() for c in self.citations],
        }
        if self.note:
            out["note"] = self.note
        return out


def _labels(parts: list[AnswerPart]) -> None:
    """Jurisdiction labels; the period too when two parts share a jurisdiction but not a document."""
    docs = [p.hit.clause.doc_id for p in parts]
    jur = [jurisdiction_label(p.hit.doc.get("jurisdiction")) for p in parts]
    if len(set(docs)) > 1:
        # documents without a jurisdiction (national laws) are told apart by their title
        jur = [j or f"《{p.hit.doc.get('title') or p.hit.clause.doc_id}》" for j, p in zip(jur, parts)]
    for i, p in enumerate(parts):
        label = jur[i]
        if not label:
            continue
        same = [k for k in range(len(parts)) if jur[k] == jur[i] and docs[k] != docs[i] and not label.startswith("《")]
        if same:
            period = p.hit.doc.get("period") or ""
            if period:
                label = f"{label}（{period}）"
        p.label = label


def compose(
    result: SearchResult,
    cfg: AssistantConfig,
    texts: list[ClauseText],
    ancestors: Callable[[Clause], list[Clause]],
    top_k: int = 5,
    model: ConfidenceModel | None = None,
    budget: int | None = None,
) -> Answer:
    """The answer to ``result``'s question: quotes from the candidates the model trusts, or not found.

    ``budget``: the answer's room in characters (default: the config's; a part of a multi-part
    question gets its share)."""
    model = model or load_confidence_model()
    q = result.query
    hits = result.hits
    weights = result.weights
    total = sum(weights.values())
    budget = cfg.article_max_chars if q.wants_article_text else (budget or cfg.answer_max_chars)

    # each asked year / place needs its own candidate: look deeper for them
    depth = 2 * CANDIDATE_DEPTH if facets_asked(q, result) else CANDIDATE_DEPTH
    cands = score_candidates(result, cfg, texts, model, depth)
    threshold = model.threshold
    trusted = [c for c in cands[:CANDIDATE_DEPTH] if not c.veto and c.confidence >= threshold]
    # a quote stating the asked quantity goes before one that lacks it (罚多少: the fine, not the ban);
    # not so for the acting unit: 谁来赔 is answered by a party (建筑设计单位), not only by an authority
    qualified = [c.hit for c in sorted(trusted, key=lambda c: c.features.get("number_missing", 0.0) >= 1.0)]
    reasons = [c.veto or "confidence" for c in cands[:CANDIDATE_DEPTH] if c.veto or c.confidence < threshold]
    confidence = max((c.confidence for c in cands if not c.veto), default=0.0)

    parts: list[AnswerPart] = []
    used = 0
    part_years: set[int] = set()
    part_places: set[str] = set()

    def add(h: Hit) -> bool:
        nonlocal used
        ct = texts[h.row]
        if q.wants_article_text and h.article_match:
            spans = article_spans(ct, budget)
        elif h.clause.kind == "table_row":
            spans = [(0, len(h.clause.text))]
        else:
            # a further part gets its span, not its whole clause: the labels need room too
            spans = extend_spans(ct, h, weights, total, max(budget - used, h.span.end - h.span.start), q, cfg.article_max_chars, whole_short=not parts)
        quote = quote_of(h.clause, spans)
        if parts and used + len(quote) > budget:
            return False
        parts.append(AnswerPart(h, spans, quote))
        used += len(quote)
        for a, b in spans:
            yrs, _src = ct.span_years(a, b, a)
            part_years.update(yrs)
        jur = str(h.doc.get("jurisdiction") or "")
        part_places.update(p for p in result.places if p in jur)
        return True

    if qualified:
        best = qualified[0]
        confidence = next(c.confidence for c in cands if c.hit is best)
        add(best)
        # a question about several years or places gets one part for each (2020 and 2022;
        # 贵州省 and 平坝区), whatever their scores, as long as they qualify
        facets = [("year", y) for y in sorted(q.years)] if len(q.years) > 1 else []
        if len(result.places) > 1 or (result.places and q.level == "province"):
            facets += [("place", p) for p in result.places]
        # each facet part answers only its share of the question: half the coverage will do
        facet_candidates = [c.hit for c in cands if not c.veto and c.standalone >= FACET_SHARE * threshold] if facets else []
        if not result.places:
            # a question comparing years without naming a place compares one authority's targets:
            # the best part's jurisdiction first (its 2025 target, not a county's)
            home = str(best.doc.get("jurisdiction") or "")
            facet_candidates.sort(key=lambda h: str(h.doc.get("jurisdiction") or "") != home)
        for kind, value in facets:
            if len(parts) >= cfg.answer_max_parts:
                break
            if (kind == "year" and value in part_years) or (kind == "place" and value in part_places):
                continue
            for h in facet_candidates:
                if any(h.row == p.hit.row for p in parts):
                    continue
                if kind == "year" and value in h.span.years and h.span.year_state == "match":
                    add(h)
                    break
                if kind == "place" and value in str(h.doc.get("jurisdiction") or ""):
                    add(h)
                    break
        covered_by_doc: dict[str, set[str]] = {}
        for p in parts:
            covered_by_doc.setdefault(p.hit.clause.doc_id, set()).update(p.hit.span.covered)
        # once every asked year / place has its quote, other clauses only crowd the answer
        facets_done = bool(facets) and all(
            (value in part_years) if kind == "year" else (value in part_places) for kind, value in facets
        ) and (q.level != "province" or any(_province_level(p.hit.doc) for p in parts))
        # another clause scoring near the best joins when, ranked first, it would answer its share
        extras = [c.hit for c in cands[:CANDIDATE_DEPTH] if _may_join(c, FACET_SHARE * threshold)]
        # an article number names one article of one document: other documents' 第X条 do not join
        if q.articles and not facets:
            extras = []
        for h in extras:
            if len(parts) >= cfg.answer_max_parts or facets_done:
                break
            if any(h.row == p.hit.row for p in parts):
                continue
            if h.score < cfg.extra_part_ratio * best.score:
                continue
            if h.clause.doc_id in covered_by_doc:
                # another clause of the same document joins only when it answers something else
                new = set(h.span.covered) - covered_by_doc[h.clause.doc_id]
                if sum(weights.get(t, 0.0) for t in new) < 0.15 * total:
                    continue
            if add(h):
                covered_by_doc.setdefault(h.clause.doc_id, set()).update(h.span.covered)
        # best first; near-ties put the wider jurisdiction first (全省 before 平坝区)
        parts.sort(key=lambda p: -(p.hit.score + (PROVINCE_FIRST if _province_level(p.hit.doc) else 0.0)))

    return render(q.question, parts, hits, reasons, confidence, budget, top_k, ancestors)


def render(
    question: str,
    parts: list[AnswerPart],
    hits: list[Hit],
    reasons: list[str],
    confidence: float,
    budget: int,
    top_k: int,
    ancestors: Callable[[Clause], list[Clause]],
) -> Answer:
    """The answer text (labelled quotes with markers) and its citations, then the other ranked clauses."""
    citations: list[Citation] = []
    if parts:
        _labels(parts)
        chunks = []
        for i, p in enumerate(parts, start=1):
            q_text = p.quote.rstrip("。；;，, ")
            chunks.append(f"{p.label}：{q_text}[{i}]" if p.label else f"{q_text}[{i}]")
            citations.append(build_citation(i, "answer", p.hit.clause, p.hit.doc, ancestors(p.hit.clause), p.spans, p.hit.score))
        # the labels count too: drop the weakest extra quotes until the answer fits its budget
        while len(chunks) > 1 and len("；".join(chunks)) > budget:
            chunks.pop()
            citations.pop()
            parts.pop()
        answer_text = "；".join(chunks)
        found = True
        reason = ""
    else:
        answer_text = NOT_FOUND
        found = False
        reason = ",".join(dict.fromkeys(reasons)) or "no candidates"
    # the rest of the ranked clauses, as context ("可能相关" when nothing answered)
    in_answer = {p.hit.row for p in parts}
    for h in hits:
        if len(citations) >= max(top_k, len(parts)):
            break
        if h.row in in_answer:
            continue
        if h.clause.kind == "table_row":
            spans = [(0, len(h.clause.text))]
        else:
            spans = [(h.span.start, h.span.end)]
        role = "related" if found else "possibly_related"
        citations.append(build_citation(len(citations) + 1, role, h.clause, h.doc, ancestors(h.clause), spans, h.score))
    return Answer(question, answer_text, found, citations, reason, parts, round(confidence, 4))




def _may_join(c: Candidate, threshold: float) -> bool:
    """Another document's part: not vetoed, trusted on its own, and stating the asked quantity / unit if any."""
    return not c.veto and c.standalone >= threshold and not c.features.get("number_missing") and not c.features.get("unit_missing")


def facets_asked(q: QueryAnalysis, result: SearchResult) -> bool:
    """Whether the question asks about several years or places (each gets its own part)."""
    return len(q.years) > 1 or len(result.places) > 1 or bool(result.places and q.level == "province")
