"""No silent failures on the way from raw images to a trained model (issue: the package on your own
images): time budgets, instance ids passed as classes, raw grey values, binary masks."""

import time
import warnings

import numpy as np
import pytest
import torch

from unet_course.augment import Augmenter
from unet_course.data.tiles import TileDataset
from unet_course.models import UNet
from unet_course.train import fit, load_checkpoint
from unet_course.weightmap import weight_map


def _tiny():
    torch.manual_seed(0)
    return UNet(in_channels=1, num_classes=2, base_channels=2, depth=1, padding="valid")


def _sample(rng):
    x = rng.random((1, 20, 20)).astype(np.float32)
    return x, (x[0] > 0.5).astype(np.int64)


def test_fit_stops_at_its_time_budget(tmp_path):
    model = _tiny()
    calls = []
    began = time.perf_counter()
    history = fit(model, _sample, steps=10**6, max_seconds=0.5, optimizer="adam", lr=1e-3, progress=True,
                  evaluate=lambda m: calls.append(1) or {"x": 1.0}, checkpoint=tmp_path / "c.pt")
    took = time.perf_counter() - began
    assert 0 < len(history.loss) < 10**6 and took < 20
    assert history.evals and history.evals[-1]["step"] == len(history.loss), "evaluated at the step it stopped"
    assert load_checkpoint(tmp_path / "c.pt", _tiny()).step == len(history.loss), "saved at the step it stopped"
    with pytest.raises(ValueError, match="max_seconds"):
        fit(_tiny(), _sample, steps=1, max_seconds=0)


def test_fit_time_budget_with_background_workers():
    history = fit(_tiny(), _sample, steps=10**6, max_seconds=0.5, workers=1, progress=False)
    assert 0 < len(history.loss) < 10**6


def test_instance_ids_as_classes_fail_before_training():
    model = _tiny()
    before = [p.detach().clone() for p in model.parameters()]

    def instances(rng):
        x = rng.random((1, 20, 20)).astype(np.float32)
        y = np.zeros((20, 20), np.int64)
        y[2:6, 2:6], y[10:15, 10:15] = 17, 94
        return x, y

    with pytest.raises(ValueError, match="class ids 0..94.*2 classes.*instance ids.*instance_targets"):
        fit(model, instances, steps=5, progress=False)
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters())), "no step was taken"


def _raw_image():
    return (np.random.default_rng(0).random((60, 60)) * 4000 + 200).astype(np.float32)  # uint16-like values


def test_tile_dataset_refuses_raw_grey_values():
    labels = np.zeros((60, 60), np.int64)
    for augmenter in (None, Augmenter()):
        with pytest.raises(ValueError, match=r"outside \[0, 1\].*Scaling.*not.*255"):
            TileDataset([_raw_image()], [labels], tile_size=20, augmenter=augmenter)
    ok = TileDataset([_raw_image() / 4200], [labels], tile_size=20, augmenter=Augmenter(), length=2)
    assert ok[0][0].shape == (1, 20, 20)


def test_augmenter_refuses_raw_grey_values():
    with pytest.raises(ValueError, match=r"outside \[0, 1\].*Scaling"):
        Augmenter()(_raw_image(), rng=0)
    out = Augmenter()(_raw_image() / 4200, rng=0)
    assert 0.0 <= out.image.min() and out.image.max() <= 1.0


def test_weight_map_warns_on_a_binary_looking_mask():
    mask = np.zeros((30, 30), np.int64)
    mask[2:10, 2:10] = 1
    mask[12:20, 12:20] = 1  # two objects with one id: a mask, not instance labels
    with pytest.warns(UserWarning, match="binary mask"):
        weight_map(mask)
    inst = mask.copy()
    inst[12:20, 12:20] = 2
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        weight_map(inst)


def test_predict_tiled_on_integers_names_a_scaling_rule_not_255():
    from unet_course.tiling import predict_tiled

    with pytest.raises(TypeError, match=r"Scaling.*wrong for 16-bit") as info:
        predict_tiled(_tiny().eval(), (_raw_image()).astype(np.uint16), progress=False)
    assert "e.g. image.astype(np.float32) / 255" not in str(info.value)


def test_fit_checkpoints_record_the_preprocessing(tmp_path):
    from unet_course.data.scaling import Scaling

    rule = Scaling(1, 99.8).to_dict()
    fit(_tiny(), _sample, steps=2, progress=False, checkpoint=tmp_path / "c.pt", checkpoint_meta={"scaling": rule})
    assert Scaling.from_dict(load_checkpoint(tmp_path / "c.pt", _tiny()).meta["scaling"]) == Scaling(1, 99.8)
