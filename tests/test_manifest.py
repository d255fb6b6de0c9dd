"""Sharded compiles and their manifest, in this process (Dask's synchronous
scheduler, so that the sanitizer run covers the native paths too): the shards
share one dictionary, and a manifest trains as the whole data does."""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import paired_modalities, separable_texts

import mmfast

dask = pytest.importorskip("dask")
db = pytest.importorskip("dask.bag")
da = pytest.importorskip("dask.array")
mdask = pytest.importorskip("mmfast.dask")


@pytest.fixture(autouse=True)
def in_process():
    with dask.config.set(scheduler="synchronous"):
        yield


def test_a_manifest_trains_the_model_the_whole_data_trains(tmp_path):
    texts, y = separable_texts(1500)
    labels = np.asarray([f"c{label}" for label in y])
    manifest = mdask.compile_shards(db.from_sequence(texts, npartitions=3),
                                    db.from_sequence(labels, npartitions=3), tmp_path)
    assert len(manifest.shards) == 3 and len(manifest) == 1500
    assert manifest.classes_.tolist() == sorted(set(labels))
    params = dict(dim=8, epochs=2, n_jobs=1, verbose=0)
    whole = mmfast.Classifier(**params).fit(texts, labels)
    sharded = mmfast.Classifier(**params).fit(manifest.path)
    assert sharded.buckets_ == whole.buckets_
    for name, weights in whole._native.weights().items():
        assert np.array_equal(sharded._native.weights()[name], weights), name
    assert mdask.score(sharded, manifest).compute() == whole.score(texts, labels)


def test_shards_keep_features_and_codes(tmp_path):
    texts, X, y = paired_modalities(600, n_features=8)
    pq = mmfast.ProductQuantizer(n_subquantizers=2, n_bits=4, n_jobs=1).fit(X)
    chunks = (200, 200, 200)
    manifest = mdask.compile_shards(
        db.from_sequence(texts, partition_size=200), da.from_array(y, chunks=chunks),
        tmp_path, da.from_array(X, chunks=(chunks, 8)), quantizer=pq)
    assert manifest.n_codes == 2 and manifest.max_code <= 15
    clf = mmfast.Classifier(fusion="pq", dim=8, epochs=1, n_jobs=1, verbose=0).fit(manifest)
    np.testing.assert_array_equal(clf.quantizer_.transform(X), pq.transform(X))
    assert clf.score(manifest.shards[0]) > 0.3


def test_shards_compiled_apart_are_refused(tmp_path):
    texts, y = separable_texts(200)
    shards = [mmfast.Dataset.from_texts(texts[:100], y[:100], tmp_path / "a.mmd"),
              mmfast.Dataset.from_texts(texts[100:], y[100:], tmp_path / "b.mmd")]
    with pytest.raises(ValueError, match="b.mmd' has another dictionary"):
        mmfast.Manifest.write(tmp_path / "manifest.json", shards)


def test_a_manifest_that_is_not_one_is_refused(tmp_path):
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps({"format": "mmfast-shards-1", "shards": []}))
    with pytest.raises(ValueError, match="is not an mmfast manifest"):
        mmfast.Manifest(path)
    with pytest.raises(ValueError, match="predict shard by shard"):
        texts, y = separable_texts(100)
        clf = mmfast.Classifier(dim=4, epochs=1, n_jobs=1, verbose=0).fit(texts, y)
        manifest = mmfast.Manifest.write(
            tmp_path / "m.json", [mmfast.Dataset.from_texts(texts, y, tmp_path / "a.mmd")])
        clf.predict(manifest)


def test_two_slices_of_a_round_on_one_worker_start_from_the_round_weights(tmp_path):
    from mmfast.dask import _train

    texts, y = separable_texts(600)
    manifest = mdask.compile_shards(db.from_sequence(texts, npartitions=2),
                                    db.from_sequence(y, npartitions=2), tmp_path)
    model = mmfast.Classifier(dim=8, epochs=1, n_jobs=1, verbose=0).fit(manifest)
    shard = [(manifest.shards[0], manifest.shard_sizes[0])]
    first = _train._train_slice(model, shard, 0.1, 0.05, seed=1)  # trains `model` in place
    second = _train._train_slice(model, shard, 0.1, 0.05, seed=1)  # a copy, set back
    rows, values = first["text_embeddings"]
    assert len(rows) > 0
    assert np.array_equal(second["text_embeddings"][0], rows)
    assert np.array_equal(second["text_embeddings"][1], values)
    assert np.array_equal(second["output"], first["output"])
