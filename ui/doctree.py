"""A document's clause tree on the Documents page: one collapsible section per top-level heading
(children indented under it), the clause in focus opened and marked, and — in pick mode — a
"设为正确条款" button on every clause shown, which records it as a feedback's correct clause.

Sections render their rows only while open (``st.expander(on_change="rerun")``), so a 230-clause
plan costs a handful of widgets until the reader opens a chapter.
"""
from __future__ import annotations

from typing import Any

import streamlit as st

from ui import nav
from ui.api import ApiClient, ApiProblem
from ui.components import service_problem
from ui.format import escape_md, snippet

MAX_DEPTH_INDENT = 6
PICK_PARAM = "pick"
_STYLE = "<style>" + "".join(
    f"[class*='st-key-treerow-d{d}-'] {{padding-left:{1.4 * d:.1f}em}}" for d in range(1, MAX_DEPTH_INDENT + 1)
) + (
    "[class*='st-key-treerow-'] button {text-align:left; white-space:normal; height:auto; min-height:1.8rem}"
    "[class*='st-key-treerow-'] button p {white-space:normal; overflow-wrap:anywhere}"
    "</style>"
)


# --- the tree as the service returns it ------------------------------------------------------------
def node_id(node: dict[str, Any]) -> str | None:
    return node.get("clause_id") or node.get("id")


def node_line(node: dict[str, Any], n: int = 48) -> str:
    """``第三章 规划总则`` / ``（一） 医疗服务更加可及…``: the label, then the start of the text."""
    label = node.get("label") or ""
    text = node.get("title") or node.get("text") or node.get("preview") or ""
    if label and text.startswith(label):
        text = text[len(label):]
    return f"{label} {snippet(text, n)}".strip()


def flatten_tree(tree: Any, depth: int = 0) -> list[tuple[int, dict[str, Any]]]:
    """(depth, node) pairs in reading order from the service's nested clause tree."""
    out: list[tuple[int, dict[str, Any]]] = []
    if isinstance(tree, dict):
        tree = tree.get("children") or tree.get("tree") or []
    for node in tree or []:
        if isinstance(node, dict):
            out.append((depth, node))
            out.extend(flatten_tree(node.get("children") or [], depth + 1))
    return out


def contains(node: dict[str, Any], clause_id: str | None) -> bool:
    """Whether ``clause_id`` is ``node`` or lies under it."""
    if not clause_id:
        return False
    return any(node_id(n) == clause_id for _, n in flatten_tree([node]))


# --- pick mode ---------------------------------------------------------------------------------------
def pick_feedback() -> str | None:
    """The feedback whose correct clause is being picked: ``?pick=<id>``, which ``nav`` keeps in
    ``st.session_state.pick_feedback`` (and in the URL) for the session."""
    if "pick_feedback" not in st.session_state:
        st.session_state["pick_feedback"] = st.query_params.get(PICK_PARAM) or None
    return st.session_state.get("pick_feedback")


def end_pick() -> None:
    """Callback: leave pick mode."""
    st.session_state["pick_feedback"] = None
    st.session_state["picked_clause"] = None
    if PICK_PARAM in st.query_params:
        del st.query_params[PICK_PARAM]


def _set_correct(client: ApiClient, feedback_id: str, clause_id: str) -> None:
    try:
        client.update_feedback(feedback_id, {"correct_clause_id": clause_id})
    except ApiProblem as exc:
        st.session_state["pick_error"] = exc
        return
    st.session_state["picked_clause"] = clause_id
    st.session_state["pick_error"] = None


def pick_banner(feedback_id: str) -> None:
    """What pick mode is, what was picked (or why it failed), and the way out."""
    with st.container(border=True, key="pick-banner"):
        picked = st.session_state.get("picked_clause")
        error = st.session_state.get("pick_error")
        if error is not None:
            service_problem(error)
        if picked:
            st.success(f"已将条款 {picked} 设为反馈 {feedback_id} 的正确条款。可在评测页把它生成评测题。",
                       icon=":material/check_circle:")
        else:
            st.info(f"正在为反馈 {feedback_id} 选择正确条款：在条款旁点“设为正确条款”。", icon=":material/ads_click:")
        st.button("结束选择", key="pick-end", icon=":material/close:", on_click=end_pick)


def pick_button(client: ApiClient, feedback_id: str | None, clause_id: str | None, key: str) -> None:
    """The "设为正确条款" button of one clause (nothing outside pick mode)."""
    if not feedback_id or not clause_id:
        return
    done = st.session_state.get("picked_clause") == clause_id
    st.button("已设为正确条款" if done else "设为正确条款", key=f"pick-{key}", disabled=done,
              icon=":material/check:" if done else ":material/ads_click:",
              on_click=_set_correct, args=(client, feedback_id, clause_id))


# --- the tree ----------------------------------------------------------------------------------------
def _row(client: ApiClient, depth: int, node: dict[str, Any], focus: str | None, pick: str | None, key: str) -> None:
    cid = node_id(node)
    with st.container(key=f"treerow-d{min(depth, MAX_DEPTH_INDENT)}-{key}"):
        line = escape_md(node_line(node, 60))
        if node.get("kind") == "heading":
            line = f"**{line}**"
        if cid == focus:
            line = "▶ " + line
        if pick:
            cols = st.columns([5, 2], vertical_alignment="center")
            cols[0].button(line, key=f"tree-open-{key}", type="tertiary", on_click=nav.open_clause, args=(cid,))
            with cols[1]:
                pick_button(client, pick, cid, f"tree-{key}")
        else:
            st.button(line, key=f"tree-open-{key}", type="tertiary", on_click=nav.open_clause, args=(cid,))


def clause_tree(client: ApiClient, doc: dict[str, Any], focus: str | None = None, pick: str | None = None) -> None:
    """The document's clauses: lines without children first, then one expander per top-level heading."""
    doc_id = str(doc.get("doc_id") or "")
    roots = [n for n in (doc.get("tree") or []) if isinstance(n, dict) and node_id(n)]
    flat = [(d, n) for d, n in flatten_tree(roots) if node_id(n)]
    if not flat:
        st.info("该文件没有条款树。")
        return
    st.markdown(_STYLE, unsafe_allow_html=True)
    st.subheader(f"条款（{len(flat)}）")
    key = f"tree-pick-{doc_id}"

    def _open() -> None:
        if st.session_state.get(key):
            nav.open_clause(st.session_state[key])
            st.session_state[key] = None

    labels = {node_id(n): ("\u3000" * d) + node_line(n) for d, n in flat}
    st.selectbox("打开条款", list(labels), index=None, format_func=lambda i: labels.get(i, i),
                 key=key, placeholder="选择或输入条款，查看上下文", on_change=_open)
    leaves = [n for n in roots if not n.get("children")]
    for i, node in enumerate(leaves):
        _row(client, 0, node, focus, pick, f"{doc_id}-top{i}")
    # the focus's section opens once per new focus; afterwards the reader's open/closed choice holds
    opened_for = st.session_state.get("_tree_opened_for")
    for i, node in enumerate(n for n in roots if n.get("children")):
        section = f"sec-{doc_id}-{i}"
        if focus and focus != opened_for and contains(node, focus):
            st.session_state[section] = True
        count = len(flatten_tree(node.get("children")))
        with st.expander(f"{node_line(node, 40)}（{count}）", key=section, on_change="rerun") as exp:
            if exp.open:
                _row(client, 0, node, focus, pick, f"{section}-h")
                for j, (depth, child) in enumerate(flatten_tree(node.get("children"), 1)):
                    _row(client, depth, child, focus, pick, f"{section}-{j}")
    st.session_state["_tree_opened_for"] = focus


def fetch_document(client: ApiClient, doc_id: str) -> dict[str, Any] | None:
    """GET /documents/{id}, or ``None`` after showing why not."""
    try:
        return client.document(doc_id)
    except ApiProblem as exc:
        if getattr(exc, "status", None) == 404:
            st.warning(f"没有编号为 {doc_id} 的文件。")
        else:
            service_problem(exc)
        return None
