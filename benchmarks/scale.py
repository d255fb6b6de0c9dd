"""Scale table: compiled datasets of 1M, 4M and 16M examples (``--n`` for more).

    PYTHONPATH=python python benchmarks/scale.py --data /tmp/scale-data
    PYTHONPATH=python python benchmarks/scale.py --n 100M --epochs 5 --kinds pq

For each size and kind, numpy writes multi-modal examples to disk in chunks (a
fastText-format text file, and a .npy of 8 pq codes or of 512-d float32
features, one row per line), ``mmfast.Dataset.build`` compiles them, and a
Classifier trains on the compiled dataset, memory-mapped. Compiling and
training each run in a fresh process that samples its own RssAnon (anonymous
memory: a mapped file's pages are the page cache's, not the process's). The
generated files are deleted after each size unless ``--keep``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from typing import Any

import numpy as np

N_CLASSES = 20
VOCAB = 50_000
WORD_WIDTH = 7  # "w" + 5 digits + a space: fixed-width words make the text a numpy array
DOC_WORDS = 20  # word slots per line; unused slots are spaces (Poisson lengths, mean 16)
N_CODES = 8
N_FEATURES = 512
CHUNK = 500_000  # examples generated at a time


def parse_count(text: str) -> int:
    scale = {"k": 10**3, "M": 10**6}.get(text[-1], 1)
    return int(float(text.rstrip("kM")) * scale)


# -- generation (numpy, chunked) ------------------------------------------------


def generate(n: int, kind: str, folder: str, seed: int = 0) -> tuple[str, str]:
    """Writes n examples: a fastText file and a .npy of codes (pq) or floats."""
    rng = np.random.default_rng(seed)
    words = np.frombuffer(b"".join(b"w%05d " % i for i in range(VOCAB)), np.uint8)
    words = words.reshape(VOCAB, WORD_WIDTH)
    labels = np.frombuffer(b"".join(b"__label__%02d " % c for c in range(N_CLASSES)), np.uint8)
    labels = labels.reshape(N_CLASSES, -1)
    zipf = np.cumsum(1.0 / np.arange(1, VOCAB + 1) ** 1.1)
    zipf /= zipf[-1]
    class_words = rng.integers(100, 2100, (N_CLASSES, 20))
    centers = rng.normal(0, 1, (N_CLASSES, N_FEATURES)).astype(np.float32)
    text_path = os.path.join(folder, f"{kind}-{n}.txt")
    feature_path = os.path.join(folder, f"{kind}-{n}.npy")
    shape = (n, N_CODES if kind == "pq" else N_FEATURES)
    dtype = np.uint8 if kind == "pq" else np.float32
    features = np.lib.format.open_memmap(feature_path, "w+", dtype, shape)
    with open(text_path, "wb") as out:
        for start in range(0, n, CHUNK):
            m = min(CHUNK, n - start)
            y = rng.integers(0, N_CLASSES, m)
            background = np.minimum(np.searchsorted(zipf, rng.random((m, DOC_WORDS))), VOCAB - 1)
            signal = class_words[y[:, None], rng.integers(0, 20, (m, DOC_WORDS))]
            ids = np.where(rng.random((m, DOC_WORDS)) < 0.8, background, signal)
            line = np.empty((m, labels.shape[1] + DOC_WORDS * WORD_WIDTH), np.uint8)
            line[:, :labels.shape[1]] = labels[y]
            body = words[ids]  # (m, DOC_WORDS, WORD_WIDTH)
            length = np.clip(rng.poisson(16, m), 1, DOC_WORDS)
            body[np.arange(DOC_WORDS)[None, :] >= length[:, None]] = ord(" ")
            line[:, labels.shape[1]:] = body.reshape(m, -1)
            line[:, -1] = ord("\n")
            line.tofile(out)
            if kind == "pq":
                informative = rng.random((m, N_CODES)) < 0.5
                codes = np.where(informative, (y[:, None] * 11 + np.arange(N_CODES) * 37) % 256,
                                 rng.integers(0, 256, (m, N_CODES)))
                features[start:start + m] = codes
            else:
                x = centers[y] + rng.normal(0, 2, (m, N_FEATURES)).astype(np.float32)
                features[start:start + m] = x
    features.flush()
    del features
    return text_path, feature_path


# -- measured steps, each in a fresh process ------------------------------------


def rss_anon() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("RssAnon:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no RssAnon in /proc/self/status")


def measured(step: Any) -> tuple[float, int, Any]:
    """Runs step(), returning its wall time, the peak RssAnon while it ran
    (sampled every 5 ms), and its result."""
    peak, done = [rss_anon()], threading.Event()

    def poll() -> None:
        while not done.wait(0.005):
            peak[0] = max(peak[0], rss_anon())

    poller = threading.Thread(target=poll, daemon=True)
    poller.start()
    start = time.perf_counter()
    result = step()
    seconds = time.perf_counter() - start
    done.set()
    poller.join()
    return seconds, max(peak[0], rss_anon()), result


def worker(job: dict[str, Any]) -> dict[str, Any]:
    import mmfast

    if job["step"] == "compile":
        seconds, peak, dataset = measured(lambda: mmfast.Dataset.build(
            job["text"], job["dataset"], features=job["features"], verbose=0))
        return {"seconds": seconds, "peak": peak, "bytes": dataset.nbytes,
                "token_bytes": dataset._native.token_id_bytes}
    from mmfast import _jobs

    dataset = mmfast.Dataset(job["dataset"])
    fusion = "pq" if job["kind"] == "pq" else "add"
    clf = mmfast.Classifier(dim=job["dim"], epochs=job["epochs"], n_jobs=job["threads"],
                            fusion=fusion, n_subquantizers=N_CODES, verbose=0)
    # What Classifier.fit(dataset) does, with the weights' initialization (the
    # same at every size) timed apart from the SGD epochs.
    params = mmfast._params.validated(clf)
    core = mmfast._core.Classifier(mmfast._params.core_config(params,
                                                              mmfast._core.ClassifierConfig()))
    codebook = 2**clf.n_bits if fusion == "pq" else 0
    init_s, init_peak, trainer = measured(
        lambda: _jobs.run(core.prepare_fit_dataset(dataset._native, codebook)))
    seconds, peak, _ = measured(lambda: _jobs.run(trainer.train()))
    model_bytes = sum(w.nbytes for w in core.weights().values())
    return {"init_seconds": init_s, "seconds": seconds, "peak": max(init_peak, peak),
            "model_bytes": model_bytes}


def run_worker(job: dict[str, Any]) -> dict[str, Any]:
    out = subprocess.run([sys.executable, __file__, "--worker", json.dumps(job)],
                         capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(f"{job['step']} failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


# -- the table --------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", nargs="+", default=["1M", "4M", "16M"],
                        help="dataset sizes (k and M suffixes), default 1M 4M 16M")
    parser.add_argument("--kinds", nargs="+", default=["pq", "float"], choices=["pq", "float"],
                        help="pq: text + 8 pq codes; float: text + 512-d float32 (fusion add)")
    parser.add_argument("--float-max", default="4M",
                        help="largest size of the float kind (its .npy is 2 KiB per example)")
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--dim", type=int, default=100)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--data",
                        help="folder for the generated files (needs ~0.4 GB per 1M pq "
                             "examples; default: a private temporary folder, removed at the end)")
    parser.add_argument("--keep", action="store_true", help="keep the generated files")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(json.loads(args.worker))))
        return
    with data_folder(args.data, args.keep) as folder:
        run_table(args, folder)


@contextlib.contextmanager
def data_folder(given: str | None, keep: bool) -> Iterator[str]:
    """The folder of the generated files: the one given, or a temporary one
    of this run's own (concurrent runs, such as two smoke runs, must not
    write each other's files), removed at the end unless ``keep``."""
    if given is not None:
        os.makedirs(given, exist_ok=True)
        yield given
        return
    folder = tempfile.mkdtemp(prefix="mmfast-scale-")
    try:
        yield folder
    finally:
        if keep:
            print(f"generated files kept in {folder}", file=sys.stderr)
        else:
            shutil.rmtree(folder, ignore_errors=True)


def run_table(args: argparse.Namespace, folder: str) -> None:
    print(f"# mmfast scale: {os.cpu_count()} cores, {args.threads} threads, dim {args.dim}, "
          f"{args.epochs} epoch(s), word bigrams, n-gram table sized by the data "
          "(Dataset.build's default)")
    print("| kind | examples | generate s | compile s | compile µs/ex | disk B/ex | "
          "B/ex beyond token ids | compile peak RssAnon MiB | init s | train s | "
          "train µs/ex/epoch | "
          "train peak RssAnon MiB | model MiB |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for kind in args.kinds:
        for n in map(parse_count, args.n):
            if kind == "float" and n > parse_count(args.float_max):
                continue
            print(f"running {kind} {n:,}", file=sys.stderr, flush=True)
            start = time.perf_counter()
            text, features = generate(n, kind, folder)
            generate_s = time.perf_counter() - start
            dataset = os.path.join(folder, f"{kind}-{n}.mmd")
            compiled = run_worker({"step": "compile", "text": text, "features": features,
                                   "dataset": dataset})
            if not args.keep:
                os.remove(text)  # the float .npy stays: the dataset reads it in place
            trained = run_worker({"step": "train", "kind": kind, "dataset": dataset,
                                  "dim": args.dim, "epochs": args.epochs,
                                  "threads": args.threads})
            mib = 2**20
            print(f"| text + {'8 pq codes' if kind == 'pq' else '512-d floats'} | {n:,} "
                  f"| {generate_s:.1f} | {compiled['seconds']:.1f} "
                  f"| {1e6 * compiled['seconds'] / n:.2f} | {compiled['bytes'] / n:.1f} "
                  f"| {(compiled['bytes'] - compiled['token_bytes']) / n:.1f} "
                  f"| {compiled['peak'] / mib:.0f} | {trained['init_seconds']:.1f} "
                  f"| {trained['seconds']:.1f} "
                  f"| {1e6 * trained['seconds'] / (n * args.epochs):.2f} "
                  f"| {trained['peak'] / mib:.0f} | {trained['model_bytes'] / mib:.0f} |",
                  flush=True)
            if not args.keep:
                for path in (dataset, features):
                    os.remove(path)


if __name__ == "__main__":
    main()
