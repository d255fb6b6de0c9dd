"""Files are safe to share: temporary names unique per writer, no SIGBUS from
a file truncated while mapped, outputs that are not inputs, referenced
features checked for content, forged sizes refused, NUL in paths refused."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import threading

import numpy as np
import pytest
from conftest import separable_texts
from model_format import reseal_dataset_header

import mmfast

SMALL = dict(dim=16, epochs=2, buckets=5000, n_jobs=1, verbose=0)


def _together(*calls):
    """Runs the calls on threads at once; returns what each raised (None)."""
    errors = [None] * len(calls)
    start = threading.Barrier(len(calls))

    def run(k):
        start.wait()
        try:
            calls[k]()
        except Exception as error:  # noqa: BLE001 - reported to the test
            errors[k] = error

    threads = [threading.Thread(target=run, args=(k,)) for k in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def test_threads_saving_a_model_to_one_path_leave_one_whole_file(tmp_path):
    # Before: both wrote one temporary file (named by the process id).
    texts, y = separable_texts(500)
    models = [mmfast.Classifier(**{**SMALL, "buckets": 200_000, "random_state": seed}).fit(
        texts, y) for seed in (1, 2)]
    path = tmp_path / "m.mmf"
    for _ in range(5):
        assert _together(*(lambda m=m: m.save(path) for m in models)) == [None, None]
        loaded = mmfast.load(path).predict_proba(texts[:20])
        assert any(np.array_equal(loaded, m.predict_proba(texts[:20])) for m in models)
    assert os.listdir(tmp_path) == ["m.mmf"]


def test_threads_building_a_dataset_to_one_path_leave_one_whole_file(tmp_path):
    texts, y = separable_texts(3000)
    path = tmp_path / "d.mmd"
    parts = [(texts[:1500], y[:1500]), (texts[1500:], y[1500:])]
    errors = _together(*(lambda t=t, labels=labels: mmfast.Dataset.from_texts(
        t, labels, path, buckets=1000) for t, labels in parts))
    assert errors == [None, None]
    assert len(mmfast.Dataset(path)) == 1500
    assert os.listdir(tmp_path) == ["d.mmd"]


def test_two_writers_of_one_path_never_mix_their_examples(tmp_path):
    # Before: their spools had one name, and the second truncated the first's.
    path = tmp_path / "d.mmd"
    first = mmfast.Dataset.writer(path, buckets=100)
    second = mmfast.Dataset.writer(path, buckets=100)
    first.add(["a b", "c"], ["x", "y"])
    second.add(["d e f"], ["z"])
    first.add(["g"], ["x"])
    assert len(first.close()) == 3 and first.dataset.classes_.tolist() == ["x", "y"]
    assert len(second.close()) == 1 and second.dataset.classes_.tolist() == ["z"]
    assert os.listdir(tmp_path) == ["d.mmd"]


_TRUNCATED = textwrap.dedent("""
    import json, os, sys
    import numpy as np
    import mmfast
    sys.path.insert(0, {tests!r})
    from conftest import separable_texts
    texts, y = separable_texts(20000)
    path = {path!r}
    codes = np.random.default_rng(0).integers(0, 16, (20000, 4))
    clf = mmfast.Classifier(fusion="pq", n_subquantizers=4, n_bits=4, dim=8, epochs=1,
                            buckets=1000, verbose=0).fit(texts, y, features=codes)
    dataset = mmfast.Dataset.from_texts(texts, y, path, features=codes, buckets=1000)
    view = dataset.codes
    os.truncate(path, 8192)  # in place, as another program might
    seen = {{}}
    for name, call in (("fit", lambda: clf.fit(dataset)),
                       ("predict", lambda: clf.predict(dataset))):
        try:
            call()
            seen[name] = "finished"
        except OSError as error:
            seen[name] = str(error)
    seen["view"] = int(view[-100:].sum())  # lost pages read as zeros
    print(json.dumps(seen))
""")


def test_a_dataset_truncated_while_mapped_raises_instead_of_sigbus(tmp_path):
    # Before: the process died of SIGBUS.
    script = _TRUNCATED.format(tests=os.path.dirname(__file__), path=str(tmp_path / "d.mmd"))
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout.splitlines()[-1])
    for name in ("fit", "predict"):
        assert "truncated or rewritten in place" in seen[name], seen
    assert seen["view"] == 0


def test_an_output_that_is_an_input_is_refused(tmp_path):
    texts, y = separable_texts(200)
    text = tmp_path / "t.txt"
    mmfast.write_fasttext_file(text, texts, y)
    X = np.random.default_rng(0).random((200, 4), dtype=np.float32)
    np.save(tmp_path / "f.npy", X)
    with pytest.raises(ValueError, match="is texts, an input"):
        mmfast.Dataset.build(text, text, verbose=0)
    with pytest.raises(ValueError, match="is features, an input"):
        mmfast.Dataset.build(text, tmp_path / "f.npy", features=tmp_path / "f.npy", verbose=0)
    mapped = np.load(tmp_path / "f.npy", mmap_mode="r")
    with pytest.raises(ValueError, match="is features, an input"):
        mmfast.Dataset.from_texts(texts, y, tmp_path / "f.npy", features=mapped)
    dataset = mmfast.Dataset.build(text, tmp_path / "d.mmd", features=tmp_path / "f.npy",
                                   buckets=100, verbose=0)
    with pytest.raises(ValueError, match="is features, an input"):
        dataset.encode_features(mmfast.ProductQuantizer(n_subquantizers=2, n_bits=2),
                                tmp_path / "f.npy")
    assert text.read_text().startswith("__label__") and np.load(tmp_path / "f.npy").shape == (
        200, 4)


def test_a_referenced_npy_is_checked_for_content(tmp_path):
    # Before: only its size and header were compared.
    texts, y = separable_texts(200)
    mmfast.write_fasttext_file(tmp_path / "t.txt", texts, y)
    X = np.random.default_rng(0).random((200, 4), dtype=np.float32)
    np.save(tmp_path / "f.npy", X)
    mmfast.Dataset.build(tmp_path / "t.txt", tmp_path / "d.mmd", features=tmp_path / "f.npy",
                         buckets=100, verbose=0)
    X[7, 2] += 1.0
    np.save(tmp_path / "f.npy", X)  # same size, same header
    with pytest.raises(ValueError, match="changed since dataset"):
        mmfast.Dataset(tmp_path / "d.mmd")


@pytest.mark.parametrize("bad, message", [
    (np.nan, "contains NaN or infinity"),
    (1e30, "values up to 1e\\+30 in magnitude"),
])
def test_features_given_to_build_are_checked_as_lists_are(tmp_path, bad, message):
    texts, y = separable_texts(50)
    mmfast.write_fasttext_file(tmp_path / "t.txt", texts, y)
    X = np.ones((50, 3), dtype=np.float32)
    X[3, 1] = bad
    np.save(tmp_path / "f.npy", X)
    with pytest.raises(ValueError, match=message):
        mmfast.Dataset.build(tmp_path / "t.txt", tmp_path / "d.mmd", features=tmp_path / "f.npy",
                             verbose=0)
    np.save(tmp_path / "f.npy", np.zeros((50, 0), dtype=np.float32))
    with pytest.raises(ValueError, match="0 feature"):
        mmfast.Dataset.build(tmp_path / "t.txt", tmp_path / "d.mmd", features=tmp_path / "f.npy",
                             verbose=0)


def test_a_forged_number_of_examples_is_refused(tmp_path):
    # Before: (n + 1) * 8 wrapped around, and validation read far past the file.
    texts, y = separable_texts(50)
    path = tmp_path / "d.mmd"
    mmfast.Dataset.from_texts(texts, y, path, buckets=100)
    data = bytearray(path.read_bytes())
    for forged in (2**61 - 1, 2**63 - 1):
        data[16:24] = forged.to_bytes(8, "little")
        path.write_bytes(reseal_dataset_header(bytes(data)))
        with pytest.raises(ValueError, match="bad number of examples"):
            mmfast.Dataset(path)


@pytest.mark.parametrize("call", [
    lambda clf, tmp: clf.save(tmp / "a\0b"),
    lambda clf, tmp: mmfast.load(tmp / "a\0b"),
    lambda clf, tmp: mmfast.write_fasttext_file(tmp / "a\0b", ["x"], [1]),
    lambda clf, tmp: mmfast.Dataset.from_texts(["x"], [1], tmp / "a\0b"),
    lambda clf, tmp: mmfast.Dataset(tmp / "a\0b"),
    lambda clf, tmp: clf.predict(str(tmp / "a\0b")),
])
def test_a_nul_in_a_path_is_a_value_error(tmp_path, call):
    # Before: save and write_fasttext_file wrote the file "a", the path cut at the NUL.
    clf = mmfast.Classifier(**SMALL).fit(["a b", "c d"], [0, 1])
    with pytest.raises(ValueError, match="NUL|null"):
        call(clf, tmp_path)
    assert os.listdir(tmp_path) == []
