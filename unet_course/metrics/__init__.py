"""Segmentation metrics.

- :mod:`.overlap`: confusion matrix, pixel accuracy, per-class and mean IoU.
- :mod:`.isbi`: the ISBI 2012 challenge's pixel, Rand and warping errors.
- :mod:`.instances`: instances from a foreground mask, one-to-one matching, precision, recall, F1,
  the average precision over IoU 0.50:0.95 and the panoptic quality, per image and pooled.
- :mod:`.boundary`: boundary precision, recall and F-score within a pixel tolerance (chapter 04).

Conventions, the same in every function here:

- **Argument order.** The prediction comes first, the truth second: ``f(pred, target, ...)``, with
  those keyword names (``evaluate_instances(pred, target)``, ``rand_scores(pred, target)``,
  ``mean_iou(pred, target)``, ...). Matrices indexed by both put the truth on the rows
  (``confusion_matrix(...)[true, pred]``, ``iou_matrix(...)[0][true, pred]``).
- **Connectivity** of pixels is the number of neighbours in 2-D: ``connectivity=4`` (edges) or
  ``8`` (edges and corners); the default is 4. SciPy's and scikit-image's ``1`` and ``2`` for the
  same two are refused with an error that says so. (The ISBI metrics' membrane takes the other
  one of the pair, see :mod:`.isbi`.)
- **Inputs** are NumPy arrays or tensors (moved to the CPU), checked before any work: integer
  label maps (0 = background or membrane), probability maps only where a docstring says so.
- **Undefined scores are NaN**, never a made-up 1: instance precision with no predicted instance,
  recall with no true instance, F1, AP and PQ with neither, a class IoU of a class absent from both
  maps. Two scores keep the convention of their source instead: the boundary F-score
  (:func:`boundary_f_score`) is 1 when neither map has a boundary, and a Rand precision or recall
  with no pair to count is 1 (:func:`rand_scores` with ``count_self_pairs=False`` only; the
  challenge's default counting always has pairs).
- **Pooled** scores over several images sum the counts before dividing (micro averages).
"""

from .boundary import BoundaryScore, boundary_f_score, label_boundaries

from .instances import (
    AP_THRESHOLDS,
    InstanceErrors,
    InstanceMatch,
    InstanceScores,
    MatchCounts,
    average_precision,
    evaluate_instances,
    instances_from_foreground,
    iou_matrix,
    match_counts,
    match_instances,
    merges_and_splits,
    panoptic_quality,
)
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
__all__ += [
    "AP_THRESHOLDS",
    "InstanceErrors",
    "InstanceMatch",
    "InstanceScores",
    "MatchCounts",
    "average_precision",
    "evaluate_instances",
    "instances_from_foreground",
    "iou_matrix",
    "match_counts",
    "match_instances",
    "merges_and_splits",
    "panoptic_quality",
]
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
