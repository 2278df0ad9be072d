"""Choose the part of a clause that answers: a sentence, or the comma-parts of a long one.

A *span* is ``(start, end)`` offsets into ``clause.text``. Scoring a span needs the question's
weighted terms and years; the year a span speaks about is the last year stated at or before it
in the clause ("2020年，…。2022年，孕产妇死亡率降到18/10万" → the second sentence is about
2022), else a year in the heading path, else the document's single year.
"""
from __future__ import annotations

import bisect
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

from .numbers import bracket_fit, stated_quantities
from .query import QueryAnalysis
from .textutil import ALT, split_parts, strip_span, text_year_positions, text_years

MIN_PART_CHARS = 16
_DIGIT = re.compile(r"\d")
_LEAD_YEAR = re.compile(r"^\s*(?:到|至|截至|截止到?|在)?\s*(?:19|20)\d{2}\s*(?:年|年底|年末|年度)?(?:底|末|前)?\s*[，,：:]?\s*$")


def fold(text: str) -> str:
    """The form used for substring matching: NFKC, lower case."""
    return unicodedata.normalize("NFKC", text).lower()


@dataclass
class ClauseText:
    """Per-clause data precomputed once at load time."""

    text: str
    folded: str  # fold(text); same length as text when NFKC kept lengths (checked by ``aligned``)
    aligned: bool
    sentences: list[tuple[int, int]]
    year_pos: list[int]  # offsets of stated years, sorted
    year_val: list[int]
    path_years: set[int]
    doc_years: list[int]  # [first, last] or []
    path_folded: str

    @classmethod
    def build(cls, text: str, sentences, path: list[str], doc_years: list[int]) -> "ClauseText":
        folded = fold(text)
        sents = [(int(a), int(b)) for a, b in sentences] or [(0, len(text))]
        pos = text_year_positions(text)
        path_years: set[int] = set()
        for p in path:
            path_years |= text_years(p)
        return cls(
            text=text,
            folded=folded,
            aligned=len(folded) == len(text),
            sentences=sents,
            year_pos=[p for p, _ in pos],
            year_val=[y for _, y in pos],
            path_years=path_years,
            doc_years=list(doc_years or []),
            path_folded=fold(" ".join(path)),
        )

    def spans(self, min_chars: int) -> list[tuple[int, int, int, str]]:
        """``candidate_spans`` with each span's folded text, computed once per clause."""
        cache = self.__dict__.setdefault("_spans", {})
        got = cache.get(min_chars)
        if got is None:
            got = [(a, b, sa, self.folded_span(a, b)) for a, b, sa in candidate_spans(self, min_chars)]
            cache[min_chars] = got
        return got

    def folded_span(self, a: int, b: int) -> str:
        return self.folded[a:b] if self.aligned else fold(self.text[a:b])

    def span_years(self, a: int, b: int, sent_start: int | None = None) -> tuple[set[int], str]:
        """Years the span speaks about and where they come from: stated|inherited|path|doc|none.

        A year stated earlier in the span's own sentence counts as stated."""
        i = bisect.bisect_left(self.year_pos, a)
        j = bisect.bisect_left(self.year_pos, b)
        if j > i:
            return set(self.year_val[i:j]), "stated"
        if i > 0:
            same_sentence = sent_start is not None and self.year_pos[i - 1] >= sent_start
            return {self.year_val[i - 1]}, "stated" if same_sentence else "inherited"
        if self.path_years:
            return set(self.path_years), "path"
        if len(self.doc_years) == 2 and self.doc_years[0] == self.doc_years[1]:
            return {self.doc_years[0]}, "doc"
        return set(), "none"


@dataclass
class SpanScore:
    start: int
    end: int
    coverage: float  # IDF-weighted share of the question's terms in the span
    covered: frozenset[str]
    years: set[int] = field(default_factory=set)
    year_source: str = "none"
    year_state: str = "none"  # match | mismatch | range | none (question asks no year → none)
    numbers: int = 0
    score: float = 0.0


FUZZY_CREDIT = 0.7


@lru_cache(maxsize=8192)
def _fuzzy_pattern(term: str) -> re.Pattern[str] | None:
    """每千人口 also matches 每千常住人口, 孕妇 matches 孕产妇: the term's characters in order,
    with a few characters between them (at most the term's length in all)."""
    if len(term) < 2 or not all("\u3400" <= ch <= "\u9fff" for ch in term):
        return None
    gap = max(1, len(term) // 2)
    body = f".{{0,{gap}}}".join(re.escape(ch) for ch in term)
    return re.compile(body)


def term_match(term: str, hay: str) -> float:
    """1 for the term itself, ``FUZZY_CREDIT`` for its characters in order nearby, else 0.

    A term with alternatives (``抽烟|吸烟``) scores its best wording."""
    if ALT in term:
        return max(term_match(t, hay) for t in term.split(ALT))
    if term in hay:
        return 1.0
    pat = _fuzzy_pattern(term)
    if pat is not None:
        m = pat.search(hay)
        if m and len(m.group(0)) <= 2 * len(term):
            return FUZZY_CREDIT
    return 0.0


TYPO_CREDIT = 0.6


@lru_cache(maxsize=8192)
def _typo_pattern(term: str) -> re.Pattern[str] | None:
    """规化建 also matches 规划建: the term with any one character replaced (terms of ≥ 3 Chinese
    characters only; a two-character word with one wrong character is another word)."""
    if len(term) < 3 or not all("\u3400" <= ch <= "\u9fff" for ch in term):
        return None
    alts = [re.escape(term[:i]) + "[\u3400-\u9fff]" + re.escape(term[i + 1 :]) for i in range(len(term))]
    return re.compile("|".join(alts))


def typo_match(term: str, hay: str) -> float:
    """For a word the corpus never uses (a typo, a colloquial form): ``term_match``, else
    ``TYPO_CREDIT`` when the text has the word with one character different."""
    m = term_match(term, hay)
    if m:
        return m
    pat = _typo_pattern(term)
    return TYPO_CREDIT if pat is not None and pat.search(hay) else 0.0


def term_coverage(hay: str, weights: dict[str, float], total: float) -> tuple[float, frozenset[str]]:
    """IDF-weighted share of the terms found in ``hay`` (fuzzy matches earn partial credit)."""
    if total <= 0:
        return 0.0, frozenset()
    got = []
    acc = 0.0
    for t, w in weights.items():
        m = term_match(t, hay)
        if m:
            got.append(t)
            acc += w * m
    return acc / total, frozenset(got)


def year_state(q: QueryAnalysis, years: set[int], source: str, doc_years: list[int]) -> str:
    if not q.asks_year:
        return "none"
    if years:
        return "match" if q.year_matches(years) else "mismatch"
    if len(doc_years) == 2:
        # a clause stating no year speaks of its plan's target year: the end of the period
        # (a 2021—2025 plan's unlabelled target is not a 2023 figure)
        lo, hi = doc_years
        if hi in q.years or any(a <= hi and b >= lo for a, b in q.year_ranges):
            return "range"
        return "mismatch"
    return "none"


def candidate_spans(ct: ClauseText, min_chars: int) -> list[tuple[int, int, int]]:
    """Every sentence, plus narrower windows of comma-parts inside long sentences, as
    ``(start, end, sentence_start)``."""
    spans: list[tuple[int, int, int]] = []
    for a, b in ct.sentences:
        a, b = strip_span(ct.text, a, b) if b - a > 1 else (a, b)
        if b <= a:
            continue
        spans.append((a, b, a))
        if b - a <= min_chars:
            continue
        parts = split_parts(ct.text, a, b)
        if len(parts) < 2:
            continue
        n = len(parts)
        for i in range(n):
            for j in range(i, min(n, i + 3)):
                s, e = strip_span(ct.text, parts[i][0], parts[j][1])
                if e <= s or (s, e) == (a, b):
                    continue
                # what follows a colon is what the part announces (……八大工程：乡村能力提升工程、…)
                if ct.text[parts[j][1] - 1] in "：:" and j + 1 < n:
                    continue
                # a narrowed span must still say something: a target (a number) or a full phrase
                if e - s < MIN_PART_CHARS and not _DIGIT.search(ct.text[s:e]):
                    continue
                spans.append((s, e, a))
    return spans


def lead_year_part(ct: ClauseText, sent_start: int, span_start: int) -> int | None:
    """Start of a short leading "2022年，" part of the sentence, to keep the year with a part."""
    if span_start <= sent_start:
        return None
    head = ct.text[sent_start:span_start]
    parts = split_parts(ct.text, sent_start, span_start)
    if parts and _LEAD_YEAR.match(ct.text[parts[0][0] : parts[0][1]]) and len(head) <= 40:
        return parts[0][0]
    return None


def sentence_of(ct: ClauseText, pos: int) -> tuple[int, int]:
    for a, b in ct.sentences:
        if a <= pos < b:
            return a, b
    return 0, len(ct.text)


def best_span(
    ct: ClauseText,
    q: QueryAnalysis,
    weights: dict[str, float],
    total: float,
    *,
    min_chars: int = 60,
    number_bonus: float = 0.05,
    year_bonus: float = 0.2,
    year_penalty: float = 0.35,
) -> SpanScore:
    """The span of the clause that best answers ``q`` (coverage, year fit, then brevity)."""
    cands: list[SpanScore] = []
    # only terms the clause contains at all can be in one of its spans
    present = {t: w for t, w in weights.items() if term_match(t, ct.folded)}
    stated = stated_quantities(q.question)
    for a, b, sa, hay in ct.spans(min_chars):
        cov, got = term_coverage(hay, present, total)
        years, source = ct.span_years(a, b, sa)
        state = year_state(q, years, source, ct.doc_years)
        nums = sum(1 for n in q.numbers if n in hay)
        score = cov + nums * number_bonus
        if stated:
            # the case whose condition the asker's number meets (满5年不足10年的 for 交了6年)
            score += BRACKET_WEIGHT * bracket_fit(ct.text[a:b], stated)
        if state == "match":
            score += year_bonus * (1.0 if source == "stated" else 0.8)
        elif state == "mismatch":
            score -= year_penalty
        # prefer the shorter of two equally good spans (a whole sentence wins ties with its parts
        # only when the parts lose coverage)
        score -= (b - a) * 0.0004
        cands.append(SpanScore(a, b, cov, got, years, source, state, nums, score))
    if not cands:
        return SpanScore(0, len(ct.text), 0.0, frozenset())
    top = max(c.score for c in cands)
    near = [c for c in cands if c.score >= top - NEAR_TIE]
    if len(near) > 1:
        # near-ties: the span where the question's words stand closest together answers it
        # (中医医院设置康复科 rather than 中医医院加强康复科建设，推动……设置)
        for c in near:
            c.score -= _window(ct.folded_span(c.start, c.end), c.covered) * WINDOW_COST
    best = None
    for c in cands:
        if best is None or c.score > best.score + 1e-9:
            best = c
    return best


NEAR_TIE = 0.03
BRACKET_WEIGHT = 0.15
WINDOW_COST = 0.0006


def _window(hay: str, terms) -> int:
    """Length of the shortest stretch of ``hay`` holding every term found in it verbatim."""
    occ: list[tuple[int, int, int]] = []  # (start, end, term index)
    words = [t for t in terms if t in hay]
    if len(words) < 2:
        return 0
    for i, t in enumerate(words):
        j = hay.find(t)
        while j >= 0:
            occ.append((j, j + len(t), i))
            j = hay.find(t, j + 1)
    occ.sort()
    need = len(words)
    count: dict[int, int] = {}
    best = len(hay)
    lo = 0
    for hi in range(len(occ)):
        count[occ[hi][2]] = count.get(occ[hi][2], 0) + 1
        while len(count) == need:
            end = max(e for _s, e, _i in occ[lo : hi + 1])
            best = min(best, end - occ[lo][0])
            k = occ[lo][2]
            count[k] -= 1
            if not count[k]:
                del count[k]
            lo += 1
    return best
