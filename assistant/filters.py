"""Which clauses a search may return: document, jurisdiction, year, kind, type of law and version filters.

:class:`Filters` is what a request asks (``filters`` of /ask and /search); :class:`DocumentFilter`
turns it into a row mask over one index, cached (bounded) per filter. Several versions of one law
(``indexer.versions``) are narrowed to the one in force on ``as_of`` — by default today.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any, Iterable

import numpy as np

from indexer.lawtypes import document_legal_type
from indexer.versions import Version, group_versions, in_force

from .cache import BoundedCache
from .query import place_core
from .spans import fold


def jurisdiction_matches(wanted: str, jurisdiction: str) -> bool:
    """平坝区 / 安顺市平坝区 match 安顺市平坝区; 贵州 / 贵州省 match 贵州省; 安顺市 does not match a county."""
    w, j = fold(wanted).strip(), fold(jurisdiction).strip()
    if not w or not j:
        return False
    return w == j or j.endswith(w) or place_core(j).endswith(place_core(w))


class FilterError(ValueError):
    """A filter names something the index does not have (unknown document id, bad range)."""


@dataclass(frozen=True)
class Filters:
    documents: tuple[str, ...] | None = None
    jurisdiction: tuple[str, ...] | None = None
    year_from: int | None = None
    year_to: int | None = None
    kinds: tuple[str, ...] | None = None
    as_of: str | None = None  # ISO date: each law as in force then (default: today's version)
    law_types: tuple[str, ...] | None = None  # 法律, 行政法规, 地方性法规 … (indexer.lawtypes.LEGAL_TYPES)

    @classmethod
    def from_dict(cls, d: dict[str, Any] | None) -> "Filters":
        if not d:
            return cls()

        def tup(v):
            if v is None:
                return None
            if isinstance(v, str):
                return (v,)
            return tuple(v)

        return cls(
            documents=tup(d.get("documents")),
            jurisdiction=tup(d.get("jurisdiction")),
            year_from=d.get("year_from"),
            year_to=d.get("year_to"),
            kinds=tup(d.get("kinds")),
            as_of=as_of_date(d.get("as_of")),
            law_types=tup(d.get("law_types")),
        )

    @property
    def active(self) -> bool:
        return any(v is not None for v in (self.documents, self.jurisdiction, self.year_from, self.year_to, self.kinds,
                                           self.as_of, self.law_types))


def as_of_date(value: Any) -> str | None:
    """``as_of`` as ``YYYY-MM-DD`` (a date object or such a string); anything else is a FilterError
    (the one check of this field, for /ask's request model and for in-process callers alike)."""
    if value is None:
        return None
    if isinstance(value, date):
        return value.isoformat()
    s = str(value).strip()
    try:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", s):
            raise ValueError(s)
        return date.fromisoformat(s).isoformat()
    except ValueError:
        raise FilterError(f"as_of must be a date YYYY-MM-DD (e.g. 2022-01-01), got {str(value)[:40]!r}") from None


class DocumentFilter:
    """Row masks of one index for :class:`Filters` (build once per index, share between threads)."""

    def __init__(self, documents: dict[str, dict[str, Any]], alias_of: dict[str, str],
                 doc_rows: dict[str, list[int]], kinds: list[str]) -> None:
        self.documents = documents
        self.alias_of = alias_of
        self.doc_rows = doc_rows
        self.kinds = kinds
        self.n = len(kinds)
        self._jurisdiction = {d: fold(str(m.get("jurisdiction") or "")) for d, m in documents.items()}
        self.legal_types = {d: document_legal_type(m) for d, m in documents.items()}
        self._cache: BoundedCache[Any, np.ndarray] = BoundedCache(256, 64 << 20)
        self._version_groups = group_versions(
            Version(d, str(m["version_group"]), m.get("promulgated"), m.get("effective"))
            for d, m in documents.items()
            if m.get("version_group") and m.get("effective")
        )
        self._multi_version = any(len(vs) > 1 for vs in self._version_groups.values())

    def resolve_doc_id(self, doc_id: str) -> str | None:
        if doc_id in self.documents:
            return doc_id
        return self.alias_of.get(doc_id)

    def versions_hidden(self, as_of: str | None, named: Iterable[str] = ()) -> set[str]:
        """Documents not searched on ``as_of``: within each title, every version but the one in force
        then. Without ``as_of`` (today), only titles with several versions, and documents named in
        the filters stay; documents without dates are never hidden."""
        day = as_of or date.today().isoformat()
        groups = self._version_groups if as_of else {g: vs for g, vs in self._version_groups.items() if len(vs) > 1}
        versions = [v for vs in groups.values() for v in vs]
        keep = set(in_force(versions, day).values()) | (set() if as_of else set(named))
        return {v.doc_id for v in versions} - keep

    def mask(self, f: Filters) -> np.ndarray | None:
        """Rows allowed by ``f`` (``None``: every row); unknown document ids are a FilterError."""
        # the default (no as_of) hides superseded versions as of today: part of the cache key
        key = (f, date.today().isoformat()) if f.as_of is None and self._multi_version else f
        if not f.active and not self._multi_version:
            return None
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        allowed_docs = set(self.documents)
        if f.documents is not None:
            resolved = set()
            unknown = []
            for d in f.documents:
                r = self.resolve_doc_id(str(d))
                if r is None:
                    unknown.append(str(d))
                else:
                    resolved.add(r)
            if unknown:
                raise FilterError(f"unknown document id(s) in filters.documents: {', '.join(unknown)}")
            allowed_docs &= resolved
        allowed_docs -= self.versions_hidden(f.as_of, allowed_docs if f.documents is not None else ())
        if f.jurisdiction is not None:
            wanted = [fold(j).strip() for j in f.jurisdiction if str(j).strip()]
            keep = set()
            for d in allowed_docs:
                jur = self._jurisdiction[d]
                if any(jurisdiction_matches(w, jur) for w in wanted):
                    keep.add(d)
            allowed_docs = keep
        if f.law_types is not None:
            wanted_types = set(f.law_types)
            allowed_docs = {d for d in allowed_docs if self.legal_types[d] in wanted_types}
        if f.year_from is not None or f.year_to is not None:
            lo = f.year_from if f.year_from is not None else -10**9
            hi = f.year_to if f.year_to is not None else 10**9
            if lo > hi:
                raise FilterError("filters.year_from is after filters.year_to")
            keep = set()
            for d in allowed_docs:
                years = self.documents[d].get("years") or []
                if len(years) == 2 and years[0] <= hi and years[1] >= lo:
                    keep.add(d)
            allowed_docs = keep
        mask = np.zeros(self.n, dtype=bool)
        for d in allowed_docs:
            mask[self.doc_rows.get(d, [])] = True
        if f.kinds is not None:
            kinds = set(f.kinds)
            kind_mask = np.array([k in kinds for k in self.kinds], dtype=bool)
            mask &= kind_mask
        self._cache.put(key, mask)
        return mask
