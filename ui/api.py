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
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import httpx

DEFAULT_API_URL = "http://127.0.0.1:8000"
# Answering loads nothing at request time, but the first question after start-up may warm caches.
DEFAULT_TIMEOUT = 60.0


class ApiProblem(Exception):
    """Base of the client's errors: always carries the URL that was tried."""

    def __init__(self, url: str, message: str):
        super().__init__(message)
        self.url = url
        self.message = message


class ServiceUnavailable(ApiProblem):
    """No HTTP answer at all from the service."""


class ServiceError(ApiProblem):
    """The service answered with an error status."""

    def __init__(self, url: str, status: int, detail: Any):
        self.status = status
        self.detail = detail
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


@dataclass
class ApiClient:
    base_url: str = field(default_factory=api_url_from_env)
    api_key: str | None = field(default_factory=lambda: os.environ.get("PQA_API_KEY") or None)
    timeout: float = DEFAULT_TIMEOUT

    def __post_init__(self) -> None:
        self.base_url = self.base_url.rstrip("/")

    # --- transport ------------------------------------------------------------------------------
    def _headers(self) -> dict[str, str]:
        headers = {"Accept": "application/json"}
        if self.api_key:
            headers["X-API-Key"] = self.api_key
        return headers

    def request(self, method: str, path: str, *, json: Any = None, params: dict | None = None,
                timeout: float | None = None) -> Any:
        url = self.base_url + path
        try:
            # One short-lived client per call: Streamlit reruns the script in threads, and a
            # shared connection pool would outlive the session that made it.
            with httpx.Client(timeout=timeout or self.timeout, headers=self._headers()) as client:
                response = client.request(method, url, json=json, params=params)
        except httpx.TimeoutException as exc:
            raise ServiceUnavailable(url, f"请求超时（{type(exc).__name__}）") from None
        except httpx.HTTPError as exc:
            reason = str(exc) or type(exc).__name__
            raise ServiceUnavailable(url, f"连接失败：{reason}") from None
        if response.status_code >= 400:
            try:
                detail = response.json().get("detail", response.text)
            except (ValueError, AttributeError):
                detail = response.text.strip()[:300] or response.reason_phrase
            raise ServiceError(url, response.status_code, detail)
        try:
            return response.json()
        except ValueError:
            raise ServiceError(url, response.status_code, "响应不是 JSON") from None

    # --- endpoints --------------------------------------------------------------------------------
    def health(self, timeout: float = 5.0) -> dict[str, Any]:
        return self.request("GET", "/health", timeout=timeout)

    def ask(self, question: str, top_k: int = 5, filters: dict[str, Any] | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"question": question, "top_k": top_k}
        if filters:
            body["filters"] = filters
        return self.request("POST", "/ask", json=body)

    def search(self, query: str, top_k: int = 10, filters: dict[str, Any] | None = None) -> Any:
        body: dict[str, Any] = {"question": query, "top_k": top_k}
        if filters:
            body["filters"] = filters
        return self.request("POST", "/search", json=body)

    def clause(self, clause_id: str) -> dict[str, Any]:
        return self.request("GET", clause_path(clause_id))

    def documents(self) -> list[dict[str, Any]]:
        data = self.request("GET", "/documents")
        if isinstance(data, dict):  # tolerate {"documents": [...]}
            data = data.get("documents", [])
        return list(data)

    def document(self, doc_id: str) -> dict[str, Any]:
        return self.request("GET", "/documents/" + quote(doc_id, safe=""))


def build_filters(documents: list[str] | None = None, jurisdictions: list[str] | None = None,
                  year_from: int | None = None, year_to: int | None = None,
                  kinds: list[str] | None = None) -> dict[str, Any] | None:
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
    return filters or None
