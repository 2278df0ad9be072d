"""Runs the API under uvicorn with the limits a public service needs against slow or idle clients.

* a connection must send its request headers within ``header_timeout_s`` (uvicorn's h11 protocol
  waits forever for a first request; 1,000 silent connections would stay open for minutes);
* headers are capped at 16 KB; idle keep-alive connections close after 5 s;
* at most ``max_connections`` connections and tasks at once (uvicorn answers 503 beyond).
Body timeouts, size limits and load shedding are :mod:`assistant.guard`'s.
"""
from __future__ import annotations

import asyncio
import logging

import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

log = logging.getLogger(__name__)

HEADER_TIMEOUT_S = 10.0
MAX_HEADER_BYTES = 16 * 1024
KEEP_ALIVE_S = 5
MAX_CONNECTIONS = 512


class HeaderTimeoutH11(H11Protocol):
    """uvicorn's h11 protocol, closing a connection whose first request headers do not arrive in time."""

    header_timeout_s = HEADER_TIMEOUT_S

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._header_timer: asyncio.TimerHandle | None = self.loop.call_later(self.header_timeout_s, self._headers_late)

    def handle_events(self) -> None:
        super().handle_events()
        if self.cycle is not None and self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def connection_lost(self, exc: Exception | None) -> None:
        if getattr(self, "_header_timer", None) is not None:
            self._header_timer.cancel()
            self._header_timer = None
        super().connection_lost(exc)

    def _headers_late(self) -> None:
        self._header_timer = None
        if self.cycle is None and not self.transport.is_closing():
            log.debug("closing a connection that sent no request in %.0f s", self.header_timeout_s)
            self.transport.close()


def serve(app, host: str, port: int, log_level: str = "info", *, header_timeout_s: float = HEADER_TIMEOUT_S,
          max_connections: int = MAX_CONNECTIONS) -> None:
    """Serve ``app`` until stopped (blocking)."""
    protocol = type("ConfiguredH11", (HeaderTimeoutH11,), {"header_timeout_s": header_timeout_s})
    uvicorn.run(app, host=host, port=port, log_level=log_level, access_log=False, http=protocol,
                timeout_keep_alive=KEEP_ALIVE_S, limit_concurrency=max_connections,
                h11_max_incomplete_event_size=MAX_HEADER_BYTES, server_header=False, proxy_headers=False)
