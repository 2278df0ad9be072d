"""Quality gate on documents nobody tuned for: the general test half, in-process, against
``evals/thresholds.toml [general-test]``. Its documents were drawn at random and nothing was fitted
or tuned on them (``evals/corpora/general.toml``)."""
from __future__ import annotations

import pytest

from evals.client import InProcessClient
from evals.dataset import SourceTexts, load_eval_set
from evals.runner import run_eval
from evals.suites import SUITES

from .test_evals_gate import assert_meets_thresholds
GATES = {
    "hit@5": ("hit_at_5", "min"),
    "answer_accuracy": ("answer_accuracy", "min"),
    "refusal_accuracy": ("refusal_accuracy", "min"),
    "false_refusal_rate": ("max_false_refusal_rate", "max"),
    "wrong_answer_rate": ("max_wrong_answer_rate", "max"),
}


@pytest.fixture(scope="module")
def general_test_outcome(general_build):
    from assistant import Assistant
    from indexer.settings import Settings

    corpus, index_dir = general_build
    qa = Assistant.load(index_dir, Settings(index_dir=index_dir))
    questions = load_eval_set(SUITES["general-test"].set_path, corpus)
    return run_eval(InProcessClient(assistant=qa), questions, SourceTexts(corpus), top_k=10, progress=False)


def test_general_test_half_meets_thresholds(general_test_outcome):
    assert_meets_thresholds(general_test_outcome, "general-test", GATES)


def test_every_found_answer_carries_a_confidence(general_test_outcome):
    for r in general_test_outcome.results:
        conf = r.response.get("confidence")
        assert isinstance(conf, float) and 0.0 <= conf <= 1.0, (r.question.id, conf)
