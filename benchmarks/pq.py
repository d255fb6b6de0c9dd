"""Product quantization, mmfast side by side with faiss-cpu, in one run.

    python benchmarks/pq.py            # 100k x 512 and 50k x 2048, M in {64, 256}, 8 bits
    python benchmarks/pq.py --quick    # small sizes, a smoke run (< 30 s)

Both libraries get the same seeded Gaussian-mixture data, the same thread
count, and faiss's default PQ training (25 k-means iterations, at most 256
points per centroid), which mmfast's defaults match. Reported: training time,
encoding throughput, reconstruction MSE, and each as a ratio mmfast / faiss
(targets: train <= 1.5, encode time <= 1.0, MSE <= 1.02). Encoding is timed
best-of-N because the machine may be shared; training once per --repeats.
"""

from __future__ import annotations

import argparse
import time
from typing import Any, Callable

import numpy as np

import mmfast

try:
    import faiss
except ImportError:
    faiss = None

FULL = [(100_000, 512, 64), (100_000, 512, 256), (50_000, 2048, 64), (50_000, 2048, 256)]
QUICK = [(20_000, 128, 16), (20_000, 128, 32), (10_000, 256, 32)]
N_BITS = 8


def gaussian_mixture(n: int, d: int, n_components: int = 64, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centers = 2.0 * rng.standard_normal((n_components, d), dtype=np.float32)
    X = rng.standard_normal((n, d), dtype=np.float32)
    X += centers[rng.integers(0, n_components, n)]
    return X


def mean_squared_error(X: np.ndarray, X_hat: np.ndarray, chunk: int = 8192) -> float:
    total = 0.0
    for start in range(0, len(X), chunk):
        diff = X[start : start + chunk] - X_hat[start : start + chunk]
        total += float(np.einsum("ij,ij->", diff, diff, dtype=np.float64))
    return total / X.size


def best_time(run: Callable[[], Any], repeats: int) -> tuple[float, Any]:
    best, result = float("inf"), None
    for _ in range(repeats):
        start = time.perf_counter()
        result = run()
        best = min(best, time.perf_counter() - start)
    return best, result


class MmfastPQ:
    def __init__(self, d: int, m: int, threads: int) -> None:
        self.pq = mmfast.ProductQuantizer(n_subquantizers=m, n_bits=N_BITS, n_jobs=threads)

    def train(self, X: np.ndarray) -> None:
        self.pq.fit(X)

    def encode(self, X: np.ndarray) -> np.ndarray:
        return self.pq.transform(X)

    def decode(self, codes: np.ndarray) -> np.ndarray:
        return self.pq.inverse_transform(codes)


class FaissPQ:
    def __init__(self, d: int, m: int, threads: int) -> None:
        faiss.omp_set_num_threads(threads)
        self.pq = faiss.ProductQuantizer(d, m, N_BITS)

    def train(self, X: np.ndarray) -> None:
        self.pq.train(X)

    def encode(self, X: np.ndarray) -> np.ndarray:
        return self.pq.compute_codes(X)

    def decode(self, codes: np.ndarray) -> np.ndarray:
        return self.pq.decode(codes)


def measure(kind: type, X: np.ndarray, m: int, threads: int, repeats: int) -> dict[str, float]:
    """Train time (best of `repeats` fresh trainings), encode time (best of 3), MSE."""
    train_time, quantizer = float("inf"), None
    for _ in range(repeats):
        candidate = kind(X.shape[1], m, threads)
        elapsed, _ = best_time(lambda q=candidate: q.train(X), 1)
        if elapsed < train_time:
            train_time, quantizer = elapsed, candidate
    encode_time, codes = best_time(lambda: quantizer.encode(X), 3)
    return {
        "train": train_time,
        "encode": encode_time,
        "encode_rate": len(X) / encode_time,
        "mse": mean_squared_error(X, quantizer.decode(codes)),
    }


def table_row(label: str, mine: dict[str, float], theirs: dict[str, float] | None) -> str:
    """One line: for each metric, mmfast, faiss and the ratio mmfast / faiss."""
    cells = []
    for key, spec, ratio_key in (
        ("train", "7.2f", "train"),
        ("encode_rate", "10.3g", "encode"),  # the ratio compares encode times
        ("mse", "8.4f", "mse"),
    ):
        if theirs is None:
            cells.append(f"{mine[key]:{spec}} {'-':>{spec.split('.')[0]}} {'-':>5}")
        else:
            ratio = mine[ratio_key] / theirs[ratio_key]
            cells.append(f"{mine[key]:{spec}} {theirs[key]:{spec}} {ratio:5.2f}")
    return f"{label:>18} | " + " | ".join(cells)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes for a smoke run")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=1, help="trainings per configuration")
    args = parser.parse_args()

    if faiss is None:
        print("peers found: none (faiss-cpu is not installed: its columns are skipped)")
    else:
        print(f"peers found: faiss {faiss.__version__}")
    print(f"threads: {args.threads}, n_bits: {N_BITS}, data: seeded Gaussian mixture")
    print("ratio = mmfast / faiss (for encoding, of times)")
    print("targets: train <= 1.5, encode <= 1.0, MSE <= 1.02\n")
    header = (
        f"{'n x d, M':>18} | {'train s':>7} {'faiss':>7} {'ratio':>5} | "
        f"{'encode/s':>10} {'faiss':>10} {'ratio':>5} | {'MSE':>8} {'faiss':>8} {'ratio':>5}"
    )
    print(header)
    print("-" * len(header))
    for n, d, m in QUICK if args.quick else FULL:
        X = gaussian_mixture(n, d)
        mine = measure(MmfastPQ, X, m, args.threads, args.repeats)
        theirs = measure(FaissPQ, X, m, args.threads, args.repeats) if faiss else None
        print(table_row(f"{n} x {d}, {m}", mine, theirs), flush=True)


if __name__ == "__main__":
    main()
