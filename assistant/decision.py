"""Found or not found: hard vetoes where they are certain, a fitted model everywhere else.

A candidate answer is a retrieved clause with the quote the answer would give from it. Its
*confidence* is the probability that this quote answers the question correctly, from a logistic
model over retrieval and span signals (``data/confidence.json``, fitted by
``python -m evals.fit_confidence`` on question–clause examples of the seed dev set and the general
tune half, never the test half). The model's threshold was chosen on held-out folds for a target
wrong-answer rate. Vetoes stay only for what is certain: another year, another place the document
provably does not cover, another named document, another article, a bare heading.

Besides a candidate's own signals the model weighs it against the others (its rank among the
candidates whose quote states the asked quantity and unit) and against its document (the share of
the question's words, and the word asked about, that the document never uses: the asked thing
absent from the document is the usual mark of a question the corpus does not answer).
"""
from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from .config import AssistantConfig
from .numbers import asked_kinds, states_quantity
from .query import QueryAnalysis
from .quotes import ACTING_UNIT, ASKS_RESPONSIBLE, article_spans, extend_spans, quote_of
from .retrieval import Hit, Retriever, SearchResult
from .spans import ClauseText, fold, term_match

MODEL_PATH = Path(__file__).resolve().parent / "data" / "confidence.json"
# how many retrieved clauses are weighed as the answer (the model was fitted on this many)
CANDIDATE_DEPTH = 5

FEATURES = (
    "score",
    "fused",
    "coverage",
    "coverage_known",
    "clause_coverage",
    "unknown_share",
    "missing_share",
    "quote_key_missing",
    "quote_top_missing",
    "bm25_rr",
    "dense_rr",
    "dense_sim",
    "dense_gap",
    "consensus",
    "place_match",
    "place_soft_mismatch",
    "title_match",
    "title_soft_mismatch",
    "year_match",
    "year_unstated",
    "article_match",
    "number_missing",
    "unit_missing",
    "rank",
    "gap",
    "table_row",
    "quote_chars",
    "rule_vote",
    "focus_missing",
    "focus_unknown",
    "focus_quote_missing",
    "rank_ok",
    "number_ok_elsewhere",
    "asks_number",
    "doc_missing_share",
    "focus_absent_doc",
)
# rank_ok of a candidate that fails the quantity / unit check (or is vetoed): behind every one that passes
RANK_FAILED = float(CANDIDATE_DEPTH)
# The hand rule of the first release (score, coverage, consensus of both retrievers), kept as one
# signal among others: the model learns on many documents how far to trust it.
RULE_MIN_SCORE, RULE_MIN_COVERAGE, RULE_MAX_UNKNOWN, RULE_MAX_MISSING = 0.40, 0.55, 0.60, 0.38

_ASKS_RATE = re.compile(r"[\u4e00-\u9fff]率")
_RATEISH = re.compile(r"率|%|％|‰|百分|分之|/\s*1?0*万|/\s*10+|[一二三四五六七八九十]成|全覆盖|全部|所有")


@dataclass(frozen=True)
class ConfidenceModel:
    """Logistic regression over standardized :data:`FEATURES`, with the decision threshold."""

    features: tuple[str, ...]
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    coef: tuple[float, ...]
    intercept: float
    threshold: float
    meta: dict[str, Any] = field(default_factory=dict, compare=False)

    def predict(self, feats: dict[str, float]) -> float:
        """Probability that the candidate's quote answers the question correctly (a signal that
        is absent, such as the dense ranks in BM25-only mode, counts as its mean: no evidence)."""
        z = self.intercept
        for name, m, s, c in zip(self.features, self.mean, self.scale, self.coef):
            if name in feats:
                z += c * (float(feats[name]) - m) / s
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))

    def to_dict(self) -> dict[str, Any]:
        return {
            "features": list(self.features),
            "mean": list(self.mean),
            "scale": list(self.scale),
            "coef": list(self.coef),
            "intercept": self.intercept,
            "threshold": self.threshold,
            "meta": self.meta,
        }


def load_confidence_model(path: Path | str | None = None) -> ConfidenceModel:
    """The fitted model (default: the packaged one); a bad file is a one-line ``ValueError``."""
    return _load(str(Path(path) if path else MODEL_PATH))


@lru_cache(maxsize=4)
def _load(path: str) -> ConfidenceModel:
    try:
        d = json.loads(Path(path).read_text(encoding="utf-8"))
        n = len(d["features"])
        if not (len(d["mean"]) == len(d["scale"]) == len(d["coef"]) == n):
            raise ValueError("features, mean, scale and coef differ in length")
        unknown = [f for f in d["features"] if f not in FEATURES]
        if unknown:
            raise ValueError(f"unknown feature(s) {unknown}")
        return ConfidenceModel(
            tuple(d["features"]),
            tuple(float(x) for x in d["mean"]),
            tuple(float(x) if float(x) > 0 else 1.0 for x in d["scale"]),
            tuple(float(x) for x in d["coef"]),
            float(d["intercept"]),
            float(d["threshold"]),
            dict(d.get("meta") or {}),
        )
    except (OSError, KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"{path}: not a confidence model: {exc}") from None


def hard_veto(hit: Hit, q: QueryAnalysis) -> str:
    """Why ``hit`` can certainly not answer (``""`` when it may): the decisions no model should make."""
    if hit.clause.kind == "heading" and not hit.article_match:
        return "heading"
    if q.articles and not hit.article_match:
        return "article"
    if hit.place_state == "mismatch" and hit.doc.get("jurisdiction"):
        return "place"  # the document belongs to another place, and the clause does not name the asked one
    if hit.title_state == "mismatch" and hit.named_other:
        return "title"  # the question names another document of the corpus
    if q.asks_year and hit.span.year_state == "mismatch":
        return "year"
    return ""


def answer_features(
    hit: Hit,
    q: QueryAnalysis,
    weights: dict[str, float],
    main_terms: set[str],
    quote: str,
    rank: int,
    next_score: float,
    unknown: frozenset[str] = frozenset(),
) -> dict[str, float]:
    """The signals the model weighs, for ``hit`` answering with ``quote``."""
    hay = fold(quote)
    focus = fold(q.focus) if q.focus else ""
    focus = focus if focus in weights else ""
    hit_hay = fold(" ".join(hit.clause.path) + " " + hit.clause.text)
    main = {t: w for t, w in weights.items() if t in main_terms}
    main_total = sum(main.values())
    missing = {t: w for t, w in main.items() if term_match(t, hay) == 0}
    top = max(main, key=main.get) if main else None
    kinds = asked_kinds(q.normalized)
    number_missing = 0.0
    if kinds and not q.articles:
        if not states_quantity(quote, kinds):
            number_missing = 1.0
        elif _ASKS_RATE.search(q.normalized) and not _RATEISH.search(quote):
            number_missing = 0.5
    unit_missing = 1.0 if ASKS_RESPONSIBLE.search(q.normalized) and not ACTING_UNIT.search(quote) else 0.0
    return {
        "score": hit.score,
        "fused": hit.fused,
        "coverage": hit.span.coverage,
        "coverage_known": hit.coverage_known,
        "clause_coverage": hit.clause_coverage,
        "unknown_share": hit.unknown_share,
        "missing_share": hit.missing_share,
        "quote_key_missing": sum(missing.values()) / main_total if main_total > 0 else 0.0,
        "quote_top_missing": 1.0 if top is not None and top in missing else 0.0,
        "bm25_rr": 1.0 / hit.bm25_rank if hit.bm25_rank else 0.0,
        "dense_rr": 1.0 / hit.dense_rank if hit.dense_rank else 0.0,
        "dense_sim": hit.dense_sim,
        "dense_gap": hit.dense_gap,
        "consensus": 1.0 if (hit.bm25_rank or 99) <= 1 and (hit.dense_rank or 99) <= 3 else 0.0,
        "place_match": 1.0 if hit.place_state == "match" else 0.0,
        "place_soft_mismatch": 1.0 if hit.place_state == "mismatch" else 0.0,
        "title_match": 1.0 if hit.title_state == "match" else 0.0,
        "title_soft_mismatch": 1.0 if hit.title_state == "mismatch" else 0.0,
        "year_match": 1.0 if hit.span.year_state == "match" else 0.0,
        "year_unstated": 1.0 if q.asks_year and hit.span.year_state == "none" else 0.0,
        "article_match": 1.0 if hit.article_match else 0.0,
        "number_missing": number_missing,
        "unit_missing": unit_missing,
        "rank": float(rank),
        "gap": hit.score - next_score,
        "table_row": 1.0 if hit.clause.kind == "table_row" else 0.0,
        "quote_chars": min(len(quote), 400) / 100.0,
        "rule_vote": 1.0 if _rule_vote(hit) else 0.0,
        "focus_missing": 1.0 if focus and term_match(focus, hit_hay) == 0 else 0.0,
        "focus_unknown": 1.0 if focus and focus in unknown else 0.0,
        "focus_quote_missing": 1.0 if focus and term_match(focus, hay) == 0 else 0.0,
        "asks_number": 1.0 if kinds and not q.articles else 0.0,
        "doc_missing_share": hit.doc_missing_share,
        "focus_absent_doc": 1.0 if hit.focus_absent_doc else 0.0,
    }


def _passes(c: "Candidate") -> bool:
    """Not vetoed, and its quote states the asked quantity and acting unit (when asked)."""
    return not c.veto and c.features.get("number_missing", 0.0) < 1.0 and not c.features.get("unit_missing")


def add_relative_features(cands: list["Candidate"]) -> None:
    """Signals of a candidate against the others: its rank among those whose quote states what was
    asked (a first clause without the asked fine loses to the second that has it), and whether
    another candidate states the asked quantity this one lacks."""
    head = cands[:CANDIDATE_DEPTH]
    number_elsewhere = any(not c.veto and not c.features.get("number_missing") for c in head)
    k = 0
    for c in cands:
        ok = _passes(c)
        c.features["rank_ok"] = float(k) if ok else RANK_FAILED
        if ok and c.rank < CANDIDATE_DEPTH:
            k += 1
        c.features["number_ok_elsewhere"] = 1.0 if c.features.get("number_missing") and number_elsewhere else 0.0


def _rule_vote(hit: Hit) -> bool:
    if hit.missing_share > RULE_MAX_MISSING:
        return False
    if hit.score >= RULE_MIN_SCORE and hit.coverage_known >= RULE_MIN_COVERAGE and hit.unknown_share <= RULE_MAX_UNKNOWN:
        return True
    return (hit.bm25_rank or 99) <= 1 and (hit.dense_rank or 99) <= 3 and hit.coverage_known >= RULE_MIN_COVERAGE / 2


# signals a single-retriever mode (for evaluation) cannot give
_ABSENT_IN_MODE = {
    "bm25": ("dense_rr", "dense_sim", "dense_gap", "consensus", "fused", "score", "gap", "rule_vote"),
    "dense": ("bm25_rr", "consensus", "fused", "score", "gap", "rule_vote"),
}


@dataclass
class Candidate:
    """A retrieved clause as a possible answer: its quote, signals, veto and confidence."""

    hit: Hit
    rank: int
    spans: list[tuple[int, int]]
    quote: str
    features: dict[str, float]
    veto: str = ""
    confidence: float = 0.0
    standalone: float = 0.0  # the confidence were it ranked first: whether it answers its own share (another document, another year)


def quote_spans(hit: Hit, q: QueryAnalysis, result: SearchResult, ct: ClauseText, cfg: AssistantConfig, budget: int) -> list[tuple[int, int]]:
    """The spans an answer from ``hit`` would quote, within ``budget`` characters."""
    if q.wants_article_text and hit.article_match:
        return article_spans(ct, budget)
    if hit.clause.kind == "table_row":
        return [(0, len(hit.clause.text))]
    total = sum(result.weights.values())
    return extend_spans(ct, hit, result.weights, total, max(budget, hit.span.end - hit.span.start), q, cfg.article_max_chars)


def score_candidates(
    result: SearchResult,
    cfg: AssistantConfig,
    texts: list[ClauseText],
    model: ConfidenceModel | None,
    depth: int = CANDIDATE_DEPTH,
) -> list[Candidate]:
    """The best ``depth`` hits as candidate answers, in retrieval order, each vetoed or scored."""
    q = result.query
    budget = cfg.article_max_chars if q.wants_article_text else cfg.answer_max_chars
    main_terms = Retriever._main_terms(q)
    hits = result.hits[:depth]
    out: list[Candidate] = []
    for rank, h in enumerate(hits):
        spans = quote_spans(h, q, result, texts[h.row], cfg, budget)
        quote = quote_of(h.clause, spans)
        next_score = hits[rank + 1].score if rank + 1 < len(hits) else 0.0
        feats = answer_features(h, q, result.weights, main_terms, quote, rank, next_score, result.unknown)
        for name in _ABSENT_IN_MODE.get(result.mode, ()):
            feats.pop(name, None)
        out.append(Candidate(h, rank, spans, quote, feats, hard_veto(h, q)))
    add_relative_features(out)
    if model is not None:
        for cand in out:
            if cand.veto:
                continue
            feats = cand.features
            cand.confidence = model.predict(feats)
            alone = {"rank": 0.0, "gap": max(0.0, feats.get("gap", 0.0))}
            if "rank_ok" in feats and feats["rank_ok"] < RANK_FAILED:
                alone["rank_ok"] = 0.0
            cand.standalone = model.predict(feats | alone) if cand.rank else cand.confidence
    return out


__all__ = [
    "CANDIDATE_DEPTH",
    "Candidate",
    "score_candidates",
    "quote_spans","ConfidenceModel", "FEATURES", "answer_features", "hard_veto", "load_confidence_model"]
