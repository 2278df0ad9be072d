"""The chat of issue 10 in a real browser: conversations that follow and persist, the server-side
basket, feedback, and a UI that survives the API.

One module-wide stack: a real ``python -m assistant serve`` over the seed index (its workspace in a
tmp data folder, on a fixed port so it can be killed and started again) and ``streamlit run
ui/app.py`` against it, driven by headless Debian Chromium through Playwright. Each test opens its
own browser context (its own ``pqa_uid`` cookie, i.e. its own user). The outage test is last.
"""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from tests.ui.conftest import EXAMPLE_QUESTION, REPO, free_port, stop_process, wait_http
from tests.ui.test_browser import CHROMIUM, CHROMIUM_ARGS, needs_chromium
from ui import basket
from ui.api import ApiClient

WAIT_MS = 60_000
BANNER = "服务暂时不可用，正在重连"


@dataclass
class ApiProcess:
    """``python -m assistant serve`` on a fixed port, which a test can kill and start again."""

    index_dir: Path
    data_dir: Path
    log: Path
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        env = dict(os.environ, PQA_INDEX_DIR=str(self.index_dir), PQA_DATA_DIR=str(self.data_dir))
        env.pop("PQA_API_KEY", None)
        with open(self.log, "ab") as fh:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "assistant", "serve", "--host", "127.0.0.1", "--port", str(self.port)],
                cwd=REPO, env=env, stdout=fh, stderr=subprocess.STDOUT, start_new_session=True)
        wait_http(self.url + "/health", self.proc, 180, self.log)

    def kill(self) -> None:
        """As a crash would: SIGKILL, no clean shutdown."""
        assert self.proc is not None
        stop_process(self.proc, signal.SIGKILL)


@pytest.fixture(scope="module")
def stack(ui_index_dir, tmp_path_factory):
    """(api, ui_url): the restartable API and the Streamlit UI pointed at it."""
    root = tmp_path_factory.mktemp("chat")
    api = ApiProcess(ui_index_dir, root / "data", root / "api.log")
    api.start()
    ui_port = free_port()
    env = dict(os.environ, PQA_API_URL=api.url)
    env.pop("PQA_API_KEY", None)
    ui_log = root / "ui.log"
    with open(ui_log, "wb") as fh:
        ui = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", str(REPO / "ui" / "app.py"), "--server.address", "127.0.0.1",
             "--server.port", str(ui_port), "--server.headless", "true", "--browser.gatherUsageStats", "false"],
            cwd=REPO, env=env, stdout=fh, stderr=subprocess.STDOUT, start_new_session=True)
    ui_url = f"http://127.0.0.1:{ui_port}"
    try:
        wait_http(ui_url + "/_stcore/health", ui, 60, ui_log)
        yield api, ui_url
    finally:
        stop_process(ui)
        if api.proc is not None:
            stop_process(api.proc)


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.skip("/usr/bin/chromium is absent")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


def new_page(browser, url: str, context=None, ready: str = "[data-testid='stChatInputTextArea']"):
    """A page at ``url`` (in a new browser context unless given), once ``ready`` is visible."""
    context = context or browser.new_context(viewport={"width": 1280, "height": 1400}, locale="zh-CN")
    page = context.new_page()
    page.goto(url, wait_until="domcontentloaded")
    page.locator(ready).first.wait_for(timeout=WAIT_MS)
    return context, page


def ask(page, question: str, answers: int) -> None:
    """Type ``question`` and wait until the page shows ``answers`` assistant messages."""
    box = page.get_by_test_id("stChatInputTextArea")
    box.fill(question)
    box.press("Enter")
    page.locator("[data-testid='stChatMessage']:has([data-testid='stChatMessageAvatarAssistant'])").nth(
        answers - 1).locator("[class*='st-key-fb-row-'], [class*='st-key-fb-done-']").wait_for(timeout=WAIT_MS)


def user_of(context) -> str:
    """The browser's user id: its ``pqa_uid`` cookie, written by the page."""
    return next(c["value"] for c in context.cookies() if c["name"] == "pqa_uid")


def assistant_messages(page):
    return page.locator("[data-testid='stChatMessage']:has([data-testid='stChatMessageAvatarAssistant'])")


def test_basket_helpers_keep_each_users_basket_on_the_service(stack):
    api, _ = stack
    ours, theirs = ApiClient(api.url, user_id="unit-basket-ours"), ApiClient(api.url, user_id="unit-basket-theirs")
    citations = httpx.post(api.url + "/ask", json={"question": EXAMPLE_QUESTION}, timeout=60).json()["citations"]
    assert len(citations) >= 2
    state: dict = {}
    assert basket.add(state, citations[0], ours) and basket.add(state, citations[1], ours)
    assert basket.add(state, dict(citations[0]), ours) is False and basket.pop_error(state) is None  # a duplicate
    assert [i["clause_id"] for i in basket.items(state)] == [citations[0]["clause_id"], citations[1]["clause_id"]]
    basket.move(state, 1, -1, ours)
    fresh: dict = {}  # another tab of the same user sees the same order
    assert basket.refresh(fresh, ours) and [i["clause_id"] for i in basket.items(fresh)] == [
        citations[1]["clause_id"], citations[0]["clause_id"]]
    other: dict = {}
    assert basket.refresh(other, theirs) and basket.items(other) == []
    basket.remove(state, 0, ours)
    assert [i["clause_id"] for i in ours.basket()] == [citations[0]["clause_id"]]
    basket.clear(state, ours)
    assert ours.basket() == [] and basket.items(state) == []


@needs_chromium
def test_three_turn_dialogue_follows_and_persists(stack, browser):
    from playwright.sync_api import expect

    api, ui_url = stack
    context, page = new_page(browser, ui_url)
    try:
        box = page.get_by_test_id("stChatInputTextArea")
        # a blank question keeps the examples and says why nothing was asked
        box.fill("   ")
        box.press("Enter")
        expect(page.get_by_text("请输入问题（内容不能为空白）")).to_be_visible(timeout=WAIT_MS)
        expect(page.get_by_role("button", name=EXAMPLE_QUESTION)).to_be_visible()
        # a paste over the service's limit is not cut silently: a visible message, nothing sent
        box.fill("托位" * 2250)
        box.press("Enter")
        expect(page.get_by_text("问题过长：共 4500 字，服务最多接受 4000 字")).to_be_visible(timeout=WAIT_MS)
        expect(assistant_messages(page)).to_have_count(0)

        ask(page, EXAMPLE_QUESTION, 1)
        ask(page, "那平坝区呢？", 2)
        ask(page, "2022年的呢？", 3)
        answers = assistant_messages(page)
        expect(answers.nth(0)).to_contain_text("4.5")
        expect(answers.nth(0)).not_to_contain_text("按「")
        for n, must in ((1, "平坝"), (2, "2022")):
            caption = answers.nth(n).get_by_text(re.compile("^按「.+」理解$"))
            expect(caption).to_be_visible()
            assert must in caption.inner_text()
        conv_id = re.search(r"[?&]c=([^&]+)", page.url).group(1)
        turns = httpx.get(f"{api.url}/conversations/{conv_id}", timeout=10,
                          headers={"X-PQA-User": user_of(context)}).json()["turns"]
        assert [t["question"] for t in turns] == [EXAMPLE_QUESTION, "那平坝区呢？", "2022年的呢？"]

        # 👎 on the first answer: reason and a correct clause from its citations → 已反馈, stored with its turn
        answers.nth(0).get_by_role("button", name="有误").click()
        form = answers.nth(0).get_by_test_id("stForm")
        form.get_by_text("数字不对").click()
        form.get_by_role("button", name="提交反馈").click()
        expect(answers.nth(0).get_by_text("已反馈")).to_be_visible(timeout=WAIT_MS)
        expect(answers.nth(0).get_by_role("button", name="有误")).to_have_count(0)
        stored = httpx.get(api.url + "/feedback", params={"rating": "down"}, timeout=10).json()["feedback"][0]
        assert stored["reason"] == "数字不对" and stored["turn_id"] == turns[0]["turn_id"]
        assert stored["question"] == EXAMPLE_QUESTION and stored["cited_clause_ids"]
        answers.nth(0).get_by_role("button", name="在文档中选择正确条款").click()
        page.wait_for_url(re.compile(r"page=documents.*pick=" + re.escape(stored["feedback_id"])), timeout=WAIT_MS)

        # a reload (same cookie) reopens the conversation from the URL, follow-up captions included
        page.goto(f"{ui_url}/?page=ask&c={conv_id}", wait_until="domcontentloaded")
        expect(assistant_messages(page)).to_have_count(3, timeout=WAIT_MS)
        expect(assistant_messages(page).nth(2).get_by_text(re.compile("^按「.+」理解$"))).to_be_visible()
        expect(page.get_by_test_id("stSidebar").get_by_role("button", name=turns[0]["question"][:30])).to_be_visible()
    finally:
        context.close()


@needs_chromium
def test_basket_survives_a_reload_and_a_new_tab(stack, browser):
    from playwright.sync_api import expect

    _api, ui_url = stack
    context, page = new_page(browser, ui_url)
    try:
        ask(page, EXAMPLE_QUESTION, 1)
        card = page.locator(".st-key-cite-1-1")
        card.get_by_role("button", name="加入引文篮").click()
        expect(card.get_by_role("button", name="已在引文篮")).to_be_visible(timeout=WAIT_MS)
        quote = card.locator("mark").first.inner_text()

        page.reload(wait_until="domcontentloaded")
        page.get_by_test_id("stChatInputTextArea").wait_for(timeout=WAIT_MS)
        expect(page.get_by_test_id("stSidebar")).to_contain_text("引文篮：1 条", timeout=WAIT_MS)

        _, tab = new_page(browser, ui_url + "/?page=basket", context, ".st-key-basket-0")  # a new tab, same browser
        expect(tab.locator(".st-key-basket-0")).to_contain_text(quote[:10], timeout=WAIT_MS)
        expect(tab.locator(".st-key-basket-1")).to_have_count(0)

        other, stranger = new_page(browser, ui_url + "/?page=basket", ready="h1")  # another browser: another user
        try:
            expect(stranger.get_by_text("引文篮是空的")).to_be_visible(timeout=WAIT_MS)
        finally:
            other.close()
    finally:
        context.close()


def test_sidebar_switches_renames_and_deletes_conversations(stack, monkeypatch):
    """The conversation list under AppTest (no browser): newest first, switch reloads the turns from
    the service, rename and delete reach it, a deep link to another user's conversation is refused."""
    from streamlit.testing.v1 import AppTest

    from tests.ui.conftest import APP

    api, _ = stack
    monkeypatch.setenv("PQA_API_URL", api.url)
    monkeypatch.delenv("PQA_API_KEY", raising=False)
    at = AppTest.from_file(str(APP), default_timeout=60).run()
    at.chat_input[0].set_value(EXAMPLE_QUESTION).run()
    first = at.session_state["conv_id"]
    assert first and at.query_params["c"] == first and not at.exception
    at.button(key="conv-new").click().run()
    assert at.session_state["conv_id"] is None and at.session_state["messages"] == []
    at.chat_input[0].set_value("2022年县级医院达到什么水平？").run()
    second = at.session_state["conv_id"]
    client = ApiClient(api.url, user_id=at.session_state["_user_id"])
    assert [c["conversation_id"] for c in client.conversations()] == [second, first]
    listed = [b.key for b in at.sidebar.button if (b.key or "").startswith("conv-") and b.key[5:] in (first, second)]
    assert listed == [f"conv-{second}", f"conv-{first}"]

    at.button(key=f"conv-{first}").click().run()
    assert at.session_state["conv_id"] == first and at.query_params["c"] == first
    assert [m["role"] for m in at.session_state["messages"]] == ["user", "assistant"]
    assert "4.5" in at.session_state["messages"][1]["response"]["answer"]
    assert at.download_button(key="conv-dl-md") is not None and at.download_button(key="conv-dl-docx") is not None

    at.text_input(key=f"conv-title-{first}").set_value("托位目标").run()
    at.button(key="conv-rename").click().run()
    assert client.conversation(first)["title"] == "托位目标"
    at.button(key="conv-delete").click().run()
    at.button(key="conv-delete-yes").click().run()
    assert at.session_state["conv_id"] is None and [c["conversation_id"] for c in client.conversations()] == [second]

    stranger = AppTest.from_file(str(APP), default_timeout=60)
    stranger.query_params["page"] = "ask"
    stranger.query_params["c"] = second
    stranger.run()
    assert stranger.session_state["conv_id"] is None and stranger.session_state["messages"] == []
    assert any("不存在或已被删除" in w.value for w in stranger.warning)


def test_not_found_cards_cannot_be_cited(stack, monkeypatch):
    """可能相关 cards of a not-found answer: muted, no highlight, no cite string, no 加入引文篮 /
    复制引文; only 查看原文 (AppTest, no browser)."""
    from streamlit.testing.v1 import AppTest

    from tests.ui.conftest import APP, NOT_FOUND_QUESTION

    api, _ = stack
    monkeypatch.setenv("PQA_API_URL", api.url)
    at = AppTest.from_file(str(APP), default_timeout=60).run()
    at.chat_input[0].set_value(NOT_FOUND_QUESTION).run()
    response = at.session_state["messages"][-1]["response"]
    assert response["found"] is False and response["citations"], "the seed corpus has near clauses for it"
    for n in range(1, len(response["citations"]) + 1):
        card = at.container(f"cite-1-{n}")
        text = "\n".join(m.value for m in card.markdown)
        assert "可能相关" in text and "<mark>" not in text and not card.code
        assert [b.label for b in card.button] == ["查看原文"]
    assert not [b for b in at.button if (b.key or "").startswith("add-")]


@needs_chromium
def test_api_killed_and_restarted_while_the_page_is_open(stack, browser):
    """Last: the API dies under an open conversation; the page says so in Chinese, keeps the
    conversation, and answers the next question once the API is back, without a page change."""
    from playwright.sync_api import expect

    api, ui_url = stack
    context, page = new_page(browser, ui_url)
    try:
        ask(page, EXAMPLE_QUESTION, 1)
        url = page.url
        api.kill()
        banner = page.get_by_text(BANNER)
        expect(banner).to_be_visible(timeout=30_000)  # noticed by the page's own health check
        expect(assistant_messages(page).nth(0)).to_contain_text("4.5")
        expect(page.get_by_test_id("stChatInputTextArea")).to_be_disabled()
        assert not page.get_by_text("is not responding").count()

        api.start()
        expect(banner).to_have_count(0, timeout=30_000)
        ask(page, "那平坝区呢？", 2)
        expect(assistant_messages(page).nth(0)).to_contain_text("4.5")
        expect(assistant_messages(page).nth(1).get_by_text(re.compile("^按「.+」理解$"))).to_be_visible()
        assert page.url == url
    finally:
        context.close()
