"""The eval corpora are the seeded draws their scripts make (not lists edited by hand): rerun over
lawrefbook, each draw writes its committed TOML byte for byte."""
from __future__ import annotations

from pathlib import Path

import pytest

from evals.corpora import draw_general, draw_law


@pytest.mark.parametrize("script", [draw_general, draw_law], ids=["general", "law"])
def test_the_committed_list_is_the_seeded_draw(script, lawrefbook: Path, tmp_path: Path, capsys):
    out = tmp_path / "drawn.toml"
    assert script.main(["--root", str(lawrefbook), "--out", str(out)]) == 0
    assert out.read_text(encoding="utf-8") == script.OUT.read_text(encoding="utf-8")
    assert len(capsys.readouterr().out.splitlines()) == script.OUT.read_text(encoding="utf-8").count("[[")


def test_another_seed_draws_other_documents(lawrefbook: Path):
    first = {d["path"] for d in draw_general.draw(lawrefbook, draw_general.SEED)}
    other = {d["path"] for d in draw_general.draw(lawrefbook, draw_general.SEED + 1)}
    assert len(first) == len(other) and first != other


def test_a_missing_library_is_one_line_and_exit_1(tmp_path: Path, capsys):
    assert draw_law.main(["--root", str(tmp_path / "nope"), "--out", str(tmp_path / "x.toml")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: lawrefbook not found at") and err.count("\n") == 1
    assert not (tmp_path / "x.toml").exists()
