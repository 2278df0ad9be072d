"""The 红头 of an official document read from its text; the manifest still overrides it."""
from __future__ import annotations

from pathlib import Path

from indexer.corpus import load_corpus
from indexer.officialheader import read_header

SEEDS = Path(__file__).resolve().parents[1] / "corpus"


def test_issuer_number_and_date_of_a_forwarding_notice():
    h = read_header((SEEDS / "000_b3e6732d71efd615.txt").read_text(encoding="utf-8"))
    assert h.issuer == "贵州省人民政府办公厅"  # letter-spaced in the source
    assert h.doc_number == "黔府办函〔2019〕12号"  # "黔府办函 〔2019〕12号" with a space
    assert h.date == "2019-01-26"


def test_a_draft_says_so_and_a_cited_number_is_not_the_documents_own():
    assert read_header((SEEDS / "003_f5b1b6779f8b2705.txt").read_text(encoding="utf-8")).status == "征求意见稿"
    # 004 cites 黔党发〔2021〕36号 inside a sentence: that is another document's number
    assert read_header((SEEDS / "004_82ee4871efe4d5ea.txt").read_text(encoding="utf-8")).doc_number is None


def test_bracket_styles_and_a_document_issued_as_a_file():
    h = read_header("安顺市平坝区卫生健康局文件\n\n平卫健发[2023]7号\n\n关于印发某方案的通知\n\n正文。\n\n2023年3月5日\n")
    assert (h.issuer, h.doc_number, h.date) == ("安顺市平坝区卫生健康局", "平卫健发〔2023〕7号", "2023-03-05")
    assert read_header("第一条 为了规范管理，制定本条例。\n第二条 本条例自2021年1月1日起施行。") == type(h)()


def test_corpus_metadata_comes_from_the_header_unless_the_manifest_says(tmp_path):
    text = (SEEDS / "000_b3e6732d71efd615.txt").read_text(encoding="utf-8")
    plain, overridden = tmp_path / "plain", tmp_path / "overridden"
    for folder in (plain, overridden):
        folder.mkdir()
        (folder / "notice.txt").write_text(text, encoding="utf-8")
    (overridden / "manifest.toml").write_text('["notice.txt"]\ndoc_number = "黔府办函〔2019〕99号"\n', encoding="utf-8")
    (doc,) = load_corpus(plain).documents
    assert (doc.issuer, doc.doc_number, doc.date) == ("贵州省人民政府办公厅", "黔府办函〔2019〕12号", "2019-01-26")
    (doc,) = load_corpus(overridden).documents
    assert (doc.issuer, doc.doc_number) == ("贵州省人民政府办公厅", "黔府办函〔2019〕99号")


def test_a_plans_cover_gives_its_issuer_and_month():
    # 002 has no 红头: title, then 安顺市平坝区卫生健康局, then 2022年4月 on lines of their own
    h = read_header((SEEDS / "002_7652db6a697673a0.txt").read_text(encoding="utf-8"))
    assert (h.issuer, h.date, h.doc_number) == ("安顺市平坝区卫生健康局", "2022-04", None)


def test_a_signature_names_the_issuer_above_the_date_but_a_sentence_does_not():
    signed = "关于做好某项工作的通知\n\n各县区：\n\n请认真组织实施。\n\n贵州省卫生健康委员会\n2023年3月5日\n"
    assert (read_header(signed).issuer, read_header(signed).date) == ("贵州省卫生健康委员会", "2023-03-05")
    # 000: the line above its date is the notice's last sentence, and its issuer comes from the 红头
    h = read_header((SEEDS / "000_b3e6732d71efd615.txt").read_text(encoding="utf-8"))
    assert h.issuer == "贵州省人民政府办公厅"
    sentence = "关于某事的通知\n\n现转发给你们，请结合实际，认真组织实施。\n2023年3月5日\n"
    assert read_header(sentence).issuer is None and read_header(sentence).date == "2023-03-05"
    # a month on its own line deep in the body is not the document's date
    body = "某规划\n\n" + "正文一段。\n" * 20 + "2022年4月\n"
    assert read_header(body).date is None


def test_uploaded_plan_without_manifest_gets_the_cover_metadata(tmp_path):
    folder = tmp_path / "plain"
    folder.mkdir()
    (folder / "plan.txt").write_text((SEEDS / "002_7652db6a697673a0.txt").read_text(encoding="utf-8"), encoding="utf-8")
    (doc,) = load_corpus(folder).documents
    assert (doc.issuer, doc.date) == ("安顺市平坝区卫生健康局", "2022-04")
