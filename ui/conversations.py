"""Conversations kept by the service (``/conversations``, docs/workspace-api.md): the current one's
local copy and the sidebar list (switch, 新对话, rename, delete, export as Markdown / Word).

Session keys: ``conv_id`` (the current conversation, mirrored in the URL as ``?page=ask&c=<id>``);
``messages`` (its turns as chat messages: a user message, then an assistant message holding the
/ask ``response``, ``question`` and ``turn_id``); ``_conv`` (the ``GET /conversations/{id}`` object
with the turns asked since, for export); ``_conv_loaded`` (which id ``messages`` holds; cleared to
load it again, e.g. when the service comes back); ``_conversations`` (the last list fetched).
The local copy stays on screen while the service is unreachable.
"""
from __future__ import annotations

import logging
import re
from datetime import datetime
from typing import Any, MutableMapping

import streamlit as st

from ui import export
from ui.api import ApiClient, ApiProblem, ServiceError

log = logging.getLogger(__name__)

CURRENT = "conv_id"
MESSAGES = "messages"
OBJECT = "_conv"
LOADED = "_conv_loaded"
LIST = "_conversations"
NOTICE = "_conv_notice"
MAX_TURNS = 200  # the service's limit per conversation; the local copy keeps no more
SHOWN = 12  # conversations listed before "更早的对话"
DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _assistant_message(question: str, response: dict[str, Any], turn: dict[str, Any]) -> dict[str, Any]:
    response = dict(response or {})
    for key in ("resolved_question", "followup"):  # stored turns carry them beside the response
        if key not in response and key in turn:
            response[key] = turn[key]
    return {"role": "assistant", "response": response, "question": question, "turn_id": turn.get("turn_id")}


def messages_from_turns(turns: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Chat messages (user, assistant, …) for the turns of ``GET /conversations/{id}``."""
    out: list[dict[str, Any]] = []
    for turn in turns[-MAX_TURNS:]:
        question = turn.get("question") or ""
        out.append({"role": "user", "content": question})
        out.append(_assistant_message(question, turn.get("response") or {}, turn))
    return out


def turn_from_response(question: str, response: dict[str, Any]) -> dict[str, Any]:
    """The stored-turn shape of a fresh /ask response (what ``GET /conversations/{id}`` would hold)."""
    return {"turn_id": response.get("turn_id"), "question": question,
            "resolved_question": response.get("resolved_question") or question,
            "followup": bool(response.get("followup")), "slots": response.get("slots"),
            "response": response, "created_at": datetime.now().isoformat(timespec="seconds")}


def append_turn(state: MutableMapping[str, Any], question: str, response: dict[str, Any]) -> None:
    """Add an answered turn to the local copy (messages and the export object), bounded."""
    turn = turn_from_response(question, response)
    messages = state.setdefault(MESSAGES, [])
    messages.append({"role": "user", "content": question})
    messages.append(_assistant_message(question, response, turn))
    del messages[:-2 * MAX_TURNS]
    conv = state.get(OBJECT)
    if isinstance(conv, dict) and conv.get("conversation_id") == response.get("conversation_id"):
        conv.setdefault("turns", []).append(turn)
        del conv["turns"][:-MAX_TURNS]


def start_new(state: MutableMapping[str, Any]) -> None:
    """Callback of 新对话: an empty chat; the conversation is created with its first question."""
    state[CURRENT] = None
    state[MESSAGES] = []
    state[OBJECT] = None
    state[LOADED] = None


def switch(state: MutableMapping[str, Any], conversation_id: str) -> None:
    """Callback: show another conversation (loaded from the service on this run)."""
    if state.get(CURRENT) != conversation_id:
        start_new(state)
        state[CURRENT] = conversation_id


def ensure(client: ApiClient, state: MutableMapping[str, Any]) -> str:
    """The current conversation's id, creating one on the service first when there is none."""
    if state.get(CURRENT):
        return state[CURRENT]
    created = client.create_conversation()
    conv_id = created["conversation_id"]
    state[CURRENT] = conv_id
    state[OBJECT] = dict(created, turns=[])
    state[LOADED] = conv_id
    state[MESSAGES] = []
    return conv_id


def load(client: ApiClient, state: MutableMapping[str, Any], service_ok: bool) -> None:
    """Fetch the current conversation's turns unless ``messages`` already hold them."""
    conv_id = state.get(CURRENT)
    if not conv_id or state.get(LOADED) == conv_id or not service_ok:
        return
    try:
        conv = client.conversation(conv_id)
    except ServiceError as exc:
        if exc.status in (404, 422):
            log.info("conversation %s not available: %s", conv_id, exc.message)
            start_new(state)
            state[NOTICE] = "这个对话不存在或已被删除（或属于另一位用户），已为你开始新对话。"
        else:
            state[NOTICE] = f"对话未能载入：{exc.message}"
        return
    except ApiProblem:
        return  # the outage banner says it; the local copy stays
    state[OBJECT] = conv
    state[MESSAGES] = messages_from_turns(conv.get("turns") or [])
    state[LOADED] = conv_id


def refresh_list(client: ApiClient, state: MutableMapping[str, Any]) -> list[dict[str, Any]]:
    """The user's conversations, newest first (the last list fetched when the service is down)."""
    try:
        state[LIST] = client.conversations()
    except ApiProblem as exc:
        log.info("conversation list not refreshed: %s", exc.message)
    return state.get(LIST) or []


def _rename(client: ApiClient, conversation_id: str) -> None:
    title = (st.session_state.get(f"conv-title-{conversation_id}") or "").strip()
    if not title:
        st.session_state[NOTICE] = "标题不能为空。"
        return
    try:
        client.rename_conversation(conversation_id, title[:100])
    except ApiProblem as exc:
        st.session_state[NOTICE] = f"重命名失败：{exc.message}"
        return
    conv = st.session_state.get(OBJECT)
    if isinstance(conv, dict) and conv.get("conversation_id") == conversation_id:
        conv["title"] = title[:100]


def _delete(client: ApiClient, conversation_id: str) -> None:
    try:
        client.delete_conversation(conversation_id)
    except ServiceError as exc:
        if exc.status != 404:
            st.session_state[NOTICE] = f"删除失败：{exc.message}"
            return
    except ApiProblem as exc:
        st.session_state[NOTICE] = f"删除失败：{exc.message}"
        return
    if st.session_state.get(CURRENT) == conversation_id:
        start_new(st.session_state)


def export_name(conv: dict[str, Any]) -> str:
    """A file name (without extension) for a conversation's export: its title and date."""
    title = re.sub(r'[\\/:*?"<>|\s]+', "_", (conv.get("title") or "对话").strip())[:30].strip("_") or "对话"
    stamp = (conv.get("updated_at") or conv.get("created_at") or "")[:10]
    return f"对话-{title}" + (f"-{stamp}" if stamp else "")


def _export_buttons(conv: dict[str, Any]) -> None:
    to_md = getattr(export, "conversation_markdown", None)
    to_docx = getattr(export, "conversation_docx", None)
    if to_md is None or to_docx is None:
        st.caption("导出对话暂不可用：导出模块尚未提供 conversation_markdown / conversation_docx。")
        return
    name = export_name(conv)
    st.download_button("导出 Markdown", lambda: to_md(conv).encode("utf-8"), file_name=f"{name}.md",
                       mime="text/markdown", key="conv-dl-md", icon=":material/download:", on_click="ignore")
    st.download_button("导出 Word", lambda: to_docx(conv), file_name=f"{name}.docx", mime=DOCX_MIME,
                       key="conv-dl-docx", icon=":material/download:", on_click="ignore")


def _manage(client: ApiClient, conv: dict[str, Any], service_ok: bool) -> None:
    conv_id = conv["conversation_id"]
    with st.popover("管理当前对话", icon=":material/more_horiz:", width="stretch"):
        st.text_input("标题", value=conv.get("title") or "", key=f"conv-title-{conv_id}", max_chars=100)
        st.button("保存标题", key="conv-rename", on_click=_rename, args=(client, conv_id), disabled=not service_ok)
        _export_buttons(conv)
        if st.session_state.get("_conv_confirm") == conv_id:
            st.warning("删除后无法恢复。")
            cols = st.columns(2)
            cols[0].button("确认删除", key="conv-delete-yes", type="primary", on_click=_delete,
                           args=(client, conv_id), disabled=not service_ok)
            cols[1].button("取消", key="conv-delete-no", on_click=st.session_state.pop, args=("_conv_confirm", None))
        else:
            st.button("删除对话", key="conv-delete", icon=":material/delete:", disabled=not service_ok,
                      on_click=st.session_state.__setitem__, args=("_conv_confirm", conv_id))


def sidebar(client: ApiClient, service_ok: bool) -> None:
    """The conversation list (call inside the sidebar, after this run's question was answered)."""
    state = st.session_state
    st.subheader("对话")
    st.button("新对话", key="conv-new", icon=":material/add_comment:", on_click=start_new, args=(state,),
              width="stretch")
    convs = refresh_list(client, state) if service_ok else state.get(LIST) or []
    current = state.get(CURRENT)

    def entry(c: dict[str, Any]) -> None:
        cid = c["conversation_id"]
        title = c.get("title") or "（未命名）"
        st.button(title, key=f"conv-{cid}", width="stretch", help=f"{c.get('turns', 0)} 轮 · {c.get('updated_at', '')}",
                  type="primary" if cid == current else "tertiary", on_click=switch, args=(state, cid))

    for c in convs[:SHOWN]:
        entry(c)
    if len(convs) > SHOWN:
        with st.expander(f"更早的对话（{len(convs) - SHOWN}）"):
            for c in convs[SHOWN:]:
                entry(c)
    conv = state.get(OBJECT)
    if current and isinstance(conv, dict) and conv.get("conversation_id") == current:
        _manage(client, conv, service_ok)
