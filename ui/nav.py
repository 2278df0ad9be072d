"""Page routing kept in the URL, so a view can be deep-linked and shared.

``?page=documents&clause=<clause id>`` opens a clause in context; ``?page=documents&doc=<doc id>``
opens a document's clause tree; ``?page=documents&pick=<feedback id>`` opens the documents page in
pick mode (choose the correct clause of a 👎; ``st.session_state.pick_feedback``, see ui/doctree.py);
``?page=ask&c=<id>`` reopens a conversation (``st.session_state.conv_id``). The current page is a
sidebar radio (key ``page``) initialised from the URL on a session's first run and written back on
every run.
"""
from __future__ import annotations

from urllib.parse import urlencode

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
        st.session_state.pick_feedback = _param("pick")
        st.session_state.conv_id = _param("c")


def sidebar_selector() -> str:
    page = st.sidebar.radio("页面", list(PAGES), format_func=PAGES.get, key="page",
                            label_visibility="collapsed")
    sync_url()
    return page


URL_KEYS = ("page", "clause", "doc", "pick", "c")


def wanted_params(state: dict) -> dict[str, str]:
    """The query string that describes the view in ``state`` (only the parameters that apply)."""
    page = state.get("page", DEFAULT)
    wanted = {"page": page}
    if page == "documents":
        if state.get("doc_clause"):
            wanted["clause"] = state["doc_clause"]
        elif state.get("doc_id"):
            wanted["doc"] = state["doc_id"]
        if state.get("pick_feedback"):
            wanted["pick"] = state["pick_feedback"]
    elif page == "ask" and state.get("conv_id"):
        wanted["c"] = state["conv_id"]
    return wanted


def sync_url() -> None:
    """Write the current view into the query string."""
    wanted = wanted_params(st.session_state.to_dict())
    current = {k: st.query_params.get(k) for k in URL_KEYS}
    if any(current.get(k) != wanted.get(k) for k in URL_KEYS):
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


def open_pick(feedback_id: str, clause_id: str | None = None) -> None:
    """Callback: the documents page in pick mode for a 👎 (``?page=documents&pick=<id>``),
    opened at ``clause_id`` (the answer's first citation) when given."""
    if clause_id:
        open_clause(clause_id)
    else:
        open_document(None)
    st.session_state.pick_feedback = feedback_id
    st.session_state.picked_clause = None  # a new pick: forget the previous one's outcome
    st.session_state.pick_error = None


def pick_link(feedback_id: str) -> str:
    """Relative deep link to the documents page in pick mode (a new tab: a new session)."""
    return "?" + urlencode({"page": "documents", "pick": feedback_id})
