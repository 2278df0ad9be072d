"""The citation basket: clauses a user collects while drafting, kept in ``st.session_state``.

Plain functions over a list of dicts (one per citation, a snapshot of the service's citation
object), so the pages, the export and the tests share one behaviour.
"""
from __future__ import annotations

from typing import Any, MutableMapping

KEY = "basket"
FIELDS = ("clause_id", "doc_id", "doc_title", "doc_number", "jurisdiction", "source", "label",
          "path", "text", "quote", "quote_spans", "lines", "cite", "kind", "status", "period")


def items(state: MutableMapping[str, Any]) -> list[dict[str, Any]]:
    if KEY not in state:
        state[KEY] = []
    return state[KEY]


def item_key(item: dict[str, Any]) -> str:
    return f"{item.get('clause_id')}|{item.get('quote') or ''}"


def contains(state: MutableMapping[str, Any], citation: dict[str, Any]) -> bool:
    key = item_key(citation)
    return any(item_key(it) == key for it in items(state))


def add(state: MutableMapping[str, Any], citation: dict[str, Any]) -> bool:
    """Add a snapshot of ``citation``; False when the same clause and quote are already there."""
    if contains(state, citation):
        return False
    snapshot = {k: citation.get(k) for k in FIELDS}
    snapshot["path"] = list(snapshot.get("path") or [])
    items(state).append(snapshot)
    return True


def remove(state: MutableMapping[str, Any], index: int) -> None:
    basket = items(state)
    if 0 <= index < len(basket):
        del basket[index]


def move(state: MutableMapping[str, Any], index: int, delta: int) -> None:
    """Move item ``index`` by ``delta`` places (−1 up, +1 down), clamped to the list."""
    basket = items(state)
    target = index + delta
    if 0 <= index < len(basket) and 0 <= target < len(basket):
        basket[index], basket[target] = basket[target], basket[index]


def clear(state: MutableMapping[str, Any]) -> None:
    items(state).clear()
