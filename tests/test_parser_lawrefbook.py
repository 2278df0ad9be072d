"""The parser on a few hundred public law texts: not tuned to five files."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from evals.corpora.general import lawrefbook_root

from indexer.parser import parse_document
from indexer.textclean import decode_bytes

from .test_parser import _source_pieces, squash

LAWREFBOOK = lawrefbook_root()  # PQA_LAWREFBOOK_DIR, else ../shared/corpora/lawrefbook
ARTICLE_LINE = re.compile(r"^第[零〇一二三四五六七八九十百千]+条(?:之[一二三四五六七八九十]+)?", re.M)


def sample_files(n: int = 300) -> list[Path]:
    files = sorted(LAWREFBOOK.rglob("*.md"))
    step = max(1, len(files) // n)
    return files[::step][:n]


def test_three_hundred_law_texts_parse_into_articles_without_losing_text():
    if not LAWREFBOOK.is_dir():
        pytest.fail(f"this test needs lawrefbook at {LAWREFBOOK} (set PQA_LAWREFBOOK_DIR)")
    files = sample_files()
    assert len(files) == 300
    total_articles = 0
    for path in files:
        text, _ = decode_bytes(path.read_bytes())
        clauses = parse_document(text, "law", path.name).clauses
        ids = [c.id for c in clauses]
        assert len(ids) == len(set(ids)), path.name
        articles = [c for c in clauses if re.fullmatch(ARTICLE_LINE.pattern, c.label)]
        expected = [m.group(0) for m in ARTICLE_LINE.finditer(text)]
        assert [c.label for c in articles] == expected, path.name
        for c in articles:
            assert c.kind == "clause" and c.id.endswith("/" + c.label)
        haystack = squash("".join(c.text for c in clauses))
        missing = [p for _, p in _source_pieces(text) if p not in haystack]
        assert not missing, f"{path.name}: lost {missing[:3]}"
        total_articles += len(articles)
    assert total_articles > 5000
