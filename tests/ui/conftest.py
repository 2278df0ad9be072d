"""Fixtures of the UI tests: a real assistant server on a free port, over the seed index.

The server is started once per session (``python -m assistant serve``) with ``PQA_INDEX_DIR`` set
to the shared ``seed_index_dir`` fixture (or, when that fixture is not defined, an index built
here with ``python -m indexer build --out``)."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

REPO = Path(__file__).resolve().parents[2]
APP = REPO / "ui" / "app.py"
HEALTH_TIMEOUT_S = 180.0
EXAMPLE_QUESTION = "2025年每千人口托位数目标是多少？"
NOT_FOUND_QUESTION = "广东省2030年高速公路收费标准"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url: str, proc: subprocess.Popen | None, timeout: float, log: Path | None = None) -> None:
    """Poll ``url`` until it answers 200; fail early (with the log's tail) if ``proc`` dies."""
    deadline = time.monotonic() + timeout
    last = ""
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            tail = log.read_text(errors="replace")[-3000:] if log and log.exists() else ""
            pytest.fail(f"process exited ({proc.returncode}) before {url} answered:\n{tail}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError as exc:
            last = str(exc)
        time.sleep(0.3)
    tail = log.read_text(errors="replace")[-3000:] if log and log.exists() else ""
    pytest.fail(f"{url} did not answer within {timeout:.0f} s ({last}):\n{tail}")


def stop_process(proc: subprocess.Popen, sig: int = signal.SIGTERM, timeout: float = 15.0) -> int:
    """Signal the process group of ``proc`` (started with start_new_session) and reap it."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            pass
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    return proc.returncode


@pytest.fixture(scope="session")
def ui_index_dir(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    try:
        return Path(request.getfixturevalue("seed_index_dir"))
    except pytest.FixtureLookupError:
        out = tmp_path_factory.mktemp("ui-index") / "index"
        subprocess.run([sys.executable, "-m", "indexer", "build", "--out", str(out)], cwd=REPO, check=True,
                       timeout=900)
        return out


@pytest.fixture(scope="session")
def api_url(ui_index_dir: Path, tmp_path_factory: pytest.TempPathFactory):
    """Base URL of a real assistant server over the seed index (stopped at the end)."""
    port = free_port()
    folder = tmp_path_factory.mktemp("ui-api")
    # its own data folder: the workspace (conversations, basket, feedback) never lands in var/data
    env = dict(os.environ, PQA_INDEX_DIR=str(ui_index_dir), PQA_DATA_DIR=str(folder / "data"))
    env.pop("PQA_API_KEY", None)
    log = folder / "api.log"
    with open(log, "wb") as fh:
        proc = subprocess.Popen(
            [sys.executable, "-m", "assistant", "serve", "--host", "127.0.0.1", "--port", str(port)],
            cwd=REPO, env=env, stdout=fh, stderr=subprocess.STDOUT, start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_http(url + "/health", proc, HEALTH_TIMEOUT_S, log)
        yield url
    finally:
        stop_process(proc)


@pytest.fixture
def dead_url() -> str:
    """A URL where nothing listens."""
    return f"http://127.0.0.1:{free_port()}"
