"""Exercises of chapter 05: the U-Net architecture (sizes, counts, copy and crop).

Answers come from the package's U-Net (built on the meta device: layers and shapes without
memory), never typed in.
"""

from __future__ import annotations

import torch
from torch import nn

from unet_course import quiz


def paper_unet(**overrides):
    """The paper's U-Net (1 input channel, 2 classes, 64 base channels, depth 4) on the meta
    device; keyword arguments override its settings."""
    from unet_course.models import UNet

    settings = dict(in_channels=1, num_classes=2, base_channels=64, depth=4, padding="valid")
    settings.update(overrides)
    with torch.device("meta"):
        return UNet(**settings)


def count_convolutions(model: nn.Module) -> int:
    """Every Conv2d (3x3 and 1x1) and ConvTranspose2d (2x2 up-convolution) of ``model``."""
    return sum(isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)) for m in model.modules())


def output_size_reference(n: int) -> int:
    """Output side of the paper's network for a valid input side ``n``."""
    return paper_unet(base_channels=1).output_size(n)


def _output_samples() -> list[tuple[int]]:
    return [(n,) for n in paper_unet(base_channels=1).valid_input_sizes(188, 1200)[::3]]


def skips_need_cropping(padding: str) -> bool:
    """True when some skip map of a 572 (valid) or 576 (same) input is larger than the
    upsampled map it is concatenated with."""
    model = paper_unet(base_channels=1, padding=padding)
    n = model.valid_input_size(572)
    walk = {s.layer: s.size for s in model.size_walk(n)}
    return any(
        walk[f"encoder{level}.conv2"] > walk[f"decoder{model.depth - 1 - level}.up"] for level in range(model.depth)
    )


def next_conv_in_channels(merge: str = "concatenate") -> int:
    """Input channels of the first 3x3 convolution after the last up-convolution of the paper's
    network: the skip map and the up-convolved map concatenated (or, as note 001 says, added)."""
    net = paper_unet()
    last = net.decoder[-1]
    up_channels = last.up.out_channels
    skip_channels = net.encoder[0][2].out_channels
    return up_channels + skip_channels if merge == "concatenate" else up_channels


# Integer answers are exact (atol 0): the prompts ask for integers.
QUESTIONS = [
    quiz.TrueFalse(
        "05.conv-23",
        "The notes' first true/false: U-Net (the network of the paper's Figure 1) has 23 "
        "convolutional layers in total.",
        count_convolutions(paper_unet()) == 23,
        hint="Count per level of the contracting path, the bottleneck, per level of the expanding "
        "path (do not forget the up-convolutions), and the last layer.",
        explanation="4 levels x 2 + 2 (bottleneck) + 4 x 2 = 18 convolutions 3x3, 4 up-convolutions 2x2 "
        "and the final 1x1: 23.",
        wrong=[not (count_convolutions(paper_unet()) == 23)],
    ),
    quiz.TrueFalse(
        "05.crop-same",
        "A U-Net whose 3x3 convolutions are zero-padded (`padding=\"same\"`) still has to crop its "
        "skip maps before concatenating them.",
        skips_need_cropping("same"),
        hint="Compare the side of each skip map with the side of the up-convolved map for a "
        "padding='same' network (model.size_walk).",
        explanation="With padded convolutions no border is lost: the skip map and the up-convolved map "
        "have the same size, and cropping is only needed for the paper's unpadded (valid) convolutions.",
        wrong=[not skips_need_cropping("same")],
    ),
    quiz.Formula(
        "05.output-size",
        "Write `output_size(n)`: the side of the output map of the paper's network (depth 4, "
        "unpadded 3x3 convolutions) for a valid input side `n`.",
        output_size_reference,
        _output_samples,
        hint="Follow one side through the network: what does an unpadded 3x3 convolution, a 2x2 "
        "max-pool and a 2x2 up-convolution each do to it?",
        wrong=[lambda n: n - 92, lambda n: n - 176, lambda n: n - 2 * (4 * 4 + 4)],
    ),
    quiz.Numeric(
        "05.next-valid",
        "What is the smallest valid input side of the paper's network that is at least 1000 pixels? "
        "Answer as an integer.",
        lambda: paper_unet(base_channels=1).valid_input_size(1000),
        rtol=0,
        atol=0,
        hint="Every map that reaches a max-pool must have an even side; model.size_problem(n) says "
        "where a side fails.",
        wrong=[1000, 1008, 1020, 988],
    ),
    quiz.Numeric(
        "05.params-rgb",
        "How many trainable parameters does a U-Net with 3 input channels (RGB), 4 classes, 32 base "
        "channels and depth 4 have? Answer as an integer.",
        lambda: paper_unet(in_channels=3, num_classes=4, base_channels=32).num_parameters(),
        rtol=0,
        atol=0,
        hint="Build it (torch.device('meta') keeps it cheap) and sum p.numel() over its parameters; "
        "or count k*k*c_in*c_out + c_out per convolution.",
        wrong=[
            paper_unet(in_channels=1, num_classes=4, base_channels=32).num_parameters(),  # grey input
            paper_unet(in_channels=3, num_classes=2, base_channels=32).num_parameters(),  # two classes
            paper_unet(in_channels=3, num_classes=4, base_channels=64).num_parameters(),  # paper width
        ],
    ),
    quiz.Numeric(
        "05.predict-concat-channels",
        "Predict before you run: in the paper's network, the last up-convolution gives 64 channels "
        "and the cropped copy from the contracting path has 64. How many input channels does the "
        "3x3 convolution that follows them have? Answer as an integer.",
        next_conv_in_channels,
        rtol=0,
        atol=0,
        hint="The paper says how the two maps are merged: are channels summed element by element, "
        "or stacked?",
        wrong=[next_conv_in_channels("add"), 32, 256],
    ),
]
