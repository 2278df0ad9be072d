"""Ask: a chat over the corpus that follows the conversation. Each question is posted with the
current conversation's id (created with the first question), so follow-ups (那平坝区呢？) resolve
on the service and are shown as 按「…」理解. Each answer is quoted text with [n] markers and
numbered citation cards, then 👍/👎; a not-found answer says so and shows the nearest clauses,
greyed and not citable. While the service is down the conversation stays on screen (local copy).
"""
from __future__ import annotations

from typing import Any

import streamlit as st

from ui import basket, conversations, feedback
from ui.api import MAX_QUESTION, ApiClient, ApiProblem, ServiceError, ServiceUnavailable, build_filters
from ui.components import citation_card
from ui.format import NOT_FOUND, answer_html, check_question, escape_md, followup_caption, problem_text

EXAMPLES = [
    "2025年每千人口托位数目标是多少？",
    "2022年县级医院达到什么水平？",
    "平坝区“十四五”期间每千人口执业（助理）医师数目标是多少？",
]
MESSAGES = conversations.MESSAGES
# st.chat_input cuts a paste silently at max_chars: allow far more, then check MAX_QUESTION ourselves.
INPUT_MAX_CHARS = 100_000
UNSENT = "_unsent"


def _documents(client: ApiClient) -> list[dict[str, Any]]:
    cache = st.session_state.get("_documents")
    if cache is None:
        try:
            cache = client.documents()
        except ApiProblem:
            return []  # not cached: tried again once the service answers
        st.session_state["_documents"] = cache
    return cache


def sidebar_filters(client: ApiClient) -> dict[str, Any] | None:
    """Documents, jurisdiction, type, year and as-of filters; returns the /ask ``filters`` object or None."""
    docs = _documents(client)
    sb = st.sidebar
    sb.subheader("筛选")
    titles = {d["doc_id"]: f"{d.get('title') or d['doc_id']}（{d['doc_id']}）" for d in docs if d.get("doc_id")}
    chosen_docs = sb.multiselect("文件", list(titles), format_func=lambda i: titles.get(i, i),
                                 key="f_docs", placeholder="全部文件")
    places = sorted({d.get("jurisdiction") for d in docs if d.get("jurisdiction")})
    chosen_places = sb.multiselect("地区", places, key="f_places", placeholder="全部地区")
    # the service's order (法律, 行政法规 …), shown only when the library holds more than one type
    legal_types = list(dict.fromkeys(d["legal_type"] for d in docs if d.get("legal_type")))
    chosen_types = (sb.multiselect("类型", legal_types, key="f_types", placeholder="全部类型")
                    if len(legal_types) > 1 else [])
    years = sorted({int(y) for d in docs for y in (d.get("years") or []) if str(y).isdigit()})
    year_from = year_to = None
    if years:
        lo, hi = min(years), max(max(years), min(years) + 1)
        if sb.checkbox("按年份筛选", key="f_use_years"):
            year_from, year_to = sb.slider("年份", lo, hi, (lo, hi), key="f_years")
    as_of = None
    if any(d.get("version_label") for d in docs):
        # several versions of a law: the one in force today unless another day is asked
        if sb.checkbox("按某日有效的法规版本", key="f_use_as_of"):
            as_of = sb.date_input("有效日期", key="f_as_of", format="YYYY-MM-DD")
    top_k = sb.slider("引用条数上限", 1, 20, 5, key="f_top_k")
    st.session_state["_top_k"] = top_k
    filters = build_filters(chosen_docs, chosen_places, year_from, year_to, law_types=chosen_types)
    if as_of is not None:
        filters = {**(filters or {}), "as_of": as_of.isoformat()}
    return filters


def render_response(response: dict[str, Any], idx: int) -> None:
    """Answer with [n] markers, then the cards: answer sources first, then "可能相关" clauses greyed."""
    citations = response.get("citations") or []
    found = response.get("found", bool(citations))
    if not found:
        st.warning(f"{NOT_FOUND}相关条款。以下条款可能相关，仅供参考，不能作为依据引用。", icon=":material/search_off:")
    else:
        st.markdown(answer_html(response.get("answer") or ""), unsafe_allow_html=True)
        took = response.get("took_ms")
        n_answer = sum(1 for c in citations if c.get("role", "answer") == "answer")
        conf = response.get("confidence")
        st.caption(f"依据 {n_answer} 条条款"
                   + (f" · 置信度 {conf:.0%}" if isinstance(conf, (int, float)) else "")
                   + (f" · 用时 {took:.0f} ms" if isinstance(took, (int, float)) else ""))
    answer_cards = [(n, c) for n, c in enumerate(citations, 1) if found and c.get("role", "answer") != "related"]
    related_cards = [(n, c) for n, c in enumerate(citations, 1) if not found or c.get("role") == "related"]
    for n, citation in answer_cards:
        citation_card(citation, citation.get("marker") or n, f"{idx}-{n}")
    if found and related_cards:
        # Nearby clauses that are not the answer's source: one click away, visibly secondary.
        with st.expander(f"其他可能相关的条款（{len(related_cards)}），不是答案的依据"):
            for n, citation in related_cards:
                citation_card(citation, citation.get("marker") or n, f"{idx}-{n}", greyed=True)
    elif related_cards:
        for n, citation in related_cards:
            citation_card(citation, citation.get("marker") or n, f"{idx}-{n}", greyed=True)


def _ask_example(question: str) -> None:
    st.session_state["_pending"] = question


def _retry(question: str) -> None:
    st.session_state.pop(UNSENT, None)
    st.session_state["_pending"] = question


def _render_turn(client: ApiClient, message: dict[str, Any], idx: int, service_ok: bool) -> None:
    """One assistant message: the follow-up caption, the answer and its cards, then feedback."""
    if message.get("error"):
        st.error(message["error"])
        return
    response = message.get("response") or {}
    caption = followup_caption(response)
    if caption:
        st.caption(caption)
    if response.get("note"):  # a long paste answered from its key part: say which part
        st.caption(str(response["note"]))
    render_response(response, idx)
    key = f"t{message['turn_id']}" if message.get("turn_id") else f"m{idx}"
    feedback.render(client, message, key, st.session_state.get(conversations.CURRENT), service_ok)


def _ask(client: ApiClient, question: str, filters: dict[str, Any] | None) -> dict[str, Any]:
    """POST /ask in the current conversation (created first when there is none)."""
    state = st.session_state
    top_k = state.get("_top_k", 5)
    conv_id = conversations.ensure(client, state)
    try:
        return client.ask(question, top_k=top_k, filters=filters, conversation_id=conv_id)
    except ServiceError as exc:
        if exc.status != 404:
            raise
        # the conversation was deleted elsewhere (another tab): start a new one and ask again
        conversations.start_new(state)
        conv_id = conversations.ensure(client, state)
        return client.ask(question, top_k=top_k, filters=filters, conversation_id=conv_id)


def _ask_problem(exc: ApiProblem) -> str:
    if isinstance(exc, ServiceError) and exc.status == 409:
        return "这个对话已达到 200 轮的上限，请点侧栏的“新对话”继续提问。"
    return problem_text(exc)


def render(client: ApiClient, service_ok: bool, service_exc: ApiProblem | None) -> None:
    state = st.session_state
    st.title("政策问答")
    conv_slot = st.sidebar.container()  # filled at the end, so it lists a conversation created on this run
    filters = sidebar_filters(client)
    conversations.load(client, state, service_ok)
    notice = state.pop(conversations.NOTICE, None) or basket.pop_error(state)
    if notice:
        st.warning(notice)
    messages: list[dict[str, Any]] = state.setdefault(MESSAGES, [])

    placeholder = ("输入问题，例如：2025年每千人口托位数目标是多少？" if service_ok
                   else "服务暂时不可用，恢复后即可继续提问")
    typed = st.chat_input(placeholder, max_chars=INPUT_MAX_CHARS, key="chat", disabled=not service_ok)
    raw = typed if typed is not None else state.pop("_pending", None)
    question, problem = check_question(raw, MAX_QUESTION)

    if not messages and not question:
        if state.get(conversations.CURRENT) and not service_ok:
            st.info("对话将在服务恢复后显示。")
        else:
            st.caption("用中文提问，回答直接摘自政策原文，并附可引用的条款出处。示例：")
            cols = st.columns(len(EXAMPLES))
            for col, example in zip(cols, EXAMPLES):
                col.button(example, key=f"ex-{example}", on_click=_ask_example, args=(example,),
                           disabled=not service_ok)

    for idx, message in enumerate(messages):
        with st.chat_message(message["role"]):
            if message["role"] == "user":
                st.markdown(escape_md(message["content"]), unsafe_allow_html=True)
            else:
                _render_turn(client, message, idx, service_ok)

    if problem:
        st.warning(problem, icon=":material/edit_note:")
        if raw and raw.strip():
            with st.expander(f"你输入的内容（{len(raw.strip())} 字）"):
                st.code(raw.strip(), language=None, wrap_lines=True)

    unsent = state.get(UNSENT)
    if unsent and not question:
        with st.container(border=True, key="unsent"):
            st.markdown(f"**未发送：** {escape_md(unsent)}", unsafe_allow_html=True)
            st.caption("提问时服务不可用。服务恢复后点“重新提问”。")
            st.button("重新提问", key="retry", icon=":material/refresh:", on_click=_retry, args=(unsent,),
                      disabled=not service_ok)

    if question:
        state.pop(UNSENT, None)
        with st.chat_message("user"):
            st.markdown(escape_md(question), unsafe_allow_html=True)
        with st.chat_message("assistant"):
            try:
                with st.spinner("检索中…"):
                    response = _ask(client, question, filters)
            except ServiceUnavailable:
                # keep the question; the rerun shows the reconnect banner and the conversation
                state[UNSENT] = question
                st.rerun()
            except ApiProblem as exc:
                messages.append({"role": "user", "content": question})
                messages.append({"role": "assistant", "error": _ask_problem(exc)})
                st.error(_ask_problem(exc))
            else:
                conversations.append_turn(state, question, response)
                _render_turn(client, state[MESSAGES][-1], len(state[MESSAGES]) - 1, service_ok)

    with conv_slot:
        conversations.sidebar(client, service_ok)
