"""mmfast compress: a smaller copy of a trained model (Classifier.compress:
rows pruned, product-quantized, optionally retrained on the training file)."""

from __future__ import annotations

import argparse
import os
from typing import Any

from .._inputs import TextFile
from ._files import CommandError, about, check_output, load_model, read_source, say, without_texts
from ._options import add_features, add_threads, add_verbose, described, metavar


def add(commands: Any) -> None:
    parser = commands.add_parser(
        "compress", help="write a smaller copy of a model (pruned, quantized rows)",
        description="Compress a model as fastText's quantize does (fastText.zip): keep at most "
                    "--cutoff text rows, product-quantize them (and the feature-token rows of a "
                    "pq model), and with --input keep every training line covered by a row, "
                    "and with --retrain fit the output layer to the quantized rows on it.")
    parser.add_argument("model", help="model file written by mmfast train")
    parser.add_argument("-o", "--output", required=True, metavar="FILE",
                        help="compressed model file to write")
    parser.add_argument("--cutoff", "-cutoff", type=int, default=None, metavar=metavar("n_rows"),
                        help="text rows to keep (default: every row training changed)")
    parser.add_argument("--input", "-input", default=None, metavar="FILE",
                        help="the fastText-format training file (or compiled dataset): keep "
                             "each of its lines covered, and retrain on it with --retrain")
    add_features(parser, "the training file's features: row i belongs to line i")
    parser.add_argument("--retrain", "-retrain", action="store_true",
                        help="retrain the output layer on --input after quantizing")
    parser.add_argument("--dsub", "-dsub", type=int, default=2, metavar=metavar("dsub"),
                        help=described("dimensions per one-byte code", 2))
    parser.add_argument("--qnorm", "-qnorm", action="store_true", default=True,
                        help="code each row's norm apart (the default)")
    parser.add_argument("--no-qnorm", dest="qnorm", action="store_false",
                        help="code the rows whole, norm included")
    parser.add_argument("--qout", "-qout", action="store_true",
                        help="quantize the output layer too (pays off with many labels)")
    add_threads(parser, "the model's setting")
    add_verbose(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> None:
    check_output(args.output)
    if args.retrain and args.input is None:
        raise CommandError("--retrain needs the training examples: give --input")
    if args.features is not None and args.input is None:
        raise CommandError("--features belongs to --input: give the training file too")
    clf = load_model(args.model, args.n_jobs, args.verbose)
    source = None
    if args.input is not None:
        source = read_source(args.input, args.features, labelled=True, verbose=args.verbose)
        if isinstance(source, TextFile) and clf.fusion_ == "features":
            source = without_texts(source, labelled=True)
    with about(args.input or args.model):
        small = clf.compress(source, n_rows=args.cutoff, dsub=args.dsub, qnorm=args.qnorm,
                             qout=args.qout, retrain_epochs=1 if args.retrain else 0)
    with about(args.output):
        small.save(args.output)
    before, after = os.path.getsize(args.model), os.path.getsize(args.output)
    say(f"wrote {args.output}: {after:,} bytes, {before / after:.1f} times smaller than "
        f"{args.model}")
