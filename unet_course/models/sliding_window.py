"""The sliding-window network U-Net was compared with (Ciresan et al. 2012), in miniature.

Ciresan et al. (NIPS 2012) segment the ISBI 2012 EM stack with a convolutional network that
classifies one pixel at a time from the square patch (window) around it: convolutions and
max-poolings, then fully connected layers, then a softmax over membrane / not membrane. The
U-Net paper (Ronneberger et al. 2015, Introduction) names its two drawbacks: it is slow, because
the network runs once per pixel and the overlapping patches repeat most of the work, and it
trades localisation accuracy against context: larger patches need more max-pooling layers,
which reduce the localisation accuracy, while small patches let the network see little context.

- :class:`SlidingWindowNet`: the patch classifier; :meth:`SlidingWindowNet.segment` runs it once
  per pixel of an image (mirror-padded by half a patch) and returns a score map.
- :func:`poolings_needed`: how many 2x2 poolings a patch needs before its fully connected layer
  is small, for the trade-off table of chapter 05.
- :func:`input_reads`: how many times each input pixel is read by the first convolution,
  measured with autograd, for the sliding window and for one fully convolutional pass.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

__all__ = ["SlidingWindowNet", "poolings_needed", "input_reads"]


class SlidingWindowNet(nn.Module):
    """A patch classifier: ``poolings`` blocks of (3x3 valid convolution, ReLU, 2x2 max-pool),
    then a fully connected hidden layer and a fully connected layer to ``num_classes`` scores.

    The label of a patch is the class of its centre pixel (row and column ``patch_size // 2``).
    Ciresan et al. (2012) used windows of 65 and 95 pixels, 4x4 and 5x5 convolutions with 48
    maps and four max-poolings; the defaults here are smaller and the kernels 3x3, the same
    kind of network.

    Args:
        patch_size: side of the square patch (odd, so that it has a centre pixel).
        poolings: number of convolution + max-pool blocks.
        channels: feature maps of every convolution.
        hidden: units of the fully connected hidden layer.
        num_classes: scores per patch.
        in_channels: channels of the image.

    Serves: U-Net paper section 1 (Ciresan et al.'s sliding-window network, the baseline); chapter 05.
    """

    def __init__(self, patch_size: int = 33, poolings: int = 2, channels: int = 16, hidden: int = 64,
                 num_classes: int = 2, in_channels: int = 1) -> None:
        super().__init__()
        if patch_size < 3 or patch_size % 2 == 0:
            raise ValueError(f"patch_size must be odd and >= 3 (the patch has a centre pixel), got {patch_size}")
        side = patch_size
        layers: list[nn.Module] = []
        c = in_channels
        for level in range(poolings):
            side -= 2
            if side < 2:
                raise ValueError(f"a {patch_size}-pixel patch is too small for {poolings} poolings: "
                                 f"block {level + 1} gets a {side + 2}-pixel map; use fewer poolings or a larger patch")
            layers += [nn.Conv2d(c, channels, 3), nn.ReLU(), nn.MaxPool2d(2)]
            side //= 2
            c = channels
        self.patch_size = patch_size
        self.poolings = poolings
        self.final_side = side
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(c * side * side, hidden), nn.ReLU(),
                                        nn.Linear(hidden, num_classes))

    def forward(self, patches: Tensor) -> Tensor:
        """``(B, in_channels, p, p)`` patches -> ``(B, num_classes)`` scores of their centre pixels."""
        if patches.dim() != 4 or patches.shape[-2:] != (self.patch_size, self.patch_size):
            raise ValueError(f"expected patches of shape (B, C, {self.patch_size}, {self.patch_size}), "
                             f"got {tuple(patches.shape)}")
        return self.classifier(self.features(patches))

    @torch.no_grad()
    def segment(self, image: Tensor, batch_size: int = 4096) -> Tensor:
        """Classify every pixel of ``image`` ``(C, H, W)`` from its own patch: ``(K, H, W)`` scores.

        The image is mirror-padded by ``patch_size // 2`` so that border pixels have a patch;
        the network then runs once per pixel (``H * W`` forward passes, in batches).
        """
        if image.dim() != 3:
            raise ValueError(f"image must be (C, H, W), got shape {tuple(image.shape)}")
        c, h, w = image.shape
        half = self.patch_size // 2
        if half >= min(h, w):
            raise ValueError(f"image {h} x {w} is too small to mirror-pad by {half} pixels; "
                             f"use an image larger than {half} pixels per side")
        padded = F.pad(image[None], (half, half, half, half), mode="reflect")[0]
        rows = max(1, batch_size // w)  # rows of patches per batch
        out = []
        for top in range(0, h, rows):
            n = min(rows, h - top)
            strip = padded[:, top : top + n + 2 * half]  # (C, n + p - 1, W + p - 1)
            patches = strip.unfold(1, self.patch_size, 1).unfold(2, self.patch_size, 1)  # (C, n, W, p, p)
            patches = patches.permute(1, 2, 0, 3, 4).reshape(n * w, c, self.patch_size, self.patch_size)
            out.append(self(patches))
        return torch.cat(out).T.reshape(-1, h, w)


def poolings_needed(patch_size: int, max_side: int = 8) -> int:
    """2x2 poolings (after a valid 3x3 convolution each) until the map is at most ``max_side``.

    The fully connected layer of a patch classifier has ``channels * side**2`` inputs, so a
    larger patch needs more poolings to keep it small: the trade-off the U-Net paper names.

    Serves: U-Net paper section 1 (Ciresan et al.'s sliding-window network, the baseline); chapter 05.
    """
    if patch_size < 3 or max_side < 1:
        raise ValueError(f"patch_size must be >= 3 and max_side >= 1, got {patch_size} and {max_side}")
    side, n = patch_size, 0
    while side > max_side:
        side = (side - 2) // 2
        n += 1
    return n


def input_reads(kind: str, image_side: int, patch_size: int = 33, kernel: int = 3) -> Tensor:
    """How many times the first convolution reads each pixel of an ``image_side``-square image.

    Measured, not computed: a ``kernel x kernel`` convolution with all-one weights is applied to
    every input the network's first layer sees, and the gradient of the sum of its outputs with
    respect to the image counts the reads of every pixel.

    - ``kind="sliding"``: the first layer of a sliding-window network, applied to the patch of
      every pixel (image mirror-padded by ``patch_size // 2``; reads of the padding are not
      counted back onto the mirrored pixels, so interior pixels are the ones to read).
    - ``kind="fully_convolutional"``: one valid convolution over the whole image (U-Net's first
      layer on a single tile).

    Returns:
        ``(image_side, image_side)`` float tensor of read counts.

    Serves: U-Net paper section 1 (Ciresan et al.'s sliding-window network, the baseline); chapter 05.
    """
    if kind not in ("sliding", "fully_convolutional"):
        raise ValueError(f"kind must be 'sliding' or 'fully_convolutional', got {kind!r}")
    half = patch_size // 2
    image = torch.zeros(1, 1, image_side, image_side, requires_grad=True)
    ones = torch.ones(1, 1, kernel, kernel)
    if kind == "fully_convolutional":
        F.conv2d(image, ones).sum().backward()
        return image.grad[0, 0]
    padded = F.pad(image, (half, half, half, half))  # zeros: reads of the padding are dropped
    patches = padded.unfold(2, patch_size, 1).unfold(3, patch_size, 1)  # (1, 1, H, W, p, p)
    patches = patches.reshape(-1, 1, patch_size, patch_size)
    F.conv2d(patches, ones).sum().backward()
    return image.grad[0, 0]
