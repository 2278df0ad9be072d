"""The found / not-found decision: the fitted confidence model, the hard vetoes, the key-noun and
number signals, and quotes that state what was asked."""
from __future__ import annotations

import json

import pytest

from assistant.decision import FEATURES, MODEL_PATH, load_confidence_model
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
    # a quote without the asked number, or far below the top candidate, is less likely right
    assert model.predict(base | {"number_missing": 1.0}) < p
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
