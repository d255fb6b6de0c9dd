"""Command line: ``mmfast train``, ``mmfast test``, ``mmfast predict`` on
fastText-format files."""

from __future__ import annotations

import argparse
import sys

from .classifier import LOSSES, Classifier, load


def _train(args: argparse.Namespace) -> None:
    clf = Classifier(
        dim=args.dim, epochs=args.epochs, lr=args.lr, word_ngrams=args.word_ngrams,
        buckets=args.buckets, min_count=args.min_count, loss=args.loss, threads=args.threads,
        seed=args.seed, verbose=0 if args.quiet else 1,
    )
    clf.fit(args.input)
    clf.save(args.output)
    print(f"saved {len(clf.classes_)}-class model to {args.output}")


def _test(args: argparse.Namespace) -> None:
    print(f"precision@1 {load(args.model).score(args.input):.4f}")


def _predict(args: argparse.Namespace) -> None:
    labels, probs = load(args.model).predict_top(args.input, k=args.k, threshold=args.threshold)
    for row_labels, row_probs in zip(labels, probs):
        print(" ".join(f"__label__{label} {p:.5f}" for label, p in zip(row_labels, row_probs)))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="mmfast", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    train = commands.add_parser("train", help="train a classifier on a fastText-format file")
    train.add_argument("input")
    train.add_argument("-o", "--output", required=True, help="model file to write")
    defaults = Classifier()
    for name in ("dim", "epochs", "word_ngrams", "buckets", "min_count", "seed"):
        train.add_argument(f"--{name.replace('_', '-')}", type=int, default=getattr(defaults, name))
    train.add_argument("--lr", type=float, default=defaults.lr)
    train.add_argument("--loss", choices=LOSSES, default=defaults.loss)
    train.add_argument("--threads", type=int, default=None)
    train.add_argument("--quiet", action="store_true", help="no progress line")
    train.set_defaults(run=_train)

    test = commands.add_parser("test", help="precision@1 of a model on a labelled file")
    test.add_argument("model")
    test.add_argument("input")
    test.set_defaults(run=_test)

    predict = commands.add_parser("predict", help="top-k labels for each line of a file")
    predict.add_argument("model")
    predict.add_argument("input")
    predict.add_argument("-k", type=int, default=1)
    predict.add_argument("--threshold", type=float, default=0.0)
    predict.set_defaults(run=_predict)

    args = parser.parse_args(argv)
    try:
        args.run(args)
    except (ValueError, TypeError) as e:
        sys.exit(f"mmfast {args.command}: error: {e}")


if __name__ == "__main__":
    main()
