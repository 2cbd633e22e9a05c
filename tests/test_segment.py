"""unet_course.segment: whole images into instances, model files and their errors."""

import numpy as np
import pytest
import torch
from skimage.segmentation import expand_labels

from unet_course.data.scaling import Scaling
from unet_course.metrics.instances import instances_from_foreground
from unet_course.models import UNet
from unet_course.segment import Segmenter, load_model, package_dir, save_model, segment_image
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
