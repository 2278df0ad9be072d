"""Pure text formatting for the UI: safe Markdown, quote highlighting, citation fields.

No Streamlit here, so the export module and the tests can use the same helpers.
"""
from __future__ import annotations

import html
import re
from typing import Any
from urllib.parse import urlencode

from ui.api import ApiProblem, ServiceError

NOT_FOUND = "未在语料中找到"

# ASCII characters that start Markdown inline syntax anywhere in a line (brackets are handled
# separately so that answer markers [1] stay readable in the source).
_INLINE_SPECIAL = set("\\`*_$~|")
_LINE_START = re.compile(r"^(\s*)(\d+[.)]|[-+>#=])(?=\s|$)")
_MARKER = re.compile(r"\[(\d{1,2})\]")


def escape_md(text: str) -> str:
    """Text rendered literally by ``st.markdown(..., unsafe_allow_html=True)``.

    HTML metacharacters become entities; Markdown punctuation is backslash-escaped; a line that
    would start a list, quote or heading is defused; ``](`` cannot form a link. Numbers such as
    4.5 or 0.83 are left as they are.
    """
    out = []
    for ch in text:
        if ch == "&":
            out.append("&amp;")
        elif ch == "<":
            out.append("&lt;")
        elif ch == ">":
            out.append("&gt;")
        elif ch in _INLINE_SPECIAL:
            out.append("\\" + ch)
        else:
            out.append(ch)
    escaped = "".join(out).replace("](", "]\\(").replace("[", "\\[")
    lines = []
    for line in escaped.split("\n"):
        m = _LINE_START.match(line)
        if m:
            token = m.group(2)
            line = m.group(1) + token[:-1] + "\\" + token[-1] + line[m.end():]
        lines.append(line)
    return "  \n".join(lines)


def escape_html(text: str) -> str:
    """Text for inside an HTML block (where Markdown is not parsed): entities and <br> only."""
    return html.escape(text, quote=False).replace("\n", "<br>")


def quote_spans(text: str, quote: str | None) -> list[tuple[int, int]]:
    """Character spans of ``text`` covered by ``quote`` (exact, or piece by piece around ``…``)."""
    if not quote or not text:
        return []
    quote = quote.strip()
    idx = text.find(quote)
    if idx >= 0:
        return [(idx, idx + len(quote))]
    spans: list[tuple[int, int]] = []
    start = 0
    for piece in re.split(r"[…]+|\.\.\.+|\s{2,}", quote):
        piece = piece.strip(" ，,；;。")
        if len(piece) < 2:
            continue
        i = text.find(piece, start)
        if i < 0:
            i = text.find(piece)
        if i >= 0:
            spans.append((i, i + len(piece)))
            start = i + len(piece)
    return sorted(set(spans))


def _valid_spans(text: str, spans: Any) -> list[tuple[int, int]]:
    out = []
    for span in spans or []:
        try:
            a, b = int(span[0]), int(span[1])
        except (TypeError, ValueError, IndexError):
            return []
        if not 0 <= a < b <= len(text):
            return []
        out.append((a, b))
    return sorted(out)


def highlight_html(text: str, quote: str | None, spans: Any = None, *, inside_html: bool = False) -> str:
    """Escaped clause text with the quoted part(s) wrapped in ``<mark>``.

    ``spans`` are the service's ``quote_spans`` (``[start, end)`` offsets into ``text``); without
    them the quote is looked up in the text. ``inside_html``: the result goes inside an HTML
    element (no Markdown escaping there, only entities)."""
    esc = escape_html if inside_html else escape_md
    spans = _valid_spans(text, spans) or quote_spans(text, quote)
    if not spans:
        return esc(text)
    parts, pos = [], 0
    for a, b in spans:
        if a < pos:
            continue
        parts.append(esc(text[pos:a]))
        parts.append("<mark>" + esc(text[a:b]) + "</mark>")
        pos = b
    parts.append(esc(text[pos:]))
    return "".join(parts)


def answer_html(answer: str) -> str:
    """The short answer, escaped, with its [n] markers set as small superscripts."""
    escaped = escape_md(answer)
    return re.sub(r"\\\[(\d{1,2})\]", r"<sup><b>[\1]</b></sup>", escaped)


def markers(answer: str) -> list[int]:
    """Citation numbers referred to by ``[n]`` markers in the answer, in order of first use."""
    seen: list[int] = []
    for m in _MARKER.finditer(answer or ""):
        n = int(m.group(1))
        if n not in seen:
            seen.append(n)
    return seen


def heading_path(citation: dict[str, Any]) -> str:
    """``一、目标任务 › （一）医疗服务更加可及`` from the clause's ancestor headings."""
    return " › ".join(p for p in (citation.get("path") or []) if p)


def lines_text(citation: dict[str, Any]) -> str:
    lines = citation.get("lines") or []
    if len(lines) == 2 and lines[0]:
        a, b = lines
        return f"第{a}行" if a == b else f"第{a}–{b}行"
    return ""


def doc_line(citation: dict[str, Any]) -> str:
    """``《标题》 黔府办函〔2019〕12号 · 贵州省`` (the parts that exist)."""
    title = citation.get("doc_title") or citation.get("doc_id") or ""
    parts = [f"《{title}》" if title else ""]
    if citation.get("doc_number"):
        parts.append(str(citation["doc_number"]))
    head = " ".join(p for p in parts if p)
    if citation.get("jurisdiction"):
        head += " · " + str(citation["jurisdiction"])
    return head


def cite_string(citation: dict[str, Any]) -> str:
    """The service's ``cite`` string, or one built from the fields when it is missing."""
    if citation.get("cite"):
        return str(citation["cite"])
    title = citation.get("doc_title") or citation.get("doc_id") or ""
    number = f"（{citation['doc_number']}）" if citation.get("doc_number") else ""
    where = " ".join(p for p in [heading_path(citation).replace(" › ", " "), citation.get("label") or ""] if p)
    return f"《{title}》{number}{where}".strip()


def clause_link(clause_id: str) -> str:
    """Relative deep link to a clause in the document view."""
    return "?" + urlencode({"page": "documents", "clause": clause_id})


def snippet(text: str, n: int = 40) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= n else text[: n - 1] + "…"


def problem_text(exc: ApiProblem) -> str:
    """One line for a service problem, naming the URL tried."""
    if isinstance(exc, ServiceError):
        hint = "（服务要求 API 密钥：请用环境变量 PQA_API_KEY 设置）" if exc.status == 401 else ""
        return f"问答服务返回错误（{exc.url}）：{exc.message}{hint}"
    return (f"无法连接问答服务：{exc.url}（{exc.message}）。"
            "请确认服务已启动（python -m assistant serve，或 make run），或用环境变量 PQA_API_URL 指定服务地址。")


def followup_caption(response: dict[str, Any]) -> str | None:
    """``按「平坝区2025年每千人口托位数目标」理解`` for a follow-up the service resolved, else None."""
    resolved = (response.get("resolved_question") or "").strip()
    if response.get("followup") and resolved:
        return f"按「{resolved}」理解"
    return None


def check_question(text: str | None, limit: int) -> tuple[str | None, str | None]:
    """``(question to send, message to show)`` for what the user typed.

    Blank or whitespace → ``(None, hint)``; longer than ``limit`` characters → ``(None, why it was
    not sent)``; else the stripped question and no message."""
    if text is None:
        return None, None
    question = text.strip()
    if not question:
        return None, "请输入问题（内容不能为空白）。"
    if len(question) > limit:
        return None, (f"问题过长：共 {len(question)} 字，服务最多接受 {limit} 字，未发送。"
                      "请只保留要问的部分（原文已保留在下方，可复制修改）。")
    return question, None


# 对照: deletions (only in the clause shown) struck through in red, insertions (only in the other
# version) underlined in green; the styles are constants, every text goes through escape_html.
_DIFF_MARK = {
    "delete": "<del style='color:#b42318;background:#fdecea;text-decoration:line-through'>{}</del>",
    "insert": "<ins style='color:#067647;background:#e7f6ec;text-decoration:underline'>{}</ins>",
}


def diff_side_html(segments: Any, side: str) -> str:
    """One side of a 对照 as an HTML block: ``side="old"`` shows the equal and deleted runs (the
    clause asked about), ``"new"`` the equal and inserted runs (the other version). Segments are
    the service's ``[{"op": "equal"|"insert"|"delete", "text"}]``; anything else is skipped."""
    keep = "delete" if side == "old" else "insert"
    parts = []
    for seg in segments if isinstance(segments, list) else []:
        if not isinstance(seg, dict) or not isinstance(seg.get("text"), str):
            continue
        if seg.get("op") == "equal":
            parts.append(escape_html(seg["text"]))
        elif seg.get("op") == keep:
            parts.append(_DIFF_MARK[keep].format(escape_html(seg["text"])))
    return "<div style='line-height:1.8;overflow-wrap:anywhere'>" + "".join(parts) + "</div>"


def version_line(version: dict[str, Any]) -> str:
    """``2023年修正 · 现行有效`` of a version (its doc id when it has no label)."""
    parts = [version.get("version_label") or version.get("doc_id") or "", version.get("validity") or ""]
    return " · ".join(str(p) for p in parts if p)
