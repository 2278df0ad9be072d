"""What a question asks for: content terms, years, places, article numbers, quoted titles.

Pure functions of the question text (plus the shared tokenizer); nothing here knows the corpus.
"""
from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

from indexer.places import known_place
from indexer.tokenize import tokenize

try:  # the indexer's jieba instance, with the domain dictionary (one initialisation per process)
    from indexer.tokenize import _tokenizer as _jieba
except ImportError:  # pragma: no cover - fall back to a plain jieba tokenizer
    _jieba = None

from .textutil import ALT, FIVE_YEAR_PLANS, cn_number_to_int, normalize, to_simplified
from .thesaurus import load_thesaurus

log = logging.getLogger(__name__)

# A year in a question: 19xx/20xx not glued to other digits and not a count (2000名, 2025个).
_Q_YEAR = re.compile(r"(?<![\d.])((?:19|20)\d{2})(?![\d.])(?!\s*(?:名|个|人|万|张|所|家|项|元|多|余|%|‰|米|公里|床|例|次))")
_Q_YEAR_RANGE = re.compile(r"(?<!\d)((?:19|20)\d{2})\s*(?:年)?\s*[—\-–－~至到]\s*((?:19|20)\d{2})(?!\d)")
_ARTICLE = re.compile(r"第([零〇一二三四五六七八九十百千两\d]+)条")
_TITLE = re.compile(r"《([^《》]{2,80})》")
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
# 文号: 黔府办函〔2019〕12号, 国发[2016]5号, 国办发（2020）1号
DOC_NUMBER = re.compile(r"[\u4e00-\u9fff]{1,10}[〔\[［(（]\s*((?:19|20)\d{2})\s*[〕\]］)）]\s*\d{1,4}\s*号")

# Words that carry the question's form, not its content (never required in the answer).
QUESTION_WORDS = frozenset(
    """
    多少 什么 哪些 哪个 哪里 哪儿 哪 几 几个 几项 如何 怎么 怎样 怎么样 是否 有没有 有无 是不是 吗 呢 吧 啊 请问 请 问
    是 的 了 和 与 及 或 在 对 把 被 为 于 由 从 到 至 中 里 上 下 之 其 该 本 这 那 这些 那些 有 有关 相关 关于 方面
    要求 规定 提出 明确 内容 情况 具体 主要 一下 一些 哪一年 年 年度 时候 何时 多久 谁 指 所 各 等 以及 需要 应当 应该 可以 能否 能够
    目标 目标值 指标 数量 数 达到 达 多大 比例 水平 标准 任务 工作 措施 举措 做 做好 开展 进行 实现 怎么办 说 讲
    以后 之后 以前 之前 越来越 老是 总是 一直 专门 省里 咋 咋弄 咋办 咋样 啥 有啥
    什么样 怎样的 哪种 哪类 哪一级 几级 哪一天 哪天 哪年 哪一年 几月 几号 何日 何年 一天 包括 包含 涉及 期间 时期 期末 阶段 时间 目前 现在 今年 明年 去年 当年 要 需 需要 将 会 能 得 该当 还 又 都 也
    """.split()
)
# Form words that still help ranking a little (kept, with a low weight).
SOFT_WORDS = frozenset("目标 指标 标准 措施 要求 规定 任务 比例 水平 数量 开始 内容".split())
# Place-like tokens that name no particular place.
_GENERIC_PLACES = frozenset("全国 全省 全市 全区 全县 我国 中国 国家 各地 地方 本省 本市 本区 我省 我市 我区 省内 省外 国内 国外 境外 城乡 农村 城市".split())
_PROVINCES = (
    "北京 天津 上海 重庆 河北 山西 辽宁 吉林 黑龙江 江苏 浙江 安徽 福建 江西 山东 河南 湖北 湖南 广东 海南 四川 贵州 云南 陕西 "
    "甘肃 青海 台湾 内蒙古 广西 西藏 宁夏 新疆 香港 澳门"
).split()
_SUB_UNIT = re.compile(r"(?:省|市|州)([\u4e00-\u9fff]{2,3}(?:区|县|市))")
_ADMIN_SUFFIX = re.compile(r"(?:省|市|县|区|州)$")
_ADMIN_NAME = re.compile(r"[\u4e00-\u9fff]{2,5}?(?:省|市|县|区|州)")
_PLACE_SUFFIX = re.compile(r"(?:特别行政区|维吾尔自治区|壮族自治区|回族自治区|自治区|自治州|自治县|省|市|州|县|区|盟|旗)$")


@dataclass(frozen=True)
class Term:
    text: str
    weight: float = 1.0  # set later from corpus IDF
    soft: bool = False


@dataclass
class QueryAnalysis:
    question: str
    normalized: str
    tokens: list[str]  # the indexer's tokens (for BM25)
    terms: list[str]  # content words (jieba precise mode), unique, in question order
    soft_terms: list[str]
    subterms: dict[str, list[str]] = field(default_factory=dict)  # compound word → its sub-words
    years: set[int] = field(default_factory=set)
    year_ranges: list[tuple[int, int]] = field(default_factory=list)
    places: list[str] = field(default_factory=list)  # core names without suffix: 广东, 平坝
    bare_places: list[str] = field(default_factory=list)  # those only a county's bare name (新建): no certain place
    articles: list[int] = field(default_factory=list)
    titles: list[str] = field(default_factory=list)
    doc_numbers: list[str] = field(default_factory=list)
    numbers: list[str] = field(default_factory=list)
    wants_article_text: bool = False
    wants_number: bool = False  # 多少 / 几 / 比例: the answer must state a number
    expansions: dict[str, tuple[str, ...]] = field(default_factory=dict)  # colloquial word → official wordings
    focus: str = ""  # the asked key noun: the last content term before the question word (托位数 in 托位数目标是多少)
    level: str | None = None  # "province" for 全省 / 我省 / 本省: a county's target does not answer

    @property
    def asks_year(self) -> bool:
        return bool(self.years or self.year_ranges)

    def year_matches(self, years: set[int]) -> bool:
        if years & self.years:
            return True
        return any(a <= y <= b for y in years for a, b in self.year_ranges)


@lru_cache(maxsize=1)
def _fallback_jieba():
    import jieba

    jieba.setLogLevel(logging.WARNING)
    tk = jieba.Tokenizer()
    tk.initialize()
    return tk


def _tk():
    return _jieba() if _jieba is not None else _fallback_jieba()


def words(text: str) -> list[str]:
    """Words of ``text`` (jieba precise mode with the indexer's domain dictionary), NFKC."""
    return _tk().lcut(unicodedata.normalize("NFKC", text))


@lru_cache(maxsize=4096)
def search_words(word: str) -> tuple[str, ...]:
    """The dictionary sub-words of a compound (县域医疗次中心 → 县域, 医疗, 中心, 次中心, …)."""
    return tuple(w for w in _tk().cut_for_search(word) if w.strip())


def place_core(name: str) -> str:
    """广东省 → 广东, 安顺市平坝区 → 安顺市平坝 (only the last suffix goes), 黔东南州 → 黔东南."""
    core = _PLACE_SUFFIX.sub("", name)
    return core if len(core) >= 2 else name


@lru_cache(maxsize=1)
def _posseg():
    import jieba
    import jieba.posseg as pseg

    jieba.setLogLevel(logging.WARNING)
    return pseg


def bare_county(core: str, text: str) -> bool:
    """Whether a place found in ``text`` is only a county or district's bare name (新建 of 新建楼盘,
    城关, 和平): often a plain word, so it names no place for certain (the retriever still knows the
    corpus's own places, 平坝). A name written with its suffix, a province or a city's is a place."""
    if core in _PROVINCES or re.search(re.escape(core) + r"(?:省|市|州|盟|县|区|旗|自治)", text):
        return False
    return known_place(core) and not any(known_place(core + s) for s in ("市", "州", "盟"))


def extract_places(text: str) -> list[str]:
    """Named places (provinces, cities, counties) in ``text``, as cores without suffix."""
    out: list[str] = []
    stripped = _TITLE.sub(" ", text)
    try:
        pairs = [(w, f) for w, f in _posseg().cut(stripped)]
    except Exception:  # pragma: no cover - jieba always works, but a place is only a hint
        pairs = []
    for word, flag in pairs:
        # the tagger's ns is a hint (it tags 上岗, 东西 as places): a real place is in the division table
        # (a name with an admin suffix stays, even unknown: 贵洲省 may be a typo the retriever mends)
        if flag.startswith("ns") and word not in _GENERIC_PLACES and len(word) >= 2 and (known_place(word) or _ADMIN_SUFFIX.search(word) and len(word) >= 3):
            core = place_core(word)
            if core not in out and core not in _GENERIC_PLACES:
                out.append(core)
    # a known city or county written with its suffix, whatever the tagger said (嘉兴市, 安顺市)
    for m in _ADMIN_NAME.finditer(stripped):
        name = next((m.group(0)[i:] for i in range(len(m.group(0)) - 2) if known_place(m.group(0)[i:])), "")
        core = place_core(name) if name else ""
        if len(core) >= 2 and core not in _GENERIC_PLACES and not any(core in p or p in core for p in out):
            out.append(core)
    # a unit right after another (安顺市西秀区, 贵州省遵义市): the tagger often misses the second
    for m in _SUB_UNIT.finditer(stripped):
        core = place_core(m.group(1).lstrip("和与及或跟同暨、"))
        if len(core) >= 2 and core not in out and core not in _GENERIC_PLACES:
            out.append(core)
    for prov in _PROVINCES:
        if prov in stripped and prov not in out and not any(prov in p for p in out):
            out.append(prov)
    return out


def extract_years(text: str) -> tuple[set[int], list[tuple[int, int]]]:
    years: set[int] = set()
    ranges: list[tuple[int, int]] = []
    for m in _Q_YEAR_RANGE.finditer(text):
        a, b = sorted((int(m.group(1)), int(m.group(2))))
        ranges.append((a, b))
    covered = {y for a, b in ranges for y in (a, b)}
    for m in _Q_YEAR.finditer(text):
        y = int(m.group(1))
        if y not in covered:
            years.add(y)
    for name, (a, b) in FIVE_YEAR_PLANS.items():
        if name in text:
            if "末" in text or "期末" in text:
                years.add(b)
            else:
                ranges.append((a, b))
    return years, ranges


_CN_YEAR = re.compile(r"([〇零一二三四五六七八九]{4})\s*年")
_SHORT_YEAR = re.compile(r"(?<![\d.])([1-4]\d)\s*年(?![\d代])")
_CN_DIGIT = {c: str(i) for i, c in enumerate("〇一二三四五六七八九")} | {"零": "0"}


def normalize_years(text: str) -> str:
    """二〇二五年 → 2025年; 25年 → 2025年 (a two-digit year in a question means 20xx)."""
    text = _CN_YEAR.sub(lambda m: "".join(_CN_DIGIT[c] for c in m.group(1)) + "年", text)
    return _SHORT_YEAR.sub(lambda m: f"20{m.group(1)}年", text)


_ORDINAL = re.compile(r"^第[一二两三四五六七八九十\d]+[个项位名批]?$")
_COUNT_WORD = re.compile(r"^[一二两三四五六七八九十百千万\d]+[个所家项名次人条张床位年月日天岁倍成]$")


def _is_content(tok: str) -> bool:
    if tok in QUESTION_WORDS or tok.startswith(("几", "哪", "多少", "什么", "怎")):
        return False
    if _ORDINAL.match(tok):
        return False  # 第一个, 第二项: which one of a list, not what it is about
    if _COUNT_WORD.match(tok):
        return False  # 一所, 两个: a count, the kind of thing the answer states
    if _Q_YEAR.fullmatch(tok) or re.fullmatch(r"(?:19|20)\d{2}年?", tok):
        return False  # years are handled separately
    if len(tok) < 2 and not tok.isdigit():
        return False
    if not re.search(r"[\w]", tok):
        return False
    return True


def analyze(question: str) -> QueryAnalysis:
    """Split a question into what must be matched (terms, years, places, articles)."""
    norm = normalize_years(to_simplified(normalize(question)))
    tokens = tokenize(norm)
    years, ranges = extract_years(DOC_NUMBER.sub(" ", norm))
    articles = [cn_number_to_int(m.group(1)) for m in _ARTICLE.finditer(norm)]
    titles = [t.strip() for t in _TITLE.findall(norm)]
    doc_numbers = [m.group(0) for m in DOC_NUMBER.finditer(norm)]
    places = extract_places(norm)
    # content terms: the words that carry meaning (article numbers and years are matched apart)
    body = _ARTICLE.sub(" ", _TITLE.sub(" ", DOC_NUMBER.sub(" ", norm)))
    terms: list[str] = []
    soft: list[str] = []
    subterms: dict[str, list[str]] = {}
    for word in words(body):
        t = word.strip().lower()
        if not t:
            continue
        if t in SOFT_WORDS:
            if t not in soft:
                soft.append(t)
            continue
        if not _is_content(t) or t.isdigit() or _NUMBER.fullmatch(t):
            continue
        if t in FIVE_YEAR_PLANS or any(place_core(t) == p or t.startswith(p) for p in places):
            continue  # periods and places are matched against years and metadata, not as words
        if t not in terms:
            terms.append(t)
            if len(t) >= 3:
                subs = [x for x in search_words(t) if x != t and len(x) >= 2 and x not in QUESTION_WORDS]
                if subs:
                    subterms[t] = subs
    expansions = _expand_colloquial(norm, terms, subterms, tokens)
    numbers = [n for n in _NUMBER.findall(_Q_YEAR.sub(" ", DOC_NUMBER.sub(" ", norm))) if n not in {str(y) for y in years}]
    wants_article = bool(articles) and not _has_specific_ask(norm)
    wants_number = bool(_NUMERIC_ASK.search(body))
    level = "province" if _PROVINCE_WIDE.search(norm) else None
    return QueryAnalysis(
        question=question,
        normalized=norm,
        tokens=tokens,
        terms=terms,
        soft_terms=soft,
        subterms=subterms,
        years=years,
        year_ranges=ranges,
        places=places,
        bare_places=[p for p in places if bare_county(p, norm)],
        articles=articles,
        titles=titles,
        doc_numbers=doc_numbers,
        numbers=numbers,
        wants_article_text=wants_article,
        wants_number=wants_number,
        level=level,
        expansions=expansions,
        focus=focus_term(norm, terms, soft),
    )


_GLUE = "是要的了在有为和与及等将把被从向对于就都也还再又达到呢吗么"
_ASK_WORD = re.compile(r"多少|几|什么|啥|哪|谁|怎么|怎样|如何|咋|是否|能否|有没有|是不是|吗|呢|？|\?")


def focus_term(norm: str, terms: list[str], soft: list[str]) -> str:
    """The term the question asks about: the last content term ending before the first question
    word (滞纳金 in 滞纳金按每天多少算), else the question's last content term."""
    m = _ASK_WORD.search(norm)
    cut = m.start() if m else len(norm)
    best, best_end = "", -1
    for t in terms:
        if t in soft or len(t.rstrip(_GLUE)) < 2:
            continue  # a form word, or a fragment glued to a function character (数是)
        for alt in t.split(ALT):
            i = norm.find(alt)
            if i >= 0 and i + len(alt) <= cut and i + len(alt) > best_end:
                best, best_end = t, i + len(alt)
    if best:
        return best
    hard = [t for t in terms if t not in soft]
    return hard[-1] if hard else ""


def _expand_colloquial(norm: str, terms: list[str], subterms: dict[str, list[str]], tokens: list[str]) -> dict[str, tuple[str, ...]]:
    """Replace each colloquial word of the question (交社保) by one term with its official wordings
    (交社保|缴纳社会保险费|参加社会保险); the official words join the BM25 query too."""
    found = {}
    for key, official in load_thesaurus().expand(_TITLE.sub(" ", norm)):
        if key in found:
            continue
        found[key] = official
        # the colloquial word's own pieces (交, 社保) are now inside the alternative term
        for t in [t for t in terms if t in key]:
            terms.remove(t)
            subterms.pop(t, None)
        terms.append(ALT.join((key,) + tuple(official)))
        for word in official:
            tokens.extend(tok for tok in tokenize(word) if tok not in tokens)
    return found


_NUMERIC_ASK = re.compile(r"多少|(?<![好十哪])几(?!乎)[个名所家项次人年级岁倍成]?|比例|比重|占比|百分之|数量|数目|多大|多高|多长")
_PROVINCE_WIDE = re.compile(r"全省|我省|本省|省里|省级目标")
_SPECIFIC = re.compile(r"多少|几|哪(?:些|个|一|里)?|谁|何时|什么时候|多久|多长|比例|是否")


def _has_specific_ask(norm: str) -> bool:
    """A question that asks for one detail of an article rather than its whole text."""
    return bool(_SPECIFIC.search(norm))


def nfkc(s: str) -> str:
    return unicodedata.normalize("NFKC", s)
