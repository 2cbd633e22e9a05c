"""The chapters' plot helpers: they draw what they say, and refuse what they cannot draw."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from unet_course import ops, viz


def test_transposed_stamps_sum_to_conv_transpose():
    rng = np.random.default_rng(0)
    for stride in (1, 2, 3):
        x = torch.as_tensor(rng.normal(size=(2, 3)))
        w = torch.as_tensor(rng.normal(size=(3, 2)))
        stamps = ops.transposed_conv_stamps(x, w, stride)
        assert stamps.shape[0] == 6
        ref = F.conv_transpose2d(x[None, None], w[None, None], stride=stride)[0, 0]
        assert torch.allclose(stamps.sum(0), ref)
        # each stamp is the kernel scaled by its pixel, at stride * index, and zero elsewhere
        i, j = 1, 2
        stamp = stamps[i * 3 + j]
        assert torch.allclose(stamp[stride * i : stride * i + 3, stride * j : stride * j + 2], x[i, j] * w)
        assert torch.count_nonzero(stamp) <= 6


def test_transposed_stamps_rejects_bad_input():
    with pytest.raises(ValueError, match=r"\(H, W\)"):
        ops.transposed_conv_stamps(torch.zeros(1, 2, 2), torch.ones(2, 2))
    with pytest.raises(ValueError, match="dtype"):
        ops.transposed_conv_stamps(torch.zeros(2, 2, dtype=torch.float64), torch.ones(2, 2))
    with pytest.raises(ValueError, match="stride"):
        ops.transposed_conv_stamps(torch.zeros(2, 2), torch.ones(2, 2), stride=0)


def test_plot_transposed_stamps_panels():
    x = np.array([[1.0, 2.0], [3.0, 4.0]])
    fig = viz.plot_transposed_stamps(x, np.ones((3, 3)), stride=2)
    images = [ax.images[0].get_array() for ax in fig.axes if ax.images]
    assert len(images) == 7  # input, kernel, four stamps, output
    expected = F.conv_transpose2d(torch.as_tensor(x)[None, None], torch.ones(1, 1, 3, 3, dtype=torch.float64), stride=2)[0, 0]
    assert np.allclose(np.asarray(images[-1]), expected.numpy())
    # one colour scale for stamps and output, so no panel is drawn blank
    assert len({ax.images[0].get_clim() for ax in fig.axes[2:7] if ax.images}) == 1
    with pytest.raises(ValueError, match="at most 9"):
        viz.plot_transposed_stamps(np.ones((4, 4)), np.ones((2, 2)))
    matplotlib.pyplot.close(fig)


def test_plot_fc_as_conv_counts_positions():
    fig = viz.plot_fc_as_conv(np.arange(49.0).reshape(7, 7), map_sizes=(7, 14), channels=32)
    titles = [ax.get_title() for ax in fig.axes]
    assert "1 x 1 position" in titles[1] and "8 x 8 position" in titles[2]
    dots = [line for line in fig.axes[2].lines]
    assert sum(len(line.get_xdata()) for line in dots) == 64
    with pytest.raises(ValueError, match="square"):
        viz.plot_fc_as_conv(np.ones((3, 4)))
    with pytest.raises(ValueError, match=">= the kernel size"):
        viz.plot_fc_as_conv(np.ones((7, 7)), map_sizes=(5,))
    matplotlib.pyplot.close(fig)


def test_plot_segmentation_kinds_colours_by_class():
    from unet_course.data import synthetic_cells

    sample = synthetic_cells(64, 5, n_types=2, seed=3)
    fig = viz.plot_segmentation_kinds(sample.image, sample.semantic, sample.instances, ["background", "round", "long"])
    semantic_rgb = np.asarray(fig.axes[1].images[0].get_array())
    palette = np.array(viz.CLASS_COLOURS)
    assert np.allclose(semantic_rgb, palette[sample.semantic])
    panoptic = np.asarray(fig.axes[3].images[0].get_array())
    # background keeps its class colour in the panoptic map, and is black (unlabelled) in the instance map
    bg = sample.instances == 0
    assert np.allclose(panoptic[bg], palette[0])
    assert np.allclose(np.asarray(fig.axes[2].images[0].get_array())[bg], 0)
    with pytest.raises(ValueError, match="one shape"):
        viz.plot_segmentation_kinds(sample.image[:10], sample.semantic, sample.instances, ["a", "b", "c"])
    matplotlib.pyplot.close(fig)
