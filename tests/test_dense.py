"""Dense search: the flat vectors memory-mapped (shared between processes), the optional HNSW graph
and its recall against exact flat search, measured on the seed index with real query embeddings."""
from __future__ import annotations

import logging
from pathlib import Path

import faiss
import numpy as np
import pytest

from indexer import dense
from indexer.embedder import load_embedder
from indexer.index import ClauseIndex, IndexLoadError, build_index
from indexer.settings import Settings

from .conftest import copy_cache

QUESTIONS = [
    "2025年每千人口托位数目标是多少", "建设县域医疗次中心的责任单位有哪些", "如何加强乡村医生队伍建设",
    "宫颈癌HPV基因筛查在多少个县开展", "家庭医生签约服务怎么推进", "托育服务体系建设有哪些措施",
    "远程医疗服务体系建设要求", "公共卫生应急物资储备", "中医馆建设数量", "医养结合示范",
    "高速公路收费标准是多少", "个人所得税专项附加扣除标准", "《中华人民共和国医师法》第十条规定了什么",
    "孕产妇死亡率控制在多少", "婴儿死亡率目标", "居民健康素养水平要达到多少", "人均预期寿命目标",
    "每千常住人口注册护士数", "县域内就诊率", "严重精神障碍患者规律服药率", "每万常住人口全科医生数",
    "老年医学科设置比例", "平坝区社会办医疗机构床位数占比", "传染病报告发病率", "健康扶贫政策",
    "乡镇卫生院标准化建设", "紧密型医共体建设", "省级区域医疗中心高级职称人员占比", "三甲医院数量",
    "失能老年人上门健康服务", "公司不给交社保能辞职要补偿吗", "楼上邻居的狗整夜叫影响休息怎么办",
]


@pytest.fixture(scope="module")
def query_vectors(seed_index: ClauseIndex) -> np.ndarray:
    emb = load_embedder(seed_index.model)
    return np.stack([emb.embed_query(q) for q in QUESTIONS]).astype(np.float32)


def _mapped_files() -> str:
    return Path("/proc/self/maps").read_text()


def test_installed_faiss_maps_flat_vectors():
    assert dense.mmap_supported(), f"faiss {faiss.__version__} lacks IO_FLAG_MMAP_IFC"


def test_flat_vectors_are_memory_mapped_not_copied(seed_index_dir: Path):
    path = seed_index_dir / dense.FLAT_FILE
    flat = dense.read_flat(path)
    assert flat.ntotal > 0
    # the file is mapped into this process: its pages are the page cache's, shared with every other reader
    assert str(path.resolve()) in _mapped_files()
    del flat


def test_mapped_search_equals_the_old_in_memory_read(seed_index: ClauseIndex, seed_index_dir: Path, query_vectors: np.ndarray):
    old = faiss.read_index(str(seed_index_dir / dense.FLAT_FILE))  # how format-1 code read it
    assert seed_index._vectors.kind == "flat"
    for q in query_vectors:
        got = seed_index.dense_search(q, 20)
        scores, rows = old.search(q.reshape(1, -1), 20)
        assert [r for r, _ in got] == rows[0].tolist()
        assert np.allclose([s for _, s in got], scores[0], atol=1e-5)


def test_hnsw_recall_at_10_against_flat_on_the_seed(seed_index_dir: Path, query_vectors: np.ndarray):
    flat = dense.read_flat(seed_index_dir / dense.FLAT_FILE)
    hnsw = dense.build_hnsw(dense.flat_vectors(flat))
    r = dense.recall_at_k(flat, hnsw, query_vectors, k=10)
    assert r["queries"] == len(QUESTIONS) and r["k"] == 10
    assert r["recall"] >= 0.95, r
    assert r["hnsw_ms"] > 0 and r["flat_ms"] > 0


def test_build_writes_hnsw_when_configured_and_load_uses_it(tmp_path: Path, repo_root: Path, seed_cache_dir: Path,
                                                            seed_index: ClauseIndex, query_vectors: np.ndarray):
    settings = Settings(corpus_dir=repo_root / "corpus", index_dir=tmp_path / "index",
                        cache_dir=copy_cache(seed_cache_dir, tmp_path / "cache"), model=seed_index.model, dense_index="hnsw")
    build_index(settings, show_progress=False)
    assert (tmp_path / "index" / dense.HNSW_FILE).is_file()
    approx = ClauseIndex.load(tmp_path / "index", dense_index="hnsw")
    exact = ClauseIndex.load(tmp_path / "index", dense_index="flat")
    assert approx._vectors.kind == "hnsw" and exact._vectors.kind == "flat"
    hits = total = 0
    for q in query_vectors:
        a = approx.dense_search(q, 10)
        e = exact.dense_search(q, 10)
        assert len(a) == 10 and all(0 <= r < len(approx) for r, _ in a)
        assert [s for _, s in a] == sorted((s for _, s in a), reverse=True)
        hits += len({r for r, _ in a} & {r for r, _ in e})
        total += len(e)
    assert hits / total >= 0.95
    # a search for more rows than efSearch still returns them all
    assert len(approx.dense_search(query_vectors[0], 300)) == 300


def test_hnsw_configured_but_absent_falls_back_to_flat(seed_index_dir: Path, caplog: pytest.LogCaptureFixture):
    with caplog.at_level(logging.WARNING, logger="indexer.dense"):
        index = ClauseIndex.load(seed_index_dir, dense_index="hnsw")
    assert index._vectors.kind == "flat"
    assert "exact flat search" in caplog.text


def test_unknown_dense_index_is_a_load_error(seed_index_dir: Path):
    with pytest.raises(IndexLoadError, match="unknown dense index"):
        ClauseIndex.load(seed_index_dir, dense_index="ivf")
