"""Small text helpers shared by retrieval and answering (no corpus knowledge)."""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

ALT = "|"  # joins the wordings of one term: a colloquial word and its official forms (抽烟|吸烟)
FIVE_YEAR_PLANS = {"十三五": (2016, 2020), "十四五": (2021, 2025), "十五五": (2026, 2030)}
_CN_VALUES = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_CN_UNITS = {"十": 10, "百": 100, "千": 1000}

# A year stated in running text: 2025年, 2025年度, 2025目标 (table headers), or the first year of
# a range (2019—2022年). A bare 2000 (培训2000名) is a count, not a year.
_TEXT_YEAR = re.compile(
    r"(?<![\d.])((?:19|20)\d{2})(?:\s*(?:年|目标|年度)|(?=\s*[—\-–－~至到]\s*(?:19|20)\d{2}\s*年))"
)
_BOOK_TITLE = re.compile(r"《[^《》]*》")
_BIGRAM_DROP = re.compile(r"[\W_]+")
# Comma-level boundaries inside a sentence (for narrowing a long sentence to the part that answers).
_PART_END = re.compile(r"[，,；;：:]")


def normalize(text: str) -> str:
    """NFKC, collapsed whitespace, trimmed (keeps case and punctuation)."""
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text)).strip()


@lru_cache(maxsize=1)
def _t2s():
    import opencc

    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    """Traditional characters as simplified (醫療機構 → 医疗机构); simplified text is unchanged."""
    return _t2s().convert(text) if text else text


def cn_number_to_int(s: str) -> int:
    """一百二十三 / 123 → 123."""
    s = s.strip()
    if s.isdigit():
        return int(s)
    total, num = 0, 0
    for ch in s:
        if ch in _CN_VALUES:
            num = _CN_VALUES[ch]
        elif ch in _CN_UNITS:
            total += (num or 1) * _CN_UNITS[ch]
            num = 0
    return total + num


def text_year_positions(text: str) -> list[tuple[int, int]]:
    """``(offset, year)`` of every year stated in ``text`` outside 《titles》, in order."""
    if not text:
        return []
    out = []
    masked = _BOOK_TITLE.sub(lambda m: " " * len(m.group(0)), text)
    for m in _TEXT_YEAR.finditer(masked):
        out.append((m.start(), int(m.group(1))))
    return out


def text_years(text: str) -> set[int]:
    """Years a piece of running text states (titles in 《》 do not count: they name, not target)."""
    if not text:
        return set()
    t = _BOOK_TITLE.sub("", unicodedata.normalize("NFKC", text))
    return {int(m.group(1)) for m in _TEXT_YEAR.finditer(t)}


def bigrams(text: str) -> set[str]:
    t = _BIGRAM_DROP.sub("", unicodedata.normalize("NFKC", text))
    return {t[i : i + 2] for i in range(max(1, len(t) - 1))}


def jaccard(a: set[str], b: set[str]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


def split_parts(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Comma/semicolon-separated parts of ``text[start:end]`` as absolute offsets (delimiters kept
    at the end of the part they close). Brackets are respected: no split inside （…） or “…”."""
    parts: list[tuple[int, int]] = []
    depth = 0
    a = start
    opens, closes = "（(“‘《〈[【", "）)”’》〉]】"
    for i in range(start, end):
        ch = text[i]
        if ch in opens:
            depth += 1
        elif ch in closes:
            depth = max(0, depth - 1)
        elif depth == 0 and _PART_END.match(ch):
            parts.append((a, i + 1))
            a = i + 1
    if a < end:
        parts.append((a, end))
    return [(x, y) for x, y in parts if text[x:y].strip()]


TRAILING_PUNCT = "，,；;：:、。.！!？?"


def strip_span(text: str, a: int, b: int) -> tuple[int, int]:
    """Trim whitespace at both ends and a dangling comma/semicolon at the end of ``text[a:b]``."""
    while a < b and text[a].isspace():
        a += 1
    while b > a and (text[b - 1].isspace() or text[b - 1] in "，,；;：:、"):
        b -= 1
    return a, b
