"""The law library: lawrefbook's laws and regulations laid out as a corpus of its own.

``python -m indexer law --scope national`` copies the library's national part (every
folder but ``DLC/``, the local regulations) or the ``whole`` library into
``var/law/<scope>/corpus`` and builds its index into ``var/law/<scope>/index``, apart from the
seed index. Copies, not links: the corpus reader refuses links that leave the corpus folder, and
uploads to a library served from there land in its own ``uploads/``. Unchanged files are left
alone, so a second run only checks that the index is up to date.
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

SCOPES = ("national", "whole")
LOCAL_FOLDER = "DLC"  # lawrefbook's local regulations (上海, 北京, 山东, 广东, 河南, 浙江, 重庆)
REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_ROOT = Path("var/law")


def lawrefbook_dir() -> Path:
    """``PQA_LAWREFBOOK_DIR``, else ``../shared/corpora/lawrefbook`` beside the repository."""
    env = os.environ.get("PQA_LAWREFBOOK_DIR")
    return Path(env) if env else REPO_ROOT.parent / "shared" / "corpora" / "lawrefbook"


def library_files(source: Path, scope: str) -> list[Path]:
    """The library's ``.md`` texts in ``scope``, relative to ``source``, sorted."""
    if scope not in SCOPES:
        raise ValueError(f"unknown scope {scope!r}: expected one of {', '.join(SCOPES)}")
    if not source.is_dir():
        raise FileNotFoundError(f"law library not found at {source} (set PQA_LAWREFBOOK_DIR)")
    rels = sorted(p.relative_to(source) for p in source.rglob("*.md") if p.is_file())
    if scope == "national":
        rels = [r for r in rels if r.parts[0] != LOCAL_FOLDER]
    return rels


def materialize(source: Path, dest: Path, scope: str) -> int:
    """Copy the scope's texts from ``source`` into ``dest`` (same relative paths); return the count.

    Files no longer in the scope are removed, except the corpus's own ``uploads/``."""
    rels = library_files(source, scope)
    dest.mkdir(parents=True, exist_ok=True)
    wanted = {r.as_posix() for r in rels}
    for rel in rels:
        src, dst = source / rel, dest / rel
        if dst.is_file() and dst.stat().st_size == src.stat().st_size and dst.read_bytes() == src.read_bytes():
            continue
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, dst)
    for p in sorted(dest.rglob("*.md")):
        rel = p.relative_to(dest)
        if rel.parts[0] != "uploads" and rel.as_posix() not in wanted:
            p.unlink()
    return len(rels)
