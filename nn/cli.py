"""The `gradwalk` command: `gradwalk demo` trains an MLP on two moons, `gradwalk demo linear` fits a line."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from nn import demo


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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="gradwalk", description="gradwalk: scalar autodiff you can step through."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    d = commands.add_parser(
        "demo",
        help="train a small model and show the result",
        description="moons (default): train MLP(2, [16, 16, 1]) on 100 noisy moons with hinge loss and write "
        "decision_boundary.png, loss_curve.png and model.json to --out. linear: fit y = w·x by SGD, "
        "printing the loss per epoch.",
    )
    d.add_argument(
        "which", nargs="?", choices=("moons", "linear"), default="moons", help="which demo (moons)"
    )
    d.add_argument("--steps", type=_positive_int, help="maximum training steps/epochs (100)")
    d.add_argument("--seed", type=int, help="random seed for data and weights (moons: 1, linear: 0)")
    d.add_argument("--hidden", type=_layer_sizes, help="hidden layer sizes, e.g. 16,16 (moons only)")
    d.add_argument(
        "--optimizer", choices=tuple(demo.OPTIMIZERS), help="sgd (default), adam or rmsprop (moons only)"
    )
    d.add_argument(
        "--lr",
        type=_non_negative_float,
        help="initial learning rate (sgd 1.0, adam 0.05, rmsprop 0.01; linear 0.1)",
    )
    d.add_argument("--out", help="directory for the plots and the model (moons only; default gradwalk-demo)")
    d.add_argument(
        "--tol", type=_non_negative_float, help="stop once |Δloss| < tol (moons 1e-7, linear 1e-6)"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.which == "linear":
        for option in ("hidden", "optimizer", "out"):
            if getattr(args, option) is not None:
                parser.error(f"--{option} applies to the moons demo only")
        demo.run_linear(
            epochs=args.steps or 100,
            seed=0 if args.seed is None else args.seed,
            lr=0.1 if args.lr is None else args.lr,
            tol=1e-6 if args.tol is None else args.tol,
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
        progress=sys.stderr.isatty(),
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
