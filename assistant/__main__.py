"""``python -m assistant ask "问题" [--json] [--top-k N] [--index DIR]`` / ``python -m assistant serve``."""
from __future__ import annotations

import sys

from .runtime import configure_threads

configure_threads()

from .cli import main  # noqa: E402  (after the thread settings: they must precede numpy/faiss)

if __name__ == "__main__":
    sys.exit(main())
