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
    touching = np.zeros((14, 18), dtype=np.int32)
    touching[3:11, 2:9] = 1
    touching[3:11, 9:16] = 2  # two cells that touch: only instance labels tell them apart
    cases.append((touching, 10.0, 5.0))
    one = np.zeros((8, 8), dtype=np.int32)
    one[2:5, 2:5] = 3
    cases.append((one, 10.0, 5.0))
    return cases


def _border_term_sigma(d1: float, d2: float, w0: float, sigma: float) -> float:
    """A plausible wrong answer: 2 sigma instead of 2 sigma^2 in the denominator."""
    return w0 * math.exp(-((d1 + d2) ** 2) / (2 * sigma))


def _border_term_separate_squares(d1: float, d2: float, w0: float, sigma: float) -> float:
    """A plausible wrong answer: d1^2 + d2^2 instead of (d1 + d2)^2."""
    return w0 * math.exp(-(d1**2 + d2**2) / (2 * sigma**2))


def _weight_map_everywhere(labels: np.ndarray, w0: float, sigma: float) -> np.ndarray:
    """A plausible wrong answer: the border term on every pixel, cell pixels included."""
    from scipy import ndimage as ndi

    ids = [i for i in np.unique(labels) if i > 0]
    out = np.ones(labels.shape)
    if len(ids) < 2:
        return out
    d = np.sort(np.stack([ndi.distance_transform_edt(labels != i) for i in ids]), axis=0)
    return out + w0 * np.exp(-((d[0] + d[1]) ** 2) / (2 * sigma**2))


def _weight_map_from_mask(labels: np.ndarray, w0: float, sigma: float) -> np.ndarray:
    """A plausible wrong answer: cells taken as the connected components of the mask, which merges
    touching cells."""
    from scipy import ndimage as ndi

    components, _ = ndi.label(labels > 0)
    return weightmap.weight_map(components, w0=w0, sigma=sigma, class_weights=None, dtype=np.float64)


def _weight_map_sigma(labels: np.ndarray, w0: float, sigma: float) -> np.ndarray:
    """A plausible wrong answer: 2 sigma instead of 2 sigma^2."""
    return weightmap.weight_map(labels, w0=w0, sigma=math.sqrt(sigma), class_weights=None, dtype=np.float64)


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
        "weight PIXEL_WEIGHT. What is its term w(x) * (-log p_l(x)(x)) of the loss, to three significant digits?",
        _pixel_loss,
        rtol=0,
        atol=0.005,  # half a unit of the third significant digit (the answer is between 1 and 10)
        hint="Soft-max first: p_k = exp(a_k) / sum of exp(a_k'). Then take -log of the true class's p and "
        "multiply by the weight.",
        # without the weight, the background's term, without the minus sign, and the rounding neighbours
        wrong=[2.13, 0.508, -8.51, 8.50, 8.52],
    ),
    quiz.Formula(
        "08.border-term",
        "Write border_term(d1, d2, w0, sigma): the second part of the paper's eq. 2, the extra weight of a "
        "background pixel at distances d1 and d2 from the two nearest cells.",
        _border_term,
        _border_samples,
        hint="Read eq. 2 term by term: what is squared in the numerator, and what stands in the denominator?",
        wrong=[_border_term_sigma, _border_term_separate_squares],
    ),
    quiz.Numeric(
        "08.balanced-foreground",
        "An image is 20% cell pixels and 80% background. With the balanced class weights "
        "w_k = n / (K n_k) (K = 2 classes), what is the weight w_c of a cell pixel? Give it to two decimal places.",
        lambda: float(weightmap.class_balance_weights(np.array([1] * 20 + [0] * 80), 2)[1]),
        rtol=0,
        atol=0.005,  # half a unit of the second decimal place
        hint="n_k / n is the share of class k; which share belongs to the cell class?",
        # the background's weight, 1 / share without K, and the share itself
        wrong=[0.625, 5.0, 0.2, 1.25],
    ),
    quiz.Choice(
        "08.where-border-term",
        "In this course's weight map (weightmap.weight_map), which pixels receive the border term "
        "w0 exp(-(d1 + d2)^2 / 2 sigma^2)?",
        [
            "every pixel of the image",
            "cell pixels near another cell",
            "background pixels near two cells",
            "pixels on the image border",
        ],
        2,
        hint="On a cell pixel the nearest cell is its own, so d1 = 0. What would the term weigh there?",
        wrong=[0, 1, 3],
    ),
    quiz.TrueFalse(
        "08.momentum-memory",
        "With SGD momentum 0.99, the gradient of a tile seen 100 steps ago still enters the current update "
        "with more than a third of the weight it had when it was new.",
        True,
        hint="Momentum keeps a running sum: a gradient from k steps ago enters with factor 0.99^k.",
        explanation="0.99^100 = 0.366: about the last 100 tiles shape every update, which is why the paper "
        "can afford a batch of a single large tile.",
        wrong=[False],
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
        wrong=[_weight_map_everywhere, _weight_map_from_mask, _weight_map_sigma],
    ),
    quiz.Choice(
        "08.predict-iou",
        "Predict before running: one small U-Net trained with the weight map (w0 = 10) and one trained with "
        "w_c alone (w0 = 0), scored on the same held-out tiles of touching cells. Which has the higher "
        "cell IoU (predicted against true cell pixels, instances ignored)?",
        [
            "the network trained with the weight map",
            "the network trained with w_c alone",
            "neither: both within 0.01 of each other",
        ],
        1,
        hint="Where does the weight map put its weight, and what does a band of background at the rim "
        "of every cell do to a pixel overlap?",
        wrong=[0, 2],
    ),
]
