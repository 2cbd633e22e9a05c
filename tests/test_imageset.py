"""unet_course.data.imageset and unet_course.data.scaling: reading image sets, clear errors."""

import json
import warnings

import numpy as np
import pytest
import tifffile
from PIL import Image

from unet_course.data.imageset import check_labels, read_image_set, read_pairs
from unet_course.data.scaling import Scaling, scale_image


def _labels(n, h=24, w=30):
    lab = np.zeros((n, h, w), dtype=np.uint16)
    for k in range(n):
        lab[k, 2:8, 3:9] = 1
        lab[k, 10:20, 12:25] = 2 + k
    return lab


def test_stack_single_tiff_png_and_folder(tmp_path):
    stack = np.arange(3 * 24 * 30, dtype=np.uint16).reshape(3, 24, 30)
    tifffile.imwrite(tmp_path / "stack.tif", stack, photometric="minisblack")
    s = read_image_set(tmp_path / "stack.tif")
    assert len(s) == 3 and s.frames[1].dtype == np.uint16
    np.testing.assert_array_equal(s.frames[2], stack[2])
    assert s.name(2) == "stack.tif[2]"

    folder = tmp_path / "folder"
    folder.mkdir()
    Image.fromarray(stack[0].astype(np.uint8)).save(folder / "b.png")
    tifffile.imwrite(folder / "a.tif", stack[1])
    (folder / ".hidden").write_text("skipped")
    s = read_image_set(folder)
    assert [f.name for f in s.files] == ["a.tif", "b.png"]  # sorted by name
    np.testing.assert_array_equal(s.frames[0], stack[1])
    np.testing.assert_array_equal(s.frames[1], stack[0].astype(np.uint8))
    assert s.name(0) == "a.tif"


def test_pairs_by_name_and_by_frame_index(tmp_path):
    (tmp_path / "img").mkdir()
    (tmp_path / "lab").mkdir()
    lab = _labels(2)
    for k, name in enumerate(["x", "y"]):
        tifffile.imwrite(tmp_path / "img" / f"{name}.tif", np.full((24, 30), k, np.uint8))
    # labels saved as PNG under the same names, written in the other order
    Image.fromarray(lab[1].astype(np.uint8)).save(tmp_path / "lab" / "y.png")
    Image.fromarray(lab[0].astype(np.uint8)).save(tmp_path / "lab" / "x.png")
    images, labels = read_pairs(tmp_path / "img", tmp_path / "lab")
    assert [f.name for f in labels.files] == ["x.png", "y.png"]
    np.testing.assert_array_equal(labels.frames[1], lab[1])

    # different names, same counts: by frame index, with a warning
    (tmp_path / "lab2").mkdir()
    for k in range(2):
        tifffile.imwrite(tmp_path / "lab2" / f"mask{k}.tif", lab[k])
    with pytest.warns(UserWarning, match="frame index"):
        _, labels = read_pairs(tmp_path / "img", tmp_path / "lab2")
    np.testing.assert_array_equal(labels.frames[0], lab[0])

    # a stack against a stack: by frame index, no warning
    tifffile.imwrite(tmp_path / "i.tif", np.zeros((2, 24, 30), np.uint16), photometric="minisblack")
    tifffile.imwrite(tmp_path / "l.tif", lab, photometric="minisblack")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        images, labels = read_pairs(tmp_path / "i.tif", tmp_path / "l.tif")
    assert len(images) == len(labels) == 2


def test_different_counts_and_sizes_raise(tmp_path):
    tifffile.imwrite(tmp_path / "i3.tif", np.zeros((3, 24, 30), np.uint16), photometric="minisblack")
    tifffile.imwrite(tmp_path / "l2.tif", _labels(2), photometric="minisblack")
    with pytest.raises(ValueError, match="3 images frame.*2 labels frame"):
        read_pairs(tmp_path / "i3.tif", tmp_path / "l2.tif")
    tifffile.imwrite(tmp_path / "i2.tif", np.zeros((2, 24, 31), np.uint16), photometric="minisblack")
    with pytest.raises(ValueError, match=r"24 x 31 pixels but its labels .* 24 x 30"):
        read_pairs(tmp_path / "i2.tif", tmp_path / "l2.tif")


def test_empty_label_set_raises(tmp_path):
    tifffile.imwrite(tmp_path / "i.tif", np.zeros((2, 24, 30), np.uint16), photometric="minisblack")
    tifffile.imwrite(tmp_path / "l.tif", np.zeros((2, 24, 30), np.uint16), photometric="minisblack")
    with pytest.raises(ValueError, match="hold no object"):
        read_pairs(tmp_path / "i.tif", tmp_path / "l.tif")


def test_bad_labels_raise(tmp_path):
    tifffile.imwrite(tmp_path / "f.tif", np.full((24, 30), 0.5, np.float32))
    with pytest.raises(ValueError, match="fractional"):
        check_labels(read_image_set(tmp_path / "f.tif"))
    tifffile.imwrite(tmp_path / "n.tif", np.full((24, 30), -1, np.int16))
    with pytest.raises(ValueError, match="negative"):
        check_labels(read_image_set(tmp_path / "n.tif"))


def test_files_that_are_not_images_raise(tmp_path):
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(ValueError, match="not a .tif"):
        read_image_set(tmp_path / "notes.txt")
    (tmp_path / "broken.tif").write_bytes(b"this is not a TIFF file at all")
    with pytest.raises(ValueError, match="not a readable TIFF or PNG"):
        read_image_set(tmp_path / "broken.tif")
    folder = tmp_path / "mixed"
    folder.mkdir()
    tifffile.imwrite(folder / "a.tif", np.zeros((8, 8), np.uint8))
    (folder / "readme.md").write_text("x")
    with pytest.raises(ValueError, match="not images.*readme.md"):
        read_image_set(folder)
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="holds no"):
        read_image_set(tmp_path / "empty")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        read_image_set(tmp_path / "missing.tif")
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(tmp_path / "rgb.png")
    with pytest.raises(ValueError, match="colour"):
        read_image_set(tmp_path / "rgb.png")
    tifffile.imwrite(tmp_path / "rgb.tif", np.zeros((8, 8, 3), np.uint8), photometric="rgb")
    with pytest.raises(ValueError, match="colour samples"):
        read_image_set(tmp_path / "rgb.tif")
    tifffile.imwrite(tmp_path / "4d.tif", np.zeros((2, 3, 8, 8), np.uint8), photometric="minisblack")
    with pytest.raises(ValueError, match="4-D"):
        read_image_set(tmp_path / "4d.tif")


def test_scaling_rule_on_uint16_and_round_trip():
    rng = np.random.default_rng(0)
    raw = (1000 + 300 * rng.random((64, 64))).astype(np.uint16)  # a 16-bit camera's narrow range
    out = scale_image(raw)
    assert out.dtype == np.float32 and out.min() == 0.0 and out.max() == 1.0
    lo, hi = np.percentile(raw.astype(np.float64), [1, 99.8])
    inside = (raw >= lo) & (raw <= hi)
    np.testing.assert_allclose(out[inside], ((raw[inside] - lo) / (hi - lo)), rtol=1e-5, atol=1e-6)
    rule = Scaling(2.0, 99.0, clip=False)
    back = Scaling.from_dict(json.loads(json.dumps(rule.to_dict())))
    assert back == rule
    assert Scaling(0, 100)(raw).max() == 1.0  # min-max
    assert not np.any(Scaling(0, 100)(np.full((4, 4), 7, np.uint8)))  # constant -> zeros
    with pytest.raises(ValueError, match="0 <= low < high <= 100"):
        Scaling(50, 10)
    with pytest.raises(ValueError, match="NaN"):
        scale_image(np.array([[np.nan, 1.0]]))
    with pytest.raises(ValueError, match="not a stored scaling rule"):
        Scaling.from_dict({"rule": "divide by 255"})


def _hyperstack(shape, seed=0):
    return np.random.default_rng(seed).integers(0, 4000, size=shape, dtype=np.uint16)


def test_imagej_hyperstack_channels_are_refused_unless_chosen(tmp_path):
    a = _hyperstack((2, 3, 16, 20))  # T, C, Y, X
    tifffile.imwrite(tmp_path / "tc.tif", a, imagej=True, metadata={"axes": "TCYX"})
    with pytest.raises(ValueError, match=r"holds 3 channels \(axis 'C' of size 3; axes 'TCYX'.*--channel N \(N = 0..2"
                                         r".*--channels 3"):
        read_image_set(tmp_path / "tc.tif")
    one = read_image_set(tmp_path / "tc.tif", channel=1)
    assert len(one) == 2 and one.channels == 1 and one.name(1) == "tc.tif[1]"
    np.testing.assert_array_equal(one.frames[1], a[1, 1])
    every = read_image_set(tmp_path / "tc.tif", channels=3)
    assert len(every) == 2 and every.channels == 3 and every.frames[0].shape == (3, 16, 20)
    np.testing.assert_array_equal(every.frames[1], a[1])
    with pytest.raises(ValueError, match=r"--channel 3 is out of range: .* 3 channel\(s\).*numbered 0..2"):
        read_image_set(tmp_path / "tc.tif", channel=3)
    with pytest.raises(ValueError, match=r"--channels 2, but .* holds 3 channel\(s\)"):
        read_image_set(tmp_path / "tc.tif", channels=2)
    with pytest.raises(ValueError, match="not both"):
        read_image_set(tmp_path / "tc.tif", channel=0, channels=3)

    b = _hyperstack((2, 3, 2, 16, 20), seed=1)  # T, Z, C, Y, X: every plane of every time point is a frame
    tifffile.imwrite(tmp_path / "tzc.tif", b, imagej=True, metadata={"axes": "TZCYX"})
    planes = read_image_set(tmp_path / "tzc.tif", channel=0)
    assert len(planes) == 6
    for k, (t, z) in enumerate((t, z) for t in range(2) for z in range(3)):
        np.testing.assert_array_equal(planes.frames[k], b[t, z, 0])


def test_ome_tiff_channels_and_planes(tmp_path):
    a = _hyperstack((3, 16, 20), seed=2)
    tifffile.imwrite(tmp_path / "c.ome.tif", a, ome=True, metadata={"axes": "CYX"})
    with pytest.raises(ValueError, match=r"3 channels \(axis 'C' of size 3; axes 'CYX'"):
        read_image_set(tmp_path / "c.ome.tif")  # was read as 3 frames
    np.testing.assert_array_equal(read_image_set(tmp_path / "c.ome.tif", channel=2).frames[0], a[2])
    tifffile.imwrite(tmp_path / "z.ome.tif", a, ome=True, metadata={"axes": "ZYX"})
    z = read_image_set(tmp_path / "z.ome.tif")
    assert len(z) == 3 and z.channels == 1
    np.testing.assert_array_equal(z.frames[2], a[2])


def test_rgb_is_refused_unless_a_channel_is_chosen_and_grey_has_one(tmp_path):
    rgb = _hyperstack((16, 20, 3), seed=3).astype(np.uint8)
    tifffile.imwrite(tmp_path / "rgb.tif", rgb, photometric="rgb")
    with pytest.raises(ValueError, match=r"3 colour samples \(axis 'S' of size 3.*--channel N.*photometric='minisblack'"):
        read_image_set(tmp_path / "rgb.tif")
    np.testing.assert_array_equal(read_image_set(tmp_path / "rgb.tif", channel=1).frames[0], rgb[..., 1])
    Image.fromarray(rgb).save(tmp_path / "rgb.png")
    with pytest.raises(ValueError, match=r"colour image \(mode RGB\).*--channel N \(N = 0..2"):
        read_image_set(tmp_path / "rgb.png")
    np.testing.assert_array_equal(read_image_set(tmp_path / "rgb.png", channel=2).frames[0], rgb[..., 2])
    assert read_image_set(tmp_path / "rgb.png", channels=3).frames[0].shape == (3, 16, 20)
    tifffile.imwrite(tmp_path / "grey.tif", rgb[..., 0])
    np.testing.assert_array_equal(read_image_set(tmp_path / "grey.tif", channel=0).frames[0], rgb[..., 0])
    with pytest.raises(ValueError, match=r"--channel 1 is out of range: .* 1 channel\(s\)"):
        read_image_set(tmp_path / "grey.tif", channel=1)


def test_pairs_of_multichannel_images_with_grey_labels(tmp_path):
    a = _hyperstack((2, 2, 24, 30), seed=4)
    tifffile.imwrite(tmp_path / "i.tif", a, imagej=True, metadata={"axes": "TCYX"})
    tifffile.imwrite(tmp_path / "l.tif", _labels(2), photometric="minisblack")
    images, labels = read_pairs(tmp_path / "i.tif", tmp_path / "l.tif", channels=2)
    assert images.frames[0].shape == (2, 24, 30) and labels.frames[0].shape == (24, 30)
    tifffile.imwrite(tmp_path / "l2.tif", np.stack([_labels(2)] * 2, axis=1), imagej=True, metadata={"axes": "TCYX"})
    with pytest.raises(ValueError, match="labels .* holds 2 channels .*labels hold one channel of instance ids"):
        read_pairs(tmp_path / "i.tif", tmp_path / "l2.tif", channels=2)
