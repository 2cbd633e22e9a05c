"""Exercises of chapter 06: overlap-tile inference and mirror extrapolation.

Answers come from the package's tile planner, U-Net and mirroring, never typed in.
"""

from __future__ import annotations

import numpy as np
import torch

from unet_course import quiz


def _unet(**settings):
    from unet_course.models import UNet

    with torch.device("meta"):
        return UNet(base_channels=1, **settings)


def tiles_needed(height: int, width: int) -> int:
    """Input tiles of 572 px (the paper's network, stepped on the pooling grid) for an image."""
    from unet_course.tiling import plan_tiles

    return plan_tiles(_unet(), (height, width), tile_size=572).num_tiles


def seamless_step(depth: int, tile: int) -> int:
    """The largest step (output pixels) at most the output tile that keeps tiles on the
    pooling grid, for a valid U-Net of ``depth`` and input tile ``tile``."""
    from unet_course.tiling import plan_tiles

    return plan_tiles(_unet(depth=depth), (4 * tile, 4 * tile), tile_size=tile).step[0]


def mirror_indices_reference(n: int, before: int, after: int) -> np.ndarray:
    from unet_course.tiling import mirror_indices

    return mirror_indices(n, before, after)


def _mirror_cases() -> list[tuple[int, int, int]]:
    return [(5, 2, 2), (5, 0, 3), (4, 3, 0), (6, 5, 5), (3, 7, 9), (1, 2, 3), (10, 1, 12)]


def _mirror_repeating_border(n: int, before: int, after: int) -> np.ndarray:
    """A plausible wrong answer: mirroring that repeats the border pixel (``b a | a b c d | d c``)."""
    return np.pad(np.arange(n), (before, after), mode="symmetric")


def _mirror_once(n: int, before: int, after: int) -> np.ndarray:
    """A plausible wrong answer: one reflection, then the border pixel repeated for longer pads."""
    i = np.abs(np.arange(-before, n + after))
    i = np.where(i > n - 1, 2 * (n - 1) - i, i)
    return np.clip(i, 0, n - 1)


def _compare_mirror(yours, ref, args) -> str | None:
    n, before, after = args
    yours = np.asarray(yours)
    if yours.shape != ref.shape:
        return f"for n={n}, before={before}, after={after} you returned {yours.size} indices; there should be before + n + after = {ref.size}"
    if not np.array_equal(yours[before : before + n], np.arange(n)):
        return f"for n={n}, before={before}, after={after} the middle part should be the image itself, 0 .. n-1"
    if not np.array_equal(yours, ref):
        k = int(np.argmax(yours != ref))
        return (f"for n={n}, before={before}, after={after} index {k} of your answer is off: mirror about the "
                f"border pixel without repeating it, and reflect again when the pad is longer than the axis")
    return None


QUESTIONS = [
    quiz.Numeric(
        "06.tiles-count",
        "How many 572 x 572 input tiles does the paper's network need for a 2048 x 1536 image, "
        "with tiles stepped on the pooling grid (output tiles of 388 px, step 384)? Give an integer.",
        lambda: tiles_needed(2048, 1536),
        rtol=0,
        atol=0.5,
        hint="Along an axis of n pixels: one tile covers 388, every further tile adds 384; a partial tile counts.",
        wrong=[23, 25, 15, 12, 20],
    ),
    quiz.Numeric(
        "06.grid-step",
        "A valid U-Net of depth 3 gets input tiles of 300 px. What is the largest step (in output "
        "pixels) no larger than its output tile for which the tiled output equals the whole-image output? "
        "Give an integer number of pixels.",
        lambda: seamless_step(3, 300),
        rtol=0,
        atol=0.5,
        hint="First find the output tile (model.output_size); then ask which steps keep every tile on the pooling grid.",
        # the output tile itself (212), one grid step too short, and the grid of depth 4
        wrong=[212, 200, 192, 209],
    ),
    quiz.TrueFalse(
        "06.shift-8",
        "Shifting the input of the paper's U-Net (depth 4) by 8 pixels shifts its output by exactly "
        "8 pixels (away from the borders).",
        8 % 2**4 == 0,
        hint="Which shifts keep every 2x2 max-pool window on the same pixels, down to the fourth pooling?",
        explanation="Only shifts by multiples of 2**depth = 16 keep the pooling grid of every level; an 8-px "
        "shift moves the windows of the fourth pooling by half a window.",
        wrong=[True],
    ),
    quiz.CodeExercise(
        "06.mirror-indices",
        "Write `mirror_indices(n, before, after)`: the indices into an axis of length `n` that "
        "extend it by `before` and `after` pixels by mirroring (reflecting about the border pixel, "
        "`c b | a b c d | c b`, again and again for pads longer than the axis; for n = 1 every index is 0).",
        mirror_indices_reference,
        _mirror_cases,
        compare=_compare_mirror,
        hint="Reflection about the border pixel is periodic; find its period, then fold the upper half of each period back.",
        wrong=[_mirror_repeating_border, _mirror_once],
    ),
    quiz.TrueFalse(
        "06.mirror-recovers",
        "Mirror extrapolation recovers the true image content beyond the border of the image.",
        False,
        hint="What does the network see in the mirrored band: the tissue that was there, or a "
        "reflection of the tissue inside?",
        explanation="Mirroring invents plausible context with the local statistics of the image; it does "
        "not know what lay beyond the border, so pixels near the image border still differ from a "
        "prediction with real context, only less than with zeros.",
        wrong=[True],
    ),
    quiz.Choice(
        "06.predict-border-error",
        "Predict before running: in the image border band (pixels whose receptive field reaches beyond the "
        "image), which way of filling the missing context gives the smallest mean error of the cell "
        "probability, against a prediction with the real context?",
        [
            "mirror extrapolation at the image border",
            "zeros beyond the image border",
            "no context: every tile cut out alone",
            "all three within 1% of each other",
        ],
        0,
        hint="Which filling looks most like the tissue the filters saw in training: a reflection, a flat "
        "dark band, or dark bands on all four sides of every tile?",
        wrong=[1, 2, 3],
    ),
]
