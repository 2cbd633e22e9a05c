"""Segment whole images into instances with a trained U-Net, and the model files that carry it.

One call, :func:`segment_image`, gives instance labels for an image of any size:

1. the raw image is scaled with the model's stored rule (:class:`unet_course.data.scaling.Scaling`);
2. :func:`unet_course.tiling.predict_tiled` runs the overlap-tile strategy with mirror
   extrapolation (the paper's Fig. 2) and gives class scores for every pixel;
3. the soft-max probability of the object class above ``threshold`` (0.5) is the foreground;
4. its 4-connected components are the instances (:func:`unet_course.metrics.instances.
   instances_from_foreground`); components smaller than ``min_size`` pixels are dropped;
5. optionally (``grow > 0``) each instance grows by ``grow`` pixels into the background around
   it, never into another instance (:func:`skimage.segmentation.expand_labels`), to give back the
   separation borders the network was trained to leave as background. Off by default: on the
   held-out validation strip of the nuclei image (``benchmarks/cli_nuclei.py``, 1200 steps)
   growing by 1 pixel lowered the foreground IoU from 0.82 to 0.77 and the instance F1 from
   0.85 to 0.75; the network's foreground already reaches the objects' borders.

A *model file* is a :func:`unet_course.train.save_checkpoint` file whose metadata says
``"kind": "unet_course.segmenter/1"`` and stores the scaling rule, the training tile and the
border radius (and, from ``train``, the input channels and the Adam state for ``train --resume``);
:func:`save_model` writes one atomically, :func:`load_model` reads it and turns any other file
into a clear ``ValueError``. :func:`start_network` reads the network ``train --resume`` or
``--init`` starts from, and :func:`write_history` the ``NAME.history.csv`` written beside
``NAME.pt``.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import torch
from torch import nn

from .data.scaling import Scaling
from .files import write_atomically

__all__ = ["HISTORY_COLUMNS", "MODEL_KIND", "Segmentation", "Segmenter", "history_path", "is_history_file",
           "load_model", "load_network", "package_dir", "save_model", "scale_channels", "segment_image",
           "start_network", "write_atomically", "write_history"]

MODEL_KIND = "unet_course.segmenter/1"
HISTORY_COLUMNS: tuple[str, ...] = ("step", "loss", "val_iou", "val_f1", "seconds")


def package_dir() -> Path:
    """The folder of the installed ``unet_course`` package (nothing the user makes is written there).

    Serves: U-Net paper Fig. 2 (overlap-tile with mirroring) and section 3 (touching objects kept apart); chapters 06 and 08 applied to one's own images.
    """
    return Path(__file__).resolve().parent


@dataclass
class Segmenter:
    """A trained U-Net with what it needs to segment raw images.

    Attributes:
        model: the network (2 classes: background, object), in eval mode.
        scaling: the rule that turned raw training images into [0, 1] grey values.
        radius: half-width of the separation borders it was trained with (pixels).
        meta: everything else stored in the file (training data, scores, time).

    Serves: U-Net paper Fig. 2 (overlap-tile with mirroring) and section 3 (touching objects kept apart); chapters 06 and 08 applied to one's own images.
    """

    model: nn.Module
    scaling: Scaling
    radius: int = 1
    meta: dict[str, Any] = field(default_factory=dict)


class Segmentation(NamedTuple):
    """Result of :func:`segment_image`.

    Attributes:
        instances: ``(H, W)`` int32 instance ids, 0 = background, 1..N.
        probability: ``(H, W)`` float32 probability of the object class.

    Serves: U-Net paper Fig. 2 (overlap-tile with mirroring) and section 3 (touching objects kept apart); chapters 06 and 08 applied to one's own images.
    """

    instances: np.ndarray
    probability: np.ndarray


def _inside_package(path: Path) -> bool:
    try:
        path.resolve().relative_to(package_dir())
        return True
    except ValueError:
        return False


def save_model(path: str | os.PathLike, segmenter: Segmenter, **checkpoint_kwargs: Any) -> Path:
    """Write ``segmenter`` to ``path`` atomically (a temporary file renamed over it).

    Refuses a path inside the installed package. ``checkpoint_kwargs`` go to
    :func:`unet_course.train.save_checkpoint` (``history``, ``step``).

    Serves: U-Net paper Fig. 2 (overlap-tile with mirroring) and section 3 (touching objects kept apart); chapters 06 and 08 applied to one's own images.
    """
    from .train import save_checkpoint

    path = Path(path)
    if _inside_package(path):
        raise ValueError(
            f"{str(path)!r} lies inside the installed unet_course package; write models to a folder of your own"
        )
    meta = {**segmenter.meta, "kind": MODEL_KIND, "scaling": segmenter.scaling.to_dict(), "radius": int(segmenter.radius)}
    return save_checkpoint(path, segmenter.model, meta=meta, **checkpoint_kwargs)


def _read_checkpoint(path: Path, device: torch.device | str, ours: str) -> Any:
    """:func:`unet_course.train.load_checkpoint` with one clear ``ValueError`` for every file that is not ``ours``."""
    from .train import load_checkpoint

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # torch's unpickler notes on files that are not ours
            return load_checkpoint(path, map_location=device)
    except ValueError as error:
        raise ValueError(f"{str(path)!r} is not {ours}: {error}") from None
    except Exception as error:  # torch's unpickling / zip errors for files that are not checkpoints
        raise ValueError(
            f"{str(path)!r} is not {ours} (torch could not read it as a checkpoint: {type(error).__name__}); "
            "it may be damaged or another kind of file: train a model with 'python -m unet_course train'"
        ) from None


def load_network(path: str | os.PathLike, device: torch.device | str = "cpu") -> Any:
    """Read any checkpoint of this package whose network it can rebuild: a model file of
    ``python -m unet_course train``, or a chapter's checkpoint in ``unet_course/checkpoints/``
    (e.g. ``ch09_nuclei.pt``, chapter 09's U-Net trained on the left three quarters of the nuclei
    image). Fine-tuning (``train --init``) and resuming (``train --resume``) start from it.

    Returns:
        The :class:`unet_course.train.Checkpoint` (network rebuilt from its stored settings,
        weights loaded, optimizer state if stored, step, history, metadata).

    Raises:
        FileNotFoundError: no file at ``path``.
        ValueError: not a checkpoint of this package, or one that does not say how to build its network.

    Serves: U-Net paper Fig. 2 (overlap-tile with mirroring) and section 3 (touching objects kept apart); chapters 06 and 08 applied to one's own images.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no model file at {str(path)!r}")
    return _read_checkpoint(path, device, "a unet_course model file or checkpoint")


def start_network(path: str | os.PathLike, *, resume: bool, given: dict[str, Any] | None = None) -> Any:
    """The network ``python -m unet_course train`` starts from: ``--resume MODEL`` (a model file
    of ``train``, with its optimizer state) or ``--init MODEL`` (any :func:`load_network` file).

    The network's settings come from the file; a setting in ``given`` (``{"--depth": 4}``; ``None``
    for one not given) that differs from the file's raises ``ValueError`` naming both. Settings:
    ``--base-channels``, ``--depth``, ``--channels`` (input channels) and, on resume, ``--low``
    and ``--high`` (the scaling rule) and ``--lr`` (in the optimizer state).

    Returns:
        The :class:`unet_course.train.Checkpoint` (a valid 2-class U-Net, weights loaded, on the CPU).

    Serves: U-Net paper section 3 (training continued or fine-tuned from trained weights); chapters 08-09 applied to one's own images.
    """
    from .models import UNet

    flag = "--resume" if resume else "--init"
    ckpt = load_network(path)
    net = ckpt.model
    if not isinstance(net, UNet) or net.num_classes != 2 or net.padding != "valid":
        raise ValueError(f"{flag} {str(path)!r} holds {net.extra_repr() if isinstance(net, UNet) else type(net).__name__}; "
                         "train starts only from a 2-class U-Net with valid convolutions")
    if resume and ckpt.meta.get("kind") != MODEL_KIND:
        raise ValueError(f"--resume {str(path)!r}: not a model file of 'python -m unet_course train' (kind "
                         f"{ckpt.meta.get('kind')!r}); to start from its weights with a fresh optimizer use --init")
    if resume and not ckpt.optimizer_state:
        raise ValueError(f"--resume {str(path)!r} holds no optimizer state to continue with; use --init to start "
                         "from its weights with a fresh optimizer")
    stored = {"--base-channels": net.base_channels, "--depth": net.depth, "--channels": net.in_channels}
    if resume:
        rule = Scaling.from_dict(ckpt.meta["scaling"])
        stored.update({"--low": rule.low, "--high": rule.high, "--lr": ckpt.optimizer_state["param_groups"][0]["lr"]})
    for name, value in (given or {}).items():
        if value is not None and name in stored and value != stored[name]:
            raise ValueError(f"{name} {value} differs from {stored[name]} in {str(path)!r}; {flag} takes the "
                             f"{'network and training' if resume else 'network'} settings from the file: leave {name} out")
    return ckpt


def load_model(path: str | os.PathLike, device: torch.device | str = "cpu") -> Segmenter:
    """Read a model file written by ``python -m unet_course train`` (or :func:`save_model`).

    Args:
        path: the file.
        device: where the network goes.

    Raises:
        FileNotFoundError: no file at ``path``.
        ValueError: the file is not one of ours (not a checkpoint, damaged, or a checkpoint
            without a scaling rule), with what to do instead.

    Serves: U-Net paper Fig. 2 (overlap-tile with mirroring) and section 3 (touching objects kept apart); chapters 06 and 08 applied to one's own images.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no model file at {str(path)!r}; train one with: python -m unet_course train IMAGES LABELS --out {path}")
    ours = "a model file written by 'python -m unet_course train'"
    ckpt = _read_checkpoint(path, device, ours)
    if ckpt.meta.get("kind") != MODEL_KIND or "scaling" not in ckpt.meta:
        raise ValueError(
            f"{str(path)!r} is a unet_course checkpoint but not {ours}: it stores no scaling rule "
            f"(kind {ckpt.meta.get('kind')!r}); train one with 'python -m unet_course train'"
        )
    model = ckpt.model.to(device).eval()
    if getattr(model, "num_classes", 2) != 2:
        raise ValueError(f"{str(path)!r} holds a {model.num_classes}-class network; a segmenter has 2 classes")
    return Segmenter(model, Scaling.from_dict(ckpt.meta["scaling"]), int(ckpt.meta.get("radius", 1)), ckpt.meta)


def segment_image(
    segmenter: Segmenter | nn.Module,
    image: np.ndarray,
    *,
    threshold: float = 0.5,
    min_size: int = 0,
    grow: int = 0,
    tile_size: int | None = None,
    batch_size: int = 4,
    device: torch.device | str | None = None,
    progress: bool = False,
    tta: bool = False,
) -> Segmentation:
    """Instance labels (and the object probability) of one whole image of any size.

    Args:
        segmenter: a :class:`Segmenter` (the raw image is scaled by its rule), or a bare 2-class
            U-Net (then ``image`` must already hold float grey values in [0, 1]).
        image: ``(H, W)`` array, any size, or ``(C, H, W)`` for a network of ``C > 1`` input
            channels; raw (uint8, uint16, float) for a :class:`Segmenter` (each channel scaled by
            the rule on its own: :func:`scale_channels`).
        threshold: the object probability above which a pixel is foreground, in (0, 1).
        min_size: drop components with fewer pixels.
        grow: pixels each instance grows into the surrounding background, never into another
            instance (default 0: none; see the module's note).
        tile_size: input tile side for :func:`unet_course.tiling.predict_tiled` (default: its choice).
        batch_size: tiles per forward pass.
        device: where the network runs (default: where its weights are).
        progress: a progress bar over the tiles.
        tta: test-time averaging: the object probability averaged over the eight rotations and
            flips of the image (:func:`unet_course.tiling.predict_tiled_averaged`, the paper's
            section 4 averages 7 rotated versions for ISBI 2012); eight times the time.

    Returns:
        :class:`Segmentation` ``(instances, probability)``, both ``(H, W)``.

    Serves: U-Net paper Fig. 2 (overlap-tile with mirroring) and section 3 (touching objects kept apart); chapters 06 and 08 applied to one's own images.
    """
    from skimage.segmentation import expand_labels

    from .metrics.instances import instances_from_foreground
    from .tiling import predict_tiled, predict_tiled_averaged

    if not 0.0 < threshold < 1.0:
        raise ValueError(f"threshold must lie in (0, 1), got {threshold}")
    x = np.asarray(image)
    model = segmenter.model if isinstance(segmenter, Segmenter) else segmenter
    channels = int(getattr(model, "in_channels", 1))
    if not (x.ndim == 2 and channels == 1 or x.ndim == 3 and channels > 1 and x.shape[0] == channels):
        wanted = "one 2-D grey frame (H, W)" if channels == 1 else f"one frame of {channels} channels ({channels}, H, W)"
        raise ValueError(f"this network takes {channels} input channel(s): the image must be {wanted}, got shape {x.shape}")
    if isinstance(segmenter, Segmenter):
        x = scale_channels(segmenter.scaling, x)
    else:
        model = segmenter
        if not np.issubdtype(x.dtype, np.floating):
            raise TypeError(
                f"a bare network needs float grey values in [0, 1], got dtype {x.dtype}; scale the image with "
                "unet_course.data.scaling.Scaling (e.g. percentiles 1 and 99.8), or pass a Segmenter"
            )
        x = x.astype(np.float32)
    if int(getattr(model, "num_classes", 2)) != 2:
        raise ValueError(f"segment_image needs a 2-class network (background, object), got {model.num_classes} classes")
    grow = int(grow)
    if grow < 0 or min_size < 0:
        raise ValueError(f"grow and min_size must be >= 0, got {grow} and {min_size}")
    tiling = dict(tile_size=tile_size, batch_size=batch_size, device=device, progress=progress)
    if tta:
        probability = predict_tiled_averaged(model, x, average="probabilities", **tiling)[1].astype(np.float32)
    else:
        scores = predict_tiled(model, x, **tiling)
        probability = torch.softmax(torch.from_numpy(scores), dim=0)[1].numpy().astype(np.float32)
    instances = instances_from_foreground(probability > threshold, connectivity=4, min_size=min_size)
    if grow:
        instances = expand_labels(instances, distance=grow).astype(np.int32)
    return Segmentation(instances, probability)


def scale_channels(scaling: Scaling, image: np.ndarray) -> np.ndarray:
    """``image`` scaled to float32 by ``scaling``: a ``(H, W)`` frame as a whole, each channel of a
    ``(C, H, W)`` frame on its own (its own percentiles), since channels (stains, wavelengths)
    have unrelated grey-value ranges.

    Serves: U-Net paper section 3 (input grey values the network was trained on); chapters 08-09 applied to one's own images.
    """
    x = np.asarray(image)
    return scaling(x) if x.ndim == 2 else np.stack([scaling(c) for c in x])


def history_path(model_path: str | os.PathLike) -> Path:
    """The training history beside a model file: ``NAME.history.csv`` for ``NAME.pt``.

    Serves: U-Net paper section 3 (training, followed step by step); chapters 07-09 applied to one's own images.
    """
    model_path = Path(model_path)
    return model_path.with_name(f"{model_path.stem}.history.csv")


def is_history_file(path: str | os.PathLike) -> bool:
    """Whether ``path`` holds a history written by :func:`write_history` (its header line is
    :data:`HISTORY_COLUMNS`); only such a file is replaced.

    Serves: U-Net paper section 3 (training, followed step by step); chapters 07-09 applied to one's own images.
    """
    try:
        with open(path, encoding="utf-8") as f:
            return f.readline().strip() == ",".join(HISTORY_COLUMNS)
    except (OSError, UnicodeDecodeError):
        return False


def write_history(path: str | os.PathLike, history: Any) -> Path:
    """Write a training history as CSV, atomically: one row per validation, columns
    :data:`HISTORY_COLUMNS`: the step; the mean training loss of the steps since the previous row
    (empty before the first step); the held-out foreground IoU and instance F1; the seconds of
    training up to then (summed over resumed runs). ``history`` is a
    :class:`unet_course.train.History` whose ``evals`` hold ``val_iou``, ``val_f1``, ``seconds``.

    Serves: U-Net paper section 3 (training, followed step by step); chapters 07-09 applied to one's own images.
    """
    steps, losses = np.asarray(history.step, dtype=np.int64), np.asarray(history.loss, dtype=np.float64)
    lines, previous = [",".join(HISTORY_COLUMNS)], 0
    for e in sorted(history.evals, key=lambda e: e["step"]):
        since = losses[(steps > previous) & (steps <= e["step"])]
        previous = max(previous, int(e["step"]))
        cells = [str(int(e["step"])), f"{since.mean():.6g}" if since.size else ""]
        cells += [f"{e[k]:.6g}" if k in e else "" for k in HISTORY_COLUMNS[2:]]
        lines.append(",".join(cells))
    text = "\n".join(lines) + "\n"
    return write_atomically(path, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))
