"""The law library's build figures: ``python -m indexer.bench_law`` (part of ``make bench``).

A library build takes hours on two cores, so the benchmark does not run one: it reads what
``make law-index`` (``python -m indexer law --scope national|whole``) recorded in each index's
manifest — clause rows, distinct passage texts and how many were embedded, the build time against
the time inside the model (the pure-embedding time; target ≤ 1.2×), peak RSS — and measures the
index size on disk. A scope not built yet is listed with the command that builds it.
"""
from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path

from .bench import du_mb
from .lawlibrary import DEFAULT_ROOT, SCOPES
from .progress import format_duration

BUILD_OVER_MODEL_TARGET = 1.2  # a build may cost at most this much more than embedding alone


@dataclass
class LawBuild:
    """One scope's recorded build (``None``: the manifest predates that figure)."""

    scope: str
    documents: int
    clauses: int
    texts: int | None
    texts_embedded: int | None
    build_seconds: float
    model_seconds: float | None
    peak_rss_mb: float | None
    index_mb: float
    created_at: str

    @property
    def over_model(self) -> float | None:
        """Build time / pure-embedding time (``None`` when nothing was embedded or not recorded)."""
        if not self.model_seconds:
            return None
        return self.build_seconds / self.model_seconds


def read_build(index_dir: Path, scope: str) -> LawBuild | None:
    """The figures of the index in ``index_dir`` (``None`` when there is no index)."""
    path = index_dir / "manifest.json"
    if not path.is_file():
        return None
    m = json.loads(path.read_text(encoding="utf-8"))
    texts = m.get("texts") or {}
    return LawBuild(
        scope=scope,
        documents=int(m["counts"]["documents"]),
        clauses=int(m["counts"]["clauses"]),
        texts=texts.get("distinct"),
        texts_embedded=texts.get("embedded"),
        build_seconds=float(m.get("build_seconds", 0.0)),
        model_seconds=(m.get("phase_seconds") or {}).get("model"),
        peak_rss_mb=m.get("peak_rss_mb"),
        index_mb=du_mb(index_dir),
        created_at=str(m.get("created_at", "")),
    )


def _or_dash(value, fmt: str) -> str:
    return "–" if value is None else format(value, fmt)


def report(root: Path) -> str:
    """The table of every scope under ``root`` (``var/law``), with the target check."""
    rows = [("scope", "documents", "clauses", "distinct texts", "embedded", "build", "model", "build/model",
             "peak RSS MB", "index MB")]
    missing, checks = [], []
    for scope in SCOPES:
        b = read_build(root / scope / "index", scope)
        if b is None:
            missing.append(scope)
            continue
        ratio = b.over_model
        rows.append((scope, f"{b.documents:,}", f"{b.clauses:,}", _or_dash(b.texts, ","), _or_dash(b.texts_embedded, ","),
                     format_duration(b.build_seconds), "–" if b.model_seconds is None else format_duration(b.model_seconds),
                     _or_dash(ratio, ".2f"), _or_dash(b.peak_rss_mb, ".0f"), f"{b.index_mb:.0f}"))
        if ratio is not None:
            ok = ratio <= BUILD_OVER_MODEL_TARGET
            checks.append(f"{'PASS' if ok else 'MISS'}  {scope}: build ≤ {BUILD_OVER_MODEL_TARGET}× the pure-embedding "
                          f"time: {ratio:.2f}× (built {b.created_at})")
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths))) for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    if len(rows) == 1:
        lines = []
    if any("–" in r for r in rows[1:]):
        lines.append("–: not in this manifest (distinct texts and peak RSS are recorded by builds of this version on)")
    lines += checks
    lines += [f"{scope}: not built (make law-index LAW_SCOPE={scope}, hours on two cores)" for scope in missing]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m indexer.bench_law", description=__doc__.splitlines()[0])
    p.add_argument("--root", type=Path, default=DEFAULT_ROOT, help="where make law-index builds (default var/law)")
    args = p.parse_args(argv)
    print(f"law library builds, as recorded by make law-index under {args.root}:", flush=True)
    print(report(args.root), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
