"""The PDF reader on real PDFs made here: a text PDF with running header and page numbers, a
scanned (image-only) page read by OCR, a mixed document without OCR, and broken files."""
from __future__ import annotations

import difflib
import importlib.util
import io
import random
import socket
from pathlib import Path
from typing import Any

import pytest

pypdfium2 = pytest.importorskip("pypdfium2")
reportlab = pytest.importorskip("reportlab")
from PIL import Image, ImageDraw, ImageFont  # noqa: E402
from reportlab.lib.pagesizes import A4  # noqa: E402
from reportlab.lib.utils import ImageReader  # noqa: E402
from reportlab.pdfbase import pdfmetrics  # noqa: E402
from reportlab.pdfbase.cidfonts import UnicodeCIDFont  # noqa: E402
from reportlab.pdfgen import canvas  # noqa: E402

from indexer.parser import parse_document  # noqa: E402
from indexer.readers import pdf as pdf_reader  # noqa: E402
from indexer.readers.base import UnreadableDocument  # noqa: E402
from indexer.readers.pdf import _Line, _needs_ocr, _Page, _page_label, _remove_headers_footers, read_pdf  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
SOURCE = REPO / "corpus" / "003_f5b1b6779f8b2705.txt"
HEADER = "贵州省卫生健康委员会文件"
FONT, SIZE = "STSong-Light", 12
NOTO = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
PHRASE = "每千人口拥有3岁以下婴幼儿托位数"

pdfmetrics.registerFont(UnicodeCIDFont(FONT))


def _source_lines(n: int = 60) -> list[str]:
    return SOURCE.read_text(encoding="utf-8").splitlines()[:n]


def _wrap(text: str, first_width: float, width: float) -> list[str]:
    out, cur, limit = [], "", first_width
    for ch in text:
        if cur and pdfmetrics.stringWidth(cur + ch, FONT, SIZE) > limit:
            out.append(cur)
            cur, limit = "", width
        cur += ch
    return out + [cur]


def make_text_pdf(
    lines: list[str], header: str = HEADER, title_lines: int = 3, encrypt: Any = None, indent: bool = True
) -> tuple[bytes, int]:
    """A4 pages laid out like a government document: centred title, paragraphs indented two
    characters (unless not ``indent``) and wrapped at the margin, a running header and a "- N -"
    footer on every page. Returns the PDF and its number of pages."""
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4, encrypt=encrypt)
    width, height = A4
    body = width - 144
    page, y = 1, height - 90

    def decorate() -> None:
        c.setFont(FONT, 10)
        c.drawCentredString(width / 2, height - 40, header)
        c.drawCentredString(width / 2, 30, f"- {page} -")
        c.setFont(FONT, SIZE)

    decorate()
    for i, line in enumerate(ln.strip() for ln in lines):
        if not line:
            continue
        parts = [line] if i < title_lines else _wrap(line, body - (2 * SIZE if indent else 0), body)
        for j, part in enumerate(parts):
            if y < 72:
                c.showPage()
                page, y = page + 1, height - 90
                decorate()
            if i < title_lines:
                c.drawCentredString(width / 2, y, part)
            else:
                c.drawString(72 + (2 * SIZE if j == 0 and indent else 0), y, part)
            y -= 1.6 * SIZE
    c.showPage()
    c.save()
    return buf.getvalue(), page


def _squash(text: str) -> str:
    return "".join(text.split())


def test_text_pdf_keeps_every_character_and_drops_header_footer():
    lines = _source_lines()
    data, n_pages = make_text_pdf(lines)
    assert n_pages >= 3
    result = read_pdf(data)
    assert result.format == "pdf"
    assert result.ocr_pages == []
    assert HEADER not in result.text
    assert "- 2 -" not in result.text
    assert _squash(result.text) == _squash("".join(lines))
    assert all(line == line.rstrip() for line in result.text.split("\n"))
    assert len(result.page_starts) == n_pages
    assert result.page_starts[0] == 1 and result.page_starts == sorted(set(result.page_starts))
    # a line inside page 2 is on page 2, and its text is printed on page 2 of the PDF
    line_no = result.page_starts[1] + 1
    assert line_no < result.page_starts[2]
    assert result.pages_of(line_no, line_no) == [2]
    pdf = pypdfium2.PdfDocument(data)
    assert _squash(result.text.split("\n")[line_no - 1]) in _squash(pdf[1].get_textpage().get_text_range())
    assert any("header/footer" in w for w in result.warnings)


def test_text_pdf_parses_into_the_same_clauses_as_the_text():
    lines = _source_lines()
    data, _ = make_text_pdf(lines)
    result = read_pdf(data, ocr=False)
    from_pdf = parse_document(result.text, "003", "x.pdf")
    from_txt = parse_document("\n".join(lines), "003", "x.txt")
    ids_pdf = {c.id for c in from_pdf.clauses}
    ids_txt = {c.id for c in from_txt.clauses}
    assert {"003/一", "003/二", "003/二/（一）", "003/二/（一）/1", "003/二/（一）/2"} <= ids_pdf
    assert ids_pdf <= ids_txt, sorted(ids_pdf - ids_txt)
    texts_txt = {c.id: _squash(c.text) for c in from_txt.clauses}
    for clause in from_pdf.clauses:
        assert _squash(clause.text) == texts_txt[clause.id], clause.id


def test_unindented_pdf_keeps_one_line_per_printed_line():
    # nothing tells a wrap from a new paragraph here: lines stay as printed, the parser joins them
    lines = _source_lines()
    data, _ = make_text_pdf(lines, indent=False)
    result = read_pdf(data)
    assert _squash(result.text) == _squash("".join(lines))
    pdf = pypdfium2.PdfDocument(data)
    printed = sum(len(page.get_textpage().get_text_range().splitlines()) - 2 for page in pdf)  # less header, footer
    assert len(result.text.split("\n")) == printed


def test_characters_are_kept_as_printed():
    lines = ["一、指标", "（一）比例≥90%，差错率≤3‰，依据〔2023〕5号文件：“全面”推进。"] * 3
    data, _ = make_text_pdf(lines, title_lines=0)
    text = read_pdf(data).text
    for s in ("≥90%", "≤3‰", "〔2023〕5号", "“全面”", "（一）", "：", "。"):
        assert s in text


def test_page_number_shapes():
    for label in ("- 3 -", "第 3 页", "— 3 —", "3/20", "第3页 共20页", "－ 12 －"):
        assert _page_label(label) == "label", label
    assert _page_label("3") == "bare"
    for body in ("3.加强", "2025年", "（3）", "一、总体要求"):
        assert _page_label(body) is None, body


def _page(*texts: str) -> _Page:
    return _Page([_Line(t, top=100.0 + 20 * i, left=72, right=300, em=12) for i, t in enumerate(texts)])


WORDS = "甲乙丙丁戊己庚辛壬癸"


def test_lone_numbers_at_page_edges_are_page_numbers_only_when_they_run_with_the_pages():
    # page numbers printed from 3 on (a cover and a table of contents before page 1)
    pages = [_page(f"正文{w}一", f"正文{w}二", "7", f"正文{w}三", "12", str(p + 2)) for p, w in enumerate(WORDS[:4], 1)]
    _remove_headers_footers(pages)
    for p, w in zip(pages, WORDS):
        assert [ln.text for ln in p.lines] == [f"正文{w}一", f"正文{w}二", "7", f"正文{w}三", "12"]


def test_repeated_edge_line_that_is_also_body_text_is_kept():
    pages = [_page("附表", f"正文{w}", f"正文{w}二", "附表", f"正文{w}三", f"正文{w}四") for w in WORDS[:3]]
    _remove_headers_footers(pages)
    assert all(p.lines[0].text == "附表" for p in pages)
    pages = [_page("贵州省文件", f"正文{w}", f"正文{w}二", f"正文{w}三", f"正文{w}四") for w in WORDS[:3]]
    _remove_headers_footers(pages)
    assert all(p.lines[0].text == f"正文{w}" for p, w in zip(pages, WORDS))


class _StubPage:
    """What _needs_ocr asks of a page: its size and its image objects."""

    def __init__(self, image_bounds: tuple[float, float, float, float] | None = None):
        self.images = [type("Img", (), {"get_bounds": lambda self, b=image_bounds: b})()] if image_bounds else []

    def get_width(self) -> float:
        return A4[0]

    def get_height(self) -> float:
        return A4[1]

    def get_objects(self, filter=None):  # noqa: A002 - pypdfium2's name
        return iter(self.images)


def test_which_pages_need_ocr():
    full_page = (0.0, 0.0, A4[0], A4[1])
    text = [_Line("为深入贯彻落实党中央、国务院决策部署，进一步完善医疗卫生服务体系。", 100, 72, 500, 12)]
    assert _needs_ocr(_StubPage(full_page), text) is None  # a real text layer wins over a background image
    assert _needs_ocr(_StubPage(full_page), []) == "no text layer"
    assert _needs_ocr(_StubPage(full_page), [_Line("- 3 -", 800, 280, 300, 10)]) == "no text layer"  # stamped page number
    assert _needs_ocr(_StubPage((400, 50, 500, 150)), []) is None  # a blank page with a seal: nothing to read
    assert _needs_ocr(_StubPage(), [_Line("\ue012\ue013\ufffd\ue020 \ue021", 100, 72, 500, 12)]) == "an unreadable text layer"


def _mixed_pdf(image: Image.Image) -> bytes:
    """Page 1 text, page 2 a full-page image."""
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4)
    c.setFont(FONT, SIZE)
    c.drawString(72, 700, "一、总体要求：以人民健康为中心，全面推进卫生健康事业高质量发展。")
    c.showPage()
    c.drawImage(ImageReader(image), 0, 0, *A4)
    c.showPage()
    c.save()
    return buf.getvalue()


def test_page_without_text_layer_and_no_ocr_is_a_warning():
    data = _mixed_pdf(Image.new("RGB", (620, 877), "white"))
    result = read_pdf(data, ocr=False)
    assert result.warnings[0] == "page 2 has no text layer; OCR unavailable"
    assert result.ocr_pages == []
    assert len(result.page_starts) == 2
    assert "以人民健康为中心" in result.text


def _scan_pdf() -> tuple[bytes, list[str]]:
    if not NOTO.is_file():
        pytest.skip(f"no CJK font at {NOTO} to draw a scanned page with")
    lines = [
        "一、总体要求",
        "到2025年，全省医疗卫生服务体系进一步健全。",
        "每千人口拥有3岁以下婴幼儿托位数4.5个；",
        "居民健康素养水平提高到30%。",
    ]
    dpi = 150
    img = Image.new("L", (int(8.27 * dpi), int(11.69 * dpi)), 255)
    draw = ImageDraw.Draw(img)
    font = ImageFont.truetype(str(NOTO), 34)
    for i, line in enumerate(lines):
        draw.text((150, 200 + 70 * i), line, font=font, fill=0)
    draw.text((img.width // 2 - 40, img.height - 100), "- 1 -", font=font, fill=0)
    buf = io.BytesIO()
    img.save(buf, "PDF", resolution=dpi)
    return buf.getvalue(), lines


def _similar(found: str, expected: str) -> float:
    return max(difflib.SequenceMatcher(None, expected, line).ratio() for line in found.split("\n"))


def test_scanned_page_is_read_by_ocr():
    pytest.importorskip("rapidocr_onnxruntime")
    data, lines = _scan_pdf()
    result = read_pdf(data)
    assert result.ocr_pages == [1]
    assert result.page_starts == [1]
    assert PHRASE in result.text or _similar(result.text, lines[2]) >= 0.8, result.text
    assert _similar(result.text, lines[0]) >= 0.8, result.text
    assert "- 1 -" not in result.text
    # top to bottom: each printed line comes out as one line, in the order printed
    out = result.text.split("\n")
    assert len(out) == len(lines), out
    assert all(difflib.SequenceMatcher(None, a, b).ratio() >= 0.8 for a, b in zip(lines, out)), out


def test_scanned_pdf_without_ocr_is_unreadable(monkeypatch):
    data, _ = _scan_pdf()
    with pytest.raises(UnreadableDocument, match="no text layer and OCR is unavailable"):
        read_pdf(data, ocr=False)
    monkeypatch.setattr(pdf_reader, "_ocr_engine", lambda: None)  # as when rapidocr is not installed
    with pytest.raises(UnreadableDocument, match="no text layer and OCR is unavailable"):
        read_pdf(data)


def test_ocr_models_ship_inside_the_wheel_and_load_offline(monkeypatch):
    spec = importlib.util.find_spec("rapidocr_onnxruntime")
    if spec is None:
        pytest.skip("rapidocr_onnxruntime is not installed")
    package = Path(spec.origin).parent
    models = sorted(p.name for p in (package / "models").glob("*.onnx"))
    assert any("det" in m for m in models) and any("rec" in m for m in models) and any("cls" in m for m in models), models
    assert all((package / "models" / m).stat().st_size > 100_000 for m in models)

    def no_network(*args, **kwargs):
        raise AssertionError("the OCR engine tried to reach the network")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    monkeypatch.setattr(socket, "getaddrinfo", no_network)
    from rapidocr_onnxruntime import RapidOCR

    RapidOCR()


def test_encrypted_pdf_is_unreadable():
    data, _ = make_text_pdf(_source_lines(10), encrypt="secret")
    with pytest.raises(UnreadableDocument, match="^encrypted PDF"):
        read_pdf(data)


def test_copy_protected_pdf_without_user_password_is_read():
    from reportlab.lib.pdfencrypt import StandardEncryption

    lines = _source_lines()
    data, _ = make_text_pdf(lines, encrypt=StandardEncryption("", ownerPassword="owner", canCopy=0, canModify=0))
    assert _squash(read_pdf(data).text) == _squash("".join(lines))


@pytest.mark.parametrize(
    "data",
    [b"", random.Random(7).randbytes(4096), b"%PDF-1.7\n%broken\n" + random.Random(8).randbytes(512)],
    ids=["empty", "random", "truncated"],
)
def test_not_a_pdf_is_unreadable(data):
    with pytest.raises(UnreadableDocument, match="^not a readable PDF"):
        read_pdf(data)


def test_pdf_without_pages_is_unreadable():
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [] /Count 0 >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, obj in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + obj + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    with pytest.raises(UnreadableDocument, match="PDF has no pages"):
        read_pdf(bytes(out))
