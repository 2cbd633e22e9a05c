"""unet_course.segment: whole images into instances, model files and their errors."""

import numpy as np
import pytest
import torch
from skimage.segmentation import expand_labels

from unet_course.data.scaling import Scaling
from unet_course.metrics.instances import instances_from_foreground
from unet_course.models import UNet
from unet_course.segment import Segmenter, load_model, package_dir, save_model, scale_channels, segment_image
from unet_course.tiling import predict_tiled
from unet_course.train import save_checkpoint


def _net(seed=0):
    torch.manual_seed(seed)
    return UNet(in_channels=1, num_classes=2, base_channels=4, depth=2, padding="valid").eval()


def test_segment_image_follows_its_rule():
    net = _net()
    image = np.random.default_rng(0).random((50, 70)).astype(np.float32)
    result = segment_image(net, image, grow=1)
    prob = torch.softmax(torch.from_numpy(predict_tiled(net, image, progress=False)), 0)[1].numpy()
    np.testing.assert_allclose(result.probability, prob, atol=1e-6)
    fg = prob > 0.5
    assert 0 < fg.mean() < 1, "the random network should give some foreground and some background"
    expected = expand_labels(instances_from_foreground(fg), distance=1)
    np.testing.assert_array_equal(result.instances, expected)
    assert result.instances.shape == image.shape and result.instances.dtype == np.int32
    # min_size drops small components; grow=0 keeps the thresholded foreground
    bare = segment_image(net, image, grow=0, min_size=0).instances
    np.testing.assert_array_equal(bare > 0, fg)


def test_segmenter_scales_raw_images_with_its_rule():
    net = _net()
    rule = Scaling(1, 99.8)
    raw = (np.random.default_rng(1).random((40, 40)) * 3000 + 500).astype(np.uint16)
    a = segment_image(Segmenter(net, rule), raw)
    b = segment_image(net, rule(raw))
    np.testing.assert_array_equal(a.instances, b.instances)
    with pytest.raises(TypeError, match="Scaling"):
        segment_image(net, raw)  # a bare network refuses raw integers


def test_model_file_round_trip(tmp_path):
    net = _net(3)
    path = save_model(tmp_path / "m.pt", Segmenter(net, Scaling(2, 99), 1, {"tile": 44}))
    loaded = load_model(path)
    assert loaded.scaling == Scaling(2, 99) and loaded.meta["tile"] == 44 and loaded.radius == 1
    for (k, v), (k2, v2) in zip(net.state_dict().items(), loaded.model.state_dict().items()):
        assert k == k2 and torch.equal(v, v2)
    assert not [p.name for p in tmp_path.iterdir() if p.name != "m.pt"], "no temporary file left behind"


def test_model_files_that_are_not_ours(tmp_path):
    junk = tmp_path / "junk.pt"
    junk.write_bytes(b"\x80\x04 not a pickle, not a zip")
    with pytest.raises(ValueError, match="not a model file written by 'python -m unet_course train'"):
        load_model(junk)
    text = tmp_path / "notes.pt"
    text.write_text("hello")
    with pytest.raises(ValueError, match="not a model file"):
        load_model(text)
    other = tmp_path / "other.pt"
    torch.save({"weights": torch.zeros(3)}, other)
    with pytest.raises(ValueError, match="not a model file"):
        load_model(other)
    plain = save_checkpoint(tmp_path / "plain.pt", _net())  # ours, but no scaling rule
    with pytest.raises(ValueError, match="stores no scaling rule"):
        load_model(plain)
    with pytest.raises(FileNotFoundError, match="no model file"):
        load_model(tmp_path / "missing.pt")


def test_never_writes_inside_the_package():
    with pytest.raises(ValueError, match="inside the installed unet_course package"):
        save_model(package_dir() / "checkpoints" / "mine.pt", Segmenter(_net(), Scaling()))
    assert not (package_dir() / "checkpoints" / "mine.pt").exists()


def test_tta_averages_the_eight_symmetries():
    from unet_course.tiling import DIHEDRAL, dihedral_transform

    net = _net(1)
    image = np.random.default_rng(2).random((37, 52)).astype(np.float32)
    result = segment_image(net, image, tta=True)
    # an independent reference: transform, predict, transform back, average soft-max probabilities
    total = 0
    for name in DIHEDRAL:
        x = dihedral_transform(torch.from_numpy(image)[None], name).contiguous()[0].numpy()
        scores = torch.from_numpy(predict_tiled(net, x, progress=False))
        total = total + torch.softmax(dihedral_transform(scores, name, inverse=True), 0)[1].numpy()
    np.testing.assert_allclose(result.probability, total / len(DIHEDRAL), atol=1e-6)
    plain = segment_image(net, image).probability
    assert np.abs(result.probability - plain).max() > 1e-4, "averaging should change a random network's output"
    np.testing.assert_array_equal(result.instances, instances_from_foreground(result.probability > 0.5))


def test_multichannel_frames_are_scaled_per_channel():
    torch.manual_seed(0)
    net = UNet(in_channels=2, num_classes=2, base_channels=4, depth=2, padding="valid").eval()
    rng = np.random.default_rng(3)
    raw = np.stack([rng.random((40, 40)) * 100, rng.random((40, 40)) * 40000 + 1000]).astype(np.float32)
    rule = Scaling(1, 99.8)
    scaled = scale_channels(rule, raw)
    np.testing.assert_array_equal(scaled[1], rule(raw[1]))
    assert scaled[0].max() == scaled[1].max() == 1.0, "each channel reaches 1 on its own"
    a = segment_image(Segmenter(net, rule), raw)
    np.testing.assert_array_equal(a.probability, segment_image(net, scaled).probability)
    with pytest.raises(ValueError, match=r"takes 2 input channel\(s\): the image must be one frame of 2 channels"):
        segment_image(Segmenter(net, rule), raw[0])
    with pytest.raises(ValueError, match=r"takes 1 input channel\(s\): the image must be one 2-D grey frame"):
        segment_image(Segmenter(_net(), rule), raw)


def test_history_file_is_written_atomically_and_recognised(tmp_path):
    from unet_course.segment import history_path, is_history_file, write_history
    from unet_course.train import History

    assert history_path(tmp_path / "model.pt") == tmp_path / "model.history.csv"
    h = History(step=[1, 2, 3, 4], loss=[4.0, 2.0, 1.0, 3.0],
                evals=[{"step": 4, "val_iou": 0.5, "val_f1": 0.25, "seconds": 9.5},
                       {"step": 0, "val_iou": 0.1, "val_f1": 0.0, "seconds": 0.0},
                       {"step": 2, "val_iou": 0.4, "val_f1": 0.2, "seconds": 3.0}])
    path = write_history(tmp_path / "m.history.csv", h)
    assert path.read_text().splitlines() == ["step,loss,val_iou,val_f1,seconds", "0,,0.1,0,0", "2,3,0.4,0.2,3",
                                             "4,2,0.5,0.25,9.5"]
    assert is_history_file(path) and [p.name for p in tmp_path.iterdir()] == ["m.history.csv"]
    (tmp_path / "mine.csv").write_text("step,loss\n1,2\n")
    assert not is_history_file(tmp_path / "mine.csv") and not is_history_file(tmp_path / "absent.csv")


def test_start_network_takes_the_settings_from_the_file(tmp_path):
    from unet_course.segment import start_network

    shipped = package_dir() / "checkpoints" / "ch09_nuclei.pt"
    ckpt = start_network(shipped, resume=False, given={"--depth": 3, "--base-channels": None})
    assert ckpt.model.depth == 3 and ckpt.model.base_channels == 8
    with pytest.raises(ValueError, match="--depth 4 differs from 3 in .*leave --depth out"):
        start_network(shipped, resume=False, given={"--depth": 4})
    with pytest.raises(ValueError, match="not a model file of 'python -m unet_course train'.*use --init"):
        start_network(shipped, resume=True)
    no_optimizer = save_model(tmp_path / "m.pt", Segmenter(_net(), Scaling()))
    with pytest.raises(ValueError, match="holds no optimizer state"):
        start_network(no_optimizer, resume=True)
    torch.manual_seed(0)
    same = save_checkpoint(tmp_path / "same.pt", UNet(1, 2, base_channels=4, depth=2, padding="same"))
    with pytest.raises(ValueError, match="valid convolutions"):
        start_network(same, resume=False)
