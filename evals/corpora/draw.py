"""What the seeded draws of lawrefbook texts share (``draw_general``, ``draw_law``): the newest
version of each title, article counts, the TOML list they write and their command line."""
from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import Callable, Iterable

DEFAULT_ROOT = Path(__file__).resolve().parents[2].parent / "shared" / "corpora" / "lawrefbook"
_ARTICLE = re.compile(r"^第[零〇一二三四五六七八九十百千]+条", re.M)
_DATED = re.compile(r"^(?P<title>.+?)\((?P<date>\d{4}-\d{2}-\d{2})\)$")


def newest_versions(root: Path, keep_top: Callable[[str], bool]) -> list[tuple[str, str, Path]]:
    """``(title, date, path)`` of the newest version of each title (per folder), sorted by folder
    and title, over the top-level folders ``keep_top`` accepts (a file named ``标题(YYYY-MM-DD).md``
    is dated; an undated one sorts before any dated version)."""
    newest: dict[str, tuple[str, Path]] = {}
    for path in sorted(root.rglob("*.md")):
        rel = path.relative_to(root)
        if not keep_top(rel.parts[0]):
            continue
        m = _DATED.match(path.stem)
        title, date = (m.group("title"), m.group("date")) if m else (path.stem, "")
        key = f"{rel.parent.as_posix()}/{title}"
        if key not in newest or date > newest[key][0]:
            newest[key] = (date, path)
    return [(key.rsplit("/", 1)[1], date, path) for key, (date, path) in sorted(newest.items())]


def count_articles(path: Path) -> int:
    """How many 第X条 start a line of ``path``."""
    return len(_ARTICLE.findall(path.read_text(encoding="utf-8", errors="replace")))


def to_toml(header: Iterable[str], seed: int, table: str, docs: list[dict], keys: Iterable[str]) -> str:
    """The drawn list: ``header`` comment lines, the seed, then one ``[[table]]`` per document with
    ``keys`` in order (strings quoted, numbers bare)."""
    lines = [f"# {h}" for h in header] + [f"seed = {seed}", ""]
    keys = list(keys)
    for d in docs:
        lines.append(f"[[{table}]]")
        lines += [f"{k} = {d[k]}" if isinstance(d[k], int) else f'{k} = "{d[k]}"' for k in keys]
        lines.append("")
    return "\n".join(lines)


def run(argv: list[str] | None, *, prog: str, doc: str, seed: int, out: Path,
        draw: Callable[[Path, int], list[dict]], write: Callable[[list[dict], int], str],
        line: Callable[[dict], str]) -> int:
    """The command line of a draw: ``--root``, ``--seed``, ``--out``; exit 1 with one line when
    lawrefbook is missing."""
    p = argparse.ArgumentParser(prog=prog, description=doc.split("\n\n")[0])
    p.add_argument("--root", type=Path, default=DEFAULT_ROOT)
    p.add_argument("--seed", type=int, default=seed)
    p.add_argument("--out", type=Path, default=out)
    args = p.parse_args(argv)
    if not args.root.is_dir():
        print(f"error: lawrefbook not found at {args.root}", file=sys.stderr)
        return 1
    docs = draw(args.root, args.seed)
    args.out.write_text(write(docs, args.seed), encoding="utf-8")
    for d in docs:
        print(line(d))
    return 0
