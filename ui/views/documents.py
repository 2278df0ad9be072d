"""Documents: the corpus with its metadata, a document's clause tree, and one clause in context
(parent and neighbours), deep-linkable as ``?page=documents&clause=<clause id>``."""
from __future__ import annotations

from typing import Any

import streamlit as st

from ui import basket, nav
from ui.api import ApiClient, ApiProblem, ServiceError
from ui.components import GREY, copy_button, service_problem
from ui.format import clause_link, cite_string, escape_html, escape_md, heading_path, highlight_html, lines_text, snippet

META_FIELDS = [
    ("doc_id", "编号"), ("title", "标题"), ("doc_number", "文号"), ("issuer", "发文机关"),
    ("date", "日期"), ("jurisdiction", "地区"), ("period", "规划期"), ("status", "状态"),
    ("clause_count", "条款数"),
]


def _years(doc: dict[str, Any]) -> str:
    years = doc.get("years") or []
    if len(years) == 2 and years[0] != years[1]:
        return f"{years[0]}–{years[1]}"
    return str(years[0]) if years else ""


def document_table(docs: list[dict[str, Any]]) -> None:
    rows = []
    for d in docs:
        row = {label: d.get(field) if d.get(field) is not None else "" for field, label in META_FIELDS}
        row["年份"] = _years(d)
        aliases = d.get("aliases") or []
        row["别名"] = "，".join(str(a.get("doc_id") or a.get("source") or a) if isinstance(a, dict) else str(a)
                              for a in aliases)
        rows.append(row)
    st.dataframe(rows, hide_index=True, width="stretch")


# --- clause tree ----------------------------------------------------------------------------------
def flatten_tree(tree: Any, depth: int = 0) -> list[tuple[int, dict[str, Any]]]:
    """(depth, clause) pairs in reading order from the service's clause tree.

    Accepts a nested list of nodes with ``children``, or a flat list of clauses with ``path``/
    ``parent_id`` (depth then comes from the heading path)."""
    out: list[tuple[int, dict[str, Any]]] = []
    if isinstance(tree, dict):
        tree = tree.get("children") or tree.get("clauses") or []
    for node in tree or []:
        if not isinstance(node, dict):
            continue
        children = node.get("children")
        d = depth if children is not None or depth else len(node.get("path") or [])
        out.append((d, node))
        if children:
            out.extend(flatten_tree(children, depth + 1))
    return out


def _node_id(node: dict[str, Any]) -> str | None:
    return node.get("id") or node.get("clause_id")


def _node_line(node: dict[str, Any]) -> str:
    label = node.get("label") or ""
    text = node.get("title") or node.get("text") or node.get("preview") or ""
    if text.startswith(label):
        text = text[len(label):]
    return f"{label} {snippet(text, 48)}".strip()


def clause_tree(doc: dict[str, Any]) -> None:
    tree = doc.get("tree") or doc.get("clauses") or doc.get("children") or []
    flat = [(d, n) for d, n in flatten_tree(tree) if _node_id(n)]
    if not flat:
        st.info("该文件没有条款树。")
        return
    ids = [_node_id(n) for _, n in flat]
    labels = {_node_id(n): ("\u3000" * d) + _node_line(n) for d, n in flat}
    st.subheader(f"条款（{len(flat)}）")
    key = f"tree-pick-{doc.get('doc_id')}"

    def _open() -> None:
        if st.session_state.get(key):
            nav.open_clause(st.session_state[key])
            st.session_state[key] = None

    st.selectbox("打开条款", ids, index=None, format_func=lambda i: labels.get(i, i),
                 key=key, placeholder="选择一个条款，查看上下文", on_change=_open)
    with st.expander("全部条款（树）", expanded=True):
        lines = []
        for d, n in flat:
            cid = _node_id(n)
            lines.append(f"{'&emsp;' * d}[{escape_md(n.get('label') or '·')}]({clause_link(cid)}) "
                         f"{escape_md(snippet(_node_line(n)[len(n.get('label') or ''):], 60))}")
        st.markdown("  \n".join(lines), unsafe_allow_html=True)


# --- one clause in context ------------------------------------------------------------------------
def _as_list(value: Any) -> list[dict[str, Any]]:
    if value is None:
        return []
    if isinstance(value, dict):
        return [value]
    return [v for v in value if isinstance(v, dict)]


def neighbours(data: dict[str, Any]) -> tuple[list[dict], list[dict]]:
    """(previous, next) siblings from the /clauses response, whatever its exact naming."""
    nb = data.get("neighbours", data.get("neighbors"))
    prev = _as_list(data.get("previous") or data.get("prev"))
    nxt = _as_list(data.get("next"))
    if isinstance(nb, dict):
        prev = prev or _as_list(nb.get("previous") or nb.get("prev") or nb.get("before"))
        nxt = nxt or _as_list(nb.get("next") or nb.get("after"))
    elif isinstance(nb, list) and not (prev or nxt):
        clause = data.get("clause") or data
        order = clause.get("order")
        for n in _as_list(nb):
            if order is not None and n.get("order") is not None and n["order"] < order:
                prev.append(n)
            else:
                nxt.append(n)
    return prev, nxt


def _neighbour(node: dict[str, Any], key: str) -> None:
    """A parent, neighbour or child clause: greyed label and text, with a button to open it."""
    cid = _node_id(node)
    label = node.get("label") or ""
    text = node.get("text") or node.get("location") or ""
    if label and text.startswith(label):
        text = text[len(label):]
    cols = st.columns([6, 1], vertical_alignment="center")
    cols[0].markdown(f"<div style='color:{GREY}'><b>{escape_html(label)}</b> {escape_html(snippet(text, 160))}</div>",
                     unsafe_allow_html=True)
    if cid:
        cols[1].button("打开", key=f"nb-{key}-{cid}", on_click=nav.open_clause, args=(cid,))


def _fetch(call, missing: str):
    """The service's answer, or ``None`` after showing why not (404: ``missing``; else the problem)."""
    try:
        return call()
    except ServiceError as exc:
        if exc.status == 404:
            st.warning(missing)
        else:
            service_problem(exc)
    except ApiProblem as exc:
        service_problem(exc)
    return None


def clause_view(client: ApiClient, clause_id: str) -> None:
    data = _fetch(lambda: client.clause(clause_id), f"没有编号为 {clause_id} 的条款（索引可能已重建）。")
    if data is None:
        return
    clause = data.get("clause") or data
    real_id = clause.get("clause_id") or clause.get("id") or clause_id
    doc_id = clause.get("doc_id") or clause_id.split("/", 1)[0]
    document = data.get("document") or {}
    title = clause.get("doc_title") or document.get("title") or doc_id
    st.button(f"← 《{title}》全部条款", key="back-to-doc", on_click=nav.open_document, args=(doc_id,))
    st.subheader(f"《{title}》")
    info = [document.get("doc_number") or clause.get("doc_number"), document.get("jurisdiction") or clause.get("jurisdiction")]
    st.caption(" · ".join(str(i) for i in info if i) + f" · 条款编号 `{real_id}`")

    ancestors = _as_list(data.get("ancestors"))
    parent = data.get("parent")
    if len(ancestors) > 1:
        st.caption("上级：" + " › ".join(escape_md(snippet(a.get("text") or a.get("label") or "", 30)) for a in ancestors[:-1]))
    if isinstance(parent, dict) and (parent.get("text") or parent.get("label")):
        st.markdown("**上级条款**")
        _neighbour(parent, "parent")
    prev, nxt = neighbours(data)
    if prev or nxt:
        st.markdown("**上下文**")
    for i, node in enumerate(prev):
        _neighbour(node, f"prev{i}")
    citation = {
        "clause_id": real_id, "doc_id": doc_id, "doc_title": title,
        "doc_number": document.get("doc_number") or clause.get("doc_number"),
        "jurisdiction": document.get("jurisdiction") or clause.get("jurisdiction"),
        "source": clause.get("source"), "label": clause.get("label"), "path": clause.get("path") or [],
        "kind": clause.get("kind"), "text": clause.get("text") or "", "quote": None,
        "lines": clause.get("lines"), "cite": clause.get("cite") or data.get("cite"),
    }
    came_from = st.session_state.get("doc_citation")
    if isinstance(came_from, dict) and came_from.get("clause_id") == real_id:
        # Opened from an answer card or the basket: keep its quote and its cite.
        for key in ("quote", "quote_spans", "cite"):
            if came_from.get(key):
                citation[key] = came_from[key]
    with st.container(border=True, key="clause-focus"):
        where = " › ".join(p for p in [heading_path(citation), citation.get("label") or ""] if p)
        st.markdown(f"**{escape_md(where)}**" if where else "**条款**")
        st.markdown(highlight_html(citation["text"], citation.get("quote"), citation.get("quote_spans")),
                    unsafe_allow_html=True)
        if citation.get("source"):
            st.caption(f"{citation['source']} {lines_text(citation)}")
        st.code(cite_string(citation), language=None, wrap_lines=True)
        in_basket = basket.contains(st.session_state, citation)
        cols = st.columns([1, 1, 2], vertical_alignment="center")
        cols[0].button("已在引文篮" if in_basket else "加入引文篮", key="doc-add", icon=":material/push_pin:",
                       disabled=in_basket, on_click=basket.add, args=(st.session_state, citation))
        with cols[1]:
            copy_button(cite_string(citation))
    for i, node in enumerate(nxt):
        _neighbour(node, f"next{i}")
    children = _as_list(data.get("children"))
    if children:
        st.markdown(f"**下级条款（{len(children)}）**")
        for i, node in enumerate(children):
            _neighbour(node, f"child{i}")


def render(client: ApiClient, service_ok: bool, service_exc: ApiProblem | None) -> None:
    st.title("文档")
    if not service_ok:
        service_problem(service_exc)
        return
    clause_id = st.session_state.get("doc_clause")
    if clause_id:
        clause_view(client, clause_id)
        return
    try:
        docs = client.documents()
    except ApiProblem as exc:
        service_problem(exc)
        return
    st.session_state["_documents"] = docs
    document_table(docs)
    ids = [d["doc_id"] for d in docs if d.get("doc_id")]
    titles = {d["doc_id"]: f"{d['doc_id']} · {d.get('title') or ''}" for d in docs if d.get("doc_id")}
    current = st.session_state.get("doc_id")
    doc_id = st.selectbox("查看文件", ids, index=ids.index(current) if current in ids else None,
                          format_func=lambda i: titles.get(i, i), placeholder="选择文件，查看条款树")
    if doc_id != current:
        st.session_state.doc_id = doc_id
        nav.sync_url()
    if not doc_id:
        return
    doc = _fetch(lambda: client.document(doc_id), f"没有编号为 {doc_id} 的文件。")
    if doc is None:
        return
    meta = doc.get("document") or doc
    st.subheader(f"《{meta.get('title') or doc_id}》")
    facts = [f"{label}：{meta.get(field)}" for field, label in META_FIELDS[2:8] if meta.get(field)]
    if facts:
        st.caption(" · ".join(facts))
    clause_tree(doc)
