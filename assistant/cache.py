"""A least-recently-used cache bounded in entries *and* in bytes, safe to share between threads.

Every per-request cache of the assistant (query vectors, filter masks, term statistics) is one of
these, so no stream of distinct requests can make the process grow without bound.
"""
from __future__ import annotations

import sys
import threading
from collections import OrderedDict
from typing import Any, Callable, Generic, Hashable, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


def approx_size(obj: Any) -> int:
    """Bytes held by ``obj``: numpy arrays by their buffer, containers by their items (one level)."""
    nbytes = getattr(obj, "nbytes", None)
    if isinstance(nbytes, int):
        return nbytes + 112
    size = sys.getsizeof(obj)
    if isinstance(obj, (tuple, list, frozenset, set)):
        size += sum(approx_size(x) for x in obj)
    elif hasattr(obj, "__dataclass_fields__"):
        size += sum(approx_size(getattr(obj, f)) for f in obj.__dataclass_fields__)
    return size


class BoundedCache(Generic[K, V]):
    """LRU mapping of at most ``max_entries`` entries and about ``max_bytes`` bytes (keys + values).

    ``sizeof`` measures one key or value (default :func:`approx_size`). An entry larger than
    ``max_bytes`` alone is not kept."""

    def __init__(self, max_entries: int, max_bytes: int, sizeof: Callable[[Any], int] = approx_size) -> None:
        self.max_entries = max(1, int(max_entries))
        self.max_bytes = max(1, int(max_bytes))
        self._sizeof = sizeof
        self._data: OrderedDict[K, tuple[V, int]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: K, default: V | None = None) -> V | None:
        with self._lock:
            got = self._data.get(key)
            if got is None:
                return default
            self._data.move_to_end(key)
            return got[0]

    def put(self, key: K, value: V) -> None:
        size = self._sizeof(key) + self._sizeof(value)
        if size > self.max_bytes:
            return
        with self._lock:
            old = self._data.pop(key, None)
            if old is not None:
                self._bytes -= old[1]
            self._data[key] = (value, size)
            self._bytes += size
            while len(self._data) > self.max_entries or self._bytes > self.max_bytes:
                _, (_, dropped) = self._data.popitem(last=False)
                self._bytes -= dropped

    def clear(self) -> None:
        with self._lock:
            self._data.clear()
            self._bytes = 0

    def __len__(self) -> int:
        return len(self._data)

    def __contains__(self, key: object) -> bool:
        return key in self._data

    @property
    def nbytes(self) -> int:
        """The bytes currently held (as measured by ``sizeof``)."""
        return self._bytes
