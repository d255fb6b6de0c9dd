"""mmfast train (also spelled supervised, as fastText): fit a Classifier on a
fastText-format file or a compiled dataset, and save it."""

from __future__ import annotations

import argparse
from typing import Any

from .._inputs import Compiled, Source, TextFile
from .._params import BY_NAME
from ..classifier import Classifier
from . import autotune
from ._files import CommandError, about, check_output, read_source, say, without_texts
from ._options import (
    FASTTEXT_NAMES,
    TOKENIZATION,
    add_features,
    add_model_options,
    add_verbose,
    described,
    flag,
    given,
    model_params,
)

# What `-output PREFIX` appends: fastText appends .bin, but an mmfast model is
# not a fastText model, so it gets a name of its own.
MODEL_SUFFIX = ".mmf"


def add(commands: Any) -> None:
    parser = commands.add_parser(
        "train", aliases=["supervised"],
        help="train a classifier on a fastText-format file or a compiled dataset",
        description="Train a classifier and save it. The input is a fastText-format file (one "
                    "example per line, its labels as __label__NAME tokens) or a compiled "
                    "dataset (mmfast compile), whose word n-grams, buckets and minimum count "
                    "are used unless given here. Every option below is a Classifier "
                    "parameter; fastText's single-dash names work too (-input, -output, "
                    "-epoch, -lr, -wordNgrams, -dim, -loss, -thread, ...).")
    inputs = parser.add_mutually_exclusive_group(required=True)
    inputs.add_argument("input", nargs="?",
                        help="the training file ('-': standard input) or a compiled dataset")
    inputs.add_argument("-input", dest="input_option", metavar="INPUT",
                        help="the same, as fastText spells it")
    outputs = parser.add_mutually_exclusive_group(required=True)
    outputs.add_argument("-o", "--output", metavar="FILE", help="the model file to write")
    outputs.add_argument("-output", dest="output_prefix", metavar="PREFIX",
                         help=f"as fastText: writes PREFIX{MODEL_SUFFIX} (where fastText writes "
                              "PREFIX.bin)")
    add_features(parser, "(lines, d) floats, or quantizer codes: row i belongs to line i; needs "
                         "--fusion. With a file of labels alone (no words on any line), the "
                         "model learns from the features alone")
    parser.add_argument("-autotune-validation", dest="validation", metavar="FILE",
                        help="as fastText: search the options within -autotune-duration on "
                             "this labelled file (mmfast autotune, which has more settings), "
                             "and save the best model")
    parser.add_argument("-autotune-duration", dest="budget", type=float, metavar="SECONDS",
                        help=described("seconds of that search", autotune.DEFAULTS["budget"]))
    add_verbose(parser)
    add_model_options(parser)
    parser.set_defaults(run=run, **autotune.DEFAULTS)  # the search's other settings


def run(args: argparse.Namespace) -> None:
    if args.output is None:
        args.output = args.output_prefix + MODEL_SUFFIX
    if args.input is None:
        args.input = args.input_option
    if args.validation is not None:
        autotune.run(args)
        return
    output, path = args.output, args.input
    check_output(output)
    source = read_source(path, args.features, labelled=True, verbose=args.verbose)
    params = model_params(args)
    if isinstance(source, Compiled):
        params.update(_compiled_settings(args, source))
    source = _features_alone(source)
    clf = Classifier(**params, verbose=args.verbose)
    with about(path):
        clf.fit(source)
    with about(output):
        clf.save(output)
    say(f"saved {len(clf.classes_)}-class model to {output}")


def _compiled_settings(args: argparse.Namespace, source: Compiled) -> dict[str, Any]:
    """The compiled dataset's tokenization, which the user may repeat but not change."""
    dataset = source.dataset
    for name, value in given(args, TOKENIZATION).items():
        if value is not None and value != dataset.settings[name]:
            names = f"{flag(BY_NAME[name])} ({FASTTEXT_NAMES[name]})"
            raise CommandError(
                f"{dataset.path}: compiled with {name}={dataset.settings[name]}, but {names} "
                f"is {value}: leave it out to use the dataset's, or compile it again with "
                f"mmfast compile {flag(BY_NAME[name])} {value}")
    return dataset.settings


def _features_alone(source: Source) -> Source:
    """A file whose lines hold labels and no words, given with features:
    the examples of a model of the features alone."""
    if (isinstance(source, TextFile) and source.features is not None
            and not source.lines.has_words().any()):
        return without_texts(source, labelled=True)
    return source
