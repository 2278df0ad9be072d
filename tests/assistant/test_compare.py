"""对照 over real HTTP: ``GET /clauses/{id}/versions`` on the two-law × two-version index of
test_versions_api (慈善法 2016/2023, 反间谍法 2014/2023, copied from lawrefbook): the same article,
a renumbered one found by its text, a changed one with its changed words marked, an article the
other version rewrote beyond recognition, a seed clause without versions, and unknown ids."""
from __future__ import annotations

from urllib.parse import quote

import httpx

from .test_versions_api import NEW, OLD, api, pytestmark, versions_index  # noqa: F401 (fixtures, lawrefbook skip)

SPY_OLD, SPY_NEW = "反间谍法(2014-11-01)", "反间谍法(2023-04-26)"


def compare(api: httpx.Client, clause_id: str) -> dict:
    r = api.get(f"/clauses/{quote(clause_id, safe='')}/versions")
    assert r.status_code == 200, r.text
    return r.json()


def only_other(body: dict) -> dict:
    assert len(body["versions"]) == 1, body
    return body["versions"][0]


def rebuilt(diff: list[dict]) -> tuple[str, str]:
    """(asked text, other text) put back together from the segments."""
    old = "".join(s["text"] for s in diff if s["op"] in ("equal", "delete"))
    new = "".join(s["text"] for s in diff if s["op"] in ("equal", "insert"))
    return old, new


def test_identical_article_is_all_equal(api):
    body = compare(api, f"{OLD}/第一章/第一条")
    assert (body["doc_id"], body["label"], body["version_label"], body["validity"]) == (OLD, "第一条", "2016年公布", "已被修改")
    other = only_other(body)
    assert (other["doc_id"], other["version_label"], other["validity"]) == (NEW, "2023年修正", "现行有效")
    assert other["clause_id"] == f"{NEW}/第一章/第一条" and other["label"] == "第一条" and other["match"] == "number"
    assert other["similarity"] == 1.0 and other["note"] is None
    assert [s["op"] for s in other["diff"]] == ["equal"] and other["diff"][0]["text"] == other["text"]
    assert other["text"].startswith("第一条 为了发展慈善事业")


def test_changed_article_marks_the_changed_words(api):
    old_text = api.get(f"/clauses/{quote(f'{OLD}/第三章/第二十二条', safe='')}").json()["clause"]["text"]
    other = only_other(compare(api, f"{OLD}/第三章/第二十二条"))
    assert other["clause_id"] == f"{NEW}/第三章/第二十二条" and other["match"] == "number"
    assert 0.6 <= other["similarity"] < 1.0
    deleted = [s["text"] for s in other["diff"] if s["op"] == "delete"]
    inserted = [s["text"] for s in other["diff"] if s["op"] == "insert"]
    # 2016: 依法登记满二年 … 基金会和社会团体; 2023: 满一年 … 向办理其登记的 … 非营利性组织
    assert "二" in deleted and "一" in inserted and "办理" in inserted
    assert "基金会和社会团体" in deleted and "非营利性组织" in inserted
    assert rebuilt(other["diff"]) == (old_text, other["text"])
    # asked from the newer version, the same change reads the other way round
    back = only_other(compare(api, f"{NEW}/第一章/第二条"))
    assert back["doc_id"] == OLD and back["validity"] == "已被修改"
    assert [(s["op"], s["text"]) for s in back["diff"] if s["op"] != "equal"] == [("delete", "非法人"), ("insert", "其他")]


def test_renumbered_article_is_found_by_its_text(api):
    # 2023 inserted an article before it: 2016's 第二十七条 is 2023's 第二十八条 word for word
    body = compare(api, f"{OLD}/第三章/第二十七条")
    other = only_other(body)
    assert other["clause_id"] == f"{NEW}/第三章/第二十八条" and other["label"] == "第二十八条"
    assert other["match"] == "similar" and other["similarity"] == 1.0
    same_number = api.get(f"/clauses/{quote(f'{NEW}/第三章/第二十七条', safe='')}").json()["clause"]["text"]
    assert same_number.split(" ", 1)[1] != other["text"].split(" ", 1)[1]  # 2023's 第二十七条 is another article
    changes = [s for s in other["diff"] if s["op"] != "equal"]
    assert changes and "".join(s["text"] for s in changes if s["op"] == "insert") in "第二十八条"
    assert rebuilt(other["diff"])[1] == other["text"]


def test_rewritten_article_has_no_counterpart(api):
    other = only_other(compare(api, f"{OLD}/第三章/第二十六条"))
    assert other["doc_id"] == NEW and other["clause_id"] is None and other["text"] is None
    assert other["note"] == "本版本无对应条款" and other["diff"] == [] and other["similarity"] < 0.5


def test_other_law_compares_within_its_own_title(api):
    other = only_other(compare(api, f"{SPY_NEW}/第一章/第一条"))
    assert other["doc_id"] == SPY_OLD and other["clause_id"] == f"{SPY_OLD}/第一章/第一条" and other["match"] == "number"
    assert "加强反间谍工作，" in [s["text"] for s in other["diff"] if s["op"] == "delete"]


def test_clause_without_versions_and_unknown_clause(api, client):
    seed = client.post("/search", json={"question": "托位", "top_k": 1}).json()["results"][0]["clause_id"]
    r = client.get(f"/clauses/{quote(seed, safe='')}/versions")
    assert r.status_code == 200 and r.json()["versions"] == [] and r.json()["clause_id"] == seed
    missing = api.get(f"/clauses/{quote(f'{OLD}/第九十九章/第一条', safe='')}/versions")
    assert missing.status_code == 404
    assert missing.json() == {"detail": f"unknown clause id: {OLD}/第九十九章/第一条"}
    # the clause route itself is unchanged
    assert api.get(f"/clauses/{quote(f'{OLD}/第一章/第一条', safe='')}").json()["clause"]["label"] == "第一条"
