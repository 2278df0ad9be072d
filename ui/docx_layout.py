"""The layout of exported Word files: A4 paper, the margins of official documents (GB/T 9704) and
official fonts — body in 仿宋_GB2312, titles in 小标宋 — with fallbacks for machines without them.

A run names one East Asian font (``w:rFonts/@w:eastAsia``); where that font is missing, Word and
LibreOffice substitute from the font table's description of it, so the table declares each font
with its alternate name (``w:altName``: 仿宋_GB2312 → 仿宋, 方正小标宋简体 → 宋体), the GB2312
character set and its family, and the document defaults carry the same names instead of theme fonts.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

BODY_FONT = "仿宋_GB2312"
TITLE_FONT = "方正小标宋简体"
HEADING_FONT = "宋体"
LATIN_FONT = "Times New Roman"
# font name → (alternate name, w:family, w:pitch): what to substitute when the font is absent
FONT_TABLE: dict[str, tuple[str, str, str]] = {
    BODY_FONT: ("仿宋", "modern", "fixed"),
    "仿宋": ("FangSong", "modern", "fixed"),
    TITLE_FONT: ("宋体", "auto", "variable"),
    HEADING_FONT: ("SimSun", "auto", "variable"),
}
GB2312_CHARSET = "86"

# sizes in points: 二号 22, 三号 16, 四号 14, 小四 12, 五号 10.5
TITLE_PT, HEADING_PT, BODY_PT, SMALL_PT, NOTE_PT = 22.0, 16.0, 16.0, 14.0, 10.5


@dataclass(frozen=True)
class PageSetup:
    """A4 with the margins of official documents, in centimetres."""

    width: float = 21.0
    height: float = 29.7
    top: float = 3.7
    bottom: float = 3.5
    left: float = 2.8
    right: float = 2.6


A4_OFFICIAL = PageSetup()
_THEME_ATTRS = ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme")


def set_fonts(target: Any, east_asia: str = BODY_FONT, size_pt: float | None = None,
              bold: bool | None = None) -> None:
    """Name the East Asian and Latin fonts of a run or a style (theme fonts removed: they would win)."""
    from docx.shared import Pt

    font = target.font
    font.name = LATIN_FONT
    if size_pt:
        font.size = Pt(size_pt)
    if bold is not None:
        font.bold = bold
    rpr = target.element.get_or_add_rPr()
    _name_fonts(rpr, east_asia)


def _name_fonts(rpr: Any, east_asia: str) -> None:
    from docx.oxml.ns import qn

    rfonts = rpr.find(qn("w:rFonts"))
    if rfonts is None:
        rfonts = rpr.makeelement(qn("w:rFonts"), {})
        rpr.insert(0, rfonts)
    for attr in _THEME_ATTRS:
        rfonts.attrib.pop(qn(attr), None)
    for attr in ("w:ascii", "w:hAnsi", "w:cs"):
        rfonts.set(qn(attr), LATIN_FONT)
    rfonts.set(qn("w:eastAsia"), east_asia)
    rfonts.set(qn("w:hint"), "eastAsia")


def _font_table_xml(existing: bytes) -> bytes:
    """The package's fontTable.xml with an entry for each official font (replacing any of the same name)."""
    from lxml import etree

    from docx.oxml.ns import qn

    root = etree.fromstring(existing)
    for font in list(root):
        if font.get(qn("w:name")) in FONT_TABLE:
            root.remove(font)
    for name, (alt, family, pitch) in FONT_TABLE.items():
        el = etree.SubElement(root, qn("w:font"))
        el.set(qn("w:name"), name)
        etree.SubElement(el, qn("w:altName")).set(qn("w:val"), alt)
        etree.SubElement(el, qn("w:charset")).set(qn("w:val"), GB2312_CHARSET)
        etree.SubElement(el, qn("w:family")).set(qn("w:val"), family)
        etree.SubElement(el, qn("w:pitch")).set(qn("w:val"), pitch)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def new_document(title: str, page: PageSetup = A4_OFFICIAL):
    """An empty python-docx Document on A4 with official margins, fonts and plain black headings."""
    from docx import Document
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt, RGBColor

    doc = Document()
    for section in doc.sections:
        section.page_width, section.page_height = Cm(page.width), Cm(page.height)
        section.top_margin, section.bottom_margin = Cm(page.top), Cm(page.bottom)
        section.left_margin, section.right_margin = Cm(page.left), Cm(page.right)
    # document defaults: every run without its own fonts falls back to these, not to the theme's
    defaults = doc.styles.element.find(qn("w:docDefaults"))
    if defaults is not None:
        rpr = defaults.find(qn("w:rPrDefault") + "/" + qn("w:rPr"))
        if rpr is not None:
            _name_fonts(rpr, BODY_FONT)
    set_fonts(doc.styles["Normal"], BODY_FONT, size_pt=BODY_PT)
    doc.styles["Normal"].paragraph_format.line_spacing = Pt(28)  # 28-point lines of official documents
    for name, east_asia, size in (("Title", TITLE_FONT, TITLE_PT), ("Heading 1", TITLE_FONT, TITLE_PT),
                                  ("Heading 2", HEADING_FONT, HEADING_PT), ("Heading 3", HEADING_FONT, SMALL_PT),
                                  ("Quote", BODY_FONT, BODY_PT)):
        style = doc.styles[name]
        set_fonts(style, east_asia, size_pt=size)
        style.font.color.rgb = RGBColor(0, 0, 0)
        style.font.italic = False
    for part in doc.part.package.iter_parts():
        if str(part.partname) == "/word/fontTable.xml":
            part._blob = _font_table_xml(part.blob)  # a plain Part: its bytes are what is saved
    doc.core_properties.title = title
    return doc


def add_text(paragraph: Any, text: str, east_asia: str = BODY_FONT, size_pt: float | None = None,
             bold: bool | None = None, grey: bool = False) -> Any:
    """A run of ``text`` in ``paragraph`` with the given fonts; returns the run."""
    from docx.shared import RGBColor

    run = paragraph.add_run(text)
    set_fonts(run, east_asia, size_pt=size_pt, bold=bold)
    if grey:
        run.font.color.rgb = RGBColor(0x55, 0x55, 0x55)
    return run


def heading(doc: Any, text: str, level: int) -> Any:
    """A heading paragraph: level 1 the centred document title in 小标宋, below it entries in 宋体 bold."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    p = doc.add_heading(level=level)
    if level == 1:
        add_text(p, text, TITLE_FONT, TITLE_PT, bold=False)
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    else:
        add_text(p, text, HEADING_FONT, HEADING_PT if level == 2 else SMALL_PT, bold=True)
    return p
