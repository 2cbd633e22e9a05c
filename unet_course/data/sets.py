"""One data set of images with per-pixel targets, for every chapter that trains or scores.

:class:`SegmentationSet` holds images, class targets and, where a chapter needs them, loss
weights and true instance labels. Three builders fill it:

- :func:`stack_samples`: equal-size :class:`~unet_course.data.CellSample` images stacked into
  tensors (the FCN chapters 02-04);
- :func:`instance_set`: cells with touching neighbours, separation borders cut and the eq. 2
  weight map (chapters 08, 09);
- :func:`class_set`: class maps weighted by class balance alone (EM membranes, chapter 09).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from .cells import CellSample

__all__ = ["SegmentationSet", "stack_samples", "instance_set", "class_set"]


@dataclass
class SegmentationSet:
    """Images with per-pixel class targets (and optional loss weights and instance labels).

    Attributes:
        images: stacked ``(N, 1, H, W)`` float32 tensor in [0, 1] (equal-size sets, chapters
            02-04), or a list of ``(H, W)`` float32 arrays whose sizes may differ (chapter 09).
        targets: ``(N, H, W)`` int64 tensor or list of ``(H, W)`` int64 arrays, class ids
            ``0 .. num_classes - 1``: FCN scenes 0 = background, then one id per cell class; EM
            0 = membrane, 1 = interior; cells 0 = background, 1 = cell, with the separation
            borders between touching cells cut.
        weights: ``(H, W)`` float32 loss weights per image (eq. 2 or class balance), or ``None``
            where every pixel counts once.
        instances: per image the ``(H, W)`` int32 true instance labels (before the borders are
            cut), for instance scores; ``None`` for sets without instances.
        num_classes: number of classes, background included.

    Serves: FCN paper section 4 (chapters 02-04), U-Net paper section 4, Tables 1 and 2
    (chapter 09).
    """

    images: Any
    targets: Any
    weights: list[np.ndarray] | None = None
    instances: list[np.ndarray | None] | None = None
    num_classes: int = 2

    def __len__(self) -> int:
        return len(self.images)


def stack_samples(samples: Sequence[CellSample], num_classes: int) -> SegmentationSet:
    """Stack equal-size samples into ``(N, 1, H, W)`` images and ``(N, H, W)`` semantic targets.

    Serves: FCN paper section 4 in miniature; chapters 02-04.
    """
    if not samples:
        raise ValueError("stack_samples needs at least one sample, got none")
    shapes = {s.image.shape for s in samples}
    if len(shapes) != 1:
        raise ValueError(f"stack_samples needs equal-size images, got shapes {sorted(shapes)}")
    images = torch.from_numpy(np.stack([s.image for s in samples]))[:, None]
    targets = torch.from_numpy(np.stack([s.semantic for s in samples]).astype(np.int64))
    return SegmentationSet(images, targets, num_classes=num_classes)


def instance_set(images: Sequence[np.ndarray], instances: Sequence[np.ndarray], weighted: bool) -> SegmentationSet:
    """Touching-cell images with separation-border targets and the eq. 2 weight map.

    ``weighted=True``: ``w0 = 10``, ``sigma = 5`` (U-Net paper section 3, eq. 2); ``False``:
    class balance alone (``w0 = 0``), the ablation of chapter 09.

    Serves: U-Net paper section 3 (eq. 2) and section 4; chapters 08, 09.
    """
    from .targets import instance_targets

    built = [instance_targets(inst, w0=10.0 if weighted else 0.0, sigma=5.0) for inst in instances]
    return SegmentationSet([np.asarray(i, np.float32) for i in images], [b.target for b in built],
                           [b.weights for b in built], [b.instances for b in built], num_classes=2)


def class_set(images: Sequence[np.ndarray], labels: Sequence[np.ndarray], class_weights: np.ndarray) -> SegmentationSet:
    """Images with class-map targets weighted by class balance ``w_c`` alone (EM membranes).

    ``class_weights``: ``(num_classes,)`` weight per class id.

    Serves: U-Net paper section 4 (ISBI 2012 EM segmentation); chapter 09.
    """
    targets = [np.asarray(lab).astype(np.int64) for lab in labels]
    weights = [class_weights[t].astype(np.float32) for t in targets]
    return SegmentationSet([np.asarray(i, np.float32) for i in images], targets, weights,
                           [None] * len(targets), num_classes=len(class_weights))
