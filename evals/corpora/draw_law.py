"""Draw the laws of the legal-consultation eval set: a seeded random sample of the national library.

    python -m evals.corpora.draw_law [--root ../shared/corpora/lawrefbook] [--seed 20261204]

Writes ``evals/corpora/law.toml``: the drawn laws as paths relative to the lawrefbook root, each
with its document id in the national law index (the file name without ``.md``), its group and its
half (``tune`` or ``test``). Questions are written over the drawn laws, and the whole national part
(``python -m indexer law``) is searched, so every other law is a distractor. The draw is by rule:

* candidates: the newest version of each title in the national part, outside 司法解释 / 案例 / 其他
  / 宪法 (people describe situations; those texts answer other kinds of question), with at least
  ``MIN_ARTICLES`` articles, and not a 决定 / 修改 text (amendments that state no rules of their own);
* groups: ``everyday`` (a title naming what people most often consult about: work, family,
  contracts, torts, traffic, consumers, housing, public order; ``EVERYDAY``), then the other
  ``laws`` (the NPC's laws) and the other ``regulations`` (State Council regulations and ministry
  rules), ``PER_GROUP`` drawn from each, shuffled with the seed;
* within each group the drawn laws alternate between ``tune`` and ``test``: a law's questions all
  fall in one half, so nothing fitted on tune has seen a test law.
"""
from __future__ import annotations

import random
import re
import sys
from pathlib import Path

from .draw import count_articles, newest_versions, run, to_toml as _toml

SEED = 20261204
OUT = Path(__file__).resolve().parent / "law.toml"

GROUPS: dict[str, tuple[str, ...]] = {
    "laws": ("行政法", "经济法", "社会法", "民法商法", "宪法相关法", "诉讼与非诉讼程序法", "刑法", "民法典"),
    "regulations": ("行政法规", "部门规章"),
}
# A title with one of these words is in the ``everyday`` group (the topics of public legal consultation).
EVERYDAY = ("劳动", "工资", "社会保险", "工伤", "婚姻", "继承", "收养", "合同", "侵权", "人格权", "物权", "道路交通",
            "消费者", "治安管理", "物业", "租赁", "个人信息", "未成年人", "妇女", "老年人", "残疾人", "住房", "医疗")
PER_GROUP = {"everyday": 16, "laws": 12, "regulations": 12}
MIN_ARTICLES = 20
_NOT_RULES = re.compile(r"决定|修改|废止")


def candidates(root: Path) -> list[dict]:
    """Newest version of each title of the drawn groups, with its group and article count."""
    group_of = {top: g for g, tops in GROUPS.items() for top in tops}
    out = []
    for title, date, path in newest_versions(root, lambda top: top in group_of):
        if _NOT_RULES.search(title):
            continue
        articles = count_articles(path)
        if articles < MIN_ARTICLES:
            continue
        rel = path.relative_to(root)
        out.append({"path": rel.as_posix(), "doc_id": path.stem, "title": title, "date": date,
                    "group": "everyday" if any(w in title for w in EVERYDAY) else group_of[rel.parts[0]],
                    "articles": articles})
    return out


def draw(root: Path, seed: int = SEED, per_group: dict[str, int] = PER_GROUP) -> list[dict]:
    """``per_group[g]`` laws from each group, alternating tune/test in the seeded order."""
    rng = random.Random(seed)
    pool = candidates(root)
    drawn = []
    for group, count in per_group.items():
        members = [c for c in pool if c["group"] == group]
        if len(members) < count:
            raise SystemExit(f"group {group}: only {len(members)} candidates")
        for i, doc in enumerate(rng.sample(members, count)):
            doc["split"] = "tune" if i % 2 == 0 else "test"
            drawn.append(doc)
    for n, doc in enumerate(drawn, start=1):
        doc["id"] = f"L{n:02d}"
    return drawn


def to_toml(docs: list[dict], seed: int) -> str:
    header = [
        "The laws of the legal-consultation eval set (evals/law-*.jsonl), drawn by",
        f"evals/corpora/draw_law.py (seed {seed}) from the national part of lawrefbook; paths are",
        "relative to the lawrefbook root, doc_id is the document's id in the national law index.",
        'Nothing is fitted or tuned on laws whose split is "test".',
    ]
    return _toml(header, seed, "law", docs, ("id", "doc_id", "path", "group", "split", "articles"))


def main(argv: list[str] | None = None) -> int:
    return run(argv, prog="python -m evals.corpora.draw_law", doc=__doc__, seed=SEED, out=OUT, draw=draw,
               write=to_toml, line=lambda d: f'{d["id"]} {d["split"]:5s} {d["group"]:12s} {d["articles"]:4d} {d["path"]}')


if __name__ == "__main__":
    sys.exit(main())
