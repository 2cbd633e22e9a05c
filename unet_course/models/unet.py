"""The U-Net of Ronneberger, Fischer and Brox (2015), with its size arithmetic.

The network has a contracting path (수축 경로): at each of ``depth`` levels two 3x3
convolutions, each followed by a ReLU, then a 2x2 max-pooling with stride 2 that halves the
size; the number of channels doubles from level to level. A bottleneck of two more 3x3
convolutions follows, then drop-out (the paper's "drop-out layers at the end of the contracting
path"). The expanding path (확장 경로) mirrors it: a 2x2 up-convolution that doubles the size and
halves the channels, a concatenation with the centre-cropped feature map of the same level of
the contracting path (copy and crop), and two 3x3 convolutions with ReLUs. A final 1x1
convolution maps the features to ``num_classes`` scores per pixel.

With ``padding="valid"`` (the paper's choice) every 3x3 convolution loses a 1-pixel border, so
the output is smaller than the input (572 -> 388 for depth 4), and only some input sizes work:
every map that is max-pooled must have an even size. With ``padding="same"`` the output has the
input's size, and the input size must be a multiple of ``2**depth``.

Sizes below are the side length ``n`` of a map in pixels; height and width are independent.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import torch
from torch import Tensor, nn

from .. import runtime

Padding = Literal["valid", "same"]
PADDINGS: tuple[str, ...] = ("valid", "same")

__all__ = [
    "ConvBlock",
    "UpBlock",
    "UNet",
    "SizeStep",
    "center_crop",
    "he_normal_",
    "activation_moments",
]


def center_crop(x: Tensor, size: int | tuple[int, int], *, even: bool = False) -> Tensor:
    """Crop the centre ``size`` of the last two (spatial) dimensions of ``x``: the "crop" of
    the paper's copy-and-crop (section 2, Fig. 1; chapter 05) and of labels and weight maps cut
    to a valid U-Net's output (eq. 1, chapter 08).

    Args:
        x: tensor ``(..., H, W)`` of any dtype.
        size: ``h`` or ``(h, w)`` with ``h <= H`` and ``w <= W``.
        even: require the same number of pixels off each side (what a valid U-Net removes from
            its input), refusing an odd margin.

    Returns:
        A view ``(..., h, w)``. When ``H - h`` is odd (and ``even`` is False) the extra row is
        dropped at the bottom (the same for columns: the extra column is dropped at the right).
    """
    h, w = (size, size) if isinstance(size, int) else (int(size[0]), int(size[1]))
    if x.dim() < 2:
        raise ValueError(f"center_crop needs a tensor with at least 2 dimensions, got shape {tuple(x.shape)}")
    big_h, big_w = x.shape[-2], x.shape[-1]
    if not (0 < h <= big_h and 0 < w <= big_w):
        raise ValueError(
            f"cannot crop a {big_h}x{big_w} map to {h}x{w}: the crop must be positive and no larger than the map"
        )
    if even and ((big_h - h) % 2 or (big_w - w) % 2):
        raise ValueError(
            f"cannot centre-crop {big_h}x{big_w} to {h}x{w}: the margins {big_h - h} and {big_w - w} must be even "
            "(a valid U-Net removes the same number of pixels on each side)"
        )
    top = (big_h - h) // 2
    left = (big_w - w) // 2
    return x[..., top : top + h, left : left + w]


def _fan_in(module: nn.Conv2d | nn.ConvTranspose2d) -> int:
    """Number of incoming connections of one output neuron (the paper's N)."""
    kh, kw = module.kernel_size
    if isinstance(module, nn.ConvTranspose2d):
        # Weight shape (in, out, kh, kw). With stride s, one output pixel receives
        # ceil(k/s)^2 kernel taps from each input channel; for the U-Net's 2x2 stride-2
        # up-convolution that is exactly one tap per input channel.
        sh, sw = module.stride
        return module.in_channels * math.ceil(kh / sh) * math.ceil(kw / sw) // module.groups
    return module.in_channels * kh * kw // module.groups


def he_normal_(module: nn.Conv2d | nn.ConvTranspose2d, generator: torch.Generator | None = None) -> None:
    """The paper's initialisation: weights ~ N(0, sqrt(2/N)), biases zero.

    ``N`` is the number of incoming nodes of one neuron: ``k * k * in_channels`` for a
    ``k x k`` convolution (``9 * 64 = 576`` for a 3x3 convolution after 64 channels).

    Serves: U-Net paper section 2, Fig. 1 (network architecture); chapter 05.
    """
    std = math.sqrt(2.0 / _fan_in(module))
    with torch.no_grad():
        module.weight.normal_(0.0, std, generator=generator)
        if module.bias is not None:
            module.bias.zero_()


class ConvBlock(nn.Sequential):
    """Two 3x3 convolutions, each followed by a ReLU.

    Input ``(B, in_channels, H, W)``; output ``(B, out_channels, H - 4, W - 4)`` with
    ``padding="valid"`` and ``(B, out_channels, H, W)`` with ``padding="same"``.

    Serves: U-Net paper section 2, Fig. 1 (network architecture); chapter 05.
    """

    def __init__(self, in_channels: int, out_channels: int, padding: Padding = "valid") -> None:
        if padding not in PADDINGS:
            raise ValueError(f"padding must be one of {PADDINGS}, got {padding!r}")
        pad = 1 if padding == "same" else 0
        super().__init__(
            nn.Conv2d(in_channels, out_channels, kernel_size=3, padding=pad),
            nn.ReLU(),
            nn.Conv2d(out_channels, out_channels, kernel_size=3, padding=pad),
            nn.ReLU(),
        )
        self.padding = padding


class UpBlock(nn.Module):
    """One level of the expanding path: up-convolution, copy and crop, two 3x3 convolutions.

    ``forward(x, skip)``: ``x`` ``(B, in_channels, h, w)`` from the level below and ``skip``
    ``(B, in_channels // 2, H, W)`` from the contracting path with ``H >= 2h``, ``W >= 2w``.
    The 2x2 up-convolution (stride 2) doubles the size and halves the channels, ``skip`` is
    centre-cropped to ``2h x 2w`` and concatenated (skip first), and a :class:`ConvBlock` maps
    the ``in_channels`` channels to ``out_channels``.

    Serves: U-Net paper section 2, Fig. 1 (network architecture); chapter 05.
    """

    def __init__(self, in_channels: int, out_channels: int, padding: Padding = "valid") -> None:
        super().__init__()
        if in_channels % 2:
            raise ValueError(f"in_channels must be even (the up-convolution halves it), got {in_channels}")
        self.up = nn.ConvTranspose2d(in_channels, in_channels // 2, kernel_size=2, stride=2)
        self.conv = ConvBlock(in_channels, out_channels, padding)

    def forward(self, x: Tensor, skip: Tensor) -> Tensor:
        x = self.up(x)
        skip = center_crop(skip, (x.shape[-2], x.shape[-1]))
        return self.conv(torch.cat([skip, x], dim=1))


@dataclass(frozen=True)
class SizeStep:
    """One step of the size walk: after layer ``layer`` a map is ``size`` pixels wide with
    ``channels`` channels, at ``level`` (0 = full resolution, ``depth`` = bottleneck).

    Serves: U-Net paper section 2, Fig. 1 (network architecture); chapter 05.
    """

    layer: str
    size: int
    channels: int
    level: int


class UNet(nn.Module):
    """The U-Net of the paper (Ronneberger et al., 2015).

    Args:
        in_channels: channels of the input image (1 for the paper's grey images).
        num_classes: channels of the output: one score per class and pixel.
        base_channels: channels of the first level (64 in the paper); level ``i`` has
            ``base_channels * 2**i``.
        depth: number of max-poolings (4 in the paper).
        padding: ``"valid"`` (the paper: unpadded convolutions, output smaller than input) or
            ``"same"`` (zero-padded convolutions, output the size of the input).
        dropout: drop-out probability at the end of the contracting path (0 disables it).

    Input ``(B, in_channels, H, W)`` float with ``H`` and ``W`` valid sizes (see
    :meth:`valid_input_size`); output ``(B, num_classes, output_size(H), output_size(W))``,
    unnormalised class scores (logits).

    Serves: U-Net paper section 2, Fig. 1 (network architecture); chapter 05.
    """

    def __init__(
        self,
        in_channels: int = 1,
        num_classes: int = 2,
        base_channels: int = 64,
        depth: int = 4,
        padding: Padding = "valid",
        dropout: float = 0.5,
    ) -> None:
        super().__init__()
        for name, value, low in (("in_channels", in_channels, 1), ("num_classes", num_classes, 1),
                                 ("base_channels", base_channels, 1), ("depth", depth, 1)):
            if not isinstance(value, int) or isinstance(value, bool) or value < low:
                raise ValueError(f"{name} must be an int >= {low}, got {value!r}")
        if padding not in PADDINGS:
            raise ValueError(f"padding must be one of {PADDINGS}, got {padding!r}")
        if not 0.0 <= float(dropout) < 1.0:
            raise ValueError(f"dropout must be a probability in [0, 1), got {dropout!r}")
        self.in_channels = in_channels
        self.num_classes = num_classes
        self.base_channels = base_channels
        self.depth = depth
        self.padding = padding

        widths = [base_channels * 2**i for i in range(depth + 1)]
        self.encoder = nn.ModuleList()
        previous = in_channels
        for width in widths[:-1]:
            self.encoder.append(ConvBlock(previous, width, padding))
            previous = width
        self.pool = nn.MaxPool2d(kernel_size=2, stride=2)
        self.bottleneck = ConvBlock(previous, widths[-1], padding)
        self.dropout = nn.Dropout(p=float(dropout)) if dropout > 0 else nn.Identity()
        self.decoder = nn.ModuleList(
            UpBlock(widths[i + 1], widths[i], padding) for i in reversed(range(depth))
        )
        self.head = nn.Conv2d(widths[0], num_classes, kernel_size=1)
        self.reset_parameters()

    # ------------------------------------------------------------------ weights
    def reset_parameters(self, generator: torch.Generator | None = None) -> None:
        """Draw every weight from N(0, sqrt(2/N)) (N = incoming nodes) and zero every bias."""
        for module in self.modules():
            if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d)):
                he_normal_(module, generator)

    # ------------------------------------------------------------------ sizes
    @property
    def margin(self) -> int:
        """Context lost on each side by a valid network: ``(n - output_size(n)) / 2`` pixels
        (92 for depth 4); 0 with ``padding="same"``."""
        if self.padding == "same":
            return 0
        n = self.valid_input_size(1)
        return (n - self.output_size(n)) // 2

    @property
    def receptive_reach(self) -> int:
        """How far, in input pixels, the receptive field of an output pixel can reach beyond
        the pixel itself: ``7 * 2**depth - 5`` (107 for depth 4).

        It is the valid network's margin (``6 * 2**depth - 4``, 92) plus up to
        ``2**depth - 1`` pixels more: max-pooling makes the receptive field depend on where a
        pixel lies on the ``2**depth`` grid, reaching ``margin + (k mod 2**depth)`` pixels
        towards the top (left) for output pixel ``k`` of a tile. The same holds for
        ``padding="same"`` networks, whose layers have the same receptive fields. An output
        pixel farther than this from an image border never sees the extrapolated context.
        """
        return 7 * 2**self.depth - 5

    def _walk(self, n: int) -> tuple[list[SizeStep], str | None]:
        """Follow a side length ``n`` through the network; return the steps and the first
        problem met (``None`` when ``n`` is valid)."""
        shrink = 4 if self.padding == "valid" else 0
        widths = [self.base_channels * 2**i for i in range(self.depth + 1)]
        steps = [SizeStep("input", n, self.in_channels, 0)]
        size = n

        def conv(name: str, channels: int, level: int) -> str | None:
            nonlocal size
            for j in (1, 2):
                size -= shrink // 2
                steps.append(SizeStep(f"{name}.conv{j}", size, channels, level))
                if size < 1:
                    return f"the map shrinks to {size} px at {name}.conv{j}"
            return None

        for level in range(self.depth):
            problem = conv(f"encoder{level}", widths[level], level)
            if problem:
                return steps, problem
            if size % 2:
                return steps, f"a {size} px map reaches max-pool {level + 1} (it needs an even size)"
            size //= 2
            steps.append(SizeStep(f"pool{level + 1}", size, widths[level], level + 1))
        problem = conv("bottleneck", widths[-1], self.depth)
        if problem:
            return steps, problem
        for i, level in enumerate(reversed(range(self.depth))):
            size *= 2
            steps.append(SizeStep(f"decoder{i}.up", size, widths[level], level))
            problem = conv(f"decoder{i}", widths[level], level)
            if problem:
                return steps, problem
        steps.append(SizeStep("head", size, self.num_classes, 0))
        return steps, None

    def size_walk(self, n: int, strict: bool = True) -> list[SizeStep]:
        """The side length after every layer for an input side ``n``.

        ``[SizeStep("input", 572, 1, 0), SizeStep("encoder0.conv1", 570, 64, 0), ...,
        SizeStep("head", 388, 2, 0)]`` for the paper's network. With ``strict=True`` an invalid
        ``n`` raises ``ValueError`` (naming the nearest valid sizes); with ``strict=False`` the
        walk stops at the first problem (see :meth:`size_problem`).
        """
        if strict:
            self._check_size(n)
        return self._walk(int(n))[0]

    def size_problem(self, n: int) -> str | None:
        """What goes wrong for an input side ``n`` (``"a 279 px map reaches max-pool 2 (it
        needs an even size)"``), or ``None`` when ``n`` is valid."""
        if not isinstance(n, int) or n < 1:
            return "a size must be a positive int"
        return self._walk(n)[1]

    def is_valid_size(self, n: int) -> bool:
        """``True`` when a side of ``n`` pixels passes the network without losing a pixel at a
        pooling and with an output of at least 1 pixel."""
        return isinstance(n, int) and n >= 1 and self._walk(n)[1] is None

    @property
    def _period(self) -> int:
        return 2**self.depth

    def _smallest_valid(self) -> int:
        n = 1
        while not self.is_valid_size(n):
            n += 1
        return n

    def valid_input_size(self, n: int) -> int:
        """The smallest valid input side at or above ``n`` pixels.

        Valid sides form the progression ``n_min + k * 2**depth`` (``n_min = 188`` for the
        paper's depth 4 valid network, so 572 = 188 + 24 * 16; ``16`` with ``padding="same"``).
        """
        if not isinstance(n, (int,)) or isinstance(n, bool):
            raise TypeError(f"n must be an int number of pixels, got {type(n).__name__}")
        n_min = self._smallest_valid()
        if n <= n_min:
            return n_min
        return n_min + math.ceil((n - n_min) / self._period) * self._period

    def valid_input_sizes(self, low: int, high: int) -> list[int]:
        """Every valid input side ``n`` with ``low <= n <= high``."""
        sizes = []
        n = self.valid_input_size(max(int(low), 1))
        while n <= high:
            sizes.append(n)
            n += self._period
        return sizes

    def _nearest(self, n: int) -> tuple[int | None, int]:
        above = self.valid_input_size(max(n, 1))
        below = above - self._period
        return (below if below >= self._smallest_valid() and below < n else None), above

    def _check_size(self, n: int, what: str = "input side") -> None:
        if not isinstance(n, int) or isinstance(n, bool):
            raise TypeError(f"{what} must be an int number of pixels, got {type(n).__name__}")
        if self.is_valid_size(n):
            return
        below, above = self._nearest(n)
        problem = self._walk(n)[1] if n >= 1 else "a size must be positive"
        nearest = f"{below} or {above}" if below is not None else f"{above} (the smallest valid size)"
        raise ValueError(
            f"{what} {n} px does not fit this U-Net (depth {self.depth}, padding={self.padding!r}): "
            f"{problem}. The nearest valid sizes are {nearest}; valid sizes are "
            f"{self._smallest_valid()} + k * {self._period}. Pad or crop the image to one of them "
            f"(unet_course.tiling.predict_tiled does this for images of any size)."
        )

    def output_size(self, n: int) -> int:
        """Side of the output map for an input side of ``n`` pixels (388 for 572 in the paper).

        Raises ``ValueError`` naming the nearest valid sizes when ``n`` is not valid.
        """
        self._check_size(n)
        return self._walk(n)[0][-1].size

    # ------------------------------------------------------------------ counts
    def conv_layers(self) -> list[nn.Module]:
        """Every convolution of the network (3x3, 2x2 up-convolutions and the final 1x1),
        in forward order: 23 for the paper's network."""
        return [m for m in self.modules() if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d))]

    def num_parameters(self) -> int:
        """Number of trainable parameters: 31,030,658 for the paper's network."""
        return sum(p.numel() for p in self.parameters() if p.requires_grad)

    def forward_flops(self, height: int, width: int | None = None) -> int:
        """Floating-point operations of one forward pass of one image, counting a
        multiply-add as 2 FLOPs and only the convolutions (as ``torch.utils.flop_counter``
        does): about 301 GFLOP (3.01e11) for the paper's network at 572 x 572."""
        width = height if width is None else width
        hs = {s.layer: s.size for s in self.size_walk(height)}
        ws = {s.layer: s.size for s in self.size_walk(width)}
        convs = dict(self.named_modules())
        total = 0
        for name, module in convs.items():
            if isinstance(module, nn.Conv2d):
                layer = self._layer_of(name)
                kh, kw = module.kernel_size
                macs_per_px = module.in_channels // module.groups * kh * kw * module.out_channels
                total += 2 * macs_per_px * hs[layer] * ws[layer]
            elif isinstance(module, nn.ConvTranspose2d):
                layer = self._layer_of(name)
                kh, kw = module.kernel_size
                # Every input pixel scatters into kh*kw outputs per output channel.
                in_h, in_w = hs[layer] // module.stride[0], ws[layer] // module.stride[1]
                total += 2 * module.in_channels * module.out_channels * kh * kw * in_h * in_w
        return total

    def _layer_of(self, module_name: str) -> str:
        """Map a module name (``encoder.0.2``) to its size-walk layer (``encoder0.conv2``)."""
        parts = module_name.split(".")
        if parts[0] == "head":
            return "head"
        if parts[0] == "bottleneck":
            return f"bottleneck.conv{int(parts[1]) // 2 + 1}"
        if parts[0] == "encoder":
            return f"encoder{parts[1]}.conv{int(parts[2]) // 2 + 1}"
        if parts[0] == "decoder":
            if parts[2] == "up":
                return f"decoder{parts[1]}.up"
            return f"decoder{parts[1]}.conv{int(parts[3]) // 2 + 1}"
        raise KeyError(module_name)

    # ------------------------------------------------------------------ forward
    def check_input(self, x: Tensor) -> None:
        """Raise a clear error when ``x`` is not a ``(B, in_channels, H, W)`` float tensor of
        the weights' dtype with valid ``H`` and ``W``."""
        if not isinstance(x, Tensor):
            raise TypeError(f"UNet expects a torch.Tensor, got {type(x).__name__}; use torch.as_tensor(image)")
        if x.dim() != 4:
            hint = " (add a batch axis: x[None])" if x.dim() == 3 else " (add batch and channel axes: x[None, None])" if x.dim() == 2 else ""
            raise ValueError(
                f"UNet expects a 4-d tensor (batch, channels, height, width), got shape {tuple(x.shape)}{hint}"
            )
        weight_dtype = self.head.weight.dtype
        if x.dtype != weight_dtype:
            raise TypeError(
                f"UNet weights are {weight_dtype} but the input is {x.dtype}; "
                f"convert it with x.to({weight_dtype}) (images of integers: scale to [0, 1] first)"
            )
        if x.shape[1] != self.in_channels:
            raise ValueError(
                f"UNet was built for {self.in_channels} input channel(s) but the input has {x.shape[1]} "
                f"(shape {tuple(x.shape)}); the channel axis is dimension 1"
            )
        self._check_size(int(x.shape[-2]), "input height")
        self._check_size(int(x.shape[-1]), "input width")

    def forward(self, x: Tensor) -> Tensor:
        """``(B, in_channels, H, W)`` -> ``(B, num_classes, output_size(H), output_size(W))``."""
        self.check_input(x)
        skips = []
        for block in self.encoder:
            x = block(x)
            skips.append(x)
            x = self.pool(x)
        x = self.dropout(self.bottleneck(x))
        for block, skip in zip(self.decoder, reversed(skips)):
            x = block(x, skip)
        return self.head(x)

    def config(self) -> dict[str, object]:
        """The constructor's arguments, so that :func:`unet_course.train.load_checkpoint` can
        rebuild this U-Net from a checkpoint (paper section 2's network; chapters 05-09)."""
        p = getattr(self.dropout, "p", 0.0)
        return dict(in_channels=self.in_channels, num_classes=self.num_classes, base_channels=self.base_channels,
                    depth=self.depth, padding=self.padding, dropout=float(p))

    def extra_repr(self) -> str:
        return (
            f"in_channels={self.in_channels}, num_classes={self.num_classes}, "
            f"base_channels={self.base_channels}, depth={self.depth}, padding={self.padding!r}"
        )


@torch.no_grad()
def activation_moments(model: nn.Module, x: Tensor) -> list[dict]:
    """Second moments of the inputs and outputs of every convolution of ``model`` on ``x``.

    The paper (Section 3) asks that "each feature map in the network has approximately unit
    variance" and draws the weights from N(0, sqrt(2/N)) to that end (He et al. 2015). For a
    convolution with that initialisation and zero biases, E[y^2] = 2 E[x^2] for its output ``y``
    and input ``x``; after a ReLU of a symmetric ``y``, E[relu(y)^2] = E[y^2] / 2, so in a chain
    of convolutions and ReLUs the second moment of the pre-activations stays constant. The
    max-poolings, the concatenations and the up-convolutions of a U-Net are not such a chain;
    this function measures what happens there.

    Args:
        model: any network; forward hooks on its ``Conv2d`` and ``ConvTranspose2d`` layers.
        x: its input ``(B, C, H, W)``.

    Returns:
        one dict per convolution, in the order they run: ``name`` (module name), ``kind``
        (``"conv3x3"``, ``"upconv"``, ``"conv1x1"``...), ``fan_in`` (the paper's N), ``input``
        (mean of x^2 over the batch, channels and pixels) and ``output`` (mean of y^2, before any
        ReLU).

    Serves: U-Net paper section 2, Fig. 1 (network architecture); chapter 05.
    """
    names = {m: n for n, m in model.named_modules()}
    records: list[dict] = []

    def hook(module: nn.Module, inputs: tuple[Tensor, ...], output: Tensor) -> None:
        kind = "upconv" if isinstance(module, nn.ConvTranspose2d) else f"conv{module.kernel_size[0]}x{module.kernel_size[1]}"
        records.append({"name": names[module], "kind": kind, "fan_in": _fan_in(module),
                        "input": float(inputs[0].double().pow(2).mean()),
                        "output": float(output.double().pow(2).mean())})

    hooks = [m.register_forward_hook(hook) for m in model.modules() if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d))]
    try:
        with runtime.eval_mode(model):
            model(x)
    finally:
        for h in hooks:
            h.remove()
    return records
