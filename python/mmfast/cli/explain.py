"""mmfast explain: why a model scores a class as it does for each line, one
contribution per word, word n-gram and feature token (Classifier.explain)."""

from __future__ import annotations

import argparse
from typing import Any

import numpy as np

from .._explain import token_text
from .._fasttext import LABEL_PREFIX
from .._inputs import TextFile
from ._files import CommandError, about, load_model, read_source
from ._options import add_features, described


def add(commands: Any) -> None:
    parser = commands.add_parser(
        "explain", help="each word's, n-gram's and feature token's part in a line's score",
        description="For each line of the input, the class explained (the most probable, or "
                    "--label) and its score, then the largest contributions to it: words, "
                    "word n-grams and feature tokens (pq, rspq) or the continuous feature "
                    "part. The contributions add up to the score (see Classifier.explain for "
                    "what the score is with each loss and fusion).")
    parser.add_argument("model", help="model file written by mmfast train")
    parser.add_argument("input", nargs="?",
                        help="fastText-format file of the examples to explain ('-': standard "
                             "input); leave it out for a model of features alone")
    add_features(parser, "(lines, d) floats, or quantizer codes: row i belongs to line i")
    parser.add_argument("--label", metavar="LABEL",
                        help="the class to explain, as a label name (with or without "
                             "__label__); default: each line's most probable")
    parser.add_argument("-n", "--top", dest="top", type=int, default=10, metavar="N",
                        help=described("contributions shown per line, largest first (0: all)",
                                       10))
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> None:
    if args.top < 0:
        raise CommandError(f"-n must be at least 0, got {args.top}")
    clf = load_model(args.model, verbose=0)
    source = read_source(args.input, args.features, labelled=False)
    if args.input is not None and not isinstance(source, TextFile):
        raise CommandError(f"{args.input}: explain reads a fastText-format file, which holds "
                           "the texts (a compiled dataset holds only token ids)")
    label = _label(clf, args.label, args.model)
    with_texts = clf.fusion_ != "features"
    for i in range(len(source)):
        text = source.lines.text(i) if with_texts and isinstance(source, TextFile) else None
        row = None if source.features is None else np.asarray(source.features)[i]
        if row is None and not (text or "").strip():
            print(f"line {i + 1}: no words, nothing to explain")
            continue
        with about(args.input or args.features):
            explanation = clf.explain(text, row, label=label)
        ranked = sorted(explanation, key=lambda pair: -abs(pair[1]))
        print(f"line {i + 1}: {LABEL_PREFIX}{explanation.label} score {explanation.score:.4f}")
        for token, contribution in ranked[:args.top or None]:
            print(f"  {contribution:+.4f}  {token_text(token)}")


def _label(clf: Any, name: str | None, model: str) -> Any:
    """The class named on the command line (None: each line's best)."""
    if name is None:
        return None
    name = name[len(LABEL_PREFIX):] if name.startswith(LABEL_PREFIX) else name
    for label in clf.classes_:
        if str(label) == name:
            return label
    raise CommandError(f"{model}: --label {name} is not one of the model's classes "
                       f"(they are: {', '.join(map(str, clf.classes_[:10]))}"
                       f"{', ...' if len(clf.classes_) > 10 else ''})")
