"""Exercises of chapter 05: the U-Net architecture (sizes, counts, copy and crop).

Answers come from the package's U-Net (built on the meta device: layers and shapes without
memory), never typed in.
"""

from __future__ import annotations

import copy

import torch
from torch import nn

from unet_course import quiz
from unet_course.quiz.catalog import N_


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


# --------------------------------------------------------------------------- the build track
# The learner writes center_crop, the block, the down and up steps and MyUNet (chapter 05, issue
# 22). Each check copies seeded weights of the package's module into the learner's, runs both on a
# seeded input and, where they differ, recognises the typical mistake from what the learner's code
# did. Weights go over BY ORDER: the k-th parameter of the learner's module (module.parameters(),
# the order in which __init__ creates the layers) receives the k-th of the package's, shapes
# checked; the prompts say so. Adapters below, no second implementation of the network.

from unet_course.models import UNet  # noqa: E402
from unet_course.models.unet import ConvBlock, UpBlock, center_crop  # noqa: E402


def _compare_sentences() -> dict[str, str]:
    """What the checks of the build steps say to each typical mistake, one sentence (or two) each
    (``quiz.Mistake(..., says=...)``); each is marked ``N_`` for the package's Korean catalog."""
    return {
        "padded": (N_("Your output keeps the size of its input: the 3x3 convolutions are padded (padding=1); the paper's "
                      'are unpadded, so each one takes a pixel off every side.')),
        "crop_corner": (N_('Your crop is taken at the top-left corner: the copy must be cut from the centre of the map, so that '
                           'it lines up with the up-sampled map.')),
        "crop_large": (N_('Your crop is one pixel too large where the margin is odd: slicing from top to H - top keeps an extra'
                          ' row (or column); take exactly h rows and w columns from the top margin on.')),
        "crop_shift": (N_('Your crop is shifted by one pixel where the margin is odd: the extra row goes to the bottom (the '
                          'extra column to the right), so round the top (left) margin down.')),
        "crop_axes": (N_('You cropped the wrong axes: in a (B, C, H, W) tensor the spatial axes are the last two, so slice '
                         'x[..., rows, columns].')),
        "crop_other": (N_('Your crop has the right shape but holds other pixels than the centre of the map.')),
        "block_no_last_relu": (N_("Your block's output has negative values: the ReLU after the second convolution is missing (each of "
                                  'the two convolutions is followed by a ReLU).')),
        "block_no_middle_relu": (N_('The ReLU between the two convolutions is missing: without it the two convolutions act as one linear '
                                    'map.')),
        "block_batch_norm": (N_("Your block has batch normalisation: the paper's block (2015) has none, only two 3x3 convolutions and"
                                ' two ReLUs.')),
        "down_block_first": (N_('You ran the block before the max-pooling: the down step pools first (halving the map the level above'
                                ' made), then applies its two convolutions.')),
        "down_average": (N_("You average-pooled: the paper's down-sampling is a 2x2 max-pooling with stride 2.")),
        "down_stride_1": (N_('Your max-pooling has stride 1, so it takes one pixel off instead of halving the map: use a 2x2 max-'
                             'pooling with stride 2.')),
        "up_order": (N_('You concatenated the up-convolved map first: that network is as good, but the weights of the next '
                        "convolution line up with the reference's only in the package's order, torch.cat([skip, up], dim=1).")),
        "up_bilinear": (N_('Your up step has no up-convolution (nn.ConvTranspose2d, 2x2, stride 2): bilinear up-sampling learns '
                           "nothing, while the paper's up-convolution learns its 2x2 kernels and halves the channels.")),
        "up_crop_shift": (N_('Your crop of the skip map is shifted by one pixel: cut its centre, the same number of pixels off '
                             'each side.')),
        "up_crop_corner": (N_('Your skip map is cropped at its top-left corner instead of its centre: the copy no longer lines up '
                              'with the up-convolved map.')),
        "up_relu": (N_('Your up step has a ReLU after the up-convolution: the paper pairs its ReLUs with the 3x3 '
                       'convolutions only (and the package follows the text).')),
        "net_no_head": (N_('Your network has no final 1x1 convolution: the feature channels of the top level must be mapped to '
                           'one score per class.')),
        "net_relu_head": (N_("Your scores are never negative: a ReLU after the final 1x1 convolution? The network's output is raw "
                             "class scores (logits), which the loss's soft-max turns into probabilities.")),
    }


SAYS = _compare_sentences()


def down_step(in_channels: int, out_channels: int) -> nn.Sequential:
    """The package's down step as one module: the 2x2 max-pooling (stride 2), then a ConvBlock
    (what UNet.forward does between two levels)."""
    return nn.Sequential(nn.MaxPool2d(kernel_size=2, stride=2), ConvBlock(in_channels, out_channels))


def reference_unet(depth: int, base_channels: int, in_channels: int = 1, num_classes: int = 2) -> UNet:
    """The package's UNet with MyUNet's arguments: valid convolutions, no drop-out (which does
    nothing in eval mode; the learner's network has none)."""
    return UNet(in_channels, num_classes, base_channels=base_channels, depth=depth, dropout=0.0)


def _seeded(module: nn.Module, seed: int = 0) -> nn.Module:
    """Fill every parameter with seeded normal values (biases too), scaled by the fan-in."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in module.parameters():
            fan_in = p[0].numel() if p.dim() > 1 else 4
            p.copy_(torch.randn(p.shape, generator=g) / fan_in**0.5)
    return module.eval()


def _randn(*shape: int, seed: int = 1) -> torch.Tensor:
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed))


def _compare_module(yours) -> str | None:
    if not isinstance(yours, nn.Module):
        return N_(
            'Your answer builds a {kind}, not a torch.nn.Module: write a class of nn.Module and call '
            'super().__init__() first.'
        ).format(kind=type(yours).__name__)
    return None


def _compare_parameters(mine: nn.Module, reference: nn.Module) -> str | None:
    """Copy the reference's parameters into ``mine`` in order; a message when counts or shapes differ."""
    ours, theirs = list(mine.named_parameters()), list(reference.named_parameters())
    if len(ours) != len(theirs):
        return (N_(
            'Your module has {yours} parameter tensors where the reference has {theirs}: build '
            'exactly the layers of this step (a convolution has a weight and a bias), in the order '
            'forward runs them.'
        ).format(yours=len(ours), theirs=len(theirs)))
    for i, ((name, a), (_, b)) in enumerate(zip(ours, theirs)):
        if a.shape != b.shape:
            return (N_(
                "Parameter {index} of your module ({name}) has shape {yours} where the reference's has "
                '{theirs}: create the layers in __init__ in the order forward runs them, with the '
                'channels the prompt gives.'
            ).format(index=i, name=name, yours=tuple(a.shape), theirs=tuple(b.shape)))
    with torch.no_grad():
        for (_, a), (_, b) in zip(ours, theirs):
            a.copy_(b)
    return None


def _same(a: torch.Tensor, b: torch.Tensor) -> bool:
    return a.shape == b.shape and torch.allclose(a, b, rtol=1e-4, atol=1e-5)


def _compare_raised(error: Exception) -> str:
    return N_('Your forward raised {kind}: {error}.').format(kind=type(error).__name__, error=error)


def _compare_shapes(given, expected) -> str:
    return N_('Your output has shape {given}, it should have shape {expected}.').format(given=tuple(given), expected=tuple(expected))


def _compare_run(yours: nn.Module, ref: nn.Module, *inputs: torch.Tensor, diagnose=()) -> str | None:
    """Load the reference's weights into ``yours``, run both, and say what differs. ``diagnose``:
    ``(test, sentence)`` pairs tried in order, ``test(out, ref_out)`` -> True for that mistake."""
    problem = _compare_module(yours) or _compare_parameters(yours, _seeded(ref))
    if problem:
        return problem
    yours.eval()
    with torch.no_grad():
        expected = ref(*inputs)
        try:
            out = yours(*inputs)
        except Exception as error:  # noqa: BLE001 - the learner's forward may raise anything
            return _compare_raised(error)
    if not isinstance(out, torch.Tensor):
        return N_('Your forward returns a {kind}, not a tensor.').format(kind=type(out).__name__)
    if _same(out, expected):
        return None
    for test, sentence in diagnose:
        if test(out, expected):
            return sentence
    if out.shape != expected.shape:
        return _compare_shapes(out.shape, expected.shape)
    return (N_(
        "Your output has the right shape, but its values differ from the reference's (largest "
        'difference {diff}) with the same weights: the layers are right, something in forward is '
        'not.'
    ).format(diff=format(float((out - expected).abs().max()), '.3g')))


def _keeps_size(x: torch.Tensor):
    return lambda out, expected: out.shape[-2:] == x.shape[-2:] != expected.shape[-2:]


# --- center_crop --------------------------------------------------------------------------


def _crop_cases():
    return [(_randn(2, 3, 11, 10), (6, 6)), (_randn(1, 2, 8, 9, seed=2), (4, 5))]


def _compare_crop(yours, expected, args) -> str | None:
    x, (h, w) = args
    if not isinstance(yours, torch.Tensor):
        return N_('Your function returns a {kind}, not a tensor: return the cropped part of x.').format(kind=type(yours).__name__)
    if yours.shape[:-2] != x.shape[:-2]:
        return SAYS["crop_axes"]
    big_h, big_w = x.shape[-2:]
    if tuple(yours.shape[-2:]) == (h + (big_h - h) % 2, w + (big_w - w) % 2) != (h, w):
        return SAYS["crop_large"]
    if yours.shape != expected.shape:
        return _compare_shapes(yours.shape, expected.shape)
    if torch.equal(yours, expected):
        return None
    if torch.equal(yours, x[..., :h, :w]):
        return SAYS["crop_corner"]
    top, left = (big_h - h) // 2, (big_w - w) // 2
    shifted = x[..., top + (big_h - h) % 2 : top + (big_h - h) % 2 + h, left + (big_w - w) % 2 : left + (big_w - w) % 2 + w]
    return SAYS["crop_shift"] if torch.equal(yours, shifted) else SAYS["crop_other"]


def _crop_corner(x, size):
    h, w = size
    return x[..., :h, :w]


def _crop_slice_to_end(x, size):
    top, left = (x.shape[-2] - size[0]) // 2, (x.shape[-1] - size[1]) // 2
    return x[..., top : x.shape[-2] - top, left : x.shape[-1] - left]


def _crop_round_up(x, size):
    top, left = (x.shape[-2] - size[0] + 1) // 2, (x.shape[-1] - size[1] + 1) // 2
    return x[..., top : top + size[0], left : left + size[1]]


def _crop_first_axes(x, size):
    top, left = (x.shape[-2] - size[0]) // 2, (x.shape[-1] - size[1]) // 2
    return x[top : top + size[0], left : left + size[1]]


# --- the block: two unpadded 3x3 convolutions, each followed by a ReLU -------------------------


def _compare_block(yours, ref, args) -> str | None:
    if isinstance(yours, nn.Module) and any(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in yours.modules()):
        return SAYS["block_batch_norm"]
    x = _randn(2, args[0], 14, 13)
    conv1, conv2 = ref[0], ref[2]
    return _compare_run(yours, ref, x, diagnose=[
        (_keeps_size(x), SAYS["padded"]),
        (lambda out, e: out.shape == e.shape and bool((out < 0).any()) and _same(out.relu(), e), SAYS["block_no_last_relu"]),
        (lambda out, e: out.shape == e.shape and _same(out, conv2(conv1(x)).relu()), SAYS["block_no_middle_relu"]),
    ])


class _BlockPadded(nn.Sequential):  # padding=1: the sizes do not shrink
    def __init__(self, in_channels, out_channels):
        super().__init__(nn.Conv2d(in_channels, out_channels, 3, padding=1), nn.ReLU(),
                         nn.Conv2d(out_channels, out_channels, 3, padding=1), nn.ReLU())


class _BlockNoLastReLU(nn.Sequential):  # the ReLU after the second convolution forgotten
    def __init__(self, in_channels, out_channels):
        super().__init__(nn.Conv2d(in_channels, out_channels, 3), nn.ReLU(), nn.Conv2d(out_channels, out_channels, 3))


class _BlockNoMiddleReLU(nn.Sequential):  # conv, conv, ReLU
    def __init__(self, in_channels, out_channels):
        super().__init__(nn.Conv2d(in_channels, out_channels, 3), nn.Conv2d(out_channels, out_channels, 3), nn.ReLU())


class _BlockBatchNorm(nn.Sequential):  # the modern habit, not the paper's
    def __init__(self, in_channels, out_channels):
        super().__init__(nn.Conv2d(in_channels, out_channels, 3), nn.BatchNorm2d(out_channels), nn.ReLU(),
                         nn.Conv2d(out_channels, out_channels, 3), nn.BatchNorm2d(out_channels), nn.ReLU())


# --- the down step: 2x2 max-pooling with stride 2, then the block -------------------------------


def _compare_down(yours, ref, args) -> str | None:
    x = _randn(2, args[0], 24, 20)
    return _compare_run(yours, ref, x, diagnose=[
        (lambda out, e: tuple(out.shape[-2:]) == (10, 8), SAYS["down_block_first"]),
        (lambda out, e: tuple(out.shape[-2:]) == (12, 10), SAYS["padded"]),
        (lambda out, e: tuple(out.shape[-2:]) == (19, 15), SAYS["down_stride_1"]),
        (lambda out, e: out.shape == e.shape and _same(out, ref[1](nn.functional.avg_pool2d(x, 2))), SAYS["down_average"]),
    ])


class _DownBlockFirst(nn.Module):
    def __init__(self, in_channels, out_channels):
        super().__init__()
        self.block = ConvBlock(in_channels, out_channels)

    def forward(self, x):
        return nn.functional.max_pool2d(self.block(x), 2)


class _DownPadded(nn.Sequential):
    def __init__(self, in_channels, out_channels):
        super().__init__(nn.MaxPool2d(2), ConvBlock(in_channels, out_channels, padding="same"))


class _DownAverage(nn.Sequential):
    def __init__(self, in_channels, out_channels):
        super().__init__(nn.AvgPool2d(2), ConvBlock(in_channels, out_channels))


class _DownStride1(nn.Sequential):
    def __init__(self, in_channels, out_channels):
        super().__init__(nn.MaxPool2d(kernel_size=2, stride=1), ConvBlock(in_channels, out_channels))


# --- the up step: 2x2 up-convolution, crop the skip map, concatenate (skip first), the block -----


def _up_inputs(channels: int) -> tuple[torch.Tensor, torch.Tensor]:
    return _randn(1, channels, 6, 5, seed=3), _randn(1, channels // 2, 20, 18, seed=4)


def _up_variant(ref: UpBlock, x, skip, order="skip-first", shift=(0, 0), corner=False, relu=False) -> torch.Tensor:
    """What the reference computes with one thing done the other way (for the diagnosis)."""
    up = ref.up(x).relu() if relu else ref.up(x)
    h, w = up.shape[-2:]
    top, left = (0, 0) if corner else ((skip.shape[-2] - h) // 2 + shift[0], (skip.shape[-1] - w) // 2 + shift[1])
    cut = skip[..., top : top + h, left : left + w]
    return ref.conv(torch.cat([cut, up] if order == "skip-first" else [up, cut], dim=1))


def _compare_up(yours, ref, args) -> str | None:
    if isinstance(yours, nn.Module) and not any(isinstance(m, nn.ConvTranspose2d) for m in yours.modules()):
        return SAYS["up_bilinear"]
    x, skip = _up_inputs(args[0])
    shifts = [(dy, dx) for dy in (-1, 0, 1) for dx in (-1, 0, 1) if (dy, dx) != (0, 0)]
    like = lambda **kw: lambda out, e: out.shape == e.shape and _same(out, _up_variant(ref, x, skip, **kw))  # noqa: E731
    return _compare_run(yours, ref, x, skip, diagnose=[
        (lambda out, e: tuple(out.shape[-2:]) == (12, 10), SAYS["padded"]),
        (like(order="up-first"), SAYS["up_order"]),
        (like(corner=True), SAYS["up_crop_corner"]),
        (lambda out, e: any(like(shift=s)(out, e) for s in shifts), SAYS["up_crop_shift"]),
        (like(relu=True), SAYS["up_relu"]),
    ])


class _Up(nn.Module):
    """The up step as a learner writes it; the mistakes below change one line each."""

    def __init__(self, in_channels, out_channels, padding="valid"):
        super().__init__()
        self.up = nn.ConvTranspose2d(in_channels, in_channels // 2, kernel_size=2, stride=2)
        self.conv = ConvBlock(in_channels, out_channels, padding)

    def forward(self, x, skip):
        x = self.up(x)
        return self.conv(torch.cat([center_crop(skip, tuple(x.shape[-2:])), x], dim=1))


class _UpPadded(_Up):
    def __init__(self, in_channels, out_channels):
        super().__init__(in_channels, out_channels, padding="same")


class _UpOtherOrder(_Up):
    def forward(self, x, skip):
        x = self.up(x)
        return self.conv(torch.cat([x, center_crop(skip, tuple(x.shape[-2:]))], dim=1))


class _UpCropOffByOne(_Up):
    def forward(self, x, skip):
        x = self.up(x)
        h, w = x.shape[-2:]
        top, left = (skip.shape[-2] - h) // 2 + 1, (skip.shape[-1] - w) // 2 + 1
        return self.conv(torch.cat([skip[..., top : top + h, left : left + w], x], dim=1))


class _UpCropCorner(_Up):
    def forward(self, x, skip):
        x = self.up(x)
        return self.conv(torch.cat([skip[..., : x.shape[-2], : x.shape[-1]], x], dim=1))


class _UpReLU(_Up):
    def forward(self, x, skip):
        x = torch.relu(self.up(x))
        return self.conv(torch.cat([center_crop(skip, tuple(x.shape[-2:])), x], dim=1))


class _UpBilinear(nn.Module):
    def __init__(self, in_channels, out_channels):
        super().__init__()
        self.up = nn.Sequential(nn.Upsample(scale_factor=2, mode="bilinear"), nn.Conv2d(in_channels, in_channels // 2, 1))
        self.conv = ConvBlock(in_channels, out_channels)

    def forward(self, x, skip):
        x = self.up(x)
        return self.conv(torch.cat([center_crop(skip, tuple(x.shape[-2:])), x], dim=1))


# --- MyUNet(depth, base_channels) ----------------------------------------------------------------


def _walk(net: nn.Module, x: torch.Tensor) -> tuple[list[tuple[str, str]], torch.Tensor]:
    """``(name, "(C, H, W)")`` after every convolution of ``net`` in the order they run, and its output."""
    names = {m: n for n, m in net.named_modules()}
    seen: list[tuple[str, str]] = []
    hook = lambda m, i, o: seen.append((names[m], str(tuple(o.shape[1:]))))  # noqa: E731
    handles = [m.register_forward_hook(hook) for m in net.modules() if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d))]
    try:
        out = net(x)
    finally:
        for handle in handles:
            handle.remove()
    return seen, out


def _compare_paper_size(build) -> str | None:
    """The paper's settings (depth 4, 64 base channels) on the meta device: sizes, counts, parameters."""
    with torch.device("meta"):
        yours, ref = build(4, 64), reference_unet(4, 64)
    problem = _compare_module(yours)
    if problem:
        return problem
    x = torch.empty(1, 1, 572, 572, device="meta")
    ref_walk, ref_out = _walk(ref, x)
    try:
        walk, out = _walk(yours, x)
    except Exception as error:  # noqa: BLE001 - the learner's forward may raise anything
        return _compare_raised(error)
    convs = [m for m in yours.modules() if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d))]
    padded = any(isinstance(m, nn.Conv2d) and m.kernel_size == (3, 3) and m.padding not in ((0, 0), "valid") for m in convs)
    if padded or (isinstance(out, torch.Tensor) and tuple(out.shape[-2:]) == (572, 572)):
        return SAYS["padded"]
    if not any(isinstance(m, nn.ConvTranspose2d) for m in convs):
        return SAYS["up_bilinear"]
    if not any(isinstance(m, nn.Conv2d) and m.kernel_size == (1, 1) for m in convs):
        return SAYS["net_no_head"]
    if len(convs) != len(ref.conv_layers()):
        return (N_(
            'Your network has {yours} convolutional layers (nn.Conv2d and nn.ConvTranspose2d) where '
            "the paper's has {theirs}."
        ).format(yours=len(convs), theirs=len(ref.conv_layers())))
    count = sum(p.numel() for p in yours.parameters())
    if count != ref.num_parameters():
        return (N_(
            "Your network has {yours} parameters where the paper's has {theirs}: compare the channels"
            ' of every level (base_channels at the top, doubled at every level down).'
        ).format(yours=format(count, ','), theirs=format(ref.num_parameters(), ',')))
    for k, ((name, got), (_, want)) in enumerate(zip(walk, ref_walk), 1):
        if got != want:
            return (N_(
                'For a 572 x 572 input your convolution number {index} ({name}) gives a map of shape '
                "{yours}; at that place the paper's network has {theirs}."
            ).format(index=k, name=name, yours=got, theirs=want))
    if not isinstance(out, torch.Tensor) or out.shape != ref_out.shape:
        return _compare_shapes(getattr(out, "shape", ()), ref_out.shape)
    return None


def _swapped_halves(ref: UNet) -> UNet:
    """``ref`` with the input channels of every expanding level's first convolution swapped: the
    network a learner builds by concatenating [up, skip] instead of [skip, up]."""
    other = copy.deepcopy(ref)
    with torch.no_grad():
        for block in other.decoder:
            w = block.conv[0].weight
            half = w.shape[1] // 2
            w.copy_(torch.cat([w[:, half:], w[:, :half]], dim=1))
    return other


def _compare_unet(yours, ref, args) -> str | None:
    if args == UNET_CASES[0]:
        build = reference_unet if isinstance(yours, UNet) else type(yours)
        problem = _compare_paper_size(build)
        if problem:
            return problem
    n = ref.valid_input_size(2 * ref.margin + 12)
    x = _randn(1, 1, n, n, seed=5)
    return _compare_run(yours, ref, x, diagnose=[
        (lambda out, e: out.shape == e.shape and bool((out >= 0).all()) and bool((e < 0).any()), SAYS["net_relu_head"]),
        (lambda out, e: out.shape == e.shape and _same(out, _swapped_halves(ref)(x)), SAYS["up_order"]),
    ])


UNET_CASES = [(2, 4), (3, 2)]


class _SketchUNet(nn.Module):
    """MyUNet as a learner writes it; the mistakes below swap one piece."""

    Up = _Up
    padding = "valid"

    def __init__(self, depth, base_channels):
        super().__init__()
        widths = [base_channels * 2**i for i in range(depth + 1)]
        self.first = ConvBlock(1, widths[0], self.padding)
        self.downs = nn.ModuleList(nn.Sequential(nn.MaxPool2d(2), ConvBlock(a, b, self.padding))
                                   for a, b in zip(widths, widths[1:]))
        self.ups = nn.ModuleList(self.Up(b, a) for a, b in reversed(list(zip(widths, widths[1:]))))
        self.head = self._head(widths[0])

    def _head(self, channels):
        return nn.Conv2d(channels, 2, kernel_size=1)

    def forward(self, x):
        skips = [self.first(x)]
        for down in self.downs:
            skips.append(down(skips[-1]))
        x = skips.pop()
        for up in self.ups:
            x = up(x, skips.pop())
        return self.head(x)


class _UNetPadded(_SketchUNet):
    padding = "same"
    Up = _UpPadded


class _UNetOtherOrder(_SketchUNet):
    Up = _UpOtherOrder


class _UNetNoHead(_SketchUNet):
    def _head(self, channels):
        return nn.Identity()


class _UNetReLUHead(_SketchUNet):
    def _head(self, channels):
        return nn.Sequential(nn.Conv2d(channels, 2, kernel_size=1), nn.ReLU())


class _UNetBilinear(_SketchUNet):
    Up = _UpBilinear


_BY_ORDER = ("The check copies the package's weights into yours by order (the k-th tensor of `.parameters()` gets the "
             "k-th of the package's, shapes checked), so create the layers in `__init__` in the order `forward` runs them.")

QUESTIONS += [
    quiz.CodeExercise(
        "05.build-crop",
        "Write `my_center_crop(x, size)`: the centre `h x w` of the last two axes of a tensor `x` of shape "
        "`(B, C, H, W)`, with `size = (h, w)`. Where a margin `H - h` is odd, the extra row goes to the bottom (the "
        "extra column to the right). Return a slice of `x`.",
        center_crop, _crop_cases, compare=_compare_crop,
        hint="Work out how many rows to skip at the top (rounding down), then take exactly h rows from there; the same "
        "for the columns, in the last two axes.",
        wrong=[quiz.Mistake(_crop_corner, SAYS["crop_corner"]), quiz.Mistake(_crop_slice_to_end, SAYS["crop_large"]),
               quiz.Mistake(_crop_round_up, SAYS["crop_shift"]), quiz.Mistake(_crop_first_axes, SAYS["crop_axes"])],
    ),
    quiz.CodeExercise(
        "05.build-block",
        "Write `MyConvBlock(in_channels, out_channels)`, a `torch.nn.Module` whose forward maps `(B, in_channels, H, W)` "
        "to `(B, out_channels, H - 4, W - 4)`: an unpadded 3x3 convolution, a ReLU, a second unpadded 3x3 convolution "
        "(`out_channels` to `out_channels`), a ReLU. " + _BY_ORDER,
        ConvBlock, [(3, 4), (2, 6)], compare=_compare_block,
        hint="nn.Conv2d has no padding unless you ask for it; nn.Sequential keeps its layers in the order you give them.",
        wrong=[quiz.Mistake(_BlockPadded, SAYS["padded"]), quiz.Mistake(_BlockNoLastReLU, SAYS["block_no_last_relu"]),
               quiz.Mistake(_BlockNoMiddleReLU, SAYS["block_no_middle_relu"]),
               quiz.Mistake(_BlockBatchNorm, SAYS["block_batch_norm"])],
    ),
    quiz.CodeExercise(
        "05.build-down",
        "Write `MyDown(in_channels, out_channels)`: one step down the contracting path, a 2x2 max-pooling with stride 2, "
        "then your block from `in_channels` to `out_channels`: `(B, in_channels, H, W)` to "
        "`(B, out_channels, H / 2 - 4, W / 2 - 4)`. " + _BY_ORDER,
        down_step, [(3, 4)], compare=_compare_down,
        hint="The pooling has no weights and comes first; check which stride your pooling layer uses.",
        wrong=[quiz.Mistake(_DownBlockFirst, SAYS["down_block_first"]), quiz.Mistake(_DownPadded, SAYS["padded"]),
               quiz.Mistake(_DownStride1, SAYS["down_stride_1"]), quiz.Mistake(_DownAverage, SAYS["down_average"])],
    ),
    quiz.CodeExercise(
        "05.build-up",
        "Write `MyUp(in_channels, out_channels)` whose `forward(x, skip)` takes `x` `(B, in_channels, h, w)` from the "
        "level below and the contracting path's `skip` `(B, in_channels // 2, H, W)`: a 2x2 up-convolution with stride "
        "2 from `in_channels` to `in_channels // 2` channels, `skip` cropped at its centre to the up-convolved map's "
        "size, the two concatenated in the package's order `torch.cat([skip, up], dim=1)`, then your block from "
        "`in_channels` to `out_channels`. " + _BY_ORDER,
        UpBlock, [(8, 4)], compare=_compare_up,
        hint="Up-convolve first, then crop skip to the size of what came out, then concatenate; the ReLUs belong to "
        "the 3x3 convolutions only.",
        wrong=[quiz.Mistake(_UpOtherOrder, SAYS["up_order"]), quiz.Mistake(_UpBilinear, SAYS["up_bilinear"]),
               quiz.Mistake(_UpCropOffByOne, SAYS["up_crop_shift"]), quiz.Mistake(_UpCropCorner, SAYS["up_crop_corner"]),
               quiz.Mistake(_UpPadded, SAYS["padded"]), quiz.Mistake(_UpReLU, SAYS["up_relu"])],
    ),
    quiz.CodeExercise(
        "05.build-unet",
        "Write `MyUNet(depth, base_channels)` (1 input channel, 2 classes, unpadded convolutions) from your steps: a "
        "first block to `base_channels`, `depth` down steps that double the channels (the last one is the "
        "bottleneck), `depth` up steps that halve them, each with the skip map of its level, and a final 1x1 "
        "convolution to the 2 class scores. The check builds `MyUNet(4, 64)` on the meta device (no memory) and wants "
        "the paper's map size after every convolution for a 572 x 572 input, a 388 x 388 output, 23 convolutional "
        "layers and 31,030,658 parameters; then, for small settings, the package's `UNet` weights copied into yours "
        "by order must give the same output: create the modules in `__init__` in the order `forward` first uses "
        "them (first block, down steps, up steps, 1x1 convolution).",
        reference_unet, UNET_CASES, compare=_compare_unet,
        hint="Keep the output of the first block and of every down step but the last in a list; the up steps take "
        "them back in the reverse order.",
        wrong=[quiz.Mistake(_UNetPadded, SAYS["padded"]), quiz.Mistake(_UNetOtherOrder, SAYS["up_order"]),
               quiz.Mistake(_UNetNoHead, SAYS["net_no_head"]), quiz.Mistake(_UNetReLUHead, SAYS["net_relu_head"]),
               quiz.Mistake(_UNetBilinear, SAYS["up_bilinear"])],
    ),
]
