"""OFD (GB/T 33190) files: a minimal but real OFD package made here, read page by page."""
from __future__ import annotations

import io
import zipfile

import pytest

from indexer.parser import parse_document
from indexer.readers import UnreadableDocument, read_document

OFD_XML = """<?xml version="1.0" encoding="UTF-8"?>
<ofd:OFD xmlns:ofd="http://www.ofdspec.org/2016" Version="1.0" DocType="OFD">
  <ofd:DocBody><ofd:DocInfo><ofd:DocID>test</ofd:DocID><ofd:Title>通知</ofd:Title></ofd:DocInfo>
  <ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody>
</ofd:OFD>"""


def _document(n_pages: int) -> str:
    pages = "".join(f'<ofd:Page ID="{i + 10}" BaseLoc="Pages/Page_{i}/Content.xml"/>' for i in range(n_pages))
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<ofd:Document xmlns:ofd="http://www.ofdspec.org/2016">
  <ofd:CommonData><ofd:MaxUnitID>999</ofd:MaxUnitID>
  <ofd:PageArea><ofd:PhysicalBox>0 0 210 297</ofd:PhysicalBox></ofd:PageArea></ofd:CommonData>
  <ofd:Pages>{pages}</ofd:Pages>
</ofd:Document>"""


def _content(lines: list[str]) -> str:
    objs = "".join(
        f'<ofd:TextObject ID="{100 + i}" Boundary="20 {20 + 8 * i} 170 8" Font="1" Size="4">'
        f'<ofd:TextCode X="0" Y="6">{line}</ofd:TextCode></ofd:TextObject>'
        for i, line in enumerate(lines)
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<ofd:Page xmlns:ofd="http://www.ofdspec.org/2016"><ofd:Content><ofd:Layer ID="2">{objs}</ofd:Layer></ofd:Content></ofd:Page>"""


def make_ofd(pages: list[list[str]]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("OFD.xml", OFD_XML)
        z.writestr("Doc_0/Document.xml", _document(len(pages)))
        for i, lines in enumerate(pages):
            z.writestr(f"Doc_0/Pages/Page_{i}/Content.xml", _content(lines))
    return buf.getvalue()


PAGES = [
    ["贵州省卫生健康委员会文件", "黔卫健发〔2023〕5号", "关于印发某实施方案的通知", "一、总体要求"],
    ["（一）工作目标", "到2025年，每千人口拥有3岁以下婴幼儿托位数4.5个，婴儿死亡率≤5‰。", "二、保障措施"],
]


def test_ofd_pages_become_text_with_page_numbers():
    result = read_document("通知.ofd", make_ofd(PAGES))
    assert result.format == "ofd" and len(result.page_starts) == 2
    for line in PAGES[0] + PAGES[1]:
        assert line in result.text
    parsed = parse_document(result.text, "x", "通知.ofd")
    ids = {c.id for c in parsed.clauses}
    assert "x/一/（一）" in ids or any(i.startswith("x/一") for i in ids)
    target = next(c for c in parsed.clauses if "4.5个" in c.text)
    assert result.pages_of(*target.lines) == [2]


def test_broken_or_empty_ofd_is_refused_with_a_reason():
    with pytest.raises(UnreadableDocument, match="OFD"):
        read_document("bad.ofd", b"PK\x03\x04 not really a zip")
    with pytest.raises(UnreadableDocument, match="no text"):
        read_document("blank.ofd", make_ofd([[]]))
