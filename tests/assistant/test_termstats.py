"""Term document frequencies from character-pair postings equal a scan of every clause."""
from __future__ import annotations

import random

import pytest

import assistant.retrieval as retrieval
from assistant.config import AssistantConfig
from assistant.termstats import TermIndex


@pytest.fixture(scope="module")
def general_hay(general_build):
    from indexer.index import ClauseIndex

    _corpus, index_dir = general_build
    index = ClauseIndex.load(index_dir)
    return index, retrieval.Retriever(index, AssistantConfig())._hay


def test_counts_equal_a_full_scan(general_hay):
    _index, hay = general_hay
    terms = TermIndex(hay)
    rng = random.Random(7)
    probes = ["托位", "每千人口", "居家养老服务用房", "罚款", "的", "‰", "≥", "〔2023〕", "不存在的词语", "x", "第二十八条"]
    for _ in range(300):
        h = rng.choice(hay)
        j = rng.randrange(max(1, len(h) - 8))
        probes.append(h[j:j + rng.randint(1, 8)])
    for term in probes:
        assert terms.doc_freq([term]) == sum(1 for h in hay if term in h), term
    # alternatives: rows holding either
    assert terms.doc_freq(["托位", "托育"]) == sum(1 for h in hay if "托位" in h or "托育" in h)
    assert terms.doc_freq([]) == 0 and terms.nbytes > 0


def test_retriever_uses_postings_on_a_large_library(general_hay, monkeypatch):
    index, _hay = general_hay
    scan = retrieval.Retriever(index, AssistantConfig())
    assert scan._terms is None  # a small corpus is scanned
    monkeypatch.setattr(retrieval, "TERM_INDEX_MIN_ROWS", 10)
    fast = retrieval.Retriever(index, AssistantConfig())
    assert fast._terms is not None
    for term in ["托位数", "失业保险金", "中医诊所", "出租汽车|出租车", "无此词"]:
        assert fast.doc_freq(term) == scan.doc_freq(term)
    q = "新建小区配的居家养老用房单处最少多大？"
    a, b = fast.search(q, top_k=5), scan.search(q, top_k=5)
    assert [h.clause.id for h in a.hits] == [h.clause.id for h in b.hits]
