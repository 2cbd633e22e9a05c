"""A real fluorescence image of nuclei with hand-drawn instance labels.

The ``stardist`` wheel (Schmidt et al. 2018) ships one 2-D example from the 2018 Data Science
Bowl (stage 1 training set, Caicedo et al. 2019): ``stardist/data/images/img2d.tif`` with 125
touching nuclei labelled one by one in ``mask2d.tif``. The course installs only the wheel's
files, not its dependencies::

    pip install --no-deps stardist==0.9.2

and reads the two TIFFs by path, so ``stardist`` itself is never imported.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import NamedTuple

import numpy as np

_INSTALL = "pip install --no-deps stardist==0.9.2"


class NucleiSample(NamedTuple):
    """One image with instance labels; unpacks as ``image, instances = sample``.

    Attributes:
        image: ``(H, W)`` float32 grey values in [0, 1] (min-max scaled).
        instances: ``(H, W)`` int32; 0 is background, nuclei are 1..N (consecutive).

    Serves: a real image for the U-Net paper's section 4 pipeline; chapters 07-09.
    """

    image: np.ndarray
    instances: np.ndarray

    @property
    def foreground(self) -> np.ndarray:
        """``(H, W)`` int64 binary mask: 1 inside any nucleus, 0 on background."""
        return (self.instances > 0).astype(np.int64)


def nuclei_files() -> tuple[Path, Path]:
    """Paths of ``img2d.tif`` and ``mask2d.tif`` in the installed ``stardist`` package.

    Raises ``FileNotFoundError`` saying how to install the package when it or a file is missing.

    Serves: a real image for the U-Net paper's section 4 pipeline; chapters 07-09.
    """
    spec = importlib.util.find_spec("stardist")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(
            "The nuclei example needs the files of the 'stardist' wheel, which is not installed. "
            f"Install it without its dependencies: {_INSTALL}"
        )
    folder = Path(next(iter(spec.submodule_search_locations))) / "data" / "images"
    files = folder / "img2d.tif", folder / "mask2d.tif"
    for file in files:
        if not file.is_file():
            raise FileNotFoundError(
                f"{file.name} is missing from the installed stardist package ({str(folder)!r}); "
                f"reinstall it: {_INSTALL}"
            )
    return files


def load_nuclei() -> NucleiSample:
    """The stardist example nuclei image with its instance labels.

    Returns:
        A :class:`NucleiSample`: ``image`` ``(512, 512)`` float32 in [0, 1] and ``instances``
        ``(512, 512)`` int32 with 125 nuclei labelled 1..125.

    Raises:
        FileNotFoundError: stardist is not installed; the message gives the pip command.

    Serves: a real image for the U-Net paper's section 4 pipeline; chapters 07-09.
    """
    import tifffile
    from skimage.segmentation import relabel_sequential

    image_file, mask_file = nuclei_files()
    image = tifffile.imread(image_file).astype(np.float32)
    mask = tifffile.imread(mask_file)
    if image.shape != mask.shape or image.ndim != 2:
        raise ValueError(f"expected one 2-D image and mask of one size, got {image.shape} and {mask.shape}")
    lo, hi = float(image.min()), float(image.max())
    image = (image - lo) / (hi - lo) if hi > lo else np.zeros_like(image)
    instances = relabel_sequential(mask.astype(np.int32))[0].astype(np.int32)
    return NucleiSample(image.astype(np.float32), instances)
