"""The ``mesh-https`` command: ``synth`` and ``diff``.

Exit codes of ``synth``: 0 clean, 1 analysis findings at error level, 2 the program (or the
project) failed. ``diff`` exits 0 after comparing (1 with ``--exit-code`` when they differ),
2 when an input is not a synth output.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from mesh_https import diff as synth_diff
from mesh_https import synth


def _progress(message: str) -> None:
    print(f"mesh-https: {message}", file=sys.stderr, flush=True)


def _synth(args: argparse.Namespace) -> int:
    directory = Path(args.cwd).resolve()
    try:
        result = synth.synth(
            directory, args.stack, Path(args.out).resolve(), reveal=args.reveal_secrets,
            progress=_progress,
        )  # fmt: skip
    except synth.SynthError as err:
        _progress(f"error: {err}")
        return 2
    for finding in result.findings:
        print(finding)
    if result.program_error is not None:
        _progress(f"the program failed: {result.program_error}")
    return result.exit_code


def _diff(args: argparse.Namespace) -> int:
    try:
        result = synth_diff.compare(Path(args.old), Path(args.new))
    except FileNotFoundError as err:
        _progress(f"error: {err}")
        return 2
    text = synth_diff.markdown(result)
    if args.output:
        Path(args.output).write_text(text)
    else:
        print(text)
    return 1 if args.exit_code and not result.empty else 0


def parser() -> argparse.ArgumentParser:
    """The command line."""
    root = argparse.ArgumentParser(prog="mesh-https", description=__doc__.split("\n\n")[0])
    commands = root.add_subparsers(dest="command", required=True)
    run = commands.add_parser(
        "synth",
        help="run a Pulumi Python program offline and write what it would apply",
        description=synth.__doc__,
    )
    run.add_argument("--stack", "-s", default="dev", help="stack whose config to use (default dev)")
    run.add_argument(
        "--out",
        "-o",
        default="synth-out",
        help="output folder: new, empty, or an earlier synth output (replaced)",
    )
    run.add_argument("-C", "--cwd", default=".", help="the Pulumi project folder (default .)")
    run.add_argument(
        "--reveal-secrets", action="store_true", help="write secret values instead of masking them"
    )
    run.set_defaults(func=_synth)
    compare = commands.add_parser(
        "diff", help="compare two synth outputs, as Markdown for a pull request"
    )
    compare.add_argument("old", help="the base synth output")
    compare.add_argument("new", help="the head synth output")
    compare.add_argument("--output", help="write the Markdown here instead of stdout")
    compare.add_argument("--exit-code", action="store_true", help="exit 1 when the outputs differ")
    compare.set_defaults(func=_diff)
    return root


def main(argv: list[str] | None = None) -> int:
    """Run the command; returns the exit code."""
    args = parser().parse_args(argv)
    code: int = args.func(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
