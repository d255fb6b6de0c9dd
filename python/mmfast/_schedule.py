"""The learning rate and epochs when the user leaves them to the data
(``lr=None``, ``epochs=None``): fastText's 0.1 and 5 where those learn, more
where the data is too small for them.

SGD moves a class's weights by about ``lr`` each time one of its examples is
seen, so what a class learns grows with its step budget, ``lr * epochs *``
(label occurrences / classes). Measured on ``make_text_classification`` (1k to
30k documents, 5 to 50 classes, dim 10 to 300; test accuracy): below a budget
of about 500 accuracy stays near chance (the output layer starts at zero and
the embeddings near it, so learning must first leave that saddle); from about
1,000 on it is within a point of the best of a grid of lr and epochs.
fastText's defaults give 0.5 per example of a class, enough from 2,000
examples per class (the 300k-document, 50-class benchmark has 6,000): there
they are kept. Below, the learning rate rises first (it costs no time), up to
0.5, the highest at which every fusion trained in our measurements; then the
epochs, up to 100. With both left to it, a fit of n single-label examples
takes at most about ``max(5 * n, 2,000 * n_classes)`` example steps."""

from __future__ import annotations

import math

DEFAULT_LR = 0.1  # fastText's
DEFAULT_EPOCHS = 5  # fastText's
MAX_LR = 0.5
MAX_EPOCHS = 100
STEP_BUDGET = 1000.0  # lr * epochs * label occurrences per class


def training_schedule(lr: float | None, epochs: int | None, n_labels: int,
                      n_classes: int) -> tuple[float, int]:
    """The (lr, epochs) a fit uses: the given ones, and for each None the
    value that brings the step budget per class to ``STEP_BUDGET``.

    Parameters
    ----------
    lr : float or None
        The Classifier's ``lr``; None: decided here.
    epochs : int or None
        The Classifier's ``epochs``; None: decided here.
    n_labels : int
        Label occurrences in the training data (the examples, for
        single-label data).
    n_classes : int
        Classes in the training data.

    Returns
    -------
    lr, epochs : float, int
    """
    needed = STEP_BUDGET * n_classes / max(n_labels, 1)  # lr * epochs
    if lr is None:
        planned = DEFAULT_EPOCHS if epochs is None else epochs
        lr = min(max(needed / planned, DEFAULT_LR), MAX_LR)
    if epochs is None:
        # The tolerance keeps a budget met exactly (to rounding) at its epochs.
        epochs = min(max(math.ceil(needed / lr - 1e-9), DEFAULT_EPOCHS), MAX_EPOCHS)
    return lr, epochs
