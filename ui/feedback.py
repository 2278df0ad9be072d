"""👍/👎 (有用 / 有误) under every answer. 👎 opens a small form (reason, optionally the correct clause and a
comment) → ``POST /feedback``; once sent the answer says 已反馈, and a 👎 offers
"在文档中选择正确条款" (the documents page in pick mode, ``?page=documents&pick=<feedback id>``).

What was sent is remembered per answer in the session (``state[STATE]``, bounded), so the buttons do
not come back on a rerun; feedback never changes ranking (docs/workspace-api.md).
"""
from __future__ import annotations

import logging
from typing import Any, MutableMapping

import streamlit as st

from ui import nav
from ui.api import ApiClient, ApiProblem, ServiceUnavailable
from ui.format import snippet

log = logging.getLogger(__name__)

REASONS = ("引用错误", "答案不完整", "数字不对", "已过时", "没找到但文档里有")
STATE = "_feedback"
MAX_REMEMBERED = 500  # answers whose feedback state the session keeps
MAX_COMMENT = 1000
_TYPED = "__typed__"


def payload(rating: str, turn: dict[str, Any], *, conversation_id: str | None = None, reason: str | None = None,
            correct_clause_id: str | None = None, comment: str | None = None) -> dict[str, Any]:
    """The ``POST /feedback`` body for one answered turn (``turn``: question, response, turn_id)."""
    if rating not in ("up", "down"):
        raise ValueError(f"rating must be up or down, not {rating!r}")
    response = turn.get("response") or {}
    question = turn.get("question") or ""
    body: dict[str, Any] = {
        "rating": rating,
        "question": question,
        "resolved_question": response.get("resolved_question") or turn.get("resolved_question") or question,
        "answer": response.get("answer") or "",
        "cited_clause_ids": cited_ids(response),
    }
    if conversation_id:
        body["conversation_id"] = conversation_id
    if turn.get("turn_id"):
        body["turn_id"] = turn["turn_id"]
    if reason:
        if reason not in REASONS:
            raise ValueError(f"unknown reason {reason!r}")
        body["reason"] = reason
    if correct_clause_id and correct_clause_id.strip():
        body["correct_clause_id"] = correct_clause_id.strip()
    if comment and comment.strip():
        body["comment"] = comment.strip()[:MAX_COMMENT]
    return body


def cited_ids(response: dict[str, Any]) -> list[str]:
    """The clauses the answer cites (its sources, not the 可能相关 ones); none when not found."""
    if not response.get("found", True):
        return []
    return [c["clause_id"] for c in response.get("citations") or []
            if c.get("clause_id") and c.get("role", "answer") != "related"]


def clause_options(response: dict[str, Any]) -> dict[str, str]:
    """Clause id → label for the correct-clause picker: every citation and related clause."""
    options: dict[str, str] = {}
    for n, c in enumerate(response.get("citations") or [], 1):
        cid = c.get("clause_id")
        if cid and cid not in options:
            where = " ".join(p for p in [c.get("label") or "", snippet(c.get("text") or "", 30)] if p)
            options[cid] = f"[{c.get('marker') or n}] 《{c.get('doc_title') or c.get('doc_id') or ''}》{where}"
    return options


def remember(state: MutableMapping[str, Any], key: str, record: dict[str, Any]) -> None:
    """Keep what was sent for answer ``key`` (oldest forgotten beyond MAX_REMEMBERED)."""
    sent: dict[str, dict[str, Any]] = state.setdefault(STATE, {})
    sent.pop(key, None)
    sent[key] = record
    while len(sent) > MAX_REMEMBERED:
        sent.pop(next(iter(sent)))


def _send(client: ApiClient, key: str, body: dict[str, Any]) -> None:
    try:
        result = client.send_feedback(body)
    except ApiProblem as exc:
        log.warning("feedback not sent: %s", exc.message)
        st.session_state[f"_fb_error_{key}"] = ("服务暂时不可用，反馈未发送，请稍后再试。"
                                                if isinstance(exc, ServiceUnavailable) else f"反馈未发送：{exc.message}")
        return
    remember(st.session_state, key, {"rating": body["rating"], "feedback_id": result.get("feedback_id")})
    st.session_state.pop(f"_fb_open_{key}", None)


def _up(client: ApiClient, key: str, turn: dict[str, Any], conversation_id: str | None) -> None:
    _send(client, key, payload("up", turn, conversation_id=conversation_id))


def _down_submit(client: ApiClient, key: str, turn: dict[str, Any], conversation_id: str | None) -> None:
    state = st.session_state
    choice = state.get(f"fb-clause-{key}")
    clause = (state.get(f"fb-typed-{key}") or "").strip() if choice == _TYPED else (choice or "")
    _send(client, key, payload("down", turn, conversation_id=conversation_id, reason=state.get(f"fb-reason-{key}"),
                               correct_clause_id=clause or None, comment=state.get(f"fb-comment-{key}")))


def render(client: ApiClient, turn: dict[str, Any], key: str, conversation_id: str | None, service_ok: bool) -> None:
    """The feedback row of one answer (``key``: unique per answer on the page)."""
    response = turn.get("response") or {}
    sent = st.session_state.get(STATE, {}).get(key)
    if sent:
        with st.container(horizontal=True, vertical_alignment="center", key=f"fb-done-{key}"):
            st.caption(f"已反馈 {':material/thumb_up:' if sent['rating'] == 'up' else ':material/thumb_down:'}")
            if sent["rating"] == "down" and sent.get("feedback_id"):
                first = next(iter(cited_ids(response)), None)
                st.button("在文档中选择正确条款", key=f"fb-pick-{key}", icon=":material/ads_click:", type="tertiary",
                          on_click=nav.open_pick, args=(sent["feedback_id"], first))
                st.markdown(f"[新标签页 ↗]({nav.pick_link(sent['feedback_id'])})")
        return
    error = st.session_state.pop(f"_fb_error_{key}", None)
    if error:
        st.warning(error, icon=":material/cloud_off:")
    with st.container(horizontal=True, key=f"fb-row-{key}"):
        # Material icons, not emoji: a browser without an emoji font would show empty boxes.
        st.button("有用", key=f"fb-up-{key}", icon=":material/thumb_up:", type="tertiary", disabled=not service_ok,
                  on_click=_up, args=(client, key, turn, conversation_id))
        st.button("有误", key=f"fb-down-{key}", icon=":material/thumb_down:", type="tertiary", disabled=not service_ok,
                  on_click=st.session_state.__setitem__, args=(f"_fb_open_{key}", True))
    if not st.session_state.get(f"_fb_open_{key}"):
        return
    with st.form(f"fb-form-{key}", border=True):
        st.markdown("**这个答案哪里不对？**")
        default = REASONS.index("没找到但文档里有") if not response.get("found", True) else 0
        st.radio("原因", REASONS, index=default, key=f"fb-reason-{key}", horizontal=True)
        options = clause_options(response)
        choices = ["", *options, _TYPED]
        labels = {"": "（不指定）", _TYPED: "输入条款编号…", **options}
        st.selectbox("正确条款（可选）", choices, format_func=labels.get, key=f"fb-clause-{key}")
        st.text_input("条款编号（选“输入条款编号…”时填写）", key=f"fb-typed-{key}", placeholder="例如 003/一/（二）")
        st.text_area("补充说明（可选）", key=f"fb-comment-{key}", max_chars=MAX_COMMENT, height=80)
        st.caption("也可在提交后点“在文档中选择正确条款”，到文档页面里指定。")
        with st.container(horizontal=True):
            st.form_submit_button("提交反馈", type="primary", key=f"fb-submit-{key}", on_click=_down_submit,
                                  args=(client, key, turn, conversation_id), disabled=not service_ok)
            st.form_submit_button("取消", key=f"fb-cancel-{key}",
                                  on_click=lambda: st.session_state.pop(f"_fb_open_{key}", None))
