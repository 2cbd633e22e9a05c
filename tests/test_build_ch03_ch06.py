"""The build steps of chapters 03 and 06 check against the package, and their messages keep the answer.

- ``03.conv-transpose-2d``: the reference (an adapter around ``F.conv_transpose2d``) equals the
  package's own transposed convolution, ``ops.conv_transpose2d_zero_insertion``, on every case.
- ``06.overlap-tile``: every plan of the check steps on the pooling grid and lets output tiles
  overlap somewhere, so the reference (``tiling.predict_tiled``) equals the whole-image pass
  (``tiling.predict_whole``), and a loop that adds overlapping tiles is caught.
- A wrong answer that is off everywhere gets a message that names where, never a value of the
  reference.
"""

from __future__ import annotations

import re

import numpy as np
import torch

from unet_course import ops, quiz
from unet_course.questions import ch03_upsampling as ch03
from unet_course.questions import ch06_overlap_tile as ch06
from unet_course.tiling import predict_whole


def test_conv_transpose_2d_reference_is_the_package_computation():
    for x, w, stride, padding in ch03._conv_transpose_2d_cases():
        ours = ops.conv_transpose2d_zero_insertion(torch.from_numpy(x)[None], torch.from_numpy(w), None, stride, padding)
        np.testing.assert_allclose(ch03.conv_transpose_2d(x, w, stride, padding), ours[0].numpy(), atol=1e-12)


def test_conv_transpose_2d_cases_reach_every_mistake():
    cases = ch03._conv_transpose_2d_cases()
    assert cases[0][0].shape[0] == 1 and cases[0][3] == 0, "the first case has one input channel and no padding"
    assert any(p > 0 for *_, p in cases) and any(s > 1 for *_, s, _ in cases)
    assert any(w.shape[2] > s for _, w, s, _ in cases), "some stamps overlap"


def test_overlap_tile_reference_equals_the_whole_image_pass():
    overlapping = 0
    for net, image, plan in ch06._overlap_tile_cases():
        assert all(s % 2**net.depth == 0 for s in plan.step), "the check's plans step on the pooling grid"
        overlapping += plan.keep[0] > plan.step[0]
        tiled = ch06.predict_tiled_from_plan(net, image, plan)
        np.testing.assert_allclose(tiled, predict_whole(net, image), rtol=0, atol=1e-5 * np.abs(tiled).max())
    assert overlapping, "no plan of the check lets output tiles overlap"


def _printed(qid: str, answer, capsys) -> str:
    assert not quiz.check(qid, answer)
    return capsys.readouterr().out


def test_messages_do_not_print_the_reference(capsys):
    def shifted_2d(x, w, stride, padding):
        return ch03.conv_transpose_2d(x, w, stride, padding) + 0.5

    out = _printed("03.conv-transpose-2d", shifted_2d, capsys)
    assert "differs from the reference at" in out and not re.search(r"\d\.\d{3}", out), out

    def shifted_tiles(net, image, plan):
        return ch06.predict_tiled_from_plan(net, image, plan) + 0.5

    out = _printed("06.overlap-tile", shifted_tiles, capsys)
    assert "differs from the reference at" in out and not re.search(r"\d\.\d{3}", out), out
