"""Writes the fuzz seeds: small valid files for each loader of
fuzz/fuzz_load.py, each prefixed with its selector byte."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

import mmfast


def seeds() -> dict[str, bytes]:
    rng = np.random.default_rng(0)
    X = rng.random((64, 6), dtype=np.float32)
    texts, y = ["a b", "c d e", "f"] * 4, [0, 1, 2] * 4
    out = {}
    for loss in ("softmax", "hs", "ns", "ova"):
        clf = mmfast.Classifier(dim=2, buckets=3, loss=loss, verbose=0).fit(texts, y)
        out[f"classifier-{loss}"] = bytes([0]) + clf.__getstate__()["_native"]
    # A table with rows that training never touched: only the changed ones are stored.
    sparse = mmfast.Classifier(dim=2, buckets=16, verbose=0).fit(texts, y)
    out["classifier-changed-rows"] = bytes([0]) + sparse.__getstate__()["_native"]
    fused = mmfast.Classifier(dim=2, buckets=0, fusion="rspq", n_subquantizers=2,
                              subspace_dim=2, n_bits=2, verbose=0)
    fused.fit(texts, y, features=rng.random((12, 6)))
    out["classifier-rspq"] = bytes([0]) + fused.__getstate__()["_native"]
    quantizers = {
        "pq": mmfast.ProductQuantizer(n_subquantizers=2, n_bits=2),
        "rspq": mmfast.RSPQ(n_subspaces=2, subspace_dim=3, n_bits=2),
    }
    for name, quantizer in quantizers.items():
        out[name] = bytes([1]) + quantizer.fit(X)._native.to_bytes()
    out["kmeans"] = bytes([2]) + mmfast.KMeans(n_clusters=3).fit(X)._native.to_bytes()
    return out


if __name__ == "__main__":
    directory = Path(sys.argv[1])
    directory.mkdir(parents=True, exist_ok=True)
    for name, data in seeds().items():
        (directory / name).write_bytes(data)
