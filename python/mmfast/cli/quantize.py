"""mmfast quantize: fit a product quantizer (pq or rspq) on a .npy of
feature vectors and write their codes, which a model trains on with
--fusion pq (the quantizer itself is not kept)."""

from __future__ import annotations

import argparse
from typing import Any

import numpy as np

from .._features import rspq_subspace_dim
from .._params import BY_NAME
from ..quantization import RSPQ, ProductQuantizer
from ._files import CommandError, about, check_output, load_npy, save_npy, say
from ._options import add_input_output, add_threads, add_verbose, described, metavar, plain


def add(commands: Any) -> None:
    parser = commands.add_parser(
        "quantize", help="fit a product quantizer on a .npy and write the feature codes",
        description="Fit a product quantizer on (n, d) feature vectors and write their (n, M) "
                    "codes as a .npy (uint8 when --n-bits is at most 8, else uint16), under "
                    "exactly the name given. A model trains on them with --features CODES.npy "
                    "--fusion pq.")
    add_input_output(parser, ".npy file of (n, d) floats", ".npy file for the (n, M) codes")
    parser.add_argument("--method", choices=("pq", "rspq"), default="pq", metavar="{pq,rspq}",
                        help=described("pq: contiguous subvectors; rspq: random subspaces", "pq"))
    for name in ("n_subquantizers", "subspace_dim", "n_bits"):
        param = BY_NAME[name]
        parser.add_argument(f"--{name.replace('_', '-')}", dest=name, type=int,
                            default=param.default, metavar=metavar(name),
                            help=described(plain(param.doc), param.default))
    parser.add_argument("--n-iter", dest="n_iter", type=int, default=25, metavar=metavar("n_iter"),
                        help=described("k-means iterations per codebook", 25))
    parser.add_argument("--seed", "-seed", dest="random_state", type=int, default=0,
                        metavar=metavar("random_state"), help=described("seeds the k-means", 0))
    add_threads(parser, "none")
    add_verbose(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> None:
    check_output(args.output)
    X = load_npy(args.input)
    if X.ndim != 2:
        raise CommandError(f"{args.input}: expected (n, d) vectors, got shape {X.shape}")
    common = dict(n_bits=args.n_bits, n_iter=args.n_iter, random_state=args.random_state,
                  n_jobs=args.n_jobs, verbose=args.verbose)
    quantizer = (
        ProductQuantizer(n_subquantizers=args.n_subquantizers, **common) if args.method == "pq"
        else RSPQ(n_subspaces=args.n_subquantizers,
                  subspace_dim=rspq_subspace_dim(args.subspace_dim, args.n_subquantizers,
                                                 X.shape[1]), **common)
    )
    with about(args.input):
        codes = quantizer.fit_transform(X)
        error = float(np.mean((quantizer.inverse_transform(codes) - X) ** 2))
    save_npy(args.output, codes)
    say(f"wrote {codes.dtype} codes of shape {codes.shape} to {args.output} "
        f"(reconstruction mean squared error {error:.6g})")
