"""The ``feedback`` eval suite: ``<PQA_DATA_DIR>/feedback-evals.jsonl`` (questions reviewers accepted
from users' 👎) is scored by ``make eval`` only when it has questions; its gold evidence is checked
against the served corpus, uploads included (a Word or PDF upload read through the indexer's
readers, evidence taken from a cleaned clause found too); and a feedback question runs through the
real runner on the seed index."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from docx import Document

from evals.client import make_client
from evals.dataset import EvalSetError, SourceTexts, load_eval_set
from evals.runner import run_eval
from evals.suites import FEEDBACK_FILE, SUITES, default_suites, has_questions
from indexer.corpus import load_corpus
from indexer.settings import get_settings

REPO = Path(__file__).resolve().parents[1]
SEEDS = REPO / "corpus"
EVIDENCE = "每千人口拥有3岁以下婴幼儿托位数4.5个"


@pytest.fixture(autouse=True)
def fresh_settings():
    """Settings are read once per process: each test reads its own PQA_* environment."""
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def seed_clause(doc_id: str, words: str):
    """The parsed seed clause of ``doc_id`` whose text holds ``words`` (real parser, no index)."""
    parsed = load_corpus(SEEDS).parsed[doc_id]
    return next(c for c in parsed.clauses if words in c.text and c.kind != "heading")


def line(qid: str, clause, evidence: str, answer: str, question: str = "2025年每千人口托位数目标是多少？") -> str:
    return json.dumps({"id": qid, "type": "numeric", "question": question,
                       "gold": [{"doc_id": clause.doc_id, "clause_id": clause.id, "evidence": evidence}],
                       "answer": answer, "notes": "from feedback test"}, ensure_ascii=False)


def test_feedback_runs_by_default_only_when_its_file_has_questions(tmp_path, monkeypatch):
    data = tmp_path / "data"
    monkeypatch.setenv("PQA_DATA_DIR", str(data))
    s = SUITES["feedback"]
    assert s.set_path == data / FEEDBACK_FILE and not s.fit and not s.general
    assert "feedback" not in default_suites() and not has_questions(s.set_path)  # no file
    data.mkdir()
    s.set_path.write_text("\n  \n", encoding="utf-8")
    assert "feedback" not in default_suites()  # blank lines only
    s.set_path.write_text(line("fb-1", seed_clause("003", EVIDENCE), EVIDENCE, "4.5") + "\n", encoding="utf-8")
    # every suite now (the law suites only where their index is built), feedback after the others
    assert [n for n in default_suites() if not SUITES[n].law] == [n for n in SUITES if not SUITES[n].law]
    assert [n for n in default_suites() if not SUITES[n].law][-1] == "feedback"
    (q,) = load_eval_set(s.set_path, s.corpus_dir())
    assert q.id == "fb-1" and q.gold[0].doc_id == "003" and q.answer_keys == ("4.5",)


def test_the_feedback_corpus_is_the_served_one(tmp_path, monkeypatch):
    monkeypatch.delenv("PQA_CORPUS_DIR", raising=False)
    assert SUITES["feedback"].corpus_dir() == SEEDS
    monkeypatch.setenv("PQA_CORPUS_DIR", str(tmp_path))
    assert SUITES["feedback"].corpus_dir() == tmp_path and SUITES["seeds-dev"].corpus_dir() == SEEDS


@pytest.fixture
def corpus_with_uploads(tmp_path: Path) -> Path:
    """The seed corpus plus what the library writes: ``uploads/`` with a Word file, a text file
    carrying the 曤-for-‰ extraction fault, and ``uploads/manifest.toml`` giving their ids."""
    corpus = tmp_path / "corpus"
    shutil.copytree(SEEDS, corpus)
    uploads = corpus / "uploads"
    uploads.mkdir()
    doc = Document()
    for text in ("嘉兴市养犬管理规定", "第一条 为了规范养犬行为，保障公民健康和人身安全，制定本规定。",
                 "第九条 携犬出户的，应当为犬只束犬链，犬链长度不得超过一点五米。"):
        doc.add_paragraph(text)
    doc.save(uploads / "u1.docx")
    (uploads / "u2.txt").write_text("某县妇幼健康规划\n\n一、目标\n2022年,婴儿死亡率降到7曤,5岁以下儿童死亡率降到9曤。\n",
                                    encoding="utf-8")
    (uploads / "manifest.toml").write_text('["u1.docx"]\nid = "u1"\noriginal_name = "养犬.docx"\n\n'
                                           '["u2.txt"]\nid = "u2"\n', encoding="utf-8")
    return corpus


def test_questions_about_uploaded_documents_are_checked_against_the_upload(corpus_with_uploads, tmp_path):
    corpus = load_corpus(corpus_with_uploads)
    dog = next(c for c in corpus.parsed["u1"].clauses if "一点五米" in c.text)
    infant = next(c for c in corpus.parsed["u2"].clauses if "婴儿死亡率" in c.text)
    assert "7‰" in infant.text  # the indexer repaired the fault: the served clause says ‰
    path = tmp_path / FEEDBACK_FILE
    path.write_text("\n".join([
        line("fb-dog", dog, "犬链长度不得超过一点五米", "一点五米", "犬链多长？"),
        line("fb-infant", infant, "婴儿死亡率降到7‰", "7‰", "2022年婴儿死亡率目标？"),
        line("fb-seed", seed_clause("003", EVIDENCE), EVIDENCE, "4.5"),
    ]) + "\n", encoding="utf-8")
    questions = load_eval_set(path, corpus_with_uploads)
    assert [q.id for q in questions] == ["fb-dog", "fb-infant", "fb-seed"]
    # the metrics' source-line check reads the Word upload through the indexer's reader too
    sources = SourceTexts(corpus_with_uploads)
    assert sources.files["u1"] == corpus_with_uploads / "uploads" / "u1.docx"
    assert "犬链长度不得超过一点五米" in sources.line_span(dog.source, dog.lines)
    assert sources.line_span("../../etc/passwd", [1, 1]) is None
    # evidence that is not in the upload is refused, naming the line
    path.write_text(line("fb-bad", dog, "犬链长度不得超过三米", "三米", "犬链多长？") + "\n", encoding="utf-8")
    with pytest.raises(EvalSetError, match=r":1: gold\[0\]: evidence not found in the source of document u1"):
        load_eval_set(path, corpus_with_uploads)
    # without the uploads' manifest entry the upload's id is its stem, as the indexer names it
    (corpus_with_uploads / "uploads" / "manifest.toml").unlink()
    assert SourceTexts(corpus_with_uploads).files["u1"].name == "u1.docx"


def test_check_command_accepts_the_feedback_suite(tmp_path, monkeypatch, capsys):
    from evals.cli import main

    monkeypatch.setenv("PQA_DATA_DIR", str(tmp_path))
    (tmp_path / FEEDBACK_FILE).write_text(line("fb-1", seed_clause("003", EVIDENCE), EVIDENCE, "4.5") + "\n",
                                          encoding="utf-8")
    assert main(["check", "--suite", "feedback"]) == 0
    out = capsys.readouterr().out
    assert "numeric" in out and out.strip().splitlines()[-1].split() == ["total", "1"]


def test_a_feedback_question_is_scored_on_the_seed_index(seed_index_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("PQA_DATA_DIR", str(tmp_path))
    clause = seed_clause("003", EVIDENCE)
    SUITES["feedback"].set_path.write_text(line("fb-1", clause, EVIDENCE, "4.5") + "\n", encoding="utf-8")
    questions = load_eval_set(SUITES["feedback"].set_path, SUITES["feedback"].corpus_dir())
    client = make_client(None, seed_index_dir)
    try:
        outcome = run_eval(client, questions, SourceTexts(SEEDS), progress=False)
    finally:
        client.close()
    overall = outcome.metrics["overall"]
    assert overall["n"] == 1 and overall["errors"] == 0
    assert overall["hit@5"] == 1.0 and overall["answer_accuracy"] == 1.0
