"""The Documents and Evals pages in a real browser (headless Debian Chromium through Playwright)
against a real ``python -m assistant serve`` over the seed index, its workspace in a tmp data folder:

* Documents: the metadata read from the documents (文号, 发文机关, 成文日期) shown, nothing running off
  to the right, a long plan's clauses as collapsible chapters, a deep link opening its clause;
* pick mode (``?pick=<feedback id>``): "设为正确条款" records the clause on the feedback;
* Evals: a 👎 with its correct clause becomes a draft eval question, a bad edit is refused with the
  service's reason, the accepted one lands in ``feedback-evals.jsonl`` and loads with the eval loader;
  a run of the feedback set reports its progress and shows its metrics once.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from urllib.parse import urlencode

import httpx
import pytest

from evals.dataset import load_eval_set
from tests.ui.conftest import EXAMPLE_QUESTION, REPO, free_port, stop_process, wait_http
from tests.ui.test_browser import CHROMIUM, CHROMIUM_ARGS, needs_chromium
from ui import reports

WAIT_MS = 60_000
USER = "pages-test-user-1"  # the browser's pqa_uid cookie and the X-PQA-User of the API calls
EVIDENCE = "每千人口拥有3岁以下婴幼儿托位数4.5个"
DEEP_CLAUSE = "002/第三章/第二节/（三）"  # 坚持中西医并重, in the 230-clause plan 002


@pytest.fixture(scope="module")
def stack(ui_index_dir, tmp_path_factory):
    """(api_url, ui_url, data_dir): the API with its own data folder, and the Streamlit UI on it."""
    root = tmp_path_factory.mktemp("pages")
    data = root / "data"
    # the Evals page's runs write their reports under the tmp folder, not var/reports
    env = dict(os.environ, PQA_INDEX_DIR=str(ui_index_dir), PQA_DATA_DIR=str(data),
               PQA_REPORTS_DIR=str(root / "reports"))
    env.pop("PQA_API_KEY", None)
    api_port, ui_port = free_port(), free_port()
    with open(root / "api.log", "wb") as fh:
        api = subprocess.Popen(
            [sys.executable, "-m", "assistant", "serve", "--host", "127.0.0.1", "--port", str(api_port)],
            cwd=REPO, env=env, stdout=fh, stderr=subprocess.STDOUT, start_new_session=True)
    api_url, ui_url = f"http://127.0.0.1:{api_port}", f"http://127.0.0.1:{ui_port}"
    ui = None
    try:
        wait_http(api_url + "/health", api, 180, root / "api.log")
        ui_env = dict(env, PQA_API_URL=api_url)
        with open(root / "ui.log", "wb") as fh:
            ui = subprocess.Popen(
                [sys.executable, "-m", "streamlit", "run", str(REPO / "ui" / "app.py"), "--server.address",
                 "127.0.0.1", "--server.port", str(ui_port), "--server.headless", "true",
                 "--browser.gatherUsageStats", "false"],
                cwd=REPO, env=ui_env, stdout=fh, stderr=subprocess.STDOUT, start_new_session=True)
        wait_http(ui_url + "/_stcore/health", ui, 60, root / "ui.log")
        yield api_url, ui_url, data
    finally:
        if ui is not None:
            stop_process(ui)
        stop_process(api)


@pytest.fixture
def browser_page(stack):
    """A fresh Chromium page whose pqa_uid cookie is ``USER``."""
    from playwright.sync_api import sync_playwright

    _api, ui_url, _data = stack
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 1100, "height": 1400}, locale="zh-CN")
            context.add_cookies([{"name": "pqa_uid", "value": USER, "url": ui_url}])
            yield context.new_page()
        finally:
            browser.close()


def clause_of(api_url: str, words: str) -> str:
    """The id of the clause the example question's answer quotes ``words`` from."""
    citations = httpx.post(api_url + "/ask", json={"question": EXAMPLE_QUESTION}, timeout=60).json()["citations"]
    return next(c["clause_id"] for c in citations if words in c["text"])


def post_feedback(api_url: str, **fields) -> str:
    body = {"rating": "down", "question": EXAMPLE_QUESTION, "answer": "（答错了）", **fields}
    r = httpx.post(api_url + "/feedback", json=body, headers={"X-PQA-User": USER}, timeout=30)
    assert r.status_code == 201, r.text
    return r.json()["feedback_id"]


def feedback_by_id(api_url: str, feedback_id: str) -> dict:
    items = httpx.get(api_url + "/feedback", timeout=30).json()["feedback"]
    return next(f for f in items if f["feedback_id"] == feedback_id)


def no_overflow(page) -> None:
    """Nothing wider than the window: the page does not scroll sideways."""
    width = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert width[0] <= width[1], f"page scrolls sideways: {width}"


@needs_chromium
def test_documents_page_metadata_collapsible_tree_and_deep_link(stack, browser_page):
    from playwright.sync_api import expect

    _api, ui_url, _data = stack
    page = browser_page
    page.goto(ui_url + "/?page=documents", wait_until="domcontentloaded")
    cards = page.locator("[class*='st-key-doc-card-']")
    cards.first.wait_for(timeout=WAIT_MS)
    plan = cards.filter(has_text="安顺市平坝区“十四五”卫生健康事业发展规划")
    # what the text states: the plan's issuer and month under its title; the notice's 文号
    expect(plan).to_contain_text("发文机关：安顺市平坝区卫生健康局")
    expect(plan).to_contain_text("成文日期：2022年4月")
    expect(plan).to_contain_text("文号：文中未载明")
    expect(cards.filter(has_text="八大工程")).to_contain_text("文号：黔府办函〔2019〕12号")
    no_overflow(page)

    plan.get_by_role("button", name="查看条款").click()
    meta = page.locator(".st-key-doc-meta")
    expect(meta).to_contain_text("安顺市平坝区卫生健康局", timeout=WAIT_MS)
    expect(page.get_by_text("条款（230）")).to_be_visible()
    # one collapsible section per chapter, closed, with its clauses not even rendered yet
    chapters = page.get_by_test_id("stExpander")
    expect(chapters).to_have_count(6)  # 前言 and 第一章 … 第五章
    chapter3 = chapters.filter(has_text="第三章 规划总则")
    row = page.get_by_role("button", name="第一节 指导思想")
    expect(row).to_have_count(0)
    chapter3.locator("summary").click()
    expect(row).to_be_visible(timeout=WAIT_MS)
    # children are indented under their heading
    head_box = page.get_by_role("button", name="第三章 规划总则").bounding_box()
    child_box = page.get_by_role("button", name="第一节 指导思想").bounding_box()
    assert child_box["x"] > head_box["x"] + 10
    chapter3.locator("summary").click()
    expect(row).to_have_count(0, timeout=WAIT_MS)
    no_overflow(page)

    # a deep link opens the clause in context, and its chapter in the tree with the clause marked
    page.goto(ui_url + "/?" + urlencode({"page": "documents", "clause": DEEP_CLAUSE}), wait_until="domcontentloaded")
    focus = page.locator(".st-key-clause-focus")
    expect(focus).to_contain_text("坚持中西医并重", timeout=WAIT_MS)
    expect(focus).to_contain_text("出处：《安顺市平坝区“十四五”卫生健康事业发展规划》")
    expect(page.get_by_role("button", name="▶ （三） 坚持中西医并重", exact=False)).to_be_visible(timeout=WAIT_MS)
    expect(page.get_by_role("button", name="第一节 指导思想")).to_be_visible()
    expect(page.get_by_role("button", name="第一节 “十三五”时期的主要成就")).to_have_count(0)  # other chapters stay closed
    no_overflow(page)


@needs_chromium
def test_pick_mode_records_the_correct_clause(stack, browser_page):
    from playwright.sync_api import expect

    api_url, ui_url, _data = stack
    feedback_id = post_feedback(api_url, reason="引用错误")
    page = browser_page
    page.goto(ui_url + "/?" + urlencode({"page": "documents", "clause": DEEP_CLAUSE, "pick": feedback_id}),
              wait_until="domcontentloaded")
    expect(page.locator(".st-key-pick-banner")).to_contain_text(f"正在为反馈 {feedback_id} 选择正确条款", timeout=WAIT_MS)
    pick_focus = page.locator(".st-key-clause-focus").get_by_role("button", name="设为正确条款")
    expect(pick_focus).to_be_visible(timeout=WAIT_MS)
    # every clause shown can be picked: the focus, its parent and neighbours, and the open chapter's rows
    expect(page.get_by_role("button", name="▶ （三） 坚持中西医并重", exact=False)).to_be_visible(timeout=WAIT_MS)
    assert page.get_by_role("button", name="设为正确条款").count() >= 30
    pick_focus.click()
    expect(page.locator(".st-key-pick-banner")).to_contain_text(f"已将条款 {DEEP_CLAUSE} 设为反馈 {feedback_id} 的正确条款",
                                                               timeout=WAIT_MS)
    assert feedback_by_id(api_url, feedback_id)["correct_clause_id"] == DEEP_CLAUSE
    expect(page.locator(".st-key-clause-focus").get_by_role("button", name="已设为正确条款")).to_be_disabled()


@needs_chromium
def test_a_thumbs_down_with_its_clause_becomes_an_accepted_eval_question(stack, browser_page):
    from playwright.sync_api import expect

    api_url, ui_url, data = stack
    clause_id = clause_of(api_url, EVIDENCE)
    feedback_id = post_feedback(api_url, reason="数字不对", correct_clause_id=clause_id, comment="应为4.5个")
    page = browser_page
    page.goto(ui_url + "/?page=evals", wait_until="domcontentloaded")
    card = page.locator("[class*='st-key-fb-card-']").filter(has_text=f"#{feedback_id}")
    expect(card).to_contain_text(f"正确条款：{clause_id}", timeout=WAIT_MS)
    expect(card).to_contain_text("数字不对")
    card.get_by_role("button", name="生成评测题").click()
    form = page.locator("[data-testid='stForm']").filter(has_text=f"fb-{feedback_id}")
    expect(form).to_be_visible(timeout=WAIT_MS)
    expect(form.get_by_label("问题")).to_have_value(EXAMPLE_QUESTION)

    # the reviewer's evidence, and first an answer key that is not in it: the service refuses
    form.get_by_role("textbox", name="证据（").fill(EVIDENCE)
    form.get_by_label("答案要点", exact=False).fill("9.9")
    form.get_by_role("button", name="接受").click()
    expect(page.get_by_text("未接受：", exact=False)).to_be_visible(timeout=WAIT_MS)
    evals_file = data / "feedback-evals.jsonl"
    assert not evals_file.exists() or not evals_file.read_text(encoding="utf-8").strip()
    assert feedback_by_id(api_url, feedback_id)["status"] == "new"

    form.get_by_label("答案要点", exact=False).fill("4.5")
    form.get_by_role("button", name="接受").click()
    expect(page.get_by_text(f"已接受：评测题 fb-{feedback_id}", exact=False)).to_be_visible(timeout=WAIT_MS)
    lines = [json.loads(x) for x in evals_file.read_text(encoding="utf-8").splitlines() if x.strip()]
    assert [(x["id"], x["question"], x["answer"]) for x in lines] == [(f"fb-{feedback_id}", EXAMPLE_QUESTION, "4.5")]
    assert lines[0]["gold"] == [{"doc_id": clause_id.split("/")[0], "clause_id": clause_id, "evidence": EVIDENCE}]
    (question,) = load_eval_set(evals_file, REPO / "corpus")
    assert question.id == f"fb-{feedback_id}" and question.answer_keys == ("4.5",)
    assert feedback_by_id(api_url, feedback_id)["status"] == "accepted"
    expect(card).to_contain_text("已接受", timeout=WAIT_MS)
    expect(card.get_by_role("button", name="生成评测题")).to_have_count(0)


def test_a_run_of_the_feedback_set_reports_progress_and_shows_its_metrics_once(stack, browser_page, monkeypatch):
    from playwright.sync_api import expect

    api_url, ui_url, data = stack
    feedback_id = post_feedback(api_url, reason="数字不对", correct_clause_id=clause_of(api_url, EVIDENCE))
    candidate = httpx.get(f"{api_url}/feedback/{feedback_id}/candidate", timeout=30).json()["candidate"]
    candidate["gold"][0]["evidence"], candidate["answer"] = EVIDENCE, "4.5"
    assert httpx.post(f"{api_url}/feedback/{feedback_id}/accept", json={"candidate": candidate}, timeout=30).status_code == 200
    n = len(load_eval_set(data / "feedback-evals.jsonl", REPO / "corpus"))

    # the runner's progress lines reach the caller while it runs (the page's progress bar)
    monkeypatch.setenv("PQA_DATA_DIR", str(data))
    monkeypatch.setenv("PQA_REPORTS_DIR", str(data.parent / "reports"))
    seen: list[reports.Progress] = []
    outcome = reports.run_evals(api_url, extra_args=["--suite", "feedback"], on_progress=seen.append)
    assert outcome.ok, outcome.error
    assert seen and {p.total for p in seen} == {n} and seen[-1].done <= n
    assert outcome.data["feedback"]["overall"]["n"] == n and outcome.data["feedback"]["overall"]["hit@5"] == 1.0

    page = browser_page
    page.goto(ui_url + "/?page=evals", wait_until="domcontentloaded")
    page.get_by_role("combobox", name="评测集", exact=True).click(timeout=WAIT_MS)
    page.get_by_role("option", name="用户反馈 feedback", exact=False).click()
    page.get_by_role("button", name="用当前服务运行评测").click()
    expect(page.get_by_text("评测完成", exact=False)).to_be_visible(timeout=120_000)
    metrics = page.locator(".st-key-eval-metrics")
    expect(metrics.get_by_test_id("stMetric").filter(has_text="hit@1")).to_have_count(1)
    # shown once: the saved report of this very run adds charts and text, not the same figures again
    expect(page.get_by_test_id("stMetric").filter(has_text="hit@1")).to_have_count(1)
    expect(page.get_by_test_id("stMetric").filter(has_text="答案准确率")).to_have_count(1)
