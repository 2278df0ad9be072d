"""A bounded cost per question: a long question is answered from its most informative part.

Embedding cost grows faster than linearly with the text (a 1000-character paste costs about 40× a
normal question), so everything downstream gets at most ``budget`` characters: the question
sentence (the last one with a question cue) alone, since the paste around it is background; when
there is none, or it points at the paste (这段话出自哪个文件), the sentences whose terms are rarest
in the index (IDF per character), in their original order. The response says so in a ``note``.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Callable, Iterable

_PIECE_END = re.compile(r"(?<=[。！？!?；;\n])")
_SUB_END = re.compile(r"(?<=[，,、：:])")
_CUE = re.compile(r"[？?吗]|多少|什么|哪些|哪个|哪里|哪|谁|如何|怎么|怎样|几|是否|能否|可否|有没有")
_DEICTIC = re.compile(r"这段|这句|这条|这些|上述|以上|上面|前述|此段|该段|这个规定|这一规定")
_UNSEEN_WEIGHT = 0.5  # a word the index never saw cannot find anything; it still tells what is asked


@dataclass(frozen=True)
class QuestionFocus:
    """What is answered (``text``) and whether it is a part of a longer question."""

    text: str
    original_chars: int
    trimmed: bool

    def note(self) -> str:
        """The Chinese note of a response whose question was cut to its key part ('' otherwise)."""
        if not self.trimmed:
            return ""
        return f"问题较长（{self.original_chars}字），已按其中最关键的部分作答：「{self.text}」"


def focus_question(question: str, budget: int, doc_freq: Callable[[list[str]], list[int]], n_docs: int,
                   tokenize: Callable[[str], Iterable[str]]) -> QuestionFocus:
    """``question`` itself when it fits in ``budget`` characters, else its most informative part.

    ``doc_freq(tokens)`` gives each token's document frequency in the index (``n_docs`` clauses);
    ``tokenize`` is the index's own tokenizer, so the weights are those retrieval uses."""
    text = question.strip()
    if len(text) <= budget:
        return QuestionFocus(text, len(text), False)
    pieces = _pieces(text, budget)
    cue = max((i for i, p in enumerate(pieces) if _CUE.search(p)), default=None)
    if cue is not None and not _DEICTIC.search(pieces[cue]):
        # the question states what it asks: the surrounding paste is background, and dilutes it
        asked = pieces[cue].strip()
        return QuestionFocus(asked[-budget:], len(text), True)
    # no question sentence, or one that points at the paste (这段话出自哪里): the paste is the content
    scores = _densities(pieces, doc_freq, n_docs, tokenize)
    chosen: set[int] = set()
    used = 0
    for i in sorted(range(len(pieces)), key=lambda i: (-scores[i], i)):
        if i == cue:
            continue
        piece = pieces[i]
        if used + len(piece) <= budget:
            chosen.add(i)
            used += len(piece)
        elif not chosen:
            chosen.add(i)
            pieces[i] = piece[:budget]
            used = budget
    focus = "".join(pieces[i] for i in sorted(chosen)).strip()
    return QuestionFocus(focus or text[:budget], len(text), True)


def _pieces(text: str, budget: int) -> list[str]:
    """Sentences, and a sentence longer than ``budget`` cut at its commas."""
    out: list[str] = []
    for sentence in _PIECE_END.split(text):
        if not sentence.strip():
            continue
        if len(sentence) <= budget:
            out.append(sentence)
        else:
            out.extend(p for p in _SUB_END.split(sentence) if p.strip())
    return out


def _densities(pieces: list[str], doc_freq: Callable[[list[str]], list[int]], n_docs: int,
               tokenize: Callable[[str], Iterable[str]]) -> list[float]:
    """IDF of each piece's distinct words per character (rare words per character of budget)."""
    words = [sorted({t for t in tokenize(p) if len(t) >= 2}) for p in pieces]
    vocab = sorted({t for ws in words for t in ws})
    n = max(1, n_docs)
    idf = {}
    for t, df in zip(vocab, doc_freq(vocab)):
        idf[t] = math.log(1.0 + (n - df + 0.5) / (df + 0.5)) if df > 0 else _UNSEEN_WEIGHT
    return [sum(idf[t] for t in ws) / max(1, len(p)) for ws, p in zip(words, pieces)]
