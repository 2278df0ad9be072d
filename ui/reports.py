"""Evaluation reports for the Evals page: run ``python -m evals`` as a subprocess and read the
reports it leaves on disk. The evals package is never imported by the UI."""
from __future__ import annotations

import importlib.util
import json
import os
import re
import selectors
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Callable

REPO = Path(__file__).resolve().parent.parent
RUN_TIMEOUT_S = 30 * 60
STDERR_KEEP = 200_000  # characters of the run's log kept to show on failure


def reports_dir() -> Path:
    raw = os.environ.get("PQA_REPORTS_DIR")
    path = Path(raw) if raw else REPO / "var" / "reports"
    return path if path.is_absolute() else REPO / path


def evals_available() -> tuple[bool, str]:
    """Whether ``python -m evals`` can run, without importing the package."""
    try:
        spec = importlib.util.find_spec("evals")
    except (ImportError, ValueError):
        spec = None
    if spec is None or not spec.submodule_search_locations:
        return False, "找不到 evals 包"
    if not any((Path(p) / "__main__.py").is_file() for p in spec.submodule_search_locations):
        return False, "evals 包没有命令行入口（evals/__main__.py）"
    return True, ""


def can_chart() -> bool:
    """Whether evals can draw its PNG charts (it needs matplotlib for ``--report``)."""
    try:
        return importlib.util.find_spec("matplotlib") is not None
    except (ImportError, ValueError):
        return False


@dataclass
class Outcome:
    ok: bool
    data: dict[str, Any] | None = None
    error: str = ""
    stderr: str = ""
    seconds: float = 0.0


def parse_json_output(stdout: str) -> Any:
    """The JSON document printed on stdout (the whole output, or its last JSON line/block)."""
    text = stdout.strip()
    if not text:
        raise ValueError("没有输出")
    try:
        return json.loads(text)
    except ValueError:
        pass
    for start in [i for i, ch in enumerate(text) if ch == "{" and (i == 0 or text[i - 1] == "\n")][::-1]:
        try:
            return json.loads(text[start:])
        except ValueError:
            continue
    raise ValueError("输出不是 JSON")


@dataclass
class Progress:
    """How far a run is: ``done`` of ``total`` questions of the set or suite called ``label``."""

    done: int
    total: int
    label: str = ""

    @property
    def fraction(self) -> float:
        return min(1.0, self.done / self.total) if self.total else 0.0


# the runner's tqdm line on stderr: "eval hybrid:  45%|████▌     | 74/163 [00:10<00:12,  7.1q/s]"
_TQDM = re.compile(r"(?P<label>[^\r\n|:]*?):\s*\d+%\|[^|]*\|\s*(?P<done>\d+)/(?P<total>\d+)")


def parse_progress(chunk: str) -> Progress | None:
    """The last progress report in a piece of the runner's stderr (``None`` when it holds none)."""
    found = None
    for m in _TQDM.finditer(chunk):
        found = Progress(int(m.group("done")), int(m.group("total")), m.group("label").strip())
    return found


def run_evals(api_url: str, api_key: str | None = None, extra_args: list[str] | None = None,
              timeout: float = RUN_TIMEOUT_S, on_progress: Callable[[Progress], None] | None = None) -> Outcome:
    """``python -m evals run --api URL --json …`` as a subprocess; ``on_progress`` hears each progress line."""
    cmd = [sys.executable, "-m", "evals", "run", "--api", api_url, "--json", *(extra_args or [])]
    if on_progress is None:
        cmd.append("--no-progress")
    env = dict(os.environ)
    if api_key:
        env["PQA_API_KEY"] = api_key
    t0 = time.monotonic()
    try:
        with tempfile.TemporaryFile() as out:
            proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=out, stderr=subprocess.PIPE)
            stderr, timed_out = _follow(proc, t0 + timeout, on_progress)
            out.seek(0)
            stdout = out.read().decode("utf-8", errors="replace")
    except OSError as exc:
        return Outcome(False, error=str(exc), seconds=time.monotonic() - t0)
    seconds = time.monotonic() - t0
    if timed_out:
        return Outcome(False, error=f"超过 {timeout / 60:.0f} 分钟未完成", stderr=stderr, seconds=seconds)
    if proc.returncode != 0:
        last = (stderr.strip().splitlines() or [f"退出码 {proc.returncode}"])[-1]
        return Outcome(False, error=f"{' '.join(cmd[1:])} 退出码 {proc.returncode}：{last}",
                       stderr=stderr, seconds=seconds)
    try:
        data = parse_json_output(stdout)
    except ValueError as exc:
        return Outcome(False, error=f"无法解析评测输出：{exc}", stderr=stderr, seconds=seconds)
    return Outcome(True, data=data if isinstance(data, dict) else {"result": data}, stderr=stderr, seconds=seconds)


def _follow(proc: subprocess.Popen, deadline: float,
            on_progress: Callable[[Progress], None] | None) -> tuple[str, bool]:
    """Read the child's stderr until it exits (reporting progress); kill it at ``deadline``.

    Returns (stderr without the progress lines, timed out). The kept text is bounded."""
    kept: list[str] = []
    size = 0
    pending = ""
    fd = proc.stderr.fileno()
    with selectors.DefaultSelector() as sel:
        sel.register(fd, selectors.EVENT_READ)
        while True:
            if time.monotonic() > deadline:
                proc.kill()
                proc.wait()
                return "".join(kept), True
            if not sel.select(timeout=0.5):
                continue
            data = os.read(fd, 65536)
            if not data:
                break
            pending += data.decode("utf-8", errors="replace")
            *parts, pending = re.split(r"[\r\n]", pending)
            for part in parts:
                progress = parse_progress(part)
                if progress is not None:
                    if on_progress is not None:
                        on_progress(progress)
                elif part.strip() and size < STDERR_KEEP:
                    kept.append(part + "\n")
                    size += len(part)
    proc.stderr.close()
    proc.wait()
    if pending.strip() and parse_progress(pending) is None:
        kept.append(pending)
    return "".join(kept), False


@dataclass
class Report:
    path: Path
    markdown: str = ""
    data: dict[str, Any] | None = None
    charts: list[Path] = field(default_factory=list)
    created: str = ""


def _report_dirs(root: Path) -> list[Path]:
    if not root.is_dir():
        return []
    latest = root / "latest"
    if latest.is_dir():  # `make eval` writes one folder per suite under latest/
        subs = sorted((p for p in latest.iterdir() if p.is_dir()), key=lambda p: p.stat().st_mtime, reverse=True)
        return [latest, *subs]
    dirs = [p for p in root.iterdir() if p.is_dir()]
    if any(root.glob("*.md")) or any(root.glob("*.json")):
        dirs.append(root)
    return sorted(dirs, key=lambda p: p.stat().st_mtime, reverse=True)


def load_report(path: Path) -> Report | None:
    mds = sorted(path.glob("*.md"))
    jsons = sorted(path.glob("*.json"))
    pngs = sorted(path.glob("*.png"))
    if not (mds or jsons or pngs):
        return None
    report = Report(path=path, charts=pngs)
    preferred = [p for p in mds if p.stem.lower() in ("report", "readme")] or mds
    if preferred:
        report.markdown = preferred[0].read_text(encoding="utf-8", errors="replace")
        # Charts are shown as images; drop Markdown image links that would not resolve here.
        report.markdown = "\n".join(line for line in report.markdown.splitlines()
                                    if not line.strip().startswith("!["))
    for j in sorted(jsons, key=lambda p: (p.stem.lower() not in ("report", "metrics", "summary"), p.name)):
        try:
            data = json.loads(j.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(data, dict):
            report.data = data
            break
    created = (report.data or {}).get("created_at") or (report.data or {}).get("timestamp")
    report.created = str(created) if created else datetime.fromtimestamp(path.stat().st_mtime).strftime("%Y-%m-%d %H:%M")
    return report


def latest_report(root: Path | None = None) -> Report | None:
    for path in _report_dirs(root or reports_dir()):
        report = load_report(path.resolve())
        if report is not None:
            return report
    return None


# --- turning the JSON into tables -----------------------------------------------------------------
_PER_TYPE_KEYS = ("per_type", "by_type", "types", "per_category", "by_category")


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _metrics_dict(result: dict[str, Any]) -> dict[str, Any]:
    for key in ("metrics", "overall", "summary", "totals"):
        if isinstance(result.get(key), dict):
            return result[key]
    return result


def _flatten(prefix: str, value: Any, out: list[dict[str, Any]]) -> None:
    if _is_number(value):
        out.append({"指标": prefix, "值": round(float(value), 4)})
    elif isinstance(value, dict):
        for k, v in value.items():
            if k in _PER_TYPE_KEYS:
                continue
            _flatten(f"{prefix}.{k}" if prefix else str(k), v, out)


def overall_metrics(result: dict[str, Any]) -> dict[str, Any]:
    """The overall group's numbers (``None`` kept), rounded for display."""
    out: dict[str, Any] = {}
    for k, v in _metrics_dict(result).items():
        if v is None or _is_number(v):
            out[k] = round(float(v), 4) if isinstance(v, float) else v
    return out


def metric_rows(result: dict[str, Any]) -> list[dict[str, Any]]:
    """Overall metrics as rows ``{指标, 值}`` (nested sections joined with dots)."""
    out: list[dict[str, Any]] = []
    _flatten("", _metrics_dict(result), out)
    return out


CHART_METRICS = ("hit@1", "hit@5", "mrr@10", "ndcg@10", "recall@5", "answer_accuracy", "refusal_accuracy")


def per_type_table(result: dict[str, Any]) -> dict[str, Any] | None:
    """Per-question-type metrics: rows, the key column and the metrics worth charting."""
    source = None
    for container in (result, _metrics_dict(result)):
        for key in _PER_TYPE_KEYS:
            if container.get(key):
                source = container[key]
                break
        if source:
            break
    if not source:
        return None
    rows: list[dict[str, Any]] = []
    if isinstance(source, dict):
        items = [(name, m) for name, m in source.items() if isinstance(m, dict)]
    elif isinstance(source, list):
        items = [(m.get("type") or m.get("name") or m.get("category"), m) for m in source if isinstance(m, dict)]
    else:
        items = []
    for name, metrics in items:
        row: dict[str, Any] = {"类型": str(name)}
        for k, v in metrics.items():
            if k in ("type", "name", "category"):
                continue
            if v is None or _is_number(v):
                row[k] = None if v is None else round(float(v), 4) if isinstance(v, float) else v
        rows.append(row)
    if not rows:
        return None
    keys = [k for k in rows[0] if k != "类型"]
    for row in rows[1:]:
        keys += [k for k in row if k != "类型" and k not in keys]
    for row in rows:
        for k in keys:
            row.setdefault(k, None)
    present = [k for k in CHART_METRICS if any(r.get(k) is not None for r in rows)]
    if not present:
        present = [k for k in keys if all(r.get(k) is None or 0 <= float(r[k]) <= 1 for r in rows)
                   and any(r.get(k) is not None for r in rows)]
    return {"key": "类型", "rows": rows, "chart_metrics": present}
