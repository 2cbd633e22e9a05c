"""Pixel accuracy and IoU against hand-computed cases and a brute-force count."""

import numpy as np
import pytest
import torch

from unet_course import metrics


def brute_iou(pred, target, c):
    inter = sum(1 for p, t in zip(pred.ravel(), target.ravel()) if p == c and t == c)
    union = sum(1 for p, t in zip(pred.ravel(), target.ravel()) if p == c or t == c)
    return inter / union if union else float("nan")


def test_hand_computed_two_by_two():
    pred = np.array([[0, 1], [1, 1]])
    target = np.array([[0, 1], [0, 1]])
    assert metrics.pixel_accuracy(pred, target) == 0.75
    # class 0: TP 1, FN 1 -> 1/2; class 1: TP 2, FP 1 -> 2/3
    np.testing.assert_allclose(metrics.iou_per_class(pred, target), [1 / 2, 2 / 3])
    assert metrics.mean_iou(pred, target) == pytest.approx((1 / 2 + 2 / 3) / 2)


def test_absent_class_does_not_count():
    pred = np.array([0, 0, 2, 2])
    target = np.array([0, 2, 2, 2])
    ious = metrics.iou_per_class(pred, target, num_classes=4)
    assert np.isnan(ious[1]) and np.isnan(ious[3])
    assert metrics.mean_iou(pred, target, num_classes=4) == pytest.approx((1 / 2 + 2 / 3) / 2)


def test_against_brute_force_random_maps():
    rng = np.random.default_rng(0)
    for _ in range(20):
        k = int(rng.integers(2, 6))
        pred = rng.integers(0, k, size=(7, 9))
        target = rng.integers(0, k, size=(7, 9))
        ious = metrics.iou_per_class(pred, target, num_classes=k)
        for c in range(k):
            expected = brute_iou(pred, target, c)
            if np.isnan(expected):
                assert np.isnan(ious[c])
            else:
                assert ious[c] == pytest.approx(expected)
        assert metrics.pixel_accuracy(pred, target) == pytest.approx(np.mean(pred == target))


def test_perfect_prediction_and_torch_input():
    target = torch.tensor([[0, 1, 2], [2, 1, 0]])
    assert metrics.mean_iou(target, target) == 1.0
    assert metrics.pixel_accuracy(target.numpy().astype(bool), target.numpy() > 0) == 1.0


def test_confusion_matrix_layout():
    m = metrics.confusion_matrix(np.array([1, 1, 0]), np.array([0, 1, 0]))
    # rows: true class, columns: predicted class
    np.testing.assert_array_equal(m, [[1, 1], [0, 1]])


@pytest.mark.parametrize(
    "pred, target, message",
    [
        (np.zeros((2, 2)), np.zeros((2, 2), int), "integer class ids"),
        (np.zeros((2, 2), int), np.zeros((2, 3), int), "same shape"),
        (np.array([-1, 0]), np.array([0, 0]), ">= 0"),
    ],
)
def test_bad_input_is_explained(pred, target, message):
    with pytest.raises((TypeError, ValueError), match=message):
        metrics.mean_iou(pred, target)


def test_num_classes_too_small():
    with pytest.raises(ValueError, match="num_classes=2"):
        metrics.iou_per_class(np.array([2]), np.array([0]), num_classes=2)
