"""Quantities in every written form (assistant/numbers.py)."""
from __future__ import annotations

import pytest

from assistant.numbers import Quantity, asked_kinds, find_quantities, same_quantity, states_quantity

ALL = {"money", "duration", "deadline", "multiple", "ratio", "age", "count", "measure", "date"}
TIME = {"duration", "deadline"}


def one(text: str) -> Quantity:
    qs = [q for q in find_quantities(text) if q.kind != "ordinal"]
    assert len(qs) == 1, qs
    return qs[0]


@pytest.mark.parametrize(
    "text, value, high, unit, kind, qualifier",
    [
        ("两个月", 2, None, "月", "duration", ""),
        ("五年", 5, None, "年", "duration", ""),
        ("二十四小时内", 24, None, "小时", "deadline", "内"),
        ("十五日内", 15, None, "日", "deadline", "内"),
        ("三十个工作日内", 30, None, "工作日", "deadline", "内"),
        ("自收到申请之日起六十日内作出决定", 60, None, "日", "deadline", "内"),
        ("处一千元以上一万元以下的罚款", 1000, 10000, "元", "money", "range"),
        ("并处违法所得二倍以上五倍以下的罚款", 2, 5, "倍", "multiple", "range"),
        ("不超过5人", 5, None, "人", "count", "不超过"),
        ("年满六十周岁", 60, None, "岁", "age", "满"),
        ("不满十八周岁", 18, None, "岁", "age", "低于"),
        ("处2000元以上2万元以下的罚款", 2000, 20000, "元", "money", "range"),
        ("处五年以上十年以下有期徒刑", 5, 10, "年", "duration", "range"),
        ("百分之八十", 80, None, "%", "ratio", ""),
        ("不低于百分之八十", 80, None, "%", "ratio", "不低于"),
        ("千分之三", 3, None, "‰", "ratio", ""),
        ("三分之二以上", 200 / 3, None, "%", "ratio", "以上"),
        ("3‰", 3, None, "‰", "ratio", ""),
        ("≥90%", 90, None, "%", "ratio", "不低于"),
        ("85%以上", 85, None, "%", "ratio", "以上"),
        ("三成", 30, None, "%", "ratio", ""),
        ("１２个月", 12, None, "月", "duration", ""),
        ("1.5万元", 15000, None, "元", "money", ""),
        ("3万元", 30000, None, "元", "money", ""),
        ("5千元", 5000, None, "元", "money", ""),
        ("1,000元", 1000, None, "元", "money", ""),
        ("罚款壹万元", 10000, None, "元", "money", ""),
        ("一年半", 1.5, None, "年", "duration", ""),
        ("半年", 0.5, None, "年", "duration", ""),
        ("一个半月", 1.5, None, "月", "duration", ""),
        ("3至5年", 3, 5, "年", "duration", "range"),
        ("三到五年", 3, 5, "年", "duration", "range"),
        ("2025年5月1日", 20250501, None, "年月日", "date", ""),
        ("二〇二五年五月一日起施行", 20250501, None, "年月日", "date", ""),
        ("2025年", 2025, None, "年", "year", ""),
        ("2019—2022年", 2019, 2022, "年", "year", "range"),
        ("2025年度", 2025, None, "年", "year", ""),
        ("两周内", 2, None, "周", "deadline", "内"),
        ("每千人口4.5个", 4.5, None, "个", "count", ""),
        ("18/10万", 18, None, "/10万", "ratio", ""),
        ("孕产妇死亡率降到20/10 万以内", 20, None, "/10万", "ratio", "以内"),
        ("几十人", None, None, "人", "count", ""),
        ("数百万元", None, None, "元", "money", ""),
        ("二三十人", None, None, "人", "count", ""),
        ("1000余元", 1000, None, "元", "money", "超过"),
        ("不低于 60 平方米", 60, None, "平方米", "measure", "不低于"),
        ("5公里以内", 5, None, "公里", "measure", "以内"),
        ("一百零五人", 105, None, "人", "count", ""),
    ],
)
def test_forms(text, value, high, unit, kind, qualifier):
    q = one(text)
    assert q.value == pytest.approx(value) if value is not None else q.value is None
    assert q.high == pytest.approx(high) if high is not None else q.high is None
    assert (q.unit, q.kind, q.qualifier) == (unit, kind, qualifier)
    assert q.text == text[q.start:q.end]


def test_offsets_and_text_as_written():
    text = "违反本条规定的，处１２个月以下拘留，并处不超过人民币5000元的罚款。"
    qs = find_quantities(text)
    assert [q.text for q in qs] == ["１２个月以下", "不超过人民币5000元"]
    assert all(text[q.start:q.end] == q.text for q in qs)
    assert qs[1].qualifier == "不超过" and qs[1].value == 5000


def test_left_to_right_non_overlapping():
    text = "《条例》第十七条规定，自2025年5月1日起，三十个工作日内办结，罚款一千元以上一万元以下。"
    qs = find_quantities(text)
    assert [q.kind for q in qs] == ["ordinal", "date", "deadline", "money"]
    assert all(a.end <= b.start for a, b in zip(qs, qs[1:]))


def test_ordinals_are_not_quantities():
    q = find_quantities("第十七条")[0]
    assert (q.kind, q.value, q.unit) == ("ordinal", 17, "条")
    assert not states_quantity("依照本法第十七条、第一百零五条第二款的规定")
    assert not states_quantity("第一")
    assert not states_quantity("三级甲等医院")
    assert find_quantities("三级甲等")[0].kind == "ordinal"


@pytest.mark.parametrize(
    "text",
    ["一般", "统一", "一律", "一致", "万一", "一旦", "一些", "同一", "进一步", "唯一", "第一", "统一名称",
     "一次性补偿", "一部分", "上半年", "十四五规划", "千家万户", "一带一路", "黔府办函〔2019〕12号",
     "GB 3095-2012", "（1）", "1、总则", "一元化", "上午9时",
     "三年级"],
)
def test_words_with_numeral_characters_are_not_quantities(text):
    assert not states_quantity(text), find_quantities(text)


def test_states_quantity_by_kind():
    assert states_quantity("处二千元以上二万元以下的罚款", {"money"})
    assert not states_quantity("处二千元以上二万元以下的罚款", {"duration", "deadline"})
    assert states_quantity("应当在十五日内作出决定", asked_kinds("多少天内作出决定"))
    assert states_quantity("每千人口托位数达到4.5个", {"count"})
    assert not states_quantity("本办法自2025年起施行")          # a bare year is not a quantity…
    assert states_quantity("本办法自2025年起施行", {"date", "year"})  # …unless a year is asked
    assert states_quantity("本办法自2025年5月1日起施行", {"date"})
    assert states_quantity("百分之八十")


@pytest.mark.parametrize(
    "question, kinds",
    [
        ("违反规定要罚多少钱？", {"money", "multiple"}),
        ("罚款是违法所得的几倍？", {"multiple", "money"}),
        ("失业保险金能领多久？", TIME),
        ("申请行政复议的期限是多少天？", TIME),
        ("需要多少个工作日办结？", TIME),
        ("试用期最长多长", TIME),
        ("医保报销比例是多少？", {"ratio"}),
        ("2022年孕产妇死亡率目标是多少", {"ratio"}),
        ("多大年纪可以领养老金？", {"age"}),
        ("退休年龄是多少？", {"age"}),
        ("一个班最多几个人？", {"count"}),
        ("有多少家医院", {"count"}),
        ("公园绿地面积要求多少平方米？", {"measure"}),
        ("本条例什么时候施行？", {"date", "year"}),
        ("这个政策从哪一年开始实施？", {"date", "year"}),
        ("收费标准", {"money", "multiple"}),
        ("最低标准是多少？", ALL),
        ("能领多少", ALL),
        ("如何申请行政复议？", set()),
        ("哪些部门负责监督？", set()),
        ("大病保险的费用由谁承担？", set()),
        ("医师资格考试制度是什么", set()),
        # a yes/no question asks whether, not how much: its topic word names a rule
        ("饭店能不能给包间定个最低消费？", set()),
        ("店家可以收费吗？有什么前提？", set()),
        ("是否收取押金", set()),
        ("可以收多少押金吗", {"money", "multiple"}),
        ("能不能领补贴，每月多少钱？", {"money", "multiple"}),
    ],
)
def test_asked_kinds(question, kinds):
    assert asked_kinds(question) == kinds


@pytest.mark.parametrize(
    "a, b",
    [("2个月", "两个月"), ("1万元", "10000元"), ("24小时", "二十四小时"), ("1.5万元", "一万五千元"),
     ("80%", "百分之八十"), ("3‰", "千分之三"), ("3‰", "0.3%"), ("5公里", "5000米"), ("5千米", "五千米"),
     ("十五日", "15日内"), ("一千元以上一万元以下", "1000元至10000元"), ("18/10万", "十万分之十八"),
     ("2025年5月1日", "二〇二五年五月一日"), ("１２个月", "十二个月")],
)
def test_same_quantity(a, b):
    assert same_quantity(one(a), one(b))
    assert same_quantity(one(b), one(a))


@pytest.mark.parametrize(
    "a, b",
    [("2个月", "2年"), ("2个月", "3个月"), ("10个工作日", "10日"), ("1万元", "1000元"), ("80%", "8‰"),
     ("5人", "5元"), ("一千元以上一万元以下", "一千元"), ("2025年", "2025年5月1日"), ("几十人", "几十人"),
     ("二倍", "二十倍")],
)
def test_not_same_quantity(a, b):
    assert not same_quantity(one(a), one(b))


@pytest.mark.parametrize("question", ["环评单位弄虚作假怎么处罚？", "不按规定备案要承担什么法律责任", "拒载会受到什么处罚"])
def test_penalty_questions_ask_for_the_fine(question):
    assert {"money", "multiple"} <= asked_kinds(question)


# ---- brackets: the case whose condition the asker's number meets

from assistant.numbers import bracket_fit, stated_quantities  # noqa: E402


@pytest.mark.parametrize("question, text, fit", [
    ("失业前累计交了6年失业保险，失业金最长能领多久？", "累计缴费时间满5年不足10年的，领取失业保险金的期限最长为18个月", 1),
    ("失业前累计交了6年失业保险，失业金最长能领多久？", "累计缴费时间满1年不足5年的，领取失业保险金的期限最长为12个月", -1),
    ("失业前累计交了6年失业保险，失业金最长能领多久？", "累计缴费时间10年以上的，领取失业保险金的期限最长为24个月", -1),
    ("交了两年半，能领几个月", "累计缴费时间满1年不足5年的，最长为12个月", 1),  # Chinese numerals, 半
    ("在单位干了18个月", "工作满一年不满五年的", 1),  # months against years
    ("我爸今年七十二岁了", "年满七十周岁的老年人", 1),
    ("我爸今年六十八岁了", "年满七十周岁的老年人", -1),
    ("偷了3000元会怎么处罚", "数额在一千元以上一万元以下的", 1),
    ("偷了3000元会怎么处罚", "数额在一万元以上的", -1),
    ("失业金最长能领多久？", "累计缴费时间满5年不足10年的", 0),  # the question states no number
    ("交了6年", "处一千元以上一万元以下罚款", 0),  # another kind of quantity
])
def test_bracket_fit(question, text, fit):
    assert bracket_fit(text, stated_quantities(question)) == fit


@pytest.mark.parametrize("row, value, unit, kind", [
    ("计划免疫五苗接种率（%） ≥ 96（约束性）", 96.0, "%", "ratio"),
    ("婴儿死亡率（‰） 7", 7.0, "‰", "ratio"),
    ("孕产妇死亡率（/10万） ≤14", 14.0, "/10万", "ratio"),
    ("人均预期寿命（岁） 77", 77.0, "岁", "age"),
    ("公共卫生经费（万元） 300", 3_000_000.0, "元", "money"),
])
def test_table_rows_take_the_column_unit(row, value, unit, kind):
    q = find_quantities(row)[-1]
    assert (q.value, q.unit, q.kind) == (value, unit, kind)
    assert states_quantity(row, {kind})


def test_column_unit_leaves_stated_units_and_earlier_numbers_alone():
    got = [(q.text, q.unit, q.kind) for q in find_quantities("3岁以下儿童系统管理率（%） ≥ 90")]
    assert got == [("3岁以下", "岁", "age"), ("≥ 90", "%", "ratio")]
    # a count column: the bare number stays a count
    assert [(q.unit, q.kind) for q in find_quantities("每千人口执业医师数（人） 3.1")] == [("", "count")]
