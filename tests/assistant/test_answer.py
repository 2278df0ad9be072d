"""Unit tests: question analysis, span selection, citation formatting (no server)."""
from __future__ import annotations

from pathlib import Path

import pytest

from assistant.citation import (
    build_citation,
    compact_table_row,
    inner_quotes,
    jurisdiction_label,
    location,
)
from assistant.query import analyze
from assistant.spans import ClauseText, best_span, term_match
from assistant.textutil import split_parts, text_years
from indexer.corpus import load_corpus
from indexer.records import Clause

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def corpus():
    c = load_corpus(REPO / "corpus")
    clauses = {cl.id: cl for d in c.documents for cl in d.clauses}
    docs = {d.doc_id: d.metadata() for d in c.documents}
    return clauses, docs


def span_for(clause: Clause, question: str, doc_years=()):
    q = analyze(question)
    weights = {t: 1.0 for t in q.terms}
    for subs in q.subterms.values():
        for x in subs:
            weights.setdefault(x, 0.5)
    ct = ClauseText.build(clause.text, clause.sentences, clause.path, list(doc_years))
    s = best_span(ct, q, weights, sum(weights.values()))
    return clause.text[s.start : s.end], s


def test_analyze_extracts_years_places_articles_titles():
    q = analyze("广东省2025年每千人口托位数目标是多少？")
    assert q.years == {2025} and q.places == ["广东"]
    assert "托位数" in q.terms and "多少" not in q.terms
    q = analyze("《中华人民共和国医师法》第十条规定了什么")
    assert q.articles == [10] and q.titles == ["中华人民共和国医师法"] and q.wants_article_text
    q = analyze("十四五期间平坝区的目标")
    assert (2021, 2025) in q.year_ranges and "平坝" in q.places
    q = analyze("每年培养2000名医师")  # a count, not a year
    assert not q.years
    assert analyze("平坝区人民医院 二〇二五年 要达到几级水平").years == {2025}
    assert analyze("平坝 医养结合机构 25年建几所").years == {2025}
    assert analyze("安顺市西秀区十四五每千人口床位数目标").places == ["安顺", "西秀"]
    assert analyze("黔府办函〔2019〕12号的主要目标").doc_numbers == ["黔府办函〔2019〕12号"]
    assert not analyze("黔府办函〔2019〕12号的主要目标").years


def test_text_years_ignore_titles_and_counts():
    assert text_years("到2025年，全省…") == {2025}
    assert text_years("《健康中国行动（2019-2030年）》提出培训2000名医生") == set()
    assert text_years("2019—2022年行动") == {2019, 2022}
    assert text_years("领域 健康水平 | 2025目标 ≥ 77") == {2025}


def test_span_picks_the_sentence_of_the_asked_year(corpus):
    clauses, _ = corpus
    c = clauses["001/一/（三）"]
    text, s = span_for(c, "2022年孕产妇死亡率目标")
    assert "18/10万" in text and "20/10万" not in text and s.year_state == "match"
    text, s = span_for(c, "2020年孕产妇死亡率目标")
    assert "20/10万" in text and "18/10万" not in text


def test_year_is_inherited_from_an_earlier_sentence(corpus):
    clauses, _ = corpus
    c = clauses["003/一/p2"]
    text, s = span_for(c, "2025年每千人口托位数目标")
    assert text.startswith("每千人口拥有3岁以下婴幼儿托位数4.5个")
    assert s.year_state == "match" and s.years == {2025}
    _, s = span_for(c, "2030年每千人口托位数目标")
    assert s.year_state == "mismatch"


def test_single_year_document_gives_its_year(corpus):
    clauses, docs = corpus
    c = clauses["004/三/38"]
    _, s = span_for(c, "2025年每千人口托位数目标", docs["004"]["years"])
    assert s.year_state == "mismatch" and s.years == {2023}


def test_long_sentence_is_narrowed_to_the_answering_parts():
    text = ("23.完善妇女全生命周期管理，孕产妇系统管理率达92%以上、产前筛查率达73%以上，"
            "孕产妇、婴儿、5岁以下儿童死亡率分别控制在12/10万、3.5‰、5‰及以下。（责任单位：省卫生健康委）")
    c = Clause(id="x/1", doc_id="x", source="x.txt", kind="clause", label="23.", path=[], text=text,
               sentences=[(0, text.index("（")), (text.index("（"), len(text))], lines=(1, 1))
    quote, _ = span_for(c, "孕产妇死亡率控制目标")
    assert quote.startswith("孕产妇、婴儿") and "12/10万" in quote and "92%" not in quote


def test_split_parts_respects_brackets():
    t = "甲，乙（丙，丁）戊；己"
    parts = [t[a:b] for a, b in split_parts(t, 0, len(t))]
    assert parts == ["甲，", "乙（丙，丁）戊；", "己"]


def test_fuzzy_term_match():
    assert term_match("每千人口", "每千常住人口0-3岁儿童托位数") == pytest.approx(0.7)
    assert term_match("托位数", "托位数4.5个") == 1.0
    assert term_match("高速公路", "公共卫生服务") == 0.0


def test_table_row_compaction():
    row = "“十四五”卫生健康事业发展主要指标：领域 每千常住人口0-3岁儿童托位数 | 指标 ≥ 3 | 2025目标 预期性 | 属性"
    assert compact_table_row(row) == "每千常住人口0-3岁儿童托位数 ≥ 3（预期性）"
    row = "主要指标：领域 健康水平 | 指标 人均预期寿命（岁） | 2025目标 ≥ 77 | 属性 预期性"
    assert compact_table_row(row) == "人均预期寿命（岁） ≥ 77（预期性）"
    assert compact_table_row("不是表格") == "不是表格"


def test_jurisdiction_labels():
    assert jurisdiction_label("安顺市平坝区") == "平坝区"
    assert jurisdiction_label("贵州省") == "贵州省"
    assert jurisdiction_label("黔东南苗族侗族自治州") == "黔东南苗族侗族自治州"
    assert jurisdiction_label(None) == ""


def test_inner_quotes_become_single_outside_titles():
    assert inner_quotes("“十四五”卫生健康") == "‘十四五’卫生健康"
    assert inner_quotes("《“健康贵州2030”规划纲要》") == "《“健康贵州2030”规划纲要》"


def test_cite_for_a_paragraph_quote(corpus):
    clauses, docs = corpus
    c = clauses["003/一/p2"]
    a = c.text.index("每千人口")
    b = c.text.index("4.5个") + len("4.5个")
    cit = build_citation(1, "answer", c, docs["003"], [], [(a, b)], 1.0)
    assert cit.quote == "每千人口拥有3岁以下婴幼儿托位数4.5个"
    assert cit.cite == ("《贵州省进一步完善医疗卫生服务体系的实施方案（征求意见稿）》“一、总体要求”："
                        "“……每千人口拥有3岁以下婴幼儿托位数4.5个……”")
    assert cit.doc_id == "003" and cit.clause_id == "003/一/p2" and cit.lines == list(c.lines)


def test_cite_includes_doc_number_and_label(corpus):
    clauses, docs = corpus
    c = clauses["001/一/（三）"]
    a = c.text.index("2022年")
    cit = build_citation(1, "answer", c, docs["001"], [], [(a, len(c.text))], 1.0)
    assert cit.cite.startswith("《卫生健康服务能力提升“八大工程”行动计划（2019—2022年）》（黔府办函〔2019〕12号）“一、目标任务”")
    assert cit.cite.endswith("人均预期寿命75岁以上。”")
    assert "……2022年,孕产妇死亡率降到18/10万" in cit.cite


def test_article_location():
    art = Clause(id="law/第二章/第八条", doc_id="law", source="law.md", kind="clause", label="第八条",
                 path=["第二章 考试和注册"], text="第八条 国家实行医师资格考试制度。", sentences=[(0, 17)], lines=(1, 1))
    assert location(art, []) == "第八条"
    item = Clause(id="law/第二章/第九条/（一）", doc_id="law", source="law.md", kind="clause", label="（一）",
                  path=["第二章 考试和注册", "第九条"], text="（一）具有…", sentences=[(0, 6)], lines=(2, 2))
    assert location(item, [art]) == "第八条第（一）项"


def test_typo_match_allows_one_wrong_character_in_long_words_only():
    from assistant.spans import TYPO_CREDIT, typo_match

    assert typo_match("规化建", "在遵义市规划建设国家区域医疗中心") == TYPO_CREDIT
    assert typo_match("规化建", "建设规划") == 0.0
    assert typo_match("遵毕", "遵义") == 0.0  # two characters, one wrong: another word
    assert typo_match("慢病长", "开放慢性病长处方") > 0  # characters in order


def test_window_prefers_words_standing_together():
    from assistant.spans import _window

    terms = ["中医医院", "康复科", "设置"]
    near = _window("所有三级中医类医院独立设置康复科，70%的二级以上县级中医医院设置康复科", terms)
    far = _window("二级以上中医医院加强康复科建设，推动康复医院全部设置传统康复治疗室", terms)
    assert near < far


def test_form_words_are_not_content_or_number_asks():
    q = analyze("一个医生以后可以在好几家医院坐诊吗")
    assert "以后" not in q.terms and not q.wants_number
    q = analyze("防溺水工作列的第一个责任单位是谁")
    assert "第一个" not in q.terms
    assert not analyze("这项工作涉及哪几个单位").wants_number
    assert analyze("要建几个中心").wants_number


def test_responsibility_ask_with_words_between():
    from assistant.quotes import ASKS_RESPONSIBLE as _ASKS_RESPONSIBLE

    assert _ASKS_RESPONSIBLE.search("建立救援队涉及哪些部队方面的单位")
    assert _ASKS_RESPONSIBLE.search("由哪个部门牵头")
    assert not _ASKS_RESPONSIBLE.search("每千人口托位数是多少")
