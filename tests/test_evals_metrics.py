"""The eval harness itself: metrics on a hand-made run, the loader's rejections, the real set."""
from __future__ import annotations

import json
import math
from collections import Counter
from pathlib import Path

import pytest

from evals.dataset import DEFAULT_SET, TYPES, EvalQuestion, EvalSetError, GoldLocation, SourceTexts, load_eval_set, normalize
from evals.metrics import (
    QuestionResult,
    answer_correct,
    clause_satisfies,
    evaluate_results,
    failure_stage,
    judge,
    percentile,
    summarize,
)

REPO = Path(__file__).resolve().parents[1]


# ---------------------------------------------------------------------------------- helpers
def gold(doc: str, cid: str, evidence: str) -> GoldLocation:
    return GoldLocation(doc, cid, evidence)


def q(qid: str, typ: str, golds: list[GoldLocation], answer) -> EvalQuestion:
    return EvalQuestion(qid, typ, f"question {qid}", tuple(golds), answer)


def cit(cid: str, text: str = "无关的条款文字", **extra) -> dict:
    return {"clause_id": cid, "doc_id": cid.split("/")[0], "text": text, **extra}


def filler(n: int, prefix: str = "x") -> list[dict]:
    return [cit(f"9/{prefix}{i}") for i in range(n)]


# A tiny run with known ranks:
#   qa  gold A at rank 2                                  -> hit@1 0, hit@5 1, RR 1/2, nDCG 1/log2(3), recall@5 1
#   qb  two golds: B1 at rank 1 (by evidence, other id), B2 at rank 6
#                                                          -> hit@1 1, hit@5 1, RR 1, nDCG (1 + 1/log2(7)) / (1 + 1/log2(3)), recall@5 1/2
#   qc  gold C only at rank 11 (outside the top 10)      -> all 0
#   qd  gold D at rank 1 (by id) and again at rank 2 (another clause holding the evidence)
#                                                          -> hit@1 1, RR 1, nDCG 1 (the duplicate earns nothing), recall@5 1
#   qu1 unanswerable, refused; qu2 unanswerable, answered
QA = q("qa", "numeric", [gold("1", "1/a", "每千人口托位数4.5个")], "4.5")
QB = q("qb", "multi", [gold("1", "1/b1", "婴儿死亡率降到7‰"), gold("2", "2/b2", "婴儿死亡率（‰）≤4")], ["7‰", "≤4"])
QC = q("qc", "table", [gold("2", "2/c", "孕产妇死亡率（/10万）≤14")], "≤14")
QD = q("qd", "numeric", [gold("3", "3/d", "孕产妇系统管理率达92%以上")], "92%")
QU1 = q("qu1", "unanswerable", [], None)
QU2 = q("qu2", "unanswerable", [], None)


def hand_made_results() -> list[QuestionResult]:
    return [
        QuestionResult(
            QA,
            {"answer": "贵州省：每千人口拥有3岁以下婴幼儿托位数4.5个[1]", "found": True,
             "citations": [cit("9/zero"), cit("1/a", "每千人口托位数4.5个")] + filler(8)},
            10.0,
        ),
        QuestionResult(
            QB,
            {"answer": "很长的答案" * 50 + "7‰ ≤ 4", "found": True,
             "citations": [cit("1/rechunked", "2022年，婴儿死亡率降到7‰，5岁以下儿童")] + filler(4)
             + [cit("2/b2", "指标 婴儿死亡率（‰） | 2025目标 ≤ 4")] + filler(4, "y")},
            20.0,
        ),
        QuestionResult(
            QC,
            {"answer": "未在语料中找到相关条款", "found": False,
             "citations": filler(10) + [cit("2/c", "孕产妇死亡率（/10万）≤14")]},
            30.0,
        ),
        QuestionResult(
            QD,
            {"answer": "孕产妇系统管理率达 ９２％ 以上[1]", "found": True,
             "citations": [cit("3/d"), cit("4/dup", "孕产妇系统管理率达92%以上、产前筛查率")] + filler(3)},
            40.0,
        ),
        QuestionResult(QU1, {"answer": "未在语料中找到相关条款", "found": False, "citations": filler(3)}, 50.0),
        QuestionResult(QU2, {"answer": "某条款", "found": True, "citations": filler(3)}, 60.0),
    ]


# ---------------------------------------------------------------------------------- metrics
def test_metrics_on_a_hand_made_run():
    m = evaluate_results(hand_made_results())
    o = m["overall"]
    ndcg_a = 1 / math.log2(3)
    ndcg_b = (1 + 1 / math.log2(7)) / (1 + 1 / math.log2(3))
    assert (o["n"], o["n_answerable"], o["n_unanswerable"], o["errors"]) == (6, 4, 2, 0)
    assert o["hit@1"] == pytest.approx(2 / 4)
    assert o["hit@5"] == pytest.approx(3 / 4)
    assert o["mrr@10"] == pytest.approx((0.5 + 1 + 0 + 1) / 4)
    assert o["ndcg@10"] == pytest.approx((ndcg_a + ndcg_b + 0 + 1) / 4)
    assert o["recall@5"] == pytest.approx((1 + 0.5 + 0 + 1) / 4)
    # qa ok; qb too long (> 200 characters); qc refused; qd ok after NFKC + whitespace removal
    assert o["answer_accuracy"] == pytest.approx(2 / 4)
    assert o["false_refusal_rate"] == pytest.approx(1 / 4)
    assert o["refusal_accuracy"] == pytest.approx(1 / 2)
    assert o["latency_p50_ms"] == pytest.approx(35.0)
    assert o["latency_p95_ms"] == pytest.approx(57.5)


def test_metrics_per_type():
    by_type = evaluate_results(hand_made_results())["by_type"]
    assert set(by_type) == {"numeric", "multi", "table", "unanswerable"}
    num = by_type["numeric"]  # qa and qd
    assert num["hit@1"] == pytest.approx(0.5)
    assert num["mrr@10"] == pytest.approx(0.75)
    assert num["ndcg@10"] == pytest.approx((1 / math.log2(3) + 1) / 2)
    assert by_type["multi"]["recall@5"] == pytest.approx(0.5)
    assert by_type["table"]["hit@5"] == 0.0
    un = by_type["unanswerable"]
    assert un["hit@1"] is None and un["answer_accuracy"] is None
    assert un["refusal_accuracy"] == pytest.approx(0.5)
    assert num["refusal_accuracy"] is None


def test_judge_ranks_and_stages():
    rs = [judge(r) for r in hand_made_results()]
    ranks = {r.question.id: r.gold_ranks for r in rs}
    assert ranks == {"qa": [2], "qb": [1, 6], "qc": [None], "qd": [1], "qu1": [], "qu2": []}
    stages = {r.question.id: failure_stage(r) for r in rs}
    assert stages == {
        "qa": "ranked low",
        "qb": "answer too long",
        "qc": "not retrieved",
        "qd": None,
        "qu1": None,
        "qu2": "answered unanswerable",
    }


def test_one_clause_holding_two_gold_locations_counts_once_in_ranking_but_twice_in_recall():
    two = q("q2", "multi", [gold("1", "1/x", "孕产妇死亡率降到20/10万"), gold("1", "1/x", "孕产妇死亡率降到18/10万")], ["20/10万", "18/10万"])
    text = "2020年，孕产妇死亡率降到20/10万。2022年，孕产妇死亡率降到18/10万。"
    r = QuestionResult(two, {"answer": text, "found": True, "citations": [cit("1/x", text)] + filler(9)}, 1.0)
    s = summarize([judge(r)])
    assert r.gold_ranks == [1, 1]
    assert s["recall@5"] == 1.0 and s["hit@1"] == 1.0 and s["answer_accuracy"] == 1.0
    assert s["ndcg@10"] == pytest.approx(1 / (1 + 1 / math.log2(3)))


def test_errors_count_as_wrong_everywhere():
    r_ans = QuestionResult(QA, {}, 5.0, error="boom")
    r_un = QuestionResult(QU1, {}, 5.0, error="boom")
    s = summarize([judge(r_ans), judge(r_un)])
    assert s["errors"] == 2
    assert s["hit@5"] == 0.0 and s["answer_accuracy"] == 0.0
    assert s["refusal_accuracy"] == 0.0  # an error is not a refusal
    assert s["false_refusal_rate"] == 0.0  # nor a false one
    assert s["latency_p50_ms"] is None
    assert failure_stage(r_ans) == "error"


def test_answer_correct_rules():
    assert answer_correct(QA, {"found": True, "answer": "托位数 4.5 个"})
    assert not answer_correct(QA, {"found": False, "answer": "4.5"})
    assert not answer_correct(QA, {"found": True, "answer": "4.5" + "字" * 200})
    assert not answer_correct(QB, {"found": True, "answer": "婴儿死亡率降到7‰"})  # one key of two
    assert answer_correct(QB, {"found": True, "answer": "降到７‰；≤ 4"})


def test_percentile():
    assert percentile([], 50) is None
    assert percentile([7.0], 95) == 7.0
    assert percentile([1, 2, 3, 4], 50) == pytest.approx(2.5)
    assert percentile([10, 20, 30, 40, 50, 60], 95) == pytest.approx(57.5)


def test_relevance_by_id_text_or_cited_source_lines(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "manifest.toml").write_text('["d1.txt"]\nid = "001"\n', encoding="utf-8")
    (corpus / "d1.txt").write_text("标题\n领域\t指标\t2025 目标\n健康水平\t人均预期寿命（岁）\t≥ 77\t预期性\n", encoding="utf-8")
    src = SourceTexts(corpus)
    g = gold("001", "001/表1/1", "人均预期寿命（岁）≥77")
    row = "领域 健康水平 | 指标 人均预期寿命（岁） | 2025目标 ≥ 77 | 属性 预期性"
    assert clause_satisfies({"clause_id": "001/表1/1", "text": ""}, g)
    assert clause_satisfies({"clause_id": "other", "text": "人均预期寿命 (岁) ≥77，预期性"}, g)
    assert not clause_satisfies({"clause_id": "other", "text": row}, g)  # header cells interleaved
    assert clause_satisfies({"clause_id": "other", "text": row, "source": "d1.txt", "lines": [3, 3]}, g, src)
    assert not clause_satisfies({"clause_id": "other", "text": row, "source": "d1.txt", "lines": [1, 2]}, g, src)
    assert not clause_satisfies({"clause_id": "other", "text": row, "source": "missing.txt", "lines": [3, 3]}, g, src)


# ---------------------------------------------------------------------------------- loader
@pytest.fixture
def mini_corpus(tmp_path) -> Path:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "manifest.toml").write_text('["001_plan.txt"]\nid = "001"\n', encoding="utf-8")
    (corpus / "001_plan.txt").write_text(
        "(一)医疗服务更加可及。2020 年,每千常住人口执业(助理)医师2.5 人、注册护士3.14 人。\n"
        "（责任单位：省卫生健康委、省医保局）\n",
        encoding="utf-8",
    )
    return corpus


GOOD = {
    "id": "q1",
    "type": "numeric",
    "question": "2020年每千常住人口执业医师多少",
    "gold": [{"doc_id": "001", "clause_id": "001/一/（一）", "evidence": "2020年,每千常住人口执业（助理）医师2.5人"}],
    "answer": "2.5",
}
UNANSWERABLE = {"id": "q9", "type": "unanswerable", "question": "云南省托位数", "gold": [], "answer": None}


def write_set(tmp_path: Path, records: list) -> Path:
    p = tmp_path / "set.jsonl"
    lines = [r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in records]
    p.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return p


def with_(base: dict, **changes) -> dict:
    d = json.loads(json.dumps(base))
    for k, v in changes.items():
        if v is ...:
            d.pop(k, None)
        else:
            d[k] = v
    return d


def test_loader_accepts_a_good_set(tmp_path, mini_corpus):
    multi = with_(GOOD, id="q2", type="multi", answer=["2.5", "3.14"],
                  gold=GOOD["gold"] + [{"doc_id": "001", "clause_id": "001/一/（一）", "evidence": "注册护士3.14 人"}])
    p = write_set(tmp_path, [GOOD, "", UNANSWERABLE, multi])
    qs = load_eval_set(p, mini_corpus)
    assert [x.id for x in qs] == ["q1", "q9", "q2"]
    assert qs[0].answerable and qs[0].answer_keys == ("2.5",) and qs[0].line == 1
    assert not qs[1].answerable and qs[1].answer_keys == ()
    assert qs[2].answer_keys == ("2.5", "3.14")


@pytest.mark.parametrize(
    "bad, message",
    [
        ('{"id": "q2", "type": "numeric",', "invalid JSON"),
        ('["not", "an", "object"]', "expected a JSON object"),
        (with_(GOOD, id="q2", answer=...), "missing field(s): answer"),
        (with_(GOOD, id="q2", gold=[{"doc_id": "001", "evidence": "每千常住人口执业"}]), "missing field(s): clause_id"),
        (with_(GOOD, id="q2", type="numerical"), "unknown type 'numerical'"),
        (with_(GOOD, id="q2", golds=[]), "unknown field(s): golds"),
        (with_(GOOD, id="q2", gold=[{"doc_id": "001", "clause_id": "001/x", "evidence": "每千常住人口执业医师3.5人"}]), "evidence not found"),
        (with_(GOOD, id="q2", gold=[{"doc_id": "002", "clause_id": "002/x", "evidence": "每千常住人口执业医师"}]), "unknown document '002'"),
        (with_(GOOD, id="q2", gold=[{"doc_id": "001", "clause_id": "003/x", "evidence": "每千常住人口执业"}]), "does not belong to document"),
        (with_(GOOD, id="q2", gold=[{"doc_id": "001", "clause_id": "001/x", "evidence": "医师2.5"}]), "6–60 characters"),
        (with_(GOOD, id="q2", answer="3.14"), "answer key '3.14' does not occur"),
        (with_(GOOD, id="q2", answer=None), "'answer' must be a string"),
        (with_(GOOD, id="q1"), "duplicate id 'q1'"),
        (with_(UNANSWERABLE, id="q2", gold=GOOD["gold"]), "must have an empty gold list"),
        (with_(UNANSWERABLE, id="q2", answer="2.5"), "must have answer null"),
        (with_(GOOD, id="q2", gold=[]), "needs at least one gold location"),
        (with_(GOOD, id="q2", type="multi"), "at least two gold locations"),
        (with_(GOOD, id="q2", question=""), "'question' must be a non-empty string"),
    ],
)
def test_loader_rejects_bad_lines(tmp_path, mini_corpus, bad, message):
    p = write_set(tmp_path, [GOOD, bad])
    with pytest.raises(EvalSetError) as exc:
        load_eval_set(p, mini_corpus)
    text = str(exc.value)
    assert text.startswith(f"{p}:2: "), text  # names the file and the line
    assert message in text, text


def test_loader_rejects_missing_or_empty_files(tmp_path, mini_corpus):
    with pytest.raises(EvalSetError, match="not found"):
        load_eval_set(tmp_path / "nope.jsonl", mini_corpus)
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n\n", encoding="utf-8")
    with pytest.raises(EvalSetError, match="no questions"):
        load_eval_set(empty, mini_corpus)


def test_normalize():
    assert normalize(" 2020 年，每千人口 ４.５\u3000个（%）") == "2020年,每千人口4.5个(%)"


# ---------------------------------------------------------------------------------- the real set
def test_dev_set_loads_and_covers_every_type():
    qs = load_eval_set(DEFAULT_SET)
    counts = Counter(x.type for x in qs)
    assert len(qs) >= 150
    for t in TYPES:
        if t == "article":
            continue  # law-article look-ups live in the general sets
        assert counts[t] >= 15, f"only {counts[t]} {t} questions"
    assert all(g.doc_id in {"001", "002", "003", "004"} for x in qs for g in x.gold), "gold must point at indexed docs"
    assert all(len(x.gold) >= 2 for x in qs if x.type == "multi")
    assert all(x.gold[0].clause_id.startswith("002/") for x in qs if x.type == "table")


def test_every_gold_location_is_satisfiable_by_a_parsed_clause():
    """Each gold location is met by some clause of the current parse (by id, text or source lines)."""
    from indexer.corpus import load_corpus

    corpus = load_corpus(REPO / "corpus")
    clauses = [
        {"clause_id": c.id, "text": c.text, "source": c.source, "lines": list(c.lines)}
        for d in corpus.documents
        for c in d.clauses
    ]
    ids = {c["clause_id"] for c in clauses}
    src = SourceTexts(REPO / "corpus")
    unmet, stale = [], []
    for x in load_eval_set(DEFAULT_SET):
        for g in x.gold:
            if g.clause_id not in ids:
                stale.append(f"{x.id}: {g.clause_id}")
            if not any(clause_satisfies({k: v for k, v in c.items() if k != "clause_id"}, g, src) for c in clauses if c["clause_id"].startswith(g.doc_id + "/")):
                unmet.append(f"{x.id}: {g.evidence}")
    assert not unmet, "evidence held by no clause: " + "; ".join(unmet)
    assert not stale, "clause ids the parser no longer produces (update evals/dev.jsonl): " + "; ".join(stale)


# ---------------------------------------------------------------------------------- runner, report, client
class FakeAssistant:
    """Answers qa at rank 1 in hybrid, misses it in bm25; refuses everything else."""

    def __init__(self):
        self.calls = []

    def ask(self, question: str, top_k: int = 10, mode: str | None = None) -> dict:
        self.calls.append((question, top_k, mode))
        if question == QA.question and mode != "bm25":
            return {"answer": "托位数4.5个[1]", "found": True, "citations": [cit("1/a", "每千人口托位数4.5个")]}
        return {"answer": "未在语料中找到相关条款", "found": False, "citations": filler(3)}


class AssistantWithoutModes:
    def ask(self, question: str, top_k: int = 5, filters=None) -> dict:
        return {"answer": "x", "found": False, "citations": []}


def test_runner_report_and_charts(tmp_path):
    from evals.client import InProcessClient
    from evals.report import metrics_json, rows_for, text_table, write_report
    from evals.runner import run_eval

    fake = FakeAssistant()
    client = InProcessClient(assistant=fake)
    outcomes = [run_eval(client, [QA, QU1], top_k=7, mode=m, progress=False) for m in ("bm25", "hybrid")]
    assert fake.calls[0] == (QA.question, 7, "bm25")
    assert outcomes[0].metrics["overall"]["hit@1"] == 0.0 and outcomes[1].metrics["overall"]["hit@1"] == 1.0
    header, rows = rows_for(outcomes)
    assert header[:2] == ["group", "mode"]
    assert [r[:2] for r in rows] == [["overall", "bm25"], ["overall", "hybrid"], ["numeric", "bm25"], ["numeric", "hybrid"],
                                     ["unanswerable", "bm25"], ["unanswerable", "hybrid"]]
    assert "overall" in text_table(header, rows)
    assert set(json.loads(metrics_json(outcomes))["modes"]) == {"bm25", "hybrid"}
    path = write_report(outcomes, tmp_path / "rep", set_path="set.jsonl", client_name="fake")
    md = path.read_text(encoding="utf-8")
    assert "| qa | numeric | not retrieved |" in md  # the bm25 miss
    for name in ("chart_overall.png", "chart_numeric.png", "chart_unanswerable.png", "metrics.json"):
        assert (tmp_path / "rep" / name).stat().st_size > 0
        assert name.endswith(".json") or f"]({name})" in md


def test_in_process_client_modes():
    from evals.client import InProcessClient, ModeNotSupported

    plain = InProcessClient(assistant=AssistantWithoutModes())
    assert plain.ask("q", top_k=3)["found"] is False
    assert plain.ask("q", top_k=3, mode="hybrid")["found"] is False
    with pytest.raises(ModeNotSupported):
        plain.ask("q", mode="bm25")
    with pytest.raises(ValueError):
        plain.ask("q", mode="sparse")
    fake = FakeAssistant()
    InProcessClient(assistant=fake).ask("q", top_k=4, mode="dense")
    assert fake.calls == [("q", 4, "dense")]


def test_cli_check(capsys):
    from evals.cli import main

    assert main(["check"]) == 0
    out = capsys.readouterr().out
    assert "unanswerable" in out and "total" in out


def test_cli_reports_a_bad_set(tmp_path, capsys):
    from evals.cli import main

    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "q1"\n', encoding="utf-8")
    assert main(["check", "--set", str(bad)]) == 2
    assert f"{bad}:1: invalid JSON" in capsys.readouterr().err


def test_general_sets_are_split_by_document():
    from evals.corpora.general import doc_ids, general_documents, lawrefbook_root
    from evals.suites import SUITES

    if not lawrefbook_root().is_dir():
        pytest.fail(f"lawrefbook not found at {lawrefbook_root()}")
    docs = general_documents()
    assert len(docs) >= 25 and len({d.domain for d in docs}) >= 5 and {d.scope for d in docs} == {"national", "local"}
    total = 0
    for split in ("tune", "test"):
        s = SUITES[f"general-{split}"]
        qs = load_eval_set(s.set_path, s.corpus_dir())
        total += len(qs)
        ids = doc_ids(split)
        assert all(g.doc_id in ids for x in qs for g in x.gold), f"general-{split} has gold outside its half"
        counts = Counter(x.type for x in qs)
        assert counts["article"] >= 7 and counts["unanswerable"] >= 8 and counts["paraphrase"] >= 10
    assert total >= 240
    assert not SUITES["general-test"].fit


def test_cli_runs_a_suite_and_writes_a_reliability_diagram(seed_index_dir, tmp_path, capsys, monkeypatch):
    import json

    from evals.cli import main

    monkeypatch.setenv("PQA_INDEX_DIR", str(seed_index_dir))
    from indexer.settings import get_settings

    get_settings.cache_clear()
    try:
        assert main(["run", "--suite", "seeds-dev", "--index", str(seed_index_dir), "--json", "--no-progress", "--report", str(tmp_path)]) == 0
    finally:
        get_settings.cache_clear()
    metrics = json.loads(capsys.readouterr().out)
    assert set(metrics) == {"seeds-dev"} and metrics["seeds-dev"]["overall"]["n"] >= 150
    report = (tmp_path / "seeds-dev" / "report.md").read_text(encoding="utf-8")
    assert "## Confidence (seeds-dev)" in report and (tmp_path / "seeds-dev" / "reliability_seeds-dev.png").stat().st_size > 1000
