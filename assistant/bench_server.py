"""A real ``python -m assistant serve`` to benchmark against, and the memory of its processes."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    k = (len(s) - 1) * p / 100.0
    lo, hi = int(k), min(int(k) + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(index_dir: Path | None, workers: int = 1, env_extra: dict[str, str] | None = None) -> tuple[subprocess.Popen, str]:
    port = free_port()
    cmd = [sys.executable, "-m", "assistant", "serve", "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning",
           "--workers", str(workers)]
    if index_dir is not None:
        cmd += ["--index", str(index_dir)]
    env = dict(os.environ)
    env.pop("PQA_API_KEY", None)
    env.update(env_extra or {})
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    url = f"http://127.0.0.1:{port}"
    wait_healthy(proc, url, 120, lambda: proc.stderr.read().strip())
    return proc, url


def stop_server(proc: subprocess.Popen, grace_s: float = 15.0) -> None:
    """SIGTERM, then SIGKILL once ``grace_s`` has passed."""
    proc.terminate()
    try:
        proc.wait(timeout=grace_s)
    except subprocess.TimeoutExpired:
        proc.kill()


def wait_healthy(proc: subprocess.Popen, url: str, timeout: float, output: Callable[[], str]) -> None:
    """Wait for ``GET url/health``; a server that exits or stays unhealthy raises (with ``output()``)."""
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited: {output()}")
        try:
            if httpx.get(url + "/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    proc.kill()
    raise RuntimeError("server did not become healthy")


def process_memory(pid: int) -> dict[str, float]:
    """RSS, PSS (and its anonymous / file parts) of ``pid`` in MB, from /proc/<pid>/smaps_rollup."""
    out: dict[str, float] = {}
    try:
        text = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return out
    for line in text.splitlines()[1:]:
        key, _, rest = line.partition(":")
        parts = rest.split()
        if key in ("Rss", "Pss", "Pss_Anon", "Pss_File", "Private_Clean", "Private_Dirty") and parts:
            out[key] = int(parts[0]) / 1024.0
    return out


def server_memory(proc: subprocess.Popen) -> list[tuple[str, int, dict[str, float]]]:
    """``[(role, pid, memory)]`` of the server and its worker processes."""
    rows = [("parent" if _children(proc.pid) else "server", proc.pid, process_memory(proc.pid))]
    rows += [("worker", pid, process_memory(pid)) for pid in _children(proc.pid)]
    return rows


def _children(pid: int) -> list[int]:
    out: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            out += [int(x) for x in (task / "children").read_text().split()]
        except (OSError, ValueError):
            pass
    return sorted(set(out))


def _mb(v: float | None) -> str:
    return "—" if v is None else f"{v:.0f}"


def print_memory(rows: list[tuple[str, int, dict[str, float]]]) -> None:
    print(f"{'process':<8} {'pid':>7} {'RSS MB':>7} {'PSS MB':>7} {'PSS anon':>9} {'PSS file':>9} {'priv.dirty':>10}")
    for role, pid, m in rows:
        private = m.get("Private_Dirty") if m else None  # pages this process copied (written)
        print(f"{role:<8} {pid:>7} {_mb(m.get('Rss')):>7} {_mb(m.get('Pss')):>7} {_mb(m.get('Pss_Anon')):>9} "
              f"{_mb(m.get('Pss_File')):>9} {_mb(private):>10}")
    workers = [m for role, _, m in rows if role == "worker"] or [m for _, _, m in rows]
    total = sum(m.get("Pss", 0.0) for _, _, m in rows)
    print(f"PSS of all server processes: {total:.0f} MB; per worker RSS {max(m.get('Rss', 0.0) for m in workers):.0f} MB, "
          f"PSS {sum(m.get('Pss', 0.0) for m in workers) / max(1, len(workers)):.0f} MB")
