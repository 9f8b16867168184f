"""Command line: ``python -m peerstudy report [--study NAME ...]``.

Errors in the input (a missing file, a bad value, an unknown code) are printed as one
message without a traceback, and the command exits with status 2.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from peerstudy.errors import PeerstudyError


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit status."""
    parser = argparse.ArgumentParser(prog="python -m peerstudy", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    rep = sub.add_parser("report", help="regenerate reports from the raw data (all studies by default)")
    rep.add_argument("--study", action="append", metavar="NAME",
                     help="only this study (repeatable); without it, every study, and the outputs stored in "
                          "notebooks/ are refreshed too")
    rep.add_argument("--output-root", type=Path, metavar="DIR",
                     help="write data/processed/ and reports/ under DIR instead of the project root")
    sub.add_parser("studies", help="list the studies that have a parameter file")
    args = parser.parse_args(argv)

    from peerstudy import pipeline

    try:
        if args.command == "studies":
            print("\n".join(pipeline.list_studies()))
        else:
            pipeline.run_studies(args.study, output_root=args.output_root,
                                 refresh_sources=not args.study and not args.output_root,
                                 log=lambda line: print(line, file=sys.stderr))
    except (PeerstudyError, pipeline.StageFailed) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
