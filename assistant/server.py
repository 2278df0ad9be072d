"""Runs the API under uvicorn with the limits a public service needs against slow or idle clients.

* a connection must send its request headers within ``header_timeout_s`` (uvicorn's h11 protocol
  waits forever for a first request; 1,000 silent connections would stay open for minutes);
* headers are capped at 16 KB; idle keep-alive connections close after 5 s;
* at most ``max_connections`` connections and tasks at once (uvicorn answers 503 beyond).
Body timeouts, size limits and load shedding are :mod:`assistant.guard`'s.

Several workers (``serve(..., workers=N)``, ``python -m assistant serve --workers N``) are pre-forked:
the parent has loaded the index and the assistant once (vectors memory-mapped, see
:mod:`indexer.dense`), freezes the garbage collector's view of those objects (``gc.freeze``: the
collector never writes to them, so their pages stay shared copy-on-write), binds the socket and
forks N children, each running uvicorn with the same limits on the shared listening socket. The
parent restarts a child that dies and, on SIGTERM/SIGINT, stops them all (SIGKILL after a grace
period). Every response names the process that answered in header ``X-PQA-Worker``.
"""
from __future__ import annotations

import asyncio
import ctypes
import gc
import logging
import os
import signal
import socket
import sys
import time

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


WORKER_HEADER = b"x-pqa-worker"
STOP_GRACE_S = 20.0  # SIGTERM to SIGKILL for a worker that does not stop
GRACEFUL_SHUTDOWN_S = 15.0  # a worker's in-flight requests get this long after SIGTERM
RESTART_BACKOFF_S = 1.0
MAX_QUICK_DEATHS = 5  # workers dying within QUICK_DEATH_S of their start, in a row: give up
QUICK_DEATH_S = 5.0
LISTEN_BACKLOG = 2048
_STARTUP_FAILURE = 3  # uvicorn's exit code when the app's start-up fails
_STOP_SIGNALS = {signal.SIGTERM, signal.SIGINT}


class WorkerHeader:
    """ASGI wrapper: every HTTP response carries ``X-PQA-Worker: <pid>`` (which worker answered)."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        pid = str(os.getpid()).encode()

        async def send_with_pid(message):
            if message.get("type") == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), (WORKER_HEADER, pid)]}
            await send(message)

        return await self.app(scope, receive, send_with_pid)


def _options(log_level: str, header_timeout_s: float, max_connections: int) -> dict:
    """uvicorn's settings: the guard's protocol class and limits (the same for one worker or many)."""
    protocol = type("ConfiguredH11", (HeaderTimeoutH11,), {"header_timeout_s": header_timeout_s})
    return dict(log_level=log_level, access_log=False, http=protocol, timeout_keep_alive=KEEP_ALIVE_S,
                limit_concurrency=max_connections, h11_max_incomplete_event_size=MAX_HEADER_BYTES,
                server_header=False, proxy_headers=False)


def serve(app, host: str, port: int, log_level: str = "info", *, header_timeout_s: float = HEADER_TIMEOUT_S,
          max_connections: int = MAX_CONNECTIONS, workers: int = 1) -> int:
    """Serve ``app`` until stopped (blocking); ``workers`` > 1 pre-forks that many processes.
    Returns the exit status (0 after SIGTERM/SIGINT)."""
    if workers <= 1:
        uvicorn.run(WorkerHeader(app), host=host, port=port, **_options(log_level, header_timeout_s, max_connections))
        return 0
    return _serve_workers(app, host, port, workers, log_level, header_timeout_s, max_connections)


def bind_socket(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host:port`` (IPv6 when ``host`` is one), inheritable by children."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto given explicitly: asyncio sets TCP_NODELAY only on sockets whose proto is IPPROTO_TCP
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    sock.listen(LISTEN_BACKLOG)
    sock.set_inheritable(True)
    return sock


def _serve_workers(app, host: str, port: int, workers: int, log_level: str, header_timeout_s: float,
                   max_connections: int) -> int:
    sock = bind_socket(host, port)
    # what the parent loaded (index, model, app) becomes read-only shared memory for every child
    gc.collect()
    gc.freeze()
    stopping = False
    children: dict[int, float] = {}  # pid → start time
    quick_deaths = 0
    status = 0

    def spawn() -> None:
        # signals wait until the child has its own handlers (the parent's would stop its siblings)
        signal.pthread_sigmask(signal.SIG_BLOCK, _STOP_SIGNALS)
        try:
            pid = os.fork()
        except OSError:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOP_SIGNALS)
            raise
        if pid == 0:  # the worker: never returns
            code = 1
            try:
                code = _worker_main(app, sock, log_level, header_timeout_s, max_connections)
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else 1
            except BaseException:  # noqa: BLE001 - logged, the parent restarts the worker
                log.exception("worker %d failed", os.getpid())
            finally:
                logging.shutdown()
                os._exit(code)
        children[pid] = time.monotonic()
        signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOP_SIGNALS)

    def stop(signum, _frame) -> None:
        nonlocal stopping
        if not stopping:
            why = signal.Signals(signum).name if _frame is not None else "a worker failed"
            log.info("%s: stopping %d workers", why, len(children))
        stopping = True
        for pid in list(children):
            _kill(pid, signal.SIGTERM)

    old = {s: signal.signal(s, stop) for s in _STOP_SIGNALS}
    try:
        for _ in range(workers):
            spawn()
        log.info("serving http://%s:%d with %d workers (pids %s)", host, sock.getsockname()[1], workers,
                 " ".join(map(str, children)))
        stop_deadline = None
        while children:
            pid, wstatus = os.waitpid(-1, os.WNOHANG)
            if pid == 0:
                if stopping:
                    stop_deadline = stop_deadline or time.monotonic() + STOP_GRACE_S
                    if time.monotonic() > stop_deadline:
                        for p in list(children):
                            log.warning("worker %d did not stop in %.0f s: killing it", p, STOP_GRACE_S)
                            _kill(p, signal.SIGKILL)
                        stop_deadline = time.monotonic() + 5.0
                time.sleep(0.1)
                continue
            started = children.pop(pid, None)
            if started is None or stopping:
                continue
            code = os.waitstatus_to_exitcode(wstatus)
            if code == _STARTUP_FAILURE:
                log.error("worker %d could not start: stopping", pid)
                status = 1
                stop(signal.SIGTERM, None)
                continue
            quick_deaths = quick_deaths + 1 if time.monotonic() - started < QUICK_DEATH_S else 0
            if quick_deaths >= MAX_QUICK_DEATHS:
                log.error("workers keep dying at start (last: %d, status %s): stopping", pid, code)
                status = 1
                stop(signal.SIGTERM, None)
                continue
            log.warning("worker %d died (status %s): starting another", pid, code)
            if quick_deaths:
                time.sleep(RESTART_BACKOFF_S)
            spawn()
    finally:
        for s, handler in old.items():
            signal.signal(s, handler)
        sock.close()
    return status


def _worker_main(app, sock: socket.socket, log_level: str, header_timeout_s: float, max_connections: int) -> int:
    for s in _STOP_SIGNALS:  # uvicorn installs its own while it serves
        signal.signal(s, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOP_SIGNALS)
    _die_with_parent()
    config = uvicorn.Config(WorkerHeader(app), timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_S,
                            **_options(log_level, header_timeout_s, max_connections))
    server = uvicorn.Server(config)
    server.run(sockets=[sock])
    return 0 if server.started else _STARTUP_FAILURE


def _die_with_parent() -> None:
    """Linux: SIGTERM this worker when the parent dies (a killed parent leaves no orphans serving)."""
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM, 0, 0, 0)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _kill(pid: int, sig: int) -> None:
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass
