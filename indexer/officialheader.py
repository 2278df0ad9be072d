"""The official-document header (红头) read from the text: 发文机关, 文号, 成文日期 and status.

A government document opens with its issuer (贵州省人民政府办公厅, often letter-spaced, or
…文件), then its number on a line of its own (黔府办函〔2019〕12号), and closes with the date it was
made on a line of its own (2019年1月26日); a draft says （征求意见稿） under its title. A plan or a
report without a 红头 prints its issuer and date under the title instead (安顺市平坝区卫生健康局 /
2022年4月, read as 2022-04), and a letter signs off with the issuer on the line above the date. The
manifest still overrides every field read here.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

HEAD_LINES = 15
_SPACES = re.compile(r"[\s\u3000]+")
_NUMBER_LINE = re.compile(r"^([\u4e00-\u9fff]{1,12})[〔\[［(（](\d{4})[〕\]］)）](\d{1,5})号$")
_DATE_LINE = re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日$")
_MONTH_LINE = re.compile(r"^(\d{4})年(\d{1,2})月$")
_SENTENCE = re.compile(r"[。，,；;：:、！？]")
_ISSUER = re.compile(r"(?:人民政府|办公厅|办公室|委员会|人民代表大会常务委员会|[厅局委办部署院])(?:文件)?$")
_STATUS = re.compile(r"征求意见稿|送审稿")


@dataclass
class OfficialHeader:
    issuer: str | None = None
    doc_number: str | None = None
    date: str | None = None  # ISO yyyy-mm-dd
    status: str | None = None


def read_header(text: str) -> OfficialHeader:
    """What the text's own header and signature say (``None`` for what it does not)."""
    lines = [_SPACES.sub("", ln) for ln in text.splitlines()]
    lines = [ln for ln in lines if ln]
    head = lines[:HEAD_LINES]
    out = OfficialHeader()
    for i, line in enumerate(head):
        m = _NUMBER_LINE.match(line)
        if m:
            out.doc_number = f"{m.group(1)}〔{m.group(2)}〕{m.group(3)}号"
            issuer = next((ln for ln in reversed(head[:i]) if _ISSUER.search(ln) and len(ln) <= 30), None)
            if issuer:
                out.issuer = issuer.removesuffix("文件")
            break
    if out.issuer is None and head and head[0].endswith("文件") and _ISSUER.search(head[0]):
        out.issuer = head[0].removesuffix("文件")
    for line in head[:6]:
        m = _STATUS.search(line)
        if m and len(line) <= 12 and line.strip("（）()") == m.group(0):
            out.status = m.group(0)
            break
    at = None
    for i, line in enumerate(lines):
        m = _DATE_LINE.match(line)
        if m:
            y, mo, d = (int(x) for x in m.groups())
            if 1949 <= y <= 2100 and 1 <= mo <= 12 and 1 <= d <= 31:
                out.date, at = f"{y:04d}-{mo:02d}-{d:02d}", i
                break
    if out.date is None:  # a plan's cover: title, issuer, 2022年4月
        for i, line in enumerate(head):
            m = _MONTH_LINE.match(line)
            if m and 1949 <= int(m.group(1)) <= 2100 and 1 <= int(m.group(2)) <= 12:
                out.date, at = f"{int(m.group(1)):04d}-{int(m.group(2)):02d}", i
                break
    if out.issuer is None and at:
        out.issuer = _issuer_line(lines[at - 1])
    return out


def _issuer_line(line: str) -> str | None:
    """The line above a date names its issuer when it is a short organ name, not a sentence."""
    if len(line) <= 30 and _ISSUER.search(line) and not _SENTENCE.search(line):
        return line.removesuffix("文件")
    return None
