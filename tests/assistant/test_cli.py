"""The command line and index-loading refusals: one line on stderr, exit ≠ 0, no traceback."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

from .conftest import REPO, free_port, server_env


def run(*args: str, env: dict[str, str] | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "assistant", *args], cwd=REPO, env=env or server_env(),
                          capture_output=True, text=True, timeout=timeout)


def assert_one_line_error(p: subprocess.CompletedProcess, needle: str) -> None:
    assert p.returncode != 0
    assert "Traceback" not in p.stderr and "Traceback" not in p.stdout
    lines = [ln for ln in p.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, p.stderr
    assert needle in lines[0], lines[0]


def test_ask_prints_answer_and_json(seed_index_dir):
    p = run("ask", "2022年孕产妇死亡率目标是多少", "--index", str(seed_index_dir))
    assert p.returncode == 0, p.stderr
    assert "18/10万" in p.stdout.splitlines()[0]
    assert "《卫生健康服务能力提升“八大工程”行动计划（2019—2022年）》" in p.stdout
    p = run("ask", "2025年每千人口托位数目标是多少", "--json", "--top-k", "3", "--index", str(seed_index_dir))
    assert p.returncode == 0, p.stderr
    data = json.loads(p.stdout)
    assert data["found"] is True and len(data["citations"]) <= 3 and "4.5" in data["answer"]


def test_missing_index_is_one_line(tmp_path):
    p = run("ask", "托位数", "--index", str(tmp_path / "nothing"))
    assert_one_line_error(p, "no index at")


def test_other_format_version_is_refused(seed_index_dir, tmp_path):
    copy = tmp_path / "index"
    shutil.copytree(seed_index_dir, copy)
    manifest = json.loads((copy / "manifest.json").read_text(encoding="utf-8"))
    manifest["format_version"] = 999
    (copy / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    p = run("ask", "托位数", "--index", str(copy))
    assert_one_line_error(p, "format")


def test_other_model_is_refused(seed_index_dir):
    env = server_env(PQA_MODEL="sentence-transformers:/models/other")
    p = run("ask", "托位数", "--index", str(seed_index_dir), env=env)
    assert_one_line_error(p, "model")


def test_serve_refuses_to_start_without_index(tmp_path):
    p = run("serve", "--port", str(free_port()), "--index", str(tmp_path / "none"), timeout=60)
    assert_one_line_error(p, "no index at")


def test_usage_errors():
    p = run("ask")
    assert p.returncode == 2 and "Traceback" not in p.stderr
    p = run("ask", "   ")
    assert_one_line_error(p, "empty")


def test_assistant_load_error_is_one_line(seed_index_dir, tmp_path):
    from assistant import Assistant, AssistantError
    from indexer.settings import Settings

    with pytest.raises(AssistantError) as err:
        Assistant.load(tmp_path / "none", Settings())
    assert "\n" not in str(err.value)
    with pytest.raises(AssistantError) as err:
        Assistant.load(seed_index_dir, Settings(model="sentence-transformers:/x"))
    assert "model" in str(err.value) and "\n" not in str(err.value)
