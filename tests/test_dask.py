"""mmfast.dask on a distributed.LocalCluster of 2 worker processes: what the
workers compute equals the local model's results, bit for bit."""

from __future__ import annotations

import os
import re

import numpy as np
import pytest
from conftest import paired_modalities, separable_texts

import mmfast

distributed = pytest.importorskip("distributed")
da = pytest.importorskip("dask.array")
db = pytest.importorskip("dask.bag")
mdask = pytest.importorskip("mmfast.dask")

# Worker processes under a sanitizer runtime start too slowly for CI's ASan
# run; `-m "not dask"` leaves these tests out anywhere else.
pytestmark = [
    pytest.mark.dask,
    pytest.mark.skipif(bool(os.environ.get("MMFAST_SANITIZER")),
                       reason="dask worker processes under a sanitizer"),
]


@pytest.fixture(scope="module")
def client():
    with distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        yield client


@pytest.fixture(scope="module")
def multimodal():
    texts, X, y = paired_modalities(1200)
    clf = mmfast.Classifier(fusion="add", dim=16, epochs=3, buckets=20_000, n_jobs=1,
                            verbose=0).fit(texts[:800], y[:800], features=X[:800])
    return clf, texts[800:], X[800:], y[800:]


def test_predict_proba_and_score_equal_the_local_model(client, multimodal):
    clf, texts, X, y = multimodal
    bag = db.from_sequence(texts, npartitions=3)
    sizes = bag.map_partitions(len).compute()
    features = da.from_array(X, chunks=(tuple(sizes), X.shape[1]))
    labels = da.from_array(y, chunks=(tuple(sizes),))

    predicted = mdask.predict(clf, bag, features)
    proba = mdask.predict_proba(clf, bag, features)
    assert proba.numblocks == (bag.npartitions, 1)

    np.testing.assert_array_equal(predicted.compute(), clf.predict(texts, features=X))
    assert np.array_equal(proba.compute(), clf.predict_proba(texts, features=X))
    assert mdask.score(clf, bag, labels, features).compute() == clf.score(texts, y, features=X)


def test_transform_equals_the_local_quantizer(client):
    X = np.random.default_rng(0).normal(size=(900, 16)).astype(np.float32)
    pq = mmfast.ProductQuantizer(n_subquantizers=4, n_bits=4, n_jobs=1).fit(X)
    codes = mdask.transform(pq, da.from_array(X, chunks=(300, 8)))
    assert codes.chunks[0] == (300, 300, 300)
    assert np.array_equal(codes.compute(), pq.transform(X))


def test_dataframe_columns_and_shards_compiled_on_the_workers(client, tmp_path):
    dd = pytest.importorskip("dask.dataframe")
    pd = pytest.importorskip("pandas")
    texts, y = separable_texts(900)
    frame = dd.from_pandas(pd.DataFrame({"text": texts, "y": y}, index=np.arange(900) * 2),
                           npartitions=3)
    manifest = mdask.compile_shards(frame["text"], frame["y"], tmp_path)
    assert manifest.shard_sizes == [300, 300, 300]
    clf = mmfast.Classifier(dim=8, epochs=2, n_jobs=1, verbose=0).fit(manifest)
    assert np.array_equal(clf.predict_proba(texts),
                          mmfast.Classifier(**clf.get_params()).fit(texts, y).predict_proba(texts))
    np.testing.assert_array_equal(mdask.predict(clf, manifest).compute(), clf.predict(texts))
    assert mdask.score(clf, manifest.shards).compute() == clf.score(texts, y)

    predicted = mdask.predict(clf, frame["text"]).compute()
    assert predicted.index.equals(frame.index.compute())
    np.testing.assert_array_equal(predicted.to_numpy(), clf.predict(texts))
    proba = mdask.predict_proba(clf, frame["text"]).compute()
    assert list(proba.columns) == clf.classes_.tolist()


def test_partitions_that_do_not_match_are_refused(multimodal):
    clf, texts, X, _ = multimodal
    with pytest.raises(ValueError, match="features has 2 partitions"):
        mdask.predict(clf, db.from_sequence(texts, npartitions=3),
                      da.from_array(X, chunks=(200, X.shape[1])))
    with pytest.raises(TypeError, match="texts must be a dask bag"):
        mdask.predict(clf, texts)


def test_import_mmfast_leaves_dask_out():
    import subprocess
    import sys

    code = "import sys, mmfast; print('dask' in sys.modules or 'distributed' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip() == "False"


@pytest.fixture(scope="module")
def sharded(client, tmp_path_factory):
    """8 shards of 3000 training examples, and 1000 held out."""
    texts, y = separable_texts(4000, n_classes=8, seed=3)
    manifest = mdask.compile_shards(db.from_sequence(texts[:3000], npartitions=8),
                                    db.from_sequence(y[:3000], npartitions=8),
                                    tmp_path_factory.mktemp("shards"))
    return manifest, texts[3000:], y[3000:]


def test_a_two_worker_fit_scores_as_a_one_machine_fit(client, sharded):
    manifest, texts, y = sharded
    params = dict(dim=16, epochs=4, lr=0.3, n_jobs=1, verbose=0)
    local = mmfast.Classifier(**params).fit(manifest).score(texts, y)
    rounds = []
    clf = mdask.fit(mmfast.Classifier(**params), manifest, sync_every=0.25, on_sync=rounds.append)
    assert isinstance(clf, mmfast.Classifier) and len(rounds) == 4 * 4
    assert rounds[-1].lr == 0.0 and rounds[0].bytes_sent > 0
    assert abs(clf.score(texts, y) - local) <= 0.005


# The fit waits on its workers' futures: a lost slice that was never
# rescheduled would wait forever.
@pytest.mark.timeout(180)
def test_a_worker_killed_mid_fit_costs_its_slice_not_the_fit(client, sharded):
    import signal
    import threading

    manifest, texts, y = sharded
    pids = list(client.run(os.getpid).values())

    def kill_a_worker_during_the_next_round(round):
        if round.number == 0:
            threading.Timer(0.05, os.kill, (pids[0], signal.SIGKILL)).start()

    clf = mdask.fit(mmfast.Classifier(dim=16, epochs=2, lr=0.3, n_jobs=1, verbose=0), manifest,
                    mixing="sum", on_sync=kill_a_worker_during_the_next_round)
    assert clf.score(texts, y) > 0.8
    client.wait_for_workers(2, timeout=60)


def test_the_functions_have_numpydoc_sections():
    import inspect

    for name in mdask.__all__:
        function = getattr(mdask, name)
        if inspect.isclass(function):
            continue
        doc = inspect.getdoc(function) or ""
        assert "\nParameters\n----------\n" in doc and "\nReturns\n-------\n" in doc, name
        for parameter in inspect.signature(function).parameters:
            assert re.search(rf"\n(\w+, )*{parameter}(, \w+)* : ", doc), (
                f"{name}: {parameter} undocumented")
