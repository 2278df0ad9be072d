"""OFD (GB/T 33190), the national format of official electronic documents, read with ``ofdkit``
(pure Python, Apache-2.0): the text of each page in reading order, with its page numbers."""
from __future__ import annotations

import logging

from .base import ReadResult, UnreadableDocument

log = logging.getLogger(__name__)


def read_ofd(data: bytes) -> ReadResult:
    """Every page's text; an unreadable or textless file is an :class:`UnreadableDocument`."""
    import ofdkit

    try:
        with ofdkit.open(data) as doc:
            pages = [page.text() for page in doc.pages]
    except ofdkit.OFDError as exc:
        raise UnreadableDocument(f"not a readable OFD file: {exc}") from None
    except (ValueError, KeyError, OSError) as exc:  # a damaged package ofdkit did not classify
        raise UnreadableDocument(f"not a readable OFD file: {type(exc).__name__}: {exc}") from None
    lines: list[str] = []
    starts: list[int] = []
    for text in pages:
        starts.append(len(lines) + 1)
        lines.extend(text.splitlines() or [""])
        lines.append("")
    if not "".join(lines).strip():
        raise UnreadableDocument("OFD file has no text (a scanned OFD needs OCR of its images)")
    return ReadResult("\n".join(lines), "ofd", page_starts=starts)
