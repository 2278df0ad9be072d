"""Follow-up questions resolved without a language model (assistant/followup.py).

Resolution is tested on a vocabulary of the seed documents plus one law (for 第X条), then end to
end through ``Assistant.ask(..., history=...)`` on the session's seed index.
"""
from __future__ import annotations

import pytest

from assistant.followup import Resolution, Vocabulary, cn_numeral, is_elliptical, parse, resolve

SEED_DOCS = [
    {"doc_id": "001", "title": "卫生健康服务能力提升“八大工程”行动计划（2019—2022年）", "jurisdiction": "贵州省", "years": [2019, 2022]},
    {"doc_id": "002", "title": "安顺市平坝区“十四五”卫生健康事业发展规划", "jurisdiction": "安顺市平坝区", "years": [2021, 2025]},
    {"doc_id": "003", "title": "贵州省进一步完善医疗卫生服务体系的实施方案（征求意见稿）", "jurisdiction": "贵州省", "years": [2025, 2035]},
    {"doc_id": "004", "title": "贵州省整体提升卫生健康水平攻坚行动计划“七个专项行动”2023年度工作方案", "jurisdiction": "贵州省", "years": [2023, 2023]},
    {"doc_id": "g01", "title": "中华人民共和国医师法", "jurisdiction": "", "years": []},
]
TUO = "2025年每千人口托位数目标是多少？"


@pytest.fixture(scope="module")
def vocab() -> Vocabulary:
    order = ["004/三/37", "004/三/38", "004/三/39"]

    def neighbour(clause_id: str, step: int) -> str | None:
        i = order.index(clause_id) + step if clause_id in order else -1
        return order[i] if 0 <= i < len(order) else None

    return Vocabulary.from_documents(SEED_DOCS, neighbour=neighbour, location=lambda cid: f"第{cid.rsplit('/', 1)[-1]}项")


def chat(vocab: Vocabulary, *questions: str, slots_only: bool = False) -> list[Resolution]:
    """Ask ``questions`` in order, each with the earlier turns as a client would send them."""
    history: list[dict] = []
    out = []
    for q in questions:
        r = resolve(q, history, vocab)
        out.append(r)
        history.append({"question": q} if slots_only else {"question": q, "resolved_question": r.question, "slots": r.slots})
    return out


def test_vocabulary_names_places_and_documents(vocab):
    assert vocab.places["平坝"] == "平坝区" and vocab.places["贵州"] == "贵州省" and vocab.places["安顺"] == "安顺市"
    assert vocab.named_document("八大工程里孕产妇死亡率")[0] == "001"
    assert vocab.named_document("《医师法》第五条")[0] == "g01"
    assert vocab.documents["003"].short == "贵州省进一步完善医疗卫生服务体系的实施方案"


def test_place_replaced_keeps_year_and_topic(vocab):
    _, r = chat(vocab, TUO, "那平坝区呢？")
    assert r.followup and r.question == "平坝区2025年每千人口托位数目标是多少？"
    assert r.slots["place"] == "平坝区" and r.slots["year"] == 2025 and r.slots["topic"] == "每千人口托位数目标"
    assert r.carried == ["topic", "year"] and r.replaced == []


def test_place_without_suffix_is_named_as_the_corpus_names_it(vocab):
    _, r = chat(vocab, TUO, "平坝呢")
    assert r.question.startswith("平坝区2025年")


@pytest.mark.parametrize("follow, year", [("2022年的呢", 2022), ("那2023年呢", 2023), ("二〇二三年呢？", 2023), ("23年的呢", 2023)])
def test_year_replaced(vocab, follow, year):
    _, r = chat(vocab, TUO, follow)
    assert r.followup and r.slots["year"] == year and "year" in r.replaced
    assert r.question == f"{year}年每千人口托位数目标是多少？"


def test_chain_carries_the_latest_slots(vocab):
    _, r2, r3, r4 = chat(vocab, TUO, "那平坝区呢？", "2023年的呢", "省里呢")
    assert r3.question == "平坝区2023年每千人口托位数目标是多少？"
    assert r4.question == "全省2023年每千人口托位数目标是多少？" and "place" in r4.replaced


@pytest.mark.parametrize("follow", ["省里呢", "全省呢", "那全省的呢"])
def test_province_level_replaces_the_county(vocab, follow):
    _, r = chat(vocab, "平坝区到2025年社会办医疗机构床位数占比要突破多少", follow)
    assert r.followup and r.slots["place"] == "全省"
    assert "平坝" not in r.question and r.question.startswith("全省2025年社会办医疗机构床位数占比")


def test_other_jurisdiction(vocab):
    _, r = chat(vocab, TUO, "上海的规定呢")
    assert r.followup and r.slots["place"] == "上海" and r.question == "上海2025年每千人口托位数目标是多少？"


def test_topic_replaced_keeps_year_place_and_measure(vocab):
    _, r2, r3 = chat(vocab, "2020年每千常住人口执业(助理)医师要达到几个人？", "那护士呢", "平坝区呢")
    assert r2.followup and r2.slots["topic"] == "每千常住人口护士" and r2.slots["year"] == 2020
    assert "topic" in r2.replaced and "医师" not in r2.question and "护士" in r2.question
    assert r3.question == "平坝区2020年每千常住人口护士要达到几个人？"


def test_responsibility_anchors_on_the_previous_answer_clause(vocab):
    history = [{"question": "2023年全省每千人口3岁以下婴幼儿托位数要达到多少个",
                "slots": {"topic": "每千人口3岁以下婴幼儿托位数", "year": 2023, "place": "全省", "clause_id": "004/三/38"}}]
    for follow in ("责任单位是谁", "谁负责", "哪个部门牵头", "这项工作由谁负责"):
        r = resolve(follow, history, vocab)
        assert r.followup and r.slots["clause_id"] == "004/三/38", follow
        assert "托位数" in r.question and "2023年" in r.question, (follow, r.question)


def test_responsibility_keeps_the_content_after_the_question_word(vocab):
    _, r = chat(vocab, "全省要巩固完善多少张标准化重症床位", "谁牵头")
    assert r.followup and r.question == "全省巩固完善标准化重症床位，谁牵头？"


def test_next_and_numbered_article_keep_the_document(vocab):
    _, r2, r3, r4 = chat(vocab, "医师法第五条怎么规定的", "下一条呢", "第十条呢", "上一条呢")
    assert r2.question == "《医师法》第六条怎么规定的？" and r2.slots["document"] == "g01" and r2.slots["article"] == 6
    assert r3.question == "《医师法》第十条怎么规定的？" and r3.slots["article"] == 10
    assert r4.slots["article"] == 9


def test_next_article_from_the_answer_clause(vocab):
    history = [{"question": "医师法关于考核怎么规定", "slots": {"topic": "考核", "document": "g01", "clause_id": "g01/第三章/第二十条"}}]
    r = resolve("下一条呢", history, vocab)
    assert r.slots["article"] == 21 and r.question == "《医师法》第二十一条怎么规定？"


def test_next_clause_in_a_document_without_articles(vocab):
    history = [{"question": "2023年托位数要达到多少", "slots": {"topic": "托位数", "year": 2023, "clause_id": "004/三/38"}}]
    r = resolve("下一条呢", history, vocab)
    assert r.followup and r.anchor == "004/三/39" and r.slots["clause_id"] == "004/三/39"
    assert r.slots["document"] == "004" and "第39项" in r.question
    assert resolve("上一条是什么", history, vocab).anchor == "004/三/37"


def test_document_carried_while_it_fits(vocab):
    _, r2, r3 = chat(vocab, "八大工程里孕产妇死亡率2022年要降到多少？", "2020年的呢", "那平坝呢")
    assert r2.slots["document"] == "001" and "八大工程" in r2.question and "2020年" in r2.question
    assert r3.slots["document"] is None and "八大工程" not in r3.question and r3.slots["place"] == "平坝区"


def test_pronoun_question_asks_about_the_previous_topic(vocab):
    _, r = chat(vocab, "平坝区婴儿死亡率十四五末要控制在多少", "这个指标是约束性的还是预期性的")
    assert r.followup and r.question.startswith("平坝区2025年婴儿死亡率") and "约束性" in r.question
    _, r = chat(vocab, "平坝计划免疫五苗接种率要达到多少", "属于约束性指标吗")
    assert r.followup and "五苗接种率属于约束性指标吗" in r.question


def test_pronoun_for_the_document_keeps_the_own_topic(vocab):
    _, r = chat(vocab, "八大工程里孕产妇死亡率2022年要降到多少？", "这个方案里婴儿死亡率呢")
    assert r.followup and r.slots["topic"] == "婴儿死亡率" and r.slots["document"] == "001" and "2022年" in r.question


def test_history_of_questions_only_is_resolved_turn_by_turn(vocab):
    *_, r = chat(vocab, TUO, "那平坝区呢？", "2023年的呢", slots_only=True)
    assert r.question == "平坝区2023年每千人口托位数目标是多少？"


@pytest.mark.parametrize("standalone", [
    "2022年县级医院达到什么水平？",
    "2023年要轮训多少村医",
    "开展无烟日宣传、控烟能力培训由哪个单位负责",
    "平坝要建成几个智慧卫生急救站",
    "请问2025年县域内就诊率要达到多少",
    "县域医共体建设进展如何",
    "贵州省2025年每千人口托位数目标是多少呢？",
    "医共体内医保怎么付费？",
])
def test_standalone_questions_are_never_rewritten(vocab, standalone):
    for history in ([TUO, "那平坝区呢？"], ["平坝区到2025年社会办医疗机构床位数占比要突破多少"], ["医师法第五条怎么规定的"]):
        *_, r = chat(vocab, *history, standalone)
        assert r.question == standalone and not r.followup, (history, r)
        assert r.carried == [] and r.slots["clause_id"] is None


def test_junk_slots_from_a_client_are_ignored(vocab):
    junk = {"topic": 5, "year": "abc", "place": ["x"], "document": "nope", "article": True, "clause_id": {"a": 1}, "extra": "?"}
    r = resolve("那平坝区呢？", [{"question": TUO, "resolved_question": TUO, "slots": junk}], vocab)
    assert r.question == "平坝区2025年每千人口托位数目标是多少？" and r.slots["clause_id"] is None
    r = resolve("下一条呢", [{"question": "医师法第五条怎么规定的", "slots": {"article": "5", "document": "g01", "year": 99999}}], vocab)
    assert r.slots["article"] == 6 and r.slots["year"] is None


def test_no_history_no_followup(vocab):
    for q in ("那平坝区呢？", "下一条呢", "责任单位是谁"):
        r = resolve(q, [], vocab)
        assert r.question == q and not r.followup
    assert resolve("那平坝区呢？", [{"question": "   "}, "junk", {"slots": {}}], vocab).followup is False  # type: ignore[list-item]


def test_elliptical_cues():
    v = Vocabulary.from_documents(SEED_DOCS)
    assert is_elliptical(parse("那护士呢", v)) and is_elliptical(parse("2022年的呢", v))
    assert is_elliptical(parse("谁负责", v)) and is_elliptical(parse("下一条", v))
    assert not is_elliptical(parse("2022年县级医院达到什么水平？", v))
    assert not is_elliptical(parse("有条件的乡镇中心卫生院发热门诊要怎么建", v))


def test_cn_numeral():
    assert [cn_numeral(n) for n in (5, 10, 16, 21, 100, 105, 119)] == ["五", "十", "十六", "二十一", "一百", "一百零五", "一百一十九"]


# ------------------------------------------------------------------------------- end to end
def ask_chat(qa, *questions: str) -> list[dict]:
    history: list[dict] = []
    out = []
    for q in questions:
        resp = qa.ask(q, top_k=5, history=history)
        out.append(resp)
        history.append({"question": q, "resolved_question": resp["resolved_question"], "slots": resp["slots"]})
    return out


def test_ask_followup_place_gets_the_county_clause(assistant_qa):
    first, second = ask_chat(assistant_qa, "2025年每千人口托位数目标是多少？", "那平坝区呢？")
    assert first["followup"] is False and first["resolved_question"] == first["question"]
    assert first["slots"]["clause_id"] == first["citations"][0]["clause_id"]
    assert second["question"] == "那平坝区呢？" and second["followup"] is True
    assert second["resolved_question"] == "平坝区2025年每千人口托位数目标是多少？"
    assert second["found"] is True and second["citations"][0]["clause_id"] == "002/第三章/第三节/表1/5"
    assert "≥ 3" in second["answer"] or "≥3" in second["answer"]
    alone = assistant_qa.ask("那平坝区呢？", top_k=5)  # the same words without history: not this answer
    assert alone["followup"] is False and alone["resolved_question"] == "那平坝区呢？"


def test_ask_responsibility_and_next_clause(assistant_qa):
    first, who, nxt = ask_chat(assistant_qa, "2023年全省每千人口3岁以下婴幼儿托位数要达到多少个", "责任单位是谁", "下一条呢")
    assert first["citations"][0]["clause_id"] == "004/三/38"
    assert who["followup"] and who["citations"][0]["clause_id"] == "004/三/38" and "省卫生健康委" in who["answer"]
    assert nxt["followup"] and nxt["citations"][0]["clause_id"] == "004/三/39" and nxt["slots"]["clause_id"] == "004/三/39"


def test_ask_standalone_after_followup_inherits_nothing(assistant_qa):
    *_, last = ask_chat(assistant_qa, "2025年每千人口托位数目标是多少？", "那平坝区呢？", "2022年县级医院达到什么水平？")
    assert last["followup"] is False and last["resolved_question"] == "2022年县级医院达到什么水平？"
    assert last["citations"][0]["doc_id"] == "001"
