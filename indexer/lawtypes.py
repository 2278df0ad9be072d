"""The type of a legal or policy document (法律, 行政法规, 地方性法规 …), from its folder or its title.

Staff narrow a search to one type ("只看行政法规"). The type is read from the library's own
folders when the document comes from one (lawrefbook files ``行政法规/…``, ``DLC/…/地方性法规/…``),
else from how Chinese titles name each type: 最高人民法院关于…的解释 is a judicial interpretation,
a national title ending in 法 a law, a national 条例 an administrative regulation, a local 条例 a
local regulation, and a plan, scheme or notice a normative document.
"""
from __future__ import annotations

import re
from pathlib import PurePosixPath
from typing import Any

LEGAL_TYPES = (
    "宪法",
    "法律",
    "行政法规",
    "部门规章",
    "地方性法规",
    "地方政府规章",
    "司法解释",
    "案例",
    "规范性文件",
)

# lawrefbook's folders (the NPC's laws are sorted by branch of law)
_FOLDER_TYPES = {
    "宪法": "宪法",
    "行政法规": "行政法规",
    "部门规章": "部门规章",
    "司法解释": "司法解释",
    "案例": "案例",
    "地方性法规": "地方性法规",
    "地方政府规章": "地方政府规章",
    **{f: "法律" for f in ("宪法相关法", "民法典", "民法商法", "行政法", "经济法", "社会法", "刑法", "诉讼与非诉讼程序法")},
}
_JUDICIAL = re.compile(r"^最高人民(法院|检察院)|^(最高人民法院|最高人民检察院).{0,20}(解释|规定|批复|决定)")
_LAW = re.compile(r"((?<![办方做])法|法典)(（[^）]*）)?$|^全国人民代表大会(常务委员会)?关于.+的决定$")
_REGULATION = re.compile(r"(条例|实施细则|实施条例)(（[^）]*）)?$")
_RULES = re.compile(r"(规定|办法|规则|细则)(（[^）]*）)?$")
# a local 规定 or 实施《…法》办法 is usually the people's congress's (地方性法规); other local 办法 the government's
_LOCAL_REGULATION = re.compile(r"(规定|实施《[^》]+》办法|实施办法)(（[^）]*）)?$")
_MINISTRY = re.compile(r"^(国家|中华人民共和国|国务院)?[\u4e00-\u9fff]{1,12}(部|委员会|总局|总署|银行|局)(令|关于)")


def legal_type(title: str, source: str = "", local: bool = False) -> str:
    """One of :data:`LEGAL_TYPES` for a document; ``local`` says it belongs to a province, city or county."""
    for part in reversed(PurePosixPath(source.replace("\\", "/")).parts[:-1]):
        if part in _FOLDER_TYPES:
            return _FOLDER_TYPES[part]
    t = re.sub(r"\s+", "", title or "")
    if t == "中华人民共和国宪法" or t.endswith("宪法修正案"):
        return "宪法"
    if _JUDICIAL.search(t):
        return "司法解释"
    if (_LAW.search(t) or re.search(r"修正案(（[^）]*）)?$", t)) and not local:
        return "法律"
    if _REGULATION.search(t):
        return "地方性法规" if local else "行政法规"
    if _RULES.search(t):
        if local:
            return "地方性法规" if _LOCAL_REGULATION.search(t) else "地方政府规章"
        return "部门规章" if _MINISTRY.search(t) else "行政法规"
    if _MINISTRY.search(t) and t.endswith("决定") and not local:  # a ministry's 关于修改…的决定
        return "部门规章"
    if _LAW.search(t):  # a local title ending in 法 is rare
        return "地方性法规"
    return "规范性文件"


def document_legal_type(meta: dict[str, Any]) -> str:
    """:func:`legal_type` of a document's metadata (``documents.json``): its title, source and jurisdiction."""
    if meta.get("legal_type") in LEGAL_TYPES:
        return str(meta["legal_type"])
    jurisdiction = str(meta.get("jurisdiction") or "")
    local = bool(jurisdiction) and jurisdiction not in ("全国", "中华人民共和国", "中国")
    return legal_type(str(meta.get("title") or ""), str(meta.get("source") or ""), local)
