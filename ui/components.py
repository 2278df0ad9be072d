"""Streamlit widgets shared by the pages: the citation card (with its 对照 of other versions) and the
service-problem message."""
from __future__ import annotations

import html
import logging
import os
from typing import Any
from urllib.parse import quote as quote_url

import streamlit as st

from ui import basket, identity, nav
from ui.api import ApiProblem, ServiceError, api_url_from_env
from ui.format import (problem_text, cite_string, clause_link, diff_side_html, doc_line, escape_html, escape_md,
                       heading_path, highlight_html, lines_text, version_line)

log = logging.getLogger(__name__)

GREY = "#8a8f98"
VERSIONS_CACHE = "_clause_versions"  # session_state: clause id → its 对照 (or None), oldest dropped first
VERSIONS_CACHE_MAX = 100


def service_problem(exc: ApiProblem) -> None:
    """One clear message naming the URL tried; never a traceback."""
    icon = ":material/error:" if isinstance(exc, ServiceError) else ":material/cloud_off:"
    st.error(problem_text(exc), icon=icon)


# One delegated click handler for every copy button (inline onclick attributes are sanitised away).
_COPY_SCRIPT = """<script>
if (!window.__pqaCopy) {
  window.__pqaCopy = true;
  document.addEventListener("click", function (ev) {
    var b = ev.target && ev.target.closest ? ev.target.closest("button.pqa-copy") : null;
    if (!b) return;
    var t = b.getAttribute("data-cite") || "";
    function done() { b.textContent = "已复制"; setTimeout(function () { b.textContent = "复制引文"; }, 1500); }
    function fallback() {
      var a = document.createElement("textarea");
      a.value = t; a.style.position = "fixed"; a.style.opacity = "0";
      document.body.appendChild(a); a.select();
      try { document.execCommand("copy"); done(); } catch (e) { b.textContent = "复制失败"; }
      a.remove();
    }
    if (navigator.clipboard && window.isSecureContext) { navigator.clipboard.writeText(t).then(done, fallback); }
    else { fallback(); }
  });
}
</script>"""
_COPY_STYLE = (
    "font:inherit;font-size:0.875rem;padding:0.25rem 0.75rem;border-radius:0.5rem;cursor:pointer;"
    "border:1px solid rgba(49,51,63,0.2);background:#fff;color:inherit;min-height:2.5rem;"
)


def copy_button(text: str) -> None:
    """A '复制引文' button that puts ``text`` on the clipboard (Clipboard API, or execCommand on
    plain-http hosts). The same text is also shown in ``st.code``, whose own copy icon works too."""
    st.html(
        f'<button type="button" class="pqa-copy" style="{_COPY_STYLE}" '
        f'data-cite="{html.escape(text, quote=True)}">复制引文</button>{_COPY_SCRIPT}',
        unsafe_allow_javascript=True,
    )


def citation_card(citation: dict[str, Any], number: int | None, key: str, *,
                  greyed: bool = False, actions: bool = True) -> None:
    """One citation: document, 文号, jurisdiction, heading path, label, text with the quote marked,
    the copyable reference, and buttons to collect it or open it in the document view.

    ``greyed`` (a 可能相关 clause, not the answer's source) cannot be cited: muted text without
    highlight, no reference string, no 加入引文篮 / 复制引文, only a muted 查看原文."""
    with st.container(border=True, key=f"cite-{key}"):
        prefix = f"[{number}] " if number is not None else ""
        tag = "可能相关 · " if greyed else ""
        title = doc_line(citation)
        if greyed:
            st.markdown(f"<span style='color:{GREY}'>{escape_html(prefix + tag + title)}</span>", unsafe_allow_html=True)
        else:
            st.markdown(f"**{escape_md(prefix + title)}**")
        label = f"**{escape_md(citation['label'])}**" if citation.get("label") else ""
        where = " › ".join(p for p in [escape_md(heading_path(citation)), label] if p)
        meta = [where] if where else []
        if citation.get("source"):
            meta.append(escape_md(f"{citation['source']} {lines_text(citation)}".strip()))
        if citation.get("pages") and citation.get("doc_id") and not os.environ.get("PQA_API_KEY"):
            # a PDF opens at the cited page in the browser's viewer (#page=N)
            page = citation["pages"][0]
            url = f"{api_url_from_env()}/documents/{quote_url(citation['doc_id'], safe='')}/original#page={page}"
            meta.append(f"[原文第{page}页{'（OCR识别）' if citation.get('ocr') else ''} ↗]({url})")
        if meta:
            st.caption(" · ".join(meta))
        text, quote, spans = citation.get("text") or "", citation.get("quote"), citation.get("quote_spans")
        if greyed:
            st.markdown(f"<div style='color:{GREY}'>{escape_html(text)}</div>", unsafe_allow_html=True)
            if actions and citation.get("clause_id"):
                st.button("查看原文", key=f"open-{key}", icon=":material/article:", type="tertiary",
                          on_click=nav.open_clause, args=(citation["clause_id"], citation))
            return
        st.markdown(highlight_html(text, quote, spans), unsafe_allow_html=True)
        cite = cite_string(citation)
        st.code(cite, language=None, wrap_lines=True)
        if actions and citation.get("clause_id"):
            cols = st.columns([1, 1, 1, 1], vertical_alignment="center")
            in_basket = basket.contains(st.session_state, citation)
            cols[0].button(
                "已在引文篮" if in_basket else "加入引文篮", key=f"add-{key}", icon=":material/push_pin:",
                disabled=in_basket, on_click=basket.add, args=(st.session_state, citation),
            )
            cols[1].button(
                "在文档中查看", key=f"open-{key}", icon=":material/article:",
                on_click=nav.open_clause, args=(citation["clause_id"], citation),
            )
            with cols[2]:
                copy_button(cite)
            cols[3].markdown(f"[新标签页打开 ↗]({clause_link(citation['clause_id'])})")
        if citation.get("clause_id") and citation.get("version_label"):  # only dated law versions can have others
            versions_compare(citation["clause_id"], key)


def clause_versions(clause_id: str) -> dict[str, Any] | None:
    """The service's 对照 of a clause, fetched once per session and clause (None when it cannot be had)."""
    cache: dict[str, Any] = st.session_state.setdefault(VERSIONS_CACHE, {})
    if clause_id in cache:
        return cache[clause_id]
    try:
        data = identity.session_client(st.session_state).clause_versions(clause_id)
    except ServiceError as exc:
        if exc.status >= 500:
            log.warning("对照 of %s: %s", clause_id, exc.message)
            return None  # not cached: the next rerun tries again
        data = None  # 404: the clause is gone (index rebuilt), or a service without 对照
    except ApiProblem as exc:
        log.warning("对照 of %s: %s", clause_id, exc.message)
        return None
    if not isinstance(data, dict) or not isinstance(data.get("versions"), list):
        data = None
    cache[clause_id] = data
    while len(cache) > VERSIONS_CACHE_MAX:
        cache.pop(next(iter(cache)))
    return data


def versions_compare(clause_id: str, key: str) -> None:
    """An expander 对照其他版本（N） when the clause's law has other versions: per version its label,
    validity and the two texts side by side, deletions struck through, insertions underlined.
    Its content is only built while it is open."""
    data = clause_versions(clause_id)
    versions = [v for v in (data or {}).get("versions") or [] if isinstance(v, dict)]
    if not versions:
        return
    exp = st.expander(f"对照其他版本（{len(versions)}）", key=f"cmp-{key}", icon=":material/compare:",
                      on_change="rerun")
    if not exp.open:
        return
    here = version_line(data) or "本版本"
    with exp:
        for i, v in enumerate(versions):
            label = f" · {v['label']}" if v.get("label") else ""
            st.markdown(f"**{escape_md(version_line(v) + label)}**")
            if not v.get("clause_id"):
                st.caption(escape_md(str(v.get("note") or "本版本无对应条款")))
                continue
            if v.get("match") == "similar":
                score = v.get("similarity")
                st.caption("条号不同，按条文相似度对应" + (f"（相似度 {score:.0%}）" if isinstance(score, (int, float)) else ""))
            left, right = st.columns(2)
            left.caption(escape_md(f"本条（{here}）"))
            left.markdown(diff_side_html(v.get("diff"), "old"), unsafe_allow_html=True)
            right.caption(escape_md(version_line(v)))
            right.markdown(diff_side_html(v.get("diff"), "new"), unsafe_allow_html=True)
            right.button("查看该版本条款", key=f"cmp-open-{key}-{i}", icon=":material/article:", type="tertiary",
                         on_click=nav.open_clause, args=(v["clause_id"],))


def reconnect_banner(url: str) -> None:
    """The outage banner: the service is being retried and the page recovers by itself."""
    st.error(f"服务暂时不可用，正在重连…（{url}）页面会在服务恢复后自动更新，当前对话与引文篮仍可查看。",
             icon=":material/cloud_sync:")
