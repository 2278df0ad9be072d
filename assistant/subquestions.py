"""Questions that ask two things at once (…要向哪个部门备案？不备案的话最多罚多少？).

Each part is answered on its own — the later parts within the documents the first part was answered
from, since they usually leave the subject unsaid — and the answer gives every part its quote.
"""
from __future__ import annotations

import re

# what makes a segment a question of its own
# (not 好几天 / 那几天, 没啥影响, 没什么, 哪怕: those ask nothing)
_ASKS = re.compile(r"多少|多久|多长|多大|多高|(?<![好那这十])几(?!乎)|哪(?!怕)|(?<!没)什么|(?<!没)啥|谁|怎么|怎样|如何|咋|是否|能否|"
                   r"能不能|可不可以|可以吗|有没有|要不要|吗|呢")
_HARD_STOP = re.compile(r"(?<=[？?；;])")
_SOFT_STOP = re.compile(r"(?<=[，,])")
MIN_PART_CHARS = 5
MAX_PARTS = 3


def _asks(segment: str) -> bool:
    return len(segment.strip("？?；;，,。 ")) >= MIN_PART_CHARS and bool(_ASKS.search(segment))


def split_subquestions(question: str) -> list[str]:
    """The question's parts, each asking something (one part: not a multi-part question).

    Parts end at ？ or ；, or at a comma when the text on both sides asks something of its own;
    a clause that asks nothing (撞了人司机跑了，…) stays with the part it introduces."""
    text = question.strip()
    parts: list[str] = []
    for hard in (s for s in _HARD_STOP.split(text) if s.strip()):
        pending = ""
        for soft in (s for s in _SOFT_STOP.split(hard) if s.strip()):
            pending += soft
            if _asks(soft) and _asks(pending):
                parts.append(pending)
                pending = ""
        if pending:
            if parts and not _asks(pending):
                parts[-1] += pending  # a trailing phrase that asks nothing belongs to the part before
            else:
                parts.append(pending)
    parts = [p.strip().rstrip("，,；;") for p in parts if p.strip()]
    # a part that asks nothing on its own introduces the next one
    merged: list[str] = []
    carry = ""
    for p in parts:
        if not _asks(p):
            carry += p + "，"
            continue
        merged.append(carry + p)
        carry = ""
    if carry and merged:
        merged[-1] += "，" + carry.rstrip("，")
    if len(merged) < 2 or len(merged) > MAX_PARTS:
        return [question]
    return merged
