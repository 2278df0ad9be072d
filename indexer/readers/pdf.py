"""PDF reader: the text layer through pypdfium2, OCR for scanned pages through RapidOCR.

pypdfium2 (PDFium, BSD/Apache) reads the text layer under a permissive licence (PyMuPDF is AGPL).
rapidocr_onnxruntime ships its PP-OCR models inside the wheel, so OCR never downloads anything.
Running headers, footers and page numbers are removed (the parser would take them for body text);
every other character is kept as printed, one PDF text line per output line, except that a line
wrapped out of a full-width line is joined back where the page's indents show it (the parser
cannot tell that a full line ending in 。 goes on).
"""
from __future__ import annotations

import logging
import math
import re
import statistics
import unicodedata
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from ..parser import classify
from ..textclean import clean_line
from .base import ReadResult, UnreadableDocument

log = logging.getLogger(__name__)

EDGE_LINES = 2  # lines at the top and at the bottom of a page that may be a header, footer or page number
REPEAT_SHARE = 0.6  # a running header/footer is at the edge of at least this share of the pages
MIN_CHARS_A4 = 20  # fewer letters/ideographs than this per A4 area, over a page-size image: a scan
BAD_CHAR_SHARE = 0.3  # this share of replacement/private-use/control characters: a garbage text layer
OCR_LONG_SIDE = 2000  # pixels on a rendered page's long side (RapidOCR's own max_side_len)
_A4_AREA = 595.0 * 842.0

_DASHES = "-‐‑‒–—―－~～〜_"
_BARE_NUMBER = re.compile(rf"^[{_DASHES}\s]*(\d{{1,4}})[{_DASHES}\s]*$")  # 3, - 3 -, — 3 —
_PAGE_LABEL = re.compile(
    r"^(第\s*\d+\s*页(\s*[,，/]?\s*共\s*\d+\s*页)?|共\s*\d+\s*页\s*[,，/]?\s*第\s*\d+\s*页"
    r"|\d+\s*/\s*\d+|(page|p\.)\s*\d+(\s*(of|/)\s*\d+)?)$",
    re.IGNORECASE,
)


@dataclass
class _Line:
    text: str
    top: float  # distance from the top of the page, in points
    left: float
    right: float
    em: float  # character height, in points
    edge: bool = False


@dataclass
class _Page:
    lines: list[_Line]
    ocr: bool = False


def read_pdf(data: bytes, *, ocr: bool = True) -> ReadResult:
    """Read a PDF's text, page by page; scanned pages are OCRed when ``ocr`` and RapidOCR is installed."""
    if not data:
        raise UnreadableDocument("not a readable PDF: empty file")
    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        raise UnreadableDocument(_open_error(data, exc)) from None
    try:
        if len(pdf) == 0:
            raise UnreadableDocument("PDF has no pages")
        pages, warnings = _read_pages(pdf, ocr)
    finally:
        pdf.close()
    if not any(page.lines for page in pages):
        if any(w.endswith("OCR unavailable") for w in warnings):
            raise UnreadableDocument("image-only PDF: no text layer and OCR is unavailable")
        raise UnreadableDocument("PDF has no text")
    removed = _remove_headers_footers(pages)
    if not any(page.lines for page in pages):
        raise UnreadableDocument("PDF has no text but page numbers and running headers")
    if removed:
        warnings.append(f"removed {removed} running header/footer and page-number lines")
    lines, page_starts = _join_wraps(pages)
    ocr_pages = [i + 1 for i, page in enumerate(pages) if page.ocr]
    return ReadResult("\n".join(lines), "pdf", page_starts, ocr_pages, warnings)


def _open_error(data: bytes, exc: Exception) -> str:
    """Why PDFium refused the file (its error code is only reliable right after a failed load)."""
    doc = pdfium_c.FPDF_LoadMemDocument64(data, len(data), None)
    if doc:  # it loads: pypdfium2 refused it for having no page
        pdfium_c.FPDF_CloseDocument(doc)
        return "PDF has no pages"
    if pdfium_c.FPDF_GetLastError() in (pdfium_c.FPDF_ERR_PASSWORD, pdfium_c.FPDF_ERR_SECURITY):
        return f"encrypted PDF: {exc}"
    return f"not a readable PDF: {exc}"


def _read_pages(pdf: pdfium.PdfDocument, ocr: bool) -> tuple[list[_Page], list[str]]:
    pages: list[_Page] = []
    warnings: list[str] = []
    for index in range(len(pdf)):
        page = pdf[index]
        try:
            lines = _text_lines(page)
            lack = _needs_ocr(page, lines)
            engine = _ocr_engine() if lack and ocr else None
            if lack is None:
                pages.append(_Page(lines))
                continue
            pages.append(_Page([]))
            if engine is None:
                warnings.append(f"page {index + 1} has {lack}; OCR unavailable")
                continue
            try:
                pages[-1] = _Page(_ocr_lines(page, engine), ocr=True)
            except Exception as exc:  # one bad page must not lose the document
                log.exception("OCR failed on page %d", index + 1)
                warnings.append(f"page {index + 1} has {lack}; OCR failed ({type(exc).__name__})")
            if pages[-1].ocr and not pages[-1].lines:
                pages[-1].ocr = False
                warnings.append(f"page {index + 1} has {lack}; OCR found no text")
        finally:
            page.close()
    return pages, warnings


def _text_lines(page: pdfium.PdfPage) -> list[_Line]:
    """The page's text layer, one entry per line PDFium found, with the line's position."""
    height, textpage = page.get_height(), page.get_textpage()
    lines: list[_Line] = []
    chars: list[str] = []
    boxes: list[tuple[float, float, float, float]] = []
    try:
        n = textpage.count_chars()
        for i in range(n + 1):
            ch = chr(pdfium_c.FPDFText_GetUnicode(textpage, i)) if i < n else "\n"
            if ch == "\n":
                text = "".join(chars).rstrip()
                if text.strip() and boxes:
                    em = max(b[3] - b[1] for b in boxes)
                    top, left, right = height - max(b[3] for b in boxes), min(b[0] for b in boxes), max(b[2] for b in boxes)
                    lines.append(_Line(text, top, left, right, em))
                chars, boxes = [], []
            elif ch not in "\r\x00":
                chars.append("-" if ch == "\x02" else ch)  # PDFium reports a hyphen ending a line as \x02
                if not ch.isspace() and not pdfium_c.FPDFText_IsGenerated(textpage, i):
                    boxes.append(textpage.get_charbox(i, loose=True))
    finally:
        textpage.close()
    return lines


def _needs_ocr(page: pdfium.PdfPage, lines: list[_Line]) -> str | None:
    """Why the page must be OCRed: no text layer (or almost none) over a page-size image, or a
    text layer of garbage characters (fonts without a Unicode map); None when its text is usable."""
    chars = [c for line in lines for c in line.text if not c.isspace()]
    bad = sum(c == "\ufffd" or unicodedata.category(c) in ("Co", "Cc") for c in chars)
    if chars and bad / len(chars) >= BAD_CHAR_SHARE:
        return "an unreadable text layer"
    width, height = page.get_width(), page.get_height()
    if sum(c.isalnum() for c in chars) >= MIN_CHARS_A4 * width * height / _A4_AREA:
        return None
    covered = 0.0
    for obj in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE]):
        left, bottom, right, top = obj.get_bounds()
        covered = max(covered, (right - left) * (top - bottom))
    return "no text layer" if covered >= 0.5 * width * height else None


@lru_cache(maxsize=1)
def _ocr_engine() -> Any | None:
    """RapidOCR with the models from its wheel, or None when it is not installed (or fails to load)."""
    try:
        from rapidocr_onnxruntime import RapidOCR

        return RapidOCR()
    except Exception:  # ImportError, or onnxruntime unable to load the models
        log.warning("rapidocr_onnxruntime is not available: scanned PDF pages cannot be read", exc_info=True)
        return None


def _ocr_lines(page: pdfium.PdfPage, engine: Any) -> list[_Line]:
    """Render the page, OCR it, and order the boxes into lines (top to bottom, left to right)."""
    scale = min(4.0, max(1.0, OCR_LONG_SIDE / max(page.get_width(), page.get_height())))
    bitmap = page.render(scale=scale, grayscale=True)
    try:
        result, _ = engine(bitmap.to_numpy())
    finally:
        bitmap.close()
    boxes = []  # top, bottom, left, right (points), text
    for points, text, _score in result or []:
        xs, ys = [p[0] / scale for p in points], [p[1] / scale for p in points]
        boxes.append((min(ys), max(ys), min(xs), max(xs), text))
    rows: list[list[tuple[float, float, float, float, str]]] = []
    for box in sorted(boxes, key=lambda b: b[0] + b[1]):  # a box overlapping the row above by half joins it
        top, bottom = (min(b[0] for b in rows[-1]), max(b[1] for b in rows[-1])) if rows else (0.0, 0.0)
        if rows and min(bottom, box[1]) - max(top, box[0]) > 0.5 * min(bottom - top, box[1] - box[0]):
            rows[-1].append(box)
        else:
            rows.append([box])
    lines: list[_Line] = []
    for row in rows:
        row.sort(key=lambda b: b[2])
        text = row[0][4] + "".join((" " if b[2] - a[3] > b[1] - b[0] else "") + b[4] for a, b in zip(row, row[1:]))
        if text.strip():
            em = statistics.median(b[1] - b[0] for b in row)
            lines.append(_Line(text.rstrip(), min(b[0] for b in row), row[0][2], max(b[3] for b in row), em))
    return lines


def _page_label(text: str) -> str | None:
    """'bare' for a lone number ("3"), 'label' for - 3 - / 第3页 / 3/20 / Page 3, else None."""
    s = text.strip()
    m = _BARE_NUMBER.match(s)
    if m:
        return "bare" if m.group(1) == s else "label"
    return "label" if _PAGE_LABEL.match(s) else None


def _remove_headers_footers(pages: list[_Page]) -> int:
    """Drop page numbers and lines repeated at the top or bottom of most pages; returns how many."""
    for page in pages:
        order = sorted(range(len(page.lines)), key=lambda i: page.lines[i].top)
        for i in order[:EDGE_LINES] + order[-EDGE_LINES:]:
            page.lines[i].edge = True

    def key(text: str) -> str:
        return re.sub(r"\d+", "#", "".join(text.split()))

    edge_pages: Counter[str] = Counter()
    body_keys: set[str] = set()  # a line also printed inside a page is body text, not a header
    for page in pages:
        edge_pages.update({key(line.text) for line in page.lines if line.edge})
        body_keys.update(key(line.text) for line in page.lines if not line.edge)
    need = max(2, math.ceil(REPEAT_SHARE * len(pages)))
    running = {k for k, n in edge_pages.items() if n >= need and k not in body_keys}
    # A lone number is a page number when it runs with the page index (the same offset on most pages).
    offsets = Counter(
        int(ln.text.strip()) - p for p, page in enumerate(pages, 1) for ln in page.lines if ln.edge and _page_label(ln.text) == "bare"
    )
    offset, count = offsets.most_common(1)[0] if offsets else (None, 0)
    removed = 0
    for p, page in enumerate(pages, 1):
        kept = []
        for line in page.lines:
            kind = _page_label(line.text) if line.edge else None
            page_no = kind == "bare" and int(line.text.strip()) - p == offset and (count >= 2 or len(pages) == 1)
            if line.edge and (key(line.text) in running or kind == "label" or page_no):
                removed += 1
                log.debug("page %d: dropped header/footer line %r", p, line.text)
            else:
                kept.append(line)
        page.lines = kept
    return removed


def _join_wraps(pages: list[_Page]) -> tuple[list[str], list[int]]:
    """The text lines and the line each page starts on. Where paragraphs start indented, a line
    at the left margin after a full-width line goes on with it and is joined back (also across a
    page break: the next page then starts inside that line); labels (一、 1.) never join."""
    lines = [ln for page in pages for ln in page.lines]
    em = statistics.median(ln.em for ln in lines)
    boxes: list[tuple[float, float]] = []  # each page's left margin and right edge (few lines: the last page's)
    for page in pages:
        if len(page.lines) >= 3 or (not boxes and page.lines):
            boxes.append((min(ln.left for ln in page.lines), max(ln.right for ln in page.lines)))
        else:
            boxes.append(boxes[-1] if boxes else (0.0, 0.0))
    indents = sum(1.2 * em <= ln.left - box[0] <= 2.8 * em for page, box in zip(pages, boxes) for ln in page.lines)
    out: list[_Line] = []
    starts: list[int] = []
    last = -2  # the page out[-1] ends on
    for p, page in enumerate(pages):
        starts.append(len(out) + 1)
        for k, line in enumerate(page.lines):
            prev = out[-1] if out and p - last <= 1 else None
            if (
                indents >= max(2, 0.05 * len(lines))
                and prev is not None
                and prev.right >= boxes[last][1] - 1.5 * em
                and line.left - boxes[p][0] <= 0.5 * em
                and (k == 0 or 0 < line.top - prev.top <= 3 * em)
                and classify(line.text, clean_line(line.text)) is None
            ):
                nxt = line.text.lstrip()
                space = " " if (prev.text[-1] + nxt[0]).isascii() and (prev.text[-1] + nxt[0]).isalnum() else ""
                out[-1] = _Line(prev.text + space + nxt, line.top, prev.left, line.right, prev.em)
                if k == 0:
                    starts[-1] = len(out)  # the page starts inside the joined line
            else:
                out.append(line)
            last = p
    return [ln.text for ln in out], starts
