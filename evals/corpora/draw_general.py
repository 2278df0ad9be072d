"""Draw the general eval corpus from lawrefbook: a seeded, stratified random sample by domain.

    python -m evals.corpora.draw_general [--root ../shared/corpora/lawrefbook] [--seed 20261203]

Writes ``evals/corpora/general.toml``: the drawn files as paths relative to the lawrefbook root,
each with a short id, its domain, national/local, and its half (``tune`` or ``test``). The draw is
by rule, not by hand, so it cannot pick the easy documents:

* candidates: the newest version of each title, outside 司法解释 / 案例 / 民法典 / 宪法;
* domain: the first domain whose keywords occur in the title (``DOMAINS``, order matters);
* size: 15–60 articles (第X条), so the eval index builds in about two minutes on 2 cores;
* per domain: ``per_scope`` national and ``per_scope`` local documents, shuffled with the seed;
  within a domain half of each scope goes to ``tune``, half to ``test``.
"""
from __future__ import annotations

import random
import sys
from pathlib import Path

from .draw import count_articles, newest_versions, run, to_toml as _toml

SEED = 20261203
OUT = Path(__file__).resolve().parent / "general.toml"

# Order matters: a title is given the first domain whose keywords it contains.
DOMAINS: dict[str, tuple[str, ...]] = {
    "food_drugs": ("食品", "药品", "餐饮", "农产品质量", "疫苗", "医疗器械"),
    "health": ("公共卫生", "卫生检疫", "医疗", "医师", "护士", "疾病", "传染病", "母婴", "献血", "精神卫生", "中医", "健康", "院前急救"),
    "social_security": ("社会保险", "养老", "就业", "劳动", "工伤", "失业", "社会救助", "医疗保障", "工资"),
    "education": ("教育", "学校", "教师", "学位", "学前", "幼儿园"),
    "environment": ("环境保护", "生态环境", "环境影响", "污染", "生态", "大气", "噪声", "固体废物", "自然保护", "湿地", "节能"),
    "transport": ("交通", "道路", "客运", "货运", "公路", "铁路", "出租汽车", "航道", "港口", "停车"),
    "housing": ("住房", "物业", "房屋", "建筑", "城市更新", "公积金", "城乡规划", "住宅"),
}
EXCLUDED_TOP = {"司法解释", "案例", "民法典", "宪法", "其他"}
MIN_ARTICLES, MAX_ARTICLES = 15, 60


def domain_of(title: str) -> str | None:
    for name, words in DOMAINS.items():
        if any(w in title for w in words):
            return name
    return None


def candidates(root: Path) -> list[dict]:
    """Newest version of each title, with its domain, scope and article count."""
    out = []
    for title, date, path in newest_versions(root, lambda top: top not in EXCLUDED_TOP):
        domain = domain_of(title)
        if domain is None:
            continue
        articles = count_articles(path)
        if not MIN_ARTICLES <= articles <= MAX_ARTICLES:
            continue
        scope = "local" if path.relative_to(root).parts[0] == "DLC" else "national"
        out.append({"path": path.relative_to(root).as_posix(), "title": title, "date": date,
                    "domain": domain, "scope": scope, "articles": articles})
    return out


def draw(root: Path, seed: int = SEED, per_scope: int = 2) -> list[dict]:
    """``per_scope`` national + ``per_scope`` local documents per domain, split tune/test by the seed."""
    rng = random.Random(seed)
    pool = candidates(root)
    drawn = []
    for domain in DOMAINS:
        for scope in ("national", "local"):
            group = [c for c in pool if c["domain"] == domain and c["scope"] == scope]
            if len(group) < per_scope:
                raise SystemExit(f"domain {domain}/{scope}: only {len(group)} candidates")
            picked = rng.sample(group, per_scope)
            for i, doc in enumerate(picked):
                doc["split"] = "tune" if i % 2 == 0 else "test"
                drawn.append(doc)
    for n, doc in enumerate(drawn, start=1):
        doc["id"] = f"g{n:02d}"
    return drawn


def to_toml(docs: list[dict], seed: int) -> str:
    header = [
        "The general eval corpus: lawrefbook files drawn by evals/corpora/draw_general.py",
        f"(seed {seed}); paths are relative to the lawrefbook root (PQA_LAWREFBOOK_DIR, default",
        "../shared/corpora/lawrefbook). The seeds in corpus/ are indexed beside them.",
        'Nothing is fitted or tuned on documents whose split is "test".',
    ]
    return _toml(header, seed, "document", docs, ("id", "path", "domain", "scope", "split", "articles"))


def main(argv: list[str] | None = None) -> int:
    return run(argv, prog="python -m evals.corpora.draw_general", doc=__doc__, seed=SEED, out=OUT, draw=draw,
               write=to_toml, line=lambda d: f'{d["id"]} {d["split"]:5s} {d["domain"]:16s} {d["scope"]:8s} {d["articles"]:3d} {d["path"]}')


if __name__ == "__main__":
    sys.exit(main())
