"""Bad input, faults and divergence: every case is refused with an error that
names the argument, never a crash or a silent wrong answer (issue 7)."""

from __future__ import annotations

import datetime
import json
import os
import pickle
import struct
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from conftest import separable_texts
from model_format import reseal

import mmfast
from mmfast import _core, _jobs

FAST = dict(dim=16, epochs=5, buckets=10_000, verbose=0)


def fitted(texts, y, **params) -> mmfast.Classifier:
    return mmfast.Classifier(**{**FAST, **params}).fit(texts, y)


def run_child(code: str, timeout: float = 120) -> dict:
    """Runs `code` in a fresh interpreter; its last stdout line is JSON."""
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
        timeout=timeout,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


# -- threads -------------------------------------------------------------

# Caps the address space so that only a few dozen 8 MB thread stacks fit.
# Sanitizer runtimes reserve terabytes of address space: no cap is possible.
limits_address_space = pytest.mark.skipif(
    not sys.platform.startswith("linux") or bool(os.environ.get("MMFAST_SANITIZER")),
    reason="needs /proc and RLIMIT_AS, and no sanitizer runtime",
)
_FEW_THREADS = """
import json, resource
import numpy as np
import mmfast

def limit_threads():
    used = int(open("/proc/self/statm").read().split()[0]) * resource.getpagesize()
    resource.setrlimit(resource.RLIMIT_AS, (used + (256 << 20), resource.RLIM_INFINITY))

def outcome(call):
    try:
        call()
        return "ok"
    except ValueError as e:
        return str(e)
"""


@limits_address_space
def test_threads_that_cannot_start_are_reported_not_fatal():
    result = run_child(_FEW_THREADS + """
texts = [f"w{i} x{i % 7}" for i in range(20000)]
y = [i % 3 for i in range(20000)]
X = np.random.default_rng(0).random((3000, 8), dtype=np.float32)
limit_threads()
print(json.dumps({
    "fit": outcome(lambda: mmfast.Classifier(dim=4, buckets=100, verbose=0, n_jobs=5000)
                   .fit(texts, y)),
    "kmeans": outcome(lambda: mmfast.KMeans(n_clusters=3000, n_iter=1, n_jobs=5000).fit(X)),
    "after": outcome(lambda: mmfast.Classifier(dim=4, buckets=100, verbose=0, n_jobs=2)
                     .fit(texts, y)),
}))
""")
    for case in ("fit", "kmeans"):
        assert result[case].startswith("threads: the system could start only "), result[case]
        assert "threads asked for" in result[case] and "ask for fewer threads" in result[case]
    assert result["after"] == "ok"  # the process is intact


@limits_address_space
def test_per_thread_scratch_is_bounded_by_the_work():
    # threads=10**6 used to allocate ~1 GB of encoding scratch up front.
    result = run_child(_FEW_THREADS + """
X = np.random.default_rng(0).random((600, 16), dtype=np.float32)
pq = mmfast.ProductQuantizer(n_subquantizers=4, n_bits=4, n_jobs=1).fit(X)
pq.n_jobs = 10**6
limit_threads()
print(json.dumps({"transform": outcome(lambda: pq.transform(X[:200]))}))
""")
    assert result["transform"] == "ok"


# -- model files ---------------------------------------------------------


@pytest.fixture(scope="module")
def small_files() -> dict[str, tuple[bytes, object]]:
    """Small saved objects and the loader each needs."""
    rng = np.random.default_rng(0)
    X = rng.random((64, 6), dtype=np.float32)
    clf = mmfast.Classifier(dim=3, buckets=5, verbose=0, fusion="pq", n_subquantizers=2,
                            n_bits=3, loss="hs")
    clf.fit(["a b", "c d e", "f"] * 20, [0, 1, 2] * 20, features=rng.random((60, 6)))
    return {
        "classifier": (clf._native.to_bytes(b"{}"), _core.Classifier.from_bytes),
        "rspq": (mmfast.RSPQ(n_subspaces=2, subspace_dim=3, n_bits=3).fit(X)._native.to_bytes(),
                 _core.Quantizer.from_bytes),
        "kmeans": (mmfast.KMeans(n_clusters=4).fit(X)._native.to_bytes(), _core.KMeans.from_bytes),
    }


@pytest.mark.parametrize("name", ["classifier", "rspq", "kmeans"])
def test_forged_fields_with_a_valid_checksum_are_refused(small_files, name):
    """Every 8 bytes overwritten with an extreme value (and the checksum
    recomputed, as an attacker would) either loads or raises ValueError; the
    sanitizer build (scripts/sanitize.sh) turns overflow or overreads into
    failures here."""
    data, load = small_files[name]
    patterns = [struct.pack("<q", v) for v in (2**63 - 1, 2**62 + 3, 2**31 - 1, -1)]
    refused = 0
    for offset in range(8, len(data) - 16):
        for pattern in patterns:
            forged = reseal(data[:offset] + pattern + data[offset + 8:])
            try:
                _jobs.run(load(forged))
            except ValueError as e:
                assert "corrupt mmfast model" in str(e) or "mmfast model" in str(e), e
                refused += 1
    assert refused > 0


def test_checksum_is_verified_before_parsing(small_files):
    data, load = small_files["classifier"]
    for offset in (8, 16, len(data) // 2, len(data) - 9):
        damaged = bytearray(data)
        damaged[offset] ^= 0x5A
        with pytest.raises(ValueError, match="checksum mismatch"):
            _jobs.run(load(bytes(damaged)))


# -- divergence ----------------------------------------------------------


@pytest.mark.parametrize(("lr", "loss"), [(10.0, "softmax"), (1e6, "softmax"), (1e6, "ova")])
def test_divergence_stops_training_and_says_when_and_what_to_change(text_data, lr, loss):
    texts, y = text_data
    with pytest.raises(ValueError, match=r"training diverged: the loss became (NaN|infinite) "
                                         r"in epoch \d+ of 5, .*% into training.*lower lr"):
        fitted(texts, y, dim=10, lr=lr, loss=loss, n_jobs=2)


def test_lr_half_at_dim_ten_still_trains(text_data):
    # fastText diverges here; mmfast does not, and must not start refusing it.
    texts, y = text_data
    assert fitted(texts, y, dim=10, lr=0.5).score(texts[:500], y[:500]) >= 0.95


def test_nan_model_output_is_never_a_class(tmp_path):
    texts, y = separable_texts(300, n_classes=3)
    clf = fitted(texts, y, dim=7)
    data = bytearray(clf._native.to_bytes(clf._metadata()))
    # The output matrix (rows = classes, cols = dim) follows its shape header and
    # its row set and encoding bytes (every row, float32).
    start = data.rfind(struct.pack("<qqbb", 3, 7, 0, 0)) + 18
    data[start:start + 3 * 7 * 4] = np.full(3 * 7, np.nan, dtype=np.float32).tobytes()
    damaged = mmfast.Classifier._from_native(
        *_jobs.run(_core.Classifier.from_bytes(reseal(bytes(data)))))
    assert np.isnan(damaged.predict_proba(texts[:4])).all()
    labels, probs = damaged.predict_top(texts[:4], k=2)
    assert labels == [[]] * 4 and all(len(p) == 0 for p in probs)
    with pytest.raises(ValueError, match="NaN for 4 examples"):
        damaged.predict(texts[:4])


# -- files ---------------------------------------------------------------


def test_predictions_from_a_file_keep_one_row_per_line(tmp_path):
    texts, y = separable_texts(500)
    clf = fitted(texts, y)
    path = tmp_path / "test.txt"
    lines = [texts[0], "", texts[1], "   ", "__label__3", texts[2], ""]
    path.write_text("\n".join(lines) + "\n")
    assert len(clf.predict(path)) == len(lines)
    labels, _ = clf.predict_top(path, k=2)
    assert len(labels) == len(lines)
    np.testing.assert_array_equal(clf.predict(path)[[0, 2, 5]], clf.predict(texts[:3]))


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_every_line_ending_splits_lines(tmp_path, newline):
    path = tmp_path / "train.txt"
    path.write_bytes(newline.join(
        ["__label__a red apple", "__label__b yellow banana"] * 20
    ).encode() + newline.encode())
    clf = fitted(path, None, epochs=20, lr=0.5)
    assert list(clf.classes_) == ["a", "b"] and not clf.multilabel_
    assert clf.predict(["apple", "banana"]).tolist() == ["a", "b"]
    assert len(clf.predict(path)) == 40


def test_nothing_to_train_on_is_refused(tmp_path):
    path = tmp_path / "labels_only.txt"
    path.write_text("__label__a\n__label__b\n__label__a __label__c\n")
    with pytest.raises(ValueError, match="nothing to train on"):
        fitted(path, None)
    with pytest.raises(ValueError, match=r"nothing to train on.*min_count=5.*buckets=0"):
        fitted(["a b", "c d", "e f"], [0, 1, 0], min_count=5, buckets=0)


def test_invalid_utf8_label_names_the_file_and_line(tmp_path):
    path = tmp_path / "train.txt"
    path.write_bytes(b"__label__a one\n__label__b two\n\n__label__\xff\xfe three\n")
    with pytest.raises(ValueError, match=r"file '.*train.txt', line 4: the label is not valid"):
        fitted(path, None)


def test_a_str_is_explained_as_a_file_path():
    with pytest.raises(ValueError, match=r"'hello world' does not exist \(a str is read as the "
                                         r"path of a fastText-format file"):
        fitted("hello world", [0])


def test_score_refuses_labels_of_another_type(tmp_path):
    path = tmp_path / "train.txt"
    path.write_text("__label__1 one uno\n__label__2 two dos\n" * 20)
    clf = fitted(path, None)
    assert clf.classes_.dtype.kind == "U"
    with pytest.raises(ValueError, match=r"y shares no label with the model's classes_ "
                                         r"\('1', '2'\).*labels read from a file are str"):
        clf.score(["one", "two"], [1, 2])
    assert clf.score(["one", "two"], ["1", "2"]) == 1.0


# -- save ----------------------------------------------------------------


@pytest.fixture(scope="module")
def small_model() -> mmfast.Classifier:
    return fitted(["a b", "c d"], [0, 1], dim=2, buckets=0)


@pytest.mark.parametrize(
    ("where", "error"),
    [("missing/model.mmf", FileNotFoundError), (".", IsADirectoryError), ("", FileNotFoundError)],
)
def test_save_raises_the_matching_os_error_naming_the_path(small_model, tmp_path, where, error):
    path = "" if where == "" else str(tmp_path / where)
    with pytest.raises(error) as caught:
        small_model.save(path)
    assert caught.value.filename == path
    assert list(tmp_path.iterdir()) == []


def test_save_to_a_read_only_place_is_a_permission_error(small_model, tmp_path):
    read_only = tmp_path / "read_only"
    read_only.mkdir(mode=0o555)
    path = read_only / "model.mmf"
    if os.access(read_only, os.W_OK):  # root ignores the mode; sysfs refuses new files
        path = Path("/sys/mmfast-model.mmf")
        if not Path("/sys").is_dir():
            pytest.skip("no read-only place to write to")
    with pytest.raises(PermissionError) as caught:
        small_model.save(path)
    assert caught.value.filename == str(path)


# -- arguments -----------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"dim": 2**40}, "dim must be <= 2147483647"),
        ({"n_jobs": 2**31}, "n_jobs must be <= 2147483647"),
        ({"word_ngrams": 2**35}, "word_ngrams must be <= 2147483647"),
        ({"epochs": 2**31}, "epochs must be <= 2147483647"),
        ({"random_state": 2**64}, r"random_state must be in \[0, 18446744073709551615\]"),
        ({"buckets": 2**31}, r"buckets must be in \[0, 2147483646\]"),
    ],
)
def test_out_of_range_integers_name_the_argument(params, match):
    with pytest.raises(ValueError, match=match):
        fitted(["a b", "c d"], [0, 1], **params)


def test_largest_seed_and_huge_k_are_accepted():
    clf = fitted(["a b", "c d", "e f"], [0, 1, 2], random_state=2**64 - 1, dim=2, buckets=0)
    labels, probs = clf.predict_top(["a b"], k=2**40)  # capped at the 3 classes
    assert len(labels[0]) == 3 and len(probs[0]) == 3


def test_huge_finite_values_are_refused_naming_the_data():
    X = np.random.default_rng(0).random((300, 8)) * 1e20
    with pytest.raises(ValueError, match=r"X has values up to 1e\+20 in magnitude.*scale X down"):
        mmfast.KMeans(n_clusters=4).fit(X)
    with pytest.raises(ValueError, match="X has values up to"):
        mmfast.ProductQuantizer(n_subquantizers=2, n_bits=2).fit(X)
    with pytest.raises(ValueError, match="features has values up to.*scale features down"):
        mmfast.Classifier(fusion="pq", n_subquantizers=2, n_bits=2, verbose=0).fit(
            None, [0, 1] * 150, features=X)
    native = _core.KMeans(8, 4)  # the core checks too, for direct callers
    with pytest.raises(ValueError, match="overflow float32"):
        _jobs.run(native.train(X.astype(np.float32)))


def test_complex_or_text_features_are_refused():
    X = np.random.default_rng(0).random((300, 4)) * (1 + 1j)
    with pytest.raises(ValueError, match="features must be a 2-D array of real numbers: Complex"):
        mmfast.Classifier(fusion="pq", n_subquantizers=2, n_bits=2, verbose=0).fit(
            None, [0, 1] * 150, features=X)
    with pytest.raises(TypeError, match="X must be a 2-D array of numbers, got dtype <U"):
        mmfast.KMeans(n_clusters=2).fit([["1.5", "2"], ["3", "4"]])


def test_feature_messages_say_features():
    X = np.random.default_rng(0).random((5, 4))
    clf = mmfast.Classifier(fusion="pq", n_subquantizers=2, n_bits=4, verbose=0)
    with pytest.raises(ValueError, match="^features has n_samples=5, fewer than the 16"):
        clf.fit(None, [0, 1, 0, 1, 0], features=X)
    with pytest.raises(ValueError, match="exceeds the number of features of features"):
        clf.set_params(n_subquantizers=9).fit(None, [0, 1, 0, 1, 0], features=X)


# -- labels --------------------------------------------------------------


@pytest.mark.parametrize(
    ("y", "error", "match"),
    [
        ([1, "a", 2, "b"], TypeError, "must be all str or all numbers, got a mix of int, str"),
        ([b"a", b"b", b"a", b"b"], TypeError, r"got bytes \(decode them to str\)"),
        ([1j, 2j, 1j, 2j], ValueError, "y: Complex data not supported"),
        ([datetime.date(2020, 1, d) for d in (1, 2, 1, 2)], TypeError, "got date"),
        (np.array(["2020-01-01", "2020-01-02"] * 2, dtype="M8[D]"), TypeError, "datetime64"),
        ([1.0, float("nan"), 1.0, 2.0], ValueError, "y contains NaN"),
        ([0.5, 1.5, 0.5, 1.5], ValueError, "Unknown label type: continuous"),
        ([["a", "b"], "c", ["a"], "b"], ValueError, r"not a mix: y\[0\] is of type list, y\[1\]"),
        (["a", ["b", "c"], "a", "b"], ValueError, r"not a mix: y\[1\] is of type list"),
    ],
)
def test_label_types_are_decided_at_fit(y, error, match):
    with pytest.raises(error, match=match):
        fitted(["a b", "c d", "e f", "g h"], y)


@pytest.mark.parametrize(
    "y", [[True, False] * 2, [1.0, 2.0] * 2, [np.int64(3), 4] * 2, ["x", np.str_("y")] * 2]
)
def test_accepted_label_types_survive_save_and_pickle(y, tmp_path):
    clf = fitted(["a b", "c d", "a b", "c d"], y, epochs=20, lr=0.5, dim=4)
    clf.save(tmp_path / "m.mmf")
    for copy in (mmfast.load(tmp_path / "m.mmf"), pickle.loads(pickle.dumps(clf))):
        np.testing.assert_array_equal(copy.classes_, clf.classes_)
        assert copy.classes_.dtype == clf.classes_.dtype
        np.testing.assert_array_equal(copy.predict(["a b"]), clf.predict(["a b"]))


# -- Ctrl-C --------------------------------------------------------------

# Each job below runs for minutes unless stopped; SIGINT arrives 0.3 s in.
_INTERRUPT = """
import json, os, signal, threading, time
import numpy as np
import mmfast
rng = np.random.default_rng(0)
{setup}
# Python only raises KeyboardInterrupt where SIGINT was not ignored when it
# started, and a job started in the background by a shell without job control
# ignores it (so a CI runner launched that way would ignore it here too).
signal.signal(signal.SIGINT, signal.default_int_handler)
threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGINT)).start()
start = time.process_time()
try:
    {call}
    outcome = "finished"
except KeyboardInterrupt:
    outcome = "interrupted"
print(json.dumps({{"outcome": outcome, "cpu_seconds": time.process_time() - start,
                  "unchanged": bool({unchanged})}}))
"""

_JOBS = {
    "kmeans fit": (
        "X = rng.random((20000, 16), dtype=np.float32)\n"
        "km = mmfast.KMeans(n_clusters=8, n_iter=2, n_jobs=2).fit(X)\n"
        "before = km.cluster_centers_.copy()\n"
        "km.set_params(n_clusters=256, n_iter=10**6)",
        "km.fit(X)",
        "np.array_equal(km.cluster_centers_, before) and km.n_clusters == 256",
    ),
    "pq fit": (
        "X = rng.random((20000, 16), dtype=np.float32)\n"
        "clf = mmfast.Classifier(fusion='pq', n_subquantizers=2, verbose=0, n_jobs=2)\n"
        "clf.quantizer = mmfast.ProductQuantizer(n_subquantizers=2, n_iter=10**6, n_jobs=2)",
        "clf.fit(None, np.arange(20000) % 2, features=X)",
        "not hasattr(clf, 'classes_') and not hasattr(clf.quantizer, 'centroids_')",
    ),
    "pq transform": (
        "pq = mmfast.ProductQuantizer(n_subquantizers=1, n_bits=14, n_iter=1, n_jobs=2)\n"
        "pq.fit(rng.random((2**14, 1), dtype=np.float32))\n"
        "X = rng.random((8_000_000, 1), dtype=np.float32)",
        "pq.transform(X)",
        "True",
    ),
    "predict": (
        "texts = [f'w{i % 50} c{i % 1000}' for i in range(2000)]\n"
        "clf = mmfast.Classifier(dim=300, epochs=1, buckets=100, verbose=0, n_jobs=2)\n"
        "clf.fit(texts, np.arange(2000) % 1000)",
        "clf.predict(['w1 c2 w3'] * 4_000_000)",
        "len(clf.classes_) == 1000",
    ),
    "fit setup": (
        "text = ' '.join(f'w{i}' for i in range(2000))\n"
        "clf = mmfast.Classifier(min_count=10**9, buckets=0, word_ngrams=1, verbose=0, n_jobs=2)",
        "clf.fit([text] * 1_000_000, np.arange(1_000_000) % 2)",
        "not hasattr(clf, 'classes_')",
    ),
}


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT by os.kill")
@pytest.mark.parametrize("job", list(_JOBS))
def test_ctrl_c_stops_long_calls_and_leaves_the_object_as_it_was(job):
    setup, call, unchanged = _JOBS[job]
    result = run_child(_INTERRUPT.format(setup=setup, call=call, unchanged=unchanged))
    assert result["outcome"] == "interrupted"
    assert result["unchanged"]
    # Uninterrupted, each job takes minutes of CPU time: stopping within
    # seconds of it shows the signal stopped it, rather than a KeyboardInterrupt
    # raised once it returned. CPU time, every thread's, not the wall clock:
    # under load (CI saw a load average above 10) a stopped job's wall-clock
    # time grows with the wait for a core, its CPU time does not.
    assert result["cpu_seconds"] < 10
