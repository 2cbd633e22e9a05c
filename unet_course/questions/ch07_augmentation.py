"""Exercises of chapter 07: data augmentation (데이터 증강) and the elastic deformation."""

from __future__ import annotations

import math

import numpy as np

from unet_course import augment, quiz
from unet_course.quiz.catalog import N_


def _elastic_reference(image: np.ndarray, coarse: np.ndarray) -> np.ndarray:
    return augment.elastic_deform(image, displacement=coarse).image


def _elastic_cases() -> list[tuple]:
    rng = np.random.default_rng(7)
    cases = []
    for shape, grid, sigma in (((40, 40), 3, 0.0), ((48, 64), 3, 6.0), ((57, 45), 4, 10.0)):
        image = rng.random(shape)
        cases.append((image, rng.normal(0, sigma, size=(2, grid, grid))))
    return cases


def _elastic_backwards(image: np.ndarray, coarse: np.ndarray) -> np.ndarray:
    """A plausible wrong answer: reads the image at p - d(p) instead of p + d(p)."""
    return augment.elastic_deform(image, displacement=-np.asarray(coarse)).image


def _elastic_linear(image: np.ndarray, coarse: np.ndarray) -> np.ndarray:
    """A plausible wrong answer: the right field, but the image read with linear interpolation."""
    coords = augment.elastic_coordinates(image.shape, coarse)
    return augment.warp(image, coords, 1)


def _compare_elastic(yours, ref, args) -> str | None:
    yours = np.asarray(yours, dtype=float)
    if yours.shape != ref.shape:
        return N_("your image has shape {given}; it should keep the input's shape {expected}").format(given=yours.shape, expected=ref.shape)
    inner = (slice(8, -8), slice(8, -8))
    diff = np.abs(yours - ref)[inner]
    if diff.max() <= 1e-4:
        return None
    if np.allclose(yours[inner], args[0][inner], atol=1e-6) and np.abs(args[1]).max() > 0:
        return N_("your output equals the input: the displacement was not applied")
    y, x = np.unravel_index(np.argmax(diff), diff.shape)
    return (
        N_(
            'pixel ({y}, {x}) is off by {diff}: check that pixel p reads the input at p + d(p), that '
            'd comes from a cubic interpolation of the grid spanning the corners, and order=3'
        ).format(y=y + 8, x=x + 8, diff=format(diff.max(), '.3g'))
    )


QUESTIONS = [
    quiz.Numeric(
        "07.grid-spacing",
        "The paper draws random displacements on a coarse 3 x 3 grid over the input tile. If the "
        "grid spans a 572 x 572 tile from corner pixel to corner pixel (as `augment.dense_displacement` "
        "does), how many pixels apart are two neighbouring grid nodes? Give the answer to one decimal place.",
        lambda: (572 - 1) / (3 - 1),
        rtol=0,
        atol=0.05,  # half a unit of the first decimal place
        hint="Where do the first node and the last node sit, in pixels? How many gaps lie between three nodes?",
        # 572 / 2 (the tile side, not the distance between the corner pixels), 572 / 3, rounded to an integer
        wrong=[286.0, 190.7, 285.0, 286],
    ),
    quiz.Numeric(
        "07.mean-displacement",
        "Each component (row, column) of a grid node's displacement is drawn from N(0, 10^2) px. "
        "What is the mean length of the displacement vector, in pixels, to three significant digits?",
        lambda: 10.0 * math.sqrt(math.pi / 2.0),
        rtol=0,
        atol=0.05,  # half a unit of the third significant digit: 12.5 passes, 12.4 and 12.6 fail
        hint="The length of a vector of two independent normal components has a distribution with a name; "
        "look up its mean, or sample many grids and average.",
        # sigma itself, the root-mean-square length sigma * sqrt(2), and the neighbours of the rounded value
        wrong=[10.0, 14.1, 12.4, 12.6],
    ),
    quiz.Choice(
        "07.label-interpolation",
        "An elastic deformation is applied to an image and to its label map (0 background, 1 and 2 "
        "two cell classes). Which interpolation keeps the label map a valid label map?",
        [
            "cubic spline, as for the image",
            "linear, then rounded to integers",
            "nearest neighbour, copying an id",
        ],
        2,
        hint="Which of the three can write a value that was not in the label map, for instance between "
        "a pixel of class 0 and one of class 2?",
        wrong=[0, 1],
    ),
    quiz.TrueFalse(
        "07.gray-value",
        "In the U-Net paper, the augmentation 'gray value variations' means converting colour "
        "images to grey scale.",
        False,
        hint="The paper's microscopy images are grey already (one channel). What could vary "
        "between two grey images of the same cells?",
        explanation="The images are single-channel; the augmentation varies their grey values "
        "(brightness, contrast, gamma), as a different exposure or stain would.",
        wrong=[True],
    ),
    quiz.CodeExercise(
        "07.elastic-warp",
        "Write `deform(image, coarse)` that applies the paper's elastic deformation to a 2-D "
        "float `image` given the coarse grid displacements `coarse` of shape (2, g, g) (rows, "
        "columns, in pixels; the grid spans the image corner to corner): interpolate a per-pixel "
        "displacement d with cubic B-splines, then read the image at p + d(p) with cubic "
        "interpolation, mirrored at the border. Use `scipy.ndimage.map_coordinates`.",
        _elastic_reference,
        _elastic_cases,
        compare=_compare_elastic,
        hint="Node j of g sits at pixel j (n - 1) / (g - 1), so pixel i sits at grid coordinate "
        "i (g - 1) / (n - 1); interpolate each component of coarse there (order 3, mode 'mirror'), "
        "then sample the image at the displaced positions the same way.",
        wrong=[_elastic_backwards, _elastic_linear],
    ),
    quiz.Choice(
        "07.predict-train-loss",
        "Predict before running: two copies of one small U-Net train for 400 steps on two 96 x 96 EM crops, "
        "one on the plain crops and one on augmented tiles. Which has the lower training loss over its "
        "last 50 steps?",
        [
            "the network trained on the plain crops",
            "the network trained on augmented tiles",
            "neither: both within 5% of each other",
        ],
        0,
        hint="A training loss is measured on each network's own training inputs: ask how varied those inputs are, and what that makes easier or harder to fit.",
        wrong=[1, 2],
    ),
]
