"""Tables (stdout and Markdown), the misses, and one PNG chart per question type."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .dataset import TYPES
from .metrics import ANSWER_MAX_CHARS, QuestionResult, failure_stage
from .runner import RunOutcome

COLUMNS = [
    ("n", "n"),
    ("hit@1", "hit@1"),
    ("hit@5", "hit@5"),
    ("hit@10", "hit@10"),
    ("mrr@10", "MRR@10"),
    ("ndcg@10", "nDCG@10"),
    ("recall@5", "recall@5"),
    ("recall@10", "recall@10"),
    ("answer_accuracy", "ans_acc"),
    ("refusal_accuracy", "refusal"),
    ("false_refusal_rate", "false_ref"),
    ("wrong_answer_rate", "wrong"),
    ("latency_p50_ms", "p50_ms"),
    ("latency_p95_ms", "p95_ms"),
]
CHART_METRICS = [
    ("hit@1", "hit@1"),
    ("hit@5", "hit@5"),
    ("mrr@10", "MRR@10"),
    ("ndcg@10", "nDCG@10"),
    ("recall@5", "recall@5"),
    ("answer_accuracy", "answer acc"),
    ("refusal_accuracy", "refusal acc"),
]


def _cell(key: str, value: Any) -> str:
    if value is None:
        return "–"
    if key == "n":
        return str(value)
    if key.startswith("latency"):
        return f"{value:.0f}"
    return f"{value:.3f}"


def _groups(metrics: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    by_type = metrics.get("by_type", {})
    ordered = [t for t in TYPES if t in by_type] + sorted(t for t in by_type if t not in TYPES)
    return [("overall", metrics["overall"])] + [(t, by_type[t]) for t in ordered]


def rows_for(outcomes: list[RunOutcome]) -> tuple[list[str], list[list[str]]]:
    """Header and rows: one row per (group, mode); the mode column only when several modes ran."""
    multi = len(outcomes) > 1
    header = ["group"] + (["mode"] if multi else []) + [label for _k, label in COLUMNS]
    rows: list[list[str]] = []
    groups = [g for g, _ in _groups(outcomes[0].metrics)] if outcomes else []
    for g in groups:
        for o in outcomes:
            m = dict(_groups(o.metrics)).get(g)
            if m is None:
                continue
            rows.append([g] + ([o.mode] if multi else []) + [_cell(k, m.get(k)) for k, _l in COLUMNS])
    return header, rows


def text_table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(header)]
    fmt = lambda cells: "  ".join(c.ljust(w) if i < 2 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths)))  # noqa: E731
    lines = [fmt(header), "  ".join("-" * w for w in widths)]
    prev = None
    for r in rows:
        if prev is not None and r[0] != prev and len(header) > len(COLUMNS) + 1:
            lines.append("")
        lines.append(fmt(r))
        prev = r[0]
    return "\n".join(lines)


def markdown_table(header: list[str], rows: list[list[str]]) -> str:
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(out)


def metrics_json(outcomes: list[RunOutcome]) -> str:
    if len(outcomes) == 1:
        return json.dumps(outcomes[0].metrics, ensure_ascii=False, indent=2)
    return json.dumps({"modes": {o.mode: o.metrics for o in outcomes}}, ensure_ascii=False, indent=2)


# ------------------------------------------------------------------------------------ misses
def _short(s: str, n: int = 90) -> str:
    s = " ".join(str(s).split())
    return s if len(s) <= n else s[: n - 1] + "…"


def _md(s: str) -> str:
    return s.replace("|", "\\|").replace("\n", " ")


def misses(results: list[QuestionResult]) -> list[tuple[str, QuestionResult]]:
    out = []
    for r in results:
        stage = failure_stage(r)
        if stage is not None:
            out.append((stage, r))
    return out


def misses_markdown(results: list[QuestionResult]) -> str:
    rows = misses(results)
    if not rows:
        return "No misses.\n"
    counts: dict[str, int] = {}
    for stage, _r in rows:
        counts[stage] = counts.get(stage, 0) + 1
    lines = ["By stage: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items(), key=lambda kv: -kv[1])), ""]
    lines.append("| id | type | stage | question | expected | got |")
    lines.append("|---|---|---|---|---|---|")
    for stage, r in sorted(rows, key=lambda sr: (sr[0], sr[1].question.id)):
        q = r.question
        if q.answerable:
            ranks = ", ".join(
                f"{g.clause_id} (rank {rk if rk is not None else '>10'})" for g, rk in zip(q.gold, r.gold_ranks)
            )
            expected = f"{'/'.join(q.answer_keys)} — {ranks}"
        else:
            expected = "found=false"
        if r.error:
            got = f"error: {r.error}"
        else:
            top = ", ".join(str(c.get("clause_id")) for c in r.citations[:3])
            ans = r.answer_text
            extra = f" ({len(ans)} chars)" if len(ans) > ANSWER_MAX_CHARS else ""
            got = f"found={r.found}: {_short(ans)}{extra} — top: {top}"
        lines.append(f"| {q.id} | {q.type} | {stage} | {_md(q.question)} | {_md(expected)} | {_md(got)} |")
    return "\n".join(lines) + "\n"


def misses_text(results: list[QuestionResult], limit: int = 40) -> str:
    rows = misses(results)
    if not rows:
        return "no misses"
    out = [f"{len(rows)} misses:"]
    for stage, r in sorted(rows, key=lambda sr: (sr[0], sr[1].question.id))[:limit]:
        top = r.citations[0].get("clause_id") if r.citations else "-"
        out.append(f"  {r.question.id} [{r.question.type}] {stage}: {_short(r.question.question, 40)} → top {top}")
    if len(rows) > limit:
        out.append(f"  … and {len(rows) - limit} more (see --report)")
    return "\n".join(out)


# ------------------------------------------------------------------------------------ charts
def write_charts(outcomes: list[RunOutcome], out_dir: Path) -> list[Path]:
    """One PNG per group (overall and each type): metric bars, one colour per mode. ASCII labels."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    paths = []
    groups = [g for g, _ in _groups(outcomes[0].metrics)]
    for g in groups:
        fig, ax = plt.subplots(figsize=(8, 3.6), dpi=100)
        keys = [(k, lbl) for k, lbl in CHART_METRICS if any(dict(_groups(o.metrics)).get(g, {}).get(k) is not None for o in outcomes)]
        width = 0.8 / max(1, len(outcomes))
        for j, o in enumerate(outcomes):
            m = dict(_groups(o.metrics)).get(g, {})
            vals = [m.get(k) or 0.0 for k, _l in keys]
            xs = [i + (j - (len(outcomes) - 1) / 2) * width for i in range(len(keys))]
            bars = ax.bar(xs, vals, width=width * 0.95, label=o.mode)
            for b, v in zip(bars, vals):
                ax.text(b.get_x() + b.get_width() / 2, v + 0.01, f"{v:.2f}", ha="center", va="bottom", fontsize=7)
        ax.set_xticks(range(len(keys)))
        ax.set_xticklabels([lbl for _k, lbl in keys])
        ax.set_ylim(0, 1.12)
        n = dict(_groups(outcomes[0].metrics)).get(g, {}).get("n", 0)
        ax.set_title(f"{g} (n={n})")
        if len(outcomes) > 1:
            ax.legend(fontsize=8, loc="upper right")
        ax.grid(axis="y", alpha=0.3)
        fig.tight_layout()
        p = out_dir / f"chart_{g}.png"
        fig.savefig(p)
        plt.close(fig)
        paths.append(p)
    return paths


def write_report(outcomes: list[RunOutcome], out_dir: Path, *, set_path: str, client_name: str) -> Path:
    """``report.md`` (tables, misses, charts) and ``metrics.json`` in ``out_dir``."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    charts = write_charts(outcomes, out_dir)
    (out_dir / "metrics.json").write_text(metrics_json(outcomes) + "\n", encoding="utf-8")
    header, rows = rows_for(outcomes)
    n = outcomes[0].metrics["overall"]["n"] if outcomes else 0
    md = [
        "# policy-qa eval report",
        "",
        f"Set `{set_path}` ({n} questions), client {client_name}, modes: {', '.join(o.mode for o in outcomes)}, "
        f"top_k {outcomes[0].metrics.get('top_k') if outcomes else '-'}.",
        "",
        "Relevance: a returned clause is relevant when its id is a gold clause id or its text (or the source "
        "lines it cites) contains the gold evidence; retrieval metrics over answerable questions, refusal "
        "accuracy over unanswerable ones. See `evals/README.md`.",
        "",
        "## Metrics",
        "",
        markdown_table(header, rows),
        "",
        "## Charts",
        "",
    ]
    md += [f"![{p.stem}]({p.name})" for p in charts]
    for o in outcomes:
        rel = reliability(o.results)
        if not rel:
            continue
        chart = write_reliability_chart(rel, out_dir / f"reliability_{o.mode}.png", o.mode)
        md += ["", f"## Confidence ({o.mode})", "",
               "Answers given (found), binned by the confidence the assistant reported, against the share that "
               "were correct (answer key in the answer; an answered unanswerable question is wrong).", "",
               markdown_table(["confidence", "answers", "mean confidence", "correct"],
                              [[r["bin"], str(r["n"]), f"{r['confidence']:.2f}", f"{r['correct']:.2f}"] for r in rel]),
               "", f"![reliability]({chart.name})"]
    for o in outcomes:
        turns = getattr(o, "turns", None)
        if turns is not None:  # a dialogue suite: how the follow-ups were understood
            from .dialogues import misses_markdown as resolution_misses_markdown

            m = o.metrics["overall"]
            md += ["", "## Follow-up resolution", "",
                   markdown_table([k for _k, k in DIALOGUE_COLUMNS], [[_cell(k, m.get(k)) for k, _l in DIALOGUE_COLUMNS]]),
                   "", f"{m.get('n_followup')} follow-up turns, {m.get('n_standalone_mid')} stand-alone turns after the first.",
                   "", resolution_misses_markdown(turns)]
    md += ["", "## Misses", ""]
    for o in outcomes:
        if len(outcomes) > 1:
            md += [f"### {o.mode}", ""]
        md.append(misses_markdown(o.results))
    path = out_dir / "report.md"
    path.write_text("\n".join(md), encoding="utf-8")
    return path


# dialogue suites only (evals/dialogues.py): follow-up resolution and the follow-up turns' answers
DIALOGUE_COLUMNS = [
    ("followup_accuracy", "followup_acc"),
    ("standalone_kept", "standalone_kept"),
    ("followup_hit@5", "followup_hit@5"),
    ("followup_answer_accuracy", "followup_ans_acc"),
]


def side_by_side(outcomes: dict[str, RunOutcome]) -> str:
    """One row per metric, one column per suite (overall figures)."""
    header = ["metric"] + list(outcomes)
    rows = []
    extra = [c for c in DIALOGUE_COLUMNS if any(c[0] in o.metrics["overall"] for o in outcomes.values())]
    for key, label in COLUMNS + extra:
        rows.append([label] + [_cell(key, o.metrics["overall"].get(key)) for o in outcomes.values()])
    return text_table(header, rows)


def reliability(results: list[QuestionResult], bins: int = 10) -> list[dict[str, Any]]:
    """Found answers binned by reported confidence: count, mean confidence, share correct."""
    pts = []
    for r in results:
        conf = r.response.get("confidence") if not r.error else None
        if r.found is not True or not isinstance(conf, (int, float)):
            continue
        pts.append((float(conf), bool(r.answer_ok) if r.question.answerable else False))
    out = []
    for b in range(bins):
        lo, hi = b / bins, (b + 1) / bins
        sel = [(c, ok) for c, ok in pts if lo <= c < hi or (b == bins - 1 and c == 1.0)]
        if sel:
            out.append({"bin": f"{lo:.1f}–{hi:.1f}", "n": len(sel), "confidence": sum(c for c, _ in sel) / len(sel),
                        "correct": sum(ok for _, ok in sel) / len(sel)})
    return out


def write_reliability_chart(rows: list[dict[str, Any]], path: Path, title: str) -> Path:
    """Reliability diagram: mean confidence (x) against share correct (y), point size by count."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(4.2, 4.2), dpi=100)
    ax.plot([0, 1], [0, 1], "--", color="grey", lw=1, label="perfect calibration")
    ax.scatter([r["confidence"] for r in rows], [r["correct"] for r in rows], s=[20 + 4 * r["n"] for r in rows], alpha=0.7)
    ax.plot([r["confidence"] for r in rows], [r["correct"] for r in rows], lw=1)
    for r in rows:
        ax.annotate(str(r["n"]), (r["confidence"], r["correct"]), fontsize=7, xytext=(3, -9), textcoords="offset points")
    ax.set_xlim(0, 1.02)
    ax.set_ylim(0, 1.05)
    ax.set_xlabel("reported confidence")
    ax.set_ylabel("share of answers correct")
    ax.set_title(f"reliability: {title}")
    ax.legend(fontsize=7, loc="upper left")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path
