"""What every reader returns: the document as plain text for the clause parser, with its pages."""
from __future__ import annotations

from dataclasses import dataclass, field

from ..textclean import UnreadableDocument

__all__ = ["ReadResult", "UnreadableDocument"]


@dataclass
class ReadResult:
    """A document read from its file.

    ``text`` is what the clause parser reads: one paragraph per line, a blank line between
    paragraphs, table rows as tab-separated cells (first row the header). ``page_starts[i]`` is the
    1-based line of ``text`` where page ``i + 1`` begins (empty for formats without pages);
    ``ocr_pages`` are the 1-based pages whose text came from OCR. ``warnings`` say what was
    repaired or left out (one line each)."""

    text: str
    format: str
    page_starts: list[int] = field(default_factory=list)
    ocr_pages: list[int] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def pages_of(self, first_line: int, last_line: int) -> list[int]:
        """The 1-based pages that lines ``first_line``–``last_line`` lie on."""
        if not self.page_starts:
            return []
        pages = []
        for i, start in enumerate(self.page_starts):
            end = self.page_starts[i + 1] - 1 if i + 1 < len(self.page_starts) else 10**9
            if start <= last_line and first_line <= end:
                pages.append(i + 1)
        return pages
