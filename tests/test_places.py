"""Jurisdiction read from a document's title when the manifest gives none."""
from __future__ import annotations

import pytest

from indexer.corpus import load_corpus
from indexer.places import jurisdiction_from_title


@pytest.mark.parametrize(
    "title, expected",
    [
        ("郑州市客运出租汽车管理条例", "郑州市"),
        ("河南省实施《职业教育法》办法", "河南省"),
        ("汕头经济特区基层医疗卫生服务条例", "汕头市"),
        ("安顺市平坝区“十四五”卫生健康事业发展规划", "安顺市平坝区"),
        ("广西壮族自治区环境保护条例", "广西壮族自治区"),
        ("北京市就业援助规定", "北京市"),
        ("中华人民共和国医师法", None),
        ("失业保险条例", None),
        ("城市公共交通条例", None),
        ("住宅区物业管理办法", None),
        ("国际邮轮在港口靠港补给的规定", None),
    ],
)
def test_jurisdiction_from_title(title, expected):
    assert jurisdiction_from_title(title) == expected


def test_a_document_without_manifest_entry_gets_the_place_of_its_title(tmp_path):
    (tmp_path / "宁波市停车场管理条例.md").write_text("# 宁波市停车场管理条例\n\n第一条 为了加强停车场管理，制定本条例。\n", encoding="utf-8")
    (tmp_path / "失业保险条例.md").write_text("# 失业保险条例\n\n第一条 为了保障失业人员失业期间的基本生活，制定本条例。\n", encoding="utf-8")
    (tmp_path / "manifest.toml").write_text('["失业保险条例.md"]\njurisdiction = "全国"\n', encoding="utf-8")
    docs = {d.title: d for d in load_corpus(tmp_path).documents}
    assert docs["宁波市停车场管理条例"].jurisdiction == "宁波市"
    assert docs["失业保险条例"].jurisdiction == "全国"  # the manifest still overrides
