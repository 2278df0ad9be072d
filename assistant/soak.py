"""Soak test of the HTTP service under heavy and hostile traffic: ``python -m assistant.soak``.

Starts a real ``python -m assistant serve`` on a private copy of the seed corpus and index (so the
library can rebuild it without touching ``var/``), then runs ``--clients`` concurrent clients for
``--seconds``: 10 % of the questions are long pastes (about 1,000 characters), 1 % of the requests
are hostile (oversized bodies, deep JSON, lone surrogates, control characters, unknown keys, bad
JSON, slash redirects). A probe asks ``/health`` every 200 ms throughout.

Reported: latency p50/p95/p99 of answered requests, status counts, errors (anything but 200 and
the deliberate 4xx/503), shed rate (503), the slowest ``/health``, and the server's RSS before and
after (growth target < 10 %) and its peak. ``--rebuilds 2`` adds two index rebuilds during the
soak (a document uploaded, then deleted, through the live library). Exits 0 unless the server
cannot start; it reports, it does not judge.
"""
from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

from .bench import questions
from .bench_server import free_port, pct, stop_server, wait_healthy

REPO = Path(__file__).resolve().parent.parent
DELIBERATE = {400, 401, 404, 405, 408, 411, 413, 415, 422, 503}
LONG_SHARE, HOSTILE_SHARE = 0.10, 0.01
UPLOAD_TEXT = (
    "某市托育服务补充规定\n第一条 为规范托育机构管理，制定本规定。\n"
    "第二条 到2026年，全市每千人口托位数达到5.2个。\n第三条 本规定自发布之日起施行。\n"
)


def rss_kb(pid: int) -> tuple[int, int]:
    """(current RSS, peak RSS) of a process in KiB, from /proc (0, 0 when unreadable)."""
    cur = peak = 0
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                cur = int(line.split()[1])
            elif line.startswith("VmHWM:"):
                peak = int(line.split()[1])
    except OSError:
        pass
    return cur, peak


def hostile_requests() -> list[tuple[str, str, bytes, dict[str, str]]]:
    """(method, path, body, headers) of each hostile class, cycled through during the soak."""
    js = {"content-type": "application/json"}
    deep = b'{"question": "x", "filters": ' + b"[" * 200 + b"]" * 200 + b"}"
    many = json.dumps({f"k{i}": i for i in range(20_000)}).encode()
    return [
        ("POST", "/ask", b'{"question": "' + "托".encode() * 40_000 + b'"}', js),  # 120 KB body
        ("POST", "/ask", deep, js),
        ("POST", "/ask", many, js),
        ("POST", "/ask", b'{"question": "\\ud800"}', js),
        ("POST", "/ask", '{"question": "托位\u0000数"}'.encode(), js),
        ("POST", "/ask", b'{"question": "x", "nope": 1}', js),
        ("POST", "/ask", b'{"question": ', js),
        ("POST", "/search", b'{"question": "' + b"\xed\xa0\x80" + b'"}', js),  # raw surrogate bytes
        ("GET", "/clauses", b"", {"host": "evil.example"}),
        ("POST", "/ask", b'{"question": "x", "filters": {"jurisdiction": ' + json.dumps(["某" * 100] * 500).encode() + b"}}", js),
    ]


def long_question(rng: random.Random, base: list[str]) -> str:
    filler = "根据上级文件精神，结合本地实际，我们正在起草落实方案，需要核实相关指标和责任分工。"
    return (filler * 25)[: 950 - 20] + rng.choice(base)


def health_probe(url: str, stop, out) -> None:
    """In its own process: GET /health every 200 ms until ``stop``; sends the latencies (ms, -1 = failed)."""
    import httpx

    times = []
    with httpx.Client(base_url=url, timeout=10) as c:
        while not stop.is_set():
            t0 = time.perf_counter()
            try:
                ok = c.get("/health").status_code == 200
            except httpx.HTTPError:
                ok = False
            times.append((time.perf_counter() - t0) * 1000 if ok else -1.0)
            time.sleep(0.2)
    out.send(times)


class Soak:
    def __init__(self, url: str, pid: int, clients: int, seconds: float, seed: int = 20261203) -> None:
        self.url, self.pid, self.clients, self.seconds = url, pid, clients, seconds
        self.rng = random.Random(seed)
        self.qs = questions(120)
        self.hostile = hostile_requests()
        self.lat: list[float] = []
        self.status: Counter[int] = Counter()
        self.kinds: Counter[str] = Counter()
        self.health: list[float] = []
        self.health_fail = 0
        self.peak_rss = 0
        self.lock = threading.Lock()
        self.stop = threading.Event()

    def client(self, i: int) -> None:
        import httpx

        rng = random.Random(i)
        with httpx.Client(base_url=self.url, timeout=60) as c:
            while not self.stop.is_set():
                roll = rng.random()
                t0 = time.perf_counter()
                try:
                    if roll < HOSTILE_SHARE:
                        method, path, body, headers = self.hostile[rng.randrange(len(self.hostile))]
                        r = c.request(method, path, content=body or None, headers=headers)
                        kind = "hostile"
                    else:
                        kind = "long" if roll < HOSTILE_SHARE + LONG_SHARE else "normal"
                        q = long_question(rng, self.qs) if kind == "long" else rng.choice(self.qs)
                        r = c.post("/ask", json={"question": q, "top_k": 5})
                    code = r.status_code
                    if code == 503:
                        time.sleep(min(2.0, float(r.headers.get("retry-after", "1"))) * rng.random())
                except httpx.HTTPError:
                    code, kind = -1, "transport"
                ms = (time.perf_counter() - t0) * 1000
                with self.lock:
                    self.status[code] += 1
                    self.kinds[kind] += 1
                    if code == 200:
                        self.lat.append(ms)

    def probe(self) -> None:
        """Sample the server's RSS; /health is timed by a separate process (this one is busy being 64 clients)."""
        while not self.stop.is_set():
            self.peak_rss = max(self.peak_rss, rss_kb(self.pid)[0])
            time.sleep(0.2)


    def run(self, rebuilds: int = 0) -> dict:
        before = rss_kb(self.pid)[0]
        threads = [threading.Thread(target=self.client, args=(i,), daemon=True) for i in range(self.clients)]
        threads.append(threading.Thread(target=self.probe, daemon=True))
        ctx = multiprocessing.get_context("spawn")
        stop_probe, (receiver, sender) = ctx.Event(), ctx.Pipe(duplex=False)
        prober = ctx.Process(target=health_probe, args=(self.url, stop_probe, sender), daemon=True)
        prober.start()
        for t in threads:
            t.start()
        t_start = time.perf_counter()
        rebuilt: list[dict] = []
        builder = threading.Thread(target=lambda: rebuilt.extend(self.rebuild(rebuilds)), daemon=True)
        if rebuilds:
            builder.start()
        time.sleep(self.seconds)
        if rebuilds:
            builder.join(timeout=600)  # the soak goes on until both rebuilds are live
        self.stop.set()
        stop_probe.set()
        probed = receiver.recv() if receiver.poll(30) else []
        prober.join(timeout=10)
        self.health = [t for t in probed if t >= 0]
        self.health_fail = sum(1 for t in probed if t < 0)
        for t in threads:
            t.join(timeout=70)
        elapsed = time.perf_counter() - t_start
        after = rss_kb(self.pid)[0]
        total = sum(self.status.values())
        errors = sum(n for code, n in self.status.items() if code != 200 and code not in DELIBERATE)
        return {
            "requests": total, "rps": total / elapsed, "seconds": elapsed,
            "p50_ms": pct(self.lat, 50), "p95_ms": pct(self.lat, 95), "p99_ms": pct(self.lat, 99),
            "status": dict(sorted(self.status.items())), "kinds": dict(self.kinds),
            "errors": errors, "shed_rate": self.status.get(503, 0) / max(1, total),
            "health_max_ms": max(self.health or [0.0]), "health_p99_ms": pct(self.health, 99),
            "health_failures": self.health_fail,
            "rss_before_mb": before / 1024, "rss_after_mb": after / 1024, "rss_peak_mb": self.peak_rss / 1024,
            "rss_growth": (after - before) / max(1, before), "rebuilds": rebuilt,
        }

    def rebuild(self, n: int) -> list[dict]:
        """Upload a document, then delete it (each a rebuild and a hot switch), waiting for each."""
        import httpx

        out = []
        doc_id = None  # the upload the next odd step deletes
        with httpx.Client(base_url=self.url, timeout=60) as c:
            for k in range(n):
                time.sleep(self.seconds / (n + 2))
                t0 = time.perf_counter()
                for _ in range(120):  # the library's requests are shed like any other: retry after a 503
                    if k % 2 == 0:
                        r = c.post("/documents", files={"file": ("soak-upload.txt", UPLOAD_TEXT.encode("utf-8"), "text/plain")})
                    else:
                        r = c.delete(f"/documents/{doc_id}") if doc_id else None
                    if r is None or r.status_code != 503:
                        break
                    time.sleep(0.5)
                if k % 2 == 0:
                    doc_id = r.json().get("doc_id") if r is not None and r.status_code == 202 else None
                    if doc_id is None:
                        print(f"upload refused: HTTP {r.status_code if r is not None else '-'} {r.text[:200] if r is not None else ''}", file=sys.stderr)
                state = "not started"
                while doc_id and time.perf_counter() - t0 < 300:
                    st = c.get(f"/documents/{doc_id}/status")
                    state = st.json().get("status") if st.status_code == 200 else f"HTTP {st.status_code}"
                    if state in ("ready", "failed", "deleted") or st.status_code == 404:
                        break
                    time.sleep(0.5)
                out.append({"action": "upload" if k % 2 == 0 else "delete", "state": state,
                            "s": time.perf_counter() - t0})
        return out


def start(workdir: Path, index_dir: Path, corpus: Path, cache: Path) -> tuple[subprocess.Popen, str]:
    """A server over private copies of the corpus, index and embedding cache under ``workdir``."""
    shutil.copytree(corpus, workdir / "corpus")
    shutil.copytree(index_dir, workdir / "index")
    # the library writes into the folder an index was built from: point the copy at the copied corpus
    manifest = workdir / "index" / "manifest.json"
    data = json.loads(manifest.read_text(encoding="utf-8"))
    data["corpus_dir"] = str((workdir / "corpus").resolve())
    manifest.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
    (workdir / "cache").mkdir()
    if (cache / "embeddings.sqlite3").is_file():
        shutil.copyfile(cache / "embeddings.sqlite3", workdir / "cache" / "embeddings.sqlite3")
    port = free_port()
    env = dict(os.environ, PQA_CORPUS_DIR=str(workdir / "corpus"), PQA_INDEX_DIR=str(workdir / "index"),
               PQA_CACHE_DIR=str(workdir / "cache"), PQA_DATA_DIR=str(workdir / "data"), PQA_LOG_LEVEL="WARNING")
    env.pop("PQA_API_KEY", None)
    log = open(workdir / "server.log", "wb")
    proc = subprocess.Popen([sys.executable, "-m", "assistant", "serve", "--host", "127.0.0.1", "--port", str(port),
                             "--log-level", "warning"], cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    wait_healthy(proc, url, 180, lambda: (workdir / "server.log").read_text(errors="replace")[-500:])
    return proc, url


def warm_up(url: str) -> None:
    import httpx

    with httpx.Client(base_url=url, timeout=60) as c:
        for q in questions(120):
            c.post("/ask", json={"question": q, "top_k": 5})


def report(name: str, r: dict) -> None:
    print(f"\n## {name}")
    print("| figure | value |\n|---|---|")
    rows = [
        ("requests (req/s)", f"{r['requests']} ({r['rps']:.1f})"),
        ("answered p50 / p95 / p99 (ms)", f"{r['p50_ms']:.0f} / {r['p95_ms']:.0f} / {r['p99_ms']:.0f}"),
        ("status counts", ", ".join(f"{k}: {v}" for k, v in r["status"].items())),
        ("errors (not 200, not deliberate 4xx/503)", str(r["errors"])),
        ("shed rate (503)", f"{r['shed_rate']:.1%}"),
        ("/health slowest / p99 (ms), failures", f"{r['health_max_ms']:.0f} / {r['health_p99_ms']:.0f}, {r['health_failures']}"),
        ("RSS before → after (MB), growth", f"{r['rss_before_mb']:.0f} → {r['rss_after_mb']:.0f}, {r['rss_growth']:+.1%}"),
        ("RSS peak (MB)", f"{r['rss_peak_mb']:.0f}"),
    ]
    for rb in r["rebuilds"]:
        rows.append((f"rebuild: {rb['action']}", f"{rb['state']} in {rb['s']:.1f} s"))
    for k, v in rows:
        print(f"| {k} | {v} |")
    sys.stdout.flush()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m assistant.soak", description=__doc__.splitlines()[0])
    p.add_argument("--index", type=Path, default=Path(os.environ.get("PQA_INDEX_DIR", "var/index")))
    p.add_argument("--corpus", type=Path, default=Path(os.environ.get("PQA_CORPUS_DIR", "corpus")))
    p.add_argument("--cache", type=Path, default=Path(os.environ.get("PQA_CACHE_DIR", "var/cache")))
    p.add_argument("--clients", type=int, default=64)
    p.add_argument("--seconds", type=float, default=60.0)
    p.add_argument("--rebuilds", type=int, default=2, help="index rebuilds during the second soak (0: no second soak)")
    args = p.parse_args(argv)
    if not (args.index / "manifest.json").is_file():
        print(f"no index at {args.index}: run `make index` first", file=sys.stderr)
        return 2
    runs = [("soak", 0)] + ([("soak with rebuilds", args.rebuilds)] if args.rebuilds else [])
    for name, rebuilds in runs:
        with tempfile.TemporaryDirectory(prefix="pqa-soak-") as tmp:
            proc, url = start(Path(tmp), args.index, args.corpus, args.cache)
            try:
                warm_up(url)
                print(f"{name}: {args.clients} clients for {args.seconds:.0f} s against {url} …", file=sys.stderr)
                result = Soak(url, proc.pid, args.clients, args.seconds).run(rebuilds)
            finally:
                stop_server(proc, 20)
            report(f"{name}: {args.clients} clients, {args.seconds:.0f} s, {LONG_SHARE:.0%} long, {HOSTILE_SHARE:.0%} hostile", result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
