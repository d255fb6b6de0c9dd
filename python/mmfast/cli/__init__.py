"""The mmfast command line (also python -m mmfast).

A command is a module of this package with an add(commands) function that
adds its subparser(s) and sets their run(args); COMMANDS lists them, in the
order --help shows them. Adding one is that module and one entry here."""

from __future__ import annotations

import argparse
import os
import sys

from .. import __version__
from . import autotune, compress, explain, predict, quantize, test, train
from . import compile as compile_command
from ._files import CommandError, say

COMMANDS = (train, test, predict, quantize, compress, compile_command, explain, autotune)

DESCRIPTION = """\
Multi-modal fastText: train, test and apply text classifiers, with an optional
dense feature vector per example, on fastText-format files (one example per
line, its labels as __label__NAME tokens) or on compiled datasets.

  mmfast supervised -input train.txt -output model       (writes model.mmf)
  mmfast train train.txt -o model.mmf --features train.npy --fusion pq
  mmfast test model.mmf test.txt [K]                     (N, P@K, R@K, F1@K)
  mmfast predict model.mmf test.txt [K]                  (labels; '-' reads stdin)
  mmfast predict-prob model.mmf test.txt [K]             (labels and probabilities)
  mmfast compile train.txt -o train.mmd [--features train.npy]
  mmfast explain model.mmf test.txt
  mmfast autotune train.txt -o model.mmf --validation valid.txt --budget 60
  mmfast supervised -input train.txt -output model -autotune-validation valid.txt
  mmfast quantize features.npy -o codes.npy
  mmfast compress model.mmf -o small.mmf [--cutoff N] [--retrain --input train.txt]

--features FILE.npy gives each line's feature vector (row i for line i).
Options are named as the Classifier's parameters (--dim, --epochs, --lr,
--word-ngrams, ...) and fastText's single-dash names work too (-dim, -epoch,
-lr, -wordNgrams, -thread, ...). mmfast COMMAND --help lists a command's.

Results go to standard output, progress and messages to standard error. Exit
status: 0 on success, 1 on a bad file or value (the message names it), 2 on
bad usage, 130 when interrupted, 141 when the reader of the output went away
(e.g. | head)."""


def parser() -> argparse.ArgumentParser:
    """The command line's parser, with every command's subparser."""
    top = argparse.ArgumentParser(prog="mmfast", description=DESCRIPTION,
                                  formatter_class=argparse.RawDescriptionHelpFormatter,
                                  allow_abbrev=False)
    top.add_argument("--version", action="version", version=f"mmfast {__version__}")
    commands = top.add_subparsers(dest="command", required=True, metavar="COMMAND",
                                  parser_class=_CommandParser)
    for command in COMMANDS:
        command.add(commands)
    return top


class _CommandParser(argparse.ArgumentParser):
    """A command's parser: options spelled out in full (fastText's -input and
    --input must not be read as abbreviations of each other)."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(allow_abbrev=False, **kwargs)  # type: ignore[arg-type]


def main(argv: list[str] | None = None) -> None:
    args = parser().parse_args(argv)
    try:
        args.run(args)
    except BrokenPipeError:
        # The reader went away (e.g. `| head`): stop quietly, as Unix tools do,
        # and keep Python from complaining when it flushes stdout at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(141)
    except KeyboardInterrupt:
        say("mmfast: interrupted")
        sys.exit(130)
    except (CommandError, ValueError, TypeError, OSError) as error:
        sys.exit(f"mmfast {args.command}: error: {error}")
