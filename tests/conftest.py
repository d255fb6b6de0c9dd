"""Small synthetic data shared by the tests."""

from __future__ import annotations

import numpy as np
import pytest


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
