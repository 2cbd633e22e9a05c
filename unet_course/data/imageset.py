"""Read your own images and labels: TIFF stacks, single TIFF or PNG files, or folders of them.

An *image set* is what the command line's ``IMAGES``, ``LABELS`` and ``PREDICTED`` arguments
name:

- a multi-page TIFF: a stack of 2-D frames (``(N, H, W)``), one frame per page;
- a single TIFF or PNG file holding one 2-D frame;
- a folder of such files (``.tif``, ``.tiff``, ``.png``), read in order of their names; files
  whose names start with ``.`` are skipped, any other file is an error;
- an ImageJ hyperstack or an OME-TIFF that names its axes: ``T``, ``Z`` (and ``I``, ``Q``) number
  frames, ``C`` holds channels. A file with more than one channel (``C``, or the colour samples
  ``S`` of an RGB image) is refused unless one channel is chosen (``channel=N``, ``--channel N``)
  or all are kept (``channels=K``, ``--channels K``: frames ``(K, H, W)``).

Images and labels are paired by file name (the same name without the extension, in two
folders) or, when the names differ, by frame index (the n-th frame of the images with the n-th
of the labels). Every check runs before any work: a file that is not an image, frames that are
not 2-D, channels not chosen, different counts or sizes, and a label set with no object all raise a
``ValueError`` that says what was wrong and what would be right.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

__all__ = ["IMAGE_SUFFIXES", "ImageSet", "image_files", "read_image_set", "read_pairs", "check_labels"]

IMAGE_SUFFIXES: tuple[str, ...] = (".tif", ".tiff", ".png")


@dataclass
class ImageSet:
    """The 2-D frames of an image set, with where each came from.

    Attributes:
        frames: one ``(H, W)`` array per frame, in the file's dtype (uint8, uint16, float, ...);
            ``(C, H, W)`` when the set keeps ``C = channels > 1`` channels a frame.
        files: the files read, in order.
        origin: for each frame, ``(file number, frame number in the file)``.
        channels: channels a frame (1: grey ``(H, W)`` frames).

    Serves: reading one's own training data for section 3's training (README); chapters 08-09 use the same layout.
    """

    frames: list[np.ndarray]
    files: list[Path]
    origin: list[tuple[int, int]] = field(default_factory=list)
    channels: int = 1

    def __len__(self) -> int:
        return len(self.frames)

    def name(self, k: int) -> str:
        """A readable name of frame ``k``: ``file.tif`` or ``stack.tif[3]`` (page 3 of a stack)."""
        f, p = self.origin[k]
        many = sum(1 for o in self.origin if o[0] == f) > 1
        return f"{self.files[f].name}[{p}]" if many else self.files[f].name

    def frames_of(self, f: int) -> list[int]:
        """The frame numbers that file ``f`` holds, in page order."""
        return [k for k, o in enumerate(self.origin) if o[0] == f]


def image_files(path: str | os.PathLike) -> list[Path]:
    """The image files of ``path``: the file itself, or a folder's ``.tif``/``.tiff``/``.png`` files
    sorted by name. Raises ``FileNotFoundError`` when nothing is there and ``ValueError`` for an
    empty folder or a folder holding other files.

    Serves: reading one's own training data for section 3's training (README); chapters 08-09 use the same layout.
    """
    p = Path(path)
    if not p.exists():
        raise FileNotFoundError(f"{str(p)!r} does not exist; give a TIFF stack, a TIFF or PNG file, or a folder of them")
    if p.is_file():
        return [p]
    entries = sorted((e for e in p.iterdir() if not e.name.startswith(".")), key=lambda e: e.name)
    files = [e for e in entries if e.is_file() and e.suffix.lower() in IMAGE_SUFFIXES]
    others = [e.name for e in entries if e.is_file() and e.suffix.lower() not in IMAGE_SUFFIXES]
    if others:
        shown = ", ".join(others[:5]) + (" ..." if len(others) > 5 else "")
        raise ValueError(
            f"folder {str(p)!r} holds files that are not images ({shown}); an image folder may hold only "
            f"{', '.join(IMAGE_SUFFIXES)} files: move the others out"
        )
    if not files:
        raise ValueError(f"folder {str(p)!r} holds no {', '.join(IMAGE_SUFFIXES)} file")
    return files


#: Axes that hold the channels of one frame: ``C`` (channels of a hyperstack or OME-TIFF) and ``S``
#: (samples of a pixel: RGB). Every other axis but ``Y`` and ``X`` (``T``, ``Z``, ``I``, ``Q``, ...)
#: numbers frames.
CHANNEL_AXES = "CS"


def _read_array(path: Path) -> tuple[np.ndarray, str]:
    """The array of one file and its axes (tifffile's letters: ``"TCYX"``, ``"YXS"``, ``"QYX"``)."""
    if path.suffix.lower() == ".png":
        from PIL import Image

        with Image.open(path) as im:
            array = np.asarray(im)
        return array, "YXS" if array.ndim == 3 else "YX"
    import tifffile

    with tifffile.TiffFile(path) as tif:
        series = tif.series[0]
        return series.asarray(), series.axes


def _channel_options(path: Path, what: str, n: int, where: str) -> str:
    """Why a file with ``n`` channels is refused, and what to do instead."""
    samples = where.startswith("axis 'S'")
    held = f"{str(path)!r} holds {n} {'colour samples' if samples else 'channels'} ({where})"
    if "label" in what:
        return f"{what} {held}; {what} hold one channel of instance ids: save them as a single-channel image"
    rgb = (" (a stack of grey frames written as RGB by mistake: write it again with "
           "tifffile.imwrite(path, stack, photometric='minisblack'))") if samples else ""
    return (f"{held}; pick one with --channel N (N = 0..{n - 1}; in Python channel=N), or train on all {n} "
            f"with --channels {n}{rgb}")


def _frames(path: Path, array: np.ndarray, axes: str, what: str, channel: int | None, channels: int) -> np.ndarray:
    """``array`` with axes ``axes`` as frames: ``(N, H, W)`` for one channel, ``(N, C, H, W)`` for ``channels > 1``."""
    keep = [k for k, a in enumerate(axes) if array.shape[k] > 1 or a in "YX"]
    array, axes = array.reshape([array.shape[k] for k in keep]), "".join(axes[k] for k in keep)
    if "Y" not in axes or "X" not in axes or array.ndim < 2:
        raise ValueError(f"{str(path)!r} has no Y and X axes (axes {axes!r}, shape {array.shape}); give 2-D frames")
    if axes.count("Q") > 1:
        raise ValueError(
            f"{str(path)!r} holds a {array.ndim}-D array whose axes are not named (axes {axes!r}, shape {array.shape}); "
            "give 2-D frames, a stack of 2-D frames (N, H, W), or an ImageJ hyperstack / OME-TIFF that names its axes"
        )
    chan = [a for a in axes if a in CHANNEL_AXES]
    if len(chan) > 1:
        raise ValueError(f"{str(path)!r} has two channel axes (axes {axes!r}, shape {array.shape}); keep one")
    n = array.shape[axes.index(chan[0])] if chan else 1
    where = f"axis {chan[0]!r} of size {n}; axes {axes!r}, shape {array.shape}" if chan else f"axes {axes!r}"
    if channel is not None:
        if not 0 <= channel < n:
            raise ValueError(f"--channel {channel} is out of range: {str(path)!r} holds {n} channel(s) ({where}), "
                           f"numbered 0..{n - 1}")
    elif n != channels:
        if channels == 1:
            raise ValueError(_channel_options(path, what, n, where))
        raise ValueError(f"--channels {channels}, but {str(path)!r} holds {n} channel(s) ({where}); "
                       f"give images with {channels} channels, or --channels {n}")
    order = [k for k, a in enumerate(axes) if a not in CHANNEL_AXES + "YX"]
    order += [axes.index(chan[0])] if chan else []
    array = np.moveaxis(array, order + [axes.index("Y"), axes.index("X")], list(range(array.ndim)))
    h, w = array.shape[-2:]
    array = array.reshape(-1, n, h, w)
    return array[:, channel] if channel is not None else array[:, 0] if n == 1 else array


def _read_file(path: Path, what: str = "images", channel: int | None = None, channels: int = 1) -> list[np.ndarray]:
    """The frames of one file: ``(H, W)`` arrays, or ``(C, H, W)`` for ``channels > 1``."""
    suffix = path.suffix.lower()
    if suffix not in IMAGE_SUFFIXES:
        raise ValueError(f"{str(path)!r} is not a {', '.join(IMAGE_SUFFIXES)} file; convert it to TIFF or PNG")
    try:
        array, axes = _read_array(path)
    except Exception as error:  # tifffile / PIL decoding errors of every kind
        raise ValueError(f"{str(path)!r} is not a readable TIFF or PNG image ({type(error).__name__}: {error})") from None
    if array.size == 0:
        raise ValueError(f"{str(path)!r} holds an empty image (shape {array.shape})")
    if suffix == ".png" and axes == "YXS" and channel is None and channels == 1:
        from PIL import Image

        with Image.open(path) as im:
            mode = im.mode
        n = array.shape[-1]
        raise ValueError(f"{str(path)!r} is a colour image (mode {mode}): "
                       + _channel_options(path, what, n, f"axis 'S' of size {n}, one per colour"))
    stack = _frames(path, array, axes, what, channel, channels)
    if stack.dtype == bool:
        stack = stack.astype(np.uint8)
    if not (np.issubdtype(stack.dtype, np.integer) or np.issubdtype(stack.dtype, np.floating)):
        raise ValueError(f"{str(path)!r} holds {stack.dtype} values; images hold integer or float grey values")
    return [np.asarray(frame) for frame in stack]


def read_image_set(
    path: str | os.PathLike, *, channel: int | None = None, channels: int = 1, what: str = "images"
) -> ImageSet:
    """Read every frame of a TIFF stack, a TIFF or PNG file, or a folder of them.

    A file's axes come from its metadata (tifffile's ``series[0].axes``: ImageJ hyperstacks,
    OME-TIFF, tifffile's own): ``C`` (channels) and ``S`` (colour samples, as in RGB) hold the
    channels of a frame; ``T``, ``Z``, ``I`` and an unnamed ``Q`` number the frames (``T`` and
    ``Z`` together: every plane of every time point); axes of size 1 are dropped. A PNG in colour
    has an ``S`` axis.

    Args:
        path: a file or a folder (files in name order).
        channel: take this channel (0-based) of every file; a grey file has one, channel 0.
        channels: how many channels every file must hold (default 1: grey); with more than 1,
            every frame keeps all of them, ``(C, H, W)``. Without ``channel``, a file whose
            channel count differs raises ``ValueError`` naming the axis, its size and the options.
        what: the set's name in messages (a ``"labels"`` set is told to hold one channel).

    Returns:
        An :class:`ImageSet`; frames keep the file's dtype.

    Raises:
        FileNotFoundError: ``path`` does not exist.
        ValueError: a file is not an image, holds another number of channels, or more axes than
            frames and channels; ``channel`` out of range; the folder holds other files or none.

    Serves: reading one's own training data for section 3's training (README); chapters 08-09 use the same layout.
    """
    if channel is not None and (not isinstance(channel, (int, np.integer)) or isinstance(channel, bool)):
        raise TypeError(f"channel must be an int (0-based) or None, got {channel!r}")
    if not isinstance(channels, (int, np.integer)) or channels < 1:
        raise ValueError(f"--channels must be an int >= 1, got {channels!r}")
    if channel is not None and channels != 1:
        raise ValueError("give one of --channel N (one channel) and --channels K (all K channels), not both")
    files = image_files(path)
    frames: list[np.ndarray] = []
    origin: list[tuple[int, int]] = []
    for f, file in enumerate(files):
        for page, frame in enumerate(_read_file(file, what, channel, channels)):
            frames.append(frame)
            origin.append((f, page))
    return ImageSet(frames, files, origin, channels=int(channels) if channel is None else 1)


def check_labels(labels: ImageSet, what: str = "labels") -> None:
    """Raise ``ValueError`` unless ``labels`` are instance maps: integer (or whole-valued float)
    ids >= 0, 0 = background, and at least one object in the whole set.

    Serves: reading one's own training data for section 3's training (README); chapters 08-09 use the same layout.
    """
    for k, frame in enumerate(labels.frames):
        if np.issubdtype(frame.dtype, np.floating):
            if not np.all(np.isfinite(frame)) or np.any(frame != np.round(frame)):
                raise ValueError(
                    f"{what} {labels.name(k)} holds fractional values (dtype {frame.dtype}); labels are instance "
                    "ids: 0 = background, 1, 2, ... = one id per object"
                )
        if frame.size and frame.min() < 0:
            raise ValueError(f"{what} {labels.name(k)} holds negative ids (min {frame.min()}); use 0 for background")
    if not any(np.any(frame > 0) for frame in labels.frames):
        raise ValueError(
            f"the {what} hold no object: every pixel of every frame is 0 (background). Label the objects "
            "(0 = background, 1, 2, ... = one id per object), or check that the right files were given"
        )


def _stem(path: Path) -> str:
    return path.name[: -len(path.suffix)] if path.suffix else path.name


def read_pairs(
    images: str | os.PathLike,
    labels: str | os.PathLike,
    *,
    what: tuple[str, str] = ("images", "labels"),
    require_objects: bool = True,
    channel: int | None = None,
    channels: int = 1,
) -> tuple[ImageSet, ImageSet]:
    """Read an image set and its label set and pair them frame by frame.

    Pairing: when both are folders and every file of one has a file of the same name (without
    the extension) in the other, files are paired by name (the label set is reordered to
    match). Otherwise frames are paired by index, which needs equal frame counts; folders whose
    names differ are paired that way with a warning.

    Args:
        images, labels: paths as for :func:`read_image_set`.
        what: the two sets' names in messages (``("predicted", "labels")`` for evaluation).
        require_objects: call :func:`check_labels` on the labels (at least one object).
        channel, channels: which channels of the images to read (:func:`read_image_set`); the
            labels always hold one.

    Returns:
        ``(images, labels)`` with ``labels.frames[k]`` the labels of ``images.frames[k]``.

    Raises:
        ValueError: different counts or sizes, labels that are not instance ids or hold no object,
            and every error of :func:`read_image_set`.

    Serves: reading one's own training data for section 3's training (README); chapters 08-09 use the same layout.
    """
    a_name, b_name = what
    a = read_image_set(images, channel=channel, channels=channels, what=a_name)
    b = read_image_set(labels, what=b_name)
    a_dir, b_dir = Path(images).is_dir(), Path(labels).is_dir()
    if a_dir and b_dir:
        a_stems = [_stem(f) for f in a.files]
        b_stems = {_stem(f): i for i, f in enumerate(b.files)}
        if set(a_stems) == set(b_stems) and len(b_stems) == len(b.files):
            order = [b_stems[s] for s in a_stems]
            frames, origin = [], []
            for new_f, f in enumerate(order):
                for k in b.frames_of(f):
                    frames.append(b.frames[k])
                    origin.append((new_f, b.origin[k][1]))
            b = ImageSet(frames, [b.files[f] for f in order], origin, b.channels)
        elif len(a) == len(b):
            warnings.warn(
                f"the file names in {str(images)!r} and {str(labels)!r} differ; pairing {a_name} and {b_name} by "
                "frame index (name order). Give both folders the same file names to pair them by name",
                stacklevel=2,
            )
    if len(a) != len(b):
        raise ValueError(
            f"{len(a)} {a_name} frame(s) but {len(b)} {b_name} frame(s) ({str(images)!r}, {str(labels)!r}); "
            f"every {a_name[:-1] if a_name.endswith('s') else a_name} frame needs exactly one {b_name} frame "
            "(same file names in two folders, or the same frame order)"
        )
    for k, (x, y) in enumerate(zip(a.frames, b.frames)):
        if x.shape[-2:] != y.shape[-2:]:
            raise ValueError(
                f"{a_name} {a.name(k)} is {x.shape[-2]} x {x.shape[-1]} pixels but its {b_name} {b.name(k)} is "
                f"{y.shape[-2]} x {y.shape[-1]}; a frame and its labels must have the same size"
            )
    check_labels(b, b_name) if require_objects else None
    return a, b
