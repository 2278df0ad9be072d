"""Plain records shared by the indexer and its readers: documents and their clauses."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

CLAUSE_KINDS = ("clause", "table_row", "paragraph", "heading")


@dataclass
class Clause:
    """The citation unit: one numbered item, table row, paragraph or heading of a document.

    ``id`` is ``<doc_id>/<structural path>`` (e.g. ``003/二/（一）/1``): built from canonical
    labels, so it is identical across rebuilds and unaffected by edits in other sections.
    ``sentences`` are ``[start, end)`` character offsets into ``text`` (for quoting one sentence).
    ``lines`` is the 1-based inclusive span of source lines the clause came from (lines of the
    text the reader made, for PDF / Word / web sources); ``pages`` the pages they lie on.
    """

    id: str
    doc_id: str
    source: str
    kind: str
    label: str
    path: list[str]
    text: str
    sentences: list[tuple[int, int]]
    lines: tuple[int, int]
    parent_id: str | None = None
    order: int = 0
    title: str = ""
    pages: list[int] = field(default_factory=list)  # 1-based pages of a paged source (PDF), else empty
    ocr: bool = False  # some of its text was recognised from a page image

    def sentence_texts(self) -> list[str]:
        """The sentences of ``text`` in order."""
        return [self.text[a:b] for a, b in self.sentences]

    def passage(self) -> str:
        """Text used for embedding and lexical search: heading path, then the clause."""
        return " > ".join(self.path + [self.text]) if self.path else self.text

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["sentences"] = [list(s) for s in self.sentences]
        d["lines"] = list(self.lines)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Clause":
        d = dict(d)
        d["sentences"] = [tuple(s) for s in d.get("sentences", [])]
        d["lines"] = tuple(d.get("lines", (0, 0)))
        return cls(**{k: v for k, v in d.items() if k in cls.__dataclass_fields__})


@dataclass
class Document:
    """One source document with its metadata (from ``corpus/manifest.toml`` or its own text)."""

    doc_id: str
    source: str
    title: str
    doc_number: str | None = None
    issuer: str | None = None
    date: str | None = None
    jurisdiction: str | None = None
    period: str | None = None
    years: list[int] = field(default_factory=list)
    status: str | None = None
    aliases: list[dict[str, Any]] = field(default_factory=list)
    fingerprint: str = ""
    clauses: list[Clause] = field(default_factory=list)
    # the version of a law (indexer.versions): 公布日期, 施行日期 (ISO), 2023年修正, title key, 现行有效 …
    promulgated: str | None = None
    effective: str | None = None
    version_label: str | None = None
    version_group: str | None = None
    validity: str | None = None  # as of the build

    def metadata(self) -> dict[str, Any]:
        """Everything but the clauses."""
        d = asdict(self)
        d.pop("clauses")
        d["clause_count"] = len(self.clauses)
        return d
