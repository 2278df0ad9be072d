"""Document library (文档库): upload documents to the service, follow their indexing, replace or
delete them, and fetch the originals — all through the service's /documents routes.

The upload itself is :func:`submit_upload` (name, bytes, metadata → an :class:`UploadOutcome` with
a Chinese message), so it can be used and tested without the page. The page keeps the documents it
uploaded or saw (the uploaded documents of GET /documents) in ``st.session_state["lib_docs"]`` and
asks GET /documents/{id}/status for each on every run; while one is being processed the status list
refreshes itself every :data:`POLL_S` seconds (a fragment), and 刷新 refreshes it at once.
"""
from __future__ import annotations

from typing import Any

import streamlit as st

from ui.api import ApiClient, ApiProblem, ServiceError, ServiceUnavailable
from ui.components import problem_text, service_problem
from ui.format import escape_md
from ui.uploads import (FILE_TYPES, META_INPUTS, PENDING, POLL_S, SINGLE_FILE_FIELDS, STATUS_COLORS, UploadOutcome,
                        md_plain, problem_message, status_label, submit_upload)

DOCS = "lib_docs"          # doc_id → {"doc_id", "name", "action", "meta", "status", "deleted", "problem"}
RESULTS = "lib_results"    # the outcomes of the last upload / replace / delete, shown above the list
CONFIRM = "lib_confirm"    # doc_id whose deletion waits for 确认删除
UPLOADER = "lib_uploader"  # a counter in the uploader's key: a new key empties it after an upload


def _docs() -> dict[str, dict[str, Any]]:
    return st.session_state.setdefault(DOCS, {})


def track(doc_id: str, name: str | None = None, action: str | None = None,
          meta: dict[str, Any] | None = None) -> dict[str, Any]:
    """Remember a document (uploaded, replaced, deleted or seen) for the status list."""
    docs = _docs()
    entry = docs.setdefault(doc_id, {"doc_id": doc_id, "name": None, "action": None, "meta": {},
                                     "status": None, "deleted": False})
    if name:
        entry["name"] = name
    if meta:
        entry["meta"] = dict(meta)
    if action:
        entry["action"] = action
        entry["deleted"] = False
        entry["status"] = {"doc_id": doc_id, "status": "queued"}
    return entry


def _pending(entry: dict[str, Any]) -> bool:
    return not entry.get("deleted") and (entry.get("status") or {}).get("status") in PENDING


def _result(kind: str, text: str) -> None:
    st.session_state.setdefault(RESULTS, []).append((kind, text))


def _meta_from_form(n_files: int) -> dict[str, str]:
    meta = {}
    for field, _label, _ph in META_INPUTS:
        value = (st.session_state.get(f"lib-meta-{field}") or "").strip()
        if value and not (n_files > 1 and field in SINGLE_FILE_FIELDS):
            meta[field] = value
    return meta


def _outcome_result(outcome: UploadOutcome) -> None:
    kind = "success" if outcome.ok else "warning" if outcome.existing_id else "error"
    _result(kind, f"{md_plain(outcome.name)}：{md_plain(outcome.message)}")


# --- callbacks ------------------------------------------------------------------------------------
def _do_upload(client: ApiClient, uploader_key: str) -> None:
    files = st.session_state.get(uploader_key) or []
    if not isinstance(files, list):
        files = [files]
    st.session_state[RESULTS] = []
    meta = _meta_from_form(len(files))
    all_ok = bool(files)
    for f in files:
        outcome = submit_upload(client, f.name, f.getvalue(), meta)
        _outcome_result(outcome)
        if outcome.ok:
            track(outcome.doc_id, outcome.name, "add", meta)
        else:
            all_ok = False
            if outcome.existing_id:
                track(outcome.existing_id)
    if all_ok:  # a clean form for the next batch; kept when something has to be sent again
        st.session_state[UPLOADER] = st.session_state.get(UPLOADER, 0) + 1
        for field, _label, _ph in META_INPUTS:
            st.session_state[f"lib-meta-{field}"] = ""


def _do_replace(client: ApiClient, doc_id: str, uploader_key: str) -> None:
    f = st.session_state.get(uploader_key)
    st.session_state[RESULTS] = []
    if f is None:
        _result("error", f"文档 {doc_id}：请先选择新版本的文件")
        return
    entry = track(doc_id)
    outcome = submit_upload(client, f.name, f.getvalue(), entry.get("meta") or None, replace_id=doc_id)
    _outcome_result(outcome)
    if outcome.ok:
        track(doc_id, outcome.name, "replace")
        st.session_state[f"lib-rep-n-{doc_id}"] = st.session_state.get(f"lib-rep-n-{doc_id}", 0) + 1
    elif outcome.existing_id:
        track(outcome.existing_id)


def _do_edit(client: ApiClient, doc_id: str) -> None:
    meta = {f: str(st.session_state.get(f"lib-edit-{doc_id}-{f}") or "").strip() for f, _label, _ in META_INPUTS}
    meta = {k: v for k, v in meta.items() if v}
    st.session_state[RESULTS] = []
    if not meta:
        _result("error", f"文档 {doc_id}：请至少填写一项要修改的元数据")
        return
    try:
        client.edit_document(doc_id, meta)
    except ApiProblem as exc:
        _result("error", f"文档 {doc_id}：{md_plain(problem_message(exc, doc_id=doc_id))}")
        return
    entry = track(doc_id, action="meta")
    entry["meta"] = {**(entry.get("meta") or {}), **meta}
    _result("success", f"文档 {doc_id}：元数据已提交，正在更新索引")


def _ask_delete(doc_id: str) -> None:
    st.session_state[CONFIRM] = doc_id


def _cancel_delete() -> None:
    st.session_state[CONFIRM] = None


def _do_delete(client: ApiClient, doc_id: str) -> None:
    st.session_state[CONFIRM] = None
    st.session_state[RESULTS] = []
    try:
        client.delete_document(doc_id)
    except ApiProblem as exc:
        _result("error", f"删除文档 {doc_id} 失败：{md_plain(problem_message(exc, doc_id=doc_id))}")
        return
    track(doc_id, action="delete")
    _result("success", f"文档 {doc_id}：删除已排队")


def _forget(doc_id: str) -> None:
    _docs().pop(doc_id, None)


# --- the page -------------------------------------------------------------------------------------
def upload_form(client: ApiClient) -> None:
    st.subheader("上传文档")
    key = f"lib-files-{st.session_state.get(UPLOADER, 0)}"
    files = st.file_uploader("选择文件（可多选）", type=FILE_TYPES, accept_multiple_files=True, key=key,
                             help="PDF、Word（.docx）、网页（.html）、Excel（.xlsx）、CSV、纯文本或 Markdown；"
                                  "服务另有大小上限（默认 50 MB）")
    with st.expander("元数据（可选）"):
        st.caption("未填写的字段由服务从文件中识别。一次上传多个文件时，标题和文号不使用，其余字段用于每个文件。")
        cols = st.columns(3)
        for i, (field, label, placeholder) in enumerate(META_INPUTS):
            cols[i % 3].text_input(label, key=f"lib-meta-{field}", placeholder=placeholder, max_chars=200)
    if files and len(files) > 1 and any((st.session_state.get(f"lib-meta-{f}") or "").strip()
                                        for f in SINGLE_FILE_FIELDS):
        st.caption(":orange[已选择多个文件：标题和文号不会使用。]")
    st.button("上传", key="lib-upload", type="primary", icon=":material/upload:", disabled=not files,
              on_click=_do_upload, args=(client, key))


def _results() -> None:
    for kind, text in st.session_state.get(RESULTS) or []:
        getattr(st, kind)(text)


def _indexed(client: ApiClient) -> dict[str, dict[str, Any]] | None:
    """The indexed documents (doc_id → metadata), or None when the list cannot be had."""
    try:
        docs = client.documents()
    except ApiProblem:
        return None
    return {d["doc_id"]: d for d in docs if isinstance(d, dict) and d.get("doc_id")}


def _is_indexed(client: ApiClient, doc_id: str) -> bool | None:
    try:
        client.document(doc_id)
    except ServiceError as exc:
        return False if exc.status == 404 else None
    except ApiProblem:
        return None
    return True


def _refresh_one(client: ApiClient, entry: dict[str, Any]) -> tuple[bool, ApiProblem | None]:
    """Update one entry from GET /documents/{id}/status: (status changed, problem)."""
    doc_id = entry["doc_id"]
    before = (entry.get("status") or {}).get("status")
    try:
        status = client.document_status(doc_id)
    except ServiceError as exc:
        if exc.status == 404:
            gone = entry.get("action") == "delete"
            entry.update(status=None, deleted=gone, problem=None if gone else f"服务中没有文档 {doc_id}")
            return before is not None, None
        entry["problem"] = problem_message(exc, doc_id=doc_id)
        return False, exc
    except ApiProblem as exc:
        entry["problem"] = problem_text(exc)
        return False, exc
    entry["status"], entry["problem"] = status, None
    if not entry.get("name") and status.get("filename"):
        entry["name"] = status["filename"]
    return status.get("status") != before, None


def refresh_statuses(client: ApiClient) -> ApiProblem | None:
    """Ask the service for the status of every listed document; add the uploaded documents of
    GET /documents not listed yet (seen). A finished deletion reads ``ready``: a ready document
    that is no longer indexed is shown as deleted."""
    problem: ApiProblem | None = None
    changed = False
    docs = _docs()
    for entry in list(docs.values()):
        if entry.get("deleted") and entry.get("action") == "delete":
            continue  # deleted from this session: final
        moved, exc = _refresh_one(client, entry)
        changed, problem = changed or moved, problem or exc
    # the list is asked after the statuses: a document that was ready then is in it now
    indexed = _indexed(client)
    for doc_id, meta in (indexed or {}).items():
        if str(meta.get("source") or "").startswith("uploads/") and doc_id not in docs:
            moved, exc = _refresh_one(client, track(doc_id))
            changed, problem = changed or moved, problem or exc
    for doc_id, entry in docs.items():
        status = entry.get("status") or {}
        if status.get("status") != "ready" or indexed is None:
            continue
        if doc_id in indexed:
            entry["deleted"] = False
            entry["title"] = indexed[doc_id].get("title")
        elif status.get("source") == "corpus folder":
            continue
        elif entry.get("deleted") or entry.get("action") == "delete" or _is_indexed(client, doc_id) is False:
            entry["deleted"] = True
    if changed:
        st.session_state.pop("_documents", None)  # the ask page's filter list is stale now
    return problem


def _row(client: ApiClient, entry: dict[str, Any]) -> None:
    doc_id = entry["doc_id"]
    status = entry.get("status") or {}
    code = "deleted" if entry.get("deleted") else status.get("status") or "unknown"
    label = status_label(status, deleted=entry.get("deleted", False), deleting=entry.get("action") == "delete")
    busy = _pending(entry)
    with st.container(border=True, key=f"lib-doc-{doc_id}"):
        cols = st.columns([5, 3], vertical_alignment="center")
        title = entry.get("title") or entry.get("name") or doc_id
        extra = [f"`{doc_id}`"]
        if entry.get("name") and entry.get("name") != title:
            extra.append(md_plain(entry["name"]))
        cols[0].markdown(f"**{escape_md(title)}**  \n" + " · ".join(extra), unsafe_allow_html=True)
        shown = label.replace("[", "［").replace("]", "］")
        cols[1].markdown(f":{STATUS_COLORS.get(code, 'gray')}[{escape_md(shown)}]", unsafe_allow_html=True)
        facts = []
        if status.get("updated_at"):
            facts.append(f"更新于 {status['updated_at'].replace('T', ' ')}")
        if code == "ready" and isinstance(status.get("seconds"), (int, float)) and not entry.get("deleted"):
            facts.append(f"索引用时 {status['seconds']:.1f} 秒")
        if status.get("source") == "corpus folder":
            facts.append("语料文件夹中的文档")
        if facts:
            st.caption(" · ".join(facts))
        if entry.get("problem"):
            st.caption(f":red[{md_plain(entry['problem'])}]")
        if entry.get("deleted"):
            st.button("移出列表", key=f"lib-forget-{doc_id}", on_click=_forget, args=(doc_id,))
            return
        if status.get("source") == "corpus folder":
            return
        actions = st.columns([1, 1, 1, 3], vertical_alignment="center")
        actions[0].button("删除", key=f"lib-del-{doc_id}", icon=":material/delete:", disabled=busy,
                          on_click=_ask_delete, args=(doc_id,))
        name = entry.get("name") or status.get("filename") or f"{doc_id}"
        actions[1].download_button(
            "下载原文", lambda d=doc_id: client.original(d)[0], file_name=name, key=f"lib-dl-{doc_id}",
            icon=":material/download:", on_click="ignore",
        )
        if not client.api_key:  # a plain link cannot send the API key
            actions[2].markdown(f"[打开原文 ↗]({client.original_url(doc_id)})")
        if st.session_state.get(CONFIRM) == doc_id:
            st.warning(f"确定删除文档 {doc_id}？它将从索引中移除，问答不再引用它。")
            confirm = st.columns([1, 1, 4])
            confirm[0].button("确认删除", key=f"lib-del-yes-{doc_id}", type="primary", disabled=busy,
                              on_click=_do_delete, args=(client, doc_id))
            confirm[1].button("取消", key=f"lib-del-no-{doc_id}", on_click=_cancel_delete)
        with st.expander("编辑元数据"):
            for f, label, hint in META_INPUTS:
                st.text_input(label, placeholder=hint, key=f"lib-edit-{doc_id}-{f}")
            st.button("保存元数据", key=f"lib-edit-save-{doc_id}", icon=":material/save:", disabled=busy,
                      on_click=_do_edit, args=(client, doc_id))
        with st.expander("替换为新版本"):
            rep_key = f"lib-rep-file-{doc_id}-{st.session_state.get(f'lib-rep-n-{doc_id}', 0)}"
            new = st.file_uploader("新版本文件", type=FILE_TYPES, key=rep_key)
            if entry.get("meta"):
                st.caption("沿用上传时填写的元数据：" + "，".join(
                    f"{label}{md_plain(entry['meta'][f])}" for f, label, _ in META_INPUTS if entry["meta"].get(f)))
            st.button("上传新版本", key=f"lib-rep-{doc_id}", icon=":material/upload_file:",
                      disabled=busy or new is None, on_click=_do_replace, args=(client, doc_id, rep_key))


def status_list(client: ApiClient, polling: bool) -> None:
    """The documents of this session with their status (a fragment: it polls while one is busy)."""
    st.subheader("文档状态")
    top = st.columns([1, 5], vertical_alignment="center")
    top[0].button("刷新", key="lib-refresh", icon=":material/refresh:")
    problem = refresh_statuses(client)
    docs = _docs()
    if problem is not None and isinstance(problem, ServiceUnavailable):
        service_problem(problem)
    pending = sum(1 for e in docs.values() if _pending(e))
    if not docs:
        top[1].caption("本次会话还没有上传文档。")
    else:
        top[1].caption(f"共 {len(docs)} 个" + (f"，处理中 {pending} 个（每 {POLL_S:.0f} 秒自动刷新）" if pending else ""))
    for entry in sorted(docs.values(), key=lambda e: (e.get("deleted", False), e["doc_id"])):
        _row(client, entry)
    if polling != bool(pending):  # start or stop the automatic refresh
        st.rerun(scope="app")


def render(client: ApiClient, service_ok: bool, service_exc: ApiProblem | None,
           health: dict[str, Any] | None = None) -> None:
    st.title("文档库")
    if not service_ok:
        service_problem(service_exc)
        return
    st.caption("上传的文件由服务解析、向量化后加入索引，无需重启服务；可替换为新版本或删除。")
    upload_form(client)
    _results()
    if health and isinstance(health.get("documents_pending"), int) and health["documents_pending"]:
        st.caption(f"服务队列中等待处理的文档：{health['documents_pending']}")
    polling = any(_pending(e) for e in _docs().values())
    st.fragment(status_list, run_every=POLL_S if polling else None)(client, polling)
