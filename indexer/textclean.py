"""Decoding and character-level repair of extracted policy text.

Documented artefacts (removed or replaced, never silently): see ``ARTEFACTS``.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# What cleaning is allowed to change; the no-lost-characters test checks everything else survives.
ARTEFACTS = {
    "曤": "PDF font fault in doc 000: prints ‰ as 曤 (replaced by ‰)",
    "**": "markdown bold markers from a Word export (removed)",
    "[bookmark: …]": "Word bookmark anchors such as [bookmark: _Hlk134946206] (removed)",
    "#": "markdown heading markers at the start of a line (the heading text is kept)",
    "|---|": "markdown table separator rows (the table's cells are kept)",
    "<!-- … -->": "HTML comments such as <!-- INFO END --> in markdown sources (removed)",
    "web footer": "trailing web-page navigation lines 相关主题 / 相关文档 / 最新文档 (dropped)",
    "repeated title": "a front-matter title line printed again verbatim is kept once (doc 001 prints it four times)",
    "whitespace": "spaces next to CJK characters and full-width punctuation (removed)",
}

CHAR_REPAIRS = {"曤": "‰"}
WEB_FOOTER_LINES = {"相关主题", "相关文档", "最新文档", "相关阅读", "相关链接", "打印本页", "关闭窗口"}

_BOOKMARK = re.compile(r"\[bookmark:[^\]]*\]")
_HTML_COMMENT = re.compile(r"<!--.*?-->")
_BOLD = re.compile(r"\*\*")

# CJK ideographs, CJK/full-width punctuation and quotes: a space next to one of these is an artefact.
_CJK = (
    "\u3000-\u303f"  # CJK punctuation 、。〈〉《》〔〕
    "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"  # ideographs
    "\uff00-\uffef"  # full-width forms （），：；
    "\u2018-\u201f"  # curly quotes “”
    "\u2014\u2015\u2026"  # —— …
)
_WS = r"[^\S\n]"  # any Unicode whitespace except a newline (em spaces, ideographic spaces, tabs)
_SPACE_BEFORE_CJK = re.compile(rf"{_WS}+(?=[{_CJK}])")
_SPACE_AFTER_CJK = re.compile(rf"(?<=[{_CJK}]){_WS}+")
_SPACE_BEFORE_OPEN = re.compile(rf"{_WS}+(?=[(\[])")


class UnreadableDocument(ValueError):
    """A file that cannot be read as text (binary, empty, unknown encoding)."""


def decode_bytes(data: bytes) -> tuple[str, str]:
    """Decode a document: UTF-16 or UTF-8 with a BOM, UTF-8, else GB18030; refuse binary or empty input.

    A UTF-8 text with a few bad bytes keeps its text: they are replaced (U+FFFD) and the encoding
    says how many (``utf-8, 2 undecodable characters replaced by U+FFFD``), never the whole document dropped."""
    if not data.strip():
        raise UnreadableDocument("empty file")
    for bom, enc in ((b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be")):
        if data.startswith(bom):
            try:
                text = data[len(bom):].decode(enc)
            except UnicodeDecodeError:
                raise UnreadableDocument(f"not valid {enc.upper()} text after its byte-order mark") from None
            if not text.strip():
                raise UnreadableDocument("empty file")
            return text, enc
    if b"\x00" in data[:8192]:
        raise UnreadableDocument("binary file (NUL bytes)")
    for enc in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(enc)
        except UnicodeDecodeError:
            continue
        if enc == "gb18030" and _cjk_ratio(text) < 0.2:
            break
        if _control_ratio(text) > 0.01:
            raise UnreadableDocument("binary file (control characters)")
        return text, ("utf-8" if enc == "utf-8-sig" else enc)
    text = data.decode("utf-8-sig", errors="replace")
    bad = text.count("\ufffd") - data.decode("utf-8-sig", errors="ignore").count("\ufffd")
    if 0 < bad <= max(10, len(text) // 1000) and _cjk_ratio(text) >= 0.2 and _control_ratio(text) <= 0.01:
        return text, f"utf-8, {bad} undecodable character{'s' if bad > 1 else ''} replaced by U+FFFD"
    raise UnreadableDocument("not UTF-8 and not GBK/GB18030 text")


def _cjk_ratio(text: str) -> float:
    sample = [c for c in text[:5000] if not c.isspace()]
    if not sample:
        return 0.0
    return sum("\u4e00" <= c <= "\u9fff" or "\u3000" <= c <= "\u303f" or "\uff00" <= c <= "\uffef" for c in sample) / len(sample)


def _control_ratio(text: str) -> float:
    sample = text[:5000]
    bad = sum(1 for c in sample if unicodedata.category(c) == "Cc" and c not in "\n\r\t\f")
    return bad / max(1, len(sample))


@dataclass
class LineRepair:
    """How many artefacts one cleaning pass removed (used to pick the cleaner of two duplicates)."""

    chars: int = 0
    spaces: int = 0
    markup: int = 0


def clean_line(line: str, repair: LineRepair | None = None) -> str:
    """Repair one source line: known character faults, markup residue and stray spaces."""
    out = line.replace("\ufeff", "").replace("\r", "")
    for bad, good in CHAR_REPAIRS.items():
        if bad in out:
            if repair:
                repair.chars += out.count(bad)
            out = out.replace(bad, good)
    before = len(out)
    out = _BOOKMARK.sub("", out)
    out = _HTML_COMMENT.sub("", out)
    out = _BOLD.sub("", out)
    if repair:
        repair.markup += before - len(out)
    before = len(out)
    out = out.strip()
    inner = _SPACE_BEFORE_CJK.sub("", out)
    inner = _SPACE_AFTER_CJK.sub("", inner)
    inner = _SPACE_BEFORE_OPEN.sub("", inner) if _has_cjk(inner) else inner
    if repair:
        repair.spaces += before - len(inner)
    return inner


def clean_table_cell(cell: str) -> str:
    """A table cell: same repairs as a line."""
    return clean_line(cell)


def _has_cjk(s: str) -> bool:
    return any("\u4e00" <= c <= "\u9fff" for c in s)


def normalize_for_match(text: str) -> str:
    """Canonical form for matching and tokenizing: NFKC (full-width → half-width), lower case."""
    return unicodedata.normalize("NFKC", text).lower()
