"""Small synthetic data shared by the tests."""

from __future__ import annotations

import numpy as np
import pytest

import mmfast
from mmfast.cli import main as cli_main


def separable_texts(n: int, n_classes: int = 5, seed: int = 0) -> tuple[list[str], np.ndarray]:
    """Each text mixes random background words with words of its class."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, n_classes, n)
    background = rng.integers(0, 500, (n, 8))
    signal = rng.integers(0, 20, (n, 3))
    texts = [
        " ".join([f"w{b}" for b in bg] + [f"c{label}_{s}" for s in sig])
        for label, bg, sig in zip(y, background, signal)
    ]
    return texts, y


@pytest.fixture(scope="session")
def text_data() -> tuple[list[str], np.ndarray]:
    return separable_texts(4000)


def paired_modalities(
    n: int, n_classes: int = 6, n_features: int = 32, seed: int = 0
) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Texts tell apart only the class pairs (0,1), (2,3), ...; features only the
    pairs (1,2), (3,4), ..., (n-1,0). Each modality alone gets about half right;
    together they identify every class."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, n_classes, n)
    text_group = y // 2
    feature_group = (y + 1) % n_classes // 2
    background = rng.integers(0, 300, (n, 6))
    signal = rng.integers(0, 10, (n, 3))
    texts = [
        " ".join([f"w{b}" for b in bg] + [f"g{group}_{s}" for s in sig])
        for group, bg, sig in zip(text_group, background, signal)
    ]
    centers = np.random.default_rng(12345).normal(0.0, 3.0, (n_classes // 2, n_features))
    features = centers[feature_group] + rng.normal(0.0, 1.0, (n, n_features))
    return texts, features.astype(np.float32), y


def run_cli(capsys, *argv):
    """Runs the command line; returns (stdout, stderr)."""
    cli_main([str(arg) for arg in argv])
    return capsys.readouterr()


def cli_error(*argv):
    """Runs the command line, expecting it to exit; returns its message (or status)."""
    with pytest.raises(SystemExit) as excinfo:
        cli_main([str(arg) for arg in argv])
    return excinfo.value.code


def cli_metric(out, name):
    """A metric of `mmfast test`'s output."""
    return float(next(line.split("\t")[1] for line in out.splitlines()
                      if line.startswith(name + "\t")))


@pytest.fixture(scope="module")
def text_files(tmp_path_factory):
    """(folder, texts, y): train.txt in the folder holds the texts, labelled c0, c1, ..."""
    tmp = tmp_path_factory.mktemp("cli")
    texts, y = separable_texts(2000)
    mmfast.write_fasttext_file(tmp / "train.txt", texts, [f"c{label}" for label in y])
    return tmp, texts, y
