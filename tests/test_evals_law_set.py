"""The legal-consultation eval set (evals/law-*.jsonl): drawn laws, split by law, gold that exists.

The figures come from ``make law-eval`` (its index takes about an hour to build, so no gate runs in
``make test``); these tests keep the set itself honest on every run."""
from __future__ import annotations

import re
import tomllib
from collections import Counter
from pathlib import Path

import pytest

from evals.corpora.draw_law import OUT as LAW_LIST, SEED, draw
from evals.dataset import load_eval_set, normalize
from evals.suites import SUITES, default_suites
from indexer.lawlibrary import lawrefbook_dir
from indexer.parser import parse_document
from indexer.readers import read_document

ROOT = lawrefbook_dir()


@pytest.fixture(scope="module")
def laws() -> dict[str, dict]:
    if not ROOT.is_dir():
        pytest.fail(f"this test needs lawrefbook at {ROOT} (set PQA_LAWREFBOOK_DIR)")
    return {d["doc_id"]: d for d in tomllib.loads(LAW_LIST.read_text(encoding="utf-8"))["law"]}


def test_the_list_is_the_seeded_draw(laws):
    drawn = draw(ROOT, SEED)
    assert [d["path"] for d in drawn] == [d["path"] for d in laws.values()]
    assert Counter(d["split"] for d in laws.values()) == {"tune": 20, "test": 20}


@pytest.mark.parametrize("split", ["tune", "test"])
def test_questions_are_situations_over_their_half_with_real_gold(laws, split):
    s = SUITES[f"law-{split}"]
    questions = load_eval_set(s.set_path, ROOT)  # each evidence is in its law's text, each answer in an evidence
    assert len(questions) >= 75
    per_law = Counter()
    clauses: dict[str, dict[str, str]] = {}
    for q in questions:
        assert not re.search(r"第[零〇一二三四五六七八九十百千\d]+条", q.question), q.id  # no article numbers
        for g in q.gold:
            law = laws[g.doc_id]
            assert law["split"] == split, f"{q.id}: gold in a {law['split']} law"
            if g.doc_id not in clauses:
                path = ROOT / law["path"]
                parsed = parse_document(read_document(path.name, path.read_bytes()).text, g.doc_id, law["path"])
                clauses[g.doc_id] = {c.id: normalize(c.text) for c in parsed.clauses}
            assert g.clause_id in clauses[g.doc_id], f"{q.id}: no clause {g.clause_id}"
            assert g.evidence_norm in clauses[g.doc_id][g.clause_id], f"{q.id}: evidence not in {g.clause_id}"
        per_law[q.gold[0].doc_id] += 1
    assert len(per_law) == 20 and min(per_law.values()) >= 5
    assert Counter(q.type for q in questions)["paraphrase"] >= len(questions) // 3


def test_law_suites_run_by_default_only_once_their_index_is_built(monkeypatch, tmp_path):
    import evals.suites as suites

    monkeypatch.setattr(suites, "law_dirs", lambda: (tmp_path / "corpus", tmp_path / "index"))
    assert not {"law-tune", "law-test"} & set(default_suites())
    (tmp_path / "index").mkdir()
    (tmp_path / "index" / "manifest.json").write_text("{}", encoding="utf-8")
    assert {"law-tune", "law-test"} <= set(default_suites())
    assert SUITES["law-tune"].fit and not SUITES["law-test"].fit
