"""The law library as a corpus of its own: ``python -m indexer law`` (``make law-index``)."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from indexer.lawlibrary import LOCAL_FOLDER, lawrefbook_dir, library_files, materialize

LAWREFBOOK = lawrefbook_dir()
NATIONAL = "行政法规/失业保险条例(1999-01-22).md"
LOCAL = "DLC/北京地方法规/地方性法规/北京/北京市就业援助规定.md"


@pytest.fixture(scope="module")
def source() -> Path:
    if not LAWREFBOOK.is_dir():
        pytest.fail(f"this test needs lawrefbook at {LAWREFBOOK} (set PQA_LAWREFBOOK_DIR)")
    return LAWREFBOOK


def test_scopes_split_the_library_at_its_local_folder(source):
    national, whole = library_files(source, "national"), library_files(source, "whole")
    assert len(national) == 1563 and len(whole) == 3474
    assert not any(p.parts[0] == LOCAL_FOLDER for p in national)
    assert set(national) < set(whole) and len(set(whole) - set(national)) == 1911
    with pytest.raises(ValueError, match="unknown scope"):
        library_files(source, "local")


def test_materialize_copies_once_and_keeps_uploads(source, tmp_path):
    small = tmp_path / "src"
    for rel in (NATIONAL, LOCAL):
        (small / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source / rel, small / rel)
    dest = tmp_path / "corpus"
    assert materialize(small, dest, "whole") == 2
    copied = dest / NATIONAL
    assert copied.read_bytes() == (source / NATIONAL).read_bytes()
    before = copied.stat().st_mtime_ns
    (dest / "uploads").mkdir()
    (dest / "uploads" / "mine.md").write_text("# 我的文件\n", encoding="utf-8")
    assert materialize(small, dest, "national") == 1
    assert copied.stat().st_mtime_ns == before  # unchanged: not copied again (the index stays valid)
    assert not (dest / LOCAL).exists()  # out of the scope now
    assert (dest / "uploads" / "mine.md").is_file()  # the corpus's own uploads stay


def test_cli_builds_the_library_apart_and_says_how_to_serve_it(source, tmp_path, repo_root):
    small = tmp_path / "src"
    for rel in (NATIONAL, LOCAL):
        (small / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source / rel, small / rel)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PQA_")}
    env["PQA_CACHE_DIR"] = str(tmp_path / "cache")

    def run(*args):
        return subprocess.run([sys.executable, "-m", "indexer", "law", *args, "--quiet"], cwd=repo_root, env=env,
                              capture_output=True, text=True, timeout=600)

    root = tmp_path / "law"
    done = run("--source", str(small), "--root", str(root))
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    assert lines[0].startswith("indexed 1 documents,") and "peak RSS" in lines[0]
    assert lines[1] == f"serve it: PQA_CORPUS_DIR={root / 'national' / 'corpus'} PQA_INDEX_DIR={root / 'national' / 'index'} make run"
    docs = json.loads((root / "national" / "index" / "documents.json").read_text(encoding="utf-8"))
    assert [d["title"] for d in docs] == ["失业保险条例"]
    again = run("--source", str(small), "--root", str(root))
    assert again.returncode == 0 and again.stdout.startswith("index up to date: 1 documents")
    whole = run("--source", str(small), "--root", str(root), "--scope", "whole")
    assert whole.returncode == 0 and whole.stdout.startswith("indexed 2 documents,")
    missing = run("--source", str(tmp_path / "nowhere"), "--root", str(root))
    assert missing.returncode == 1 and "Traceback" not in missing.stderr
    assert missing.stderr.strip().splitlines() == [f"error: law library not found at {tmp_path / 'nowhere'} (set PQA_LAWREFBOOK_DIR)"]
