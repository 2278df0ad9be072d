"""The 文档库 page against a real ``python -m assistant serve`` with its own small corpus, index and
data folder (one seed document, so the start-up build embeds nothing: the vectors come from the
session's seed embedding cache). Uploads go through the page's upload function and through the
page itself (``AppTest`` drives ``st.file_uploader``)."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from streamlit.testing.v1 import AppTest

from tests.ui.conftest import APP, REPO, free_port, stop_process, wait_http
from ui.api import ApiClient, ServiceError
from ui.uploads import problem_message, submit_upload

TIMEOUT_S = 30
SEED_FILE = "003_f5b1b6779f8b2705.txt"
WENZHOU = """# 温州市控烟管理办法

第一条 为保护公民健康，创造无烟环境，根据国家有关规定，制定本办法。

第五条 影剧院、体育馆、图书馆、候车室等室内场所和公交车辆内不得吸烟。

第十二条 在不得吸烟的场所吸烟，经劝阻仍不改正的，由市卫生健康部门处五十元罚款。
"""
JIAXING = """# 嘉兴市养犬管理规定

第一条 为了规范养犬行为，保障公民健康和人身安全，制定本规定。

第九条 携犬出户的，应当为犬只束犬链，犬链长度不得超过一点五米。

第二十条 违反本规定第九条的，由公安机关责令改正，可以处五十元以上二百元以下罚款。
"""


@pytest.fixture(scope="module")
def library_url(tmp_path_factory: pytest.TempPathFactory, seed_cache_dir: Path):
    """A real service with the document library over a one-document corpus; yields its URL."""
    from indexer.index import build_index
    from indexer.settings import Settings
    from tests.conftest import copy_cache

    root = tmp_path_factory.mktemp("ui-library")
    corpus = root / "corpus"
    corpus.mkdir()
    shutil.copyfile(REPO / "corpus" / SEED_FILE, corpus / SEED_FILE)
    (corpus / "manifest.toml").write_text(
        f'["{SEED_FILE}"]\nid = "003"\ntitle = "贵州省进一步完善医疗卫生服务体系的实施方案（征求意见稿）"\n'
        'jurisdiction = "贵州省"\n', encoding="utf-8")
    cache = copy_cache(seed_cache_dir, root / "cache")
    build_index(Settings(corpus_dir=corpus, index_dir=root / "index", cache_dir=cache), show_progress=False)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PQA_")}
    env.update(PQA_CORPUS_DIR=str(corpus), PQA_CACHE_DIR=str(cache), PQA_DATA_DIR=str(root / "data"),
               PQA_INDEX_DIR=str(root / "index"), PYTHONUNBUFFERED="1")
    port = free_port()
    log = root / "api.log"
    with open(log, "wb") as fh:
        proc = subprocess.Popen(
            [sys.executable, "-m", "assistant", "serve", "--host", "127.0.0.1", "--port", str(port),
             "--index", str(root / "index"), "--log-level", "warning"],
            cwd=REPO, env=env, stdout=fh, stderr=subprocess.STDOUT, start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_http(url + "/health", proc, 60, log)
        yield url
    finally:
        stop_process(proc)


@pytest.fixture
def page(library_url, monkeypatch):
    """The app on the 文档库 page, against the library service."""
    monkeypatch.setenv("PQA_API_URL", library_url)
    monkeypatch.delenv("PQA_API_KEY", raising=False)
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT_S)
    at.query_params["page"] = "library"
    return at


def wait_ready(client: ApiClient, doc_id: str, timeout: float = 15.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = client.document_status(doc_id)
        if status["status"] in ("ready", "failed"):
            return status
        time.sleep(0.1)
    raise AssertionError(f"{doc_id} not indexed after {timeout}s: {status}")


def row_text(at: AppTest, doc_id: str) -> str:
    return "\n".join(m.value for m in at.container(f"lib-doc-{doc_id}").markdown)


def refresh_until(at: AppTest, doc_id: str, words: str, timeout: float = 15.0) -> AppTest:
    """Click 刷新 until the document's row says ``words``."""
    deadline = time.monotonic() + timeout
    while True:
        at.button(key="lib-refresh").click().run()
        assert not at.exception, at.exception
        if words in row_text(at, doc_id):
            return at
        if time.monotonic() > deadline:
            raise AssertionError(f"{doc_id} never showed {words!r}: {row_text(at, doc_id)!r}")
        time.sleep(0.2)


def texts(elements) -> list[str]:
    return [e.value for e in elements]


def test_upload_function_against_the_service(library_url):
    client = ApiClient(library_url, api_key=None)
    meta = {"title": "温州市控烟管理办法", "doc_number": "温政发〔2021〕3号", "issuer": "", "status": "现行有效"}
    outcome = submit_upload(client, "温州.md", WENZHOU.encode(), meta)
    assert outcome.ok and outcome.doc_id and outcome.message == f"已排队：文档 {outcome.doc_id}"
    assert wait_ready(client, outcome.doc_id)["status"] == "ready"
    doc = client.document(outcome.doc_id)
    assert doc["doc_number"] == "温政发〔2021〕3号" and doc["status"] == "现行有效"

    again = submit_upload(client, "副本.md", WENZHOU.encode())
    assert not again.ok and again.existing_id == outcome.doc_id
    assert again.message == f"已存在相同文件：文档 {outcome.doc_id}"

    # the original as uploaded, through the client and at the link the page shows
    data, name = client.original(outcome.doc_id)
    assert data == WENZHOU.encode() and name == "温州.md"
    assert httpx.get(client.original_url(outcome.doc_id), timeout=10).content == WENZHOU.encode()

    # refusals in Chinese: checked before sending, and the service's own answers
    refused = submit_upload(client, "notes.pages", b"x")
    assert not refused.ok and refused.doc_id is None and "不支持的文件类型 .pages" in refused.message
    assert submit_upload(client, "empty.md", b"").message == "文件是空的"
    for name, data, words in [("a.pages", b"x", "不支持的文件类型"), ("empty.md", b"", "文件是空的")]:
        with pytest.raises(ServiceError) as info:
            client.upload_document(name, data)
        assert words in problem_message(info.value)
    with pytest.raises(ServiceError) as info:
        client.delete_document("003")  # a document of the corpus folder
    assert "语料文件夹" in problem_message(info.value, doc_id="003")


def test_library_page_upload_status_duplicate_replace_and_delete(page, library_url):
    at = page.run()
    assert not at.exception and not at.error, texts(at.error)
    assert at.title[0].value == "文档库"
    assert at.button(key="lib-upload").disabled  # nothing chosen yet

    # upload through the page, with metadata
    uploader = at.file_uploader[0]
    assert set(uploader.allowed_type) >= {".pdf", ".docx", ".html", ".htm", ".xlsx", ".csv", ".txt", ".md"}
    uploader.set_value(("嘉兴市养犬管理规定.md", JIAXING.encode(), "text/markdown"))
    at.run()
    at.text_input(key="lib-meta-doc_number").set_value("嘉政发〔2022〕7号")
    at.text_input(key="lib-meta-jurisdiction").set_value("嘉兴市")
    at.button(key="lib-upload").click().run()
    assert not at.exception and not at.error, texts(at.error)
    success = texts(at.success)
    assert len(success) == 1 and "已排队：文档 u" in success[0], success
    doc_id = success[0].rsplit(" ", 1)[-1]
    assert at.session_state["lib_docs"][doc_id]["meta"] == {"doc_number": "嘉政发〔2022〕7号", "jurisdiction": "嘉兴市"}
    assert at.text_input(key="lib-meta-doc_number").value == ""  # the form is clear for the next batch
    assert not at.file_uploader[0].value

    refresh_until(at, doc_id, "可用")
    assert "嘉兴市养犬管理规定" in row_text(at, doc_id)
    meta = httpx.get(f"{library_url}/documents/{doc_id}").json()
    assert meta["doc_number"] == "嘉政发〔2022〕7号" and meta["jurisdiction"] == "嘉兴市"
    row = at.container(f"lib-doc-{doc_id}")
    assert f"{library_url}/documents/{doc_id}/original" in "\n".join(texts(row.markdown))
    assert any(b.key == f"lib-dl-{doc_id}" for b in row.get("download_button"))

    # the same file again: the existing document is named
    at.file_uploader[0].set_value(("副本.md", JIAXING.encode(), "text/markdown"))
    at.run()
    at.button(key="lib-upload").click().run()
    assert not at.exception
    assert texts(at.warning) == [f"副本.md：已存在相同文件：文档 {doc_id}"]

    # replace: a new version, the metadata given at upload kept
    new = JIAXING.replace("二百元", "五百元")
    at.file_uploader(key=f"lib-rep-file-{doc_id}-0").set_value(("嘉兴市养犬管理规定.md", new.encode(), "text/markdown"))
    at.run()
    at.button(key=f"lib-rep-{doc_id}").click().run()
    assert not at.exception and texts(at.success) == [f"嘉兴市养犬管理规定.md：新版本已排队：文档 {doc_id}"]
    refresh_until(at, doc_id, "可用")
    assert httpx.get(f"{library_url}/documents/{doc_id}/original").content == new.encode()
    assert httpx.get(f"{library_url}/documents/{doc_id}").json()["doc_number"] == "嘉政发〔2022〕7号"

    # edit the metadata alone: no new file, the index follows
    at.text_input(key=f"lib-edit-{doc_id}-status").set_value("征求意见稿")
    at.text_input(key=f"lib-edit-{doc_id}-period").set_value("2022—2025年")
    at.button(key=f"lib-edit-save-{doc_id}").click().run()
    assert not at.exception and f"文档 {doc_id}：元数据已提交，正在更新索引" in texts(at.success)
    refresh_until(at, doc_id, "可用")
    meta = httpx.get(f"{library_url}/documents/{doc_id}").json()
    assert (meta["status"], meta["years"], meta["doc_number"]) == ("征求意见稿", [2022, 2025], "嘉政发〔2022〕7号")

    # delete needs a second click: 删除 asks, 取消 backs out, 确认删除 deletes
    at.button(key=f"lib-del-{doc_id}").click().run()
    assert any(f"确定删除文档 {doc_id}" in w for w in texts(at.warning))
    at.button(key=f"lib-del-no-{doc_id}").click().run()
    assert not any(b.key == f"lib-del-yes-{doc_id}" for b in at.button)
    assert httpx.get(f"{library_url}/documents/{doc_id}").status_code == 200
    at.button(key=f"lib-del-{doc_id}").click().run()
    at.button(key=f"lib-del-yes-{doc_id}").click().run()
    assert not at.exception and f"文档 {doc_id}：删除已排队" in texts(at.success)
    refresh_until(at, doc_id, "已删除")
    assert httpx.get(f"{library_url}/documents/{doc_id}").status_code == 404
    at.button(key=f"lib-forget-{doc_id}").click().run()
    assert doc_id not in at.session_state["lib_docs"]


def test_a_new_session_lists_the_uploaded_documents(page, library_url):
    client = ApiClient(library_url, api_key=None)
    outcome = submit_upload(client, "seen.md", "# 舟山市海岛保护办法\n\n第一条 为保护海岛生态，制定本办法。\n".encode())
    assert outcome.ok
    wait_ready(client, outcome.doc_id)
    at = page.run()
    assert not at.exception and not at.error
    assert "可用" in row_text(at, outcome.doc_id)
    assert "003" not in at.session_state["lib_docs"]  # documents of the corpus folder are not the library's


def test_library_page_when_the_service_is_down(dead_url, monkeypatch):
    monkeypatch.setenv("PQA_API_URL", dead_url)
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT_S)
    at.query_params["page"] = "library"
    at.run()
    assert not at.exception
    assert len(at.error) == 1 and "无法连接问答服务" in at.error[0].value and dead_url in at.error[0].value
    assert not at.file_uploader
