"""``python -m evals run|check``: score the assistant on the eval set, or validate the set."""
from __future__ import annotations

import argparse
import logging
import sys
from collections import Counter
from pathlib import Path

from .client import MODES, ClientError, ModeNotSupported, make_client
from .dataset import DEFAULT_CORPUS, DEFAULT_SET, TYPES, EvalSetError, SourceTexts, load_eval_set
from .dialogues import DIALOGUE_SUITES
from .suites import SUITES, default_suites, ensure_index

COMPARE_MODES = ("bm25", "dense", "hybrid")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m evals", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="ask every question and print the metrics")
    run.add_argument("--suite", action="append", choices=list(SUITES) + list(DIALOGUE_SUITES), help="a project eval suite (repeatable); default: all of them side by side (with --api: seeds-dev)")
    run.add_argument("--set", dest="set_path", default=None, help="another eval set (JSON Lines), with --corpus and --index")
    run.add_argument("--mode", choices=MODES, default=None, help="retrieval mode (default: the assistant's, hybrid)")
    run.add_argument("--compare", action="store_true", help="run bm25, dense and hybrid side by side")
    run.add_argument("--json", action="store_true", help="print the metrics as JSON instead of tables")
    run.add_argument("--report", metavar="DIR", help="write report.md, metrics.json and charts to DIR")
    run.add_argument("--api", metavar="URL", help="ask a running service (POST URL/ask) instead of the in-process assistant")
    run.add_argument("--index", metavar="DIR", help="index for the in-process assistant (default: PQA_INDEX_DIR, var/index)")
    run.add_argument("--corpus", metavar="DIR", default=str(DEFAULT_CORPUS), help="corpus the gold evidence of --set is checked against")
    run.add_argument("--top-k", type=int, default=10, help="clauses requested per question (default 10)")
    run.add_argument("--no-progress", action="store_true", help="no progress bar")
    run.add_argument("--misses", action="store_true", help="also list the misses on stdout")

    check = sub.add_parser("check", help="validate the eval set and print its counts")
    check.add_argument("--set", dest="set_path", default=str(DEFAULT_SET))
    check.add_argument("--suite", choices=list(SUITES) + list(DIALOGUE_SUITES), help="check a project suite instead of --set")
    check.add_argument("--corpus", metavar="DIR", default=str(DEFAULT_CORPUS))
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    if args.command == "run" and args.set_path is None and args.compare:
        args.set_path = str(DEFAULT_SET)
    if args.command == "run" and args.set_path is None:
        # a running service serves one index: its suite is named (the seeds by default)
        default = ["seeds-dev"] if args.api else default_suites() + list(DIALOGUE_SUITES)
        return _run_suites(args, args.suite or default)
    if args.command == "check" and args.suite in DIALOGUE_SUITES:
        return _check_dialogues(args.suite)
    if args.command == "check" and args.suite:
        args.set_path, args.corpus = str(SUITES[args.suite].set_path), str(SUITES[args.suite].corpus_dir())
    try:
        questions = load_eval_set(args.set_path, args.corpus)
    except (EvalSetError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.command == "check":
        counts = Counter(q.type for q in questions)
        for t in TYPES:
            print(f"{t:15s} {counts.get(t, 0):4d}")
        print(f"{'total':15s} {len(questions):4d}")
        return 0
    return _run(args, questions)


def _ensure_index(index_dir: str | None) -> str | None:
    """Build the index for the in-process assistant when there is none yet (as `make run` does)."""
    from indexer.settings import get_settings

    settings = get_settings()
    target = Path(index_dir) if index_dir else Path(settings.index_dir)
    if (target / "manifest.json").exists():
        return str(target)
    from indexer.index import build_index

    print(f"no index at {target}: building it …", file=sys.stderr)
    build_index(settings, out_dir=target, show_progress=False)
    return str(target)


def _run(args, questions) -> int:
    from .report import metrics_json, misses_text, rows_for, text_table, write_report
    from .runner import run_eval

    modes: list[str | None] = list(COMPARE_MODES) if args.compare else [args.mode]
    try:
        client = make_client(args.api, None if args.api else _ensure_index(args.index))
    except (ClientError, OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    sources = SourceTexts(args.corpus)
    outcomes = []
    skipped = []
    try:
        for mode in modes:
            try:
                outcomes.append(
                    run_eval(client, questions, sources, top_k=args.top_k, mode=mode, progress=not args.no_progress)
                )
            except ModeNotSupported as exc:
                if not args.compare:
                    print(f"error: {exc}", file=sys.stderr)
                    return 1
                skipped.append(mode)
                print(f"skipped mode {mode}: {exc}", file=sys.stderr)
    finally:
        client.close()
    if not outcomes:
        print("error: no mode could be run", file=sys.stderr)
        return 1
    if args.json:
        print(metrics_json(outcomes))
    else:
        header, rows = rows_for(outcomes)
        print(text_table(header, rows))
        errors = sum(o.metrics["overall"]["errors"] for o in outcomes)
        secs = sum(o.seconds for o in outcomes)
        print(f"\n{len(questions)} questions × {len(outcomes)} mode(s) in {secs:.1f}s via {client.name}"
              + (f"; {errors} request error(s)" if errors else "")
              + (f"; skipped: {', '.join(str(m) for m in skipped)}" if skipped else ""))
        if args.misses:
            for o in outcomes:
                print(f"\n[{o.mode}] " + misses_text(o.results))
    if args.report:
        path = write_report(outcomes, Path(args.report), set_path=args.set_path, client_name=client.name)
        print(f"report: {path}", file=sys.stderr)
    return 0


def _run_suites(args, names: list[str]) -> int:
    """Each suite on its own index (built or refreshed first), then the overall figures side by side."""
    from .report import side_by_side, text_table, rows_for, misses_text, write_report
    from .runner import run_eval

    outcomes = {}
    for name in names:
        if name in DIALOGUE_SUITES:
            got = _run_dialogue_suite(args, name)
            if isinstance(got, int):
                return got
            outcomes[name] = got
            continue
        s = SUITES[name]
        try:
            corpus = s.corpus_dir()
            questions = load_eval_set(s.set_path, corpus)
        except (EvalSetError, FileNotFoundError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        try:
            client = make_client(args.api, None if args.api else ensure_index(s, Path(args.index) if args.index and not (s.general or s.law) else None))
        except (ClientError, OSError, ValueError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        try:
            o = run_eval(client, questions, SourceTexts(corpus), top_k=args.top_k, mode=args.mode, progress=not args.no_progress)
        except ModeNotSupported as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        finally:
            client.close()
        o.mode = name
        outcomes[name] = o
        if not args.json:
            header, rows = rows_for([o])
            print(f"\n## {name}: {len(questions)} questions ({s.set_path.name}), {o.seconds:.1f}s via {client.name}\n")
            print(text_table(header, rows))
            if args.misses:
                print("\n" + misses_text(o.results))
        if args.report:
            write_report([o], Path(args.report) / name, set_path=str(s.set_path), client_name=client.name)
    if args.json:
        import json

        print(json.dumps({n: o.metrics for n, o in outcomes.items()}, ensure_ascii=False, indent=2))
    else:
        print("\n## side by side (overall)\n")
        print(side_by_side(outcomes))
    if args.report:
        print(f"reports: {args.report}/<suite>/report.md", file=sys.stderr)
    return 0


def _check_dialogues(name: str) -> int:
    from .dialogues import load_dialogues

    try:
        dialogues = load_dialogues(DIALOGUE_SUITES[name])
    except EvalSetError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    turns = [t for d in dialogues for t in d.turns]
    print(f"{'dialogues':15s} {len(dialogues):4d}\n{'follow-up':15s} {sum(t.expect_followup for t in turns):4d}\n"
          f"{'stand-alone':15s} {sum(not t.expect_followup for t in turns):4d}\n{'turns':15s} {len(turns):4d}")
    return 0


def _run_dialogue_suite(args, name: str):
    """A dialogue set on the seed index (turns sent with their history); the outcome, or an exit code."""
    from .dialogues import load_dialogues, misses_text, run_dialogues
    from .report import rows_for, text_table, write_report

    try:
        dialogues = load_dialogues(DIALOGUE_SUITES[name], DEFAULT_CORPUS)
    except EvalSetError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        client = make_client(args.api, None if args.api else ensure_index(SUITES["seeds-dev"], Path(args.index) if args.index else None))
    except (ClientError, OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    try:
        o = run_dialogues(client, dialogues, SourceTexts(DEFAULT_CORPUS), top_k=args.top_k, mode=args.mode,
                          progress=not args.no_progress, name=name)
    finally:
        client.close()
    if not args.json:
        m = o.metrics["overall"]
        header, rows = rows_for([o])
        print(f"\n## {name}: {m['n_dialogues']} dialogues, {m['n']} turns ({DIALOGUE_SUITES[name].name}), {o.seconds:.1f}s via {client.name}\n")
        print(f"follow-up resolution accuracy {_pct(m['followup_accuracy'])} ({m['n_followup']} follow-up turns); "
              f"stand-alone kept {_pct(m['standalone_kept'])} ({m['n_standalone_mid']} mid-dialogue stand-alone turns)\n")
        print(text_table(header, rows))
        if args.misses:
            print("\n" + misses_text(o.turns))
    if args.report:
        write_report([o], Path(args.report) / name, set_path=str(DIALOGUE_SUITES[name]), client_name=client.name)
    return o


def _pct(v) -> str:
    return "–" if v is None else f"{v:.3f}"


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
