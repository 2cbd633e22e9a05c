"""Training a segmentation network the way the U-Net paper does (학습).

The paper trains with stochastic gradient descent, one large input tile per step (batch size 1: a large tile uses
the GPU better than many small ones) and a high momentum of 0.99, "such that a large number of the previously seen
training samples determine the update in the current optimization step". The loss is the weighted pixel-wise
soft-max cross-entropy of :mod:`unet_course.losses`, with the weight map of :mod:`unet_course.weightmap`; drop-out
and the He initialisation come with the model.

- :func:`fit`: one training loop for any ``nn.Module`` that maps ``(N, C, H, W)`` images to ``(N, K, h, w)`` logits
  (valid or same convolutions; targets and weights are cropped to the output). Seeded, with a progress bar, a
  history, an evaluation hook and checkpoints. The fast path for a GPU: ``precision="bf16"`` (autocast, the loss in
  fp32), channels-last tensors and cuDNN autotuning (both on CUDA by default; see :data:`PRECISIONS`).
- :func:`save_checkpoint`, :func:`load_checkpoint`: atomic save, load into a model or rebuild it (from its
  ``config()``). Chapters 08, 09 and 11; the recipes of the shipped checkpoints live in :mod:`unet_course.experiments`.
"""

from __future__ import annotations

import importlib
import math
import os
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from . import runtime
from .files import write_atomically
from .losses import weighted_cross_entropy

__all__ = ["CHECKPOINT_DIR", "PRECISIONS", "Checkpoint", "History", "fit", "load_checkpoint", "make_optimizer",
           "save_checkpoint"]

CHECKPOINT_DIR = Path(__file__).resolve().parent / "checkpoints"
FORMAT = "unet_course.checkpoint/1"
PRECISIONS: tuple[str, ...] = ("fp32", "bf16")
"""The arithmetic :func:`fit` trains in. ``"fp32"``: float32 throughout (the default; bit-exact repeats on a CPU).
``"bf16"``: the forward and backward passes under ``torch.autocast`` to bfloat16 (convolutions and matrix products
on tensor cores), with the weights, the optimizer and the loss in float32. bfloat16 keeps float32's 8-bit exponent,
so no loss scaling is needed; fp16 is not offered: its 5-bit exponent overflows and underflows in U-Net training
without a gradient scaler."""

Sample = tuple  # (image, target) or (image, target, weights)
Data = Sequence | Callable[[np.random.Generator], Sample]


# --------------------------------------------------------------------------------------------
# history
# --------------------------------------------------------------------------------------------


@dataclass
class History:
    """What happened during training.

    Attributes:
        step: the step number (1-based) of every recorded loss.
        loss: the training loss of that step (float).
        evals: one dict per evaluation: ``{"step": s, **metrics}``.
        seconds: wall-clock time spent in :func:`fit`, summed over resumed runs.
        interrupted: ``True`` when Ctrl-C stopped the last :func:`fit` early: after a step, evaluated and saved; a
            second Ctrl-C or a ``KeyboardInterrupt`` raised in the loop: at once (:func:`runtime.stop_on_interrupt`).
    Serves: U-Net paper section 3 (training: SGD, momentum 0.99, one large tile a step); chapters 07-09.
    """

    step: list[int] = field(default_factory=list)
    loss: list[float] = field(default_factory=list)
    evals: list[dict[str, float]] = field(default_factory=list)
    seconds: float = 0.0
    interrupted: bool = False

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> History:
        return cls(list(d.get("step", [])), list(d.get("loss", [])), [dict(e) for e in d.get("evals", [])],
                   float(d.get("seconds", 0.0)), bool(d.get("interrupted", False)))

    def smoothed(self, window: int = 25) -> np.ndarray:
        """Running mean of ``loss`` over ``window`` steps (shorter at the start), float64."""
        loss = np.asarray(self.loss, dtype=np.float64)
        if loss.size == 0:
            return loss
        c = np.cumsum(np.concatenate([[0.0], loss]))
        idx = np.arange(1, loss.size + 1)
        lo = np.maximum(idx - window, 0)
        return (c[idx] - c[lo]) / (idx - lo)


# --------------------------------------------------------------------------------------------
# checkpoints
# --------------------------------------------------------------------------------------------


@dataclass
class Checkpoint:
    """A loaded checkpoint: the model (weights loaded), step, history, metadata (ch 08, 09, 11)."""

    model: nn.Module
    step: int
    history: History
    meta: dict[str, Any]
    optimizer_state: dict[str, Any] | None


def _model_config(model: nn.Module) -> dict[str, Any] | None:
    """How to rebuild ``model``: its class path and constructor arguments, when known."""
    if not callable(getattr(model, "config", None)):
        return None
    return {"class": f"{type(model).__module__}.{type(model).__qualname__}", "kwargs": dict(model.config())}


def _plain(value: Any) -> Any:
    """``value`` as plain Python data that ``torch.load(weights_only=True)`` reads back: str
    subclasses (``torch.__version__``), paths, NumPy scalars and tuples become str, numbers, lists."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (bool, int, float)) and type(value) in (bool, int, float):
        return value
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (str, os.PathLike)):
        return str(value) if isinstance(value, os.PathLike) else str.__str__(value)
    if value is None:
        return None
    if isinstance(value, (int, float)):
        return float(value) if isinstance(value, float) else int(value)
    raise TypeError(f"checkpoint meta must hold plain data (str, numbers, lists, dicts), got {type(value).__name__}")


def save_checkpoint(
    path: str | os.PathLike,
    model: nn.Module,
    optimizer: torch.optim.Optimizer | None = None,
    *,
    step: int = 0,
    history: History | None = None,
    meta: dict[str, Any] | None = None,
) -> Path:
    """Save model weights (and optionally the optimizer) to ``path``, atomically.

    The file is written to a temporary file in the same folder and renamed over ``path``, so a
    crash never leaves a half-written checkpoint. Weights are stored as float32 on the CPU.
    ``meta`` must hold plain Python values (str, int, float, bool, lists, dicts); it is read
    back with ``torch.load(weights_only=True)``. Returns the path.
    Serves: U-Net paper section 3 (training: SGD, momentum 0.99, one large tile a step); chapters 07-09.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    state = {k: (v.detach().to("cpu", torch.float32) if v.is_floating_point() else v.detach().cpu())
             for k, v in model.state_dict().items()}
    payload = {
        "format": FORMAT,
        "model_state": state,
        "model_config": _model_config(model),
        "optimizer_state": optimizer.state_dict() if optimizer is not None else None,
        "step": int(step),
        "meta": _plain(dict(meta or {})),
        "history": _plain((history or History()).to_dict()),
    }
    write_atomically(path, lambda tmp: torch.save(payload, tmp))
    return path


def load_checkpoint(
    path: str | os.PathLike,
    model: nn.Module | None = None,
    optimizer: torch.optim.Optimizer | None = None,
    *,
    map_location: str | torch.device = "cpu",
) -> Checkpoint:
    """Load a checkpoint written by :func:`save_checkpoint`.

    With ``model``, its weights are replaced (shapes must match); without, the model is rebuilt
    from the stored class and arguments (a ``unet_course`` U-Net). With ``optimizer``, its state
    is restored too (the checkpoint must contain one). Loads with ``weights_only=True``.
    The returned model is in eval mode.
    Serves: U-Net paper section 3 (training: SGD, momentum 0.99, one large tile a step); chapters 07-09.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no checkpoint at {str(path)!r}")
    # TorchVersion (a str subclass) is allowed for files whose meta stored torch.__version__ as is
    with torch.serialization.safe_globals([torch.torch_version.TorchVersion]):
        payload = torch.load(path, map_location=map_location, weights_only=True)
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise ValueError(f"{str(path)!r} is not a unet_course checkpoint (format {FORMAT!r})")
    if model is None:
        config = payload.get("model_config")
        if not config:
            raise ValueError(f"{str(path)!r} does not say how to build its model; pass model=... to load it into")
        module_name, _, class_name = config["class"].rpartition(".")
        model = getattr(importlib.import_module(module_name), class_name)(**config["kwargs"])
    try:
        model.load_state_dict(payload["model_state"])
    except RuntimeError as error:
        raise ValueError(f"the checkpoint's weights do not fit this model: {error}") from None
    if optimizer is not None:
        if payload.get("optimizer_state") is None:
            raise ValueError(f"{str(path)!r} holds no optimizer state; save it with optimizer=...")
        optimizer.load_state_dict(payload["optimizer_state"])
    model.eval()
    return Checkpoint(model=model, step=int(payload["step"]), history=History.from_dict(payload["history"]),
                      meta=dict(payload["meta"]), optimizer_state=payload.get("optimizer_state"))


# --------------------------------------------------------------------------------------------
# the loop
# --------------------------------------------------------------------------------------------


def make_optimizer(model: nn.Module, name: str = "sgd", lr: float = 0.01, momentum: float = 0.99,
                   weight_decay: float = 0.0) -> torch.optim.Optimizer:
    """``"sgd"``: SGD with the paper's momentum 0.99 (§3, default); ``"adam"``: Adam. Chapters 07-09."""
    if name == "sgd":
        return torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum, weight_decay=weight_decay)
    if name == "adam":
        return torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    raise ValueError(f"optimizer={name!r}: use 'sgd', 'adam' or a torch.optim.Optimizer")


def _step_seed(seed: int, *keys: int) -> int:
    return int(np.random.SeedSequence([int(seed), *map(int, keys)]).generate_state(1, dtype=np.uint32)[0])


def _as_tensor(x, dtype: torch.dtype) -> torch.Tensor:
    return (x if isinstance(x, torch.Tensor) else torch.as_tensor(np.asarray(x))).to(dtype)


def _collate(samples: list, device: torch.device) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
    images, targets, weights = [], [], []
    for sample in samples:
        if not isinstance(sample, (tuple, list)) or len(sample) not in (2, 3):
            raise TypeError(
                "each training sample must be a tuple (image, target) or (image, target, weights), "
                f"got {type(sample).__name__}" + (f" of length {len(sample)}" if isinstance(sample, (tuple, list)) else "")
            )
        image = _as_tensor(sample[0], torch.float32)
        images.append(image[None] if image.ndim == 2 else image)
        targets.append(_as_tensor(sample[1], torch.long))
        weights.append(None if len(sample) == 2 or sample[2] is None else _as_tensor(sample[2], torch.float32))
    if any(w is None for w in weights) and not all(w is None for w in weights):
        raise ValueError("either every sample of a batch has weights or none has")
    try:
        x = torch.stack(images).to(device)
        y = torch.stack(targets).to(device)
        w = None if weights[0] is None else torch.stack(weights).to(device)
    except RuntimeError as error:
        raise ValueError(f"the samples of a batch must have equal sizes: {error}") from None
    return x, y, w


def _draw(data: Data, step: int, batch_size: int, seed: int) -> list:
    """The samples of step ``step``: a function of (seed, step) only, so runs resume exactly."""
    if callable(data) and not hasattr(data, "__getitem__"):
        return [data(np.random.default_rng(_step_seed(seed, step, b))) for b in range(batch_size)]
    n = len(data)
    if n == 0:
        raise ValueError("the training data is empty")
    out = []
    for b in range(batch_size):
        position = step * batch_size + b
        epoch, offset = divmod(position, n)
        order = np.random.default_rng(_step_seed(seed, 1_000_003, epoch)).permutation(n)
        out.append(data[int(order[offset])])
    return out


def _seed_step(seed: int, step: int) -> None:
    """Seed torch's, NumPy's and Python's global generators for step ``step`` of a run."""
    s = _step_seed(seed, step)
    torch.manual_seed(s)
    np.random.seed(s)
    random.seed(s)


def _same(batch: Any) -> Any:
    return batch


class _StepSamples(torch.utils.data.Dataset):
    """The samples of steps ``start .. steps - 1``, item ``i`` those of step ``start + i``, drawn
    exactly as the training loop draws them (the same global seeds first), so that worker processes
    can prepare them ahead of the loop without changing a bit."""

    def __init__(self, data: Data, batch_size: int, seed: int, start: int, steps: int) -> None:
        self.data, self.batch_size, self.seed, self.start, self.steps = data, batch_size, seed, start, steps

    def __len__(self) -> int:
        return max(self.steps - self.start, 0)

    def __getitem__(self, i: int) -> list:
        step = self.start + i
        _seed_step(self.seed, step)
        return _draw(self.data, step, self.batch_size, self.seed)


def _prefetch(data: Data, batch_size: int, seed: int, start: int, steps: int, workers: int):
    """An iterator over the samples of each step, prepared by ``workers`` processes (forked, so the
    data need not be picklable) ahead of the loop."""
    import multiprocessing

    context = multiprocessing.get_context("fork") if "fork" in multiprocessing.get_all_start_methods() else None
    return iter(torch.utils.data.DataLoader(
        _StepSamples(data, batch_size, seed, start, steps), batch_size=None, shuffle=False, num_workers=workers,
        collate_fn=_same, prefetch_factor=4, multiprocessing_context=context, generator=torch.Generator()))


def _check_classes(target: torch.Tensor, classes: int, step: int) -> None:
    """Raise before a step whose targets hold a class id outside ``0 .. classes - 1``."""
    low, high = int(target.min()), int(target.max())
    if low < 0 or high >= classes:
        likely = (" They look like instance ids (one id per object): turn instance labels into class "
                  "targets first, e.g. unet_course.data.targets.instance_targets(instances).target "
                  "(1 = object, 0 = background)") if high >= classes and high > 2 else ""
        raise ValueError(
            f"the targets of step {step + 1} hold class ids {low}..{high}, but the model predicts {classes} "
            f"classes (ids 0..{classes - 1}).{likely}"
        )


def _schedule(lr_schedule: str | Callable[[int, int], float] | None) -> Callable[[int, int], float] | None:
    if lr_schedule is None or callable(lr_schedule):
        return lr_schedule
    if lr_schedule == "cosine":
        return lambda step, steps: 0.5 * (1.0 + math.cos(math.pi * step / max(steps, 1)))
    raise ValueError(f"lr_schedule={lr_schedule!r}: use None, 'cosine' or a function (step, steps) -> factor")


def fit(
    model: nn.Module,
    data: Data,
    *,
    steps: int,
    optimizer: str | torch.optim.Optimizer = "sgd",
    lr: float = 0.01,
    momentum: float = 0.99,
    weight_decay: float = 0.0,
    batch_size: int = 1,
    loss_fn: Callable[[torch.Tensor, torch.Tensor, torch.Tensor | None], torch.Tensor] | None = None,
    evaluate: Callable[[nn.Module], dict[str, float]] | None = None,
    eval_every: int | None = None,
    seed: int = 0,
    device: torch.device | str | None = None,
    checkpoint: str | os.PathLike | None = None,
    checkpoint_every: int | None = None,
    resume: bool = False,
    clip_grad_norm: float | None = None,
    lr_schedule: str | Callable[[int, int], float] | None = None,
    progress: bool = True,
    desc: str = "training",
    precision: str = "fp32",
    channels_last: bool | None = None,
    autotune: bool | None = None,
    workers: int | None = None,
    max_seconds: float | None = None,
    checkpoint_meta: dict[str, Any] | None = None,
    should_stop: Callable[[int, float, bool], bool] | None = None,
) -> History:
    """Train ``model`` for ``steps`` optimisation steps and return the :class:`History`.

    Args:
        model: maps ``(N, C, H, W)`` float32 to ``(N, K, h, w)`` logits, ``h <= H`` (a valid
            U-Net) or ``h == H`` (same padding).
        data: a sequence of samples, each ``(image, target)`` or ``(image, target, weights)``
            (numpy or torch): ``image`` ``(H, W)`` or ``(C, H, W)`` float, ``target`` ``(H, W)``
            class ids, ``weights`` ``(H, W)`` float (a weight map). Walked in a new seeded random
            order every epoch. Or a callable ``data(rng) -> sample`` drawing a fresh sample from a
            ``numpy.random.Generator`` each step.
        steps: total number of steps (a resumed run continues up to it).
        optimizer: ``"sgd"`` (momentum ``momentum``, the paper's 0.99), ``"adam"``, or an optimizer
            built on ``model.parameters()``.
        lr, momentum, weight_decay: for a named optimizer.
        batch_size: samples a step (the paper: 1 large tile).
        loss_fn: ``loss_fn(logits, target, weights)``; default :func:`weighted_cross_entropy`
            (mean over pixels; target and weights centre-cropped to the logits).
        evaluate: ``evaluate(model) -> {"name": value}``, called in eval mode without gradients
            every ``eval_every`` steps and after the last step.
        seed: seeds the sample order, data drawn by a callable, and every step's randomness
            (drop-out; NumPy's and Python's global generators, for augmentations that use them).
            The same seed, model initialisation and data give the same run; step ``s`` depends only
            on ``(seed, s)`` and the weights, so a resumed run equals an uninterrupted one.
        device: default :func:`unet_course.runtime.device`; the model is moved there.
        checkpoint: path of a checkpoint saved every ``checkpoint_every`` steps and at the end
            (model, optimizer, step, history).
        resume: continue from ``checkpoint`` when that file exists.
        clip_grad_norm: clip the gradient's global norm to this value (None: no clipping).
        lr_schedule: ``None`` (constant), ``"cosine"`` (from the initial rate down to 0 at the last
            step) or ``f(step, steps) -> factor``: the learning rate of step ``step`` (0-based) is
            the optimizer's initial rate times the factor.
        progress: show a ``tqdm`` progress bar.
        precision: ``"fp32"`` (default) or ``"bf16"``: the model's forward pass (and so its
            backward pass) under ``torch.autocast(dtype=torch.bfloat16)`` on ``device``; the
            logits are cast to float32 before ``loss_fn``, so the soft-max and the weighted mean
            are computed in float32. Weights, gradients and optimizer state stay float32. The
            evaluation hook runs in float32. See :data:`PRECISIONS`.
        channels_last: store the model's weights and the input batches in the channels-last
            (NHWC) memory format, the layout tensor-core convolutions read directly. ``None``
            (default): on CUDA only. The model keeps that format after training.
        autotune: let cuDNN time its convolution algorithms for the (fixed) tile size and keep
            the fastest (``True``), or use deterministic ones (``False``). ``None`` (default):
            :func:`unet_course.runtime.autotune_default` (on in the full profile on CUDA, unless
            ``UNET_COURSE_DETERMINISTIC=1``). The previous setting is restored afterwards; a CPU
            computes the same either way.
        workers: CPU processes that prepare the samples of the coming steps (augmentation,
            weight maps) while the device trains; ``0``: in the loop. A sample depends only on
            ``(seed, step)``, so the run is the same either way. ``None`` (default):
            :func:`unet_course.runtime.data_workers` (0 except in the full profile on CUDA).
        max_seconds: a time budget for this call, in seconds of wall-clock time (training steps and
            evaluations): the run stops cleanly after the step that reaches it, evaluates and saves
            as after a last step (``steps`` stays the upper limit). The progress bar then counts
            seconds and shows the time left. ``None`` (default): no budget. A run stopped by the
            budget depends on the machine's speed; a run of ``steps`` does not.
        checkpoint_meta: plain data stored in every checkpoint this run writes (``meta`` of
            :func:`save_checkpoint`), e.g. the preprocessing the images went through:
            ``{"scaling": unet_course.data.scaling.Scaling().to_dict()}``.
        should_stop: ``should_stop(steps_done, seconds_used, interrupted) -> bool``, asked after every
            step in place of the ``max_seconds`` and Ctrl-C checks (``interrupted``: a first Ctrl-C came),
            for a decision several processes share (:func:`unet_course.distributed.fit`).

    Returns:
        The :class:`History` (of the whole run, when resumed). The model ends in the mode
        (train or eval) it had before. Ctrl-C ends the run as ``max_seconds`` does (see ``History.interrupted``).
    Serves: U-Net paper section 3 (training: SGD, momentum 0.99, one large tile a step); chapters 07-09.
    """
    if not isinstance(steps, (int, np.integer)) or steps < 0:
        raise ValueError(f"steps must be an int >= 0, got {steps!r}")
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    if eval_every is not None and eval_every < 1:
        raise ValueError(f"eval_every must be >= 1 or None, got {eval_every}")
    if checkpoint_every is not None and (checkpoint is None or checkpoint_every < 1):
        raise ValueError("checkpoint_every needs checkpoint=PATH and a value >= 1")
    if workers is not None and (not isinstance(workers, (int, np.integer)) or workers < 0):
        raise ValueError(f"workers must be an int >= 0 or None, got {workers!r}")
    if max_seconds is not None and not (isinstance(max_seconds, (int, float, np.integer, np.floating))
                                        and math.isfinite(max_seconds) and max_seconds > 0):
        raise ValueError(f"max_seconds must be a number of seconds > 0 or None, got {max_seconds!r}")
    if precision not in PRECISIONS:
        extra = (" (fp16 is not offered: its narrow exponent range overflows in U-Net training; "
                 "bf16 has float32's range)") if str(precision).lower() in ("fp16", "float16", "half") else ""
        raise ValueError(f"precision={precision!r} is not supported; use one of {', '.join(map(repr, PRECISIONS))}{extra}")
    from tqdm.auto import tqdm

    device = torch.device(device) if device is not None else runtime.device()
    if precision == "bf16" and device.type == "cuda" and not torch.cuda.is_bf16_supported():
        raise ValueError(f"precision='bf16' needs a GPU with bfloat16 support; {torch.cuda.get_device_name(device)} "
                         "has none: use precision='fp32'")
    if channels_last is None:
        channels_last = device.type == "cuda"
    if channels_last:
        model.to(device, memory_format=torch.channels_last)
    else:
        model.to(device)
    opt = make_optimizer(model, optimizer, lr, momentum, weight_decay) if isinstance(optimizer, str) else optimizer
    loss_fn = loss_fn or weighted_cross_entropy
    schedule = _schedule(lr_schedule)
    for group in opt.param_groups:
        group.setdefault("initial_lr", group["lr"])
    history, start = History(), 0
    if resume and checkpoint is not None and Path(checkpoint).is_file():
        loaded = load_checkpoint(checkpoint, model, opt, map_location=device)
        history, start = loaded.history, loaded.step
    was_training = model.training

    def run_eval(step: int) -> None:
        with runtime.eval_mode(model):
            metrics = evaluate(model)
        history.evals.append({"step": step, **{k: float(v) for k, v in metrics.items()}})

    autocast = precision == "bf16"
    tune = runtime.autotune_default(device) if autotune is None else bool(autotune)
    began = time.perf_counter()
    model.train()
    workers = runtime.data_workers(device) if workers is None else int(workers)
    ahead = _prefetch(data, batch_size, seed, start, steps, workers) if workers > 0 and steps > start else None
    timed = max_seconds is not None
    if timed:  # the bar counts seconds of the budget: its ETA is the time left
        bar = tqdm(total=float(max_seconds), desc=desc, disable=not progress, unit="s", leave=False,
                   bar_format="{l_bar}{bar}| {n:.0f}/{total:.0f} s [{elapsed}<{remaining}{postfix}]")
    else:
        bar = tqdm(total=steps, desc=desc, disable=not progress, initial=start, leave=False)
    t0, last = time.perf_counter(), start
    classes = getattr(model, "num_classes", None) if loss_fn is weighted_cross_entropy else None
    with runtime.cudnn_autotune(tune), runtime.stop_on_interrupt() as interrupt:
        for step in range(start, steps):
            _seed_step(seed, step)
            samples = next(ahead) if ahead is not None else _draw(data, step, batch_size, seed)
            x, y, w = _collate(samples, device)
            if classes is not None:
                _check_classes(y, classes, step)
            if channels_last:
                x = x.contiguous(memory_format=torch.channels_last)
            if schedule is not None:
                factor = float(schedule(step, steps))
                for group in opt.param_groups:
                    group["lr"] = group["initial_lr"] * factor
            opt.zero_grad(set_to_none=True)
            if autocast:
                with torch.autocast(device.type, dtype=torch.bfloat16):
                    logits = model(x)
                loss = loss_fn(logits.float(), y, w)  # soft-max and weighted mean in float32
            else:
                loss = loss_fn(model(x), y, w)
            if not torch.isfinite(loss):
                raise FloatingPointError(
                    f"the loss became {loss.item()} at step {step + 1}; lower the learning rate (lr={lr}) or "
                    "set clip_grad_norm (momentum 0.99 amplifies large steps)"
                )
            loss.backward()
            if clip_grad_norm is not None:
                nn.utils.clip_grad_norm_(model.parameters(), clip_grad_norm)
            opt.step()
            history.step.append(step + 1)
            history.loss.append(float(loss.detach()))
            last = step + 1
            if progress and (step % 10 == 0 or step + 1 == steps):
                bar.set_postfix(**({"step": step + 1} if timed else {}), loss=f"{history.loss[-1]:.4f}", refresh=False)
            if evaluate is not None and eval_every is not None and (step + 1) % eval_every == 0 and step + 1 < steps:
                run_eval(step + 1)
            if checkpoint_every is not None and (step + 1) % checkpoint_every == 0 and step + 1 < steps:
                history.seconds += time.perf_counter() - began
                began = time.perf_counter()
                save_checkpoint(checkpoint, model, opt, step=step + 1, history=history, meta=checkpoint_meta)
            used = time.perf_counter() - t0
            bar.update(min(used, float(max_seconds)) - bar.n if timed else 1)
            if (should_stop(step + 1, used, interrupt.requested) if should_stop is not None
                    else interrupt.requested or (timed and used >= max_seconds)):
                break
        bar.close()
        if ahead is not None:
            del ahead  # stops the worker processes of a run cut short by the budget
        if evaluate is not None and (not history.evals or history.evals[-1]["step"] != last):
            run_eval(last)
    history.seconds += time.perf_counter() - began
    history.interrupted = interrupt.requested
    if checkpoint is not None:
        save_checkpoint(checkpoint, model, opt, step=last, history=history, meta=checkpoint_meta)
    model.train(was_training)
    return history
