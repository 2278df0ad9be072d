"""Live servers for the assistant's HTTP tests, over the session's seed index.

``seed_index_dir`` / ``seed_index`` come from tests/conftest.py (built once per run).
"""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

REPO = Path(__file__).resolve().parents[2]
API_KEY = "test-key-7f3a"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_healthy(url: str, proc: subprocess.Popen | None = None, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            out = proc.stdout.read() if proc.stdout else ""
            raise RuntimeError(f"server exited with {proc.returncode}: {out[-2000:]}")
        try:
            r = httpx.get(url + "/health", timeout=2.0)
            if r.status_code == 200:
                return
            last = r.status_code
        except httpx.HTTPError as exc:
            last = exc
        time.sleep(0.2)
    raise RuntimeError(f"server at {url} not healthy after {timeout}s ({last})")


def server_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PQA_")}
    env.update(extra)
    env["PYTHONUNBUFFERED"] = "1"
    return env


@contextmanager
def serving(index_dir: Path, env: dict[str, str]):
    """``python -m assistant serve`` over ``index_dir`` in a subprocess on a free port; yields its URL."""
    port = free_port()
    cmd = [sys.executable, "-m", "assistant", "serve", "--host", "127.0.0.1", "--port", str(port),
           "--index", str(index_dir), "--log-level", "warning"]
    if "PQA_DATA_DIR" not in env:  # the workspace and uploads of a test server never land in var/data
        env = {**env, "PQA_DATA_DIR": tempfile.mkdtemp(prefix="pqa-serve-data-")}
    proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, proc)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


@pytest.fixture(scope="session")
def live_server(seed_index_dir: Path):
    """The seed index served in a subprocess (no API key)."""
    with serving(seed_index_dir, server_env()) as url:
        yield url


@pytest.fixture(scope="session")
def client(live_server: str):
    with httpx.Client(base_url=live_server, timeout=30.0) as c:
        yield c


@pytest.fixture(scope="session")
def assistant_qa(seed_index_dir: Path):
    """The assistant loaded in-process over the seed index (shared by unit tests)."""
    from assistant import Assistant
    from indexer.settings import Settings

    return Assistant.load(seed_index_dir, Settings(index_dir=seed_index_dir))


class ThreadedServer:
    """uvicorn in a background thread (signal handlers stay with the main thread)."""

    def __init__(self, app, port: int):
        import uvicorn

        self.config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False, lifespan="on")
        self.server = uvicorn.Server(self.config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.url = f"http://127.0.0.1:{port}"

    def __enter__(self):
        self.thread.start()
        deadline = time.monotonic() + 60
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("threaded uvicorn did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc):
        self.server.should_exit = True
        self.thread.join(timeout=15)


@pytest.fixture(scope="session")
def keyed_server(assistant_qa, tmp_path_factory):
    """A second server (same loaded index, in a thread) that requires ``X-API-Key``."""
    from assistant import create_app
    from indexer.settings import Settings

    app = create_app(Settings(api_key=API_KEY, data_dir=tmp_path_factory.mktemp("keyed-data")), assistant=assistant_qa)
    with ThreadedServer(app, free_port()) as srv:
        yield srv.url
