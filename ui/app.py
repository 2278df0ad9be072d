"""policy-qa UI: ``streamlit run ui/app.py``.

A pure HTTP client of the assistant service (``PQA_API_URL``, default http://127.0.0.1:8000;
``PQA_API_KEY`` sent as ``X-API-Key``). Pages: 问答 (ask), 文档 (documents), 文档库 (library:
upload, replace, delete), 引文篮 (basket), 评测 (evals); the page and the clause shown are kept in
the URL (``?page=documents&clause=…``, ``?page=ask&c=<conversation>``).

Conversations, the basket and feedback are stored by the service per user: the API key's holder,
or without a key a random id this browser keeps in a cookie (``ui/identity.py``). The service is
watched from the page: when it stops answering, a Chinese banner says so (the conversation and the
basket stay on screen from their local copies) and a fragment polls ``/health`` every 2 s; when it
answers again the page reruns by itself.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

try:  # `streamlit run ui/app.py` puts ui/ itself on sys.path, not the repository root
    import ui  # noqa: F401
except ImportError:  # pragma: no cover - only without the editable install
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import streamlit as st

from ui import basket, conversations, identity, nav
from ui.api import ApiClient, ApiProblem
from ui.components import reconnect_banner
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


# How often an open page checks the service: while it answers, and while it is down.
WATCH_UP_S = 5.0
WATCH_DOWN_S = 2.0
_FRESH = "_health_fresh"  # set by a full run: the fragment's first run needs no second check
BANNER_PAGES = ("ask", "basket")  # the other pages show their own service message


def _service_back(url: str) -> bool:
    try:
        ApiClient(url).health(timeout=3.0)
        return True
    except ApiProblem:
        return False


@st.fragment(run_every=WATCH_UP_S)
def _watch_up(url: str) -> None:
    """While the service answers: a full rerun as soon as it stops (shows the banner)."""
    if st.session_state.pop(_FRESH, False):
        return
    if not _service_back(url):
        st.rerun(scope="app")


@st.fragment(run_every=WATCH_DOWN_S)
def _watch_down(url: str, banner: bool) -> None:
    """While the service is down: the banner, and a full rerun as soon as it answers again."""
    fresh = st.session_state.pop(_FRESH, False)
    if not fresh and _service_back(url):
        st.rerun(scope="app")
    if banner:
        reconnect_banner(url)


def main() -> None:
    state = st.session_state
    nav.init()
    uid = identity.ensure(os.environ.get("PQA_API_KEY") or None)
    client = ApiClient(user_id=uid)
    st.sidebar.markdown("### :material/gavel: 政策问答")
    page = nav.sidebar_selector()
    ok, exc, info = _health(client)
    if ok:
        st.sidebar.caption(f"服务：{client.base_url} · 已连接 · {_health_caption(info)}")
        if state.get("_service_ok") is False:
            state[conversations.LOADED] = None  # back from an outage: load the conversation again
        basket.refresh(state, client)
    else:
        st.sidebar.caption(f"服务：{client.base_url} · :red[未连接]")
    state["_service_ok"] = ok
    n = len(basket.items(state))
    if n:
        st.sidebar.caption(f"引文篮：{n} 条")

    state[_FRESH] = True
    if ok:
        _watch_up(client.base_url)
    else:
        _watch_down(client.base_url, page in BANNER_PAGES)

    if page == "ask":
        ask.render(client, ok, exc)
    elif page == "documents":
        documents.render(client, ok, exc)
    elif page == "library":
        library.render(client, ok, exc, info)
    elif page == "basket":
        basket_page.render(client, ok)
    elif page == "evals":
        evals.render(client, ok)
    nav.sync_url()  # again: this run may have created a conversation (?c=) or entered pick mode
    identity.write_cookie(uid)


main()
