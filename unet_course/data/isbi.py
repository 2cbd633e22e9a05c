"""The ISBI 2012 EM segmentation training set: 30 slices with membrane labels.

The data set (Cardona et al. 2010; Arganda-Carreras et al. 2015) is the one of Table 1 in the
U-Net paper. The course cannot ship it; :func:`load_isbi2012` reads it from a folder you name,
laid out in one of two ways::

    <root>/train-volume.tif            the challenge's own files: multi-page TIFFs,
    <root>/train-labels.tif            30 pages of 512 x 512 each (as distributed)

    <root>/images/00.png ... 29.png   8-bit grey slices, 512 x 512
    <root>/labels/00.png ... 29.png   8-bit labels: 255 = cell interior, 0 = membrane

Labels follow the ISBI convention and are returned as ``0 = membrane``, ``1 = interior``.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

import numpy as np

DATA_ENV = "UNET_COURSE_DATA"
MEMBRANE, INTERIOR = 0, 1

TIFF_FILES = ("train-volume.tif", "train-labels.tif")

_HOW_TO_GET = (
    "Get the training set of the ISBI 2012 challenge 'Segmentation of neuronal structures in EM "
    "stacks' (30 slices, 512 x 512; from the challenge site or a mirror) and put it in a folder "
    "in either layout: (1) the challenge's own multi-page TIFFs <folder>/train-volume.tif and "
    "<folder>/train-labels.tif, as distributed; or (2) one 8-bit PNG per slice, "
    "<folder>/images/00.png ... 29.png, and per label (255 = interior, 0 = membrane), "
    "<folder>/labels/00.png ... 29.png. Then pass root=<folder> or set the environment variable "
    f"{DATA_ENV}=<folder>."
)


class EMStack(NamedTuple):
    """A stack of EM slices with membrane labels; unpacks as ``images, labels = stack``.

    Attributes:
        images: ``(N, H, W)`` float32 grey values in [0, 1].
        labels: ``(N, H, W)`` uint8, ``0`` = membrane, ``1`` = cell interior (ISBI convention).
        slices: ``(N,)`` int64 slice numbers in the original stack (00..29 for ISBI 2012).

    Serves: U-Net paper section 4, Table 1 (the ISBI 2012 EM segmentation data); chapters 07, 09.
    """

    images: np.ndarray
    labels: np.ndarray
    slices: np.ndarray


def isbi_root(root: str | os.PathLike | None = None) -> Path:
    """The ISBI 2012 folder: ``root`` if given, else ``$UNET_COURSE_DATA``.

    Raises ``FileNotFoundError`` with download instructions when neither names a folder that
    holds ``images/`` and ``labels/`` or ``train-volume.tif`` and ``train-labels.tif``.

    Serves: U-Net paper section 4, Table 1 (the ISBI 2012 EM segmentation data); chapters 07, 09.
    """
    if root is None:
        env = os.environ.get(DATA_ENV, "").strip()
        if not env:
            raise FileNotFoundError(
                f"No ISBI 2012 folder given: pass root=... or set {DATA_ENV}. " + _HOW_TO_GET
            )
        root = env
    path = Path(root).expanduser()
    if _layout(path) is None:
        missing = [sub + "/" for sub in ("images", "labels") if not (path / sub).is_dir()]
        missing_tif = [name for name in TIFF_FILES if not (path / name).is_file()]
        raise FileNotFoundError(
            f"The ISBI 2012 folder {str(path)!r} has no {' or '.join(missing)} sub-folder and no "
            f"{' or '.join(missing_tif)}. " + _HOW_TO_GET
        )
    return path


def _layout(path: Path) -> str | None:
    """``"png"`` (images/ and labels/), ``"tif"`` (the challenge's two TIFFs) or ``None``."""
    if all((path / sub).is_dir() for sub in ("images", "labels")):
        return "png"
    if all((path / name).is_file() for name in TIFF_FILES):
        return "tif"
    return None


def isbi_available(root: str | os.PathLike | None = None) -> bool:
    """True when :func:`load_isbi2012` would find the data (same arguments).

    Serves: U-Net paper section 4, Table 1 (the ISBI 2012 EM segmentation data); chapters 07, 09.
    """
    try:
        isbi_root(root)
    except FileNotFoundError:
        return False
    return True


def _read_png(path: Path) -> np.ndarray:
    from PIL import Image  # Pillow comes with matplotlib and scikit-image

    with Image.open(path) as im:
        return np.asarray(im.convert("L"))


def load_isbi2012(root: str | os.PathLike | None = None) -> EMStack:
    """Read the 30 ISBI 2012 training slices and their membrane labels.

    Args:
        root: the folder with ``images/NN.png`` and ``labels/NN.png``, or with the challenge's
            multi-page ``train-volume.tif`` and ``train-labels.tif`` (page ``k`` is slice ``k``;
            the PNG layout wins when a folder has both); default: the environment variable
            ``UNET_COURSE_DATA``.

    Returns:
        An :class:`EMStack`: ``images`` ``(30, 512, 512)`` float32 in [0, 1] (8-bit value / 255),
        ``labels`` ``(30, 512, 512)`` uint8 with ``0`` = membrane and ``1`` = interior, and
        ``slices`` ``(30,)`` the slice numbers 0..29, sorted.

    Raises:
        FileNotFoundError: the folder is missing or incomplete; the message says what to
            download and where to put it.
        ValueError: an image and its label differ in size, a label holds values other
            than 0 and 255, or a TIFF is not a stack of 8-bit grey pages.

    Serves: U-Net paper section 4, Table 1 (the ISBI 2012 EM segmentation data); chapters 07, 09.
    """
    path = isbi_root(root)
    if _layout(path) == "tif":
        return _load_tif(path)
    image_files = sorted((path / "images").glob("*.png"))
    if not image_files:
        raise FileNotFoundError(f"{str(path / 'images')!r} holds no PNG slices. " + _HOW_TO_GET)
    images, labels, slices = [], [], []
    for file in image_files:
        label_file = path / "labels" / file.name
        if not label_file.is_file():
            raise FileNotFoundError(
                f"Slice {file.name} has no label {str(label_file)!r}. " + _HOW_TO_GET
            )
        image, label = _read_png(file), _read_png(label_file)
        if image.shape != label.shape:
            raise ValueError(f"{file.name}: image {image.shape} and label {label.shape} differ in size")
        _check_label(label, file.name)
        images.append(image.astype(np.float32) / 255.0)
        labels.append((label == 255).astype(np.uint8))
        slices.append(int(file.stem) if file.stem.isdigit() else len(slices))
    return EMStack(np.stack(images), np.stack(labels), np.asarray(slices, dtype=np.int64))


def _check_label(label: np.ndarray, name: str) -> None:
    values = np.unique(label)
    if not set(values.tolist()) <= {0, 255}:
        raise ValueError(
            f"label {name} holds values {values[:8].tolist()}; expected 0 (membrane) and "
            "255 (interior) only"
        )


def _load_tif(path: Path) -> EMStack:
    """The challenge's ``train-volume.tif`` / ``train-labels.tif``: ``(N, H, W)`` 8-bit stacks."""
    import tifffile

    volume, labels = (tifffile.imread(path / name) for name in TIFF_FILES)
    for name, arr in zip(TIFF_FILES, (volume, labels)):
        if arr.ndim == 2:  # a single page
            arr = arr[None]
        if arr.ndim != 3 or arr.dtype != np.uint8:
            raise ValueError(
                f"{name} holds an array of shape {arr.shape} and dtype {arr.dtype}; expected a "
                "multi-page TIFF of 8-bit grey pages, (N, H, W) uint8"
            )
    volume = volume[None] if volume.ndim == 2 else volume
    labels = labels[None] if labels.ndim == 2 else labels
    if volume.shape != labels.shape:
        raise ValueError(f"{TIFF_FILES[0]} {volume.shape} and {TIFF_FILES[1]} {labels.shape} differ in shape")
    _check_label(labels, TIFF_FILES[1])
    return EMStack(volume.astype(np.float32) / 255.0, (labels == 255).astype(np.uint8),
                   np.arange(len(volume), dtype=np.int64))


def split_by_slice(
    stack: EMStack, held_out: int | Sequence[int] = 5
) -> tuple[EMStack, EMStack]:
    """Split a stack into training and held-out slices.

    The ISBI 2012 test labels were never published, so a held-out evaluation uses slices of
    the training stack. Neighbouring serial sections look alike, so the default holds out one
    contiguous block at the end of the stack (slices 25..29 of 30) rather than random slices.

    Args:
        stack: an :class:`EMStack`.
        held_out: the number ``k`` of last slices to hold out (``0 < k < N``), or the positions
            (0-based indices into the stack) of the slices to hold out.

    Returns:
        ``(train, held)``: two :class:`EMStack` views in stack order.

    Serves: U-Net paper section 4, Table 1 (the ISBI 2012 EM segmentation data); chapters 07, 09.
    """
    n = len(stack.images)
    if isinstance(held_out, (int, np.integer)):
        if not 0 < held_out < n:
            raise ValueError(f"held_out={held_out} must be between 1 and {n - 1} for {n} slices")
        test = np.arange(n - int(held_out), n)
    else:
        test = np.unique(np.asarray(held_out, dtype=np.int64))
        if test.size == 0 or test.size >= n or test.min() < 0 or test.max() >= n:
            raise ValueError(
                f"held_out positions {list(held_out)} must be distinct indices in 0..{n - 1}, "
                "leaving at least one training slice"
            )
    train = np.setdiff1d(np.arange(n), test)
    pick = lambda idx: EMStack(stack.images[idx], stack.labels[idx], stack.slices[idx])  # noqa: E731
    return pick(train), pick(test)
