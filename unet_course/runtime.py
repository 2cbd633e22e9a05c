"""Where the course runs: the device, the profile, seeding and the banner.

Two profiles size every experiment of the book:

- ``quick``: the default on a CPU. Small models and short runs; every notebook finishes in
  under 90 s on 2 CPU cores.
- ``full``: the default where CUDA is available. The paper-size network (64 base channels,
  572 x 572 input tiles) and real training runs.

The environment variable ``UNET_COURSE_PROFILE`` overrides the automatic choice.

cuDNN autotuning (``torch.backends.cudnn.benchmark``) times several convolution algorithms for
each new input shape and keeps the fastest: a gain for the full profile's fixed tile sizes, but the
chosen algorithm may differ from run to run, so results repeat only to the last bits.
:func:`seed_everything` turns it off (deterministic algorithms); :func:`cudnn_autotune` turns it on
for a block (``train.fit`` does so in the full profile on CUDA), and ``UNET_COURSE_DETERMINISTIC=1``
keeps it off everywhere (for tests that need bit-exact repeats on a GPU).
"""

from __future__ import annotations

import difflib
import os
import platform
import random
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import TypeVar

import numpy as np
import torch

PROFILES: tuple[str, ...] = ("quick", "full")
PROFILE_ENV = "UNET_COURSE_PROFILE"
DETERMINISTIC_ENV = "UNET_COURSE_DETERMINISTIC"

T = TypeVar("T")


def device() -> torch.device:
    """The device the course computes on: ``cuda`` when available, else ``cpu``.

    Serves: the course's runtime (device, profile, seeds), used from chapter 01 on; appendix (chapter 11) for threads and GPUs.
    """
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


DEVICE_CHOICES: tuple[str, ...] = ("auto", "cpu", "cuda", "cuda:N", "mps")


def resolve_device(spec: str | None = "auto", *, what: str = "--device") -> torch.device:
    """The device a user named: ``auto`` (or ``None``), ``cpu``, ``cuda``, ``cuda:N`` or ``mps``.

    ``auto`` is :func:`device` (CUDA when available, else the CPU). A device that is not here
    raises ``ValueError`` at once, before any file is read, with what is available instead:
    ``cuda`` without a CUDA GPU, ``cuda:N`` with ``N`` outside ``0 .. device_count - 1``, ``mps``
    where Apple's Metal backend is absent, and an unknown name (the message lists
    :data:`DEVICE_CHOICES`). ``what`` names the setting in messages.

    Serves: the course's runtime (device, profile, seeds), used from chapter 01 on; appendix (chapter 11) for threads and GPUs.
    """
    text = "auto" if spec is None else str(spec).strip().lower()
    if text == "auto":
        return device()
    if text == "cpu":
        return torch.device("cpu")
    if text == "mps":
        if not (hasattr(torch.backends, "mps") and torch.backends.mps.is_available()):
            raise ValueError(f"{what} mps: Apple's Metal (MPS) backend is not available here; use {what} cpu or auto")
        return torch.device("mps")
    kind, _, index = text.partition(":")
    if kind != "cuda" or (_ and not index.isdigit()):
        raise ValueError(f"{what} {spec!r} is not a device; use one of {', '.join(DEVICE_CHOICES)} "
                         "(N: the GPU's number, from 0)")
    if not torch.cuda.is_available():
        build = f"built with CUDA {torch.version.cuda}" if torch.version.cuda else "built without CUDA"
        raise ValueError(f"{what} {text}: no CUDA GPU is available here (torch {torch.__version__}, {build}); "
                         f"use {what} cpu, or {what} auto to take a GPU only where there is one")
    count = torch.cuda.device_count()
    if index and int(index) >= count:
        raise ValueError(f"{what} {text}: this machine has {count} CUDA GPU(s), numbered 0..{count - 1}")
    return torch.device(text)


class StopRequest:
    """Whether Ctrl-C asked a loop to stop; see :func:`stop_on_interrupt`.

    Attributes:
        requested: ``True`` once Ctrl-C was pressed (or a ``KeyboardInterrupt`` ended the block).

    Serves: the course's runtime: training loops of chapters 07-09 and the command line stop cleanly on Ctrl-C.
    """

    def __init__(self) -> None:
        self.requested = False
        self._pid = os.getpid()

    def _on_sigint(self, signum: int, frame: object) -> None:
        import signal
        import sys

        if os.getpid() != self._pid:
            return  # a worker process forked inside the loop: its parent decides when to stop
        self.requested = True
        signal.signal(signal.SIGINT, signal.default_int_handler)  # a second Ctrl-C stops at once
        print("\nCtrl-C: stopping after this step (press it again to stop at once)", file=sys.stderr, flush=True)


@contextmanager
def stop_on_interrupt() -> Iterator[StopRequest]:
    """Run a loop that Ctrl-C stops cleanly between two of its steps.

    In the main thread, while Python's default SIGINT handler is in place, the first Ctrl-C only
    sets ``request.requested`` (the loop checks it after each step and stops); a second one raises
    ``KeyboardInterrupt`` at once. A ``KeyboardInterrupt`` raised inside the block (the second
    Ctrl-C, or one raised by code the loop calls) ends the block without propagating, with
    ``requested`` set: the code after the block runs, e.g. to return what was done. The previous
    SIGINT handler is restored on exit. Elsewhere (another thread, or a handler installed by
    someone else) only the ``KeyboardInterrupt`` part applies. Processes forked inside the block
    (data workers) ignore Ctrl-C: the loop that started them stops them.

    Serves: the course's runtime: training loops of chapters 07-09 and the command line stop cleanly on Ctrl-C.
    """
    import signal
    import threading

    request = StopRequest()
    ours = threading.current_thread() is threading.main_thread() and signal.getsignal(signal.SIGINT) is signal.default_int_handler
    if ours:
        signal.signal(signal.SIGINT, request._on_sigint)
    try:
        yield request
    except KeyboardInterrupt:
        request.requested = True
    finally:
        if ours:
            signal.signal(signal.SIGINT, signal.default_int_handler)


def profile() -> str:
    """The active profile, ``"quick"`` or ``"full"``.

    ``UNET_COURSE_PROFILE`` wins when set; otherwise ``full`` on a CUDA device and ``quick``
    elsewhere. An unknown value raises ``ValueError`` naming the valid ones.

    Serves: the course's runtime (device, profile, seeds), used from chapter 01 on; appendix (chapter 11) for threads and GPUs.
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

    Serves: the course's runtime (device, profile, seeds), used from chapter 01 on; appendix (chapter 11) for threads and GPUs.
    """
    return full if profile() == "full" else quick


@contextmanager
def torch_threads(threads: int | None) -> Iterator[None]:
    """Run a block with ``threads`` CPU threads for torch, then restore the previous count.

    ``None`` leaves the setting alone. The course's networks are small: on a CPU one thread does
    about as much work as two, repeats the same floating-point sums on every run, and does not
    stall waiting for a second thread when the machine is busy.

    Serves: the course's runtime (device, profile, seeds), used from chapter 01 on; appendix (chapter 11) for threads and GPUs.
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

    Serves: the course's runtime (device, profile, seeds), used from chapter 01 on; appendix (chapter 11) for threads and GPUs.
    """
    if profile() == "quick" and device().type == "cpu":
        torch.set_num_threads(1)
    return torch.get_num_threads()


def deterministic_requested() -> bool:
    """True when ``UNET_COURSE_DETERMINISTIC`` asks for bit-exact repeats (``1``, ``true``, ``yes``).

    An unknown value raises ``ValueError`` naming the accepted ones.

    Serves: the course's runtime (device, profile, seeds), used from chapter 01 on; appendix (chapter 11) for threads and GPUs.
    """
    value = os.environ.get(DETERMINISTIC_ENV, "").strip().lower()
    if value in ("", "0", "false", "no"):
        return False
    if value in ("1", "true", "yes"):
        return True
    raise ValueError(f"{DETERMINISTIC_ENV}={os.environ[DETERMINISTIC_ENV]!r}: use 1/true/yes or 0/false/no (or unset it)")


def autotune_default(dev: torch.device | str | None = None) -> bool:
    """Whether cuDNN should autotune by default on ``dev`` (default :func:`device`): on a CUDA
    device in the full profile, unless ``UNET_COURSE_DETERMINISTIC`` asks for bit-exact repeats.

    Serves: the course's runtime (device, profile, seeds), used from chapter 01 on; appendix (chapter 11) for threads and GPUs.
    """
    dev = torch.device(dev) if dev is not None else device()
    return dev.type == "cuda" and profile() == "full" and not deterministic_requested()


@contextmanager
def cudnn_autotune(enabled: bool | None = None) -> Iterator[None]:
    """Run a block with cuDNN autotuning on (``True``: ``cudnn.benchmark``, non-deterministic
    algorithms allowed) or off (``False``: deterministic algorithms, as after
    :func:`seed_everything`); ``None`` follows :func:`autotune_default`. Restores both flags.

    Only cuDNN (CUDA) convolutions are affected; on a CPU the block computes the same either way.

    Serves: the course's runtime (device, profile, seeds), used from chapter 01 on; appendix (chapter 11) for threads and GPUs.
    """
    if enabled is None:
        enabled = autotune_default()
    saved = (torch.backends.cudnn.benchmark, torch.backends.cudnn.deterministic)
    torch.backends.cudnn.benchmark, torch.backends.cudnn.deterministic = bool(enabled), not enabled
    try:
        yield
    finally:
        torch.backends.cudnn.benchmark, torch.backends.cudnn.deterministic = saved


def data_workers(dev: torch.device | str | None = None) -> int:
    """How many CPU processes ``train.fit`` uses by default to prepare training samples on ``dev``
    (default :func:`device`): none in the quick profile or on a CPU (the samples are drawn in the
    loop, and a small CPU has no core to spare); in the full profile on CUDA, half the CPU cores,
    at most 8, so that augmentation keeps up with the GPU.

    Serves: the course's runtime (device, profile, seeds), used from chapter 01 on; appendix (chapter 11) for threads and GPUs.
    """
    dev = torch.device(dev) if dev is not None else device()
    if dev.type != "cuda" or profile() != "full":
        return 0
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(0, min(8, cores // 2))


def seed_everything(seed: int = 0) -> torch.Generator:
    """Seed Python's, NumPy's and torch's generators (CPU and CUDA) with ``seed``.

    Also makes cuDNN choose deterministic algorithms (autotuning off; :func:`cudnn_autotune`
    turns it on for a block). Returns a ``torch.Generator`` seeded
    with the same value, for code that prefers an explicit generator.

    Serves: the course's runtime (device, profile, seeds), used from chapter 01 on; appendix (chapter 11) for threads and GPUs.
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

    Serves: the course's runtime (device, profile, seeds), used from chapter 01 on; appendix (chapter 11) for threads and GPUs.
    """
    dev = device()
    where = torch.cuda.get_device_name(dev) if dev.type == "cuda" else platform.processor() or "cpu"
    threads = torch.get_num_threads()
    return (
        f"unet_course | device: {dev.type} ({where}, {threads} threads) | profile: {profile()} | "
        f"torch {torch.__version__} | numpy {np.__version__}"
    )


def as_pair(value: int | tuple[int, int], name: str, minimum: int = 0) -> tuple[int, int]:
    """``value`` as ``(rows, cols)``: an int means a square; a pair of ints is kept.

    Every size, stride and padding of the package that may differ along the two axes goes
    through it (tile sides of Fig. 2, chapter 06; strides and paddings of chapter 03).

    Raises:
        TypeError: not an int or a pair of ints (``True`` is not a size).
        ValueError: a value below ``minimum``.
    """
    def is_int(v: object) -> bool:
        return isinstance(v, (int, np.integer)) and not isinstance(v, bool)

    pair = (value, value) if is_int(value) else tuple(value) if isinstance(value, (tuple, list)) else ()
    if len(pair) != 2 or not all(is_int(v) for v in pair):
        raise TypeError(f"{name} must be an int or a pair of ints, got {value!r}")
    if any(v < minimum for v in pair):
        raise ValueError(f"{name} must be >= {minimum}, got {value!r}")
    return int(pair[0]), int(pair[1])


@contextmanager
def eval_mode(*models: torch.nn.Module, no_grad: bool = True) -> Iterator[None]:
    """Run a block with ``models`` in evaluation mode and without gradients, then restore each
    model's previous mode (like MONAI's ``eval_mode``).

    Evaluation mode turns drop-out off and makes batch norm use its running statistics, as the
    U-Net paper does at test time (section 3; chapters 04-09 predict inside this block). With
    ``no_grad=False`` gradients are kept (chapter 02's empirical receptive field needs them).
    """
    if not all(isinstance(m, torch.nn.Module) for m in models):
        raise TypeError("eval_mode takes torch.nn.Module objects, got "
                        + ", ".join(type(m).__name__ for m in models))
    modes = [m.training for m in models]
    for m in models:
        m.eval()
    try:
        if no_grad:
            with torch.no_grad():
                yield
        else:
            yield
    finally:
        for m, mode in zip(models, modes):
            m.train(mode)


def look_up_option(value: T, options: Iterable[T], *, what: str = "option") -> T:
    """``value`` when it is one of ``options``; otherwise a ``ValueError`` that names the nearest
    valid option and lists them all (like MONAI's ``look_up_option``).

    Every string option of the package goes through it: a padding mode (``"mirror"`` or
    ``"zero"``, paper Fig. 2, chapter 06), a profile, a task or a recipe name (chapters 04-09).

    >>> look_up_option("mirror", ("mirror", "zero"))
    'mirror'
    """
    options = list(options)
    if value in options:
        return value
    names = [str(o) for o in options]
    close = difflib.get_close_matches(str(value), names, n=1, cutoff=0.5)
    hint = f"; did you mean {close[0]!r}?" if close else "."
    raise ValueError(f"unknown {what} {value!r}{hint} The {what}s are: {', '.join(map(repr, options))}")


def _proc_status_kib(key: str) -> int | None:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


class PeakMemory:
    """Measure the peak memory a block of code uses, in bytes above what was in use before.

    Chapter 06 measures the memory of whole-image against tiled inference (paper Fig. 2) with it,
    and the benchmarks of the Performance appendix use it.

    ``with PeakMemory(device) as peak: ...`` then ``peak.bytes`` and ``peak.method``:

    - on a CUDA device, the peak of torch's CUDA allocator (``torch.cuda.max_memory_allocated``);
    - on the CPU under Linux, the peak resident set size of the process (``VmHWM``, reset at
      entry through ``/proc/self/clear_refs``): every allocation, torch's and NumPy's;
    - elsewhere, ``tracemalloc`` (allocations through Python's allocator, NumPy included,
      torch's CPU tensors not).
    """

    def __init__(self, device: torch.device | str | None = None) -> None:
        self.device = torch.device(device) if device is not None else torch.device("cpu")
        self.bytes = 0
        self.method = ""

    def __enter__(self) -> "PeakMemory":
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)
            torch.cuda.reset_peak_memory_stats(self.device)
            self._base = torch.cuda.memory_allocated(self.device)
            self.method = "torch CUDA allocator peak"
            return self
        try:
            with open("/proc/self/clear_refs", "w") as f:
                f.write("5")  # reset VmHWM to the current resident set size
            base = _proc_status_kib("VmRSS")
        except OSError:
            base = None
        if base is not None:
            self._base = base * 1024
            self.method = "process peak resident memory (VmHWM)"
        else:
            import tracemalloc

            tracemalloc.start()
            self._base = 0
            self.method = "tracemalloc (Python and NumPy allocations only)"
        return self

    def __exit__(self, *exc: object) -> None:
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)
            self.bytes = torch.cuda.max_memory_allocated(self.device) - self._base
        elif self.method.startswith("process"):
            self.bytes = (_proc_status_kib("VmHWM") or 0) * 1024 - self._base
        else:
            import tracemalloc

            self.bytes = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
