"""Split a cleaned policy document into a tree of clauses with stable, structural ids.

The numbering hierarchy these documents use, outermost first::

    # markdown / 第X编 / 第X章, 前言, 目录 / 第X节 / 专栏X / 第X条 / 一、 / —— / （一） / 1. / （1） / ①

Levels missing from a document are simply skipped. Mis-numbered labels (``（1）`` where the
siblings are ``（二）``, ``5、`` standing for ``五、``) are placed by sequence and shape, not by
their printed style alone. Wrapped lines are joined, tables become one clause per row.
"""
from __future__ import annotations

import re
import statistics
from dataclasses import dataclass, field

from .records import Clause
from .textclean import WEB_FOOTER_LINES, LineRepair, clean_line

CN_DIGITS = "零〇一二三四五六七八九十百千两"
_CN_VALUES = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳"
SUPERSCRIPTS = "¹²³⁴⁵⁶⁷⁸⁹⁰"

TERMINAL = "。！？；;!?：:"
_CLOSERS = "”’」』）)》〕]"
# A line ending in one of these is grammatically unfinished, whatever its length.
_UNFINISHED = "的和及与或、，,（(《“"

# Ranks: smaller is outer. Each entry: family -> default rank.
RANK = {
    "part": 1.0,  # 第X编
    "subpart": 1.5,  # 第X分编
    "chapter": 2.0,  # 第X章
    "front": 2.0,  # 前言 / 目录 / 附件 / 附则 as a standalone line
    "section": 3.0,  # 第X节
    "box": 3.5,  # 专栏X
    "article": 4.0,  # 第X条
    "cn": 5.0,  # 一、
    "dash": 5.5,  # ——
    "paren_cn": 6.0,  # （一）
    "arabic": 7.0,  # 1. 1、 1．
    "paren_arabic": 8.0,  # （1）
    "circled": 9.0,  # ①
}
# Labels printed with a space before their title (第一章 总则): the space is kept for reading.
_SPACED_FAMILIES = {"part", "subpart", "chapter", "section", "article", "box"}
# A family that documents sometimes print in place of another level: (family -> alternative rank).
ALT_RANK = {"arabic": RANK["cn"], "paren_arabic": RANK["paren_cn"]}

_NUM = f"[{CN_DIGITS}]+"
_LABEL_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("subpart", re.compile(rf"^(第({_NUM})分编)[\s\u3000]*(.*)$")),
    ("part", re.compile(rf"^(第({_NUM})编)[\s\u3000]*(.*)$")),
    ("chapter", re.compile(rf"^(第({_NUM}|\d+)章)[\s\u3000]*(.*)$")),
    ("section", re.compile(rf"^(第({_NUM}|\d+)节)[\s\u3000]*(.*)$")),
    ("article", re.compile(rf"^(第({_NUM})条(?:之[{CN_DIGITS}]+)?)(?:[\s\u3000]+|(?![规的所中至和、，或款项])(?=\S))(.*)$")),
    ("box", re.compile(rf"^(专栏({_NUM}|\d+))[\s\u3000]*(.*)$")),
    ("cn", re.compile(r"^(([一二三四五六七八九十]{1,3})[、．.])[\s\u3000]*(.*)$")),
    ("dash", re.compile(r"^(—{2,}|－{2,}|-{2,})()[\s\u3000]*(.*)$")),
    ("paren_cn", re.compile(r"^([（(]([一二三四五六七八九十]{1,4})[）)])[\s\u3000]*(.*)$")),
    ("arabic", re.compile(r"^((\d{1,3})(?:[\.．](?!\d)|、))[\s\u3000]*(.*)$")),
    ("paren_arabic", re.compile(r"^([（(](\d{1,3})[）)])[\s\u3000]*(.*)$")),
    ("circled", re.compile(rf"^(([{CIRCLED}]))[\s\u3000]*(.*)$")),
]
_FRONT = re.compile(r"^(前\s*言|序\s*言|引\s*言|目\s*录|附\s*则|附\s*件\d*|后\s*记)[:：]?$")
_MD_HEADING = re.compile(r"^(#{1,6})\s+(.*)$")
_TOC_ENTRY = re.compile(r"^(.*?)[\s\.…·．。]*\t?\s*(\d{1,3})$")
# "（三）的要求", "1.中所列": an in-text reference at a line start, not a label.
_REFERENCE_AFTER_LABEL = re.compile(
    r"^(的|所列|所述|所称|项(?:规定|所|的|中|和|、|至)|款(?:规定|所|的|中|和|、)|规定的|规定[，,。]|要求的|中的|中规定|之规定)"
)


def cn_to_int(s: str) -> int:
    """Chinese numeral (一 … 九千九百九十九) or ASCII digits to int."""
    if s.isdigit():
        return int(s)
    total, unit_val, num = 0, 0, 0
    units = {"十": 10, "百": 100, "千": 1000}
    for ch in s:
        if ch in _CN_VALUES:
            num = _CN_VALUES[ch]
        elif ch in units:
            unit_val = units[ch]
            total += (num or 1) * unit_val
            num = 0
    return total + num


def int_to_cn(n: int) -> str:
    """Int to a Chinese numeral as documents print them (1 → 一, 12 → 十二, 47 → 四十七)."""
    digits = "零一二三四五六七八九"
    if n <= 0:
        return "零"
    if n < 10:
        return digits[n]
    if n < 20:
        return "十" + (digits[n % 10] if n % 10 else "")
    if n < 100:
        return digits[n // 10] + "十" + (digits[n % 10] if n % 10 else "")
    if n < 1000:
        rest = n % 100
        s = digits[n // 100] + "百"
        if rest == 0:
            return s
        if rest < 10:
            return s + "零" + digits[rest]
        return s + (digits[rest // 10] + "十" + (digits[rest % 10] if rest % 10 else ""))
    return str(n)


@dataclass
class Label:
    family: str
    printed: str  # the label as printed, e.g. "（1）"
    value: int
    rest: str  # the line's text after the label (cleaned)
    md_level: int = 0


@dataclass
class Unit:
    """A logical line: wrapped source lines joined, or a whole table/TOC block."""

    kind: str  # line | toc | table | footnote | caption
    first: int
    last: int
    text: str
    raw_first: str = ""
    rows: list[list[str]] = field(default_factory=list)
    row_lines: list[int] = field(default_factory=list)
    label: Label | None = None
    joined: int = 0


@dataclass
class Node:
    rank: float
    kind: str  # clause | paragraph | heading | table_row
    label: Label | None
    segment: str
    text: str
    first: int
    last: int
    heading_like: bool = False
    parent: "Node | None" = None
    children: list["Node"] = field(default_factory=list)
    absorbs: bool = False  # 第X条 articles keep everything until the next article or heading
    title: str = ""


@dataclass
class ParsedDocument:
    """Result of parsing one document."""

    title: str
    clauses: list[Clause]
    repairs: LineRepair
    joined_lines: int
    source_lines: int


def classify(raw: str, clean: str) -> Label | None:
    """The structural label a line starts with, if any (in-text references are not labels)."""
    raw = raw.strip()
    m = _MD_HEADING.match(raw)
    if m:
        inner_raw = m.group(2).strip()
        inner = clean_line(inner_raw)
        lab = classify(inner_raw, inner)
        level = len(m.group(1))
        if lab and lab.family in ("part", "subpart", "chapter", "section", "article", "cn", "front"):
            lab.md_level = level
            return lab
        return Label("md", "#" * level, level, inner, md_level=level)
    f = _FRONT.match(clean)
    if f:
        word = re.sub(r"\s", "", f.group(1))
        return Label("front", word, 0, "")
    for family, pat in _LABEL_PATTERNS:
        line = raw
        m = pat.match(raw)
        if not m and family != "article":
            # Letter-spaced PDF labels such as "(二十 一)" match once the stray spaces are gone.
            line = clean
            m = pat.match(clean)
        if not m:
            continue
        printed, num, _ = m.group(1), m.group(2), m.group(3)
        rest = clean_line(line[m.end(1):])
        spaced = line[m.end(1):m.end(1) + 1] in (" ", "\u3000", "\t")
        if family != "dash" and not spaced and _REFERENCE_AFTER_LABEL.match(rest):
            return None
        if family == "dash" and not rest:
            return None
        if family == "circled":
            value = CIRCLED.index(num) + 1
        elif family == "dash":
            value = 0
        else:
            value = cn_to_int(num)
        return Label(family, printed.strip(), value, rest)
    return None


def _ends_terminal(text: str) -> bool:
    t = text.rstrip(_CLOSERS) if text and text[-1] in "”’" else text
    return bool(t) and t[-1] in TERMINAL


def _heading_like(label: Label | None, text: str) -> bool:
    """A label followed by a short title and no sentence: a heading rather than a clause."""
    if label is None:
        return False
    if label.family in ("part", "subpart", "chapter", "section", "front", "box", "md"):
        return True
    if label.family == "article":
        return False
    rest = label.rest
    if not rest or len(rest) > 40:
        return not rest
    body = rest[:-1] if rest.endswith(("。", ".")) else rest
    return not any(c in body for c in "。；;！？!?")


class _Lines:
    """Source lines with their cleaned form (blank lines dropped)."""

    def __init__(self, text: str, repairs: LineRepair):
        raw_lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
        entries = []
        for no, raw in enumerate(raw_lines, start=1):
            clean = clean_line(raw, repairs)
            if clean:
                stripped = re.sub(r"\*\*|\[bookmark:[^\]]*\]|<!--.*?-->", "", raw).replace("\ufeff", "").strip(" \u3000\u00a0\r")
                entries.append((no, stripped, clean))
        while entries and entries[-1][2] in WEB_FOOTER_LINES:
            entries.pop()
        self.entries = entries
        self.count = len(raw_lines)


def _wrap_width(entries: list[tuple[int, str, str]]) -> float:
    """Width at which a PDF extraction wrapped lines, or infinity for unwrapped text."""
    lens = [len(c) for _, _, c in entries if "\t" not in c]
    open_lens = [len(c) for _, _, c in entries if "\t" not in c and not _ends_terminal(c)]
    if len(lens) < 20 or len(open_lens) < 0.4 * len(lens):
        return float("inf")
    med = statistics.median(open_lens)
    q1, q3 = statistics.quantiles(open_lens, n=4)[0], statistics.quantiles(open_lens, n=4)[2]
    return med if (q3 - q1) <= 0.35 * med else float("inf")


_MD_TABLE_SEPARATOR = re.compile(r"^\|?(\s*:?-{2,}:?\s*\|)+\s*:?-*:?\s*\|?$")


def _is_md_table_line(raw: str) -> bool:
    s = raw.strip()
    return s.startswith("|") and s.endswith("|") and s.count("|") >= 3


def _is_table_line(raw: str) -> bool:
    """A tab-separated row with two or more filled cells, or a markdown ``| a | b |`` row."""
    if _is_md_table_line(raw):
        return True
    return raw.count("\t") >= 1 and len([c for c in raw.split("\t") if c.strip()]) >= 2


def table_cells(raw: str) -> list[str] | None:
    """The cells of a table row (``None`` for a markdown separator row such as ``|---|---|``)."""
    s = raw.strip()
    if _is_md_table_line(s):
        if _MD_TABLE_SEPARATOR.match(s):
            return None
        return [clean_line(c) for c in s[1:-1].split("|")]
    return [clean_line(c) for c in raw.split("\t")]


def build_units(text: str, repairs: LineRepair) -> tuple[list[Unit], int]:
    """Join wrapped lines into logical units; collect TOC and table blocks whole."""
    lines = _Lines(text, repairs)
    entries = lines.entries
    width = _wrap_width(entries)
    units: list[Unit] = []
    i, n = 0, len(entries)
    seen_label = False
    while i < n:
        no, raw, clean = entries[i]
        label = classify(raw, clean)
        # Table of contents: a 目录 line followed by entries ending in page numbers.
        if label and label.family == "front" and label.printed == "目录":
            j, toc_lines = i + 1, []
            while j < n and _TOC_ENTRY.match(entries[j][1]) and not _ends_terminal(entries[j][2]):
                toc_lines.append(entries[j])
                j += 1
            if toc_lines:
                body = "\n".join(c for _, _, c in toc_lines)
                units.append(Unit("toc", no, toc_lines[-1][0], "目录\n" + body, raw, label=label))
                i = j
                continue
        if _is_table_line(raw):
            j, rows, row_lines = i, [], []
            while j < n and _is_table_line(entries[j][1]):
                cells = table_cells(entries[j][1])
                if cells is not None:
                    rows.append(cells)
                    row_lines.append(entries[j][0])
                j += 1
            if len(rows) >= 2:
                # The short unlabeled line right before a table is its caption.
                if units and units[-1].kind == "line" and units[-1].label is None and len(units[-1].text) <= 40 and not _ends_terminal(units[-1].text):
                    units[-1].kind = "caption"
                units.append(Unit("table", no, entries[j - 1][0], "\n".join(" | ".join(r) for r in rows), raw, rows=rows, row_lines=row_lines))
                i = j
                continue
        if clean[0] in SUPERSCRIPTS:
            units.append(Unit("footnote", no, no, clean, raw))
            i += 1
            continue
        unit = Unit("line", no, no, clean, raw, label=label)
        # Body text starts at the first structural label ("# title" lines are still front matter).
        seen_label = seen_label or (label is not None and not (label.family == "md" and label.md_level == 1))
        i += 1
        pending_notes: list[Unit] = []
        while i < n:
            nno, nraw, nclean = entries[i]
            if nclean[0] in SUPERSCRIPTS:
                pending_notes.append(Unit("footnote", nno, nno, nclean, nraw))
                i += 1
                continue
            if not _should_join(unit, nraw, nclean, width, seen_label):
                break
            unit.text += nclean
            if unit.label is not None:
                unit.label.rest += nclean
            unit.last = nno
            unit.joined += 1
            i += 1
        units.append(unit)
        units.extend(pending_notes)
    return units, lines.count


def _should_join(unit: Unit, nraw: str, nclean: str, width: float, in_body: bool) -> bool:
    """Whether the next line continues ``unit`` (a line wrapped by the extraction)."""
    text = unit.text
    if _ends_terminal(text) or _is_table_line(nraw) or classify(nraw, nclean) is not None:
        return False
    if _FRONT.match(nclean) or nclean in WEB_FOOTER_LINES:
        return False
    label = unit.label
    if label is not None:
        if label.family in ("part", "subpart", "chapter", "section", "front", "box", "md"):
            return False
        if _heading_like(label, text) and len(text) < 0.8 * width:
            return False
    if text[-1] in _UNFINISHED:
        return True
    if label is not None or in_body:
        return text[-1] not in _CLOSERS or len(text) >= 0.8 * width
    # Front matter: title lines stand alone unless the line is visibly cut.
    return len(text) >= 0.8 * width or any(c in text for c in "。，,；;")


def split_sentences(text: str) -> list[tuple[int, int]]:
    """``[start, end)`` offsets of the sentences of ``text``: split after 。！？；, never inside brackets."""
    spans: list[tuple[int, int]] = []
    start, depth, i, n = 0, 0, 0, len(text)
    while i < n:
        ch = text[i]
        if ch in "（(〔[《":
            depth += 1
        elif ch in "）)〕]》":
            depth = max(0, depth - 1)
        elif ch == "\n":
            _add_span(spans, text, start, i)
            start, depth = i + 1, 0
        elif ch in "。！？；;!?" and depth == 0:
            j = i + 1
            while j < n and text[j] in "”’」』":
                j += 1
            _add_span(spans, text, start, j)
            start, i = j, j - 1
        i += 1
    _add_span(spans, text, start, n)
    return spans


def _add_span(spans: list[tuple[int, int]], text: str, a: int, b: int) -> None:
    while a < b and text[a].isspace():
        a += 1
    while b > a and text[b - 1].isspace():
        b -= 1
    if b > a:
        spans.append((a, b))


def _segment(label: Label, rank: float) -> str:
    """Canonical id segment of a label at the rank it was placed at."""
    v = label.value
    if label.family == "md":
        return re.sub(r"[\s/]+", "", label.rest)[:16] or f"h{label.md_level}"
    if label.family == "front":
        return label.printed
    if label.family in ("part", "subpart", "chapter", "section", "article", "box"):
        return re.sub(r"\s", "", label.printed).replace("(", "（").replace(")", "）")
    if rank == RANK["cn"]:
        return int_to_cn(v)
    if rank == RANK["paren_cn"]:
        return f"（{int_to_cn(v)}）"
    if rank == RANK["arabic"]:
        return str(v)
    if rank == RANK["paren_arabic"]:
        return f"（{v}）"
    if rank == RANK["circled"]:
        return CIRCLED[v - 1] if 0 < v <= len(CIRCLED) else f"({v})"
    return label.printed


def _label_rank(label: Label) -> float:
    if label.family == "md":
        return {1: 0.0, 2: 1.2, 3: 2.2, 4: 3.2, 5: 4.2, 6: 4.3}[label.md_level]
    return RANK[label.family]


def _node_title(node: Node) -> str:
    """Short text naming a node in a heading path."""
    if node.kind == "heading":
        return node.text.split("\n", 1)[0]
    first = node.text.split("\n", 1)[0]
    spans = split_sentences(first)
    head = first[spans[0][0]:spans[0][1]] if spans else first
    head = head.rstrip("。；;")
    return head if len(head) <= 40 else head[:40] + "…"


class _TreeBuilder:
    def __init__(self, units: list[Unit]):
        self.units = units
        self.root = Node(-1.0, "heading", None, "", "", 0, 0)
        self.stack: list[Node] = [self.root]
        self.in_front = True

    def _next_label_rank(self, idx: int) -> float | None:
        for u in self.units[idx + 1:]:
            if u.label is not None:
                return _label_rank(u.label)
        return None

    def _choose_rank(self, label: Label, heading_like: bool, idx: int) -> float:
        default = _label_rank(label)
        alt = ALT_RANK.get(label.family)
        if alt is None:
            return default
        best, best_score = default, -1.0
        for rank in (default, alt):
            parent = self._parent_for(rank)
            prev = next((c for c in reversed(parent.children) if c.rank == rank and c.label), None)
            score = 0.0
            if (prev is None and label.value == 1) or (prev is not None and prev.label and label.value == prev.label.value + 1):
                score += 2
            if prev is not None and prev.heading_like == heading_like:
                score += 1
            if prev is not None and prev.label and prev.label.family == label.family and prev.label.printed[-1:] == label.printed[-1:]:
                score += 1
            nxt = self._next_label_rank(idx)
            if heading_like and nxt is not None and nxt > rank:
                score += 1
            if score > best_score:
                best, best_score = rank, score
        return best

    def _parent_for(self, rank: float) -> Node:
        for node in reversed(self.stack):
            if node.rank < rank:
                return node
        return self.root

    def _open(self, node: Node) -> None:
        while self.stack[-1] is not self.root and self.stack[-1].rank >= node.rank:
            self.stack.pop()
        parent = self.stack[-1]
        node.parent = parent
        parent.children.append(node)
        self.stack.append(node)

    def _attach_leaf(self, node: Node) -> None:
        parent = self.stack[-1]
        node.parent = parent
        parent.children.append(node)

    def build(self) -> Node:
        last_label_idx = max((k for k, u in enumerate(self.units) if u.label is not None), default=-1)
        for idx, unit in enumerate(self.units):
            top = self.stack[-1]
            label = unit.label
            if unit.kind == "line" and label is not None and label.family != "dash" or (label and label.family == "dash"):
                if top.absorbs and _label_rank(label) > RANK["article"] and label.family != "md":
                    self._continue(top, unit)
                    continue
                if label.family == "md" and label.md_level == 1:
                    # "# 标题" lines name the document; they do not open a section.
                    self._attach_leaf(Node(0.5, "heading", None, "", label.rest, unit.first, unit.last, True))
                    continue
                self.in_front = False
                heading_like = _heading_like(label, unit.text)
                rank = self._choose_rank(label, heading_like, idx)
                kind = "heading" if heading_like else "clause"
                text = unit.text
                if label.family == "md":
                    text = label.rest
                elif label.family in _SPACED_FAMILIES and label.rest and (label.md_level or text.startswith(label.printed)):
                    text = f"{label.printed} {label.rest}"
                elif label.md_level:
                    text = label.printed + label.rest
                node = Node(rank, kind, label, _segment(label, rank), text, unit.first, unit.last, heading_like)
                node.absorbs = label.family == "article"
                self._open(node)
                continue
            if unit.kind == "toc":
                node = Node(RANK["front"], "heading", unit.label, "目录", unit.text, unit.first, unit.last, True)
                self._open(node)
                self.stack.pop()
                continue
            if unit.kind == "table":
                self._table(unit, idx)
                continue
            if unit.kind == "caption":
                while len(self.stack) > 1 and self.stack[-1].kind == "clause" and not self.stack[-1].absorbs:
                    self.stack.pop()
                self._attach_leaf(Node(99.0, "heading", None, "", unit.text, unit.first, unit.last, True))
                continue
            # Unlabeled line or footnote.
            if top.absorbs or (top.kind == "clause" and unit.kind == "line" and not (idx > last_label_idx and top.rank > RANK["article"])):
                self._continue(top, unit)
                continue
            if self.in_front and unit.kind == "line" and len(unit.text) <= 40 and not _ends_terminal(unit.text):
                same = next((c for c in self.root.children if c.kind == "heading" and c.text == unit.text), None)
                if same is not None:
                    # A title printed again (web extractions repeat it): one clause, wider line span.
                    same.last = max(same.last, unit.last)
                    continue
                node = Node(0.5, "heading", None, "", unit.text, unit.first, unit.last, True)
                self._attach_leaf(node)
                continue
            parent = self.stack[-1]
            if idx > last_label_idx and parent.kind == "clause" and not parent.absorbs:
                # Text after the document's last numbered item closes the whole document.
                del self.stack[1:]
            node = Node(99.0, "paragraph", None, "", unit.text, unit.first, unit.last)
            if unit.kind == "footnote":
                node.label = Label("footnote", unit.text[0], 0, unit.text[1:])
            self._attach_leaf(node)
        return self.root

    def _continue(self, node: Node, unit: Unit) -> None:
        node.text += "\n" + unit.text
        node.last = max(node.last, unit.last)
        if node.kind == "heading" and node.label and node.label.family == "article":
            node.kind = "clause"

    def _table(self, unit: Unit, idx: int) -> None:
        parent = self.stack[-1]
        while parent.kind == "clause" and parent is not self.root and not parent.absorbs and len(self.stack) > 1:
            self.stack.pop()
            parent = self.stack[-1]
        caption = ""
        if parent.children and parent.children[-1].kind == "heading" and parent.children[-1].label is None:
            caption = parent.children[-1].text
        elif idx > 0 and self.units[idx - 1].kind == "caption":
            caption = self.units[idx - 1].text
        rows = unit.rows
        width = max(len(r) for r in rows)
        header = [c for c in rows[0]] + [""] * (width - len(rows[0]))
        table_no = 1 + sum(1 for c in parent.children if c.segment.startswith("表"))
        table = Node(99.0, "table", None, f"表{table_no}", caption, unit.first, unit.last)
        table.parent = parent
        parent.children.append(table)
        prev_cells: list[str] = [""] * width
        for r, (row, line_no) in enumerate(zip(rows[1:], unit.row_lines[1:]), start=1):
            cells = row + [""] * (width - len(row))
            # Blank leading cells continue the row above (merged cells in the source table).
            for c in range(width):
                if cells[c]:
                    break
                cells[c] = prev_cells[c]
            prev_cells = cells
            parts = [f"{h} {v}".strip() for h, v in zip(header, cells) if v or h]
            text = (caption + "：" if caption else "") + " | ".join(parts)
            row_node = Node(99.0, "table_row", None, str(r), text, line_no, line_no)
            row_node.parent = table
            row_node.title = next((v for v in cells[1:] if v), cells[0])
            table.children.append(row_node)
        table.first, table.last = unit.first, unit.last


def parse_document(text: str, doc_id: str, source: str) -> ParsedDocument:
    """Parse one document's text into clauses (ids ``<doc_id>/<path>``) in reading order."""
    repairs = LineRepair()
    units, line_count = build_units(text, repairs)
    root = _TreeBuilder(units).build()
    clauses: list[Clause] = []
    counters: dict[int, dict[str, int]] = {}

    def seg_for(node: Node, parent: Node) -> str:
        c = counters.setdefault(id(parent), {})
        if node.kind == "paragraph" and node.label is None:
            base = "p"
        elif node.kind == "paragraph":
            base = "注"
        elif node.kind == "heading" and node.label is None:
            base = "h"
        elif node.label is not None and node.label.family == "dash":
            base = "——"
        else:
            base = ""
        if base:
            c[base] = c.get(base, 0) + 1
            return f"{base}{c[base]}"
        seg = node.segment
        c[seg] = c.get(seg, 0) + 1
        return seg if c[seg] == 1 else f"{seg}~{c[seg]}"

    def walk(node: Node, prefix: str, path: list[str], parent_id: str | None) -> None:
        for child in node.children:
            seg = child.segment if child.kind in ("table", "table_row") else seg_for(child, node)
            cid = f"{prefix}/{seg}"
            if child.kind == "table":
                walk(child, cid, path, parent_id)
                continue
            title = child.title or _node_title(child)
            label = child.label.printed if child.label and child.label.family not in ("md",) else ""
            clauses.append(
                Clause(
                    id=cid,
                    doc_id=doc_id,
                    source=source,
                    kind=child.kind,
                    label=label,
                    path=list(path),
                    text=child.text,
                    sentences=split_sentences(child.text),
                    lines=(child.first, child.last),
                    parent_id=parent_id,
                    order=len(clauses),
                    title=title,
                )
            )
            if child.children:
                walk(child, cid, path + [title], cid)

    walk(root, doc_id, [], None)
    title = _document_title(clauses)
    joined = sum(u.joined for u in units)
    return ParsedDocument(title=title, clauses=clauses, repairs=repairs, joined_lines=joined, source_lines=line_count)


def _document_title(clauses: list[Clause]) -> str:
    """The first front-matter heading lines, joined, or the first clause's opening."""
    heads: list[str] = []
    for c in clauses:
        # Title lines come first; a dated line (adoption note, 文号, 2022年4月) ends the title.
        if c.kind != "heading" or c.label or c.path or (heads and re.search(r"\d", c.text)):
            break
        heads.append(c.text)
        if len("".join(heads)) >= 12:
            break
    if heads:
        return "".join(heads)[:80]
    return clauses[0].title[:40] if clauses else ""
