"""python -m unet_course train | segment | evaluate: end to end on a small raw stack, and every bad input."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import tifffile
import torch

from unet_course.cli import build_parser, choose_tile, main, split_validation
from unet_course.data import synthetic_cells
from unet_course.models import UNet
from unet_course.segment import load_model, package_dir, segment_image
from unet_course.train import save_checkpoint

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
    assert sorted(p.name for p in trained.parent.iterdir()) == ["model.history.csv", "model.pt"], \
        "the model and its history, written atomically, nothing left over"
    rows = (trained.parent / "model.history.csv").read_text().splitlines()
    assert rows[0] == "step,loss,val_iou,val_f1,seconds" and [r.split(",")[0] for r in rows[1:]] == ["6", "12"]
    history = torch.load(trained, weights_only=True)["history"]
    for row in rows[1:]:
        step, loss, iou, f1, seconds = row.split(",")
        np.testing.assert_allclose(float(loss), np.mean(history["loss"][int(step) - 6:int(step)]), rtol=1e-5)
        assert 0 <= float(iou) <= 1 and 0 <= float(f1) <= 1 and float(seconds) > 0
    best = max(rows[1:], key=lambda r: float(r.split(",")[2]) + float(r.split(",")[3]))
    assert seg.meta["validation"]["best_step"] == int(best.split(",")[0]), "the best validation's weights are kept"

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


def _run(args, **kwargs):
    return subprocess.run([sys.executable, "-m", "unet_course", *map(str, args)], capture_output=True, text=True,
                          cwd=Path(__file__).resolve().parents[1], timeout=120, **kwargs)


def test_help_describes_every_option():
    for command in ("train", "segment"):
        text = " ".join(build_parser()._subparsers._group_actions[0].choices[command].format_help().split())
        for option in ["--device", "--channel N", "--quiet"] + (
                ["--resume", "--init", "--channels K", "history.csv", "Ctrl-C", "--seed"] if command == "train" else
                ["--overwrite", "--tta"]):
            assert option in text, f"{command} --help does not mention {option}"
        assert "cuda:N" in text and "mps" in text


def test_device_is_checked_before_any_file(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    missing = tmp_path / "missing"
    _fails(["segment", missing / "m.pt", missing / "images", "--out", tmp_path / "s", "--device", "cuda"], capsys,
           "--device cuda: no CUDA GPU is available here")
    _fails(["train", missing / "i.tif", missing / "l.tif", "--out", tmp_path / "m.pt", "--device", "gpu"], capsys,
           "--device 'gpu' is not a device; use one of auto, cpu, cuda, cuda:N, mps")


def test_segment_refuses_to_replace_files_before_any_work(data, trained, tmp_path, capsys, monkeypatch):
    root, images, _, _ = data
    out = tmp_path / "seg"
    assert main(["segment", str(trained), str(images), "--out", str(out), "--probabilities", "--quiet"]) == 0
    capsys.readouterr()
    before = {p: p.read_bytes() for p in out.rglob("*.tif")}
    import unet_course.data.imageset as imageset

    def no_reading(*args, **kwargs):
        raise AssertionError("frames were read before the check")

    with monkeypatch.context() as m:
        m.setattr(imageset, "read_image_set", no_reading)
        err = _fails(["segment", trained, images, "--out", out, "--probabilities"], capsys,
                     "already holds 2 of the files segment would write (images.tif, probabilities/images.tif)",
                     "pass --overwrite", "choose another --out folder")
    assert {p: p.read_bytes() for p in out.rglob("*.tif")} == before and "Traceback" not in err
    # only the labels asked for: the probability file is not in the way
    out2 = tmp_path / "seg2"
    (out2 / "probabilities").mkdir(parents=True)
    (out2 / "probabilities" / "images.tif").write_bytes(b"mine")
    assert main(["segment", str(trained), str(images), "--out", str(out2), "--quiet"]) == 0
    assert (out2 / "probabilities" / "images.tif").read_bytes() == b"mine"
    assert main(["segment", str(trained), str(images), "--out", str(out), "--probabilities", "--overwrite",
                 "--quiet"]) == 0
    # many files: named up to five, then counted
    many, out3 = tmp_path / "many", tmp_path / "seg3"
    many.mkdir(), out3.mkdir()
    for k in range(7):
        _write(many / f"f{k}.tif", np.zeros((40, 40), np.uint16))
        (out3 / f"f{k}.tif").write_bytes(b"mine")
    _fails(["segment", tmp_path / "no-model.pt", many, "--out", out3], capsys,
           "already holds 7 of the files", "f0.tif, f1.tif, f2.tif, f3.tif, f4.tif and 2 more")


def test_ctrl_c_keeps_the_best_model_so_far(data, trained, tmp_path, capsys, monkeypatch):
    """KeyboardInterrupt inside a training step: the CLI validates once, writes, exits 130."""
    _, images, labels, _ = data
    from unet_course.data.tiles import TileDataset

    drawn = {"n": 0}
    original = TileDataset.__getitem__

    def interrupt_at(n):
        def getitem(self, index):
            drawn["n"] += 1
            if drawn["n"] > n:
                raise KeyboardInterrupt
            return original(self, index)
        return getitem

    out = tmp_path / "m.pt"
    monkeypatch.setattr(TileDataset, "__getitem__", interrupt_at(2 * 3))  # 2 tiles a step: stops in step 4
    assert main(["train", str(images), str(labels), "--out", str(out), *FAST]) == 130
    err = capsys.readouterr().err
    assert "interrupted at step 3: wrote the best model so far (step 3)" in err and "Traceback" not in err
    seg = load_model(out)
    assert seg.meta["steps"] == 3 and seg.meta["validation"]["best_step"] == 3
    assert (tmp_path / "m.history.csv").read_text().splitlines()[1].startswith("3,")

    # interrupted before a step is done: nothing written, the earlier model stays
    earlier = trained.read_bytes()
    again = tmp_path / "again.pt"
    again.write_bytes(earlier)
    drawn["n"] = 0
    monkeypatch.setattr(TileDataset, "__getitem__", interrupt_at(0))
    assert main(["train", str(images), str(labels), "--out", str(again), *FAST]) == 130
    err = capsys.readouterr().err
    assert "before the first training step; nothing written" in err and again.read_bytes() == earlier
    assert not (tmp_path / "again.history.csv").exists()


def test_sigint_to_a_training_process(data, tmp_path):
    """A real Ctrl-C (SIGINT) once validation lines show that training runs: exit 130, no traceback."""
    import signal
    import threading

    _, images, labels, _ = data
    out = tmp_path / "m.pt"
    args = [*FAST[:-1], "--eval-every", "2"]
    args[1] = "100000"  # --steps: only Ctrl-C ends it
    proc = subprocess.Popen([sys.executable, "-m", "unet_course", "train", str(images), str(labels), "--out", str(out),
                             *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            cwd=Path(__file__).resolve().parents[1],
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    err: list[str] = []
    started = threading.Event()

    def read():
        for line in proc.stderr:
            err.append(line)
            if "held-out IoU" in line:
                started.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        assert started.wait(90), f"training did not start: {''.join(err)}"
        proc.send_signal(signal.SIGINT)
        stdout = proc.stdout.read()
        assert proc.wait(90) == 130, "".join(err)
    finally:
        proc.kill()
        proc.wait(30)
    reader.join(10)
    proc.stdout.close(), proc.stderr.close()
    text = "".join(err)
    assert "Traceback" not in text and "interrupted at step" in text and f"wrote {out}" in stdout
    assert load_model(out).meta["steps"] >= 2 and (tmp_path / "m.history.csv").is_file()


def test_resume_continues_the_run(data, trained, tmp_path, capsys):
    _, images, labels, _ = data
    out = tmp_path / "more.pt"
    args = ["--steps", "6", "--tile", "64", "--eval-every", "6", "--quiet"]  # the network's settings: from the file
    assert main(["train", str(images), str(labels), "--out", str(out), "--resume", str(trained), *args]) == 0
    err = capsys.readouterr().err
    assert f"resuming {trained}" in err and "steps continue from 12" in err
    ckpt = torch.load(out, weights_only=True)
    assert ckpt["step"] == 18 and ckpt["history"]["step"] == list(range(1, 19)) and ckpt["optimizer_state"]["state"]
    assert load_model(out).meta["validation"]["best_step"] in (12, 18)
    steps = [r.split(",")[0] for r in (tmp_path / "more.history.csv").read_text().splitlines()[1:]]
    assert steps == ["6", "12", "18"], steps
    _fails(["train", images, labels, "--out", out, "--resume", trained, "--depth", "3", *args], capsys,
           "--depth 3 differs from 2 in", "--resume takes the network and training settings from the file")
    _fails(["train", images, labels, "--out", out, "--resume", trained, "--lr", "0.1", *args], capsys,
           "--lr 0.1 differs from 0.002")
    plain = tmp_path / "plain.pt"
    save_checkpoint(plain, UNet(in_channels=1, num_classes=2, base_channels=4, depth=2, padding="valid"))
    _fails(["train", images, labels, "--out", out, "--resume", plain, *args], capsys, "use --init")
    with pytest.raises(SystemExit):
        main(["train", str(images), str(labels), "--out", str(out), "--resume", str(trained), "--init", str(trained)])
    assert "not allowed with" in capsys.readouterr().err


def test_init_fine_tunes_from_a_course_checkpoint(data, tmp_path, capsys):
    _, images, labels, _ = data
    shipped = package_dir() / "checkpoints" / "ch09_nuclei.pt"
    out = tmp_path / "tuned.pt"
    args = ["--steps", "2", "--eval-every", "2", "--quiet", "--tile", "124"]
    assert main(["train", str(images), str(labels), "--out", str(out), "--init", str(shipped), *args]) == 0
    err = capsys.readouterr().err
    assert f"fine-tuning from {shipped}" in err and "a fresh Adam optimizer" in err
    tuned = load_model(out)
    assert tuned.model.base_channels == 8 and tuned.model.depth == 3 and tuned.meta["steps"] == 2
    rows = (tmp_path / "tuned.history.csv").read_text().splitlines()
    assert [r.split(",")[:2][0] for r in rows[1:]] == ["0", "2"] and rows[1].split(",")[1] == "", \
        "the starting point is validated first (no training loss yet)"
    _fails(["train", images, labels, "--out", out, "--init", shipped, "--base-channels", "4", *args], capsys,
           "--base-channels 4 differs from 8 in", "--init takes the network settings from the file")
    assert not (package_dir() / "checkpoints" / "tuned.pt").exists()


def test_out_files_train_did_not_write_are_kept(data, tmp_path, capsys):
    _, images, labels, _ = data
    notes = tmp_path / "notes.pt"
    notes.write_text("my notes")
    _fails(["train", images, labels, "--out", notes, *FAST], capsys, "exists and is not a model file written by 'train'")
    (tmp_path / "m.history.csv").write_text("my own table\n")
    _fails(["train", images, labels, "--out", tmp_path / "m.pt", *FAST], capsys,
           "m.history.csv", "was not written by 'train'")
    assert notes.read_text() == "my notes" and (tmp_path / "m.history.csv").read_text() == "my own table\n"


def test_multichannel_images(data, tmp_path, capsys):
    _, _, labels, truth = data
    rng = np.random.default_rng(0)
    grey = tifffile.imread(data[1])
    second = rng.integers(0, 50, size=grey.shape).astype(np.uint16)  # noise in channel 1
    stack = np.stack([grey, second], axis=1)  # T, C, Y, X
    hyper = tmp_path / "hyper.tif"
    tifffile.imwrite(hyper, stack, imagej=True, metadata={"axes": "TCYX"})
    _fails(["train", hyper, labels, "--out", tmp_path / "x.pt", *FAST], capsys,
           "holds 2 channels (axis 'C' of size 2", "--channel N (N = 0..1", "--channels 2")
    args = ["--steps", "2", "--eval-every", "2", "--base-channels", "4", "--depth", "2", "--tile", "64", "--quiet"]
    assert main(["train", str(hyper), str(labels), "--out", str(tmp_path / "two.pt"), "--channels", "2", *args]) == 0
    two = load_model(tmp_path / "two.pt")
    assert two.model.in_channels == 2 and two.meta["channels"] == 2 and two.meta["channel"] is None
    assert "each channel on its own" in capsys.readouterr().err
    assert main(["segment", str(tmp_path / "two.pt"), str(hyper), "--out", str(tmp_path / "s2"), "--quiet"]) == 0
    assert tifffile.imread(tmp_path / "s2" / "hyper.tif").shape == truth.shape
    _fails(["segment", tmp_path / "two.pt", data[1], "--out", tmp_path / "s3"], capsys, "--channels 2, but")
    assert main(["train", str(hyper), str(labels), "--out", str(tmp_path / "one.pt"), "--channel", "0", *args]) == 0
    assert load_model(tmp_path / "one.pt").meta["channel"] == 0 and load_model(tmp_path / "one.pt").model.in_channels == 1
    capsys.readouterr()
    assert main(["segment", str(tmp_path / "one.pt"), str(hyper), "--out", str(tmp_path / "s1"), "--quiet"]) == 0
    assert "channel 0 of every file, as in training" in capsys.readouterr().err
    _fails(["train", hyper, labels, "--out", tmp_path / "x.pt", "--channel", "2", *args], capsys,
           "--channel 2 is out of range", "numbered 0..1")


def test_segment_tta(data, trained, tmp_path):
    _, images, _, _ = data
    assert main(["segment", str(trained), str(images), "--out", str(tmp_path / "tta"), "--tta", "--probabilities",
                 "--quiet"]) == 0
    probs = tifffile.imread(tmp_path / "tta" / "probabilities" / "images.tif")
    seg = load_model(trained)
    expected = segment_image(seg, tifffile.imread(images)[1], tta=True).probability
    np.testing.assert_allclose(probs[1], expected, atol=1e-6)
