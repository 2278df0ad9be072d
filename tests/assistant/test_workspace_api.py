"""Conversations, basket and feedback over HTTP: a real uvicorn server on 127.0.0.1 over the seed index."""
from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from .conftest import API_KEY, ThreadedServer, free_port

REPO = Path(__file__).resolve().parents[2]
Q = "2025年每千人口托位数目标是多少"
ALICE = {"X-PQA-User": "alice-0001"}
BOB = {"X-PQA-User": "bob_000002"}


@contextmanager
def workspace_server(assistant_qa, data_dir: Path, **settings):
    """The API over the loaded seed index, its workspace under ``data_dir``; yields a client."""
    from assistant import create_app
    from indexer.settings import Settings

    app = create_app(Settings(data_dir=data_dir, **settings), assistant=assistant_qa, documents=False)
    with ThreadedServer(app, free_port()) as srv, httpx.Client(base_url=srv.url, timeout=60.0) as c:
        yield c


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("workspace-data")


@pytest.fixture(scope="module")
def api(assistant_qa, data_dir):
    with workspace_server(assistant_qa, data_dir) as c:
        yield c


def ok(r: httpx.Response, status: int = 200) -> dict:
    assert r.status_code == status, r.text
    return r.json() if r.content else {}


def check_error(r: httpx.Response, status: int, words: str = "") -> str:
    assert r.status_code == status, (r.status_code, r.text)
    detail = r.json()["detail"]
    assert isinstance(detail, str) and detail and "Traceback" not in r.text
    assert words in detail, detail
    return detail


# ------------------------------------------------------------------------------ users
def test_users_see_only_their_own_conversations_and_basket(api):
    a = ok(api.post("/conversations", json={"title": "爱丽丝的对话"}, headers=ALICE), 201)
    b = ok(api.post("/conversations", headers=BOB), 201)
    local = ok(api.post("/conversations", json={}), 201)  # no header: the user "local"
    assert a["turns"] == 0 and a["title"] == "爱丽丝的对话" and b["title"] == ""
    mine = lambda h: [c["conversation_id"] for c in ok(api.get("/conversations", headers=h))["conversations"]]  # noqa: E731
    assert a["conversation_id"] in mine(ALICE) and b["conversation_id"] not in mine(ALICE)
    assert mine(BOB) == [b["conversation_id"]]
    assert local["conversation_id"] in mine({}) and a["conversation_id"] not in mine({})
    cid = a["conversation_id"]
    check_error(api.get(f"/conversations/{cid}", headers=BOB), 404, "unknown conversation")
    check_error(api.patch(f"/conversations/{cid}", json={"title": "抢走"}, headers=BOB), 404)
    check_error(api.delete(f"/conversations/{cid}", headers=BOB), 404)
    check_error(api.post("/ask", json={"question": Q, "conversation_id": cid}, headers=BOB), 404)
    assert ok(api.get(f"/conversations/{cid}", headers=ALICE))["title"] == "爱丽丝的对话"
    item = ok(api.post("/basket", json={"citation": {"clause_id": "003/一/p2", "quote": "托位数4.5个"}}, headers=ALICE), 201)["item"]
    assert ok(api.get("/basket", headers=BOB))["items"] == []
    check_error(api.delete(f"/basket/{item['item_id']}", headers=BOB), 404, "unknown basket item")
    assert [i["item_id"] for i in ok(api.get("/basket", headers=ALICE))["items"]] == [item["item_id"]]


@pytest.mark.parametrize("user", ["short", "x" * 65, "用户名用户名用户名".encode(), "has space1", "semi;colon1", ""])
def test_a_bad_user_header_is_422(api, user):
    check_error(api.get("/conversations", headers={"X-PQA-User": user}), 422, "X-PQA-User")


def test_with_an_api_key_the_key_holder_is_the_user(assistant_qa, tmp_path):
    with workspace_server(assistant_qa, tmp_path, api_key=API_KEY) as c:
        check_error(c.get("/conversations"), 401, "API key")
        check_error(c.get("/basket", headers={"X-API-Key": "wrong"}), 401)
        made = ok(c.post("/conversations", json={"title": "钥匙"}, headers={"X-API-Key": API_KEY, **ALICE}), 201)
        for header in (BOB, {"X-PQA-User": "bad"}, {}):  # the header is ignored, even when malformed
            got = ok(c.get("/conversations", headers={"X-API-Key": API_KEY, **header}))["conversations"]
            assert [x["conversation_id"] for x in got] == [made["conversation_id"]]
        fb = ok(c.post("/feedback", json={"rating": "up", "question": Q}, headers={"X-API-Key": API_KEY, **BOB}), 201)
        assert fb["mine"] is True and "user" not in fb and "author" not in fb


# ------------------------------------------------------------------------------ /ask
def test_ask_with_a_conversation_appends_turns(api):
    conv = ok(api.post("/conversations", headers=ALICE), 201)
    cid = conv["conversation_id"]
    first = ok(api.post("/ask", json={"question": Q, "conversation_id": cid, "top_k": 30}, headers=ALICE))
    assert first["conversation_id"] == cid and first["turn_id"] and first["found"] is True
    assert {"resolved_question", "followup", "slots"} <= set(first) and len(first["citations"]) > 20
    second = ok(api.post("/ask", json={"question": "2022年孕产妇死亡率目标是多少", "conversation_id": cid}, headers=ALICE))
    assert second["turn_id"] != first["turn_id"] and "18/10万" in second["answer"]
    stored = ok(api.get(f"/conversations/{cid}", headers=ALICE))
    assert stored["title"] == Q[:30] and [t["turn_id"] for t in stored["turns"]] == [first["turn_id"], second["turn_id"]]
    t0 = stored["turns"][0]
    assert t0["question"] == Q and t0["resolved_question"] == first["resolved_question"] and t0["slots"] == first["slots"]
    assert t0["response"]["answer"] == first["answer"] and len(t0["response"]["citations"]) == 20
    assert t0["response"]["citations"] == first["citations"][:20] and t0["followup"] is first["followup"]
    listed = ok(api.get("/conversations", headers=ALICE))["conversations"]
    assert listed[0]["conversation_id"] == cid and listed[0]["turns"] == 2  # the most recently updated first
    # the stored turns are the history: an elliptical follow-up is resolved against them
    third = ok(api.post("/ask", json={"question": "那平坝区呢", "conversation_id": cid}, headers=ALICE))
    assert third["followup"] is True and "平坝区" in third["resolved_question"], third["resolved_question"]
    assert ok(api.get(f"/conversations/{cid}", headers=ALICE))["turns"][-1]["resolved_question"] == third["resolved_question"]
    # a stand-alone ask stores nothing
    plain = ok(api.post("/ask", json={"question": Q}, headers=ALICE))
    assert "conversation_id" not in plain and "turn_id" not in plain
    assert ok(api.get(f"/conversations/{cid}", headers=ALICE))["turns"][-1]["turn_id"] == third["turn_id"]


def test_ask_history_rules(api):
    cid = ok(api.post("/conversations", headers=ALICE), 201)["conversation_id"]
    turn = {"question": Q, "resolved_question": Q, "slots": {"topic": "托位数", "year": 2025}}
    check_error(api.post("/ask", json={"question": "那平坝区呢", "history": [turn], "conversation_id": cid}, headers=ALICE),
                422, "not both")
    check_error(api.post("/ask", json={"question": "那平坝区呢", "history": [], "conversation_id": cid}, headers=ALICE), 422)
    check_error(api.post("/ask", json={"question": Q, "conversation_id": "0123456789abcdef"}, headers=ALICE), 404)
    check_error(api.post("/ask", json={"question": "x", "history": [turn] * 21}, headers=ALICE), 422, "history")
    check_error(api.post("/ask", json={"question": "x", "history": [{**turn, "answer": "4.5"}]}), 422, "history.0.answer")
    check_error(api.post("/ask", json={"question": "x", "history": [{"resolved_question": Q}]}), 422, "history.0.question")
    check_error(api.post("/ask", json={"question": "x", "history": [{"question": "  "}]}), 422, "history.0.question")
    check_error(api.post("/ask", json={"question": "x", "history": "2025"}), 422, "history")
    check_error(api.post("/ask", json={"question": "x", "conversation_id": ""}), 422, "conversation_id")
    out = ok(api.post("/ask", json={"question": "那平坝区呢", "history": [turn]}))
    assert out["question"] == "那平坝区呢" and out["followup"] is True and "conversation_id" not in out
    assert "平坝区" in out["resolved_question"] and "托位数" in out["resolved_question"]
    assert ok(api.get(f"/conversations/{cid}", headers=ALICE))["turns"] == []  # nothing was stored


# ------------------------------------------------------------------------------ basket
def test_basket_over_http(api):
    u = {"X-PQA-User": "basket-user-1"}
    cit = ok(api.post("/ask", json={"question": Q}))["citations"][0]
    added = ok(api.post("/basket", json={"citation": cit}, headers=u), 201)
    item = added["item"]
    assert added["duplicate"] is False and item["item_id"] and item["added_at"]
    assert "marker" not in item and "score" not in item and "role" not in item
    assert item["clause_id"] == cit["clause_id"] and item["quote"] == cit["quote"] and item["cite"] == cit["cite"]
    again = ok(api.post("/basket", json={"citation": {**cit, "marker": 9}}, headers=u), 200)
    assert again["duplicate"] is True and again["item"]["item_id"] == item["item_id"]
    second = ok(api.post("/basket", json={"citation": {"clause_id": "001/一/（三）", "quote": "孕产妇死亡率降到18/10万"}}, headers=u), 201)["item"]
    ids = [item["item_id"], second["item_id"]]
    assert [i["item_id"] for i in ok(api.get("/basket", headers=u))["items"]] == ids
    reordered = ok(api.post("/basket/order", json={"item_ids": ids[::-1]}, headers=u))["items"]
    assert [i["item_id"] for i in reordered] == ids[::-1]
    assert [i["item_id"] for i in ok(api.get("/basket", headers=u))["items"]] == ids[::-1]
    for bad in ([ids[0]], ids + ["zzz"], [ids[0], ids[0]], []):
        check_error(api.post("/basket/order", json={"item_ids": bad}, headers=u), 422, "item_ids")
    assert ok(api.delete(f"/basket/{ids[0]}", headers=u), 204) == {}
    check_error(api.delete(f"/basket/{ids[0]}", headers=u), 404)
    assert ok(api.delete("/basket", headers=u), 204) == {}
    assert ok(api.get("/basket", headers=u))["items"] == []


def test_basket_from_8_threads(api):
    u = {"X-PQA-User": "basket-user-8"}
    barrier = threading.Barrier(8)

    def work(i: int) -> list[int]:
        with httpx.Client(base_url=str(api.base_url), timeout=60.0) as c:
            barrier.wait()
            return [c.post("/basket", json={"citation": {"clause_id": f"003/x/{i}", "quote": f"q{j}"}}, headers=u).status_code
                    for j in range(5)]

    with ThreadPoolExecutor(8) as pool:
        statuses = [s for batch in pool.map(work, range(8)) for s in batch]
    assert statuses == [201] * 40
    assert len(ok(api.get("/basket", headers=u))["items"]) == 40


# ------------------------------------------------------------------------------ feedback
def test_feedback_becomes_an_eval_question(api, data_dir):
    from evals.dataset import load_eval_set

    conv = ok(api.post("/conversations", headers=BOB), 201)["conversation_id"]
    asked = ok(api.post("/ask", json={"question": Q, "conversation_id": conv}, headers=BOB))
    body = {"rating": "down", "question": Q, "resolved_question": asked["resolved_question"], "answer": asked["answer"],
            "cited_clause_ids": [c["clause_id"] for c in asked["citations"]], "conversation_id": conv,
            "turn_id": asked["turn_id"], "reason": "引用错误"}
    fb = ok(api.post("/feedback", json=body, headers=BOB), 201)
    fid = fb["feedback_id"]
    assert fb["status"] == "new" and fb["mine"] is True and fb["turn_id"] == asked["turn_id"]
    check_error(api.get(f"/feedback/{fid}/candidate"), 409, "correct clause")  # no correct clause yet
    check_error(api.patch(f"/feedback/{fid}", json={"comment": "不是我的"}, headers=ALICE), 403, "author")
    check_error(api.patch(f"/feedback/{fid}", json={"correct_clause_id": "003/九/（九）"}, headers=BOB), 422, "correct_clause_id")
    edited = ok(api.patch(f"/feedback/{fid}", json={"correct_clause_id": "003/一/p2", "comment": "应引用总体要求"}, headers=BOB))
    assert edited["correct_clause_id"] == "003/一/p2" and edited["reason"] == "引用错误"
    # the reviewer (any user) sees it with the others, newest first
    listed = ok(api.get("/feedback", params={"rating": "down", "status": "new"}, headers=ALICE))["feedback"]
    assert listed[0]["feedback_id"] == fid and listed[0]["mine"] is False
    cand = ok(api.get(f"/feedback/{fid}/candidate"))["candidate"]
    assert cand["id"] == f"fb-{fid}" and cand["type"] == "numeric" and cand["answer"] == "" and cand["question"] == Q
    assert cand["gold"][0]["clause_id"] == "003/一/p2" and "托位数" in cand["gold"][0]["evidence"]
    assert "引用错误" in cand["notes"] and "应引用总体要求" in cand["notes"]
    path = data_dir / "feedback-evals.jsonl"
    before = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    check_error(api.post(f"/feedback/{fid}/accept", json={"candidate": cand}), 422, "answer")
    check_error(api.post(f"/feedback/{fid}/accept", json={"candidate": {**cand, "answer": "9.9"}}), 422, "answer")
    check_error(api.post(f"/feedback/{fid}/accept", json={"candidate": {**cand, "answer": "4.5", "gold": [
        {**cand["gold"][0], "evidence": "这句话不在条款里面"}]}}), 422, "evidence")
    check_error(api.post(f"/feedback/{fid}/accept", json={"candidate": {**cand, "extra": 1}}), 422, "candidate.extra")
    check_error(api.post(f"/feedback/{fid}/accept", json={"candidate": {k: v for k, v in cand.items() if k != "type"}}), 422, "type")
    assert (path.read_text(encoding="utf-8").splitlines() if path.exists() else []) == before  # nothing written
    accepted = ok(api.post(f"/feedback/{fid}/accept", json={"candidate": {**cand, "answer": "4.5"}}))
    assert accepted["status"] == "accepted" and accepted["decided_at"] and accepted["candidate"]["answer"] == "4.5"
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == len(before) + 1 and json.loads(lines[-1]) == accepted["candidate"]
    loaded = load_eval_set(path, corpus_dir=REPO / "corpus")  # what `make eval` will read
    assert loaded[-1].id == f"fb-{fid}" and loaded[-1].answer == "4.5"
    check_error(api.post(f"/feedback/{fid}/accept", json={"candidate": {**cand, "answer": "4.5"}}), 409, "already accepted")
    check_error(api.post(f"/feedback/{fid}/reject"), 409, "already accepted")
    assert len(path.read_text(encoding="utf-8").splitlines()) == len(before) + 1
    assert fid in [f["feedback_id"] for f in ok(api.get("/feedback", params={"status": "accepted"}))["feedback"]]
    assert fid not in [f["feedback_id"] for f in ok(api.get("/feedback", params={"status": "new"}))["feedback"]]


def test_feedback_thumbs_up_reject_and_unknown(api):
    up = ok(api.post("/feedback", json={"rating": "up", "question": Q}, headers=ALICE), 201)
    check_error(api.get(f"/feedback/{up['feedback_id']}/candidate"), 409)
    rejected = ok(api.post(f"/feedback/{up['feedback_id']}/reject"))
    assert rejected["status"] == "rejected"
    check_error(api.post(f"/feedback/{up['feedback_id']}/reject"), 409, "already rejected")
    for method, path in (("GET", "/feedback/nope/candidate"), ("POST", "/feedback/nope/reject"), ("PATCH", "/feedback/nope")):
        check_error(api.request(method, path, json={"comment": "x"} if method == "PATCH" else None), 404, "unknown feedback")
    ups = ok(api.get("/feedback", params={"rating": "up"}))["feedback"]
    assert ups and all(f["rating"] == "up" for f in ups)


# ------------------------------------------------------------------------------ restart, limits, failures
def test_everything_survives_a_restart(assistant_qa, tmp_path):
    with workspace_server(assistant_qa, tmp_path) as c:
        cid = ok(c.post("/conversations", headers=ALICE), 201)["conversation_id"]
        turn = ok(c.post("/ask", json={"question": Q, "conversation_id": cid}, headers=ALICE))["turn_id"]
        item = ok(c.post("/basket", json={"citation": {"clause_id": "003/一/p2", "quote": "托位数"}}, headers=ALICE), 201)["item"]
        fid = ok(c.post("/feedback", json={"rating": "down", "question": Q, "reason": "数字不对"}, headers=ALICE), 201)["feedback_id"]
    assert (tmp_path / "workspace.sqlite3").is_file()
    with workspace_server(assistant_qa, tmp_path) as c:  # a new app and store over the same file
        conv = ok(c.get(f"/conversations/{cid}", headers=ALICE))
        assert conv["title"] == Q and [t["turn_id"] for t in conv["turns"]] == [turn]
        assert [i["item_id"] for i in ok(c.get("/basket", headers=ALICE))["items"]] == [item["item_id"]]
        assert ok(c.get("/feedback"))["feedback"][0]["feedback_id"] == fid
        nxt = ok(c.post("/ask", json={"question": "那平坝区呢", "conversation_id": cid}, headers=ALICE))
        assert len(ok(c.get(f"/conversations/{cid}", headers=ALICE))["turns"]) == 2 and nxt["turn_id"] != turn


def test_limits_over_http(assistant_qa, tmp_path):
    with workspace_server(assistant_qa, tmp_path, workspace_max_conversations=3, workspace_max_turns=2,
                          workspace_max_basket=2) as c:
        ids = [ok(c.post("/conversations", headers=ALICE), 201)["conversation_id"] for _ in range(3)]
        for _ in range(2):
            ok(c.post("/ask", json={"question": Q, "conversation_id": ids[0]}, headers=ALICE))
        check_error(c.post("/ask", json={"question": Q, "conversation_id": ids[0]}, headers=ALICE), 409, "2 turns")
        ok(c.post("/conversations", headers=ALICE), 201)  # a fourth: ids[1], least recently updated, goes
        have = [x["conversation_id"] for x in ok(c.get("/conversations", headers=ALICE))["conversations"]]
        assert len(have) == 3 and ids[1] not in have and ids[0] in have and ids[2] in have
        check_error(c.get(f"/conversations/{ids[1]}", headers=ALICE), 404)
        for i in range(2):
            ok(c.post("/basket", json={"citation": {"clause_id": f"003/一/p{i + 1}", "quote": "q"}}, headers=ALICE), 201)
        check_error(c.post("/basket", json={"citation": {"clause_id": "003/一/p3", "quote": "q"}}, headers=ALICE), 409, "full")
        ok(c.post("/basket", json={"citation": {"clause_id": "003/一/p1", "quote": "q"}}, headers=ALICE), 200)


def test_an_unusable_database_is_a_503_and_ask_still_works(assistant_qa, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder", encoding="utf-8")
    with workspace_server(assistant_qa, blocker) as c:
        for method, path in (("GET", "/conversations"), ("POST", "/conversations"), ("GET", "/basket"), ("GET", "/feedback")):
            check_error(c.request(method, path), 503, "workspace database")
        check_error(c.post("/ask", json={"question": Q, "conversation_id": "0123456789abcdef"}), 503, "workspace database")
        assert ok(c.post("/ask", json={"question": Q}))["found"] is True


BAD = [
    ("conversation title too long", "POST", "/conversations", {"title": "长" * 101}, 422, "title"),
    ("conversation title not a string", "POST", "/conversations", {"title": 5}, 422, "title"),
    ("conversation unknown field", "POST", "/conversations", {"name": "x"}, 422, "unknown field"),
    ("conversation body not JSON", "POST", "/conversations", b"{", 422, "not valid JSON"),
    ("rename blank", "PATCH", "/conversations/{cid}", {"title": "   "}, 422, "title"),
    ("rename missing title", "PATCH", "/conversations/{cid}", {}, 422, "title"),
    ("rename unknown", "PATCH", "/conversations/nope", {"title": "x"}, 404, "unknown conversation"),
    ("get unknown", "GET", "/conversations/nope", None, 404, "unknown conversation"),
    ("delete unknown", "DELETE", "/conversations/nope", None, 404, "unknown conversation"),
    ("basket without citation", "POST", "/basket", {}, 422, "citation"),
    ("basket without clause_id", "POST", "/basket", {"citation": {"quote": "q"}}, 422, "clause_id"),
    ("basket quote not text", "POST", "/basket", {"citation": {"clause_id": "003/一/p2", "quote": 5}}, 422, "quote"),
    ("basket huge citation", "POST", "/basket", {"citation": {"clause_id": "003/一/p2", "text": "字" * 20_001}}, 422, "larger"),
    ("basket order not a list", "POST", "/basket/order", {"item_ids": "a"}, 422, "item_ids"),
    ("feedback bad rating", "POST", "/feedback", {"rating": "meh", "question": Q}, 422, "rating"),
    ("feedback without question", "POST", "/feedback", {"rating": "up"}, 422, "question"),
    ("feedback bad reason", "POST", "/feedback", {"rating": "down", "question": Q, "reason": "不喜欢"}, 422, "reason"),
    ("feedback long comment", "POST", "/feedback", {"rating": "down", "question": Q, "comment": "长" * 1001}, 422, "comment"),
    ("feedback unknown clause", "POST", "/feedback", {"rating": "down", "question": Q, "correct_clause_id": "999/x"}, 422, "correct_clause_id"),
    ("feedback unknown field", "POST", "/feedback", {"rating": "down", "question": Q, "user": "x"}, 422, "unknown field"),
    ("feedback list bad status", "GET", "/feedback?status=old", None, 422, "status"),
    ("feedback list bad rating", "GET", "/feedback?rating=5", None, 422, "rating"),
    ("feedback patch empty", "PATCH", "/feedback/{fid}", {}, 422, "give reason"),
    ("accept without candidate", "POST", "/feedback/{fid}/accept", {}, 422, "candidate"),
]


@pytest.mark.parametrize("name,method,path,body,status,words", BAD, ids=[b[0] for b in BAD])
def test_bad_input_gets_a_json_4xx(api, name, method, path, body, status, words):
    cid = ok(api.post("/conversations", headers=ALICE), 201)["conversation_id"]
    fid = ok(api.post("/feedback", json={"rating": "down", "question": Q}, headers=ALICE), 201)["feedback_id"]
    kwargs = {"content": body, "headers": {**ALICE, "content-type": "application/json"}} if isinstance(body, bytes) \
        else {"json": body, "headers": ALICE} if body is not None else {"headers": ALICE}
    check_error(api.request(method, path.format(cid=cid, fid=fid), **kwargs), status, words)
