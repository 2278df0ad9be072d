"""The type of a law or document (indexer.lawtypes): folder first, else the title's form."""
from __future__ import annotations

import collections

import pytest

from evals.corpora.general import lawrefbook_root
from indexer.lawtypes import LEGAL_TYPES, document_legal_type, legal_type

LAWREFBOOK = lawrefbook_root()


@pytest.mark.parametrize("title, local, expected", [
    ("中华人民共和国宪法", False, "宪法"),
    ("中华人民共和国民法典", False, "法律"),
    ("中华人民共和国刑法修正案（十一）", False, "法律"),
    ("全国人民代表大会常务委员会关于加强网络信息保护的决定", False, "法律"),
    ("医疗机构管理条例", False, "行政法规"),
    ("中华人民共和国食品安全法实施条例", False, "行政法规"),
    ("中国人民解放军实施《中华人民共和国执业医师法》办法", False, "行政法规"),  # 办法, not a law ending in 法
    ("公安部关于修改〈道路交通安全违法行为处理程序规定〉的决定", False, "部门规章"),
    ("最高人民法院关于审理劳动争议案件适用法律问题的解释（一）", False, "司法解释"),
    ("北京市中医药条例", True, "地方性法规"),
    ("河南省实施《中华人民共和国职业教育法》办法", True, "地方性法规"),
    ("北京市物业管理办法", True, "地方政府规章"),
    ("安顺市平坝区“十四五”卫生健康事业发展规划", True, "规范性文件"),
    ("贵州省进一步完善医疗卫生服务体系的实施方案（征求意见稿）", True, "规范性文件"),
])
def test_type_from_the_title(title, local, expected):
    assert legal_type(title, "", local) == expected


def test_the_library_folder_wins_over_the_title():
    assert legal_type("道路交通安全违法行为处理程序规定", "部门规章/公安部/道路交通安全违法行为处理程序规定(2020-04-30).md") == "部门规章"
    assert legal_type("北京市反食品浪费规定", "DLC/北京地方法规/地方性法规/北京/北京市反食品浪费规定(2021-05-27).md") == "地方性法规"
    assert legal_type("中华人民共和国民法典", "民法典/合同编.md") == "法律"
    # stored metadata is taken as it is; a jurisdiction makes a 条例 local
    assert document_legal_type({"title": "X", "legal_type": "司法解释"}) == "司法解释"
    assert document_legal_type({"title": "北京市中医药条例", "jurisdiction": "北京市"}) == "地方性法规"
    assert document_legal_type({"title": "失业保险条例", "jurisdiction": None}) == "行政法规"


def test_titles_alone_agree_with_the_library_folders():
    """Over all 3,474 lawrefbook texts, the title rule (as for an upload, with no folder) matches the
    folder's type for at least 93 % (measured 95.7 %)."""
    if not LAWREFBOOK.is_dir():
        pytest.fail(f"this test needs lawrefbook at {LAWREFBOOK} (set PQA_LAWREFBOOK_DIR)")
    agree, total, by_type = 0, 0, collections.Counter()
    for path in sorted(LAWREFBOOK.rglob("*.md")):
        rel = path.relative_to(LAWREFBOOK).as_posix()
        truth = legal_type("", rel)
        if truth in ("案例", "规范性文件"):  # folders without a type of law (cases, 其他)
            continue
        with path.open(encoding="utf-8") as fh:
            title = fh.readline().lstrip("# ").strip()
        got = legal_type(title, "", rel.startswith("DLC/"))
        assert got in LEGAL_TYPES
        total += 1
        agree += got == truth
        by_type[truth] += 1
    assert total > 3300 and set(by_type) >= {"法律", "行政法规", "司法解释", "部门规章", "地方性法规", "宪法"}
    assert agree / total >= 0.93, agree / total
