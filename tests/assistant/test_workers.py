"""``python -m assistant serve --workers 2``: pre-forked workers over one memory-mapped index.

Both workers answer (header ``X-PQA-Worker``), the document library is read-only (409), memory
does not multiply (the workers' summed PSS, measured from /proc, stays well below twice one
worker's RSS), a worker that dies is replaced, and SIGTERM on the parent stops them all.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import pytest

from .conftest import REPO, free_port, server_env, wait_healthy

pytestmark = pytest.mark.skipif(not Path("/proc/self/smaps_rollup").exists(), reason="needs Linux /proc")

QUESTIONS = ["2025年每千人口托位数目标是多少", "建设县域医疗次中心的责任单位有哪些", "如何加强乡村医生队伍建设",
             "家庭医生签约服务怎么推进", "托育服务体系建设有哪些措施", "公共卫生应急物资储备"]


def _children(pid: int) -> list[int]:
    out: set[int] = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            out.update(int(x) for x in (task / "children").read_text().split())
        except (OSError, ValueError):
            pass
    return sorted(out)


def _memory(pid: int) -> dict[str, int]:
    """kB figures of /proc/<pid>/smaps_rollup."""
    out = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
        key, _, rest = line.partition(":")
        if rest.split():
            out[key] = int(rest.split()[0])
    return out


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.fixture(scope="module")
def two_workers(seed_index_dir: Path):
    port = free_port()
    env = server_env(PQA_DATA_DIR=tempfile.mkdtemp(prefix="pqa-workers-data-"))
    cmd = [sys.executable, "-m", "assistant", "serve", "--host", "127.0.0.1", "--port", str(port),
           "--index", str(seed_index_dir), "--log-level", "warning", "--workers", "2"]
    proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, proc)
        deadline = time.monotonic() + 60
        while len(_children(proc.pid)) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        yield proc, url
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                for pid in _children(proc.pid):
                    os.kill(pid, signal.SIGKILL)
                proc.kill()
                proc.wait(timeout=5)


def _ask_concurrently(url: str, rounds: int = 6, parallel: int = 4) -> list[httpx.Response]:
    """``rounds`` × ``parallel`` requests, each on a new connection, ``parallel`` at a time."""
    out: list[httpx.Response] = []
    lock = threading.Lock()

    def one(i: int) -> None:
        r = httpx.post(url + "/ask", json={"question": QUESTIONS[i % len(QUESTIONS)], "top_k": 3}, timeout=60)
        with lock:
            out.append(r)

    for k in range(rounds):
        threads = [threading.Thread(target=one, args=(k * parallel + i,)) for i in range(parallel)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    return out


def test_both_workers_answer(two_workers):
    proc, url = two_workers
    workers = _children(proc.pid)
    assert len(workers) == 2
    seen: set[int] = set()
    for _ in range(5):  # the kernel hands connections to whichever worker accepts first
        responses = _ask_concurrently(url)
        assert all(r.status_code == 200 for r in responses), [r.text[:200] for r in responses if r.status_code != 200]
        assert all(r.json()["answer"] for r in responses)
        seen |= {int(r.headers["x-pqa-worker"]) for r in responses}
        if seen >= set(workers):
            break
    assert seen == set(workers), f"answered by {seen}, workers {workers}"


def test_library_is_read_only_with_several_workers(two_workers):
    _, url = two_workers
    r = httpx.post(url + "/documents", files={"file": ("新文件.txt", "第一条 测试。".encode(), "text/plain")}, timeout=30)
    assert r.status_code == 409
    assert "read-only" in r.json()["detail"] and "--workers 1" in r.json()["detail"]
    r = httpx.delete(url + "/documents/u0123456789", timeout=30)
    assert r.status_code == 409 and "read-only" in r.json()["detail"]
    r = httpx.put(url + "/documents/u0123456789", data={"title": "新标题"}, timeout=30)
    assert r.status_code == 409
    # reads of the library still work
    assert httpx.get(url + "/documents", timeout=30).status_code == 200


def test_workers_share_the_index_memory(two_workers, seed_index_dir: Path):
    proc, url = two_workers
    _ask_concurrently(url, rounds=5)  # a load run first: every worker has touched the index
    workers = _children(proc.pid)
    mem = {pid: _memory(pid) for pid in workers}
    vectors = str((seed_index_dir / "vectors.faiss").resolve())
    for pid in workers:
        assert vectors in Path(f"/proc/{pid}/maps").read_text(), "the vectors are not memory-mapped"
    single_rss = max(m["Rss"] for m in mem.values())
    pss_sum = sum(m["Pss"] for m in mem.values())
    # one copy of the index and model (shared with the parent), not one per worker
    assert pss_sum < 1.25 * single_rss, {pid: (m["Rss"], m["Pss"]) for pid, m in mem.items()}
    assert all(m["Pss"] < 0.7 * m["Rss"] for m in mem.values())


def test_a_dead_worker_is_replaced(two_workers):
    proc, url = two_workers
    before = _children(proc.pid)
    os.kill(before[0], signal.SIGKILL)
    deadline = time.monotonic() + 60
    now = before
    while time.monotonic() < deadline:
        now = _children(proc.pid)
        if len(now) == 2 and before[0] not in now:
            break
        time.sleep(0.2)
    assert len(now) == 2 and before[0] not in now and before[1] in now
    wait_healthy(url, proc)
    assert all(r.status_code == 200 for r in _ask_concurrently(url, rounds=2))


def test_sigterm_stops_every_worker(seed_index_dir: Path):
    port = free_port()
    env = server_env(PQA_DATA_DIR=tempfile.mkdtemp(prefix="pqa-workers-data-"), PQA_WORKERS="2")
    cmd = [sys.executable, "-m", "assistant", "serve", "--host", "127.0.0.1", "--port", str(port),
           "--index", str(seed_index_dir), "--log-level", "warning"]  # workers from PQA_WORKERS
    proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        wait_healthy(f"http://127.0.0.1:{port}", proc)
        workers = _children(proc.pid)
        assert len(workers) == 2
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
        deadline = time.monotonic() + 10
        while any(_alive(p) for p in workers) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not any(_alive(p) for p in workers)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=5)


def test_workers_socket_turns_nagle_off():
    """The workers' shared socket must give accepted connections TCP_NODELAY (asyncio sets it only when
    the socket's proto is TCP); without it a small reply waits for the client's delayed ACK (~40 ms)."""
    import asyncio
    import socket

    from assistant.server import bind_socket

    async def accepted_nodelay() -> int:
        sock = bind_socket("127.0.0.1", 0)
        seen: asyncio.Future = asyncio.get_running_loop().create_future()

        async def on_client(_reader, writer):
            seen.set_result(writer.get_extra_info("socket").getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            writer.close()

        server = await asyncio.start_server(on_client, sock=sock)
        _, writer = await asyncio.open_connection("127.0.0.1", sock.getsockname()[1])
        try:
            return await asyncio.wait_for(seen, 5)
        finally:
            writer.close()
            server.close()

    assert asyncio.run(accepted_nodelay()) != 0
