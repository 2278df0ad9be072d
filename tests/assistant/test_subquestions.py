"""Questions asking two things at once: split into parts, each answered with its own quote."""
from __future__ import annotations

import pytest

from assistant.subquestions import split_subquestions


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
