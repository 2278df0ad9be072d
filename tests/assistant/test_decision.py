"""The found / not-found decision: the fitted confidence model, the hard vetoes, the key-noun and
number signals, and quotes that state what was asked."""
from __future__ import annotations

import json

import pytest

from assistant.decision import FEATURES, MODEL_PATH, RANK_FAILED, Candidate, add_relative_features, load_confidence_model
from assistant.query import analyze, focus_term
from assistant.quotes import _widen_to


# ------------------------------------------------------------------ the fitted model
def test_packaged_model_loads_with_every_feature_and_a_fitted_threshold():
    model = load_confidence_model()
    assert model.features == FEATURES
    assert 0.05 <= model.threshold <= 0.95
    meta = model.meta
    assert meta["fitted_by"] == "python -m evals.fit_confidence"
    # fitted on the seed dev set and the general tune half, never on the test half
    assert set(meta["fitted_on"]) == {"seeds-dev", "general-tune"}
    assert meta["examples"] > 500 and 0 < meta["positives"] < meta["examples"]


def test_model_is_deterministic_and_monotone_in_its_strongest_signals():
    model = load_confidence_model()
    base = {f: 0.0 for f in FEATURES} | {"score": 0.8, "coverage": 0.9, "coverage_known": 0.9, "bm25_rr": 1.0, "dense_rr": 1.0, "rule_vote": 1.0}
    p = model.predict(base)
    assert p == model.predict(dict(base)) and 0.0 < p < 1.0
    # a quote without the asked number (so also behind every candidate that states it), or far
    # below the top candidate, is less likely right
    assert model.predict(base | {"number_missing": 1.0, "rank_ok": RANK_FAILED}) < p
    assert model.predict(base | {"rank_ok": 2.0}) < p
    assert model.predict(base | {"coverage": 0.1, "coverage_known": 0.1}) < p


def test_a_broken_model_file_is_one_clear_error(tmp_path):
    bad = tmp_path / "m.json"
    bad.write_text(json.dumps({"features": ["score", "nonsense"], "mean": [0, 0], "scale": [1, 1], "coef": [1, 1], "intercept": 0, "threshold": 0.5}))
    with pytest.raises(ValueError, match="unknown feature"):
        load_confidence_model(bad)
    with pytest.raises(ValueError, match="not a confidence model"):
        load_confidence_model(tmp_path / "missing.json")


def test_reliability_of_the_fit_is_recorded():
    rows = json.loads(MODEL_PATH.read_text(encoding="utf-8"))["meta"]["out_of_fold_reliability"]
    assert sum(r["n"] for r in rows) > 500
    # high-confidence examples are mostly right, low-confidence ones mostly wrong
    assert rows[-1]["correct"] > 0.8 and rows[0]["correct"] < 0.2


def test_relative_signals_rank_the_candidates_that_state_what_was_asked():
    def cand(rank: int, number_missing: float, veto: str = "") -> Candidate:
        return Candidate(hit=None, rank=rank, spans=[], quote="", features={"number_missing": number_missing, "unit_missing": 0.0}, veto=veto)  # type: ignore[arg-type]

    cands = [cand(0, 1.0), cand(1, 0.0, veto="place"), cand(2, 0.0), cand(3, 0.5), cand(4, 1.0)]
    add_relative_features(cands)
    # the first clause lacks the asked fine: the third, which states it, is first among those that do
    assert [c.features["rank_ok"] for c in cands] == [RANK_FAILED, RANK_FAILED, 0.0, 1.0, RANK_FAILED]
    assert [c.features["number_ok_elsewhere"] for c in cands] == [1.0, 0.0, 0.0, 1.0, 1.0]
    alone = [cand(0, 1.0), cand(1, 1.0)]
    add_relative_features(alone)
    assert [c.features["number_ok_elsewhere"] for c in alone] == [0.0, 0.0]


# ------------------------------------------------------------------ the asked key noun
@pytest.mark.parametrize(
    "question, focus",
    [
        ("2025年全省每千人口托位数目标是多少？", "托位数"),
        ("一级注册建筑师考试报名费是多少钱？", "报名费"),
        ("2025年每千人口注册护士数是多少", "注册护士"),
        ("自己主动辞职的，能领失业金吗？", "失业金|失业保险金"),
    ],
)
def test_focus_is_the_term_asked_about(question, focus):
    q = analyze(question)
    assert q.focus == focus or focus in q.focus.split("|"), q.focus
    assert focus_term(q.normalized, q.terms, q.soft_terms) == q.focus


def test_traditional_characters_and_colloquial_words_are_folded():
    q = analyze("醫療機構的衛生健康委員會负责什么")
    assert "医疗机构" in q.normalized and "卫生健康委员会" in q.normalized
    q = analyze("在公共场所抽烟罚多少钱")
    assert any(t.startswith("抽烟|") and "吸烟" in t.split("|") for t in q.terms)
    assert "吸烟" in q.tokens


# ------------------------------------------------------------------ quotes state what was asked
def test_quote_runs_on_to_the_fine_in_the_same_sentence():
    text = "餐饮服务经营者违反本规定，诱导消费者超量点餐造成浪费的，由市场监督管理部门责令改正，给予警告；拒不改正的，处一千元以上一万元以下罚款。"
    b = text.index("给予警告") + len("给予警告")
    spans = [(0, b)]
    added = _widen_to(text, spans, [text.index("一千元")], 200)
    assert added > 0 and text[spans[0][0] : spans[0][1]].endswith("一千元以上一万元以下罚款")


def test_quote_takes_the_part_with_the_unit_from_another_sentence():
    text = "县级以上人民政府应当加强管理。具体办法由市卫生健康主管部门制定。"
    spans = [(0, text.index("。"))]
    unit = text.index("市卫生健康主管部门")
    _widen_to(text, spans, [unit], 200)
    assert any(a <= unit < b for a, b in spans)


def test_nothing_is_added_beyond_the_budget():
    text = "甲应当做某事。" + "乙" * 50 + "处五万元罚款。"
    spans = [(0, 6)]
    assert _widen_to(text, spans, [text.index("五万元")], 10) == 0 and spans == [(0, 6)]


# ------------------------------------------------------------------ the assistant's answers
def test_every_answer_carries_its_confidence(assistant_qa):
    found = assistant_qa.ask("2025年全省每千人口托位数目标是多少？")
    assert found["found"] and found["confidence"] >= assistant_qa.model.threshold
    refused = assistant_qa.ask("2025年云南省每千人口托位数目标是多少？")
    assert not refused["found"] and 0.0 <= refused["confidence"] < assistant_qa.model.threshold


def test_another_province_is_a_certain_veto(assistant_qa):
    from assistant.decision import score_candidates

    r = assistant_qa.retriever.search(analyze("云南省2025年每千人口托位数目标是多少"), top_k=10)
    cands = score_candidates(r, assistant_qa.config, assistant_qa.retriever.texts, assistant_qa.model)
    assert cands and all(c.veto == "place" for c in cands if c.hit.doc.get("jurisdiction"))


# ------------------------------------------------------------------ places named for certain
@pytest.mark.parametrize(
    "question, places",
    [
        ("新建楼盘没按规定配太阳能热水系统，会被罚多少钱？", []),  # 新建 is also a district's bare name
        ("新建区的养老服务用房要多大", ["新建"]),
        ("杭州的养老服务设施怎么配", ["杭州"]),
        ("云南省2025年每千人口托位数目标是多少", ["云南"]),
    ],
)
def test_a_county_named_bare_is_no_certain_place(question, places, assistant_qa):
    q = analyze(question)
    assert [p for p in q.places if p not in q.bare_places] == places
    assert assistant_qa.retriever.question_places(q) == places
    # still not read as a content word either way
    assert "新建" not in q.terms
    # the corpus's own county named bare is its place
    assert assistant_qa.retriever.question_places(analyze("平坝的卫生院要建几个")) == ["平坝"]


# ------------------------------------------------------------------ laws nobody tuned for
@pytest.fixture(scope="module")
def general_qa(general_build):
    from assistant import Assistant
    from indexer.settings import Settings

    _corpus, index_dir = general_build
    return Assistant.load(index_dir, Settings(index_dir=index_dir))


def test_penalty_clauses_name_the_articles_they_punish():
    from assistant.crossref import asks_penalty, cited_articles as _cited_articles

    assert _cited_articles("第三十八条 违反本条例第二十七条规定，不出租车位、车库给业主使用的") == [27]
    assert _cited_articles("违反本条例第十条、第十二条第二款规定的，处五千元罚款") == [10, 12]
    assert _cited_articles("违反本法第三条至第五条规定") == [3, 4, 5]
    assert _cited_articles("依照本条例第十条规定办理") == []
    assert asks_penalty("拒载罚多少？") and asks_penalty("要承担什么法律责任") and not asks_penalty("有效期多长")


def test_a_fine_asked_is_found_in_the_article_punishing_the_duty(general_qa):
    # the duty (第二十七条, 应当出租) shares the question's words; the fine is in 第三十八条, which only cites it
    out = general_qa.ask("嘉兴的建设单位拒绝把没卖出去的车位出租给业主，罚款是多少？")
    assert out["found"] and "五万元以上五十万元以下" in out["answer"], out["answer"]
    assert out["citations"][0]["clause_id"].endswith("第三十八条")


def test_a_short_article_is_quoted_whole(general_qa):
    out = general_qa.ask("注册建筑师有效期届满想继续注册，什么时候要去办？")
    assert out["found"] and "期满前30日内" in out["answer"] and "有效期为2年" in out["answer"], out["answer"]


def test_a_list_item_is_quoted_with_the_sentence_announcing_it(general_qa):
    # （二）…离职的 is a condition: what follows from it is in the sentence before the list
    out = general_qa.ask("业主委员会财务负责人任期内离职的，要怎么办？")
    assert out["found"] and "聘请专业机构" in out["answer"] and "财务负责人任期内离职" in out["answer"], out["answer"]


def test_a_word_the_document_never_uses_counts_against_it(general_qa):
    r = general_qa.retriever.search(analyze("失业保险费欠缴了，滞纳金怎么收？"), top_k=5)
    g09 = [h for h in r.hits if h.clause.doc_id == "g09"]
    assert g09 and all(h.focus_absent_doc and h.doc_missing_share > 0 for h in g09)
    assert not general_qa.ask("失业保险费欠缴了，滞纳金怎么收？")["found"]
    r = general_qa.retriever.search(analyze("业主委员会换届的时候要不要审计？"), top_k=5)
    assert r.hits and not r.hits[0].focus_absent_doc and r.hits[0].doc_missing_share == 0.0


def test_a_trusted_quote_stating_the_asked_fine_goes_before_one_that_does_not(general_qa):
    # at a threshold low enough to trust 第二十四条 (the ban on refusing passengers, ranked before
    # the penalty article but stating no fine), the quote with the fine still answers
    import dataclasses

    from assistant import Assistant
    from assistant.decision import score_candidates

    qa = Assistant(general_qa.index, dataclasses.replace(general_qa.config, confidence_threshold=0.02),
                   embedder=general_qa.retriever.embedder())
    question = "郑州出租车司机拒载罚多少？"
    cands = score_candidates(qa.retriever.search(analyze(question), top_k=10), qa.config, qa.retriever.texts, qa.model)
    trusted = [c for c in cands if not c.veto and c.confidence >= qa.model.threshold]
    assert trusted[0].features["number_missing"] == 1.0  # the case this guards
    out = qa.ask(question)
    assert out["found"] and "三百元" in out["answer"], out["answer"]
    assert out["citations"][0]["clause_id"].endswith("第四十三条")
