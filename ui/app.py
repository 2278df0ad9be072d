"""policy-qa UI: ``streamlit run ui/app.py``.

A pure HTTP client of the assistant service (``PQA_API_URL``, default http://127.0.0.1:8000;
``PQA_API_KEY`` sent as ``X-API-Key``). Pages: 问答 (ask), 文档 (documents), 文档库 (library:
upload, replace, delete), 引文篮 (basket), 评测 (evals); the page and the clause shown are kept in
the URL (``?page=documents&clause=…``).
"""
from __future__ import annotations

import sys
from pathlib import Path

try:  # `streamlit run ui/app.py` puts ui/ itself on sys.path, not the repository root
    import ui  # noqa: F401
except ImportError:  # pragma: no cover - only without the editable install
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import streamlit as st

from ui import basket, nav
from ui.api import ApiClient, ApiProblem
from ui.views import ask, basket_page, documents, evals, library

st.set_page_config(page_title="政策问答 policy-qa", page_icon=":material/gavel:", layout="wide")


def _health(client: ApiClient) -> tuple[bool, ApiProblem | None, dict]:
    try:
        return True, None, client.health() or {}
    except ApiProblem as exc:
        return False, exc, {}


def _health_caption(info: dict) -> str:
    parts = [f"{label} {info[key]}" for key, label in (("documents", "文件"), ("clauses", "条款"))
             if isinstance(info.get(key), int)]
    return " · ".join(parts)


def main() -> None:
    nav.init()
    client = ApiClient()
    st.sidebar.markdown("### :material/gavel: 政策问答")
    page = nav.sidebar_selector()
    ok, exc, info = _health(client)
    if ok:
        st.sidebar.caption(f"服务：{client.base_url} · 已连接 · {_health_caption(info)}")
    else:
        st.sidebar.caption(f"服务：{client.base_url} · :red[未连接]")
    n = len(basket.items(st.session_state))
    if n:
        st.sidebar.caption(f"引文篮：{n} 条")

    if page == "ask":
        ask.render(client, ok, exc)
    elif page == "documents":
        documents.render(client, ok, exc)
    elif page == "library":
        library.render(client, ok, exc, info)
    elif page == "basket":
        basket_page.render()
    elif page == "evals":
        evals.render(client, ok)


main()
