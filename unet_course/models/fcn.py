"""Fully convolutional networks (Long, Shelhamer, Darrell 2015): FCN-32s, 16s and 8s.

- :class:`FCN`: a VGG-style backbone (five blocks of 3x3 convolutions, each followed by 2x2
  max-pooling, total stride 32), ``fc6``/``fc7`` as convolutions, a 1x1 score layer, and
  transposed convolutions initialised as bilinear interpolation. ``variant="16s"`` fuses the
  scores of ``pool4``, ``"8s"`` those of ``pool4`` and ``pool3`` (the skip architecture).
- :func:`convolutionalize`: turns the ``Linear`` layers of a CNN classifier into equivalent
  ``Conv2d`` layers (합성곱화, "convolutionalization"), so that the classifier accepts larger
  images and returns a map of scores instead of one score.
- :func:`patch_classifier`: a small CNN classifier with fully connected layers, the starting
  point of chapter 02.
"""

from __future__ import annotations

import copy
import math
from typing import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from ..ops.upsampling import bilinear_kernel, bilinear_upsampling_layout

__all__ = ["FCN", "VARIANTS", "convolutionalize", "patch_classifier"]

VARIANTS: dict[str, int] = {"32s": 32, "16s": 16, "8s": 8}
"""Output stride of the last upsampling layer of each variant."""


def _bilinear_transpose(channels: int, stride: int, *, trainable: bool) -> nn.ConvTranspose2d:
    """A ``channels -> channels`` transposed convolution that upsamples by ``stride`` exactly."""
    kernel, padding = bilinear_upsampling_layout(stride)
    layer = nn.ConvTranspose2d(channels, channels, kernel, stride=stride, padding=padding, bias=False)
    with torch.no_grad():
        layer.weight.copy_(bilinear_kernel(channels, channels, kernel))
    layer.weight.requires_grad_(trainable)
    return layer


class FCN(nn.Module):
    """FCN-32s, FCN-16s or FCN-8s on a VGG-style backbone written from scratch.

    Backbone: five blocks; block ``b`` has ``convs_per_block[b]`` 3x3 convolutions with
    ``widths[b]`` channels (zero padding 1, ReLU, optional batch norm) and ends with 2x2
    max-pooling, so ``pool3``, ``pool4`` and ``pool5`` have strides 8, 16 and 32. ``fc6`` is a
    ``fc_kernel x fc_kernel`` convolution (VGG's first fully connected layer, convolutionalized;
    padded to keep the size), ``fc7`` a 1x1 convolution, ``score_fr`` a 1x1 convolution to
    ``num_classes`` scores. The defaults are VGG16's (64-512 channels, 2-2-3-3-3 convolutions,
    4096-channel 7x7 ``fc6``).

    Skip architecture (as in the FCN paper): ``16s`` upsamples the ``pool5`` scores by 2 (a
    learnable transposed convolution initialised bilinear) and adds the scores of ``pool4`` (a
    1x1 convolution initialised to zero, so training starts from the 32s prediction), then
    upsamples by 16; ``8s`` does the same once more with ``pool3`` and upsamples by 8. The last
    upsampling is fixed bilinear unless ``learn_final_upsampling=True``.

    Sizes: any input at least :attr:`min_input_size` (32) pixels high and wide. The input is
    padded by mirroring at the bottom and right to a multiple of 32, so that every pooling sees
    an even size and every skip map lines up with the upsampled scores without cropping; the
    output is cropped back and has exactly the input's height and width.

    Args:
        variant: ``"32s"``, ``"16s"`` or ``"8s"``.
        in_channels: channels of the input image.
        num_classes: number of classes (score channels), background included.
        widths: channels of the five blocks.
        convs_per_block: 3x3 convolutions in each block.
        fc_channels: channels of ``fc6`` and ``fc7`` (VGG: 4096).
        fc_kernel: kernel of ``fc6`` (VGG: 7, the size of pool5 for a 224-pixel input).
        dropout: dropout probability after ``fc6`` and ``fc7`` (the paper: 0.5).
        batch_norm: batch normalisation after each backbone convolution (not in VGG16; helps
            short training from scratch).
        learn_final_upsampling: let the last transposed convolution learn (the paper fixes it).

    Serves: FCN paper sections 3-4; chapters 02-04.
    """

    min_input_size: int = 32

    def __init__(
        self,
        variant: str = "8s",
        in_channels: int = 3,
        num_classes: int = 21,
        *,
        widths: Sequence[int] = (64, 128, 256, 512, 512),
        convs_per_block: Sequence[int] = (2, 2, 3, 3, 3),
        fc_channels: int = 4096,
        fc_kernel: int = 7,
        dropout: float = 0.5,
        batch_norm: bool = False,
        learn_final_upsampling: bool = False,
    ) -> None:
        super().__init__()
        if variant not in VARIANTS:
            raise ValueError(f"variant must be one of {', '.join(VARIANTS)}, got {variant!r}")
        if len(widths) != 5 or len(convs_per_block) != 5:
            raise ValueError(
                f"widths and convs_per_block need one entry per block (5 blocks, stride 32), "
                f"got {len(widths)} and {len(convs_per_block)}"
            )
        if in_channels < 1 or num_classes < 1 or fc_channels < 1 or min(widths) < 1 or min(convs_per_block) < 1:
            raise ValueError("in_channels, num_classes, fc_channels, widths and convs_per_block must be positive")
        if fc_kernel < 1 or fc_kernel % 2 == 0:
            raise ValueError(f"fc_kernel must be odd (so padding keeps the size), got {fc_kernel}")
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {dropout}")
        self.variant = variant
        self.in_channels = in_channels
        self.num_classes = num_classes

        blocks = []
        channels = in_channels
        for width, n in zip(widths, convs_per_block):
            layers: list[nn.Module] = []
            for _ in range(n):
                layers.append(nn.Conv2d(channels, width, 3, padding=1, bias=not batch_norm))
                if batch_norm:
                    layers.append(nn.BatchNorm2d(width))
                layers.append(nn.ReLU(inplace=True))
                channels = width
            layers.append(nn.MaxPool2d(2, 2))
            blocks.append(nn.Sequential(*layers))
        self.blocks = nn.ModuleList(blocks)
        self.fc6 = nn.Conv2d(channels, fc_channels, fc_kernel, padding=fc_kernel // 2)
        self.fc7 = nn.Conv2d(fc_channels, fc_channels, 1)
        self.drop = nn.Dropout(dropout)
        self.score_fr = nn.Conv2d(fc_channels, num_classes, 1)

        if variant in ("16s", "8s"):
            self.upscore2 = _bilinear_transpose(num_classes, 2, trainable=True)
            self.score_pool4 = nn.Conv2d(widths[3], num_classes, 1)
            nn.init.zeros_(self.score_pool4.weight)
            nn.init.zeros_(self.score_pool4.bias)
        if variant == "8s":
            self.upscore_pool4 = _bilinear_transpose(num_classes, 2, trainable=True)
            self.score_pool3 = nn.Conv2d(widths[2], num_classes, 1)
            nn.init.zeros_(self.score_pool3.weight)
            nn.init.zeros_(self.score_pool3.bias)
        self.upscore = _bilinear_transpose(num_classes, VARIANTS[variant], trainable=learn_final_upsampling)

    @property
    def output_stride(self) -> int:
        """Stride of the score map that the last layer upsamples (32, 16 or 8)."""
        return VARIANTS[self.variant]

    def feature_sizes(self, height: int, width: int) -> dict[str, tuple[int, int]]:
        """Spatial size of every map for an input of ``height x width`` (at least 32 each).

        The input is first padded to the next multiples of 32 (``"padded"``); ``pool1`` ...
        ``pool5`` halve it, ``score_fr`` has the size of ``pool5``, and the output is cropped
        back to ``height x width``.
        """
        if min(height, width) < self.min_input_size:
            raise ValueError(f"the input must be at least {self.min_input_size} pixels per side, got {height} x {width}")
        ph, pw = -(-height // 32) * 32, -(-width // 32) * 32
        sizes = {"padded": (ph, pw)}
        for i in range(1, 6):
            sizes[f"pool{i}"] = (ph >> i, pw >> i)
        sizes["score_fr"] = sizes["pool5"]
        sizes["output"] = (height, width)
        return sizes

    def check_input(self, x: torch.Tensor) -> None:
        """Raise ``ValueError`` unless ``x`` is ``(N, in_channels, H, W)`` with ``H, W >= 32``."""
        if x.dim() != 4 or x.shape[1] != self.in_channels:
            raise ValueError(f"FCN expects input of shape (N, {self.in_channels}, H, W), got {tuple(x.shape)}")
        h, w = x.shape[-2:]
        if min(h, w) < self.min_input_size:
            raise ValueError(
                f"FCN needs an input of at least {self.min_input_size} x {self.min_input_size} pixels "
                f"(five 2x2 poolings leave one pixel of a 32 x 32 input); got {h} x {w}. "
                f"Pad or resize the image to at least {self.min_input_size} pixels per side."
            )

    def features(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        """The backbone's pooled maps ``pool1`` ... ``pool5`` and the scores ``score_fr``.

        ``x`` must already have a height and width that are multiples of 32.
        """
        maps = {}
        for i, block in enumerate(self.blocks, start=1):
            x = block(x)
            maps[f"pool{i}"] = x
        x = self.drop(F.relu(self.fc6(x)))
        x = self.drop(F.relu(self.fc7(x)))
        maps["score_fr"] = self.score_fr(x)
        return maps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(N, in_channels, H, W)`` float -> ``(N, num_classes, H, W)`` class scores (logits)."""
        self.check_input(x)
        h, w = x.shape[-2:]
        ph, pw = (-h) % 32, (-w) % 32
        if ph or pw:
            x = F.pad(x, (0, pw, 0, ph), mode="reflect")
        maps = self.features(x)
        score = maps["score_fr"]
        if self.variant in ("16s", "8s"):
            score = self.upscore2(score) + self.score_pool4(maps["pool4"])
        if self.variant == "8s":
            score = self.upscore_pool4(score) + self.score_pool3(maps["pool3"])
        return self.upscore(score)[..., :h, :w]


def patch_classifier(
    in_channels: int = 1,
    num_classes: int = 3,
    *,
    patch_size: int = 32,
    widths: Sequence[int] = (16, 32),
    hidden: int = 64,
) -> nn.Sequential:
    """A small CNN classifier of ``patch_size x patch_size`` patches with fully connected layers.

    ``len(widths)`` blocks of (3x3 convolution without padding, ReLU, 2x2 max-pooling), then
    ``Flatten``, ``Linear(C h w, hidden)``, ReLU, ``Linear(hidden, num_classes)``. The first
    ``Linear`` fixes the input size. The convolutions are unpadded on purpose: then every
    feature depends on pixels inside the patch only, and the convolutionalized classifier
    applied to a large image gives exactly the classifier's logits of every window at a stride
    of ``2 ** len(widths)`` pixels (with zero padding, windows cut from a large image would see
    real pixels where the patch saw zeros).

    Returns:
        ``nn.Sequential`` mapping ``(N, in_channels, patch_size, patch_size)`` to
        ``(N, num_classes)`` logits.

    Serves: FCN paper sections 3-4; chapters 02-04.
    """
    side = patch_size
    for _ in widths:
        side = (side - 2) // 2
    if side < 1:
        raise ValueError(f"patch_size {patch_size} is too small for {len(widths)} blocks of conv 3x3 + pool 2x2")
    layers: list[nn.Module] = []
    channels = in_channels
    for width in widths:
        layers += [nn.Conv2d(channels, width, 3), nn.ReLU(), nn.MaxPool2d(2)]
        channels = width
    layers += [nn.Flatten(), nn.Linear(channels * side * side, hidden), nn.ReLU(), nn.Linear(hidden, num_classes)]
    return nn.Sequential(*layers)


#: Layers after ``Flatten`` that act on each value (or drop values) alone: kept as they are.
_KEPT = (nn.ReLU, nn.LeakyReLU, nn.Sigmoid, nn.Tanh, nn.Identity, nn.Dropout)


@torch.no_grad()
def convolutionalize(classifier: nn.Sequential) -> nn.Sequential:
    """Replace the fully connected head of a CNN classifier by equivalent convolutions.

    The first ``Linear`` after ``Flatten`` sees a ``(C, h, w)`` feature map; it becomes a
    ``Conv2d(C, out, (h, w))`` with the same weights reshaped to ``(out, C, h, w)`` (VGG's fc6 on
    a 7x7x512 map becomes a 7x7 convolution with 4096 filters). Every later ``Linear`` becomes a
    1x1 ``Conv2d``; ``Flatten`` is dropped; activations and dropout are kept. On the training
    input size the result returns the classifier's logits as an ``(N, classes, 1, 1)`` map; on a
    larger image, a map of logits, one per window position, at the feature extractor's stride.

    Args:
        classifier: ``nn.Sequential``: convolutional layers ending in a ``Conv2d`` block (its
            ``out_channels`` is ``C``; the map is square, ``h = w``), one ``nn.Flatten``, then
            ``Linear`` layers mixed with ReLU-like activations or dropout. It is not modified.

    Returns:
        a new ``nn.Sequential`` with copied weights, in the classifier's mode (train/eval).

    Serves: FCN paper section 3.1 ("adapting classifiers for dense prediction"); chapter 02.
    """
    if not isinstance(classifier, nn.Sequential):
        raise TypeError(f"classifier must be an nn.Sequential, got {type(classifier).__name__}")
    layers = list(classifier)
    flat = [i for i, m in enumerate(layers) if isinstance(m, nn.Flatten)]
    if len(flat) != 1:
        raise ValueError(f"the classifier needs exactly one nn.Flatten before its Linear layers, found {len(flat)}")
    body, head = layers[: flat[0]], layers[flat[0] + 1 :]
    convs = [m for m in body if isinstance(m, nn.Conv2d)]
    first = next((m for m in head if isinstance(m, nn.Linear)), None)
    if not convs or first is None:
        raise ValueError("convolutionalize needs Conv2d layers before nn.Flatten and an nn.Linear after it")
    c = convs[-1].out_channels
    side = math.isqrt(first.in_features // c)
    if side * side * c != first.in_features:
        raise ValueError(f"the first Linear takes {first.in_features} features, not {c} channels times a square map")
    new = [copy.deepcopy(m) for m in body]
    for m in head:
        if isinstance(m, nn.Linear):
            k = side if m is first else 1  # the first sees the whole (C, h, w) map; later ones a 1x1 "map"
            conv = nn.Conv2d(m.in_features // (k * k), m.out_features, k, bias=m.bias is not None)
            conv.weight.copy_(m.weight.reshape(conv.weight.shape))
            if m.bias is not None:
                conv.bias.copy_(m.bias)
            new.append(conv.to(m.weight.device, m.weight.dtype))
        elif isinstance(m, _KEPT):
            new.append(copy.deepcopy(m))
        else:
            raise ValueError(f"cannot convolutionalize a {type(m).__name__} after Flatten; allowed there: "
                             "Linear, ReLU-like activations, Dropout")
    return nn.Sequential(*new).train(classifier.training)
