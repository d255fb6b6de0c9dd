"""The fastText line format has one owner (cpp/fasttext_format.h): what a writer
accepts reads back as the same examples through every reader, and what would
not is refused, naming the row."""

from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import mmfast
from mmfast import _core, _jobs

SETTINGS = settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                           HealthCheck.function_scoped_fixture],
    derandomize=True,
)
WHITESPACE = re.compile(r"[ \t\n\v\f\r]+")  # what the core splits words on


def words_of(text: str | bytes) -> list[str]:
    if isinstance(text, bytes):
        text = text.decode("utf-8")
    return [word for word in WHITESPACE.split(text) if word]


@pytest.mark.parametrize("texts, y, message", [
    (["a", "b\rc"], [0, 1], r"texts\[1\] holds a line break"),
    (["a", "b", "c\nd"], [0, 1, 2], r"texts\[2\] holds a line break"),
    (["a", "b __label__2"], [0, 1], r"texts\[1\] has a word that starts with '__label__'"),
    (["a", "b"], ["x", ""], r"y\[1\]: labels must be non-empty"),
    (["a", "b"], ["x", "two words"], r"y\[1\]: labels must be non-empty and contain no whitespace"),
    (["a", "b"], [["x"], []], r"y\[1\]: no label"),
    (["a", "\ud800"], [0, 1], r"texts\[1\] cannot be encoded as UTF-8"),
])
def test_write_fasttext_file_refuses_what_would_not_read_back(tmp_path, texts, y, message):
    path = tmp_path / "train.txt"
    path.write_text("old\n")
    with pytest.raises(ValueError, match=message):
        mmfast.write_fasttext_file(path, texts, y)
    assert path.read_text() == "old\n"  # nothing written


def test_a_text_with_a_carriage_return_keeps_later_predictions_aligned(tmp_path):
    # Before: written as is, "\r" ended a line, and the file read back 3 examples for 2 texts.
    with pytest.raises(ValueError, match=r"texts\[0\]"):
        mmfast.write_fasttext_file(tmp_path / "t.txt", ["a\rb", "c"], [0, 1])


def test_a_word_that_looks_like_a_label_is_refused_not_read_as_one(tmp_path):
    # Before: written as is, and single-label data read back as multi-label.
    with pytest.raises(ValueError, match=r"texts\[0\]"):
        mmfast.write_fasttext_file(tmp_path / "t.txt", ["x __label__2"], [1])
    with pytest.raises(ValueError, match=r"texts\[0\]"):
        mmfast.Dataset.from_texts(["x __label__2"], [1], tmp_path / "d.mmd")


def test_a_byte_order_mark_is_not_part_of_the_first_label(tmp_path):
    path = tmp_path / "bom.txt"
    path.write_bytes(b"\xef\xbb\xbf__label__c x y\n__label__b z w\n__label__a x\n")
    clf = mmfast.Classifier(dim=4, epochs=1, buckets=100, n_jobs=1, verbose=0).fit(path)
    assert clf.classes_.tolist() == ["a", "b", "c"]
    assert mmfast.Classifier(verbose=0).fit(path).evaluate(path)["n_examples"] == 3
    dataset = mmfast.Dataset.build(path, tmp_path / "bom.mmd", buckets=100, verbose=0)
    assert dataset.classes_.tolist() == ["a", "b", "c"]
    lines = _jobs.run(_core.read_fasttext_file(str(path), keep_unlabeled=True))
    assert lines.label_names == ["a", "b", "c"]


def test_the_compiler_refuses_a_label_that_is_not_utf8(tmp_path):
    # Before: compiled, then Dataset.classes_ failed to decode it.
    path = tmp_path / "latin1.txt"
    path.write_bytes(b"__label__caf\xe9 x\n__label__b y\n")
    with pytest.raises(ValueError, match="not valid UTF-8"):
        mmfast.Dataset.build(path, tmp_path / "d.mmd", buckets=100, verbose=0)
    with pytest.raises(ValueError, match="not valid UTF-8"):
        mmfast.Classifier(verbose=0).fit(path)


def test_dataset_writer_writes_line_breaks_as_spaces(tmp_path):
    # A compiled dataset keeps the words, which a line break separates as a space does.
    dataset = mmfast.Dataset.from_texts(["a\rb\r\nc", "d"], [0, 1], tmp_path / "d.mmd",
                                        buckets=10)
    offsets, ids = dataset._native.tokens()
    words = dataset._native.words
    assert [words[t] for t in ids[offsets[0]:offsets[1]] if t < len(words)] == ["a", "b", "c"]


# Mostly what reads back; now and then what the writer must refuse.
texts_strategy = st.lists(
    st.lists(st.sampled_from(list("ab é猫\t\v\f\x00_") * 8 + ["\r", "__label__", "\ufeff"]),
             max_size=8).map("".join),
    min_size=1, max_size=6,
)
label_strategy = st.one_of(
    st.text(alphabet=st.sampled_from(list("xyé\x00_") * 8 + [" "]), min_size=1, max_size=3),
    st.integers(-3, 3).map(str),
)


@SETTINGS
@given(texts=texts_strategy, data=st.data())
def test_what_the_writer_accepts_reads_back_the_same_through_every_reader(tmp_path, texts, data):
    multilabel = data.draw(st.booleans())
    if multilabel:
        y = data.draw(st.lists(st.lists(label_strategy, min_size=1, max_size=3),
                               min_size=len(texts), max_size=len(texts)))
    else:
        y = data.draw(st.lists(label_strategy, min_size=len(texts), max_size=len(texts)))
    path = tmp_path / "t.txt"
    try:
        mmfast.write_fasttext_file(path, texts, y)
    except (ValueError, TypeError):
        assume(False)  # refused: nothing to read back
    expected_labels = [[str(label) for label in (labels if multilabel else [labels])]
                       for labels in y]
    expected_words = [words_of(text) for text in texts]

    # The core's reader (fit, predict, score and evaluate on a path).
    for keep_unlabeled in (True, False):
        read = _jobs.run(_core.read_fasttext_file(str(path), keep_unlabeled=keep_unlabeled))
        names = np.asarray(read.label_names, dtype=object)
        offsets, ids = read.label_offsets, read.label_ids
        assert len(read) == len(texts)
        assert [names[ids[a:b]].tolist() for a, b in zip(offsets[:-1], offsets[1:])] == (
            expected_labels)
        assert [words_of(t) for t in _core._testing.fasttext_texts(read)] == expected_words

    # The compiler (Dataset.build).
    dataset = mmfast.Dataset.build(path, tmp_path / "t.mmd", buckets=0, n_jobs=1, verbose=0)
    classes = dataset.classes_.tolist()
    offsets, ids = dataset._native.labels()
    assert [[classes[c] for c in ids[a:b]] for a, b in zip(offsets[:-1], offsets[1:])] == (
        expected_labels)
    words = dataset._native.words
    offsets, ids = dataset._native.tokens()
    assert [[words[t] for t in ids[a:b]] for a, b in zip(offsets[:-1], offsets[1:])] == (
        expected_words)


def test_a_label_with_a_nul_is_refused_not_truncated():
    # Before: numpy's str array dropped the trailing NUL and "a\x00" became the class "a".
    with pytest.raises(ValueError, match="NUL"):
        mmfast.Classifier(verbose=0).fit(["x", "y"], ["a\x00", "b"])
