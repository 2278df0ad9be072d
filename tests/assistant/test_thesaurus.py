"""The colloquial → official thesaurus: packaged data, matching, and loader errors (no index needed)."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from assistant.thesaurus import DEFAULT_PATH, Thesaurus, load_thesaurus


def _data_lines() -> list[tuple[int, str]]:
    lines = DEFAULT_PATH.read_text(encoding="utf-8").splitlines()
    return [(n, ln) for n, ln in enumerate(lines, start=1) if ln.strip() and not ln.lstrip().startswith("#")]


def _write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "t.tsv"
    p.write_text(text, encoding="utf-8")
    return p


# ── packaged data ────────────────────────────────────────────────────────────

def test_packaged_file_loads_and_is_cached():
    th = load_thesaurus()
    assert isinstance(th, Thesaurus)
    assert 150 <= len(th) <= 400
    assert load_thesaurus() is th
    assert load_thesaurus(DEFAULT_PATH) == th


def test_every_line_well_formed():
    for n, line in _data_lines():
        where = f"colloquial.tsv:{n}"
        fields = line.split("\t")
        assert 2 <= len(fields) <= 3, where
        key, official = fields[0], fields[1]
        assert key == key.strip() and len(key) >= 2, where  # no single-character substring traps
        assert not re.search(r"\s", key), where
        terms = official.split("|")
        assert all(t and t == t.strip() for t in terms), where
        assert len(set(terms)) == len(terms), where


def test_no_duplicate_keys():
    keys = [line.split("\t")[0] for _, line in _data_lines()]
    dupes = {k for k in keys if keys.count(k) > 1}
    assert not dupes


def test_no_key_is_its_own_expansion():
    for key, expansions in load_thesaurus().entries.items():
        assert key not in expansions, key


@pytest.mark.parametrize(
    "text, key, official",
    [
        ("在公共场所抽烟罚多少", "抽烟", "吸烟"),
        ("我爸去世没留遗嘱，房子怎么分", "没留遗嘱", "法定继承"),
        ("外公的遗产我妈有份吗", "外公", "外祖父母"),
        ("老板说要炒鱿鱼，有补偿吗", "炒鱿鱼", "解除劳动合同"),
        ("健身卡的钱能退吗", "健身卡", "预付卡"),
        ("店里写着概不退换算数吗", "概不退换", "格式条款"),
        ("领导老讲黄段子怎么办", "黄段子", "性骚扰"),
        ("车在高速上抛锚了", "抛锚", "故障"),
        ("在外地违章怎么处理", "违章", "交通违法"),
        ("异乡看病怎么办", "看病", "就医"),
        ("公司不给交社保怎么办", "交社保", "缴纳社会保险费"),
        ("打车被绕路", "打车", "出租汽车"),
        ("开店需要什么手续", "开店", "从事经营活动"),
        ("网约车司机要什么证", "网约车", "网络预约出租汽车"),
        ("养老院收费标准", "养老院", "养老机构"),
    ],
)
def test_real_expansions(text: str, key: str, official: str):
    found = dict(load_thesaurus().expand(text))
    assert key in found
    assert official in found[key]


def test_opening_a_shop_expands_to_business_wording():
    assert any("经营" in t for t in load_thesaurus().official_terms("开店"))


# ── matching ─────────────────────────────────────────────────────────────────

def test_longest_match_wins_in_packaged_data():
    th = load_thesaurus()
    assert [k for k, _ in th.expand("公积金贷款利率多少")] == ["公积金贷款"]
    assert [k for k, _ in th.expand("单位不给交社保")] == ["交社保"]
    assert "住房公积金贷款" in th.official_terms("公积金贷款利率多少")


def test_longest_match_wins_even_when_a_shorter_key_starts_earlier():
    th = Thesaurus({"甲乙": ("A",), "乙丙丁": ("B",), "丙丁": ("C",)})
    assert th.expand("甲乙丙丁") == [("乙丙丁", ("B",))]


def test_matches_do_not_overlap_and_keep_text_order():
    th = Thesaurus({"甲乙": ("A",), "乙丙": ("B",), "丁戊": ("C",)})
    # 甲乙 and 乙丙 tie on length: the leftmost is taken, 乙丙 overlaps it and is dropped.
    assert th.expand("丁戊甲乙丙") == [("丁戊", ("C",)), ("甲乙", ("A",))]
    matched = [k for k, _ in load_thesaurus().expand("带孩子上学，老板不给加班费")]
    assert matched == ["带孩子", "上学", "老板", "加班费"]


def test_repeated_term_is_reported_each_time_but_official_terms_dedupe():
    th = Thesaurus({"看病": ("就医", "诊疗"), "医生": ("医师", "诊疗")})
    assert [k for k, _ in th.expand("看病找医生，再看病")] == ["看病", "医生", "看病"]
    assert th.official_terms("看病找医生，再看病") == ["就医", "诊疗", "医师"]


def test_official_terms_exclude_words_already_in_text():
    th = load_thesaurus()
    terms = th.official_terms("看病就医要带什么")
    assert "就医" not in terms
    assert "诊疗" in terms
    assert "人民政府" not in th.official_terms("人民政府的职责")


def test_no_match_gives_nothing():
    th = load_thesaurus()
    assert th.expand("") == []
    assert th.expand("2025年每千人口托位数目标") == []
    assert th.official_terms("2025年每千人口托位数目标") == []


# ── loader errors ────────────────────────────────────────────────────────────

def test_comments_blank_lines_and_notes_are_accepted(tmp_path: Path):
    p = _write(tmp_path, "# header\n\n看病\t就医|诊疗\tnote here\n  # indented comment\n抽烟\t吸烟\n")
    th = load_thesaurus(p)
    assert dict(th.entries) == {"看病": ("就医", "诊疗"), "抽烟": ("吸烟",)}


@pytest.mark.parametrize(
    "body, bad_line, reason",
    [
        ("看病\t就医\n抽烟 吸烟\n", 2, "missing tab"),
        ("# c\n\t就医\n", 2, "empty colloquial"),
        ("看病\t\n", 1, "empty official"),
        ("看病\t就医||诊疗\n", 1, "empty official term"),
        ("看病\t就医\n抽烟\t吸烟\n看病\t诊疗\n", 3, "duplicate colloquial"),
        ("看病\t看病|就医\n", 1, "itself"),
        ("看病\t就医\tnote\textra\n", 1, "at most 3"),
    ],
)
def test_malformed_line_raises_with_file_and_line(tmp_path: Path, body: str, bad_line: int, reason: str):
    p = _write(tmp_path, body)
    with pytest.raises(ValueError) as exc:
        load_thesaurus(p)
    msg = str(exc.value)
    assert "\n" not in msg
    assert msg.startswith(f"{p}:{bad_line}: ")
    assert reason in msg
