"""Citation basket: the clauses collected while drafting (stored by the service per user, so a
reload or a new tab keeps them); reorder, remove, export. While the service is down the last
copy is shown and can be exported, but not changed."""
from __future__ import annotations

from datetime import datetime

import streamlit as st

from ui import basket, nav
from ui.api import ApiClient
from ui.export import to_docx, to_markdown
from ui.format import cite_string, doc_line, escape_md, heading_path


def render(client: ApiClient, service_ok: bool = True) -> None:
    st.title("引文篮")
    error = basket.pop_error(st.session_state)
    if error:
        st.warning(error)
    items = basket.items(st.session_state)
    if not service_ok and items:
        st.caption("服务恢复前，这里显示的是最近一次同步的引文篮，只能查看和导出。")
    if not items:
        st.info("引文篮是空的。在问答或文档页面的条款卡片上点“加入引文篮”。")
        return
    st.caption(f"共 {len(items)} 条。顺序即导出顺序。")
    for i, item in enumerate(items):
        with st.container(border=True, key=f"basket-{i}"):
            st.markdown(f"**{i + 1}. {escape_md(cite_string(item))}**")
            st.caption(" · ".join(p for p in [doc_line(item), heading_path(item)] if p))
            if item.get("quote"):
                st.markdown(f"> {escape_md(item['quote'])}", unsafe_allow_html=True)
            cols = st.columns([1, 1, 1, 1, 3])
            cols[0].button("上移", key=f"up-{i}", icon=":material/arrow_upward:",
                           disabled=i == 0 or not service_ok,
                           on_click=basket.move, args=(st.session_state, i, -1, client))
            cols[1].button("下移", key=f"down-{i}", icon=":material/arrow_downward:",
                           disabled=i == len(items) - 1 or not service_ok,
                           on_click=basket.move, args=(st.session_state, i, 1, client))
            cols[2].button("移除", key=f"rm-{i}", icon=":material/delete:", disabled=not service_ok,
                           on_click=basket.remove, args=(st.session_state, i, client))
            if item.get("clause_id"):
                cols[3].button("原文", key=f"goto-{i}", on_click=nav.open_clause,
                               args=(item["clause_id"], item))

    stamp = datetime.now()
    name = f"引文清单-{stamp:%Y%m%d-%H%M}"
    markdown = to_markdown(items, now=stamp)
    cols = st.columns([1, 1, 1, 2])
    cols[0].download_button("导出 Markdown", markdown.encode("utf-8"), file_name=f"{name}.md",
                            mime="text/markdown", key="dl-md", icon=":material/download:", on_click="ignore")
    cols[1].download_button(
        "导出 Word", to_docx(items, now=stamp), file_name=f"{name}.docx", key="dl-docx", icon=":material/download:",
        mime="application/vnd.openxmlformats-officedocument.wordprocessingml.document", on_click="ignore",
    )
    cols[2].button("清空", key="basket-clear", icon=":material/clear_all:", disabled=not service_ok,
                    on_click=basket.clear, args=(st.session_state, client))
    with st.expander("预览 Markdown"):
        st.code(markdown, language="markdown", wrap_lines=True)
