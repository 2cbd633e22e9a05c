"""Overlap-tile inference (the paper's Fig. 2): segment an image of any size tile by tile.

A valid U-Net (unpadded convolutions) predicts an output tile only for the centre of its input
tile: ``margin`` pixels of context are lost on every side (92 for the paper's 572 -> 388). To
predict every pixel of an image, the image is extended by ``margin`` pixels on every side by
mirroring it at its borders (거울 반사, mirror extrapolation), and input tiles are cut from the
extended canvas so that their output tiles cover the image.

Max-pooling makes the network equivariant only to shifts by multiples of ``2**depth`` (16 for
depth 4). Tiles stepped by such a multiple see the pooling grid of the whole canvas, so the
tiled output equals a single forward pass over the whole mirror-padded image. The paper's
output tile of 388 = 16 * 24 + 4 pixels is not such a multiple; :func:`plan_tiles` therefore
steps by 384 by default (the largest multiple at most the output tile), and ``step=388``
reproduces the small seams of the other choice.

Networks with ``padding="same"`` keep the input's size, but their zero padding makes pixels near
a tile's border unreliable; they are tiled with ``margin`` pixels of overlap and only the
centre of each output tile is kept.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal, Protocol

import numpy as np
import torch
from torch import Tensor, nn

from . import runtime
from .data.scaling import check_unit_range
from .mirror import mirror_indices, mirror_pad

PadMode = Literal["mirror", "zero", "no-context"]
PAD_MODES: tuple[str, ...] = ("mirror", "zero", "no-context")

__all__ = [
    "mirror_pad",
    "mirror_indices",
    "plan_tiles",
    "TilePlan",
    "predict_tiled",
    "predict_whole",
    "predict_probability",
    "predict_batch",
    "predict_tiled_averaged",
    "DIHEDRAL",
    "dihedral_transform",
]

# Output side a default tile aims at: the paper's 388 x 388 output tile.
DEFAULT_OUTPUT = 388


class TileableNet(Protocol):
    """What tiling needs from a network (``unet_course.models.UNet`` has all of it).

    Serves: U-Net paper section 2, Fig. 2 (overlap-tile strategy); chapter 06.
    """

    depth: int
    padding: str
    in_channels: int

    def output_size(self, n: int) -> int: ...
    def valid_input_size(self, n: int) -> int: ...


# --------------------------------------------------------------------------- planning
@dataclass(frozen=True)
class TilePlan:
    """Where the tiles of an ``image_shape`` image lie. All coordinates are in pixels.

    The canvas is the image extended by ``offset`` pixels at the top and left (and as far as the
    last tile needs at the bottom and right); image pixel ``(r, c)`` is canvas pixel
    ``(r + offset, c + offset)``. Tile ``(i, j)`` reads the canvas rows
    ``ys[i] : ys[i] + tile_size[0]`` and columns ``xs[j] : xs[j] + tile_size[1]``; its output,
    after dropping ``crop`` pixels on each side, is ``keep`` pixels wide and predicts the image
    rows ``ys[i] : ys[i] + keep[0]`` (likewise for columns). Where output tiles overlap, each
    pixel is taken from the tile whose kept centre is nearest (``owned_rows``/``owned_cols``).

    Serves: U-Net paper section 2, Fig. 2 (overlap-tile strategy); chapter 06.
    """

    image_shape: tuple[int, int]
    tile_size: tuple[int, int]
    keep: tuple[int, int]
    step: tuple[int, int]
    offset: int
    crop: int
    ys: tuple[int, ...]
    xs: tuple[int, ...]

    @property
    def num_tiles(self) -> int:
        return len(self.ys) * len(self.xs)

    @property
    def canvas_shape(self) -> tuple[int, int]:
        return self.ys[-1] + self.tile_size[0], self.xs[-1] + self.tile_size[1]

    @staticmethod
    def _owned(starts: tuple[int, ...], keep: int, step: int, size: int) -> list[tuple[int, int]]:
        overlap = keep - step
        spans = []
        for k, y in enumerate(starts):
            a = 0 if k == 0 else y + overlap // 2
            b = size if k == len(starts) - 1 else y + step + overlap // 2
            spans.append((a, min(b, size)))
        return spans

    @property
    def owned_rows(self) -> list[tuple[int, int]]:
        """For each tile row, the image rows ``[a, b)`` it writes."""
        return self._owned(self.ys, self.keep[0], self.step[0], self.image_shape[0])

    @property
    def owned_cols(self) -> list[tuple[int, int]]:
        """For each tile column, the image columns ``[a, b)`` it writes."""
        return self._owned(self.xs, self.keep[1], self.step[1], self.image_shape[1])


def _valid_margin(model: TileableNet) -> int:
    n = model.valid_input_size(1)
    return (n - model.output_size(n)) // 2


def plan_tiles(
    model: TileableNet,
    image_shape: tuple[int, int],
    tile_size: int | tuple[int, int] | None = None,
    step: int | tuple[int, int] | None = None,
    margin: int | None = None,
) -> TilePlan:
    """Lay out the overlap-tile grid for an ``image_shape = (H, W)`` image.

    Args:
        model: a U-Net (anything with ``depth``, ``padding``, ``output_size`` and
            ``valid_input_size``).
        image_shape: ``(H, W)`` of the image, any positive sizes.
        tile_size: input tile side(s). Default: the smallest valid tile that covers the whole
            image, but no larger than the tile whose output is 388 px (572 for the paper's
            network). Must be a valid input size of ``model``.
        step: output pixels between neighbouring tiles. Default: the largest multiple of
            ``2**depth`` at most the kept output tile, so that tiles share the pooling grid of
            the whole image; any value in ``[1, keep]`` is allowed.
        margin: ``padding="same"`` networks only: context pixels added around each kept
            output tile (default: the margin of the valid network of the same depth, 92 for
            depth 4; 0 tiles without overlap or context). Valid networks need exactly their
            own margin.

    Returns:
        A :class:`TilePlan`.

    Serves: U-Net paper section 2, Fig. 2 (overlap-tile strategy); chapter 06.
    """
    h, w = runtime.as_pair(image_shape, "image_shape")
    if h < 1 or w < 1:
        raise ValueError(f"image_shape must be positive, got {(h, w)}")
    period = 2 ** int(model.depth)
    if model.padding == "valid":
        if margin is not None and margin != _valid_margin(model):
            raise ValueError(
                f"a valid network needs exactly its own margin of {_valid_margin(model)} px of context; "
                f"got margin={margin} (margin can only be chosen for padding='same' networks)"
            )
        margin = _valid_margin(model)
    else:
        if margin is None:
            margin = 6 * period - 4  # the context a valid network of this depth uses
        if not isinstance(margin, (int, np.integer)) or margin < 0:
            raise ValueError(f"margin must be an int >= 0, got {margin!r}")
        margin = int(margin)

    def keep_of(t: int) -> int:
        return model.output_size(t) if model.padding == "valid" else t - 2 * margin

    if tile_size is None:
        cap = model.valid_input_size(DEFAULT_OUTPUT + 2 * margin)
        tiles = tuple(min(model.valid_input_size(s + 2 * margin), cap) for s in (h, w))
    else:
        tiles = runtime.as_pair(tile_size, "tile_size")
        for t in tiles:
            if t < 1 or model.valid_input_size(t) != t:
                below = model.valid_input_size(max(t - period + 1, 1))
                below = below if below < t else None
                above = model.valid_input_size(max(t, 1))
                near = f"{below} or {above}" if below else f"{above}"
                raise ValueError(
                    f"tile_size {t} is not a valid input size of this network; the nearest valid sizes are {near}"
                )
    keeps = tuple(keep_of(t) for t in tiles)
    if min(keeps) < 1:
        raise ValueError(
            f"tile_size {tiles} leaves no output after removing margin={margin} px on each side; "
            f"use a tile of at least {model.valid_input_size(2 * margin + 1)} px or a smaller margin"
        )
    if step is None:
        steps = tuple(k // period * period if k >= period else k for k in keeps)
    else:
        steps = runtime.as_pair(step, "step")
        for s, k in zip(steps, keeps):
            if not 1 <= s <= k:
                raise ValueError(f"step must be between 1 and the kept output tile ({k} px), got {s}")

    def starts(size: int, keep: int, stride: int) -> tuple[int, ...]:
        count = 1 if size <= keep else math.ceil((size - keep) / stride) + 1
        return tuple(k * stride for k in range(count))

    return TilePlan(
        image_shape=(h, w),
        tile_size=tiles,  # type: ignore[arg-type]
        keep=keeps,  # type: ignore[arg-type]
        step=steps,  # type: ignore[arg-type]
        offset=margin,
        crop=0 if model.padding == "valid" else margin,
        ys=starts(h, keeps[0], steps[0]),
        xs=starts(w, keeps[1], steps[1]),
    )


# --------------------------------------------------------------------------- inputs
_SCALE_FIRST = (
    "scale raw images to floats in [0, 1] with a stated rule first, e.g. "
    "unet_course.data.scaling.Scaling()(image) (percentiles 1 and 99.8 of each image to 0 and 1), "
    "the rule the model was trained with (unet_course.segment.segment_image applies a model's "
    "stored rule); a fixed / 255 is wrong for 16-bit images"
)


def _as_image(image: np.ndarray | Tensor, in_channels: int, what: str = "image") -> Tensor:
    """Check ``image`` and return it as a ``(C, H, W)`` CPU tensor (not yet cast). ``what`` names
    it in the messages."""
    if isinstance(image, np.ndarray):
        if image.dtype == bool or not (np.issubdtype(image.dtype, np.floating)):
            raise TypeError(f"image must hold floating-point grey values, got dtype {image.dtype}; {_SCALE_FIRST}")
        tensor = torch.from_numpy(np.ascontiguousarray(image))
    elif isinstance(image, Tensor):
        if not image.is_floating_point():
            raise TypeError(f"image must hold floating-point grey values, got dtype {image.dtype}; {_SCALE_FIRST}")
        tensor = image.detach()
    else:
        raise TypeError(f"image must be a NumPy array or a torch.Tensor, got {type(image).__name__}")
    if tensor.dim() == 2:
        tensor = tensor[None]
    if tensor.dim() != 3:
        raise ValueError(
            f"image must be (H, W) or (C, H, W), got shape {tuple(tensor.shape)}; "
            f"tile one image at a time (loop over a batch)"
        )
    if tensor.shape[0] != in_channels:
        raise ValueError(
            f"the network takes {in_channels} channel(s) but the image has {tensor.shape[0]} "
            f"(shape {tuple(tensor.shape)}, channels first: (C, H, W))"
        )
    if tensor.shape[1] < 1 or tensor.shape[2] < 1:
        raise ValueError(f"image is empty: shape {tuple(tensor.shape)}")
    bad = (~torch.isfinite(tensor)).sum().item()
    if bad:
        raise ValueError(f"image has {bad} NaN or infinite value(s); replace them before segmenting")
    # training's rule (the tile sampler and the augmentation refuse the same images); the two
    # extremes are all the rule reads
    check_unit_range(np.array([tensor.min().item(), tensor.max().item()]), what)
    return tensor


def _model_device_dtype(model: nn.Module) -> tuple[torch.device, torch.dtype]:
    for p in model.parameters():
        return p.device, p.dtype
    return torch.device("cpu"), torch.float32


def _index_map(n: int, before: int, total: int, mode: str) -> tuple[np.ndarray, np.ndarray]:
    """Source indices and a validity mask for ``total`` canvas positions starting ``before``
    pixels before the image."""
    if total < before + n:
        raise ValueError(f"a canvas of {total} px cannot hold {before} px of context and a {n} px image")
    pos = np.arange(-before, total - before)
    valid = (pos >= 0) & (pos < n)
    if mode == "zero":
        return np.clip(pos, 0, n - 1), valid
    return mirror_indices(n, before, total - before - n), valid


# --------------------------------------------------------------------------- inference
def predict_tiled(
    model: nn.Module,
    image: np.ndarray | Tensor,
    tile_size: int | tuple[int, int] | None = None,
    batch_size: int = 4,
    device: torch.device | str | None = None,
    progress: bool = True,
    *,
    step: int | tuple[int, int] | None = None,
    margin: int | None = None,
    pad_mode: PadMode = "mirror",
) -> np.ndarray | Tensor:
    """Segment an image of any size with the overlap-tile strategy.

    Args:
        model: a U-Net (``unet_course.models.UNet`` or anything with the same size methods).
            It runs in eval mode (drop-out off) without gradients
            (:func:`unet_course.runtime.eval_mode`); its previous mode is restored afterwards.
        image: ``(H, W)`` or ``(C, H, W)`` floating-point NumPy array or tensor, any ``H, W >= 1``
            (also smaller than the context margin), ``C == model.in_channels``; no NaNs. Grey
            values in [0, 1], as in training: a raw image (uint16 values up to 65535, say) raises
            ``ValueError`` naming a scaling rule (:func:`unet_course.data.scaling.check_unit_range`).
        tile_size: input tile side(s); see :func:`plan_tiles`.
        batch_size: tiles per forward pass. Memory stays bounded: the output, one batch of
            tiles and the network's activations for it; the padded canvas is never built.
        device: where the network runs; default the device of its parameters. The model is
            not moved: pass the device it is on.
        progress: show a ``tqdm`` progress bar over the tiles.
        step, margin: see :func:`plan_tiles` (``step`` defaults to a multiple of ``2**depth``,
            which makes the result equal to :func:`predict_whole` for a valid network).
        pad_mode: what the network sees beyond the image: ``"mirror"`` (the paper's mirror
            extrapolation) or ``"zero"``. ``"no-context"`` is for comparison only: each tile
            sees nothing but the image pixels it predicts, zeros elsewhere (what cutting an
            image into independent tiles does), so errors appear at every tile border.

    Returns:
        Class scores (logits) ``(num_classes, H, W)`` float32, a NumPy array for a NumPy image
        and a CPU tensor for a tensor image.

    Serves: U-Net paper section 2, Fig. 2 (overlap-tile strategy); chapter 06.
    """
    runtime.look_up_option(pad_mode, PAD_MODES, what="pad_mode")
    if not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be an int >= 1, got {batch_size!r}")
    from tqdm.auto import tqdm

    as_numpy = isinstance(image, np.ndarray)
    img = _as_image(image, int(model.in_channels), "the image given to predict_tiled")
    _, h, w = img.shape
    plan = plan_tiles(model, (h, w), tile_size=tile_size, step=step, margin=margin)
    model_device, dtype = _model_device_dtype(model)
    device = torch.device(device) if device is not None else model_device
    img = img.to(dtype=dtype)

    th, tw = plan.tile_size
    ch, cw = plan.canvas_shape
    rows, row_ok = _index_map(h, plan.offset, ch, pad_mode)
    cols, col_ok = _index_map(w, plan.offset, cw, pad_mode)
    boxes = [(i, j) for i in range(len(plan.ys)) for j in range(len(plan.xs))]
    owned_r, owned_c = plan.owned_rows, plan.owned_cols
    out: Tensor | None = None

    with runtime.eval_mode(model), tqdm(total=len(boxes), desc="tiles", unit="tile", disable=not progress) as bar:
        for start in range(0, len(boxes), batch_size):
            chunk = boxes[start : start + batch_size]
            tiles = []
            for i, j in chunk:
                y, x = plan.ys[i], plan.xs[j]
                r = torch.from_numpy(rows[y : y + th])
                c = torch.from_numpy(cols[x : x + tw])
                tile = img.index_select(1, r).index_select(2, c)
                if pad_mode != "mirror":
                    r_ok, c_ok = row_ok[y : y + th].copy(), col_ok[x : x + tw].copy()
                    if pad_mode == "no-context":
                        # The kept output of a tile predicts its input rows/cols
                        # [offset, offset + keep) (valid and same networks alike).
                        r_ok[: plan.offset] = False
                        r_ok[plan.offset + plan.keep[0] :] = False
                        c_ok[: plan.offset] = False
                        c_ok[plan.offset + plan.keep[1] :] = False
                    mask = torch.from_numpy(r_ok[:, None] & c_ok[None, :])
                    tile = tile * mask.to(dtype)
                tiles.append(tile)
            scores = model(torch.stack(tiles).to(device)).float().cpu()
            if out is None:
                out = torch.empty((scores.shape[1], h, w), dtype=torch.float32)
            k0 = plan.crop
            for (i, j), s in zip(chunk, scores):
                (a, b), (c0, c1) = owned_r[i], owned_c[j]
                y, x = plan.ys[i], plan.xs[j]
                out[:, a:b, c0:c1] = s[:, k0 + a - y : k0 + b - y, k0 + c0 - x : k0 + c1 - x]
            bar.update(len(chunk))
    assert out is not None
    return out.numpy() if as_numpy else out


# --------------------------------------------------------------------------- test-time averaging
#: The eight symmetries of the square (the dihedral group D4), each ``(name, k, flip)``: flip the
#: image left-right when ``flip``, then rotate it by ``k`` quarter turns counter-clockwise
#: (``torch.rot90`` on the last two axes). ``"identity"`` leaves the image as it is.
DIHEDRAL: tuple[str, ...] = (
    "identity", "rot90", "rot180", "rot270", "flip", "flip+rot90", "flip+rot180", "flip+rot270",
)
_DIHEDRAL_PARAMS: dict[str, tuple[int, bool]] = {
    name: (k % 4, name.startswith("flip")) for k, name in enumerate(DIHEDRAL)
}


def _check_transforms(transforms: str | tuple[str, ...] | list[str]) -> tuple[str, ...]:
    if isinstance(transforms, str):
        transforms = (transforms,)
    names = tuple(transforms)
    unknown = [t for t in names if t not in _DIHEDRAL_PARAMS]
    if unknown:
        raise ValueError(f"unknown transform(s) {unknown}: use names from {DIHEDRAL} (the square's eight symmetries)")
    if not names:
        raise ValueError(f"transforms is empty: give at least one of {DIHEDRAL}")
    if len(set(names)) != len(names):
        raise ValueError(f"transforms {names} repeat a name: give each symmetry once")
    return names


def dihedral_transform(x: Tensor, name: str, *, inverse: bool = False) -> Tensor:
    """Apply one symmetry of the square (or its inverse) to the last two axes of ``x``.

    Args:
        x: ``(..., H, W)`` tensor.
        name: one of :data:`DIHEDRAL`.
        inverse: undo the symmetry instead: ``dihedral_transform(dihedral_transform(x, g), g,
            inverse=True)`` is ``x`` exactly (pure index permutations, no interpolation).

    Returns:
        ``(..., H, W)`` or, for a quarter or three-quarter turn, ``(..., W, H)``.

    Serves: U-Net paper section 2, Fig. 2 (overlap-tile strategy); chapter 06.
    """
    (name,) = _check_transforms((name,))
    k, flip = _DIHEDRAL_PARAMS[name]
    if not inverse:
        x = torch.flip(x, dims=(-1,)) if flip else x
        return torch.rot90(x, k, dims=(-2, -1)) if k else x
    x = torch.rot90(x, -k, dims=(-2, -1)) if k else x
    return torch.flip(x, dims=(-1,)) if flip else x


def predict_tiled_averaged(
    model: nn.Module,
    image: np.ndarray | Tensor,
    transforms: str | tuple[str, ...] | list[str] = DIHEDRAL,
    *,
    average: Literal["probabilities", "logits"] = "probabilities",
    **tiled_kwargs,
) -> np.ndarray | Tensor:
    """Overlap-tile prediction averaged over rotated and flipped copies of the input.

    The paper's ISBI 2012 result (Section 4, Table 1) was "averaged over 7 rotated versions of
    the input data". For every symmetry ``g`` of the square in ``transforms`` the image is
    transformed, segmented with :func:`predict_tiled`, and the prediction is transformed back
    with ``g``'s inverse, so that every copy's pixel ``(y, x)`` again refers to the image's
    pixel ``(y, x)``; the copies are then averaged. Rotations by quarter turns and flips move
    pixels without interpolation, so undoing them is exact.

    Args:
        model: as for :func:`predict_tiled`.
        image: ``(H, W)`` or ``(C, H, W)`` NumPy array or tensor (any ``H, W``; a quarter turn
            swaps them, which overlap-tiling handles).
        transforms: names from :data:`DIHEDRAL` (default: all eight, identity included), each at
            most once; a single name is allowed.
        average: ``"probabilities"``: the mean of the soft-max over classes of each copy's scores;
            ``"logits"``: the mean of the raw scores.
        **tiled_kwargs: passed to :func:`predict_tiled` (``tile_size``, ``batch_size``, ``device``,
            ``progress`` (default ``False`` here), ``step``, ``margin``, ``pad_mode``).

    Returns:
        ``(num_classes, H, W)`` float32: mean probabilities (each pixel's classes sum to 1) or
        mean logits; a NumPy array for a NumPy image, a CPU tensor for a tensor image.
    """
    names = _check_transforms(transforms)
    if average not in ("probabilities", "logits"):
        raise ValueError(f"average must be 'probabilities' or 'logits', got {average!r}")
    as_numpy = isinstance(image, np.ndarray)
    img = _as_image(image, int(model.in_channels), "the image given to predict_tiled_averaged")
    tiled_kwargs.setdefault("progress", False)
    total: Tensor | None = None
    for name in names:
        scores = predict_tiled(model, dihedral_transform(img, name).contiguous(), **tiled_kwargs)
        scores = dihedral_transform(scores, name, inverse=True)
        if average == "probabilities":
            scores = torch.softmax(scores, dim=0)
        total = scores if total is None else total + scores
    assert total is not None
    out = (total / len(names)).contiguous()
    return out.numpy() if as_numpy else out


def predict_whole(
    model: nn.Module,
    image: np.ndarray | Tensor,
    device: torch.device | str | None = None,
    *,
    pad_mode: PadMode = "mirror",
) -> np.ndarray | Tensor:
    """One forward pass over the whole extended image: the reference :func:`predict_tiled`
    reproduces.

    A valid network's input is the image extended by its margin at the top and left and up to
    the next valid size at the bottom and right; a ``padding="same"`` network gets the image
    extended at the bottom and right to the next multiple of ``2**depth``. The output is cropped
    to ``(num_classes, H, W)``. Memory grows with the image: use :func:`predict_tiled` for
    large images. Arguments and return as in :func:`predict_tiled`.

    Serves: U-Net paper section 2, Fig. 2 (overlap-tile strategy); chapter 06.
    """
    if pad_mode not in ("mirror", "zero"):
        raise ValueError(f"pad_mode must be 'mirror' or 'zero' for a whole-image pass, got {pad_mode!r}")
    as_numpy = isinstance(image, np.ndarray)
    img = _as_image(image, int(model.in_channels), "the image given to predict_whole")
    _, h, w = img.shape
    model_device, dtype = _model_device_dtype(model)
    device = torch.device(device) if device is not None else model_device
    m = _valid_margin(model) if model.padding == "valid" else 0
    th, tw = model.valid_input_size(h + 2 * m), model.valid_input_size(w + 2 * m)
    rows, row_ok = _index_map(h, m, th, pad_mode)
    cols, col_ok = _index_map(w, m, tw, pad_mode)
    canvas = img.to(dtype).index_select(1, torch.from_numpy(rows)).index_select(2, torch.from_numpy(cols))
    if pad_mode == "zero":
        canvas = canvas * torch.from_numpy(row_ok[:, None] & col_ok[None, :]).to(dtype)
    with runtime.eval_mode(model):
        scores = model(canvas[None].to(device))[0].float().cpu()
    out = scores[:, :h, :w].contiguous()
    return out.numpy() if as_numpy else out


#: Images up to this side are segmented by a valid U-Net in one input tile (:func:`predict_probability`).
WHOLE_IMAGE_SIDE = 1024


def predict_probability(model: nn.Module, image: np.ndarray, pad_mode: PadMode = "mirror",
                        device: torch.device | str | None = None,
                        transforms: tuple[str, ...] | list[str] | None = None) -> np.ndarray:
    """Probability of class 1 (cell, or membrane-free interior) at every pixel of one whole
    ``(H, W)`` image, as chapter 09 scores the paper's experiments (section 4): the soft-max of
    :func:`predict_tiled`'s scores, or with ``transforms`` (names of :data:`DIHEDRAL`) the mean
    over those symmetries (:func:`predict_tiled_averaged`, the paper's test-time averaging).
    Returns ``(H, W)`` float32 in [0, 1]."""
    runtime.look_up_option(pad_mode, ("mirror", "zero"), what="pad_mode")
    image = np.asarray(image, dtype=np.float32)
    if image.ndim != 2:
        raise ValueError(f"image must be (H, W), got shape {image.shape}")
    kwargs: dict = {"device": device, "pad_mode": pad_mode}
    if getattr(model, "padding", None) == "valid" and max(image.shape) <= WHOLE_IMAGE_SIDE:
        # one input tile covers the image: the scores of smaller tiles on the pooling grid, faster
        kwargs["tile_size"] = model.valid_input_size(max(image.shape) + 2 * _valid_margin(model))
    if transforms is not None:
        return predict_tiled_averaged(model, image, tuple(transforms), **kwargs)[1].astype(np.float32)
    logits = predict_tiled(model, image, progress=False, **kwargs)
    return torch.softmax(torch.from_numpy(logits), dim=0)[1].numpy().astype(np.float32)


def predict_batch(model: nn.Module, images: Tensor | np.ndarray, batch_size: int = 16) -> Tensor:
    """Scores of a batch of input tiles as they are, ``(N, C, H, W)`` -> ``(N, K, h, w)`` float32
    on the CPU: no extension, so a valid U-Net gives only the centre of each tile (its output
    window, ``h = model.output_size(H)``) and an FCN (chapters 02-04) the whole tile. Runs in
    eval mode without gradients, on the model's device, ``batch_size`` tiles a pass."""
    x = torch.as_tensor(np.asarray(images, dtype=np.float32) if isinstance(images, np.ndarray) else images)
    if x.dim() != 4:
        raise ValueError(f"images must be (N, C, H, W), got shape {tuple(x.shape)}")
    dev = next(model.parameters()).device
    with runtime.eval_mode(model):
        return torch.cat([model(x[i : i + batch_size].to(dev)).float().cpu() for i in range(0, len(x), batch_size)])
