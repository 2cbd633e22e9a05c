"""Chapter 12's merged and split objects (unet_course.viz.instance_errors), against a brute-force
count written from the definition, and its exercise's diagnoses."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest

from unet_course import quiz
from unet_course.questions import ch12_own_images as ch12
from unet_course.metrics import InstanceErrors, merges_and_splits
from unet_course.viz import plot_instance_errors


def brute_force(pred: np.ndarray, truth: np.ndarray, fraction: float) -> InstanceErrors:
    """Straight from the definition: one pair of objects at a time, pixel masks compared."""
    merges, splits = [], []
    p_ids = [int(p) for p in np.unique(pred) if p > 0]
    t_ids = [int(t) for t in np.unique(truth) if t > 0]
    for p in p_ids:
        held = tuple(t for t in t_ids if np.sum((pred == p) & (truth == t)) >= fraction * np.sum(truth == t))
        if len(held) >= 2:
            merges.append((p, held))
    for t in t_ids:
        inside = tuple(p for p in p_ids if np.sum((pred == p) & (truth == t)) >= fraction * np.sum(pred == p))
        if len(inside) >= 2:
            splits.append((t, inside))
    return InstanceErrors(merges, splits)


def test_hand_made_merge_and_split():
    truth = np.zeros((10, 20), dtype=np.int32)
    truth[1:5, 1:5], truth[1:5, 5:9] = 3, 8          # two touching squares
    truth[6:10, 12:20] = 5                           # one long box
    pred = np.zeros_like(truth)
    pred[1:5, 1:9] = 2                               # both squares as one object
    pred[6:10, 12:16], pred[6:10, 16:20] = 4, 9      # the box cut in two
    assert merges_and_splits(pred, truth) == InstanceErrors([(2, (3, 8))], [(5, (4, 9))])
    assert merges_and_splits(truth, truth) == InstanceErrors([], [])
    assert merges_and_splits(np.zeros_like(truth), truth) == InstanceErrors([], [])


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("fraction", [0.3, 0.5, 0.8])
def test_agrees_with_brute_force_on_random_labels(seed, fraction):
    rng = np.random.default_rng(seed)
    # random blocky labels: coarse ids upsampled, so objects overlap in many ways
    truth = np.kron(rng.integers(0, 6, size=(6, 6)), np.ones((4, 4), dtype=np.int64))
    pred = np.kron(rng.integers(0, 5, size=(8, 8)), np.ones((3, 3), dtype=np.int64))
    assert merges_and_splits(pred, truth, fraction) == brute_force(pred, truth, fraction)


def test_agrees_with_brute_force_on_the_exercise_cases():
    for pred, truth in ch12._merged_cases():
        assert merges_and_splits(pred, truth) == brute_force(pred, truth, 0.5)


def test_bad_input_is_refused_with_a_reason():
    good = np.zeros((4, 4), dtype=np.int64)
    with pytest.raises(ValueError, match="same shape"):
        merges_and_splits(good, np.zeros((4, 5), dtype=np.int64))
    with pytest.raises(TypeError, match="integer instance label map"):
        merges_and_splits(good.astype(float), good)
    with pytest.raises(ValueError, match=">= 0"):
        merges_and_splits(good - 1, good)
    with pytest.raises(ValueError, match="fraction"):
        merges_and_splits(good, good, fraction=0.0)


def test_figure_draws_the_errors():
    truth = np.zeros((40, 40), dtype=np.int64)
    truth[5:15, 5:15], truth[5:15, 15:25], truth[25:35, 5:35] = 1, 2, 3
    pred = np.zeros_like(truth)
    pred[5:15, 5:25], pred[25:35, 5:20], pred[25:35, 20:35] = 7, 8, 9
    image = np.random.default_rng(0).random((40, 40))
    fig = plot_instance_errors(image, pred, truth, probability=image, title="test")
    assert len(fig.axes) == 2 + 1 + 2   # image, probability, its colour bar, two close-ups
    assert "1 merge(s), 1 split(s)" in fig.axes[0].get_title()
    fig = plot_instance_errors(image, truth, truth, closeups=0)
    assert len(fig.axes) == 1
    with pytest.raises(ValueError, match="probability"):
        plot_instance_errors(image, pred, truth, probability=image[:10])


def test_count_merged_diagnoses_each_wrong_implementation(monkeypatch):
    question = quiz.get("12.count-merged")
    expected = {
        ch12._merged_any_overlap: "touches two true nuclei",
        ch12._merged_true_count: "true nuclei inside merged objects",
        ch12._merged_with_background: "background (id 0)",
        ch12._merged_share_of_prediction: "predicted object's area",
    }
    for wrong, phrase in expected.items():
        right, message = question.grade(wrong)
        assert not right and phrase in message, (wrong.__name__, message)
    assert question.grade(ch12.count_merged_reference)[0]
    monkeypatch.setenv("UNET_COURSE_LANG", "ko")
    for wrong in expected:
        right, message = question.grade(wrong)
        assert not right and not any(phrase in message for phrase in expected.values()), message
