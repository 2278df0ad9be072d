"""Documents: the corpus with its metadata, a document's clause tree, and one clause in context
(parent and neighbours, and 对照: the same article in the law's other versions), deep-linkable as
``?page=documents&clause=<clause id>``."""
from __future__ import annotations

import unicodedata
from typing import Any

import streamlit as st

from ui import basket, nav
from ui.api import ApiClient, ApiProblem, ServiceError
from ui.components import GREY, copy_button, service_problem, versions_compare
from ui.doctree import clause_tree, fetch_document, pick_banner, pick_button, pick_feedback
from ui.export import provenance
from ui.format import cite_string, escape_html, escape_md, heading_path, highlight_html, snippet

META_FIELDS = [
    ("doc_number", "文号"), ("issuer", "发文机关"), ("date", "成文日期"), ("jurisdiction", "地区"),
    ("period", "规划期"), ("status", "状态"), ("legal_type", "类型"), ("version_label", "版本"), ("validity", "效力"),
]
# what the list's text filter reads of each document
_SEARCHED_FIELDS = ("title", "doc_id", "doc_number", "issuer", "jurisdiction")
LIST_PAGE = 50  # document cards shown at first; "显示更多" adds as many again
# long titles, table rows and ids wrap inside the column instead of running off to the right
_WRAP_STYLE = ("<style>[data-testid='stMarkdownContainer'], [data-testid='stCaptionContainer'] "
               "{overflow-wrap:anywhere; word-break:break-word}</style>")


def _years(doc: dict[str, Any]) -> str:
    years = doc.get("years") or []
    if len(years) == 2 and years[0] != years[1]:
        return f"{years[0]}–{years[1]}"
    return str(years[0]) if years else ""


def _date(value: Any) -> str:
    """2019-01-26 → 2019年1月26日; 2022-04 → 2022年4月 (what the document itself prints)."""
    parts = str(value or "").split("-")
    if not parts[0].isdigit():
        return str(value or "")
    units = ("年", "月", "日")
    return "".join(f"{int(p)}{u}" for p, u in zip(parts, units) if p.isdigit())


def meta_facts(doc: dict[str, Any]) -> list[tuple[str, str]]:
    """(label, value) of the metadata the service knows, in the order a reader expects."""
    out = []
    for field, label in META_FIELDS:
        value = doc.get(field)
        if value:
            out.append((label, _date(value) if field == "date" else str(value)))
    if _years(doc) and not doc.get("period"):
        out.append(("年份", _years(doc)))
    aliases = [a.get("doc_id") or "" if isinstance(a, dict) else str(a) for a in doc.get("aliases") or []]
    if any(aliases):
        out.append(("同一文件的其他版本", "，".join(a for a in aliases if a)))
    if isinstance(doc.get("clause_count"), int):
        out.append(("条款数", str(doc["clause_count"])))
    return out


def meta_html(doc: dict[str, Any]) -> str:
    """The metadata as wrapping label：value pairs (missing fields are said to be missing)."""
    facts = meta_facts(doc)
    known = {label for label, _ in facts}
    missing = [label for field, label in META_FIELDS[:3] if label not in known]
    pair = "<span style='display:inline-block;max-width:100%;margin-right:1.2em{}'>{}</span>"
    parts = [pair.format("", f"<b>{escape_html(label)}</b>：{escape_html(value)}") for label, value in facts]
    if missing:
        parts.append(pair.format(f";color:{GREY}", f"{'、'.join(missing)}：文中未载明"))
    return "<div style='line-height:1.9'>" + "".join(parts) + "</div>"


def _folded(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


def filter_documents(docs: list[dict[str, Any]], text: str = "", legal_types: list[str] | None = None,
                     validity: list[str] | None = None) -> list[dict[str, Any]]:
    """The documents whose title, id, 文号, 发文机关 or 地区 contain every word of ``text`` (full- and
    half-width alike), of one of ``legal_types`` and ``validity`` when given."""
    words = _folded(text).split()
    out = []
    for d in docs:
        if legal_types and d.get("legal_type") not in legal_types:
            continue
        if validity and d.get("validity") not in validity:
            continue
        hay = _folded(" ".join(str(d.get(f) or "") for f in _SEARCHED_FIELDS))
        if all(w in hay for w in words):
            out.append(d)
    return out


def _choices(docs: list[dict[str, Any]], field: str) -> list[str]:
    return list(dict.fromkeys(str(d[field]) for d in docs if d.get(field)))


def list_filters(docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The list's filters: words to find, and 类型 / 效力 boxes when they tell the documents apart."""
    cols = st.columns([3, 2, 2])
    text = cols[0].text_input("筛选", key="doc-filter", placeholder="标题、文号、发文机关或地区中的字词")
    types, validity = _choices(docs, "legal_type"), _choices(docs, "validity")
    chosen_types = cols[1].multiselect("类型", types, key="doc-filter-types", placeholder="全部类型") if len(types) > 1 else []
    chosen_validity = (cols[2].multiselect("效力", validity, key="doc-filter-validity", placeholder="全部")
                       if len(validity) > 1 else [])
    return filter_documents(docs, text, chosen_types, chosen_validity)


def document_list(docs: list[dict[str, Any]], total: int | None = None) -> None:
    """One card per document: its title and metadata, wrapping; a button opens its clauses."""
    if total is not None and total != len(docs):
        if not docs:
            st.info(f"共 {total} 个文件，没有符合筛选条件的文件。")
            return
        st.caption(f"共 {total} 个文件，符合筛选条件的 {len(docs)} 个。选择一个文件查看条款树。")
    else:
        st.caption(f"共 {len(docs)} 个文件。选择一个文件查看条款树。")
    limit = st.session_state.setdefault("doc_list_limit", LIST_PAGE)
    for i, d in enumerate(docs[:limit]):
        with st.container(border=True, key=f"doc-card-{i}"):
            st.markdown(f"**《{escape_md(d.get('title') or d.get('doc_id') or '')}》**")
            st.markdown(meta_html(d), unsafe_allow_html=True)
            if d.get("doc_id"):
                st.button("查看条款", key=f"doc-open-{i}", icon=":material/account_tree:",
                          on_click=nav.open_document, args=(d["doc_id"],))
    if len(docs) > limit:
        st.button(f"显示更多（还有 {len(docs) - limit} 个）", key="doc-more",
                  on_click=lambda: st.session_state.update(doc_list_limit=limit + LIST_PAGE))


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


def _neighbour(client: ApiClient, node: dict[str, Any], key: str, pick: str | None) -> None:
    """A parent, neighbour or child clause: greyed label and text, a button to open it (and to pick it)."""
    cid = node.get("clause_id") or node.get("id")
    label = node.get("label") or ""
    text = node.get("text") or node.get("location") or ""
    if label and text.startswith(label):
        text = text[len(label):]
    cols = st.columns([5, 1, 2] if pick else [6, 1], vertical_alignment="center")
    cols[0].markdown(f"<div style='color:{GREY}'><b>{escape_html(label)}</b> {escape_html(snippet(text, 160))}</div>",
                     unsafe_allow_html=True)
    if cid:
        cols[1].button("打开", key=f"nb-{key}-{cid}", on_click=nav.open_clause, args=(cid,))
        if pick:
            with cols[2]:
                pick_button(client, pick, cid, f"nb-{key}")


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


def clause_view(client: ApiClient, clause_id: str, pick: str | None = None) -> dict[str, Any] | None:
    """One clause in context (ancestors, parent, neighbours, children); returns its clause record."""
    data = _fetch(lambda: client.clause(clause_id), f"没有编号为 {clause_id} 的条款（索引可能已重建）。")
    if data is None:
        return None
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
        _neighbour(client, parent, "parent", pick)
    prev, nxt = neighbours(data)
    if prev or nxt:
        st.markdown("**上下文**")
    for i, node in enumerate(prev):
        _neighbour(client, node, f"prev{i}", pick)
    citation = {
        "clause_id": real_id, "doc_id": doc_id, "doc_title": title,
        "doc_number": document.get("doc_number") or clause.get("doc_number"),
        "jurisdiction": document.get("jurisdiction") or clause.get("jurisdiction"),
        "source": clause.get("source"), "label": clause.get("label"), "path": clause.get("path") or [],
        "kind": clause.get("kind"), "text": clause.get("text") or "", "quote": None,
        "lines": clause.get("lines"), "pages": clause.get("pages") or [], "ocr": bool(clause.get("ocr")),
        "cite": clause.get("cite") or data.get("cite"),
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
        st.caption("出处：" + escape_md(provenance(citation)))
        st.code(cite_string(citation), language=None, wrap_lines=True)
        in_basket = basket.contains(st.session_state, citation)
        cols = st.columns([1, 1, 1], vertical_alignment="center")
        cols[0].button("已在引文篮" if in_basket else "加入引文篮", key="doc-add", icon=":material/push_pin:",
                       disabled=in_basket, on_click=basket.add, args=(st.session_state, citation))
        with cols[1]:
            copy_button(cite_string(citation))
        with cols[2]:
            pick_button(client, pick, real_id, "focus")
        versions_compare(real_id, "focus")
    for i, node in enumerate(nxt):
        _neighbour(client, node, f"next{i}", pick)
    children = _as_list(data.get("children"))
    if children:
        st.markdown(f"**下级条款（{len(children)}）**")
        for i, node in enumerate(children):
            _neighbour(client, node, f"child{i}", pick)
    return {**clause, "clause_id": real_id, "doc_id": doc_id}


def render(client: ApiClient, service_ok: bool, service_exc: ApiProblem | None) -> None:
    st.title("文档")
    st.markdown(_WRAP_STYLE, unsafe_allow_html=True)
    if not service_ok:
        service_problem(service_exc)
        return
    pick = pick_feedback()
    if pick:
        pick_banner(pick)
    clause_id = st.session_state.get("doc_clause")
    if clause_id:
        clause = clause_view(client, clause_id, pick)
        if clause is None:
            return
        st.divider()
        doc = fetch_document(client, clause["doc_id"])
        if doc is not None:
            clause_tree(client, doc, focus=clause["clause_id"], pick=pick)
        return
    try:
        docs = client.documents()
    except ApiProblem as exc:
        service_problem(exc)
        return
    st.session_state["_documents"] = docs
    ids = [d["doc_id"] for d in docs if d.get("doc_id")]
    titles = {d["doc_id"]: f"{d['doc_id']} · {d.get('title') or ''}" for d in docs if d.get("doc_id")}
    current = st.session_state.get("doc_id")
    doc_id = st.selectbox("查看文件", ids, index=ids.index(current) if current in ids else None,
                          format_func=lambda i: titles.get(i, i), placeholder="选择文件，查看条款树")
    if doc_id != current:
        st.session_state.doc_id = doc_id
        nav.sync_url()
    if not doc_id:
        document_list(list_filters(docs), total=len(docs))
        return
    doc = fetch_document(client, doc_id)
    if doc is None:
        return
    meta = doc.get("document") or doc
    st.subheader(f"《{meta.get('title') or doc_id}》")
    with st.container(key="doc-meta"):
        st.markdown(meta_html(meta), unsafe_allow_html=True)
    clause_tree(client, doc, pick=pick)
