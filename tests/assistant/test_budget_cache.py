"""Bounded cost per request: a long question answered from its key part; caches bounded in bytes."""
from __future__ import annotations

import threading

import numpy as np

from assistant.budget import focus_question
from assistant.cache import BoundedCache
from assistant.retrieval import Filters
from indexer.tokenize import tokenize

PASTE = (
    "根据省里今年的工作安排，各地要加快推进托育服务体系建设，完善普惠托育服务政策，"
    "加强托育机构监管，做好婴幼儿照护服务工作。我们单位正在起草本区的落实方案，"
    "领导要求把指标写清楚，并同上级文件保持一致，所以想核实一下相关数字。"
) * 6 + "请问2025年每千人口托位数目标是多少？"


def test_a_short_question_is_untouched():
    f = focus_question("2025年每千人口托位数目标是多少？", 64, lambda ts: [1] * len(ts), 100, tokenize)
    assert f.text == "2025年每千人口托位数目标是多少？" and not f.trimmed and f.note() == ""


def test_a_long_paste_keeps_its_question_sentence_within_the_budget():
    f = focus_question(PASTE, 64, lambda ts: [3] * len(ts), 500, tokenize)
    assert f.trimmed and len(f.text) <= 64 and f.original_chars == len(PASTE)
    assert "每千人口托位数目标是多少" in f.text
    assert f"{len(PASTE)}字" in f.note() and f.text in f.note()


def test_without_a_question_cue_the_rarest_words_are_kept():
    common = "各地要认真贯彻落实有关工作要求。" * 10
    rare = "县域医疗次中心建设标准。"
    df = {"县域": 2, "医疗": 5, "次中心": 1, "建设": 5, "标准": 5}
    f = focus_question(common + rare + common, 20, lambda ts: [df.get(t, 400) for t in ts], 500, tokenize)
    assert f.trimmed and "次中心" in f.text and len(f.text) <= 20


def test_a_long_question_through_the_assistant_is_answered_from_its_part(assistant_qa):
    short = assistant_qa.ask("2025年每千人口托位数目标是多少？")
    long = assistant_qa.ask(PASTE)
    assert long["note"].startswith("问题较长") and "4.5" in long["answer"]
    assert long["citations"][0]["clause_id"] == short["citations"][0]["clause_id"]
    assert "note" not in short


def test_bounded_cache_drops_least_recently_used_by_entries_and_bytes():
    c: BoundedCache[str, np.ndarray] = BoundedCache(max_entries=3, max_bytes=10_000)
    for i in range(3):
        c.put(f"k{i}", np.zeros(100, dtype=np.float32))
    assert c.get("k0") is not None  # k0 is now the most recent
    c.put("k3", np.zeros(100, dtype=np.float32))
    assert "k1" not in c and "k0" in c and len(c) == 3
    c.put("big", np.zeros(4000, dtype=np.float32))  # 16 KB: larger than the whole budget, not kept
    assert "big" not in c
    for i in range(50):
        c.put(f"m{i}", np.zeros(1000, dtype=np.float32))  # 4 KB each: only two fit in 10 KB
    assert len(c) <= 2 and c.nbytes <= 10_000


def test_filter_cache_of_the_retriever_stays_bounded(assistant_qa):
    r = assistant_qa.retriever
    for i in range(400):  # distinct 100-character jurisdictions: each a new key
        r.filter_mask(Filters(jurisdiction=(f"{i:03d}" + "某" * 97,)))
    cache = r.filters._cache
    assert len(cache) <= cache.max_entries and cache.nbytes <= cache.max_bytes


def test_bounded_cache_is_thread_safe():
    c: BoundedCache[int, int] = BoundedCache(max_entries=100, max_bytes=1 << 20)

    def work(base: int) -> None:
        for i in range(2000):
            c.put(base + i, i)
            c.get(base + i // 2)

    threads = [threading.Thread(target=work, args=(k * 10_000,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(c) == 100 and c.nbytes > 0


def test_a_question_about_the_paste_itself_keeps_the_paste():
    passage = "各地要认真贯彻落实。" * 5 + "县域医疗次中心建设标准。"
    df = {"县域": 2, "医疗": 5, "次中心": 1, "建设": 5, "标准": 5}
    f = focus_question(passage + "这段话出自哪个文件？", 20, lambda ts: [df.get(t, 400) for t in ts], 500, tokenize)
    assert f.trimmed and "次中心" in f.text and "这段话" not in f.text
