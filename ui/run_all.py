"""Start the API and the UI together and keep them up; stop both on Ctrl-C / SIGTERM.

    python -m ui.run_all [--host 127.0.0.1] [--api-port 8000] [--ui-port 8501] [--index-dir DIR]

1. builds or updates the index (``python -m indexer build --out DIR``: a corpus with added, edited
   or removed files is re-indexed, re-embedding only new text; an unchanged one returns at once);
2. starts ``python -m assistant serve --host H --port P`` (``PQA_INDEX_DIR=DIR``) and waits for
   ``GET /health``;
3. starts ``streamlit run ui/app.py`` on the UI port with ``PQA_API_URL`` pointing at the API;
4. supervises both: a child that exits (a crash, an out-of-memory kill, someone stopping it) is
   started again after a back-off (1 s, doubling to 60 s; reset once it has run 60 s), logged, while
   the other keeps running — the UI shows its reconnect banner and recovers when the API is back.

Children run in their own process groups: a signal is forwarded once to each whole group
(SIGTERM, then SIGKILL after a grace period), so Streamlit's and uvicorn's own workers stop too.
Only this script's standard library is used, so it starts before anything else is imported.
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
GRACE_S = 10.0
BACKOFF_FIRST_S = 1.0
BACKOFF_MAX_S = 60.0
STABLE_S = 60.0  # a child that ran this long starts its next back-off from the beginning

logger = logging.getLogger("run_all")


def log(msg: str, level: int = logging.INFO) -> None:
    logger.log(level, msg)


def _health(url: str, api_key: str | None) -> dict | None:
    req = urllib.request.Request(url.rstrip("/") + "/health")
    if api_key:
        req.add_header("X-API-Key", api_key)
    try:
        with urllib.request.urlopen(req, timeout=2) as resp:
            if resp.status == 200:
                return json.loads(resp.read().decode("utf-8") or "{}")
    except (urllib.error.URLError, OSError, ValueError):
        return None
    return None


def wait_for_health(url: str, proc: subprocess.Popen, timeout: float, api_key: str | None = None) -> dict | None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return None
        info = _health(url, api_key)
        if info is not None:
            return info
        time.sleep(0.3)
    return None


def stop(procs: list[subprocess.Popen], grace: float = GRACE_S) -> None:
    """SIGTERM each child's process group, then SIGKILL whatever is left after ``grace``."""
    for proc in procs:
        if proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
    deadline = time.monotonic() + grace
    for proc in procs:
        try:
            proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            log(f"pid {proc.pid} did not stop in {grace:.0f} s: killing it")
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait()


class _Stop(Exception):
    def __init__(self, signum: int):
        self.signum = signum


def _raise_stop(signum, _frame):
    raise _Stop(signum)


class Child:
    """One supervised process: started in its own process group, restarted with back-off when it exits."""

    def __init__(self, name: str, cmd: list[str], env: dict[str, str], *, backoff_first: float = BACKOFF_FIRST_S,
                 backoff_max: float = BACKOFF_MAX_S, stable_s: float = STABLE_S) -> None:
        self.name, self.cmd, self.env = name, cmd, env
        self.backoff_first, self.backoff_max, self.stable_s = backoff_first, backoff_max, stable_s
        self.proc: subprocess.Popen | None = None
        self.started_at = 0.0
        self.backoff = backoff_first
        self.restart_at: float | None = None
        self.restarts = 0

    def start(self) -> subprocess.Popen:
        self.proc = subprocess.Popen(self.cmd, cwd=REPO, env=self.env, start_new_session=True)
        self.started_at = time.monotonic()
        self.restart_at = None
        log(f"{self.name} started (pid {self.proc.pid})")
        return self.proc

    def check(self, now: float) -> None:
        """Notice an exit and schedule the restart; start it again once its back-off has passed."""
        if self.restart_at is not None:
            if now >= self.restart_at:
                self.restarts += 1
                log(f"restarting {self.name} (restart {self.restarts})")
                self.start()
            return
        if self.proc is None or self.proc.poll() is None:
            return
        code = self.proc.returncode
        if now - self.started_at >= self.stable_s:
            self.backoff = self.backoff_first
        log(f"{self.name} exited ({code}); restarting it in {self.backoff:.0f} s", logging.WARNING)
        self.restart_at = now + self.backoff
        self.backoff = min(self.backoff * 2, self.backoff_max)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--host", default=os.environ.get("PQA_HOST", "127.0.0.1"))
    ap.add_argument("--api-port", type=int, default=int(os.environ.get("PQA_PORT", "8000")))
    ap.add_argument("--ui-port", type=int, default=int(os.environ.get("PQA_UI_PORT", "8501")))
    ap.add_argument("--index-dir", default=os.environ.get("PQA_INDEX_DIR", "var/index"))
    ap.add_argument("--health-timeout", type=float, default=180.0,
                    help="seconds to wait for the API's /health (model load included)")
    ap.add_argument("--backoff-max", type=float, default=BACKOFF_MAX_S,
                    help="longest wait before restarting a child that exited (seconds)")
    args = ap.parse_args(argv)
    logging.basicConfig(level=os.environ.get("PQA_LOG_LEVEL", "INFO").upper(), stream=sys.stderr,
                        format="[run_all] %(asctime)s %(levelname)s %(message)s", datefmt="%H:%M:%S")

    python = sys.executable
    index_dir = Path(args.index_dir)
    if not index_dir.is_absolute():
        index_dir = REPO / index_dir
    env = dict(os.environ, PQA_INDEX_DIR=str(index_dir))
    api_url = f"http://{args.host}:{args.api_port}"
    api_key = env.get("PQA_API_KEY") or None

    signal.signal(signal.SIGINT, _raise_stop)
    signal.signal(signal.SIGTERM, _raise_stop)
    procs: list[subprocess.Popen] = []
    children: list[Child] = []
    try:
        # the build says "up to date" at once when nothing changed, and updates a changed corpus
        log(f"index at {index_dir}: building or updating it")
        build = subprocess.Popen([python, "-m", "indexer", "build", "--out", str(index_dir)],
                                 cwd=REPO, env=env, start_new_session=True)
        procs.append(build)
        if build.wait() != 0:
            log(f"index build failed (exit {build.returncode})", logging.ERROR)
            return build.returncode or 1
        procs.remove(build)

        if _health(api_url, api_key) is not None:
            log(f"something already answers at {api_url}/health: stop it or choose --api-port", logging.ERROR)
            return 1
        log(f"starting API on {api_url} (index {index_dir})")
        api = Child("API", [python, "-m", "assistant", "serve", "--host", args.host, "--port", str(args.api_port)],
                    env, backoff_max=args.backoff_max)
        children.append(api)
        if wait_for_health(api_url, api.start(), args.health_timeout, api_key) is None:
            code = api.proc.poll() if api.proc else None
            log(f"API did not become healthy at {api_url}/health"
                + (f" (exited {code})" if code is not None else f" within {args.health_timeout:.0f} s"), logging.ERROR)
            return code or 1
        log("API is up")

        ui_env = dict(env, PQA_API_URL=api_url)
        ui_cmd = [python, "-m", "streamlit", "run", str(REPO / "ui" / "app.py"),
                  "--server.address", args.host, "--server.port", str(args.ui_port),
                  "--server.headless", "true", "--browser.gatherUsageStats", "false",
                  "--client.toolbarMode", "minimal"]
        log("starting UI")
        ui = Child("UI", ui_cmd, ui_env, backoff_max=args.backoff_max)
        children.append(ui)
        ui.start()
        log(f"UI on http://{args.host}:{args.ui_port} — Ctrl-C stops both")

        while True:
            now = time.monotonic()
            for child in children:
                child.check(now)
            time.sleep(0.5)
    except _Stop as exc:
        log(f"{signal.Signals(exc.signum).name}: stopping")
        return 0
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        stop(procs + [c.proc for c in children if c.proc is not None])


if __name__ == "__main__":
    sys.exit(main())
