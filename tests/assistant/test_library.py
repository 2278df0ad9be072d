"""The live document library through a real server: upload, replace, delete, status, original,
while another client keeps asking and never sees an error."""
from __future__ import annotations

import threading
import time
from pathlib import Path

import httpx
import pytest

from indexer.index import build_index
from indexer.settings import Settings

from .conftest import server_env, serving
from .test_jurisdictions import HANGZHOU, NINGBO

LIMIT = 200_000
WENZHOU = """# 温州市控烟管理办法

第一条 为保护公民健康，创造无烟环境，根据国家有关规定，制定本办法。

第五条 影剧院、体育馆、图书馆、候车室等室内场所和公交车辆内不得吸烟。

第十二条 在不得吸烟的场所吸烟，经劝阻仍不改正的，由市卫生健康部门处五十元罚款。
"""


@pytest.fixture(scope="module")
def library_server(tmp_path_factory: pytest.TempPathFactory, seed_cache_dir: Path):
    from tests.conftest import copy_cache

    root = tmp_path_factory.mktemp("library")
    corpus = root / "corpus"
    corpus.mkdir()
    (corpus / "宁波市控制吸烟条例.md").write_text(NINGBO, encoding="utf-8")
    cache = copy_cache(seed_cache_dir, root / "cache")
    build_index(Settings(corpus_dir=corpus, index_dir=root / "index", cache_dir=cache), show_progress=False)
    env = server_env(PQA_CORPUS_DIR=str(corpus), PQA_CACHE_DIR=str(cache), PQA_DATA_DIR=str(root / "data"),
                     PQA_UPLOAD_MAX_BYTES=str(LIMIT))
    with serving(root / "index", env) as url:
        yield url, corpus


def wait_for(client: httpx.Client, doc_id: str, timeout: float = 90.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        st = client.get(f"/documents/{doc_id}/status").json()
        if st["status"] in ("ready", "failed"):
            return st
        time.sleep(0.2)
    raise AssertionError(f"{doc_id} not indexed after {timeout}s: {st}")


class Asker(threading.Thread):
    """Asks all the time; remembers every status code it got."""

    def __init__(self, url: str):
        super().__init__(daemon=True)
        self.url, self.codes, self.stop = url, [], threading.Event()

    def run(self) -> None:
        with httpx.Client(base_url=self.url, timeout=30) as c:
            while not self.stop.is_set():
                self.codes.append(c.post("/ask", json={"question": "宁波哪些场所禁止吸烟"}).status_code)


def test_an_upload_becomes_answerable_without_a_restart(library_server):
    url, corpus = library_server
    asker = Asker(url)
    asker.start()
    with httpx.Client(base_url=url, timeout=30) as c:
        before = c.get("/health").json()["version"]
        assert not c.post("/ask", json={"question": "杭州禁烟场所抽烟罚多少"}).json()["found"]
        r = c.post("/documents", files={"file": ("杭州市公共场所控制吸烟条例.md", HANGZHOU.encode())}, data={"doc_number": "杭政〔2020〕1号"})
        assert r.status_code == 202, r.text
        doc_id = r.json()["doc_id"]
        t0 = time.monotonic()
        st = wait_for(c, doc_id)
        assert st["status"] == "ready", st
        took = time.monotonic() - t0
        health = c.get("/health").json()
        assert health["version"] != before and health["newer_on_disk"] is False
        out = c.post("/ask", json={"question": "杭州禁烟场所抽烟罚多少"}).json()
        assert out["found"] and "五十元罚款" in out["answer"] and out["citations"][0]["doc_id"] == doc_id
        meta = c.get(f"/documents/{doc_id}").json()
        assert meta["jurisdiction"] == "杭州市" and meta["doc_number"] == "杭政〔2020〕1号"
        original = c.get(f"/documents/{doc_id}/original")
        assert original.status_code == 200 and original.content == HANGZHOU.encode()
    asker.stop.set()
    asker.join(10)
    assert asker.codes and set(asker.codes) == {200}, set(asker.codes)
    assert (corpus / "uploads").is_dir()
    print(f"upload to answerable: {took:.1f}s")


def test_replace_then_delete(library_server):
    url, _corpus = library_server
    with httpx.Client(base_url=url, timeout=30) as c:
        text = WENZHOU
        doc_id = c.post("/documents", files={"file": ("温州.md", text.encode())}).json()["doc_id"]
        assert wait_for(c, doc_id)["status"] == "ready"
        assert "五十元" in c.post("/ask", json={"question": "温州禁烟场所抽烟罚多少"}).json()["answer"]
        new = text.replace("处五十元罚款", "处一百元罚款")
        assert c.put(f"/documents/{doc_id}", files={"file": ("温州.md", new.encode())}).status_code == 202
        assert wait_for(c, doc_id)["status"] == "ready"
        out = c.post("/ask", json={"question": "温州禁烟场所抽烟罚多少"}).json()
        assert "一百元罚款" in out["answer"] and "五十元" not in out["answer"]
        assert c.delete(f"/documents/{doc_id}").status_code == 202
        assert wait_for(c, doc_id)["status"] == "ready"
        assert c.get(f"/documents/{doc_id}").status_code == 404
        assert not c.post("/ask", json={"question": "温州禁烟场所抽烟罚多少"}).json()["found"]


@pytest.mark.parametrize(
    "name, data, status, words",
    [
        ("notes.pages", b"whatever", 415, "unsupported file type"),
        ("empty.md", b"", 422, "empty"),
        ("big.md", "第一条 很长的文本。\n".encode() * 20_000, 413, "larger than"),
    ],
)
def test_bad_uploads_are_refused_with_a_reason(library_server, name, data, status, words):
    url, _ = library_server
    with httpx.Client(base_url=url, timeout=30) as c:
        version = c.get("/health").json()["version"]
        r = c.post("/documents", files={"file": (name, data)})
        assert r.status_code == status and words in r.json()["detail"], r.text
        assert c.get("/health").json()["version"] == version


def test_duplicate_and_unreadable_uploads(library_server):
    url, _ = library_server
    with httpx.Client(base_url=url, timeout=30) as c:
        r = c.post("/documents", files={"file": ("again.md", NINGBO.encode() + "\n第九十九条 附则。\n".encode())})
        doc_id = r.json()["doc_id"]
        assert wait_for(c, doc_id)["status"] == "ready"
        dup = c.post("/documents", files={"file": ("copy.md", NINGBO.encode() + "\n第九十九条 附则。\n".encode())})
        assert dup.status_code == 409 and dup.json()["doc_id"] == doc_id
        version = c.get("/health").json()["version"]
        bad = c.post("/documents", files={"file": ("scan.txt", b"\x00\x01\x02\x03" * 300)}).json()["doc_id"]
        st = wait_for(c, bad)
        assert st["status"] == "failed" and "binary" in st["reason"]
        assert c.get("/health").json()["version"] == version  # nothing changed
        assert c.get("/documents/nope/status").status_code == 404


def test_a_word_document_upload_is_answerable(library_server):
    import io

    import docx

    d = docx.Document()
    d.add_paragraph("湖州市电动自行车管理条例")
    d.add_paragraph("第一条 为了加强电动自行车管理，保障道路交通安全，制定本条例。")
    d.add_paragraph("第十八条 驾驶电动自行车未按规定佩戴安全头盔的，由公安机关交通管理部门处二十元罚款。")
    table = d.add_table(rows=2, cols=2)
    table.rows[0].cells[0].text, table.rows[0].cells[1].text = "车型", "最高设计车速"
    table.rows[1].cells[0].text, table.rows[1].cells[1].text = "电动自行车", "25公里/小时"
    buf = io.BytesIO()
    d.save(buf)
    url, _ = library_server
    with httpx.Client(base_url=url, timeout=30) as c:
        r = c.post("/documents", files={"file": ("湖州市电动自行车管理条例.docx", buf.getvalue())})
        doc_id = r.json()["doc_id"]
        assert wait_for(c, doc_id)["status"] == "ready"
        out = c.post("/ask", json={"question": "湖州骑电动车不戴头盔罚多少"}).json()
        assert out["found"] and "二十元罚款" in out["answer"], out["answer"]
        assert out["citations"][0]["doc_id"] == doc_id and out["citations"][0]["jurisdiction"] == "湖州市"


def test_the_original_of_a_corpus_folder_document_is_served_and_nothing_outside(library_server):
    url, corpus = library_server
    with httpx.Client(base_url=url, timeout=30) as c:
        docs = c.get("/documents").json()["documents"]
        ningbo = next(d for d in docs if d["source"] == "宁波市控制吸烟条例.md")
        r = c.get(f"/documents/{ningbo['doc_id']}/original")
        assert r.status_code == 200 and r.content == (corpus / "宁波市控制吸烟条例.md").read_bytes()
        assert c.get("/documents/..%2F..%2Fetc%2Fpasswd/original").status_code == 404


def test_metadata_is_edited_without_a_new_file(library_server):
    url, _ = library_server
    with httpx.Client(base_url=url, timeout=30) as c:
        text = WENZHOU.replace("温州市控烟管理办法", "丽水市控烟管理办法").replace("影剧院", "博物馆、影剧院")
        doc_id = c.post("/documents", files={"file": ("丽水.md", text.encode())}).json()["doc_id"]
        assert wait_for(c, doc_id)["status"] == "ready"
        r = c.put(f"/documents/{doc_id}", data={"doc_number": "丽政办发〔2024〕8号", "period": "2024—2026年", "status": "征求意见稿"})
        assert r.status_code == 202, r.text
        assert wait_for(c, doc_id)["status"] == "ready"
        meta = c.get(f"/documents/{doc_id}").json()
        assert (meta["doc_number"], meta["status"], meta["years"]) == ("丽政办发〔2024〕8号", "征求意见稿", [2024, 2026])
        assert meta["jurisdiction"] == "丽水市"  # what was not sent stays
        assert c.put(f"/documents/{doc_id}", data={}).status_code == 422
        assert c.put("/documents/nope", data={"title": "x"}).status_code == 404


def test_the_build_runs_in_a_child_process_and_reports_its_failure(tmp_path):
    """A build that fails in the child comes back as one line; the caller's process is untouched."""
    from assistant.library import build_in_child

    empty = tmp_path / "corpus"
    empty.mkdir()
    (empty / "notes.bin").write_bytes(b"\x00\x01" * 64)
    settings = Settings(corpus_dir=empty, index_dir=tmp_path / "index", cache_dir=tmp_path / "cache")
    with pytest.raises(RuntimeError) as exc:
        build_in_child(settings, empty, tmp_path / "index")
    assert "\n" not in str(exc.value) and str(exc.value)
    assert not (tmp_path / "index" / "manifest.json").exists()  # nothing half-written
