"""A real browser on the real app: ``ui/run_all.py`` starts the API and the UI, headless Chromium
(Debian's /usr/bin/chromium, driven by Playwright; no browser is downloaded) asks the example
question, checks the answer and a citation card, copies a citation, and saves a screenshot.

``PQA_SAVE_SCREENSHOT=1`` writes it to ``docs/screenshot-ask.png`` (the README's picture);
otherwise it goes to the test's tmp folder."""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.ui.conftest import EXAMPLE_QUESTION, REPO, free_port, stop_process, wait_http

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]
needs_chromium = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="/usr/bin/chromium is absent (apt-get install chromium chromium-driver fonts-noto-cjk)",
)


@pytest.fixture(scope="module")
def running_app(ui_index_dir, tmp_path_factory):
    """``python -m ui.run_all`` on free ports; yields (ui_url, api_url, process)."""
    api_port, ui_port = free_port(), free_port()
    log = tmp_path_factory.mktemp("run_all") / "run_all.log"
    env = dict(os.environ)
    env.pop("PQA_API_KEY", None)
    with open(log, "wb") as fh:
        proc = subprocess.Popen(
            [sys.executable, "-m", "ui.run_all", "--api-port", str(api_port), "--ui-port", str(ui_port),
             "--index-dir", str(ui_index_dir)],
            cwd=REPO, env=env, stdout=fh, stderr=subprocess.STDOUT, start_new_session=True,
        )
    api_url, ui_url = f"http://127.0.0.1:{api_port}", f"http://127.0.0.1:{ui_port}"
    try:
        wait_http(api_url + "/health", proc, 180, log)
        wait_http(ui_url + "/_stcore/health", proc, 60, log)
        yield ui_url, api_url, proc, log
    finally:
        stop_process(proc, signal.SIGINT)


@needs_chromium
def test_browser_asks_the_example_question(running_app, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    ui_url, _api_url, _proc, _log = running_app
    save = os.environ.get("PQA_SAVE_SCREENSHOT", "").lower() in ("1", "true", "yes")
    shot = REPO / "docs" / "screenshot-ask.png" if save else tmp_path / "screenshot-ask.png"
    shot.parent.mkdir(parents=True, exist_ok=True)

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 1280, "height": 1400}, locale="zh-CN",
                                          permissions=["clipboard-read", "clipboard-write"])
            page = context.new_page()
            page.goto(ui_url, wait_until="domcontentloaded")
            box = page.get_by_test_id("stChatInputTextArea")
            box.wait_for(timeout=60_000)
            box.fill(EXAMPLE_QUESTION)
            box.press("Enter")

            card = page.locator(".st-key-cite-1-1")
            card.wait_for(state="visible", timeout=60_000)
            assistant_msg = page.get_by_test_id("stChatMessage").nth(1)
            expect(assistant_msg).to_contain_text("4.5")
            expect(card).to_contain_text("《")
            expect(card.locator("mark").first).to_be_visible()
            expect(card.get_by_role("button", name="加入引文篮")).to_be_visible()

            # the copy control puts the cite string on the clipboard
            card.locator("button.pqa-copy").click()
            expect(card.locator("button.pqa-copy")).to_have_text("已复制")
            clipboard = page.evaluate("navigator.clipboard.readText()")
            assert clipboard.startswith("《") and "4.5" in clipboard

            page.evaluate("document.fonts.ready")
            page.wait_for_timeout(1600)  # the copy button's label returns; fonts settle
            page.get_by_test_id("stChatMessage").first.scroll_into_view_if_needed()
            page.screenshot(path=str(shot))
        finally:
            browser.close()
    assert shot.stat().st_size > 10_000


def _api_pid(log: Path) -> int:
    pids = re.findall(r"API started \(pid (\d+)\)", log.read_text(errors="replace"))
    assert pids, log.read_text(errors="replace")[-2000:]
    return int(pids[-1])


def test_run_all_restarts_the_api_and_keeps_the_ui(running_app):
    """The API killed (as a crash would): the UI stays up, run_all logs it and starts the API again."""
    ui_url, api_url, proc, log = running_app
    first = _api_pid(log)
    os.killpg(first, signal.SIGKILL)
    deadline = time.monotonic() + 120
    back = False
    while time.monotonic() < deadline:
        assert proc.poll() is None, log.read_text(errors="replace")[-2000:]
        assert httpx.get(ui_url + "/_stcore/health", timeout=5).status_code == 200
        try:
            back = httpx.get(api_url + "/health", timeout=2).status_code == 200 and _api_pid(log) != first
        except httpx.HTTPError:
            back = False
        if back:
            break
        time.sleep(0.5)
    text = log.read_text(errors="replace")
    assert back, text[-2000:]
    assert "API exited (-9); restarting it in" in text and "restarting API (restart 1)" in text


def test_run_all_stops_both_on_ctrl_c(running_app):
    """Last in this module: SIGINT to run_all stops the API and the UI, and run_all exits 0."""
    ui_url, api_url, proc, log = running_app
    assert httpx.get(api_url + "/health", timeout=5).status_code == 200
    os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C in a terminal does to the foreground group
    assert proc.wait(timeout=30) == 0, log.read_text(errors="replace")[-2000:]
    for url in (api_url + "/health", ui_url + "/_stcore/health"):
        with pytest.raises(httpx.HTTPError):
            httpx.get(url, timeout=2)


def test_run_all_exits_when_the_index_cannot_be_built(tmp_path):
    """A corpus with nothing indexable: the build fails, run_all says so and exits non-zero, no API or UI left."""
    empty = tmp_path / "corpus"
    empty.mkdir()
    (empty / "notes.bin").write_bytes(b"\x00\x01" * 64)
    env = dict(os.environ)
    env.pop("PQA_API_KEY", None)
    env["PQA_CORPUS_DIR"] = str(empty)
    proc = subprocess.run(
        [sys.executable, "-m", "ui.run_all", "--api-port", str(free_port()), "--ui-port", str(free_port()),
         "--index-dir", str(tmp_path / "index"), "--health-timeout", "60"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode != 0
    assert "index build failed" in proc.stderr and "starting API" not in proc.stderr and "starting UI" not in proc.stderr
