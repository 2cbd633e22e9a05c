"""Data sources of the course: synthetic cells and EM, the ISBI 2012 loader, the nuclei image, tiles."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from unet_course import data
from unet_course.data import (
    RENDERINGS,
    EMStack,
    cell_depth,
    load_isbi2012,
    load_nuclei,
    membrane_mask,
    split_by_slice,
    synthetic_cells,
    synthetic_em,
    synthetic_em_stack,
)

# ----------------------------------------------------------------------------- synthetic cells


@pytest.mark.parametrize("rendering", RENDERINGS)
def test_cells_every_rendering(rendering):
    s = synthetic_cells(96, 12, rendering=rendering, seed=2)
    assert s.image.shape == (96, 96) and s.image.dtype == np.float32
    assert 0.0 <= s.image.min() and s.image.max() <= 1.0
    ids = np.unique(s.instances)
    np.testing.assert_array_equal(ids, np.arange(ids.max() + 1))
    again = synthetic_cells(96, 12, rendering=rendering, seed=2)
    np.testing.assert_array_equal(s.image, again.image)


def test_cells_renderings_differ_but_share_labels():
    images = {r: synthetic_cells(96, 12, rendering=r, seed=4) for r in RENDERINGS}
    first = images[RENDERINGS[0]]
    for r, s in images.items():
        np.testing.assert_array_equal(s.instances, first.instances)
    assert len({s.image.tobytes() for s in images.values()}) == len(RENDERINGS)


def test_phase_contrast_has_bright_halos():
    # just outside the cells the image is brighter than far away on the background
    from scipy import ndimage as ndi

    s = synthetic_cells(192, 20, rendering="phase_contrast", noise=0.0, seed=3)
    outside = ndi.distance_transform_edt(s.instances == 0)
    halo = s.image[(outside >= 1) & (outside <= 3)].mean()
    far = s.image[outside > 15].mean()
    inside = s.image[s.instances > 0].mean()
    assert halo > far + 0.03 and inside < far


def test_dic_relief_is_antisymmetric():
    # a DIC cell is bright on one side and dark on the other: its mean stays near background
    s = synthetic_cells(192, 20, rendering="dic", noise=0.0, seed=3)
    inside = s.image[s.instances > 0]
    assert inside.max() - inside.min() > 0.3
    assert abs(np.median(inside) - np.median(s.image[s.instances == 0])) < 0.1


def test_cell_depth_against_brute_force():
    lab = np.zeros((9, 12), np.int32)
    lab[1:8, 1:6] = 1
    lab[1:8, 6:11] = 2  # touches cell 1
    depth = cell_depth(lab)
    assert depth.dtype == np.float32 and depth[lab == 0].max() == 0
    for cell in (1, 2):
        ys, xs = np.nonzero(lab == cell)
        assert np.isclose(depth[ys, xs].max(), 1.0)
        border = [(y, x) for y, x in zip(ys, xs) if any(
            lab[y + dy, x + dx] != cell for dy, dx in ((0, 1), (0, -1), (1, 0), (-1, 0)))]
        assert all(depth[y, x] == depth[ys, xs].min() for y, x in border)
    # the shared border is border for both cells: no depth leaks across it
    assert depth[4, 5] == depth[4, 6] == depth[lab > 0].min()


def test_cells_irregularity_validated():
    with pytest.raises(ValueError, match="irregularity"):
        synthetic_cells(64, 4, irregularity=0.9)
    with pytest.raises(ValueError, match="noise"):
        synthetic_cells(64, 4, noise=-1)


# ----------------------------------------------------------------------------- synthetic EM


def test_em_shapes_labels_and_seed():
    s = synthetic_em(128, seed=5)
    assert s.image.shape == s.labels.shape == s.cells.shape == (128, 128)
    assert s.image.dtype == np.float32 and s.labels.dtype == np.uint8 and s.cells.dtype == np.int32
    assert 0.0 <= s.image.min() and s.image.max() <= 1.0
    assert set(np.unique(s.labels)) == {0, 1}
    assert 0.08 < (s.labels == 0).mean() < 0.35  # ISBI 2012: 22 % membrane
    np.testing.assert_array_equal(s.image, synthetic_em(128, seed=5).image)
    assert not np.array_equal(s.image, synthetic_em(128, seed=6).image)


def test_em_membranes_are_dark_and_separate_cells():
    s = synthetic_em(128, seed=1, noise=0.0)
    assert s.image[s.labels == 0].mean() < s.image[s.labels == 1].mean() - 0.2
    # no two different cells meet without membrane between them
    lab, cells = s.labels, s.cells
    for a, b, la, lb in ((cells[:, 1:], cells[:, :-1], lab[:, 1:], lab[:, :-1]),
                         (cells[1:], cells[:-1], lab[1:], lab[:-1])):
        assert not ((a != b) & (la == 1) & (lb == 1)).any()


def test_membrane_mask_width():
    cells = np.ones((20, 20), np.int32)
    cells[:, 10:] = 2  # one vertical wall between columns 9 and 10
    for width, expected in ((1.0, 2), (3.0, 4), (5.0, 6)):
        cols = np.nonzero(membrane_mask(cells, width).any(0))[0]
        assert len(cols) == expected, (width, cols)
        assert cols.min() + cols.max() == 19  # symmetric about the wall


def test_em_stack_and_bad_arguments():
    st = synthetic_em_stack(3, 64, seed=1)
    assert isinstance(st, EMStack)
    assert st.images.shape == st.labels.shape == (3, 64, 64)
    np.testing.assert_array_equal(st.slices, [0, 1, 2])
    with pytest.raises(ValueError, match="at least 32"):
        synthetic_em(16)
    with pytest.raises(ValueError, match="membrane_width"):
        synthetic_em(64, membrane_width=(3, 1))


# ----------------------------------------------------------------------------- ISBI 2012


def _write_fake_isbi(root: Path, n: int = 3, size: int = 16) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    (root / "images").mkdir(parents=True)
    (root / "labels").mkdir()
    imgs = rng.integers(0, 256, size=(n, size, size), dtype=np.uint8)
    labs = np.where(rng.random((n, size, size)) < 0.2, 0, 255).astype(np.uint8)
    for k in range(n):
        Image.fromarray(imgs[k]).save(root / "images" / f"{k:02d}.png")
        Image.fromarray(labs[k]).save(root / "labels" / f"{k:02d}.png")
    return imgs, labs


def test_isbi_reads_a_folder(tmp_path):
    imgs, labs = _write_fake_isbi(tmp_path)
    st = load_isbi2012(tmp_path)
    assert st.images.dtype == np.float32 and st.labels.dtype == np.uint8
    np.testing.assert_allclose(st.images, imgs / 255.0, atol=1e-7)
    np.testing.assert_array_equal(st.labels, labs == 255)
    np.testing.assert_array_equal(st.slices, [0, 1, 2])


def test_isbi_reads_the_environment_variable(tmp_path, monkeypatch):
    _write_fake_isbi(tmp_path, n=2)
    monkeypatch.setenv(data.DATA_ENV, str(tmp_path))
    assert load_isbi2012().images.shape == (2, 16, 16)
    assert data.isbi_available()


def test_isbi_missing_gives_instructions(tmp_path, monkeypatch):
    monkeypatch.delenv(data.DATA_ENV, raising=False)
    with pytest.raises(FileNotFoundError, match="UNET_COURSE_DATA") as err:
        load_isbi2012()
    assert "ISBI 2012" in str(err.value) and "images/00.png" in str(err.value)
    with pytest.raises(FileNotFoundError, match="images/ or labels/"):
        load_isbi2012(tmp_path / "nowhere")
    monkeypatch.setenv(data.DATA_ENV, str(tmp_path / "nowhere"))
    assert not data.isbi_available()
    (tmp_path / "images").mkdir()
    (tmp_path / "labels").mkdir()
    with pytest.raises(FileNotFoundError, match="no PNG"):
        load_isbi2012(tmp_path)


def test_isbi_rejects_non_binary_labels(tmp_path):
    _write_fake_isbi(tmp_path, n=1)
    Image.fromarray(np.full((16, 16), 128, np.uint8)).save(tmp_path / "labels" / "00.png")
    with pytest.raises(ValueError, match="expected 0 .membrane. and 255"):
        load_isbi2012(tmp_path)


def test_split_by_slice():
    st = synthetic_em_stack(6, 32)
    train, held = split_by_slice(st, 2)
    np.testing.assert_array_equal(train.slices, [0, 1, 2, 3])
    np.testing.assert_array_equal(held.slices, [4, 5])
    np.testing.assert_array_equal(held.images, st.images[4:])
    train, held = split_by_slice(st, [0, 3])
    np.testing.assert_array_equal(held.slices, [0, 3])
    np.testing.assert_array_equal(train.labels, st.labels[[1, 2, 4, 5]])
    for bad in (0, 6, [7], []):
        with pytest.raises(ValueError, match="held_out"):
            split_by_slice(st, bad)


@pytest.fixture(scope="module")
def isbi() -> EMStack:
    root = os.environ.get(data.DATA_ENV, "")
    if not root or not Path(root).is_dir():
        pytest.skip(f"ISBI 2012 data not found: set {data.DATA_ENV} to its folder (make test does)")
    return load_isbi2012()


def test_isbi_real_data(isbi):
    assert isbi.images.shape == isbi.labels.shape == (30, 512, 512)
    assert isbi.images.dtype == np.float32 and isbi.labels.dtype == np.uint8
    assert 0.0 <= isbi.images.min() and isbi.images.max() <= 1.0
    assert set(np.unique(isbi.labels)) == {0, 1}
    np.testing.assert_array_equal(isbi.slices, np.arange(30))
    assert 0.15 < (isbi.labels == 0).mean() < 0.3  # about 22 % membrane
    # membranes are dark in the EM images
    assert isbi.images[isbi.labels == 0].mean() < isbi.images[isbi.labels == 1].mean() - 0.1
    train, held = split_by_slice(isbi)
    assert len(train.images) == 25 and list(held.slices) == [25, 26, 27, 28, 29]


# ----------------------------------------------------------------------------- nuclei


def test_nuclei_image():
    pytest.importorskip("tifffile")
    s = load_nuclei()
    assert s.image.shape == s.instances.shape == (512, 512)
    assert s.image.dtype == np.float32 and s.instances.dtype == np.int32
    assert s.image.min() == 0.0 and s.image.max() == 1.0
    np.testing.assert_array_equal(np.unique(s.instances), np.arange(126))  # 125 nuclei
    assert s.image[s.instances > 0].mean() > 2 * s.image[s.instances == 0].mean()


def test_nuclei_missing_package(monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "stardist" else real(name, *a))
    with pytest.raises(FileNotFoundError, match=r"pip install --no-deps stardist==0\.9\.2"):
        load_nuclei()


def test_nuclei_missing_file(monkeypatch, tmp_path):
    import importlib.machinery
    import importlib.util

    real = importlib.util.find_spec
    fake = importlib.machinery.ModuleSpec("stardist", None, is_package=True)
    fake.submodule_search_locations = [str(tmp_path)]
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: fake if name == "stardist" else real(name, *a))
    with pytest.raises(FileNotFoundError, match="img2d.tif is missing"):
        load_nuclei()


# ----------------------------------------------------------------------------- tiles


@pytest.fixture(scope="module")
def smooth_pair():
    from scipy import ndimage as ndi

    rng = np.random.default_rng(0)
    images, labels = [], []
    for k in range(2):
        img = ndi.gaussian_filter(rng.random((90, 110)), 4)
        img = (img - img.min()) / (img.max() - img.min())
        images.append(img.astype(np.float32))
        labels.append((img > 0.5).astype(np.int32))
    return images, labels


def test_tiles_valid_shapes_and_dtypes(smooth_pair):
    from unet_course.augment import Augmenter
    from unet_course.data import TileDataset

    images, labels = smooth_pair
    weights = [img * 3 for img in images]
    ds = TileDataset(images, labels, weights, tile_size=60, output_size=20, augmenter=Augmenter(), length=7)
    assert len(ds) == 7 and ds.margin == (20, 20)
    x, y, w = ds[3]
    assert x.shape == (1, 60, 60) and x.dtype == torch.float32
    assert y.shape == (20, 20) and y.dtype == torch.int64
    assert w.shape == (20, 20) and w.dtype == torch.float32
    assert set(torch.unique(y).tolist()) <= {0, 1}
    assert 0 <= float(x.min()) and float(x.max()) <= 1
    same = TileDataset(images, labels, tile_size=(32, 48), length=3)
    x, y = same[0]
    assert x.shape == (1, 32, 48) and y.shape == (32, 48)


def test_tiles_without_augmentation_are_crops(smooth_pair):
    from unet_course.data import TileDataset

    images, labels = smooth_pair
    ds = TileDataset(images, labels, tile_size=50, output_size=30, length=20, seed=3)
    for i in range(20):
        x, y = ds[i]
        k, coords = ds.coordinates(i)
        top, left = int(coords[0, 10, 10]), int(coords[1, 10, 10])  # first label pixel
        np.testing.assert_array_equal(y.numpy(), labels[k][top : top + 30, left : left + 30])
        # the input tile is the mirror-padded image around the label tile
        padded = np.pad(images[k], 10, mode="reflect")
        np.testing.assert_allclose(x[0].numpy(), padded[top : top + 50, left : left + 50], atol=1e-5)


def test_tiles_keep_image_labels_and_weights_aligned(smooth_pair):
    from unet_course.augment import Augmenter
    from unet_course.data import TileDataset

    images, labels = smooth_pair
    aug = Augmenter(max_shift=3, elastic_sigma=8, gray=False)
    ds = TileDataset(images, labels, images, tile_size=64, output_size=40, augmenter=aug, length=10)
    for i in range(10):
        x, y, w = ds[i]
        centre = x[0, 12:52, 12:52].numpy()
        # weights (linear) and image (cubic) of one smooth map agree, and the labels threshold it
        np.testing.assert_allclose(w.numpy(), centre, atol=0.02)
        assert ((centre > 0.5) == y.numpy().astype(bool)).mean() > 0.97


def test_tiles_are_deterministic(smooth_pair):
    from unet_course.augment import Augmenter
    from unet_course.data import TileDataset

    images, labels = smooth_pair
    make = lambda seed: TileDataset(images, labels, tile_size=40, augmenter=Augmenter(), seed=seed)  # noqa: E731
    a, b, c = make(1), make(1), make(2)
    assert torch.equal(a[5][0], b[5][0]) and torch.equal(a[5][1], b[5][1])
    assert torch.equal(a[5][0], a[5][0]) and not torch.equal(a[5][0], a[6][0])
    assert not torch.equal(a[5][0], c[5][0])


def test_tiles_bad_arguments(smooth_pair):
    from unet_course.data import TileDataset

    images, labels = smooth_pair
    with pytest.raises(ValueError, match="whole, non-negative"):
        TileDataset(images, labels, tile_size=50, output_size=31)
    with pytest.raises(ValueError, match="whole, non-negative"):
        TileDataset(images, labels, tile_size=20, output_size=30)
    with pytest.raises(ValueError, match="as many label maps"):
        TileDataset(images, labels[:1], tile_size=20)
    with pytest.raises(ValueError, match="smaller than the label tile"):
        TileDataset(images, labels, tile_size=200)
    with pytest.raises(TypeError, match="integer"):
        TileDataset(images, [lab.astype(float) for lab in labels], tile_size=20)
    with pytest.raises(IndexError):
        TileDataset(images, labels, tile_size=20, length=3)[3]


def test_tiles_fit_a_valid_unet(smooth_pair):
    models = pytest.importorskip("unet_course.models")
    from unet_course.data import TileDataset

    net = models.UNet(1, 2, base_channels=4, depth=2, padding="valid")
    n = net.valid_input_size(60)
    ds = TileDataset(*smooth_pair, tile_size=n, output_size=net.output_size(n), length=2)
    x, y = ds[0]
    assert net(x[None]).shape[-2:] == y.shape


def test_isbi_reads_the_challenge_tiffs(tmp_path):
    import tifffile

    rng = np.random.default_rng(1)
    volume = rng.integers(0, 256, size=(4, 12, 10), dtype=np.uint8)
    labels = np.where(rng.random((4, 12, 10)) < 0.2, 0, 255).astype(np.uint8)
    tifffile.imwrite(tmp_path / "train-volume.tif", volume, photometric="minisblack")  # one page per slice
    tifffile.imwrite(tmp_path / "train-labels.tif", labels, photometric="minisblack")
    with tifffile.TiffFile(tmp_path / "train-volume.tif") as tif:
        assert len(tif.pages) == 4  # a real multi-page TIFF
    st = load_isbi2012(tmp_path)
    np.testing.assert_allclose(st.images, volume / 255.0, atol=1e-7)
    np.testing.assert_array_equal(st.labels, labels == 255)
    np.testing.assert_array_equal(st.slices, np.arange(4))
    assert data.isbi_available(tmp_path)
    # the same slices written as PNGs give the same stack
    png = tmp_path / "png"
    (png / "images").mkdir(parents=True)
    (png / "labels").mkdir()
    for k in range(4):
        Image.fromarray(volume[k]).save(png / "images" / f"{k:02d}.png")
        Image.fromarray(labels[k]).save(png / "labels" / f"{k:02d}.png")
    other = load_isbi2012(png)
    np.testing.assert_array_equal(other.images, st.images)
    np.testing.assert_array_equal(other.labels, st.labels)
    # a label TIFF with grey values other than 0 and 255 is refused
    tifffile.imwrite(tmp_path / "train-labels.tif", np.full((4, 12, 10), 128, np.uint8), photometric="minisblack")
    with pytest.raises(ValueError, match="train-labels.tif.*expected 0 .membrane. and 255"):
        load_isbi2012(tmp_path)
    tifffile.imwrite(tmp_path / "train-labels.tif", labels[:3], photometric="minisblack")
    with pytest.raises(ValueError, match="differ in shape"):
        load_isbi2012(tmp_path)


def test_isbi_error_names_both_layouts(tmp_path):
    with pytest.raises(FileNotFoundError) as err:
        load_isbi2012(tmp_path)
    msg = str(err.value)
    for part in ("images/00.png", "labels/00.png", "train-volume.tif", "train-labels.tif"):
        assert part in msg, part
    (tmp_path / "train-volume.tif").write_bytes(b"")
    with pytest.raises(FileNotFoundError, match="no images/ or labels/ sub-folder and no train-labels.tif"):
        load_isbi2012(tmp_path)


def test_tile_dataset_names_the_input_tile_side_as_tiling_does():
    """tile_size, as in plan_tiles and predict_tiled, and required."""
    image, labels = np.random.default_rng(0).random((40, 40)).astype(np.float32), np.zeros((40, 40), np.int64)
    new = data.TileDataset([image], [labels], tile_size=20, output_size=12, length=2)
    assert new.tile_size == (20, 20) and new.output_size == (12, 12)
    with pytest.raises(TypeError, match="tile_size"):
        data.TileDataset([image], [labels])
