"""Saved web pages (.html): the article's text, without the site's navigation, footer and tool bar.

Government sites wrap each policy in a portal page (menus, breadcrumbs, 打印本页 / 关闭窗口,
网站地图 / ICP备案 footers); trafilatura (Apache-2.0) finds the main text. Merged table cells
(rowspan / colspan) are expanded before extraction so every row keeps all its columns, and the
pipe rows trafilatura prints for tables are turned into the tab-separated rows the clause parser
reads. A plain text dump (lxml) is the fallback when trafilatura finds no main text.
"""
from __future__ import annotations

import codecs
import copy
import logging
import re

import trafilatura
from lxml import etree

from .base import ReadResult, UnreadableDocument

log = logging.getLogger(__name__)

_META_CHARSET = re.compile(rb"""(?:<meta[^>]*?charset|<\?xml[^>]*?encoding)\s*=\s*["']?\s*([A-Za-z0-9_.:\-]+)""", re.I)
_GB = {"gb2312", "gbk", "x-gbk", "cp936", "ms936", "gb_2312-80", "euc-cn", "hz-gb-2312"}
# Page furniture that sits inside the article box on many government sites.
_TOOL_TOKEN = re.compile(r"【[^】]{0,12}(打印|关闭|字体|字号|收藏|分享|返回|纠错)[^】]{0,12}】|[\[［](打印|关闭)[^\]］]{0,6}[\]］]"
                         r"|(字体|字号)[:：]\s*[大中小默认]\s*[大中小默认]\s*[大中小]?")
_TOOL_LINE = re.compile(r"打印本页|打印此页|关闭窗口|关闭本页|^分享到|扫一扫在手机|返回顶部|收藏本页")
_FOOTER_LINE = re.compile(r"网站地图|ICP备|网站标识码|公网安备|^(主办|承办|协办)单位[:：]|^技术支持[:：]|^版权所有[:：©]")
_MD_SEPARATOR = re.compile(r"^\|?(\s*:?-{2,}:?\s*\|)+\s*$")
_BLOCK = {"p", "div", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "br", "tr", "section", "article",
          "dd", "dt", "dl", "blockquote", "pre", "center", "table", "form", "title"}
_DROP = {"script", "style", "noscript", "nav", "header", "footer", "head", "select", "button", "iframe", "template"}


def decode_html(data: bytes) -> tuple[str, list[str]]:
    """The page as text: BOM, else the meta charset, else UTF-8, else GB18030."""
    if not data.strip():
        raise UnreadableDocument("empty file")
    for bom, enc in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            try:
                return data.decode(enc), []
            except UnicodeDecodeError:
                break
    candidates = []
    m = _META_CHARSET.search(data[:8192])
    if m:
        name = m.group(1).decode("ascii", "replace").lower()
        name = "gb18030" if name in _GB else name
        try:
            candidates.append(codecs.lookup(name).name)
        except LookupError:
            pass
    if b"\x00" in data[:8192] and not candidates:
        raise UnreadableDocument("binary file (NUL bytes), not a web page")
    warnings = []
    for enc in dict.fromkeys(candidates + ["utf-8", "gb18030"]):
        try:
            text = data.decode(enc)
        except UnicodeDecodeError:
            continue
        if candidates and enc != candidates[0]:
            warnings.append(f"declared charset {candidates[0]} does not fit; decoded as {enc}")
        return text, warnings
    return data.decode("utf-8", errors="replace"), ["not valid UTF-8 or GB18030; bad bytes replaced"]


def _expand_spans(tree) -> None:
    """Repeat every rowspan / colspan cell into each grid position it covers."""
    for table in tree.iter("table"):
        pending: dict[int, list] = {}  # column -> [rows still to fill, cell]
        for tr in table.xpath("./tr | ./thead/tr | ./tbody/tr | ./tfoot/tr"):
            queue = [c for c in tr if c.tag in ("td", "th")]
            out, col = [], 0
            while queue or any(k >= col for k in pending):
                if col in pending:
                    left, cell = pending[col]
                    out.append(copy.deepcopy(cell))
                    pending[col][0] -= 1
                    if left <= 1:
                        del pending[col]
                elif queue:
                    cell = queue.pop(0)
                    rows = min(max(_int(cell.get("rowspan")), 1), 500)
                    cols = min(max(_int(cell.get("colspan")), 1), 50)
                    for attr in ("rowspan", "colspan"):
                        cell.attrib.pop(attr, None)
                    for k in range(cols):
                        out.append(cell if k == 0 else copy.deepcopy(cell))
                        if rows > 1:
                            pending[col + k] = [rows - 1, cell]
                    col += cols - 1
                else:
                    out.append(etree.Element("td"))
                col += 1
            for c in [c for c in tr if c.tag in ("td", "th")]:
                tr.remove(c)
            for c in out:
                c.tail = None
                tr.append(c)


def _int(value: str | None) -> int:
    m = re.match(r"\s*(\d+)", value or "")
    return int(m.group(1)) if m else 1


def _tidy(text: str) -> list[str]:
    """Lines of extracted text: pipe rows as tab-separated rows, tool bar and footer lines dropped."""
    lines = []
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("|") and line.endswith("|") and line.count("|") >= 2:
            if _MD_SEPARATOR.match(line):
                continue
            cells = [re.sub(r"\s+", " ", c).strip() for c in line[1:-1].split("|")]
            lines.append("\t".join(cells))
            continue
        line = _TOOL_TOKEN.sub("", line).strip()
        if not line or (len(line) <= 80 and (_TOOL_LINE.search(line) or _FOOTER_LINE.search(line))):
            continue
        lines.append(re.sub(r"[ \t\u00a0]+", " ", line))
    return lines


def _plain_dump(tree) -> str:
    """Every visible text of the page, one block per line, tables as tab-separated rows."""
    parts: list[str] = []

    def walk(el) -> None:
        tag = el.tag if isinstance(el.tag, str) else ""
        if tag in ("td", "th"):
            parts.append("\t" + " ".join(el.text_content().split()))
        elif tag and tag not in _DROP:
            parts.append("\n" if tag in _BLOCK else "")
            parts.append((el.text or "").replace("\t", " ").replace("\n", " "))
            for ch in el:
                walk(ch)
            parts.append("\n" if tag in _BLOCK else "")
        parts.append((el.tail or "").replace("\t", " ").replace("\n", " "))

    walk(tree)
    lines = (re.sub(r"[ \u00a0\u3000]+", " ", ln).strip(" ") for ln in "".join(parts).split("\n"))
    return "\n".join(ln[1:] if ln.startswith("\t") else ln for ln in lines if ln.strip())


def read_html(data: bytes) -> ReadResult:
    """Read a saved web page: its main text (title first), tables as tab-separated rows."""
    text, warnings = decode_html(data)
    tree = trafilatura.load_html(text)
    if tree is None:
        raise UnreadableDocument("not a readable web page: no HTML found")
    _expand_spans(tree)
    meta = trafilatura.extract_metadata(copy.deepcopy(tree))
    body = trafilatura.extract(copy.deepcopy(tree), include_tables=True, favor_recall=True, output_format="txt",
                               include_comments=False, include_images=False, include_links=False, deduplicate=False)
    lines = _tidy(body or "")
    if lines:
        title = (meta.title or "").strip() if meta is not None else ""
        title = max(re.split(r"\s*[_|｜]\s*|\s+[-–—]\s+", title), key=len)  # 标题_政策文件_某省政府网
        if title and not any(title in ln for ln in lines[:5]):
            lines.insert(0, title)
    else:
        warnings.append("no main text found; the whole page's text is kept (menus and footers included)")
        log.warning("html: trafilatura found no main text, falling back to a plain text dump")
        lines = _tidy(_plain_dump(tree))
    if not lines:
        raise UnreadableDocument("no text")
    return ReadResult("\n\n".join(_join_tables(lines)), "html", warnings=warnings)


def _join_tables(lines: list[str]) -> list[str]:
    """Keep consecutive table rows together (one block), every other line its own block."""
    out: list[str] = []
    for line in lines:
        if out and "\t" in line and "\t" in out[-1].rsplit("\n", 1)[-1]:
            out[-1] += "\n" + line
        else:
            out.append(line)
    return out
