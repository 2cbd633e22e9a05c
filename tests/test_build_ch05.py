"""Chapter 05's build track beyond the bank tests: a U-Net written the way the chapter's solution
writes it gives the package's output exactly once the weights are copied by order, its checks
diagnose a wrong network at the paper's settings without allocating it, and the opening figure
(FCN-8s beside U-Net) draws."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402

from unet_course import quiz  # noqa: E402
from unet_course.models import UNet  # noqa: E402
from unet_course.questions import ch05_architecture as ch05  # noqa: E402
from unet_course.viz.fcn_vs_unet import draw_fcn_vs_unet  # noqa: E402


@pytest.mark.parametrize(("depth", "base"), [(1, 3), (2, 4), (3, 2)])
def test_a_learner_style_unet_equals_the_package_unet_bit_for_bit(depth, base):
    torch.manual_seed(depth)
    package = UNet(base_channels=base, depth=depth, dropout=0.0).eval()
    built = ch05._SketchUNet(depth, base).eval()
    with torch.no_grad():
        for mine, theirs in zip(built.parameters(), package.parameters(), strict=True):
            assert mine.shape == theirs.shape
            mine.copy_(theirs)
        n = package.valid_input_size(2 * package.margin + 20)
        x = torch.rand(2, 1, n, n + 2 ** depth)
        assert torch.equal(built(x), package(x))


def test_the_paper_settings_are_checked_on_the_meta_device():
    assert ch05._compare_paper_size(ch05._SketchUNet) is None
    assert ch05._compare_paper_size(ch05.reference_unet) is None
    message = ch05._compare_paper_size(ch05._UNetNoHead)
    assert message == ch05.SAYS["net_no_head"]


def test_a_wrong_channel_count_is_located():
    class Narrow(ch05._SketchUNet):  # the bottleneck keeps 512 channels instead of doubling them
        def __init__(self, depth, base_channels):
            super().__init__(depth, base_channels)
            widths = [base_channels * 2**i for i in range(depth + 1)]
            self.downs[-1] = nn.Sequential(nn.MaxPool2d(2), ch05.ConvBlock(widths[-2], widths[-2]))
            self.ups[0] = ch05._Up(2 * widths[-2], widths[-2])

    correct, message = quiz.get("05.build-unet").grade(Narrow)
    assert not correct and "parameters where the paper's has 31,030,658" in message


def test_the_checks_pass_the_package_and_reject_a_stub():
    for qid in ("05.build-crop", "05.build-block", "05.build-down", "05.build-up", "05.build-unet"):
        question = quiz.get(qid)
        assert question.grade(question.reference)[0], qid

    class MyUNet(nn.Module):
        def __init__(self, depth, base_channels):
            ...

        def forward(self, x):
            ...

    assert quiz.unanswered(MyUNet)


def test_the_opening_figure_draws_both_networks():
    fcn, unet = draw_fcn_vs_unet()
    assert "FCN-8s" in fcn.get_title() and "U-Net" in unet.get_title()
    assert len(fcn.patches) > 10 and len(unet.patches) > 10
    texts = " ".join(t.get_text() for t in fcn.texts)
    assert "100 px" in texts and "21 classes" in texts
    plt.close("all")
    fig, axes = plt.subplots(1, 3)
    with pytest.raises(ValueError, match="two axes"):
        draw_fcn_vs_unet(axes)
    plt.close(fig)
