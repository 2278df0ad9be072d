"""Questions asking two things at once: split into parts, each answered with its own quote."""
from __future__ import annotations

import pytest

from assistant.subquestions import split_coordination, split_subquestions


@pytest.mark.parametrize("question, parts", [
    ("在北京开个营利性的中医诊所要向哪个部门备案？不备案的话最多罚多少？",
     ["在北京开个营利性的中医诊所要向哪个部门备案？", "不备案的话最多罚多少？"]),
    ("交强险理赔，保险公司收到赔偿申请后几天内要告诉要交哪些材料？收到材料后又要几天内核定？",
     ["交强险理赔，保险公司收到赔偿申请后几天内要告诉要交哪些材料？", "收到材料后又要几天内核定？"]),
    ("不备案罚多少，多久内要整改", ["不备案罚多少，", "多久内要整改"]),
])
def test_parts_that_each_ask(question, parts):
    assert [p.rstrip("，") for p in split_subquestions(question)] == [p.rstrip("，") for p in parts]


@pytest.mark.parametrize("question", [
    "2025年每千人口托位数目标是多少?",
    "撞了人司机跑了，伤者抢救的钱谁先垫上？",  # the first clause tells the situation, it asks nothing
    "铁路运的货比约定时间晚到了好几天，铁路要赔多少违约金？",  # 好几天 asks nothing
    "项目对环境基本没啥影响，还要走环评手续吗",  # 没啥 asks nothing
    "领失业金期间生病看病、或者人不幸去世了，分别能有什么补助？",  # one question about two cases
    "那平坝区呢？",
    "甲多少？乙多少？丙多少？丁多少？",  # more than three parts: answered whole
])
def test_one_question_stays_whole(question):
    assert split_subquestions(question) == [question]


def test_each_part_gets_its_own_quote(general_build):
    from assistant import Assistant

    _corpus, index_dir = general_build
    qa = Assistant.load(index_dir)
    r = qa.ask("在北京开个营利性的中医诊所要向哪个部门备案？不备案的话最多罚多少？")
    assert r["found"] and "所在区中医药主管部门" in r["answer"] and "三万元以下" in r["answer"]
    answer_cites = [c for c in r["citations"] if c["role"] == "answer"]
    assert len(answer_cites) == 2 and {c["doc_id"] for c in answer_cites} == {"g07"}
    assert "[1]" in r["answer"] and "[2]" in r["answer"]


@pytest.mark.parametrize("question, parts", [
    # the lead-in (…对) is shared, the two things are asked about in turn
    ("食品安全法对餐馆和外卖平台分别有什么要求？",
     ["食品安全法对餐馆有什么要求？", "食品安全法对外卖平台有什么要求？"]),
    # what follows B's clause (管理中心) is shared too
    ("开业申请和变更申请，审批部门分别要在多少天内答复？",
     ["开业申请，审批部门要在多少天内答复？", "变更申请，审批部门要在多少天内答复？"]),
    # "A，和B，分别…": A is the whole clause before the conjunction
    ("在景区乱刻乱画，和在景区乱扔垃圾，分别罚多少钱？",
     ["在景区乱刻乱画罚多少钱？", "在景区乱扔垃圾罚多少钱？"]),
    ("生病住院、或者不幸去世了，各能领什么补助？",
     ["生病住院能领什么补助？", "不幸去世了能领什么补助？"]),
    ("市里的养犬条例与控烟条例各自从哪天起施行", ["市里的养犬条例从哪天起施行", "市里控烟条例从哪天起施行"]),
])
def test_coordinated_things_asked_in_turn(question, parts):
    assert split_coordination(question) == parts


@pytest.mark.parametrize("question", [
    "2025年每千人口托位数目标是多少?",  # nothing asked of two things
    "医院和社区卫生服务中心的职责是什么",  # two things, but no 分别 / 各: one question about both
    "贵州省和平坝区2025年每千人口托位数目标分别是多少？",  # B swallows what both share: left whole
    "分别是多少",
])
def test_no_coordination_stays_whole(question):
    assert split_coordination(question) == [question]


def test_coordinated_parts_each_answered_within_budget(general_build):
    from assistant import Assistant

    _corpus, index_dir = general_build
    qa = Assistant.load(index_dir)
    r = qa.ask("领失业金期间生病看病、或者人不幸去世了，分别能有什么补助？")
    assert r["found"] and "医疗补助金" in r["answer"] and "丧葬补助金" in r["answer"]
    assert "[1]" in r["answer"] and "[2]" in r["answer"]
    assert len(r["answer"]) <= qa.config.answer_max_chars
    # two asks in a row: each part quotes its sentence, not its whole article
    r = qa.ask("交强险理赔，保险公司收到赔偿申请后几天内要告诉要交哪些材料？收到材料后又要几天内核定？")
    assert r["found"] and "1日内" in r["answer"] and "5日内" in r["answer"]
    assert len(r["answer"]) <= qa.config.answer_max_chars
    assert 0.0 < r["confidence"] <= 1.0
