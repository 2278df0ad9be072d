"""Readers for Word, web pages and spreadsheets, on real files made here from the seed corpus."""
from __future__ import annotations

import csv
import io
import os
import re
import time
import zipfile
from pathlib import Path

import docx
import openpyxl
import pytest
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls

import indexer.readers.html as html_reader
from indexer.parser import parse_document
from indexer.readers.base import UnreadableDocument
from indexer.readers.docx import format_number, read_docx
from indexer.readers.html import read_html
from indexer.readers.sheet import read_sheet

REPO = Path(__file__).resolve().parents[1]
SEED_003 = REPO / "corpus" / "003_f5b1b6779f8b2705.txt"
SEED_002 = REPO / "corpus" / "002_7652db6a697673a0.txt"
N_LINES = 48  # 一、 … 三、（一）: two restarts of the （一） level
CN_HEAD = re.compile(r"^([一二三四五六七八九十]+)、(.*)$")
CN_PAREN = re.compile(r"^（([一二三四五六七八九十]+)）(.*)$")


# --------------------------------------------------------------------------- helpers


def _add_numbering(document, abstract_xml: str, nums: dict[int, str]) -> None:
    """Add an abstractNum (before the first w:num, as the schema orders them) and its w:num entries."""
    numbering = document.part.numbering_part.element
    first_num = numbering.find(f"{{{numbering.nsmap['w']}}}num")
    abstract = parse_xml(abstract_xml)
    if first_num is not None:
        first_num.addprevious(abstract)
    else:
        numbering.append(abstract)
    for num_id, inner in nums.items():
        numbering.append(parse_xml(f'<w:num {nsdecls("w")} w:numId="{num_id}">{inner}</w:num>'))


def _numbered(document, text: str, num_id: int, ilvl: int, style: str | None = None):
    p = document.add_paragraph(text, style=style)
    p._p.get_or_add_pPr().append(
        parse_xml(f'<w:numPr {nsdecls("w")}><w:ilvl w:val="{ilvl}"/><w:numId w:val="{num_id}"/></w:numPr>')
    )
    return p


def _docx_bytes(document) -> bytes:
    buf = io.BytesIO()
    document.save(buf)
    return buf.getvalue()


def _indicator_table() -> tuple[str, list[str]]:
    """The caption and the first rows (header + 6) of the indicator table in seed 002."""
    lines = SEED_002.read_text(encoding="utf-8").splitlines()
    start = next(i for i, ln in enumerate(lines) if ln.startswith("领域\t指标"))
    caption = next(ln for ln in reversed(lines[:start]) if ln.strip())
    return caption, lines[start:start + 7]


@pytest.fixture(scope="module")
def seed_docx() -> tuple[bytes, str]:
    """Seed 003's first lines as a Word file whose 一、/（一） labels come from automatic numbering,
    plus seed 002's indicator table (its 领域 column vertically merged); and the same text as .txt."""
    lines = SEED_003.read_text(encoding="utf-8").splitlines()[:N_LINES]
    caption, rows = _indicator_table()
    document = docx.Document()
    _add_numbering(document, f'''<w:abstractNum {nsdecls("w")} w:abstractNumId="90">
        <w:multiLevelType w:val="multilevel"/>
        <w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="chineseCounting"/><w:lvlText w:val="%1、"/><w:lvlJc w:val="left"/></w:lvl>
        <w:lvl w:ilvl="1"><w:start w:val="1"/><w:numFmt w:val="chineseCounting"/><w:lvlText w:val="（%2）"/><w:lvlJc w:val="left"/></w:lvl>
        </w:abstractNum>''', {90: '<w:abstractNumId w:val="90"/>'})
    for i, line in enumerate(lines):
        if not line.strip():
            continue
        if m := CN_HEAD.match(line):
            _numbered(document, m.group(2), 90, 0, "Heading 1")
        elif m := CN_PAREN.match(line):
            _numbered(document, m.group(2), 90, 1, "Heading 2")
        else:
            document.add_paragraph(line.strip(), style="Title" if i == 0 else None)
    document.add_paragraph(caption)
    cells = [r.split("\t") for r in rows]
    table = document.add_table(rows=len(cells), cols=len(cells[0]))
    for r, row in enumerate(cells):
        for c, value in enumerate(row):
            if value:
                table.cell(r, c).text = value
    group_start = None
    for r in range(1, len(cells) + 1):  # merge each 领域 cell over the blank cells below it
        if r < len(cells) and not cells[r][0]:
            continue
        if group_start is not None and r - 1 > group_start:
            table.cell(group_start, 0).merge(table.cell(r - 1, 0))
        group_start = r
    expected_text = "\n".join(lines + ["", caption, ""] + rows)
    return _docx_bytes(document), expected_text


# --------------------------------------------------------------------------- docx


def test_docx_numbering_restored_and_same_clauses_as_txt(seed_docx):
    data, expected_text = seed_docx
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        body_xml = zf.read("word/document.xml").decode("utf-8")
    assert "总体要求" in body_xml and "一、总体要求" not in body_xml  # the labels are not typed
    result = read_docx(data)
    assert result.format == "docx"
    lines = result.text.splitlines()
    assert "一、总体要求" in lines
    assert "（一）以国家区域医疗中心为引领，提高省级医疗卫生服务能力" in lines
    assert "（五）以健康乡村建设为抓手，夯实村级医疗卫生服务网底" in lines
    assert "三、深入实施整体提升卫生健康水平攻坚行动计划" in lines
    assert "（一）拓展实施医疗救治能力提升专项行动" in lines  # restarted under 三、
    got = parse_document(result.text, "003", "x.docx").clauses
    want = parse_document(expected_text, "003", "x.txt").clauses
    assert [c.id for c in got] == [c.id for c in want]
    assert [(c.kind, c.text) for c in got] == [(c.kind, c.text) for c in want]
    assert "003/三/（一）/1" in {c.id for c in got}
    rows = [c for c in got if c.kind == "table_row"]
    assert len(rows) == 6
    assert rows[0].text.startswith("“十四五”卫生健康事业发展主要指标：领域 健康水平 | 指标 人均预期寿命（岁）")
    assert all("领域 健康水平" in r.text for r in rows[:5])  # merged cell repeated in every row
    assert rows[5].text.startswith("“十四五”卫生健康事业发展主要指标：领域 疾病防控 | 指标 计划免疫五苗接种率")


def test_docx_numbering_formats_style_numbering_and_overrides():
    document = docx.Document()
    _add_numbering(document, f'''<w:abstractNum {nsdecls("w")} w:abstractNumId="91">
        <w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="decimal"/><w:pStyle w:val="Heading3"/><w:lvlText w:val="%1."/></w:lvl>
        <w:lvl w:ilvl="1"><w:start w:val="1"/><w:numFmt w:val="decimalEnclosedParen"/><w:lvlText w:val="%2"/></w:lvl>
        <w:lvl w:ilvl="2"><w:start w:val="1"/><w:numFmt w:val="ideographTraditional"/><w:lvlText w:val="%3、"/></w:lvl>
        <w:lvl w:ilvl="3"><w:start w:val="1"/><w:numFmt w:val="bullet"/><w:lvlText w:val="•"/></w:lvl>
        </w:abstractNum>''', {
        91: '<w:abstractNumId w:val="91"/>',
        92: '<w:abstractNumId w:val="91"/><w:lvlOverride w:ilvl="0"><w:startOverride w:val="1"/></w:lvlOverride>',
    })
    heading3 = document.styles["Heading 3"].element  # numbering inherited from the paragraph style
    heading3.get_or_add_pPr().append(parse_xml(f'<w:numPr {nsdecls("w")}><w:numId w:val="91"/></w:numPr>'))
    document.add_paragraph("甲", style="Heading 3")
    _numbered(document, "乙", 91, 1)
    _numbered(document, "丙", 91, 1)
    document.add_paragraph("丁", style="Heading 3")
    _numbered(document, "戊", 91, 1)
    _numbered(document, "己", 91, 2)
    _numbered(document, "要点", 91, 3)
    _numbered(document, "续", 91, 0)  # another paragraph of the same list continues it
    _numbered(document, "庚", 92, 0)  # a w:num with a start override restarts the list
    document.add_paragraph("标题照写", style="Heading 1")
    lines = [ln for ln in read_docx(_docx_bytes(document)).text.splitlines() if ln]
    assert lines == ["1.甲", "(1)乙", "(2)丙", "2.丁", "(1)戊", "甲、己", "要点", "3.续", "1.庚", "标题照写"]
    assert [format_number(n, "chineseCounting") for n in (1, 10, 11, 20, 23)] == ["一", "十", "十一", "二十", "二十三"]
    assert format_number(3, "decimalEnclosedCircle") == "③" and format_number(4, "upperRoman") == "IV"


def test_docx_spans_tabs_and_hidden_text():
    document = docx.Document()
    p = document.add_paragraph("第一章")
    p.add_run().add_tab()
    p.add_run("总则")
    p.add_run("（批注：删去）").font.hidden = True
    table = document.add_table(rows=3, cols=3)
    table.cell(0, 0).merge(table.cell(0, 2)).text = "表1 重点项目"
    for c, value in enumerate(["序号", "项目", "责任单位"]):
        table.cell(1, c).text = value
    table.cell(2, 0).text = "1"
    table.cell(2, 1).merge(table.cell(2, 2)).text = "县域医疗次中心\n（含中医馆）"
    result = read_docx(_docx_bytes(document))
    assert result.text.splitlines() == [
        "第一章 总则", "", "表1 重点项目", "序号\t项目\t责任单位", "1\t县域医疗次中心 （含中医馆）\t县域医疗次中心 （含中医馆）",
    ]


def test_docx_empty_and_damaged():
    with pytest.raises(UnreadableDocument, match="no text"):
        read_docx(_docx_bytes(docx.Document()))
    with pytest.raises(UnreadableDocument, match="empty"):
        read_docx(b"")
    with pytest.raises(UnreadableDocument, match="not a readable .docx"):
        read_docx(os.urandom(4096))
    wb = openpyxl.Workbook()
    buf = io.BytesIO()
    wb.save(buf)
    with pytest.raises(UnreadableDocument, match="not a readable .docx"):
        read_docx(buf.getvalue())  # a zip, but a spreadsheet
    zipped = io.BytesIO()
    with zipfile.ZipFile(zipped, "w") as zf:
        zf.writestr("[Content_Types].xml", "<Types")  # broken XML
    with pytest.raises(UnreadableDocument, match="not a readable .docx"):
        read_docx(zipped.getvalue())


@pytest.fixture(scope="module")
def zip_bomb() -> bytes:
    """A ~300 KB zip holding one 300 MB entry of zeros."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        with zf.open("word/document.xml", "w") as f:
            chunk = b"\0" * (1 << 20)
            for _ in range(300):
                f.write(chunk)
    assert len(buf.getvalue()) < 2 << 20
    return buf.getvalue()


def test_zip_bomb_refused_quickly(zip_bomb):
    for read in (read_docx, lambda d: read_sheet(d, ".xlsx")):
        start = time.perf_counter()
        with pytest.raises(UnreadableDocument, match="unpacks to 300 MB"):
            read(zip_bomb)
        assert time.perf_counter() - start < 1.0
    small = io.BytesIO()  # under the size limit, but compressed 1000:1
    with zipfile.ZipFile(small, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("word/document.xml", b"\0" * (20 << 20))
    with pytest.raises(UnreadableDocument, match="zip bomb"):
        read_docx(small.getvalue())


# --------------------------------------------------------------------------- html

GOV_PAGE = """<!DOCTYPE html>
<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312">
<title>某省人民政府办公厅关于印发某某实施方案的通知_政策文件_某省人民政府门户网站</title>
<script>var _hmt = _hmt || [];</script></head>
<body>
<div class="header"><ul class="nav"><li><a href="/">首页</a></li><li><a href="/zwgk">政务公开</a></li>
<li><a href="/bsfw">办事服务</a></li><li><a href="/hdjl">互动交流</a></li></ul></div>
<div class="crumb">当前位置：<a href="/">首页</a> &gt; <a href="/zwgk">政务公开</a> &gt; 政策文件</div>
<div class="article">
<h1>某省人民政府办公厅关于印发某某实施方案的通知</h1>
<div class="info">来源：省政府办公厅 发布时间：2023-05-06 【字体：大 中 小】</div>
<div class="content" id="zoom">
<p>某府办发〔2023〕12号</p>
<p>各市（州）人民政府，省政府各部门、各直属机构：</p>
<p>为深入贯彻落实党中央、国务院决策部署，推动全省医疗卫生服务体系高质量发展，经省人民政府同意，现就有关事项通知如下。</p>
<p>一、总体要求</p>
<p>以习近平新时代中国特色社会主义思想为指导，坚持以人民健康为中心，加快构建优质高效的医疗卫生服务体系，不断增强人民群众获得感、幸福感、安全感。</p>
<p>（一）基本原则。坚持政府主导、公益优先，坚持统筹规划、分级负责，坚持改革创新、系统集成。</p>
<p>（二）主要目标。到2025年，全省医疗卫生服务体系进一步健全，资源配置和服务均衡性逐步提高。</p>
<p>二、重点任务</p>
<p>（一）提升县级医院服务能力。加强县级医院临床专科建设，推动县域医共体建设，到2025年县域内就诊率达到90%以上。</p>
<table border="1"><tr><th>领域</th><th>指标</th><th>2025年目标</th><th>属性</th></tr>
<tr><td rowspan="2">医疗服务</td><td>县域内就诊率（%）</td><td>≥90</td><td>预期性</td></tr>
<tr><td>每千人口床位数（张）</td><td>≥7.2</td><td>约束性</td></tr>
<tr><td>基层卫生</td><td colspan="2">村卫生室全覆盖</td><td>约束性</td></tr></table>
<p>（二）夯实基层服务网底。优化设置社区卫生服务站和村卫生室，每个行政村原则上设置1个村卫生室。</p>
<p>某省人民政府办公厅</p>
<p>2023年5月6日</p>
<p>【打印本页】【关闭窗口】</p>
</div>
<div class="tools"><a href="javascript:window.print()">【打印本页】</a> <a href="javascript:window.close()">【关闭窗口】</a> 分享到：微信 微博</div>
</div>
<div class="footer"><a href="/wzdt">网站地图</a> | <a href="/lxwm">联系我们</a>
<p>主办单位：某省人民政府办公厅 承办：某省大数据发展管理局</p>
<p>ICP备案：某ICP备05001234号 政府网站标识码：5200000001</p></div>
</body></html>
"""


def test_html_gov_page_article_only():
    result = read_html(GOV_PAGE.encode("gb18030"))
    assert result.format == "html"
    text = result.text
    lines = text.splitlines()
    for gone in ("网站地图", "ICP", "主办单位", "打印本页", "关闭窗口", "分享到", "办事服务", "互动交流", "当前位置", "_hmt"):
        assert gone not in text, gone
    assert lines[0] == "某省人民政府办公厅关于印发某某实施方案的通知"
    assert "某府办发〔2023〕12号" in lines
    assert "一、总体要求" in lines and "二、重点任务" in lines
    assert any(ln.startswith("（一）基本原则。") for ln in lines)
    assert "领域\t指标\t2025年目标\t属性" in lines
    assert "医疗服务\t每千人口床位数（张）\t≥7.2\t约束性" in lines  # rowspan repeated
    assert "基层卫生\t村卫生室全覆盖\t村卫生室全覆盖\t约束性" in lines  # colspan repeated
    clauses = parse_document(text, "web", "x.html").clauses
    ids = {c.id for c in clauses}
    assert {"web/一", "web/一/（一）", "web/二/（二）"} <= ids
    rows = [c for c in clauses if c.kind == "table_row"]
    assert [r.text.split(" | ")[1] for r in rows] == ["指标 县域内就诊率（%）", "指标 每千人口床位数（张）", "指标 村卫生室全覆盖"]
    assert rows[1].text.startswith("领域 医疗服务")


def test_html_charsets_and_fallback(monkeypatch):
    page = "<html><head><meta charset='utf-8'></head><body><p>一、总体要求</p><p>以人民健康为中心。</p></body></html>"
    assert "一、总体要求" in read_html(page.encode("utf-8")).text
    no_meta = page.replace("<meta charset='utf-8'>", "")
    assert "以人民健康为中心。" in read_html(no_meta.encode("gb18030")).text  # not UTF-8: GB18030
    assert "一、总体要求" in read_html(b"\xef\xbb\xbf" + no_meta.encode("utf-8")).text
    monkeypatch.setattr(html_reader.trafilatura, "extract", lambda *a, **k: None)
    result = read_html(GOV_PAGE.encode("gb18030"))
    assert "一、总体要求" in result.text.splitlines() and result.warnings
    assert "网站地图" not in result.text  # footer lines are dropped from the dump too


def test_html_title_from_head_and_format_words_kept():
    body = "".join(f"<p>第{n}条 公文标题字体：2号小标宋体字，正文字号：3号仿宋体字。</p>" for n in "一二三四五")
    page = (
        '<?xml version="1.0" encoding="gb2312"?><html><head><title>关于规范公文格式的通知_政策文件_某省人民政府门户网站'
        f'</title></head><body><div class="main">{body}</div><div>字号：大 中 小</div></body></html>'
    )
    lines = read_html(page.encode("gb18030")).text.splitlines()
    assert lines[0] == "关于规范公文格式的通知"  # site name cut from the <title>
    assert "第三条 公文标题字体：2号小标宋体字，正文字号：3号仿宋体字。" in lines
    assert not any("大 中 小" in ln for ln in lines)


def test_html_empty():
    with pytest.raises(UnreadableDocument):
        read_html(b"")
    with pytest.raises(UnreadableDocument, match="no text"):
        read_html(b"<html><head><script>var a = 1;</script></head><body>  </body></html>")


# --------------------------------------------------------------------------- sheets


def test_xlsx_two_sheets():
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "主要指标"
    ws.append(["“十四五”卫生健康事业发展主要指标"])
    ws.append(["领域", "指标", "2025 目标", "属性"])
    ws.append(["健康水平", "人均预期寿命（岁）", "≥ 77", "预期性"])
    ws.append([None, "婴儿死亡率\n（‰）", 4.0, "约束性"])
    ws2 = wb.create_sheet("重点项目")
    ws2.append([])
    ws2.append(["序号", "项目", "投资（亿元）"])
    ws2.append([1, "省级区域医疗中心", 12.5])
    ws2.append([2, "县域医疗次中心", "=1+1"])
    buf = io.BytesIO()
    wb.save(buf)
    result = read_sheet(buf.getvalue(), ".xlsx")
    assert result.format == "xlsx"
    assert result.text.split("\n\n") == [
        "主要指标\n“十四五”卫生健康事业发展主要指标\n领域\t指标\t2025 目标\t属性\n"
        "健康水平\t人均预期寿命（岁）\t≥ 77\t预期性\n\t婴儿死亡率 （‰）\t4\t约束性",
        "重点项目\n序号\t项目\t投资（亿元）\n1\t省级区域医疗中心\t12.5\n2\t县域医疗次中心\t",  # formula never computed
    ]
    rows = [c for c in parse_document(result.text, "s", "x.xlsx").clauses if c.kind == "table_row"]
    assert rows[1].text == "“十四五”卫生健康事业发展主要指标：领域 健康水平 | 指标 婴儿死亡率（‰） | 2025目标 4 | 属性 约束性"
    assert rows[2].text.startswith("重点项目：序号 1 | 项目 省级区域医疗中心")


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_csv_encodings(encoding):
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerows([["领域", "指标", "目标"], ["健康水平", "人均预期寿命（岁）", "≥77"], ["", "孕产妇死亡率（1/10万，含“流动人口”）", "≤14"]])
    result = read_sheet(buf.getvalue().encode(encoding), ".csv")
    assert result.format == "csv"
    assert result.text.splitlines() == ["领域\t指标\t目标", "健康水平\t人均预期寿命（岁）\t≥77", "\t孕产妇死亡率（1/10万，含“流动人口”）\t≤14"]
    assert bool(result.warnings) == (encoding == "gb18030")


def test_csv_semicolons_and_bad_sheets():
    assert read_sheet("序号;项目\n1;医院\n".encode(), ".csv").text == "序号\t项目\n1\t医院"
    for suffix in (".xlsx", ".csv"):
        with pytest.raises(UnreadableDocument):
            read_sheet(b"", suffix)
    with pytest.raises(UnreadableDocument, match="not a readable .xlsx"):
        read_sheet(os.urandom(4096), ".xlsx")
    with pytest.raises(UnreadableDocument, match="not a readable .xlsx"):
        read_sheet(_docx_bytes(docx.Document()), ".xlsx")
    with pytest.raises(UnreadableDocument):
        read_sheet(os.urandom(4096) + b"\x00", ".csv")
    buf = io.BytesIO()
    openpyxl.Workbook().save(buf)
    with pytest.raises(UnreadableDocument, match="no text"):
        read_sheet(buf.getvalue(), ".xlsx")
    with pytest.raises(UnreadableDocument, match="unsupported"):
        read_sheet(b"x", ".xls")
