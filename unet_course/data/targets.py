"""Instance labels -> what a U-Net trains on: class targets, separation borders, the weight map.

The U-Net paper (Section 3, eq. 2) starts from instance labels (one id per cell). Between
touching cells it cuts thin background gaps, the *separation borders*
(:func:`unet_course.weightmap.separate_instances`); the class target is then foreground
(1, inside a cell) against background (0, gaps included); and each pixel's loss weight is
``w(x) = w_c(x) + w0 exp(-(d1 + d2)^2 / (2 sigma^2))`` with ``w_c`` balancing the two classes,
``w0 = 10`` and ``sigma = 5`` pixels (:func:`unet_course.weightmap.weight_map`), computed on
the separated labels so that the gaps carry the large weights.

:func:`instance_targets` does all three for one label image; :func:`as_instances` turns a
binary mask into instances (connected components) with a warning, since touching objects of a
mask are one component and get no gap and no border weight. :func:`looks_binary` (which tells
a mask from instance labels) lives in :mod:`unet_course.weightmap` and is importable from here.
"""

from __future__ import annotations

import warnings
from typing import NamedTuple

import numpy as np
from scipy import ndimage as ndi

from ..weightmap import looks_binary, separate_instances, weight_map

__all__ = ["Targets", "as_instances", "instance_targets", "looks_binary"]


class Targets(NamedTuple):
    """Training targets of one image; unpacks as ``target, weights, instances = ...``.

    Attributes:
        target: ``(H, W)`` int64 classes: 1 = object, 0 = background (separation borders are 0).
        weights: ``(H, W)`` float32 loss weights, eq. 2 of the paper (>= 0).
        instances: ``(H, W)`` int32 instance ids before the borders were cut (for scoring).

    Serves: U-Net paper section 3, eq. 2 (separation borders and the weight map from instance labels); chapters 08-09.
    """

    target: np.ndarray
    weights: np.ndarray
    instances: np.ndarray


def as_instances(labels: np.ndarray, name: str = "labels") -> np.ndarray:
    """Instance ids of a label image: instance labels as they are (int32), a binary mask as its
    4-connected components, with a ``UserWarning`` that touching objects then merge and get no
    separation border and no border weight.

    Args:
        labels: ``(H, W)`` integer (or bool) array, 0 = background.
        name: how the warning names the image.

    Returns:
        ``(H, W)`` int32 instance ids, 0 = background.

    Serves: U-Net paper section 3, eq. 2 (separation borders and the weight map from instance labels); chapters 08-09.
    """
    lab = np.asarray(labels)
    if lab.dtype == bool:
        lab = lab.astype(np.uint8)
    if not np.issubdtype(lab.dtype, np.integer):
        raise TypeError(f"{name} must hold integer instance ids (0 = background), got dtype {lab.dtype}")
    if lab.ndim != 2:
        raise ValueError(f"{name} must be 2-D (H, W), got shape {lab.shape}")
    if lab.size and lab.min() < 0:
        raise ValueError(f"{name} holds negative ids (min {lab.min()}); use 0 for background")
    if looks_binary(lab):
        warnings.warn(
            f"{name} looks like a binary mask (one id for all objects), not instance labels; its connected "
            "components are used as the objects, so touching objects merge and get no separation border and "
            "no border weight. Give one id per object to separate touching objects",
            UserWarning,
            stacklevel=2,
        )
        components, _ = ndi.label(lab > 0)
        return components.astype(np.int32)
    if lab.size and lab.max() > np.iinfo(np.int32).max:
        raise ValueError(f"{name} holds ids above {np.iinfo(np.int32).max}; renumber the objects 1, 2, ...")
    return lab.astype(np.int32)


def instance_targets(instances: np.ndarray, *, w0: float = 10.0, sigma: float = 5.0, radius: int = 1) -> Targets:
    """Class targets, separation borders and the paper's weight map of one instance label image.

    Args:
        instances: ``(H, W)`` integer ids, 0 = background, one id per object (any positive ids).
            A binary mask is read as its connected components, with a warning (:func:`as_instances`).
        w0: height of the border term (paper: 10); 0 leaves the class balance ``w_c`` alone.
        sigma: width of the border term in pixels (paper: about 5).
        radius: half-width of the separation borders in pixels (a gap of ``2 radius`` pixels
            between touching objects).

    Returns:
        :class:`Targets` ``(target, weights, instances)``: ``target`` is
        ``separate_instances(instances) > 0`` as int64, ``weights`` the weight map of the separated
        labels with ``w_c`` balanced on this image, ``instances`` int32.

    Serves: U-Net paper section 3, eq. 2 (separation borders and the weight map from instance labels); chapters 08-09.
    """
    inst = as_instances(instances, "instances")
    separated = separate_instances(inst, radius)
    target = (separated > 0).astype(np.int64)
    weights = weight_map(separated, w0=w0, sigma=sigma)
    return Targets(target, weights, inst)
