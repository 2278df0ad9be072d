"""Colloquial → official thesaurus for query expansion.

People ask in everyday words (看病, 交社保, 打车, 老板); laws, regulations and government plans say
就医, 缴纳社会保险费, 出租汽车, 用人单位. Lexical retrieval cannot bridge that gap on its own, so a
question's colloquial terms are looked up here and their official wordings are added to retrieval
as extra, lower-weight terms — the user's own words are kept and still count most.

The mapping is data, not code: ``assistant/data/colloquial.tsv``, one entry a line::

    colloquial<TAB>official1|official2|…<TAB>note (optional)

with ``#`` comment lines and blank lines allowed. Entries are general usage only, never tailored to
one document. Matching is exact on the text as given (no case / script folding here).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Mapping

DEFAULT_PATH = Path(__file__).resolve().parent / "data" / "colloquial.tsv"

__all__ = ["DEFAULT_PATH", "Thesaurus", "load_thesaurus"]


@dataclass(frozen=True)
class Thesaurus:
    """An immutable colloquial term → official expansions mapping."""

    entries: Mapping[str, tuple[str, ...]] = field(hash=False)
    _lengths: tuple[int, ...] = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "entries", MappingProxyType(dict(self.entries)))
        lengths = sorted({len(k) for k in self.entries if k}, reverse=True)
        object.__setattr__(self, "_lengths", tuple(lengths))

    def __len__(self) -> int:
        return len(self.entries)

    def __contains__(self, term: object) -> bool:
        return term in self.entries

    def expand(self, text: str) -> list[tuple[str, tuple[str, ...]]]:
        """Colloquial terms found in ``text`` with their official expansions, in text order.

        Longest match first: every occurrence of every key is a candidate; candidates are taken
        longest first (leftmost among equal lengths), skipping any that overlap one already taken,
        so 公积金贷款 wins over 公积金 and 贷款. A term occurring twice is reported twice.
        """
        if not text or not self._lengths:
            return []
        candidates: list[tuple[int, int]] = []  # (start, length)
        n = len(text)
        for start in range(n):
            for length in self._lengths:
                if start + length <= n and text[start:start + length] in self.entries:
                    candidates.append((start, length))
        candidates.sort(key=lambda c: (-c[1], c[0]))
        taken = [False] * n
        chosen: list[tuple[int, int]] = []
        for start, length in candidates:
            span = range(start, start + length)
            if any(taken[i] for i in span):
                continue
            for i in span:
                taken[i] = True
            chosen.append((start, length))
        chosen.sort()
        return [(text[s:s + ln], self.entries[text[s:s + ln]]) for s, ln in chosen]

    def official_terms(self, text: str) -> list[str]:
        """The expansions of ``text``'s colloquial terms, flattened and de-duplicated in order,
        leaving out any already present in ``text``."""
        out: list[str] = []
        seen: set[str] = set()
        for _, expansions in self.expand(text):
            for term in expansions:
                if term in seen or term in text:
                    continue
                seen.add(term)
                out.append(term)
        return out


def _parse(path: Path) -> Thesaurus:
    """Read a thesaurus TSV; ValueError ``file:line: reason`` on the first malformed line."""
    entries: dict[str, tuple[str, ...]] = {}
    with open(path, encoding="utf-8-sig") as fh:
        for lineno, raw in enumerate(fh, start=1):
            line = raw.rstrip("\r\n")
            if not line.strip() or line.lstrip().startswith("#"):
                continue

            def fail(reason: str) -> ValueError:
                return ValueError(f"{path}:{lineno}: {reason}")

            if "\t" not in line:
                raise fail("missing tab between colloquial term and official terms")
            fields = line.split("\t")
            if len(fields) > 3:
                raise fail(f"expected at most 3 tab-separated fields, got {len(fields)}")
            key = fields[0].strip()
            if not key:
                raise fail("empty colloquial term")
            expansions = tuple(t.strip() for t in fields[1].split("|"))
            if not fields[1].strip():
                raise fail(f"empty official terms for {key!r}")
            if any(not t for t in expansions):
                raise fail(f"empty official term in {fields[1]!r}")
            if len(set(expansions)) != len(expansions):
                raise fail(f"repeated official term in {fields[1]!r}")
            if key in expansions:
                raise fail(f"{key!r} lists itself as an official term")
            if key in entries:
                raise fail(f"duplicate colloquial term {key!r}")
            entries[key] = expansions
    return Thesaurus(entries)


@lru_cache(maxsize=1)
def _load_default() -> Thesaurus:
    return _parse(DEFAULT_PATH)


def load_thesaurus(path: str | Path | None = None) -> Thesaurus:
    """Load a thesaurus TSV (default: the packaged ``data/colloquial.tsv``, loaded once and cached).

    Raises ValueError naming ``file:line`` for a malformed line: a missing tab, an empty side, a
    duplicate colloquial term (or an empty / repeated / self-referencing official term).
    """
    if path is None:
        return _load_default()
    return _parse(Path(path))
