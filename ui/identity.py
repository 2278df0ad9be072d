"""The browser-held user id: whose conversations, basket and feedback the service returns.

Without an API key the service tells users apart by the header ``X-PQA-User`` (8–64 characters
of ``[A-Za-z0-9_-]``, docs/workspace-api.md). The UI keeps a random id in a long-lived cookie
(``pqa_uid``), so a reload, a new tab or a deep link in the same browser sees the same work.
Streamlit reads cookies from the page's request (``st.context.cookies``) and cannot set them, so
a tiny script in the page writes it. Within a session the id lives in ``st.session_state``.
With an API key the key's holder is the user and no id is sent.
"""
from __future__ import annotations

import json
import re
import secrets
from typing import Any, Mapping, MutableMapping

import streamlit as st

from ui.api import ApiClient

COOKIE = "pqa_uid"
STATE_KEY = "_user_id"
# Browsers cap a cookie's lifetime at 400 days; it is written again by every new session.
MAX_AGE_S = 400 * 24 * 3600
_VALID = re.compile(r"[A-Za-z0-9_-]{8,64}")


def valid_user_id(value: Any) -> bool:
    """Whether ``value`` is an id the service accepts in ``X-PQA-User``."""
    return isinstance(value, str) and _VALID.fullmatch(value) is not None


def new_user_id() -> str:
    """A fresh random id: 22 URL-safe characters (128 bits)."""
    return secrets.token_urlsafe(16)


def resolve(state: MutableMapping[str, Any], cookies: Mapping[str, str], api_key: str | None) -> str | None:
    """The session's user id: the one kept in ``state``, else the cookie's, else a new one.

    ``None`` when an API key is configured (the service then ignores ``X-PQA-User``)."""
    if api_key:
        return None
    uid = state.get(STATE_KEY)
    if not valid_user_id(uid):
        cookie = cookies.get(COOKIE)
        uid = cookie if valid_user_id(cookie) else new_user_id()
        state[STATE_KEY] = uid
    return uid


def cookie_script(uid: str, max_age: int = MAX_AGE_S) -> str:
    """A ``<script>`` that stores ``uid`` in the ``pqa_uid`` cookie for the whole site."""
    if not valid_user_id(uid):
        raise ValueError(f"not a valid user id: {uid!r}")
    cookie = f"{COOKIE}={uid}; Max-Age={int(max_age)}; Path=/; SameSite=Lax"
    return f"<script>document.cookie = {json.dumps(cookie)};</script>"


def session_client(state: Mapping[str, Any]) -> ApiClient:
    """A client of the service (``PQA_API_URL``, ``PQA_API_KEY``) acting for the session's user."""
    return ApiClient(user_id=state.get(STATE_KEY))


def ensure(api_key: str | None) -> str | None:
    """The user id of this session (see :func:`resolve`)."""
    return resolve(st.session_state, st.context.cookies, api_key)


def write_cookie(uid: str | None) -> None:
    """Store ``uid`` in the browser (call once per run, at the sidebar's end).

    Rendered on every run at the same place, the element stays mounted and its script runs once per
    page load; each new session thereby renews the cookie's lifetime."""
    if uid:
        st.sidebar.html(cookie_script(uid), unsafe_allow_javascript=True)
