"""Dialogue eval sets: does the assistant resolve follow-up questions, and answer them right?

One JSON object per line, a dialogue of 2–4 turns asked in order, each turn sent with the earlier
turns as ``history`` (``{"question", "resolved_question", "slots"}`` as the responses returned)::

    {"id": "dt01", "notes": "optional", "turns": [
      {"question": "2025年全省每千人口托位数目标是多少？", "expect_followup": false,
       "gold": [{"doc_id": "003", "clause_id": "003/一/p2", "evidence": "…托位数4.5个"}], "answer": "4.5"},
      {"question": "那平坝区呢？", "expect_followup": true, "expect": ["平坝", "2025", "托位"],
       "forbid": [], "gold": […], "answer": "≥3"}]}

``expect`` words must all appear in the resolved question, ``forbid`` words must not; ``gold`` and
``answer`` follow ``evals/dev.jsonl`` (``[]`` and ``null`` when the corpus does not answer) and are
validated the same way against the corpus. Metrics:

* ``followup_accuracy``: follow-up turns (``expect_followup``) returned ``followup: true`` with
  every ``expect`` word and no ``forbid`` word in ``resolved_question``;
* ``standalone_kept``: stand-alone turns after the first returned ``followup: false`` with
  ``resolved_question`` equal to the question as typed and no ``forbid`` word;
* retrieval and answer metrics (``evals/metrics.py``) of every turn, per group ``followup`` /
  ``standalone``; ``followup_hit@5`` and ``followup_answer_accuracy`` repeat the follow-up group's.

``dialogues-test.jsonl`` was written before any rule was tuned and is for reporting only.
"""
from __future__ import annotations

import dataclasses
import json
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .dataset import DEFAULT_CORPUS, EvalQuestion, EvalSetError, SourceTexts, _parse_line, _sources, normalize
from .metrics import QuestionResult, evaluate_results
from .runner import RunOutcome

EVALS_DIR = Path(__file__).resolve().parent
DIALOGUE_SUITES: dict[str, Path] = {
    "dialogues-tune": EVALS_DIR / "dialogues-tune.jsonl",
    "dialogues-test": EVALS_DIR / "dialogues-test.jsonl",
}
TURN_FIELDS = ("question", "expect_followup", "expect", "forbid", "gold", "answer", "notes")
MIN_TURNS, MAX_TURNS = 2, 4


@dataclass(frozen=True)
class Turn:
    """One turn: the question as an eval question (id ``<dialogue>.<n>``, type ``followup`` or
    ``standalone``) and the expected resolution."""

    question: EvalQuestion
    expect_followup: bool
    expect: tuple[str, ...] = ()
    forbid: tuple[str, ...] = ()


@dataclass(frozen=True)
class Dialogue:
    id: str
    turns: tuple[Turn, ...]
    notes: str = ""


@dataclass
class TurnResult:
    """A turn as asked: whether it was resolved as expected (``None`` for a first turn)."""

    dialogue: str
    index: int
    turn: Turn
    response: dict[str, Any]
    resolution_ok: bool | None
    error: str | None = None


@dataclass
class DialogueOutcome(RunOutcome):
    turns: list[TurnResult] = field(default_factory=list)


def load_dialogues(path: Path | str, corpus_dir: Path | str = DEFAULT_CORPUS) -> list[Dialogue]:
    """Read and validate a dialogue set; :class:`EvalSetError` (``file:line: problem``) on the first bad line."""
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise EvalSetError(f"{path}: dialogue set not found") from None
    sources = _sources(str(Path(corpus_dir).resolve()))
    out: list[Dialogue] = []
    seen: set[str] = set()
    for no, line in enumerate(lines, start=1):
        if not line.strip():
            continue

        def err(msg: str, no: int = no) -> EvalSetError:
            return EvalSetError(f"{path}:{no}: {msg}")

        try:
            rec = json.loads(line)
        except json.JSONDecodeError as exc:
            raise err(f"invalid JSON: {exc.msg} (column {exc.colno})") from None
        if not isinstance(rec, dict) or set(rec) - {"id", "turns", "notes"}:
            raise err("expected an object with id, turns and optional notes")
        did, turns = rec.get("id"), rec.get("turns")
        if not isinstance(did, str) or not did.strip() or did in seen:
            raise err(f"'id' must be a unique non-empty string (got {did!r})")
        seen.add(did)
        if not isinstance(turns, list) or not MIN_TURNS <= len(turns) <= MAX_TURNS:
            raise err(f"'turns' must be a list of {MIN_TURNS}–{MAX_TURNS} turns")
        parsed = tuple(_turn(t, i, did, sources, err) for i, t in enumerate(turns, start=1))
        if parsed[0].expect_followup:
            raise err("the first turn has no history: it cannot be a follow-up")
        out.append(Dialogue(did, parsed, str(rec.get("notes") or "")))
    if not out:
        raise EvalSetError(f"{path}: no dialogues")
    return out


def _turn(t: Any, i: int, did: str, sources: SourceTexts, err) -> Turn:
    if not isinstance(t, dict):
        raise err(f"turn {i} must be an object")
    unknown = set(t) - set(TURN_FIELDS)
    if unknown:
        raise err(f"turn {i}: unknown field(s): {', '.join(sorted(unknown))}")
    if not isinstance(t.get("expect_followup"), bool):
        raise err(f"turn {i}: 'expect_followup' must be true or false")
    words = {k: t.get(k) or [] for k in ("expect", "forbid")}
    if not all(isinstance(v, list) and all(isinstance(w, str) and w for w in v) for v in words.values()):
        raise err(f"turn {i}: 'expect' and 'forbid' must be lists of non-empty strings")
    # the gold, answer and evidence rules of dev.jsonl, checked by the same code
    rec = {"id": f"{did}.{i}", "type": "measure" if t.get("gold") else "unanswerable",
           "question": t.get("question"), "gold": t.get("gold", []), "answer": t.get("answer")}
    if t.get("notes") is not None:
        rec["notes"] = t["notes"]
    q = _parse_line(json.dumps(rec, ensure_ascii=False), sources, lambda m: err(f"turn {i}: {m}"), 0)
    q = dataclasses.replace(q, type="followup" if t["expect_followup"] else "standalone")
    return Turn(q, t["expect_followup"], tuple(words["expect"]), tuple(words["forbid"]))


def ask_turn(client, question: str, history: list[dict[str, Any]], *, top_k: int = 10, mode: str | None = None) -> dict[str, Any]:
    """``POST /ask`` with ``history`` through either eval client (in-process or HTTP)."""
    return client.ask(question, top_k=top_k, mode=mode, history=history)


def resolution_correct(turn: Turn, response: dict[str, Any]) -> bool:
    """Resolved as expected: follow-up flag, expected words present, forbidden words absent."""
    resolved = normalize(str(response.get("resolved_question") or ""))
    if any(normalize(w) in resolved for w in turn.forbid):
        return False
    if not turn.expect_followup:
        return response.get("followup") is False and resolved == normalize(turn.question.question)
    return response.get("followup") is True and all(normalize(w) in resolved for w in turn.expect)


def run_dialogues(client, dialogues: list[Dialogue], sources: SourceTexts | None = None, *, top_k: int = 10,
                  mode: str | None = None, progress: bool = True, name: str = "dialogues") -> DialogueOutcome:
    """Ask every dialogue turn by turn, then score resolution, retrieval and answers."""
    t0 = time.perf_counter()
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=sum(len(d.turns) for d in dialogues), desc=f"eval {name}", unit="turn", file=sys.stderr, leave=False)
    results: list[QuestionResult] = []
    turns: list[TurnResult] = []
    try:
        for d in dialogues:
            history: list[dict[str, Any]] = []
            for i, turn in enumerate(d.turns):
                q = turn.question.question
                t1 = time.perf_counter()
                try:
                    resp, error = ask_turn(client, q, history, top_k=top_k, mode=mode), None
                except Exception as exc:  # one failed turn must not hide the others
                    resp, error = {}, f"{type(exc).__name__}: {exc}"
                results.append(QuestionResult(turn.question, resp, (time.perf_counter() - t1) * 1000, error))
                ok = None if i == 0 else (not error and resolution_correct(turn, resp))
                turns.append(TurnResult(d.id, i, turn, resp, ok, error))
                entry: dict[str, Any] = {"question": q}
                if not error:
                    entry.update(resolved_question=resp.get("resolved_question") or q, slots=resp.get("slots") or {})
                history.append(entry)
                if bar is not None:
                    bar.update(1)
    finally:
        if bar is not None:
            bar.close()
    metrics = evaluate_results(results, sources)
    metrics["overall"].update(resolution_metrics(turns, metrics))
    metrics["mode"] = mode or "hybrid"
    metrics["top_k"] = top_k
    return DialogueOutcome(name, results, metrics, time.perf_counter() - t0, turns)


def resolution_metrics(turns: list[TurnResult], metrics: dict[str, Any]) -> dict[str, Any]:
    fu = [t for t in turns if t.index > 0 and t.turn.expect_followup]
    sa = [t for t in turns if t.index > 0 and not t.turn.expect_followup]
    group = metrics.get("by_type", {}).get("followup", {})
    return {
        "n_dialogues": len({t.dialogue for t in turns}),
        "n_followup": len(fu),
        "n_standalone_mid": len(sa),
        "followup_accuracy": sum(1 for t in fu if t.resolution_ok) / len(fu) if fu else None,
        "standalone_kept": sum(1 for t in sa if t.resolution_ok) / len(sa) if sa else None,
        "followup_hit@5": group.get("hit@5"),
        "followup_answer_accuracy": group.get("answer_accuracy"),
    }


def resolution_misses(turns: list[TurnResult]) -> list[TurnResult]:
    return [t for t in turns if t.resolution_ok is False]


def misses_text(turns: list[TurnResult], limit: int = 40) -> str:
    """Turns resolved wrong, one line each: question → resolved question (expected)."""
    bad = resolution_misses(turns)
    if not bad:
        return "no resolution misses"
    lines = [f"{len(bad)} resolution misses:"]
    for t in bad[:limit]:
        want = ("follow-up" if t.turn.expect_followup else "stand-alone") + (f" +{'/'.join(t.turn.expect)}" if t.turn.expect else "") + (f" -{'/'.join(t.turn.forbid)}" if t.turn.forbid else "")
        got = f"error: {t.error}" if t.error else f"followup={t.response.get('followup')} 「{t.response.get('resolved_question')}」"
        lines.append(f"  {t.turn.question.id} {t.turn.question.question} → {got} (want {want})")
    return "\n".join(lines)


def misses_markdown(turns: list[TurnResult]) -> str:
    bad = resolution_misses(turns)
    if not bad:
        return "No resolution misses.\n"
    rows = ["| turn | question | expected | followup | resolved question |", "|---|---|---|---|---|"]
    for t in bad:
        want = ("follow-up" if t.turn.expect_followup else "stand-alone") + "; " + " ".join([f"+{w}" for w in t.turn.expect] + [f"−{w}" for w in t.turn.forbid])
        rows.append(f"| {t.turn.question.id} | {t.turn.question.question} | {want} | {t.response.get('followup')} | {t.error or t.response.get('resolved_question')} |")
    return "\n".join(rows) + "\n"
