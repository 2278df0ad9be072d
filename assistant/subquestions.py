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


# "A和B分别…" / "A、或者B，各是…": one question asked of two things in parallel
_EACH = re.compile(r"分别|各自|各(?=是|为|要|需|有|定|能|多少|几)")
_AND = re.compile(r"、?(?:以及|或者|还有|跟|和|与|及|或)|、")
# where the first of the two things begins inside its segment (反食品浪费法对|外卖平台和旅行社导游)
_LEAD_IN = re.compile(r".*(?:对于|对|给|向|关于|里|中)")
_CLAUSE_END = "，,：:；;"


def split_coordination(question: str) -> list[str]:
    """The question asked of each of two coordinated things (A和B分别…?), each with the shared
    lead-in and ask; one part when there is no such pair (the question is answered whole).

    反食品浪费法对外卖平台和旅行社导游分别提了什么要求 → 反食品浪费法对外卖平台提了什么要求,
    反食品浪费法对旅行社导游提了什么要求."""
    text = question.strip()
    each = _EACH.search(text)
    if not each:
        return [question]
    head, ask = text[: each.start()], text[each.end():]
    # the last conjunction before 分别 joins the two things
    ands = list(_AND.finditer(head))
    if not ands:
        return [question]
    conj = ands[-1]
    before, after = head[: conj.start()], head[conj.end():]
    # B runs to the next clause end (公积金提取申请和贷款申请，管理中心分别…: 管理中心 is shared)
    b_end = next((i for i, ch in enumerate(after) if ch in _CLAUSE_END), len(after))
    b, shared = after[:b_end].strip(_CLAUSE_END + " "), after[b_end:].strip(_CLAUSE_END + " ")
    # "A，和B，分别…": A is the whole clause before; "…对A和B分别…": A begins after its lead-in
    whole_clause = before.rstrip(" ")[-1:] in _CLAUSE_END
    before = before.rstrip(_CLAUSE_END + " ")
    a_start = max(before.rfind(ch) for ch in _CLAUSE_END) + 1
    lead = None if whole_clause else _LEAD_IN.match(before, a_start)
    if lead and lead.end() < len(before):
        a_start = lead.end()
    prefix, a = before[:a_start], before[a_start:]
    # a B far longer than A has swallowed what both share (贵州省和平坝区2025年…目标分别…): not split
    if min(len(a), len(b)) < 2 or len(b) > 2 * len(a) + 4 or not ask.strip(" ？?。"):
        return [question]
    tail = (("，" + shared) if shared else "") + ask
    return [f"{prefix}{a}{tail}", f"{prefix}{b}{tail}"]
