"""Export of the citation basket and of whole conversations: Markdown text and Word (.docx) files.

Each citation is written with its formal reference (the service's ``cite`` string), the quoted
sentence, the full clause text and an 出处 for humans: 《title》, the place in the document
(一、总体要求 › （二）, 第三章 › 第十条) and the page of a paged source (第3页，OCR识别) — never the
internal file name or line numbers. Word files are A4 with official margins and fonts
(``ui.docx_layout``).
"""
from __future__ import annotations

import io
from datetime import datetime
from typing import Any, Iterable

from ui.docx_layout import NOTE_PT, SMALL_PT, add_text, heading, new_document
from ui.format import cite_string, heading_path

TITLE = "引文清单"
CONVERSATION_TITLE = "问答记录"
NOT_CITABLE = "可能相关（未找到答案，仅供查阅，不作引用）"


def location(item: dict[str, Any]) -> str:
    """Where in the document: ``一、总体要求 › （二）`` or ``第三章 › 第十条`` (heading path, then label)."""
    label = (item.get("label") or "").strip()
    path = [p for p in (item.get("path") or []) if p]
    if label and path and path[-1].startswith(label):  # a heading's own label is already its path's end
        label = ""
    return " › ".join(p for p in [heading_path({"path": path}), label] if p)


def page_text(item: dict[str, Any]) -> str:
    """``第3页`` / ``第3—4页``, with ``（OCR识别）`` when the text was recognised from a scan."""
    pages = [p for p in (item.get("pages") or []) if isinstance(p, int)]
    if not pages:
        return ""
    where = f"第{pages[0]}页" if len(pages) == 1 or pages[0] == pages[-1] else f"第{pages[0]}—{pages[-1]}页"
    return where + ("（OCR识别）" if item.get("ocr") else "")


def provenance(item: dict[str, Any]) -> str:
    """The 出处 a reader can find again: 《title》（文号） location 第N页."""
    title = item.get("doc_title") or item.get("doc_id") or ""
    head = (f"《{title}》" if title else "") + (f"（{item['doc_number']}）" if item.get("doc_number") else "")
    return " ".join(p for p in [head, location(item), page_text(item)] if p)


def _heading(n: int | str, item: dict[str, Any]) -> str:
    """``1. 《标题》 一、总体要求 › （二）``: which document and where; the cite line says the rest."""
    title = item.get("doc_title") or item.get("doc_id") or ""
    return f"{n}. " + " ".join(p for p in [f"《{title}》" if title else "", location(item)] if p)


def _now(now: datetime | None) -> str:
    return (now or datetime.now()).strftime("%Y-%m-%d %H:%M")


def _citation_markdown(item: dict[str, Any], head: str, citable: bool = True) -> list[str]:
    out = [head, ""]
    quote = (item.get("quote") or "").strip()
    if quote:
        out += [f"> {quote}", ""]
    if citable:
        out.append(f"- 引文：{cite_string(item)}")
    out.append(f"- 出处：{provenance(item)}")
    text = (item.get("text") or "").strip()
    if text and text != quote:
        out += ["- 条款原文：", ""] + ["    " + line for line in text.splitlines()]
    out.append("")
    return out


def to_markdown(items: Iterable[dict[str, Any]], now: datetime | None = None) -> str:
    """The basket as Markdown: one numbered section per citation."""
    items = list(items)
    out = [f"# {TITLE}", "", f"共 {len(items)} 条，生成于 {_now(now)}。", ""]
    for n, item in enumerate(items, 1):
        out += _citation_markdown(item, f"## {_heading(n, item)}")
    return "\n".join(out).rstrip() + "\n"


def _citation_docx(doc: Any, item: dict[str, Any], head: str, citable: bool = True, level: int = 2) -> None:
    heading(doc, head, level=level)
    quote = (item.get("quote") or "").strip()
    if quote:
        add_text(doc.add_paragraph(style="Quote"), f"“{quote}”")
    if citable:
        p = doc.add_paragraph()
        add_text(p, "引文：", bold=True)
        add_text(p, cite_string(item))
    p = doc.add_paragraph()
    add_text(p, "出处：", bold=True)
    add_text(p, provenance(item))
    text = (item.get("text") or "").strip()
    if text and text != quote:
        p = doc.add_paragraph()
        add_text(p, "条款原文：", size_pt=SMALL_PT, bold=True)
        add_text(p, text, size_pt=SMALL_PT, grey=True)


def _save(doc: Any) -> bytes:
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def to_docx(items: Iterable[dict[str, Any]], now: datetime | None = None) -> bytes:
    """The basket as a Word file (A4, official fonts), one numbered section per citation."""
    items = list(items)
    doc = new_document(TITLE)
    heading(doc, TITLE, level=1)
    add_text(doc.add_paragraph(), f"共 {len(items)} 条，生成于 {_now(now)}。", size_pt=NOTE_PT, grey=True)
    for n, item in enumerate(items, 1):
        _citation_docx(doc, item, _heading(n, item))
    return _save(doc)


# --- a whole conversation -------------------------------------------------------------------------
def _turns(conversation: dict[str, Any]) -> list[dict[str, Any]]:
    turns = conversation.get("turns")
    return [t for t in turns if isinstance(t, dict)] if isinstance(turns, list) else []


def _split(citations: Any) -> tuple[list[dict], list[dict]]:
    """(citable, not citable): 可能相关 clauses of a not-found answer cannot be cited."""
    cites = [c for c in (citations or []) if isinstance(c, dict)]
    return ([c for c in cites if c.get("role") != "possibly_related"],
            [c for c in cites if c.get("role") == "possibly_related"])


def _resolved(turn: dict[str, Any]) -> str:
    resolved = (turn.get("resolved_question") or "").strip()
    return resolved if resolved and resolved != (turn.get("question") or "").strip() else ""


def _marker(c: dict[str, Any], i: int) -> str:
    return f"[{c.get('marker') or i}]"


def conversation_markdown(conversation: dict[str, Any], now: datetime | None = None) -> str:
    """A conversation (``GET /conversations/{id}``) as Markdown: each question, its answer, its citations."""
    turns = _turns(conversation)
    title = (conversation.get("title") or CONVERSATION_TITLE).strip()
    out = [f"# {title}", "", f"共 {len(turns)} 问，导出于 {_now(now)}。", ""]
    for n, turn in enumerate(turns, 1):
        out += [f"## 问{n}：{(turn.get('question') or '').strip()}", ""]
        if _resolved(turn):
            out += [f"按「{_resolved(turn)}」理解。", ""]
        response = turn.get("response") if isinstance(turn.get("response"), dict) else {}
        out += [f"**答**：{(response.get('answer') or '（无回答）').strip()}", ""]
        citable, related = _split(response.get("citations"))
        for i, c in enumerate(citable, 1):
            out += _citation_markdown(c, f"### {_marker(c, i)} {location(c) or provenance(c)}")
        for i, c in enumerate(related, 1):
            out += _citation_markdown(c, f"### {NOT_CITABLE} {i}", citable=False)
    return "\n".join(out).rstrip() + "\n"


def conversation_docx(conversation: dict[str, Any], now: datetime | None = None) -> bytes:
    """A conversation as a Word file (A4, official fonts): each answer followed by its citations."""
    turns = _turns(conversation)
    title = (conversation.get("title") or CONVERSATION_TITLE).strip()
    doc = new_document(title)
    heading(doc, title, level=1)
    add_text(doc.add_paragraph(), f"共 {len(turns)} 问，导出于 {_now(now)}。", size_pt=NOTE_PT, grey=True)
    for n, turn in enumerate(turns, 1):
        heading(doc, f"问{n}：{(turn.get('question') or '').strip()}", level=2)
        if _resolved(turn):
            add_text(doc.add_paragraph(), f"按「{_resolved(turn)}」理解。", size_pt=SMALL_PT, grey=True)
        response = turn.get("response") if isinstance(turn.get("response"), dict) else {}
        p = doc.add_paragraph()
        add_text(p, "答：", bold=True)
        add_text(p, (response.get("answer") or "（无回答）").strip())
        citable, related = _split(response.get("citations"))
        for i, c in enumerate(citable, 1):
            _citation_docx(doc, c, f"{_marker(c, i)} {location(c) or provenance(c)}", level=3)
        for i, c in enumerate(related, 1):
            _citation_docx(doc, c, f"{NOT_CITABLE} {i}", citable=False, level=3)
    return _save(doc)


def docx_text(data: bytes) -> str:
    """All paragraph text of a .docx (used by the tests and for a quick preview)."""
    from docx import Document

    return "\n".join(p.text for p in Document(io.BytesIO(data)).paragraphs)
