"""The command line's options: Classifier's parameters from their one table
(mmfast._params), with fastText's single-dash names for those that mean the
same, and the options several commands share. Help is plain text; a default
is shown as it would be typed, and only where there is one."""

from __future__ import annotations

import argparse
import re
from collections.abc import Iterable
from typing import Any, Callable

from .._params import BY_NAME, CLASSIFIER, Param
from ._files import CommandError

# fastText's names of the options that mean the same in mmfast (fastText's
# src/args.cc), so that `mmfast supervised -input train.txt -output model
# -epoch 25 -wordNgrams 2` reads as it does for fastText.
FASTTEXT_NAMES = {
    "dim": "-dim",
    "epochs": "-epoch",
    "lr": "-lr",
    "word_ngrams": "-wordNgrams",
    "buckets": "-bucket",
    "min_count": "-minCount",
    "loss": "-loss",
    "neg": "-neg",
    "n_jobs": "-thread",
    "random_state": "-seed",
}
# Tokenization: what a compiled dataset fixes, and `mmfast compile` sets.
TOKENIZATION = ("word_ngrams", "buckets", "min_count")
# Written as what a command-line user types: --name-with-dashes for a
# parameter, the value alone for other ``code``, a class's bare name.
_PARAMETER = re.compile(r"``(\w+)``")
_CODE = re.compile(r"``([^`]+)``")
_ROLE = re.compile(r":\w+:`(?:mmfast\.)?([^`]+)`")
# Python code whose command-line counterpart is not an option.
_TYPED = {"texts=None": "a file of labels without words"}


def flag(param: Param) -> str:
    """The option of a Classifier parameter: --name-with-dashes, or the name
    fastText gives it (--thread, --seed)."""
    return param.flag or f"--{param.name.replace('_', '-')}"


def metavar(name: str) -> str:
    """One spelling of an option's value everywhere: the parameter's name in capitals."""
    return name.upper()


def typed(value: Any) -> str:
    """A value as it is typed on the command line."""
    if value is None:
        return "none"
    return str(value).lower() if isinstance(value, bool) else str(value)


def plain(doc: str) -> str:
    """Documentation written for Python (reStructuredText) as command-line help."""
    def parameter(match: re.Match[str]) -> str:
        param = BY_NAME.get(match[1])
        return flag(param) if param is not None and param.option else match[1]
    doc = _PARAMETER.sub(parameter, doc)
    doc = _CODE.sub(lambda match: _TYPED.get(match[1], match[1]), doc)
    doc = re.sub(r"\bNone\b", "none", doc)  # as it is typed
    return _ROLE.sub(lambda match: match[1], doc).replace("%", "%%")


def described(help: str, default: Any) -> str:
    """``help`` and the default, for an option that has one."""
    return f"{help} (default: {typed(default)})"


def _boolean(value: str) -> bool:
    if value.lower() in ("1", "true", "yes", "on"):
        return True
    if value.lower() in ("0", "false", "no", "off"):
        return False
    raise argparse.ArgumentTypeError(f"expected true or false, got {value!r}")


def _none_or(parse: Callable[[str], Any]) -> Callable[[str], Any]:
    """For a parameter that may be None: "none", or what `parse` reads."""
    return lambda value: None if value.lower() == "none" else parse(value)


def _value_type(param: Param) -> dict[str, Any]:
    if param.choices is not None:
        names = [typed(choice) for choice in param.choices]
        return {"type": _none_or(str) if None in param.choices else str,
                "choices": param.choices, "metavar": "{" + ",".join(names) + "}"}
    if param.type == "bool":
        return {"type": _boolean}
    parse: Callable[[str], Any] = float if "float" in param.type else int
    return {"type": _none_or(parse) if param.default is None else parse}


def add_model_options(parser: argparse.ArgumentParser,
                      names: Iterable[str] | None = None) -> None:
    """Options for the Classifier parameters ``names`` (default: all that are
    options). Their value stays out of the namespace unless the user gives
    one (:func:`model_params` fills in the defaults), so that a command can
    tell what the user set (see :func:`given`)."""
    params = [BY_NAME[name] for name in names] if names is not None else [
        param for param in CLASSIFIER if param.option]
    for param in params:
        flags = [flag(param)] + ([FASTTEXT_NAMES[param.name]]
                                 if param.name in FASTTEXT_NAMES else [])
        parser.add_argument(*flags, dest=param.name, default=argparse.SUPPRESS,
                            help=described(plain(param.doc), param.default),
                            **{"metavar": metavar(param.name), **_value_type(param)})


def given(args: argparse.Namespace, names: Iterable[str]) -> dict[str, Any]:
    """The parameters among ``names`` that the user set, with their values."""
    return {name: getattr(args, name) for name in names if hasattr(args, name)}


def model_params(args: argparse.Namespace, names: Iterable[str] | None = None) -> dict[str, Any]:
    """The Classifier parameters ``names`` (default: all that are options):
    the user's values, else the table's defaults."""
    params = [BY_NAME[name] for name in names] if names is not None else [
        param for param in CLASSIFIER if param.option]
    return {param.name: getattr(args, param.name, param.default) for param in params}


def add_input_output(parser: argparse.ArgumentParser, input_help: str,
                     output_help: str) -> None:
    """The input file, and -o/--output, the file a command writes."""
    parser.add_argument("input", help=input_help)
    parser.add_argument("-o", "--output", required=True, metavar="FILE", help=output_help)


def add_verbose(parser: argparse.ArgumentParser) -> None:
    """--verbose (fastText's -verbose) and --quiet: progress lines on standard error."""
    parser.add_argument("--verbose", "-verbose", dest="verbose", type=int, default=1,
                        metavar="VERBOSE",
                        help=described("0: quiet; 1 or more: show progress on standard error", 1))
    parser.add_argument("--quiet", dest="verbose", action="store_const", const=0,
                        help="no progress lines (the same as --verbose 0)")


def add_threads(parser: argparse.ArgumentParser, default: str) -> None:
    """--thread (fastText's -thread): worker threads."""
    parser.add_argument("--thread", "-thread", dest="n_jobs", type=_none_or(int), default=None,
                        metavar=metavar("n_jobs"),
                        help=f"worker threads; none: every core (default: {default})")


def add_features(parser: argparse.ArgumentParser, help: str) -> None:
    """--features FILE.npy: the dense features (or codes), row i for line i."""
    parser.add_argument("--features", metavar="FILE.npy", help=help)


def add_prediction_options(parser: argparse.ArgumentParser, what: str,
                           input_required: bool = True) -> None:
    """What test, predict and predict-prob share: the model, the input (as
    fastText: MODEL INPUT [K] [THRESHOLD]), the features, -k, --threshold,
    --thread and --verbose."""
    parser.add_argument("model", help="model file written by mmfast train")
    parser.add_argument(
        "input", nargs=None if input_required else "?",
        help=f"fastText-format file {what}, or a compiled dataset ('-': standard input)"
             + ("" if input_required else "; leave it out for a model trained on features "
                "alone, with --features"))
    parser.add_argument("k_position", nargs="?", type=int, metavar="K",
                        help="the same as -k, where fastText puts it")
    parser.add_argument("threshold_position", nargs="?", type=float, metavar="THRESHOLD",
                        help="the same as --threshold, where fastText puts it")
    add_features(parser, "(lines, d) floats, or quantizer codes: row i belongs to line i")
    parser.add_argument("-k", type=int, default=None, metavar="K",
                        help=described("labels predicted per line", 1))
    parser.add_argument("--threshold", type=float, default=None, metavar="THRESHOLD",
                        help=described("only labels with at least this probability", 0.0))
    add_threads(parser, "the model's setting")
    add_verbose(parser)


def top_k(args: argparse.Namespace) -> tuple[int, float]:
    """(k, threshold) from -k/--threshold or fastText's positions (default 1, 0.0)."""
    k = args.k if args.k is not None else args.k_position
    threshold = args.threshold if args.threshold is not None else args.threshold_position
    k, threshold = (1 if k is None else k), (0.0 if threshold is None else threshold)
    if k < 1:
        raise CommandError(f"-k must be at least 1, got {k}")
    if not 0.0 <= threshold <= 1.0:
        raise CommandError(f"--threshold must be a probability in [0, 1], got {threshold}")
    return k, threshold
