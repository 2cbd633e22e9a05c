"""Data, training and evaluation helpers of the FCN chapters."""

from __future__ import annotations

import os

import numpy as np
import pytest
import torch
from scipy import ndimage as ndi
from torch import nn

from unet_course.experiments.fcn import (
    SegmentationSet,
    cell_scenes,
    center_patches,
    evaluate_segmenter,
    round_and_rod_cells,
    shape_scenes,
    train_segmenter,
)
from unet_course.tiling import predict_batch


@pytest.mark.parametrize("seed", range(4))
def test_round_and_rod_cells_are_separate_and_shaped(seed):
    s = round_and_rod_cells(128, 8, seed=seed, gap=2)
    n = int(s.instances.max())
    assert n >= 4 and len(s.classes) == n + 1 and s.classes[0] == 0
    assert set(s.classes[1:].tolist()) <= {1, 2}
    assert s.image.dtype == np.float32 and s.image.shape == (128, 128)
    # no two cells closer than the gap: dilating one cell by 2 px never reaches another
    for i in range(1, n + 1):
        grown = ndi.binary_dilation(s.instances == i, iterations=2)
        assert set(np.unique(s.instances[grown]).tolist()) <= {0, i}
    # rods are elongated, round cells are not (ratio of the principal axes)
    for i in range(1, n + 1):
        ys, xs = np.nonzero(s.instances == i)
        if len(ys) < 30 or ys.min() == 0 or xs.min() == 0 or ys.max() == 127 or xs.max() == 127:
            continue  # cut by the border: the shape is not whole
        ev = np.linalg.eigvalsh(np.cov(np.stack([ys, xs])))
        ratio = np.sqrt(ev[1] / ev[0])
        assert (ratio > 2.0) if s.classes[i] == 2 else (ratio < 1.5)


def test_scenes_are_seeded_and_stacked():
    a, b = shape_scenes(3, 64, seed=5), shape_scenes(3, 64, seed=5)
    assert torch.equal(a.images, b.images) and torch.equal(a.targets, b.targets)
    assert a.images.shape == (3, 1, 64, 64) and a.targets.dtype == torch.int64 and a.num_classes == 3
    c = cell_scenes(2, 48, n_types=2, seed=1)
    assert c.images.shape == (2, 1, 48, 48) and c.num_classes == 3 and int(c.targets.max()) <= 2
    with pytest.raises(ValueError):
        shape_scenes(0)


@pytest.mark.parametrize("balanced", [True, False])
def test_center_patches_are_labelled_by_their_centre(balanced):
    data = shape_scenes(4, 96, seed=2)
    patches, labels = center_patches(data, 60, 34, seed=3, balanced=balanced)
    assert patches.shape == (60, 1, 34, 34) and labels.shape == (60,)
    # find every patch in its image and check the label of the centre pixel
    for patch, label in zip(patches[:10], labels[:10]):
        found = False
        for i in range(len(data)):
            windows = data.images[i, 0].unfold(0, 34, 1).unfold(1, 34, 1)
            hits = (windows == patch[0]).all(-1).all(-1).nonzero()
            for r, c in hits.tolist():
                found |= int(data.targets[i, r + 17, c + 17]) == int(label)
        assert found
    if balanced:
        assert np.bincount(labels.numpy(), minlength=3).min() >= 19


class _Oracle(nn.Module):
    """Scores that reproduce given labels exactly (for testing the evaluation)."""

    def __init__(self, labels: torch.Tensor, k: int):
        super().__init__()
        self.register_buffer("scores", nn.functional.one_hot(labels, k).permute(0, 3, 1, 2).float())
        self.dummy = nn.Parameter(torch.zeros(()))

    def forward(self, x):
        return self.scores[: len(x)] + 0 * self.dummy


def test_evaluate_a_perfect_and_a_shifted_model():
    data = shape_scenes(3, 64, seed=0)
    perfect = evaluate_segmenter(_Oracle(data.targets, 3), data)
    assert perfect == {"mean_iou": 1.0, "boundary_f": 1.0, "boundary_precision": 1.0, "boundary_recall": 1.0}
    shifted = evaluate_segmenter(_Oracle(data.targets.roll(5, dims=2), 3), data)
    assert shifted["mean_iou"] < 0.9 and shifted["boundary_f"] < 0.6
    assert torch.equal(predict_batch(_Oracle(data.targets, 3), data.images).argmax(1), data.targets)


def test_train_segmenter_lowers_the_loss_and_is_seeded():
    data = SegmentationSet(torch.rand(6, 1, 16, 16), (torch.rand(6, 16, 16) > 0.5).long(), num_classes=2)
    data = SegmentationSet(data.images, (data.images[:, 0] > 0.5).long(), num_classes=2)

    def run():
        torch.manual_seed(0)
        model = nn.Conv2d(1, 2, 1)
        return train_segmenter(model, data, steps=60, batch_size=4, lr=0.1, seed=1, progress=False)

    losses = run()
    assert len(losses) == 60 and np.mean(losses[-10:]) < 0.5 * np.mean(losses[:5])
    assert losses == run()
    with pytest.raises(ValueError, match="steps"):
        train_segmenter(nn.Conv2d(1, 2, 1), data, steps=0)


def test_shipped_fcn_curves_rederive_their_start():
    """The shipped curves of chapter 04 came from the package's own recipe: the first
    evaluation after ``eval_every`` steps of FCN-32s comes out the same again (cheap: 100 steps),
    the shipped networks score on the test images what the file says, and every curve stopped on
    its plateau rule."""
    from unet_course.experiments.fcn import (
        CURVE_RECIPE, _recipe_data, evaluate_segmenter, fcn_learning_curve, load_fcn_curves,
    )

    result, models = load_fcn_curves()
    recipe = result["recipe"]
    assert recipe == CURVE_RECIPE
    train, val, test = _recipe_data(recipe)
    for v, curve in result["curves"].items():
        assert curve["plateau"] and curve["stopped_at"] < recipe["max_steps"]
        best = curve["mean_iou"][curve["steps"].index(curve["best_step"])]
        later = curve["mean_iou"][curve["steps"].index(curve["best_step"]) + 1 :]
        assert len(later) == recipe["patience"] and all(m <= best + recipe["min_delta"] for m in later)
        scores = evaluate_segmenter(models[v], test, tolerance=recipe["tolerance"])
        assert abs(scores["mean_iou"] - result["test"][v]["mean_iou"]) < 1e-6
    with torch.inference_mode(False):
        start, _ = fcn_learning_curve(
            "32s", train, val, max_steps=recipe["eval_every"], eval_every=recipe["eval_every"], patience=99,
            batch_size=recipe["batch_size"], lr=recipe["lr"], seed=recipe["seed"], progress=False, **recipe["model"],
        )
    shipped = result["curves"]["32s"]
    assert start["steps"] == shipped["steps"][:2]
    assert abs(start["mean_iou"][0] - shipped["mean_iou"][0]) < 1e-6
    assert abs(start["mean_iou"][1] - shipped["mean_iou"][1]) < 0.02


def test_learning_curve_refuses_bad_settings():
    from unet_course.experiments.fcn import fcn_learning_curve

    data = shape_scenes(2, 64, seed=1)
    with pytest.raises(ValueError, match="patience"):
        fcn_learning_curve("32s", data, data, max_steps=10, eval_every=5, patience=0)


class _RunsCodeWhenUnpickled:
    """Unpickling this object touches a file: a stand-in for any code a pickle can run."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.utime, (str(self.marker), None))


def test_a_curves_file_with_an_arbitrary_object_is_refused(tmp_path):
    from unet_course.experiments.fcn import load_fcn_curves

    marker = tmp_path / "marker"
    marker.write_text("")
    os.utime(marker, (0, 0))
    path = tmp_path / "curves.pt"
    torch.save({"result": {"recipe": {}}, "weights": {}, "extra": _RunsCodeWhenUnpickled(marker)}, path)
    with pytest.raises(ValueError, match=r"other than tensors and plain data \(\w+\.utime\).*could run code"):
        load_fcn_curves(path)
    assert marker.stat().st_mtime == 0, "the pickled object's code ran while the file was loaded"
    with pytest.raises(ValueError, match="not a curves file"):
        torch.save({"weights": {}}, tmp_path / "other.pt")
        load_fcn_curves(tmp_path / "other.pt")
    with pytest.raises(FileNotFoundError, match="no curves file"):
        load_fcn_curves(tmp_path / "missing.pt")
