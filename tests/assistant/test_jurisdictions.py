"""Places named the user's way, over documents whose place is only in their title (no manifest)."""
from __future__ import annotations

from pathlib import Path

import pytest

from indexer.index import build_index
from indexer.settings import Settings

HANGZHOU = """# 杭州市公共场所控制吸烟条例

第一条 为了减少吸烟造成的危害，维护公众健康，根据有关法律、法规，结合本市实际，制定本条例。

第八条 下列公共场所禁止吸烟：（一）托儿所、幼儿园、中小学校；（二）医疗机构；（三）公共交通工具。

第十六条 违反本条例规定，在禁止吸烟场所吸烟的，由卫生健康主管部门责令改正，并处五十元罚款。
"""
NINGBO = """# 宁波市控制吸烟条例

第一条 为了控制吸烟，保障公众身体健康，营造良好的公共环境，制定本条例。

第七条 室内公共场所、室内工作场所、公共交通工具内禁止吸烟。

第二十三条 个人在禁止吸烟场所吸烟且不听劝阻的，由卫生健康行政部门责令改正，处五十元以上二百元以下罚款。
"""


@pytest.fixture(scope="module")
def two_cities(tmp_path_factory: pytest.TempPathFactory, seed_cache_dir: Path):
    from assistant import Assistant

    from tests.conftest import copy_cache

    root = tmp_path_factory.mktemp("cities")
    corpus = root / "corpus"
    corpus.mkdir()
    (corpus / "杭州市公共场所控制吸烟条例.md").write_text(HANGZHOU, encoding="utf-8")
    (corpus / "宁波市控制吸烟条例.md").write_text(NINGBO, encoding="utf-8")
    settings = Settings(corpus_dir=corpus, index_dir=root / "index", cache_dir=copy_cache(seed_cache_dir, root / "cache"))
    build_index(settings, show_progress=False)
    return Assistant.load(root / "index", settings)


def test_two_cities_each_answer_their_half_labelled(two_cities):
    out = two_cities.ask("杭州和宁波在禁烟场所抽烟分别罚多少？")
    assert out["found"], out
    assert "杭州市：" in out["answer"] and "五十元罚款" in out["answer"]
    assert "宁波市：" in out["answer"] and "五十元以上二百元以下罚款" in out["answer"]
    assert {c["jurisdiction"] for c in out["citations"] if c["role"] == "answer"} == {"杭州市", "宁波市"}


def test_a_city_named_without_its_suffix_finds_its_document(two_cities):
    out = two_cities.ask("宁波哪些场所禁止吸烟")
    assert out["found"] and out["answer"].startswith("宁波市：") and "公共交通工具" in out["answer"]


def test_a_city_with_no_document_is_refused(two_cities):
    out = two_cities.ask("温州在禁烟场所抽烟罚多少")
    assert not out["found"] and out["confidence"] < two_cities.model.threshold
