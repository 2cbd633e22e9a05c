"""Exercises of chapter 08: soft-max, cross-entropy, the weight map (가중치 맵) and training."""

from __future__ import annotations

import functools
import math

import numpy as np

from unet_course import quiz, weightmap
from unet_course.quiz.catalog import N_

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


def _border_term_sigma(d1: float, d2: float, w0: float, sigma: float) -> float:
    """A plausible wrong answer: 2 sigma instead of 2 sigma^2 in the denominator."""
    return w0 * math.exp(-((d1 + d2) ** 2) / (2 * sigma))


def _border_term_separate_squares(d1: float, d2: float, w0: float, sigma: float) -> float:
    """A plausible wrong answer: d1^2 + d2^2 instead of (d1 + d2)^2."""
    return w0 * math.exp(-(d1**2 + d2**2) / (2 * sigma**2))


def _weight_map_reference(labels: np.ndarray, w0: float = 10.0, sigma: float = 5.0) -> np.ndarray:
    """The package's eq. 2 (balanced w_c, border term on background pixels) as the build step asks it."""
    return weightmap.weight_map(labels, w0=w0, sigma=sigma, dtype=np.float64)


@functools.lru_cache(maxsize=1)
def _nuclei_crop() -> np.ndarray:
    """A 64 x 128 corner of the stardist nuclei labels: 9 nuclei, several touching, ids as in the image."""
    from unet_course.data import load_nuclei

    crop = load_nuclei().instances[448:512, 0:128].copy()
    crop.setflags(write=False)
    return crop


def _weight_map_cases() -> list[tuple]:
    """Synthetic cells (apart, touching, random, one alone) and a crop of the nuclei labels; cell
    and background shares differ in every image, so a w_c of 1 is never right by chance."""
    apart = np.zeros((12, 16), dtype=np.int32)
    apart[2:10, 1:6] = 1
    apart[2:10, 9:14] = 2
    touching = np.zeros((14, 18), dtype=np.int32)
    touching[3:11, 2:9] = 1
    touching[3:11, 9:15] = 2  # two cells that touch: only instance labels tell them apart
    rng = np.random.default_rng(8)
    cases = [(apart, 10.0, 5.0), (touching, 10.0, 3.0)]
    for shape, n in (((24, 30), 5), ((20, 20), 4)):
        labels = np.zeros(shape, dtype=np.int32)
        for i in range(1, n + 1):
            y, x = rng.integers(0, shape[0] - 6), rng.integers(0, shape[1] - 6)
            labels[y : y + int(rng.integers(3, 7)), x : x + int(rng.integers(3, 7))] = 2 * i + 1  # ids 3, 5, 7 ...
        cases.append((labels, 8.0, 4.0))
    one = np.zeros((8, 8), dtype=np.int32)
    one[2:5, 2:5] = 3
    cases.append((one, 10.0, 5.0))
    nuclei = np.array(_nuclei_crop())
    cases.append((nuclei,))  # the paper's w0 = 10 and sigma = 5: the defaults
    return cases


# --- typical wrong implementations of the build step (each a learner's likely slip) -----------

def _class_weights(labels: np.ndarray, rule: str = "balanced") -> np.ndarray:
    cells = labels > 0
    n, n_cell = labels.size, cells.sum()
    share = {True: n_cell / n, False: (n - n_cell) / n}
    if rule == "ones":
        return np.ones(labels.shape)
    if rule == "frequency":
        return np.where(cells, share[True], share[False])
    if rule == "no-k":
        return np.where(cells, 1 / share[True], 1 / share[False])
    return np.where(cells, 1 / (2 * share[True]), 1 / (2 * share[False]))


def _two_nearest(labels: np.ndarray, inside: bool = False) -> tuple[np.ndarray, np.ndarray] | None:
    from scipy import ndimage as ndi

    ids = [i for i in np.unique(labels) if i > 0]
    if len(ids) < 2:
        return None
    d = np.sort(np.stack([ndi.distance_transform_edt((labels == i) if inside else (labels != i)) for i in ids]), axis=0)
    return d[0], d[1]


def _with_border(labels, w0, sigma, w_c, d, everywhere=False, squared=True):
    if d is None:
        return w_c
    term = w0 * np.exp(-((d[0] + d[1]) ** 2) / (2 * (sigma**2 if squared else sigma)))
    return w_c + (term if everywhere else np.where(labels > 0, 0.0, term))


def _wm_sigma_not_squared(labels, w0=10, sigma=5):
    """2 sigma instead of 2 sigma^2 in the denominator."""
    return _with_border(labels, w0, sigma, _class_weights(labels), _two_nearest(labels), squared=False)


def _wm_d2_same_cell(labels, w0=10, sigma=5):
    """d2 taken from the nearest cell again (d1 = d2)."""
    d = _two_nearest(labels)
    return _with_border(labels, w0, sigma, _class_weights(labels), None if d is None else (d[0], d[0]))


def _wm_inside_cells(labels, w0=10, sigma=5):
    """distance_transform_edt(labels == i): distances measured inside each cell, 0 on the background."""
    return _with_border(labels, w0, sigma, _class_weights(labels), _two_nearest(labels, inside=True))


def _wm_everywhere(labels, w0=10, sigma=5):
    """The border term on every pixel, cell pixels included."""
    return _with_border(labels, w0, sigma, _class_weights(labels), _two_nearest(labels), everywhere=True)


def _wm_no_balance(labels, w0=10, sigma=5):
    """w_c = 1 on every pixel."""
    return _with_border(labels, w0, sigma, _class_weights(labels, "ones"), _two_nearest(labels))


def _wm_frequency(labels, w0=10, sigma=5):
    """w_c = the class's share of the pixels, not its inverse."""
    return _with_border(labels, w0, sigma, _class_weights(labels, "frequency"), _two_nearest(labels))


def _wm_centres(labels, w0=10, sigma=5):
    """Distances to the cells' centres of mass instead of their nearest pixels."""
    from scipy import ndimage as ndi

    ids = [i for i in np.unique(labels) if i > 0]
    if len(ids) < 2:
        return _class_weights(labels)
    yy, xx = np.indices(labels.shape)
    centres = ndi.center_of_mass(labels > 0, labels, ids)
    d = np.sort(np.stack([np.hypot(yy - cy, xx - cx) for cy, cx in centres]), axis=0)
    return _with_border(labels, w0, sigma, _class_weights(labels), (d[0], d[1]))


def _wm_mask_components(labels, w0=10, sigma=5):
    """Cells taken as the connected components of the mask, which merges touching cells."""
    from scipy import ndimage as ndi

    components, _ = ndi.label(labels > 0)
    return _with_border(components, w0, sigma, _class_weights(labels), _two_nearest(components))


def _compare_weight_map(yours, ref, args) -> str | None:
    """Diagnose the build step: which typical mistake (wrong distances, sigma, w_c, pixels) gives the
    learner's map; each candidate rule is tried with every candidate w_c, and the border term's slip
    is named first."""
    labels, w0, sigma = (tuple(args) + (10.0, 5.0))[:3]
    yours = np.asarray(yours, dtype=np.float64)
    if yours.shape != ref.shape:
        return N_("your map has shape {given}; it should have the labels' shape {expected}").format(given=yours.shape, expected=ref.shape)
    bad = int((~np.isfinite(yours)).sum())
    if bad:
        return N_(
            'your map holds {bad} values that are NaN or infinite: look for a division by zero or an '
            'empty cell id'
        ).format(bad=bad)

    def same(a, b) -> bool:
        return bool(np.allclose(a, b, rtol=1e-5, atol=1e-6))

    if same(yours, ref):
        return None
    cells = labels > 0
    w_c = weightmap.weight_map(labels, w0=0.0, dtype=np.float64)  # the package's w_c alone
    ids = np.unique(labels[cells])
    if len(ids) < 2:
        if same(yours[cells], ref[cells]) and not same(yours[~cells], ref[~cells]):
            return N_("with a single cell there is no second-nearest cell, so there is no border term")
    weights = {"right": w_c, "ones": _class_weights(labels, "ones"), "zeros": np.zeros(labels.shape),
               "frequency": _class_weights(labels, "frequency"), "no-k": _class_weights(labels, "no-k")}
    terms = {"right": ref - w_c}
    if len(ids) >= 2:
        zero = np.zeros(labels.shape)
        d = _two_nearest(labels)
        terms["sigma"] = _with_border(labels, w0, sigma, zero, d, squared=False)
        terms["same"] = _with_border(labels, w0, sigma, zero, (d[0], d[0]))
        terms["inside"] = _with_border(labels, w0, sigma, zero, _two_nearest(labels, inside=True))
        terms["everywhere"] = _with_border(labels, w0, sigma, zero, d, everywhere=True)
        terms["centres"] = _wm_centres(labels, w0, sigma) - _class_weights(labels)
        terms["components"] = _wm_mask_components(labels, w0, sigma) - _class_weights(labels)
    found = next(((t, w) for t in terms for w in weights if same(yours, weights[w] + terms[t])), None)
    term, weight = found if found else (None, None)
    if term == "sigma":
        return N_("your map uses sigma where the formula has sigma squared: the denominator is 2 sigma^2")
    if term == "same":
        return (N_("your d2 is measured to the same cell as d1: d2 is the distance to the second-nearest cell, "
                   "another cell than the nearest"))
    if term == "inside":
        return (N_("your border term is w0 on every background pixel, as if d1 = d2 = 0 there: "
                   "distance_transform_edt(labels == i) measures inside cell i; labels != i gives the distance to cell i"))
    if term == "everywhere":
        return (N_("your map puts the border term on cell pixels too: in weightmap.weight_map a cell pixel gets w_c only, "
                   "the term is for the background between cells"))
    if term == "centres":
        return (N_("your distances run to the cells' centres: d1 and d2 are measured to the nearest pixel of each cell, "
                   "that is to its border"))
    if term == "components":
        return (N_("two touching cells count as one in your map: take the cells from the instance ids (labels == i), "
                   "not from connected components of the mask"))
    if weight == "ones":
        return (N_("your w_c is 1 everywhere: w_c balances the classes, each class weighted by the inverse of its share "
                   "of the image's pixels"))
    if weight == "zeros":
        return N_("your map has no w_c: eq. 2 adds the border term to the class weight w_c, which every pixel gets")
    if weight == "frequency":
        return (N_("your w_c gives the more frequent class the larger weight: balancing weighs each class by the "
                   "inverse of its frequency"))
    if weight == "no-k":
        return (N_("your w_c weighs the two classes in the right ratio but at the wrong scale: with w_k = n / (2 n_k) "
                   "the weights average to 1 over the image"))
    diff = np.abs(yours - ref)
    y, x = np.unravel_index(np.argmax(diff), diff.shape)
    if cells[y, x]:
        return (N_(
            'cell pixel ({y}, {x}) is off by {diff}: a cell pixel gets w_c of the cell class and no '
            'border term'
        ).format(y=y, x=x, diff=format(diff.max(), '.3g')))
    if terms["right"][y, x] < 1e-6:
        return (N_(
            'background pixel ({y}, {x}), far from any two cells, is off by {diff}: there the border '
            'term vanishes and the weight is w_c of the background'
        ).format(y=y, x=x, diff=format(diff.max(), '.3g')))
    return (
        N_(
            'background pixel ({y}, {x}) is off by {diff}: d1 and d2 are the distances to the nearest'
            ' pixel of the nearest and of the second-nearest cell (Euclidean, pixel centres)'
        ).format(y=y, x=x, diff=format(diff.max(), '.3g'))
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
        "Write weight_map(labels, w0=10, sigma=5), the whole of eq. 2 for an instance label image (0 = background, "
        "one positive id per cell, ids not necessarily consecutive), as weightmap.weight_map computes it: "
        "w(x) = w_c(x) + w0 exp(-(d1 + d2)^2 / (2 sigma^2)), where w_c(x) = n / (2 n_k) for the class k of pixel x "
        "(background or cell; n pixels in the image, n_k of them of class k), and d1, d2 are the Euclidean "
        "distances from x to the nearest pixel of the nearest and of the second-nearest cell. The border term goes "
        "to background pixels only; with fewer than two cells there is none.",
        _weight_map_reference,
        _weight_map_cases,
        compare=_compare_weight_map,
        hint="scipy.ndimage.distance_transform_edt(labels != i) gives, at every pixel, the distance to the "
        "nearest pixel of cell i. Sort those maps along the cell axis and take the two smallest.",
        wrong=[
            quiz.Mistake(_wm_sigma_not_squared,
                         says=N_("your map uses sigma where the formula has sigma squared: the denominator is 2 sigma^2")),
            quiz.Mistake(_wm_d2_same_cell,
                         says=N_("your d2 is measured to the same cell as d1: d2 is the distance to the second-nearest "
                                 "cell, another cell than the nearest")),
            quiz.Mistake(_wm_inside_cells,
                         says=N_("your border term is w0 on every background pixel, as if d1 = d2 = 0 there: "
                                 "distance_transform_edt(labels == i) measures inside cell i; labels != i gives the distance "
                                 "to cell i")),
            quiz.Mistake(_wm_everywhere,
                         says=N_("your map puts the border term on cell pixels too: in weightmap.weight_map a cell pixel "
                                 "gets w_c only, the term is for the background between cells")),
            quiz.Mistake(_wm_no_balance,
                         says=N_("your w_c is 1 everywhere: w_c balances the classes, each class weighted by the inverse "
                                 "of its share of the image's pixels")),
            quiz.Mistake(_wm_frequency,
                         says=N_("your w_c gives the more frequent class the larger weight: balancing weighs each class "
                                 "by the inverse of its frequency")),
            quiz.Mistake(_wm_centres,
                         says=N_("your distances run to the cells' centres: d1 and d2 are measured to the nearest pixel "
                                 "of each cell, that is to its border")),
            quiz.Mistake(_wm_mask_components,
                         says=N_("two touching cells count as one in your map: take the cells from the instance ids "
                                 "(labels == i), not from connected components of the mask")),
        ],
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
