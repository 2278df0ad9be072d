"""Articles that point at other articles: the penalty clause of a law names the duty it punishes.

A law states a duty in one article (第二十七条 …应当出租) and its fine in another, which shares few
of the question's words (第三十八条 违反本条例第二十七条规定，……处五万元以上五十万元以下罚款). A
question about the punishment of a breach (罚多少, 承担什么法律责任) is answered by the second:
the retriever lets each retrieved duty lend its rank to the articles citing it.
"""
from __future__ import annotations

import re

from .textutil import cn_number_to_int

_NUM = r"[零〇一二三四五六七八九十百千两\d]+"
# 违反本条例第十条、第十二条第二款规定 / 违反本法第三条至第五条规定
_CITES = re.compile(rf"违反本(?:条例|法|办法|规定|细则|决定|实施办法)((?:第{_NUM}条(?:第[^，,。；、]{{1,4}}[款项])*[、，,和或及与至到]?)+)")
_CITED = re.compile(rf"(至|到)?第({_NUM})条")
_ASKS_PENALTY = re.compile(r"罚|处分|法律责任|吊销|追究")
# a range 第三条至第N条 is expanded only when it is short (a misread number would flood the list)
MAX_RANGE = 20


def asks_penalty(question: str) -> bool:
    """Whether ``question`` asks how a breach is punished (罚多少, 怎么处罚, 承担什么法律责任)."""
    return bool(_ASKS_PENALTY.search(question))


def cited_articles(text: str) -> list[int]:
    """Article numbers a clause says are breached (第十条至第十二条 as 10, 11, 12), in order."""
    out: list[int] = []
    for m in _CITES.finditer(text):
        for rng, num in _CITED.findall(m.group(1)):
            n = cn_number_to_int(num)
            if n is None:
                continue
            if rng and out and 0 < n - out[-1] <= MAX_RANGE:
                out.extend(range(out[-1] + 1, n))
            out.append(n)
    return list(dict.fromkeys(out))
