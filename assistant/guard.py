"""The service's front door: limits enforced before any body is parsed and before any work is done.

An ASGI middleware (:class:`RequestGuard`) in front of the FastAPI app:

* **authentication first** — with an API key set, a request to a protected path without the right
  ``X-API-Key`` gets its 401 before one byte of its body is read;
* **body limits** — a declared ``Content-Length`` over the limit is refused (413) at once; a chunked
  body is counted as it arrives and refused the moment it passes the limit; a body that stalls
  longer than ``body_timeout_s`` between chunks gets 408; an upload (multipart, its own limit)
  must declare its length (411 otherwise), and the upload route reads it within that length;
* **JSON shape** — a JSON body deeper than ``max_json_depth`` or with more than ``max_json_keys``
  keys and items in all is refused (413) before pydantic sees it (pydantic's errors would echo it);
* **text at the edge** — strings holding lone surrogates, NUL or other control characters (besides
  tab and newline) are refused with 422 naming the field, so they never reach the embedder;
* **load shedding** — at most ``max_concurrent`` requests work at once and ``max_queued`` wait; a
  request beyond that, or one that waited ``queue_timeout_s``, gets 503 with ``Retry-After`` at once.
  ``/health`` bypasses the queue, so load cannot starve it.

Every refusal is JSON ``{"detail": "…"}``; nothing of the offending body is echoed back.
"""
from __future__ import annotations

import asyncio
import json
import logging
import secrets
from dataclasses import dataclass
from typing import Any, Awaitable, Callable

log = logging.getLogger(__name__)

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

_ALLOWED_CONTROLS = {"\t", "\n", "\r"}


@dataclass(frozen=True)
class GuardLimits:
    """What one request may cost; every field is a documented ``PQA_*`` setting (see ``Settings``)."""

    max_body_bytes: int = 64 * 1024
    upload_max_bytes: int = 50 * 1024 * 1024
    max_json_depth: int = 20
    max_json_keys: int = 2000
    max_concurrent: int = 8
    max_queued: int = 16
    queue_timeout_s: float = 10.0
    body_timeout_s: float = 15.0
    retry_after_s: int = 2


class Refusal(Exception):
    """A request refused at the door: status and a one-line reason."""

    def __init__(self, status: int, detail: str, headers: dict[str, str] | None = None):
        super().__init__(detail)
        self.status, self.detail, self.headers = status, detail, headers or {}


def check_json_shape(value: Any, max_depth: int, max_keys: int) -> None:
    """Raise :class:`Refusal` when ``value`` nests deeper than ``max_depth`` or holds more than
    ``max_keys`` keys and items, or a string with an invalid code point or control character."""
    count = 0
    stack: list[tuple[Any, int, str]] = [(value, 1, "body")]
    while stack:
        node, depth, where = stack.pop()
        if isinstance(node, (dict, list)):
            if depth > max_depth:
                raise Refusal(413, f"JSON nested deeper than {max_depth} levels")
            count += len(node)
            if count > max_keys:
                raise Refusal(413, f"JSON holds more than {max_keys} keys and items")
            if isinstance(node, dict):
                for k, v in node.items():
                    name = f"{where}.{_short(k)}" if where != "body" else _short(k)
                    _check_text(k, name)
                    stack.append((v, depth + 1, name))
            else:
                stack.extend((v, depth + 1, f"{where}[{i}]") for i, v in enumerate(node))
        elif isinstance(node, str):
            _check_text(node, where)


def _short(key: Any) -> str:
    text = str(key).encode("utf-8", "replace").decode("utf-8")
    return text if len(text) <= 40 else text[:40] + "…"


def _check_text(text: str, where: str) -> None:
    for ch in text:
        code = ord(ch)
        if 0xD800 <= code <= 0xDFFF:
            raise Refusal(422, f"{where}: invalid character (a lone surrogate U+{code:04X})")
        if (code < 0x20 and ch not in _ALLOWED_CONTROLS) or code == 0x7F:
            raise Refusal(422, f"{where}: control character U+{code:04X} is not allowed")


class RequestGuard:
    """ASGI middleware enforcing :class:`GuardLimits` (see the module docstring).

    ``api_key``: when set, every path but ``open_paths`` needs it. ``upload_paths``: path prefixes
    whose body is a multipart upload (limited by ``upload_max_bytes``, not parsed here).
    ``unqueued``: paths answered without waiting in the load-shedding queue."""

    def __init__(self, app, limits: GuardLimits, *, api_key: str | None = None,
                 open_paths: tuple[str, ...] = ("/health",), upload_paths: tuple[str, ...] = ("/documents",),
                 unqueued: tuple[str, ...] = ("/health",)) -> None:
        self.app = app
        self.limits = limits
        self.api_key = api_key or None
        self.open_paths = open_paths
        self.upload_paths = upload_paths
        self.unqueued = unqueued
        self._slots = asyncio.Semaphore(limits.max_concurrent)
        self._waiting = 0
        self.shed = 0  # requests refused with 503 since start (a figure for /health and the soak)

    # -------------------------------------------------------------------------------- entry
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        path = scope.get("path", "")
        try:
            self._authenticate(scope, path)
            if path in self.unqueued:
                return await self.app(scope, receive, send)
            await self._admit()
        except Refusal as exc:
            return await _refuse(send, exc)
        try:
            try:
                receive = await self._guard_body(scope, receive, path)
            except Refusal as exc:
                return await _refuse(send, exc)
            await self.app(scope, receive, send)
        finally:
            self._slots.release()

    # -------------------------------------------------------------------------------- steps
    def _authenticate(self, scope: Scope, path: str) -> None:
        if not self.api_key or path in self.open_paths:
            return
        given = _header(scope, b"x-api-key")
        if not given or not secrets.compare_digest(given, self.api_key.encode()):
            raise Refusal(401, "missing or invalid API key (header X-API-Key)")

    async def _admit(self) -> None:
        """Take a working slot, waiting in a bounded queue; shed (503) when the queue is full."""
        if self._slots.locked() and self._waiting >= self.limits.max_queued:
            self.shed += 1
            raise Refusal(503, "the service is busy: try again shortly",
                          {"Retry-After": str(self.limits.retry_after_s)})
        self._waiting += 1
        try:
            await asyncio.wait_for(self._slots.acquire(), self.limits.queue_timeout_s)
        except asyncio.TimeoutError:
            self.shed += 1
            raise Refusal(503, "the service is busy: try again shortly",
                          {"Retry-After": str(self.limits.retry_after_s)}) from None
        finally:
            self._waiting -= 1

    async def _guard_body(self, scope: Scope, receive: Receive, path: str) -> Receive:
        """Read the body within its limits (before the app parses it) and hand it on replayed."""
        if scope.get("method") in ("GET", "HEAD", "OPTIONS", "DELETE") and not _header(scope, b"content-length"):
            return receive
        upload = any(path == p or path.startswith(p + "/") for p in self.upload_paths) and \
            (_header(scope, b"content-type") or b"").startswith(b"multipart/")
        limit = self.limits.upload_max_bytes + 64 * 1024 if upload else self.limits.max_body_bytes
        declared = _header(scope, b"content-length")
        if declared is not None:
            try:
                size = int(declared)
            except ValueError:
                raise Refusal(400, "invalid Content-Length header") from None
            if size > limit:
                raise Refusal(413, _too_large(limit))
        if upload:
            if declared is None:
                raise Refusal(411, "an upload needs a Content-Length header")
            return _stall_guard(receive, self.limits.body_timeout_s)
        chunks, size = [], 0
        while True:
            try:
                message = await asyncio.wait_for(receive(), self.limits.body_timeout_s)
            except asyncio.TimeoutError:
                raise Refusal(408, f"the request body did not arrive within {self.limits.body_timeout_s:.0f} s") from None
            if message["type"] == "http.disconnect":
                return _replay([message])
            body = message.get("body", b"")
            size += len(body)
            if size > limit:
                raise Refusal(413, _too_large(limit))
            chunks.append(body)
            if not message.get("more_body", False):
                break
        data = b"".join(chunks)
        if data and b"json" in (_header(scope, b"content-type") or b"application/json"):
            try:
                parsed = json.loads(data)
            except (ValueError, RecursionError):
                parsed = None  # invalid JSON: FastAPI says so in its own words
            if parsed is not None:
                check_json_shape(parsed, self.limits.max_json_depth, self.limits.max_json_keys)
        return _replay([{"type": "http.request", "body": data, "more_body": False}])


def _too_large(limit: int) -> str:
    return f"request body larger than {limit // 1024} KB" if limit < 1 << 20 else \
        f"request body larger than {limit // (1 << 20)} MB"


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope.get("headers") or ():
        if key.lower() == name:
            return value
    return None


def _replay(messages: list[Message]) -> Receive:
    """A ``receive`` that hands out ``messages`` once, then waits like a quiet connection would."""
    queue = list(messages)

    async def receive() -> Message:
        if queue:
            return queue.pop(0)
        await asyncio.sleep(3600)  # pragma: no cover - the app never reads past the body
        return {"type": "http.disconnect"}

    return receive


def _stall_guard(receive: Receive, timeout: float) -> Receive:
    """``receive`` passed through; a body that stalls longer than ``timeout`` reads as a disconnect."""

    async def guarded() -> Message:
        try:
            return await asyncio.wait_for(receive(), timeout)
        except asyncio.TimeoutError:
            log.info("an upload stalled for %.0f s: dropping it", timeout)
            return {"type": "http.disconnect"}

    return guarded


async def _refuse(send: Send, exc: Refusal) -> None:
    body = json.dumps({"detail": exc.detail}, ensure_ascii=False).encode("utf-8")
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    headers += [(k.lower().encode(), v.encode()) for k, v in exc.headers.items()]
    if exc.status in (408, 413):
        headers.append((b"connection", b"close"))  # the rest of the body is not worth reading
    await send({"type": "http.response.start", "status": exc.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
