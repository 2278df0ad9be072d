"""Extractive answers: pick the sentences that answer, decide found / not found, label and cite.

Every character of an answer is quoted from the corpus, except the jurisdiction labels (from the
manifest), the joining punctuation and the citation markers ``[n]``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable

from indexer.records import Clause

from .citation import Citation, build_citation, compact_table_row, jurisdiction_label
from .config import AssistantConfig
from .query import QueryAnalysis
from .retrieval import Hit, SearchResult
from .spans import ClauseText, lead_year_part, sentence_of
from .textutil import strip_span

NOT_FOUND = "未在语料中找到相关条款"
# A question asking who is responsible, and the sentence of a clause that says who.
_ASKS_RESPONSIBLE = re.compile(r"责任单位|牵头|负责|主管|(?:哪个|哪些|什么|哪家|哪几个)[^，,。？?；]{0,8}(?:部门|单位|机构)|谁来|由谁|是谁|归谁|责任部门")
_RESPONSIBLE = re.compile(r"责任单位|牵头单位|责任部门|牵头部门|配合单位|负责单位|由[^，。；]{1,30}(?:负责|牵头)")
TITLE_SENTENCE_CHARS = 24
TITLE_FOLLOW_CHARS = 120
EXTEND_MIN_GAIN = 0.25
_DIGIT = re.compile(r"\d")
_GAP = " \t\r\n\u3000，,；;：:、。"  # what may lie between two quoted spans for them to read as one
# A quote that states a quantity: digits, Chinese numerals with a unit, or 全覆盖 / 全部 / 每个…
_NUMBERISH = re.compile(r"\d|[一二两三四五六七八九十百千万]+[个名所家项次人年级倍成%‰]|全覆盖|全部|全面覆盖|每[个所家]")


_ASKS_RATE = re.compile(r"[\u4e00-\u9fff]率")
_RATEISH = re.compile(r"率|%|％|‰|百分|/\s*1?0*万|/\s*10+|[一二三四五六七八九十]成|全覆盖|全部|所有")


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

    def to_dict(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "answer": self.answer,
            "found": self.found,
            "citations": [c.to_dict() for c in self.citations],
        }


def qualifies(hit: Hit, q: QueryAnalysis, cfg: AssistantConfig) -> tuple[bool, str]:
    """Whether ``hit`` may be given as an answer (with the reason when it may not)."""
    if hit.clause.kind == "heading" and not hit.article_match:
        return False, "heading"
    if q.articles and not hit.article_match:
        return False, "article"
    if hit.place_state == "mismatch":
        return False, "place"
    if hit.title_state == "mismatch":
        return False, "title"
    if q.asks_year and hit.span.year_state == "mismatch":
        return False, "year"
    if hit.article_match and (q.wants_article_text or hit.span.coverage >= cfg.min_coverage * 0.5):
        return True, ""
    if q.wants_number and not q.articles:
        quote = hit.clause.text[hit.span.start : hit.span.end]
        label = (hit.clause.label or "").strip()
        if label and quote.startswith(label):
            quote = quote[len(label) :]
        if not _NUMBERISH.search(quote):
            return False, "no number"
        # a rate asked (签约率, 覆盖率 …多少) is answered by a rate, not by a count (80种药品)
        if _ASKS_RATE.search(q.normalized) and not _RATEISH.search(quote):
            return False, "no rate"
    if hit.missing_share > cfg.max_missing_share:
        return False, "missing word"
    # the best span covers the question's words (those the corpus knows; typos and colloquial
    # words aside, as long as they are not most of the question) …
    if hit.score >= cfg.min_score and hit.coverage_known >= cfg.min_coverage and hit.unknown_share <= cfg.max_unknown_share:
        return True, ""
    # … or both retrievers independently put this clause on top (paraphrases share few words)
    if (
        hit.bm25_rank is not None and hit.bm25_rank <= cfg.consensus_bm25_rank
        and hit.dense_rank is not None and hit.dense_rank <= cfg.consensus_dense_rank
        and hit.coverage_known >= cfg.consensus_min_coverage
    ):
        return True, ""
    if hit.score < cfg.min_score:
        return False, "score"
    if hit.unknown_share > cfg.max_unknown_share:
        return False, "unknown words"
    return False, "coverage"


def _extend_spans(ct: ClauseText, hit: Hit, weights: dict[str, float], total: float, budget: int, q: QueryAnalysis | None = None, list_budget: int = 600) -> list[tuple[int, int]]:
    """The best span, with its sentence's leading year ("2022年，") and any other sentence of the
    clause that covers question terms the span misses (e.g. the 责任单位 sentence)."""
    a, b = hit.span.start, hit.span.end
    sa, _sb = sentence_of(ct, a)
    lead = lead_year_part(ct, sa, a)
    if lead is not None:
        a = lead
    spans = [(a, b)]
    used = b - a
    text = ct.text
    sents = [strip_span(text, s0, s1) for s0, s1 in ct.sentences]
    sents = [(s0, s1) for s0, s1 in sents if s1 > s0]
    # a clause's short title sentence ("(七)加强乡村医生队伍政策保障。") answers nothing by itself:
    # go on with the sentences after it
    announces_list = text[b : b + 1] in "：:" or text[b - 1 : b] in "：:"
    if not announces_list and sents and (a, b) == sents[0] and len(sents) > 1 and (b - a) <= TITLE_SENTENCE_CHARS and not _DIGIT.search(text[a:b].removeprefix(hit.clause.label or "")):
        for s0, s1 in sents[1:]:
            if used + (s1 - s0) > min(budget, TITLE_FOLLOW_CHARS) and used > b - a:
                break
            spans.append((s0, s1))
            used += s1 - s0
            if used >= TITLE_FOLLOW_CHARS:
                break
    # a sentence announcing a list ("有下列情形之一的，……：") is answered by the items after it
    if announces_list:
        for s0, s1 in sents:
            if s0 < b or any(x <= s0 < y for x, y in spans):
                continue
            if used + (s1 - s0) > max(budget, list_budget) and used > b - a:
                break
            spans.append((s0, s1))
            used += s1 - s0
    question = q.normalized if q is not None else ""
    # each asked year stated elsewhere in the clause ("2020年……。2022年，孕产妇死亡率降到18/10万")
    if q is not None and len(q.years) > 1:
        have = set(hit.span.years)
        for s0, s1 in sents:
            yrs, src = ct.span_years(s0, s1, s0)
            if src != "stated" or not (yrs & q.years) - have or any(x <= s0 and s1 <= y for x, y in spans):
                continue
            hay = ct.folded_span(s0, s1)
            if any(t in hay for t in hit.span.covered):
                spans.append((s0, s1))
                used += s1 - s0
                have |= yrs & q.years
    # a question asking who is responsible is answered by the clause's 责任单位 / 牵头 sentence
    if _ASKS_RESPONSIBLE.search(question):
        for s0, s1 in sents:
            if _RESPONSIBLE.search(text[s0:s1]) and not any(x <= s0 and s1 <= y for x, y in spans):
                spans.append((s0, s1))
                used += s1 - s0
                break
    covered = set(hit.span.covered)
    for x, y in spans[1:]:
        hay = ct.folded_span(x, y)
        covered |= {t for t in weights if t in hay}
    missing = {t: w for t, w in weights.items() if t not in covered}
    while missing:
        best = None
        for s0, s1 in ct.sentences:
            s0, s1 = strip_span(ct.text, s0, s1)
            if s1 <= s0 or any(x < s1 and s0 < y for x, y in spans):
                continue
            hay = ct.folded_span(s0, s1)
            gain = sum(w for t, w in missing.items() if t in hay)
            if gain <= 0 or used + (s1 - s0) > budget:
                continue
            if best is None or gain / (s1 - s0) > best[0]:
                best = (gain / (s1 - s0), s0, s1, gain)
        if best is None or best[3] < EXTEND_MIN_GAIN * total:
            break
        _, s0, s1, _ = best
        spans.append((s0, s1))
        used += s1 - s0
        hay = ct.folded_span(s0, s1)
        missing = {t: w for t, w in missing.items() if t not in hay}
    spans.sort()
    # merge touching spans (only whitespace between them)
    merged: list[tuple[int, int]] = []
    for s in spans:
        if merged and not ct.text[merged[-1][1] : s[0]].strip(_GAP):
            merged[-1] = (merged[-1][0], s[1])
        else:
            merged.append(s)
    return merged


def _article_spans(ct: ClauseText, budget: int) -> list[tuple[int, int]]:
    """The whole article, cut at a sentence end when it is longer than ``budget``."""
    end = 0
    for s0, s1 in ct.sentences:
        if s1 > budget and end > 0:
            break
        end = s1
    a, b = strip_span(ct.text, 0, end or len(ct.text))
    return [(a, b)]


def quote_of(clause: Clause, spans: list[tuple[int, int]]) -> str:
    text = clause.text
    if clause.kind == "table_row" and spans == [(0, len(text))]:
        return compact_table_row(text)
    out = []
    for i, (a, b) in enumerate(spans):
        if i and text[spans[i - 1][1] : a].strip(_GAP):
            out.append("……")
        out.append(text[a:b].strip())
    return "".join(out)


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
) -> Answer:
    q = result.query
    hits = result.hits
    weights = result.weights
    total = sum(weights.values())
    budget = cfg.article_max_chars if q.wants_article_text else cfg.answer_max_chars

    qualified: list[Hit] = []
    reasons: list[str] = []
    for h in hits[: max(top_k, 5)]:
        ok, why = qualifies(h, q, cfg)
        if ok:
            qualified.append(h)
        else:
            reasons.append(why)

    parts: list[AnswerPart] = []
    used = 0
    part_years: set[int] = set()
    part_places: set[str] = set()

    def add(h: Hit) -> bool:
        nonlocal used
        ct = texts[h.row]
        if q.wants_article_text and h.article_match:
            spans = _article_spans(ct, budget)
        elif h.clause.kind == "table_row":
            spans = [(0, len(h.clause.text))]
        else:
            spans = _extend_spans(ct, h, weights, total, max(budget - used, h.span.end - h.span.start), q, cfg.article_max_chars)
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
        add(best)
        # a question about several years or places gets one part for each (2020 and 2022;
        # 贵州省 and 平坝区), whatever their scores, as long as they qualify
        facets = [("year", y) for y in sorted(q.years)] if len(q.years) > 1 else []
        if len(result.places) > 1 or (result.places and q.level == "province"):
            facets += [("place", p) for p in result.places]
        # each facet part answers only its share of the question: half the coverage will do
        relaxed = cfg.replace(min_coverage=cfg.min_coverage / 2, consensus_min_coverage=cfg.consensus_min_coverage / 2)
        facet_candidates = [h for h in hits[: max(top_k, 10)] if qualifies(h, q, relaxed)[0]] if facets else []
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
        for h in qualified:
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
    return Answer(q.question, answer_text, found, citations, reason, parts)
