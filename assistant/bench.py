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
p50/p95/p99; then the same with filters (a document, a jurisdiction, ``as_of``, a year range);
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
import json  # noqa: E402
import os  # noqa: E402
import socket  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Callable  # noqa: E402

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


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    k = (len(s) - 1) * p / 100.0
    lo, hi = int(k), min(int(k) + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


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


def start_server(index_dir: Path | None, workers: int = 1, env_extra: dict[str, str] | None = None) -> tuple[subprocess.Popen, str]:
    port = free_port()
    cmd = [sys.executable, "-m", "assistant", "serve", "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning",
           "--workers", str(workers)]
    if index_dir is not None:
        cmd += ["--index", str(index_dir)]
    env = dict(os.environ)
    env.pop("PQA_API_KEY", None)
    env.update(env_extra or {})
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    url = f"http://127.0.0.1:{port}"
    wait_healthy(proc, url, 120, lambda: proc.stderr.read().strip())
    return proc, url


def stop_server(proc: subprocess.Popen, grace_s: float = 15.0) -> None:
    """SIGTERM, then SIGKILL once ``grace_s`` has passed."""
    proc.terminate()
    try:
        proc.wait(timeout=grace_s)
    except subprocess.TimeoutExpired:
        proc.kill()


def wait_healthy(proc: subprocess.Popen, url: str, timeout: float, output: Callable[[], str]) -> None:
    """Wait for ``GET url/health``; a server that exits or stays unhealthy raises (with ``output()``)."""
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited: {output()}")
        try:
            if httpx.get(url + "/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    proc.kill()
    raise RuntimeError("server did not become healthy")


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
    """Filters over ``index_dir``'s documents, rotating: a document, a jurisdiction, as_of, a year range."""
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
    out += [{"as_of": "2020-01-01"}, {"as_of": "2022-06-30"}, {"year_from": 2015, "year_to": 2021}]
    return out


def process_memory(pid: int) -> dict[str, float]:
    """RSS, PSS (and its anonymous / file parts) of ``pid`` in MB, from /proc/<pid>/smaps_rollup."""
    out: dict[str, float] = {}
    try:
        text = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return out
    for line in text.splitlines()[1:]:
        key, _, rest = line.partition(":")
        parts = rest.split()
        if key in ("Rss", "Pss", "Pss_Anon", "Pss_File", "Private_Clean", "Private_Dirty") and parts:
            out[key] = int(parts[0]) / 1024.0
    return out


def server_memory(proc: subprocess.Popen) -> list[tuple[str, int, dict[str, float]]]:
    """``[(role, pid, memory)]`` of the server and its worker processes."""
    rows = [("parent" if _children(proc.pid) else "server", proc.pid, process_memory(proc.pid))]
    rows += [("worker", pid, process_memory(pid)) for pid in _children(proc.pid)]
    return rows


def _children(pid: int) -> list[int]:
    out: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            out += [int(x) for x in (task / "children").read_text().split()]
        except (OSError, ValueError):
            pass
    return sorted(set(out))


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


def _mb(v: float | None) -> str:
    return "—" if v is None else f"{v:.0f}"


def print_memory(rows: list[tuple[str, int, dict[str, float]]]) -> None:
    print(f"{'process':<8} {'pid':>7} {'RSS MB':>7} {'PSS MB':>7} {'PSS anon':>9} {'PSS file':>9} {'priv.dirty':>10}")
    for role, pid, m in rows:
        private = m.get("Private_Dirty") if m else None  # pages this process copied (written)
        print(f"{role:<8} {pid:>7} {_mb(m.get('Rss')):>7} {_mb(m.get('Pss')):>7} {_mb(m.get('Pss_Anon')):>9} "
              f"{_mb(m.get('Pss_File')):>9} {_mb(private):>10}")
    workers = [m for role, _, m in rows if role == "worker"] or [m for _, _, m in rows]
    total = sum(m.get("Pss", 0.0) for _, _, m in rows)
    print(f"PSS of all server processes: {total:.0f} MB; per worker RSS {max(m.get('Rss', 0.0) for m in workers):.0f} MB, "
          f"PSS {sum(m.get('Pss', 0.0) for m in workers) / max(1, len(workers)):.0f} MB")


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


def print_dense(d: dict[str, float]) -> None:
    built = "" if d.get("hnsw_build_s") != d.get("hnsw_build_s") else f", HNSW built here in {d['hnsw_build_s']:.1f}s"
    print(f"dense search over {d['vectors']:.0f} vectors, {d['queries']:.0f} queries one at a time{built}:")
    print(f"  flat (exact, memory-mapped)  p50 {d['flat_ms']:.2f} ms  p95 {d['flat_p95_ms']:.2f} ms")
    print(f"  HNSW (M=32, efSearch≥128)    p50 {d['hnsw_ms']:.2f} ms  p95 {d['hnsw_p95_ms']:.2f} ms  "
          f"recall@10 {d['recall@10']:.3f}  recall@40 {d['recall@40']:.3f} (against flat)")


if __name__ == "__main__":
    sys.exit(main())
