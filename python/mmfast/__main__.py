"""``python -m mmfast``: the command line (see mmfast.cli)."""

from .cli import main

main()
