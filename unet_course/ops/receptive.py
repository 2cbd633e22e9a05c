"""Receptive fields and the FCN paper's composition rule, by hand (chapters 02 and 04).

Receptive fields (수용 영역):

- :class:`LayerSpec`, :func:`layer_specs`: the kernel, stride, padding and dilation of each
  spatial layer of a network.
- :func:`compose`: the FCN paper's composition rule
  ``f_ks ∘ g_k's' = (f ∘ g)_{k' + (k - 1) s', s s'}``.
- :func:`receptive_fields`: receptive field, jump (the stride in input pixels) and the centre
  of the first unit after every layer of a stack.
- :func:`compose_linear_convs`: the one kernel equal to two stacked linear convolutions, the
  composition rule made concrete.
- :func:`gradient_support`: the input pixels that one output unit depends on, found by
  back-propagation (an empirical receptive field).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

__all__ = [
    "LayerSpec",
    "layer_specs",
    "compose",
    "compose_all",
    "ReceptiveField",
    "receptive_fields",
    "compose_linear_convs",
    "gradient_support",
]


# ---------------------------------------------------------------------------------------------
# Receptive fields and the composition rule
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LayerSpec:
    """The spatial footprint of one layer along one axis.

    ``kernel`` ``k``, ``stride`` ``s``, ``padding`` ``p`` (pixels added on each side) and
    ``dilation`` ``d``; an elementwise layer (ReLU, batch norm) is ``LayerSpec(1, 1)``.

    Serves: FCN paper section 3.1; chapters 02 and 04.
    """

    kernel: int
    stride: int = 1
    padding: int = 0
    dilation: int = 1
    name: str = ""

    def __post_init__(self) -> None:
        for field in ("kernel", "stride", "dilation"):
            value = getattr(self, field)
            if not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"{field} must be a positive int, got {value!r}")
        if not isinstance(self.padding, (int, np.integer)) or self.padding < 0:
            raise ValueError(f"padding must be a non-negative int, got {self.padding!r}")

    @property
    def effective_kernel(self) -> int:
        """Input span of one application: ``d (k - 1) + 1``."""
        return self.dilation * (self.kernel - 1) + 1

    def output_size(self, n: int) -> int:
        """Output length for an input of length ``n``: ``floor((n + 2p - d(k-1) - 1) / s) + 1``."""
        return (n + 2 * self.padding - self.effective_kernel) // self.stride + 1


def compose(f: LayerSpec | tuple[int, int], g: LayerSpec | tuple[int, int]) -> LayerSpec:
    """The composition rule: ``g`` (kernel ``k'``, stride ``s'``) first, then ``f`` (``k``, ``s``).

    ``f_ks ∘ g_k's' = (f ∘ g)_{k' + (k - 1) s', s s'}`` (Long, Shelhamer, Darrell 2015, §3).
    Padding composes as ``p' + p s'`` and dilation is folded into the kernel first, so the
    result has dilation 1. Tuples ``(k, s)`` are accepted for padding-free layers.

    Returns:
        the :class:`LayerSpec` of the single equivalent layer.
    """
    f = f if isinstance(f, LayerSpec) else LayerSpec(*f)
    g = g if isinstance(g, LayerSpec) else LayerSpec(*g)
    k, s, p = f.effective_kernel, f.stride, f.padding
    k2, s2, p2 = g.effective_kernel, g.stride, g.padding
    return LayerSpec(kernel=k2 + (k - 1) * s2, stride=s * s2, padding=p2 + p * s2, name=f"({f.name or 'f'}∘{g.name or 'g'})")


def compose_all(layers: Sequence[LayerSpec | tuple[int, int]]) -> LayerSpec:
    """Fold :func:`compose` over ``layers`` (listed input first): one layer equal to the stack.

    Serves: FCN paper section 3.1; chapters 02 and 04.
    """
    if len(layers) == 0:
        raise ValueError("need at least one layer")
    total = layers[0] if isinstance(layers[0], LayerSpec) else LayerSpec(*layers[0])
    for layer in layers[1:]:
        total = compose(layer, total)
    return total


@dataclass(frozen=True)
class ReceptiveField:
    """Receptive field arithmetic after one layer of a stack.

    Attributes:
        name: the layer's name.
        size: receptive field ``r`` in input pixels (one axis).
        jump: distance ``j`` in input pixels between neighbouring units (the cumulative stride).
        start: input coordinate of the centre of the first unit's receptive field (may be
            negative with padding; pixel ``i`` has centre ``i``).

    Serves: FCN paper section 3.1; chapters 02 and 04.
    """

    name: str
    size: int
    jump: int
    start: float


def receptive_fields(layers: Iterable[LayerSpec | tuple[int, int]]) -> list[ReceptiveField]:
    """Receptive field, jump and first centre after each layer of a stack (input first).

    ``j_out = j s``, ``r_out = r + (k_eff - 1) j``, ``start_out = start + ((k_eff - 1)/2 - p) j``,
    starting from ``r = j = 1``, ``start = 0``. The last entry equals :func:`compose_all`'s
    kernel and stride.

    Serves: FCN paper section 3.1; chapters 02 and 04.
    """
    size, jump, start = 1, 1, 0.0
    out = []
    for i, layer in enumerate(layers):
        layer = layer if isinstance(layer, LayerSpec) else LayerSpec(*layer)
        k = layer.effective_kernel
        start = start + ((k - 1) / 2 - layer.padding) * jump
        size = size + (k - 1) * jump
        jump = jump * layer.stride
        out.append(ReceptiveField(layer.name or f"layer{i}", size, jump, start))
    if not out:
        raise ValueError("need at least one layer")
    return out


def _first(value) -> int:
    return int(value[0]) if isinstance(value, (tuple, list)) else int(value)


def layer_specs(module: nn.Module, axis: int = 0) -> list[LayerSpec]:
    """The :class:`LayerSpec` of every spatial layer of ``module``, in registration order.

    Reads ``nn.Conv2d``, ``nn.MaxPool2d`` and ``nn.AvgPool2d`` (kernel, stride, padding,
    dilation along ``axis``: 0 = rows, 1 = columns); other leaf modules are treated as
    elementwise and skipped. The order is that of ``module.modules()``, which is the order of
    computation for plain feed-forward stacks such as ``nn.Sequential``; for networks with
    branches list the layers of one path yourself.

    Serves: FCN paper section 3.1; chapters 02 and 04.
    """
    if axis not in (0, 1):
        raise ValueError(f"axis must be 0 (rows) or 1 (columns), got {axis}")
    specs = []
    for name, m in module.named_modules():
        if isinstance(m, (nn.ConvTranspose2d,)):
            raise ValueError(f"layer {name!r} is a transposed convolution; receptive field arithmetic here covers downsampling stacks")
        if isinstance(m, nn.Conv2d):
            if isinstance(m.padding, str):
                pad = (m.dilation[axis] * (m.kernel_size[axis] - 1)) // 2 if m.padding == "same" else 0
            else:
                pad = m.padding[axis]
            specs.append(LayerSpec(m.kernel_size[axis], m.stride[axis], pad, m.dilation[axis], name))
        elif isinstance(m, (nn.MaxPool2d, nn.AvgPool2d)):
            k = m.kernel_size if isinstance(m.kernel_size, int) else m.kernel_size[axis]
            s = m.stride if isinstance(m.stride, int) else m.stride[axis]
            p = m.padding if isinstance(m.padding, int) else m.padding[axis]
            d = getattr(m, "dilation", 1)
            d = d if isinstance(d, int) else d[axis]
            specs.append(LayerSpec(int(k), int(s), int(p), int(d), name))
    return specs


def compose_linear_convs(
    w_f: torch.Tensor, stride_f: int, w_g: torch.Tensor, stride_g: int
) -> tuple[torch.Tensor, int]:
    """One convolution equal to ``g`` (weight ``w_g``, stride ``s'``) followed by ``f``.

    For linear, padding-free, bias-free convolutions the stack is itself a convolution with
    kernel ``k' + (k - 1) s'`` and stride ``s s'`` (the composition rule): its weight is
    ``W[o, i, u, v] = sum_{c, a, b} w_f[o, c, a, b] w_g[c, i, u - a s', v - b s']``.

    Args:
        w_f: ``(C2, C1, k, k)`` weight of the second layer ``f``.
        stride_f: its stride ``s``.
        w_g: ``(C1, C0, k', k')`` weight of the first layer ``g``.
        stride_g: its stride ``s'``.

    Returns:
        ``(W, s s')`` with ``W`` of shape ``(C2, C0, K, K)``, ``K = k' + (k - 1) s'``, such that
        ``F.conv2d(F.conv2d(x, w_g, stride=s'), w_f, stride=s) == F.conv2d(x, W, stride=s s')``.

    Serves: FCN paper section 3.1; chapters 02 and 04.
    """
    if w_f.dim() != 4 or w_g.dim() != 4 or w_f.shape[1] != w_g.shape[0]:
        raise ValueError(
            f"need w_f (C2, C1, k, k) and w_g (C1, C0, k', k') with matching C1, got {tuple(w_f.shape)} and {tuple(w_g.shape)}"
        )
    if stride_f < 1 or stride_g < 1:
        raise ValueError(f"strides must be >= 1, got {stride_f} and {stride_g}")
    c2, _, kh, kw = w_f.shape
    _, c0, gh, gw = w_g.shape
    big = w_f.new_zeros(c2, c0, gh + (kh - 1) * stride_g, gw + (kw - 1) * stride_g)
    for a in range(kh):
        for b in range(kw):
            # tap (a, b) of f reads g's output at offset (a s', b s'), i.e. g's kernel shifted there
            big[:, :, a * stride_g : a * stride_g + gh, b * stride_g : b * stride_g + gw] += torch.einsum(
                "oc,cihw->oihw", w_f[:, :, a, b], w_g
            )
    return big, stride_f * stride_g


def gradient_support(
    model: nn.Module,
    input_shape: tuple[int, int, int],
    position: tuple[int, int] | None = None,
    *,
    channel: int = 0,
) -> tuple[tuple[int, int], tuple[int, int]]:
    """The input pixels one output unit depends on, found by back-propagation.

    Feeds a random positive input of ``input_shape`` ``(C, H, W)``, back-propagates from output
    unit ``(channel, *position)`` (default: the centre) and returns the bounding box of the
    input pixels with a non-zero gradient, as ``((row_first, row_last), (col_first, col_last))``
    (inclusive). This is a subset of the theoretical receptive field; it equals it when no
    weight is zero and no ReLU or max-pooling blocks the gradient (positive weights, average
    pooling), which is how the tests use it. Note that the box is clipped by the input border.

    Serves: FCN paper section 3.1; chapters 02 and 04.
    """
    if len(input_shape) != 3:
        raise ValueError(f"input_shape must be (C, H, W), got {input_shape!r}")
    param = next(model.parameters(), None)
    dtype = param.dtype if param is not None else torch.float32
    dev = param.device if param is not None else torch.device("cpu")
    x = torch.rand(1, *input_shape, dtype=dtype, device=dev).add_(0.5).requires_grad_(True)
    y = model(x)
    if y.dim() != 4:
        raise ValueError(f"the model must return (N, C, H, W), got shape {tuple(y.shape)}")
    if position is None:
        position = (y.shape[2] // 2, y.shape[3] // 2)
    y[0, channel, position[0], position[1]].backward()
    nz = x.grad[0].abs().sum(0) > 0
    rows = torch.nonzero(nz.any(1)).flatten()
    cols = torch.nonzero(nz.any(0)).flatten()
    if rows.numel() == 0:
        raise ValueError("no input pixel has a non-zero gradient; the unit does not depend on the input")
    return (int(rows[0]), int(rows[-1])), (int(cols[0]), int(cols[-1]))
