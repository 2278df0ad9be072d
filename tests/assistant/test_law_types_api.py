"""The type-of-law filter and the type in GET /documents, over the general eval corpus (real index,
real uvicorn): seeds (规范性文件) beside drawn laws, administrative and local regulations."""
from __future__ import annotations

import httpx
import pytest

from indexer.settings import Settings

from .conftest import ThreadedServer, free_port

Q = "违反规定的罚款多少"


@pytest.fixture(scope="module")
def api(general_build, tmp_path_factory):
    from assistant import Assistant, create_app

    _corpus, index_dir = general_build
    settings = Settings(index_dir=index_dir, data_dir=tmp_path_factory.mktemp("law-types-data"))
    qa = Assistant.load(index_dir, settings)
    app = create_app(settings, assistant=qa, documents=False)
    with ThreadedServer(app, free_port()) as srv, httpx.Client(base_url=srv.url, timeout=60.0) as c:
        yield c


def test_documents_carry_their_type(api):
    docs = {d["doc_id"]: d for d in api.get("/documents").json()["documents"]}
    assert docs["002"]["legal_type"] == "规范性文件"  # 平坝区"十四五"规划
    assert docs["g02"]["legal_type"] == "法律"  # 反食品浪费法
    assert docs["g09"]["legal_type"] == "行政法规"  # 失业保险条例
    assert docs["g07"]["legal_type"] == "地方性法规"  # 北京市中医药条例


@pytest.mark.parametrize("types", [["行政法规"], ["法律", "地方性法规"]])
def test_search_and_ask_keep_to_the_types_asked(api, types):
    docs = {d["doc_id"]: d["legal_type"] for d in api.get("/documents").json()["documents"]}
    hits = api.post("/search", json={"question": Q, "top_k": 20, "filters": {"law_types": types}}).json()["results"]
    assert len(hits) >= 5
    assert {docs[h["doc_id"]] for h in hits} <= set(types)
    unfiltered = api.post("/search", json={"question": Q, "top_k": 20}).json()["results"]
    assert {docs[h["doc_id"]] for h in unfiltered} - set(types)  # the filter removed something
    body = api.post("/ask", json={"question": Q, "filters": {"law_types": types}}).json()
    assert all(docs[c["doc_id"]] in types for c in body["citations"])


def test_unknown_type_is_a_clear_422(api):
    r = api.post("/ask", json={"question": Q, "filters": {"law_types": ["法规"]}})
    assert r.status_code == 422 and "law_types" in r.text and len(r.content) < 4096
