"""Every class of hostile or heavy request, sent to a real ``python -m assistant serve``.

Each test asserts the status, that the response stays small, and (for the heavy ones) that
``/health`` keeps answering quickly meanwhile. Servers run with small limits where a test needs to
reach them quickly (1 s body timeout, 1 working slot)."""
from __future__ import annotations

import json
import socket
import statistics
import threading
import time
from pathlib import Path
from urllib.parse import urlparse

import httpx
import pytest

from tests.assistant.conftest import API_KEY, server_env, serving

SMALL = 4096  # no refusal needs more than this many bytes to say why


@pytest.fixture(scope="module")
def keyed(seed_index_dir: Path, tmp_path_factory):
    data = tmp_path_factory.mktemp("hostile-data")
    env = server_env(PQA_API_KEY=API_KEY, PQA_DATA_DIR=str(data), PQA_BODY_TIMEOUT_S="1", PQA_HEADER_TIMEOUT_S="1")
    with serving(seed_index_dir, env) as url:
        yield url


@pytest.fixture(scope="module")
def narrow(seed_index_dir: Path, tmp_path_factory):
    """One working slot and one queued request: the third concurrent request is shed."""
    data = tmp_path_factory.mktemp("narrow-data")
    env = server_env(PQA_DATA_DIR=str(data), PQA_MAX_CONCURRENT="1", PQA_MAX_QUEUED="1", PQA_QUEUE_TIMEOUT_S="5")
    with serving(seed_index_dir, env) as url:
        yield url


def raw(url: str, payload: bytes, *, read_timeout: float = 5.0, close_after_send: bool = False) -> tuple[int, bytes, float]:
    """Send raw bytes on a fresh connection; (status, whole response, seconds until the first byte)."""
    u = urlparse(url)
    with socket.create_connection((u.hostname, u.port), timeout=read_timeout) as s:
        t0 = time.perf_counter()
        s.sendall(payload)
        if close_after_send:
            s.shutdown(socket.SHUT_WR)
        chunks, first = [], None
        try:
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                first = first or time.perf_counter() - t0
                chunks.append(chunk)
                if b"\r\n\r\n" in b"".join(chunks) and _complete(b"".join(chunks)):
                    break
        except (socket.timeout, ConnectionResetError):
            pass
    data = b"".join(chunks)
    status = int(data.split(b" ", 2)[1]) if data.startswith(b"HTTP/") else 0
    return status, data, first if first is not None else float("inf")


def _complete(data: bytes) -> bool:
    head, _, body = data.partition(b"\r\n\r\n")
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            return len(body) >= int(line.split(b":")[1])
    return False


def post_head(path: str, length: int, key: str | None = None, ctype: str = "application/json") -> bytes:
    lines = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", f"Content-Type: {ctype}", f"Content-Length: {length}"]
    if key:
        lines.append(f"X-API-Key: {key}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def health_times(url: str, stop: threading.Event, out: list[float]) -> None:
    with httpx.Client(base_url=url, timeout=10) as c:
        while not stop.is_set():
            t0 = time.perf_counter()
            c.get("/health")
            out.append((time.perf_counter() - t0) * 1000)
            time.sleep(0.05)


# ------------------------------------------------------------------ authentication and body size
def test_a_huge_body_without_the_key_gets_401_before_it_is_sent(keyed):
    status, data, first = raw(keyed, post_head("/ask", 100 * 1024 * 1024))  # headers only, no body sent
    assert status == 401 and len(data) < SMALL and first < 2.0
    assert b"X-API-Key" in data


def test_a_declared_oversized_body_gets_413_at_once(keyed):
    status, data, first = raw(keyed, post_head("/ask", 10 * 1024 * 1024, API_KEY))
    assert status == 413 and len(data) < SMALL and first < 2.0
    assert json.loads(data.partition(b"\r\n\r\n")[2])["detail"].startswith("request body larger than 64 KB")


def test_a_chunked_oversized_body_is_cut_off_at_the_limit(keyed):
    def body():
        yield b'{"question": "'
        for _ in range(200):
            yield "托".encode() * 1000
        yield b'"}'

    r = httpx.post(keyed + "/ask", content=body(), headers={"X-API-Key": API_KEY, "content-type": "application/json"}, timeout=10)
    assert r.status_code == 413 and len(r.content) < SMALL


@pytest.mark.parametrize(
    "body, status, says",
    [
        (json.dumps({f"k{i}": 1 for i in range(5000)}), 413, "keys and items"),
        ('{"question": "x", "filters": ' + "[" * 60 + "]" * 60 + "}", 413, "nested deeper"),
        ('{"question": "\\ud800"}', 422, "lone surrogate"),
        ('{"question": "托位\\u0000数"}', 422, "control character"),
        ('{"question": "托位\\u001b数"}', 422, "control character"),
        (json.dumps({"question": "托位数", **{f"x{i}": i for i in range(1500)}}), 422, "unknown field"),
        ('{"question": ', 422, "not valid JSON"),
    ],
    ids=["5000-keys", "deep", "surrogate", "nul", "escape", "1500-unknown-keys", "bad-json"],
)
def test_malformed_json_is_refused_briefly(keyed, body, status, says):
    r = httpx.post(keyed + "/ask", content=body.encode(), headers={"X-API-Key": API_KEY, "content-type": "application/json"}, timeout=10)
    assert r.status_code == status, r.text[:300]
    assert len(r.content) < SMALL and says in r.json()["detail"]


def test_raw_surrogate_bytes_never_reach_the_embedder(keyed):
    body = b'{"question": "\xed\xa0\x80"}'
    r = httpx.post(keyed + "/search", content=body, headers={"X-API-Key": API_KEY, "content-type": "application/json"}, timeout=10)
    assert r.status_code == 422 and len(r.content) < SMALL


def test_filter_lists_are_capped(keyed):
    r = httpx.post(keyed + "/ask", json={"question": "托位数", "filters": {"jurisdiction": [f"某{i}市" for i in range(100)]}},
                   headers={"X-API-Key": API_KEY}, timeout=10)
    assert r.status_code == 422 and len(r.content) < SMALL and "at most" in r.json()["detail"]


# ------------------------------------------------------------------ slow clients
def test_a_body_that_stalls_gets_408(keyed):
    status, data, first = raw(keyed, post_head("/ask", 100, API_KEY) + b'{"question": "', read_timeout=10)
    assert status == 408 and len(data) < SMALL and first < 5.0


def test_a_connection_that_never_sends_headers_is_closed(keyed):
    u = urlparse(keyed)
    with socket.create_connection((u.hostname, u.port), timeout=10) as s:
        s.sendall(b"POST /ask HTTP/1.1\r\nHost: x\r\n")  # and nothing more
        t0 = time.perf_counter()
        assert s.recv(1024) == b""  # closed by the server
        assert time.perf_counter() - t0 < 8.0


# ------------------------------------------------------------------ what the service reveals
def test_no_host_reflection_and_docs_need_the_key(keyed):
    r = httpx.get(keyed + "/clauses", headers={"X-API-Key": API_KEY, "Host": "evil.example"}, follow_redirects=False)
    assert "evil.example" not in r.headers.get("location", "") and r.status_code in (404, 405)
    for path in ("/docs", "/redoc", "/openapi.json"):
        assert httpx.get(keyed + path).status_code == 401
    assert httpx.get(keyed + "/openapi.json", headers={"X-API-Key": API_KEY}).status_code == 200


def test_health_shows_no_absolute_paths(keyed):
    info = httpx.get(keyed + "/health").json()
    assert not any(isinstance(v, str) and v.startswith("/") for v in info.values()), info


# ------------------------------------------------------------------ cost and load
def test_a_long_question_is_answered_from_its_key_part(keyed):
    paste = "根据上级文件精神，结合本地实际，我们正在起草落实方案，需要核实相关指标。" * 25 + "2025年每千人口托位数目标是多少？"
    r = httpx.post(keyed + "/ask", json={"question": paste[:1000]}, headers={"X-API-Key": API_KEY}, timeout=30)
    assert r.status_code == 200
    out = r.json()
    assert out["note"].startswith("问题较长") and "托位数" in out["note"] and "4.5" in out["answer"]


def test_over_capacity_requests_are_shed_at_once_and_health_stays_fast(narrow):
    questions = [f"{y}年每千人口托位数目标是多少？请说明依据{i}" for i, y in enumerate(range(2000, 2024))]
    stop, times = threading.Event(), []
    probe = threading.Thread(target=health_times, args=(narrow, stop, times))
    probe.start()
    time.sleep(0.3)  # the probe's own client is ready before the load starts
    results: list[tuple[int, float, str | None]] = []
    lock = threading.Lock()

    # one client for all workers: creating 24 clients at once would starve the probe inside this process
    load = httpx.Client(base_url=narrow, timeout=30, limits=httpx.Limits(max_connections=64))

    def one(q: str) -> None:
        t0 = time.perf_counter()
        r = load.post("/ask", json={"question": q})
        with lock:
            results.append((r.status_code, time.perf_counter() - t0, r.headers.get("retry-after")))

    workers = [threading.Thread(target=one, args=(q,)) for q in questions]
    with load:
        for w in workers:
            w.start()
        for w in workers:
            w.join()
    stop.set()
    probe.join()
    shed = [r for r in results if r[0] == 503]
    assert {r[0] for r in results} <= {200, 503} and shed and any(r[0] == 200 for r in results)
    assert all(r[2] for r in shed) and max(r[1] for r in shed) < 1.0  # at once, with Retry-After
    assert statistics.median(times) < 100 and sorted(times)[int(len(times) * 0.9)] < 100, times
