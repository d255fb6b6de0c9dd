"""Accuracy of every fusion at its default settings on data where one modality
is much weaker or noisier than the other: the measurements the defaults of
alpha, feature_lr and the gate's scale were chosen from.

    python benchmarks/fusion_defaults.py [--quick]

Each data set comes from mmfast.datasets.make_multimodal_classification (text
and features each confuse half of the classes, so only fusion separates them
all), in three variants: both modalities as generated ("balanced"), text
mostly background words ("weak text"), and features with a cluster spread
2.5 times the default ("noisy features"). Late fusion averages the
probabilities of the text-only and features-only models.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import mmfast

VARIANTS = {"balanced": {}, "weak text": {"noise": 0.95}, "noisy features": {"cluster_std": 2.5}}
MODELS = {
    "text only": dict(fusion=None),
    "features only": dict(fusion="add"),
    "add": dict(fusion="add"),
    "max": dict(fusion="max"),
    "gated": dict(fusion="gated"),  # gate="features"
    "gated (gate=text)": dict(fusion="gated", gate="text"),
    "bilinear_gated": dict(fusion="bilinear_gated"),
    "pq": dict(fusion="pq"),
    "rspq": dict(fusion="rspq"),
}


def split(n_train: int, n_test: int, n_features: int, **variant: float):
    texts, X, y = mmfast.make_multimodal_classification(
        n_samples=n_train + n_test, n_classes=10, n_features=n_features, vocab_size=5000,
        latent_dim=16, **variant)
    return (texts[:n_train], X[:n_train], y[:n_train]), (texts[n_train:], X[n_train:], y[n_train:])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a small data set (seconds)")
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args()
    n_train, n_test, n_features = (5_000, 2_000, 64) if args.quick else (50_000, 10_000, 256)
    common = dict(dim=32, verbose=0, n_jobs=args.threads)
    print(f"{n_train} training / {n_test} test examples, 10 classes, {n_features} features; "
          "default settings except dim=32")
    columns = list(VARIANTS)
    print(f"{'model':<20}" + "".join(f"{c:>16}" for c in columns))
    scores: dict[str, list[float]] = {name: [] for name in [*MODELS, "late fusion"]}
    started = time.perf_counter()
    for variant in VARIANTS.values():
        (texts, X, y), (test_texts, test_X, test_y) = split(n_train, n_test, n_features, **variant)
        probas = {}
        for name, params in MODELS.items():
            clf = mmfast.Classifier(**common, **params)
            features_only = name == "features only"
            clf.fit(None if features_only else texts, y,
                    features=None if params["fusion"] is None else X)
            inputs = (None if features_only else test_texts,
                      None if params["fusion"] is None else test_X)
            probas[name] = clf.predict_proba(inputs[0], features=inputs[1])
            scores[name].append(float(np.mean(clf.classes_[probas[name].argmax(1)] == test_y)))
        late = probas["text only"] + probas["features only"]
        scores["late fusion"].append(float(np.mean(late.argmax(1) == test_y)))
    for name, row in scores.items():
        print(f"{name:<20}" + "".join(f"{s:>16.3f}" for s in row))
    print(f"({time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
