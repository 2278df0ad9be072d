"""Versions of a law and their validity: dates from a document's name and the "date event" lines
under its title, versions grouped by title, and which version is in force on a date.

A lawrefbook file ``民事诉讼法(2023-09-01).md`` starts::

    # 中华人民共和国民事诉讼法
    1991年4月9日 第七届全国人民代表大会第四次会议通过
    …
    2023年9月1日 第十四届全国人民代表大会常务委员会第五次会议《关于修改〈…〉的决定》第五次修正
    (2022年4月10日 施行)

公布日期 (``promulgated``) is the date of the last 通过/修正/修订 event (else the file-name date);
施行日期 (``effective``) a 施行 line of the header, else the closing article's 本法自…起施行 when
that date is not older than the version itself, else the promulgation date (an amended text keeps
its original commencement article, and the amending decision's own date is not in the text).
All functions are pure: dates are ISO strings ``YYYY-MM-DD``.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from typing import Any, Iterable, Sequence

IN_FORCE = "现行有效"
AMENDED = "已被修改"
REPEALED = "已废止"
NOT_YET = "尚未生效"

_CN_DIGITS = {"〇": 0, "零": 0, "○": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_NUM = r"[\d〇零○一二三四五六七八九十]"
_CN_DATE = re.compile(rf"({_NUM}{{4}})年({_NUM}{{1,3}})月({_NUM}{{1,3}})日")
_EVENT_LINE = re.compile(rf"^[（(]?\s*{_CN_DATE.pattern}\s*(.*?)[）)]?\s*$")
_FILE_DATE = re.compile(r"[（(](\d{4}-\d{2}-\d{2})[)）]")
_STRUCTURAL = re.compile(r"^第[零〇一二三四五六七八九十百千\d]+[编章节条]")
_COMMENCEMENT = re.compile(
    rf"本(?:法|条例|规定|办法|细则|解释|决定|规则|准则|通则|决议)(?:[（(][^）)]*[）)])?(?:自|从)"
    rf"({_NUM}{{4}}年{_NUM}{{1,3}}月{_NUM}{{1,3}}日|公布之日|发布之日|印发之日|通过之日)起(?:施行|实施|生效)"
)
_REPEALS = re.compile(r"《([^《》]{2,80})》[^。；《》]{0,30}?同时(?:废止|失效)")
_REPEALED_MARK = re.compile(r"已废止|已失效|废止$|失效$")
_TITLE_VERSION_NOTE = re.compile(r"[（(][^（）()]*(?:\d{4}|[〇一二三四五六七八九]{4})[^（）()]*(?:年|-)[^（）()]*[）)]\s*$")
HEADER_SCAN = 12  # lines after the title that may carry date events (titles, 文号 and events only)


@dataclass(frozen=True)
class VersionInfo:
    """One document's version: 公布日期, 施行日期, label (2023年修正), and whether its own text or
    metadata says it is repealed. ``effective_from`` says where ``effective`` came from
    (``header`` | ``text`` | ``promulgated``)."""

    promulgated: str | None
    effective: str | None
    label: str | None
    repealed: bool = False
    effective_from: str | None = None


@dataclass(frozen=True)
class Version:
    """What the grouping needs of a document."""

    doc_id: str
    group: str
    promulgated: str | None
    effective: str | None
    repealed: bool = False


def _cn_int(s: str) -> int:
    """4-digit years (二〇二三) digit by digit; months and days with 十 (十二, 二十一)."""
    if s.isdigit():
        return int(s)
    if "十" not in s:
        return int("".join(str(_CN_DIGITS[c]) for c in s))
    tens, _, ones = s.partition("十")
    return (_CN_DIGITS[tens] if tens else 1) * 10 + (_CN_DIGITS[ones] if ones else 0)


def cn_date(text: str) -> str | None:
    """``2023年9月1日`` / ``二〇二三年九月一日`` → ``2023-09-01`` (None when absent or invalid)."""
    m = _CN_DATE.search(text)
    if not m:
        return None
    try:
        return date(_cn_int(m.group(1)), _cn_int(m.group(2)), _cn_int(m.group(3))).isoformat()
    except (ValueError, KeyError):
        return None


def file_date(source: str) -> str | None:
    """The version date of a lawrefbook file name: ``民事诉讼法(2023-09-01).md`` → ``2023-09-01``."""
    m = _FILE_DATE.search(source)
    if not m:
        return None
    try:
        return date.fromisoformat(m.group(1)).isoformat()
    except ValueError:
        return None


def _event_kind(rest: str) -> str | None:
    """通过 | 修正 | 修订 | 施行 | 公布施行 of an event line's words after its date (the part after a
    quoted decision name decides: 《关于修改…的决定》第一次修正 is a 修正)."""
    tail = re.split(r"[》>]", rest)[-1]
    if "修订" in tail:
        return "修订"
    if "修正" in tail or "修改" in tail:
        return "修正"
    if re.search(r"(?:公布|发布)(?:并)?施行", tail):
        return "公布施行"
    if re.search(r"通过|公布|发布|批准|颁布|制定", tail):
        return "通过"
    if "施行" in tail or "实施" in tail:
        return "施行"
    return None


def date_events(lines: Sequence[str]) -> list[tuple[str, str]]:
    """``(ISO date, kind)`` of the date-event lines heading a document, in order.

    ``lines`` are the document's first lines (title first); scanning stops at the first chapter or
    article, or after :data:`HEADER_SCAN` lines, so a date deep in the body is never an event."""
    out: list[tuple[str, str]] = []
    for line in list(lines)[: HEADER_SCAN + 2]:
        s = unicodedata.normalize("NFKC", line).strip().lstrip("#").strip()
        if _STRUCTURAL.match(s):
            break
        if len(s) > 300:
            continue
        m = _EVENT_LINE.match(s)
        if not m:
            continue
        iso = cn_date(s[: m.end(3) + 1])
        kind = _event_kind(m.group(4))
        if iso and kind:
            out.append((iso, kind))
    return out


def commencement(texts: Iterable[str], promulgated: str | None) -> str | None:
    """The date of a closing 本法自…起施行 (自公布之日 → ``promulgated``); the last one wins."""
    found = None
    for t in texts:
        for m in _COMMENCEMENT.finditer(t):
            when = m.group(1)
            found = promulgated if when.endswith("之日") else cn_date(when)
    return found


def repealed_titles(texts: Iterable[str]) -> list[str]:
    """Group keys of the texts a document repeals (…施行，《中华人民共和国环境噪声污染防治法》同时废止)."""
    out: list[str] = []
    for t in texts:
        if "施行" not in t and "实施" not in t:
            continue
        for m in _REPEALS.finditer(t):
            key = version_group(m.group(1))
            if key not in out:
                out.append(key)
    return out


def version_label(events: Sequence[tuple[str, str]], promulgated: str | None) -> str | None:
    """``2023年修正`` / ``2021年修订`` / ``2018年公布``: the kind of the last event that made this text
    (a text passed again after an earlier one, as judicial interpretations are, is a 修正)."""
    made = [(d, k) for d, k in events if k != "施行"]
    if not made:
        return f"{promulgated[:4]}年公布" if promulgated else None
    d, k = made[-1]
    if k in ("修正", "修订"):
        return f"{d[:4]}年{k}"
    return f"{d[:4]}年{'修正' if len(made) > 1 else '公布'}"


def version_info(source: str, lines: Sequence[str], texts: Iterable[str] = (), *, date_hint: str | None = None,
                 status: str | None = None) -> VersionInfo:
    """The version of one document from its file name (``source``), its first ``lines`` (title,
    then date events), all its ``texts`` (for the closing 施行 article) and its metadata
    (``date_hint``: the manifest's date; ``status``: 已废止 / 失效 when the metadata says so)."""
    events = date_events(lines)
    made = [d for d, k in events if k != "施行"]
    promulgated = made[-1] if made else (file_date(source) or _iso_or_none(date_hint))
    header_effective = [d for d, k in events if k in ("施行", "公布施行")]
    effective, origin = None, None
    if header_effective and (promulgated is None or header_effective[-1] >= promulgated):
        effective, origin = header_effective[-1], "header"
    else:
        closing = commencement(texts, promulgated)
        if closing and (promulgated is None or closing >= promulgated):
            effective, origin = closing, "text"
        elif promulgated:
            effective, origin = promulgated, "promulgated"
    label = version_label(events, promulgated) if (events or file_date(source)) else None
    return VersionInfo(promulgated, effective, label, says_repealed(status), origin)


def says_repealed(status: object) -> bool:
    """Whether a metadata status (manifest ``status``) says the text is repealed (已废止, 失效)."""
    return bool(status and _REPEALED_MARK.search(str(status).strip()))


def _iso_or_none(value: object) -> str | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(str(value)[:10]).isoformat()
    except ValueError:
        return None


def version_group(title: str) -> str:
    """A stable key of a title: NFKC, no spaces, 〈〉 as 《》, no trailing version note （2023年修正）.
    The national prefix 中华人民共和国 stays: it is part of the title."""
    t = unicodedata.normalize("NFKC", title or "")
    t = re.sub(r"\s+", "", t).replace("〈", "《").replace("〉", "》").replace("<", "《").replace(">", "》")
    t = _TITLE_VERSION_NOTE.sub("", t)
    return t


def _newest_first(v: Version) -> tuple[str, str, str]:
    return (v.effective or "", v.promulgated or "", v.doc_id)


def in_force(versions: Iterable[Version], as_of: str) -> dict[str, str]:
    """``group → doc_id`` of the version in force on ``as_of``: effective on or before it, the
    newest such (a repealed law's last text included). A group none of whose versions is effective
    yet is absent."""
    best: dict[str, Version] = {}
    for v in versions:
        if not v.effective or v.effective > as_of:
            continue
        cur = best.get(v.group)
        if cur is None or _newest_first(v) > _newest_first(cur):
            best[v.group] = v
    return {g: v.doc_id for g, v in best.items()}


def validities(versions: Sequence[Version], as_of: str | None = None, repealed_groups: Iterable[str] = ()) -> dict[str, str]:
    """``doc_id → status`` on ``as_of`` (default today): 尚未生效 (effective later), 已废止 (its text
    or metadata says so, or ``repealed_groups`` — titles a text in force repeals), 现行有效 (the
    version in force), 已被修改 (an older version a newer one of the same title superseded)."""
    day = as_of or date.today().isoformat()
    current = set(in_force(versions, day).values())
    gone = set(repealed_groups)
    out: dict[str, str] = {}
    for v in versions:
        if v.effective and v.effective > day:
            out[v.doc_id] = NOT_YET
        elif v.repealed or (v.group in gone and v.doc_id in current):
            out[v.doc_id] = REPEALED
        elif v.doc_id in current:
            out[v.doc_id] = IN_FORCE
        elif v.effective:
            out[v.doc_id] = AMENDED
    return out


def group_versions(versions: Iterable[Version]) -> dict[str, list[Version]]:
    """``group → versions`` newest first."""
    groups: dict[str, list[Version]] = {}
    for v in versions:
        groups.setdefault(v.group, []).append(v)
    for vs in groups.values():
        vs.sort(key=_newest_first, reverse=True)
    return groups


def versions_listing(doc_id: str, documents: dict[str, dict[str, Any]], as_of: str | None = None) -> dict[str, Any] | None:
    """``{"doc_id", "title", "versions": [{"doc_id", "version_label", "promulgated", "effective",
    "validity"}]}`` of the title of ``doc_id`` among ``documents`` (index metadata), newest first;
    validity as of ``as_of`` (default today). None for an unknown id."""
    meta = documents.get(doc_id)
    if meta is None:
        return None
    group = meta.get("version_group")
    members = {d: m for d, m in documents.items() if group and m.get("version_group") == group} or {doc_id: meta}
    dated = [Version(d, str(group), m.get("promulgated"), m.get("effective"), m.get("validity") == REPEALED)
             for d, m in members.items() if m.get("effective")]
    status = validities(dated, as_of)
    rows = [
        {
            "doc_id": d,
            "version_label": m.get("version_label"),
            "promulgated": m.get("promulgated"),
            "effective": m.get("effective"),
            "validity": status.get(d, m.get("validity")),
        }
        for d, m in members.items()
    ]
    rows.sort(key=lambda r: (r["effective"] or "", r["promulgated"] or "", r["doc_id"]), reverse=True)
    return {"doc_id": doc_id, "title": meta.get("title"), "versions": rows}
