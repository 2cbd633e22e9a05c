"""The U-Net energy (손실 함수): pixel-wise soft-max and weighted cross-entropy.

The paper's soft-max over the ``K`` feature channels of the last layer,
``p_k(x) = exp(a_k(x)) / sum_k' exp(a_k'(x))``, and its energy
``E = sum_x w(x) log p_l(x)(x)`` (eq. 1), to be maximised. As a loss to *minimise* it is
``-E``: per pixel ``w(x) * (-log p_l(x)(x))``, which is exactly
``torch.nn.functional.cross_entropy(logits, target, reduction="none") * w``.

A valid U-Net (unpadded convolutions) answers with a smaller map than its input: 388 x 388 for
a 572 x 572 tile. Its target and weight map are the matching centre crop of the full-size
labels: :func:`crop_to_output` cuts them with :func:`unet_course.models.unet.center_crop`.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .models.unet import center_crop

__all__ = ["WeightedCrossEntropyLoss", "crop_to_output", "pixel_softmax", "weighted_cross_entropy"]

REDUCTIONS = ("mean", "sum", "none")


def pixel_softmax(logits: torch.Tensor) -> torch.Tensor:
    """``p_k(x)``: the soft-max over the class channel of ``(N, K, H, W)`` logits, same shape.

    Serves: U-Net paper section 3, eq. 1 (weighted pixel-wise cross-entropy); chapter 08.
    """
    if logits.ndim < 2:
        raise ValueError(f"logits must be (N, K, ...) with the classes on dim 1, got shape {tuple(logits.shape)}")
    return torch.softmax(logits, dim=1)


def crop_to_output(logits: torch.Tensor, *maps: torch.Tensor | None) -> tuple[torch.Tensor | None, ...]:
    """Centre-crop each of ``maps`` (targets ``(N, H, W)``, weights ``(N, H, W)``; ``None`` passes
    through) to the spatial size of ``logits`` ``(N, K, h, w)``. Returns a tuple in order.

    Serves: U-Net paper section 3, eq. 1 (weighted pixel-wise cross-entropy); chapter 08.
    """
    h, w = logits.shape[-2:]
    for m in maps:
        if m is not None and (m.ndim < 2 or m.shape[-2] < h or m.shape[-1] < w):
            raise ValueError(
                f"the map to crop is {'x'.join(map(str, m.shape[-2:]))}, smaller than the network output {h}x{w}; "
                "the labels must cover at least the output (for a valid U-Net, give labels of the input tile's size)"
            )
    return tuple(None if m is None else center_crop(m, (h, w), even=True) for m in maps)


def weighted_cross_entropy(
    logits: torch.Tensor,
    target: torch.Tensor,
    weights: torch.Tensor | None = None,
    reduction: str = "mean",
    *,
    crop: bool = True,
) -> torch.Tensor:
    """``-sum_x w(x) log p_l(x)(x)``: the weighted pixel-wise soft-max cross-entropy.

    Args:
        logits: ``(N, K, h, w)`` float activations ``a_k(x)`` of the last layer.
        target: ``(N, H, W)`` int64 class ``l(x)`` in ``0 .. K - 1`` per pixel, ``H >= h``.
        weights: ``(N, H, W)`` float ``w(x)`` (e.g. from :func:`unet_course.weightmap.weight_map`),
            or ``None`` for 1 everywhere.
        reduction: ``"none"``: the ``(N, h, w)`` per-pixel terms; ``"sum"``: their sum, ``-E``;
            ``"mean"``: the sum divided by the number of pixels ``N h w`` (not by the sum of the
            weights, so a larger weight really weighs more).
        crop: centre-crop target and weights to the logits' size (valid U-Net); with
            ``crop=False`` the sizes must already be equal.

    Returns:
        A scalar, or ``(N, h, w)`` for ``reduction="none"``; the dtype of ``logits``.

    Serves: U-Net paper section 3, eq. 1 (weighted pixel-wise cross-entropy); chapter 08.
    """
    if reduction not in REDUCTIONS:
        raise ValueError(f"reduction={reduction!r}; use one of {', '.join(REDUCTIONS)}")
    if logits.ndim != 4:
        raise ValueError(f"logits must be (N, K, h, w), got shape {tuple(logits.shape)}")
    if target.ndim != 3:
        raise ValueError(
            f"target must be (N, H, W) class ids, got shape {tuple(target.shape)}"
            + (" (drop the channel dim with target[:, 0])" if target.ndim == 4 and target.shape[1] == 1 else "")
        )
    if target.dtype.is_floating_point or target.dtype == torch.bool:
        raise TypeError(f"target must hold integer class ids (torch.long), got {target.dtype}; use target.long()")
    if target.shape[0] != logits.shape[0]:
        raise ValueError(f"batch sizes differ: logits {logits.shape[0]}, target {target.shape[0]}")
    if weights is not None and weights.shape != target.shape:
        raise ValueError(f"weights {tuple(weights.shape)} and target {tuple(target.shape)} must have the same shape")
    if crop:
        target, weights = crop_to_output(logits, target, weights)
    elif target.shape[-2:] != logits.shape[-2:]:
        raise ValueError(
            f"target is {tuple(target.shape[-2:])}, logits {tuple(logits.shape[-2:])}; pass crop=True "
            "to centre-crop the target to the output of a valid U-Net"
        )
    per_pixel = F.cross_entropy(logits, target.long(), reduction="none")
    if weights is not None:
        per_pixel = per_pixel * weights.to(per_pixel.dtype)
    if reduction == "none":
        return per_pixel
    if reduction == "sum":
        return per_pixel.sum()
    return per_pixel.mean()


class WeightedCrossEntropyLoss(nn.Module):
    """:func:`weighted_cross_entropy` as a module: ``loss(logits, target, weights=None)``.

    Crops target and weights to the logits (valid U-Net) and reduces by ``reduction``.

    Serves: U-Net paper section 3, eq. 1 (weighted pixel-wise cross-entropy); chapter 08.
    """

    def __init__(self, reduction: str = "mean") -> None:
        super().__init__()
        if reduction not in REDUCTIONS:
            raise ValueError(f"reduction={reduction!r}; use one of {', '.join(REDUCTIONS)}")
        self.reduction = reduction

    def forward(self, logits: torch.Tensor, target: torch.Tensor, weights: torch.Tensor | None = None) -> torch.Tensor:
        return weighted_cross_entropy(logits, target, weights, self.reduction)

    def extra_repr(self) -> str:
        return f"reduction={self.reduction!r}"
