"""Uploading to the service's document library, without Streamlit: one file's upload and its
outcome in Chinese, and the Chinese words for the service's statuses and failure reasons."""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

from ui.api import ApiClient, ApiProblem, ServiceError
from ui.format import problem_text

# What the service reads (POST /documents); the uploader offers the same.
FILE_TYPES = ["pdf", "docx", "ofd", "html", "htm", "xlsx", "csv", "txt", "md"]
# The metadata form: (field of POST /documents, label, placeholder).
META_INPUTS = [
    ("title", "标题", "默认取自文件正文"),
    ("doc_number", "文号", "如：黔府办函〔2019〕12号"),
    ("issuer", "发文机关", "如：贵州省人民政府办公厅"),
    ("date", "日期", "如：2023-05-10"),
    ("jurisdiction", "适用地区", "如：贵州省（默认从标题识别）"),
    ("status", "状态", "如：现行有效、征求意见稿"),
    ("period", "时段", "如：2021—2025年（年份取自它）"),
]
# Fields that name one document: sent only when a single file is uploaded.
SINGLE_FILE_FIELDS = ("title", "doc_number")
STATUS_LABELS = {"queued": "排队中", "parsing": "解析中", "embedding": "向量化中", "ready": "可用", "failed": "失败"}
STATUS_COLORS = {"queued": "orange", "parsing": "blue", "embedding": "violet", "ready": "green", "failed": "red",
                 "deleted": "gray", "unknown": "gray"}
PENDING = ("queued", "parsing", "embedding")
POLL_S = 2.0

# --- the upload, without Streamlit ----------------------------------------------------------------
@dataclass
class UploadOutcome:
    """One file's upload: ``ok`` when queued (``doc_id`` is then its id); otherwise ``message``
    says why not, and ``existing_id`` names the document that already holds the same file."""

    name: str
    ok: bool
    message: str
    doc_id: str | None = None
    existing_id: str | None = None
    busy: bool = False  # refused because the document is still being processed


def md_plain(text: str) -> str:
    """Text shown literally inside st.success/st.warning (Markdown, no HTML)."""
    return re.sub(r"([\\`*_$~|\[\]<>#])", r"\\\1", str(text))


def _size_limit(detail: str) -> str:
    m = re.search(r"(\d+)\s*MB", detail or "")
    return f"{m.group(1)} MB" if m else "上限"


def problem_message(exc: ApiProblem, *, doc_id: str | None = None) -> str:
    """A Chinese sentence for a failed library call (``doc_id``: the document replaced/deleted)."""
    if not isinstance(exc, ServiceError):  # nothing answered: the app's usual message
        return problem_text(exc)
    detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
    other = exc.body.get("doc_id") if isinstance(exc.body, dict) else None
    if exc.status == 409:
        if other and other != doc_id:
            return f"已存在相同文件：文档 {other}"
        return f"文档 {doc_id or other} 仍在处理中，请稍后再试"
    if exc.status == 415:
        return f"不支持的文件类型：请上传 {'、'.join(FILE_TYPES)} 文件（服务：{detail}）"
    if exc.status == 413:
        return f"文件过大：超过服务允许的 {_size_limit(detail)}"
    if exc.status == 422:
        return "文件是空的" if "empty" in detail else f"文件无效：{detail}"
    if exc.status == 404:
        return (f"服务中没有上传的文档 {doc_id}（语料文件夹中的文档只能在文件夹里修改）" if doc_id
                else f"服务中没有这个文档：{detail}")
    if exc.status == 503:
        if "without a document library" in detail:
            return f"该服务未启用文档库，不能上传（服务：{detail}）"
        return "待索引的文档过多，请稍后再试"
    return problem_text(exc)


def submit_upload(client: ApiClient, name: str, data: bytes, meta: dict[str, Any] | None = None,
                  replace_id: str | None = None) -> UploadOutcome:
    """Send one file: POST /documents, or PUT /documents/{replace_id} for a new version."""
    name = PurePath(name or "").name
    suffix = PurePath(name).suffix.lower().lstrip(".")
    if suffix not in FILE_TYPES:
        return UploadOutcome(name, False, f"不支持的文件类型 .{suffix or '（无扩展名）'}：请上传 {'、'.join(FILE_TYPES)} 文件")
    if not data:
        return UploadOutcome(name, False, "文件是空的")
    try:
        if replace_id:
            out = client.replace_document(replace_id, name, data, meta)
        else:
            out = client.upload_document(name, data, meta)
    except ApiProblem as exc:
        other = exc.body.get("doc_id") if isinstance(exc, ServiceError) and isinstance(exc.body, dict) else None
        duplicate = isinstance(exc, ServiceError) and exc.status == 409 and other and other != replace_id
        busy = isinstance(exc, ServiceError) and exc.status == 409 and not duplicate
        return UploadOutcome(name, False, problem_message(exc, doc_id=replace_id),
                             existing_id=other if duplicate else None, busy=bool(busy))
    doc_id = str(out.get("doc_id") or replace_id or "")
    verb = "新版本已排队" if replace_id else "已排队"
    return UploadOutcome(name, True, f"{verb}：文档 {doc_id}", doc_id=doc_id)


def status_label(status: dict[str, Any] | None, *, deleted: bool = False, deleting: bool = False) -> str:
    """排队中 / 解析中 / 向量化中 / 可用 / 失败（原因）, 删除中…, 已删除."""
    if deleted:
        return "已删除"
    if not status:
        return "状态未知"
    code = status.get("status")
    label = STATUS_LABELS.get(code, str(code or "状态未知"))
    if code == "failed":
        return f"失败（{reason_text(status.get('reason'))}）"
    if deleting and code in PENDING:
        return f"删除中（{label}）"
    return label


_REASONS = [
    (re.compile(r"^no text$"), "没有可读取的文本"),
    (re.compile(r"^interrupted by a restart"), "服务重启时中断，请重新上传"),
    (re.compile(r"^index not updated: (.*)$"), r"索引未更新：\1"),
    (re.compile(r"^internal error: (.*)$"), r"服务内部错误：\1"),
]


def reason_text(reason: Any) -> str:
    text = str(reason or "").strip()
    if not text:
        return "原因未知"
    for pattern, repl in _REASONS:
        if pattern.search(text):
            return pattern.sub(repl, text)
    return text


# --- session state --------------------------------------------------------------------------------
