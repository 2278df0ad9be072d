"""The eval set: questions with gold clause locations, read from JSON Lines and validated strictly.

One line per question (see ``evals/README.md``)::

    {"id": "q001", "type": "numeric", "question": "...",
     "gold": [{"doc_id": "003", "clause_id": "003/一/p2", "evidence": "每千人口拥有3岁以下婴幼儿托位数4.5个"}],
     "answer": "4.5", "notes": "optional"}

Every line is checked against the corpus itself (not the index): each ``evidence`` must occur in the
named document's source file once whitespace is removed and the text NFKC-normalized, and each
answer key must occur inside an evidence. A bad line raises :class:`EvalSetError` naming the file,
the line and the problem; nothing is skipped silently.
"""
from __future__ import annotations

import json
import re
import tomllib
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SET = Path(__file__).resolve().parent / "dev.jsonl"
DEFAULT_CORPUS = REPO_ROOT / "corpus"

TYPES = (
    "numeric",
    "responsibility",
    "paraphrase",
    "multi",
    "table",
    "measure",
    "noisy",
    "article",
    "unanswerable",
)
REQUIRED = ("id", "type", "question", "gold", "answer")
OPTIONAL = ("notes",)
GOLD_FIELDS = ("doc_id", "clause_id", "evidence")
EVIDENCE_MIN, EVIDENCE_MAX = 6, 60
MANIFEST = "manifest.toml"
TEXT_SUFFIXES = (".txt", ".md")

_WS = re.compile(r"\s+")


def normalize(text: str) -> str:
    """NFKC, then every whitespace character removed: the form all comparisons use."""
    return _WS.sub("", unicodedata.normalize("NFKC", text or ""))


class EvalSetError(ValueError):
    """A malformed eval set; the message names the file and line."""


@dataclass(frozen=True)
class GoldLocation:
    doc_id: str
    clause_id: str
    evidence: str

    @property
    def evidence_norm(self) -> str:
        return normalize(self.evidence)


@dataclass(frozen=True)
class EvalQuestion:
    id: str
    type: str
    question: str
    gold: tuple[GoldLocation, ...]
    answer: str | tuple[str, ...] | None
    notes: str = ""
    line: int = 0

    @property
    def answerable(self) -> bool:
        return bool(self.gold)

    @property
    def answer_keys(self) -> tuple[str, ...]:
        """The key(s) a correct answer must contain (empty for unanswerable questions)."""
        if self.answer is None:
            return ()
        if isinstance(self.answer, str):
            return (self.answer,)
        return tuple(self.answer)


class SourceTexts:
    """The corpus's source files, by document id (from the manifests; else the file stem).

    Like the indexer, it reads the manifests of subfolders too (the library's ``uploads/``, names
    relative to their folder) and files of every format the indexer reads: a PDF or Word upload is
    read through ``indexer.readers``, so line numbers match its clauses'."""

    def __init__(self, corpus_dir: Path | str = DEFAULT_CORPUS):
        self.corpus_dir = Path(corpus_dir)
        if not self.corpus_dir.is_dir():
            raise FileNotFoundError(f"corpus folder not found: {self.corpus_dir}")
        self.files: dict[str, Path] = {}
        for manifest in _manifests(self.corpus_dir):
            meta: dict[str, Any] = tomllib.loads(manifest.read_text(encoding="utf-8"))
            for name, entry in meta.items():
                if isinstance(entry, dict) and entry.get("id") and (manifest.parent / name).is_file():
                    self.files[str(entry["id"])] = manifest.parent / name
        for p in sorted(self.corpus_dir.iterdir()):
            if p.is_file() and p.suffix.lower() in TEXT_SUFFIXES and p not in self.files.values():
                self.files.setdefault(p.stem, p)
        listed = set(self.files.values())
        for p in sorted(self.corpus_dir.rglob("*")):  # uploads and library folders without a manifest entry: id = stem
            rel = p.relative_to(self.corpus_dir).parts
            if (len(rel) > 1 and p.is_file() and not any(part.startswith(".") for part in rel)
                    and p.name != MANIFEST and p not in listed):
                self.files.setdefault(p.stem, p)
        self._raw: dict[Path, str] = {}
        self._norm: dict[str, str] = {}

    def raw(self, path: Path) -> str:
        if path not in self._raw:
            data = path.read_bytes()
            try:
                from indexer.readers import read_document
                from indexer.textclean import decode_bytes

                if path.suffix.lower() in TEXT_SUFFIXES:
                    text, _enc = decode_bytes(data)
                else:
                    text = read_document(path.name, data).text
            except ImportError:  # evals must still load when the product cannot be imported
                text = data.decode("utf-8-sig", errors="replace")
            except Exception:  # an unreadable upload: no evidence can be found in it
                text = ""
            self._raw[path] = text
        return self._raw[path]

    def text(self, doc_id: str) -> str | None:
        """The whole document, normalized (``None`` for an unknown document id).

        The text as the indexer cleaned it follows (after a NUL, which no evidence holds), so
        evidence taken from a served clause (‰ repaired from 曤, markup removed) is found too."""
        if doc_id not in self._norm:
            path = self.files.get(doc_id)
            if path is None:
                return None
            raw = self.raw(path)
            norm = normalize(raw)
            try:
                from indexer.textclean import clean_line

                cleaned = normalize("\n".join(clean_line(line) for line in raw.splitlines()))
            except ImportError:
                cleaned = norm
            self._norm[doc_id] = norm if cleaned == norm else norm + "\0" + cleaned
        return self._norm[doc_id]

    def line_span(self, source: str, lines: tuple[int, int] | list[int]) -> str | None:
        """Lines ``[a, b]`` (1-based, inclusive) of the source file ``source``, normalized."""
        path = self.corpus_dir / source
        if not path.is_file() or not path.resolve().is_relative_to(self.corpus_dir.resolve()):
            return None
        try:
            a, b = int(lines[0]), int(lines[1])
        except (TypeError, ValueError, IndexError):
            return None
        if a < 1 or b < a:
            return None
        return normalize("\n".join(self.raw(path).splitlines()[a - 1 : b]))


def _manifests(corpus_dir: Path) -> list[Path]:
    """``manifest.toml`` of the corpus folder, then those of its direct subfolders (``uploads/``)."""
    top = corpus_dir / MANIFEST
    return ([top] if top.is_file() else []) + sorted(p for p in corpus_dir.glob(f"*/{MANIFEST}") if p.is_file())


@lru_cache(maxsize=4)
def _sources(corpus_dir: str) -> SourceTexts:
    return SourceTexts(Path(corpus_dir))


def load_eval_set(path: Path | str = DEFAULT_SET, corpus_dir: Path | str = DEFAULT_CORPUS) -> list[EvalQuestion]:
    """Read and validate every line of ``path``; raise :class:`EvalSetError` on the first bad one."""
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise EvalSetError(f"{path}: eval set not found") from None
    except UnicodeDecodeError as exc:
        raise EvalSetError(f"{path}: not UTF-8: {exc}") from None
    sources = _sources(str(Path(corpus_dir).resolve()))
    out: list[EvalQuestion] = []
    seen: dict[str, int] = {}
    for no, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        q = _parse_line(line, sources, lambda msg, no=no: EvalSetError(f"{path}:{no}: {msg}"), no)
        if q.id in seen:
            raise EvalSetError(f"{path}:{no}: duplicate id {q.id!r} (first on line {seen[q.id]})")
        seen[q.id] = no
        out.append(q)
    if not out:
        raise EvalSetError(f"{path}: no questions")
    return out


def _parse_line(line: str, sources: SourceTexts, err, no: int) -> EvalQuestion:
    try:
        rec = json.loads(line)
    except json.JSONDecodeError as exc:
        raise err(f"invalid JSON: {exc.msg} (column {exc.colno})") from None
    if not isinstance(rec, dict):
        raise err(f"expected a JSON object, got {type(rec).__name__}")
    missing = [k for k in REQUIRED if k not in rec]
    if missing:
        raise err(f"missing field(s): {', '.join(missing)}")
    unknown = [k for k in rec if k not in REQUIRED + OPTIONAL]
    if unknown:
        raise err(f"unknown field(s): {', '.join(unknown)}")
    qid, typ, question, gold, answer = (rec[k] for k in REQUIRED)
    notes = rec.get("notes", "")
    if not isinstance(qid, str) or not qid.strip():
        raise err("'id' must be a non-empty string")
    if not isinstance(typ, str) or typ not in TYPES:
        raise err(f"unknown type {typ!r}: expected one of {', '.join(TYPES)}")
    if not isinstance(question, str) or not question.strip():
        raise err("'question' must be a non-empty string")
    if not isinstance(notes, str):
        raise err("'notes' must be a string")
    if not isinstance(gold, list):
        raise err("'gold' must be a list")

    locations: list[GoldLocation] = []
    for i, g in enumerate(gold):
        where = f"gold[{i}]"
        if not isinstance(g, dict):
            raise err(f"{where} must be an object")
        g_missing = [k for k in GOLD_FIELDS if k not in g]
        if g_missing:
            raise err(f"{where}: missing field(s): {', '.join(g_missing)}")
        g_unknown = [k for k in g if k not in GOLD_FIELDS]
        if g_unknown:
            raise err(f"{where}: unknown field(s): {', '.join(g_unknown)}")
        if not all(isinstance(g[k], str) and g[k].strip() for k in GOLD_FIELDS):
            raise err(f"{where}: doc_id, clause_id and evidence must be non-empty strings")
        loc = GoldLocation(g["doc_id"].strip(), g["clause_id"].strip(), g["evidence"])
        if not loc.clause_id.startswith(loc.doc_id + "/"):
            raise err(f"{where}: clause_id {loc.clause_id!r} does not belong to document {loc.doc_id!r}")
        ev = loc.evidence_norm
        if not EVIDENCE_MIN <= len(ev) <= EVIDENCE_MAX:
            raise err(f"{where}: evidence must be {EVIDENCE_MIN}–{EVIDENCE_MAX} characters (has {len(ev)})")
        doc_text = sources.text(loc.doc_id)
        if doc_text is None:
            raise err(f"{where}: unknown document {loc.doc_id!r} (not in {sources.corpus_dir})")
        if ev not in doc_text:
            raise err(f"{where}: evidence not found in the source of document {loc.doc_id}: {loc.evidence!r}")
        locations.append(loc)

    if typ == "unanswerable":
        if locations:
            raise err("an unanswerable question must have an empty gold list")
        if answer is not None:
            raise err("an unanswerable question must have answer null")
    else:
        if not locations:
            raise err(f"a {typ} question needs at least one gold location (empty gold means type 'unanswerable')")
        if typ == "multi" and len(locations) < 2:
            raise err("a multi question needs at least two gold locations")
        if isinstance(answer, str):
            keys = [answer]
        elif isinstance(answer, list) and answer and all(isinstance(k, str) for k in answer):
            keys = list(answer)
            answer = tuple(answer)
        else:
            raise err("'answer' must be a string or a non-empty list of strings")
        evidences = [loc.evidence_norm for loc in locations]
        for key in keys:
            k = normalize(key)
            if not k:
                raise err("an answer key is empty")
            if not any(k in ev for ev in evidences):
                raise err(f"answer key {key!r} does not occur in any gold evidence")
    return EvalQuestion(qid.strip(), typ, question, tuple(locations), answer, notes, no)


__all__ = [
    "EvalQuestion",
    "EvalSetError",
    "GoldLocation",
    "SourceTexts",
    "TYPES",
    "DEFAULT_SET",
    "DEFAULT_CORPUS",
    "load_eval_set",
    "normalize",
]
