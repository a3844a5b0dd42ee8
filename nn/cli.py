"""The `gradwalk` command: `gradwalk demo` trains an MLP on two moons, `gradwalk demo linear` fits a line.

Every failure ends in one line on stderr and a non-zero exit: 2 for a usage error (printed by
the parser of the command it concerns, with that command's usage), 1 for anything else.
"""

from __future__ import annotations

import argparse
import difflib
import sys
from collections.abc import Sequence

from nn import demo

DEMOS = ("moons", "linear")
#: The demo options that only the moons demo understands.
MOONS_ONLY = ("hidden", "optimizer", "engine")


def _positive_int(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if n < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return n


def _layer_sizes(text: str) -> tuple[int, ...]:
    try:
        return tuple(_positive_int(part) for part in text.split(","))
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(f"expected sizes such as 16,16, got {text!r}") from None


def _non_negative_float(text: str) -> float:
    try:
        x = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number ≥ 0, got {text!r}") from None
    if not x >= 0 or x == float("inf"):
        raise argparse.ArgumentTypeError(f"expected a finite number ≥ 0, got {text!r}")
    return x


def version() -> str:
    """The installed gradwalk's version, from its package metadata."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as installed

    try:
        return installed("gradwalk")
    except PackageNotFoundError:  # run from a source tree that was never installed
        import autograd

        return autograd.__version__


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="gradwalk", description="gradwalk: scalar autodiff you can step through."
    )
    parser.add_argument("--version", action="version", version=f"gradwalk {version()}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    d = commands.add_parser(
        "demo",
        help="train a small model and show the result",
        description="moons (default): train MLP(2, [16, 16, 1]) on 100 noisy moons with hinge loss and "
        "write decision_boundary.png, loss_curve.png and model.json to --out. linear: fit y = w·x by "
        "SGD, printing the loss per epoch; with --out, also write linear_fit.png and loss_curve.png.",
    )
    # No `choices` here: a value left over from a mistyped option (`--stesp 5`) must not be
    # reported as a bad demo name; main() checks the name after the options.
    d.add_argument("which", nargs="?", default="moons", metavar="{moons,linear}", help="which demo (moons)")
    d.add_argument("--steps", type=_positive_int, help="maximum training steps/epochs (100)")
    d.add_argument("--seed", type=int, help="random seed for data and weights (moons: 1, linear: 0)")
    d.add_argument("--hidden", type=_layer_sizes, help="hidden layer sizes, e.g. 16,16 (moons only)")
    d.add_argument(
        "--optimizer", choices=tuple(demo.OPTIMIZERS), help="sgd (default), adam or rmsprop (moons only)"
    )
    d.add_argument(
        "--engine",
        choices=demo.ENGINES,
        help="eager (default) builds the graph each step; compiled and batched use autograd.compile "
        "(moons only)",
    )
    d.add_argument(
        "--lr",
        type=_non_negative_float,
        help="initial learning rate (sgd 1.0, adam 0.05, rmsprop 0.01; linear 0.1)",
    )
    d.add_argument(
        "--out", help="directory for the plots (and the model); moons: default gradwalk-demo, linear: none"
    )
    d.add_argument(
        "--tol", type=_non_negative_float, help="stop once |Δloss| < tol (moons 1e-7, linear 1e-6)"
    )
    d.set_defaults(command_parser=d)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args, extras = parser.parse_known_args(argv)
    command = args.command_parser
    _check_demo_arguments(command, args, extras)
    try:
        return _run_demo(args)
    except demo.DemoError as e:
        return _fail(f"gradwalk demo: error: {e}")
    except OSError as e:  # e.g. the disk filled up while writing
        where = f" {e.filename}" if e.filename else ""
        return _fail(f"gradwalk demo: error: cannot write{where}: {e.strerror or e}")
    except KeyboardInterrupt:
        return _fail("gradwalk demo: interrupted", code=130)
    except Exception as e:  # the promise is one line, never a traceback
        return _fail(f"gradwalk demo: error: {type(e).__name__}: {e}")


def _check_demo_arguments(
    command: argparse.ArgumentParser, args: argparse.Namespace, extras: list[str]
) -> None:
    """Usage errors the demo's parser reports itself (exit 2), each naming the bad argument."""
    known = [f"--{name}" for name in vars(args) if name not in ("which", "command", "command_parser")]
    for extra in extras:
        if extra.startswith("-"):
            option = extra.split("=", 1)[0]
            close = difflib.get_close_matches(option, known, n=1, cutoff=0.75)
            hint = f" (did you mean {close[0]}?)" if close else ""
            command.error(f"unrecognized option {option}{hint}")
    if extras:
        command.error(f"unexpected argument {extras[0]!r}")
    if args.which not in DEMOS:
        command.error(f"unknown demo {args.which!r}; choose moons or linear")
    if args.which == "linear":
        for option in MOONS_ONLY:
            if getattr(args, option) is not None:
                command.error(f"--{option} applies to the moons demo only")


def _run_demo(args: argparse.Namespace) -> int:
    if args.which == "linear":
        demo.run_linear(
            epochs=args.steps or 100,
            seed=0 if args.seed is None else args.seed,
            lr=0.1 if args.lr is None else args.lr,
            tol=1e-6 if args.tol is None else args.tol,
            out=args.out,
        )
        return 0
    demo.run_moons(
        args.out or "gradwalk-demo",
        steps=args.steps or 100,
        seed=1 if args.seed is None else args.seed,
        hidden=args.hidden or (16, 16),
        optimizer=args.optimizer or "sgd",
        lr=args.lr,
        tol=1e-7 if args.tol is None else args.tol,
        engine=args.engine or "eager",
        progress=sys.stderr.isatty(),
    )
    return 0


def _fail(line: str, code: int = 1) -> int:
    sys.stdout.flush()
    print(line, file=sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(main())
