"""Where the course runs: the device, the profile, seeding and the banner.

Two profiles size every experiment of the book:

- ``quick``: the default on a CPU. Small models and short runs; every notebook finishes in
  under 90 s on 2 CPU cores.
- ``full``: the default where CUDA is available. The paper-size network (64 base channels,
  572 x 572 input tiles) and real training runs.

The environment variable ``UNET_COURSE_PROFILE`` overrides the automatic choice.
"""

from __future__ import annotations

import os
import platform
import random
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TypeVar

import numpy as np
import torch

PROFILES: tuple[str, ...] = ("quick", "full")
PROFILE_ENV = "UNET_COURSE_PROFILE"

T = TypeVar("T")


def device() -> torch.device:
    """The device the course computes on: ``cuda`` when available, else ``cpu``."""
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def profile() -> str:
    """The active profile, ``"quick"`` or ``"full"``.

    ``UNET_COURSE_PROFILE`` wins when set; otherwise ``full`` on a CUDA device and ``quick``
    elsewhere. An unknown value raises ``ValueError`` naming the valid ones.
    """
    value = os.environ.get(PROFILE_ENV, "").strip().lower()
    if not value:
        return "full" if device().type == "cuda" else "quick"
    if value not in PROFILES:
        raise ValueError(
            f"{PROFILE_ENV}={os.environ[PROFILE_ENV]!r} is not a profile; "
            f"use one of {', '.join(PROFILES)} (or unset it to choose by device)"
        )
    return value


def pick(quick: T, full: T) -> T:
    """Return ``quick`` or ``full`` according to the active profile.

    >>> steps = pick(quick=200, full=5000)
    """
    return full if profile() == "full" else quick


@contextmanager
def torch_threads(threads: int | None) -> Iterator[None]:
    """Run a block with ``threads`` CPU threads for torch, then restore the previous count.

    ``None`` leaves the setting alone. The course's networks are small: on a CPU one thread does
    about as much work as two, repeats the same floating-point sums on every run, and does not
    stall waiting for a second thread when the machine is busy.
    """
    if threads is not None and threads < 1:
        raise ValueError(f"threads must be >= 1 or None, got {threads}")
    previous = torch.get_num_threads()
    if threads is not None:
        torch.set_num_threads(int(threads))
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def use_profile_threads() -> int:
    """Apply the profile's thread policy for a whole notebook and return the thread count.

    In the quick profile on a CPU, torch uses one thread (see :func:`torch_threads` for why);
    elsewhere the setting is left as it is.
    """
    if profile() == "quick" and device().type == "cpu":
        torch.set_num_threads(1)
    return torch.get_num_threads()


def seed_everything(seed: int = 0) -> torch.Generator:
    """Seed Python's, NumPy's and torch's generators (CPU and CUDA) with ``seed``.

    Also makes cuDNN choose deterministic algorithms. Returns a ``torch.Generator`` seeded
    with the same value, for code that prefers an explicit generator.
    """
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool):
        raise TypeError(f"seed must be an int, got {type(seed).__name__}")
    random.seed(int(seed))
    np.random.seed(int(seed) % 2**32)
    torch.manual_seed(int(seed))
    if torch.cuda.is_available():
        torch.cuda.manual_seed_all(int(seed))
    torch.backends.cudnn.deterministic = True
    torch.backends.cudnn.benchmark = False
    generator = torch.Generator()
    generator.manual_seed(int(seed))
    return generator


def banner() -> str:
    """One line that names the device, the profile and the library versions.

    Every notebook prints it first, so a reader knows what produced the outputs below.
    """
    dev = device()
    where = torch.cuda.get_device_name(dev) if dev.type == "cuda" else platform.processor() or "cpu"
    threads = torch.get_num_threads()
    return (
        f"unet_course | device: {dev.type} ({where}, {threads} threads) | profile: {profile()} | "
        f"torch {torch.__version__} | numpy {np.__version__}"
    )
