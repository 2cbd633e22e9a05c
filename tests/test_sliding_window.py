"""The sliding-window patch classifier of chapter 05 (Ciresan et al. 2012, in miniature)."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from unet_course.models.sliding_window import SlidingWindowNet, input_reads, poolings_needed


def test_segment_equals_one_forward_pass_per_pixel():
    torch.manual_seed(0)
    net = SlidingWindowNet(patch_size=11, poolings=1, channels=4, hidden=8).eval()
    image = torch.rand(1, 13, 9)
    scores = net.segment(image, batch_size=20)  # batches that cut rows apart
    assert scores.shape == (2, 13, 9)
    padded = F.pad(image[None], (5, 5, 5, 5), mode="reflect")[0]
    with torch.no_grad():
        for r in range(13):
            for c in range(9):
                expected = net(padded[None, :, r : r + 11, c : c + 11])[0]
                assert torch.allclose(scores[:, r, c], expected, atol=1e-6), (r, c)


def test_sizes_and_errors():
    net = SlidingWindowNet(patch_size=33, poolings=2)
    assert net.final_side == 6  # 33 -> 31 -> 15 -> 13 -> 6
    assert net(torch.zeros(3, 1, 33, 33)).shape == (3, 2)
    with pytest.raises(ValueError, match="odd"):
        SlidingWindowNet(patch_size=32)
    with pytest.raises(ValueError, match="too small"):
        SlidingWindowNet(patch_size=9, poolings=3)
    with pytest.raises(ValueError, match="shape"):
        net(torch.zeros(1, 1, 31, 31))
    with pytest.raises(ValueError, match="too small"):
        net.segment(torch.zeros(1, 10, 40))


def test_poolings_needed_by_hand():
    # 95 -> 93 -> 46 -> 44 -> 22 -> 20 -> 10 -> 8 -> 4: four poolings to reach <= 8
    assert poolings_needed(95) == 4
    assert poolings_needed(33) == 2 and poolings_needed(17) == 1 and poolings_needed(7) == 0
    sides = [3, 9, 17, 33, 65, 95, 129]
    counts = [poolings_needed(p) for p in sides]
    assert counts == sorted(counts)  # larger patches never need fewer poolings


@pytest.mark.parametrize("patch,kernel", [(9, 3), (15, 5)])
def test_input_reads_match_the_formula(patch, kernel):
    # A pixel deep inside the image lies in patch**2 patches; inside one patch a valid k x k
    # convolution reads it (patch - k + 1) * k times per axis, summed over its positions.
    reads = input_reads("sliding", 3 * patch, patch_size=patch, kernel=kernel)
    centre = reads[3 * patch // 2, 3 * patch // 2]
    assert centre == ((patch - kernel + 1) * kernel) ** 2
    once = input_reads("fully_convolutional", 3 * patch, kernel=kernel)
    assert once[3 * patch // 2, 3 * patch // 2] == kernel**2
    assert once[0, 0] == 1  # a corner pixel is read by one window only
    with pytest.raises(ValueError):
        input_reads("tiled", 10)
