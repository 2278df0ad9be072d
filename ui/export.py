"""Export of the citation basket: Markdown text and a Word (.docx) file.

Each citation is written with its formal reference (the service's ``cite`` string), the quoted
sentence and the full clause text, so it can be pasted into an official draft.
"""
from __future__ import annotations

import io
from datetime import datetime
from typing import Any, Iterable

from ui.format import cite_string, heading_path, lines_text

TITLE = "引文清单"
CJK_FONT = "宋体"
LATIN_FONT = "Times New Roman"


def _provenance(item: dict[str, Any]) -> str:
    parts = []
    title = item.get("doc_title") or item.get("doc_id") or ""
    if title:
        parts.append(f"《{title}》")
    if item.get("doc_number"):
        parts.append(str(item["doc_number"]))
    if item.get("jurisdiction"):
        parts.append(str(item["jurisdiction"]))
    where = " › ".join(p for p in [heading_path(item), item.get("label") or ""] if p)
    if where:
        parts.append(where)
    src = " ".join(p for p in [item.get("source") or "", lines_text(item)] if p)
    if src:
        parts.append(src)
    return " · ".join(parts)


def _heading(n: int, item: dict[str, Any]) -> str:
    """``1. 《标题》 一、总体要求 › （二）``: which document and where; the cite line says the rest."""
    title = item.get("doc_title") or item.get("doc_id") or ""
    where = " › ".join(p for p in [heading_path(item), item.get("label") or ""] if p)
    return f"{n}. " + " ".join(p for p in [f"《{title}》" if title else "", where] if p)


def _now(now: datetime | None) -> str:
    return (now or datetime.now()).strftime("%Y-%m-%d %H:%M")


def to_markdown(items: Iterable[dict[str, Any]], now: datetime | None = None) -> str:
    items = list(items)
    out = [f"# {TITLE}", "", f"共 {len(items)} 条，生成于 {_now(now)}。", ""]
    for n, item in enumerate(items, 1):
        out.append(f"## {_heading(n, item)}")
        out.append("")
        quote = (item.get("quote") or "").strip()
        if quote:
            out.append(f"> {quote}")
            out.append("")
        out.append(f"- 引文：{cite_string(item)}")
        out.append(f"- 出处：{_provenance(item)}")
        if item.get("clause_id"):
            out.append(f"- 条款编号：`{item['clause_id']}`")
        text = (item.get("text") or "").strip()
        if text and text != quote:
            out.append("- 条款原文：")
            out.append("")
            out.extend("    " + line for line in text.splitlines())
        out.append("")
    return "\n".join(out).rstrip() + "\n"


def _set_fonts(run_or_style, size_pt: float | None = None, bold: bool | None = None) -> None:
    from docx.oxml.ns import qn
    from docx.shared import Pt

    font = run_or_style.font
    font.name = LATIN_FONT
    if size_pt:
        font.size = Pt(size_pt)
    if bold is not None:
        font.bold = bold
    element = run_or_style.element
    rpr = element.get_or_add_rPr()
    rfonts = rpr.find(qn("w:rFonts"))
    if rfonts is None:
        rfonts = rpr.makeelement(qn("w:rFonts"), {})
        rpr.append(rfonts)
    rfonts.set(qn("w:eastAsia"), CJK_FONT)


def to_docx(items: Iterable[dict[str, Any]], now: datetime | None = None) -> bytes:
    """A .docx (python-docx) with one numbered section per citation; returns the file's bytes."""
    from docx import Document
    from docx.shared import Pt, RGBColor

    items = list(items)
    doc = Document()
    _set_fonts(doc.styles["Normal"], size_pt=12)
    for name in ("Title", "Heading 1", "Heading 2", "Quote"):
        try:
            _set_fonts(doc.styles[name])
        except KeyError:  # pragma: no cover - default template has them
            pass
    doc.core_properties.title = TITLE

    doc.add_heading(TITLE, level=1)
    doc.add_paragraph(f"共 {len(items)} 条，生成于 {_now(now)}。")
    for n, item in enumerate(items, 1):
        doc.add_heading(_heading(n, item), level=2)
        quote = (item.get("quote") or "").strip()
        if quote:
            p = doc.add_paragraph(style="Quote")
            run = p.add_run(f"“{quote}”")
            _set_fonts(run)
        p = doc.add_paragraph()
        label = p.add_run("引文：")
        label.bold = True
        _set_fonts(label)
        _set_fonts(p.add_run(cite_string(item)))
        p = doc.add_paragraph()
        label = p.add_run("出处：")
        label.bold = True
        _set_fonts(label)
        _set_fonts(p.add_run(_provenance(item)))
        text = (item.get("text") or "").strip()
        if text and text != quote:
            p = doc.add_paragraph()
            label = p.add_run("条款原文：")
            label.bold = True
            _set_fonts(label)
            body = p.add_run(text)
            _set_fonts(body, size_pt=10.5)
            body.font.color.rgb = RGBColor(0x44, 0x44, 0x44)
        if item.get("clause_id"):
            p = doc.add_paragraph()
            run = p.add_run(f"条款编号：{item['clause_id']}")
            _set_fonts(run, size_pt=9)
            run.font.color.rgb = RGBColor(0x88, 0x88, 0x88)
            p.paragraph_format.space_after = Pt(12)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def docx_text(data: bytes) -> str:
    """All paragraph text of a .docx (used by the tests and for a quick preview)."""
    from docx import Document

    return "\n".join(p.text for p in Document(io.BytesIO(data)).paragraphs)
