"""Exercises of chapter 10: the study notes' quiz (문제), every item, and review questions.

Answers are derived from the package (the U-Net model, the composition rule, tile sizes) or
from the paper's formulas, never typed in.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from unet_course import ops, quiz

PAPER = dict(in_channels=1, num_classes=2, base_channels=64, depth=4)
ISBI_SIDE = 512  # the ISBI 2012 slices are 512 x 512 pixels
PAPER_TILE = 572  # the paper's input tile


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
    return [(rng.random((6, 7)), 2), (rng.random((9, 5)).astype(np.float32), 4), (np.arange(12.0).reshape(3, 4), 1)]


def _compare_mirror(yours, expected, args) -> str | None:
    image, margin = args
    yours = np.asarray(yours.detach().cpu() if isinstance(yours, torch.Tensor) else yours)
    if yours.shape != expected.shape:
        h, w = image.shape
        return (
            f"your padded image has shape {yours.shape}; padding a {h}x{w} image by {margin} on every side "
            f"gives {expected.shape}"
        )
    if np.allclose(yours, expected):
        return None
    if np.allclose(yours, np.pad(image, margin, mode="symmetric")):
        return None  # mirroring that repeats the border pixel is mirroring too
    if np.allclose(yours[margin:-margin, margin:-margin], image):
        if np.allclose(yours, np.pad(image, margin)):
            return "you padded with zeros; the question asks for mirrored context"
        return "the centre is the image, but the border is not its mirror image: row -1 should equal row 1"
    return "the centre of your output is not the input image: the padding goes around it"


def _shift_period() -> int:
    return 2 ** PAPER["depth"]


def valid_output_size(n: int) -> int:
    """Output side of the paper's valid U-Net for a valid input side ``n``."""
    return paper_unet().output_size(n)


def _valid_sizes() -> list[tuple[int]]:
    return [(n,) for n in paper_unet().valid_input_sizes(188, 700)]


QUESTIONS = [
    # --- the notes' quiz, item 1 --------------------------------------------------------------
    quiz.Numeric(
        "10.fcn-kernels",
        "The last 1x1 convolutional layer of an FCN has 24 kernels. Into how many classes is the "
        "data labelled, background excluded?",
        lambda: torch.nn.Conv2d(4096, 24, kernel_size=1).out_channels - 1,
        atol=0.0,
        hint="A 1x1 convolution with K kernels gives K scores per pixel, one per class; one of "
        "the classes is the background.",
    ),
    quiz.Numeric(
        "10.voc-classes",
        "The original FCN's score layer on PASCAL VOC has 21 kernels. How many object classes does "
        "PASCAL VOC have?",
        lambda: torch.nn.Conv2d(4096, 21, kernel_size=1).out_channels - 1,
        hint="Same counting as for 24 kernels.",
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
    ),
    # --- item 3 ---------------------------------------------------------------------------------
    quiz.Choice(
        "10.mirror-why",
        "Why may U-Net extrapolate the missing context at the image border by mirroring instead of "
        "zero padding?",
        [
            "Mirroring is faster to compute than zero padding.",
            "Mirrored context has the local statistics of real image content (grey values, texture, "
            "edges), so the network's filters respond near the border as they do inside; zeros add "
            "a dark frame and a sharp edge that training images do not have.",
            "Mirroring recovers the true tissue beyond the border of the image.",
            "Mirroring makes the output map larger than the input image.",
        ],
        1,
        hint="Compare what a convolution sees in the padded band with what it sees inside the image.",
    ),
    quiz.CodeExercise(
        "10.mirror-pad",
        "Write `mirror_pad(image, margin)` that extends a 2-D array by `margin` pixels on every "
        "side by mirroring it at its borders.",
        mirror_pad_reference,
        _mirror_cases,
        compare=_compare_mirror,
        hint="numpy.pad has a mode for it; or build it from flipped slices of the image.",
    ),
    # --- item 4 ---------------------------------------------------------------------------------
    quiz.TrueFalse(
        "10.conv-23",
        "U-Net (the architecture of the paper's Figure 1) has 23 convolutional layers in total.",
        count_convolutions(paper_unet()) == 23,
        hint="Count the 3x3 convolutions per level, the 2x2 up-convolutions and the final 1x1.",
        explanation="18 convolutions 3x3 (two per level: 4 down, the bottleneck, 4 up), 4 up-convolutions "
        "2x2 and the final 1x1: 23, as the paper says.",
    ),
    quiz.Numeric(
        "10.conv-count",
        "Count the convolutional layers (Conv2d and ConvTranspose2d) of `UNet(base_channels=64, depth=4)`.",
        lambda: count_convolutions(paper_unet()),
        hint="model.modules() visits every layer; isinstance tells convolutions apart.",
    ),
    # --- item 5 ---------------------------------------------------------------------------------
    quiz.TrueFalse(
        "10.whole-image",
        "U-Net uses whole-image training.",
        False,
        hint="What does the network see in one training step: a whole slice, or a 572 x 572 input tile "
        "with a 388 x 388 output?",
        explanation="U-Net trains on tiles: large input tiles (572 x 572, output 388 x 388) with a batch of "
        "a single tile, to use the GPU memory for context rather than for many small patches; "
        "momentum 0.99 lets many previous tiles shape each step.",
    ),
    quiz.Numeric(
        "10.tiles-per-slice",
        "How many 388 x 388 output tiles does the paper's network need to cover one 512 x 512 "
        "ISBI 2012 slice?",
        tiles_per_slice,
        hint="Tiles per row times tiles per column; a partial tile still counts.",
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
    ),
    quiz.Numeric(
        "10.crop-first-level",
        "For a 572 x 572 input, how many pixels are cropped on each side of the first-level skip "
        "map before it is concatenated?",
        first_level_crop,
        hint="The skip map is 568 pixels wide; follow the sizes up the expanding path to the last up-convolution.",
    ),
    # --- review across chapters -----------------------------------------------------------------
    quiz.Choice(
        "10.semantic-touching",
        "Chapter 01: which segmentation labels every pixel with its class but gives two touching "
        "nuclei the same label?",
        ["semantic segmentation", "instance segmentation", "panoptic segmentation"],
        0,
        hint="Only one of them does not tell objects of one class apart.",
    ),
    quiz.Numeric(
        "10.upsample-kernel",
        "Chapter 03: what kernel size does a transposed convolution need to upsample by 2 as exact "
        "bilinear interpolation (stride 2)?",
        lambda: ops.bilinear_upsampling_layout(2)[0],
        hint="FCN uses kernel 2f - f mod 2 for a factor f.",
    ),
    quiz.Formula(
        "10.output-size",
        "Chapters 05-06: write `output_size(n)`, the output side of the paper's valid U-Net (depth 4) "
        "for a valid input side n.",
        valid_output_size,
        _valid_sizes,
        hint="572 gives 388, and every valid input loses the same border.",
    ),
    quiz.Numeric(
        "10.shift-period",
        "Chapter 06: by how many pixels (smallest positive) must the input of a depth-4 U-Net be "
        "shifted for its output to shift by exactly the same amount?",
        _shift_period,
        hint="Each 2x2 max-pooling keeps its grid only under even shifts; there are four of them.",
    ),
    quiz.Numeric(
        "10.border-weight",
        "Chapter 08: with w0 = 10 and σ = 5 px, what is the border term w0·exp(-(d1 + d2)² / 2σ²) "
        "of the weight map on a background pixel 1 px from each of two touching cells?",
        lambda: 10.0 * math.exp(-((1.0 + 1.0) ** 2) / (2 * 5.0**2)),
        rtol=1e-3,
        hint="d1 = d2 = 1.",
    ),
]
