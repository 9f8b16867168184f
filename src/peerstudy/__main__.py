"""Command line: ``python -m peerstudy report [--study NAME ...]``, ``accept-raw``, ``studies``, ``draft-fields``, ``new-study``.

Errors in the input (a missing file, a bad value, an unknown code) are printed as one
message without a traceback, and the command exits with status 2.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from peerstudy.errors import PeerstudyError, StageFailed

if TYPE_CHECKING:
    from peerstudy.pipeline.study import Study


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit status."""
    args = build_parser().parse_args(argv)
    if args.command == "report" and not args.force and _nothing_to_do(args):
        return 0

    try:
        _run_command(args)
    except (PeerstudyError, StageFailed) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The parser of the command line: one subcommand per job.

    Examples
    --------
    >>> build_parser().parse_args(["report", "--study", "a", "--jobs", "2"]).jobs
    2
    """
    parser = argparse.ArgumentParser(prog="python -m peerstudy", description=(__doc__ or "").splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    rep = sub.add_parser("report", help="regenerate reports from the raw data (all studies by default)")
    rep.add_argument(
        "--study",
        action="append",
        metavar="NAME",
        help="only this study: its name in studies/, or the path of its parameter file (repeatable); "
        "without it, every study, and the outputs stored in "
        "notebooks/ are refreshed too",
    )
    rep.add_argument(
        "--output-root",
        type=Path,
        metavar="DIR",
        help="write data/processed/ and reports/ under DIR instead of the project root",
    )
    rep.add_argument(
        "--force",
        action="store_true",
        help="run every study, even those whose inputs, parameters and code are unchanged",
    )
    rep.add_argument("--jobs", type=int, metavar="N", help="run up to N studies at once (default: the number of cores)")
    acc = sub.add_parser(
        "accept-raw",
        help="record a study's raw data, as they are now, in its SHA256SUMS "
        "(after a deliberate change; prints what changed)",
    )
    acc.add_argument("--study", action="append", metavar="NAME", required=True, help="the study (repeatable)")
    sub.add_parser("studies", help="list the studies that have a parameter file")
    draft = sub.add_parser(
        "draft-fields",
        help="print a draft fields file for a survey export (to review, then save as studies/<study>/fields.yaml)",
    )
    draft.add_argument("export", type=Path, help="the survey export (CSV or .xlsx)")
    draft.add_argument("--dictionary", type=Path, metavar="CSV", help="a REDCap data dictionary for the export")
    draft.add_argument("--sheet", metavar="NAME", help="the sheet of an .xlsx export (default: the first)")
    new = sub.add_parser("new-study", help="write the skeleton of a new study: parameter file, fields file, raw folder")
    new.add_argument("name", help="the study's name (lowercase letters, digits and hyphens)")
    new.add_argument(
        "--kind", required=True, choices=["survey", "interviews", "dyads", "review"], help="the kind of study"
    )
    return parser


def _run_command(args: argparse.Namespace) -> None:
    """Do what the parsed command line asks (the project's errors pass through)."""
    from peerstudy import pipeline

    if args.command == "draft-fields":
        from peerstudy.cleaning.draftfields import draft_fields

        dictionary = args.dictionary.absolute() if args.dictionary else None
        sys.stdout.write(draft_fields(args.export.absolute(), dictionary, sheet=args.sheet))
    elif args.command == "new-study":
        _new_study(args.name, args.kind)
    elif args.command == "studies":
        print("\n".join(pipeline.list_studies()))
    elif args.command == "accept-raw":
        for name in args.study:
            _accept_raw(pipeline.load_study(name))
    else:
        if args.study:  # a bad name is told before the pipeline (papermill, nbconvert) is imported
            from peerstudy.pipeline.study import check_study_names

            check_study_names(args.study)
        pipeline.run_studies(
            args.study,
            output_root=args.output_root,
            refresh_sources=not args.study and not args.output_root,
            force=args.force,
            jobs=args.jobs,
            log=lambda line: print(line, file=sys.stderr),
        )


def _nothing_to_do(args: argparse.Namespace) -> bool:
    """Whether every study asked for is unchanged since its outputs were made (and the
    outputs stored in notebooks/ too, when they would be refreshed): decided before the
    pipeline (papermill, nbconvert, pandas) is imported, so a run with nothing to do is quick."""
    import time

    from peerstudy import config
    from peerstudy.pipeline import stagecache

    started = time.monotonic()
    root = args.output_root.resolve() if args.output_root else config.output_root()
    names = args.study or sorted(p.stem for p in config.STUDIES_DIR.glob("*.yaml"))
    manifest = stagecache.read_manifest(root)
    if any(n not in manifest.get("studies", {}) for n in names):
        return False
    with stagecache.one_look():  # each file read and hashed once for all the studies
        code = stagecache.code_digest()
        if any(manifest["studies"][n].get("code_sha256") != code for n in names):
            return False
        fresh = {n: stagecache.fresh_stages(n, root, manifest) for n in names}
        if any(seconds is None for seconds in fresh.values()):
            return False
        refresh = not args.study and not args.output_root
        if refresh and stagecache.read_refreshed(root) != stagecache.refresh_fingerprint():
            return False
    for n, seconds in fresh.items():
        for stage, took in (seconds or {}).items():
            print(f"{n}: {stage}: skipped (unchanged) in {took:.1f} s", file=sys.stderr)
    print(
        f"done in {time.monotonic() - started:.1f} s; nothing to do; open the reports at "
        f"{config.relative_to_root(root / 'reports' / 'index.html')}",
        file=sys.stderr,
    )
    return True


def _new_study(name: str, kind: str) -> None:
    from peerstudy.config import relative_to_root
    from peerstudy.pipeline.scaffold import new_study

    written = new_study(name, kind)
    print(f"{name}: the skeleton of a study of kind {kind}:\n" + "\n".join(f"  {relative_to_root(p)}" for p in written))
    print(
        f"Next: put the data in data/raw/{name}/ (its README.txt says which files), edit studies/{name}.yaml "
        f"and its fields file, then `python -m peerstudy accept-raw --study {name}` and "
        f"`python -m peerstudy report --study {name}`."
    )


def _accept_raw(study: Study) -> None:
    from peerstudy.config import relative_to_root
    from peerstudy.io.rawdata import CHECKSUMS, accept_raw

    changes = accept_raw(study.raw)
    listed = [f"  {kind} {name}" for kind in ("added", "changed", "removed") for name in changes[kind]]
    where = f"{relative_to_root(study.raw)}/{CHECKSUMS}"
    print(f"{study.name}: recorded in {where}" + (":\n" + "\n".join(listed) if listed else " (no change)"))


if __name__ == "__main__":
    sys.exit(main())
