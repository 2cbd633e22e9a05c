"""Chapter 07's experiment: a small U-Net trained on two images, with and without augmentation.

The paper's claim (section 3.1): "Data augmentation is essential to teach the network the
desired invariance and robustness properties, when only few training samples are available."
:func:`compare_augmentation` trains the same network twice from the same initialisation, with
the same optimiser, steps and tile positions, once on plain crops and once on augmented tiles
(:class:`~unet_course.augment.Augmenter`), and scores both on held-out images.

Training uses :func:`unet_course.train.fit`; tiles come from
:class:`~unet_course.data.TileDataset`; whole held-out images are predicted with
:func:`unet_course.tiling.predict_whole`, which mirrors the image border as the paper's
overlap-tile strategy does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from .. import runtime
from ..augment import Augmenter
from ..data.tiles import TileDataset
from ..metrics import iou_per_class
from ..models import UNet
from ..tiling import predict_whole
from ..train import History, fit


def held_out_iou(model: UNet, images: Sequence[np.ndarray], labels: Sequence[np.ndarray], num_classes: int = 2) -> np.ndarray:
    """Per-class IoU of ``model`` on whole images, pooled over all pixels: ``(num_classes,)`` float64.

    Serves: U-Net paper section 3.1; chapter 07.
    """
    preds = np.stack([predict_whole(model, np.asarray(im, dtype=np.float32)).argmax(0) for im in images])
    return iou_per_class(preds, np.stack([np.asarray(lab) for lab in labels]), num_classes)


@dataclass
class AugmentationResult:
    """The outcome of :func:`compare_augmentation`.

    Attributes:
        iou_plain, iou_augmented: ``(num_classes,)`` held-out IoU per class without and with
            augmentation.
        history_plain, history_augmented: the training histories (loss per step).
        model_plain, model_augmented: the trained networks (on the CPU; predict with :mod:`unet_course.tiling`).

    Serves: U-Net paper section 3.1; chapter 07.
    """

    iou_plain: np.ndarray
    iou_augmented: np.ndarray
    history_plain: History
    history_augmented: History
    model_plain: nn.Module
    model_augmented: nn.Module


def compare_augmentation(
    train_images: Sequence[np.ndarray],
    train_labels: Sequence[np.ndarray],
    test_images: Sequence[np.ndarray],
    test_labels: Sequence[np.ndarray],
    *,
    augmenter: Augmenter,
    steps: int = 200,
    batch_size: int = 4,
    tile_size: int = 92,
    base_channels: int = 8,
    depth: int = 2,
    padding: str = "valid",
    lr: float = 2e-3,
    seed: int = 0,
    device: torch.device | str | None = None,
    threads: int | None = None,
    progress: bool = True,
) -> AugmentationResult:
    """Train one small U-Net on plain tiles and one on augmented tiles; score both on held-out images.

    Both networks start from the same He initialisation (seeded by ``seed``) and see tiles at the
    same random positions in the same order; only the augmentation differs. The optimiser is
    Adam with learning rate ``lr`` (shorter runs than the paper's SGD with momentum 0.99 need).

    Args:
        train_images, train_labels: the few training images ``(H, W)`` float in [0, 1] and their
            ``(H, W)`` integer class maps.
        test_images, test_labels: held-out images and class maps, predicted whole.
        augmenter: the augmentation of the second run.
        steps, batch_size: optimisation steps and tiles per step.
        tile_size: the input tile side; rounded up to a valid size of the network.
        base_channels, depth, padding: the U-Net (see :class:`~unet_course.models.UNet`).
        threads: CPU threads torch may use during the experiment (restored afterwards); ``None``
            keeps the current setting. A network this small gains nothing from a second thread
            on a busy CPU: the threads mostly wait for each other.

    Returns:
        An :class:`AugmentationResult` with the held-out IoU per class of both networks.

    Serves: U-Net paper section 3.1; chapter 07.
    """
    num_classes = int(max(int(np.max(lab)) for lab in train_labels)) + 1
    num_classes = max(num_classes, 2)
    results = {}
    with runtime.torch_threads(threads):
        for name, aug in (("plain", None), ("augmented", augmenter)):
            torch.manual_seed(seed)
            model = UNet(1, num_classes, base_channels=base_channels, depth=depth, padding=padding, dropout=0.0)
            n = model.valid_input_size(int(tile_size))
            tiles = TileDataset(
                train_images, train_labels, tile_size=n, output_size=model.output_size(n),
                augmenter=aug, length=steps * batch_size, seed=seed,
            )
            history = fit(
                model, tiles, steps=steps, batch_size=batch_size, optimizer="adam", lr=lr, seed=seed,
                device=device, progress=progress, desc=f"training ({name})",
            )
            model.cpu()
            results[name] = (held_out_iou(model, test_images, test_labels, num_classes), history, model)
    return AugmentationResult(
        iou_plain=results["plain"][0],
        iou_augmented=results["augmented"][0],
        history_plain=results["plain"][1],
        history_augmented=results["augmented"][1],
        model_plain=results["plain"][2],
        model_augmented=results["augmented"][2],
    )
