"""FCN-32s/16s/8s and convolutionalization."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from unet_course import ops
from unet_course.models import FCN, convolutionalize, patch_classifier

SMALL = dict(widths=(4, 8, 8, 16, 16), convs_per_block=(1, 1, 1, 1, 1), fc_channels=16, fc_kernel=3, dropout=0.0)


@pytest.mark.parametrize("variant", ["32s", "16s", "8s"])
@pytest.mark.parametrize("size", [(32, 32), (33, 47), (64, 96), (100, 37), (129, 130)])
def test_fcn_output_has_the_input_size(variant, size):
    model = FCN(variant, in_channels=2, num_classes=3, **SMALL).eval()
    x = torch.randn(2, 2, *size)
    with torch.no_grad():
        y = model(x)
    assert y.shape == (2, 3, *size)
    assert torch.isfinite(y).all()


@pytest.mark.parametrize("size", [(31, 64), (64, 20), (8, 8)])
def test_fcn_rejects_small_inputs_with_a_clear_message(size):
    model = FCN("8s", in_channels=1, num_classes=2, **SMALL)
    with pytest.raises(ValueError, match="at least 32 x 32"):
        model(torch.zeros(1, 1, *size))


def test_fcn_rejects_bad_arguments():
    with pytest.raises(ValueError, match="variant"):
        FCN("4s")
    with pytest.raises(ValueError, match="5 blocks"):
        FCN("8s", widths=(8, 8, 8))
    with pytest.raises(ValueError, match="odd"):
        FCN("8s", fc_kernel=4)
    model = FCN("32s", in_channels=3, num_classes=2, **SMALL)
    with pytest.raises(ValueError, match=r"\(N, 3, H, W\)"):
        model(torch.zeros(1, 1, 64, 64))


def test_fcn_upsampling_starts_bilinear_and_skips_start_at_zero():
    model = FCN("8s", in_channels=1, num_classes=2, **SMALL).eval()
    # zero-initialised skip scores: at initialisation 8s predicts what three bilinear upsamplings
    # (x2, x2, x8) of the pool5 scores give, away from the border
    assert torch.count_nonzero(model.score_pool4.weight) == 0 and torch.count_nonzero(model.score_pool3.weight) == 0
    k, _ = ops.bilinear_upsampling_layout(8)
    torch.testing.assert_close(model.upscore.weight, ops.bilinear_kernel(2, 2, k))
    assert not model.upscore.weight.requires_grad and model.upscore2.weight.requires_grad
    x = torch.randn(1, 1, 256, 256)
    with torch.no_grad():
        score = model.features(x)["score_fr"]
        y = model(x)
    ref = score
    for factor in (2, 2, 8):
        ref = F.interpolate(ref, scale_factor=factor, mode="bilinear", align_corners=False)
    inner = (..., slice(64, -64), slice(64, -64))
    torch.testing.assert_close(y[inner], ref[inner], rtol=1e-4, atol=1e-5)


def test_fcn_default_is_vgg16_sized():
    with torch.device("meta"):  # shapes only: VGG16's 134 M parameters are not allocated
        model = FCN("32s", in_channels=3, num_classes=21)
    convs = [m for m in model.modules() if isinstance(m, nn.Conv2d)]
    assert len(convs) == 13 + 3  # VGG16's 13 convolutions, fc6, fc7, score
    assert model.fc6.weight.shape == (4096, 512, 7, 7)
    # receptive field of the VGG16 backbone: 212 pixels at stride 32
    rf = ops.receptive_fields(ops.layer_specs(model.blocks))[-1]
    assert (rf.size, rf.jump) == (212, 32)


def test_fcn_variants_differ_only_in_the_skip_layers():
    names = {v: {n for n, _ in FCN(v, 1, 2, **SMALL).named_parameters()} for v in ("32s", "16s", "8s")}
    assert names["16s"] - names["32s"] == {"upscore2.weight", "score_pool4.weight", "score_pool4.bias"}
    assert names["8s"] - names["16s"] == {"upscore_pool4.weight", "score_pool3.weight", "score_pool3.bias"}


def test_fcn_trains_a_step():
    torch.manual_seed(0)
    model = FCN("8s", in_channels=1, num_classes=2, batch_norm=True, **SMALL)
    opt = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=0.1)
    x = torch.randn(2, 1, 64, 64)
    t = (x > 0).long()[:, 0]
    loss0 = F.cross_entropy(model(x), t)
    loss0.backward()
    assert model.score_pool3.weight.grad.abs().sum() > 0
    opt.step()


@pytest.mark.parametrize("seed", range(4))
def test_convolutionalized_classifier_gives_the_same_logits(seed):
    torch.manual_seed(seed)
    clf = patch_classifier(in_channels=2, num_classes=5, patch_size=24, widths=(6, 10, 12), hidden=32).double().eval()
    conv = convolutionalize(clf).eval()
    x = torch.randn(7, 2, 24, 24, dtype=torch.float64)
    with torch.no_grad():
        expected = clf(x)
        got = conv(x)
    assert got.shape == (7, 5, 1, 1)
    torch.testing.assert_close(got[:, :, 0, 0], expected, rtol=1e-5, atol=1e-5)


def test_convolutionalized_classifier_float32_and_dense_map():
    torch.manual_seed(0)
    clf = patch_classifier(in_channels=1, num_classes=3, patch_size=32).eval()
    conv = convolutionalize(clf).eval()
    big = torch.randn(1, 1, 96, 128)
    with torch.no_grad():
        heat = conv(big)
        # the map has one entry per window position, at the feature stride (4)
        assert heat.shape == (1, 3, (96 - 32) // 4 + 1, (128 - 32) // 4 + 1)
        for i, j in [(0, 0), (3, 5), (16, 24), (9, 0)]:
            window = big[..., 4 * i : 4 * i + 32, 4 * j : 4 * j + 32]
            assert (heat[0, :, i, j] - clf(window)[0]).abs().max() <= 1e-5


def test_convolutionalize_keeps_dropout_and_activations():
    torch.manual_seed(1)
    clf = nn.Sequential(
        nn.Conv2d(3, 4, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(4 * 4 * 4, 16), nn.ReLU(), nn.Dropout(0.3), nn.Linear(16, 8), nn.Tanh(), nn.Linear(8, 2),
    ).eval()
    conv = convolutionalize(clf)
    assert not conv.training, "the convolutionalized copy keeps the classifier's mode (eval here)"
    x = torch.randn(5, 3, 10, 10)
    with torch.no_grad():
        torch.testing.assert_close(conv(x)[:, :, 0, 0], clf(x), rtol=1e-5, atol=1e-6)
    assert not any(isinstance(m, nn.Linear) for m in conv.modules())
    assert [type(m) for m in conv[-6:]] == [nn.Conv2d, nn.ReLU, nn.Dropout, nn.Conv2d, nn.Tanh, nn.Conv2d]


def test_convolutionalize_errors():
    with pytest.raises(TypeError, match="nn.Sequential"):
        convolutionalize(nn.Linear(3, 3))
    with pytest.raises(ValueError, match="exactly one nn.Flatten"):
        convolutionalize(nn.Sequential(nn.Conv2d(1, 1, 3)))
    with pytest.raises(ValueError, match="cannot convolutionalize a LSTM"):
        convolutionalize(nn.Sequential(nn.Conv2d(1, 2, 3), nn.Flatten(), nn.Linear(8, 2), nn.LSTM(2, 2)))
    with pytest.raises(ValueError, match="cannot convolutionalize a BatchNorm1d"):
        convolutionalize(nn.Sequential(nn.Conv2d(1, 2, 3), nn.Flatten(), nn.Linear(8, 2), nn.BatchNorm1d(2)))
    with pytest.raises(ValueError, match="square map"):
        convolutionalize(nn.Sequential(nn.Conv2d(1, 2, 3), nn.Flatten(), nn.Linear(6, 2)))
    with pytest.raises(ValueError, match="Conv2d layers before"):
        convolutionalize(nn.Sequential(nn.Flatten(), nn.Linear(6, 2)))


def test_vgg_fc6_parameter_count():
    # VGG16's fc6 takes a 7 x 7 x 512 map to 4096 units: as a conv, 4096 filters of 7 x 7 x 512
    with torch.device("meta"):
        fc6 = nn.Linear(7 * 7 * 512, 4096)
        clf = nn.Sequential(nn.Conv2d(3, 512, 1), nn.Flatten(), fc6)
        conv = convolutionalize(clf)
    conv6 = conv[1]
    assert conv6.weight.shape == (4096, 512, 7, 7)
    assert sum(p.numel() for p in conv6.parameters()) == sum(p.numel() for p in fc6.parameters()) == 102_760_448 + 4096


@pytest.mark.parametrize("size", [(32, 32), (70, 45), (96, 128)])
def test_feature_sizes_match_the_forward_pass(size):
    model = FCN("8s", in_channels=1, num_classes=2, **SMALL).eval()
    x = torch.randn(1, 1, *size)
    ph, pw = model.feature_sizes(*size)["padded"]
    with torch.no_grad():
        maps = model.features(F.pad(x, (0, pw - size[1], 0, ph - size[0]), mode="reflect"))
    sizes = model.feature_sizes(*size)
    for name, t in maps.items():
        assert tuple(t.shape[-2:]) == sizes[name], name
    with pytest.raises(ValueError, match="at least 32"):
        model.feature_sizes(31, 100)
