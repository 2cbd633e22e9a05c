"""unet_course.ops against torch: transposed convolution, interpolation, receptive fields."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from unet_course import ops

RNG_SEEDS = range(12)


def _random_transpose_case(seed: int):
    g = torch.Generator().manual_seed(seed)
    r = lambda lo, hi: int(torch.randint(lo, hi + 1, (1,), generator=g))  # noqa: E731
    stride = (r(1, 4), r(1, 4))
    kernel = (r(1, 5), r(1, 5))
    padding = (r(0, kernel[0] - 1), r(0, kernel[1] - 1))
    output_padding = (r(0, stride[0] - 1), r(0, stride[1] - 1))
    c_in, c_out = r(1, 3), r(1, 3)
    h, w = r(2, 6), r(2, 6)
    # the output must keep at least one pixel: (n - 1) s - 2 p + k + op >= 1
    h = max(h, 2 + max(2 * padding[0] - kernel[0], 0) // stride[0])
    w = max(w, 2 + max(2 * padding[1] - kernel[1], 0) // stride[1])
    x = torch.randn(2, c_in, h, w, generator=g, dtype=torch.float64)
    weight = torch.randn(c_in, c_out, *kernel, generator=g, dtype=torch.float64)
    bias = torch.randn(c_out, generator=g, dtype=torch.float64)
    return x, weight, bias, stride, padding, output_padding


@pytest.mark.parametrize("seed", RNG_SEEDS)
@pytest.mark.parametrize("view", ["zero_insertion", "matrix"])
def test_conv_transpose_by_hand_equals_torch(seed, view):
    x, weight, bias, stride, padding, output_padding = _random_transpose_case(seed)
    layer = nn.ConvTranspose2d(
        weight.shape[0], weight.shape[1], tuple(weight.shape[2:]), stride=stride, padding=padding,
        output_padding=output_padding,
    ).double()
    with torch.no_grad():
        layer.weight.copy_(weight)
        layer.bias.copy_(bias)
        expected = layer(x)
    fn = ops.conv_transpose2d_zero_insertion if view == "zero_insertion" else ops.conv_transpose2d_matrix
    got = fn(x, weight, bias, stride=stride, padding=padding, output_padding=output_padding)
    assert got.shape == expected.shape
    torch.testing.assert_close(got, expected, rtol=1e-10, atol=1e-10)


def test_conv_matrix_is_the_convolution():
    g = torch.Generator().manual_seed(0)
    weight = torch.randn(3, 2, 3, 2, generator=g, dtype=torch.float64)
    x = torch.randn(2, 7, 6, generator=g, dtype=torch.float64)
    m = ops.conv_matrix(weight, (7, 6), stride=(2, 1), padding=(1, 1))
    expected = F.conv2d(x[None], weight, stride=(2, 1), padding=(1, 1)).flatten()
    torch.testing.assert_close(m @ x.flatten(), expected)


def test_transposed_conv_restores_size_not_values():
    weight = torch.rand(1, 1, 3, 3, dtype=torch.float64)
    c = ops.conv_matrix(weight, (8, 8), stride=2, padding=1)
    assert c.shape == (16, 64)
    assert not torch.allclose(c.T @ c, torch.eye(64, dtype=torch.float64))


def test_conv_transpose_rejects_bad_input():
    x = torch.zeros(1, 2, 4, 4)
    with pytest.raises(ValueError, match="C_in = 2"):
        ops.conv_transpose2d_zero_insertion(x, torch.zeros(3, 1, 3, 3))
    with pytest.raises(ValueError, match="output_padding"):
        ops.conv_transpose2d_matrix(x, torch.zeros(2, 1, 3, 3), stride=2, output_padding=2)


@pytest.mark.parametrize("align_corners", [True, False])
@pytest.mark.parametrize("size", [(1, 1), (5, 9), (16, 16), (23, 7), (3, 40)])
def test_bilinear_resize_equals_interpolate(size, align_corners):
    x = torch.randn(2, 3, 6, 11, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    expected = F.interpolate(x, size=size, mode="bilinear", align_corners=align_corners)
    torch.testing.assert_close(ops.bilinear_resize(x, size, align_corners=align_corners), expected)


@pytest.mark.parametrize("align_corners", [True, False])
@pytest.mark.parametrize("scale", [2, 3, 0.5, 1.7, 4])
def test_bilinear_resize_scale_factor_equals_interpolate(scale, align_corners):
    x = torch.randn(1, 1, 9, 7, generator=torch.Generator().manual_seed(2), dtype=torch.float64)
    expected = F.interpolate(x, scale_factor=scale, mode="bilinear", align_corners=align_corners)
    got = ops.bilinear_resize(x, scale_factor=scale, align_corners=align_corners)
    torch.testing.assert_close(got, expected)


def test_bilinear_resize_2d_and_errors():
    x = torch.arange(12.0).reshape(3, 4)
    got = ops.bilinear_resize(x, (5, 7), align_corners=True)
    torch.testing.assert_close(got, F.interpolate(x[None, None], (5, 7), mode="bilinear", align_corners=True)[0, 0])
    with pytest.raises(ValueError, match="exactly one"):
        ops.bilinear_resize(x)
    with pytest.raises(TypeError, match="floating"):
        ops.bilinear_resize(torch.zeros(3, 3, dtype=torch.long), 4)


def test_interpolation_matrix_rows_sum_to_one():
    for ac in (True, False):
        m = ops.interpolation_matrix(7, 19, align_corners=ac)
        torch.testing.assert_close(m.sum(1), torch.ones(19, dtype=torch.float64))


def test_bilinear_kernel_values():
    # stride 2: the classic 4-tap kernel [1/4, 3/4, 3/4, 1/4]
    k = ops.bilinear_kernel(1, 1, 4)[0, 0]
    tent = torch.tensor([0.25, 0.75, 0.75, 0.25])
    torch.testing.assert_close(k, torch.outer(tent, tent))
    w = ops.bilinear_kernel(3, 3, 5)
    assert w.shape == (3, 3, 5, 5)
    assert torch.count_nonzero(w[0, 1]) == 0 and w[2, 2, 2, 2] == 1.0
    with pytest.raises(ValueError, match="must equal"):
        ops.bilinear_kernel(2, 3, 4)


@pytest.mark.parametrize("stride", [2, 3, 4, 5, 8])
def test_bilinear_transposed_conv_equals_interpolation_inside(stride):
    k, p = ops.bilinear_upsampling_layout(stride)
    x = torch.randn(1, 2, 9, 10, generator=torch.Generator().manual_seed(stride), dtype=torch.float64)
    layer = nn.ConvTranspose2d(2, 2, k, stride=stride, padding=p, bias=False).double()
    with torch.no_grad():
        layer.weight.copy_(ops.bilinear_kernel(2, 2, k))
        up = layer(x)
    ref = F.interpolate(x, scale_factor=stride, mode="bilinear", align_corners=False)
    assert up.shape == ref.shape == (1, 2, 9 * stride, 10 * stride)
    inner = (slice(None), slice(None), slice(stride, -stride), slice(stride, -stride))
    torch.testing.assert_close(up[inner], ref[inner])
    # at the border they differ: interpolation repeats the edge, the transposed conv sees zeros
    assert not torch.allclose(up, ref)


def test_compose_rule_and_receptive_fields():
    # FCN paper: f_ks ∘ g_k's' = (f∘g)_{k' + (k-1)s', s s'}
    out = ops.compose((3, 2), (5, 3))
    assert (out.kernel, out.stride) == (5 + 2 * 3, 6)
    # VGG16 conv stack: receptive field 212, jump 32 after pool5
    vgg = []
    for n in (2, 2, 3, 3, 3):
        vgg += [ops.LayerSpec(3, 1, 1)] * n + [ops.LayerSpec(2, 2)]
    rf = ops.receptive_fields(vgg)[-1]
    assert (rf.size, rf.jump) == (212, 32)
    total = ops.compose_all(vgg)
    assert (total.kernel, total.stride) == (212, 32)
    # dilation widens the kernel
    assert ops.LayerSpec(3, dilation=2).effective_kernel == 5
    with pytest.raises(ValueError, match="stride"):
        ops.LayerSpec(3, 0)


@pytest.mark.parametrize("seed", range(8))
def test_compose_linear_convs_matches_stacked_convs(seed):
    g = torch.Generator().manual_seed(seed)
    r = lambda lo, hi: int(torch.randint(lo, hi + 1, (1,), generator=g))  # noqa: E731
    k1, s1, k2, s2 = r(1, 4), r(1, 3), r(1, 4), r(1, 3)
    w_g = torch.randn(2, 3, k1, k1, generator=g, dtype=torch.float64)
    w_f = torch.randn(4, 2, k2, k2, generator=g, dtype=torch.float64)
    size = k1 + (k2 - 1) * s1 + s1 * s2 * r(0, 3)
    x = torch.randn(1, 3, size, size + s1 * s2, generator=g, dtype=torch.float64)
    big, stride = ops.compose_linear_convs(w_f, s2, w_g, s1)
    rule = ops.compose((k2, s2), (k1, s1))
    assert big.shape[-1] == rule.kernel and stride == rule.stride
    stacked = F.conv2d(F.conv2d(x, w_g, stride=s1), w_f, stride=s2)
    torch.testing.assert_close(F.conv2d(x, big, stride=stride), stacked)


def _random_stack(seed: int) -> nn.Sequential:
    """A random conv / pool stack with positive weights, so that no gradient vanishes."""
    g = torch.Generator().manual_seed(seed)
    r = lambda lo, hi: int(torch.randint(lo, hi + 1, (1,), generator=g))  # noqa: E731
    layers: list[nn.Module] = []
    channels = 1
    for _ in range(r(2, 5)):
        kind = r(0, 2)
        if kind == 0:
            k = r(1, 5)
            conv = nn.Conv2d(channels, 2, k, stride=r(1, 2), padding=r(0, k // 2), dilation=r(1, 2), bias=False)
            with torch.no_grad():
                conv.weight.uniform_(0.1, 1.0, generator=g)
            layers.append(conv)
            channels = 2
        elif kind == 1:
            k = r(2, 3)
            layers.append(nn.AvgPool2d(k, stride=r(1, k), padding=r(0, k // 2), count_include_pad=False))
        else:
            layers.append(nn.Softplus())  # elementwise, and its slope never vanishes
    return nn.Sequential(*layers).double()


@pytest.mark.parametrize("seed", range(10))
def test_receptive_field_equals_gradient_support(seed):
    model = _random_stack(seed)
    specs = ops.layer_specs(model)
    if not specs:
        pytest.skip("stack without spatial layers")
    rf = ops.receptive_fields(specs)[-1]
    size = 4 * rf.size + 8 * rf.jump
    x_shape = (1, size, size)
    with torch.no_grad():
        out = model(torch.zeros(1, *x_shape, dtype=torch.float64))
    pos = (out.shape[2] // 2, out.shape[3] // 2)
    (r0, r1), (c0, c1) = ops.gradient_support(model, x_shape, pos)
    # the unit at index i sees input pixels start + i*jump +- (size - 1)/2
    centre = rf.start + pos[0] * rf.jump
    assert (r0, r1) == (centre - (rf.size - 1) / 2, centre + (rf.size - 1) / 2)
    assert (c0, c1) == (r0, r1)
    assert r1 - r0 + 1 == rf.size


def test_layer_specs_reads_modules():
    model = nn.Sequential(nn.Conv2d(1, 2, (3, 5), stride=(1, 2), padding=(1, 2)), nn.ReLU(), nn.MaxPool2d(2))
    assert ops.layer_specs(model, axis=0) == [ops.LayerSpec(3, 1, 1, 1, "0"), ops.LayerSpec(2, 2, 0, 1, "2")]
    assert ops.layer_specs(model, axis=1)[0] == ops.LayerSpec(5, 2, 2, 1, "0")


def test_conv_transpose_rejects_padding_that_removes_everything():
    with pytest.raises(ValueError, match="smaller padding"):
        ops.conv_transpose2d_zero_insertion(torch.zeros(1, 1, 2, 2), torch.zeros(1, 1, 2, 2), padding=3)
