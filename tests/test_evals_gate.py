"""Quality gate: the eval set run in-process against the seed index must meet evals/thresholds.toml."""
from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from evals.client import InProcessClient
from evals.dataset import DEFAULT_SET, SourceTexts, load_eval_set
from evals.report import misses_text, rows_for, text_table
from evals.runner import run_eval

THRESHOLDS = Path(__file__).resolve().parents[1] / "evals" / "thresholds.toml"
# metric in the results -> (key in thresholds.toml, direction)
GATES = {
    "hit@1": ("hit_at_1", "min"),
    "hit@5": ("hit_at_5", "min"),
    "answer_accuracy": ("answer_accuracy", "min"),
    "refusal_accuracy": ("refusal_accuracy", "min"),
    "false_refusal_rate": ("max_false_refusal_rate", "max"),
}


@pytest.fixture(scope="module")
def eval_outcome(seed_index_dir: Path):
    from assistant import Assistant
    from indexer.settings import Settings

    qa = Assistant.load(seed_index_dir, Settings(index_dir=seed_index_dir))
    client = InProcessClient(assistant=qa)
    questions = load_eval_set(DEFAULT_SET)
    return run_eval(client, questions, SourceTexts(), top_k=10, progress=False)


def test_thresholds_file_is_complete():
    limits = tomllib.loads(THRESHOLDS.read_text(encoding="utf-8"))["overall"]
    for key, _direction in GATES.values():
        assert key in limits, f"{THRESHOLDS} lacks overall.{key}"
        assert 0.0 <= float(limits[key]) <= 1.0


def assert_meets_thresholds(outcome, section: str, gates: dict[str, tuple[str, str]]) -> None:
    """Fail with the table and the misses when a gated figure of ``outcome`` passes its limit."""
    limits = tomllib.loads(THRESHOLDS.read_text(encoding="utf-8"))[section]
    overall = outcome.metrics["overall"]
    header, rows = rows_for([outcome])
    table = text_table(header, rows)
    print("\n" + table + "\n\n" + misses_text(outcome.results))
    assert overall["errors"] == 0, f"{overall['errors']} question(s) failed with an error\n{table}"
    failures = []
    for metric, (key, direction) in gates.items():
        value, limit = overall[metric], float(limits[key])
        if direction == "min" and value < limit:
            failures.append(f"{metric} {value:.3f} < {limit:.3f}")
        if direction == "max" and value > limit:
            failures.append(f"{metric} {value:.3f} > {limit:.3f}")
    assert not failures, f"below evals/thresholds.toml [{section}]: " + "; ".join(failures) + "\n" + table


def test_eval_set_meets_thresholds(eval_outcome):
    assert_meets_thresholds(eval_outcome, "overall", GATES)
