"""Exercises of chapter 04: the skip architecture (FCN-32s, 16s, 8s) and boundary quality.

Answers come from the package's FCN and boundary F-score, never typed in.
"""

from __future__ import annotations

import numpy as np
import torch

from unet_course import quiz
from unet_course.quiz.catalog import N_
from unet_course.metrics.boundary import boundary_f_score
from unet_course.models import FCN

SKIP_OPTIONS = ["pool4 only", "pool3 and pool4", "pool1 and pool2", "fc7 and pool5"]


def _vgg_fcn(variant: str) -> FCN:
    with torch.device("meta"):  # shapes without memory
        return FCN(variant, in_channels=3, num_classes=21)


def score_size(n: int) -> int:
    """Side of FCN's score_fr map (stride 32) for an n x n input, n >= 32."""
    return _vgg_fcn("32s").feature_sizes(n, n)["score_fr"][0]


def _score_samples() -> list[tuple[int]]:
    return [(n,) for n in (32, 33, 63, 64, 65, 100, 128, 224, 500, 512)]


def trainable_extra() -> int:
    """Trainable parameters of FCN-8s that FCN-32s lacks (VGG16 backbone, 21 classes)."""

    def count(model):
        return sum(p.numel() for p in model.parameters() if p.requires_grad)

    return count(_vgg_fcn("8s")) - count(_vgg_fcn("32s"))


def boundary_f(pred: np.ndarray, target: np.ndarray, tolerance: float) -> float:
    """The package's boundary F-score."""
    return boundary_f_score(pred, target, tolerance).f_score


def _boundary_cases() -> list[tuple]:
    from unet_course.experiments.fcn import shape_scenes

    data = shape_scenes(3, 64, seed=40)
    rng = np.random.default_rng(5)
    cases = []
    for i, tol in zip(range(3), (1.0, 2.0, 3.0)):
        target = data.targets[i].numpy()
        pred = np.roll(target, (int(rng.integers(-3, 4)), int(rng.integers(-3, 4))), axis=(0, 1)).copy()
        pred[rng.random(pred.shape) < 0.01] = 2
        cases.append((pred, target, tol))
    square = np.zeros((12, 12), dtype=np.int64)
    square[3:8, 3:8] = 1
    cases.append((np.roll(square, 3, axis=1), square, 2.0))
    return cases


def _compare_f(yours, expected, args) -> str | None:
    try:
        value = float(yours)
    except (TypeError, ValueError):
        return N_('return one number, the F-score; you returned {kind}').format(kind=type(yours).__name__)
    if np.isclose(value, expected, atol=1e-9):
        return None
    return (
        N_(
            'your F-score {value} is {direction} for tolerance {tolerance}: check that a boundary '
            "pixel has a 4-neighbour with another label, and that 'within' means distance <= "
            'tolerance'
        ).format(value=format(value, '.4f'), direction=N_('too high') if value > expected else N_('too low'), tolerance=args[2])
    )


def _boundary_f_strict(pred, target, tolerance):
    """A plausible wrong answer: 'within' read as strictly closer than the tolerance."""
    from scipy import ndimage as ndi

    def edges(lab):
        e = np.zeros(lab.shape, dtype=bool)
        dy, dx = lab[1:] != lab[:-1], lab[:, 1:] != lab[:, :-1]
        e[1:] |= dy
        e[:-1] |= dy
        e[:, 1:] |= dx
        e[:, :-1] |= dx
        return e

    def matched(a, b):
        if not a.any():
            return 1.0
        if not b.any():
            return 0.0
        return float((ndi.distance_transform_edt(~b)[a] < tolerance).mean())

    pe, te = edges(np.asarray(pred)), edges(np.asarray(target))
    p, r = matched(pe, te), matched(te, pe)
    return 0.0 if p + r == 0 else 2 * p * r / (p + r)


def _boundary_precision_only(pred, target, tolerance):
    """A plausible wrong answer: the precision alone, not the F-score."""
    return boundary_f_score(pred, target, tolerance).precision


PLATEAU_OPTIONS = [
    "FCN-32s, whose stride-32 scores are the most robust",
    "FCN-16s, a compromise between coarse and fine scores",
    "FCN-8s, whose finest scores have a stride of 8 pixels",
    "all three alike, since each reaches its own plateau",
]


def plateau_winner() -> int:
    """Index in PLATEAU_OPTIONS of the variant with the highest held-out boundary F-score at its
    best step, from the shipped curves of chapter 04 (``python -m unet_course.experiments.fcn``)."""
    from unet_course.experiments.fcn import load_fcn_curves

    result, _ = load_fcn_curves()
    best = {v: c["boundary_f"][c["steps"].index(c["best_step"])] for v, c in result["curves"].items()}
    ranked = sorted(best, key=best.get, reverse=True)
    if best[ranked[0]] - best[ranked[-1]] < 0.05:
        return 3
    return {"32s": 0, "16s": 1, "8s": 2}[ranked[0]]


# Integer answers are exact (atol 0): the prompts ask for integers.
QUESTIONS = [
    quiz.Choice(
        "04.skip-layers",
        "FCN-8s adds the class scores of which backbone maps to the upsampled pool5 scores?",
        SKIP_OPTIONS,
        SKIP_OPTIONS.index("pool3 and pool4"),
        hint="Each skip halves the stride of the finest scores; which maps have strides 16 and 8?",
        wrong=[0, 2, 3],
    ),
    quiz.Formula(
        "04.score-size",
        "The package's FCN pads its input to a multiple of 32. Write `score_size(n)`: the side of the "
        "score_fr map (stride 32) for an n x n input, n >= 32.",
        score_size,
        _score_samples,
        hint="Count the 2x2 poolings between the input and score_fr, and ask what the padding does "
        "to a side that is not a multiple of their total stride.",
        wrong=[lambda n: n // 32, lambda n: n // 32 + 1, lambda n: -(-n // 16)],
    ),
    quiz.Numeric(
        "04.extra-parameters",
        "For VGG16 and 21 classes, how many *trainable* parameters does FCN-8s have that FCN-32s does "
        "not? (Its two learnable x2 upsamplings, 4 x 4 kernels from 21 to 21 channels without bias, and "
        "the 1x1 score layers on pool4 (512 channels) and pool3 (256 channels), with bias. The last "
        "upsampling is fixed in both.) Answer as an integer.",
        trainable_extra,
        rtol=0,
        atol=0,
        hint="A 1x1 convolution from C to K channels has C K weights and K biases; a transposed "
        "convolution's kernel holds in x out x k x k weights.",
        wrong=[
            2 * 21 * 21 * 16 + 512 * 21 + 256 * 21,  # biases forgotten
            21 * 21 * 16 + (512 * 21 + 21) + (256 * 21 + 21),  # one upsampling only
            2 * 21 * 21 * 4 + (512 * 21 + 21) + (256 * 21 + 21),  # 2 x 2 kernels
        ],
    ),
    quiz.CodeExercise(
        "04.boundary-f",
        "Write `boundary_f(pred, target, tolerance)`: the boundary F-score of two label maps, where a "
        "boundary pixel has a 4-neighbour with another label and a boundary pixel is matched when a "
        "boundary pixel of the other map lies within `tolerance` pixels (Euclidean, distance <= "
        "tolerance).",
        boundary_f,
        _boundary_cases,
        compare=_compare_f,
        hint="scipy.ndimage.distance_transform_edt(~boundary) gives each pixel's distance to the nearest "
        "boundary pixel.",
        wrong=[_boundary_f_strict, _boundary_precision_only],
    ),
    quiz.Choice(
        "04.predict-plateau",
        "Predict before you run: trained until its held-out score stops improving, which variant "
        "reaches the highest held-out boundary F-score (tolerance 2 px)?",
        PLATEAU_OPTIONS,
        plateau_winner(),
        hint="Ask how precisely each network can place an edge, not how long it trains.",
        wrong=[i for i in range(len(PLATEAU_OPTIONS)) if i != plateau_winner()],
    ),
]
