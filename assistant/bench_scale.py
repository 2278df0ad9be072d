"""Serving at library scale: load curves at 1/8/32/64 clients, with and without filters, the
memory of every worker, flat vs HNSW dense search, and a timing-only index of the whole library.

Run through ``python -m assistant.bench --index DIR --clients 1,8,32,64 [--workers 1,2]`` (see
``assistant.bench``).
"""
from __future__ import annotations

import json
import os
import threading
import time
from collections import Counter
from pathlib import Path

from indexer.lawtypes import document_legal_type

from .bench_server import pct, print_memory, server_memory, start_server, stop_server


# ------------------------------------------------------------------ serving at library scale
LEGAL_QUESTIONS = [
    "公司不给交社保能辞职要补偿吗",
    "楼上邻居的狗整夜叫影响休息怎么办",
    "劳动合同到期不续签有经济补偿吗",
    "试用期最长可以约定多久",
    "用人单位拖欠工资怎么办",
    "加班费的计算标准是什么",
    "离婚时夫妻共同财产如何分割",
    "子女抚养费一般怎么确定",
    "借钱不还的诉讼时效是多久",
    "民间借贷利率超过多少不受保护",
    "交通事故责任如何认定",
    "醉酒驾驶机动车会受到什么处罚",
    "网购商品质量有问题可以退货吗",
    "消费者七天无理由退货有哪些例外",
    "房屋租赁合同提前解约要赔偿吗",
    "物业公司不作为业主可以拒交物业费吗",
    "未成年人打赏主播的钱能要回来吗",
    "个人信息被泄露可以起诉谁",
    "正当防卫的条件是什么",
    "盗窃罪的立案标准是多少",
    "遗嘱的形式有哪些",
    "没有遗嘱时遗产怎么继承",
    "行政处罚听证程序怎么申请",
    "政府信息公开申请多久答复",
    "工伤认定需要哪些材料",
    "职业病诊断由哪个机构负责",
    "环境噪声污染防治有哪些规定",
    "建设工程质量保修期是多久",
    "商标侵权的赔偿数额怎么确定",
    "著作权的保护期是多长",
    "食品安全事故应当如何处置",
    "药品广告不得含有哪些内容",
    "民事诉讼的管辖法院如何确定",
    "上诉期限是多少天",
    "行政复议的申请期限",
    "土地承包经营权可以流转吗",
    "宅基地能否买卖",
    "公司股东的出资期限有什么规定",
    "反电信网络诈骗法对银行有哪些要求",
    "居民身份证的有效期",
    "《中华人民共和国民法典》第一千零七十九条规定了什么",
    "《中华人民共和国劳动合同法》第四十七条的内容",
    "《中华人民共和国刑法》第二百六十四条",
    "个人所得税专项附加扣除标准",
    "医疗纠纷如何鉴定",
    "安全生产责任制包括哪些内容",
    "招标投标中串通投标的后果",
    "外国人来华工作需要什么许可",
]


_LEGAL_TAILS = ["", "？", "呢", "，法律有什么规定"]


def legal_questions() -> list[str]:
    """The fixed legal questions, each in a few wordings (distinct texts: a new query embedding)."""
    return [q + t for t in _LEGAL_TAILS for q in LEGAL_QUESTIONS]


def filter_payloads(index_dir: Path) -> list[dict]:
    """Filters over ``index_dir``'s documents, rotating: a document, a jurisdiction, a type of law,
    as_of, a year range."""
    try:
        docs = json.loads((Path(index_dir) / "documents.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        docs = []
    ids = [d["doc_id"] for d in docs if d.get("doc_id")]
    big = sorted(docs, key=lambda d: -int(d.get("clause_count") or 0))[:20]
    jurisdictions = sorted({str(d["jurisdiction"]) for d in docs if d.get("jurisdiction")})
    out: list[dict] = []
    if big:
        out += [{"documents": [d["doc_id"]]} for d in big[:4]]
    if len(ids) >= 3:
        out.append({"documents": ids[: len(ids) // 2 : max(1, len(ids) // 40)][:40]})
    out += [{"jurisdiction": j} for j in jurisdictions[:3]]
    types = Counter(document_legal_type(d) for d in docs)
    out += [{"law_types": [t]} for t, _ in types.most_common(2)]
    if len(types) > 2:  # the rarer types together, and a type with a date
        out += [{"law_types": [t for t, _ in types.most_common()[2:5]]},
                {"law_types": [types.most_common(1)[0][0]], "as_of": "2021-01-01"}]
    out += [{"as_of": "2020-01-01"}, {"as_of": "2022-06-30"}, {"year_from": 2015, "year_to": 2021}]
    return out


def bench_load(url: str, payloads: list[dict], clients: int, duration_s: float) -> dict[str, float]:
    """``clients`` threads, one keep-alive connection each, posting ``payloads`` (rotating) to /ask for
    ``duration_s`` seconds: answered requests, their req/s and p50/p95/p99 ms; requests shed by the
    guard (503, answered at once) apart; other errors; the workers that answered."""
    import httpx

    lat: list[float] = []
    errors: list[int] = []
    shed: list[float] = []
    workers: set[str] = set()
    lock = threading.Lock()
    barrier = threading.Barrier(clients + 1)
    stop_at = [0.0]

    def worker(i: int) -> None:
        mine, bad, seen, busy = [], [], set(), []
        j = i * 7919
        with httpx.Client(base_url=url, timeout=60) as c:
            c.get("/health")
            barrier.wait()
            while time.perf_counter() < stop_at[0]:
                body = payloads[j % len(payloads)]
                j += 1
                t0 = time.perf_counter()
                try:
                    r = c.post("/ask", json=body)
                except httpx.HTTPError:
                    bad.append(0)
                    continue
                ms = (time.perf_counter() - t0) * 1000
                seen.add(r.headers.get("x-pqa-worker", "?"))
                if r.status_code == 200:
                    mine.append(ms)
                elif r.status_code == 503:
                    busy.append(ms)
                    time.sleep(0.05)  # a client backs off a little before asking again
                else:
                    bad.append(r.status_code)
        with lock:
            lat.extend(mine)
            errors.extend(bad)
            shed.extend(busy)
            workers.update(seen)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    stop_at[0] = time.perf_counter() + duration_s + 60.0  # set for real once every client is connected
    barrier.wait()
    t0 = time.perf_counter()
    stop_at[0] = t0 + duration_s
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - t0
    return {"clients": clients, "requests": len(lat), "seconds": elapsed, "rps": len(lat) / elapsed if elapsed else 0.0,
            "p50": pct(lat, 50), "p95": pct(lat, 95), "p99": pct(lat, 99), "errors": len(errors),
            "shed": len(shed), "workers": len(workers - {"?"})}


def bench_cold(url: str, payloads: list[dict]) -> dict[str, float]:
    """One client, each payload once (its question new to the server: the query is embedded)."""
    import httpx

    lat = []
    with httpx.Client(base_url=url, timeout=60) as c:
        for body in payloads:
            t0 = time.perf_counter()
            c.post("/ask", json=body).raise_for_status()
            lat.append((time.perf_counter() - t0) * 1000)
    return {"requests": len(lat), "p50": pct(lat, 50), "p95": pct(lat, 95), "p99": pct(lat, 99)}


def bench_dense(index_dir: Path, qs: list[str], model: str | None = None) -> dict[str, float]:
    """Flat vs HNSW over the index's vectors with the questions' real query embeddings (the
    index's model; a synthetic index uses its own hashed vectors): ms per query and recall@10/@40."""
    from indexer import dense
    from indexer.embedder import load_embedder

    index_dir = Path(index_dir)
    manifest = json.loads((index_dir / "manifest.json").read_text(encoding="utf-8"))
    flat = dense.read_flat(index_dir / dense.FLAT_FILE)
    out: dict[str, float] = {"vectors": float(flat.ntotal)}
    t0 = time.perf_counter()
    if (index_dir / dense.HNSW_FILE).is_file():
        hnsw = dense.read_hnsw(index_dir / dense.HNSW_FILE)
        out["hnsw_build_s"] = float("nan")
    else:
        hnsw = dense.build_hnsw(dense.flat_vectors(flat))
        out["hnsw_build_s"] = time.perf_counter() - t0
    if manifest.get("synthetic_vectors"):
        queries = _hashed_vectors([_tokens(q) for q in qs], int(manifest["dim"]))
    else:
        emb = load_embedder(model or str(manifest["model"]))
        import numpy as np

        queries = np.stack([emb.embed_query(q) for q in qs])
    for k in (10, 40):
        r = dense.recall_at_k(flat, hnsw, queries, k)
        out[f"recall@{k}"] = r["recall"]
        if k == 10:
            out.update({"flat_ms": r["flat_ms"], "hnsw_ms": r["hnsw_ms"], "flat_p95_ms": r["flat_p95_ms"],
                        "hnsw_p95_ms": r["hnsw_p95_ms"], "queries": r["queries"]})
    return out


def _tokens(text: str) -> list[str]:
    from indexer.tokenize import tokenize

    return tokenize(text)


def _hashed_vectors(token_lists: list[list[str]], dim: int, buckets: int = 1 << 15, seed: int = 12):
    """Synthetic 'embeddings' for timing only: each token's fixed random direction, summed, normalised."""
    import zlib

    import numpy as np
    from scipy import sparse

    rows, cols = [], []
    for i, toks in enumerate(token_lists):
        for t in toks:
            rows.append(i)
            cols.append(zlib.crc32(t.encode("utf-8")) % buckets)
    m = sparse.csr_matrix((np.ones(len(rows), dtype=np.float32), (rows, cols)), shape=(len(token_lists), buckets))
    proj = np.random.default_rng(seed).standard_normal((buckets, dim)).astype(np.float32)
    v = np.asarray(m @ proj, dtype=np.float32)
    v += np.random.default_rng(seed + 1).standard_normal(v.shape).astype(np.float32) * 0.5
    v /= np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-6)
    return np.ascontiguousarray(v, dtype=np.float32)


def make_scale_index(out_dir: Path, scope: str = "whole", work_dir: Path | None = None) -> Path:
    """A timing-only index of the law library's ``scope``: lawrefbook copied and parsed as the
    indexer does (real clauses, documents, versions, BM25), vectors *synthetic* (no model run);
    its manifest says ``synthetic_vectors``. Answers from it are meaningless; its latencies are not."""
    from indexer import dense
    from indexer import index as ix
    from indexer.lawlibrary import lawrefbook_dir, materialize
    from indexer.settings import get_settings

    settings = get_settings()
    out_dir = Path(out_dir)
    work = Path(work_dir or out_dir.parent / f"{out_dir.name}-work")
    corpus_dir = work / "corpus"
    n = materialize(lawrefbook_dir(), corpus_dir, scope)
    print(f"scale index: {n} library texts ({scope}) in {corpus_dir}", flush=True)
    t0 = time.perf_counter()
    corpus = ix._parse(settings.model_copy(update={"cache_dir": work / "cache"}), corpus_dir, False)
    clauses = [c for d in corpus.documents for c in d.clauses]
    print(f"scale index: {len(corpus.documents)} documents, {len(clauses)} clauses parsed in {time.perf_counter() - t0:.0f}s", flush=True)
    vectors = _hashed_vectors([_tokens(c.passage()) for c in clauses], 384)
    tmp = out_dir.parent / f".{out_dir.name}.tmp-{os.getpid()}"
    ix._remove(tmp)
    tmp.mkdir(parents=True)
    dense.write_flat(tmp / ix.VECTORS_FILE, vectors)
    ix._write_bm25(tmp / ix.BM25_DIR, clauses)
    ix._write_records(tmp, corpus, clauses)
    manifest = {
        "format_version": ix.FORMAT_VERSION, "model": settings.model, "dim": int(vectors.shape[1]),
        "corpus_fingerprint": corpus.fingerprint, "corpus_dir": str(corpus_dir),
        "counts": {"documents": len(corpus.documents), "clauses": len(clauses), "files": corpus.file_count,
                   "skipped": len(corpus.skipped)},
        "created_at": time.strftime("%Y-%m-%dT%H:%M:%S"), "skipped": [], "synthetic_vectors": True,
        "tokenizer": {"version": ix.TOKENIZER_VERSION, "userdict_sha": ix.userdict_sha()},
    }
    ix._write_json(tmp / ix.MANIFEST_FILE, manifest)
    ix._remove(out_dir)
    os.rename(tmp, out_dir)
    print(f"scale index written to {out_dir} in {time.perf_counter() - t0:.0f}s (synthetic vectors: timing only)", flush=True)
    return out_dir


def ensure_hnsw(index_dir: Path) -> None:
    """Write ``vectors.hnsw`` beside the flat vectors of ``index_dir`` if it is not there (atomic)."""
    from indexer import dense

    path = Path(index_dir) / dense.HNSW_FILE
    if path.is_file():
        return
    t0 = time.perf_counter()
    flat = dense.read_flat(Path(index_dir) / dense.FLAT_FILE)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    dense.write_hnsw(tmp, dense.flat_vectors(flat))
    os.replace(tmp, path)
    print(f"wrote {path} ({flat.ntotal} vectors) in {time.perf_counter() - t0:.0f}s", flush=True)


def bench_scale(index_dir: Path | None, workers: int, clients: list[int], duration_s: float, filters: bool = True,
                dense_index: str = "flat", warmup_s: float = 0.0) -> None:
    """The library-scale serving report (see the module docstring)."""
    from indexer.settings import get_settings

    index_dir = Path(index_dir or get_settings().index_dir)
    qs = legal_questions()
    plain = [{"question": q, "top_k": 5} for q in qs]
    fps = filter_payloads(index_dir)
    filtered = [{"question": q, "top_k": 5, "filters": fps[i % len(fps)]} for i, q in enumerate(qs)] if fps else []
    t0 = time.perf_counter()
    proc, url = start_server(index_dir, workers, {"PQA_DENSE_INDEX": dense_index})
    print(f"\nserving {index_dir} with {workers} worker(s), dense {dense_index}: up in {time.perf_counter() - t0:.1f}s · "
          f"{len(qs)} distinct questions, {len(fps)} filter kinds, {duration_s:.0f}s per run", flush=True)
    try:
        cold = bench_cold(url, plain[: len(LEGAL_QUESTIONS)])
        print(f"1 client, every question new (query embedded): p50 {cold['p50']:.1f} / p95 {cold['p95']:.1f} / "
              f"p99 {cold['p99']:.1f} ms over {cold['requests']} requests", flush=True)
        if warmup_s > 0:
            w = bench_load(url, plain + filtered, 2 * workers, warmup_s)
            print(f"warm-up (not counted): {w['requests']} requests with {2 * workers} clients in {w['seconds']:.0f}s", flush=True)
        print(f"{'run':<9} {'clients':>7} {'answered':>8} {'req/s':>6} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'shed503':>7} "
              f"{'errors':>6} {'workers':>7}")
        runs = [("plain", plain)] + ([("filtered", filtered)] if filters and filtered else [])
        for name, payloads in runs:
            for n in clients:
                r = bench_load(url, payloads, n, duration_s)
                print(f"{name:<9} {n:>7} {r['requests']:>8} {r['rps']:>6.1f} {r['p50']:>7.1f} {r['p95']:>7.1f} {r['p99']:>7.1f} "
                      f"{r['shed']:>7} {r['errors']:>6} {r['workers']:>7}", flush=True)
        print_memory(server_memory(proc))
    finally:
        stop_server(proc)


def print_dense(d: dict[str, float]) -> None:
    built = "" if d.get("hnsw_build_s") != d.get("hnsw_build_s") else f", HNSW built here in {d['hnsw_build_s']:.1f}s"
    print(f"dense search over {d['vectors']:.0f} vectors, {d['queries']:.0f} queries one at a time{built}:")
    print(f"  flat (exact, memory-mapped)  p50 {d['flat_ms']:.2f} ms  p95 {d['flat_p95_ms']:.2f} ms")
    print(f"  HNSW (M=32, efSearch≥128)    p50 {d['hnsw_ms']:.2f} ms  p95 {d['hnsw_p95_ms']:.2f} ms  "
          f"recall@10 {d['recall@10']:.3f}  recall@40 {d['recall@40']:.3f} (against flat)")
