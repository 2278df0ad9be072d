"""Quantities in Chinese legal / policy text, in every written form.

Why: answers were refused or missed when the quoted span wrote a number differently from the
check that looked for it — 两个月 vs 2个月, 二十四小时 vs 24小时, 1.5万元 vs 15000元, 百分之八十
vs 80%, 18/10万 — and words that merely contain numeral characters (一般, 统一, 第一, 三级甲等)
were taken for numbers. ``find_quantities`` reads every form into one normalised record;
``states_quantity`` / ``asked_kinds`` let the answer layer match the kind of number a question asks
for; ``same_quantity`` compares numbers across forms.

Dates carry a sortable value: 2025年5月1日 → 20250501 (unit 年月日), 2025年5月 → 202505 (年月),
5月1日 → 501 (月日), 5月 → 5 (月).
"""
from __future__ import annotations

import math
import re
from functools import lru_cache
from dataclasses import dataclass

from .textutil import cn_number_to_int

KINDS = frozenset({"money", "duration", "deadline", "multiple", "ratio", "age", "count", "measure",
                   "date", "year", "ordinal"})


@dataclass(frozen=True)
class Quantity:
    """One quantity as written in ``text[start:end]`` with its normalised value(s)."""
    start: int
    end: int
    text: str
    value: float | None
    high: float | None
    unit: str
    kind: str
    qualifier: str = ""


# Full-width digits / signs → ASCII, one character for one (offsets stay valid).
_FW = {0xFF10 + i: 0x30 + i for i in range(10)} | {0xFF0E: ".", 0xFF05: "%", 0xFF0F: "/", 0xFF0D: "-"}
_FW |= {0xFF21 + i: 0x41 + i for i in range(26)} | {0xFF41 + i: 0x61 + i for i in range(26)}
_FIN = str.maketrans("壹贰叁肆伍陆柒捌玖拾佰仟两", "一二三四五六七八九十百千二")
_CNC = "零〇一二两三四五六七八九十百千万亿壹贰叁肆伍陆柒捌玖拾佰仟"
_DIGITS = "零〇一二三四五六七八九"
_DV = {c: str(i) for i, c in enumerate("〇一二三四五六七八九")} | {"零": "0"}
_DIG = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
_AR = rf"(?:{_DIG})(?:[百千]?万|亿|[十百]|千(?![米克瓦]))?"
_CN = rf"(?:(?:几|数(?=[十百千万]))[{_CNC}]*|(?![万亿])[{_CNC}]+几?(?:点[{_DIGITS}]+)?)"
_NUM = rf"(?:{_AR}|{_CN}|半(?=个?(?:年|月|小时|钟头|天|日)))"

# kind → "surface[=normalised unit[*factor]] …"; a surface may carry a guard (?!…) after it.
# 曤 is ‰ as mis-decoded in some source PDFs (婴儿死亡率降到7.5曤).
_UNIT_SPEC = {
    "money": "元(?![化结])=元 美元 欧元 港元",
    "duration": "个工作日=工作日 工作日 个小时=小时 小时 个钟头=小时 钟头=小时 个月=月 月 个星期=周 星期=周 "
                "个季度=季度 季度 周(?![边围期转全知])=周 年(?![级轻代纪]) 日 天(?![然下])=日 分钟 学时 课时",
    "age": "周岁=岁 岁",
    "multiple": "倍",
    "ratio": "% ‰ 曤=‰ 个百分点=百分点 百分点 成(?![立为员果本绩就效熟年型品交都分功长人不])=%*10",
    "measure": "平方公里 平方千米=平方公里 平方米 ㎡=平方米 立方米 公顷 亩 公里 千米=公里 km=公里 厘米 毫米 米 "
               "公斤=千克 千克 kg=千克 毫克 克(?![服]) 吨 毫升 升(?![级高格值学]) 千瓦时 千瓦 兆瓦 分贝 ℃ 摄氏度=℃",
    "count": "人次 人(?![民才格]) 名(?![称义单录额字]) 次(?![性日要级数]) 户(?![籍口外主]) 家(?![庭属长乡园]) "
             "所(?![得有在以属需称]) 张 辆 件 项(?![目]) 台(?![账湾]) 套 座 种(?![类植子养]) 批(?![准复评示]) "
             "位(?![置于]) 个(?![体别性案]) 床(?![位]) 条(?![件例款约]) 份(?![额子]) 篇 部门 部(?![分]) 类 档 "
             "届 例(?![如外行]) 场(?![所景合地]) 轮(?![车流]) 栋 册",
}


def _units() -> dict[str, tuple[str, str, float, str]]:
    """surface → (normalised unit, kind, factor, surface regex)."""
    out = {}
    for kind, spec in _UNIT_SPEC.items():
        for item in spec.split():
            surf, _, norm = item.partition("=")
            norm, _, fac = norm.partition("*")
            key = re.sub(r"\(\?!.*\)$", "", surf)
            out[key] = (norm or key, kind, float(fac or 1), surf)
    return out


_U = _units()
_UNIT = "|".join(v[3] for k, v in sorted(_U.items(), key=lambda kv: -len(kv[0])))
_SEP = r"[至到~～\-—–－]"
_QA_MAP = {"以上": "以上", "以下": "以下", "以内": "以内", "之内": "以内", "内": "内", "之上": "以上", "之下": "以下"}
_QA = r"(?:[（(]含(?:本数)?[）)])?(?:及|或者?)?(?P<qa>以上|以下|以内|之内|内(?![容部外地陆])|之上|之下)"
_MAIN = re.compile(
    rf"(?P<n1>{_NUM})(?:(?:{_UNIT})?\s*{_SEP}\s*(?:人民币)?(?P<n2>{_NUM})(?=\s*[多余]?(?:个半)?(?:{_UNIT})))?"
    rf"\s*(?:(?P<approx>[多余])(?=(?:{_UNIT})))?(?P<gehalf>个半(?=月|小时|钟头))?(?P<unit>{_UNIT})?"
    rf"(?P<half>半(?![数价年月天日小]))?(?:{_QA})?")
_MON = r"1[0-2]|0?[1-9]|十[一二]?|[一二三四五六七八九]"
_DAY = r"3[01]|[12]\d|0?[1-9]|三十一?|二十[一二三四五六七八九]?|十[一二三四五六七八九]?|[一二三四五六七八九]"
_DATE = re.compile(
    rf"(?P<y>\d{{4}}|[{_DIGITS}]{{4}})\s*年\s*(?P<m>{_MON})\s*月(?:\s*(?P<d>{_DAY})\s*[日号])?"
    rf"|(?P<y3>\d{{4}})[-./](?P<m3>\d{{1,2}})[-./](?P<d3>\d{{1,2}})(?!\d)"
    rf"|(?P<m2>{_MON})\s*月\s*(?P<d2>{_DAY})\s*[日号]"
    rf"|(?P<m4>{_MON})\s*月(?:份|底|初|末|[上中下]旬)?(?!\s*(?:以?内|之内|以上|以下|[{_CNC}]))")
_ORD = re.compile(rf"第\s*(?P<n>\d+|[{_DIGITS}两十百千]+)(?:\s*[至到\-—]\s*(?P<n2>\d+|[{_DIGITS}两十百千]+))?"
                  rf"\s*(?P<u>[条款项章节编目次批届个名位期号部篇卷级类种轮年]?)(?:之[{_DIGITS}十]+)?")
_GRADE = re.compile(rf"(?P<n>{_NUM})(?P<u>年级|星级|级|等(?![等于同]))")
_FRAC = re.compile(rf"(?P<den>\d+|[{_CNC}]+)分之(?P<num>{_DIG}|几|[{_DIGITS}两十百千]+(?:点[{_DIGITS}]+)?)(?:{_QA})?")
_SLASH = re.compile(rf"(?P<n>{_DIG})\s*/\s*(?P<den>\d+\s*[十百千万亿]+|10{{2,}}(?!\d)|[1-9]\d?(?![\d/.]))(?:人口|人)?(?:{_QA})?")
_QB_MAP = {"不超过": "不超过", "不得超过": "不超过", "不多于": "不超过", "不少于": "不少于", "不得少于": "不少于",
           "不低于": "不低于", "不得低于": "不低于", "不高于": "不高于", "不得高于": "不高于", "至少": "至少",
           "最少": "至少", "最低": "至少", "最多": "最多", "最高": "最多", "最长": "最多", "不满": "低于",
           "未满": "低于", "不足": "低于", "低于": "低于", "少于": "低于", "小于": "低于", "<": "低于", "＜": "低于",
           "超过": "超过", "高于": "超过", "多于": "超过", "大于": "超过", ">": "超过", "＞": "超过", "≥": "不低于",
           "≧": "不低于", "≤": "不高于", "≦": "不高于", "年满": "满", "满": "满"}
_QB = re.compile("(?P<qb>" + "|".join(sorted(_QB_MAP, key=len, reverse=True)).replace("|满", "|(?<![期届])满")
                 + r")\s*(?:人民币)?\s*$")
_START = re.compile(rf"[\d{_CNC}第半几数]")
_RUN = re.compile(rf"第?[\d{_CNC}半几数.,点]*")
_ONE_GUARD = set("同唯统进逐单专划万之其不整纯第")
_BARE_BEFORE = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz〔[【(（-/:：.#＃")
_BARE_AFTER = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz号〕]】)）-/:：.、时点")
_GAP = re.compile(r"[、，,\s]*")
_MULT = {"十": 10, "百": 100, "千": 1000, "万": 1e4, "百万": 1e6, "千万": 1e7, "亿": 1e8}


def _num(s: str) -> float | None:
    """A written numeral → its value (None for 几十 / 数百 / 三五-style approximations)."""
    s = s.strip().translate(_FIN)
    if not s or "几" in s or "数" in s:
        return None
    if s == "半":
        return 0.5
    m = re.fullmatch(rf"({_DIG})([百千]?万|亿|[十百千])?", s)
    if m:
        return float(m.group(1).replace(",", "")) * _MULT.get(m.group(2) or "", 1)
    if re.search("[一二三四五六七八九]{2}", s) and not all(c in _DIGITS for c in s):
        return None   # 二三十, 十五六: an approximation
    if "点" in s:
        whole, _, frac = s.partition("点")
        return (_num(whole) or 0) + float("0." + "".join(_DV[c] for c in frac))
    if all(c in _DIGITS for c in s):
        if len(s) == 2 and s[0] not in "零〇":
            return None   # 三五年, 七八个: "three or five", "seven or eight"
        return float("".join(_DV[c] for c in s))
    total = 0.0
    for mark, mult in (("亿", 1e8), ("万", 1e4)):
        if mark in s:
            head, _, s = s.partition(mark)
            total += ((_num(head) if head else 1) or 0) * mult
    return total + cn_number_to_int(s) if s else total


def _q(t: str, s: int, e: int, v, hi, unit: str, kind: str, qual: str = "") -> Quantity:
    return Quantity(s, e, t[s:e], v, hi, unit, kind, qual)


def _parse(t: str, s: int) -> Quantity | None:
    """The quantity starting at ``t[s]`` (before any qualifier in front of it), or None."""
    nxt = t[s + 1] if s + 1 < len(t) else ""
    if t[s] == "一" and s and t[s - 1] in _ONE_GUARD and nxt not in _CNC:
        return None
    if t[s] == "半" and s and t[s - 1] in "上下前后大多过":
        return None
    if t[s] == "第":
        m = _ORD.match(t, s)
        if not m:
            return None
        hi = _num(m["n2"]) if m["n2"] else None
        return _q(t, s, m.end(), _num(m["n"]), hi, m["u"], "ordinal", "range" if hi else "")
    if m := _DATE.match(t, s):
        if m["y"] or m["y3"]:
            y = _num(m["y"] or m["y3"]) or 0
            mo, d = _num(m["m"] or m["m3"]) or 0, m["d"] or m["d3"]
            if d:
                return _q(t, s, m.end(), y * 10000 + mo * 100 + (_num(d) or 0), None, "年月日", "date")
            return _q(t, s, m.end(), y * 100 + mo, None, "年月", "date")
        if m["m2"]:
            return _q(t, s, m.end(), (_num(m["m2"]) or 0) * 100 + (_num(m["d2"]) or 0), None, "月日", "date")
        return _q(t, s, m.end(), _num(m["m4"]), None, "月", "date")
    if m := _FRAC.match(t, s):
        den, num = _num(m["den"]), _num(m["num"])
        if den == 100 or den == 1000:
            v, unit = num, ("%" if den == 100 else "‰")
        else:
            v, unit = (num / den * 100 if num is not None and den else None), "%"
        return _q(t, s, m.end(), v, None, unit, "ratio", _QA_MAP.get(m["qa"] or "", ""))
    if m := _SLASH.match(t, s):
        den, v = re.sub(r"\s+", "", m["den"]), _num(m["n"])
        if den.isdigit() and int(den) < 100:   # 1/3 → 33.3 %
            if v is None or v >= int(den):
                return None
            v, den = v / int(den) * 100, ""
        return _q(t, s, m.end(), v, None, "/" + den if den else "%", "ratio", _QA_MAP.get(m["qa"] or "", ""))
    m = _GRADE.match(t, s) or _MAIN.match(t, s)
    if m is None:
        return None
    n1 = m["n1"] if "n1" in m.groupdict() else m["n"]
    if n1 in ("百", "千") or (n1 == "半" and not m.groupdict().get("unit")):
        return None
    if "u" in m.groupdict():
        return _q(t, s, m.end(), _num(n1), None, m["u"], "ordinal")
    arabic = n1[0].isdigit()
    if not m["unit"]:
        before = t[:s].rstrip()[-1:]
        bare_ok = arabic and before not in _BARE_BEFORE and t[m.end("n1"):m.end("n1") + 1] not in _BARE_AFTER
        if not bare_ok:
            return None
        e = m.end() if m["qa"] else m.end("n1")
        return _q(t, s, e, _num(n1), None, "", "count", _QA_MAP[m["qa"]] if m["qa"] else "")
    unit, kind, factor, _ = _U[m["unit"]]
    v, hi = _num(n1), _num(m["n2"]) if m["n2"] else None
    if v is not None and (m["gehalf"] or m["half"]):
        v += 0.5
    v = v * factor if v is not None else None
    hi = hi * factor if hi is not None else None
    if s and t[s - 1] == "每" and kind == "count" and v in (10, 100, 1e3, 1e4, 1e5, 1e6):
        return None   # 每千人口 / 每10万人: a denominator, not a quantity
    qual = "range" if m["n2"] else _QA_MAP.get(m["qa"] or "", "") or ("超过" if m["approx"] else "")
    if unit == "年" and "个" not in m["unit"] and re.fullmatch(rf"(?:19|20)\d\d|[{_DIGITS}]{{4}}", n1):
        kind = "year"
    elif kind == "duration" and (qual in ("内", "以内") or re.search(r"起\s*$", t[max(0, s - 3):s])):
        kind = "deadline"
    return _q(t, s, m.end(), v, hi, unit, kind, qual)


def _with_qualifier(t: str, q: Quantity, floor: int) -> Quantity:
    """Extend ``q`` backwards over a qualifier written in front of it (不超过, 年满, ≥ …)."""
    if q.kind in ("ordinal", "date") or q.qualifier == "range":
        return q
    m = _QB.search(t, max(floor, q.start - 8), q.start)
    if not m:
        return q
    return _q(t, m.start(), q.end, q.value, q.high, q.unit, q.kind, q.qualifier or _QB_MAP[m["qb"]])


def find_quantities(text: str) -> list[Quantity]:
    """Every quantity in ``text``, left to right, non-overlapping (ordinals included, kind 'ordinal')."""
    t = text.translate(_FW)
    out: list[Quantity] = []
    i = last = 0
    while m := _START.search(t, i):
        s = m.start()
        q = _parse(t, s)
        if q is None:
            i = max(s + 1, _RUN.match(t, s).end())
            continue
        q = _with_qualifier(t, q, last)
        if q.qualifier == "以上":   # 一千元以上一万元以下 → one range
            j = _GAP.match(t, q.end).end()
            q2 = _parse(t, j) if j < len(t) and _START.match(t, j) else None
            if (q2 and q2.qualifier in ("以下", "以内") and q.unit in ("", q2.unit)
                    and q2.kind not in ("ordinal", "date")):
                q = _q(t, q.start, q2.end, q.value, q2.value, q2.unit, q2.kind, "range")
        out.append(Quantity(q.start, q.end, text[q.start:q.end], q.value, q.high, q.unit, q.kind, q.qualifier))
        i = last = q.end
    return _with_header_units(t, text, out)


# a table column's unit in brackets after the indicator (接种率（%） ≥ 96, 死亡率（/10万） ≤14)
_HEADER_UNIT = re.compile(r"[（(]\s*([%‰]|/\s*1?0*万|/\s*10+|[\u4e00-\u9fff]{1,3})\s*[)）]")


def _with_header_units(t: str, text: str, found: list[Quantity]) -> list[Quantity]:
    """Unitless numbers after a bracketed column unit take that unit and its kind."""
    heads = [(m.end(), m.group(1).replace(" ", "")) for m in _HEADER_UNIT.finditer(t)]
    if not heads:
        return found
    out = []
    for q in found:
        unit = next((u for end, u in reversed(heads) if end <= q.start), None)
        if unit and not q.unit and q.kind == "count":
            probe = _parse("1" + unit, 0)
            if probe is not None and probe.unit and probe.kind not in ("count", "ordinal", "year", "date"):
                scale = probe.value  # （万元） 300 is 3,000,000 元
                high = q.high * scale if q.high is not None else None
                q = Quantity(q.start, q.end, q.text, q.value * scale, high, probe.unit, probe.kind, q.qualifier)
        out.append(q)
    return out


def states_quantity(text: str, kinds: set[str] | None = None) -> bool:
    """Whether ``text`` states a quantity of one of ``kinds`` (any when None); ordinals never count,
    years only when 'year' is asked."""
    for q in find_quantities(text):
        if q.kind == "ordinal" or (q.kind == "year" and not (kinds and "year" in kinds)):
            continue
        if kinds is None or q.kind in kinds:
            return True
    return False


_ALL = KINDS - {"ordinal", "year"}
_TIME = {"duration", "deadline"}
_NOT_UNIT = r"(?!月|工作日|小时|钟头|星期|季度|百分点|月份)"
_ASKS = [
    (r"多少钱|几块钱|多少块|多少元|几元|多少万|几万元|罚多少|罚款多少|赔多少|多少费", {"money"}),
    (r"几倍|多少倍", {"multiple", "money"}),
    (r"哪一?年|何年|(?:何时|什么时[候间]|哪一?天)(?:起|开始)?(?:施行|实施|生效|执行|起施行)|几月几[日号]|"
     r"(?:施行|生效|实施)(?:日期|时间)", {"date", "year"}),
    (r"多久|多长时间|多长期限|几[天日年]|多少[天日年](?!龄)|几个(?:月|工作日|小时|星期)|多少个(?:月|工作日|小时)|"
     r"几小时|多少小时|(?:什么时[候间]|何时|哪天)(?:之前|以前|前)|期限|时限|时效|有效期|截止|期[^，。？?]{0,6}多长", _TIME),
    (r"比例|百分之|百分比|比率|占比|多少成|几成|多少%|[^效]率", {"ratio"}),
    (r"多大年纪|多大岁数|多少岁|几岁|年龄|年满|岁数", {"age"}),
    (rf"多少人|几个人|几人|几个{_NOT_UNIT}|多少个{_NOT_UNIT}|多少家|几家|多少所|几所|多少张|几张|多少名|几名|"
     r"多少次|几次|多少辆|多少项|几项|多少户|数量|人数|名额|多少套|几套|[位床户家个]数(?!据|字)", {"count"}),
    (r"面积|多少平方|几平方|多远|多长(?!时间|期限)|距离|长度|多重|重量|宽度|多少米|多少公里|多少吨|多少公斤|几公里", {"measure"}),
]
_ASKS = [(re.compile(p), k) for p, k in _ASKS]
# Topic words (费用, 罚款 …) tell the kind only when nothing above did and the question asks no other thing.
_MONEY_TOPIC = re.compile(r"费用|金额|数额|罚款|罚金|补贴|补助|津贴|补偿|赔偿|奖金|工资|收费|价格|经费|保证金|押金")
# how a breach is punished: the answer states the fine
_PENALTY = re.compile(r"怎么罚|如何罚|怎样罚|罚什么|怎么处罚|如何处罚|怎样处罚|什么处罚|受到什么|承担什么(?:法律)?责任|处罚是什么")
_WHEN = re.compile(r"什么时[候间]|何时")
_GENERIC = re.compile(r"多少|(?<!哪)几(?!乎)|多大|多高|多长")
_WEAK = re.compile(r"最多|至少|最高|最低|最长|最短|上限|下限|标准")
# a yes/no question (能不能设置最低消费？可以收费吗？) asks whether, not how much: a topic word in it
# (消费, 收费, 最低) names a rule, not the kind of number the answer states
_YES_NO = re.compile(r"能不能|能否|可不可以|可否|是否|要不要|需不需要|会不会|有没有|是不是|行不行|(?:可以|能|要|会|得|需要|允许|还)[^，,。？?]{0,16}吗")
_OTHER_WH = re.compile(r"谁|哪些|哪个(?:部门|机关|单位)|哪里|哪儿|如何|怎么|怎样|为什么|为何|什么(?:条件|情形|材料|程序|部门|机关|方式)")


@lru_cache(maxsize=2048)
def asked_kinds(question: str) -> frozenset[str]:
    """Kinds of quantity ``question`` asks for (empty when it asks no number); cached, as every
    candidate answer of a question asks it again."""
    return frozenset(_asked_kinds(question))


def _asked_kinds(question: str) -> set[str]:
    q = question.translate(_FW)
    other, generic = bool(_OTHER_WH.search(q)), bool(_GENERIC.search(q))
    kinds: set[str] = set()
    for pat, ks in _ASKS:
        if pat.search(q):
            kinds |= ks
    if "measure" in kinds and kinds & _TIME and "多长" in q:
        kinds.discard("measure")   # 试用期多长
    if "ratio" in kinds and other and not generic and not re.search(r"比例|百分|占比|比率", q):
        kinds.discard("ratio")     # 如何提高…率
    yes_no = bool(_YES_NO.search(q)) and not generic
    if not kinds and _MONEY_TOPIC.search(q) and (generic or not other) and not yes_no:
        kinds = {"money"}
    if not kinds and _WHEN.search(q):
        kinds = {"date", "year"} | _TIME
    if not kinds and _PENALTY.search(q):
        kinds = {"money"}
    if "money" in kinds:
        kinds.add("multiple")  # a fine is often a multiple (违法所得二倍以上五倍以下)
    if kinds:
        return kinds
    if generic or (_WEAK.search(q) and not other and not yes_no):
        return set(_ALL)
    return set()


_BASE = {"公里": ("米", 1e3), "厘米": ("米", 1e-2), "毫米": ("米", 1e-3), "平方公里": ("平方米", 1e6),
         "公顷": ("平方米", 1e4), "千克": ("克", 1e3), "吨": ("克", 1e6), "毫克": ("克", 1e-3),
         "升": ("毫升", 1e3), "千瓦": ("瓦", 1e3), "兆瓦": ("瓦", 1e6), "‰": ("%", 0.1)}


def _base(q: Quantity) -> tuple[str, float]:
    if q.unit.startswith("/"):
        den = _num(q.unit[1:])
        return ("%", 100 / den) if den else (q.unit, 1.0)
    return _BASE.get(q.unit, (q.unit, 1.0))


def same_quantity(a: Quantity, b: Quantity) -> bool:
    """Equal normalised value(s) and compatible unit (2个月 == 两个月, 1万元 == 10000元, 3‰ == 0.3%)."""
    if a.value is None or b.value is None:
        return False
    fam = {"deadline": "duration"}
    ka, kb = fam.get(a.kind, a.kind), fam.get(b.kind, b.kind)
    (ua, fa), (ub, fb) = _base(a), _base(b)
    if "" in (a.unit, b.unit) and not {ka, kb} & {"date", "year", "ordinal"}:
        fa = fb = 1.0   # a bare number matches the same number with any unit
    elif ka != kb or ua != ub:
        return False

    def close(x: float | None, y: float | None) -> bool:
        return (x is None and y is None) or (x is not None and y is not None and math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-9))

    return close(a.value * fa, b.value * fb) and close(
        a.high * fa if a.high is not None else None, b.high * fb if b.high is not None else None)


# ---- brackets: which of a clause's cases (满1年不足5年的 / 满5年不足10年的 / 10年以上的) applies

# qualifiers that state a case's condition, as (lower-inclusive?, bound side)
_CONDITION = {"满": ">=", "以上": ">=", "超过": ">", "低于": "<", "以下": "<=", "以内": "<=", "range": "range"}
_TO_DAYS = {"年": 365.0, "月": 30.0, "季度": 91.0, "周": 7.0, "日": 1.0, "工作日": 1.4, "小时": 1 / 24}
_BRACKET_KINDS = {"duration", "deadline", "age", "money", "count", "measure"}


def _comparable(q: Quantity) -> tuple[str, float] | None:
    """(unit family, factor to it) for a quantity a bracket can be compared on."""
    kind = "duration" if q.kind == "deadline" else q.kind
    if kind not in _BRACKET_KINDS or q.value is None:
        return None
    if kind == "duration":
        return ("日", _TO_DAYS[q.unit]) if q.unit in _TO_DAYS else None
    unit, factor = _base(q)
    return (f"{kind}:{unit}", factor) if unit else None


@lru_cache(maxsize=1024)
def stated_quantities(question: str) -> tuple[Quantity, ...]:
    """Quantities the question states about the asker's case (交了6年, 年满65岁), not the asked one."""
    return tuple(q for q in find_quantities(question) if _comparable(q) is not None)


def bracket_fit(text: str, stated: tuple[Quantity, ...]) -> int:
    """+1 when ``text`` states a case's condition on a quantity the question gives and the given value
    meets every such condition (满5年不足10年的 for 6年), −1 when it fails one, 0 when none applies."""
    if not stated:
        return 0
    verdict = 0
    for c in find_quantities(text):
        op = _CONDITION.get(c.qualifier)
        cmp = _comparable(c) if op else None
        if cmp is None:
            continue
        for s in stated:
            scmp = _comparable(s)
            if scmp is None or scmp[0] != cmp[0]:
                continue
            v, x = s.value * scmp[1], c.value * cmp[1]
            eps = 1e-9 * max(1.0, abs(x))
            if op == "range":
                hi = c.high * cmp[1] if c.high is not None else x
                ok = x - eps <= v <= hi + eps
            else:
                ok = {">=": v >= x - eps, ">": v > x + eps, "<": v < x - eps, "<=": v <= x + eps}[op]
            if not ok:
                return -1
            verdict = 1
    return verdict
