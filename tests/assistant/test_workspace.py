"""The workspace store (SQLite) and the feedback → eval question builder, on a temporary data dir."""
from __future__ import annotations

import json
import sqlite3
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from assistant.candidates import append_line, build_candidate, check_candidate, guess_type, normalize, pick_evidence
from assistant.workspace import FILENAME, SCHEMA_VERSION, WorkspaceStore
from assistant.workspace_records import Limits, WorkspaceError

REPO = Path(__file__).resolve().parents[2]
Q = "2025年每千人口托位数目标是多少"


@pytest.fixture()
def store(tmp_path: Path):
    s = WorkspaceStore(tmp_path / FILENAME)
    yield s
    s.close()


def response(n_citations: int = 3, answer: str = "每千人口拥有3岁以下婴幼儿托位数4.5个[1]") -> dict:
    return {"question": Q, "answer": answer, "found": True, "confidence": 0.8, "resolved_question": Q, "followup": False,
            "slots": {"topic": "托位数", "year": 2025}, "took_ms": 3.0,
            "citations": [{"marker": i + 1, "clause_id": f"003/一/p{i}", "quote": "托位数"} for i in range(n_citations)]}


def status_of(exc: pytest.ExceptionInfo) -> int:
    return exc.value.status


# ------------------------------------------------------------------------------ conversations
def test_conversations_are_per_user_newest_updated_first_and_titled_by_the_first_question(store):
    a = store.create_conversation("alice")
    b = store.create_conversation("alice", "  我的对话  ")
    assert (a.title, b.title) == ("", "我的对话")
    assert [c.conversation_id for c in store.conversations("alice")] == [b.conversation_id, a.conversation_id]
    long_q = "平坝区2025年每千常住人口0-3岁儿童托位数目标是多少，和全省的目标相比差多少？"
    store.append_turn("alice", a.conversation_id, long_q, response())
    store.append_turn("alice", b.conversation_id, "第二个问题", response())
    conv_a = store.conversation("alice", a.conversation_id)
    assert conv_a.title == long_q[:30] and len(conv_a.title) == 30 and conv_a.turns == 1
    assert store.conversation("alice", b.conversation_id).title == "我的对话"  # a given title is kept
    assert [c.conversation_id for c in store.conversations("alice")] == [b.conversation_id, a.conversation_id]
    store.rename_conversation("alice", a.conversation_id, "托位数")
    assert [c.title for c in store.conversations("alice")] == ["托位数", "我的对话"]
    # another user sees nothing and cannot touch alice's ids
    assert store.conversations("bob") == []
    for call in (lambda: store.conversation("bob", a.conversation_id), lambda: store.turns("bob", a.conversation_id),
                 lambda: store.rename_conversation("bob", a.conversation_id, "x"),
                 lambda: store.append_turn("bob", a.conversation_id, "x", response()),
                 lambda: store.delete_conversation("bob", a.conversation_id)):
        with pytest.raises(WorkspaceError) as e:
            call()
        assert status_of(e) == 404
    store.delete_conversation("alice", a.conversation_id)
    assert [c.conversation_id for c in store.conversations("alice")] == [b.conversation_id]


def test_turns_keep_the_response_cut_to_20_citations_and_history_is_the_last_20(store):
    c = store.create_conversation("u")
    first = store.append_turn("u", c.conversation_id, Q, {**response(35), "resolved_question": Q, "slots": {"year": 2025}})
    assert len(first.response["citations"]) == 20 and first.response["answer"].startswith("每千人口")
    for i in range(24):
        store.append_turn("u", c.conversation_id, f"第{i}个问题", {**response(1), "resolved_question": f"解析{i}",
                                                                  "followup": True, "slots": {"n": i}})
    turns = store.turns("u", c.conversation_id)
    assert len(turns) == 25 and turns[0].turn_id == first.turn_id and turns[0].question == Q
    assert turns[1].followup is True and turns[1].slots == {"n": 0} and turns[1].resolved_question == "解析0"
    assert len(turns[0].response["citations"]) == 20 and turns[0].response["slots"] == {"year": 2025}
    history = store.history("u", c.conversation_id)
    assert len(history) == 20
    assert history[0] == {"question": "第4个问题", "resolved_question": "解析4", "slots": {"n": 4}}
    assert history[-1]["question"] == "第23个问题"


def test_conversation_limit_drops_the_least_recently_updated_one(store):
    ids = [store.create_conversation("u").conversation_id for _ in range(200)]
    store.append_turn("u", ids[0], "让最早的对话成为最近更新的", response())
    store.create_conversation("other")  # other users do not count
    newest = store.create_conversation("u")
    have = [c.conversation_id for c in store.conversations("u")]
    assert len(have) == 200 and newest.conversation_id == have[0]
    assert ids[0] in have and ids[1] not in have  # ids[1] was the least recently updated
    with pytest.raises(WorkspaceError) as e:
        store.conversation("u", ids[1])
    assert status_of(e) == 404
    # its turns went with it (cascade) and the first conversation's turn is still there
    with sqlite3.connect(store.path) as db:
        assert db.execute("SELECT COUNT(*) FROM turns").fetchone()[0] == 1


def test_turn_limit_is_409(store):
    c = store.create_conversation("u")
    for i in range(200):
        store.append_turn("u", c.conversation_id, f"问题{i}", response(0))
    for call in (lambda: store.check_room("u", c.conversation_id),
                 lambda: store.append_turn("u", c.conversation_id, "第201个", response(0))):
        with pytest.raises(WorkspaceError) as e:
            call()
        assert status_of(e) == 409 and "200 turns" in str(e.value)
    assert store.conversation("u", c.conversation_id).turns == 200


# ------------------------------------------------------------------------------ basket
def test_basket_keeps_listed_fields_dedupes_orders_and_is_bounded(store):
    cit = {"clause_id": "003/一/p2", "doc_id": "003", "quote": "每千人口拥有3岁以下婴幼儿托位数4.5个", "lines": [8, 8],
           "marker": 1, "score": 0.9, "role": "answer", "role_label": "答案依据", "cite": "《贵州省…》“一、总体要求”"}
    item, dup = store.add_to_basket("u", cit)
    assert not dup and item.citation == {k: cit[k] for k in ("clause_id", "doc_id", "quote", "lines", "cite")}
    again, dup = store.add_to_basket("u", {**cit, "marker": 7})
    assert dup and again.item_id == item.item_id
    other, dup = store.add_to_basket("u", {**cit, "quote": "另一句"})  # same clause, another quote: a new item
    assert not dup and other.item_id != item.item_id
    assert store.basket("v") == []
    assert [i.item_id for i in store.basket("u")] == [item.item_id, other.item_id]
    assert [i.item_id for i in store.order_basket("u", [other.item_id, item.item_id])] == [other.item_id, item.item_id]
    for bad in ([other.item_id], [other.item_id, other.item_id], [other.item_id, item.item_id, "x"], [other.item_id, "x"]):
        with pytest.raises(WorkspaceError) as e:
            store.order_basket("u", bad)
        assert status_of(e) == 422
    with pytest.raises(WorkspaceError) as e:
        store.remove_from_basket("v", item.item_id)  # another user's item
    assert status_of(e) == 404
    store.remove_from_basket("u", other.item_id)
    assert [i.item_id for i in store.basket("u")] == [item.item_id]
    for i in range(499):
        store.add_to_basket("u", {"clause_id": f"c{i}", "quote": "q"})
    with pytest.raises(WorkspaceError) as e:
        store.add_to_basket("u", {"clause_id": "one-too-many"})
    assert status_of(e) == 409
    assert store.add_to_basket("u", cit)[1] is True  # a duplicate is still answered when full
    assert len(store.basket("u")) == 500
    store.clear_basket("u")
    assert store.basket("u") == []


# ------------------------------------------------------------------------------ feedback
def test_feedback_limit_drops_oldest_decided_then_refuses(tmp_path):
    store = WorkspaceStore(tmp_path / FILENAME, Limits(feedback=3))
    fbs = [store.add_feedback("u", {"rating": "up", "question": f"q{i}"}) for i in range(3)]
    with pytest.raises(WorkspaceError) as e:
        store.add_feedback("u", {"rating": "up", "question": "q3"})
    assert status_of(e) == 503 and "undecided" in str(e.value)
    store.decide_feedback(fbs[2].feedback_id, "rejected")
    store.decide_feedback(fbs[1].feedback_id, "accepted")
    store.add_feedback("u", {"rating": "down", "question": "q4"})
    kept = [f.question for f in store.feedback_list()]
    assert kept == ["q4", "q2", "q0"]  # q1, the oldest decided, went; newest first
    assert [f.question for f in store.feedback_list(status="new")] == ["q4", "q0"]
    assert [f.question for f in store.feedback_list(rating="down")] == ["q4"]
    store.close()


def test_feedback_edit_by_author_only_and_decided_once(store):
    fb = store.add_feedback("alice", {"rating": "down", "question": Q, "cited_clause_ids": ["003/一/p1"], "reason": "引用错误"})
    assert fb.to_dict("alice")["mine"] is True and "author" not in fb.to_dict("bob") and fb.to_dict("bob")["mine"] is False
    with pytest.raises(WorkspaceError) as e:
        store.edit_feedback("bob", fb.feedback_id, {"comment": "x"})
    assert status_of(e) == 403
    edited = store.edit_feedback("alice", fb.feedback_id, {"correct_clause_id": "003/一/p2", "comment": "应引用第二段"})
    assert (edited.correct_clause_id, edited.comment, edited.reason) == ("003/一/p2", "应引用第二段", "引用错误")
    assert edited.cited_clause_ids == ["003/一/p1"]

    def failing(_fb):
        raise WorkspaceError("disk full", 503)

    with pytest.raises(WorkspaceError):
        store.decide_feedback(fb.feedback_id, "accepted", before=failing)
    assert store.feedback(fb.feedback_id).status == "new"  # nothing marked when the write failed
    assert store.decide_feedback(fb.feedback_id, "accepted").status == "accepted"
    with pytest.raises(WorkspaceError) as e:
        store.decide_feedback(fb.feedback_id, "rejected")
    assert status_of(e) == 409
    with pytest.raises(WorkspaceError) as e:
        store.feedback("nope")
    assert status_of(e) == 404


# ------------------------------------------------------------------------------ the file
def test_everything_survives_reopening_the_file(tmp_path):
    path = tmp_path / "data" / FILENAME
    s1 = WorkspaceStore(path)
    c = s1.create_conversation("u", "留存")
    t = s1.append_turn("u", c.conversation_id, Q, response())
    item, _ = s1.add_to_basket("u", {"clause_id": "003/一/p2", "quote": "托位数4.5个"})
    fb = s1.add_feedback("u", {"rating": "down", "question": Q, "reason": "数字不对"})
    s1.close()
    s2 = WorkspaceStore(path)
    assert [x.title for x in s2.conversations("u")] == ["留存"]
    assert s2.turns("u", c.conversation_id)[0].turn_id == t.turn_id
    assert s2.turns("u", c.conversation_id)[0].response["answer"] == response()["answer"]
    assert s2.basket("u")[0].item_id == item.item_id and s2.basket("u")[0].citation["quote"] == "托位数4.5个"
    assert s2.feedback(fb.feedback_id).reason == "数字不对"
    s2.close()
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert db.execute("SELECT version FROM schema_version").fetchall() == [(SCHEMA_VERSION,)]


def test_a_database_that_cannot_be_used_is_503(tmp_path):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    for path in (blocker / FILENAME, tmp_path / "garbage.sqlite3"):
        if path.parent == tmp_path:
            path.write_bytes(b"this is not a database" * 100)
        s = WorkspaceStore(path)
        with pytest.raises(WorkspaceError) as e:
            s.conversations("u")
        assert status_of(e) == 503 and "cannot be opened" in str(e.value)
    newer = tmp_path / "newer.sqlite3"
    with sqlite3.connect(newer) as db:
        db.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
        db.execute("INSERT INTO schema_version VALUES (99)")
    with pytest.raises(WorkspaceError) as e:
        WorkspaceStore(newer).basket("u")
    assert status_of(e) == 503 and "newer" in str(e.value)


def test_concurrent_writers_from_8_threads(store):
    convs = [store.create_conversation(f"user{i}") for i in range(8)]
    barrier = threading.Barrier(8)

    def work(i: int) -> None:
        barrier.wait()
        for j in range(20):
            store.append_turn(f"user{i}", convs[i].conversation_id, f"问题{j}", response(1))
            store.add_to_basket("shared", {"clause_id": f"{i}/{j}", "quote": "q"})

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(work, range(8)))
    assert all(store.conversation(f"user{i}", convs[i].conversation_id).turns == 20 for i in range(8))
    assert [t.question for t in store.turns("user3", convs[3].conversation_id)] == [f"问题{j}" for j in range(20)]
    items = store.basket("shared")
    assert len(items) == 160 and len({i.item_id for i in items}) == 160


# ------------------------------------------------------------------------------ eval candidates
@pytest.mark.parametrize("question,kind", [
    ("2025年每千人口托位数目标是多少", "numeric"),
    ("村医要轮训几次", "numeric"),
    ("县级医院的床位使用率要达到什么水平", "numeric"),
    ("建设县域医疗次中心由哪个部门负责", "responsibility"),
    ("控烟宣传谁来牵头", "responsibility"),
    ("发热门诊要怎么建", "measure"),
])
def test_guess_type(question, kind):
    assert guess_type(question) == kind


def test_evidence_is_the_clause_sentence_closest_to_the_question(seed_index):
    clause = seed_index.clause("003/一/p2")
    ev = pick_evidence(clause.text, Q)
    assert 6 <= len(normalize(ev)) <= 60 and normalize(ev) in normalize(clause.text)
    assert "托位数" in ev and "4.5" in ev
    short = pick_evidence("责任单位：省卫生健康委", "谁负责")
    assert len(short) >= 6 and short in "责任单位：省卫生健康委"
    long_sentence = "甲" * 100 + "孕产妇死亡率降到18/10万" + "乙" * 100 + "。"
    ev = pick_evidence(long_sentence, "孕产妇死亡率目标")
    assert len(ev) == 60 and "孕产妇死亡率降到" in ev


def test_a_candidate_passes_the_eval_loader_once_answered(seed_index, tmp_path):
    from evals.dataset import load_eval_set  # tests may use evals; the product may not

    from assistant.workspace_records import Feedback

    lookup = lambda cid: seed_index.clause(cid) if cid in seed_index.row_of else None  # noqa: E731
    fb = Feedback("abc123", "u", "down", "那平坝区呢", "new", 0.0, 0.0, resolved_question="平坝区2025年每千人口托位数目标是多少",
                  reason="没找到但文档里有", comment="在平坝区的指标表里", correct_clause_id="002/第三章/第三节/表1/5")
    clause = lookup(fb.correct_clause_id)
    assert clause is not None
    cand = build_candidate(fb, clause)
    assert cand["id"] == "fb-abc123" and cand["type"] == "numeric" and cand["answer"] == ""
    assert cand["question"] == "平坝区2025年每千人口托位数目标是多少"
    # a table row's evidence is its cells as the source row reads (no headers, no "|")
    assert cand["gold"][0]["clause_id"] == clause.id and cand["gold"][0]["evidence"].startswith("每千常住人口0-3岁儿童托位数≥3")
    assert "没找到但文档里有" in cand["notes"] and "在平坝区的指标表里" in cand["notes"]
    with pytest.raises(WorkspaceError, match="answer"):
        check_candidate(cand, "abc123", lookup)  # the reviewer has not filled in the answer yet
    key = "≥3"
    for bad, msg in [({"id": "fb-other"}, "id"), ({"type": "unanswerable"}, "type"), ({"answer": "9.9"}, "answer"),
                     ({"gold": [{**cand["gold"][0], "evidence": "不在条款里的一句话"}]}, "evidence"),
                     ({"gold": [{**cand["gold"][0], "evidence": "托位"}]}, "6–60"),
                     ({"gold": [{**cand["gold"][0], "doc_id": "003"}]}, "doc_id"),
                     ({"gold": [{**cand["gold"][0], "clause_id": "999/x"}]}, "clause_id"),
                     ({"type": "multi"}, "two locations")]:
        with pytest.raises(WorkspaceError, match=msg) as e:
            check_candidate({**cand, "answer": key, **bad}, "abc123", lookup)
        assert status_of(e) == 422
    record = check_candidate({**cand, "answer": key}, "abc123", lookup)
    out = tmp_path / "feedback-evals.jsonl"
    out.write_text('{"id": "partial"', encoding="utf-8")  # a line cut short by a crash
    append_line(out, record)
    last = out.read_text(encoding="utf-8").splitlines()[-1]
    assert json.loads(last) == record
    good = tmp_path / "good.jsonl"
    append_line(good, record)
    append_line(good, {**record, "id": "fb-second"})
    loaded = load_eval_set(good, corpus_dir=REPO / "corpus")
    assert [q.id for q in loaded] == ["fb-abc123", "fb-second"] and loaded[0].gold[0].clause_id == clause.id
