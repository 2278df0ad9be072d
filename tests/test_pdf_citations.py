"""A PDF in the corpus: indexed with the text's clause ids, cited with its page."""
from __future__ import annotations

from pathlib import Path

from indexer.corpus import load_corpus
from indexer.index import build_index
from indexer.settings import Settings

from .conftest import copy_cache
from .test_readers_pdf import _source_lines, make_text_pdf

SEED = Path(__file__).resolve().parents[1] / "corpus" / "003_f5b1b6779f8b2705.txt"


def test_pdf_clauses_match_the_text_and_citations_carry_pages(tmp_path: Path, seed_cache_dir: Path):
    from assistant import Assistant

    lines = _source_lines(60)
    pdf, pages = make_text_pdf(lines)
    assert pages >= 3
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "方案.pdf").write_bytes(pdf)
    (corpus / "manifest.toml").write_text('["方案.pdf"]\nid = "003"\ntitle = "贵州省进一步完善医疗卫生服务体系的实施方案"\n', encoding="utf-8")
    text_corpus = tmp_path / "text"
    text_corpus.mkdir()
    (text_corpus / "方案.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (text_corpus / "manifest.toml").write_text('["方案.txt"]\nid = "003"\n', encoding="utf-8")
    from_pdf = {c.id: c for d in load_corpus(corpus).documents for c in d.clauses}
    from_text = {c.id for d in load_corpus(text_corpus).documents for c in d.clauses}
    assert set(from_pdf) == from_text  # the same clause tree, whatever the format
    assert all(c.pages for c in from_pdf.values()) and max(p for c in from_pdf.values() for p in c.pages) == pages

    settings = Settings(corpus_dir=corpus, index_dir=tmp_path / "index", cache_dir=copy_cache(seed_cache_dir, tmp_path / "cache"))
    build_index(settings, show_progress=False)
    qa = Assistant.load(tmp_path / "index", settings)
    out = qa.ask("2025年每千人口托位数目标是多少")
    assert out["found"] and "4.5" in out["answer"]
    first = out["citations"][0]
    assert first["pages"] and f"第{first['pages'][0]}页" in first["cite"] and first["ocr"] is False
