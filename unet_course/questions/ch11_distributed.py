"""Exercises of chapter 11 (appendix): training on several processes and machines with DDP."""

from __future__ import annotations

import functools

from unet_course import distributed, quiz
from unet_course.models import UNet


@functools.cache  # built once: the bank's import and the checks ask for it several times
def _paper_parameters() -> int:
    return UNet(in_channels=1, num_classes=2, base_channels=64, depth=4).num_parameters()


def _ring_megabytes(world_size: int = 8, bytes_per_value: int = 4) -> float:
    """Bytes one rank sends in a ring all-reduce of the paper U-Net's gradients: 2 (W - 1) / W of
    the gradient (reduce-scatter, then all-gather), in MB (10^6 bytes)."""
    size = _paper_parameters() * bytes_per_value
    return 2 * (world_size - 1) / world_size * size / 1e6


def _shard_cases() -> list[tuple[int, int, int]]:
    return [(10, 0, 2), (10, 1, 2), (11, 2, 3), (7, 0, 7), (7, 6, 7), (30, 3, 8), (5, 0, 1)]


# Integer answers are exact; answers asked "to one decimal place" accept every correctly
# rounded value (atol = 0.05, half a unit of the last asked digit) and no more.
QUESTIONS = [
    quiz.Choice(
        "11.predict-replica-gap",
        "Predict before you run: two ranks train the same U-Net under DDP, each on its own tiles, "
        "for six steps. What is then the largest difference between their weights?",
        [
            "exactly zero: both ranks hold the same weights, bit for bit",
            "about 1e-7: float rounding differs a little from rank to rank",
            "about 1e-3: each rank drifts toward the tiles it has seen",
            "as large as the weights: every rank trains its own network",
        ],
        0,
        hint="What does every rank hold after the all-reduce, and what does the optimiser do with it?",
        wrong=[1, 2, 3],
    ),
    quiz.Numeric(
        "11.effective-batch",
        "Two machines with 4 GPUs each train the U-Net with DDP, one input tile per GPU and step "
        "(the paper's batch of a single image on every GPU). How many tiles does one optimiser step "
        "average the gradient over? Answer as an integer.",
        lambda: float(2 * 4 * 1),
        rtol=0.0,
        atol=0.0,
        hint="Every rank computes the gradient of its own tile; the all-reduce averages the gradients "
        "of all ranks (world size = machines x GPUs per machine).",
        wrong=[4, 2, 1, 16],
    ),
    quiz.Numeric(
        "11.gradient-megabytes",
        "How many megabytes (10^6 bytes) of gradients does each rank put into the all-reduce at every "
        "step when it trains the paper's U-Net (in_channels=1, num_classes=2, 64 base channels, "
        "depth 4) in float32? Give it to one decimal place.",
        lambda: _paper_parameters() * 4 / 1e6,
        rtol=0.0,
        atol=0.05,
        hint="One gradient value per parameter (count them from the model), 4 bytes each.",
        wrong=[
            round(_paper_parameters() / 1e6, 1),  # values, not bytes
            round(_paper_parameters() * 4 / 2**20, 1),  # MiB, not MB
            round(_paper_parameters() * 2 / 1e6, 1),  # 16-bit values
            124.0,  # rounded to the wrong digit
        ],
    ),
    quiz.Numeric(
        "11.ring-traffic",
        "A ring all-reduce makes every rank send 2 (W - 1) / W times the gradient's size. How many "
        "megabytes (10^6 bytes) does each of W = 8 GPUs send per step for the paper's U-Net in "
        "float32? Give it to one decimal place.",
        lambda: _ring_megabytes(8, 4),
        rtol=0.0,
        atol=0.05,
        hint="W = 8 in the formula; the gradient's size is the answer of the previous exercise.",
        wrong=[
            round(_paper_parameters() * 4 / 1e6, 1),  # the gradient once
            round(2 * _paper_parameters() * 4 / 1e6, 1),  # 2 x the gradient, (W - 1) / W dropped
            round(_ring_megabytes(8, 4) * 1e6 / 2**20, 1),  # MiB
            round(_ring_megabytes(8, 4)),  # rounded to the wrong digit
        ],
    ),
    quiz.TrueFalse(
        "11.same-seed",
        "Under DistributedDataParallel every rank must seed its random generator with the same value "
        "before building the model; otherwise the replicas start from different weights and never agree.",
        False,
        hint="Look at what DistributedDataParallel does when it wraps a model.",
        explanation="DDP broadcasts rank 0's parameters (and buffers) to every rank when it wraps the "
        "model, so the replicas start identical whatever each process drew; tests/test_distributed.py "
        "seeds rank 1 differently on purpose.",
        wrong=[True],
    ),
    quiz.CodeExercise(
        "11.shard",
        "Write shard_indices(n, rank, world_size): the indices of the samples, out of n, that rank "
        "`rank` trains on when the data are dealt out like cards (rank, rank + world_size, ...), "
        "without shuffling first, as a list of ints.",
        lambda n, rank, world_size: list(distributed.shard(list(range(n)), rank, world_size, seed=None)),
        _shard_cases,
        hint="Deal 7 samples to 3 ranks by hand first: which samples land on rank 1?",
        wrong=[
            lambda n, rank, world_size: list(range(rank * n // world_size, (rank + 1) * n // world_size)),  # blocks
            lambda n, rank, world_size: list(range(rank + 1, n, world_size)),  # ranks counted from 1
            lambda n, rank, world_size: list(range(rank, n - 1, world_size)),  # last sample dropped
        ],
    ),
]
