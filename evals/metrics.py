"""Scoring one run of the eval set: relevance per question, then ranx and answer/refusal metrics.

Relevance is judged per question from the clauses the assistant returned (its ``citations``, best
first). A returned clause satisfies a gold location when

* its ``clause_id`` is the gold ``clause_id``, or
* its text (NFKC, whitespace removed) contains the gold ``evidence``, or
* the source lines it cites (``source`` + ``lines``) contain the gold ``evidence``

so gold labels survive re-chunking (a table row rendered with its header cells still matches). A
clause counts for at most one gold location in the ranking metrics: it takes the first gold
location it satisfies that no better-ranked clause took. Hit@k, MRR@10 and nDCG@10 (binary
relevance, ideal = number of gold locations) come from ``ranx``; gold recall@5 (recall@10) is the share of
a question's gold locations satisfied by any of the top 5 (10) clauses. Retrieval metrics are averaged
over answerable questions only; refusal accuracy over unanswerable ones.
"""
from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from typing import Any, Iterable

from .dataset import EvalQuestion, GoldLocation, SourceTexts, normalize

ANSWER_MAX_CHARS = 200
RANX_METRICS = {"hit@1": "hit_rate@1", "hit@5": "hit_rate@5", "hit@10": "hit_rate@10", "mrr@10": "mrr@10", "ndcg@10": "ndcg@10"}
METRIC_KEYS = (
    "hit@1",
    "hit@5",
    "hit@10",
    "mrr@10",
    "ndcg@10",
    "recall@5",
    "recall@10",
    "answer_accuracy",
    "refusal_accuracy",
    "false_refusal_rate",
    "wrong_answer_rate",
    "latency_p50_ms",
    "latency_p95_ms",
)


@dataclass
class QuestionResult:
    """One question as asked: the response (shaped like ``/ask``) and the wall time it took."""

    question: EvalQuestion
    response: dict[str, Any]
    latency_ms: float
    error: str | None = None
    # filled by judge()
    gold_ranks: list[int | None] = field(default_factory=list)
    run_ids: list[str] = field(default_factory=list)
    answer_ok: bool | None = None
    refusal_ok: bool | None = None
    rank_scores: dict[str, float] = field(default_factory=dict)

    @property
    def citations(self) -> list[dict[str, Any]]:
        return list(self.response.get("citations") or []) if not self.error else []

    @property
    def found(self) -> bool | None:
        if self.error:
            return None
        f = self.response.get("found")
        return f if isinstance(f, bool) else None

    @property
    def answer_text(self) -> str:
        return "" if self.error else str(self.response.get("answer") or "")

    @property
    def first_gold_rank(self) -> int | None:
        ranks = [r for r in self.gold_ranks if r is not None]
        return min(ranks) if ranks else None


def clause_satisfies(citation: dict[str, Any], gold: GoldLocation, sources: SourceTexts | None = None) -> bool:
    """Whether one returned clause satisfies one gold location (by id, by text, by source lines)."""
    if citation.get("clause_id") == gold.clause_id:
        return True
    ev = gold.evidence_norm
    if ev and ev in normalize(str(citation.get("text") or "")):
        return True
    if sources is not None and citation.get("source") and citation.get("lines"):
        span = sources.line_span(str(citation["source"]), citation["lines"])
        if span and ev in span:
            return True
    return False


def judge(result: QuestionResult, sources: SourceTexts | None = None, k: int = 10) -> QuestionResult:
    """Fill ``gold_ranks`` (1-based rank of the first clause satisfying each gold location),
    ``run_ids`` (the ranking as ranx ids: ``g<i>`` for a clause credited to gold location i),
    ``answer_ok`` and ``refusal_ok``."""
    q = result.question
    cits = result.citations[:k]
    result.gold_ranks = [None] * len(q.gold)
    result.run_ids = []
    result.rank_scores = {}
    credited: set[int] = set()
    for rank, c in enumerate(cits, start=1):
        hits = [i for i, g in enumerate(q.gold) if clause_satisfies(c, g, sources)]
        for i in hits:
            if result.gold_ranks[i] is None:
                result.gold_ranks[i] = rank
        fresh = [i for i in hits if i not in credited]
        if fresh:
            credited.add(fresh[0])
            result.run_ids.append(f"g{fresh[0]}")
        else:
            result.run_ids.append(f"r{rank}:{c.get('clause_id', '?')}")
    if q.answerable:
        result.answer_ok = answer_correct(q, result.response) if not result.error else False
        result.refusal_ok = None
    else:
        result.answer_ok = None
        result.refusal_ok = result.found is False
    return result


def answer_correct(q: EvalQuestion, response: dict[str, Any]) -> bool:
    """found, a short answer (≤ 200 characters), and every answer key in it (NFKC, no whitespace)."""
    if response.get("found") is not True:
        return False
    text = str(response.get("answer") or "")
    if len(text.strip()) > ANSWER_MAX_CHARS:
        return False
    hay = normalize(text)
    return all(normalize(k) in hay for k in q.answer_keys)


def percentile(values: list[float], p: float) -> float | None:
    """Linear-interpolated percentile (``p`` in 0..100), ``None`` for no values."""
    if not values:
        return None
    xs = sorted(values)
    if len(xs) == 1:
        return float(xs[0])
    pos = (len(xs) - 1) * p / 100.0
    lo, hi = math.floor(pos), math.ceil(pos)
    return float(xs[lo] + (xs[hi] - xs[lo]) * (pos - lo))


def ranx_per_query(results: list[QuestionResult]) -> dict[str, dict[str, float]]:
    """hit@1, hit@5, MRR@10 and nDCG@10 of each (answerable, judged) question, computed by ranx."""
    from ranx import Qrels, Run, evaluate

    if not results:
        return {}
    qrels_dict: dict[str, dict[str, int]] = {}
    run_dict: dict[str, dict[str, float]] = {}
    for r in results:
        qid = r.question.id
        qrels_dict[qid] = {f"g{i}": 1 for i in range(len(r.question.gold))}
        ids = r.run_ids[:10] or ["__empty__"]
        # best first: strictly decreasing scores keep the assistant's order
        run_dict[qid] = {doc: float(len(ids) - pos) for pos, doc in enumerate(ids)}
    run = Run(run_dict)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        evaluate(Qrels(qrels_dict), run, list(RANX_METRICS.values()), make_comparable=True)
    return {
        qid: {ours: float(run.scores[theirs][qid]) for ours, theirs in RANX_METRICS.items()} for qid in qrels_dict
    }


def ranx_scores(results: list[QuestionResult]) -> dict[str, float]:
    """Mean hit@1, hit@5, MRR@10, nDCG@10 over ``results`` (answerable, judged)."""
    missing = [r for r in results if not r.rank_scores]
    for qid, sc in ranx_per_query(missing).items():
        for r in missing:
            if r.question.id == qid:
                r.rank_scores = sc
    return {k: sum(r.rank_scores[k] for r in results) / len(results) for k in RANX_METRICS}


def summarize(results: list[QuestionResult]) -> dict[str, Any]:
    """Metrics for one group of judged results (``None`` where a metric has no questions)."""
    answerable = [r for r in results if r.question.answerable]
    unanswerable = [r for r in results if not r.question.answerable]
    out: dict[str, Any] = {
        "n": len(results),
        "n_answerable": len(answerable),
        "n_unanswerable": len(unanswerable),
        "errors": sum(1 for r in results if r.error),
    }
    if answerable:
        out.update(ranx_scores(answerable))
        out["recall@5"] = sum(
            sum(1 for rank in r.gold_ranks if rank is not None and rank <= 5) / len(r.gold_ranks) for r in answerable
        ) / len(answerable)
        out["recall@10"] = sum(
            sum(1 for rank in r.gold_ranks if rank is not None and rank <= 10) / len(r.gold_ranks) for r in answerable
        ) / len(answerable)
        out["answer_accuracy"] = sum(1 for r in answerable if r.answer_ok) / len(answerable)
        out["false_refusal_rate"] = sum(1 for r in answerable if r.found is False) / len(answerable)
        # confident wrong answers: found, but the answer key is not in the answer
        out["wrong_answer_rate"] = sum(1 for r in answerable if r.found is True and not r.answer_ok) / len(answerable)
    else:
        out.update({k: None for k in ("hit@1", "hit@5", "hit@10", "mrr@10", "ndcg@10", "recall@5", "recall@10", "answer_accuracy", "false_refusal_rate", "wrong_answer_rate")})
    out["refusal_accuracy"] = (
        sum(1 for r in unanswerable if r.refusal_ok) / len(unanswerable) if unanswerable else None
    )
    lat = [r.latency_ms for r in results if not r.error]
    out["latency_p50_ms"] = percentile(lat, 50)
    out["latency_p95_ms"] = percentile(lat, 95)
    return out


def evaluate_results(results: Iterable[QuestionResult], sources: SourceTexts | None = None) -> dict[str, Any]:
    """Judge every result, then metrics overall and per question type."""
    results = [judge(r, sources) for r in results]
    per_query = ranx_per_query([r for r in results if r.question.answerable])
    for r in results:
        r.rank_scores = per_query.get(r.question.id, {})
    by_type: dict[str, list[QuestionResult]] = {}
    for r in results:
        by_type.setdefault(r.question.type, []).append(r)
    return {
        "overall": summarize(results),
        "by_type": {t: summarize(rs) for t, rs in by_type.items()},
    }


def failure_stage(r: QuestionResult) -> str | None:
    """Where a judged question went wrong (``None`` when it did not): a first guess at the cause.

    ``not retrieved`` (no gold location in the top 10: chunking, tokenization or recall),
    ``ranked low`` (gold below rank 1: ranking), ``refused`` (gold retrieved but found=false:
    threshold), ``answer misses key`` / ``answer too long`` (span selection), ``partial`` (a multi
    question with a gold location missing from the top 5), ``answered unanswerable`` (threshold),
    ``error`` (the client failed).
    """
    if r.error:
        return "error"
    q = r.question
    if not q.answerable:
        return None if r.refusal_ok else "answered unanswerable"
    first = r.first_gold_rank
    if first is None:
        return "not retrieved"
    if r.found is False:
        return "refused"
    if not r.answer_ok:
        if len(r.answer_text.strip()) > ANSWER_MAX_CHARS:
            return "answer too long"
        return "answer misses key"
    if any(rank is None or rank > 5 for rank in r.gold_ranks):
        return "partial"
    if first > 1:
        return "ranked low"
    return None
