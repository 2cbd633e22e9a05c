"""Segmentation metrics.

- :mod:`.overlap`: confusion matrix, pixel accuracy, per-class and mean IoU.
"""

from .overlap import confusion_matrix, iou_per_class, mean_iou, pixel_accuracy

__all__ = ["confusion_matrix", "iou_per_class", "mean_iou", "pixel_accuracy"]
