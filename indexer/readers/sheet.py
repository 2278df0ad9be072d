"""Spreadsheets (.xlsx, .csv): every sheet as a caption line and tab-separated rows, header first.

Indicator tables, project lists and fee schedules are published as spreadsheets; the clause parser
turns each tab-separated row into a table-row clause carrying its header, so the reader only has
to write the sheet name (caption), then the rows. Title rows above the header (one filled cell)
stay plain lines. openpyxl (MIT) reads .xlsx in read-only mode with cached formula values; the zip
is checked for size before it is opened.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import logging
import re

from .base import ReadResult, UnreadableDocument
from .docx import check_zip

log = logging.getLogger(__name__)

MAX_ROWS = 200_000  # rows read from one file; the rest is left out with a warning
_DELIMITERS = ",\t;|，"


def _cell(value: object) -> str:
    """A cell value as text: whole floats without ".0", dates as ISO dates, no tabs or newlines."""
    if value is None:
        return ""
    if isinstance(value, float):
        text = str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    elif isinstance(value, dt.datetime):
        text = value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    elif isinstance(value, (dt.date, dt.time)):
        text = value.isoformat()
    else:
        text = str(value)
    return re.sub(r"\s+", " ", text).strip()


def table_lines(rows: list[list[str]], caption: str = "") -> list[str]:
    """Caption, title rows, then the table as tab-separated rows (its first row the header)."""
    rows = [r for r in rows if any(r)]
    if not rows:
        return []
    width = max(max((i + 1 for i, c in enumerate(r) if c), default=0) for r in rows)
    lines = [caption] if caption else []
    k = 0
    while width > 1 and k < len(rows) - 1 and sum(1 for c in rows[k] if c) == 1:
        lines.append(next(c for c in rows[k] if c))  # a title above the header
        k += 1
    lines += ["\t".join(r[:width] + [""] * (width - len(r))) for r in rows[k:]]
    return lines


def read_sheet(data: bytes, suffix: str) -> ReadResult:
    """Read a .xlsx (every visible sheet) or a .csv file into tab-separated rows."""
    kind = suffix.lower().lstrip(".")
    if kind in ("xlsx", "xlsm"):
        return _read_xlsx(data)
    if kind in ("csv", "tsv"):
        return _read_csv(data)
    raise UnreadableDocument(f"unsupported spreadsheet type {suffix}: use .xlsx or .csv")


def _read_xlsx(data: bytes) -> ReadResult:
    check_zip(data, ".xlsx")
    import openpyxl

    blocks: list[str] = []
    warnings: list[str] = []
    total = 0
    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl / zip / XML errors on a damaged or foreign file
        raise UnreadableDocument(f"not a readable .xlsx: {_reason(exc)}") from None
    try:
        for ws in wb.worksheets:
            if getattr(ws, "sheet_state", "visible") != "visible":
                warnings.append(f"hidden sheet {ws.title!r} left out")
                continue
            ws.reset_dimensions()  # trust the cells, not the sheet's (often wrong) stored dimension
            rows: list[list[str]] = []
            for values in ws.iter_rows(values_only=True):
                if total >= MAX_ROWS:
                    warnings.append(f"more than {MAX_ROWS} rows: the rest of sheet {ws.title!r} and later sheets left out")
                    break
                rows.append([_cell(v) for v in values])
                total += 1
            if lines := table_lines(rows, ws.title.strip()):
                blocks.append("\n".join(lines))
            if total >= MAX_ROWS:
                break
    except Exception as exc:
        raise UnreadableDocument(f"not a readable .xlsx: {_reason(exc)}") from None
    finally:
        wb.close()
    if not blocks:
        raise UnreadableDocument("no text")
    log.debug("xlsx: %d sheets, %d rows", len(blocks), total)
    return ReadResult("\n\n".join(blocks), "xlsx", warnings=warnings)


def _reason(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def _read_csv(data: bytes) -> ReadResult:
    if not data.strip():
        raise UnreadableDocument("empty file")
    if b"\x00" in data[:8192]:
        raise UnreadableDocument("not a readable .csv: binary file (NUL bytes)")
    warnings: list[str] = []
    for enc in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(enc)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise UnreadableDocument("not a readable .csv: not UTF-8 and not GBK/GB18030 text")
    if enc != "utf-8-sig":
        warnings.append(f"decoded as {enc}")
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(text[:20000], delimiters=_DELIMITERS)
    except csv.Error:
        dialect = csv.excel
    try:
        rows = [[_cell(c) for c in row] for _, row in zip(range(MAX_ROWS + 1), csv.reader(io.StringIO(text, newline=""), dialect))]
    except csv.Error as exc:
        raise UnreadableDocument(f"not a readable .csv: {exc}") from None
    if len(rows) > MAX_ROWS:
        rows = rows[:MAX_ROWS]
        warnings.append(f"more than {MAX_ROWS} rows: the rest left out")
    lines = table_lines(rows)
    if not lines:
        raise UnreadableDocument("no text")
    return ReadResult("\n".join(lines), "csv", warnings=warnings)
