"""Augmentation: elastic deformation against elasticdeform, rigid transforms against numpy, torch against numpy.

elasticdeform (the reference implementation) is optional: without it only the tests comparing
against it are skipped, with the reason.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from scipy import ndimage as ndi

from unet_course import augment as A

INTERIOR = (slice(12, -12), slice(12, -12))


def _elasticdeform():
    """The reference implementation, or a skip of the calling test when it is not installed."""
    return pytest.importorskip(
        "elasticdeform", reason="elasticdeform (the reference implementation) is not installed; make venv builds it"
    )


@pytest.fixture
def sample():
    rng = np.random.default_rng(0)
    image = ndi.gaussian_filter(rng.random((70, 90)), 2).astype(np.float32)
    image = (image - image.min()) / (image.max() - image.min())
    labels = rng.integers(0, 5, size=(70, 90)).astype(np.int32)
    weights = rng.random((70, 90)) * 10
    return image, labels, weights


# ----------------------------------------------------------------------------- elastic deformation


@pytest.mark.parametrize("grid", [(3, 3), (4, 5)])
def test_elastic_equals_elasticdeform(sample, grid):
    image, labels, weights = sample
    displacement = np.random.default_rng(1).normal(0, 10, size=(2, *grid))
    ours = A.elastic_deform(image, labels, weights, displacement=displacement)
    ref = _elasticdeform().deform_grid([image, labels, weights], displacement, order=[3, 0, 1], mode="mirror")
    np.testing.assert_allclose(ours.image[INTERIOR], ref[0][INTERIOR], atol=1e-4)
    np.testing.assert_array_equal(ours.labels[INTERIOR], ref[1][INTERIOR])
    np.testing.assert_allclose(ours.weights[INTERIOR], ref[2][INTERIOR], atol=1e-4)
    assert ours.image.dtype == np.float32 and ours.labels.dtype == np.int32


def test_elastic_multichannel_image(sample):
    elasticdeform = _elasticdeform()
    image, labels, _ = sample
    stack = np.stack([image, 1 - image])
    displacement = A.random_coarse_displacement(3)
    ours = A.elastic_deform(stack, labels, displacement=displacement)
    for c in range(2):
        ref = elasticdeform.deform_grid(stack[c], displacement, order=3, mode="mirror")
        np.testing.assert_allclose(ours.image[c][INTERIOR], ref[INTERIOR], atol=1e-4)


def test_dense_displacement_hits_the_grid_nodes():
    coarse = np.random.default_rng(2).normal(0, 10, size=(2, 3, 4))
    dense = A.dense_displacement(coarse, (41, 61))
    assert dense.shape == (2, 41, 61)
    nodes_y, nodes_x = [0, 20, 40], [0, 20, 40, 60]
    np.testing.assert_allclose(dense[:, nodes_y][:, :, nodes_x], coarse, atol=1e-12)
    # smooth: neighbouring pixels differ by far less than sigma
    assert np.abs(np.diff(dense, axis=1)).max() < 3 and np.abs(np.diff(dense, axis=2)).max() < 3


def test_elastic_identity_at_sigma_zero(sample):
    image, labels, weights = sample
    out = A.elastic_deform(image, labels, weights, rng=np.random.default_rng(0), sigma=0.0)
    np.testing.assert_allclose(out.image, image, atol=1e-6)
    np.testing.assert_array_equal(out.labels, labels)
    np.testing.assert_allclose(out.weights, weights, atol=1e-12)


def test_elastic_keeps_the_label_set(sample):
    image, labels, weights = sample
    sparse = np.where(labels > 2, 7, -3).astype(np.int16)  # unusual values: nearest must not mix them
    out = A.elastic_deform(image, sparse, rng=np.random.default_rng(5), sigma=25.0)
    assert set(np.unique(out.labels)) <= {7, -3} and out.labels.dtype == np.int16


def test_elastic_deterministic_under_a_seed(sample):
    image, labels, _ = sample
    a = A.elastic_deform(image, labels, rng=np.random.default_rng(11))
    b = A.elastic_deform(image, labels, rng=np.random.default_rng(11))
    c = A.elastic_deform(image, labels, rng=np.random.default_rng(12))
    np.testing.assert_array_equal(a.image, b.image)
    np.testing.assert_array_equal(a.labels, b.labels)
    assert not np.array_equal(a.image, c.image)
    np.testing.assert_array_equal(A.elastic_deform(image, rng=11).image, a.image)  # an int seed works too


def test_random_grid_statistics():
    grids = A.random_coarse_displacement(np.random.default_rng(0), sigma=10.0, grid=3)
    assert grids.shape == (2, 3, 3)
    many = np.concatenate([A.random_coarse_displacement(s).ravel() for s in range(400)])
    assert abs(many.std() - 10.0) < 0.4 and abs(many.mean()) < 0.4


# ----------------------------------------------------------------------------- rigid transforms


def test_shift_against_numpy_padding(sample):
    image, labels, weights = sample
    out = A.shift(image, labels, weights, offset=(3, -5))
    padded = np.pad(image, 10, mode="reflect")  # numpy's "reflect" is scipy's "mirror"
    np.testing.assert_allclose(out.image, padded[7:77, 15:105], atol=1e-5)
    np.testing.assert_array_equal(out.labels, np.pad(labels, 10, mode="reflect")[7:77, 15:105])
    random = A.shift(image, rng=np.random.default_rng(0), max_shift=4)
    assert random.image.shape == image.shape and random.labels is None


def test_rotate_quarter_turns_and_direction(sample):
    image = sample[0][:70, :70]
    labels = sample[1][:70, :70]
    out = A.rotate(image, labels, angle=90.0)
    np.testing.assert_allclose(out.image, np.rot90(image), atol=1e-5)  # counter-clockwise
    np.testing.assert_array_equal(out.labels, np.rot90(labels))
    np.testing.assert_allclose(A.rotate(image, angle=180.0).image, image[::-1, ::-1], atol=1e-5)


def test_rotate_matches_skimage(sample):
    from skimage.transform import rotate as sk_rotate

    weights = sample[2]
    ours = A.rotate(np.zeros_like(weights), None, weights, angle=23.0).weights
    ref = sk_rotate(weights, 23.0, order=1, mode="reflect", preserve_range=True)
    np.testing.assert_allclose(ours[INTERIOR], ref[INTERIOR], atol=1e-6)


def test_flip(sample):
    image, labels, weights = sample
    out = A.flip(image, labels, weights, vertical=True, horizontal=False)
    np.testing.assert_array_equal(out.image, image[::-1])
    np.testing.assert_array_equal(out.weights, weights[::-1])
    out = A.flip(image, labels, vertical=False, horizontal=True)
    np.testing.assert_array_equal(out.labels, labels[:, ::-1])
    seen = {tuple(bool(np.array_equal(A.flip(image, rng=s).image, f)) for f in (image, image[::-1]))
            for s in range(20)}
    assert len(seen) > 1  # random flips do happen, and not always


def test_gray_value(sample):
    image = sample[0]
    same = A.gray_value(image, rng=0, contrast=(1, 1), brightness=0.0, gamma=(1, 1))
    np.testing.assert_allclose(same, image, atol=1e-6)
    out = A.gray_value(image, rng=np.random.default_rng(4))
    assert out.shape == image.shape and out.dtype == np.float32
    assert 0 <= out.min() and out.max() <= 1 and not np.allclose(out, image)
    # a monotone map: the order of unclipped pixels is kept
    keep = (out > 0) & (out < 1)
    order = np.argsort(image[keep], kind="stable")
    assert np.all(np.diff(out[keep][order]) >= -1e-6)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        A.gray_value(image * 3, rng=0)


def test_augmenter(sample):
    image, labels, weights = sample
    aug = A.Augmenter(max_shift=5, max_angle=180, elastic_sigma=10)
    a = aug(image, labels, weights, rng=np.random.default_rng(3))
    b = aug(image, labels, weights, rng=np.random.default_rng(3))
    np.testing.assert_array_equal(a.image, b.image)
    assert a.image.shape == image.shape and 0 <= a.image.min() and a.image.max() <= 1
    assert set(np.unique(a.labels)) <= set(np.unique(labels))
    off = A.Augmenter(max_angle=0, flips=False, elastic_sigma=0, gray=False)
    same = off(image, labels, weights, rng=0)
    np.testing.assert_allclose(same.image, image, atol=1e-6)
    np.testing.assert_array_equal(same.labels, labels)
    # only a rotation: equal to rotate() with the drawn angle
    rot = A.Augmenter(max_angle=40, flips=False, elastic_sigma=0, gray=False)
    angle = np.random.default_rng(9).uniform(-40, 40)
    np.testing.assert_allclose(rot(image, rng=9).image, np.clip(A.rotate(image, angle=angle).image, 0, 1), atol=1e-6)


def test_augmenter_centre_moves_the_tile(sample):
    image = sample[0]
    off = A.Augmenter(max_angle=0, flips=False, elastic_sigma=0, gray=False)
    # the tile's centre pixel (9.5, 14.5) reads the source at (39.5, 49.5): rows 30..49, columns 35..64
    coords = off.coordinates((20, 30), 0, centre=(39.5, 49.5))
    np.testing.assert_allclose(A.warp(image, coords, 3), image[30:50, 35:65], atol=1e-5)
    # near the border the tile reads the mirror image
    coords = off.coordinates((20, 30), 0, centre=(4.5, 14.5))
    np.testing.assert_allclose(A.warp(image, coords, 3), np.pad(image, 5, mode="reflect")[0:20, 5:35], atol=1e-5)


def test_bad_input(sample):
    image, labels, weights = sample
    with pytest.raises(ValueError, match="labels must be"):
        A.elastic_deform(image, labels[:10], rng=0)
    with pytest.raises(TypeError, match="integer"):
        A.elastic_deform(image, labels.astype(float), rng=0)
    with pytest.raises(TypeError, match="Generator"):
        A.elastic_deform(image, rng="seed")
    with pytest.raises(ValueError, match="rng"):
        A.elastic_deform(image)
    with pytest.raises(ValueError, match="order"):
        A.warp(image, A.identity_coordinates(image.shape), 2)
    with pytest.raises(ValueError, match="grid"):
        A.random_coarse_displacement(0, grid=1)


# ----------------------------------------------------------------------------- torch, batched


def _random_coordinates(rng, h, w, out=(33, 41)):
    # positions inside and outside the image (mirrored), at arbitrary sub-pixel offsets
    return np.stack([rng.uniform(-15, h + 15, size=out), rng.uniform(-15, w + 15, size=out)])


@pytest.mark.parametrize("order", [0, 1, 3])
def test_warp_torch_equals_scipy(sample, order):
    image, labels, _ = sample
    rng = np.random.default_rng(order)
    coords = np.stack([_random_coordinates(rng, *image.shape) for _ in range(2)])
    src = labels if order == 0 else image.astype(np.float64)
    batch = torch.tensor(np.stack([src, src[::-1].copy()]))[:, None]
    out = A.warp_torch(batch, torch.tensor(coords), order)[:, 0].numpy()
    for k, s in enumerate((src, src[::-1])):
        ref = ndi.map_coordinates(s, coords[k], order=order, mode="mirror")
        if order == 0:
            np.testing.assert_array_equal(out[k], ref)
        else:
            np.testing.assert_allclose(out[k], ref, atol=1e-9)


def test_dense_displacement_torch(sample):
    coarse = np.random.default_rng(0).normal(0, 10, size=(3, 2, 3, 3))
    dense = A.dense_displacement_torch(torch.tensor(coarse), (50, 60)).numpy()
    for k in range(3):
        np.testing.assert_allclose(dense[k], A.dense_displacement(coarse[k], (50, 60)), atol=1e-10)


@pytest.mark.parametrize("dtype, atol", [(torch.float64, 1e-6), (torch.float32, 1e-4)])
def test_elastic_torch_agrees_with_numpy(sample, dtype, atol):
    image, labels, weights = sample
    grids = np.random.default_rng(7).normal(0, 10, size=(2, 2, 3, 3))
    images = np.stack([image, image[::-1].copy()])
    out = A.elastic_deform_torch(
        torch.tensor(images, dtype=dtype),
        torch.tensor(np.stack([labels, labels])),
        torch.tensor(np.stack([weights, weights]), dtype=dtype),
        displacement=torch.tensor(grids, dtype=dtype),
    )
    for k in range(2):
        ref = A.elastic_deform(images[k], labels, weights, displacement=grids[k])
        np.testing.assert_allclose(out[0][k].numpy()[INTERIOR], ref.image[INTERIOR], atol=atol)
        mismatch = (out[1][k].numpy()[INTERIOR] != ref.labels[INTERIOR]).mean()
        assert mismatch <= (0 if dtype == torch.float64 else 1e-3)  # float32 may round a tie differently
        np.testing.assert_allclose(out[2][k].numpy()[INTERIOR], ref.weights[INTERIOR], atol=atol * 10)
    assert out[1].dtype == torch.int32


def test_elastic_torch_random_and_seeded(sample):
    image, labels, _ = sample
    x = torch.tensor(np.stack([image] * 3))
    y = torch.tensor(np.stack([labels] * 3))
    a = A.elastic_deform_torch(x, y, generator=torch.Generator().manual_seed(0))
    b = A.elastic_deform_torch(x, y, generator=torch.Generator().manual_seed(0))
    torch.testing.assert_close(a[0], b[0], rtol=0, atol=0)
    assert not torch.equal(a[0][0], a[0][1])  # one grid per sample
    assert set(torch.unique(a[1]).tolist()) <= set(np.unique(labels).tolist())
    zero = A.elastic_deform_torch(x, y, sigma=0.0)
    torch.testing.assert_close(zero[0], x, rtol=0, atol=1e-5)
    assert torch.equal(zero[1], y)


def test_augment_batch_torch(sample):
    image, labels, weights = sample
    x = torch.tensor(np.stack([image] * 4))[:, None]
    y = torch.tensor(np.stack([labels] * 4))
    w = torch.tensor(np.stack([weights] * 4), dtype=torch.float32)
    aug = A.Augmenter(max_shift=4)
    a = A.augment_batch_torch(x, y, w, augmenter=aug, generator=torch.Generator().manual_seed(1))
    b = A.augment_batch_torch(x, y, w, augmenter=aug, generator=torch.Generator().manual_seed(1))
    assert a[0].shape == x.shape and a[1].shape == y.shape and a[2].shape == w.shape
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])
    assert float(a[0].min()) >= 0 and float(a[0].max()) <= 1
    assert set(torch.unique(a[1]).tolist()) <= set(np.unique(labels).tolist())
    off = A.Augmenter(max_angle=0, flips=False, elastic_sigma=0, gray=False)
    same = A.augment_batch_torch(x, y, w, augmenter=off)
    torch.testing.assert_close(same[0], x, rtol=0, atol=1e-5)
    assert torch.equal(same[1], y)
    # a 180-degree rotation range with flips: the images of the batch differ from each other
    assert len({a[0][k].sum().item() for k in range(4)}) == 4


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")
def test_elastic_torch_on_cuda_equals_cpu(sample):
    image, labels, _ = sample
    grids = torch.tensor(np.random.default_rng(3).normal(0, 10, size=(1, 2, 3, 3)), dtype=torch.float64)
    x, y = torch.tensor(image, dtype=torch.float64)[None], torch.tensor(labels)[None]
    cpu = A.elastic_deform_torch(x, y, displacement=grids)
    gpu = A.elastic_deform_torch(x.cuda(), y.cuda(), displacement=grids.cuda())
    torch.testing.assert_close(gpu[0].cpu(), cpu[0], rtol=0, atol=1e-9)
    assert torch.equal(gpu[1].cpu(), cpu[1])


# ----------------------------------------------------------------------------- chapter 07's experiment


def test_whole_image_prediction_covers_every_pixel():
    """Chapter 07 scores whole held-out images with tiling.predict_whole (mirrored border)."""
    from unet_course.models import UNet
    from unet_course.tiling import predict_whole

    def predict_image(model, image):
        return predict_whole(model, image).argmax(0)

    torch.manual_seed(0)
    image = np.random.default_rng(0).random((50, 61)).astype(np.float32)
    valid = UNet(1, 2, base_channels=4, depth=2, padding="valid").eval()
    pred = predict_image(valid, image)
    assert pred.shape == image.shape, "every pixel of the image needs a prediction"
    # reference: mirror by the margin, pad to a valid size, run, crop the top-left corner
    m = valid.margin
    h, w = valid.valid_input_size(50 + 2 * m), valid.valid_input_size(61 + 2 * m)
    padded = np.pad(image, ((m, h - 50 - m), (m, w - 61 - m)), mode="reflect")
    with torch.no_grad():
        ref = valid(torch.from_numpy(padded)[None, None])[0].argmax(0)[:50, :61].numpy()
    np.testing.assert_array_equal(pred, ref)
    same = UNet(1, 3, base_channels=4, depth=2, padding="same").eval()
    x = np.random.default_rng(1).random((48, 64)).astype(np.float32)
    with torch.no_grad():
        direct = same(torch.from_numpy(x)[None, None])[0].argmax(0).numpy()
    np.testing.assert_array_equal(predict_image(same, x), direct)


def test_compare_augmentation_runs_and_restores_threads():
    from unet_course.experiments.augmentation import compare_augmentation

    rng = np.random.default_rng(0)
    images = [ndi.gaussian_filter(rng.random((64, 64)), 2).astype(np.float32) for _ in range(3)]
    images = [(im - im.min()) / (im.max() - im.min()) for im in images]
    labels = [(im > 0.5).astype(np.int64) for im in images]
    threads = torch.get_num_threads()
    result = compare_augmentation(images[:2], labels[:2], images[2:], labels[2:],
                                  augmenter=A.Augmenter(elastic_sigma=2), steps=3, batch_size=2,
                                  tile_size=44, base_channels=4, depth=2, threads=1, progress=False)
    assert torch.get_num_threads() == threads
    for iou in (result.iou_plain, result.iou_augmented):
        assert iou.shape == (2,) and np.all((0 <= iou) & (iou <= 1))
    assert len(result.history_plain.loss) == len(result.history_augmented.loss) == 3
    with pytest.raises(ValueError, match="threads"):
        compare_augmentation(images[:2], labels[:2], images[2:], labels[2:], augmenter=A.Augmenter(),
                             steps=1, tile_size=44, base_channels=4, depth=2, threads=0, progress=False)


# ----------------------------------------------------------------------------- plots of chapter 07


def test_viz_data_helpers():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from unet_course import viz

    labels = np.zeros((12, 12), np.int32)
    labels[3:9, 3:9] = 1
    rgb = viz.outline(np.full((12, 12), 0.5), labels)
    assert rgb.shape == (12, 12, 3)
    red = np.all(rgb == (1.0, 0.2, 0.1), axis=-1)
    ring = (labels == 1) & ~np.pad(np.ones((4, 4), bool), 4)  # the inner border of the square
    np.testing.assert_array_equal(red, ring)
    with pytest.raises(ValueError, match="one shape"):
        viz.outline(np.zeros((3, 3)), labels)
    pattern = viz.grid_pattern((64, 64), spacing=16, width=2)
    assert pattern.dtype == np.float32 and set(np.unique(pattern)) == {0.0, 1.0}
    assert (pattern[:, 8:10] == 0).all() and (pattern[24:26] == 0).all() and pattern[0, 0] == 1.0
    fig, ax = plt.subplots()
    viz.plot_displacement(ax, A.random_coarse_displacement(0), (64, 64), step=16)
    assert len(ax.collections) >= 3  # dense arrows, node arrows, node markers
    plt.close(fig)


def test_explorer_draws_only_when_a_control_moves():
    import ipywidgets as widgets

    from unet_course import viz

    calls = []
    sigma, grid = widgets.FloatSlider(value=10.0, min=0, max=30), widgets.IntSlider(value=3, min=2, max=9)
    box = viz.explorer(lambda sigma, grid: calls.append((sigma, grid)), sigma=sigma, grid=grid)
    assert calls == []                      # nothing drawn while the notebook executes
    grid.value = 5
    sigma.value = 4.0
    assert calls == [(10.0, 5), (4.0, 5)]
    assert isinstance(box.children[-1], widgets.Output)
    with pytest.raises(ValueError, match="at least one control"):
        viz.explorer(lambda: None)
    with pytest.raises(TypeError, match="ipywidgets value widget"):
        viz.explorer(lambda x: None, x=3)


def test_without_elasticdeform_only_its_comparisons_are_skipped():
    """The file collects without elasticdeform; the two comparisons skip and say why."""
    hide = "import sys, pytest; sys.modules['elasticdeform'] = None; "
    run = f"sys.exit(pytest.main([{__file__!r}, '-q', '-rs', '-p', 'no:cacheprovider', '-k', 'equals_elasticdeform or multichannel']))"
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    done = subprocess.run([sys.executable, "-c", hide + run], capture_output=True, text=True, timeout=120,
                          cwd=Path(__file__).resolve().parents[1], env=env)
    out = done.stdout + done.stderr
    assert done.returncode == 0, f"pytest without elasticdeform failed:\n{out[-3000:]}"
    assert "3 skipped" in out and "passed" not in out and "error" not in out.lower(), out[-3000:]
    assert "elasticdeform (the reference implementation) is not installed" in out, out[-3000:]
