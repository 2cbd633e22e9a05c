"""DistributedDataParallel on 2 gloo processes on the CPU (127.0.0.1, a free port).

- ``torchrun`` runs ``python -m unet_course.distributed`` for a few steps: both replicas end with
  identical weights, which differ from the initial ones, and the checkpoint holds them.
- In processes started by ``torch.multiprocessing``: 2 ranks with one sample each take exactly
  the steps of one process training on a batch of both samples (the all-reduce averages the
  gradients; the loss is a mean), checked against plain ``train.fit``.
- The ranks stop together: a time budget on rank 0's clock (ranks whose own clocks would stop them
  after different steps) or a Ctrl-C on any one rank ends every rank after the same step.
- ``main`` trains a recipe with the settings ``run_recipe`` gives ``train.fit`` (the learning-rate
  schedule included).
"""

from __future__ import annotations

import json
import os
import signal

import numpy as np
import pytest
import torch

from unet_course import distributed, train
from unet_course.models import UNet

TINY = dict(in_channels=1, num_classes=2, base_channels=4, depth=2, padding="valid", dropout=0.0)
FIT = dict(optimizer="sgd", lr=0.05, momentum=0.99, seed=3)


def _samples(tile: int = 44) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(0)
    out = []
    for _ in range(2):
        image = rng.random((1, tile, tile), dtype=np.float32)
        target = (image[0] > 0.5).astype(np.int64)
        weights = (1.0 + 4.0 * rng.random((tile, tile))).astype(np.float32)
        out.append((image, target, weights))
    return out


def _initial_model() -> UNet:
    torch.manual_seed(11)
    return UNet(**TINY)


def _ddp_worker(steps: int, folder: str) -> None:
    env = distributed.init("gloo")
    # Each rank starts from its own random weights: DDP must broadcast rank 0's.
    torch.manual_seed(11 if env.rank == 0 else 99)
    model = UNet(**TINY)
    ddp, history = distributed.fit(model, _samples(), steps=steps, env=env, progress=False, **FIT)
    torch.save({k: v.detach().clone() for k, v in distributed.unwrap(ddp).state_dict().items()},
               os.path.join(folder, f"rank{env.rank}.pt"))
    assert len(history.loss) == steps


def test_ddp_equals_one_process_on_the_whole_batch(tmp_path):
    steps = 3
    distributed.spawn(_ddp_worker, 2, steps, str(tmp_path))
    ranks = [torch.load(tmp_path / f"rank{r}.pt", weights_only=True) for r in range(2)]
    reference = _initial_model()
    initial = {k: v.clone() for k, v in reference.state_dict().items()}
    train.fit(reference, _samples(), steps=steps, batch_size=2, device="cpu", progress=False, **FIT)
    for key, want in reference.state_dict().items():
        assert torch.equal(ranks[0][key], ranks[1][key]), f"replicas differ in {key}"
        assert torch.allclose(ranks[0][key], want, rtol=1e-4, atol=1e-6), (
            f"{key}: DDP on 2 ranks differs from one process on a batch of 2 by "
            f"{(ranks[0][key] - want).abs().max():.2e}"
        )
    moved = max((ranks[0][k] - initial[k]).abs().max().item() for k in initial)
    assert moved > 1e-3, "training did not change the weights"


def test_torchrun_two_gloo_processes_hold_identical_weights(tmp_path):
    done = distributed.launch(2, ["--train-images", "1", "--steps", "4", "--out", str(tmp_path),
                                  "--save-replicas", "--no-progress"], timeout_s=300)
    assert "2 ranks (gloo)" in done.stdout
    initial = torch.load(tmp_path / "initial.pt", weights_only=True)
    rank0 = torch.load(tmp_path / "rank0.pt", weights_only=True)
    rank1 = torch.load(tmp_path / "rank1.pt", weights_only=True)
    assert rank0.keys() == rank1.keys() == initial.keys()
    for key in rank0:
        assert torch.equal(rank0[key], rank1[key]), f"the replicas differ in {key}"
    changed = [k for k in rank0 if k.endswith("weight") and not torch.equal(rank0[k], initial[k])]
    assert len(changed) == sum(k.endswith("weight") for k in rank0), "some layers were not trained"
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["world_size"] == 2 and summary["backend"] == "gloo"
    assert summary["replica_divergence"] == 0.0
    assert len(summary["loss"]) == 2 and all(len(l) == 4 for l in summary["loss"])
    assert summary["loss"][0] != summary["loss"][1], "both ranks trained on the same samples"
    loaded = train.load_checkpoint(tmp_path / "checkpoint.pt")
    for key, value in loaded.model.state_dict().items():
        assert torch.equal(value, rank0[key])


def test_shards_are_disjoint_and_cover_the_data():
    data = list(range(11))
    dealt = [distributed.shard(data, r, 3, seed=None) for r in range(3)]
    assert [list(s) for s in dealt] == [[0, 3, 6, 9], [1, 4, 7, 10], [2, 5, 8]]
    shuffled = [list(distributed.shard(data, r, 3, seed=5)) for r in range(3)]
    assert sorted(sum(shuffled, [])) == data
    assert [len(s) for s in shuffled] == [4, 4, 3]
    assert shuffled != [list(s) for s in dealt]
    assert shuffled == [list(distributed.shard(data, r, 3, seed=5)) for r in range(3)]
    with pytest.raises(ValueError, match="at least one sample"):
        distributed.shard([1, 2], 0, 3)
    with pytest.raises(ValueError, match="rank must be"):
        distributed.shard(data, 3, 3)


def test_a_drawing_callable_gets_a_stream_per_rank():
    draw = lambda rng: (rng.random(),)  # noqa: E731
    a, b = distributed.shard(draw, 0, 2), distributed.shard(draw, 1, 2)
    first = a(np.random.default_rng(5))
    assert first == a(np.random.default_rng(5))
    assert first != b(np.random.default_rng(5))


def test_init_outside_torchrun_says_how_to_start(monkeypatch):
    for key in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT"):
        monkeypatch.delenv(key, raising=False)
    with pytest.raises(RuntimeError, match="torchrun"):
        distributed.init()


def test_torchrun_command_names_host_port_and_module():
    cmd = distributed.torchrun_command(2, ["--steps", 3], port=29999)
    assert cmd[1:3] == ["-m", "torch.distributed.run"]
    assert cmd[cmd.index("--master-port") + 1] == "29999"
    assert cmd[cmd.index("--master-addr") + 1] == "127.0.0.1"
    assert cmd[-4:] == ["-m", "unet_course.distributed", "--steps", "3"]


class _CtrlCAt:
    """The training samples; on rank 1 the ``at``-th draw sends this process a Ctrl-C (SIGINT)."""

    def __init__(self, samples: list, rank: int, at: int) -> None:
        self.samples, self.rank, self.at, self.draws = samples, rank, at, 0

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, i: int):
        self.draws += 1
        if self.rank == 1 and self.draws == self.at:
            os.kill(os.getpid(), signal.SIGINT)
        return self.samples[i]


def _stop_worker(folder: str) -> None:
    # A short collective timeout: ranks out of step fail within seconds instead of hanging.
    env = distributed.init("gloo", timeout_s=20)
    torch.manual_seed(11)
    # Rank 1's budget would end it after its first step, rank 0's after many: only rank 0's counts.
    budget = 1.0 if env.rank == 0 else 1e-6
    _, timed = distributed.fit(UNet(**TINY), _samples(), steps=100_000, env=env, progress=False,
                               max_seconds=budget, **FIT)
    # A Ctrl-C on rank 1 alone, during its third step, stops both ranks after that step. (Python's
    # handler, in case this process was started with SIGINT ignored, as background jobs are.)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    _, stopped = distributed.fit(UNet(**TINY), _CtrlCAt(_samples(), env.rank, 3), steps=1000, env=env,
                                 progress=False, **FIT)
    with open(os.path.join(folder, f"rank{env.rank}.json"), "w") as f:
        json.dump({"timed": timed.step, "stopped": stopped.step, "interrupted": stopped.interrupted}, f)


def test_the_ranks_stop_together_on_rank0s_clock_or_anyones_ctrl_c(tmp_path):
    distributed.spawn(_stop_worker, 2, str(tmp_path))
    ranks = [json.loads((tmp_path / f"rank{r}.json").read_text()) for r in range(2)]
    timed = [r["timed"] for r in ranks]
    assert timed[0] == timed[1], f"the ranks stopped after different steps: {len(timed[0])} and {len(timed[1])}"
    assert 1 < len(timed[0]) < 100_000, (
        f"{len(timed[0])} steps: the stop should follow rank 0's budget of 1 s, not rank 1's own clock"
    )
    stopped = [len(r["stopped"]) for r in ranks]
    assert stopped == [3, 3], f"a Ctrl-C on rank 1 in step 3 should stop both ranks after step 3, not {stopped}"
    assert [r["interrupted"] for r in ranks] == [False, True]


class _Captured(Exception):
    pass


def _fit_kwargs_of(run, monkeypatch, module, name: str) -> dict:
    """The keyword arguments ``run()`` gives ``module.name`` (a fit), which trains nothing."""
    seen: dict = {}

    def fake_fit(*args, **kwargs):
        seen.update(kwargs)
        raise _Captured

    monkeypatch.setattr(module, name, fake_fit)
    with pytest.raises(_Captured):
        run()
    return seen


def test_main_trains_the_recipe_as_run_recipe_does(monkeypatch):
    from unet_course.experiments import weightmap

    recipe = weightmap.RECIPES["ch08_weighted"]
    assert recipe.lr_schedule is not None, "the check needs a recipe with a learning-rate schedule"
    reference = _fit_kwargs_of(lambda: weightmap.run_recipe("ch08_weighted", out="", progress=False,
                                                            train_images=1, test_images=1),
                               monkeypatch, weightmap, "fit")
    env = distributed.DistEnv(rank=0, world_size=1, local_rank=0, backend="gloo", device=torch.device("cpu"))
    monkeypatch.setattr(distributed, "init", lambda backend=None: env)
    got = _fit_kwargs_of(lambda: distributed.main(["--recipe", "ch08_weighted", "--train-images", "1", "--no-progress"]),
                         monkeypatch, distributed, "fit")
    for key in sorted(set(reference) - {"device", "progress", "desc"}):
        assert key in got, f"distributed.main does not pass the recipe's {key}={reference[key]!r}"
        assert got[key] == reference[key], f"{key}: distributed.main gives {got[key]!r}, run_recipe {reference[key]!r}"
    assert got["lr_schedule"] == recipe.lr_schedule
