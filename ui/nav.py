"""Page routing kept in the URL, so a view can be deep-linked and shared.

``?page=documents&clause=<clause id>`` opens a clause in context; ``?page=documents&doc=<doc id>``
opens a document's clause tree. The current page is a sidebar radio (key ``page``) initialised
from the URL on a session's first run and written back to the URL on every run.
"""
from __future__ import annotations

import streamlit as st

PAGES = {
    "ask": ":material/chat: 问答",
    "documents": ":material/library_books: 文档",
    "library": ":material/upload_file: 文档库",
    "basket": ":material/push_pin: 引文篮",
    "evals": ":material/bar_chart: 评测",
}
DEFAULT = "ask"


def _param(name: str) -> str | None:
    value = st.query_params.get(name)
    return value or None


def init() -> None:
    """On a session's first run, take page, clause and doc from the URL."""
    if "page" not in st.session_state:
        page = _param("page")
        st.session_state.page = page if page in PAGES else DEFAULT
        st.session_state.doc_clause = _param("clause")
        st.session_state.doc_id = _param("doc")


def sidebar_selector() -> str:
    page = st.sidebar.radio("页面", list(PAGES), format_func=PAGES.get, key="page",
                            label_visibility="collapsed")
    sync_url()
    return page


def sync_url() -> None:
    """Write the current view into the query string (only the parameters that apply)."""
    page = st.session_state.get("page", DEFAULT)
    wanted = {"page": page}
    if page == "documents":
        if st.session_state.get("doc_clause"):
            wanted["clause"] = st.session_state.doc_clause
        elif st.session_state.get("doc_id"):
            wanted["doc"] = st.session_state.doc_id
    current = {k: st.query_params.get(k) for k in ("page", "clause", "doc")}
    if any(current.get(k) != wanted.get(k) for k in ("page", "clause", "doc")):
        st.query_params.from_dict(wanted)


def open_clause(clause_id: str, citation: dict | None = None) -> None:
    """Callback: show ``clause_id`` in the document view (same session, conversation kept).

    ``citation`` (from an answer card) keeps its quote highlighted and its cite string."""
    st.session_state.page = "documents"
    st.session_state.doc_clause = clause_id
    st.session_state.doc_citation = citation
    if "/" in clause_id:
        st.session_state.doc_id = clause_id.split("/", 1)[0]


def open_document(doc_id: str | None) -> None:
    """Callback: show a document's clause tree."""
    st.session_state.page = "documents"
    st.session_state.doc_clause = None
    st.session_state.doc_citation = None
    st.session_state.doc_id = doc_id
