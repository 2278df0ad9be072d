"""The citation basket: clauses a user collects while drafting, stored by the service per user.

A thin layer over ``/basket`` (docs/workspace-api.md), so the basket survives a reload and a new
tab. ``state[KEY]`` is a local copy of the server's items (each a citation snapshot with its
``item_id``), refreshed on every page run and after every change; it stays on screen (and
exportable) while the service is unreachable. A failed change leaves the copy as it was and
records a Chinese message under ``state[ERROR]`` for the page to show once. Every function
takes the session state first (so it can be a button callback); the client defaults to the
session's (:func:`ui.identity.session_client`).
"""
from __future__ import annotations

import logging
from typing import Any, MutableMapping

from ui.api import ApiClient, ApiProblem, ServiceError, ServiceUnavailable
from ui.identity import session_client

log = logging.getLogger(__name__)

KEY = "basket"
ERROR = "_basket_error"
# The citation fields the service keeps (docs/workspace-api.md, "The citation basket").
FIELDS = ("clause_id", "doc_id", "doc_title", "doc_number", "jurisdiction", "source", "label",
          "path", "text", "quote", "quote_spans", "lines", "pages", "ocr", "cite", "kind", "status", "period")


def items(state: MutableMapping[str, Any]) -> list[dict[str, Any]]:
    """The local copy (the last list the service returned, in the user's order)."""
    if KEY not in state:
        state[KEY] = []
    return state[KEY]


def item_key(item: dict[str, Any]) -> str:
    """What makes two entries the same: the clause and the quote."""
    return f"{item.get('clause_id')}|{item.get('quote') or ''}"


def contains(state: MutableMapping[str, Any], citation: dict[str, Any]) -> bool:
    key = item_key(citation)
    return any(item_key(it) == key for it in items(state))


def snapshot(citation: dict[str, Any]) -> dict[str, Any]:
    """The citation fields the service keeps (the rest of an /ask citation is dropped)."""
    snap = {k: citation.get(k) for k in FIELDS if citation.get(k) is not None}
    snap["path"] = list(citation.get("path") or [])
    return snap


def moved(ids: list[str], index: int, delta: int) -> list[str] | None:
    """``ids`` with entry ``index`` moved by ``delta`` places; None when that leaves the list."""
    target = index + delta
    if not (0 <= index < len(ids) and 0 <= target < len(ids)) or delta == 0:
        return None
    out = list(ids)
    out[index], out[target] = out[target], out[index]
    return out


def problem_message(action: str, exc: ApiProblem) -> str:
    """One Chinese line for a failed basket change."""
    if isinstance(exc, ServiceUnavailable):
        return f"{action}失败：服务暂时不可用，请稍后再试。"
    if isinstance(exc, ServiceError) and exc.status == 409:
        return f"{action}失败：引文篮已满（最多 500 条），请先移除一些。"
    if isinstance(exc, ServiceError) and exc.status == 404:
        return f"{action}失败：该条目已不在引文篮中（可能已在其他标签页移除）。"
    return f"{action}失败：{exc.message}"


def _fail(state: MutableMapping[str, Any], action: str, exc: ApiProblem) -> None:
    log.warning("basket %s failed: %s", action, exc.message)
    state[ERROR] = problem_message(action, exc)


def refresh(state: MutableMapping[str, Any], client: ApiClient | None = None) -> bool:
    """Replace the local copy with the service's basket; False (copy kept) when that fails."""
    client = client or session_client(state)
    try:
        state[KEY] = client.basket()
    except ApiProblem as exc:
        log.info("basket not refreshed: %s", exc.message)
        return False
    return True


def add(state: MutableMapping[str, Any], citation: dict[str, Any], client: ApiClient | None = None) -> bool:
    """Add ``citation``; True when it was new (False for a duplicate or a failure)."""
    client = client or session_client(state)
    try:
        result = client.add_to_basket(snapshot(citation))
    except ApiProblem as exc:
        _fail(state, "加入引文篮", exc)
        return False
    if not refresh(state, client) and not result.get("duplicate"):
        items(state).append(result.get("item") or snapshot(citation))
    return not result.get("duplicate")


def remove(state: MutableMapping[str, Any], index: int, client: ApiClient | None = None) -> None:
    client = client or session_client(state)
    basket = items(state)
    if not 0 <= index < len(basket):
        return
    try:
        client.remove_from_basket(str(basket[index].get("item_id")))
    except ApiProblem as exc:
        if not (isinstance(exc, ServiceError) and exc.status == 404):  # already gone: just resync
            _fail(state, "移除", exc)
            return
    if not refresh(state, client):
        del basket[index]


def move(state: MutableMapping[str, Any], index: int, delta: int, client: ApiClient | None = None) -> None:
    """Move item ``index`` by ``delta`` places (−1 up, +1 down), clamped to the list."""
    client = client or session_client(state)
    basket = items(state)
    order = moved([str(it.get("item_id")) for it in basket], index, delta)
    if order is None:
        return
    try:
        state[KEY] = client.order_basket(order)
    except ApiProblem as exc:
        _fail(state, "调整顺序", exc)
        refresh(state, client)  # another tab may have changed the basket: show what is there


def clear(state: MutableMapping[str, Any], client: ApiClient | None = None) -> None:
    client = client or session_client(state)
    try:
        client.clear_basket()
    except ApiProblem as exc:
        _fail(state, "清空引文篮", exc)
        return
    items(state).clear()


def pop_error(state: MutableMapping[str, Any]) -> str | None:
    """The last failure's message, once."""
    return state.pop(ERROR, None)
