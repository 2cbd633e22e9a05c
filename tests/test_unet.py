"""Tests of unet_course.models.unet: sizes, counts, FLOPs, initialisation and input errors."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from unet_course.models import UNet, center_crop
from unet_course.models.unet import ConvBlock, UpBlock

# The size walk printed in Fig. 1 of the paper (input side, then after every conv / pool /
# up-convolution, down to the 388 x 388 output map).
PAPER_WALK = [572, 570, 568, 284, 282, 280, 140, 138, 136, 68, 66, 64, 32, 30, 28,
              56, 54, 52, 104, 102, 100, 200, 198, 196, 392, 390, 388, 388]


def brute_force_valid(model: UNet, n: int, width: int, monkeypatch: pytest.MonkeyPatch) -> bool:
    """Run torch's own layers (on the meta device: shapes only, no arithmetic) on an
    ``n x width`` input with the size check switched off and decide validity from what really happens: every max-pool sees an even height, the forward
    pass does not fail, and the output has at least one row (and the input's height with
    ``padding="same"``)."""
    monkeypatch.setattr(model, "check_input", lambda x: None)
    odd = []
    handle = model.pool.register_forward_pre_hook(lambda mod, args: odd.append(args[0].shape[-2] % 2 == 1))
    try:
        with torch.no_grad():
            out = model(torch.empty(1, model.in_channels, n, width, device="meta"))
    except RuntimeError:
        return False
    finally:
        handle.remove()
    if any(odd) or out.shape[-2] < 1:
        return False
    return model.padding == "valid" or out.shape[-2] == n


@pytest.mark.parametrize("padding", ["valid", "same"])
@pytest.mark.parametrize("depth", [1, 2, 3, 4, 5])
def test_valid_sizes_match_brute_force(depth: int, padding: str, monkeypatch: pytest.MonkeyPatch) -> None:
    with torch.device("meta"):
        model = UNet(base_channels=1, depth=depth, padding=padding, dropout=0.0).eval()
    width = model.valid_input_size(1)
    high = model.valid_input_size(1) + 3 * 2**depth + 1
    expected = [n for n in range(1, high + 1) if brute_force_valid(model, n, width, monkeypatch)]
    assert expected, "brute force found no valid size at all"
    assert model.valid_input_sizes(1, high) == expected
    monkeypatch.undo()
    for n in range(1, high + 1):
        assert model.is_valid_size(n) == (n in expected)
        nxt = model.valid_input_size(n)
        assert nxt == min(m for m in expected + [expected[-1] + 2**depth] if m >= n)


def test_paper_valid_sizes() -> None:
    model = UNet(base_channels=1)
    assert model.valid_input_size(1) == 188
    assert model.valid_input_size(572) == 572
    assert model.valid_input_size(570) == 572, "570 is not a valid input side; the next one up is 572 = 16k + 12 (chapter 06)"
    assert model.valid_input_size(573) == 588
    assert all(n % 16 == 12 for n in model.valid_input_sizes(1, 2000))
    assert model.output_size(572) == 388, "the paper's Fig. 1: a 572 x 572 input tile gives a 388 x 388 output (chapter 05)"
    assert model.output_size(188) == 4
    assert model.margin == 92
    assert UNet(base_channels=1, padding="same").margin == 0
    assert UNet(base_channels=1, padding="same").valid_input_size(100) == 112


def test_size_walk_matches_forward_hooks() -> None:
    # Sizes do not depend on the number of channels, so a 2-channel model walks like the paper's.
    model = UNet(base_channels=2).eval()
    seen: list[tuple[int, int]] = []
    hooks = [m.register_forward_hook(lambda mod, args, out: seen.append((out.shape[-2], out.shape[-1])))
             for m in model.modules() if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.MaxPool2d))]
    with torch.no_grad():
        out = model(torch.zeros(1, 1, 572, 572))
    for h in hooks:
        h.remove()
    assert [h for h, _ in seen] == PAPER_WALK[1:]
    assert all(h == w for h, w in seen)
    walk = model.size_walk(572)
    assert [s.size for s in walk] == PAPER_WALK
    assert out.shape == (1, 2, 388, 388)
    paper = UNet()
    channels = [s.channels for s in paper.size_walk(572)]
    assert max(channels) == 1024 and channels[0] == 1 and channels[-1] == 2


def test_paper_counts() -> None:
    model = UNet()
    convs = model.conv_layers()
    assert len(convs) == 23
    assert sum(isinstance(c, nn.ConvTranspose2d) for c in convs) == 4
    assert model.num_parameters() == 31_030_658, (
        "the paper-size U-Net has 31,030,658 parameters (chapter 05 counts them layer by layer)")
    # Independent count from the paper's description: weights k*k*c_in*c_out plus c_out biases.
    w = [64, 128, 256, 512, 1024]
    total, previous = 0, 1
    for c in w:  # contracting path and bottleneck: two 3x3 convs per level
        total += 9 * previous * c + c + 9 * c * c + c
        previous = c
    for c_in, c_out in zip(w[:0:-1], w[-2::-1]):  # expanding path
        total += 4 * c_in * c_out + c_out          # 2x2 up-conv halves the channels
        total += 9 * c_in * c_out + c_out + 9 * c_out * c_out + c_out  # concat doubles them back
    total += 64 * 2 + 2
    assert model.num_parameters() == total


def test_flops_match_torch_flop_counter() -> None:
    with torch.device("meta"):
        model = UNet()
    assert model.head.weight.is_meta
    x = torch.empty(1, 1, 572, 572, device="meta")
    with FlopCounterMode(display=False) as counter:
        out = model(x)
    assert out.shape == (1, 2, 388, 388)
    assert model.forward_flops(572) == counter.get_total_flops()
    assert model.forward_flops(572) == pytest.approx(301e9, rel=0.005)
    small = UNet(base_channels=8, depth=3, padding="same")
    with FlopCounterMode(display=False) as counter:
        small(torch.zeros(1, 1, 64, 96))
    assert small.forward_flops(64, 96) == counter.get_total_flops()


def test_paper_model_forward_on_cpu() -> None:
    torch.manual_seed(0)
    model = UNet().eval()
    with torch.no_grad():
        out = model(torch.rand(2, 1, 188, 204))
    assert out.shape == (2, 2, 4, 20)
    assert torch.isfinite(out).all()


def test_he_initialisation() -> None:
    torch.manual_seed(0)
    model = UNet()
    conv = model.encoder[1][2]  # 3x3 conv after 128 channels: N = 9 * 128
    assert conv.weight.std().item() == pytest.approx(math.sqrt(2 / (9 * 128)), rel=0.02)
    assert conv.weight.mean().abs().item() < 0.002
    up = model.decoder[0].up  # 2x2 stride-2 up-conv: each output pixel sees one tap per input channel
    assert up.weight.std().item() == pytest.approx(math.sqrt(2 / 1024), rel=0.02)
    for m in model.conv_layers():
        assert torch.count_nonzero(m.bias) == 0
    g1, g2 = torch.Generator().manual_seed(3), torch.Generator().manual_seed(3)
    a, b = UNet(base_channels=4), UNet(base_channels=4)
    a.reset_parameters(g1)
    b.reset_parameters(g2)
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))


@pytest.mark.parametrize("size", [(16, 16), (32, 48), (128, 80)])
def test_same_padding_keeps_size(size: tuple[int, int]) -> None:
    model = UNet(in_channels=3, num_classes=4, base_channels=4, padding="same").eval()
    with torch.no_grad():
        out = model(torch.rand(1, 3, *size))
    assert out.shape == (1, 4, *size)
    assert model.output_size(size[0]) == size[0]


def test_dropout_only_in_training() -> None:
    torch.manual_seed(0)
    model = UNet(base_channels=4, dropout=0.5)
    x = torch.rand(1, 1, 188, 188)
    model.eval()
    with torch.no_grad():
        assert torch.equal(model(x), model(x))
    model.train()
    with torch.no_grad():
        assert not torch.equal(model(x), model(x))
    assert isinstance(UNet(base_channels=4, dropout=0.0).dropout, nn.Identity)


def test_center_crop_and_blocks() -> None:
    x = torch.arange(7 * 9).reshape(1, 1, 7, 9)
    assert torch.equal(center_crop(x, 3), x[..., 2:5, 3:6])
    assert torch.equal(center_crop(x, (4, 6)), x[..., 1:5, 1:7])  # odd excess: extra row/col dropped at the end
    with pytest.raises(ValueError, match="cannot crop"):
        center_crop(x, 8)
    block = ConvBlock(3, 5)
    assert block(torch.zeros(1, 3, 20, 30)).shape == (1, 5, 16, 26)
    up = UpBlock(8, 4)
    assert up(torch.zeros(1, 8, 10, 10), torch.zeros(1, 4, 28, 28)).shape == (1, 4, 16, 16)


def test_input_errors() -> None:
    model = UNet(base_channels=2)
    with pytest.raises(ValueError, match=r"556 or 572"):
        model(torch.zeros(1, 1, 570, 572))
    with pytest.raises(ValueError, match=r"input width 574 .*572 or 588"):
        model(torch.zeros(1, 1, 572, 574))
    with pytest.raises(ValueError, match=r"188 \(the smallest valid size\)"):
        model(torch.zeros(1, 1, 100, 100))
    with pytest.raises(ValueError, match=r"556 or 572"):
        model.output_size(570)
    with pytest.raises(ValueError, match="4-d tensor.*x\\[None\\]"):
        model(torch.zeros(1, 572, 572))
    with pytest.raises(ValueError, match="x\\[None, None\\]"):
        model(torch.zeros(572, 572))
    with pytest.raises(TypeError, match="torch.uint8"):
        model(torch.zeros(1, 1, 572, 572, dtype=torch.uint8))
    with pytest.raises(TypeError, match="torch.float64"):
        model(torch.zeros(1, 1, 572, 572, dtype=torch.float64))
    with pytest.raises(ValueError, match="1 input channel.*has 3"):
        model(torch.zeros(1, 3, 572, 572))
    with pytest.raises(TypeError, match="torch.Tensor"):
        model([[0.0]])
    with pytest.raises(ValueError, match="multiple|16 \\+ k \\* 16|nearest valid sizes are 96 or 112"):
        UNet(base_channels=2, padding="same")(torch.zeros(1, 1, 100, 96))
    with pytest.raises(ValueError, match="padding"):
        UNet(padding="reflect")
    with pytest.raises(ValueError, match="depth"):
        UNet(depth=0)
    with pytest.raises(ValueError, match="dropout"):
        UNet(dropout=1.0)


def test_size_problem_and_partial_walk() -> None:
    model = UNet(base_channels=1)
    assert model.size_problem(572) is None
    assert model.size_problem(570) == "a 279 px map reaches max-pool 2 (it needs an even size)"
    assert "shrinks" in model.size_problem(172)
    walk = model.size_walk(570, strict=False)
    assert [s.size for s in walk] == [570, 568, 566, 283, 281, 279]


@pytest.mark.parametrize("depth", [2, 3])
def test_receptive_reach_matches_gradients(depth: int) -> None:
    """With positive weights every ReLU passes, so the gradient of an output pixel is non-zero
    exactly on its receptive field; its farthest reach must equal receptive_reach."""
    torch.manual_seed(0)
    model = UNet(base_channels=1, depth=depth, dropout=0.0).double()
    with torch.no_grad():
        for p in model.parameters():
            p.abs_()
        for conv in model.conv_layers():
            conv.bias.fill_(0.1)
    n = model.valid_input_size(100)
    reach_up, reach_down = [], []
    for k in range(2**depth + 1):
        x = torch.ones(1, 1, n, n, dtype=torch.double, requires_grad=True)
        model(x)[0, 0, k, 0].backward()
        rows = torch.nonzero(x.grad[0, 0].abs().sum(1)).flatten()
        reach_up.append(k + model.margin - rows.min().item())
        reach_down.append(rows.max().item() - k - model.margin)
    assert max(reach_up + reach_down) == model.receptive_reach
    assert min(reach_up) == model.margin  # pixels on the grid reach exactly the margin
    assert reach_up[1] == model.margin + 1  # one pixel further along the grid reaches one more


def test_activation_moments_measure_every_convolution():
    from unet_course.models.unet import activation_moments, he_normal_

    torch.manual_seed(0)
    model = UNet(base_channels=4, depth=2)
    x = torch.randn(2, 1, 60, 60)
    records = activation_moments(model, x)
    convs = [m for m in model.modules() if isinstance(m, (torch.nn.Conv2d, torch.nn.ConvTranspose2d))]
    assert len(records) == len(convs)
    assert records[0]["name"] == "encoder.0.0" and records[0]["fan_in"] == 9
    assert abs(records[0]["input"] - float(x.double().pow(2).mean())) < 1e-9
    with torch.no_grad():
        first = convs[0](x)
    assert abs(records[0]["output"] - float(first.double().pow(2).mean())) < 1e-6
    assert [r["kind"] for r in records].count("upconv") == 2 and records[-1]["kind"] == "conv1x1"
    # He initialisation in a plain chain of 3x3 convolutions and ReLUs keeps E[y^2] constant
    chain = torch.nn.Sequential(*[m for _ in range(6) for m in (torch.nn.Conv2d(64, 64, 3), torch.nn.ReLU())])
    for m in chain:
        if isinstance(m, torch.nn.Conv2d):
            he_normal_(m)
    y = activation_moments(chain, torch.relu(torch.randn(2, 64, 48, 48)) * 2**0.5)
    ratios = [b["output"] / a["output"] for a, b in zip(y, y[1:])]
    mean_ratio = (y[-1]["output"] / y[0]["output"]) ** (1 / (len(y) - 1))
    assert all(0.5 < r < 2 for r in ratios) and 0.8 < mean_ratio < 1.25, ratios
    # with std sqrt(1/N) instead of sqrt(2/N) every layer halves it
    for m in chain:
        if isinstance(m, torch.nn.Conv2d):
            torch.nn.init.normal_(m.weight, 0.0, (1 / (64 * 9)) ** 0.5)
    z = activation_moments(chain, torch.relu(torch.randn(2, 64, 48, 48)) * 2**0.5)
    assert (z[-1]["output"] / z[0]["output"]) ** (1 / (len(z) - 1)) < 0.65
