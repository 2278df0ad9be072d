"""The project's own eval sets, each with the corpus its gold points into and the index it runs on.

| suite | questions | corpus | index |
| --- | --- | --- | --- |
| ``seeds-dev`` | ``evals/dev.jsonl`` | ``corpus/`` | ``PQA_INDEX_DIR`` (``var/index``) |
| ``general-tune`` | ``evals/general-tune.jsonl`` | seeds + drawn lawrefbook documents | ``var/evals/general/index`` |
| ``general-test`` | ``evals/general-test.jsonl`` | the same | the same |
| ``feedback`` | ``<PQA_DATA_DIR>/feedback-evals.jsonl`` | ``PQA_CORPUS_DIR`` (uploads included) | ``PQA_INDEX_DIR`` |
| ``law-tune`` | ``evals/law-tune.jsonl`` | the national law library (``var/law/national/corpus``) | ``var/law/national/index`` |
| ``law-test`` | ``evals/law-test.jsonl`` | the same | the same |

Nothing is fitted or tuned on ``general-test``: its documents are the test half of the draw
(``evals/corpora/general.toml``). ``feedback`` holds the questions reviewers accepted from users'
👎 on the Evals page (``POST /feedback/{id}/accept`` appends them); it runs by default only when
the file has questions (:func:`default_suites`), and nothing is fitted on it. ``law-tune`` and
``law-test`` are people's situation questions over the national law library (laws drawn by
``evals/corpora/draw_law.py``, split by law); their index takes about an hour to build
(``make law-index``), so they run by default only once it is built, and ``make law-eval`` builds it.
Other sets run with ``--set``.
"""
from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

from indexer.lawlibrary import DEFAULT_ROOT as LAW_ROOT, lawrefbook_dir, materialize as materialize_law

from .corpora.general import DEFAULT_DEST, materialize
from .dataset import DEFAULT_CORPUS, DEFAULT_SET, REPO_ROOT

log = logging.getLogger(__name__)
EVALS_DIR = Path(__file__).resolve().parent
GENERAL_INDEX = REPO_ROOT / "var" / "evals" / "general" / "index"
FEEDBACK_FILE = "feedback-evals.jsonl"
LAW_SCOPE = "national"


def feedback_path() -> Path:
    """``<data_dir>/feedback-evals.jsonl``, where the service appends accepted feedback questions."""
    from indexer.settings import get_settings

    return Path(get_settings().data_dir) / FEEDBACK_FILE


def served_corpus() -> Path:
    """The corpus folder the service indexes (``PQA_CORPUS_DIR``; the seeds by default)."""
    from indexer.settings import get_settings

    return Path(get_settings().corpus_dir) if os.environ.get("PQA_CORPUS_DIR") else DEFAULT_CORPUS


def has_questions(path: Path) -> bool:
    """Whether an eval file exists and holds at least one non-blank line."""
    try:
        with path.open(encoding="utf-8", errors="replace") as fh:
            return any(line.strip() for line in fh)
    except OSError:
        return False


def law_dirs() -> tuple[Path, Path]:
    """The national law library's corpus and index folders (``var/law/national/…``)."""
    root = REPO_ROOT / LAW_ROOT / LAW_SCOPE
    return root / "corpus", root / "index"


@dataclass(frozen=True)
class Suite:
    name: str
    path: Path | None  # None: the feedback file under the data directory, looked up when used
    general: bool  # runs on the general corpus (seeds + drawn documents)
    fit: bool  # may be used to fit or tune anything
    law: bool = False  # runs on the national law library

    @property
    def set_path(self) -> Path:
        return self.path if self.path is not None else feedback_path()

    def corpus_dir(self) -> Path:
        """Where the gold evidence lives (the general corpus and the law library are laid out on first use)."""
        if self.law:
            corpus, _ = law_dirs()
            materialize_law(lawrefbook_dir(), corpus, LAW_SCOPE)
            return corpus
        if self.general:
            return materialize(DEFAULT_DEST)
        return served_corpus() if self.path is None else DEFAULT_CORPUS


SUITES: dict[str, Suite] = {
    "seeds-dev": Suite("seeds-dev", DEFAULT_SET, general=False, fit=True),
    "general-tune": Suite("general-tune", EVALS_DIR / "general-tune.jsonl", general=True, fit=True),
    "general-test": Suite("general-test", EVALS_DIR / "general-test.jsonl", general=True, fit=False),
    "feedback": Suite("feedback", None, general=False, fit=False),
    "law-tune": Suite("law-tune", EVALS_DIR / "law-tune.jsonl", general=False, fit=True, law=True),
    "law-test": Suite("law-test", EVALS_DIR / "law-test.jsonl", general=False, fit=False, law=True),
}
LAW_SUITES = ("law-tune", "law-test")


def default_suites() -> list[str]:
    """The suites ``python -m evals run`` scores by default: all; ``feedback`` only when it has
    questions; the law suites only when the law index is built (it takes about an hour)."""
    law_built = (law_dirs()[1] / "manifest.json").is_file()
    return [n for n, s in SUITES.items()
            if (s.path is not None or has_questions(s.set_path)) and (law_built or not s.law)]


def suite(name: str) -> Suite:
    try:
        return SUITES[name]
    except KeyError:
        raise ValueError(f"unknown eval suite {name!r}: expected one of {', '.join(SUITES)}") from None


def ensure_index(s: Suite, index_dir: Path | None = None, cache_dir: Path | None = None) -> Path:
    """The suite's index, built (or brought up to date) when needed; returns its folder."""
    from indexer.index import build_index
    from indexer.settings import get_settings

    settings = get_settings()
    if s.law:
        corpus = s.corpus_dir()
        target = Path(index_dir or law_dirs()[1])
    elif not s.general:
        target = Path(index_dir or settings.index_dir)
        corpus = served_corpus()
    else:
        target = Path(index_dir or GENERAL_INDEX)
        corpus = s.corpus_dir()
    if cache_dir is not None:
        settings = settings.model_copy(update={"cache_dir": cache_dir})
    report = build_index(settings, corpus_dir=corpus, out_dir=target, show_progress=True)
    log.info("%s", report.summary())
    return target
