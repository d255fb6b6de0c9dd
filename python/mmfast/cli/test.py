"""mmfast test: precision and recall at k of a model on labelled examples, as
fastText's test prints them, and with --per-class each label's scores."""

from __future__ import annotations

import argparse
from typing import Any

import numpy as np

from .._fasttext import LABEL_PREFIX
from .._inputs import TextFile
from ..metrics import f1_score, per_class_report, precision_at_k, recall_at_k
from ._files import CommandError, about, load_model, read_source, without_texts
from ._options import add_prediction_options, top_k


def add(commands: Any) -> None:
    parser = commands.add_parser(
        "test", help="precision, recall and F1 at k on a labelled file",
        description="Score a model on labelled examples: N (lines with labels), P@k, R@k and "
                    "F1@k pooled over them, as fastText's test.")
    add_prediction_options(parser, "with labels")
    parser.add_argument("--per-class", action="store_true",
                        help="also print each label's F1, precision, recall and support")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> None:
    k, threshold = top_k(args)
    clf = load_model(args.model, args.n_jobs, args.verbose)
    source = read_source(args.input, args.features, labelled=True, verbose=args.verbose)
    if isinstance(source, TextFile):
        if clf.fusion_ == "features":
            source = without_texts(source, labelled=True)
        elif clf.fusion_ == "text":
            # As fastText's test: without features, lines without words do not count.
            source = source.select(np.flatnonzero(source.lines.has_words()))
    if len(source) == 0:
        raise CommandError(f"{args.input}: no labelled lines to test on")
    with about(args.input):
        ranked, _ = clf.predict_top(source, k=k, threshold=threshold)
    truth = source.truth()
    y = np.split(truth.labels, np.searchsorted(truth.rows, np.arange(1, truth.n_examples)))
    print(f"N\t{len(y)}")
    print(f"P@{k}\t{precision_at_k(y, ranked, k):.4f}")
    print(f"R@{k}\t{recall_at_k(y, ranked, k):.4f}")
    print(f"F1@{k}\t{f1_score(y, ranked, 'micro'):.4f}")
    if args.per_class:
        for label, row in per_class_report(y, ranked).items():
            print(f"F1-Score : {row['f1']:.6f}  Precision : {row['precision']:.6f}  "
                  f"Recall : {row['recall']:.6f}  Support : {row['support']}  "
                  f"{LABEL_PREFIX}{label}")
