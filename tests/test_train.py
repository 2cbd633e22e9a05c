"""unet_course.train: the training loop, checkpoints and the recipe of the shipped checkpoints."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from unet_course import train
from unet_course.experiments import weightmap as W
from unet_course.models import UNet


def tiny_unet(padding="valid", seed=0) -> UNet:
    torch.manual_seed(seed)
    return UNet(1, 2, base_channels=4, depth=2, padding=padding, dropout=0.0)


def squares_data(n_input: int, n=6, seed=0):
    """Bright squares on noise: the foreground is learnable in a few dozen steps."""
    rng = np.random.default_rng(seed)
    samples = []
    for _ in range(n):
        target = np.zeros((n_input, n_input), dtype=np.int64)
        for _ in range(3):
            y, x = rng.integers(0, n_input - 12, size=2)
            target[y : y + 12, x : x + 12] = 1
        image = (0.7 * target + rng.normal(0, 0.15, target.shape)).astype(np.float32)
        weights = np.where(target == 1, 2.0, 1.0).astype(np.float32)
        samples.append((image, target, weights))
    return samples


def mean_loss(model: nn.Module, data) -> float:
    """The weighted loss over all samples, in eval mode (less noisy than per-step losses)."""
    from unet_course.losses import weighted_cross_entropy

    model.eval()
    with torch.no_grad():
        values = [weighted_cross_entropy(model(torch.as_tensor(x)[None, None]), torch.as_tensor(y)[None],
                                         torch.as_tensor(w)[None]).item() for x, y, w in data]
    model.train()
    return float(np.mean(values))


def params_equal(a: nn.Module, b: nn.Module) -> bool:
    return all(torch.equal(p, q) for p, q in zip(a.state_dict().values(), b.state_dict().values()))


@pytest.mark.parametrize("padding", ["valid", "same"])
def test_loss_decreases_on_a_tiny_problem(padding):
    model = tiny_unet(padding)
    data = squares_data(model.valid_input_size(64))
    before = mean_loss(model, data)
    history = train.fit(model, data, steps=60, optimizer="adam", lr=3e-3, device="cpu", progress=False)
    assert len(history.loss) == 60 and history.step == list(range(1, 61))
    after = mean_loss(model, data)
    assert after < 0.5 * before, f"mean loss went from {before:.3f} to {after:.3f}"


def test_paper_setup_sgd_momentum_099_batch_1_learns():
    model = tiny_unet()
    data = squares_data(model.valid_input_size(64))
    before = mean_loss(model, data)
    train.fit(model, data, steps=80, lr=0.01, momentum=0.99, batch_size=1, device="cpu", progress=False)
    after = mean_loss(model, data)
    assert after < 0.5 * before, f"mean loss went from {before:.3f} to {after:.3f}"


def test_same_seed_same_run_and_other_seed_other_run():
    data = squares_data(tiny_unet().valid_input_size(44))
    runs = []
    for seed in (3, 3, 4):
        model = tiny_unet(seed=0)
        model.dropout = nn.Dropout(0.5)  # randomness inside the step must be seeded too
        history = train.fit(model, data, steps=15, lr=0.01, seed=seed, device="cpu", progress=False)
        runs.append((model, history))
    assert runs[0][1].loss == runs[1][1].loss
    assert params_equal(runs[0][0], runs[1][0])
    assert runs[0][1].loss != runs[2][1].loss


def test_callable_data_and_batches():
    n = tiny_unet().valid_input_size(44)
    pool = squares_data(n, n=4)

    def draw(rng: np.random.Generator):
        return pool[int(rng.integers(len(pool)))][:2]  # (image, target): no weights

    h1 = train.fit(tiny_unet(), draw, steps=5, batch_size=2, seed=1, device="cpu", progress=False)
    h2 = train.fit(tiny_unet(), draw, steps=5, batch_size=2, seed=1, device="cpu", progress=False)
    assert h1.loss == h2.loss


def test_evaluation_hook_runs_in_eval_mode_without_gradients():
    seen = []

    def evaluate(model):
        seen.append((model.training, torch.is_grad_enabled()))
        return {"answer": 42}

    model = tiny_unet()
    history = train.fit(model, squares_data(model.valid_input_size(44)), steps=7, eval_every=3, evaluate=evaluate,
                        device="cpu", progress=False)
    assert [e["step"] for e in history.evals] == [3, 6, 7]
    assert all(e["answer"] == 42.0 for e in history.evals)
    assert seen == [(False, False)] * 3
    assert model.training  # back in the mode it had


def test_checkpoint_round_trip_rebuilds_the_unet(tmp_path):
    model = tiny_unet()
    data = squares_data(model.valid_input_size(44))
    history = train.fit(model, data, steps=4, device="cpu", progress=False)
    path = train.save_checkpoint(tmp_path / "sub" / "net.pt", model, step=4, history=history, meta={"note": "x", "n": 3})
    loaded = train.load_checkpoint(path)
    assert isinstance(loaded.model, UNet) and params_equal(loaded.model, model)
    assert loaded.step == 4 and loaded.history.loss == history.loss and loaded.meta == {"note": "x", "n": 3}
    assert not loaded.model.training
    x = torch.as_tensor(data[0][0])[None, None]
    model.eval()
    torch.testing.assert_close(loaded.model(x), model(x), rtol=0, atol=0)
    other = tiny_unet(seed=5)
    train.load_checkpoint(path, other)
    assert params_equal(other, model)
    with pytest.raises(ValueError, match="do not fit"):
        train.load_checkpoint(path, UNet(1, 2, base_channels=8, depth=2))
    with pytest.raises(ValueError, match="no optimizer state"):
        train.load_checkpoint(path, tiny_unet(), torch.optim.SGD(tiny_unet().parameters(), lr=0.1))
    with pytest.raises(FileNotFoundError):
        train.load_checkpoint(tmp_path / "missing.pt")


def test_checkpoint_of_a_plain_module_needs_the_model(tmp_path):
    net = nn.Conv2d(1, 2, 3)
    path = train.save_checkpoint(tmp_path / "conv.pt", net)
    with pytest.raises(ValueError, match="model="):
        train.load_checkpoint(path)
    fresh = nn.Conv2d(1, 2, 3)
    train.load_checkpoint(path, fresh)
    assert params_equal(fresh, net)


def test_save_is_atomic(tmp_path, monkeypatch):
    model = tiny_unet()
    path = train.save_checkpoint(tmp_path / "a.pt", model, meta={"version": 1})

    def broken_save(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(torch, "save", broken_save)
    with pytest.raises(OSError, match="disk full"):
        train.save_checkpoint(path, tiny_unet(seed=9), meta={"version": 2})
    monkeypatch.undo()
    assert train.load_checkpoint(path).meta == {"version": 1}  # the old file is intact
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.pt"]  # no temporary file left


def test_resumed_run_equals_uninterrupted_run(tmp_path):
    data = squares_data(tiny_unet().valid_input_size(44))
    whole = tiny_unet()
    h_whole = train.fit(whole, data, steps=12, lr=0.01, seed=2, device="cpu", progress=False)

    part = tiny_unet()
    ckpt = tmp_path / "run.pt"
    train.fit(part, data, steps=5, lr=0.01, seed=2, device="cpu", progress=False, checkpoint=ckpt)
    resumed = tiny_unet(seed=7)  # different init: everything must come from the checkpoint
    h_resumed = train.fit(resumed, data, steps=12, lr=0.01, seed=2, device="cpu", progress=False,
                          checkpoint=ckpt, resume=True)
    assert h_resumed.step == list(range(1, 13))
    np.testing.assert_allclose(h_resumed.loss, h_whole.loss, rtol=1e-5)
    for p, q in zip(resumed.parameters(), whole.parameters()):
        torch.testing.assert_close(p, q, rtol=1e-5, atol=1e-6)


def test_ctrl_c_stops_fit_between_steps_and_returns_the_history(tmp_path):
    """A first Ctrl-C (a real SIGINT) ends the run after its step, evaluated and saved; a
    KeyboardInterrupt raised inside the loop ends it at once; either way fit returns its History."""
    import os
    import signal

    previous = signal.signal(signal.SIGINT, signal.default_int_handler)  # a shell may start pytest with it ignored
    data = squares_data(tiny_unet().valid_input_size(44))
    model = tiny_unet()
    calls = []

    def evaluate(net):
        calls.append(len(calls))
        if len(calls) == 2:
            os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C during the evaluation after step 4
        return {"score": float(len(calls))}

    history = train.fit(model, data, steps=50, lr=0.01, seed=2, device="cpu", progress=False, evaluate=evaluate,
                        eval_every=2, checkpoint=tmp_path / "c.pt")
    assert history.interrupted and history.step == [1, 2, 3, 4], f"stopped after step 4, not {history.step}"
    assert [e["step"] for e in history.evals] == [2, 4], "no second evaluation of the step it stopped at"
    assert train.load_checkpoint(tmp_path / "c.pt", tiny_unet()).step == 4, "saved at the step it stopped"
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler, "Python's handler is back"
    signal.signal(signal.SIGINT, previous)

    def interrupting(net):
        raise KeyboardInterrupt

    history = train.fit(tiny_unet(), data, steps=50, lr=0.01, seed=2, device="cpu", progress=False,
                        evaluate=interrupting, eval_every=3)
    assert history.interrupted and history.step == [1, 2, 3] and history.evals == []
    history = train.fit(tiny_unet(), data, steps=3, lr=0.01, seed=2, device="cpu", progress=False)
    assert not history.interrupted and train.History.from_dict(history.to_dict()) == history


def test_bad_arguments_are_refused():
    model = tiny_unet()
    data = squares_data(model.valid_input_size(44), n=2)
    with pytest.raises(ValueError, match="steps"):
        train.fit(model, data, steps=-1, progress=False)
    with pytest.raises(ValueError, match="optimizer"):
        train.fit(model, data, steps=1, optimizer="rmsprop", progress=False)
    with pytest.raises(TypeError, match="tuple"):
        train.fit(model, [data[0][0]], steps=1, device="cpu", progress=False)
    with pytest.raises(ValueError, match="checkpoint"):
        train.fit(model, data, steps=1, checkpoint_every=1, progress=False)
    with pytest.raises(FloatingPointError, match="learning rate"):
        train.fit(model, data, steps=30, lr=1e6, device="cpu", progress=False)


def test_cosine_schedule_and_bad_schedule():
    model = tiny_unet()
    data = squares_data(model.valid_input_size(44), n=2)
    seen = []
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.99)

    def record(logits, target, weights):
        seen.append(opt.param_groups[0]["lr"])
        return logits.sum() * 0

    train.fit(model, data, steps=4, optimizer=opt, lr_schedule="cosine", loss_fn=record, device="cpu", progress=False)
    np.testing.assert_allclose(seen, [0.1 * 0.5 * (1 + np.cos(np.pi * s / 4)) for s in range(4)])
    with pytest.raises(ValueError, match="lr_schedule"):
        train.fit(model, data, steps=1, lr_schedule="linear", device="cpu", progress=False)


def test_meta_is_stored_as_plain_data(tmp_path):
    from pathlib import Path

    meta = {"torch": torch.__version__, "path": Path("a/b"), "n": np.int64(3), "x": np.float32(0.5), "t": (1, 2)}
    loaded = train.load_checkpoint(train.save_checkpoint(tmp_path / "m.pt", tiny_unet(), meta=meta)).meta
    assert loaded == {"torch": str(torch.__version__), "path": str(Path("a/b")), "n": 3, "x": 0.5, "t": [1, 2]}
    assert type(loaded["torch"]) is str
    with pytest.raises(TypeError, match="plain data"):
        train.save_checkpoint(tmp_path / "bad.pt", tiny_unet(), meta={"model": tiny_unet()})


def test_paper_setup_is_sgd_099_batch_1_large_tiles():
    recipe = W.paper_setup(W.RECIPES["ch08_weighted"])
    assert (recipe.optimizer, recipe.momentum, recipe.tile) == ("sgd", 0.99, 380)
    assert UNet(**recipe.model).valid_input_size(recipe.tile) == recipe.tile
    assert recipe.w0 == W.RECIPES["ch08_weighted"].w0


# ---------------------------------------------------------------------------------------------
# the shipped checkpoints of chapter 08: the recipe reproduces their quality
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["ch08_weighted", "ch08_unweighted"])
def test_recipe_reproduces_the_shipped_checkpoint(name):
    shipped = train.load_checkpoint(train.CHECKPOINT_DIR / f"{name}.pt")
    assert shipped.meta["recipe"] == name and shipped.step == W.RECIPES[name].steps
    assert (train.CHECKPOINT_DIR / f"{name}.pt").stat().st_size < 2e6
    # the shipped weights score what their metadata says on the recipe's held-out images
    test_tiles = W.RECIPES[name].data("test")
    now = W.evaluate_separation(shipped.model, test_tiles)
    assert now["split_rate"] == pytest.approx(shipped.meta["scores"]["split_rate"], abs=0.01)
    assert now["iou"] == pytest.approx(shipped.meta["scores"]["iou"], abs=1e-3)
    # and training from scratch gets there again (other threads or hardware change the last bits
    # of every step, so the run differs; the seeds 1, 2 of the metadata show the spread)
    again = W.run_recipe(name, out="", device="cpu", progress=False).meta["scores"]
    ref = shipped.meta["scores"]
    if shipped.meta["w0"] > 0:
        assert again["split_rate"] >= ref["split_rate"] - 0.15, again
        assert abs(again["iou"] - ref["iou"]) < 0.08, again
    else:
        assert again["split_rate"] <= ref["split_rate"] + 0.1, again
        assert abs(again["iou"] - ref["iou"]) < 0.03, again


def test_run_recipe_restores_the_thread_count():
    before = torch.get_num_threads()
    run = W.run_recipe("ch08_weighted", out="", device="cpu", progress=False, steps=2, train_images=1,
                           test_images=1)
    assert torch.get_num_threads() == before
    assert run.step == 2 and run.meta["steps"] == 2 and set(run.meta["scores"]) == {"split_rate", "iou", "f1", "pairs"}


# ---------------------------------------------------------------------------------------------
# the fast path: bf16 autocast, channels-last, cuDNN autotuning
# ---------------------------------------------------------------------------------------------


def test_bf16_step_is_finite_and_close_to_fp32():
    data = squares_data(tiny_unet().valid_input_size(64))
    fp32 = train.fit(tiny_unet(), data, steps=1, lr=0.01, device="cpu", progress=False)
    bf16 = train.fit(tiny_unet(), data, steps=1, lr=0.01, device="cpu", progress=False, precision="bf16")
    a, b = fp32.loss[0], bf16.loss[0]
    assert np.isfinite(b)
    # bfloat16 keeps 8 significant bits (a relative rounding of 2**-9 per operation); the loss of the
    # same first step differs by about 1e-3 relatively, and not at all would mean no autocast
    assert 0 < abs(a - b) / a < 1e-2, (a, b)


def test_bf16_runs_the_convolutions_in_bf16_and_the_loss_in_fp32():
    model = tiny_unet()
    data = squares_data(model.valid_input_size(44), n=2)
    seen = {}

    def hook(module, inputs, output):
        seen.setdefault("conv", output.dtype)

    model.head.register_forward_hook(hook)

    def loss_fn(logits, target, weights):
        seen.setdefault("loss_input", logits.dtype)
        from unet_course.losses import weighted_cross_entropy

        return weighted_cross_entropy(logits, target, weights)

    history = train.fit(model, data, steps=3, lr=0.01, loss_fn=loss_fn, device="cpu", progress=False, precision="bf16")
    assert seen == {"conv": torch.bfloat16, "loss_input": torch.float32}
    assert all(p.dtype == torch.float32 for p in model.parameters())  # the weights stay float32
    assert all(np.isfinite(history.loss))


def test_bf16_training_learns_like_fp32():
    model32, model16 = tiny_unet(), tiny_unet()
    data = squares_data(model32.valid_input_size(64))
    before = mean_loss(model32, data)
    train.fit(model32, data, steps=40, optimizer="adam", lr=3e-3, device="cpu", progress=False)
    train.fit(model16, data, steps=40, optimizer="adam", lr=3e-3, device="cpu", progress=False, precision="bf16")
    after32, after16 = mean_loss(model32, data), mean_loss(model16, data)
    assert after16 < 0.6 * before and abs(after16 - after32) < 0.15 * after32, (before, after32, after16)


def test_default_is_fp32_bit_exact_and_bad_precision_is_refused():
    data = squares_data(tiny_unet().valid_input_size(44), n=2)
    default = train.fit(tiny_unet(), data, steps=3, device="cpu", progress=False)
    explicit = train.fit(tiny_unet(), data, steps=3, device="cpu", progress=False, precision="fp32",
                         channels_last=False, autotune=False)
    assert default.loss == explicit.loss
    for bad in ("fp16", "float32", "BF16", None):
        with pytest.raises(ValueError, match="'fp32', 'bf16'"):
            train.fit(tiny_unet(), data, steps=1, device="cpu", progress=False, precision=bad)
    with pytest.raises(ValueError, match="fp16 is not offered"):
        train.fit(tiny_unet(), data, steps=1, device="cpu", progress=False, precision="fp16")


def test_channels_last_on_request_gives_the_same_training():
    data = squares_data(tiny_unet().valid_input_size(44), n=2)
    plain, nhwc = tiny_unet(), tiny_unet()
    a = train.fit(plain, data, steps=3, lr=0.01, device="cpu", progress=False)
    b = train.fit(nhwc, data, steps=3, lr=0.01, device="cpu", progress=False, channels_last=True)
    assert nhwc.head.weight.is_contiguous(memory_format=torch.channels_last)
    assert plain.head.weight.is_contiguous()  # default on a CPU: left as it was
    np.testing.assert_allclose(a.loss, b.loss, rtol=1e-5)


def test_fit_restores_the_cudnn_flags(monkeypatch):
    from unet_course import runtime

    data = squares_data(tiny_unet().valid_input_size(44), n=2)
    runtime.seed_everything(0)
    seen = []

    def loss_fn(logits, target, weights):
        seen.append((torch.backends.cudnn.benchmark, torch.backends.cudnn.deterministic))
        return logits.float().mean()

    train.fit(tiny_unet(), data, steps=1, loss_fn=loss_fn, autotune=True, device="cpu", progress=False)
    train.fit(tiny_unet(), data, steps=1, loss_fn=loss_fn, device="cpu", progress=False)  # CPU: off
    assert seen == [(True, False), (False, True)]
    assert (torch.backends.cudnn.benchmark, torch.backends.cudnn.deterministic) == (False, True)


def test_worker_processes_give_the_same_run():
    from unet_course.augment import Augmenter
    from unet_course.data.tiles import TileDataset

    model = tiny_unet()
    n = model.valid_input_size(44)
    pool = squares_data(64, n=3)
    # augmented tiles: rotation, flips, grey values and elastic deformation, drawn per (seed, step)
    images = [np.clip(x, 0, 1) for x, _, _ in pool]  # the tile sampler takes grey values in [0, 1] only
    tiles = TileDataset(images, [y for _, y, _ in pool], tile_size=n, output_size=model.output_size(n),
                        augmenter=Augmenter(max_angle=180.0, elastic_sigma=3.0), length=40, seed=0)
    runs = []
    for workers in (0, 2):
        net = tiny_unet()
        net.dropout = nn.Dropout(0.3)  # the main process's seeding is kept too
        runs.append((net, train.fit(net, tiles, steps=8, batch_size=2, lr=0.01, seed=5, device="cpu", progress=False,
                                    workers=workers)))
    assert runs[0][1].loss == runs[1][1].loss
    assert params_equal(runs[0][0], runs[1][0])
    with pytest.raises(ValueError, match="workers"):
        train.fit(tiny_unet(), tiles, steps=1, device="cpu", progress=False, workers=-1)


def test_data_workers_default(monkeypatch):
    from unet_course import runtime

    monkeypatch.setenv("UNET_COURSE_PROFILE", "full")
    assert runtime.data_workers("cpu") == 0 and 0 <= runtime.data_workers("cuda") <= 8
    monkeypatch.setenv("UNET_COURSE_PROFILE", "quick")
    assert runtime.data_workers("cuda") == 0
