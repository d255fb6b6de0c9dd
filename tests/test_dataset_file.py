"""Compiled datasets (mmfast.Dataset): the same model as from lists, in-place
features, refusal of damaged or mismatched files, and memory that does not grow
with the number of examples."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest
from conftest import paired_modalities, separable_texts

import mmfast
from mmfast._progress import CompileProgressLine
from mmfast.datasets import write_fasttext_file

SMALL = dict(dim=16, buckets=5000, epochs=2, n_jobs=1, random_state=7, verbose=0)


def same_weights(a: mmfast.Classifier, b: mmfast.Classifier) -> bool:
    wa, wb = a._native.weights(), b._native.weights()
    return wa.keys() == wb.keys() and all(np.array_equal(wa[k], wb[k]) for k in wa)


@pytest.fixture(scope="module")
def texts_y():
    return separable_texts(1500, seed=3)


@pytest.mark.parametrize("as_str", [False, True])
def test_compiled_dataset_trains_the_same_model_as_lists(tmp_path, texts_y, as_str):
    texts, y = texts_y
    if as_str:
        y = np.array([f"class{c}" for c in y])
    dataset = mmfast.Dataset.from_texts(texts, y, tmp_path / "d.mmd", buckets=5000)
    assert len(dataset) == len(texts)
    from_lists = mmfast.Classifier(**SMALL).fit(texts, y)
    from_dataset = mmfast.Classifier(**SMALL).fit(dataset)
    from_path = mmfast.Classifier(**SMALL).fit(str(tmp_path / "d.mmd"))
    assert same_weights(from_lists, from_dataset) and same_weights(from_lists, from_path)
    np.testing.assert_array_equal(from_dataset.classes_, from_lists.classes_)
    assert from_dataset.classes_.dtype == from_lists.classes_.dtype
    np.testing.assert_array_equal(from_dataset.predict(texts), from_lists.predict(texts))


def test_a_file_sorted_by_label_still_trains_well(tmp_path):
    """Training mixes random blocks of examples: a sorted file does not feed
    one class for long stretches."""
    texts, y = separable_texts(4000, seed=5)
    order = np.argsort(y, kind="stable")
    texts, y = [texts[i] for i in order], y[order]
    dataset = mmfast.Dataset.from_texts(texts, y, tmp_path / "sorted.mmd", buckets=5000)
    clf = mmfast.Classifier(**dict(SMALL, epochs=5)).fit(dataset)
    assert clf.score(texts, y) > 0.95


def test_fasttext_file_compiles_to_the_same_examples(tmp_path, texts_y):
    texts, y = texts_y
    labels = np.array([f"c{c}" for c in y])
    write_fasttext_file(tmp_path / "train.txt", texts, labels)
    built = mmfast.Dataset.build(tmp_path / "train.txt", tmp_path / "a.mmd", buckets=5000,
                                 verbose=0)
    from_file = mmfast.Classifier(**SMALL).fit(str(tmp_path / "train.txt"))
    assert same_weights(mmfast.Classifier(**SMALL).fit(built), from_file)
    # Compiling is deterministic: the same input gives the same bytes.
    mmfast.Dataset.build(tmp_path / "train.txt", tmp_path / "b.mmd", buckets=5000, verbose=0)
    assert (tmp_path / "a.mmd").read_bytes() == (tmp_path / "b.mmd").read_bytes()


def test_compiling_shows_progress(tmp_path, texts_y, capsys):
    texts, y = texts_y
    write_fasttext_file(tmp_path / "t.txt", texts, y)
    mmfast.Dataset.build(tmp_path / "t.txt", tmp_path / "d.mmd", buckets=5000, verbose=1)
    line = capsys.readouterr().err
    assert "Compiling" in line and "pass 2/2" in line and f"{len(texts):,} lines" in line


def test_the_compile_rate_of_a_pass_done_between_two_updates_is_plausible():
    """A pass that began and ended between two polls was timed from the moment
    it was first seen: lines / ~0 s gave "10,000,000,000,000 lines/s"."""
    line = CompileProgressLine("t.txt", io.StringIO())
    progress = {"pass": 1, "bytes_read": 0, "bytes_total": 100, "lines": 0}
    line.update(progress)
    time.sleep(0.01)
    line.update({**progress, "pass": 2, "bytes_read": 100, "lines": 10_000})
    rate = int(re.search(r"\| ([\d,]+) lines/s", line._text)[1].replace(",", ""))
    assert rate <= 10_000 / 0.01


def test_lines_end_at_newline_crlf_or_cr(tmp_path):
    (tmp_path / "t.txt").write_bytes(
        b"__label__a x y\r\n__label__b y z\rno label\n\nx __label__a\n__label__c w")
    dataset = mmfast.Dataset.build(tmp_path / "t.txt", tmp_path / "d.mmd", buckets=100,
                                   verbose=0)
    assert len(dataset) == 4  # the unlabelled and the blank line are dropped
    np.testing.assert_array_equal(dataset.classes_, ["a", "b", "c"])
    assert dataset._native.n_words == 4  # x, y, z, w


def test_shards_make_the_same_file_as_one_call(tmp_path, texts_y):
    texts, y = texts_y
    mmfast.Dataset.from_texts(texts, y, tmp_path / "one.mmd", buckets=5000)
    with mmfast.Dataset.writer(tmp_path / "shards.mmd", buckets=5000) as writer:
        for start in range(0, len(texts), 400):
            writer.add(texts[start:start + 400], y[start:start + 400])
    assert len(writer.dataset) == len(texts)
    assert (tmp_path / "one.mmd").read_bytes() == (tmp_path / "shards.mmd").read_bytes()
    assert not [p for p in os.listdir(tmp_path) if ".tmp" in p]  # spools are gone


def test_min_count_and_multilabel(tmp_path):
    texts = ["a b c", "a b", "a d", "e"]
    y = [["x", "y"], ["x"], ["y"], ["x"]]
    params = dict(SMALL, min_count=2)
    dataset = mmfast.Dataset.from_texts(texts, y, tmp_path / "d.mmd", buckets=5000, min_count=2)
    assert dataset.multilabel and dataset.min_count == 2
    assert dataset._native.n_words == 2  # a and b
    assert same_weights(mmfast.Classifier(**params).fit(dataset),
                        mmfast.Classifier(**params).fit(texts, y))


@pytest.mark.parametrize("fusion", ["add", "max"])
def test_float_features_are_read_in_place(tmp_path, fusion):
    texts, X, y = paired_modalities(1200, n_features=16)
    params = dict(SMALL, fusion=fusion)
    reference = mmfast.Classifier(**params).fit(texts, y, features=X)
    # Copied into the dataset (from_texts) ...
    copied = mmfast.Dataset.from_texts(texts, y, tmp_path / "copied.mmd", features=X,
                                       buckets=5000)
    np.testing.assert_array_equal(copied.features, X)
    assert not copied.features.flags.writeable
    assert same_weights(mmfast.Classifier(**params).fit(copied), reference)
    # ... or referenced: rows of a memory-mapped .npy aligned with the lines.
    write_fasttext_file(tmp_path / "t.txt", texts, y)
    np.save(tmp_path / "x.npy", X)
    referenced = mmfast.Dataset.build(tmp_path / "t.txt", tmp_path / "ref.mmd",
                                      features=tmp_path / "x.npy", buckets=5000, verbose=0)
    assert referenced.nbytes < copied.nbytes - X.nbytes // 2
    np.testing.assert_array_equal(referenced.features, X)
    from_file = mmfast.Classifier(**params).fit(str(tmp_path / "t.txt"), features=X)
    assert same_weights(mmfast.Classifier(**params).fit(referenced), from_file)


def test_encoded_features_train_pq_like_codes_from_lists(tmp_path):
    texts, X, y = paired_modalities(1200, n_features=16)
    quantizer = mmfast.ProductQuantizer(n_subquantizers=4, n_bits=6, random_state=1).fit(X)
    params = dict(SMALL, fusion="pq", n_bits=6, n_subquantizers=4)
    dataset = mmfast.Dataset.from_texts(texts, y, tmp_path / "d.mmd", features=X, buckets=5000)
    with pytest.raises(ValueError, match="encode_features"):
        mmfast.Classifier(**params).fit(dataset)
    encoded = dataset.encode_features(quantizer, tmp_path / "codes.mmd")
    assert encoded.n_features == 0 and encoded.codes.dtype == np.uint8
    np.testing.assert_array_equal(encoded.codes, quantizer.transform(X))
    assert encoded.nbytes < dataset.nbytes
    from_lists = mmfast.Classifier(**params, quantizer=quantizer).fit(texts, y, features=X)
    from_codes = mmfast.Classifier(**params).fit(encoded)
    assert same_weights(from_lists, from_codes)
    # The dataset kept the quantizer, so the model predicts from raw features.
    np.testing.assert_array_equal(from_codes.predict(texts, features=X),
                                  from_lists.predict(texts, features=X))


def test_integer_codes_from_npy_are_stored_as_bytes(tmp_path):
    texts, y = separable_texts(300)
    codes = np.random.default_rng(0).integers(0, 200, (300, 8))  # int64 on disk
    write_fasttext_file(tmp_path / "t.txt", texts, y)
    np.save(tmp_path / "c.npy", codes)
    dataset = mmfast.Dataset.build(tmp_path / "t.txt", tmp_path / "d.mmd",
                                   features=tmp_path / "c.npy", buckets=5000, verbose=0)
    assert dataset.codes.dtype == np.uint8
    np.testing.assert_array_equal(dataset.codes, codes)
    params = dict(SMALL, fusion="pq", n_subquantizers=8)
    assert same_weights(mmfast.Classifier(**params).fit(dataset),
                        mmfast.Classifier(**params).fit(texts, y, features=codes))


def test_settings_that_differ_from_the_datasets_are_refused(tmp_path, texts_y):
    texts, y = texts_y
    dataset = mmfast.Dataset.from_texts(texts, y, tmp_path / "d.mmd", buckets=5000)
    with pytest.raises(ValueError, match=r"compiled with word_ngrams=2, buckets=5000"):
        mmfast.Classifier(**dict(SMALL, buckets=100)).fit(dataset)
    with pytest.raises(ValueError, match="y and features must be None"):
        mmfast.Classifier(**SMALL).fit(dataset, y)


def damaged(tmp_path, texts_y, name: str) -> str:
    texts, y = texts_y
    path = tmp_path / name
    mmfast.Dataset.from_texts(texts, y, path, buckets=5000)
    return str(path)


def test_corrupt_truncated_and_foreign_files_are_refused(tmp_path, texts_y):
    path = damaged(tmp_path, texts_y, "flipped.mmd")
    data = bytearray(open(path, "rb").read())
    data[-100] ^= 0x40  # inside the token ids, the last section
    open(path, "wb").write(bytes(data))
    with pytest.raises(ValueError, match=r"corrupt mmfast dataset '.*flipped.mmd'.*checksum"):
        mmfast.Dataset(path)

    path = damaged(tmp_path, texts_y, "short.mmd")
    os.truncate(path, os.path.getsize(path) - 5000)
    with pytest.raises(ValueError, match=r"'.*short.mmd'.*truncated"):
        mmfast.Dataset(path)

    header = damaged(tmp_path, texts_y, "header.mmd")
    data = bytearray(open(header, "rb").read())
    data[20] ^= 1  # the number of examples
    open(header, "wb").write(bytes(data))
    with pytest.raises(ValueError, match="header checksum"):
        mmfast.Dataset(header)

    foreign = tmp_path / "model.bin"
    mmfast.Classifier(**SMALL).fit(*texts_y).save(foreign)
    with pytest.raises(ValueError, match=r"'.*model.bin' is not an mmfast dataset"):
        mmfast.Dataset(foreign)
    with pytest.raises(FileNotFoundError, match="missing.mmd"):
        mmfast.Dataset(tmp_path / "missing.mmd")


def test_mismatched_feature_files_are_refused_before_training(tmp_path):
    texts, X, y = paired_modalities(200, n_features=8)
    write_fasttext_file(tmp_path / "t.txt", texts, y)
    np.save(tmp_path / "short.npy", X[:-1])
    with pytest.raises(ValueError, match=r"'.*short.npy' has 199 rows but '.*t.txt' has 200"):
        mmfast.Dataset.build(tmp_path / "t.txt", tmp_path / "d.mmd",
                             features=tmp_path / "short.npy", verbose=0)
    assert not (tmp_path / "d.mmd").exists()
    np.save(tmp_path / "x64.npy", X.astype(np.float64))
    with pytest.raises(ValueError, match="float64"):
        mmfast.Dataset.build(tmp_path / "t.txt", tmp_path / "d.mmd",
                             features=tmp_path / "x64.npy", verbose=0)
    # A referenced .npy that changes after compiling is refused when opened.
    np.save(tmp_path / "x.npy", X)
    mmfast.Dataset.build(tmp_path / "t.txt", tmp_path / "d.mmd", features=tmp_path / "x.npy",
                         verbose=0)
    np.save(tmp_path / "x.npy", np.concatenate([X, X]))
    with pytest.raises(ValueError, match=r"'.*x.npy' does not match dataset '.*d.mmd'"):
        mmfast.Dataset(tmp_path / "d.mmd")
    # With features, every line must be a labelled example (rows match lines).
    (tmp_path / "gap.txt").write_text("__label__a w1\nno label here\n")
    np.save(tmp_path / "two.npy", X[:2])
    with pytest.raises(ValueError, match=r"'.*gap.txt', line 2 has no label"):
        mmfast.Dataset.build(tmp_path / "gap.txt", tmp_path / "g.mmd",
                             features=tmp_path / "two.npy", verbose=0)


def test_writer_checks_its_input(tmp_path):
    with pytest.raises(ValueError, match="texts and y have different lengths"):
        mmfast.Dataset.from_texts(["a"], [1, 2], tmp_path / "d.mmd")
    with pytest.raises(ValueError, match="starts with '__label__'"):
        mmfast.Dataset.from_texts(["a __label__b"], [1], tmp_path / "d.mmd")
    with pytest.raises(TypeError, match="all str or all"):
        mmfast.Dataset.from_texts(["a", "b"], ["x", 2], tmp_path / "d.mmd")
    assert not os.listdir(tmp_path)  # nothing left behind
    # Newlines inside a text are word separators, as for lists.
    dataset = mmfast.Dataset.from_texts(["a\nb", "c"], [0, 1], tmp_path / "d.mmd")
    assert len(dataset) == 2 and dataset._native.n_words == 3


_PEAK_SCRIPT = textwrap.dedent("""
    import sys, threading, time
    import mmfast

    def rss_anon():
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("RssAnon:"):
                    return int(line.split()[1]) * 1024

    dataset = mmfast.Dataset(sys.argv[1])
    peak, done = [rss_anon()], threading.Event()

    def poll():
        while not done.is_set():
            peak[0] = max(peak[0], rss_anon())
            time.sleep(0.002)

    poller = threading.Thread(target=poll)
    poller.start()
    mmfast.Classifier(dim=16, buckets=2000, epochs=1, n_jobs=2, verbose=0,
                      fusion="pq", n_subquantizers=8).fit(dataset)
    done.set()
    poller.join()
    print(max(peak[0], rss_anon()))
""")


@pytest.mark.skipif(bool(os.environ.get("MMFAST_SANITIZER")),
                    reason="a sanitizer runtime's shadow memory grows with the data read")
def test_peak_anonymous_memory_does_not_grow_with_the_dataset(tmp_path):
    """Training on a dataset 8x larger must not raise the process's peak
    anonymous memory (the mapped file's pages are the page cache's)."""
    rng = np.random.default_rng(0)
    words = np.array([f"w{i}" for i in range(300)])

    def write(path, n):
        with mmfast.Dataset.writer(path, buckets=2000) as writer:
            for _ in range(n // 25_000):
                ids = rng.integers(0, 300, (25_000, 12))
                texts = [" ".join(row) for row in words[ids]]
                writer.add(texts, ids[:, 0] % 7, ids[:, :8] % 256)
        return writer.dataset

    small, large = write(tmp_path / "small.mmd", 25_000), write(tmp_path / "large.mmd", 200_000)
    assert small._native.n_words == large._native.n_words == 300  # the same model size

    def peak(dataset) -> int:
        out = subprocess.run([sys.executable, "-c", _PEAK_SCRIPT, dataset.path],
                             capture_output=True, text=True, check=True)
        return int(out.stdout)

    small_peak, large_peak = peak(small), peak(large)
    growth = large._native.token_id_bytes - small._native.token_id_bytes
    # Holding the extra examples in memory would add `growth` (~16 MB) bytes.
    assert large_peak - small_peak < min(2 << 20, growth // 8), (small_peak, large_peak)
