"""Two laws in two versions each (lawrefbook files copied into a tmp corpus), indexed and served
over real HTTP: both versions indexed, the version in force answers by default, ``as_of`` answers
as of then, citations name the version, ``/documents/{id}/versions`` lists them, and a text the
versions share is embedded once."""
from __future__ import annotations

import collections
import shutil
from pathlib import Path

import httpx
import pytest

import indexer.embedder as embedder_module
from indexer.embedder import EmbeddingCache
from indexer.index import ClauseIndex, build_index
from indexer.settings import Settings

from evals.corpora.general import lawrefbook_root

from .conftest import ThreadedServer, free_port

LAWREFBOOK = lawrefbook_root()
CHARITY_2016, CHARITY_2023 = "社会法/慈善法(2016-03-16).md", "社会法/慈善法(2023-12-29).md"
SPY_2014, SPY_2023 = "行政法/反间谍法(2014-11-01).md", "行政法/反间谍法(2023-04-26).md"
OLD, NEW = "慈善法(2016-03-16)", "慈善法(2023-12-29)"
Q = "慈善组织依法登记满几年可以申请公开募捐资格"

pytestmark = pytest.mark.usefixtures("lawrefbook")  # fails, not skips, without it


class CountingEmbedder:
    """The real embedder, recording every passage text it is asked to embed."""

    def __init__(self, inner, seen: list[str]):
        self.inner, self.seen = inner, seen

    def embed_passages(self, texts, *args, **kwargs):
        self.seen.extend(texts)
        return self.inner.embed_passages(texts, *args, **kwargs)

    def __getattr__(self, name):
        return getattr(self.inner, name)


def _corpus(folder: Path, *rels: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for rel in rels:
        shutil.copyfile(LAWREFBOOK / rel, folder / Path(rel).name)
    return folder


@pytest.fixture(scope="module")
def versions_index(seed_settings: Settings, embedding_store, tmp_path_factory, request):
    """Build 1 holds the older versions; build 2 (same cache) all four: what does it embed?"""
    root = tmp_path_factory.mktemp("versions")
    cache = embedding_store.seed(root / "cache")
    first = seed_settings.model_copy(update={"corpus_dir": _corpus(root / "old", CHARITY_2016, SPY_2014),
                                             "index_dir": root / "index-old", "cache_dir": cache})
    build_index(first, show_progress=False)
    settings = seed_settings.model_copy(update={
        "corpus_dir": _corpus(root / "all", CHARITY_2016, CHARITY_2023, SPY_2014, SPY_2023),
        "index_dir": root / "index", "cache_dir": cache})
    passages_before = [c.passage() for c in ClauseIndex.load(root / "index-old").clauses]
    seen: list[str] = []
    real_loader = embedder_module.load_embedder
    mp = pytest.MonkeyPatch()
    mp.setattr(embedder_module, "load_embedder", lambda model: CountingEmbedder(real_loader(model), seen))
    try:
        # which distinct texts of build 2 the cache lacks, asked before it runs
        from indexer.corpus import load_corpus

        passages = [c.passage() for d in load_corpus(settings.corpus_dir).documents for c in d.clauses]
        with EmbeddingCache(Path(cache)) as ec:
            distinct = list(dict.fromkeys(passages))
            have = ec.get_many(settings.model, distinct)
        missing = {t for i, t in enumerate(distinct) if i not in have}
        report = build_index(settings, show_progress=False)
    finally:
        mp.undo()
    embedding_store.save(cache)
    return {"settings": settings, "report": report, "seen": seen, "missing": missing, "passages": passages,
            "before": passages_before}


@pytest.fixture(scope="module")
def api(versions_index, tmp_path_factory):
    from assistant import Assistant, create_app

    settings: Settings = versions_index["settings"]
    qa = Assistant.load(settings.index_dir, settings)
    app = create_app(Settings(index_dir=settings.index_dir, data_dir=tmp_path_factory.mktemp("versions-data")),
                     assistant=qa, documents=False)
    with ThreadedServer(app, free_port()) as srv, httpx.Client(base_url=srv.url, timeout=60.0) as c:
        yield c


def test_both_versions_indexed_and_shared_texts_embedded_once(versions_index):
    report, seen, passages = versions_index["report"], versions_index["seen"], versions_index["passages"]
    assert report.documents == 4 and not report.skipped
    index = ClauseIndex.load(versions_index["settings"].index_dir)
    assert set(index.documents) == {OLD, NEW, "反间谍法(2014-11-01)", "反间谍法(2023-04-26)"}
    assert all(not m.get("aliases") for m in index.documents.values())  # no version folded into another
    new = index.documents[NEW]
    assert (new["version_group"], new["version_label"], new["promulgated"], new["validity"]) == (
        "中华人民共和国慈善法", "2023年修正", "2023-12-29", "现行有效")
    assert index.documents[OLD]["validity"] == "已被修改"
    assert index.documents["反间谍法(2023-04-26)"]["effective"] == "2023-07-01"
    # texts the newer versions repeat word for word, path included (慈善法 2023 renumbered most
    # articles, and 第X条 is part of an article's text: 33 of 394 rows here)
    assert len(passages) - len(set(passages)) >= 30
    # build 2 embedded exactly the distinct texts the cache lacked, each once; none build 1 had
    assert len(seen) == len(set(seen)) and set(seen) == versions_index["missing"]
    assert not (set(seen) & set(versions_index["before"]))


def test_default_answers_from_the_version_in_force(api):
    body = api.post("/ask", json={"question": Q}).json()
    assert body["found"], body
    top = body["citations"][0]
    assert top["doc_id"] == NEW and "满一年" in top["quote"]
    assert top["version_label"] == "2023年修正" and top["validity"] == "现行有效"
    assert top["cite"].startswith("《中华人民共和国慈善法》（2023年修正）第二十二条")
    assert all(c["doc_id"] != OLD for c in body["citations"])
    hits = api.post("/search", json={"question": Q, "top_k": 20}).json()["results"]
    assert hits and all(h["doc_id"] not in (OLD, "反间谍法(2014-11-01)") for h in hits)


def test_as_of_answers_as_in_force_then(api):
    body = api.post("/ask", json={"question": Q, "filters": {"as_of": "2020-01-01"}}).json()
    top = body["citations"][0]
    assert top["doc_id"] == OLD and "满二年" in top["quote"]
    assert top["cite"].startswith("《中华人民共和国慈善法》（2016年公布）第二十二条") and top["validity"] == "已被修改"
    # promulgated 2023-04-26, effective 2023-07-01: on 2023-05-01 the 2014 law still applies
    spy = "间谍行为是指哪些行为"
    then = api.post("/search", json={"question": spy, "filters": {"as_of": "2023-05-01"}}).json()["results"]
    later = api.post("/search", json={"question": spy, "filters": {"as_of": "2023-07-01"}}).json()["results"]
    assert {h["doc_id"] for h in then if "反间谍法" in h["doc_id"]} == {"反间谍法(2014-11-01)"}
    assert {h["doc_id"] for h in later if "反间谍法" in h["doc_id"]} == {"反间谍法(2023-04-26)"}
    # before either law existed nothing is in force
    assert api.post("/search", json={"question": spy, "filters": {"as_of": "2000-01-01"}}).json()["results"] == []
    # a document named in the filters is searched even when superseded (no as_of)
    named = api.post("/search", json={"question": Q, "filters": {"documents": [OLD]}}).json()["results"]
    assert named and {h["doc_id"] for h in named} == {OLD}


@pytest.mark.parametrize("bad", ["2023-13-01", "2023/01/01", "yesterday", "2023-02-30", 20230101])
def test_bad_as_of_is_a_clear_422(api, bad):
    r = api.post("/ask", json={"question": Q, "filters": {"as_of": bad}})
    assert r.status_code == 422 and "as_of" in r.json()["detail"], r.text


def test_versions_route(api):
    r = api.get(f"/documents/{OLD}/versions")
    assert r.status_code == 200
    body = r.json()
    assert body["doc_id"] == OLD and body["title"] == "中华人民共和国慈善法"
    assert [(v["doc_id"], v["version_label"], v["promulgated"], v["effective"], v["validity"]) for v in body["versions"]] == [
        (NEW, "2023年修正", "2023-12-29", "2023-12-29", "现行有效"),
        (OLD, "2016年公布", "2016-03-16", "2016-09-01", "已被修改"),
    ]
    missing = api.get("/documents/no-such-law/versions")
    assert missing.status_code == 404 and missing.json()["detail"] == "unknown document id: no-such-law"
    assert collections.Counter(v["doc_id"] for v in body["versions"])[NEW] == 1
