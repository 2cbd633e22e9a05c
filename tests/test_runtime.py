"""The runtime: profiles, seeding and the banner."""

import numpy as np
import pytest
import torch

from unet_course import runtime


def test_profile_override_and_error(monkeypatch):
    monkeypatch.setenv("UNET_COURSE_PROFILE", "full")
    assert runtime.profile() == "full" and runtime.pick(quick=1, full=2) == 2
    monkeypatch.setenv("UNET_COURSE_PROFILE", "Quick")
    assert runtime.profile() == "quick" and runtime.pick(quick=1, full=2) == 1
    monkeypatch.setenv("UNET_COURSE_PROFILE", "fast")
    with pytest.raises(ValueError, match="quick, full"):
        runtime.profile()


def test_profile_follows_device(monkeypatch):
    monkeypatch.delenv("UNET_COURSE_PROFILE", raising=False)
    expected = "full" if torch.cuda.is_available() else "quick"
    assert runtime.profile() == expected


def test_seed_everything_repeats():
    runtime.seed_everything(3)
    a = (np.random.rand(), torch.rand(2))
    runtime.seed_everything(3)
    b = (np.random.rand(), torch.rand(2))
    assert a[0] == b[0] and torch.equal(a[1], b[1])
    with pytest.raises(TypeError):
        runtime.seed_everything(1.5)


def test_banner_is_one_line(monkeypatch):
    monkeypatch.setenv("UNET_COURSE_PROFILE", "quick")
    line = runtime.banner()
    assert "\n" not in line and "profile: quick" in line and torch.__version__ in line


def test_torch_threads_restores_and_checks(monkeypatch):
    before = torch.get_num_threads()
    with runtime.torch_threads(1):
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == before
    with pytest.raises(ValueError, match=">= 1"):
        with runtime.torch_threads(0):
            pass
    monkeypatch.setenv("UNET_COURSE_PROFILE", "full")
    assert runtime.use_profile_threads() == before  # full profile: left alone


def test_cudnn_autotune_switch(monkeypatch):
    runtime.seed_everything(0)
    assert (torch.backends.cudnn.benchmark, torch.backends.cudnn.deterministic) == (False, True)
    with runtime.cudnn_autotune(True):
        assert (torch.backends.cudnn.benchmark, torch.backends.cudnn.deterministic) == (True, False)
    assert (torch.backends.cudnn.benchmark, torch.backends.cudnn.deterministic) == (False, True)
    monkeypatch.setenv("UNET_COURSE_PROFILE", "full")
    monkeypatch.delenv("UNET_COURSE_DETERMINISTIC", raising=False)
    assert runtime.autotune_default("cuda") is True and runtime.autotune_default("cpu") is False
    monkeypatch.setenv("UNET_COURSE_DETERMINISTIC", "1")
    assert runtime.deterministic_requested() and runtime.autotune_default("cuda") is False
    with runtime.cudnn_autotune():  # None follows the default: off here
        assert torch.backends.cudnn.deterministic
    monkeypatch.setenv("UNET_COURSE_PROFILE", "quick")
    monkeypatch.delenv("UNET_COURSE_DETERMINISTIC")
    assert runtime.autotune_default("cuda") is False
    monkeypatch.setenv("UNET_COURSE_DETERMINISTIC", "maybe")
    with pytest.raises(ValueError, match="1/true/yes"):
        runtime.deterministic_requested()


def test_gpu_check_stops_at_once_without_cuda(tmp_path):
    """`make gpu-check` (scripts/gpu_check.py) refuses to start without a CUDA device: exit status 2,
    a message that says why, within seconds and before any work (no output folder)."""
    import os
    import subprocess
    import sys
    import time
    from pathlib import Path

    script = Path(__file__).resolve().parents[1] / "scripts" / "gpu_check.py"
    env = {**os.environ, "CUDA_VISIBLE_DEVICES": ""}  # no device, also on a GPU machine
    start = time.perf_counter()
    done = subprocess.run([sys.executable, str(script), "--out", str(tmp_path / "out")], env=env,
                          capture_output=True, text=True, timeout=120)
    seconds = time.perf_counter() - start
    assert done.returncode == 2, done
    assert "no CUDA device" in done.stderr and "make test" in done.stderr
    assert not (tmp_path / "out").exists()
    assert seconds < 60, seconds  # torch's import is the whole cost (about 2 s on an idle machine)


def test_full_profile_budget_fits_and_is_current():
    """The preface's GPU budget (book/_gpu_budget.md, scripts/gpu_budget.py) sums to at most 8
    minutes, and the committed table is what the script computes now from the models' FLOP counts,
    the step counts and the measured CPU times (rerun the script after changing any of them)."""
    import importlib.util
    import json
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    spec = importlib.util.spec_from_file_location("gpu_budget", root / "scripts" / "gpu_budget.py")
    budget = importlib.util.module_from_spec(spec)
    import sys

    sys.modules["gpu_budget"] = budget  # its dataclass looks itself up there
    spec.loader.exec_module(budget)
    host = dict(budget.HOST_DEFAULTS)
    rows = budget.budget(host, proposed=True)
    total = budget.UNIT_TESTS_S + budget.PYTEST_START_S + sum(r["total_s"] for r in rows)
    assert total <= 8 * 60, total
    committed = json.loads((root / "book" / "_gpu_budget.json").read_text())
    assert committed["total_s"] == pytest.approx(total, abs=0.5)
    text = budget.markdown(rows, host, measured=False, as_is=budget.budget(host, proposed=False))
    assert (root / "book" / "_gpu_budget.md").read_text() == text
    # the paper's U-Net: 301 GFLOP a 572 px tile, from the model's own counter
    assert budget.unet_flops(572, base_channels=64, depth=4) == pytest.approx(300.9e9, rel=1e-3)


def test_eval_mode_switches_and_restores_each_model():
    import torch.nn as nn

    from unet_course.runtime import eval_mode

    a, b = nn.Dropout(0.5), nn.Dropout(0.5).eval()
    with eval_mode(a, b):
        assert not a.training and not b.training, "inside eval_mode every model is in evaluation mode"
        assert not torch.is_grad_enabled(), "inside eval_mode no gradients are recorded"
    assert a.training and not b.training, "eval_mode restores each model's own previous mode"
    with pytest.raises(RuntimeError):
        with eval_mode(a):
            raise RuntimeError("boom")
    assert a.training, "the mode is restored even when the block fails"
    with eval_mode(a, no_grad=False):
        assert torch.is_grad_enabled()
    with pytest.raises(TypeError, match="nn.Module"):
        with eval_mode("model"):
            pass


def test_look_up_option_names_the_nearest_valid_option():
    from unet_course.runtime import look_up_option

    assert look_up_option("mirror", ("mirror", "zero")) == "mirror"
    with pytest.raises(ValueError, match=r"did you mean 'mirror'\?.*'zero'"):
        look_up_option("mirorr", ("mirror", "zero"), what="pad_mode")
    with pytest.raises(ValueError, match=r"unknown recipe 'xyz'\. The recipes are"):
        look_up_option("xyz", ["ch08_weighted"], what="recipe")


def test_as_pair():
    from unet_course.runtime import as_pair

    assert as_pair(3, "size") == (3, 3) and as_pair((2, 5), "size") == (2, 5)
    with pytest.raises(TypeError, match="pair of ints"):
        as_pair(True, "size")
    with pytest.raises(TypeError, match="pair of ints"):
        as_pair((1, 2, 3), "size")
    with pytest.raises(ValueError, match=">= 1"):
        as_pair(0, "size", 1)


def test_mirror_index_numpy_and_torch_agree_with_numpy_pad():
    from unet_course.mirror import mirror_index, mirror_indices

    for n in (1, 2, 5):
        i = np.arange(-13, n + 13)
        expected = np.pad(np.arange(n), 13, mode="reflect") if n > 1 else np.zeros_like(i)
        np.testing.assert_array_equal(mirror_index(i, n), expected)
        np.testing.assert_array_equal(mirror_index(torch.from_numpy(i), n).numpy(), expected)
        np.testing.assert_array_equal(mirror_indices(n, 13, 13), expected)


def test_resolve_device_checks_before_any_work(monkeypatch):
    assert runtime.resolve_device("cpu") == torch.device("cpu")
    assert runtime.resolve_device("auto") == runtime.device() == runtime.resolve_device(None)
    with pytest.raises(ValueError, match=r"'gpu' is not a device; use one of auto, cpu, cuda, cuda:N, mps"):
        runtime.resolve_device("gpu")
    with pytest.raises(ValueError, match="not a device"):
        runtime.resolve_device("cuda:x")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(ValueError, match=r"--device cuda: no CUDA GPU is available here .*--device cpu"):
        runtime.resolve_device("cuda")
    with pytest.raises(ValueError, match="no CUDA GPU"):
        runtime.resolve_device("cuda:0")
    assert runtime.resolve_device("auto") == torch.device("cpu")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    assert runtime.resolve_device("CUDA:1") == torch.device("cuda", 1)
    with pytest.raises(ValueError, match=r"cuda:2: this machine has 2 CUDA GPU\(s\), numbered 0..1"):
        runtime.resolve_device("cuda:2")
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    with pytest.raises(ValueError, match=r"--device mps: Apple's Metal \(MPS\) backend is not available"):
        runtime.resolve_device("mps")


@pytest.fixture
def python_sigint_handler():
    """Python's own SIGINT handler for the test (a shell may start pytest with SIGINT ignored)."""
    import signal

    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


def test_stop_on_interrupt_defers_the_first_ctrl_c_and_restores_the_handler(python_sigint_handler):
    import os
    import signal

    done = []
    with runtime.stop_on_interrupt() as stop:
        for step in range(100):
            if step == 3:
                os.kill(os.getpid(), signal.SIGINT)  # the first Ctrl-C only asks to stop
            done.append(step)
            if stop.requested:
                break
    assert stop.requested and done == [0, 1, 2, 3], f"stopped after the step it came in, not {done}"
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    with runtime.stop_on_interrupt() as stop:
        raise KeyboardInterrupt  # raised inside: ends the block, does not propagate
    assert stop.requested
    with pytest.raises(ZeroDivisionError):
        with runtime.stop_on_interrupt():
            1 / 0
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
