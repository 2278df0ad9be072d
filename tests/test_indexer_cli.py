"""``python -m indexer`` in a subprocess: summaries on success, one line on failure."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import copy_cache


@pytest.fixture
def run(repo_root: Path, tmp_path: Path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("PQA_")}
    env.update(
        {
            "PQA_CACHE_DIR": str(tmp_path / "cli-cache"),
            "PQA_INDEX_DIR": str(tmp_path / "no-index-here"),
            "PQA_CORPUS_DIR": str(repo_root / "corpus"),
        }
    )

    def _run(*args: str, **extra_env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "indexer", *args],
            cwd=repo_root, env={**env, **extra_env}, capture_output=True, text=True, timeout=300,
        )

    return _run


def _one_error_line(proc: subprocess.CompletedProcess[str]) -> str:
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    return lines[0]


def test_build_prints_one_summary_line(run, seed_cache_dir: Path, seed_index, tmp_path: Path):
    copy_cache(seed_cache_dir, tmp_path / "cli-cache")
    out = tmp_path / "built"
    proc = run("build", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.strip().splitlines()
    assert len(lines) == 1
    n = len(seed_index.clauses)
    assert re.fullmatch(rf"indexed 4 documents, {n} clauses \(0 embedded, {n} cached\) in \d+\.\ds \(model 0\.0s\), "
                        rf"peak RSS [1-9]\d* MB → {re.escape(str(out))}", lines[0])
    assert "Traceback" not in proc.stderr
    assert (out / "manifest.json").is_file()

    again = run("build", "--out", str(out))
    assert again.returncode == 0
    assert again.stdout.startswith(f"index up to date: 4 documents, {n} clauses")


def test_show_prints_the_clause_tree(run, seed_index_dir: Path):
    proc = run("show", "003", "--index", str(seed_index_dir))
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("003  贵州省进一步完善医疗卫生服务体系的实施方案")
    item = next(line for line in lines if line.strip().startswith("003/二/（一）/1 "))
    section = next(line for line in lines if line.strip().startswith("003/二 "))
    indent = lambda line: len(line) - len(line.lstrip(" "))  # noqa: E731
    assert indent(item) == indent(section) + 4  # 二 → （一） → 1
    assert "1." in item and "在贵阳市（贵阳贵安）" in item
    body = [line for line in lines if line.strip().startswith("003/")]
    assert len(body) == 114


def test_show_reads_the_corpus_and_resolves_aliases(run):
    proc = run("show", "000", "--corpus", "corpus")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[0] == "000 is an alias of 001 (near-duplicate, not indexed separately)"
    assert "001/一/（一）" in proc.stdout


def test_show_unknown_document_lists_known_ids(run, seed_index_dir: Path):
    proc = run("show", "042", "--index", str(seed_index_dir))
    assert proc.returncode == 1
    line = _one_error_line(proc)
    assert "042" in line and "001, 002, 003, 004" in line
    assert proc.stdout == ""


def test_errors_are_one_line_without_traceback(run, tmp_path: Path):
    missing = run("build", "--corpus", str(tmp_path / "nowhere"), "--out", str(tmp_path / "idx"))
    assert missing.returncode != 0
    assert "nowhere" in _one_error_line(missing)

    no_index = run("show", "003")  # no --index/--corpus and no index at PQA_INDEX_DIR
    assert no_index.returncode == 0  # falls back to parsing PQA_CORPUS_DIR
    absent = run("show", "003", "--index", str(tmp_path / "none"))
    assert absent.returncode != 0
    assert "python -m indexer build" in _one_error_line(absent)

    bad_model = run("build", "--model", "bogus", "--out", str(tmp_path / "idx"), PQA_LOG_LEVEL="WARNING")
    assert bad_model.returncode != 0
    assert "unknown model 'bogus'" in _one_error_line(bad_model)

    usage = run("build", "--nope")
    assert usage.returncode == 2
    assert "--nope" in _one_error_line(usage)

    empty = tmp_path / "empty-corpus"
    empty.mkdir()
    (empty / "blank.txt").write_text("", encoding="utf-8")
    nothing = run("build", "--corpus", str(empty), "--out", str(tmp_path / "idx"), PQA_LOG_LEVEL="ERROR")
    assert nothing.returncode != 0
    assert "nothing to index" in _one_error_line(nothing)
