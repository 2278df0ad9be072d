"""Word and Markdown export: A4 with the margins and fonts of official documents, an 出处 a person can
follow (title, place in the document, page) and never an internal file name; whole conversations
with each answer followed by its citations. The .docx files are opened again with python-docx."""
from __future__ import annotations

import io
import re
import zipfile
from datetime import datetime

import pytest
from docx import Document
from docx.oxml.ns import qn

from ui.docx_layout import BODY_FONT, FONT_TABLE, TITLE_FONT
from ui.export import (conversation_docx, conversation_markdown, docx_text, location, page_text, provenance,
                       to_docx, to_markdown)

STAMP = datetime(2025, 1, 2, 3, 4)
# internal names a reader cannot use: seed file names (id_hash.txt) and line numbers
INTERNAL = re.compile(r"\d{3}_[0-9a-f]{16}\.txt|第\d+(?:–\d+)?行")

PLAN = {
    "clause_id": "003/一/（二）", "doc_id": "003", "role": "answer", "marker": 1,
    "doc_title": "贵州省进一步完善医疗卫生服务体系的实施方案（征求意见稿）", "doc_number": None,
    "jurisdiction": "贵州省", "source": "003_f5b1b6779f8b2705.txt", "label": "（二）", "path": ["一、总体要求"],
    "text": "到2025年，每千人口拥有3岁以下婴幼儿托位数4.5个，床位数达到7张。",
    "quote": "每千人口拥有3岁以下婴幼儿托位数4.5个", "lines": [20, 22],
    "cite": "《贵州省进一步完善医疗卫生服务体系的实施方案（征求意见稿）》“一、总体要求”（二）：“……每千人口拥有3岁以下婴幼儿托位数4.5个……”",
}
LAW = {
    "clause_id": "law/第三章/第十条", "doc_id": "law", "role": "related", "marker": 2,
    "doc_title": "某市控烟条例", "doc_number": "某府发〔2022〕3号", "source": "uploads/u1.pdf",
    "label": "第十条", "path": ["第三章 法律责任"], "text": "第十条 违反本条例规定的，处五十元罚款。",
    "quote": "处五十元罚款", "lines": [8, 8], "pages": [3], "ocr": True,
    "cite": "《某市控烟条例》（某府发〔2022〕3号）第十条（第3页，OCR识别）：“……处五十元罚款。”",
}
CONVERSATION = {
    "conversation_id": "c1", "title": "托位数目标",
    "turns": [
        {"turn_id": "t1", "question": "2025年每千人口托位数目标是多少？",
         "resolved_question": "2025年每千人口托位数目标是多少？", "followup": False,
         "response": {"answer": "每千人口拥有3岁以下婴幼儿托位数4.5个[1]。", "found": True, "citations": [PLAN, LAW]}},
        {"turn_id": "t2", "question": "那平坝区呢？", "resolved_question": "平坝区2025年每千人口托位数目标",
         "followup": True,
         "response": {"answer": "未在语料中找到相关条款。", "found": False,
                      "citations": [dict(LAW, role="possibly_related", marker=1)]}},
    ],
}


def _east_asia_fonts(doc) -> set[str]:
    body = doc.element.body
    return {el.get(qn("w:eastAsia")) for el in body.iter(qn("w:rFonts")) if el.get(qn("w:eastAsia"))}


def _assert_official_page(doc) -> None:
    for section in doc.sections:
        assert round(section.page_width.cm, 2) == 21.0 and round(section.page_height.cm, 2) == 29.7
        assert [round(m.cm, 2) for m in (section.top_margin, section.bottom_margin, section.left_margin,
                                         section.right_margin)] == [3.7, 3.5, 2.8, 2.6]


def test_provenance_is_written_for_people():
    assert location(PLAN) == "一、总体要求 › （二）" and location(LAW) == "第三章 法律责任 › 第十条"
    assert page_text(PLAN) == "" and page_text(LAW) == "第3页（OCR识别）"
    assert page_text(dict(LAW, pages=[3, 4], ocr=False)) == "第3—4页"
    assert provenance(PLAN) == "《贵州省进一步完善医疗卫生服务体系的实施方案（征求意见稿）》 一、总体要求 › （二）"
    assert provenance(LAW) == "《某市控烟条例》（某府发〔2022〕3号） 第三章 法律责任 › 第十条 第3页（OCR识别）"
    # a heading's own label ends its path: not repeated
    assert location({"label": "一、", "path": ["一、总体要求"]}) == "一、总体要求"


def test_basket_word_file_is_a4_with_official_fonts_and_no_file_names():
    data = to_docx([PLAN, LAW], now=STAMP)
    doc = Document(io.BytesIO(data))
    _assert_official_page(doc)
    text = docx_text(data)
    assert "引文清单" in text and PLAN["cite"] in text and "“每千人口拥有3岁以下婴幼儿托位数4.5个”" in text
    sources = [p.text for p in doc.paragraphs if p.text.startswith("出处：")]
    assert sources == [f"出处：{provenance(PLAN)}", f"出处：{provenance(LAW)}"]
    assert not INTERNAL.search(text) and "uploads/u1.pdf" not in text and "第3页（OCR识别）" in text
    # body in 仿宋_GB2312, the title in 小标宋, on every run; the defaults name them too (no theme fonts)
    fonts = _east_asia_fonts(doc)
    assert BODY_FONT in fonts and TITLE_FONT in fonts and fonts <= {BODY_FONT, TITLE_FONT, "宋体"}
    normal = doc.styles["Normal"].element.rPr.find(qn("w:rFonts"))
    assert normal.get(qn("w:eastAsia")) == BODY_FONT and normal.get(qn("w:eastAsiaTheme")) is None
    for name in ("Heading 1", "Heading 2", "Title"):
        rfonts = doc.styles[name].element.rPr.find(qn("w:rFonts"))
        assert rfonts.get(qn("w:asciiTheme")) is None and rfonts.get(qn("w:eastAsiaTheme")) is None
    defaults = doc.styles.element.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    assert defaults.find(qn("w:rFonts")).get(qn("w:eastAsia")) == BODY_FONT
    title_run = next(p for p in doc.paragraphs if p.text == "引文清单").runs[0]
    assert title_run.element.rPr.find(qn("w:rFonts")).get(qn("w:eastAsia")) == TITLE_FONT
    assert doc.core_properties.title == "引文清单"


def test_the_font_table_names_the_fallbacks():
    with zipfile.ZipFile(io.BytesIO(to_docx([PLAN], now=STAMP))) as z:
        table = z.read("word/fontTable.xml").decode("utf-8")
    for name, (alt, _family, _pitch) in FONT_TABLE.items():
        entry = re.search(rf'<w:font w:name="{re.escape(name)}">(.*?)</w:font>', table, re.S)
        assert entry, name
        assert f'<w:altName w:val="{alt}"/>' in entry.group(1) and '<w:charset w:val="86"/>' in entry.group(1)
    assert table.count('w:name="仿宋_GB2312"') == 1


def test_basket_markdown_keeps_its_shape_without_file_names():
    md = to_markdown([PLAN, LAW], now=STAMP)
    assert md.startswith("# 引文清单") and "共 2 条，生成于 2025-01-02 03:04" in md
    assert f"## 1. 《{PLAN['doc_title']}》 一、总体要求 › （二）" in md and md.index("## 1.") < md.index("## 2.")
    assert f"- 引文：{PLAN['cite']}" in md and f"- 出处：{provenance(LAW)}" in md
    assert "> 每千人口拥有3岁以下婴幼儿托位数4.5个" in md
    assert not INTERNAL.search(md)


def test_conversation_markdown_puts_each_answer_before_its_citations():
    md = conversation_markdown(CONVERSATION, now=STAMP)
    assert md.startswith("# 托位数目标") and "共 2 问，导出于 2025-01-02 03:04" in md
    first, second = md.index("## 问1：2025年每千人口托位数目标是多少？"), md.index("## 问2：那平坝区呢？")
    answer = md.index("**答**：每千人口拥有3岁以下婴幼儿托位数4.5个[1]。")
    assert first < answer < md.index(f"- 引文：{PLAN['cite']}") < md.index(f"- 引文：{LAW['cite']}") < second
    # a stand-alone question says nothing about how it was understood; a follow-up does
    assert md.count("按「") == 1 and "按「平坝区2025年每千人口托位数目标」理解" in md[second:]
    # the not-found turn's 可能相关 clause is shown for reading, without a cite to paste
    tail = md[second:]
    assert "可能相关（未找到答案" in tail and "- 引文：" not in tail and f"- 出处：{provenance(LAW)}" in tail
    assert not INTERNAL.search(md)


def test_conversation_word_file():
    data = conversation_docx(CONVERSATION, now=STAMP)
    doc = Document(io.BytesIO(data))
    _assert_official_page(doc)
    paragraphs = [p.text for p in doc.paragraphs]
    assert paragraphs[0] == "托位数目标" and doc.core_properties.title == "托位数目标"
    q1 = paragraphs.index("问1：2025年每千人口托位数目标是多少？")
    a1 = paragraphs.index("答：每千人口拥有3岁以下婴幼儿托位数4.5个[1]。")
    q2 = paragraphs.index("问2：那平坝区呢？")
    cites = [i for i, p in enumerate(paragraphs) if p.startswith("引文：")]
    assert q1 < a1 < cites[0] < cites[1] < q2 and len(cites) == 2
    assert paragraphs[cites[0]] == f"引文：{PLAN['cite']}"
    assert "按「平坝区2025年每千人口托位数目标」理解。" in paragraphs[q2:]
    assert [p for p in paragraphs if p.startswith("出处：")] == [f"出处：{provenance(c)}" for c in (PLAN, LAW, LAW)]
    assert not INTERNAL.search("\n".join(paragraphs))
    assert {BODY_FONT, TITLE_FONT} <= _east_asia_fonts(doc)


@pytest.mark.parametrize("conversation", [{}, {"title": "空", "turns": []}, {"turns": [{"question": "q"}]},
                                          {"turns": "broken"}])
def test_conversation_export_of_empty_or_partial_objects(conversation):
    md = conversation_markdown(conversation, now=STAMP)
    assert md.startswith("# ")
    doc = Document(io.BytesIO(conversation_docx(conversation, now=STAMP)))
    _assert_official_page(doc)
