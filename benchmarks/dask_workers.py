"""mmfast on Dask: throughput and training against the number of local workers.

    python benchmarks/dask_workers.py --quick
    python benchmarks/dask_workers.py --workers 1,2,4 --n-predict 400k --n-train 100k

Three tables, every number measured in this run on a distributed.LocalCluster
(worker processes, one thread each) against the single-process call:

1. predict and encode throughput (examples/s) with 1, 2, 4 workers, the input
   already on the workers (a persisted bag of texts, a persisted dask array),
   the results gathered back; the single-process rows with 1 and 2 threads;
2. training: a sharded compile into ``--shards`` shards, then mmfast.dask.fit
   with each number of workers, sync interval and mixing rule, against
   Classifier.fit(manifest) on one machine: time and held-out accuracy;
3. on paper, from the measured sizes: the network bytes per sync and the
   expected wall time of an epoch for 10-100 machines at 1 and 10 Gbit/s.

A LocalCluster's workers share this machine's cores: with more workers than
cores the rows measure scheduling, not scaling. Timings are noisy; the best of
``--repeats`` runs is reported.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from typing import Any, Callable

import numpy as np

import mmfast


def parse_count(text: str) -> int:
    scale = {"k": 10**3, "M": 10**6}.get(text[-1], 1)
    return int(float(text.rstrip("kM")) * scale)


def best_time(run: Callable[[], Any], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def cluster(n_workers: int) -> Any:
    import distributed

    return distributed.LocalCluster(n_workers=n_workers, processes=True, threads_per_worker=1,
                                    dashboard_address=None, silence_logs=40)


def throughput_table(args: argparse.Namespace, clf: Any, texts: list[str], pq: Any,
                     X: np.ndarray) -> list[tuple[str, str, float, float]]:
    """(call, where, predict examples/s, encode examples/s)."""
    import dask.array as da
    import dask.bag as db
    import distributed

    import mmfast.dask as mdask

    rows = []
    for threads in (1, 2):
        clf.set_params(n_jobs=threads)
        pq.set_params(n_jobs=threads)
        seconds = best_time(lambda: clf.predict(texts), args.repeats)
        encode = best_time(lambda: pq.transform(X), args.repeats)
        rows.append(("local call", f"1 process, {threads} thread{'s' * (threads > 1)}",
                     len(texts) / seconds, len(X) / encode))
    clf.set_params(n_jobs=1)
    pq.set_params(n_jobs=1)
    for n_workers in args.workers:
        with cluster(n_workers) as local, distributed.Client(local):
            partitions = 4 * n_workers
            bag = db.from_sequence(texts, npartitions=partitions).persist()
            vectors = da.from_array(X, chunks=(-(-len(X) // partitions), X.shape[1])).persist()
            distributed.wait([bag, vectors])
            mdask.predict(clf, bag).compute()  # warm: the workers import mmfast
            seconds = best_time(mdask.predict(clf, bag).compute, args.repeats)
            encode = best_time(mdask.transform(pq, vectors).compute, args.repeats)
        rows.append(("mmfast.dask", f"{n_workers} worker{'s' * (n_workers > 1)} x 1 thread",
                     len(texts) / seconds, len(X) / encode))
    return rows


def training_table(args: argparse.Namespace) -> tuple[list[tuple[Any, ...]], dict[str, Any]]:
    """Rows (setup, workers, sync_every, mixing, seconds, accuracy) and the sizes."""
    import dask.bag as db
    import distributed

    import mmfast.dask as mdask

    texts, y = mmfast.make_text_classification(n_samples=args.n_train + args.n_test,
                                               n_classes=20, vocab_size=20_000, seed=1)
    train, test, y_train, y_test = (texts[:args.n_train], texts[args.n_train:],
                                    y[:args.n_train], y[args.n_train:])
    params = dict(dim=args.dim, epochs=args.epochs, lr=args.lr, n_jobs=1, verbose=0)
    folder = tempfile.mkdtemp(prefix="mmfast-bench-shards-")
    rows: list[tuple[Any, ...]] = []
    sizes: dict[str, Any] = {}
    with cluster(max(args.workers)) as local, distributed.Client(local):
        start = time.perf_counter()
        manifest = mdask.compile_shards(db.from_sequence(train, npartitions=args.shards),
                                        db.from_sequence(y_train, npartitions=args.shards),
                                        folder)
        sizes["compile_seconds"] = time.perf_counter() - start
    for threads in (1, 2):
        clf = mmfast.Classifier(**{**params, "n_jobs": threads})
        seconds = best_time(lambda model=clf: model.fit(manifest), 1)
        rows.append((f"Classifier.fit, {threads} thread{'s' * (threads > 1)}", 1, "-", "-",
                     seconds, clf.score(test, y_test)))
    weights = clf._native.weights()
    sizes["model_bytes"] = int(sum(table.nbytes for table in weights.values()))
    sizes["rows"] = {name: int(table.shape[0]) for name, table in weights.items()}
    sizes["dim"] = args.dim
    sizes["examples_per_second_1_thread"] = args.n_train * args.epochs / rows[0][4]
    for n_workers in args.workers:
        with cluster(n_workers) as local, distributed.Client(local) as client:
            client.run(lambda: __import__("mmfast.dask"))
            for mixing in args.mixing:
                for sync_every in args.sync:
                    syncs: list[Any] = []
                    clf = mmfast.Classifier(**params)
                    start = time.perf_counter()
                    mdask.fit(clf, manifest, sync_every=sync_every, mixing=mixing,
                              on_sync=syncs.append)
                    seconds = time.perf_counter() - start
                    rows.append(("mmfast.dask.fit", n_workers, sync_every, mixing, seconds,
                                 clf.score(test, y_test)))
                    sizes.setdefault("update_bytes", {})[(n_workers, sync_every)] = (
                        np.mean([s.bytes_sent for s in syncs]) / n_workers)
    return rows, sizes


def paper_table(sizes: dict[str, Any], args: argparse.Namespace) -> list[str]:
    """Network bytes per sync and an epoch's wall time for many machines, from
    the measured sizes (see the module docstring)."""
    model = sizes["model_bytes"]
    # The update a worker sends back per sync, as a share of the model, from
    # the 2-worker (or smallest) run at the finest interval measured.
    updates = sizes["update_bytes"]
    key = min(updates, key=lambda k: (abs(k[0] - 2), k[1]))
    share = updates[key] / model
    rate = sizes["examples_per_second_1_thread"] * args.cores
    lines = [
        f"measured: model {model / 1e6:.2f} MB (dim {sizes['dim']}, rows "
        f"{sizes['rows']}), a worker's update per sync {updates[key] / 1e6:.2f} MB "
        f"({share:.0%} of the model; {key[0]} workers, sync_every {key[1]}), "
        f"{sizes['examples_per_second_1_thread']:,.0f} examples/s per thread",
        f"assumed: {args.epoch_examples:,} examples per epoch, {args.cores} cores per machine "
        f"({rate:,.0f} examples/s), sync_every {args.paper_sync}, a production model of "
        f"{args.paper_model_gb} GB whose update is the same {share:.0%} of it; the client "
        "sends the model to every machine and receives every update through its one link",
        "",
        "| machines | link | bytes per sync (all machines) | compute / epoch | network / epoch "
        "| wall time / epoch |",
        "|---:|---|---:|---:|---:|---:|",
    ]
    model_bytes = args.paper_model_gb * 1e9
    syncs = 1 / args.paper_sync
    for machines in (10, 30, 100):
        per_sync = machines * model_bytes * (1 + share)
        compute = args.epoch_examples / (machines * rate)
        for gbit in (1, 10):
            network = syncs * per_sync / (gbit * 1e9 / 8)
            lines.append(f"| {machines} | {gbit} Gbit/s | {per_sync / 1e9:,.1f} GB | "
                         f"{compute:,.0f} s | {network:,.0f} s | {compute + network:,.0f} s |")
    return lines


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="small sizes, workers 1,2, two sync intervals: about a minute")
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--n-predict", default="200k")
    parser.add_argument("--n-train", default="100k")
    parser.add_argument("--n-test", default="20k")
    parser.add_argument("--shards", type=int, default=16)
    parser.add_argument("--sync", default="0.125,0.25,0.5,1")
    parser.add_argument("--mixing", default="average,sum")
    parser.add_argument("--dim", type=int, default=50)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--lr", type=float, default=0.5)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--cores", type=int, default=16, help="per machine, on paper")
    parser.add_argument("--epoch-examples", type=parse_count, default=parse_count("1000M"),
                        help="on paper")
    parser.add_argument("--paper-model-gb", type=float, default=0.8,
                        help="on paper: 2M n-gram rows + vocabulary x dim 100, float32")
    parser.add_argument("--paper-sync", type=float, default=0.25)
    args = parser.parse_args(argv)
    if args.quick:
        args.workers, args.n_predict, args.n_train, args.n_test = "1,2", "50k", "20k", "5k"
        args.shards, args.sync, args.repeats, args.epochs = 8, "0.25,1", 1, 4
    args.workers = [int(w) for w in args.workers.split(",")]
    args.sync = [float(s) for s in args.sync.split(",")]
    args.mixing = args.mixing.split(",")
    args.n_predict, args.n_train, args.n_test = (parse_count(args.n_predict),
                                                 parse_count(args.n_train),
                                                 parse_count(args.n_test))

    texts, y = mmfast.make_text_classification(n_samples=args.n_predict, n_classes=20, seed=2)
    clf = mmfast.Classifier(dim=50, epochs=1, n_jobs=1, verbose=0).fit(texts[:20_000],
                                                                       y[:20_000])
    X = np.random.default_rng(0).normal(size=(args.n_predict, 64)).astype(np.float32)
    pq = mmfast.ProductQuantizer(n_subquantizers=8, n_bits=8, n_jobs=1).fit(X[:20_000])
    print(f"# mmfast.dask on {os.cpu_count()} cores; {args.n_predict:,} texts to predict "
          f"(dim 50, 20 classes), {args.n_predict:,} 64-d vectors to encode (8 x 8-bit PQ)\n")
    print("| call | where | predict (examples/s) | encode (examples/s) |")
    print("|---|---|---:|---:|")
    for call, where, predict, encode in throughput_table(args, clf, texts, pq, X):
        print(f"| {call} | {where} | {predict:,.0f} | {encode:,.0f} |")
    sys.stdout.flush()

    rows, sizes = training_table(args)
    print(f"\n# training: {args.n_train:,} examples in {args.shards} shards (compiled on the "
          f"workers in {sizes['compile_seconds']:.1f} s), {args.n_test:,} held out; dim "
          f"{args.dim}, {args.epochs} epochs, lr {args.lr}\n")
    print("| setup | workers | sync_every | mixing | seconds | accuracy |")
    print("|---|---:|---:|---|---:|---:|")
    for setup, workers, sync_every, mixing, seconds, accuracy in rows:
        print(f"| {setup} | {workers} | {sync_every} | {mixing} | {seconds:.1f} | "
              f"{accuracy:.4f} |")
    print("\n# on paper: network and wall time of one epoch on many machines\n")
    print("\n".join(paper_table(sizes, args)))


if __name__ == "__main__":
    main()
