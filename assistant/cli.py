"""Command line: ask a question, search, or serve the HTTP API.

Errors print one line on stderr and exit non-zero (2 for usage and configuration errors, 1 for
anything else); never a traceback.
"""
from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

log = logging.getLogger(__name__)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2
        self.exit(2, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="python -m assistant", description="Answer questions over the policy index, or serve the HTTP API.")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    a = sub.add_parser("ask", help="answer one question and print the answer with its citations")
    a.add_argument("question")
    a.add_argument("--json", action="store_true", help="print the /ask JSON instead of text")
    a.add_argument("--top-k", type=int, default=5, help="citations to return (1-50, default 5)")
    a.add_argument("--index", type=Path, default=None, help="index folder (default PQA_INDEX_DIR or var/index)")
    a.add_argument("--document", action="append", default=None, help="only this document id (repeatable)")
    a.add_argument("--jurisdiction", action="append", default=None, help="only documents of this jurisdiction")
    a.add_argument("--year-from", type=int, default=None)
    a.add_argument("--year-to", type=int, default=None)

    s = sub.add_parser("search", help="print the ranked clauses for a query")
    s.add_argument("question")
    s.add_argument("--json", action="store_true")
    s.add_argument("--top-k", type=int, default=10)
    s.add_argument("--index", type=Path, default=None)

    v = sub.add_parser("serve", help="serve the HTTP API with uvicorn")
    v.add_argument("--host", default=None, help="default PQA_HOST or 127.0.0.1")
    v.add_argument("--port", type=int, default=None, help="default PQA_PORT or 8000")
    v.add_argument("--index", type=Path, default=None)
    v.add_argument("--log-level", default=None)
    v.add_argument("--workers", type=int, default=None,
                   help="worker processes sharing one memory-mapped index (default PQA_WORKERS or 1; "
                        "with more than 1 the document library is read-only)")
    return p


def _fail(msg: str, code: int = 2) -> int:
    print(f"error: {msg}", file=sys.stderr)
    return code


def _load(index: Path | None, settings):
    from .engine import Assistant

    return Assistant.load(index, settings)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        from indexer.settings import get_settings

        settings = get_settings()
    except Exception as exc:  # pydantic ValidationError on bad PQA_* values
        return _fail(f"invalid settings: {str(exc).splitlines()[0]}")
    logging.basicConfig(level=getattr(logging, str(args.log_level if getattr(args, "log_level", None) else settings.log_level).upper(), logging.INFO),
                        format="%(levelname)s %(name)s: %(message)s")
    for noisy in ("jieba", "bm25s", "faiss", "faiss.loader"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    try:
        if args.command == "ask":
            return _ask(args, settings)
        if args.command == "search":
            return _search(args, settings)
        if args.command == "serve":
            return _serve(args, settings)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # noqa: BLE001 - one line, never a traceback
        from .engine import AssistantError
        from .retrieval import FilterError

        if isinstance(exc, (AssistantError, FilterError, ValueError)):
            return _fail(str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
        log.debug("unexpected error", exc_info=True)
        return _fail(f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}", 1)
    return 2


def _check_question(q: str) -> str:
    q = q.strip()
    if not q:
        raise ValueError("the question is empty")
    if len(q) > 1000:
        raise ValueError("the question is longer than 1000 characters")
    return q


def _ask(args, settings) -> int:
    q = _check_question(args.question)
    if not 1 <= args.top_k <= 50:
        return _fail("--top-k must be between 1 and 50")
    filters = {}
    if args.document:
        filters["documents"] = args.document
    if args.jurisdiction:
        filters["jurisdiction"] = args.jurisdiction
    if args.year_from is not None:
        filters["year_from"] = args.year_from
    if args.year_to is not None:
        filters["year_to"] = args.year_to
    qa = _load(args.index, settings)
    out = qa.ask(q, top_k=args.top_k, filters=filters or None)
    if args.json:
        print(json.dumps(out, ensure_ascii=False, indent=2))
        return 0
    print(out["answer"])
    print()
    for c in out["citations"]:
        tag = f"[{c['marker']}]" if c["role"] == "answer" else f"（{c['role_label']}）"
        print(f"{tag} {c['cite']}")
        print(f"     {c['clause_id']} · {c['source']} 第{c['lines'][0]}–{c['lines'][1]}行 · score {c['score']}")
    return 0


def _search(args, settings) -> int:
    q = _check_question(args.question)
    if not 1 <= args.top_k <= 50:
        return _fail("--top-k must be between 1 and 50")
    qa = _load(args.index, settings)
    out = qa.search(q, top_k=args.top_k)
    if args.json:
        print(json.dumps(out, ensure_ascii=False, indent=2))
        return 0
    for r in out["results"]:
        print(f"{r['rank']:>2}. {r['score']:.3f} {r['clause_id']}  {r['quote'][:80]}")
    return 0


def _serve(args, settings) -> int:
    from .server import serve
    from .service import create_app

    host = args.host or settings.host
    port = args.port if args.port is not None else settings.port
    workers = args.workers if args.workers is not None else settings.workers
    if not 1 <= workers <= 64:
        return _fail("--workers must be between 1 and 64")
    qa = _load(args.index, settings)  # fail fast, one line, before binding the port
    read_only = None
    if workers > 1:  # each worker would be its own writer of the corpus and the index
        read_only = (f"the document library is read-only: this service runs {workers} worker processes; "
                     "restart it with --workers 1 to add, replace or delete documents")
    app = create_app(settings, assistant=qa, read_only=read_only)
    level = (args.log_level or settings.log_level or "info").lower()
    return serve(app, host, port, level, header_timeout_s=settings.header_timeout_s,
                 max_connections=settings.max_connections, workers=workers)
