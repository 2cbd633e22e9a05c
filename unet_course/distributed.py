"""Training on several processes, GPUs or machines with DistributedDataParallel (분산 학습).

Data parallelism (데이터 병렬): every process (a *rank*, one per GPU) holds a full copy (*replica*)
of the model, draws its own share of the training samples, and computes a gradient on them.
Before the optimiser steps, the gradients of all ranks are averaged with an *all-reduce*, so
every replica takes the same step and the replicas stay identical. With ``W`` ranks and a batch
of ``b`` tiles on each, one step is the step of a single process on a batch of ``W * b`` tiles
with a mean loss (the loss of :func:`unet_course.losses.weighted_cross_entropy` is a mean over
pixels, so averaging the ranks' gradients is exactly that).

This module adds no training loop of its own: :func:`fit` wraps the model in
:class:`torch.nn.parallel.DistributedDataParallel`, gives each rank its shard of the data
(:func:`shard`) and calls :func:`unet_course.train.fit`.

Run it with ``torchrun`` (``python -m torch.distributed.run``), which starts one process per
GPU (or the number asked for on a CPU) and tells each its rank through environment variables::

    torchrun --nproc-per-node 2 -m unet_course.distributed --recipe ch08_weighted --steps 50 --out runs/ddp

The backend is ``nccl`` on CUDA GPUs and ``gloo`` on CPUs. On two machines, run the same command
on both with ``--nnodes 2 --node-rank 0|1 --master-addr HOST0 --master-port PORT``.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel

from . import runtime, train

__all__ = [
    "DistEnv",
    "Shard",
    "default_backend",
    "fit",
    "free_port",
    "init",
    "launch",
    "replica_divergence",
    "shard",
    "shutdown",
    "spawn",
    "stop_together",
    "torchrun_command",
    "unwrap",
    "wrap",
]

_ENV_KEYS = ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT")


@dataclass(frozen=True)
class DistEnv:
    """Where this process stands in the group.

    Attributes:
        rank: this process's number, ``0 .. world_size - 1`` (rank 0 prints and saves).
        world_size: number of processes in the group.
        local_rank: number of this process on its machine (selects its GPU).
        backend: ``"nccl"`` or ``"gloo"``.
        device: the device this rank computes on (``cuda:local_rank`` or ``cpu``).

    Serves: training on several GPUs, beyond the paper; appendix (chapter 11).
    """

    rank: int
    world_size: int
    local_rank: int
    backend: str
    device: torch.device

    @property
    def is_main(self) -> bool:
        return self.rank == 0


def default_backend() -> str:
    """``"nccl"`` where CUDA is available, else ``"gloo"`` (CPU).

    Serves: training on several GPUs, beyond the paper; appendix (chapter 11).
    """
    return "nccl" if torch.cuda.is_available() else "gloo"


def init(backend: str | None = None, *, timeout_s: float = 300.0) -> DistEnv:
    """Join the process group that ``torchrun`` (or :func:`launch`) set up through environment
    variables (``RANK``, ``WORLD_SIZE``, ``LOCAL_RANK``, ``MASTER_ADDR``, ``MASTER_PORT``).

    ``backend``: default :func:`default_backend`. With ``nccl`` each rank takes the GPU
    ``cuda:LOCAL_RANK``. Returns the :class:`DistEnv`. Raises ``RuntimeError`` naming the missing
    variables when the process was not started by ``torchrun``.

    Serves: training on several GPUs, beyond the paper; appendix (chapter 11).
    """
    missing = [k for k in _ENV_KEYS if k not in os.environ]
    if missing:
        raise RuntimeError(
            f"the environment variables {', '.join(missing)} are not set: start this process with "
            "torchrun (python -m torch.distributed.run --nproc-per-node N ...) or unet_course.distributed.launch"
        )
    backend = backend or default_backend()
    if backend not in ("nccl", "gloo"):
        raise ValueError(f"backend={backend!r}: use 'nccl' (CUDA GPUs) or 'gloo' (CPUs)")
    if backend == "nccl" and not torch.cuda.is_available():
        raise RuntimeError("backend='nccl' needs CUDA GPUs; use backend='gloo' on a CPU")
    rank, world, local = (int(os.environ[k]) for k in ("RANK", "WORLD_SIZE", "LOCAL_RANK"))
    if backend == "nccl":
        device = torch.device("cuda", local)
        torch.cuda.set_device(device)
    else:
        device = torch.device("cpu")
    if not dist.is_initialized():
        dist.init_process_group(backend, timeout=datetime.timedelta(seconds=timeout_s))
    return DistEnv(rank=rank, world_size=world, local_rank=local, backend=backend, device=device)


def shutdown() -> None:
    """Leave the process group (a no-op when none was joined).

    Serves: training on several GPUs, beyond the paper; appendix (chapter 11).
    """
    if dist.is_initialized():
        dist.destroy_process_group()


# --------------------------------------------------------------------------------------------
# data and model
# --------------------------------------------------------------------------------------------


class Shard(Sequence):
    """Rank ``rank``'s share of ``data``: the samples ``order[rank], order[rank + world_size],
    order[rank + 2 world_size], ...``.

    ``order`` is a permutation of the sample indices drawn from ``seed`` (the same on every rank),
    or ``0, 1, 2, ...`` with ``seed=None``: the samples are dealt out like cards. Shuffling before
    dealing keeps a data set stored in a structured order (all flips of image 0, then all of
    image 1, ...) from giving one rank all variants of the same image, as
    :class:`torch.utils.data.DistributedSampler` does with ``shuffle=True``. The shards of all
    ranks are disjoint and together hold every sample once (no padding). :func:`unet_course.train.fit`
    walks a shard in a new seeded order every epoch, like any sequence.

    Serves: training on several GPUs, beyond the paper; appendix (chapter 11).
    """

    def __init__(self, data: Sequence, rank: int, world_size: int, seed: int | None = 0) -> None:
        if not isinstance(world_size, int) or world_size < 1:
            raise ValueError(f"world_size must be an int >= 1, got {world_size!r}")
        if not 0 <= rank < world_size:
            raise ValueError(f"rank must be in 0 .. {world_size - 1}, got {rank}")
        if len(data) < world_size:
            raise ValueError(
                f"{len(data)} samples cannot be shared by {world_size} ranks; give every rank at least one sample"
            )
        self.data, self.rank, self.world_size = data, rank, world_size
        order = np.arange(len(data)) if seed is None else np.random.default_rng(seed).permutation(len(data))
        self.indices = [int(i) for i in order[rank::world_size]]

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, i: int) -> Any:
        return self.data[self.indices[i]]


class _RankStream:
    """A sample-drawing callable made rank-specific: rank ``r`` draws from a generator seeded by
    ``(r, draws of the generator fit gives)``, so ranks see different samples and runs repeat."""

    def __init__(self, draw: Callable[[np.random.Generator], tuple], rank: int) -> None:
        self.draw, self.rank = draw, rank

    def __call__(self, rng: np.random.Generator) -> tuple:
        key = rng.integers(0, 2**32, size=2, dtype=np.uint64).tolist()
        return self.draw(np.random.default_rng([self.rank, *key]))


def shard(data: train.Data, rank: int, world_size: int, seed: int | None = 0) -> train.Data:
    """This rank's part of the training data for :func:`unet_course.train.fit`.

    A sequence becomes a :class:`Shard` (shuffled with ``seed``, then every ``world_size``-th
    sample from ``rank``; ``seed=None`` deals without shuffling); a callable ``data(rng)``
    becomes one that draws from a rank-specific generator.

    Serves: training on several GPUs, beyond the paper; appendix (chapter 11).
    """
    if callable(data) and not hasattr(data, "__getitem__"):
        return _RankStream(data, rank)
    return Shard(data, rank, world_size, seed)


def wrap(model: nn.Module, env: DistEnv) -> DistributedDataParallel:
    """Move ``model`` to the rank's device and wrap it in ``DistributedDataParallel``.

    DDP broadcasts rank 0's parameters to every rank here, so the replicas start identical
    whatever each process initialised. On CUDA the model is put in channels-last memory format
    (faster convolutions with cuDNN).

    Serves: training on several GPUs, beyond the paper; appendix (chapter 11).
    """
    model = model.to(env.device)
    if env.device.type == "cuda":
        model = model.to(memory_format=torch.channels_last)
        return DistributedDataParallel(model, device_ids=[env.device.index], output_device=env.device.index)
    return DistributedDataParallel(model)


def unwrap(model: nn.Module) -> nn.Module:
    """The plain model inside a ``DistributedDataParallel`` (or the model itself).

    Serves: training on several GPUs, beyond the paper; appendix (chapter 11).
    """
    return model.module if isinstance(model, DistributedDataParallel) else model


def replica_divergence(model: nn.Module) -> float:
    """Largest absolute difference between any parameter of this rank and of rank 0, over all
    ranks (a collective: every rank must call it). ``0.0`` when the replicas are identical.

    Serves: training on several GPUs, beyond the paper; appendix (chapter 11).
    """
    flat = torch.cat([p.detach().reshape(-1).float() for p in unwrap(model).parameters()])
    reference = flat.clone()
    dist.broadcast(reference, src=0)
    gap = (flat - reference).abs().max().reshape(1)
    dist.all_reduce(gap, op=dist.ReduceOp.MAX)
    return float(gap.item())


def stop_together(env: DistEnv, decide: Callable[[int, float], bool]) -> Callable[[int, float, bool], bool]:
    """A ``should_stop(steps_done, seconds_used, interrupted)`` for :func:`unet_course.train.fit`
    that every rank answers alike: stop when rank 0's ``decide(steps_done, seconds_used)`` says so
    or when any rank got a Ctrl-C. One all-reduce (a collective: every rank must call it after
    every step, as ``fit`` does).

    Each process keeps its own clock, and a time budget checked on each would end the ranks after
    different steps; the rank still training then waits forever in the gradient all-reduce of a
    step the others never take. With one decision every rank stops after the same step.

    Serves: training on several GPUs, beyond the paper; appendix (chapter 11).
    """
    votes = torch.zeros(2, dtype=torch.int32, device=env.device)  # rank 0's decision, any Ctrl-C

    def should_stop(steps_done: int, seconds_used: float, interrupted: bool) -> bool:
        votes[0] = int(env.is_main and bool(decide(steps_done, seconds_used)))
        votes[1] = int(bool(interrupted))
        dist.all_reduce(votes, op=dist.ReduceOp.MAX)
        return bool(votes.max().item())

    return should_stop


def fit(
    model: nn.Module,
    data: train.Data,
    *,
    steps: int,
    env: DistEnv | None = None,
    checkpoint: str | os.PathLike | None = None,
    progress: bool = True,
    **fit_kwargs: Any,
) -> tuple[DistributedDataParallel, train.History]:
    """Train ``model`` with DistributedDataParallel: :func:`unet_course.train.fit` on every rank.

    Every rank calls this with the same arguments and the whole ``data``; each trains on its
    :func:`shard` with the same ``seed``, and DDP averages the gradients in ``backward``.

    Args:
        model: the plain model (not yet wrapped); rank 0's weights are broadcast to all ranks.
        data: as for :func:`unet_course.train.fit` (a sequence of samples or a callable); each
            rank trains on its :func:`shard`, shuffled with ``seed``.
        steps: optimisation steps (at most, with a budget); every rank takes the same number.
        env: from :func:`init` (default: call it).
        checkpoint: rank 0 saves the plain model there after the last step (the ranks hold the
            same weights). Saving from the wrapped model would prefix every key with ``module.``.
        progress: a progress bar on rank 0 only.
        fit_kwargs: passed on to :func:`unet_course.train.fit` (``optimizer``, ``lr``,
            ``momentum``, ``batch_size`` per rank, ``loss_fn``, ``seed``, ``clip_grad_norm``, ...).
            ``evaluate`` runs on every rank. ``device`` is the rank's; ``resume`` and periodic
            checkpoints are not supported here. The time budget (``max_seconds``) is decided on
            rank 0, and a Ctrl-C on any rank stops all, after the same step
            (:func:`stop_together`).

    Returns:
        ``(ddp_model, history)``: the wrapped model and this rank's history (its own losses).

    Serves: training on several GPUs, beyond the paper; appendix (chapter 11).
    """
    final_only = "only a final checkpoint (checkpoint=PATH, written by rank 0) is supported"
    refused = {"device": "the device is the rank's", "resume": final_only, "checkpoint_every": final_only,
               "should_stop": "the ranks stop together: max_seconds on rank 0's clock, or a Ctrl-C on any rank"}
    for key, why in refused.items():
        if key in fit_kwargs:
            raise TypeError(f"{key}= is not accepted by distributed.fit: {why}")
    env = env or init()
    budget = fit_kwargs.get("max_seconds")
    fit_kwargs["should_stop"] = stop_together(
        env, lambda steps_done, seconds_used: budget is not None and seconds_used >= budget)
    ddp = wrap(model, env)
    part = shard(data, env.rank, env.world_size, seed=fit_kwargs.get("seed", 0))
    history = train.fit(ddp, part, steps=steps, device=env.device,
                        progress=progress and env.is_main, **fit_kwargs)
    if checkpoint is not None and env.is_main:
        train.save_checkpoint(checkpoint, unwrap(ddp), step=len(history.loss), history=history,
                              meta={"world_size": env.world_size, "backend": env.backend})
    dist.barrier()
    return ddp, history


# --------------------------------------------------------------------------------------------
# launching
# --------------------------------------------------------------------------------------------


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port on ``host`` that is free right now (the OS picks it).

    Serves: training on several GPUs, beyond the paper; appendix (chapter 11).
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def torchrun_command(nproc: int, args: Sequence[str] = (), *, port: int | None = None,
                     host: str = "127.0.0.1", module: str = "unet_course.distributed") -> list[str]:
    """The ``torchrun`` command line that runs ``python -m module args`` in ``nproc`` processes on
    this machine, rendezvous at ``host:port`` (default: a free port on 127.0.0.1).

    Serves: training on several GPUs, beyond the paper; appendix (chapter 11).
    """
    if nproc < 1:
        raise ValueError(f"nproc must be >= 1, got {nproc}")
    port = free_port(host) if port is None else int(port)
    return [sys.executable, "-m", "torch.distributed.run", "--nnodes", "1", "--nproc-per-node", str(nproc),
            "--master-addr", host, "--master-port", str(port), "-m", module, *map(str, args)]


def launch(nproc: int, args: Sequence[str] = (), *, timeout_s: float = 600.0, threads: int = 1,
           check: bool = True) -> subprocess.CompletedProcess:
    """Run :func:`main` under ``torchrun`` in ``nproc`` local processes and wait for it.

    ``threads``: torch threads per process (``OMP_NUM_THREADS``), so that ``nproc`` processes
    do not oversubscribe the CPU cores. Returns the finished process with its ``stdout``
    (text, stderr merged in). With ``check``, a failure raises ``RuntimeError`` with the output.

    Serves: training on several GPUs, beyond the paper; appendix (chapter 11).
    """
    env = {**os.environ, "OMP_NUM_THREADS": str(threads), "PYTHONUNBUFFERED": "1"}
    done = subprocess.run(torchrun_command(nproc, args), env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, timeout=timeout_s)
    if check and done.returncode != 0:
        raise RuntimeError(f"torchrun exited with {done.returncode}:\n{done.stdout[-4000:]}")
    return done


def _spawn_entry(index: int, fn: Callable[..., Any], nproc: int, port: int, args: tuple) -> None:
    os.environ.update(RANK=str(index), LOCAL_RANK=str(index), WORLD_SIZE=str(nproc),
                      MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    torch.set_num_threads(1)
    try:
        fn(*args)
    finally:
        shutdown()


def spawn(fn: Callable[..., Any], nproc: int, *args: Any) -> None:
    """Run ``fn(*args)`` in ``nproc`` fresh local processes that can call :func:`init` (on
    127.0.0.1, a free port, one torch thread each), and wait for all of them.

    The in-process alternative to ``torchrun`` (used by the tests). ``fn`` must be importable by
    name (defined at the top level of a module), as ``torch.multiprocessing.spawn`` requires;
    an exception in any process is raised here.

    Serves: training on several GPUs, beyond the paper; appendix (chapter 11).
    """
    import torch.multiprocessing as mp

    if nproc < 1:
        raise ValueError(f"nproc must be >= 1, got {nproc}")
    mp.spawn(_spawn_entry, args=(fn, nproc, free_port(), tuple(args)), nprocs=nproc, join=True)


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="torchrun --nproc-per-node N -m unet_course.distributed",
        description="Train a chapter 08 recipe (unet_course.experiments.weightmap) with DistributedDataParallel (one process per GPU/rank).",
    )
    parser.add_argument("--recipe", default="ch08_weighted", help="ch08_weighted or ch08_unweighted")
    parser.add_argument("--steps", type=int, default=None, help="optimisation steps (default: the recipe's)")
    parser.add_argument("--train-images", type=int, default=None, help="override the recipe's number of images")
    parser.add_argument("--tile", type=int, default=None, help="override the recipe's input tile side")
    parser.add_argument("--lr", type=float, default=None, help="override the recipe's learning rate")
    parser.add_argument("--seed", type=int, default=None, help="override the recipe's seed")
    parser.add_argument("--backend", choices=("nccl", "gloo"), default=None, help="default: nccl on GPUs, gloo on CPUs")
    parser.add_argument("--out", default=None, help="folder for checkpoint.pt and summary.json (rank 0)")
    parser.add_argument("--save-replicas", action="store_true",
                        help="also write every rank's final weights (rankR.pt) and the initial ones (initial.pt)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    """The entry point ``torchrun`` runs on every rank (see the module docstring).

    Serves: training on several GPUs, beyond the paper; appendix (chapter 11).
    """
    args = _parse(argv)
    from .experiments.weightmap import RECIPES

    try:
        runtime.look_up_option(args.recipe, RECIPES, what="recipe")
    except ValueError as err:
        raise SystemExit(str(err)) from None
    changes = {k: v for k, v in (("train_images", args.train_images), ("tile", args.tile), ("lr", args.lr),
                                 ("seed", args.seed), ("steps", args.steps)) if v is not None}
    recipe = dataclasses.replace(RECIPES[args.recipe], **changes)
    env = init(args.backend)
    out = Path(args.out) if args.out else None
    try:
        runtime.seed_everything(recipe.seed)
        from .models import UNet

        model = UNet(**recipe.model)
        data = recipe.data("train")
        if out is not None and env.is_main:
            out.mkdir(parents=True, exist_ok=True)
            if args.save_replicas:
                torch.save(model.state_dict(), out / "initial.pt")
        began = time.perf_counter()
        ddp, history = fit(model, data, steps=recipe.steps, env=env, optimizer=recipe.optimizer, lr=recipe.lr,
                           momentum=recipe.momentum, seed=recipe.seed, clip_grad_norm=recipe.clip_grad_norm,
                           lr_schedule=recipe.lr_schedule,
                           checkpoint=None if out is None else out / "checkpoint.pt",
                           progress=not args.no_progress, desc=f"rank 0 of {env.world_size}")
        seconds = time.perf_counter() - began
        gap = replica_divergence(ddp)
        losses = [None] * env.world_size
        dist.all_gather_object(losses, history.loss)
        if out is not None and args.save_replicas:
            state = {k: v.detach().cpu() for k, v in unwrap(ddp).state_dict().items()}
            torch.save(state, out / f"rank{env.rank}.pt")
        dist.barrier()
        if env.is_main:
            summary = {"world_size": env.world_size, "backend": env.backend, "recipe": args.recipe,
                       "steps": recipe.steps, "lr_schedule": recipe.lr_schedule, "tile": recipe.tile,
                       "train_images": recipe.train_images,
                       "samples_per_rank": len(shard(data, 0, env.world_size, recipe.seed)), "seconds": seconds,
                       "replica_divergence": gap, "loss": losses}
            if out is not None:
                (out / "summary.json").write_text(json.dumps(summary, indent=1))
            print(f"{env.world_size} ranks ({env.backend}), {recipe.steps} steps of {args.recipe} in {seconds:.1f} s; "
                  f"loss of rank 0: {losses[0][0]:.4f} -> {losses[0][-1]:.4f}; "
                  f"largest weight difference between replicas: {gap:.1e}", flush=True)
    finally:
        shutdown()


if __name__ == "__main__":
    main()
