"""Citations: where a quote comes from, precisely enough to paste into an official draft.

``cite`` looks like::

    《贵州省进一步完善医疗卫生服务体系的实施方案（征求意见稿）》“一、总体要求”：“……每千人口拥有3岁以下婴幼儿托位数4.5个……”
    《卫生健康服务能力提升“八大工程”行动计划（2019—2022年）》（黔府办函〔2019〕12号）“一、目标任务”（三）：“……2022年,孕产妇死亡率降到18/10万……”
    《中华人民共和国医师法》第八条：“医师资格考试由省级以上人民政府卫生健康主管部门组织实施。”
    《中华人民共和国民事诉讼法》（2023年修正）第一条：“……”

Title, then the version of a law when known (2023年修正), then the 文号 when known, then the
location (the 第X条 article, or the heading path and the clause's own label), then the quote, with …… where it leaves out text of the clause.
"""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

from indexer.records import Clause

_ADMIN_UNIT = re.compile(r".+?(?:特别行政区|维吾尔自治区|壮族自治区|回族自治区|自治区|自治州|自治县|自治旗|省|市|州|盟|县|区|旗)")
_ARTICLE = re.compile(r"^第[零〇一二三四五六七八九十百千两\d]+条(?:之[一二三四五六七八九十]+)?")
_ARABIC_LABEL = re.compile(r"^(\d{1,3})[\.．、]$")
_TABLE_ROW = re.compile(r"^(?P<caption>[^：:|]{0,80})[：:](?P<cells>.*\|.*)$", re.S)
_TARGET_VALUE = re.compile(r"^\s*(?:[≥≤<>＞＜≈~约]|不低于|不高于|不少于|不超过|控制在|达到)?\s*[\d.]+")
_CLOSING = "。；;，,：:、"


_TITLE_NOTE = re.compile(r"(?<=[\u4e00-\u9fff》）)])\s*(?:(?:19|20)\d{2}年\d{1,2}月\d{1,2}日).*(?:通过|公布|修正|修订|施行|发布).*$")


def clean_title(title: str) -> str:
    """A title run into its adoption note (…医师法2021年8月20日…会议通过) loses the note."""
    t = _TITLE_NOTE.sub("", title).strip()
    return t if len(t) >= 4 else title


def inner_quotes(text: str) -> str:
    """Double quotes nested inside a “…” citation become single ones (“八大工程” → ‘八大工程’),
    except inside 《titles》, which keep their own quotes."""
    out, depth = [], 0
    for ch in text:
        if ch == "《":
            depth += 1
        elif ch == "》":
            depth = max(0, depth - 1)
        if depth == 0 and ch == "“":
            ch = "‘"
        elif depth == 0 and ch == "”":
            ch = "’"
        out.append(ch)
    return "".join(out)


def jurisdiction_label(jurisdiction: str | None) -> str:
    """The shortest unambiguous name: 安顺市平坝区 → 平坝区, 贵州省 → 贵州省."""
    if not jurisdiction:
        return ""
    units = _ADMIN_UNIT.findall(jurisdiction)
    if not units:
        return jurisdiction
    rest = jurisdiction[sum(len(u) for u in units) :]
    return (units[-1] + rest) if rest else units[-1]


def article_label(clause: Clause, ancestors: list[Clause]) -> str | None:
    """第X条 of the clause or of its nearest article ancestor (with 第N项 for an item under it)."""
    m = _ARTICLE.match(clause.label or "")
    if m:
        return m.group(0)
    for anc in reversed(ancestors):
        m = _ARTICLE.match(anc.label or "")
        if m:
            own = (clause.label or "").strip()
            if own.startswith(("（", "(")):
                return f"{m.group(0)}第{own}项"
            return m.group(0)
    return None


def label_ref(label: str) -> str:
    """How a clause's own label is cited after its heading path: （七） stays, 1. → 第1项, —— drops."""
    lab = (label or "").strip()
    if not lab or set(lab) <= set("—－-"):
        return ""
    m = _ARABIC_LABEL.match(lab)
    if m:
        return f"第{m.group(1)}项"
    if lab[-1] in "、．.":
        lab = lab[:-1]
    if lab and lab[0] in "¹²³⁴⁵⁶⁷⁸⁹⁰":
        return "注"
    return lab


def table_row_values(text: str) -> tuple[str, list[str]] | None:
    """(caption, non-empty cell values) of a ``caption：header value | header value`` row."""
    m = _TABLE_ROW.match(text)
    if not m:
        return None
    values = []
    for cell in m.group("cells").split("|"):
        cell = cell.strip()
        if not cell:
            continue
        parts = cell.split(" ", 1)
        value = parts[1].strip() if len(parts) == 2 else ""
        if value:
            values.append(value)
    return m.group("caption").strip(), values


def compact_table_row(text: str) -> str:
    """A table row as read aloud: 每千常住人口0-3岁儿童托位数 ≥ 3（预期性）.

    Cell values only, verbatim; the first value that is a target (≥ 3, 4.5, 不低于90%) follows
    the indicator before it and any later values go in brackets. Rows of another shape are
    returned whole."""
    parsed = table_row_values(text)
    if not parsed:
        return text
    _caption, values = parsed
    if not values:
        return text
    for i, v in enumerate(values):
        if i > 0 and _TARGET_VALUE.match(v):
            head = values[i - 1]
            tail = [x for x in values[i + 1 :] if x]
            s = f"{head} {v}"
            if tail:
                s += "（" + "，".join(tail) + "）"
            return s
    return " | ".join(values)


def location(clause: Clause, ancestors: list[Clause]) -> str:
    """Where in the document: 第八条 / “一、总体要求” / “二、重点工作”“——乡村能力提升工程”（七）."""
    art = article_label(clause, ancestors)
    if art:
        return art
    heads = [p.strip() for p in clause.path if p and p.strip()]
    loc = "".join(f"“{inner_quotes(h)}”" for h in heads)
    if clause.kind == "table_row":
        parsed = table_row_values(clause.text)
        if parsed and parsed[0] and parsed[0] not in heads:
            loc += f"“{inner_quotes(parsed[0])}”表"
        elif parsed:
            loc += "表"
        return loc
    if clause.kind != "heading":
        loc += label_ref(clause.label)
    return loc


def format_cite(doc: dict[str, Any], clause: Clause, ancestors: list[Clause], quote: str, *, partial_start: bool, partial_end: bool) -> str:
    title = clean_title(str(doc.get("title") or clause.title or clause.doc_id))
    number = doc.get("doc_number")
    version = doc.get("version_label")
    head = f"《{title}》" + (f"（{version}）" if version else "") + (f"（{number}）" if number else "")
    loc = location(clause, ancestors)
    q = quote.strip()
    if loc and q.startswith(loc) and not partial_start:
        q = q[len(loc) :].lstrip(" \u3000")  # 第八条：“国家实行……” rather than “第八条 国家实行……”
    body = ("……" if partial_start else "") + inner_quotes(q) + ("……" if partial_end else "")
    return f"{head}{loc}{page_note(clause)}：“{body}”"


def page_note(clause: Clause) -> str:
    """（第3页） or （第3—4页，OCR识别） for a clause of a paged source; empty otherwise."""
    pages = list(getattr(clause, "pages", None) or [])
    if not pages:
        return ""
    where = f"第{pages[0]}页" if len(pages) == 1 else f"第{pages[0]}—{pages[-1]}页"
    return f"（{where}{'，OCR识别' if getattr(clause, 'ocr', False) else ''}）"


ROLE_LABELS = {"answer": "答案依据", "related": "相关条款", "possibly_related": "可能相关", "result": "检索结果"}


@dataclass
class Citation:
    marker: int
    role: str  # answer | related (answer found) | possibly_related (nothing found) | result (/search)
    clause_id: str
    doc_id: str
    doc_title: str
    doc_number: str | None
    jurisdiction: str | None
    period: str | None
    status: str | None
    source: str
    kind: str
    label: str
    path: list[str]
    text: str
    quote: str
    score: float
    lines: list[int]
    cite: str
    quote_spans: list[list[int]] = field(default_factory=list)  # [start, end) offsets of the quote in text
    role_label: str = ""
    pages: list[int] = field(default_factory=list)  # pages of a PDF source the clause lies on
    ocr: bool = False  # its text was recognised from a scanned page
    version_label: str | None = None  # 2023年修正: which version of a law is quoted
    validity: str | None = None  # 现行有效 / 已被修改 / 已废止 / 尚未生效 (as of the index build)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def build_citation(
    marker: int,
    role: str,
    clause: Clause,
    doc: dict[str, Any],
    ancestors: list[Clause],
    spans: list[tuple[int, int]],
    score: float,
) -> Citation:
    """A citation quoting ``spans`` (offsets into ``clause.text``, in order) of ``clause``."""
    text = clause.text
    spans = sorted(spans) or [(0, len(text))]
    if clause.kind == "table_row" and spans == [(0, len(text))]:
        quote = compact_table_row(text)
        partial_start = partial_end = False
    else:
        pieces = []
        for i, (a, b) in enumerate(spans):
            piece = text[a:b].strip()
            if i and spans[i - 1][1] < a and text[spans[i - 1][1] : a].strip(" \t\r\n\u3000，,；;：:、。"):
                pieces.append("……")
            pieces.append(piece)
        quote = "".join(pieces)
        start, end = spans[0][0], spans[-1][1]
        partial_start = bool(text[:start].strip()) and not _only_label(text[:start], clause.label)
        partial_end = bool(text[end:].strip(_CLOSING + " \n"))
    cite = format_cite(doc, clause, ancestors, quote, partial_start=partial_start, partial_end=partial_end)
    return Citation(
        marker=marker,
        role=role,
        role_label=ROLE_LABELS.get(role, ""),
        clause_id=clause.id,
        doc_id=clause.doc_id,
        doc_title=clean_title(str(doc.get("title") or clause.title or "")),
        doc_number=doc.get("doc_number"),
        jurisdiction=doc.get("jurisdiction"),
        period=doc.get("period"),
        status=doc.get("status"),
        source=str(doc.get("source") or clause.source),
        kind=clause.kind,
        label=clause.label,
        path=list(clause.path),
        text=text,
        quote=quote,
        score=round(float(score), 4),
        lines=list(clause.lines),
        cite=cite,
        quote_spans=[[a, b] for a, b in spans],
        pages=list(clause.pages),
        ocr=bool(clause.ocr),
        version_label=doc.get("version_label"),
        validity=doc.get("validity"),
    )


def _only_label(prefix: str, label: str) -> bool:
    return bool(label) and prefix.strip() == label.strip()
