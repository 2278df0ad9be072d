"""Read a document file of any supported format into text for the clause parser.

| suffix | reader |
| --- | --- |
| ``.txt`` ``.md`` ``.text`` ``.markdown`` | UTF-8 (with or without BOM), UTF-16 with BOM, GBK/GB18030 |
| ``.pdf`` | text layer (pypdfium2), running headers / footers / page numbers removed; OCR for scanned pages |
| ``.docx`` | python-docx: paragraphs, tables as rows, Word's automatic numbering (一、（一）) restored |
| ``.html`` ``.htm`` | the main text of a saved web page (trafilatura) |
| ``.xlsx`` ``.csv`` | table rows with their header |
| ``.ofd`` | GB/T 33190 official documents (ofdkit): each page's text in reading order |
| ``.doc`` ``.wps`` | converted to .docx by LibreOffice when ``soffice`` is installed, else refused with a message |

Every failure is an :class:`UnreadableDocument` with a one-line reason (never a silent skip).
"""
from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from ..textclean import decode_bytes
from .base import ReadResult, UnreadableDocument

TEXT_SUFFIXES = {".txt", ".md", ".text", ".markdown"}
SUPPORTED_SUFFIXES = TEXT_SUFFIXES | {".pdf", ".docx", ".html", ".htm", ".xlsx", ".csv", ".ofd", ".doc", ".wps"}
CONVERT_TIMEOUT_S = 120

__all__ = ["ReadResult", "UnreadableDocument", "SUPPORTED_SUFFIXES", "TEXT_SUFFIXES", "read_document"]


def read_document(name: str, data: bytes) -> ReadResult:
    """Read ``data``, the content of a file called ``name`` (its suffix picks the reader)."""
    suffix = Path(name).suffix.lower()
    if suffix in TEXT_SUFFIXES:
        text, encoding = decode_bytes(data)
        result = ReadResult(text, "text")
        if "replaced" in encoding:
            result.warnings.append(encoding)
        elif encoding != "utf-8":
            result.warnings.append(f"decoded as {encoding}")
        return result
    if not data:
        raise UnreadableDocument("empty file")
    if suffix == ".pdf":
        from .pdf import read_pdf

        return read_pdf(data)
    if suffix == ".docx":
        from .docx import read_docx

        return read_docx(data)
    if suffix in (".html", ".htm"):
        from .html import read_html

        return read_html(data)
    if suffix in (".xlsx", ".csv"):
        from .sheet import read_sheet

        return read_sheet(data, suffix)
    if suffix == ".ofd":
        from .ofd import read_ofd

        return read_ofd(data)
    if suffix in (".doc", ".wps"):
        return _converted(name, data)
    raise UnreadableDocument(
        f"unsupported file type {suffix or '(none)'}: use .txt, .md, .pdf, .docx, .ofd, .html, .xlsx or .csv"
    )


def _converted(name: str, data: bytes) -> ReadResult:
    """A legacy Word / WPS file, through LibreOffice (``soffice --convert-to docx``) when installed."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    suffix = Path(name).suffix.lower()
    if soffice is None:
        raise UnreadableDocument(f"{suffix} needs LibreOffice (apt-get install libreoffice-writer), or save it as .docx")
    from .docx import read_docx

    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / f"in{suffix}"
        src.write_bytes(data)
        try:
            subprocess.run(
                [soffice, "--headless", "--convert-to", "docx", "--outdir", tmp, str(src)],
                check=True, capture_output=True, timeout=CONVERT_TIMEOUT_S,
            )
        except (subprocess.SubprocessError, OSError) as exc:
            raise UnreadableDocument(f"LibreOffice could not convert this {suffix}: {exc}; save it as .docx") from None
        out = Path(tmp) / "in.docx"
        if not out.is_file():
            raise UnreadableDocument(f"LibreOffice could not convert this {suffix}; save it as .docx")
        result = read_docx(out.read_bytes())
    result.format = suffix.lstrip(".")
    result.warnings.append(f"converted from {suffix} by LibreOffice")
    return result
