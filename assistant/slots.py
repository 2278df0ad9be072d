"""A question read into slots — topic, year, place, document, article — with its question form
(是多少, 责任单位是谁) and the cues that it leans on the conversation (那…/…呢, 这个指标, 下一条).

Pure functions of the question and the index's :class:`~assistant.vocabulary.Vocabulary`; parsing
reuses :func:`assistant.query.analyze` (years, places, 第X条). ``assistant.followup`` resolves.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from .query import QUESTION_WORDS, SOFT_WORDS, analyze, words
from .vocabulary import Vocabulary

SLOT_KEYS = ("topic", "year", "place", "document", "article", "clause_id")
PROVINCE_LEVEL = "全省"
MAX_HISTORY = 20

_FILLER = re.compile(r"^(?:请问一下|请问|我想问一下|我想问|想问一下|问一下)[，,、\s]*")
_LEAD = re.compile(r"^(?:那么|那要是|那如果是|那|还有|另外|再问一下|再问|要是|如果是|换成|改成|换作)[，,、\s]*")
_TAIL = re.compile(r"(?:的情况|的话)?(?:呢|又怎么样|又如何|怎么样|如何|咋样)$")
_WEAK_TAIL = re.compile(r"(?:怎么样|如何|咋样)$")  # also ends stand-alone questions (进展如何)
_PRONOUN = re.compile(r"这个|这项|这条|这一条|那条|那一条|该(?=项|条|指标|工作|任务|措施|目标|要求)|这件事|这块|它的?|上述|上面那?|刚才|前面那?|同一条|那里|那边|这里|这边")
_PRONOUN_REF = re.compile(r"(?:这个|这项|这条|这一|该)(?:指标|项|条|工作|任务|措施|目标|要求|事)|它")
_SUBJECTLESS = re.compile(r"^(?:属于|算不算|算是|是不是|是(?!否))")
_GENERIC_HEAD = re.compile(r"^(?:指标|项|条|工作|任务|措施|目标|要求|的)+")
_QPHRASE = re.compile(r"(?:多少|几)(?:比例|个|名|人|种|张|所|家|项|岁|万|倍)?的?|什么样?的?|哪(?:些|个|类|种|一)?的?|谁|怎么样?|如何|是否|吗|呢")
_DOC_KIND = re.compile(r"(?:本|该|那个|这个|十[三四五]五)?(工作方案|实施方案|行动计划|发展规划|规划|方案)(?:里|中|的|上)?")
_NAV = re.compile(r"(?:再)?(下一条|下条|后一条|上一条|上条|前一条)")
ARTICLE = re.compile(r"第([零〇一二三四五六七八九十百千两\d]+)条")
_TITLE = re.compile(r"《([^《》]{2,80})》")
_LEVEL = re.compile(r"全省|省里|我省|本省|省级层面|省一级|省级的")
_YEAR_SPAN = re.compile(r"(?:到|至|截至|截止到|截止|在|于)?(?:(?:19|20)\d{2}\s*[—\-–－~至到]\s*)?(?:19|20)\d{2}\s*年(?:底|末|前|度|时)?(?:以前|之前|的时候)?")
PLAN_SPAN = re.compile(r"(?:到|至)?(十[三四五]五)(?:规划)?(末|期末|期间|时期)?")
_ASPECT = re.compile(
    r"(?:的|，|,)?(?:(?:由|是|归)?(?:谁|哪个部门|哪个单位|哪些部门|哪些单位|哪家)(?:来)?(?:负责|牵头|主管|管)"
    r"|(?:牵头|责任|主管|负责)(?:单位|部门)(?:有哪些|都有谁|是谁|是哪个|是哪些|有谁|呢)?|由谁(?:来)?(?:做|负责)?)"
)
_ASK = re.compile(r"多少|几|什么|啥|哪|谁|怎么|怎样|如何|咋|是否|能否|有没有|是不是|吗|呢|分别|各是|各要")
_MODAL = re.compile(r"要|需要|须|应当|应|将|力争|计划|争取|能|可以|是|为|有|包括|由|达到|提高到|提升到|降到|下降到|降低到|控制在|突破|超过|建成")
FRAME = re.compile(r"^每(?:[千万百十]|\d+万?)(?:常住)?人口(?:拥有)?")
_PUNCT = "，,、：:；;。.？?！! \u3000"
_STRIP = "的里中在和与及" + _PUNCT
NUMERIC_TOPIC = re.compile(r"(?:率|数|比例|占比|比重|目标|人数|床位|水平|寿命)$")
_PLACE_SUFFIX = "(?:特别行政区|自治区|自治州|自治县|省|市|州|县|区)?"


# --------------------------------------------------------------------------------- parsing
@dataclass
class Parsed:
    """One question read into slots, its question form, and its ellipsis cues."""

    topic: str = ""
    ask: str = ""  # the question form after the topic: 是多少, 要达到多少, 责任单位是谁
    year: int | str | None = None
    place: str | None = None
    document: str | None = None
    article: int | None = None
    nav: int = 0  # +1 下一条, -1 上一条
    aspect: bool = False  # asks who is responsible (责任单位, 谁负责)
    cue: bool = False  # 那…, …呢, a pronoun
    real_ask: bool = False  # a question form other than a bare 呢
    lead: bool = False  # starts 那 / 还有 / 另外
    pronoun: bool = False  # 这个 / 该指标 / 它: the topic is the previous turn's
    predicate: str = ""  # what a pronoun question asks of that topic (是约束性的还是预期性的)
    core: str = ""  # the topic with the content of the question form (要巩固完善标准化重症床位)

    def slots(self) -> dict[str, Any]:
        return {"topic": self.topic or None, "year": self.year, "place": self.place,
                "document": self.document, "article": self.article, "clause_id": None}


def parse(question: str, vocab: Vocabulary) -> Parsed:
    """Slots, question form and cues of one question (nothing carried over)."""
    q = analyze(question)
    text = q.normalized.strip().rstrip("？?。.!！ \u3000")
    p = Parsed()
    doc, name = vocab.named_document(text)
    if doc:
        p.document = doc
        text = text.replace(name, " ")
    text = _TITLE.sub(" ", text)
    text = _FILLER.sub("", text.strip())
    p.pronoun = bool(_PRONOUN.search(text))
    generic_ref = bool(_PRONOUN_REF.search(text))
    p.lead = bool(_LEAD.search(text))
    p.cue = bool(p.lead or p.pronoun or (_TAIL.search(text) and not _WEAK_TAIL.search(text)))
    weak_tail = bool(_WEAK_TAIL.search(text))
    text = _LEAD.sub("", text)
    m = _NAV.search(text)
    if m:
        p.nav = 1 if m.group(1)[0] in "下后" else -1
        text = text.replace(m.group(0), " ")
    if q.articles:
        p.article = q.articles[0]
        text = ARTICLE.sub(" ", text)
    text = _PRONOUN.sub(" ", text)
    p.year, text = _years(q, text)
    p.place, text = _places(q, text, vocab)
    kind_doc, text = _document_kind(text, vocab, p.year)
    p.document = p.document or kind_doc
    text = _TAIL.sub("", text.strip(_PUNCT)).strip(_PUNCT)
    if generic_ref or (len(text) <= 12 and _SUBJECTLESS.match(text)):
        # 这个指标是约束性的吗 / 属于什么属性: a predicate about the previous turn's topic
        p.predicate = _GENERIC_HEAD.sub("", re.sub(r"\s+", "", text)).strip(_PUNCT)
        p.cue = True
    after = False
    am = _ASPECT.search(text)
    if am:
        p.aspect, p.real_ask = True, True
        p.ask = am.group(0).lstrip("的，,") or "责任单位是谁"
        text = text[: am.start()]
    else:
        km = _ASK.search(text)
        if km:
            cut = km.start()
            mm = list(_MODAL.finditer(text, max(0, cut - 6), cut))
            if mm:
                cut = mm[0].start()
            pre, post = text[:cut], text[cut:]
            qm = _QPHRASE.search(post)
            if not has_content(pre) and qm and has_content(post[qm.end():]):
                pre, post = post[qm.end():], post[: qm.end()]  # 要轮训多少村医: the topic follows the question word
                after = True
            p.ask, text = post, pre
            p.real_ask = p.ask not in ("呢", "")
    p.topic = _clean_topic(text)
    p.cue = p.cue or (weak_tail and (len(p.topic) <= 4 or not has_content(p.topic)))
    rest = re.sub(r"^(?:要|需要|应当|应|将)", "", _clean_topic(_QPHRASE.sub("", p.ask if not p.aspect else "")))
    rest = rest if has_content(rest) else ""
    p.core = rest + p.topic if after else p.topic + rest
    return p


def _document_kind(text: str, vocab: Vocabulary, year: int | str | None) -> tuple[str | None, str]:
    """A document named by its kind (2023年度工作方案, 实施方案, 十四五规划): the one indexed
    document of that kind (and year), if exactly one; the words leave the topic either way."""
    m = _DOC_KIND.search(text)
    if not m:
        return None, text
    kind = m.group(1)
    docs = [d for d in vocab.documents.values() if kind in d.title]
    if isinstance(year, int) and len(docs) > 1:
        docs = [d for d in docs if d.years and d.years[0] <= year <= d.years[1]] or docs
    return (docs[0].doc_id if len(docs) == 1 else None), text[: m.start()] + " " + text[m.end():]


def _years(q, text: str) -> tuple[int | str | None, str]:
    year: int | str | None = None
    if len(q.years) == 1 and not q.year_ranges:
        year = next(iter(q.years))
    pm = PLAN_SPAN.search(text)
    if pm and year is None and not q.years:
        year = pm.group(1) + (pm.group(2) or "")
    if year is not None:
        text = PLAN_SPAN.sub(" ", _YEAR_SPAN.sub(" ", text))
    return year, text


def _places(q, text: str, vocab: Vocabulary) -> tuple[str | None, str]:
    """The one place the question is about (its name, or 全省), removed from ``text``."""
    found: list[tuple[str, str]] = []  # (core, surface)
    cores = list(dict.fromkeys(list(q.places) + [c for c in vocab.places if c in text]))
    for core in cores:
        m = re.search(re.escape(core) + _PLACE_SUFFIX, text)
        if m and not any(core in c or c in core for c, _ in found):
            found.append((core, m.group(0)))
    if _LEVEL.search(text):
        text = _LEVEL.sub(" ", text)
        if not found:
            return PROVINCE_LEVEL, text
    if len(found) != 1:
        return None, text  # none, or several (贵州省和平坝区…): the places are the question's content
    core, surface = found[0]
    name = vocab.places.get(core) or surface
    text = re.sub(re.escape(surface) + r"(?:的|里|这边|那边)?", " ", text, count=1)
    return name, text


def _clean_topic(text: str) -> str:
    text = re.sub(r"\s(?:工作|任务|事)\s*$", "", text)  # 这项工作 after the pronoun went
    t = re.sub(r"\s+", "", text).strip(_STRIP)
    t = re.sub(r"^(?:的|里|中|关于|对于|有关)+", "", t)
    t = re.sub(r"(?:这项工作|这项任务|这件事|这方面|方面|这一块|的事)$", "", t).strip(_STRIP)
    return t


def has_content(topic: str) -> bool:
    """Whether ``topic`` names something of its own (not only form words: 规定, 目标, 情况)."""
    for w in words(topic or ""):
        w = w.strip()
        if len(w) >= 2 and w not in QUESTION_WORDS and w not in SOFT_WORDS and not re.fullmatch(r"[\d.%]+", w):
            return True
        if len(w) == 1 and re.match(r"[\u4e00-\u9fff]", w) and w not in QUESTION_WORDS and w not in "的了呢吗啊吧和与及或在":
            return True  # a one-character noun (药, 床) is a topic too
    return False


def is_elliptical(p: Parsed) -> bool:
    """A question that leans on the conversation: a cue, navigation, or nothing of its own to ask about."""
    own = has_content(p.topic)
    if own and p.real_ask and not (p.lead or p.pronoun or p.nav or p.predicate):
        return False  # its own topic and question form: …是多少呢 stands alone
    if p.cue or p.nav:
        return True
    if p.article is not None and p.document is None and not own:
        return True
    if own:
        return False
    return p.aspect or p.place is not None or p.year is not None
