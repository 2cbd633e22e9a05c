"""Exercises of chapter 08: soft-max, cross-entropy, the weight map (가중치 맵) and training."""

from __future__ import annotations

import math

import numpy as np

from unet_course import quiz, weightmap

# one pixel, two classes: the exercise "loss of one pixel"
PIXEL_LOGITS = (1.5, -0.5)  # a_0 (background), a_1 (cell)
PIXEL_LABEL = 1
PIXEL_WEIGHT = 4.0


def _pixel_loss() -> float:
    a = np.asarray(PIXEL_LOGITS, dtype=np.float64)
    p = np.exp(a) / np.exp(a).sum()
    return float(-PIXEL_WEIGHT * np.log(p[PIXEL_LABEL]))


def _border_term(d1: float, d2: float, w0: float, sigma: float) -> float:
    return w0 * math.exp(-((d1 + d2) ** 2) / (2 * sigma**2))


def _border_samples() -> list[tuple]:
    return [(1.0, 2.0, 10.0, 5.0), (3.0, 4.0, 10.0, 5.0), (1.0, 1.0, 10.0, 2.0), (0.5, 7.5, 4.0, 3.0),
            (2.0, 2.0, 10.0, 1.0), (10.0, 12.0, 10.0, 5.0)]


def _weight_map_reference(labels: np.ndarray, w0: float, sigma: float) -> np.ndarray:
    return weightmap.weight_map(labels, w0=w0, sigma=sigma, class_weights=None, dtype=np.float64)


def _weight_map_cases() -> list[tuple]:
    two = np.zeros((12, 16), dtype=np.int32)
    two[2:10, 1:7] = 1
    two[2:10, 9:15] = 2
    rng = np.random.default_rng(8)
    cases = [(two, 10.0, 5.0), (two, 10.0, 2.0)]
    for shape, n in (((24, 30), 5), ((20, 20), 4)):
        labels = np.zeros(shape, dtype=np.int32)
        for i in range(1, n + 1):
            y, x = rng.integers(0, shape[0] - 6), rng.integers(0, shape[1] - 6)
            labels[y : y + int(rng.integers(3, 7)), x : x + int(rng.integers(3, 7))] = i
        cases.append((labels, 10.0, 4.0))
    one = np.zeros((8, 8), dtype=np.int32)
    one[2:5, 2:5] = 3
    cases.append((one, 10.0, 5.0))
    return cases


def _compare_weight_map(yours, ref, args) -> str | None:
    yours = np.asarray(yours, dtype=np.float64)
    labels, w0, sigma = args
    if yours.shape != ref.shape:
        return f"your map has shape {yours.shape}; it should have the labels' shape {ref.shape}"
    if np.allclose(yours, ref, atol=1e-6):
        return None
    cells = labels > 0
    if not np.allclose(yours[cells], 1.0, atol=1e-6):
        return "cell pixels should get w_c = 1 only: the border term is for background pixels"
    squared = weightmap.weight_map(labels, w0=w0, sigma=np.sqrt(sigma), class_weights=None, dtype=np.float64)
    if sigma != 1 and np.allclose(yours, squared, atol=1e-6):
        return "your map uses sigma where the formula has sigma squared: the denominator is 2 sigma^2"
    if len(np.unique(labels[cells])) < 2 and not np.allclose(yours, 1.0, atol=1e-6):
        return "with a single cell there is no second-nearest cell, so there is no border term"
    diff = np.abs(yours - ref)
    y, x = np.unravel_index(np.argmax(diff), diff.shape)
    return (
        f"background pixel ({y}, {x}) is off by {diff.max():.3g}: d1 and d2 are the distances to the nearest "
        "pixel of the nearest and of the second-nearest cell (Euclidean, pixel centres)"
    )


QUESTIONS = [
    quiz.Numeric(
        "08.pixel-loss",
        "One pixel has logits a = PIXEL_LOGITS (background, cell), true class PIXEL_LABEL (cell) and "
        "weight PIXEL_WEIGHT. What is its term w(x) * (-log p_l(x)(x)) of the loss?",
        _pixel_loss,
        rtol=1e-6,
        hint="Soft-max first: p_k = exp(a_k) / sum of exp(a_k'). Then take -log of the true class's p and "
        "multiply by the weight.",
    ),
    quiz.Formula(
        "08.border-term",
        "Write border_term(d1, d2, w0, sigma): the second part of the paper's eq. 2, the extra weight of a "
        "background pixel at distances d1 and d2 from the two nearest cells.",
        _border_term,
        _border_samples,
        hint="w0 times exp of minus the squared sum of the distances over two sigma squared. Code found in "
        "the wild often divides by 2 sigma instead of 2 sigma^2.",
    ),
    quiz.Numeric(
        "08.balanced-foreground",
        "An image is 20% cell pixels and 80% background. With the balanced class weights "
        "w_k = n / (K n_k) (K = 2 classes), what is the weight w_c of a cell pixel?",
        lambda: float(weightmap.class_balance_weights(np.array([1] * 20 + [0] * 80), 2)[1]),
        rtol=1e-6,
        hint="n_k / n is the share of class k; the weight is 1 / (K times that share).",
    ),
    quiz.Choice(
        "08.where-border-term",
        "Where does the border term w0 exp(-(d1 + d2)^2 / 2 sigma^2) of the weight map apply?",
        [
            "on every pixel",
            "on cell pixels next to another cell",
            "on background pixels, most on the thin gaps between touching cells",
            "only on pixels of the image border",
        ],
        2,
        hint="The paper gives a large weight to 'the separating background labels between touching cells'.",
    ),
    quiz.TrueFalse(
        "08.momentum-memory",
        "With SGD momentum 0.99, the gradient of a tile seen 100 steps ago still enters the current update "
        "with more than a third of the weight it had when it was new.",
        True,
        hint="Momentum keeps a running sum: a gradient from k steps ago enters with factor 0.99^k.",
        explanation="0.99^100 = 0.366: about the last 100 tiles shape every update, which is why the paper "
        "can afford a batch of a single large tile.",
    ),
    quiz.CodeExercise(
        "08.weight-map",
        "Write weight_map(labels, w0, sigma) for class weights w_c = 1: 1 on cell pixels, "
        "1 + w0 exp(-(d1 + d2)^2 / (2 sigma^2)) on background pixels, where d1 and d2 are the distances to "
        "the nearest pixel of the nearest and of the second-nearest cell. Fewer than two cells: no border term.",
        _weight_map_reference,
        _weight_map_cases,
        compare=_compare_weight_map,
        hint="scipy.ndimage.distance_transform_edt(labels != i) gives, at every pixel, the distance to the "
        "nearest pixel of cell i. Sort those maps along the cell axis and take the two smallest.",
    ),
]
