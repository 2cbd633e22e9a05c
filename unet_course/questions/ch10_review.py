"""Exercises of chapter 10: the study notes' quiz (문제), every item, and review questions.

Answers are derived from the package (the U-Net model, the composition rule, tile sizes) or
from the paper's formulas, never typed in.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from unet_course import ops, quiz
from unet_course.quiz.catalog import N_

PAPER = dict(in_channels=1, num_classes=2, base_channels=64, depth=4)
ISBI_SIDE = 512  # the ISBI 2012 slices are 512 x 512 pixels
PAPER_TILE = 572  # the paper's input tile
# Section 3: "we favor large input tiles over a large batch size and hence reduce the batch to a
# single image"
PAPER_BATCH = 1


def paper_unet(padding: str = "valid"):
    """The paper's U-Net, built on the meta device: its layers and sizes without its memory."""
    from unet_course.models import UNet

    with torch.device("meta"):
        return UNet(**PAPER, padding=padding)


def count_convolutions(model: torch.nn.Module) -> int:
    """Every convolution of ``model``: ``Conv2d`` (3x3 and 1x1) and ``ConvTranspose2d`` (2x2 up)."""
    return sum(isinstance(m, (torch.nn.Conv2d, torch.nn.ConvTranspose2d)) for m in model.modules())


def first_level_crop() -> int:
    """Pixels cropped on each side of the first-level skip map of the paper's network."""
    model = paper_unet()
    walk = {step.layer: step.size for step in model.size_walk(PAPER_TILE)}
    skip = walk["encoder0.conv2"]
    upsampled = walk[f"decoder{model.depth - 1}.up"]
    return (skip - upsampled) // 2


def tiles_per_slice() -> int:
    """Output tiles of the paper's network (572 -> 388) needed to cover one 512 x 512 slice."""
    out = paper_unet().output_size(PAPER_TILE)
    return math.ceil(ISBI_SIDE / out) ** 2


def compose_rule(k: int, s: int, k_prime: int, s_prime: int) -> tuple[int, int]:
    """Kernel and stride of f_ks ∘ g_k's' (g first), from the package's composition rule."""
    layer = ops.compose((k, s), (k_prime, s_prime))
    return layer.kernel, layer.stride


def _compose_samples() -> list[tuple[int, int, int, int]]:
    rng = np.random.default_rng(10)
    fixed = [(3, 1, 3, 1), (2, 2, 3, 1), (3, 1, 2, 2), (3, 2, 5, 3), (1, 1, 7, 4)]
    drawn = [tuple(int(v) for v in rng.integers(1, 8, 4)) for _ in range(20)]
    return fixed + drawn


def mirror_pad_reference(image: np.ndarray, margin: int) -> np.ndarray:
    """Mirror extrapolation of ``margin`` pixels on every side (reflection about the border
    pixel): the package's overlap-tile padding."""
    from unet_course.tiling import mirror_pad

    return mirror_pad(image, margin)


def _mirror_cases() -> list[tuple]:
    rng = np.random.default_rng(3)
    return [
        (rng.random((6, 7)), 2),
        (rng.random((9, 5)).astype(np.float32), 4),
        (np.arange(12.0).reshape(3, 4), 1),
        (np.arange(20.0).reshape(4, 5), 3),  # the largest margin a reflection allows
    ]


def _compare_mirror(yours, expected, args) -> str | None:
    image, margin = args
    yours = np.asarray(yours.detach().cpu() if isinstance(yours, torch.Tensor) else yours)
    if yours.shape != expected.shape:
        h, w = image.shape
        return (
            N_(
                'your padded image has shape {given}; padding a {h}x{w} image by {margin} on every side '
                'gives {expected}'
            ).format(given=yours.shape, h=h, w=w, margin=margin, expected=expected.shape)
        )
    if np.allclose(yours, expected):
        return None
    if np.allclose(yours, np.pad(image, margin, mode="symmetric")):
        # the prompt excludes it: reflection about the border pixel, not about the image edge
        return N_("your padding repeats the border pixel (row -1 equals row 0); the mirror is the border pixel itself")
    if np.allclose(yours[margin:-margin, margin:-margin], image):
        if np.allclose(yours, np.pad(image, margin)):
            return N_("you padded with zeros; the question asks for mirrored context")
        return N_("the centre is the image, but the border is not its mirror image")
    return N_("the centre of your output is not the input image: the padding goes around it")


def _mirror_repeating_border(image: np.ndarray, margin: int) -> np.ndarray:
    """A plausible wrong answer: mirroring about the image edge, which repeats the border pixel."""
    return np.pad(image, margin, mode="symmetric")


def _shift_period() -> int:
    return 2 ** PAPER["depth"]


def valid_output_size(n: int) -> int:
    """Output side of the paper's valid U-Net for a valid input side ``n``."""
    return paper_unet().output_size(n)


def _valid_sizes() -> list[tuple[int]]:
    return [(n,) for n in paper_unet().valid_input_sizes(188, 700)]


def _border_term(d1: float = 1.0, d2: float = 1.0, w0: float = 10.0, sigma: float = 5.0) -> float:
    """The border term of eq. 2 of the paper: w0 * exp(-(d1 + d2)^2 / (2 sigma^2))."""
    return w0 * math.exp(-((d1 + d2) ** 2) / (2 * sigma**2))


# Integer answers are exact (atol 0); answers asked "to three significant digits" accept
# every correctly rounded value (atol = half a unit of the last asked digit) and no more.
QUESTIONS = [
    # --- the notes' quiz, item 1 --------------------------------------------------------------
    quiz.Numeric(
        "10.fcn-kernels",
        "The last 1x1 convolutional layer of an FCN has 24 kernels. Into how many classes is the "
        "data labelled, background excluded? Answer as an integer.",
        lambda: torch.nn.Conv2d(4096, 24, kernel_size=1).out_channels - 1,
        rtol=0.0,
        atol=0.0,
        hint="A 1x1 convolution with K kernels gives K scores per pixel, one per label; which "
        "label does the question leave out?",
        wrong=[24, 22, 25],
    ),
    quiz.Numeric(
        "10.voc-classes",
        "The original FCN's score layer on PASCAL VOC has 21 kernels. How many object classes does "
        "PASCAL VOC have? Answer as an integer.",
        lambda: torch.nn.Conv2d(4096, 21, kernel_size=1).out_channels - 1,
        rtol=0.0,
        atol=0.0,
        hint="Same counting as for 24 kernels.",
        wrong=[21, 19],
    ),
    # --- item 2 ---------------------------------------------------------------------------------
    quiz.Formula(
        "10.compose-rule",
        "Write `rule(k, s, k_prime, s_prime)` returning the `(kernel, stride)` of "
        "f_ks ∘ g_k's' (g with kernel k' and stride s' first, then f with kernel k and stride s).",
        compose_rule,
        _compose_samples,
        hint="k neighbouring outputs of g start s' input pixels apart and each covers k' pixels; "
        "one step of f moves s outputs of g.",
        wrong=[
            lambda k, s, k_prime, s_prime: (k + (k_prime - 1) * s, s * s_prime),  # f and g swapped
            lambda k, s, k_prime, s_prime: (k + k_prime - 1, s * s_prime),  # strides ignored
            lambda k, s, k_prime, s_prime: (k * k_prime, s * s_prime),
            lambda k, s, k_prime, s_prime: (k_prime + (k - 1) * s_prime, s + s_prime),
        ],
    ),
    # --- item 3 ---------------------------------------------------------------------------------
    quiz.Choice(
        "10.mirror-why",
        "Why may U-Net extrapolate the missing context at the image border by mirroring instead of "
        "zero padding?",
        [
            "Mirroring costs less computation than zero padding, so tiles are predicted faster.",
            "Mirrored context has the grey values, texture and edges of real tissue; zeros do not.",
            "Mirroring recovers the true tissue that lies beyond the border of the recorded image.",
            "Mirroring makes the output segmentation map larger than the input image it comes from.",
        ],
        1,
        hint="Compare what a convolution sees in the padded band with what it sees inside the image.",
        wrong=[0, 2, 3],
    ),
    quiz.CodeExercise(
        "10.mirror-pad",
        "Write `mirror_pad(image, margin)` that extends a 2-D array by `margin` pixels on every "
        "side by mirroring it at its borders, without repeating the border pixel (row -1 of the "
        "result equals row 1 of the image).",
        mirror_pad_reference,
        _mirror_cases,
        compare=_compare_mirror,
        hint="numpy.pad has a mode for it, and one close to it that the prompt rules out; or build "
        "it from flipped slices of the image.",
        wrong=[_mirror_repeating_border, lambda image, margin: np.pad(image, margin),
               lambda image, margin: np.pad(image, margin, mode="edge")],
    ),
    # --- item 4 ---------------------------------------------------------------------------------
    quiz.TrueFalse(
        "10.conv-23",
        "U-Net (the architecture of the paper's Figure 1) has 23 convolutional layers in total.",
        count_convolutions(paper_unet()) == 23,
        hint="Count the 3x3 convolutions per level, the 2x2 up-convolutions and the final 1x1.",
        explanation="18 convolutions 3x3 (two per level: 4 down, the bottleneck, 4 up), 4 up-convolutions "
        "2x2 and the final 1x1: 23, as the paper says.",
        wrong=[False],
    ),
    quiz.Numeric(
        "10.conv-count",
        "Count the convolutional layers (Conv2d and ConvTranspose2d) of `UNet(base_channels=64, depth=4)`. "
        "Answer as an integer.",
        lambda: count_convolutions(paper_unet()),
        rtol=0.0,
        atol=0.0,
        hint="model.modules() visits every layer; isinstance tells convolutions apart.",
        wrong=[18, 19, 22, 24],
    ),
    # --- item 5 ---------------------------------------------------------------------------------
    # The notes' statement "U-Net uses whole-image training" has no single answer: FCN (section 3.4)
    # calls dense training over all the receptive fields of an image "whole image fully
    # convolutional training", and U-Net trains densely on one large tile a step. Two questions
    # with one answer each take its place.
    quiz.TrueFalse(
        "10.dense-loss",
        "In one training step, U-Net's loss (the paper's energy, eq. 1) sums over every pixel of "
        "the output tile, not over patches sampled from it.",
        True,
        hint="Read the paper's energy E: over which pixel positions does its sum run?",
        explanation="Eq. 1 sums w(x) log p over every pixel position x of the output map, and the "
        "paper samples no patches from it: each step trains densely on all the receptive fields of "
        "one tile, what the FCN paper (section 3.4) calls whole image fully convolutional training.",
        wrong=[False],
    ),
    quiz.Numeric(
        "10.batch-images",
        "How many images does one training batch of the paper's U-Net hold? Answer as an integer.",
        PAPER_BATCH,
        rtol=0.0,
        atol=0.0,
        hint="Section 3 weighs large input tiles against a large batch size: which one does the "
        "paper favour?",
        wrong=[2, 4, 20],  # 20: the FCN paper's minibatch of 20 images
    ),
    quiz.Numeric(
        "10.tiles-per-slice",
        "How many 388 x 388 output tiles does the paper's network need to cover one 512 x 512 "
        "ISBI 2012 slice? Answer as an integer.",
        tiles_per_slice,
        rtol=0.0,
        atol=0.0,
        hint="Tiles per row times tiles per column; a partial tile still counts.",
        wrong=[2, 1, 9],
    ),
    # --- item 6 ---------------------------------------------------------------------------------
    quiz.TrueFalse(
        "10.cropping",
        "Cropping is necessary in U-Net (the paper's network, with unpadded convolutions).",
        bool(first_level_crop() > 0),
        hint="Compare the size of a skip map of the contracting path with the size of the "
        "upsampled map it is concatenated with.",
        explanation="With unpadded (valid) 3x3 convolutions every convolution loses a 1-pixel border, so "
        "the skip maps are larger than the upsampled maps and must be cropped. With padded "
        "('same') convolutions the sizes agree and no crop is needed.",
        wrong=[False],
    ),
    quiz.Numeric(
        "10.crop-first-level",
        "For a 572 x 572 input, how many pixels are cropped on each side of the first-level skip "
        "map before it is concatenated? Answer as an integer.",
        first_level_crop,
        rtol=0.0,
        atol=0.0,
        hint="Follow the sizes up the expanding path to the last up-convolution and compare with "
        "the first level's skip map.",
        wrong=[176, 92, 44, 89],
    ),
    # --- review across chapters -----------------------------------------------------------------
    quiz.Choice(
        "10.semantic-touching",
        "Chapter 01: which segmentation labels every pixel with its class but gives two touching "
        "nuclei the same label?",
        ["semantic segmentation", "instance segmentation", "panoptic segmentation"],
        0,
        hint="Only one of them does not tell objects of one class apart.",
        wrong=[1, 2],
    ),
    quiz.Numeric(
        "10.upsample-kernel",
        "Chapter 03: what kernel size does a transposed convolution need to upsample by 2 as exact "
        "bilinear interpolation (stride 2)? Answer as an integer.",
        lambda: ops.bilinear_upsampling_layout(2)[0],
        rtol=0.0,
        atol=0.0,
        hint="Each output pixel interpolates between its two nearest input pixels; how many output "
        "pixels, at stride 2, does one input pixel contribute to along an axis?",
        wrong=[2, 3, 5],
    ),
    quiz.Formula(
        "10.output-size",
        "Chapters 05-06: write `output_size(n)`, the output side of the paper's valid U-Net (depth 4) "
        "for a valid input side n.",
        valid_output_size,
        _valid_sizes,
        hint="Follow one valid input through the size walk of chapter 05; the border it loses does "
        "not depend on n.",
        wrong=[
            lambda n: n - 92,  # one side only
            lambda n: n - 2 * 88,  # the first-level crop, not the whole border
            lambda n: n - 2 * 94,
        ],
    ),
    quiz.Numeric(
        "10.predict-shift-period",
        "Chapter 06, predict before you run: by how many pixels (smallest positive) must the input of "
        "a depth-4 U-Net be shifted for its output to shift by exactly the same amount? Answer as an "
        "integer.",
        _shift_period,
        rtol=0.0,
        atol=0.0,
        hint="Ask what a 2x2 max-pooling with stride 2 does to an input shifted by one pixel, then "
        "stack the poolings of the network.",
        wrong=[1, 2, 8, 4, 32],
    ),
    quiz.Numeric(
        "10.border-weight",
        "Chapter 08: with w0 = 10 and σ = 5 px, what is the border term w0·exp(-(d1 + d2)² / 2σ²) "
        "of the weight map on a background pixel 1 px from each of two touching cells? Give it to "
        "three significant digits.",
        _border_term,
        rtol=0.0,
        atol=0.005,
        hint="Put the two distances into the exponent as the formula writes it; σ is squared.",
        wrong=[
            9.2,  # two significant digits
            10.0,  # w0 alone
            _border_term(1.0, 0.0),  # one distance only
            10.0 * math.exp(-4.0 / (2 * 5.0)),  # sigma instead of sigma squared
            10.0 * math.exp(-2.0 / 50.0),  # (d1 + d2) not squared
        ],
    ),
]
