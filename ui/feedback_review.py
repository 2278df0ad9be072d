"""The feedback section of the Evals page: every 👍/👎 users gave (``GET /feedback``), and for a 👎
with its correct clause the "生成评测题" flow — the service drafts an eval question
(``GET /feedback/{id}/candidate``), the reviewer edits question, type, evidence and answer, then
接受 (``POST …/accept``: appended to ``<data_dir>/feedback-evals.jsonl``, scored by ``make eval`` as
the suite ``feedback``) or 驳回 (``POST …/reject``). Feedback never changes ranking."""
from __future__ import annotations

from typing import Any

import streamlit as st

from ui import nav
from ui.api import ApiClient, ApiProblem, ServiceError
from ui.components import service_problem
from ui.format import escape_md, snippet

# the eval-set question types (evals/README.md); an answerable candidate is never "unanswerable"
TYPES = ("numeric", "responsibility", "paraphrase", "multi", "table", "measure", "noisy", "article")
RATINGS = {"": "全部", "down": "👎 有问题", "up": "👍 有帮助"}
STATUSES = {"": "全部", "new": "待处理", "accepted": "已接受", "rejected": "已驳回"}
ANSWER_SEPARATOR = "；"
PAGE_SIZE = 50  # cards shown at first; "显示更多" adds as many again


def _candidates() -> dict[str, dict[str, Any]]:
    return st.session_state.setdefault("fb_candidates", {})


def _message(text: str, kind: str = "success") -> None:
    st.session_state["fb_message"] = (kind, text)


def _generate(client: ApiClient, feedback_id: str) -> None:
    """Callback: fetch the service's draft eval question for this feedback."""
    try:
        _candidates()[feedback_id] = client.feedback_candidate(feedback_id)
    except ServiceError as exc:
        _message(f"无法生成评测题：{exc.detail if isinstance(exc.detail, str) else exc.message}", "error")
    except ApiProblem as exc:
        _message(f"无法生成评测题：{exc.message}", "error")


def _reject(client: ApiClient, feedback_id: str) -> None:
    """Callback: 驳回."""
    try:
        client.reject_feedback(feedback_id)
    except ApiProblem as exc:
        _message(f"驳回失败：{exc.message}", "error")
        return
    _candidates().pop(feedback_id, None)
    _message(f"已驳回反馈 {feedback_id}。")


def edited_candidate(candidate: dict[str, Any], question: str, qtype: str, evidences: list[str],
                     answer: str, notes: str) -> dict[str, Any]:
    """The candidate with the reviewer's edits (an answer with ； becomes a list of keys)."""
    gold = [dict(g, evidence=ev.strip()) for g, ev in zip(candidate.get("gold") or [], evidences)]
    keys = [k.strip() for k in answer.replace(";", ANSWER_SEPARATOR).split(ANSWER_SEPARATOR) if k.strip()]
    out = dict(candidate, question=question.strip(), type=qtype, gold=gold,
               answer=keys[0] if len(keys) == 1 else keys)
    if notes.strip():
        out["notes"] = notes.strip()
    else:
        out.pop("notes", None)
    return out


def _candidate_form(client: ApiClient, feedback_id: str, candidate: dict[str, Any]) -> None:
    """The draft question, editable; 接受 appends it to the feedback eval set, 驳回 discards it."""
    with st.form(key=f"fb-form-{feedback_id}", border=True):
        st.markdown(f"**评测题草稿** `{escape_md(str(candidate.get('id') or ''))}`")
        question = st.text_input("问题", value=candidate.get("question") or "", key=f"fb-q-{feedback_id}")
        qtype = candidate.get("type") if candidate.get("type") in TYPES else TYPES[0]
        qtype = st.selectbox("类型", TYPES, index=TYPES.index(qtype), key=f"fb-type-{feedback_id}")
        evidences = []
        for i, g in enumerate(candidate.get("gold") or []):
            evidences.append(st.text_area(
                f"证据（{g.get('clause_id')}，6–60 字，须出自该条款原文）", value=g.get("evidence") or "",
                key=f"fb-ev-{feedback_id}-{i}", height=80))
        answer = candidate.get("answer")
        answer = ANSWER_SEPARATOR.join(answer) if isinstance(answer, list) else (answer or "")
        answer = st.text_input("答案要点（须出现在证据中；多个用“；”分隔）", value=answer, key=f"fb-a-{feedback_id}")
        notes = st.text_input("备注", value=candidate.get("notes") or "", key=f"fb-n-{feedback_id}")
        cols = st.columns(2)
        accept = cols[0].form_submit_button("接受", icon=":material/check:", type="primary")
        reject = cols[1].form_submit_button("驳回", icon=":material/close:")
    if reject:
        _reject(client, feedback_id)
        st.rerun()
    if accept:
        final = edited_candidate(candidate, question, qtype, evidences, answer, notes)
        if not final["question"] or not final["answer"]:
            st.error("问题和答案要点不能为空。")
            return
        try:
            client.accept_feedback(feedback_id, final)
        except ServiceError as exc:
            st.error(f"未接受：{exc.detail if isinstance(exc.detail, str) else exc.message}")
            return
        except ApiProblem as exc:
            service_problem(exc)
            return
        _candidates().pop(feedback_id, None)
        _message(f"已接受：评测题 {final.get('id')} 已加入 feedback-evals.jsonl（评测集 feedback）。")
        st.rerun()


def _card(client: ApiClient, fb: dict[str, Any], i: int) -> None:
    fid = str(fb.get("feedback_id") or "")
    down = fb.get("rating") == "down"
    status = fb.get("status") or "new"
    with st.container(border=True, key=f"fb-card-{i}"):
        head = ["👎" if down else "👍", STATUSES.get(status, status)]
        if fb.get("reason"):
            head.append(str(fb["reason"]))
        if fb.get("created_at"):
            head.append(str(fb["created_at"])[:16].replace("T", " "))
        st.markdown(f"**{escape_md(' · '.join(head))}** <span style='color:#8a8f98'>#{escape_md(fid)}</span>",
                    unsafe_allow_html=True)
        st.markdown(f"**问**：{escape_md(fb.get('question') or '')}")
        resolved = fb.get("resolved_question")
        if resolved and resolved != fb.get("question"):
            st.caption(f"按「{resolved}」理解")
        if fb.get("answer"):
            st.markdown(f"**答**：{escape_md(snippet(fb['answer'], 200))}")
        if fb.get("comment"):
            st.caption(f"说明：{fb['comment']}")
        correct = fb.get("correct_clause_id")
        cols = st.columns([3, 1, 1], vertical_alignment="center")
        if correct:
            cols[0].button(f"正确条款：{correct}", key=f"fb-clause-{i}", type="tertiary",
                           icon=":material/article:", on_click=nav.open_clause, args=(correct,))
        elif down:
            cols[0].caption("未选择正确条款")
        if status == "new" and down and fid:
            if correct and fid not in _candidates():
                cols[1].button("生成评测题", key=f"fb-gen-{i}", icon=":material/quiz:",
                               on_click=_generate, args=(client, fid))
            cols[2].button("驳回", key=f"fb-reject-{i}", on_click=_reject, args=(client, fid))
        if status == "new" and fid in _candidates():
            _candidate_form(client, fid, _candidates()[fid])


def render(client: ApiClient, service_ok: bool) -> None:
    """The feedback list with its filters, and the candidate flow of each 👎 with a correct clause."""
    st.subheader("用户反馈")
    if not service_ok:
        st.caption("服务未连接，无法读取反馈。")
        return
    message = st.session_state.pop("fb_message", None)
    if message:
        (st.error if message[0] == "error" else st.success)(message[1])
    cols = st.columns(2)
    rating = cols[0].selectbox("评价", list(RATINGS), format_func=RATINGS.get, key="fb-rating")
    status = cols[1].selectbox("状态", list(STATUSES), format_func=STATUSES.get, key="fb-status")
    try:
        items = client.feedback(rating=rating or None, status=status or None)
    except ApiProblem as exc:
        service_problem(exc)
        return
    if not items:
        st.info("还没有反馈。用户在问答页的答案下点 👍/👎 即可留下反馈。")
        return
    limit = st.session_state.setdefault("fb_limit", PAGE_SIZE)
    st.caption(f"共 {len(items)} 条，最新的在前。")
    for i, fb in enumerate(items[:limit]):
        _card(client, fb, i)
    if len(items) > limit:
        st.button(f"显示更多（还有 {len(items) - limit} 条）", key="fb-more",
                  on_click=lambda: st.session_state.update(fb_limit=limit + PAGE_SIZE))
