"""A stated rule that turns raw grey values (uint8, uint16, float) into the [0, 1] range.

The course's networks, tile sampler and augmentation take grey values in [0, 1]. Raw microscopy
is not: a 16-bit camera stores 0..65535 and often uses a few hundred grey levels of it, so
"divide by 255" (or by 65535) gives a nearly black or a saturated image. A robust rule scales
each image by its own percentiles (CSBDeep and StarDist scale by the 1st and 99.8th): the
``low`` percentile goes to 0, the ``high`` percentile to 1, and, with ``clip``, the few pixels
beyond them are set to 0 and 1.

:class:`Scaling` is that rule as a small, serialisable object: a model stores
``Scaling.to_dict()`` in its file and applies ``Scaling.from_dict(...)`` again to new images,
so training and inference see the same preprocessing.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

__all__ = ["Scaling", "check_unit_range", "scale_image"]

_RULE = "percentile"


@dataclass(frozen=True)
class Scaling:
    """Per-image percentile scaling: ``(x - p_low) / (p_high - p_low)``, then clipped to [0, 1].

    Attributes:
        low: percentile (0..100) of each image that maps to 0 (default 1).
        high: percentile (0..100, above ``low``) that maps to 1 (default 99.8). ``low=0,
            high=100`` is min-max scaling.
        clip: set values below 0 to 0 and above 1 to 1 (the pixels outside the two
            percentiles: 1 % and 0.2 % of each image with the defaults). A stated part of the
            rule, not a silent repair.

    Serves: grey values in [0, 1] for section 3 training and Fig. 2 inference on raw microscopy; chapter 09 (nuclei), README.
    """

    low: float = 1.0
    high: float = 99.8
    clip: bool = True

    def __post_init__(self) -> None:
        lo, hi = float(self.low), float(self.high)
        if not (math.isfinite(lo) and math.isfinite(hi) and 0.0 <= lo < hi <= 100.0):
            raise ValueError(
                f"percentiles must satisfy 0 <= low < high <= 100, got low={self.low}, high={self.high} "
                "(e.g. low=1, high=99.8; low=0, high=100 is min-max scaling)"
            )

    def __call__(self, image: np.ndarray) -> np.ndarray:
        """Scale one image (any shape: ``(H, W)`` or ``(C, H, W)``, one pair of percentiles for all
        its pixels) to float32. Raises ``ValueError`` for NaN or infinite values, ``TypeError``
        for a non-numeric or boolean array. A constant image becomes all zeros."""
        x = np.asarray(image)
        if x.dtype == bool or not (np.issubdtype(x.dtype, np.integer) or np.issubdtype(x.dtype, np.floating)):
            raise TypeError(f"an image to scale must hold numbers (uint8, uint16, float, ...), got dtype {x.dtype}")
        if x.size == 0:
            raise ValueError("the image is empty (a side of 0 pixels)")
        x = x.astype(np.float64)
        if not np.all(np.isfinite(x)):
            raise ValueError("the image holds NaN or infinite values; replace them before scaling")
        lo, hi = np.percentile(x, [float(self.low), float(self.high)])
        if hi <= lo:
            return np.zeros(x.shape, dtype=np.float32)
        out = (x - lo) / (hi - lo)
        if self.clip:
            out = np.clip(out, 0.0, 1.0)
        return out.astype(np.float32)

    def to_dict(self) -> dict[str, Any]:
        """Plain data to store with a model: ``{"rule": "percentile", "low": ..., "high": ..., "clip": ...}``."""
        return {"rule": _RULE, **{k: (float(v) if k != "clip" else bool(v)) for k, v in asdict(self).items()}}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Scaling:
        """The rule stored by :meth:`to_dict`; an unknown rule raises ``ValueError``."""
        if not isinstance(d, dict) or d.get("rule") != _RULE:
            raise ValueError(f"not a stored scaling rule (expected {{'rule': {_RULE!r}, ...}}), got {d!r}")
        return cls(low=float(d["low"]), high=float(d["high"]), clip=bool(d["clip"]))

    def describe(self) -> str:
        """One line saying what the rule does, for logs and the command line."""
        clip = ", clipped to [0, 1]" if self.clip else ""
        return f"per image, percentile {self.low:g} -> 0 and percentile {self.high:g} -> 1{clip}"


def scale_image(image: np.ndarray, low: float = 1.0, high: float = 99.8, clip: bool = True) -> np.ndarray:
    """``Scaling(low, high, clip)(image)``: a raw image as float32 grey values in [0, 1].

    Args:
        image: ``(H, W)`` (or ``(C, H, W)``) uint8, uint16, int or float array.
        low, high: the percentiles that map to 0 and 1.
        clip: clip the result to [0, 1].

    Returns:
        float32 array of the input's shape.

    Serves: grey values in [0, 1] for section 3 training and Fig. 2 inference on raw microscopy; chapter 09 (nuclei), README.
    """
    return Scaling(low, high, clip)(image)


def check_unit_range(image: np.ndarray, what: str = "image", tol: float = 1e-6) -> None:
    """Raise ``ValueError`` when ``image`` holds grey values outside [0, 1] (beyond ``tol``).

    For the code that takes grey values in [0, 1] (the tile sampler, the augmentation, prediction in
    :mod:`unet_course.tiling`): a raw image must not be clipped or used there in silence. The
    message names the rule to apply instead.

    Serves: grey values in [0, 1] for section 3 training and Fig. 2 inference on raw microscopy; chapter 09 (nuclei), README.
    """
    x = np.asarray(image)
    if x.size == 0:
        return
    lo, hi = float(np.min(x)), float(np.max(x))
    if lo < -tol or hi > 1.0 + tol:
        raise ValueError(
            f"{what} holds grey values in [{lo:.4g}, {hi:.4g}], outside [0, 1], the range the networks train on "
            "(none is clipped in silence). "
            "Scale raw images with a stated rule first, e.g. unet_course.data.scaling.Scaling() "
            "(percentiles 1 and 99.8 of each image to 0 and 1); do not divide by a fixed 255, "
            "which is wrong for 16-bit and float data"
        )
