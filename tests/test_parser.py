"""Clause parser on the real seed documents: structure, ids, tables, repairs, no lost characters."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from indexer.corpus import load_corpus
from indexer.parser import _is_table_line, classify, cn_to_int, int_to_cn, parse_document, split_sentences, table_cells
from indexer.records import Clause
from indexer.textclean import WEB_FOOTER_LINES, UnreadableDocument, clean_line, decode_bytes

CORPUS = Path(__file__).resolve().parents[1] / "corpus"
SEEDS = {p.name[:3]: p for p in sorted(CORPUS.glob("*.txt"))}


def parse(doc_id: str, text: str | None = None) -> list[Clause]:
    path = SEEDS[doc_id]
    if text is None:
        text, _ = decode_bytes(path.read_bytes())
    return parse_document(text, doc_id, path.name).clauses


@pytest.fixture(scope="module")
def parsed() -> dict[str, dict[str, Clause]]:
    return {doc_id: {c.id: c for c in parse(doc_id)} for doc_id in SEEDS}


def squash(s: str) -> str:
    return re.sub(r"\s+", "", s)


# ---------------------------------------------------------------- structure per document


def test_003_clause_holds_target_and_responsible_units(parsed):
    c = parsed["003"]["003/二/（一）/1"]
    assert c.kind == "clause" and c.label == "1."
    assert "国家区域医疗中心5个左右" in c.text
    assert "责任单位：省发展改革委、省卫生健康委" in c.text
    assert c.path == ["二、加快构建省市县乡村优质高效医疗卫生服务体系", "（一）以国家区域医疗中心为引领，提高省级医疗卫生服务能力"]
    assert c.parent_id == "003/二/（一）"
    assert c.lines == (12, 12)


def test_003_misnumbered_labels_are_placed_by_sequence(parsed):
    ids = parsed["003"]
    # The source prints （1） and （3） between （二） and （四）, and 5、 for 五、.
    assert ids["003/四/（一）"].label == "（1）" and ids["003/四/（一）"].kind == "heading"
    assert ids["003/四/（三）"].label == "（3）"
    assert ids["003/四/（一）/1"].text.startswith("1.结合新型城镇化")
    assert ids["003/五"].label == "5、" and ids["003/五"].text == "5、保障措施"
    assert ids["003/五/（四）"].text.startswith("（四）强化宣传引导")


def test_003_long_target_paragraph_stays_whole_with_sentence_offsets(parsed):
    c = parsed["003"]["003/一/p2"]
    assert c.kind == "paragraph" and c.text.startswith("到2025年")
    sentences = c.sentence_texts()
    assert len(sentences) >= 8
    assert any(s.startswith("每千人口拥有3岁以下婴幼儿托位数4.5个") for s in sentences)
    assert "".join(sentences) == squash(c.text)


def test_002_table_row_carries_header_inherited_cells_and_caption(parsed):
    rows = [c for c in parsed["002"].values() if c.kind == "table_row"]
    assert len(rows) == 18
    row = next(c for c in rows if "托位数" in c.text)
    assert "领域 健康水平" in row.text  # inherited from the row that first names the domain
    assert "指标 每千常住人口0-3岁儿童托位数" in row.text
    assert "2025目标 ≥ 3" in row.text and "属性 预期性" in row.text
    assert row.text.startswith("“十四五”卫生健康事业发展主要指标：")
    assert row.id.startswith("002/第三章/第三节/表1/")
    assert row.lines[0] == row.lines[1] and row.lines[0] > 160
    occupational = next(c for c in rows if "定期检测率" in c.text)
    assert "领域 职业健康服务" in occupational.text


def test_002_chapters_sections_boxes_and_footnotes(parsed):
    ids = parsed["002"]
    assert ids["002/第一章"].text == "第一章 规划背景"
    assert ids["002/第四章/第一节/（一）/2"].kind == "clause"
    # The footnotes interrupt item 2 in the source; the text after them still joins item 2.
    item = ids["002/第四章/第一节/（一）/2"].text
    assert "强化非" in item and squash(item).endswith("服务。")
    assert ids["002/第四章/第一节/（一）/2/注1"].text.startswith("²")
    assert ids["002/第四章/第一节/专栏一"].kind == "heading"
    assert "公共卫生体系建设重点项目" in ids["002/第四章/第一节/专栏一/p1"].text
    assert ids["002/第一章/第一节/（四）"].text.startswith("（四）中医药传承创新发展不断加强")


def test_002_table_of_contents_is_not_mistaken_for_headings(parsed):
    ids = parsed["002"]
    toc = ids["002/目录"]
    assert toc.kind == "heading" and "（三）发展目标" in toc.text
    assert not any(re.fullmatch(r"002/[一二三四五六]", i) for i in ids)
    assert ids["002/前言"].kind == "heading"


def test_000_pdf_faults_are_repaired(parsed):
    ids = parsed["000"]
    first = ids["000/一/（一）"].text
    assert "执业(助理)医师2.5人" in first  # wrapped as "执业 (助\n\n理)医师" in the source
    third = ids["000/一/（三）"].text
    assert "婴儿死亡率降到7.5‰" in third and "曤" not in third
    assert "000/二/——1/（九）" in ids and ids["000/二/——1/（九）"].kind == "clause"
    assert ids["000/二/——3/（二十一）"].text.startswith("(二十一)加强0—3岁婴幼儿保育保健工作")
    assert not any("曤" in c.text for c in ids.values())


def test_001_wrapped_lines_join_and_dash_groups_nest(parsed):
    ids = parsed["001"]
    assert "甲乙丙类法定传染病总发病率控制在全国平均水平以下" in ids["001/一/（二）"].text
    assert ids["001/二/——1"].text.startswith("——乡村能力提升工程")
    assert ids["001/二/——1/（七）"].path[-1] == "——乡村能力提升工程"
    assert "相关主题" not in "".join(c.text for c in ids.values())  # web footer dropped


def test_004_continuous_numbering_and_closing_paragraph(parsed):
    ids = parsed["004"]
    assert ids["004/二/16"].text.startswith("16.加快省重大公共卫生防控救治基地")
    assert ids["004/三/38"].text.count("3.3个") == 1
    closing = [c for c in ids.values() if c.text.startswith("各地各有关部门要进一步强化组织领导")]
    assert len(closing) == 1 and closing[0].parent_id is None


# ---------------------------------------------------------------- invariants on every seed


def _source_pieces(text: str) -> list[tuple[int, str]]:
    """What must survive: each source line (each table cell), minus documented artefacts."""
    pieces = []
    for no, line in enumerate(text.splitlines(), start=1):
        line = re.sub(r"^#{1,6}\s", "", line)
        cells = table_cells(line) if _is_table_line(line) else [line]
        if cells is None:  # a markdown table separator row
            continue
        for cell in cells:
            cleaned = squash(clean_line(cell))
            if cleaned and cleaned not in WEB_FOOTER_LINES:
                pieces.append((no, cleaned))
    return pieces


@pytest.mark.parametrize("doc_id", sorted(SEEDS))
def test_no_character_is_lost(doc_id):
    text, _ = decode_bytes(SEEDS[doc_id].read_bytes())
    clauses = parse(doc_id, text)
    haystack = squash("".join(c.text for c in clauses))
    missing = [(no, piece) for no, piece in _source_pieces(text) if piece not in haystack]
    assert not missing, f"lost text in {doc_id}: {missing[:5]}"


@pytest.mark.parametrize("doc_id", sorted(SEEDS))
def test_clause_records_are_well_formed(doc_id):
    clauses = parse(doc_id)
    ids = [c.id for c in clauses]
    assert len(ids) == len(set(ids))
    by_id = {c.id: c for c in clauses}
    for c in clauses:
        assert c.kind in ("clause", "table_row", "paragraph", "heading")
        assert c.id.startswith(f"{doc_id}/") and c.text == c.text.strip()
        assert c.parent_id is None or c.parent_id in by_id
        assert c.sentences and all(0 <= a < b <= len(c.text) for a, b in c.sentences)
        assert 1 <= c.lines[0] <= c.lines[1]


def test_ids_are_identical_across_parses():
    assert [c.id for c in parse("003")] == [c.id for c in parse("003")]


def test_ids_survive_edits_elsewhere_in_the_document():
    text, _ = decode_bytes(SEEDS["003"].read_bytes())
    before = {c.id: c.text for c in parse("003", text)}
    edited = text.replace("占比达到15%以上", "占比达到16%以上")  # change one clause's text
    edited = edited.replace(  # and add an item to another section
        "（二）以省级区域医疗中心为重点",
        "7.新增一项措施。（责任单位：省卫生健康委）\n（二）以省级区域医疗中心为重点",
    )
    after = {c.id: c.text for c in parse("003", edited)}
    assert set(before) <= set(after)
    assert set(after) - set(before) == {"003/二/（一）/7"}
    changed = {i for i in before if before[i] != after[i]}
    assert changed == {"003/二/（二）/3"}


# ---------------------------------------------------------------- building blocks


def test_in_text_references_are_not_labels():
    assert classify("（三）的要求执行", "（三）的要求执行") is None
    assert classify("第十一条规定的情形", "第十一条规定的情形") is None
    assert classify("第十一条 规定本市的事项", "第十一条规定本市的事项").family == "article"
    assert classify("（三）项目建设", "（三）项目建设").family == "paren_cn"
    assert classify("2025年，全省", "2025年，全省") is None
    assert classify("2.5人", "2.5人") is None


def test_parser_structure_on_a_synthetic_law():
    text = "\n".join([
        "# 某某条例",
        "2021年8月20日 第十三届全国人民代表大会常务委员会第三十次会议通过",
        "<!-- INFO END -->",
        "## 第一章 总则",
        "第一条 为了规范管理，制定本条例。",
        "第二条 有下列情形之一的，依照本条例处理：",
        "（一）未经许可的；",
        "（二）按照第一条规定应当备案而未备案的。",
        "第十一条规定的事项，由市人民政府决定。",
        "## 第二章 附则",
        "第三条 本条例自2025年1月1日起施行。",
    ])
    parsed = parse_document(text, "law", "law.md")
    assert parsed.title == "某某条例"  # the adoption note is not part of the title
    clauses = parsed.clauses
    ids = {c.id: c for c in clauses}
    assert "law/第一章/第二条" in ids
    article = ids["law/第一章/第二条"]
    assert "（二）按照第一条规定应当备案而未备案的。" in article.text
    assert "第十一条规定的事项" in article.text  # an in-text reference stays inside its article
    assert ids["law/第二章/第三条"].path == ["第二章 附则"]
    assert not any(c.kind == "heading" and c.path for c in clauses if "章" not in c.text)


def test_sentence_offsets_split_on_chinese_and_ascii_punctuation():
    text = "2020年,目标甲;目标乙。2022年，目标丙（含说明。）；（责任单位：省卫生健康委）"
    parts = [text[a:b] for a, b in split_sentences(text)]
    assert parts == ["2020年,目标甲;", "目标乙。", "2022年，目标丙（含说明。）；", "（责任单位：省卫生健康委）"]


def test_chinese_numerals_round_trip():
    for n in (1, 9, 10, 11, 20, 47, 99, 100, 105, 463, 999):
        assert cn_to_int(int_to_cn(n)) == n
    assert cn_to_int("四百六十三") == 463 and cn_to_int("二十一") == 21


def test_decoding_gbk_and_refusing_binary_or_empty():
    text = "一、总体要求\n每千人口托位数4.5个。"
    assert decode_bytes(text.encode("gb18030")) == (text, "gb18030")
    assert decode_bytes(text.encode("utf-8"))[0] == text
    with pytest.raises(UnreadableDocument):
        decode_bytes(b"")
    with pytest.raises(UnreadableDocument):
        decode_bytes(bytes(range(256)) * 10)


# ---------------------------------------------------------------- corpus level


def test_near_duplicate_extraction_is_folded_into_the_cleaner_one():
    corpus = load_corpus(CORPUS)
    docs = {d.doc_id: d for d in corpus.documents}
    assert "000" not in docs and "001" in docs
    alias = docs["001"].aliases[0]
    assert alias["doc_id"] == "000" and alias["jaccard"] > 0.9
    assert docs["001"].doc_number == "黔府办函〔2019〕12号"
    assert docs["002"].jurisdiction == "安顺市平坝区" and docs["002"].years == [2021, 2025]
    assert corpus.skipped == []


def test_document_without_manifest_entry_still_indexes(tmp_path):
    (tmp_path / "新文件.txt").write_text("某市卫生健康工作要点\n一、总体目标\n到2025年，每千人口床位数达到6张。\n", encoding="utf-8")
    corpus = load_corpus(tmp_path)
    (doc,) = corpus.documents
    assert doc.doc_id == "新文件" and doc.title == "某市卫生健康工作要点"
    assert any(c.id == "新文件/一/p1" for c in doc.clauses)
