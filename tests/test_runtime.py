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
