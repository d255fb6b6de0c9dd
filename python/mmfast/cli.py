"""The mmfast command line (also ``python -m mmfast``), on fastText-format files:
one example per line, labels as ``__label__<name>`` tokens. ``--features
FILE.npy`` gives each line's dense feature vector (row i for line i).

  mmfast train train.txt -o model.mmf [--features train.npy --fusion pq ...]
  mmfast test model.mmf test.txt [-k 5] [--features test.npy]
  mmfast predict model.mmf test.txt [-k 3] [--threshold 0.1]   ('-' reads stdin)
  mmfast quantize features.npy -o codes.npy [--method rspq ...]
  mmfast compress model.mmf -o small.mmf [--cutoff N] [--retrain --input train.txt]

Options are named as the Classifier's parameters, except where fastText has
a name: ``--thread`` (``n_jobs``) and ``--seed`` (``random_state``).

Results go to standard output, progress and messages to standard error. Exit
status: 0 on success, 1 on bad input (the message says which), 2 on bad
usage, 130 when interrupted, 141 when the reader of the output went away
(e.g. ``| head``)."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Iterable
from typing import Any, Callable

import numpy as np

from ._fasttext import LABEL_PREFIX
from ._inputs import Source, TextFile, resolve
from ._params import CLASSIFIER, Param
from .classifier import Classifier, load
from .metrics import f1_score, per_class_report, precision_at_k, recall_at_k
from .quantization import RSPQ, ProductQuantizer

_OUTPUT_CHUNK = 10_000  # predicted lines per write: `| head` stops us early


# -- reading inputs ------------------------------------------------------------

def _input(path: str) -> Any:
    """The input file as Classifier's methods take it: its path, or for '-'
    the standard input stream."""
    if path != "-":
        return path
    if sys.stdin is None or sys.stdin.closed:  # None: started with descriptor 0 closed
        raise ValueError("'-': standard input is closed")
    return getattr(sys.stdin, "buffer", sys.stdin)


def _read_features(path: str | None) -> np.ndarray | None:
    """The --features matrix: row i belongs to line i of the input."""
    return None if path is None else _load_npy("--features", path)


def _load_npy(name: str, path: str) -> np.ndarray:
    try:
        return np.load(path, allow_pickle=False)
    except OSError as error:
        raise OSError(error.errno, f"{name}: cannot read {path!r}: {error.strerror}",
                      path) from None
    except ValueError:  # not a .npy: numpy says it would need to unpickle it
        raise ValueError(f"{name}: cannot read {path!r}: not a .npy file") from None


def _save_npy(path: str, array: np.ndarray) -> None:
    """Writes a .npy under a temporary name and renames it to ``path``, so a
    failed write (a full disk) leaves any old file as it was."""
    temporary = f"{path}.tmp{os.getpid()}"  # one command, one writer
    try:
        with open(temporary, "xb") as file:  # np.save(path) would append ".npy"
            np.save(file, array)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(temporary)
        raise


def _source(args: argparse.Namespace, labelled: bool) -> Source:
    """The input file and --features, resolved once: its labelled lines
    (``labelled``) or every line."""
    return resolve(_input(args.input), features=_read_features(args.features), labelled=labelled)


def _check_output(path: str) -> None:
    """Refuse an output path that cannot be written, before any long work."""
    if not path:
        raise ValueError("-o: empty path")
    if os.path.isdir(path):
        raise IsADirectoryError(f"-o {path}: is a directory")
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise FileNotFoundError(f"-o {path}: directory {directory} does not exist")
    if not os.access(directory, os.W_OK):
        raise PermissionError(f"-o {path}: directory {directory} is not writable")


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# -- commands ------------------------------------------------------------------

def _train(args: argparse.Namespace) -> None:
    _check_output(args.output)
    params = {param.name: getattr(args, param.name) for param in _model_options()}
    clf = Classifier(**params, verbose=0 if args.quiet else 1)
    clf.fit(_source(args, labelled=True))
    clf.save(args.output)
    _say(f"saved {len(clf.classes_)}-class model to {args.output}")


def _test(args: argparse.Namespace) -> None:
    clf = _load_model(args)
    source = _source(args, labelled=True)
    # As fastText's test: without features, lines without words do not count.
    if isinstance(source, TextFile) and clf.fusion_ == "text":
        source = source.select(np.flatnonzero(source.lines.has_words()))
    if len(source) == 0:
        raise ValueError(f"{args.input}: no labelled lines to test on")
    ranked, _ = clf.predict_top(source, k=args.k, threshold=args.threshold)
    truth = source.truth()
    y = np.split(truth.labels, np.searchsorted(truth.rows, np.arange(1, truth.n_examples)))
    k = args.k
    print(f"N\t{len(y)}")
    print(f"P@{k}\t{precision_at_k(y, ranked, k):.4f}")
    print(f"R@{k}\t{recall_at_k(y, ranked, k):.4f}")
    print(f"F1@{k}\t{f1_score(y, ranked, 'micro'):.4f}")
    if args.per_class:
        for label, row in per_class_report(y, ranked).items():
            print(f"F1-Score : {row['f1']:.6f}  Precision : {row['precision']:.6f}  "
                  f"Recall : {row['recall']:.6f}  Support : {row['support']}  "
                  f"{LABEL_PREFIX}{label}")


def _predict(args: argparse.Namespace) -> None:
    clf = _load_model(args)
    source = _source(args, labelled=False)  # labels in the input are ignored, as fastText does
    labels, probs = clf.predict_top(source, k=args.k, threshold=args.threshold)
    # One output line per input line; a line with nothing to predict from (no
    # words, no features) gets an empty one, as in fastText.
    predicted = (np.ones(len(source), dtype=bool) if args.features is not None or
                 not isinstance(source, TextFile) else source.lines.has_words())
    _write_lines(
        " ".join(f"{LABEL_PREFIX}{label} {p:.5f}" for label, p in zip(row_labels, row_probs))
        if keep else ""
        for row_labels, row_probs, keep in zip(labels, probs, predicted)
    )


def _quantize(args: argparse.Namespace) -> None:
    _check_output(args.output)
    X = _load_npy("input", args.input)
    common = dict(n_bits=args.n_bits, n_iter=args.n_iter, random_state=args.random_state,
                  n_jobs=args.n_jobs)
    quantizer = (
        ProductQuantizer(n_subquantizers=args.n_subquantizers, **common) if args.method == "pq"
        else RSPQ(n_subspaces=args.n_subquantizers, subspace_dim=args.subspace_dim, **common)
    )
    _say(f"fitting {quantizer!r} on {args.input}, shape {X.shape}")
    codes = quantizer.fit_transform(X)
    error = float(np.mean((quantizer.inverse_transform(codes) - X) ** 2))
    _save_npy(args.output, codes)
    _say(f"wrote {codes.dtype} codes of shape {codes.shape} to {args.output} "
         f"(reconstruction mean squared error {error:.6g})")


def _compress(args: argparse.Namespace) -> None:
    _check_output(args.output)
    if args.retrain and args.input is None:
        raise ValueError("--retrain needs the training examples: give --input")
    clf = _load_model(args)
    source = None if args.input is None else _source(args, labelled=True)
    small = clf.compress(source, n_rows=args.cutoff, dsub=args.dsub, qnorm=args.qnorm,
                         qout=args.qout, retrain_epochs=1 if args.retrain else 0)
    small.save(args.output)
    before, after = os.path.getsize(args.model), os.path.getsize(args.output)
    _say(f"wrote {args.output}: {after:,} bytes, {before / after:.1f} times smaller than "
         f"{args.model}")


def _load_model(args: argparse.Namespace) -> Classifier:
    clf = load(args.model)
    return clf.set_params(n_jobs=args.n_jobs) if args.n_jobs is not None else clf


def _write_lines(lines: Iterable[str]) -> None:
    lines = list(lines)
    for start in range(0, len(lines), _OUTPUT_CHUNK):
        sys.stdout.write("".join(f"{line}\n" for line in lines[start:start + _OUTPUT_CHUNK]))
    sys.stdout.flush()


# -- options -------------------------------------------------------------------

def _model_options() -> list[Param]:
    """The Classifier parameters that are command-line options of `train`."""
    return [param for param in CLASSIFIER if param.option]


def _boolean(value: str) -> bool:
    if value.lower() in ("1", "true", "yes", "on"):
        return True
    if value.lower() in ("0", "false", "no", "off"):
        return False
    raise argparse.ArgumentTypeError(f"expected true or false, got {value!r}")


def _none_or(parse: Callable[[str], Any]) -> Callable[[str], Any]:
    """For a parameter that may be None: "none", or what `parse` reads."""
    return lambda value: None if value.lower() == "none" else parse(value)


def _option_type(param: Param) -> dict[str, Any]:
    if param.choices is not None:
        names = ["none" if choice is None else choice for choice in param.choices]
        return {"type": _none_or(str) if None in param.choices else str,
                "choices": param.choices, "metavar": "{" + ",".join(names) + "}"}
    parse: Callable[[str], Any] = float if "float" in param.type else int
    return {"type": _none_or(parse) if param.default is None else parse}


def _add_model_options(parser: argparse.ArgumentParser) -> None:
    for param in _model_options():
        flag = param.flag or f"--{param.name.replace('_', '-')}"
        parser.add_argument(flag, dest=param.name, default=param.default,
                            help=param.doc.replace("%", "%%"),
                            **{"metavar": flag[2:].upper(), **_option_type(param)})


def _add_input_options(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument("model", help="model file written by mmfast train")
    parser.add_argument("input", help=f"fastText-format file {what} ('-': standard input)")
    parser.add_argument("--features", metavar="FILE.npy",
                        help="(n_lines, d) floats or quantizer codes; row i is line i's")
    parser.add_argument("-k", type=int, default=1, help="labels predicted per line")
    parser.add_argument("--threshold", type=float, default=0.0,
                        help="only labels with at least this probability")
    parser.add_argument("--thread", dest="n_jobs", type=int, default=None,
                        help="worker threads (default: the model's setting, None: all cores)")


def _parser() -> argparse.ArgumentParser:
    formatter = argparse.ArgumentDefaultsHelpFormatter
    parser = argparse.ArgumentParser(prog="mmfast", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True, metavar="command")

    train = commands.add_parser("train", help="train a classifier on a fastText-format file",
                                formatter_class=formatter)
    train.add_argument("input", help="fastText-format training file ('-': standard input)")
    train.add_argument("-o", "--output", required=True, help="model file to write")
    train.add_argument("--features", metavar="FILE.npy",
                       help="(n_lines, d) floats, or quantizer codes, row i for line i; "
                            "needs --fusion")
    train.add_argument("--quiet", action="store_true", help="no progress line")
    _add_model_options(train)
    train.set_defaults(run=_train)

    test = commands.add_parser("test", formatter_class=formatter,
                               help="precision, recall and F1 at k on a labelled file")
    _add_input_options(test, "with labels")
    test.add_argument("--per-class", action="store_true",
                      help="also print each label's F1, precision, recall and support")
    test.set_defaults(run=_test)

    predict = commands.add_parser("predict", formatter_class=formatter,
                                  help="top-k labels and probabilities for each line")
    _add_input_options(predict, "to label, one example per line")
    predict.set_defaults(run=_predict)

    quantize = commands.add_parser("quantize", formatter_class=formatter,
                                   help="fit a product quantizer on a .npy and write the codes")
    quantize.add_argument("input", help=".npy file of (n, d) floats")
    quantize.add_argument("-o", "--output", required=True, help=".npy file for the (n, M) codes")
    quantize.add_argument("--method", choices=("pq", "rspq"), default="pq",
                          help="pq: contiguous subvectors; rspq: random subspaces")
    quantize.add_argument("--n-subquantizers", type=int, default=8,
                          help="codes per vector (subvectors, or rspq subspaces)")
    quantize.add_argument("--subspace-dim", type=int, default=16,
                          help="dimensions per rspq subspace")
    quantize.add_argument("--n-bits", type=int, default=8, help="each code has 2**n_bits values")
    quantize.add_argument("--n-iter", type=int, default=25, help="k-means iterations")
    quantize.add_argument("--seed", dest="random_state", type=int, default=0,
                          help="seeds the k-means")
    quantize.add_argument("--thread", dest="n_jobs", type=int, default=None,
                          help="worker threads; None: all cores")
    quantize.set_defaults(run=_quantize)

    compress = commands.add_parser("compress", formatter_class=formatter,
                                   help="prune and product-quantize a model (fastText.zip)")
    compress.add_argument("model", help="model file written by mmfast train")
    compress.add_argument("-o", "--output", required=True, help="compressed model file to write")
    compress.add_argument("--cutoff", type=int, default=None,
                          help="text rows to keep (default: every row training changed)")
    compress.add_argument("--input", help="the fastText-format training file: keep each of "
                                          "its examples covered, and retrain on it")
    compress.add_argument("--features", metavar="FILE.npy", help="the training file's features")
    compress.add_argument("--retrain", action="store_true",
                          help="retrain the output layer on --input after quantizing")
    compress.add_argument("--dsub", type=int, default=2, help="dimensions per code")
    compress.add_argument("--qnorm", type=_boolean, default=True,
                          help="code each row's norm apart")
    compress.add_argument("--qout", action="store_true", help="quantize the output layer too")
    compress.add_argument("--thread", dest="n_jobs", type=int, default=None,
                          help="worker threads (default: the model's setting, None: all cores)")
    compress.set_defaults(run=_compress)
    return parser


def main(argv: list[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    try:
        args.run(args)
    except BrokenPipeError:
        # The reader went away (e.g. `| head`): stop quietly, as Unix tools do,
        # and keep Python from complaining when it flushes stdout at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(141)
    except KeyboardInterrupt:
        _say("mmfast: interrupted")
        sys.exit(130)
    except (ValueError, TypeError, OSError) as error:
        sys.exit(f"mmfast {args.command}: error: {error}")
