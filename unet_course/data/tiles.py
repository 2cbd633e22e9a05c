"""Random training tiles from a few large images, augmented on the fly.

The U-Net paper trains on large input tiles cut from few images. A valid (unpadded) U-Net
predicts a smaller map than its input: a ``572 x 572`` input tile gives ``388 x 388`` scores,
so the labels of a tile are the centre ``388 x 388`` crop, and the ``92``-pixel margin around
it is context. Where a tile reaches past the image border, the image is mirrored (the
paper's overlap-tile strategy), so every labelled pixel can be a training pixel, including
those at the border. A same-padded U-Net uses equal input and label tiles.

:class:`TileDataset` draws one random tile per index: the label crop is placed uniformly in
the image, and one coordinate map (optionally augmented with an
:class:`~unet_course.augment.Augmenter`: shift, rotation, flips, elastic deformation) samples
the image (cubic), the labels (nearest) and the weights (linear) together.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from scipy import ndimage as ndi
from torch.utils.data import Dataset

from ..augment import Augmenter, identity_coordinates, warp
from .scaling import check_unit_range
from ..runtime import as_pair


class TileDataset(Dataset):
    """Random (augmented) training tiles: ``(image_tile, label_tile[, weight_tile])`` per index.

    Args:
        images: ``(N, H, W)`` array or a sequence of ``(H, W)`` / ``(C, H, W)`` float images
            with grey values in [0, 1] (sizes may differ from image to image); others raise a
            ``ValueError`` (scale raw images with :class:`unet_course.data.scaling.Scaling`).
        labels: matching ``(H, W)`` integer label maps (class ids).
        weights: optional matching ``(H, W)`` float weight maps (e.g. the paper's weight map).
        tile_size: side (or ``(h, w)``) of the input tile (the name :func:`unet_course.tiling.plan_tiles`
            and :func:`~unet_course.tiling.predict_tiled` use)..
        output_size: side of the label tile, centred in the input tile; for a valid U-Net
            ``model.output_size(tile_size)``, default ``tile_size`` (same padding). The margin
            ``(tile_size - output_size) / 2`` must be a whole number of pixels.
        augmenter: an :class:`~unet_course.augment.Augmenter`, or ``None`` for plain crops.
        length: number of tiles the dataset holds (``len``); index ``i`` always gives the same tile.
        seed: with ``i``, decides everything random about tile ``i``.

    Items are torch tensors: image ``(C, h_in, w_in)`` float32 (``C = 1`` for 2-D images),
    labels ``(h_out, w_out)`` int64 and, with weights, weights ``(h_out, w_out)`` float32.
    This is the ``(image, target[, weights])`` sample that :func:`unet_course.train.fit` takes.

    Serves: U-Net paper section 3 (large input tiles, labels of the valid centre) and Fig. 2; chapters 07-09.
    """

    def __init__(
        self,
        images: np.ndarray | Sequence[np.ndarray],
        labels: np.ndarray | Sequence[np.ndarray],
        weights: np.ndarray | Sequence[np.ndarray] | None = None,
        *,
        tile_size: int | tuple[int, int],
        output_size: int | tuple[int, int] | None = None,
        augmenter: Augmenter | None = None,
        length: int = 1000,
        seed: int = 0,
    ) -> None:
        self.tile_size = as_pair(tile_size, "tile_size", 1)
        self.output_size = self.tile_size if output_size is None else as_pair(output_size, "output_size", 1)
        margins = [(i - o) / 2 for i, o in zip(self.tile_size, self.output_size)]
        if any(m < 0 or m != int(m) for m in margins):
            raise ValueError(
                f"input tile {self.tile_size} and label tile {self.output_size} need a whole, non-negative "
                f"margin on each side, got {margins}; a valid U-Net loses an even number of pixels, use "
                "output_size=model.output_size(tile_size)"
            )
        self.margin = (int(margins[0]), int(margins[1]))
        if len(images) == 0 or len(images) != len(labels):
            raise ValueError(f"need as many label maps as images (at least one), got {len(images)} and {len(labels)}")
        if weights is not None and len(weights) != len(images):
            raise ValueError(f"need one weight map per image, got {len(weights)} for {len(images)} images")
        if length < 1:
            raise ValueError(f"length must be >= 1, got {length}")
        self.labels = [np.asarray(lab) for lab in labels]
        self.weights = None if weights is None else [np.asarray(w, dtype=np.float32) for w in weights]
        self.coefficients = []
        for k, image in enumerate(images):
            image = np.asarray(image, dtype=np.float64)
            if image.ndim == 2:
                image = image[None]
            if image.ndim != 3:
                raise ValueError(f"image {k} must be (H, W) or (C, H, W), got shape {image.shape}")
            check_unit_range(image, f"image {k} of the tile sampler")  # raw values are never clipped here
            shape = image.shape[-2:]
            if self.labels[k].shape != shape or (self.weights is not None and self.weights[k].shape != shape):
                raise ValueError(f"image {k} is {shape} but its labels/weights are not")
            if not np.issubdtype(self.labels[k].dtype, np.integer):
                raise TypeError(f"labels must hold integer class ids, got {self.labels[k].dtype} for image {k}")
            if shape[0] < self.output_size[0] or shape[1] < self.output_size[1]:
                raise ValueError(f"image {k} ({shape}) is smaller than the label tile {self.output_size}")
            # the cubic spline coefficients once per image; every tile then samples them directly
            self.coefficients.append(np.stack([ndi.spline_filter(c, order=3, mode="mirror") for c in image]))
        self.augmenter = augmenter
        self.length = int(length)
        self.seed = int(seed)

    def __len__(self) -> int:
        return self.length

    def coordinates(self, index: int) -> tuple[int, np.ndarray]:
        """The image number and the ``(2, h_in, w_in)`` source coordinates of tile ``index``."""
        if not 0 <= index < self.length:
            raise IndexError(f"tile index {index} is out of range for {self.length} tiles")
        rng = np.random.default_rng([self.seed, int(index)])
        k = int(rng.integers(len(self.coefficients)))
        h, w = self.labels[k].shape
        top = rng.integers(0, h - self.output_size[0] + 1)
        left = rng.integers(0, w - self.output_size[1] + 1)
        centre = (top + (self.output_size[0] - 1) / 2.0, left + (self.output_size[1] - 1) / 2.0)
        if self.augmenter is None:
            coords = identity_coordinates(self.tile_size)
            coords[0] += centre[0] - (self.tile_size[0] - 1) / 2.0
            coords[1] += centre[1] - (self.tile_size[1] - 1) / 2.0
        else:
            coords = self.augmenter.coordinates(self.tile_size, rng, centre=centre)
        return k, coords

    def __getitem__(self, index: int) -> tuple[torch.Tensor, ...]:
        k, coords = self.coordinates(int(index))
        (my, mx), (oh, ow) = self.margin, self.output_size
        inner = coords[:, my : my + oh, mx : mx + ow]
        image = warp(self.coefficients[k], coords, 3, prefiltered=True)
        if self.augmenter is not None:
            rng = np.random.default_rng([self.seed, int(index), 1])
            image = self.augmenter.gray_values(np.clip(image, 0.0, 1.0), rng)
        out = [
            torch.from_numpy(np.ascontiguousarray(image, dtype=np.float32)),
            torch.from_numpy(warp(self.labels[k], inner, 0).astype(np.int64)),
        ]
        if self.weights is not None:
            out.append(torch.from_numpy(warp(self.weights[k], inner, 1).astype(np.float32)))
        return tuple(out)
