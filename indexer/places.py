"""Where a document applies, read from its title when the manifest does not say.

Local regulations name their jurisdiction only at the head of the title (郑州市客运出租汽车管理条例,
河南省实施《职业教育法》办法, 汕头经济特区…条例); users name it their way (郑州的…). A document with no
place at the head of its title (a national law) gets no jurisdiction.
"""
from __future__ import annotations

import csv
import importlib.util
import logging
import re
from functools import lru_cache
from pathlib import Path

log = logging.getLogger(__name__)

PROVINCES = (
    "北京 天津 上海 重庆 河北 山西 辽宁 吉林 黑龙江 江苏 浙江 安徽 福建 江西 山东 河南 湖北 湖南 广东 海南 四川 贵州 云南 陕西 "
    "甘肃 青海 台湾 内蒙古 广西 西藏 宁夏 新疆 香港 澳门"
).split()
_MUNICIPALITIES = ("北京", "天津", "上海", "重庆")
# one administrative unit at the head of a title: a name of 2–8 characters and its suffix
_UNIT = re.compile(r"([\u4e00-\u9fff]{2,8}?)(特别行政区|维吾尔自治区|壮族自治区|回族自治区|自治区|自治州|自治县|经济特区|省|市|州|盟|县|区|旗)")


_SUFFIX = re.compile(r"(?:特别行政区|维吾尔自治区|壮族自治区|回族自治区|自治区|自治州|自治县|省|市|州|盟|县|区|旗)$")


@lru_cache(maxsize=1)
def admin_names() -> frozenset[str]:
    """Every province, city and county of China, with and without its suffix (杭州市, 杭州; 平坝区, 平坝),
    from the administrative-division table that ``cpca`` ships (read as data, the package is not run)."""
    names: set[str] = set(PROVINCES)
    spec = importlib.util.find_spec("cpca")
    table = Path(spec.submodule_search_locations[0]) / "resources" / "adcodes.csv" if spec and spec.submodule_search_locations else None
    if table is None or not table.is_file():
        log.warning("cpca's administrative-division table is missing: only provinces are known places")
        return frozenset(names)
    with table.open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            name = row.get("name") or ""
            core = _SUFFIX.sub("", name)
            names.add(name)
            if len(core) >= 2:
                names.add(core)
    return frozenset(names)


def known_place(name: str) -> bool:
    """Whether ``name`` (with or without suffix) is a province, city or county of China."""
    return name in admin_names()


def jurisdiction_from_title(title: str) -> str | None:
    """The administrative units at the head of ``title`` (安顺市平坝区, 郑州市, 河南省), else ``None``.

    ``X经济特区`` is city X (深圳经济特区 → 深圳市). A unit after the first must follow directly."""
    t = re.sub(r"^[\s《“\"]+", "", title or "")
    units: list[str] = []
    pos = 0
    while len(units) < 3:
        m = _UNIT.match(t, pos)
        if not m:
            break
        name, suffix = m.group(1), m.group(2)
        if not units and not known_place(name):
            break
        if units and not (known_place(name) or suffix in ("区", "县", "旗")):
            break
        units.append(name + ("市" if suffix == "经济特区" else suffix))
        pos = m.end()
    if not units:
        return None
    # a municipality's districts keep the city: 北京市 / 上海市浦东新区
    return "".join(units)
