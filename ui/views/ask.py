"""Ask: a chat over the corpus. Each answer is quoted text with [n] markers and numbered
citation cards; a not-found answer says so and shows the nearest clauses, greyed."""
from __future__ import annotations

from typing import Any

import streamlit as st

from ui.api import ApiClient, ApiProblem, build_filters
from ui.components import citation_card, problem_text, service_problem
from ui.format import NOT_FOUND, answer_html, escape_md

EXAMPLES = [
    "2025年每千人口托位数目标是多少？",
    "2022年县级医院达到什么水平？",
    "平坝区“十四五”期间每千人口执业（助理）医师数目标是多少？",
]
MESSAGES = "messages"


def _documents(client: ApiClient) -> list[dict[str, Any]]:
    cache = st.session_state.get("_documents")
    if cache is None:
        try:
            cache = client.documents()
        except ApiProblem:
            cache = []
        st.session_state["_documents"] = cache
    return cache


def sidebar_filters(client: ApiClient) -> dict[str, Any] | None:
    """Documents, jurisdiction and year filters; returns the /ask ``filters`` object or None."""
    docs = _documents(client)
    sb = st.sidebar
    sb.subheader("筛选")
    titles = {d["doc_id"]: f"{d.get('title') or d['doc_id']}（{d['doc_id']}）" for d in docs if d.get("doc_id")}
    chosen_docs = sb.multiselect("文件", list(titles), format_func=lambda i: titles.get(i, i),
                                 key="f_docs", placeholder="全部文件")
    places = sorted({d.get("jurisdiction") for d in docs if d.get("jurisdiction")})
    chosen_places = sb.multiselect("地区", places, key="f_places", placeholder="全部地区")
    years = sorted({int(y) for d in docs for y in (d.get("years") or []) if str(y).isdigit()})
    year_from = year_to = None
    if years:
        lo, hi = min(years), max(max(years), min(years) + 1)
        if sb.checkbox("按年份筛选", key="f_use_years"):
            year_from, year_to = sb.slider("年份", lo, hi, (lo, hi), key="f_years")
    top_k = sb.slider("引用条数上限", 1, 20, 5, key="f_top_k")
    st.session_state["_top_k"] = top_k
    return build_filters(chosen_docs, chosen_places, year_from, year_to)


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


def render(client: ApiClient, service_ok: bool, service_exc: ApiProblem | None) -> None:
    st.title("政策问答")
    if not service_ok:
        service_problem(service_exc)
        return
    filters = sidebar_filters(client)
    messages: list[dict[str, Any]] = st.session_state.setdefault(MESSAGES, [])

    question = st.chat_input("输入问题，例如：2025年每千人口托位数目标是多少？", max_chars=1000, key="chat")
    question = question or st.session_state.pop("_pending", None)

    if not messages and not question:
        st.caption("用中文提问，回答直接摘自政策原文，并附可引用的条款出处。示例：")
        cols = st.columns(len(EXAMPLES))
        for col, example in zip(cols, EXAMPLES):
            col.button(example, key=f"ex-{example}", on_click=_ask_example, args=(example,))

    for idx, message in enumerate(messages):
        with st.chat_message(message["role"]):
            if message["role"] == "user":
                st.markdown(escape_md(message["content"]), unsafe_allow_html=True)
            elif message.get("error"):
                st.error(message["error"])
            else:
                render_response(message["response"], idx)

    question = (question or "").strip()
    if question:
        messages.append({"role": "user", "content": question})
        with st.chat_message("user"):
            st.markdown(escape_md(question), unsafe_allow_html=True)
        idx = len(messages)
        with st.chat_message("assistant"):
            try:
                with st.spinner("检索中…"):
                    response = client.ask(question, top_k=st.session_state.get("_top_k", 5), filters=filters)
            except ApiProblem as exc:
                service_problem(exc)
                messages.append({"role": "assistant", "error": problem_text(exc)})
                return
            messages.append({"role": "assistant", "response": response})
            render_response(response, idx)

    if messages:
        st.button("清空对话", key="clear-chat", on_click=lambda: st.session_state[MESSAGES].clear())
