"""mmfast compile: a fastText-format file (and its features) compiled into a
dataset file that training and prediction read in place (Dataset.build)."""

from __future__ import annotations

import argparse
from typing import Any

from ..dataset_file import Dataset
from ._files import CommandError, about, check_output, input_file, say
from ._options import (
    TOKENIZATION,
    add_features,
    add_input_output,
    add_model_options,
    add_threads,
    add_verbose,
    model_params,
)


def add(commands: Any) -> None:
    parser = commands.add_parser(
        "compile", help="compile a fastText-format file into a dataset file",
        description="Compile a fastText-format file, and the features of its lines, into a "
                    "dataset file: token ids, labels and features, memory-mapped by train, "
                    "test and predict, which then read no text. The word n-grams, buckets and "
                    "minimum count are fixed here; train adopts them.")
    add_input_output(parser, "the fastText-format file",
                     "the dataset file to write (e.g. train.mmd)")
    add_features(parser, "(lines, d) float32 features, or integer quantizer codes: row i "
                         "belongs to line i, so every line must be a labelled example")
    parser.add_argument("--copy-features", action="store_true",
                        help="copy float features into the dataset file (by default it reads "
                             "them in place from the .npy, which must then stay)")
    add_model_options(parser, TOKENIZATION)
    add_threads(parser, "none")
    add_verbose(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> None:
    check_output(args.output)
    path = input_file(args.input)
    if not isinstance(path, str):
        raise CommandError("'-': compile reads a file, not standard input")
    with about(args.input):
        dataset = Dataset.build(path, args.output, args.features,
                                copy_features=args.copy_features, n_jobs=args.n_jobs,
                                verbose=args.verbose, **model_params(args, TOKENIZATION))
    features = (f", {dataset.n_features} features" if dataset.n_features
                else f", {dataset.n_codes} feature codes" if dataset.n_codes else "")
    say(f"wrote {len(dataset):,} examples of {len(dataset.classes_)} classes{features} to "
        f"{args.output} (word_ngrams={dataset.word_ngrams}, buckets={dataset.buckets}, "
        f"min_count={dataset.min_count})")
