"""HTTP client of the policy-qa service: the only way the UI reaches the index.

The UI never imports ``indexer`` or ``assistant``. Everything goes through this client, which
turns transport failures and error responses into two exceptions the pages can show in one line:

* :class:`ServiceUnavailable` — nothing answered at the URL (refused, timed out, DNS, …);
* :class:`ServiceError` — the service answered with a 4xx/5xx (its ``detail`` is kept).

Configuration comes from the environment: ``PQA_API_URL`` (default ``http://127.0.0.1:8000``) and
optional ``PQA_API_KEY``, sent as the header ``X-API-Key``.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, unquote

import httpx

DEFAULT_API_URL = "http://127.0.0.1:8000"
# Answering loads nothing at request time, but the first question after start-up may warm caches.
DEFAULT_TIMEOUT = 60.0
# The longest question the service accepts (assistant/service.py MAX_QUESTION); the UI checks it first.
MAX_QUESTION = 4000


class ApiProblem(Exception):
    """Base of the client's errors: always carries the URL that was tried."""

    def __init__(self, url: str, message: str):
        super().__init__(message)
        self.url = url
        self.message = message


class ServiceUnavailable(ApiProblem):
    """No HTTP answer at all from the service."""


class ServiceError(ApiProblem):
    """The service answered with an error status (``body``: its whole JSON object, if any)."""

    def __init__(self, url: str, status: int, detail: Any, body: dict[str, Any] | None = None):
        self.status = status
        self.detail = detail
        self.body = body or {}
        super().__init__(url, f"HTTP {status}: {format_detail(detail)}")


def format_detail(detail: Any) -> str:
    """FastAPI ``detail`` (a string, or a list of validation errors) as one readable line."""
    if isinstance(detail, str):
        return detail
    if isinstance(detail, list):
        parts = []
        for item in detail:
            if isinstance(item, dict):
                loc = ".".join(str(x) for x in item.get("loc", []) if x != "body")
                msg = item.get("msg", "")
                parts.append(f"{loc}: {msg}" if loc else str(msg))
            else:
                parts.append(str(item))
        return "; ".join(parts)
    if isinstance(detail, dict):
        return str(detail.get("message") or detail.get("msg") or detail)
    return str(detail)


def api_url_from_env() -> str:
    return (os.environ.get("PQA_API_URL") or DEFAULT_API_URL).rstrip("/")


def clause_path(clause_id: str) -> str:
    """``/clauses/<id>`` with the id URL-encoded (ids contain ``/`` and Chinese labels)."""
    return "/clauses/" + quote(clause_id, safe="")


def document_path(doc_id: str, tail: str = "") -> str:
    """``/documents/<id>[/tail]`` with the id URL-encoded."""
    return "/documents/" + quote(doc_id, safe="") + (f"/{tail}" if tail else "")


# Form fields of POST/PUT /documents besides ``file`` (empty values are not sent).
DOCUMENT_META_FIELDS = ("title", "doc_number", "issuer", "date", "jurisdiction", "status", "period")


def _meta_form(meta: dict[str, Any] | None) -> dict[str, str]:
    return {k: str(v).strip() for k, v in (meta or {}).items()
            if k in DOCUMENT_META_FIELDS and v is not None and str(v).strip()}


@dataclass
class ApiClient:
    base_url: str = field(default_factory=api_url_from_env)
    api_key: str | None = field(default_factory=lambda: os.environ.get("PQA_API_KEY") or None)
    timeout: float = DEFAULT_TIMEOUT
    # The browser-held user id (header X-PQA-User): whose conversations, basket and feedback.
    user_id: str | None = None

    def __post_init__(self) -> None:
        self.base_url = self.base_url.rstrip("/")

    # --- transport ------------------------------------------------------------------------------
    def _headers(self) -> dict[str, str]:
        headers = {"Accept": "application/json"}
        if self.api_key:
            headers["X-API-Key"] = self.api_key
        if self.user_id:
            headers["X-PQA-User"] = self.user_id
        return headers

    def send(self, method: str, path: str, *, json: Any = None, params: dict | None = None,
             data: dict[str, str] | None = None, files: dict[str, Any] | None = None,
             timeout: float | None = None) -> httpx.Response:
        """The raw response of a successful call; transport failures and 4xx/5xx raise."""
        url = self.base_url + path
        try:
            # One short-lived client per call: Streamlit reruns the script in threads, and a
            # shared connection pool would outlive the session that made it.
            with httpx.Client(timeout=timeout or self.timeout, headers=self._headers()) as client:
                response = client.request(method, url, json=json, params=params, data=data, files=files)
        except httpx.TimeoutException as exc:
            raise ServiceUnavailable(url, f"请求超时（{type(exc).__name__}）") from None
        except httpx.HTTPError as exc:
            reason = str(exc) or type(exc).__name__
            raise ServiceUnavailable(url, f"连接失败：{reason}") from None
        if response.status_code >= 400:
            body: dict[str, Any] | None = None
            try:
                payload = response.json()
                body = payload if isinstance(payload, dict) else None
                detail = payload.get("detail", response.text)
            except (ValueError, AttributeError):
                detail = response.text.strip()[:300] or response.reason_phrase
            raise ServiceError(url, response.status_code, detail, body)
        return response

    def request(self, method: str, path: str, *, json: Any = None, params: dict | None = None,
                data: dict[str, str] | None = None, files: dict[str, Any] | None = None,
                timeout: float | None = None) -> Any:
        """The JSON answer of a call (see :meth:`send`)."""
        response = self.send(method, path, json=json, params=params, data=data, files=files, timeout=timeout)
        try:
            return response.json()
        except ValueError:
            raise ServiceError(self.base_url + path, response.status_code, "响应不是 JSON") from None

    # --- endpoints --------------------------------------------------------------------------------
    def health(self, timeout: float = 5.0) -> dict[str, Any]:
        return self.request("GET", "/health", timeout=timeout)

    def ask(self, question: str, top_k: int = 5, filters: dict[str, Any] | None = None, *,
            conversation_id: str | None = None, history: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        """POST /ask; with ``conversation_id`` the turn is stored and follow-ups resolve against it."""
        body: dict[str, Any] = {"question": question, "top_k": top_k}
        if filters:
            body["filters"] = filters
        if conversation_id:
            body["conversation_id"] = conversation_id
        elif history:
            body["history"] = history
        return self.request("POST", "/ask", json=body)

    def search(self, query: str, top_k: int = 10, filters: dict[str, Any] | None = None) -> Any:
        body: dict[str, Any] = {"question": query, "top_k": top_k}
        if filters:
            body["filters"] = filters
        return self.request("POST", "/search", json=body)

    def clause(self, clause_id: str) -> dict[str, Any]:
        return self.request("GET", clause_path(clause_id))

    def clause_versions(self, clause_id: str) -> dict[str, Any]:
        """GET /clauses/{id}/versions: the clause in the other versions of its law, with a diff (对照)."""
        return self.request("GET", clause_path(clause_id) + "/versions")

    def documents(self) -> list[dict[str, Any]]:
        data = self.request("GET", "/documents")
        if isinstance(data, dict):  # tolerate {"documents": [...]}
            data = data.get("documents", [])
        return list(data)

    def document(self, doc_id: str) -> dict[str, Any]:
        return self.request("GET", document_path(doc_id))

    # --- the document library (uploads) --------------------------------------------------------
    def upload_document(self, name: str, data: bytes, meta: dict[str, Any] | None = None) -> dict[str, Any]:
        """POST /documents: queue a new document → ``{"doc_id", "status": "queued"}`` (202).

        Errors are :class:`ServiceError` with the service's status: 415 type, 413 size, 422 empty,
        409 the same file is already a document (``exc.body["doc_id"]``), 503 queue full."""
        return self.request("POST", "/documents", data=_meta_form(meta),
                            files={"file": (name, data, "application/octet-stream")})

    def replace_document(self, doc_id: str, name: str, data: bytes,
                         meta: dict[str, Any] | None = None) -> dict[str, Any]:
        """PUT /documents/{id}: a new version of an uploaded document (202)."""
        return self.request("PUT", document_path(doc_id), data=_meta_form(meta),
                            files={"file": (name, data, "application/octet-stream")})

    def edit_document(self, doc_id: str, meta: dict[str, Any]) -> dict[str, Any]:
        """PUT /documents/{id} without a file: new metadata for an uploaded document (202)."""
        return self.request("PUT", document_path(doc_id), data=_meta_form(meta))

    def delete_document(self, doc_id: str) -> dict[str, Any]:
        """DELETE /documents/{id}: queue the removal of an uploaded document (202)."""
        return self.request("DELETE", document_path(doc_id))

    def document_status(self, doc_id: str) -> dict[str, Any]:
        """GET /documents/{id}/status → ``{"doc_id", "status", "reason"?, "updated_at"}``."""
        return self.request("GET", document_path(doc_id, "status"), timeout=10.0)

    def original_url(self, doc_id: str) -> str:
        """Where the uploaded original is served (GET /documents/{id}/original)."""
        return self.base_url + document_path(doc_id, "original")

    def original(self, doc_id: str) -> tuple[bytes, str | None]:
        """The uploaded original's bytes and file name (through the client, so the API key is sent)."""
        response = self.send("GET", document_path(doc_id, "original"))
        return response.content, _attachment_name(response.headers.get("content-disposition", ""))


    # --- conversations, basket, feedback (docs/workspace-api.md) ---------------------------------
    def conversations(self) -> list[dict[str, Any]]:
        return list(self.request("GET", "/conversations").get("conversations", []))

    def create_conversation(self, title: str | None = None) -> dict[str, Any]:
        return self.request("POST", "/conversations", json={"title": title} if title else {})

    def conversation(self, conversation_id: str) -> dict[str, Any]:
        return self.request("GET", "/conversations/" + quote(conversation_id, safe=""))

    def rename_conversation(self, conversation_id: str, title: str) -> dict[str, Any]:
        return self.request("PATCH", "/conversations/" + quote(conversation_id, safe=""), json={"title": title})

    def delete_conversation(self, conversation_id: str) -> None:
        self.send("DELETE", "/conversations/" + quote(conversation_id, safe=""))

    def basket(self) -> list[dict[str, Any]]:
        return list(self.request("GET", "/basket").get("items", []))

    def add_to_basket(self, citation: dict[str, Any]) -> dict[str, Any]:
        """→ ``{"item", "duplicate"}``."""
        return self.request("POST", "/basket", json={"citation": citation})

    def order_basket(self, item_ids: list[str]) -> list[dict[str, Any]]:
        return list(self.request("POST", "/basket/order", json={"item_ids": list(item_ids)}).get("items", []))

    def remove_from_basket(self, item_id: str) -> None:
        self.send("DELETE", "/basket/" + quote(item_id, safe=""))

    def clear_basket(self) -> None:
        self.send("DELETE", "/basket")

    def send_feedback(self, feedback: dict[str, Any]) -> dict[str, Any]:
        return self.request("POST", "/feedback", json=feedback)

    def update_feedback(self, feedback_id: str, changes: dict[str, Any]) -> dict[str, Any]:
        return self.request("PATCH", "/feedback/" + quote(feedback_id, safe=""), json=changes)

    def feedback(self, rating: str | None = None, status: str | None = None) -> list[dict[str, Any]]:
        params = {k: v for k, v in (("rating", rating), ("status", status)) if v}
        return list(self.request("GET", "/feedback", params=params or None).get("feedback", []))

    def feedback_candidate(self, feedback_id: str) -> dict[str, Any]:
        return self.request("GET", "/feedback/" + quote(feedback_id, safe="") + "/candidate").get("candidate", {})

    def accept_feedback(self, feedback_id: str, candidate: dict[str, Any]) -> dict[str, Any]:
        return self.request("POST", "/feedback/" + quote(feedback_id, safe="") + "/accept", json={"candidate": candidate})

    def reject_feedback(self, feedback_id: str) -> dict[str, Any]:
        return self.request("POST", "/feedback/" + quote(feedback_id, safe="") + "/reject")


def _attachment_name(disposition: str) -> str | None:
    """The file name of a Content-Disposition header (RFC 5987 ``filename*`` first)."""
    star = re.search(r"filename\*\s*=\s*([\w-]+)'[^']*'([^;]+)", disposition or "")
    if star:
        try:
            return unquote(star.group(2).strip(), encoding=star.group(1), errors="strict") or None
        except (LookupError, UnicodeDecodeError):
            pass
    plain = re.search(r'filename\s*=\s*"([^"]*)"|filename\s*=\s*([^;]+)', disposition or "")
    if plain:
        return (plain.group(1) if plain.group(1) is not None else plain.group(2).strip()) or None
    return None


def build_filters(documents: list[str] | None = None, jurisdictions: list[str] | None = None,
                  year_from: int | None = None, year_to: int | None = None,
                  kinds: list[str] | None = None, law_types: list[str] | None = None) -> dict[str, Any] | None:
    """The ``filters`` object of /ask, holding only what is set (``None`` when nothing is)."""
    filters: dict[str, Any] = {}
    if documents:
        filters["documents"] = list(documents)
    if jurisdictions:
        filters["jurisdiction"] = jurisdictions[0] if len(jurisdictions) == 1 else list(jurisdictions)
    if year_from is not None:
        filters["year_from"] = int(year_from)
    if year_to is not None:
        filters["year_to"] = int(year_to)
    if kinds:
        filters["kinds"] = list(kinds)
    if law_types:
        filters["law_types"] = list(law_types)
    return filters or None
