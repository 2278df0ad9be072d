"""The general eval corpus: the seeds plus lawrefbook documents listed in ``general.toml``.

The repository holds the list, never the texts. :func:`materialize` lays the corpus out under
``var/`` (the seeds and a manifest giving each drawn file its short id), ready for
``python -m indexer build --corpus …``.
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from indexer.lawlibrary import lawrefbook_dir

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parents[1]
LIST_PATH = HERE / "general.toml"
SEED_CORPUS = REPO_ROOT / "corpus"
DEFAULT_DEST = REPO_ROOT / "var" / "evals" / "general" / "corpus"
SPLITS = ("tune", "test")


@dataclass(frozen=True)
class GeneralDocument:
    id: str
    path: str
    domain: str
    scope: str
    split: str


def lawrefbook_root() -> Path:
    """``PQA_LAWREFBOOK_DIR``, else ``../shared/corpora/lawrefbook`` beside the repository."""
    return lawrefbook_dir()


def general_documents(list_path: Path = LIST_PATH) -> list[GeneralDocument]:
    """The drawn documents, in draw order."""
    data = tomllib.loads(list_path.read_text(encoding="utf-8"))
    return [GeneralDocument(d["id"], d["path"], d["domain"], d["scope"], d["split"]) for d in data["document"]]


def doc_ids(split: str) -> set[str]:
    """Ids of the drawn documents in one half (``tune`` or ``test``)."""
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}: expected one of {SPLITS}")
    return {d.id for d in general_documents() if d.split == split}


def materialize(dest: Path = DEFAULT_DEST, root: Path | None = None) -> Path:
    """Copy the seeds and the drawn files into ``dest`` with one manifest; return ``dest``.

    Unchanged files are left alone, so the corpus fingerprint (and the index) stays valid."""
    root = root or lawrefbook_root()
    if not root.is_dir():
        raise FileNotFoundError(f"lawrefbook not found at {root} (set PQA_LAWREFBOOK_DIR)")
    dest.mkdir(parents=True, exist_ok=True)
    wanted: dict[str, bytes] = {}
    for p in sorted(SEED_CORPUS.iterdir()):
        if p.is_file() and p.name != "manifest.toml":
            wanted[p.name] = p.read_bytes()
    manifest = (SEED_CORPUS / "manifest.toml").read_text(encoding="utf-8").rstrip() + "\n"
    for d in general_documents():
        src = root / d.path
        if not src.is_file():
            raise FileNotFoundError(f"{src}: listed in {LIST_PATH.name} but missing")
        name = Path(d.path).name
        wanted[name] = src.read_bytes()
        manifest += f'\n["{name}"]\nid = "{d.id}"\nnote = "lawrefbook {d.path} ({d.domain}, {d.scope}, {d.split})"\n'
    wanted["manifest.toml"] = manifest.encode("utf-8")
    for name, data in wanted.items():
        target = dest / name
        if not target.exists() or target.read_bytes() != data:
            target.write_bytes(data)
    for p in dest.iterdir():
        if p.is_file() and p.name not in wanted:
            p.unlink()
    return dest
