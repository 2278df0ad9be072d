"""Lexical tokens for BM25: jieba search-mode words plus CJK bigrams, numbers kept whole.

The same function tokenizes clauses at build time and questions at query time, so both sides
always agree. The domain dictionary ``userdict.txt`` (next to this file) teaches jieba the
policy vocabulary (托位数, 医共体, 县域医疗次中心, 省卫生健康委, …).
"""
from __future__ import annotations

import hashlib
import logging
import re
import threading
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from .textclean import normalize_for_match

if TYPE_CHECKING:  # pragma: no cover
    import jieba

log = logging.getLogger(__name__)

USERDICT_PATH = Path(__file__).with_name("userdict.txt")
# Bumped whenever tokenize() changes the tokens it produces (recorded in the index manifest).
TOKENIZER_VERSION = "1"

# Numbers kept as one token: 4.5, 0-3, 3.5‰, 30%, 2019-2022 (dash variants unified to "-").
_NUMBER = re.compile(
    r"(?<![a-z0-9.])"
    r"(\d+(?:\.\d+)?)"
    r"(?:\s*([-~\u2012-\u2015\u2212\u301c\uff5e至到])\s*(\d+(?:\.\d+)?))?"
    r"\s*([%‰])?"
    r"(?![a-z0-9])"
)
_RANGE_WORDS = {"至", "到"}
_CJK_WORD = re.compile(r"^[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+$")
# Function words that only add noise to BM25 scores.
STOPWORDS = frozenset(
    "的 地 得 了 和 与 及 或 等 在 是 为 对 将 把 被 从 以 于 之 其 并 且 也 又 就 都 而 所 这 那 个 中".split()
)
_lock = threading.Lock()


def userdict_sha() -> str:
    """SHA-256 of the user dictionary (recorded in the index manifest)."""
    return hashlib.sha256(USERDICT_PATH.read_bytes()).hexdigest()


@lru_cache(maxsize=1)
def _tokenizer() -> "jieba.Tokenizer":
    """One jieba tokenizer with the domain dictionary, built once (never the global jieba state)."""
    with _lock:
        import jieba

        # jieba attaches its own stderr handler at import; route its messages through logging.
        jieba_log = logging.getLogger("jieba")
        for handler in list(jieba_log.handlers):
            if handler is getattr(jieba, "log_console", None):
                jieba_log.removeHandler(handler)
        jieba_log.setLevel(logging.NOTSET)
        tk = jieba.Tokenizer()
        tk.initialize()
        tk.load_userdict(str(USERDICT_PATH))
        log.debug("jieba tokenizer ready with %s", USERDICT_PATH.name)
        return tk


def _is_token(tok: str) -> bool:
    return any(c.isalnum() for c in tok) and tok not in STOPWORDS


def _number_tokens(m: re.Match[str]) -> list[str]:
    a, dash, b, unit = m.group(1), m.group(2), m.group(3), m.group(4) or ""
    if b is not None:
        joiner = dash if dash in _RANGE_WORDS else "-"
        out = [f"{a}{joiner}{b}{unit}", a, b + unit if unit else b]
        if unit:
            out.append(b)
        return out
    return [a + unit, a] if unit else [a]


def _words(segment: str, out: list[str]) -> None:
    for raw in _tokenizer().cut_for_search(segment):
        tok = raw.strip()
        if not tok or not _is_token(tok):
            continue
        if len(tok) >= 3 and _CJK_WORD.match(tok):
            # Search mode emits a word's dictionary sub-words just before it: skip bigrams already there.
            seen = set(out[-(3 * len(tok)) :])
            out.append(tok)
            for i in range(len(tok) - 1):
                bigram = tok[i : i + 2]
                if bigram not in seen:
                    out.append(bigram)
                    seen.add(bigram)
        else:
            out.append(tok)


def tokenize(text: str) -> list[str]:
    """Tokens of ``text`` for BM25 (normalized: NFKC, lower case).

    jieba search-mode words with the domain dictionary; character bigrams of CJK words of 3+
    characters (托位数 also gives 托位, 位数); numbers such as 4.5, 0-3, 3.5‰ and 30% whole, plus
    their bare values and range ends. Whitespace, punctuation and a few function words are dropped.
    """
    if not text:
        return []
    norm = normalize_for_match(text)
    out: list[str] = []
    pos = 0
    for m in _NUMBER.finditer(norm):
        if m.start() > pos:
            _words(norm[pos : m.start()], out)
        out.extend(_number_tokens(m))
        pos = m.end()
    if pos < len(norm):
        _words(norm[pos:], out)
    return out
