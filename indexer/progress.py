"""Progress of a long build step: done / total, rate and ETA, logged at INFO every few seconds.

A library build parses thousands of documents and embeds tens of thousands of texts; the log
(and, on a terminal, a tqdm bar) shows how far it is and how long the rest will take.
"""
from __future__ import annotations

import logging
import resource
import time
from contextlib import ExitStack
from typing import Any

log = logging.getLogger(__name__)

LOG_INTERVAL_S = 3.0


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MB (``ru_maxrss`` is KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def format_duration(seconds: float) -> str:
    """``42s``, ``3m05s``, ``1h07m``."""
    s = max(0, int(round(seconds)))
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m{s % 60:02d}s"
    return f"{s // 3600}h{(s % 3600) // 60:02d}m"


class Progress:
    """Counts ``done`` of ``total`` units of one step; a context manager that logs the end.

    Logs ``<step>: done/total unit (pct), rate unit/s, ETA …`` at INFO at most every
    ``interval`` seconds, and drives a tqdm bar when ``bar`` (tqdm hides it off a terminal).
    """

    def __init__(self, step: str, total: int, unit: str, *, bar: bool = False, interval: float = LOG_INTERVAL_S,
                 logger: logging.Logger | None = None) -> None:
        self.step, self.total, self.unit = step, max(0, int(total)), unit
        self.done = 0
        self.interval = float(interval)
        self._log = logger or log
        self._bar: Any = None
        self._stack = ExitStack()
        if bar and self.total:
            from tqdm import tqdm
            from tqdm.contrib.logging import logging_redirect_tqdm

            # log lines go through tqdm.write so they do not tear the bar apart
            self._stack.enter_context(logging_redirect_tqdm())
            self._bar = self._stack.enter_context(tqdm(total=self.total, desc=step, unit=unit, disable=None))
        self.started = time.perf_counter()
        self._last_log = self.started

    def __enter__(self) -> "Progress":
        return self

    def __exit__(self, exc_type: object, *exc: object) -> None:
        self._stack.close()
        if exc_type is None and self.total:
            took = time.perf_counter() - self.started
            self._log.info("%s: %d/%d %s done in %s (%s)", self.step, self.done, self.total, self.unit,
                           format_duration(took), self._rate(took))

    def advance(self, n: int = 1) -> None:
        """Count ``n`` more units done; log if the last line is ``interval`` seconds old."""
        self.done += int(n)
        if self._bar is not None:
            self._bar.update(int(n))
        now = time.perf_counter()
        if now - self._last_log >= self.interval and self.done < self.total:
            self._last_log = now
            self._log.info("%s", self.line(now))

    def line(self, now: float | None = None) -> str:
        """``embedding: 160/480 texts (33%), 19.6 texts/s, ETA 16s``."""
        elapsed = (now if now is not None else time.perf_counter()) - self.started
        pct = 100.0 * self.done / self.total if self.total else 100.0
        rate = self.done / elapsed if elapsed > 0 else 0.0
        eta = format_duration((self.total - self.done) / rate) if rate > 0 else "?"
        return f"{self.step}: {self.done}/{self.total} {self.unit} ({pct:.0f}%), {self._rate(elapsed)}, ETA {eta}"

    def _rate(self, elapsed: float) -> str:
        rate = self.done / elapsed if elapsed > 0 else 0.0
        return f"{rate:.1f} {self.unit}/s"
