"""Word (.docx) documents: paragraphs and tables in document order, with Word's automatic numbering.

Policy documents typed in Word often get their 一、 / （一） / 1. labels from the numbering
definitions (numbering.xml), not from typed text; python-docx's ``paragraph.text`` drops them, and
the clause parser needs them, so the labels are recomputed here the way Word counts them. Tables
become tab-separated rows (merged cells repeat their text). The zip is checked for size and
compression ratio before anything is unpacked.
"""
from __future__ import annotations

import io
import logging
import re
import zipfile

import docx
from docx.oxml.ns import qn

from ..parser import CIRCLED, int_to_cn
from .base import ReadResult, UnreadableDocument

log = logging.getLogger(__name__)

MAX_UNPACKED = 200 * 1024 * 1024  # total uncompressed size of the zip
MAX_RATIO = 200  # uncompressed / compressed, for any entry over 1 MB (XML packs 10-50:1)
MAX_ENTRIES = 10_000
_W_VAL = qn("w:val")
_P, _TBL, _TR, _TC, _R, _T = (qn(t) for t in ("w:p", "w:tbl", "w:tr", "w:tc", "w:r", "w:t"))
_TAB, _PTAB, _BR, _CR, _NBH, _TXBX = (qn(t) for t in ("w:tab", "w:ptab", "w:br", "w:cr", "w:noBreakHyphen", "w:txbxContent"))
_SKIP = {qn(t) for t in ("w:pPr", "w:rPr", "w:del", "w:moveFrom", "w:txbxContent", "w:instrText", "w:sym")}
_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"
_SKIP.add(_FALLBACK)
_WRAPPERS = {qn("w:sdt"), qn("w:sdtContent"), qn("w:customXml"), qn("w:smartTag")}


def check_zip(data: bytes, kind: str) -> None:
    """Refuse what is not a zip, or a zip that would unpack too large (zip bomb), before parsing it."""
    if not data.strip():
        raise UnreadableDocument("empty file")
    try:
        infos = zipfile.ZipFile(io.BytesIO(data)).infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError) as exc:
        raise UnreadableDocument(f"not a readable {kind}: not a zip file ({exc})") from None
    if len(infos) > MAX_ENTRIES:
        raise UnreadableDocument(f"not a readable {kind}: {len(infos)} zip entries (limit {MAX_ENTRIES})")
    total = sum(i.file_size for i in infos)
    if total > MAX_UNPACKED:
        raise UnreadableDocument(f"not a readable {kind}: unpacks to {total >> 20} MB (limit {MAX_UNPACKED >> 20} MB)")
    for i in infos:
        if i.file_size > 1 << 20 and i.file_size > MAX_RATIO * max(i.compress_size, 1):
            ratio = i.file_size // max(i.compress_size, 1)
            raise UnreadableDocument(f"not a readable {kind}: {i.filename} compressed {ratio}:1 (zip bomb?)")


def _val(el, *path: str) -> str | None:
    """The w:val of the element at ``path`` under ``el`` (None when either is missing)."""
    for tag in path:
        el = el.find(qn(tag)) if el is not None else None
    return el.get(_W_VAL) if el is not None else None


def _int(value: str | None, default: int | None = None) -> int | None:
    try:
        return int(value) if value is not None else default
    except ValueError:
        return default


def _roman(n: int) -> str:
    out = ""
    for v, r in zip((1000, 900, 500, 400, 100, 90, 50, 40, 10, 9, 5, 4, 1), "M CM D CD C XC L XL X IX V IV I".split()):
        out, n = out + r * (n // v), n % v
    return out


_FORMATS = {  # w:numFmt -> how Word prints a counter value; anything else prints as 1, 2, 3
    **dict.fromkeys(("chineseCounting", "chineseCountingThousand", "taiwaneseCounting", "taiwaneseCountingThousand"), int_to_cn),
    "chineseLegalSimplified": lambda n: int_to_cn(n).translate(str.maketrans("一二三四五六七八九十百千", "壹贰叁肆伍陆柒捌玖拾佰仟")),
    "ideographDigital": lambda n: str(n).translate(str.maketrans("0123456789", "〇一二三四五六七八九")),
    "ideographTraditional": lambda n: "甲乙丙丁戊己庚辛壬癸"[(n - 1) % 10],
    "ideographZodiac": lambda n: "子丑寅卯辰巳午未申酉戌亥"[(n - 1) % 12],
    "decimalEnclosedParen": lambda n: f"({n})",
    **dict.fromkeys(("decimalEnclosedCircle", "decimalEnclosedCircleChinese"), lambda n: CIRCLED[n - 1] if 0 < n <= len(CIRCLED) else f"({n})"),
    "decimalEnclosedFullstop": lambda n: f"{n}.",
    **dict.fromkeys(("decimalFullWidth", "decimalFullWidth2"), lambda n: str(n).translate(str.maketrans("0123456789", "０１２３４５６７８９"))),
    "decimalZero": lambda n: f"{n:02d}",
    "upperLetter": lambda n: chr(64 + (n - 1) % 26 + 1) * ((n - 1) // 26 + 1) if n > 0 else str(n),
    "lowerLetter": lambda n: chr(96 + (n - 1) % 26 + 1) * ((n - 1) // 26 + 1) if n > 0 else str(n),
    "upperRoman": lambda n: _roman(n) if 0 < n < 4000 else str(n),
    "lowerRoman": lambda n: _roman(n).lower() if 0 < n < 4000 else str(n),
    "none": lambda n: "",
}


def format_number(n: int, fmt: str) -> str:
    """A counter value as Word prints it in number format ``fmt`` (w:numFmt)."""
    return _FORMATS.get(fmt, str)(n)


class Numbering:
    """Word's list numbering: definitions from numbering.xml and styles.xml, counters as Word keeps them.

    Counters belong to the abstract list, so two w:num sharing one abstractNum continue each other
    unless a w:lvlOverride/w:startOverride restarts it; a level restarts when a higher one advances."""

    def __init__(self, numbering_el, styles_el) -> None:
        kids = lambda el, tag: el.iterchildren(qn(tag)) if el is not None else iter(())  # noqa: E731
        self.levels: dict[str | None, dict[int, dict]] = {}
        defines: dict[str | None, str | None] = {}  # numbering style -> abstractNum (w:styleLink)
        borrows: dict[str | None, str | None] = {}  # abstractNum -> numbering style (w:numStyleLink)
        for ab in kids(numbering_el, "w:abstractNum"):
            aid = ab.get(qn("w:abstractNumId"))
            self.levels[aid] = {_int(lvl.get(qn("w:ilvl")), 0): {
                "fmt": _val(lvl, "w:numFmt") or "decimal", "text": _val(lvl, "w:lvlText") or "",
                "start": _int(_val(lvl, "w:start"), 1), "restart": _int(_val(lvl, "w:lvlRestart")),
                "legal": lvl.find(qn("w:isLgl")) is not None, "style": _val(lvl, "w:pStyle"),
            } for lvl in ab.iterchildren(qn("w:lvl"))}
            if _val(ab, "w:styleLink"):
                defines[_val(ab, "w:styleLink")] = aid
            if _val(ab, "w:numStyleLink"):
                borrows[aid] = _val(ab, "w:numStyleLink")
        for aid, style in borrows.items():
            if defines.get(style, aid) != aid:
                self.levels[aid] = self.levels[defines[style]]
        self.nums: dict[str | None, tuple[str | None, dict[int, int | None]]] = {
            num.get(qn("w:numId")): (_val(num, "w:abstractNumId"), {
                _int(o.get(qn("w:ilvl")), 0): _int(_val(o, "w:startOverride"), 1)
                for o in num.iterchildren(qn("w:lvlOverride")) if o.find(qn("w:startOverride")) is not None})
            for num in kids(numbering_el, "w:num")}
        self.styles: dict[str | None, tuple] = {}  # styleId -> (numId, ilvl, basedOn)
        for st in kids(styles_el, "w:style"):
            entry = (_val(st, "w:pPr", "w:numPr", "w:numId"), _int(_val(st, "w:pPr", "w:numPr", "w:ilvl")), _val(st, "w:basedOn"))
            self.styles[st.get(qn("w:styleId"))] = entry
            if st.get(qn("w:default")) in ("1", "true") and st.get(qn("w:type")) == "paragraph":
                self.styles[""] = entry
        self.counters: dict[str | None, dict[int, int | None]] = {}
        self.next_start: dict[tuple[str | None, int], int | None] = {}
        self.used: set[str] = set()

    def label(self, p) -> str | None:
        """The number Word prints before paragraph ``p`` (advancing the counters), or None."""
        style = _val(p, "w:pPr", "w:pStyle") or ""
        num_id, ilvl = _val(p, "w:pPr", "w:numPr", "w:numId"), _int(_val(p, "w:pPr", "w:numPr", "w:ilvl"))
        seen, s = set(), style
        while num_id is None and s in self.styles and s not in seen:  # numbering inherited from the style
            seen.add(s)
            num_id, s_ilvl, s = self.styles[s]
            ilvl = ilvl if ilvl is not None else s_ilvl
        if num_id in (None, "0") or num_id not in self.nums:
            return None
        aid, starts = self.nums[num_id]
        levels = self.levels.get(aid, {})
        if ilvl is None:
            ilvl = next((k for k, lv in levels.items() if lv["style"] and lv["style"] == style), 0)
        if ilvl not in levels:
            return None
        if num_id not in self.used:  # a w:num with start overrides restarts its abstract list
            self.used.add(num_id)
            for k, v in starts.items():
                self.next_start[(aid, k)] = v
                self.counters.setdefault(aid, {})[k] = None
        counters = self.counters.setdefault(aid, {})
        cur = counters.get(ilvl)
        counters[ilvl] = self.next_start.pop((aid, ilvl), levels[ilvl]["start"]) if cur is None else cur + 1
        for k, lv in levels.items():
            if k > ilvl and (lv["restart"] is None or ilvl < lv["restart"]):
                counters[k] = None
        lv = levels[ilvl]
        if lv["fmt"] == "bullet":
            return None

        def value(m: re.Match) -> str:
            k = int(m.group(1)) - 1
            ref = levels.get(k, lv)
            n = counters.get(k)
            n = n if n is not None else self.next_start.get((aid, k), ref["start"])
            return format_number(n or 0, "decimal" if lv["legal"] and k != ilvl or ref["fmt"] == "bullet" else ref["fmt"])

        return re.sub(r"%([1-9])", value, lv["text"]).strip() or None


def _text(el, parts: list[str]) -> None:
    """The visible text under ``el`` (tabs become spaces: a tab-separated line is a table row)."""
    for ch in el:
        tag = ch.tag
        if not isinstance(tag, str) or tag in _SKIP:
            continue
        if tag == _T:
            parts.append(ch.text or "")
        elif tag in (_TAB, _PTAB):
            parts.append(" ")
        elif tag in (_BR, _CR):
            parts.append("\n" if ch.get(qn("w:type")) in (None, "textWrapping") else "")
        elif tag == _NBH:
            parts.append("-")
        elif not (tag == _R and _hidden(ch)):
            _text(ch, parts)


def _hidden(run) -> bool:
    vanish = run.find(f"{qn('w:rPr')}/{qn('w:vanish')}")
    return vanish is not None and vanish.get(qn("w:val")) not in ("0", "false")


def _children(el, tag: str):
    for ch in el:
        if ch.tag == tag:
            yield ch
        elif ch.tag in _WRAPPERS:
            yield from _children(ch, tag)


class _Reader:
    def __init__(self, numbering: Numbering) -> None:
        self.numbering = numbering
        self.blocks: list[str] = []

    def paragraph(self, p) -> str:
        parts: list[str] = []
        _text(p, parts)
        text = "".join(parts).strip()
        label = self.numbering.label(p)
        if label and text:
            text = label + ("" if label[-1] in "、.．)）:：" else " ") + text
        return "\n".join(ln.strip() for ln in text.split("\n") if ln.strip())

    def cell(self, tc) -> str:
        texts = [self.paragraph(p) for p in tc.iter(_P) if not any(a.tag == _TXBX for a in p.iterancestors())]
        return re.sub(r"\s+", " ", " ".join(texts)).strip()

    def table(self, tbl) -> None:
        lines: list[str] = []
        rows = 0  # tab-separated rows written so far
        above: dict[int, str] = {}  # column -> text, for vertically merged cells
        for tr in _children(tbl, _TR):
            col = _int(_val(tr, "w:trPr", "w:gridBefore"), 0) or 0
            cells = [""] * col
            for tc in _children(tr, _TC):
                span = max(1, min(_int(_val(tc, "w:tcPr", "w:gridSpan"), 1) or 1, 64))
                vmerge, hmerge = (tc.find(f"{qn('w:tcPr')}/{qn(t)}") for t in ("w:vMerge", "w:hMerge"))
                if vmerge is not None and vmerge.get(qn("w:val")) in (None, "continue"):
                    text = above.get(col, "")
                elif hmerge is not None and hmerge.get(qn("w:val")) in (None, "continue") and cells:
                    text = cells[-1]
                else:
                    text = self.cell(tc)
                for _ in range(span):
                    cells.append(text)
                    above[col], col = text, col + 1
            distinct = {c for c in cells if c}
            if not distinct:
                continue
            if not rows and len(cells) > 1 and len(distinct) == 1:
                lines.append(distinct.pop())  # a title row spanning the table, before its header
            else:
                lines.append("\t".join(cells))
                rows += 1
        if lines:
            self.blocks.append("\n".join(lines))

    def body(self, el) -> None:
        for ch in el:
            if ch.tag == _P:
                if text := self.paragraph(ch):
                    self.blocks.append(text)
            elif ch.tag == _TBL:
                self.table(ch)
            elif ch.tag in _WRAPPERS:
                self.body(ch)


def read_docx(data: bytes) -> ReadResult:
    """Read a .docx: its body's paragraphs (numbering labels restored) and tables, in order."""
    check_zip(data, ".docx")
    try:
        document = docx.Document(io.BytesIO(data))
        part = document.part
        rels = {rel.reltype.rsplit("/", 1)[-1] for rel in part.rels.values()}
        numbering_el = part.numbering_part.element if "numbering" in rels else None
        styles_el = part.styles.element if "styles" in rels else None
        reader = _Reader(Numbering(numbering_el, styles_el))
        reader.body(document.element.body)
        boxes = sum(1 for b in document.element.body.iter(_TXBX) if not any(a.tag == _FALLBACK for a in b.iterancestors()))
    except Exception as exc:  # python-docx / lxml / zip errors on a damaged file
        reason = str(exc).splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise UnreadableDocument(f"not a readable .docx: {reason}") from None
    text = "\n\n".join(reader.blocks)
    if not text.strip():
        raise UnreadableDocument("no text")
    log.debug("docx: %d blocks, %d characters", len(reader.blocks), len(text))
    return ReadResult(text, "docx", warnings=[f"{boxes} text box(es) left out"] if boxes else [])
