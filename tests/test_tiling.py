"""Tests of unet_course.tiling: mirroring, the tile plan, seamless overlap-tile inference, errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from unet_course.models import UNet
from unet_course.tiling import mirror_indices, mirror_pad, plan_tiles, predict_tiled, predict_whole


def small_net(depth: int = 3, padding: str = "valid", in_channels: int = 1, seed: int = 0) -> UNet:
    torch.manual_seed(seed)
    return UNet(in_channels=in_channels, num_classes=3, base_channels=2, depth=depth, padding=padding).eval()


def reference_whole(model: UNet, image: np.ndarray, mode: str = "reflect") -> np.ndarray:
    """One forward pass over the image padded with numpy.pad (independent of mirror_pad):
    ``margin`` pixels at the top and left and up to the next valid size at the bottom/right."""
    image = image if image.ndim == 3 else image[None]
    _, h, w = image.shape
    m = model.margin
    th, tw = model.valid_input_size(h + 2 * m), model.valid_input_size(w + 2 * m)
    padded = np.pad(image, ((0, 0), (m, th - h - m), (m, tw - w - m)), mode=mode)
    with torch.no_grad():
        out = model(torch.from_numpy(padded.astype(np.float32))[None])[0].numpy()
    return out[:, :h, :w]


@pytest.mark.parametrize("n", [1, 2, 3, 7])
@pytest.mark.parametrize("pads", [(0, 0), (1, 2), (5, 0), (13, 17), (40, 3)])
def test_mirror_matches_numpy_reflect(n: int, pads: tuple[int, int]) -> None:
    a = np.arange(n) * 10
    assert np.array_equal(a[mirror_indices(n, *pads)], np.pad(a, pads, mode="reflect"))


def test_mirror_pad_numpy_and_torch() -> None:
    rng = np.random.default_rng(0)
    img = rng.random((2, 5, 4))
    expected = np.pad(img, ((0, 0), (3, 9), (6, 1)), mode="reflect")
    got = mirror_pad(img, (3, 9, 6, 1))
    assert isinstance(got, np.ndarray) and np.array_equal(got, expected)
    t = mirror_pad(torch.from_numpy(img), (3, 9, 6, 1))
    assert isinstance(t, torch.Tensor) and np.array_equal(t.numpy(), expected)
    # Where torch's own reflect padding works (pad < size), it agrees.
    small = torch.from_numpy(img)
    assert torch.equal(mirror_pad(small, 2), torch.nn.functional.pad(small[None], (2, 2, 2, 2), mode="reflect")[0])
    with pytest.raises(ValueError, match="top, bottom, left, right"):
        mirror_pad(img, (1, 2))
    with pytest.raises(ValueError, match=">= 0"):
        mirror_pad(img, -1)


@pytest.mark.parametrize("shape", [(37, 53), (101, 64), (5, 130), (1, 1), (3, 2), (90, 91)])
def test_tiled_equals_whole_image(shape: tuple[int, int]) -> None:
    model = small_net(depth=3)  # margin 44, valid sizes 92 + 8k
    rng = np.random.default_rng(1)
    image = rng.random(shape).astype(np.float32)
    reference = reference_whole(model, image)
    tiled = predict_tiled(model, image, tile_size=108, batch_size=3, progress=False)  # output tiles of 20 px
    assert isinstance(tiled, np.ndarray) and tiled.dtype == np.float32
    assert tiled.shape == (3, *shape)
    np.testing.assert_allclose(tiled, reference, atol=1e-5, rtol=0)
    np.testing.assert_allclose(predict_whole(model, image), reference, atol=1e-5, rtol=0)
    assert plan_tiles(model, shape, tile_size=108).step == (16, 16)  # 20 rounded down to a multiple of 8


def test_pooling_grid_subtlety_depth4() -> None:
    """388 = 16 * 24 + 4: stepping by 388 changes the pooling grid, stepping by 384 does not."""
    model = small_net(depth=4)
    image = np.random.default_rng(2).random((400, 300)).astype(np.float32)
    whole = reference_whole(model, image)
    on_grid = predict_tiled(model, image, tile_size=572, progress=False)
    off_grid = predict_tiled(model, image, tile_size=572, step=388, progress=False)
    assert plan_tiles(model, image.shape, tile_size=572).step == (384, 384), (
        "tiles step by 384 = 16 x 24, a multiple of 2**depth, so that they see the whole image's pooling grid (chapter 06)")
    np.testing.assert_allclose(on_grid, whole, atol=1e-5, rtol=0)
    seam = np.abs(off_grid - whole)
    assert seam[:, :388, :].max() < 1e-5  # the first tile row is on the grid
    assert seam[:, 388:, :].max() > 1e-3  # the second row starts at 388, off the 16-px grid


def test_zero_padding_mode_and_channels_and_tensors() -> None:
    model = small_net(depth=2, in_channels=3)
    image = np.random.default_rng(3).random((3, 33, 47))
    tiled = predict_tiled(model, image, tile_size=64, pad_mode="zero", progress=False)
    np.testing.assert_allclose(tiled, reference_whole(model, image, mode="constant"), atol=1e-5, rtol=0)
    as_tensor = predict_tiled(model, torch.from_numpy(image), tile_size=64, device="cpu", progress=False)
    assert isinstance(as_tensor, torch.Tensor) and as_tensor.shape == (3, 33, 47)
    np.testing.assert_allclose(as_tensor.numpy(), reference_whole(model, image), atol=1e-5, rtol=0)
    mirrored = predict_tiled(model, image, tile_size=64, progress=False)
    assert np.abs(mirrored - tiled).max() > 1e-3  # the two extrapolations do differ near the borders


def test_batch_size_and_mode_restored() -> None:
    model = small_net(depth=2)
    model.train()  # drop-out on: predict_tiled must switch it off and restore the mode
    image = np.random.default_rng(4).random((70, 50)).astype(np.float32)
    one = predict_tiled(model, image, tile_size=52, batch_size=1, progress=False)
    many = predict_tiled(model, image, tile_size=52, batch_size=7, progress=False)
    np.testing.assert_allclose(one, many, atol=1e-5, rtol=0)
    assert model.training
    assert plan_tiles(model, image.shape, tile_size=52).num_tiles == 6 * 5  # output 12 px, step 12: ceil(58/12) + 1, ceil(38/12) + 1


def test_default_tile_sizes() -> None:
    model = small_net(depth=4)
    assert plan_tiles(model, (2048, 2048)).tile_size == (572, 572)
    assert plan_tiles(model, (2048, 2048)).num_tiles == 6 * 6  # ceil((2048 - 388) / 384) + 1 = 6
    assert plan_tiles(model, (10, 300)).tile_size == (204, 492)
    plan = plan_tiles(model, (1000, 1000))
    canvas_h, canvas_w = plan.canvas_shape
    assert canvas_h >= 1000 + 2 * 92 and canvas_w >= 1000 + 2 * 92


def brute_force_same(model: UNet, image: np.ndarray, tile: int, margin: int, step: int) -> np.ndarray:
    """Run every tile of a same-padding network on an np.pad canvas and give each pixel the
    output of the tile whose kept centre is nearest (ties to the later tile)."""
    h, w = image.shape
    keep = tile - 2 * margin
    ny = 1 if h <= keep else -(-(h - keep) // step) + 1
    nx = 1 if w <= keep else -(-(w - keep) // step) + 1
    canvas = np.pad(image, ((margin, (ny - 1) * step + tile - margin - h), (margin, (nx - 1) * step + tile - margin - w)),
                    mode="reflect")
    outputs = {}
    with torch.no_grad():
        for i in range(ny):
            for j in range(nx):
                t = canvas[i * step : i * step + tile, j * step : j * step + tile]
                outputs[i, j] = model(torch.from_numpy(t.astype(np.float32))[None, None])[0].numpy()
    result = np.zeros((model.num_classes, h, w), np.float32)
    centre = (keep - 1) / 2
    for r in range(h):
        i = min(range(ny), key=lambda k: (abs(r - k * step - centre), -k))
        for c in range(w):
            j = min(range(nx), key=lambda k: (abs(c - k * step - centre), -k))
            result[:, r, c] = outputs[i, j][:, r - i * step + margin, c - j * step + margin]
    return result


@pytest.mark.parametrize("step", [None, 10, 17])
def test_same_padding_keeps_the_centre(step: int | None) -> None:
    model = small_net(depth=2, padding="same")
    image = np.random.default_rng(5).random((45, 38)).astype(np.float32)
    tiled = predict_tiled(model, image, tile_size=40, margin=10, step=step, progress=False)
    plan = plan_tiles(model, image.shape, tile_size=40, margin=10, step=step)
    assert plan.keep == (20, 20)
    np.testing.assert_allclose(tiled, brute_force_same(model, image, 40, 10, plan.step[0]), atol=1e-5, rtol=0)


def test_same_padding_context_reduces_seams() -> None:
    model = small_net(depth=3, padding="same")
    image = np.random.default_rng(6).random((160, 160)).astype(np.float32)
    whole = predict_whole(model, image)
    no_context = predict_tiled(model, image, tile_size=40, margin=0, progress=False)
    with_context = predict_tiled(model, image, tile_size=120, margin=40, progress=False)
    inner = (slice(None), slice(20, -20), slice(20, -20))  # away from the image border
    err_none = np.abs(no_context - whole)[inner].mean()
    err_ctx = np.abs(with_context - whole)[inner].mean()
    assert err_ctx < err_none / 5
    # One tile without context that covers the image is exactly the whole-image pass.
    np.testing.assert_allclose(predict_tiled(model, image, tile_size=160, margin=0, progress=False), whole,
                               atol=1e-5, rtol=0)


def test_input_errors() -> None:
    model = small_net(depth=3)
    good = np.zeros((40, 40), np.float32)
    with pytest.raises(TypeError, match="floating-point.*uint8.*255"):
        predict_tiled(model, np.zeros((40, 40), np.uint8), progress=False)
    with pytest.raises(TypeError, match="floating-point.*bool"):
        predict_tiled(model, np.zeros((40, 40), bool), progress=False)
    with pytest.raises(TypeError, match="torch.int64"):
        predict_tiled(model, torch.zeros(40, 40, dtype=torch.long), progress=False)
    with pytest.raises(TypeError, match="NumPy array or a torch.Tensor"):
        predict_tiled(model, [[0.0]], progress=False)
    bad = good.copy()
    bad[3, 4] = np.nan
    bad[5, 5] = np.inf
    with pytest.raises(ValueError, match="2 NaN or infinite"):
        predict_tiled(model, bad, progress=False)
    with pytest.raises(ValueError, match="1 channel.*has 3"):
        predict_tiled(model, np.zeros((3, 40, 40), np.float32), progress=False)
    with pytest.raises(ValueError, match=r"\(H, W\) or \(C, H, W\)"):
        predict_tiled(model, np.zeros((1, 1, 40, 40), np.float32), progress=False)
    with pytest.raises(ValueError, match="empty"):
        predict_tiled(model, np.zeros((0, 40), np.float32), progress=False)
    with pytest.raises(ValueError, match="tile_size 101 .*nearest valid sizes are 100 or 108"):
        predict_tiled(model, good, tile_size=101, progress=False)
    with pytest.raises(ValueError, match="step must be between 1 and the kept output tile \\(4 px\\)"):
        predict_tiled(model, good, tile_size=92, step=5, progress=False)
    with pytest.raises(ValueError, match="exactly its own margin of 44"):
        predict_tiled(model, good, margin=10, progress=False)
    with pytest.raises(ValueError, match="pad_mode"):
        predict_tiled(model, good, pad_mode="reflect", progress=False)
    with pytest.raises(ValueError, match="batch_size"):
        predict_tiled(model, good, batch_size=0, progress=False)
    same = small_net(depth=2, padding="same")
    with pytest.raises(ValueError, match="leaves no output"):
        predict_tiled(same, good, tile_size=16, margin=8, progress=False)


@pytest.mark.parametrize("as_tensor", [False, True])
def test_a_raw_image_is_refused_as_training_refuses_it(as_tensor) -> None:
    """Grey values outside [0, 1] (a 16-bit camera's 0..65535) raise before any work, with the
    message the tile sampler gives for the same image in training."""
    from unet_course.data import TileDataset
    from unet_course.tiling import predict_tiled_averaged

    model = small_net(depth=2)
    raw = (np.random.default_rng(8).random((40, 40)) * 65535).astype(np.float32)
    with pytest.raises(ValueError) as training:
        TileDataset([raw], [np.zeros((40, 40), np.int64)], tile_size=52, output_size=12, length=1)
    rule = str(training.value).split(" holds grey values ", 1)[1]
    image = torch.from_numpy(raw) if as_tensor else raw
    for predict in (predict_tiled, predict_whole, predict_tiled_averaged):
        with pytest.raises(ValueError, match="outside \\[0, 1\\]") as refused:
            predict(model, image, **({} if predict is predict_whole else {"progress": False}))
        message = str(refused.value)
        assert message.startswith(f"the image given to {predict.__name__} holds"), message
        assert message.split(" holds grey values ", 1)[1] == rule, f"{predict.__name__} words the rule differently"
    # scaled by a stated rule, the same image is segmented
    from unet_course.data.scaling import Scaling

    assert predict_tiled(model, Scaling()(raw), progress=False).shape[1:] == (40, 40)


def test_no_context_sees_only_its_own_pixels() -> None:
    """Reference: every output block computed from an input that is zero outside the block."""
    model = small_net(depth=2)  # margin 20, tile 52 -> 12, step 12
    image = (0.5 + 0.5 * np.random.default_rng(7).random((30, 26))).astype(np.float32)  # no zeros
    got = predict_tiled(model, image, tile_size=52, pad_mode="no-context", progress=False)
    m, keep = 20, 12
    expected = np.zeros_like(got)
    with torch.no_grad():
        for y in range(0, 30, keep):
            for x in range(0, 26, keep):
                isolated = np.zeros((m + keep + m, m + keep + m), np.float32)
                block = image[y : y + keep, x : x + keep]
                isolated[m : m + block.shape[0], m : m + block.shape[1]] = block
                out = model(torch.from_numpy(isolated)[None, None])[0].numpy()
                expected[:, y : y + keep, x : x + keep] = out[:, : block.shape[0], : block.shape[1]]
    np.testing.assert_allclose(got, expected, atol=1e-5, rtol=0)
    with pytest.raises(ValueError, match="whole-image"):
        predict_whole(model, image, pad_mode="no-context")


def test_peak_memory_sees_a_large_allocation() -> None:
    from unet_course.runtime import PeakMemory

    with PeakMemory("cpu") as peak:
        block = np.ones(40_000_000, np.float32)  # 160 MB
        del block
    assert peak.method
    assert 150e6 < peak.bytes < 400e6


# --------------------------------------------------------------------------- test-time averaging
from unet_course.tiling import DIHEDRAL, dihedral_transform, predict_tiled_averaged  # noqa: E402


def _hand_loop(model, image: np.ndarray, elements: list[tuple[int, bool]], average: str) -> np.ndarray:
    """Reference: transform with torch.flip / torch.rot90, predict, undo by hand, average."""
    x = torch.from_numpy(image)
    outs = []
    for k, flip in elements:
        y = torch.flip(x, dims=(1,)) if flip else x
        y = torch.rot90(y, k, dims=(0, 1))
        s = torch.from_numpy(predict_tiled(model, y.numpy().copy(), progress=False))
        s = torch.rot90(s, -k, dims=(1, 2))
        s = torch.flip(s, dims=(2,)) if flip else s
        outs.append(torch.softmax(s, 0) if average == "probabilities" else s)
    return torch.stack(outs).mean(0).numpy()


ALL_EIGHT = [(k, f) for f in (False, True) for k in range(4)]


@pytest.mark.parametrize("average", ["probabilities", "logits"])
def test_averaging_matches_a_hand_written_loop(average: str) -> None:
    model = small_net(depth=2)
    image = np.random.default_rng(3).random((37, 50)).astype(np.float32)  # not square
    got = predict_tiled_averaged(model, image, average=average)
    assert got.shape == (3, 37, 50) and got.dtype == np.float32
    np.testing.assert_allclose(got, _hand_loop(model, image, ALL_EIGHT, average), atol=1e-5)
    # a subset, in the order given: identity and the three rotations
    sub = predict_tiled_averaged(model, image, ("identity", "rot90", "rot180", "rot270"), average=average)
    np.testing.assert_allclose(sub, _hand_loop(model, image, ALL_EIGHT[:4], average), atol=1e-5)
    # a random network is not symmetric: averaging changes the prediction
    plain = predict_tiled(model, image, progress=False)
    plain = torch.softmax(torch.from_numpy(plain), 0).numpy() if average == "probabilities" else plain
    assert np.abs(got - plain).max() > 1e-3
    np.testing.assert_allclose(predict_tiled_averaged(model, image, "identity", average=average), plain, atol=1e-6)
    if average == "probabilities":
        np.testing.assert_allclose(got.sum(0), 1.0, atol=1e-5)


def test_each_symmetry_is_undone_exactly_and_the_group_is_closed() -> None:
    x = torch.arange(12.0).reshape(1, 3, 4)
    images = set()
    for name in DIHEDRAL:
        y = dihedral_transform(x, name)
        assert torch.equal(dihedral_transform(y, name, inverse=True), x)
        images.add(tuple(y.flatten().tolist()) + tuple(y.shape))
    assert len(images) == 8  # eight different images: the eight elements are distinct


class _SymmetricNet(nn.Module):
    """A valid network equivariant to the square's symmetries by construction: one 3 x 3
    convolution whose kernels are averaged over the eight symmetries, ReLU, then a 1 x 1
    convolution (pointwise, so equivariant too). Depth 0: no pooling grid to break the symmetry."""

    depth, padding, in_channels = 0, "valid", 1

    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(1)
        self.conv = nn.Conv2d(1, 4, 3)
        self.head = nn.Conv2d(4, 2, 1)
        with torch.no_grad():
            w = self.conv.weight
            w.copy_(torch.stack([dihedral_transform(w, g) for g in DIHEDRAL]).mean(0))

    def output_size(self, n: int) -> int:
        return n - 2

    def valid_input_size(self, n: int) -> int:
        return n

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(torch.relu(self.conv(x)))


def test_an_equivariant_network_gains_nothing_from_averaging() -> None:
    model = _SymmetricNet().eval()
    image = np.random.default_rng(5).random((30, 41)).astype(np.float32)
    plain = torch.softmax(torch.from_numpy(predict_tiled(model, image, progress=False)), 0).numpy()
    for transforms in (DIHEDRAL, ("rot90",), ("flip", "flip+rot270")):
        np.testing.assert_allclose(predict_tiled_averaged(model, image, transforms), plain, atol=1e-5)


def test_averaging_rejects_bad_transforms_before_any_work() -> None:
    model = small_net(depth=2)
    image = np.zeros((20, 20), np.float32)
    with pytest.raises(ValueError, match="unknown transform.*rot45"):
        predict_tiled_averaged(model, image, ("identity", "rot45"))
    with pytest.raises(ValueError, match="empty"):
        predict_tiled_averaged(model, image, ())
    with pytest.raises(ValueError, match="repeat"):
        predict_tiled_averaged(model, image, ("rot90", "rot90"))
    with pytest.raises(ValueError, match="average"):
        predict_tiled_averaged(model, image, average="median")
    out = predict_tiled_averaged(model, torch.zeros(1, 20, 20))
    assert isinstance(out, torch.Tensor) and out.shape == (3, 20, 20)
