"""A build killed halfway through embedding resumes: the second run embeds only the rest.

Real laws from lawrefbook (two versions of one law share most articles), the real CLI in a
subprocess, a cold embedding cache, SIGKILL once the progress log says half is embedded.
"""
from __future__ import annotations

import json
import os
import queue
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from evals.corpora.general import lawrefbook_root
from indexer.index import ClauseIndex

LAWS = [
    "社会法/公益事业捐赠法(1999-06-28).md",
    "社会法/军人保险法(2012-04-27).md",
    "社会法/反家庭暴力法(2015-12-27).md",
    "社会法/家庭教育促进法(2021-10-23).md",
    "社会法/红十字会法(2017-02-24).md",
    "经济法/农业技术推广法(2012-08-31).md",  # two versions: most articles identical
    "经济法/农业技术推广法(2024-04-26).md",
]
PREVIOUS = "社会法/归侨侨眷权益保护法(2009-08-27).md"  # the index that must survive the kill

PLAN = re.compile(r"embedding: (\d+) clause rows, (\d+) distinct texts: (\d+) from the cache, (\d+) to embed")
PROGRESS = re.compile(r"embedding: (\d+)/(\d+) texts \(\d+%\), [\d.]+ texts/s, ETA \S+")
DONE = re.compile(r"build done in \S+ \(parsing \S+, inside the model \S+\): \d+ documents, (\d+) clause rows, (\d+) distinct texts "
                  r"\((\d+) embedded, (\d+) from the cache\), peak RSS (\d+) MB")


def _corpus(folder: Path, files: list[str]) -> Path:
    root = lawrefbook_root()
    if not root.is_dir():
        pytest.fail(f"this test needs lawrefbook at {root} (set PQA_LAWREFBOOK_DIR)")
    folder.mkdir(parents=True)
    for rel in files:
        shutil.copyfile(root / rel, folder / Path(rel).name)
    return folder


def _start(repo_root: Path, cache: Path, corpus: Path, out: Path) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PQA_")}
    env.update({"PQA_CACHE_DIR": str(cache), "PQA_LOG_LEVEL": "INFO"})
    return subprocess.Popen(
        [sys.executable, "-m", "indexer", "build", "--corpus", str(corpus), "--out", str(out)],
        cwd=repo_root, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def _cached_vectors(cache: Path) -> int:
    with sqlite3.connect(cache / "embeddings.sqlite3") as conn:
        return int(conn.execute("SELECT COUNT(*) FROM vectors").fetchone()[0])


def _tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_killed_build_resumes_with_the_rest(repo_root: Path, tmp_path: Path):
    cache, out = tmp_path / "cache", tmp_path / "index"
    previous = _start(repo_root, cache, _corpus(tmp_path / "previous", [PREVIOUS]), out)
    _, err = previous.communicate(timeout=120)
    assert previous.returncode == 0, err
    before = _tree(out)
    cached_before = _cached_vectors(cache)

    # first run: read the progress log until half the texts are embedded, then SIGKILL
    corpus = _corpus(tmp_path / "laws", LAWS)
    first = _start(repo_root, cache, corpus, out)
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(x) for x in first.stderr], daemon=True).start()
    plan = done_at_kill = None
    log: list[str] = []
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline:
            try:
                line = lines.get(timeout=deadline - time.monotonic())
            except queue.Empty:
                break
            log.append(line)
            if m := PLAN.search(line):
                plan = tuple(map(int, m.groups()))
            if (m := PROGRESS.search(line)) and int(m[1]) * 2 >= int(m[2]):
                os.kill(first.pid, signal.SIGKILL)
                done_at_kill = int(m[1])
                break
    finally:
        if first.poll() is None and done_at_kill is None:
            first.kill()
        first.wait(timeout=30)
    assert done_at_kill is not None, "no progress line reached 50 %:\n" + "".join(log)
    assert first.returncode == -signal.SIGKILL
    assert plan is not None
    rows, texts, reused_first, to_embed = plan
    assert reused_first == 0 and to_embed == texts  # a cold cache for these laws
    assert 250 <= texts < rows  # the two versions share articles: each shared text embedded once
    assert done_at_kill < texts

    # the previous index is untouched and loadable; no half-written index is left beside it
    assert _tree(out) == before
    assert len(ClauseIndex.load(out)) == json.loads(before["manifest.json"])["counts"]["clauses"]
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".index.")] in ([], [".index.lock"])
    # every batch logged as done was committed before the kill (at most a batch or two more)
    kept = _cached_vectors(cache) - cached_before
    assert done_at_kill <= kept <= done_at_kill + 64

    # second run: only the remainder is embedded
    second = _start(repo_root, cache, corpus, out)
    stdout, stderr = second.communicate(timeout=120)
    assert second.returncode == 0, stderr
    m = PLAN.search(stderr)
    assert m, stderr
    assert tuple(map(int, m.groups())) == (rows, texts, kept, texts - kept)
    done = DONE.search(stderr)
    assert done, stderr
    rows2, texts2, embedded_second, reused_second = map(int, done.groups()[:4])
    assert (rows2, texts2) == (rows, texts)
    assert embedded_second == texts - kept < texts
    assert reused_second == kept >= done_at_kill
    assert texts - 64 <= done_at_kill + embedded_second <= texts
    assert int(done[5]) > 0  # peak RSS reported
    assert _cached_vectors(cache) - cached_before == texts  # one vector per distinct text, none twice
    assert stdout.startswith(f"indexed {len(LAWS)} documents, {rows} clauses")

    index = ClauseIndex.load(out)
    assert len(index) == rows
    assert {d["source"] for d in index.documents.values()} == {Path(rel).name for rel in LAWS}
    assert not [p for p in tmp_path.iterdir() if p.name.startswith((".index.tmp-", ".index.old-"))]
