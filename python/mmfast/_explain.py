"""Why a Classifier scored a class as it did: the class's score split into one
contribution per text token (word, word n-gram), per feature token, or for the
continuous feature part.

The score of class c is linear in the hidden vector z: sum_k sign_k * (B[r_k] . z)
over the output rows the loss ties to c (``_core.Classifier.score_terms``), that
is w . z with w = sum_k sign_k * B[r_k]. With softmax, ns and ova, w = B_c and the
score is the class's logit; with hs it is the signed sum of the decisions on the
class's tree path. z itself is a weighted sum of rows for text-only, add, pq and
rspq models, so the split is exact; for max and the gated fusions it is exact
given the winning coordinates or the gate (see ``explain``).

The arithmetic is that of one example, in numpy over read-only views of the
model's tables; only the rows the example reads are gathered.
"""

from __future__ import annotations

import html
from typing import Any, NamedTuple

import numpy as np

from . import _core
from ._validation import check_int

CONTINUOUS = "<features>"  # the name of the continuous feature part's entry
INTERCEPT = "<intercept>"  # the name of a features-only model's intercept entry


class FeatureToken(NamedTuple):
    """Feature token: code ``centroid`` of subquantizer (or RSPQ subspace) ``subquantizer``."""

    subquantizer: int
    centroid: int


class FeatureTokenScore(NamedTuple):
    """A feature token, how much it adds to a class's score when present, and
    the quantizer's centroid it stands for: ``center`` (values of the feature
    dimensions ``dims``); both None for a model trained on codes without a
    quantizer."""

    subquantizer: int
    centroid: int
    score: float
    center: np.ndarray | None
    dims: np.ndarray | None


# What each fusion's contributions mean: how they add up to the score.
_MEANING = {
    "text": "exact: z is the mean of the token rows",
    "features": "exact: z is the feature part",
    "add": "exact: z = text mean + feature part",
    "max": "exact given the winners: each coordinate of z counts for the modality that "
           "won it (ties go to the text)",
    "gated_features": "exact given the gate: text rows scaled by the gate 2 sigmoid(u); the "
                      "features act through the gate only and get no entry",
    "gated_text": "exact given the gate: the feature part scaled by the gate 2 sigmoid(t); "
                  "the text acts through the gate only and gets no entry",
    "bilinear_gated": "exact given the gate: over the text rows, each read through "
                      "the class's weights times sigmoid(u); the features act through "
                      "the gate only and get no entry",
}


class Explanation(list):
    """[(token, contribution), ...]: a list of pairs, in the core's encoding
    order (words, then word n-grams, then feature tokens or the continuous
    part), whose contributions add up to ``score``. A token is a word or n-gram
    (str), a ``FeatureToken`` (pq, rspq), or ``"<features>"`` for the
    continuous feature part, and ``"<intercept>"`` for the class's intercept in a
    features-only model with dense features.

    Attributes: ``label`` (the explained class), ``score`` (its score, see
    ``Classifier.explain``), ``meaning`` (in what sense the parts add up),
    ``words`` (the text's words) and ``spans`` (per entry, the words
    [first, last) it stands for, or None). In a notebook it renders as the
    text with each word shaded by its contribution plus an equal share of the
    n-grams it belongs to."""

    def __init__(self, pairs: list[tuple[Any, float]], spans: list[tuple[int, int] | None],
                 words: list[str], label: Any, score: float, meaning: str) -> None:
        super().__init__(pairs)
        self.spans = spans
        self.words = words
        self.label = label
        self.score = score
        self.meaning = meaning

    def __repr__(self) -> str:
        return (f"Explanation(label={self.label!r}, score={self.score:.4f}, "
                f"{list.__repr__(self)})")

    def word_weights(self) -> np.ndarray:
        """Per word: its own contribution plus 1/n of each n-gram of n words
        that contains it (what the HTML shading shows)."""
        weights = np.zeros(len(self.words))
        for (_, contribution), span in zip(self, self.spans):
            if span is not None:
                first, last = span
                weights[first:last] += contribution / (last - first)
        return weights

    def _repr_html_(self) -> str:
        weights = self.word_weights()
        features = [(token, c) for (token, c), span in zip(self, self.spans) if span is None]
        largest = max([abs(c) for _, c in features] + [float(np.abs(weights).max(initial=0))])
        scale = largest if largest > 0 else 1.0

        def chip(text: str, value: float) -> str:
            # Green favours the class, red counts against it.
            rgb = "0,160,0" if value >= 0 else "220,0,0"
            return (f'<span title="{value:+.4f}" style="background: rgba({rgb},'
                    f'{0.8 * abs(value) / scale:.3f}); padding: 0 2px">{html.escape(text)}</span>')

        text = " ".join(chip(word, w) for word, w in zip(self.words, weights))
        tokens = " ".join(chip(token_text(token), c) for token, c in features)
        return (f"<div><b>{html.escape(str(self.label))}</b>: score {self.score:+.4f} "
                f"<i>({html.escape(self.meaning)})</i><br>{text}"
                + (f"<br>{tokens}" if tokens else "") + "</div>")


def token_text(token: Any) -> str:
    """A token as text: a word or n-gram, "<features>", or "feature M:C"."""
    if isinstance(token, FeatureToken):
        return f"feature {token.subquantizer}:{token.centroid}"
    return str(token)


def explain(clf: Any, text: str | None, features: Any, label: Any) -> Explanation:
    """See ``Classifier.explain``."""
    core = clf._fitted_native()
    if text is not None and not isinstance(text, str):
        raise TypeError(f"text must be a str or None, got {type(text).__name__}")
    if features is not None:
        features = np.asarray(features)
        if features.ndim == 1:
            features = features.reshape(1, -1)
        if features.ndim != 2 or features.shape[0] != 1:
            raise ValueError(
                f"features: one example's vector, shape (d,) or (1, d), got {features.shape}"
            )
    inputs = clf._prediction_inputs(None if text is None else [text], features)
    class_id = _class_id(clf, label) if label is not None else int(clf._top_ids(inputs, 1)[0, 0])
    weights = core.weights()
    w = _score_vector(core, weights["output"], class_id)
    # z's last value is a constant 1 in a model with an intercept: its weight
    # is the class's intercept, an entry of its own.
    w, intercept = (w[:-1], float(w[-1])) if core.intercept else (w, None)
    dim = weights["text_embeddings"].shape[1]  # (0, dim) in a features-only model

    # Text: t = mean of the rows, each row's share is row / n (a row that a
    # compressed model pruned is out of the mean).
    words, rows, spans = core.token_rows(text) if text is not None else ([], [], [])
    values, kept = core.table_rows("text", np.asarray(rows, dtype=np.int64))
    rows, spans = np.asarray(rows)[kept], np.asarray(spans).reshape(-1, 2)[kept]
    text_rows = values[kept].astype(np.float64) / max(len(rows), 1)
    t = text_rows.sum(axis=0) if len(rows) else np.zeros(dim)
    # Features: u = alpha / M * sum of the tokens' rows, or C s(v) (one part).
    dense, codes = inputs.dense, inputs.codes
    feature_tokens: list[Any]
    if codes is not None:
        feature_rows = _code_rows(core, codes[0])
        feature_tokens = [FeatureToken(m, int(c)) for m, c in enumerate(codes[0])]
    elif dense is not None:
        scaled = (dense[0] - weights["feature_mean"]) * weights["feature_inv_scale"]
        u_dense = weights["projection"] @ scaled.astype(np.float32)  # as the core: float32
        feature_rows = u_dense.astype(np.float64)[None, :]
        feature_tokens = [CONTINUOUS]
    else:
        feature_rows, feature_tokens = np.zeros((0, dim)), []
    u = feature_rows.sum(axis=0) if len(feature_rows) else np.zeros(dim)

    fusion = core.fusion
    z = _core.fusion_forward(fusion, core.gate, t.astype(np.float32), u.astype(np.float32))
    # Each input row reads z through its own effective weights.
    text_w, feature_w, meaning = _input_weights(fusion, core.gate, w, t, u, dim)
    pairs: list[tuple[Any, float]] = []
    entry_spans: list[tuple[int, int] | None] = []
    if text_w is not None:
        for (first, last), contribution in zip(spans, text_rows @ text_w):
            name = words[first] if last == first + 1 else " ".join(words[first:last])
            pairs.append((name, float(contribution)))
            entry_spans.append((int(first), int(last)))
    if feature_w is not None:
        for token, contribution in zip(feature_tokens, feature_rows @ feature_w):
            pairs.append((token, float(contribution)))
            entry_spans.append(None)
    score = float(np.dot(w, z.astype(np.float64)))
    if intercept is not None:
        pairs.append((INTERCEPT, intercept))
        entry_spans.append(None)
        score += intercept
        meaning += ", and the class's intercept"
    if core.loss == "hs":
        meaning += "; hs: the score is the signed sum of the decisions on the class's tree path"
    return Explanation(pairs, entry_spans, list(words), clf.classes_[class_id].item(), score,
                       meaning)


def _input_weights(fusion: str, gate: str, w: np.ndarray, t: np.ndarray, u: np.ndarray,
                   dim: int) -> tuple[np.ndarray | None, np.ndarray | None, str]:
    """(text weights, feature weights, meaning): the vectors that a text row
    and a feature row are dotted with to give their contributions; None for a
    modality that gets no entry."""
    if fusion in ("text", "features", "add"):
        return w, w, _MEANING[fusion]
    if fusion == "max":
        text_wins = t >= u
        return w * text_wins, w * ~text_wins, _MEANING[fusion]
    # The gated fusions are linear in the gated input: fusing a vector of ones
    # with the gating input gives the gate, as the core computes it.
    ones = np.ones(dim, dtype=np.float32)
    if fusion == "gated" and gate == "text":
        return None, w * _gate(fusion, gate, t.astype(np.float32), ones), _MEANING["gated_text"]
    gates = _gate(fusion, gate, ones, u.astype(np.float32))
    if fusion == "gated":
        return w * gates, None, _MEANING["gated_features"]
    if fusion == "bilinear_gated":
        # z[i, j] = t[i] * gate[j]: the score is t . (W gate).
        return w.reshape(dim, dim) @ gates[:dim], None, _MEANING[fusion]
    raise ValueError(f"unknown fusion {fusion!r}")


def _gate(fusion: str, gate: str, t: np.ndarray, u: np.ndarray) -> np.ndarray:
    return _core.fusion_forward(fusion, gate, t, u).astype(np.float64)


def _score_vector(core: Any, output: np.ndarray, class_id: int) -> np.ndarray:
    """w with score = w . z (float64)."""
    rows, signs = core.score_terms(class_id)
    return signs.astype(np.float64) @ output[rows].astype(np.float64)


def _code_rows(core: Any, codes: np.ndarray) -> np.ndarray:
    """Each feature token's share of u: alpha / M times its row, (M, dim)."""
    n_codes = len(codes)
    rows = np.arange(n_codes) * core.codebook_size + codes.astype(np.int64)
    return _feature_rows(core, rows).astype(np.float64) * (core.alpha / n_codes)


def _feature_rows(core: Any, rows: np.ndarray) -> np.ndarray:
    """Rows of the feature-token table (decoded, in a compressed model)."""
    return core.table_rows("features", rows.astype(np.int64))[0]


def _class_id(clf: Any, label: Any) -> int:
    matches = np.flatnonzero(clf.classes_ == label)
    if len(matches) == 0:
        raise ValueError(f"label: {label!r} is not one of the model's classes_")
    return int(matches[0])


def top_feature_tokens(clf: Any, label: Any, n: int) -> list[FeatureTokenScore]:
    """See ``Classifier.top_feature_tokens``."""
    core = clf._fitted_native()
    n = check_int("n", n, 1)
    if core.n_codes == 0:
        raise ValueError(
            "this model has no feature tokens: top_feature_tokens needs fusion='pq' or 'rspq'"
        )
    weights = core.weights()
    w = _score_vector(core, weights["output"], _class_id(clf, label))
    # A token's contribution when present is alpha / M times its row's score.
    table = _feature_rows(core, np.arange(core.n_codes * core.codebook_size))
    scores = (table @ w.astype(np.float32)).astype(np.float64) * (core.alpha / core.n_codes)
    best = np.argsort(-scores, kind="stable")[:n]
    quantizer = clf.quantizer_
    result = []
    for row in best:
        m, c = divmod(int(row), core.codebook_size)
        center, dims = (None, None) if quantizer is None else _centroid(quantizer, m, c)
        result.append(FeatureTokenScore(m, c, float(scores[row]), center, dims))
    return result


def _centroid(quantizer: Any, m: int, c: int) -> tuple[np.ndarray, np.ndarray]:
    """Centroid c of subquantizer m and the feature dimensions it covers."""
    if hasattr(quantizer, "subspaces_"):
        dims = quantizer.subspaces_[m]
    else:
        bounds = quantizer.subvector_bounds_
        dims = np.arange(bounds[m], bounds[m + 1])
    return quantizer.centroids_[m][c].copy(), np.asarray(dims)
