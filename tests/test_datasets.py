import re

import numpy as np
import pytest

import mmfast
from mmfast.datasets import (
    make_flickrtag_like,
    make_food101_like,
    make_fusion_classification,
    make_multimodal_classification,
    make_text_classification,
    write_fasttext_file,
)


def word_ranks(texts: list[str]) -> np.ndarray:
    return np.array([int(word[1:]) for text in texts for word in text.split()])


def word_frequencies(texts: list[str], vocab_size: int) -> np.ndarray:
    counts = np.bincount(word_ranks(texts), minlength=vocab_size)
    return counts / counts.sum()


def total_variation(p: np.ndarray, q: np.ndarray) -> float:
    return 0.5 * float(np.abs(p - q).sum())


def test_text_is_deterministic_for_a_seed():
    texts_a, y_a = make_text_classification(500, seed=3)
    texts_b, y_b = make_text_classification(500, seed=3)
    texts_c, y_c = make_text_classification(500, seed=4)
    assert texts_a == texts_b
    np.testing.assert_array_equal(y_a, y_b)
    assert texts_a != texts_c


def test_text_shapes_words_and_labels():
    texts, y = make_text_classification(2000, n_classes=7, vocab_size=300, doc_length=12)
    assert isinstance(texts, list) and len(texts) == 2000
    assert y.shape == (2000,) and np.issubdtype(y.dtype, np.integer)
    assert set(np.unique(y)) == set(range(7))
    assert all(re.fullmatch(r"w\d+( w\d+)*", text) for text in texts)
    ranks = word_ranks(texts)
    assert ranks.min() >= 0 and ranks.max() < 300
    lengths = np.array([len(text.split()) for text in texts])
    assert lengths.min() >= 1 and abs(lengths.mean() - 12) < 0.5
    assert lengths.std() > 1  # lengths vary


def test_background_words_follow_a_zipf_law():
    texts, _ = make_text_classification(2000, vocab_size=1000, noise=1.0)
    counts = np.bincount(word_ranks(texts), minlength=1000)
    assert counts[0] > counts[1] > counts[10] > counts[100] > counts[900]


def test_noiseless_documents_use_only_their_class_words():
    texts, y = make_text_classification(1000, n_classes=5, class_words=8, noise=0.0)
    words_of_class = [set(word_ranks([t for t, label in zip(texts, y) if label == c]))
                      for c in range(5)]
    for words in words_of_class:
        assert len(words) <= 8
        assert min(words) >= 100  # never one of the stop words


def test_text_rejects_bad_arguments():
    with pytest.raises(ValueError, match="noise"):
        make_text_classification(10, noise=1.5)
    with pytest.raises(ValueError, match="n_classes"):
        make_text_classification(10, n_classes=0)
    with pytest.raises(ValueError, match="vocab_size"):
        make_text_classification(10, vocab_size=50)


def test_multimodal_is_deterministic_for_a_seed():
    texts_a, features_a, y_a = make_multimodal_classification(300, n_features=32, seed=1)
    texts_b, features_b, y_b = make_multimodal_classification(300, n_features=32, seed=1)
    assert texts_a == texts_b
    np.testing.assert_array_equal(features_a, features_b)
    np.testing.assert_array_equal(y_a, y_b)


def test_multimodal_shapes_and_dtypes():
    texts, features, y = make_multimodal_classification(400, n_classes=6, n_features=64)
    assert len(texts) == 400
    assert features.shape == (400, 64) and features.dtype == np.float32
    assert features.min() >= 0  # ReLU-like by default
    assert set(np.unique(y)) == set(range(6))
    _, signed, _ = make_multimodal_classification(400, n_features=64, nonnegative=False)
    assert signed.min() < 0


def test_multimodal_rejects_bad_arguments():
    for n_classes in (2, 5):
        with pytest.raises(ValueError, match="n_classes"):
            make_multimodal_classification(10, n_classes=n_classes)
    with pytest.raises(ValueError, match="latent_dim"):
        make_multimodal_classification(10, n_features=8, latent_dim=16)
    with pytest.raises(ValueError, match="doc_length"):
        make_multimodal_classification(10, doc_length=0)
    with pytest.raises(ValueError, match="noise must"):
        make_multimodal_classification(10, noise=-0.1)


def test_text_confuses_classes_2k_and_2k_plus_1():
    n_classes, vocab_size = 6, 400
    texts, _, y = make_multimodal_classification(
        3000, n_classes=n_classes, n_features=8, latent_dim=4, vocab_size=vocab_size, noise=0.5
    )
    freq = [word_frequencies([t for t, label in zip(texts, y) if label == c], vocab_size)
            for c in range(n_classes)]
    for k in range(0, n_classes, 2):
        partner = total_variation(freq[k], freq[k + 1])
        other = total_variation(freq[k], freq[(k + 2) % n_classes])
        assert partner < 0.12 and other > 0.25


def test_features_confuse_classes_2k_plus_1_and_2k_plus_2():
    n_classes = 8
    _, features, y = make_multimodal_classification(4000, n_classes=n_classes, n_features=64)
    train, test = slice(0, 3000), slice(3000, None)
    centroids = np.stack([features[train][y[train] == c].mean(axis=0) for c in range(n_classes)])
    distances = ((features[test, None, :] - centroids[None]) ** 2).sum(axis=-1)
    predicted = distances.argmin(axis=1)

    def feature_group(labels: np.ndarray) -> np.ndarray:
        return ((labels + 1) % n_classes) // 2

    # Nearest centroid finds the feature cluster, but within it picks a class at random.
    assert np.mean(feature_group(predicted) == feature_group(y[test])) > 0.85
    assert np.mean(predicted == y[test]) < 0.6
    # Feature partners share a centroid; text partners (2k, 2k+1) are far apart.
    for k in range(0, n_classes, 2):
        feature_partners_gap = np.linalg.norm(centroids[k + 1] - centroids[(k + 2) % n_classes])
        text_partners_gap = np.linalg.norm(centroids[k] - centroids[k + 1])
        assert feature_partners_gap < 0.2 * text_partners_gap


def test_multimodal_is_fusion_classification_with_even_classes():
    old = make_multimodal_classification(300, n_classes=6, n_features=16, noise=0.5, seed=2)
    new = make_fusion_classification(300, 6, 16, text_noise=0.5, seed=2)
    assert old[0] == new[0]
    np.testing.assert_array_equal(old[1], new[1])
    np.testing.assert_array_equal(old[2], new[2])


def test_fusion_is_deterministic_for_a_seed():
    def generate(seed: int) -> tuple:
        return make_fusion_classification(300, 5, 32, class_imbalance=1.0, scale_spread=0.5,
                                          feature_shift=0.5, seed=seed)

    (texts_a, features_a, y_a), (texts_b, features_b, y_b) = generate(1), generate(1)
    assert texts_a == texts_b
    np.testing.assert_array_equal(features_a, features_b)
    np.testing.assert_array_equal(y_a, y_b)
    assert generate(2)[0] != texts_a


@pytest.mark.parametrize("generate, n_classes, n_features", [
    (make_food101_like, 101, 2048),
    (make_flickrtag_like, 500, 512),
])
def test_benchmark_sets_shapes_and_cnn_like_features(generate, n_classes, n_features):
    texts, features, y = generate(n_samples=3000)
    assert len(texts) == 3000 and all(texts)
    assert features.shape == (3000, n_features) and features.dtype == np.float32
    assert y.shape == (3000,) and 0 <= y.min() and y.max() < n_classes
    assert len(np.unique(y)) > n_classes // 2
    # Non-negative, dense and far from unit norm, with dimensions of unequal scale:
    # what plain SGD on raw CNN features struggles with.
    assert features.min() == 0 and 0.3 < np.mean(features > 0) < 0.9
    assert np.linalg.norm(features, axis=1).mean() > 10
    spreads = features.std(axis=0)
    assert np.percentile(spreads, 90) > 2 * np.percentile(spreads, 10)
    assert generate(n_samples=10, n_features=64, latent_dim=8)[1].shape == (10, 64)


def test_fusion_class_imbalance_follows_a_zipf_law():
    _, _, uniform = make_fusion_classification(20_000, 10, 8, latent_dim=4)
    _, _, skewed = make_fusion_classification(20_000, 10, 8, latent_dim=4, class_imbalance=1.0)
    uniform_counts = np.sort(np.bincount(uniform, minlength=10))
    skewed_counts = np.sort(np.bincount(skewed, minlength=10))
    assert uniform_counts[-1] < 1.2 * uniform_counts[0]
    # p(rank) ~ 1/(rank+1): the most frequent class is 10 times the rarest.
    assert 7 < skewed_counts[-1] / skewed_counts[0] < 13


def test_fusion_rejects_bad_arguments():
    with pytest.raises(ValueError, match="n_classes"):
        make_fusion_classification(10, n_classes=2)
    with pytest.raises(ValueError, match="latent_dim"):
        make_fusion_classification(10, n_features=8, latent_dim=16)
    with pytest.raises(ValueError, match="text_noise"):
        make_fusion_classification(10, text_noise=1.5)
    for name in ("class_imbalance", "cluster_std", "feature_noise", "feature_scale",
                 "scale_spread"):
        with pytest.raises(ValueError, match=name):
            make_fusion_classification(10, **{name: -1.0})
    with pytest.raises(ValueError, match="cluster_std"):
        make_fusion_classification(10, cluster_std=float("nan"))
    with pytest.raises(TypeError):
        make_food101_like(n_sample=10)  # a misspelt setting is not ignored


def test_fusion_task_needs_both_modalities():
    """Odd class count: each modality alone tops out near (1 + 6 / 2) / 7 = 57%,
    a fused (pq) model learns far more."""
    texts, features, y = make_fusion_classification(3000, 7, 32, latent_dim=4, text_noise=0.5)
    train, test = slice(0, 2400), slice(2400, None)
    settings = dict(dim=16, epochs=20, word_ngrams=1, buckets=0, n_jobs=1, verbose=0)
    pq = dict(fusion="pq", n_subquantizers=4, n_bits=4)

    def accuracy(use_texts: bool, use_features: bool) -> float:
        model = mmfast.Classifier(**settings, **(pq if use_features else {}))
        train_texts, test_texts = (texts[train], texts[test]) if use_texts else (None, None)
        train_features, test_features = ((features[train], features[test]) if use_features
                                         else (None, None))
        model.fit(train_texts, y[train], features=train_features)
        return model.score(test_texts, y[test], features=test_features)

    text_only, features_only = accuracy(True, False), accuracy(False, True)
    fused = accuracy(True, True)
    assert text_only < 0.62 and features_only < 0.62
    assert fused > max(text_only, features_only) + 0.2


def test_fasttext_file_round_trip(tmp_path):
    texts = ["w1 w2", "w3", "w4 w5 w6"]
    path = tmp_path / "train.txt"
    write_fasttext_file(path, texts, [["3"], ["spam"], ["a", "b"]])
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines == ["__label__3 w1 w2", "__label__spam w3", "__label__a __label__b w4 w5 w6"]
    # y as Classifier.fit takes it: one kind of label, one per text or a list per text.
    with pytest.raises(TypeError, match="mix"):
        write_fasttext_file(path, texts, [3, "spam", "eggs"])
    with pytest.raises(ValueError, match="not a mix"):
        write_fasttext_file(path, texts, ["3", "spam", ["a", "b"]])


def test_fasttext_file_round_trip_of_generated_data(tmp_path):
    texts, y = make_text_classification(200, seed=5)
    path = tmp_path / "train.txt"
    write_fasttext_file(str(path), texts, y)
    parsed = [line.split(" ", 1) for line in path.read_text(encoding="utf-8").splitlines()]
    assert [int(label.removeprefix("__label__")) for label, _ in parsed] == y.tolist()
    assert [text for _, text in parsed] == texts


def test_fasttext_file_rejects_bad_input(tmp_path):
    path = tmp_path / "bad.txt"
    with pytest.raises(ValueError, match="different lengths"):
        write_fasttext_file(path, ["w1"], [1, 2])
    with pytest.raises(ValueError, match="line break"):
        write_fasttext_file(path, ["w1\nw2"], [1])
    with pytest.raises(ValueError, match="whitespace"):
        write_fasttext_file(path, ["w1"], ["two words"])
