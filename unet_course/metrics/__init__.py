"""Segmentation metrics.

- :mod:`.overlap`: confusion matrix, pixel accuracy, per-class and mean IoU.
- :mod:`.isbi`: the ISBI 2012 challenge's pixel, Rand and warping errors.
- :mod:`.instances`: instances from a foreground mask, one-to-one matching at IoU >= 0.5.
- :mod:`.boundary`: boundary precision, recall and F-score within a pixel tolerance (chapter 04).
"""

from .boundary import BoundaryScore, boundary_f_score, label_boundaries

from .instances import InstanceMatch, instances_from_foreground, iou_matrix, match_instances
from .isbi import (
    RandScores,
    pixel_error,
    pixel_fscore_error,
    rand_error,
    rand_scores,
    simple_points,
    warp_to_prediction,
    warping_error,
)
from .overlap import confusion_matrix, iou_per_class, mean_iou, pixel_accuracy

__all__ = ["BoundaryScore", "boundary_f_score", "label_boundaries"]
__all__ += ["confusion_matrix", "iou_per_class", "mean_iou", "pixel_accuracy"]
__all__ += ["InstanceMatch", "instances_from_foreground", "iou_matrix", "match_instances"]
__all__ += [
    "RandScores",
    "pixel_error",
    "pixel_fscore_error",
    "rand_error",
    "rand_scores",
    "simple_points",
    "warp_to_prediction",
    "warping_error",
]
