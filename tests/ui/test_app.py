"""The Streamlit app under ``AppTest``, against a real assistant server over the seed index."""
from __future__ import annotations

import io
from urllib.parse import quote

import httpx
import pytest
import streamlit.testing.v1.app_test as app_test_module
from docx import Document
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
from streamlit.testing.v1 import AppTest

from tests.ui.conftest import APP, EXAMPLE_QUESTION, NOT_FOUND_QUESTION, REPO
from ui.reports import can_chart as reports_can_chart

TIMEOUT_S = 60


class RecordingStorage(MemoryMediaFileStorage):
    """AppTest's media storage, kept so a test can read what a download button serves."""

    instances: list["RecordingStorage"] = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        RecordingStorage.instances.append(self)


def download_bytes(button) -> bytes:
    name = button.proto.url.rsplit("/", 1)[-1]
    for storage in reversed(RecordingStorage.instances):
        try:
            return bytes(storage.get_file(name).content)
        except Exception:  # noqa: BLE001 - not in this storage
            continue
    raise AssertionError(f"no stored file for {button.proto.url}")


@pytest.fixture
def app(api_url, monkeypatch, tmp_path):
    monkeypatch.setenv("PQA_API_URL", api_url)
    monkeypatch.delenv("PQA_API_KEY", raising=False)
    monkeypatch.setenv("PQA_REPORTS_DIR", str(tmp_path / "reports"))
    monkeypatch.setattr(app_test_module, "MemoryMediaFileStorage", RecordingStorage)
    RecordingStorage.instances.clear()
    return AppTest.from_file(str(APP), default_timeout=TIMEOUT_S)


def ask(at: AppTest, question: str) -> AppTest:
    at.chat_input[0].set_value(question).run()
    assert not at.exception, at.exception
    return at


def markdown_text(block) -> str:
    return "\n".join(m.value for m in block.markdown)


def test_example_question_answers_4_5_with_citation_cards(app):
    at = app.run()
    assert not at.exception and not at.error
    ask(at, EXAMPLE_QUESTION)
    response = at.session_state["messages"][-1]["response"]
    assert response["found"] is True
    answer = at.chat_message[-1].markdown[0].value
    assert "4.5" in answer and "<sup><b>[1]</b></sup>" in answer
    # the answer says how sure it is, as the service reported it
    assert any(f"置信度 {response['confidence']:.0%}" in c.value for c in at.chat_message[-1].caption)
    card = at.container("cite-1-1")
    text = markdown_text(card).replace("\\", "")
    first = response["citations"][0]
    assert first["doc_title"] in text and "<mark>" in text and "4.5" in text
    assert card.code[0].value == first["cite"]
    assert any(b.key == "add-1-1" for b in card.button) and any(b.key == "open-1-1" for b in card.button)
    assert "?page=documents&clause=" in text
    # the conversation stays in the session: a rerun shows the same answer
    at.run()
    assert "4.5" in at.chat_message[1].markdown[0].value


def test_not_found_question_says_so_and_greys_nearest_clauses(app):
    at = ask(app.run(), NOT_FOUND_QUESTION)
    response = at.session_state["messages"][-1]["response"]
    assert response["found"] is False
    assert len(at.warning) == 1 and "未在语料中找到" in at.warning[0].value
    if response["citations"]:
        assert "可能相关" in markdown_text(at.container("cite-1-1"))


def test_sidebar_filters_restrict_the_answer_to_chosen_documents(app):
    at = app.run()
    at.sidebar.multiselect(key="f_docs").set_value(["002"]).run()
    at.sidebar.checkbox(key="f_use_years").check().run()
    assert at.sidebar.slider(key="f_years").value[0] <= 2021
    ask(at, EXAMPLE_QUESTION)
    response = at.session_state["messages"][-1]["response"]
    assert response["citations"] and {c["doc_id"] for c in response["citations"]} == {"002"}


def test_service_down_shows_one_message_with_the_url(app, dead_url, monkeypatch):
    monkeypatch.setenv("PQA_API_URL", dead_url)
    at = app.run()
    assert not at.exception
    assert len(at.error) == 1 and dead_url in at.error[0].value
    at2 = AppTest.from_file(str(APP), default_timeout=TIMEOUT_S)
    at2.query_params["page"] = "documents"
    at2.run()
    assert not at2.exception and len(at2.error) == 1 and dead_url in at2.error[0].value


def test_basket_reorder_and_export_docx_and_markdown(app):
    at = ask(app.run(), EXAMPLE_QUESTION)
    citations = at.session_state["messages"][-1]["response"]["citations"]
    assert len(citations) >= 2
    at.button(key="add-1-1").click().run()
    at.button(key="add-1-2").click().run()
    assert at.button(key="add-1-1").disabled  # already in the basket
    at.sidebar.radio(key="page").set_value("basket").run()
    assert not at.exception and at.query_params.get("page") == "basket"
    assert [i["clause_id"] for i in at.session_state["basket"]] == [c["clause_id"] for c in citations[:2]]
    at.button(key="down-0").click().run()
    assert [i["clause_id"] for i in at.session_state["basket"]] == [citations[1]["clause_id"], citations[0]["clause_id"]]

    data = download_bytes(at.download_button(key="dl-docx"))
    doc = Document(io.BytesIO(data))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert citations[0]["quote"] in text and citations[0]["cite"] in text
    assert text.index(citations[1]["cite"]) < text.index(citations[0]["cite"])
    md = download_bytes(at.download_button(key="dl-md")).decode("utf-8")
    assert f"> {citations[0]['quote']}" in md

    at.button(key="rm-0").click().run()
    assert [i["clause_id"] for i in at.session_state["basket"]] == [citations[0]["clause_id"]]


def test_clause_deep_link_shows_it_in_context(app, api_url):
    cid = httpx.post(api_url + "/ask", json={"question": EXAMPLE_QUESTION}).json()["citations"][0]["clause_id"]
    info = httpx.get(api_url + "/clauses/" + quote(cid, safe="")).json()
    app.query_params["page"] = "documents"
    app.query_params["clause"] = cid
    at = app.run()
    assert not at.exception and not at.error
    focus = at.container("clause-focus")
    assert info["clause"]["text"][:20] in markdown_text(focus).replace("\\", "")
    assert focus.code[0].value == info["clause"]["cite"]
    # back to the document: its clause tree, and the URL follows
    at.button(key="back-to-doc").click().run()
    assert not at.exception and at.query_params.get("doc") == info["clause"]["doc_id"]
    assert "clause" not in at.query_params
    assert any(s.key and s.key.startswith("tree-pick-") for s in at.selectbox)


def test_answer_card_opens_the_clause_in_the_same_session(app):
    at = ask(app.run(), EXAMPLE_QUESTION)
    first = at.session_state["messages"][-1]["response"]["citations"][0]
    at.button(key="open-1-1").click().run()
    assert not at.exception
    assert at.query_params.get("page") == "documents" and at.query_params.get("clause") == first["clause_id"]
    assert "<mark>" in markdown_text(at.container("clause-focus"))
    at.sidebar.radio(key="page").set_value("ask").run()
    assert "4.5" in at.chat_message[1].markdown[0].value  # conversation kept


def test_documents_page_lists_documents(app, api_url):
    docs = httpx.get(api_url + "/documents").json()
    docs = docs["documents"] if isinstance(docs, dict) else docs
    app.query_params["page"] = "documents"
    at = app.run()
    assert not at.exception and not at.error
    assert len([b for b in at.button if (b.key or "").startswith("doc-open-")]) == len(docs)


def test_documents_page_filters_the_list(app, api_url):
    docs = httpx.get(api_url + "/documents").json()["documents"]
    assert len(docs) > 1
    word = docs[-1]["title"]  # a whole title: that document alone
    expected = [d for d in docs if word in d["title"]]
    app.query_params["page"] = "documents"
    at = app.run()
    at.text_input(key="doc-filter").set_value(word).run()
    assert not at.exception and not at.error
    assert len([b for b in at.button if (b.key or "").startswith("doc-open-")]) == len(expected)
    assert any(f"共 {len(docs)} 个文件，符合筛选条件的 {len(expected)} 个" in c.value for c in at.caption)
    assert word in markdown_text(at.main)
    at.text_input(key="doc-filter").set_value("没有这样的文件标题").run()
    assert not [b for b in at.button if (b.key or "").startswith("doc-open-")]
    assert any("没有符合筛选条件的文件" in i.value for i in at.info)


def test_evals_page_runs_a_project_suite_on_the_service(app, tmp_path, monkeypatch):
    # six seed questions accepted as feedback: the feedback suite, read from PQA_DATA_DIR by the run
    data = tmp_path / "data"
    data.mkdir()
    lines = (REPO / "evals" / "dev.jsonl").read_text(encoding="utf-8").splitlines()
    (data / "feedback-evals.jsonl").write_text("\n".join(lines[:6]) + "\n", encoding="utf-8")
    monkeypatch.setenv("PQA_DATA_DIR", str(data))
    app.query_params["page"] = "evals"
    at = app.run()
    assert not at.exception
    if at.button(key="run-evals").disabled:
        pytest.skip("evals is not available: " + " ".join(i.value for i in at.info))
    assert any("尚无评测报告" in i.value for i in at.info)
    assert not at.text_input  # no path to type: only the project's suites
    assert len(at.selectbox(key="eval-suite").options) == 4 and any("seeds-dev" in o for o in at.selectbox(key="eval-suite").options)
    at.selectbox(key="eval-suite").set_value("feedback")
    at.button(key="run-evals").click().run(timeout=180)
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert any("评测完成" in s.value for s in at.success)
    assert {m.label for m in at.metric} >= {"hit@1", "MRR@10"}
    assert at.dataframe[0].value.iloc[0]["n"] == 6
    # the run left a report in PQA_REPORTS_DIR/latest, shown below (charts when matplotlib is there)
    assert any((tmp_path / "reports" / "latest").rglob("metrics.json")) or not reports_can_chart()


def test_evals_page_needs_the_api_key_when_one_is_set(app, monkeypatch):
    monkeypatch.setenv("PQA_API_KEY", "evals-key-1")
    app.query_params["page"] = "evals"
    at = app.run()
    assert not at.exception
    assert at.button(key="run-evals").disabled
    at.text_input(key="eval-key").set_value("wrong").run()
    assert at.button(key="run-evals").disabled and any("不正确" in e.value for e in at.error)
    at.text_input(key="eval-key").set_value("evals-key-1").run()
    assert not at.button(key="run-evals").disabled or any("不可用" in i.value for i in at.info)
