"""Ask every question of the eval set through a client and score the answers."""
from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from typing import Any

from .client import ClientError, ModeNotSupported
from .dataset import EvalQuestion, SourceTexts
from .metrics import QuestionResult, evaluate_results


@dataclass
class RunOutcome:
    mode: str
    results: list[QuestionResult]
    metrics: dict[str, Any]
    seconds: float


def run_questions(
    client,
    questions: list[EvalQuestion],
    *,
    top_k: int = 10,
    mode: str | None = None,
    progress: bool = True,
) -> list[QuestionResult]:
    """Ask each question once. A failed request becomes an ``error`` result (it counts as wrong);
    a mode the assistant cannot run raises :class:`ModeNotSupported` at the first question."""
    iterator: Any = questions
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(questions, desc=f"eval {mode or 'hybrid'}", unit="q", file=sys.stderr, leave=False)
        iterator = bar
    out: list[QuestionResult] = []
    try:
        for q in iterator:
            t0 = time.perf_counter()
            try:
                resp = client.ask(q.question, top_k=top_k, mode=mode)
                err = None
            except ModeNotSupported:
                raise
            except ClientError as exc:
                resp, err = {}, str(exc)
            except Exception as exc:  # a crash on one question must not hide the others
                resp, err = {}, f"{type(exc).__name__}: {exc}"
            out.append(QuestionResult(q, resp if isinstance(resp, dict) else {}, (time.perf_counter() - t0) * 1000, err))
    finally:
        if bar is not None:
            bar.close()
    return out


def run_eval(
    client,
    questions: list[EvalQuestion],
    sources: SourceTexts | None = None,
    *,
    top_k: int = 10,
    mode: str | None = None,
    progress: bool = True,
) -> RunOutcome:
    """Run and score one mode."""
    t0 = time.perf_counter()
    results = run_questions(client, questions, top_k=top_k, mode=mode, progress=progress)
    metrics = evaluate_results(results, sources)
    metrics["mode"] = mode or "hybrid"
    metrics["top_k"] = top_k
    return RunOutcome(mode or "hybrid", results, metrics, time.perf_counter() - t0)
