"""Versions and validity (indexer/versions.py) on real lawrefbook texts, and the corpus wiring:
two versions of one law are both kept (never folded into an alias), two copies of one version are."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from evals.corpora.general import lawrefbook_root
from indexer.corpus import assign_validity, load_corpus
from indexer.parser import parse_document
from indexer.versions import (
    AMENDED, IN_FORCE, NOT_YET, REPEALED, Version, cn_date, date_events, file_date, in_force, validities,
    version_group, version_info, versions_listing,
)

LAWREFBOOK = lawrefbook_root()
needs_lawrefbook = pytest.mark.usefixtures("lawrefbook")  # fails, not skips, without it

CIVIL_2021 = "诉讼与非诉讼程序法/民事诉讼法(2021-12-24).md"
CIVIL_2023 = "诉讼与非诉讼程序法/民事诉讼法(2023-09-01).md"
COMPANY_2018 = "民法商法/公司法(2018-10-26).md"
COMPANY_2023 = "民法商法/公司法(2023-12-29).md"
SPY_2014 = "行政法/反间谍法(2014-11-01).md"
SPY_2023 = "行政法/反间谍法(2023-04-26).md"
INTERP_A = "司法解释/最高人民法院关于适用《民事诉讼法》的解释(2022-04-01).md"
INTERP_B = "司法解释/最高人民法院关于适用《民事诉讼法》的解释(2022-04-02).md"
NOISE_OLD = "行政法/环境噪声污染防治法(2018-12-29).md"
NOISE_NEW = "行政法/噪声污染防治法(2021-12-24).md"


def _info(rel: str):
    parsed = parse_document((LAWREFBOOK / rel).read_text(encoding="utf-8"), "x", Path(rel).name)
    texts = [c.text for c in parsed.clauses]
    return parsed.title, version_info(Path(rel).name, texts[:14], texts)


def test_dates_and_group_keys():
    assert cn_date("2023年9月1日第十四届…第五次修正") == "2023-09-01"
    assert cn_date("二〇二三年十二月二十九日") == "2023-12-29"
    assert cn_date("2023年2月30日") is None
    assert file_date("民事诉讼法(2023-09-01).md") == "2023-09-01" and file_date("宪法.md") is None
    assert version_group("中华人民共和国 民事诉讼法（2023年修正）") == "中华人民共和国民事诉讼法"
    # （试行） is part of a title: the trial law is another text, not a version of the law
    assert version_group("中华人民共和国民事诉讼法（试行）") != version_group("中华人民共和国民事诉讼法")
    assert version_group("中华人民共和国公司法") != version_group("公司法")
    # a date deep in the body is not an event: scanning stops at the first chapter
    assert date_events(["# 某条例", "第一章 总则", "2020年1月1日通过"]) == []


@needs_lawrefbook
def test_civil_procedure_law_versions():
    title, old = _info(CIVIL_2021)
    _, new = _info(CIVIL_2023)
    assert title == "中华人民共和国民事诉讼法"
    assert (old.promulgated, old.label) == ("2021-12-24", "2021年修正")
    assert (new.promulgated, new.label) == ("2023-09-01", "2023年修正")
    # 本法自公布之日起施行: effective on promulgation
    assert new.effective == "2023-09-01" and not new.repealed


@needs_lawrefbook
def test_revision_takes_effect_from_its_closing_article():
    _, old = _info(COMPANY_2018)
    _, new = _info(COMPANY_2023)
    assert (new.promulgated, new.effective, new.label, new.effective_from) == ("2023-12-29", "2024-07-01", "2023年修订", "text")
    # the 2018 amendment kept the 2005 text's 本法自2006年1月1日起施行: not a date of this version
    assert (old.label, old.effective, old.effective_from) == ("2018年修正", "2018-10-26", "promulgated")
    _, spy = _info(SPY_2014)  # "(2014年11月1日…通过)" in brackets, a first version
    assert (spy.promulgated, spy.label) == ("2014-11-01", "2014年公布")


@needs_lawrefbook
def test_header_effective_line_of_a_judicial_interpretation():
    _, info = _info(INTERP_A)
    assert (info.promulgated, info.effective, info.label, info.effective_from) == ("2022-03-22", "2022-04-10", "2022年修正", "header")


def test_status_relative_to_a_date():
    vs = [
        Version("c18", "公司法", "2018-10-26", "2018-10-26"),
        Version("c23", "公司法", "2023-12-29", "2024-07-01"),
        Version("x", "某条例", "2010-01-01", "2010-01-01", repealed=True),
    ]
    # a repealed law's last text stays the one "in force" for retrieval; its status says 已废止
    assert in_force(vs, "2024-01-01") == {"公司法": "c18", "某条例": "x"}
    assert in_force(vs, "2024-07-01") == {"公司法": "c23", "某条例": "x"}
    assert in_force(vs, "2000-01-01") == {}
    assert validities(vs, "2024-01-01") == {"c18": IN_FORCE, "c23": NOT_YET, "x": REPEALED}
    assert validities(vs, "2025-01-01") == {"c18": AMENDED, "c23": IN_FORCE, "x": REPEALED}
    assert validities(vs, "2025-01-01", repealed_groups={"公司法"})["c23"] == REPEALED


def _copy(tmp: Path, *rels: str) -> Path:
    for rel in rels:
        shutil.copyfile(LAWREFBOOK / rel, tmp / Path(rel).name)
    return tmp


@needs_lawrefbook
def test_corpus_keeps_both_versions_and_folds_copies(tmp_path: Path):
    corpus = load_corpus(_copy(tmp_path, CIVIL_2021, CIVIL_2023, COMPANY_2018, COMPANY_2023, INTERP_A, INTERP_B, NOISE_OLD, NOISE_NEW))
    docs = {d.doc_id: d for d in corpus.documents}
    # the two versions of each law are both indexed, neither is the other's alias
    assert {"民事诉讼法(2021-12-24)", "民事诉讼法(2023-09-01)", "公司法(2018-10-26)", "公司法(2023-12-29)"} <= set(docs)
    assert not docs["民事诉讼法(2023-09-01)"].aliases and not docs["公司法(2023-12-29)"].aliases
    # two copies of one version of the interpretation are still folded
    interp = [d for d in corpus.documents if d.version_group == "最高人民法院关于适用《中华人民共和国民事诉讼法》的解释"]
    assert len(interp) == 1 and len(interp[0].aliases) == 1
    old, new = docs["民事诉讼法(2021-12-24)"], docs["民事诉讼法(2023-09-01)"]
    assert old.version_group == new.version_group == "中华人民共和国民事诉讼法"
    assert (old.validity, new.validity) == (AMENDED, IN_FORCE)
    assert new.metadata()["version_label"] == "2023年修正" and new.metadata()["effective"] == "2023-09-01"
    # 噪声污染防治法 (in force since 2022-06-05) says 《中华人民共和国环境噪声污染防治法》同时废止
    assert docs["环境噪声污染防治法(2018-12-29)"].validity == REPEALED
    assert docs["噪声污染防治法(2021-12-24)"].validity == IN_FORCE

    # as of 2024-01-01 the 2023 公司法 revision is not yet in force; before 2022-06-05 the old noise law is
    assign_validity(corpus.documents, corpus.parsed, as_of="2024-01-01")
    assert (docs["公司法(2018-10-26)"].validity, docs["公司法(2023-12-29)"].validity) == (IN_FORCE, NOT_YET)
    assign_validity(corpus.documents, corpus.parsed, as_of="2022-01-01")
    assert docs["环境噪声污染防治法(2018-12-29)"].validity == IN_FORCE
    assert docs["噪声污染防治法(2021-12-24)"].validity == NOT_YET

    listing = versions_listing("民事诉讼法(2021-12-24)", {d.doc_id: d.metadata() for d in corpus.documents})
    assert listing["title"] == "中华人民共和国民事诉讼法"
    assert [(v["doc_id"], v["version_label"], v["validity"]) for v in listing["versions"]] == [
        ("民事诉讼法(2023-09-01)", "2023年修正", IN_FORCE), ("民事诉讼法(2021-12-24)", "2021年修正", AMENDED)]
    assert versions_listing("nope", {}) is None


def test_undated_documents_have_no_version(tmp_path: Path):
    (tmp_path / "plan.md").write_text("# 某市养老服务发展规划\n\n一、总体要求\n\n到2025年，养老床位达到每千名老人40张。\n", encoding="utf-8")
    doc = load_corpus(tmp_path).documents[0]
    assert doc.version_group == "某市养老服务发展规划"
    assert (doc.promulgated, doc.effective, doc.version_label, doc.validity) == (None, None, None, None)
