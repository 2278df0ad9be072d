"""indexer.bench_law: the law library's build figures read from real index manifests."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

from indexer.bench_law import main, read_build, report


def test_reads_a_real_build_and_lists_the_missing_scope(seed_index_dir: Path, tmp_path: Path, capsys):
    shutil.copytree(seed_index_dir, tmp_path / "national" / "index")
    manifest = json.loads((seed_index_dir / "manifest.json").read_text(encoding="utf-8"))
    build = read_build(tmp_path / "national" / "index", "national")
    assert build is not None
    assert build.clauses == manifest["counts"]["clauses"] and build.documents == manifest["counts"]["documents"]
    # this version records the distinct texts and the peak memory of the build
    assert build.texts == manifest["texts"]["distinct"] and 0 < build.texts <= build.clauses
    assert build.peak_rss_mb is not None and build.peak_rss_mb > 50
    assert build.index_mb > 0
    assert main(["--root", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert f"{build.clauses:,}" in out and f"{build.texts:,}" in out
    assert "whole: not built (make law-index LAW_SCOPE=whole" in out
    if build.over_model is not None:
        assert "national: build ≤ 1.2× the pure-embedding time" in out


def test_an_older_manifest_shows_dashes_not_zeros(seed_index_dir: Path, tmp_path: Path):
    index = tmp_path / "whole" / "index"
    shutil.copytree(seed_index_dir, index)
    m = json.loads((index / "manifest.json").read_text(encoding="utf-8"))
    del m["texts"], m["peak_rss_mb"]
    (index / "manifest.json").write_text(json.dumps(m), encoding="utf-8")
    text = report(tmp_path)
    assert "national: not built" in text
    row = next(line for line in text.splitlines() if line.startswith("whole"))
    assert "–" in row and "not in this manifest" in text


def test_nothing_built(tmp_path: Path):
    text = report(tmp_path)
    assert "national: not built" in text and "whole: not built" in text and "scope" not in text
