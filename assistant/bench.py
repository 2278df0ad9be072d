"""Latency and throughput of the assistant: ``python -m assistant.bench [--index DIR]``.

Measures, over a varied list of ≥ 100 questions (answerable and not, with years, places,
responsible units, measures, legal-style article look-ups):

* in-process ``Assistant.ask`` latency p50/p95, cold (first time each question is seen: the query
  embedding is computed) and warm (embedding cached);
* HTTP ``POST /ask`` latency p50/p95 with httpx against a real uvicorn (``python -m assistant
  serve`` in a subprocess on a free port);
* throughput with 8 concurrent HTTP clients, warm (questions asked before: embeddings cached)
  and cold (every question new to the server).

* memory of the server process (RSS and PSS, from ``/proc/<pid>/smaps_rollup``) and the dense
  search alone: exact flat search against an HNSW graph (the index's ``vectors.hnsw``, else built
  here), query ms and the HNSW's recall@10 against flat, over the questions' real embeddings.

Serving at library scale (``--clients 1,8,32,64`` and/or ``--workers N``): ``python -m assistant
serve --workers N`` over ``--index``, a fixed list of varied Chinese legal questions, for each
client count (each client one keep-alive connection, ``--duration`` seconds): requests, req/s,
p50/p95/p99; then the same with filters (a document, a jurisdiction, a type of law, ``as_of``, a year range);
RSS and PSS of every worker after the load. ``--make-scale-index DIR`` lays out a timing-only
index of the whole law library (real parsed clauses and BM25, *synthetic* vectors: hashed token
projections, no model run) when the real one is not built yet.

Targets on 2 cores: in-process p50 ≤ 15 ms, p95 ≤ 30 ms; HTTP p50 ≤ 25 ms; ≥ 60 requests/s;
library scale: HTTP p95 ≤ 60 ms at 1 client.
Exits 0 always (it reports; it does not judge) unless the index cannot be loaded.
"""
from __future__ import annotations

from .runtime import configure_threads

configure_threads()

import argparse  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

from .bench_scale import (  # noqa: E402
    LEGAL_QUESTIONS, bench_dense, bench_scale, ensure_hnsw, legal_questions, make_scale_index, print_dense,
)
from .bench_server import pct, print_memory, server_memory, start_server, stop_server  # noqa: E402

TARGETS = {"inproc_p50": 15.0, "inproc_p95": 30.0, "http_p50": 25.0, "rps": 60.0}

_INDICATORS = [
    "每千人口托位数", "孕产妇死亡率", "婴儿死亡率", "5岁以下儿童死亡率", "居民健康素养水平", "人均预期寿命",
    "每千常住人口执业（助理）医师数", "每千常住人口注册护士数", "每千常住人口医疗卫生机构床位数",
    "二级及以上综合性医院设立老年医学科比例", "孕产妇系统管理率", "县域内就诊率", "三甲医院数量",
    "宫颈癌早诊率", "严重精神障碍患者规律服药率", "每万常住人口全科医生数", "法定传染病报告发病率",
]
_YEARS = ["2020年", "2022年", "2023年", "2025年", "2030年", ""]
_PLACES = ["", "", "全省", "平坝区", "贵州省", "广东省"]

QUESTIONS_FIXED = [
    "2025年每千人口托位数目标是多少",
    "2022年孕产妇死亡率目标是多少",
    "建设县域医疗次中心的责任单位有哪些",
    "推进紧密型医共体建设的责任单位",
    "如何加强乡村医生队伍建设",
    "宫颈癌HPV基因筛查在多少个县开展",
    "2023年要为多少失能老年人提供上门健康服务",
    "全省要建成多少个县域医疗次中心",
    "平坝区社会办医疗机构床位数占比目标",
    "平坝区十四五期间传染病报告综合率要达到多少",
    "“十三五”时期平坝区传染病发病率是多少",
    "每年培养引进多少名执业（助理）医师",
    "省级区域医疗中心高级职称人员占比目标",
    "卫生健康服务能力提升八大工程包括哪些",
    "黔府办函〔2019〕12号的主要目标是什么",
    "哪些部门负责国家区域医疗中心建设",
    "家庭医生签约服务怎么推进",
    "托育服务体系建设有哪些措施",
    "远程医疗服务体系建设要求",
    "乡镇卫生院标准化建设",
    "公共卫生应急物资储备",
    "中医馆建设数量",
    "健康扶贫政策",
    "医养结合示范",
    "高速公路收费标准是多少",
    "个人所得税专项附加扣除标准",
    "新能源汽车购置补贴政策",
    "医疗美容机构收费标准",
    "《中华人民共和国医师法》第十条规定了什么",
    "第三条的内容是什么",
]


def questions(n: int = 120) -> list[str]:
    """A deterministic, varied list of ``n`` questions (fixed ones first, then combinations)."""
    out = list(QUESTIONS_FIXED)
    i = 0
    while len(out) < n:
        ind = _INDICATORS[i % len(_INDICATORS)]
        year = _YEARS[(i // len(_INDICATORS) + i) % len(_YEARS)]
        place = _PLACES[(i * 7 // 3) % len(_PLACES)]
        tail = ["目标是多少", "要达到多少", "的目标", "是多少", "控制在多少"][i % 5]
        q = f"{place}{year}{ind}{tail}"
        if q not in out:
            out.append(q)
        i += 1
    return out[:n]


def bench_inproc(qa, qs: list[str]) -> dict[str, float]:
    cold, warm = [], []
    for q in qs:
        t0 = time.perf_counter()
        qa.ask(q, top_k=5)
        cold.append((time.perf_counter() - t0) * 1000)
    for q in qs:
        t0 = time.perf_counter()
        qa.ask(q, top_k=5)
        warm.append((time.perf_counter() - t0) * 1000)
    return {
        "cold_p50": pct(cold, 50), "cold_p95": pct(cold, 95),
        "warm_p50": pct(warm, 50), "warm_p95": pct(warm, 95),
        "all_p50": pct(cold + warm, 50), "all_p95": pct(cold + warm, 95),
    }


def bench_http(url: str, qs: list[str]) -> dict[str, float]:
    import httpx

    cold, warm = [], []
    with httpx.Client(base_url=url, timeout=30) as c:
        for lat in (cold, warm):
            for q in qs:
                t0 = time.perf_counter()
                r = c.post("/ask", json={"question": q, "top_k": 5})
                lat.append((time.perf_counter() - t0) * 1000)
                r.raise_for_status()
    return {"cold_p50": pct(cold, 50), "cold_p95": pct(cold, 95), "warm_p50": pct(warm, 50), "warm_p95": pct(warm, 95)}


def bench_throughput(url: str, qs: list[str], clients: int = 8, per_client: int = 60) -> dict[str, float]:
    import httpx

    errors = []
    lat: list[float] = []
    lock = threading.Lock()
    barrier = threading.Barrier(clients + 1)

    def worker(i: int) -> None:
        mine = []
        with httpx.Client(base_url=url, timeout=60) as c:
            c.get("/health")
            barrier.wait()
            for j in range(per_client):
                q = qs[(i * per_client + j) % len(qs)]
                t0 = time.perf_counter()
                r = c.post("/ask", json={"question": q, "top_k": 5})
                mine.append((time.perf_counter() - t0) * 1000)
                if r.status_code != 200:
                    errors.append(r.status_code)
        with lock:
            lat.extend(mine)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    barrier.wait()
    t0 = time.perf_counter()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - t0
    n = clients * per_client
    return {"requests": n, "seconds": elapsed, "rps": n / elapsed, "p50": pct(lat, 50), "p95": pct(lat, 95), "errors": len(errors)}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m assistant.bench", description=__doc__.splitlines()[0])
    p.add_argument("--index", type=Path, default=None, help="index folder (default PQA_INDEX_DIR or var/index)")
    p.add_argument("--questions", type=int, default=120)
    p.add_argument("--per-client", type=int, default=60, help="requests per client in the throughput run")
    p.add_argument("--no-http", action="store_true")
    p.add_argument("--workers", default=None, help="library-scale run with this many server workers (a list: 1,2)")
    p.add_argument("--clients", default=None, help="library-scale run at these client counts (default 1,8,32,64)")
    p.add_argument("--duration", type=float, default=10.0, help="seconds per client count in the library-scale run")
    p.add_argument("--warmup", type=float, default=0.0, help="seconds of unreported load before the library-scale curve")
    p.add_argument("--no-filters", action="store_true", help="library-scale run without the filtered requests")
    p.add_argument("--dense", default="flat", help="dense search(es) to serve in the library-scale run: flat, hnsw or "
                   "flat,hnsw (hnsw: the index's vectors.hnsw, written into the index folder first if missing)")
    p.add_argument("--no-dense", action="store_true", help="skip the flat vs HNSW measurement")
    p.add_argument("--make-scale-index", type=Path, default=None, metavar="DIR",
                   help="write a timing-only index of the whole law library (synthetic vectors) to DIR, then bench it")
    p.add_argument("--scope", default="whole", help="law library part of --make-scale-index (national | whole)")
    args = p.parse_args(argv)

    from indexer.settings import get_settings

    from .engine import Assistant, AssistantError

    settings = get_settings()
    if args.make_scale_index is not None:
        args.index = make_scale_index(args.make_scale_index, args.scope)
    if args.workers is not None or args.clients is not None:
        try:
            workers = [int(x) for x in str(args.workers or "1").split(",") if x.strip()]
            clients = [int(x) for x in str(args.clients or "1,8,32,64").split(",") if x.strip()]
        except ValueError:
            print("error: --workers and --clients take numbers separated by commas", file=sys.stderr)
            return 2
        index_dir = Path(args.index or settings.index_dir)
        if not (index_dir / "manifest.json").is_file():
            print(f"error: no index at {index_dir}", file=sys.stderr)
            return 2
        kinds = [k.strip() for k in str(args.dense).split(",") if k.strip()]
        if any(k not in ("flat", "hnsw") for k in kinds):
            print("error: --dense takes flat, hnsw or flat,hnsw", file=sys.stderr)
            return 2
        print(f"library-scale serving bench · index {index_dir} · cores {os.cpu_count()}")
        for kind in kinds:
            if kind == "hnsw":
                ensure_hnsw(index_dir)
            for w in workers:
                bench_scale(index_dir, w, clients, args.duration, filters=not args.no_filters, dense_index=kind,
                            warmup_s=args.warmup)
        if not args.no_dense:
            print_dense(bench_dense(index_dir, legal_questions()[: len(LEGAL_QUESTIONS) * 2]))
        return 0
    qs = questions(max(100, args.questions))
    try:
        t0 = time.perf_counter()
        qa = Assistant.load(args.index, settings)
        load_s = time.perf_counter() - t0
    except AssistantError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"index: {qa.index.index_dir} · {len(qa.index.clauses)} clauses · model {qa.index.model} · loaded in {load_s:.1f}s")
    print(f"questions: {len(qs)} · cores: {os.cpu_count()} · OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS')}")
    found = sum(1 for q in qs if qa.ask(q)["found"])  # also warms nothing: ask() caches embeddings only
    qa.retriever._qvec_cache.clear()
    if hasattr(qa.retriever.embedder(), "_queries"):
        qa.retriever.embedder()._queries.clear()
    inproc = bench_inproc(qa, qs)
    rows = [
        ("in-process p50 (cold / warm)", f"{inproc['cold_p50']:.1f} / {inproc['warm_p50']:.1f} ms", f"≤ {TARGETS['inproc_p50']:.0f} ms"),
        ("in-process p95 (cold / warm)", f"{inproc['cold_p95']:.1f} / {inproc['warm_p95']:.1f} ms", f"≤ {TARGETS['inproc_p95']:.0f} ms"),
    ]
    if not args.no_http:
        del qa
        proc, url = start_server(args.index)
        try:
            http = bench_http(url, qs)
            tp = bench_throughput(url, qs, per_client=args.per_client)
            # the same load with questions the server has never embedded (trailing "？" / "吗")
            fresh = [q.rstrip("？?") + ("？" if i % 2 else "呢？") for i, q in enumerate(qs)]
            tp_cold = bench_throughput(url, fresh, per_client=max(1, len(fresh) // 8))
            memory = server_memory(proc)
        finally:
            stop_server(proc)
        rows += [
            ("HTTP p50 (cold / warm)", f"{http['cold_p50']:.1f} / {http['warm_p50']:.1f} ms", f"≤ {TARGETS['http_p50']:.0f} ms"),
            ("HTTP p95 (cold / warm)", f"{http['cold_p95']:.1f} / {http['warm_p95']:.1f} ms", ""),
            ("throughput, 8 clients (warm)", f"{tp['rps']:.0f} req/s ({tp['requests']} in {tp['seconds']:.1f}s, {tp['errors']} errors)", f"≥ {TARGETS['rps']:.0f} req/s"),
            ("  latency under load p50 / p95", f"{tp['p50']:.1f} / {tp['p95']:.1f} ms", ""),
            ("throughput, 8 clients (cold)", f"{tp_cold['rps']:.0f} req/s ({tp_cold['requests']} in {tp_cold['seconds']:.1f}s, {tp_cold['errors']} errors)", "(every question new)"),
            ("  latency under load p50 / p95", f"{tp_cold['p50']:.1f} / {tp_cold['p95']:.1f} ms", ""),
        ]
    print(f"answered (found) {found}/{len(qs)}")
    w = max(len(r[0]) for r in rows)
    v = max(len(r[1]) for r in rows)
    print(f"{'measure':<{w}}  {'value':<{v}}  target")
    print(f"{'-' * w}  {'-' * v}  ------")
    for name, value, target in rows:
        print(f"{name:<{w}}  {value:<{v}}  {target}")
    if not args.no_http:
        print_memory(memory)
    if not args.no_dense:
        print_dense(bench_dense(Path(args.index or settings.index_dir), qs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
