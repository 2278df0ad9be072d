"""Answer behaviour on the seed index (in-process): years, places, responsible units, refusals."""
from __future__ import annotations

import pytest

NOT_FOUND = "未在语料中找到相关条款"


def ask(qa, question: str, **kw) -> dict:
    out = qa.ask(question, **kw)
    assert len(out["answer"]) <= 600
    return out


def test_multi_year_question_quotes_each_year(assistant_qa):
    out = ask(assistant_qa, "八大工程里孕产妇死亡率2020年和2022年分别要降到多少？")
    assert out["found"] and "20/10万" in out["answer"] and "18/10万" in out["answer"]


def test_year_stated_in_a_table_header_and_inherited_by_a_paragraph(assistant_qa):
    out = ask(assistant_qa, "平坝区2025年人均预期寿命目标是多少")
    assert out["found"] and "≥ 77" in out["answer"] and out["answer"].startswith("平坝区：")


def test_single_year_plan_answers_its_year_only(assistant_qa):
    out = ask(assistant_qa, "2023年每千人口托位数要达到多少")
    assert out["found"] and "3.3" in out["answer"] and "4.5" not in out["answer"]
    assert out["citations"][0]["doc_id"] == "004"


def test_two_places_get_one_labelled_part_each(assistant_qa):
    out = ask(assistant_qa, "贵州省和平坝区2025年每千人口托位数目标分别是多少？")
    assert "贵州省：" in out["answer"] and "平坝区：" in out["answer"]
    assert "4.5" in out["answer"] and "≥ 3" in out["answer"]


def test_responsible_unit_sentence_is_quoted(assistant_qa):
    out = ask(assistant_qa, "开展无烟日宣传、控烟能力培训由哪个单位负责")
    assert out["found"] and "省爱卫办" in out["answer"]


def test_list_after_a_colon_is_quoted(assistant_qa):
    out = ask(assistant_qa, "卫生健康服务能力提升八大工程包括哪些")
    assert out["found"] and "乡村能力提升工程" in out["answer"] and "党建引领提升工程" in out["answer"]


@pytest.mark.parametrize(
    "question",
    [
        "四川省千县工程医院达到三级水平的比例要求是多少",  # another province
        "安顺市西秀区十四五每千人口床位数目标是多少",  # another county
        "全省2025年孕产妇死亡率目标是多少",  # only the county states a 2025 figure
        "2024年孕产妇死亡率目标",  # a year no document states
        "医保报销比例是多少",  # asks for a number no clause states
        "平坝区卫生健康局的职责",  # the clause about the bureau says nothing of its duties
    ],
)
def test_refusals(assistant_qa, question):
    out = ask(assistant_qa, question)
    assert out["found"] is False and out["answer"] == NOT_FOUND, out["answer"]


def test_retrieval_modes(assistant_qa):
    for mode in ("bm25", "dense", "hybrid"):
        out = ask(assistant_qa, "2022年孕产妇死亡率目标是多少", mode=mode)
        assert "18/10万" in out["answer"]
    with pytest.raises(ValueError):
        assistant_qa.ask("托位数", mode="sparse")


def test_filters_out_of_range_give_not_found(assistant_qa):
    out = ask(assistant_qa, "2025年每千人口托位数目标是多少", filters={"year_from": 2036})
    assert out["found"] is False and out["citations"] == []
