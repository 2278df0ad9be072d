"""Load a corpus folder: decode, parse and describe each document, fold near-duplicates into aliases."""
from __future__ import annotations

import hashlib
import logging
import os
import pickle
import re
import tomllib
import unicodedata
import zlib
from datetime import date
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable

from datasketch import MinHash, MinHashLSH

from .parser import ParsedDocument, parse_document
from .places import jurisdiction_from_title
from .records import Document
from .officialheader import read_header
from .readers import UnreadableDocument, read_document
from .versions import HEADER_SCAN, Version, repealed_titles, says_repealed, validities, version_group, version_info

log = logging.getLogger(__name__)

MANIFEST_NAME = "manifest.toml"
# Bumped whenever parsing changes the clauses a file produces (part of the corpus fingerprint).
PARSER_VERSION = "6"  # 6: version and validity metadata
SHINGLE = 5
DUPLICATE_JACCARD = 0.85
DUPLICATE_CONTAINMENT = 0.95

_VERSION_DATE = re.compile(r"[（(](\d{4}-\d{2}-\d{2})[)）]")
_YEAR_RANGE = re.compile(r"(20\d{2}|19\d{2})\s*[—\-–－~至到]\s*(20\d{2}|19\d{2})")
_FIVE_YEAR_PLANS = {"十三五": (2016, 2020), "十四五": (2021, 2025), "十五五": (2026, 2030)}


@dataclass
class Corpus:
    """The documents to index (near-duplicates folded in as aliases) and the files skipped."""

    documents: list[Document]
    skipped: list[dict[str, str]]
    fingerprint: str
    file_count: int = 0
    parsed: dict[str, ParsedDocument] = field(default_factory=dict, repr=False)


def manifest_paths(corpus_dir: Path) -> list[Path]:
    """``manifest.toml`` of the corpus folder, then those of its subfolders (uploads/…), sorted."""
    top = corpus_dir / MANIFEST_NAME
    subs = sorted(p for p in corpus_dir.rglob(MANIFEST_NAME) if p != top and p.is_file() and _inside(p, corpus_dir))
    return ([top] if top.is_file() else []) + subs


def read_manifest(corpus_dir: Path) -> dict[str, dict[str, Any]]:
    """Per-file metadata from the manifests (empty when absent); a broken manifest is an error.

    A subfolder's manifest names its files relative to itself (``uploads/manifest.toml`` → ``uploads/…``)."""
    out: dict[str, dict[str, Any]] = {}
    for path in manifest_paths(corpus_dir):
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ValueError(f"{path}: invalid TOML: {exc}") from exc
        prefix = path.parent.relative_to(corpus_dir).as_posix()
        for k, v in data.items():
            if isinstance(v, dict):
                out[k if prefix == "." else f"{prefix}/{k}"] = v
    return out


def corpus_files(corpus_dir: Path) -> list[Path]:
    """Every regular, non-hidden file under ``corpus_dir`` except the manifests, sorted."""
    files = []
    for p in sorted(corpus_dir.rglob("*")):
        rel = p.relative_to(corpus_dir)
        if not p.is_file() or any(part.startswith(".") for part in rel.parts) or p.name == MANIFEST_NAME:
            continue
        files.append(p)
    return files


def manifest_digest(corpus_dir: Path) -> bytes:
    """The bytes of every manifest, for the corpus fingerprint."""
    return b"".join(p.relative_to(corpus_dir).as_posix().encode() + b"\0" + p.read_bytes() for p in manifest_paths(corpus_dir))


def load_corpus(corpus_dir: Path, progress: Callable[[str], None] | None = None, cache: "ParseCache | None" = None) -> Corpus:
    """Read every document under ``corpus_dir``; unreadable files are skipped with a reason.
    With a ``cache``, documents read before (same bytes, name, id) are not read again."""
    corpus_dir = Path(corpus_dir)
    if not corpus_dir.is_dir():
        raise FileNotFoundError(f"corpus folder not found: {corpus_dir}")
    manifest = read_manifest(corpus_dir)
    files = corpus_files(corpus_dir)
    digest = hashlib.sha256(f"parser={PARSER_VERSION}\n".encode())
    digest.update(manifest_digest(corpus_dir))
    documents: list[Document] = []
    skipped: list[dict[str, str]] = []
    parsed: dict[str, ParsedDocument] = {}
    used_ids: set[str] = set()
    for path in files:
        rel = path.relative_to(corpus_dir).as_posix()
        if progress:
            progress(rel)
        if not _inside(path, corpus_dir):
            # a link may not bring in what lies outside the corpus folder (/etc/passwd, another user's files)
            skipped.append({"file": rel, "reason": "a link to a file outside the corpus folder: copy the file in instead"})
            log.warning("skipped %s: links outside the corpus folder", rel)
            continue
        try:
            data = path.read_bytes()
        except OSError as exc:
            skipped.append({"file": rel, "reason": f"unreadable: {exc.strerror or exc}"})
            log.warning("skipped %s: unreadable (%s)", rel, exc)
            continue
        sha = hashlib.sha256(data).hexdigest()
        digest.update(rel.encode() + b"\0" + bytes.fromhex(sha))
        listed = manifest.get(rel) or manifest.get(path.name) or {}
        doc_id = _unique_id(str(listed.get("id") or path.stem), set(used_ids))
        cached = cache.get(rel, sha, doc_id) if cache is not None else None
        if cached is not None:
            header, result = cached
        else:
            try:
                read = read_document(path.name, data)
            except UnreadableDocument as exc:
                skipped.append({"file": rel, "reason": str(exc)})
                log.warning("skipped %s: %s", rel, exc)
                continue
            header = {k: v for k, v in asdict(read_header(read.text)).items() if v}
            result = parse_document(read.text, doc_id, rel)
            for warning in read.warnings:
                (log.info if warning.startswith("decoded as") else log.warning)("%s: %s", rel, warning)
            if read.page_starts:
                for c in result.clauses:
                    c.pages = read.pages_of(*c.lines)
                    c.ocr = any(p in read.ocr_pages for p in c.pages)
        if not result.clauses:
            skipped.append({"file": rel, "reason": "no text after cleaning"})
            log.warning("skipped %s: no text after cleaning", rel)
            continue
        if cache is not None and cached is None:
            cache.put(rel, sha, doc_id, (header, result))
        used_ids.add(doc_id)
        # what the document's own 红头 says, where the manifest is silent
        meta = header | listed
        documents.append(_document(doc_id, rel, meta, result, sha))
        parsed[doc_id] = result
    if cache is not None:
        cache.prune()
    documents = fold_near_duplicates(documents, parsed)
    assign_validity(documents, parsed)
    return Corpus(documents, skipped, digest.hexdigest(), len(files), parsed)


class ParseCache:
    """Documents already read and parsed, by file content, name, id and parser version: a rebuild
    after one upload reads only that document (a scanned PDF is not OCR'd again). Bounded: entries
    not used by the last corpus load are removed."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.used: set[str] = set()

    def _key(self, rel: str, sha: str, doc_id: str) -> str:
        return hashlib.sha256(f"{PARSER_VERSION}\0{rel}\0{sha}\0{doc_id}".encode()).hexdigest()

    def get(self, rel: str, sha: str, doc_id: str):
        key = self._key(rel, sha, doc_id)
        path = self.folder / f"{key}.pkl"
        try:
            with path.open("rb") as f:
                value = pickle.load(f)
        except (OSError, pickle.PickleError, EOFError, AttributeError, ValueError):
            return None
        self.used.add(key)
        return value

    def put(self, rel: str, sha: str, doc_id: str, value) -> None:
        key = self._key(rel, sha, doc_id)
        tmp = self.folder / f".{key}.{os.getpid()}.tmp"
        try:
            with tmp.open("wb") as f:
                pickle.dump(value, f, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, self.folder / f"{key}.pkl")
            self.used.add(key)
        except OSError as exc:  # a cache that cannot be written only costs time
            log.debug("parse cache not written: %s", exc)

    def prune(self) -> None:
        for p in self.folder.glob("*.pkl"):
            if p.stem not in self.used:
                p.unlink(missing_ok=True)


def _inside(path: Path, folder: Path) -> bool:
    """Whether ``path``, links resolved, lies inside ``folder``."""
    try:
        return path.resolve().is_relative_to(folder.resolve())
    except OSError:
        return False


def _unique_id(candidate: str, used: set[str]) -> str:
    base = re.sub(r"[/\\\s]+", "_", candidate).strip("_") or "doc"
    doc_id, n = base, 2
    while doc_id in used:
        doc_id, n = f"{base}~{n}", n + 1
    used.add(doc_id)
    return doc_id


def _document(doc_id: str, source: str, meta: dict[str, Any], parsed: ParsedDocument, sha: str) -> Document:
    title = str(meta.get("title") or _title_from_source(source, parsed))
    years = meta.get("years") or infer_years(" ".join([title, str(meta.get("period") or "")]))
    date = meta.get("date")
    if date is None:
        m = _VERSION_DATE.search(source)
        date = m.group(1) if m else None
    return Document(
        doc_id=doc_id,
        source=source,
        title=title,
        doc_number=meta.get("doc_number"),
        issuer=meta.get("issuer"),
        date=str(date) if date else None,
        jurisdiction=meta.get("jurisdiction") or jurisdiction_from_title(title),
        period=meta.get("period"),
        years=[int(y) for y in years],
        status=meta.get("status"),
        fingerprint=sha,
        clauses=parsed.clauses,
        version_group=version_group(title),
        **_version_fields(source, meta, parsed),
    )


def _version_fields(source: str, meta: dict[str, Any], parsed: ParsedDocument) -> dict[str, Any]:
    """公布日期, 施行日期 and label of a document whose name or header dates it (else nothing)."""
    texts = [c.text for c in parsed.clauses]
    info = version_info(source, texts[: HEADER_SCAN + 2], texts, date_hint=meta.get("date"), status=meta.get("status"))
    if info.label is None:
        return {}
    out: dict[str, Any] = {"promulgated": info.promulgated, "effective": info.effective, "version_label": info.label}
    if info.repealed:
        out["validity"] = "已废止"
    return out


def assign_validity(documents: list[Document], parsed: dict[str, ParsedDocument], as_of: str | None = None) -> None:
    """Each dated document's status on ``as_of`` (default today) among the versions of its title;
    a title that a text in force repeals (《…》同时废止) is 已废止."""
    day = as_of or date.today().isoformat()
    versions = [
        Version(d.doc_id, d.version_group or "", d.promulgated, d.effective, says_repealed(d.status))
        for d in documents
        if d.effective
    ]
    gone: set[str] = set()
    for d in documents:
        if d.effective and d.effective <= day and d.doc_id in parsed:
            gone.update(g for g in repealed_titles(c.text for c in parsed[d.doc_id].clauses) if g != d.version_group)
    by_id = {d.doc_id: d for d in documents}
    for doc_id, status in validities(versions, day, gone).items():
        by_id[doc_id].validity = status


def _title_from_source(source: str, parsed: ParsedDocument) -> str:
    if parsed.title:
        return parsed.title
    stem = Path(source).stem
    return _VERSION_DATE.sub("", stem).strip() or stem


def infer_years(text: str) -> list[int]:
    """``[first, last]`` year of a period named in a title ("2019—2022年", "十四五"), or ``[]``."""
    m = _YEAR_RANGE.search(text)
    if m:
        a, b = int(m.group(1)), int(m.group(2))
        return [min(a, b), max(a, b)]
    for name, (a, b) in _FIVE_YEAR_PLANS.items():
        if name in text:
            return [a, b]
    return []


def _shingles(parsed: ParsedDocument) -> set[str]:
    text = unicodedata.normalize("NFKC", "".join(c.text for c in parsed.clauses))
    text = re.sub(r"[\W_]+", "", text)
    return {text[i : i + SHINGLE] for i in range(max(1, len(text) - SHINGLE + 1))}


def _artefact_rate(parsed: ParsedDocument) -> float:
    """Repairs per character: lower means a cleaner extraction."""
    size = sum(len(c.text) for c in parsed.clauses) or 1
    r = parsed.repairs
    return (r.chars * 10 + r.spaces + r.markup + parsed.joined_lines * 5) / size


def fold_near_duplicates(documents: list[Document], parsed: dict[str, ParsedDocument]) -> list[Document]:
    """Keep one document of each near-duplicate group (the cleaner, or the newer version).

    The dropped one becomes an alias of the kept one, which inherits metadata it lacked.
    """
    if len(documents) < 2:
        return documents
    sets = {d.doc_id: _shingles(parsed[d.doc_id]) for d in documents}
    lsh = MinHashLSH(threshold=0.5, num_perm=128)
    hashes: dict[str, MinHash] = {}
    for d in documents:
        m = MinHash(num_perm=128, hashfunc=zlib.crc32)
        m.update_batch([s.encode() for s in sets[d.doc_id]])
        hashes[d.doc_id] = m
        lsh.insert(d.doc_id, m)
    by_id = {d.doc_id: d for d in documents}
    dropped: set[str] = set()
    for d in documents:
        if d.doc_id in dropped:
            continue
        for other_id in sorted(lsh.query(hashes[d.doc_id])):
            if other_id == d.doc_id or other_id in dropped or d.doc_id in dropped:
                continue
            if _other_version(d, by_id[other_id]):
                continue  # two versions of one law are both indexed (their shared texts are embedded once)
            a, b = sets[d.doc_id], sets[other_id]
            inter = len(a & b)
            jaccard = inter / max(1, len(a | b))
            containment = inter / max(1, min(len(a), len(b)))
            if jaccard < DUPLICATE_JACCARD and containment < DUPLICATE_CONTAINMENT:
                continue
            keep, drop = _prefer(d, by_id[other_id], parsed)
            _fold(keep, drop, jaccard, containment)
            dropped.add(drop.doc_id)
            log.info("near-duplicate: %s is an alias of %s (jaccard %.2f)", drop.source, keep.source, jaccard)
    return [d for d in documents if d.doc_id not in dropped]


def _other_version(a: Document, b: Document) -> bool:
    """Two dated versions of one title (民事诉讼法 2021年修正 and 2023年修正), not two copies of one."""
    return bool(
        a.version_group and a.version_group == b.version_group and a.promulgated and b.promulgated
        and (a.promulgated != b.promulgated or a.version_label != b.version_label)
    )


def _prefer(a: Document, b: Document, parsed: dict[str, ParsedDocument]) -> tuple[Document, Document]:
    """(keep, drop): a newer dated version wins; otherwise the cleaner extraction."""
    if a.date and b.date and a.date != b.date and _VERSION_DATE.search(a.source) and _VERSION_DATE.search(b.source):
        return (a, b) if a.date > b.date else (b, a)
    ra, rb = _artefact_rate(parsed[a.doc_id]), _artefact_rate(parsed[b.doc_id])
    return (a, b) if ra <= rb else (b, a)


def _fold(keep: Document, drop: Document, jaccard: float, containment: float) -> None:
    for field_name in ("doc_number", "issuer", "date", "jurisdiction", "period", "status"):
        if getattr(keep, field_name) is None and getattr(drop, field_name) is not None:
            setattr(keep, field_name, getattr(drop, field_name))
    if not keep.years and drop.years:
        keep.years = list(drop.years)
    keep.aliases.append(
        {
            "doc_id": drop.doc_id,
            "source": drop.source,
            "title": drop.title,
            "doc_number": drop.doc_number,
            "jaccard": round(jaccard, 3),
            "containment": round(containment, 3),
            "reason": "near-duplicate extraction; the cleaner one is indexed",
        }
    )
    keep.aliases.extend(drop.aliases)
