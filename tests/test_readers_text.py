"""Plain-text documents in the encodings they arrive in; one bad byte never drops a document."""
from __future__ import annotations

import logging

import pytest

from indexer.corpus import load_corpus
from indexer.readers import UnreadableDocument, read_document

TEXT = "一、总体要求\n\n到2025年，每千人口拥有3岁以下婴幼儿托位数4.5个；孕产妇死亡率≤12/10万，婴儿死亡率≤5‰。\n（黔府办函〔2019〕12号）\n"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "utf-16-be", "gb18030"])
def test_every_encoding_keeps_every_character(encoding):
    data = TEXT.encode(encoding)
    if encoding == "utf-16-be":
        data = b"\xfe\xff" + data
    assert read_document("a.txt", data).text.lstrip("\ufeff") == TEXT


def test_a_bad_byte_is_replaced_and_reported(tmp_path, caplog):
    data = TEXT.encode("utf-8")
    i = data.index("托".encode())
    (tmp_path / "a.txt").write_bytes(data[:i] + b"\xff" + data[i + 1 :])
    with caplog.at_level(logging.WARNING, logger="indexer.corpus"):
        corpus = load_corpus(tmp_path)
    (doc,) = corpus.documents
    text = "".join(c.text for c in doc.clauses)
    assert "\ufffd" in text and "4.5个" in text and "≤5‰" in text
    assert any("replaced by U+FFFD" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize(
    "name, data, reason",
    [
        ("a.txt", b"", "empty"),
        ("a.txt", b"\x00\x01\x02" * 100, "binary"),
        ("a.pages", b"whatever", "unsupported file type .pages"),
        ("a.pdf", b"", "empty"),
    ],
)
def test_unreadable_files_say_why(name, data, reason):
    with pytest.raises(UnreadableDocument, match=reason):
        read_document(name, data)


def test_legacy_word_without_libreoffice_says_what_to_do(monkeypatch):
    import shutil

    monkeypatch.setattr(shutil, "which", lambda _name: None)
    with pytest.raises(UnreadableDocument, match="save it as .docx"):
        read_document("通知.doc", b"\xd0\xcf\x11\xe0 legacy")


def test_a_link_out_of_the_corpus_folder_is_not_followed(tmp_path):
    corpus, outside = tmp_path / "corpus", tmp_path / "outside"
    corpus.mkdir()
    outside.mkdir()
    (outside / "secret.txt").write_text("第一条 不应被索引的内容。\n", encoding="utf-8")
    (corpus / "plan.txt").write_text(TEXT, encoding="utf-8")
    (corpus / "secret.txt").symlink_to(outside / "secret.txt")
    (corpus / "also.txt").symlink_to(corpus / "plan.txt")  # a link inside the folder is fine
    loaded = load_corpus(corpus)
    assert {s["file"]: s["reason"] for s in loaded.skipped}.keys() == {"secret.txt"}
    assert "outside the corpus folder" in loaded.skipped[0]["reason"]
    assert "不应被索引" not in "".join(c.text for d in loaded.documents for c in d.clauses)


def test_a_rebuild_reads_only_new_or_changed_documents(tmp_path, monkeypatch):
    import indexer.corpus as corpus_module

    corpus, cache = tmp_path / "corpus", corpus_module.ParseCache(tmp_path / "parsed")
    corpus.mkdir()
    (corpus / "a.txt").write_text(TEXT, encoding="utf-8")
    (corpus / "b.txt").write_text(TEXT.replace("4.5个", "5个"), encoding="utf-8")
    first = corpus_module.load_corpus(corpus, cache=cache)
    reads = []
    real = corpus_module.read_document
    monkeypatch.setattr(corpus_module, "read_document", lambda name, data: reads.append(name) or real(name, data))
    (corpus / "c.txt").write_text("第一条 新加的文件。\n", encoding="utf-8")
    again = corpus_module.load_corpus(corpus, cache=corpus_module.ParseCache(tmp_path / "parsed"))
    assert reads == ["c.txt"]  # a and b came from the cache
    same = {c.id: c.text for d in first.documents for c in d.clauses}
    assert {k: v for k, v in ((c.id, c.text) for d in again.documents for c in d.clauses) if k in same} == same
    (corpus / "c.txt").unlink()
    corpus_module.load_corpus(corpus, cache=corpus_module.ParseCache(tmp_path / "parsed"))
    assert len(list((tmp_path / "parsed").glob("*.pkl"))) == 2  # the removed file's entry is pruned


def test_legacy_word_is_converted_by_libreoffice(tmp_path):
    import shutil
    import subprocess

    import docx

    soffice = shutil.which("soffice")
    if soffice is None:
        pytest.skip("LibreOffice (soffice) is not installed: .ci/run installs libreoffice-writer-nogui")
    d = docx.Document()
    d.add_paragraph("郑州市客运出租汽车管理条例")
    d.add_paragraph("第一条 为了规范客运出租汽车经营行为，保障乘客的合法权益，制定本条例。")
    d.add_paragraph("第四十三条 驾驶员拒载的，处三百元罚款。")
    d.save(tmp_path / "a.docx")
    subprocess.run([soffice, "--headless", "--convert-to", "doc", "--outdir", str(tmp_path), str(tmp_path / "a.docx")],
                   check=True, capture_output=True, timeout=120)
    result = read_document("条例.doc", (tmp_path / "a.doc").read_bytes())
    assert result.format == "doc" and "converted from .doc by LibreOffice" in result.warnings
    assert "第四十三条 驾驶员拒载的，处三百元罚款。" in result.text
