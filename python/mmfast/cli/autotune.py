"""mmfast autotune: search a model's hyper-parameters within a time budget
(mmfast.autotune), as fastText's supervised -autotune-validation does, and
save the best model."""

from __future__ import annotations

import argparse
from typing import Any

from .._params import CLASSIFIER
from ..autotune import METRICS, autotune
from ..classifier import Classifier
from ._files import about, check_output, input_file, load_npy, read_source, say
from ._options import (
    add_features,
    add_input_output,
    add_model_options,
    add_verbose,
    described,
    given,
)

# The search's settings when not given (train's -autotune-validation takes these).
DEFAULTS: dict[str, Any] = {"validation_features": None, "budget": 300.0, "max_trials": None,
                            "metric": "f1_micro", "k": 1, "search_seed": 0}


def add(commands: Any) -> None:
    parser = commands.add_parser(
        "autotune", help="search hyper-parameters within a time budget, save the best model",
        description="Search dim, epochs, lr, word n-grams and, with features, the fusion and "
                    "its settings, as fastText's autotune: start from the options given here "
                    "(the defaults otherwise), then try perturbations of the best so far, "
                    "scoring each trial on --validation, or on a random fifth of the input. "
                    "A line per trial goes to standard error.")
    add_input_output(parser, "the training file, or a compiled dataset (which then needs "
                             "--validation)",
                     "the model file to write: the best trial's parameters")
    add_features(parser, "(lines, d) floats of the input's lines")
    parser.add_argument("--validation", "-autotune-validation", metavar="FILE",
                        help="a labelled file to score trials on (default: split a fifth of "
                             "the input off, and refit the best on all of it)")
    parser.add_argument("--validation-features", metavar="FILE.npy",
                        help="the features of --validation's lines")
    parser.add_argument("--budget", "-autotune-duration", type=float, metavar="SECONDS",
                        help=described("seconds of search", DEFAULTS["budget"]))
    parser.add_argument("--max-trials", type=int, metavar="N",
                        help="stop after this many trials (default: only the budget counts)")
    parser.add_argument("--metric", choices=METRICS, metavar="{" + ",".join(METRICS) + "}",
                        help=described("what a trial maximizes on the validation set",
                                       DEFAULTS["metric"]))
    parser.add_argument("-k", type=int, metavar="K",
                        help=described("predictions per example for precision@k, recall@k",
                                       DEFAULTS["k"]))
    parser.add_argument("--search-seed", type=int, metavar="SEED",
                        help=described("seeds the split and the search", DEFAULTS["search_seed"]))
    add_verbose(parser)
    add_model_options(parser)
    parser.set_defaults(run=run, **DEFAULTS)


def run(args: argparse.Namespace) -> None:
    check_output(args.output)
    source = read_source(args.input, args.features, labelled=True, verbose=args.verbose)
    validation = None
    if args.validation is not None:
        features = None if args.validation_features is None else load_npy(
            args.validation_features)
        validation = (input_file(args.validation), None, features)
    start = Classifier(**given(args, [param.name for param in CLASSIFIER]))
    with about(args.input):
        clf, trials = autotune(source, validation=validation, budget=args.budget,
                               max_trials=args.max_trials, metric=args.metric, k=args.k,
                               start=start, random_state=args.search_seed,
                               verbose=args.verbose)
    with about(args.output):
        clf.save(args.output)
    best = max(trials, key=lambda trial: trial.score)
    say(f"best {args.metric} {best.score:.4f} of {len(trials)} trials, with {best.params}; "
        f"saved to {args.output}")
