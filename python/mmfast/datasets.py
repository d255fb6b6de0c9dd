"""Synthetic data sets for tests and benchmarks (numpy only, vectorized, seeded).

Text documents are bags of words named ``"w<rank>"``: background words follow a
Zipf law over the vocabulary (``w0`` is the most frequent), and each class mixes
in words from its own small set of indicative words. The multi-modal generator
pairs such texts with Gaussian-cluster feature vectors so that each modality
alone confuses some pairs of classes and only their fusion separates them all.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import numpy as np

from ._fasttext import write_examples
from ._labels import encode_labels
from ._loaders import LoadedDataset, clean_text, load_flickr_tags, load_food101, load_mmimdb
from ._validation import check_same_length

__all__ = [
    "FLICKRTAG_LIKE",
    "FOOD101_LIKE",
    "make_flickrtag_like",
    "make_food101_like",
    "make_fusion_classification",
    "make_multimodal_classification",
    "make_text_classification",
    "write_fasttext_file",
]
# Loaders of the research data sets (UPMC Food-101, MM-IMDB, YFCC100M tags) live in _loaders.py.
__all__ += ["LoadedDataset", "clean_text", "load_flickr_tags", "load_food101", "load_mmimdb"]

# The most frequent words play the role of stop words: never indicative of a class.
_N_STOP_WORDS = 100


def make_text_classification(
    n_samples: int = 10_000,
    n_classes: int = 50,
    vocab_size: int = 50_000,
    doc_length: int = 20,
    class_words: int = 20,
    noise: float = 0.8,
    zipf_exponent: float = 1.1,
    seed: int = 0,
) -> tuple[list[str], np.ndarray]:
    """Generate a bag-of-words text classification task.

    Parameters
    ----------
    n_samples : int, default=10000
        Number of documents.
    n_classes : int, default=50
        Number of classes; labels are drawn uniformly from ``0 .. n_classes-1``.
    vocab_size : int, default=50000
        Number of distinct words ``w0 .. w{vocab_size-1}``.
    doc_length : int, default=20
        Mean number of tokens per document (Poisson distributed, at least 1).
    class_words : int, default=20
        Size of each class's set of indicative words. They are drawn at
        random from the ``n_classes * class_words`` words that follow the 100 most
        frequent ones, so the sets of different classes overlap.
    noise : float, default=0.8
        Probability that a token is a Zipf-distributed background word rather
        than one of the class's indicative words. Documents that happen to contain
        no indicative word cannot be classified, so larger values make the task harder.
    zipf_exponent : float, default=1.1
        Exponent ``a`` of the background distribution, ``p(rank) ~ 1/(rank+1)^a``.
    seed : int, default=0
        Seed of the random generator; equal arguments give equal outputs.

    Returns
    -------
    texts : list of str
        ``n_samples`` space-separated documents.
    y : ndarray of shape (n_samples,), int64
        The labels.
    """
    _check_positive(n_samples=n_samples, n_classes=n_classes)
    rng = np.random.default_rng(seed)
    y = rng.integers(0, n_classes, size=n_samples)
    texts = _sample_documents(rng, y, n_classes, vocab_size, doc_length, class_words, noise,
                              zipf_exponent)
    return texts, y


def make_multimodal_classification(
    n_samples: int = 10_000,
    n_classes: int = 20,
    n_features: int = 512,
    vocab_size: int = 50_000,
    doc_length: int = 20,
    class_words: int = 20,
    noise: float = 0.8,
    latent_dim: int = 16,
    cluster_std: float = 1.0,
    feature_noise: float = 0.05,
    nonnegative: bool = True,
    seed: int = 0,
) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Generate a text + dense-feature task that only the fusion of both solves.

    Classes come in two interlocking pairings (``n_classes`` must be even and >= 4):

    - the text cannot tell ``2k`` from ``2k+1``: both draw words from the same
      distribution (that of "text group" ``k = y // 2``);
    - the features cannot tell ``2k+1`` from ``2k+2 (mod n_classes)``: both come
      from the same Gaussian cluster (that of "feature group" ``((y+1) % n_classes) // 2``).

    A text group and a feature group share exactly one class, so text-only and
    features-only models top out near 50% accuracy while a fused model can
    approach the product of the two group accuracies.
    :func:`make_fusion_classification` is the same task with any number of
    classes and more knobs.

    Parameters
    ----------
    n_samples, n_classes : int
        Number of examples and of classes (labels uniform).
    n_features : int, default=512
        Dimension of the feature vectors.
    vocab_size, doc_length, class_words, noise : int or float
        Text parameters, as in
        :func:`make_text_classification` (with ``n_classes // 2`` text groups).
    latent_dim : int, default=16
        Dimension of the random subspace holding the cluster centers
        (like CNN features, the signal is low-rank).
    cluster_std : float, default=1.0
        Standard deviation within a cluster, in the latent subspace,
        relative to the unit-variance spread of the centers.
    feature_noise : float, default=0.05
        Standard deviation of the isotropic noise added in all
        ``n_features`` dimensions.
    nonnegative : bool, default=True
        Clip features at zero, like ReLU activations.
    seed : int, default=0
        Seed of the random generator; equal arguments give equal outputs.

    Returns
    -------
    texts : list of str
        ``n_samples`` documents.
    features : ndarray of shape (n_samples, n_features), float32
        The feature vectors.
    y : ndarray of shape (n_samples,), int64
        The labels.
    """
    if n_classes < 4 or n_classes % 2:
        raise ValueError(f"n_classes must be an even number >= 4, got {n_classes}")
    _check_probability("noise", noise)
    return make_fusion_classification(
        n_samples, n_classes, n_features, vocab_size=vocab_size, doc_length=doc_length,
        class_words=class_words, text_noise=noise, latent_dim=latent_dim,
        cluster_std=cluster_std, feature_noise=feature_noise, nonnegative=nonnegative,
        seed=seed,
    )


def make_fusion_classification(
    n_samples: int = 10_000,
    n_classes: int = 21,
    n_features: int = 512,
    *,
    class_imbalance: float = 0.0,
    vocab_size: int = 50_000,
    doc_length: int = 20,
    class_words: int = 20,
    text_noise: float = 0.8,
    latent_dim: int = 16,
    cluster_std: float = 1.0,
    feature_noise: float = 0.05,
    feature_shift: float = 0.0,
    feature_scale: float = 1.0,
    scale_spread: float = 0.0,
    nonnegative: bool = True,
    seed: int = 0,
) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Generate a text + dense-feature task that neither modality solves alone,
    with knobs for the strength of each modality.

    Classes are linked by two interlocking pairings:

    - the text cannot tell ``2k`` from ``2k+1``: both draw words from the
      distribution of "text group" ``y // 2``;
    - the features cannot tell ``2k+1`` from ``2k+2 (mod n_classes)``: both
      come from the Gaussian cluster of "feature group" ``((y+1) % n_classes) // 2``.

    A text group and a feature group share at most one class, so each modality
    alone tops out near 50% accuracy (a little above for odd ``n_classes``,
    where one class has a group of its own in each pairing), while a fused
    model can approach the product of the two group accuracies. How close a
    modality comes to its 50% depends on its strength: ``text_noise``,
    ``doc_length`` and ``class_words`` for the text, ``cluster_std`` (and
    ``latent_dim``) for the features.

    Parameters
    ----------
    n_samples : int, default=10000
        Number of examples.
    n_classes : int, default=21
        Number of classes, >= 3.
    n_features : int, default=512
        Dimension of the feature vectors.
    class_imbalance : float, default=0.0
        Exponent ``s`` of a Zipf law over the classes,
        ``p(rank) ~ 1/(rank+1)^s``, ranks in a random order of the classes
        (0: uniform labels).
    vocab_size, doc_length, class_words : int
        Text parameters, as in
        :func:`make_text_classification`, with ``(n_classes + 1) // 2`` text groups.
    text_noise : float, default=0.8
        Probability that a token is a background word rather than one
        of its text group's words (``noise`` of :func:`make_text_classification`):
        near 1 the text is weak.
    latent_dim : int, default=16
        Dimension of the random subspace holding the cluster centers
        (like CNN features, the signal is low-rank).
    cluster_std : float, default=1.0
        Standard deviation within a cluster, in the latent subspace,
        relative to the unit-variance spread of the centers: the larger, the
        more the feature groups overlap (the weaker the features).
    feature_noise : float, default=0.05
        Standard deviation of the isotropic noise added in all
        ``n_features`` dimensions.
    feature_shift, feature_scale, scale_spread : float
        Dimension ``j`` becomes
        ``feature_scale * exp(scale_spread * g_j) * (x_j + feature_shift)``
        with ``g_j`` standard normal, before clipping: a positive shift with
        ``nonnegative`` gives dense ReLU-like activations with large norms, and
        a spread gives dimensions of unequal scales, as CNN features have.
    nonnegative : bool, default=True
        Clip features at zero, like ReLU activations.
    seed : int, default=0
        Seed of the random generator; equal arguments give equal outputs.

    Returns
    -------
    texts : list of str
        ``n_samples`` documents.
    features : ndarray of shape (n_samples, n_features), float32
        The feature vectors.
    y : ndarray of shape (n_samples,), int64
        The labels.
    """
    _check_positive(n_samples=n_samples, n_features=n_features, latent_dim=latent_dim)
    if n_classes < 3:
        raise ValueError(f"n_classes must be >= 3, got {n_classes}")
    if latent_dim > n_features:
        raise ValueError(f"latent_dim must be <= n_features ({n_features}), got {latent_dim}")
    _check_probability("text_noise", text_noise)
    _check_nonnegative(class_imbalance=class_imbalance, cluster_std=cluster_std,
                       feature_noise=feature_noise, feature_scale=feature_scale,
                       scale_spread=scale_spread)
    rng = np.random.default_rng(seed)
    n_groups = (n_classes + 1) // 2
    y = _sample_labels(rng, n_samples, n_classes, class_imbalance)
    text_group = y // 2
    feature_group = ((y + 1) % n_classes) // 2

    texts = _sample_documents(rng, text_group, n_groups, vocab_size, doc_length, class_words,
                              text_noise, zipf_exponent=1.1)

    # Orthonormal basis of a random latent_dim-dimensional subspace of R^n_features.
    basis = np.linalg.qr(rng.standard_normal((n_features, latent_dim)))[0].T.astype(np.float32)
    centers = rng.standard_normal((n_groups, latent_dim), dtype=np.float32)
    latent = centers[feature_group]
    latent += cluster_std * rng.standard_normal((n_samples, latent_dim), dtype=np.float32)
    # Scale so that a feature has about unit spread whatever latent_dim/n_features are.
    features = latent @ (basis * np.float32(np.sqrt(n_features / latent_dim)))
    features += feature_noise * rng.standard_normal((n_samples, n_features), dtype=np.float32)
    if feature_shift:
        features += np.float32(feature_shift)
    scales = feature_scale * np.exp(scale_spread * rng.standard_normal(n_features))
    if np.any(scales != 1.0):
        features *= scales.astype(np.float32)
    if nonnegative:
        np.maximum(features, 0, out=features)
    return texts, features, y


# Settings of the two benchmark sets (see make_food101_like, make_flickrtag_like).
FOOD101_LIKE: dict[str, Any] = dict(
    n_samples=100_000, n_classes=101, n_features=2048, text_noise=0.82, latent_dim=64,
    cluster_std=2.5, feature_shift=0.5, feature_scale=0.35, scale_spread=0.5,
)
FLICKRTAG_LIKE: dict[str, Any] = dict(
    n_samples=1_000_000, n_classes=500, n_features=512, class_imbalance=0.5,
    vocab_size=200_000, doc_length=12, text_noise=0.78, latent_dim=64, cluster_std=2.0,
    feature_shift=0.5, feature_scale=0.35, scale_spread=0.5,
)


def make_food101_like(**overrides: Any) -> tuple[list[str], np.ndarray, np.ndarray]:
    """:func:`make_fusion_classification` shaped like Food-101 with ResNet features
    (the paper's first data set): by default 100k examples, 101 classes, 2048-d
    non-negative features with large norms and unequal scales per dimension
    (``FOOD101_LIKE``).

    Parameters
    ----------
    **overrides : dict
        Arguments of :func:`make_fusion_classification` that replace these settings.

    Returns
    -------
    texts, features, y
        As :func:`make_fusion_classification` returns them.
    """
    return make_fusion_classification(**{**FOOD101_LIKE, **overrides})


def make_flickrtag_like(**overrides: Any) -> tuple[list[str], np.ndarray, np.ndarray]:
    """:func:`make_fusion_classification` shaped like the paper's FlickrTag set
    (single-label: one tag per example): by default 1M examples, 500 classes of
    Zipf-distributed frequencies, short texts over a 200k-word vocabulary and
    512-d non-negative features (``FLICKRTAG_LIKE``).

    Parameters
    ----------
    **overrides : dict
        Arguments of :func:`make_fusion_classification` that replace these settings.

    Returns
    -------
    texts, features, y
        As :func:`make_fusion_classification` returns them.
    """
    return make_fusion_classification(**{**FLICKRTAG_LIKE, **overrides})


def write_fasttext_file(
    path: str | os.PathLike[str], texts: Sequence[str], y: Sequence[object]
) -> None:
    """Write examples in fastText's supervised format: ``__label__<y> text`` lines.

    The file is written under a temporary name and renamed into place. What
    would not read back as the same example is refused with ValueError naming
    its row: a text holding a line break (\\n or \\r) or a word that starts
    with ``__label__``, an example without a label, an empty label or one
    with whitespace.

    Parameters
    ----------
    path : str or path-like
        File to create (replaced).
    texts : sequence of str
        Documents, one line each.
    y : sequence
        One label per document, written with ``str()``; an item that is a list,
        tuple or array holds several labels (multi-label), written in order.
        Labels are all str or all numbers, as ``Classifier.fit`` takes them.
    """
    check_same_length("texts", texts, "y", y)
    write_examples(path, texts, encode_labels(y)[:3])


def _sample_documents(
    rng: np.random.Generator,
    topics: np.ndarray,
    n_topics: int,
    vocab_size: int,
    doc_length: int,
    class_words: int,
    noise: float,
    zipf_exponent: float,
) -> list[str]:
    """One document per entry of ``topics``, mixing Zipf background and topic words."""
    _check_positive(doc_length=doc_length, class_words=class_words)
    _check_probability("noise", noise)
    if vocab_size <= _N_STOP_WORDS:
        raise ValueError(f"vocab_size must be > {_N_STOP_WORDS}, got {vocab_size}")
    # Indicative words come from a pool of frequent-ish words about as large as all
    # the sets together: sets overlap and the words also occur as background, so a
    # model has to weigh the evidence of several words rather than spot one.
    pool_end = min(vocab_size, _N_STOP_WORDS + n_topics * class_words)
    indicative_words = rng.integers(_N_STOP_WORDS, pool_end, size=(n_topics, class_words))

    lengths = np.maximum(rng.poisson(doc_length, size=len(topics)), 1)
    n_tokens = int(lengths.sum())
    topic_of_token = np.repeat(topics, lengths)

    zipf_weights = 1.0 / np.arange(1, vocab_size + 1) ** zipf_exponent
    zipf_cdf = np.cumsum(zipf_weights / zipf_weights.sum())
    background = np.searchsorted(zipf_cdf, rng.random(n_tokens), side="right")
    np.minimum(background, vocab_size - 1, out=background)  # guards the cdf's rounding at 1.0
    from_topic = indicative_words[topic_of_token, rng.integers(0, class_words, size=n_tokens)]
    tokens = np.where(rng.random(n_tokens) < noise, background, from_topic)

    # Join all documents in one pass: word, separator, word, ... where the
    # separator after a document's last word is a newline, then split on newlines.
    words = np.array([f"w{rank}" for rank in range(vocab_size)], dtype=object)
    separators = np.full(n_tokens, " ", dtype=object)
    separators[np.cumsum(lengths) - 1] = "\n"
    pieces = np.empty(2 * n_tokens, dtype=object)
    pieces[0::2] = words[tokens]
    pieces[1::2] = separators
    return "".join(pieces.tolist()).split("\n")[:-1]


def _check_positive(**values: int) -> None:
    for name, value in values.items():
        if value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value}")


def _sample_labels(rng: np.random.Generator, n_samples: int, n_classes: int,
                   imbalance: float) -> np.ndarray:
    if imbalance == 0:
        return rng.integers(0, n_classes, size=n_samples)
    weights = 1.0 / np.arange(1, n_classes + 1) ** imbalance
    return rng.choice(rng.permutation(n_classes), size=n_samples, p=weights / weights.sum())


def _check_nonnegative(**values: float) -> None:
    for name, value in values.items():
        if not value >= 0:  # also refuses NaN
            raise ValueError(f"{name} must be >= 0, got {value}")


def _check_probability(name: str, value: float) -> None:
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{name} must be in [0, 1], got {value}")
