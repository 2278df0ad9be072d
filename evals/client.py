"""How the eval talks to the assistant: in-process (its Python API) or over HTTP (``POST /ask``).

Both return the ``/ask`` response shape::

    {"question", "answer", "found", "citations": [{clause_id, doc_id, text, source, lines, ...}], "took_ms"}

``mode`` selects the retrieval mode (``hybrid`` | ``bm25`` | ``dense``); ``None`` means the
assistant's default (hybrid).
"""
from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any, Protocol

MODES = ("hybrid", "bm25", "dense")


class ClientError(RuntimeError):
    """The assistant could not be reached or loaded, or rejected a request."""


class ModeNotSupported(ClientError):
    """The assistant has no way to run the requested retrieval mode."""


class AskClient(Protocol):
    name: str

    def ask(self, question: str, top_k: int = 10, mode: str | None = None,
            history: list[dict[str, Any]] | None = None) -> dict[str, Any]: ...

    def close(self) -> None: ...


def _check_mode(mode: str | None) -> None:
    if mode is not None and mode not in MODES:
        raise ValueError(f"unknown retrieval mode {mode!r}: expected one of {', '.join(MODES)}")


class InProcessClient:
    """The assistant's Python API on a local index (loaded once, shared by every question)."""

    name = "in-process"

    def __init__(self, index_dir: Path | str | None = None, assistant: Any = None, settings: Any = None):
        if assistant is None:
            try:
                from assistant.engine import Assistant, AssistantError
            except ImportError as exc:  # pragma: no cover - the product is part of this repo
                raise ClientError(f"cannot import the assistant: {exc}") from exc
            try:
                assistant = Assistant.load(index_dir, settings=settings)
            except AssistantError as exc:
                raise ClientError(str(exc)) from exc
        self.assistant = assistant
        params = inspect.signature(assistant.ask).parameters
        self._takes_mode = "mode" in params or any(p.kind is p.VAR_KEYWORD for p in params.values())

    def supports(self, mode: str | None) -> bool:
        return mode in (None, "hybrid") or self._takes_mode

    def ask(self, question: str, top_k: int = 10, mode: str | None = None,
            history: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        """One ``/ask`` answer; ``history``: the earlier turns of a conversation (follow-ups)."""
        _check_mode(mode)
        if history is not None:
            kw = {"mode": mode} if mode else {}
            return self.assistant.ask(question, top_k=top_k, history=history, **kw)
        if self._takes_mode and mode is not None:
            return self.assistant.ask(question, top_k=top_k, mode=mode)
        if mode not in (None, "hybrid"):
            # TODO(lead): Assistant.ask has no `mode` parameter yet. Once it accepts
            # mode="bm25" | "dense" | "hybrid", this branch is never taken. Retrieval is not
            # re-implemented here on purpose: the eval must measure the product's own code.
            raise ModeNotSupported(
                f"the assistant does not support retrieval mode {mode!r} yet (Assistant.ask has no 'mode' parameter)"
            )
        return self.assistant.ask(question, top_k=top_k)

    def close(self) -> None:
        pass


class HttpClient:
    """A running service: ``POST {url}/ask {"question", "top_k", "mode"?}``."""

    name = "http"

    def __init__(self, url: str, api_key: str | None = None, timeout: float = 60.0):
        import httpx

        headers = {"X-API-Key": api_key} if api_key else {}
        self.url = url.rstrip("/")
        self._http = httpx.Client(base_url=self.url, headers=headers, timeout=timeout)

    def supports(self, mode: str | None) -> bool:
        return True  # the service says so itself (a 4xx names the problem)

    def ask(self, question: str, top_k: int = 10, mode: str | None = None,
            history: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        """``POST /ask``; ``history``: the earlier turns of a conversation (follow-ups)."""
        import httpx

        _check_mode(mode)
        body: dict[str, Any] = {"question": question, "top_k": top_k}
        if mode is not None:
            body["mode"] = mode
        if history is not None:
            body["history"] = history
        try:
            resp = self._http.post("/ask", json=body)
        except httpx.HTTPError as exc:
            raise ClientError(f"POST {self.url}/ask failed: {exc}") from exc
        if resp.status_code >= 400:
            detail = resp.text[:300]
            if mode is not None and resp.status_code in (400, 422) and "mode" in detail:
                raise ModeNotSupported(f"the service rejected mode {mode!r}: {detail}")
            raise ClientError(f"POST {self.url}/ask → HTTP {resp.status_code}: {detail}")
        return resp.json()

    def close(self) -> None:
        self._http.close()


def make_client(api: str | None = None, index_dir: Path | str | None = None) -> InProcessClient | HttpClient:
    """An HTTP client when ``api`` is given, else the in-process assistant on ``index_dir``."""
    if api:
        import os

        return HttpClient(api, api_key=os.environ.get("PQA_API_KEY"))
    return InProcessClient(index_dir)
