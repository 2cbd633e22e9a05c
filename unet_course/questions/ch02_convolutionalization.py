"""Exercises of chapter 02: convolutionalization, receptive fields and the composition rule.

Answers are derived from the package (ops.compose, convolutionalize, the layer arithmetic),
never typed in.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from unet_course import ops, quiz
from unet_course.models import convolutionalize, patch_classifier

PATCH_SIZE = 34  # the chapter's patch classifier: 34 x 34 patches, two conv + pool blocks


def compose_rule(k: int, s: int, k_prime: int, s_prime: int) -> tuple[int, int]:
    """Kernel and stride of f_ks ∘ g_k's' (g first, then f), from the package."""
    layer = ops.compose((k, s), (k_prime, s_prime))
    return layer.kernel, layer.stride


def _compose_samples() -> list[tuple[int, int, int, int]]:
    rng = np.random.default_rng(2)
    fixed = [(3, 1, 3, 1), (2, 2, 3, 1), (3, 1, 2, 2), (7, 1, 212, 32), (1, 1, 5, 2)]
    return fixed + [tuple(int(v) for v in rng.integers(1, 9, 4)) for _ in range(20)]


def vgg_fc7_parameters() -> int:
    """Weights and biases of VGG16's fc7 written as a 1x1 convolution, 4096 -> 4096 channels."""
    with torch.device("meta"):
        conv = nn.Conv2d(4096, 4096, kernel_size=1)
    return sum(p.numel() for p in conv.parameters())


def heatmap_size(n: int) -> int:
    """Side of the score map of the chapter's convolutionalized classifier on an n x n image."""
    with torch.device("meta"):
        net = convolutionalize(patch_classifier(1, 3, patch_size=PATCH_SIZE))
        return int(net(torch.empty(1, 1, n, n)).shape[-1])


def _heatmap_samples() -> list[tuple[int]]:
    return [(PATCH_SIZE,), (PATCH_SIZE + 1,), (PATCH_SIZE + 3,), (PATCH_SIZE + 4,), (64,), (100,), (128,), (255,), (256,), (512,)]


def vgg_receptive_field(blocks: tuple[int, ...] = (2, 2, 3, 3)) -> int:
    """Receptive field (pixels) of one unit after VGG16's blocks of padded 3x3 convolutions, each
    block followed by a 2x2 max-pool: pool4 by default (the map FCN-16s fuses), pool5 with
    ``(2, 2, 3, 3, 3)``."""
    layers = []
    for n in blocks:
        layers += [ops.LayerSpec(3, 1, 1)] * n + [ops.LayerSpec(2, 2)]
    return ops.receptive_fields(layers)[-1].size


def _rule_other_order(k, s, k_prime, s_prime):
    return k + (k_prime - 1) * s, s * s_prime  # f first, then g


def _rule_strides_ignored(k, s, k_prime, s_prime):
    return k + k_prime - 1, s * s_prime  # true only when s' = 1


def _rule_off_by_one(k, s, k_prime, s_prime):
    return k_prime + k * s_prime, s * s_prime


QUESTIONS = [
    quiz.Formula(
        "02.compose-rule",
        "Write `rule(k, s, k_prime, s_prime)` returning the `(kernel, stride)` of the single layer "
        "equal to f_ks ∘ g_k's': first g (kernel k', stride s'), then f (kernel k, stride s).",
        compose_rule,
        _compose_samples,
        hint="Neighbouring outputs of g are s' input pixels apart and each sees k' pixels; f looks at "
        "k neighbouring outputs of g and moves s of them per step.",
        wrong=[_rule_other_order, _rule_strides_ignored, _rule_off_by_one],
    ),
    quiz.Numeric(
        "02.fc7-parameters",
        "VGG16's fc7 maps the 4096 units of fc6 to 4096 units. Written as a 1 x 1 convolution, how "
        "many parameters (weights and biases) does it have? Answer as an integer.",
        vgg_fc7_parameters,
        rtol=0,
        atol=0.5,
        hint="Count the filters, the size of each filter (height x width x input channels) and one "
        "bias per filter.",
        wrong=[4096 * 4096, 4096 * 4096 + 2 * 4096, 4096 * 4096 + 1],  # no biases, biases twice, one bias
    ),
    quiz.Formula(
        "02.heatmap-size",
        "Write `heatmap_size(n)`: the side of the score map that the chapter's convolutionalized patch "
        f"classifier ({PATCH_SIZE} x {PATCH_SIZE} patches, feature stride 4) returns for an n x n image, "
        f"n >= {PATCH_SIZE}.",
        heatmap_size,
        _heatmap_samples,
        hint="One score per window position; windows are 34 pixels wide and start every 4 pixels. "
        "Count how many fit.",
        wrong=[lambda n: n // 4, lambda n: (n - 34) // 4, lambda n: (n - 33) // 4 + 1],
    ),
    quiz.Numeric(
        "02.pool4-receptive-field",
        "How many input pixels wide is the receptive field of one unit of VGG16's pool4, the map "
        "FCN-16s fuses (10 padded 3x3 convolutions in blocks of 2, 2, 3, 3, each block followed by "
        "a 2x2 max-pool)? Answer as an integer.",
        vgg_receptive_field,
        rtol=0,
        atol=0.5,
        hint="Use r_out = r + (k - 1) j and j_out = j s, starting from r = j = 1.",
        # pool5, pool4 without its own window (conv4_3), one off
        wrong=[vgg_receptive_field((2, 2, 3, 3, 3)), vgg_receptive_field((2, 2, 3, 3)) - 8, vgg_receptive_field() - 1],
    ),
    quiz.Numeric(
        "02.predict-heatmap-side",
        f"Predict, before you run the cell: the convolutionalized classifier ({PATCH_SIZE} x {PATCH_SIZE} "
        "windows, feature stride 4) runs on a 256 x 256 image. How many scores wide is its score map? "
        "Answer as an integer.",
        lambda: float(heatmap_size(256)),
        rtol=0,
        atol=0.5,
        hint="Slide the window along one side in steps of the feature stride; a window must lie "
        "entirely inside the image.",
        wrong=[64, heatmap_size(256) - 1, heatmap_size(256) + 1],
    ),
]
