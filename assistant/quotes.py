"""What an answer quotes from a clause: the best span, widened to what the question needs.

A span is ``(start, end)`` offsets into the clause text. The best span (``spans.best_span``) is
widened with its sentence's leading year, the list a sentence announces (and, for a list item, the
sentence announcing it), the 责任单位 sentence a responsibility question needs, each asked year's
sentence, and sentences covering missing terms. A short clause (an article of a law, mostly) is
quoted whole.
"""
from __future__ import annotations

import re

from indexer.records import Clause

from .citation import compact_table_row
from .query import QueryAnalysis
from .retrieval import Hit
from .numbers import asked_kinds, find_quantities, states_quantity
from .spans import ClauseText, lead_year_part, sentence_of, term_match
from .textutil import strip_span

# A question asking who is responsible, and the sentence of a clause that says who.
ASKS_RESPONSIBLE = re.compile(r"责任单位|牵头|负责|主管|(?:哪个|哪些|什么|哪家|哪几个)[^，,。？?；]{0,8}(?:部门|单位|机构)|谁来|由谁|是谁|归谁|责任部门"
                              r"|(?:交|找|向|给|报)谁|谁(?:管|发|批|审批|认定|监管|颁发|核发|处理)")
_RESPONSIBLE = re.compile(r"责任单位|牵头单位|责任部门|牵头部门|配合单位|负责单位|由[^，。；]{1,30}(?:负责|牵头)")
TITLE_SENTENCE_CHARS = 24
TITLE_FOLLOW_CHARS = 120
EXTEND_MIN_GAIN = 0.25
# a clause this short is quoted whole: its other sentence is most often what the question turns on
# (有效期为2年。……应当在期满前30日内办理), and cutting it saves almost nothing
SHORT_CLAUSE_CHARS = 160
_DIGIT = re.compile(r"\d")
_GAP = " \t\r\n\u3000，,；;：:、。"  # what may lie between two quoted spans for them to read as one
_ITEM = re.compile(r"\s*[（(][一二三四五六七八九十]{1,3}[）)]")  # a list item's label
_PART_STOPS = "，,；;。：:\n"
# who acts: a department, office, government or institution named in a clause
ACTING_UNIT = re.compile(r"部门|人民政府|委员会|[局厅委办处署]|机构|中心|机关|协会")


def extend_spans(ct: ClauseText, hit: Hit, weights: dict[str, float], total: float, budget: int, q: QueryAnalysis | None = None, list_budget: int = 600, whole_short: bool = True) -> list[tuple[int, int]]:
    """The best span, with its sentence's leading year ("2022年，") and any other sentence of the
    clause that covers question terms the span misses (e.g. the 责任单位 sentence); a short clause
    whole (``whole_short``: the answer's first part, which has the room)."""
    whole = strip_span(ct.text, 0, len(ct.text))
    # (not when the question compares years or places: each part then needs its own room)
    single = q is None or (len(q.years) <= 1 and len(set(q.places) - set(q.bare_places)) <= 1)
    # (nor when the question asks a year and the clause also states others: 2020's figure beside 2022's is a wrong number)
    other_years = q is not None and bool(q.years) and bool(set(ct.year_val) - {int(y) for y in q.years})
    if whole_short and single and not other_years and whole[1] - whole[0] <= min(SHORT_CLAUSE_CHARS, budget) and hit.clause.kind != "heading":
        return [whole]
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
        items = [(s0, s1) for s0, s1 in sents if s0 >= b and not any(x <= s0 < y for x, y in spans)]
        # the items that name what the question adds to the announcing sentence (跨省 of 跨省的建设项目…),
        # when some do; else the whole list
        fresh = [t for t in weights if not term_match(t, ct.folded_span(a, b))]
        named = [(s0, s1) for s0, s1 in items if any(term_match(t, ct.folded_span(s0, s1)) for t in fresh)]
        for s0, s1 in named if named and len(named) < len(items) else items:
            if used + (s1 - s0) > max(budget, list_budget) and used > b - a:
                break
            spans.append((s0, s1))
            used += s1 - s0
    # a list item ("（一）业主委员会换届的；") is a condition of the sentence announcing the list
    # ("有下列情形之一的，业主委员会应当聘请专业机构……审计："): that sentence says what follows from it
    colon = max(text.rfind("：", 0, a), text.rfind(":", 0, a))
    if _ITEM.match(text, a) and colon > 0 and "。" not in text[colon:a]:
        head = strip_span(text, text.rfind("。", 0, colon) + 1, colon + 1)
        if head[1] > head[0] and not any(x <= head[0] < y for x, y in spans) and used + head[1] - head[0] <= budget:
            spans.append(head)
            used += head[1] - head[0]
    question = q.normalized if q is not None else ""
    # each asked year stated elsewhere in the clause ("2020年……。2022年，孕产妇死亡率降到18/10万")
    if q is not None and len(q.years) > 1:
        have = set(hit.span.years)
        for s0, s1 in sents:
            yrs, src = ct.span_years(s0, s1, s0)
            if src != "stated" or not (yrs & q.years) - have or any(x <= s0 and s1 <= y for x, y in spans):
                continue
            hay = ct.folded_span(s0, s1)
            if any(term_match(t, hay) for t in hit.span.covered):
                spans.append((s0, s1))
                used += s1 - s0
                have |= yrs & q.years
    # a question asking who is responsible is answered by the clause's 责任单位 / 牵头 sentence
    if ASKS_RESPONSIBLE.search(question):
        for s0, s1 in sents:
            if _RESPONSIBLE.search(text[s0:s1]) and not any(x <= s0 and s1 <= y for x, y in spans):
                spans.append((s0, s1))
                used += s1 - s0
                break
    # the quote must state what was asked: the quantity (in whatever form) or the acting unit
    if q is not None and not q.articles:
        kinds = asked_kinds(question)
        if kinds and not any(states_quantity(text[x:y], kinds) for x, y in spans):
            starts = [m.start for m in find_quantities(text) if m.kind in kinds]
            used += _widen_to(text, spans, starts, max(budget - used, 0))
        if ASKS_RESPONSIBLE.search(question) and not any(ACTING_UNIT.search(text[x:y]) for x, y in spans):
            used += _widen_to(text, spans, [m.start() for m in ACTING_UNIT.finditer(text)], max(budget - used, 0))
    # a quote ending on a condition ("……弄虚作假的") goes on to what follows from it
    x, y = spans[0]
    if text[y - 1 : y] == "的" and text[y : y + 1] in "，,":
        p0, p1 = _part_bounds(text, y + 1)
        if p1 - y <= max(budget - used, 0):
            spans[0] = (x, p1)
            used += p1 - y
    covered = set(hit.span.covered)
    for x, y in spans[1:]:
        hay = ct.folded_span(x, y)
        covered |= {t for t in weights if term_match(t, hay)}
    missing = {t: w for t, w in weights.items() if t not in covered}
    while missing:
        best = None
        for s0, s1 in ct.sentences:
            s0, s1 = strip_span(ct.text, s0, s1)
            if s1 <= s0 or any(x < s1 and s0 < y for x, y in spans):
                continue
            hay = ct.folded_span(s0, s1)
            gain = sum(w for t, w in missing.items() if term_match(t, hay))
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
        missing = {t: w for t, w in missing.items() if not term_match(t, hay)}
    spans.sort()
    # merge touching spans (only whitespace between them)
    merged: list[tuple[int, int]] = []
    for s in spans:
        if merged and not ct.text[merged[-1][1] : s[0]].strip(_GAP):
            merged[-1] = (merged[-1][0], s[1])
        else:
            merged.append(s)
    return merged


def _widen_to(text: str, spans: list[tuple[int, int]], targets: list[int], room: int) -> int:
    """Bring the nearest target (a quantity, a unit) into the quote: the span runs on to the end of
    the target's part when it follows in the same sentence (the condition between them kept),
    else the target's own part is added. Returns the characters added (0 when none fits)."""
    a, b = spans[0]
    after = [t for t in targets if t >= b]
    before = [t for t in targets if t < a]
    for t in after[:1] + before[-1:]:
        p0, p1 = _part_bounds(text, t)
        if t >= b and "。" not in text[b:p0] and p1 - b <= room:
            spans[0] = (a, p1)
            return p1 - b
        if p1 - p0 <= room and not any(x <= p0 < y for x, y in spans):
            spans.append((p0, p1))
            return p1 - p0
    return 0


def _part_bounds(text: str, pos: int) -> tuple[int, int]:
    """The comma part around ``pos`` (between ，；。：or line ends)."""
    p0 = max(text.rfind(ch, 0, pos) for ch in _PART_STOPS) + 1
    ends = [i for i in (text.find(ch, pos) for ch in _PART_STOPS) if i >= 0]
    p1 = min(ends) if ends else len(text)
    return strip_span(text, p0, p1)


def article_spans(ct: ClauseText, budget: int) -> list[tuple[int, int]]:
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
