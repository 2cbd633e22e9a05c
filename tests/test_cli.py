"""python -m unet_course train | segment | evaluate: end to end on a small raw stack, and every bad input."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import tifffile
import torch

from unet_course.cli import choose_tile, main, split_validation
from unet_course.data import synthetic_cells
from unet_course.models import UNet
from unet_course.segment import load_model, package_dir

FAST = ["--steps", "12", "--base-channels", "4", "--depth", "2", "--tile", "64", "--eval-every", "6", "--quiet"]


def _write(path, array):
    tifffile.imwrite(path, array, photometric="minisblack")
    return path


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    """A raw uint16 stack of 3 frames (synthetic touching cells) and its instance labels."""
    root = tmp_path_factory.mktemp("cli")
    samples = [synthetic_cells(72, 10, seed=s) for s in range(3)]
    raw = np.stack([(s.image * 3000 + 100).astype(np.uint16) for s in samples])
    labels = np.stack([s.instances.astype(np.uint16) for s in samples])
    return root, _write(root / "images.tif", raw), _write(root / "labels.tif", labels), labels


@pytest.fixture(scope="module")
def trained(data):
    root, images, labels, _ = data
    model = root / "out" / "model.pt"
    assert main(["train", str(images), str(labels), "--out", str(model), *FAST]) == 0
    return model


def test_train_segment_evaluate(data, trained, capsys):
    root, images, labels, truth = data
    seg = load_model(trained)
    assert seg.scaling.to_dict() == {"rule": "percentile", "low": 1.0, "high": 99.8, "clip": True}
    assert seg.meta["validation"]["pieces"] == 1 and seg.meta["steps"] == 12
    assert seg.meta["validation"]["best_step"] in (6, 12)
    assert sorted(p.name for p in trained.parent.iterdir()) == ["model.pt"], "written atomically, nothing left over"

    out = root / "seg"
    assert main(["segment", str(trained), str(images), "--out", str(out), "--probabilities", "--quiet"]) == 0
    printed = capsys.readouterr().out
    predicted = tifffile.imread(out / "images.tif")
    assert predicted.shape == truth.shape and np.issubdtype(predicted.dtype, np.integer)
    probs = tifffile.imread(out / "probabilities" / "images.tif")
    assert probs.shape == truth.shape and probs.dtype == np.float32 and 0 <= probs.min() <= probs.max() <= 1
    assert str(out / "images.tif") in printed and "probabilities" in printed

    assert main(["evaluate", str(out / "images.tif"), str(labels), "--json"]) == 0
    scores = json.loads(capsys.readouterr().out)
    assert len(scores["per_image"]) == 3 and scores["per_image"][2]["name"] == "images.tif[2]"
    assert 0.0 <= scores["pooled"]["iou"] <= 1.0 and scores["pooled"]["true"] == sum(
        len(np.unique(t)) - 1 for t in truth)
    # the truth against itself scores 1, as a table
    assert main(["evaluate", str(labels), str(labels)]) == 0
    table = capsys.readouterr().out
    assert "pooled" in table and " 1.000  1.000  1.000  1.000" in table


def test_training_time_budget(data, tmp_path):
    _, images, labels, _ = data
    args = [a for a in FAST if a not in ("--steps", "12")]
    assert main(["train", str(images), str(labels), "--out", str(tmp_path / "m.pt"), "--minutes", "0.02", *args]) == 0
    assert load_model(tmp_path / "m.pt").meta["steps"] >= 1


def _fails(argv, capsys, *patterns):
    with pytest.raises(SystemExit) as exit_info:
        main([str(a) for a in argv])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    for p in patterns:
        assert p in err, f"{p!r} not in {err!r}"
    assert "Traceback" not in err
    return err


def test_bad_input_fails_before_any_work(data, trained, tmp_path, capsys):
    root, images, labels, truth = data
    out = tmp_path / "m.pt"
    _fails(["train", images, _write(tmp_path / "l2.tif", truth[:2]), "--out", out, *FAST], capsys,
           "3 images frame(s) but 2 labels frame(s)")
    _fails(["train", images, _write(tmp_path / "small.tif", truth[:, :60]), "--out", out, *FAST], capsys,
           "72 x 72 pixels but its labels", "60 x 72")
    _fails(["train", images, _write(tmp_path / "zero.tif", np.zeros_like(truth)), "--out", out, *FAST], capsys,
           "hold no object")
    (tmp_path / "notes.txt").write_text("not an image")
    _fails(["train", tmp_path / "notes.txt", labels, "--out", out, *FAST], capsys, "notes.txt", "not a .tif")
    (tmp_path / "fake.tif").write_bytes(b"plain text, not a TIFF")
    _fails(["train", tmp_path / "fake.tif", labels, "--out", out, *FAST], capsys, "not a readable TIFF or PNG")
    _fails(["train", images, labels, "--out", package_dir() / "mine.pt", *FAST], capsys, "inside the installed")
    assert not out.exists() and not (package_dir() / "mine.pt").exists()
    bad_model = tmp_path / "bad.pt"
    bad_model.write_bytes(b"\x00garbage")
    _fails(["segment", bad_model, images, "--out", tmp_path / "s"], capsys,
           "is not a model file written by 'python -m unet_course train'")
    _fails(["segment", trained, images, "--out", root], capsys, "folder of the input images")
    _fails(["evaluate", _write(tmp_path / "p.tif", truth[:2]), labels], capsys, "2 predicted frame(s) but 3 labels")
    with pytest.raises(SystemExit):
        main(["train", str(images), str(labels), "--out", str(out), "--minutes", "1", "--steps", "3"])
    assert "not allowed with" in capsys.readouterr().err


def test_binary_mask_trains_with_a_warning(data, tmp_path, capsys):
    _, images, _, truth = data
    mask = _write(tmp_path / "mask.tif", (truth > 0).astype(np.uint8))
    assert main(["train", str(images), str(mask), "--out", str(tmp_path / "m.pt"), *FAST]) == 0
    assert "look like binary masks" in capsys.readouterr().err


def test_tile_and_validation_rules():
    net = UNet(in_channels=1, num_classes=2, base_channels=4, depth=3, padding="valid")
    tile = choose_tile(net, smallest_side=100, cap=164)
    assert net.is_valid_size(tile) and net.output_size(tile) <= 100 and tile <= 164
    assert not [n for n in net.valid_input_sizes(tile + 1, 164) if net.output_size(n) <= 100], "the largest that fits"
    assert choose_tile(net, smallest_side=1000, cap=164) == net.valid_input_sizes(1, 164)[-1]
    pieces = split_validation([(10, 10)] * 10, 0.2)
    assert [r for _, _, r in pieces].count("validation") == 2 and pieces[-1][2] == "validation"
    (k0, (rows, cols), r0), (k1, (rows1, cols1), r1) = split_validation([(512, 400)], 0.25)
    assert (r0, r1) == ("train", "validation") and rows == slice(0, 384) and rows1 == slice(384, None)


def test_module_entry_point():
    result = subprocess.run([sys.executable, "-m", "unet_course", "--help"], capture_output=True, text=True,
                            cwd=Path(__file__).resolve().parents[1], timeout=120)
    assert result.returncode == 0 and "train" in result.stdout and "segment" in result.stdout


def test_whole_valued_float_labels_train(data, tmp_path):
    _, images, _, truth = data
    labels = _write(tmp_path / "float_labels.tif", truth.astype(np.float32))
    assert main(["train", str(images), str(labels), "--out", str(tmp_path / "m.pt"), *FAST]) == 0
