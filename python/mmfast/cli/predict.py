"""mmfast predict and predict-prob: the most probable labels of each line,
as fastText's commands of the same names write them (predict-prob adds each
label's probability)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable
from typing import Any

import numpy as np

from .._fasttext import LABEL_PREFIX
from .._inputs import TextFile
from ._files import about, load_model, read_source, without_texts
from ._options import add_prediction_options, top_k

_OUTPUT_CHUNK = 10_000  # predicted lines per write: `| head` stops us early


def add(commands: Any) -> None:
    for name, probabilities in (("predict", False), ("predict-prob", True)):
        what = "labels and their probabilities" if probabilities else "labels"
        parser = commands.add_parser(
            name, help=f"the k most probable {what} of each line",
            description=f"Write the k most probable {what} of each input line, one output line "
                        "per input line (an empty one for a line without words or features), "
                        "as fastText's " + name + ". Labels in the input are ignored.")
        add_prediction_options(parser, "to label, one example per line", input_required=False)
        parser.set_defaults(run=run, probabilities=probabilities)


def run(args: argparse.Namespace) -> None:
    k, threshold = top_k(args)
    clf = load_model(args.model, args.n_jobs, args.verbose)
    # Labels in the input are ignored, as fastText does.
    source = read_source(args.input, args.features, labelled=False, verbose=args.verbose)
    predicted = np.ones(len(source), dtype=bool)
    if isinstance(source, TextFile):
        if clf.fusion_ == "features":
            source = without_texts(source, labelled=False)
        elif args.features is None:
            # A line with nothing to predict from gets an empty line, as in fastText.
            predicted = source.lines.has_words()
    with about(args.input or args.features):
        labels, probs = clf.predict_top(source, k=k, threshold=threshold)
    if args.probabilities:
        lines = (" ".join(f"{LABEL_PREFIX}{label} {p:.5f}" for label, p in zip(row, row_probs))
                 for row, row_probs in zip(labels, probs))
    else:
        lines = (" ".join(f"{LABEL_PREFIX}{label}" for label in row) for row in labels)
    _write_lines(line if keep else "" for line, keep in zip(lines, predicted))


def _write_lines(lines: Iterable[str]) -> None:
    lines = list(lines)
    for start in range(0, len(lines), _OUTPUT_CHUNK):
        sys.stdout.write("".join(f"{line}\n" for line in lines[start:start + _OUTPUT_CHUNK]))
    sys.stdout.flush()
