"""python -m unet_course.experiments: one command line for every shipped checkpoint's recipe."""

from __future__ import annotations

import pytest

from unet_course.experiments import RECIPES, main
from unet_course.train import CHECKPOINT_DIR


def test_every_shipped_checkpoint_has_a_recipe():
    shipped = sorted(p.stem for p in CHECKPOINT_DIR.glob("*.pt"))
    assert shipped and set(shipped) <= set(RECIPES), f"checkpoints without a recipe: {set(shipped) - set(RECIPES)}"


def test_list_names_every_recipe(capsys):
    main(["--list"])
    out = capsys.readouterr().out
    assert all(name in out for name in RECIPES)


def test_names_are_required_and_checked(capsys):
    with pytest.raises(SystemExit):
        main([])
    assert "name the recipes" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["ch09_ph"])
    assert "did you mean 'ch09_phc'" in capsys.readouterr().err


def test_shipped_checkpoints_are_written_only_when_asked(capsys):
    with pytest.raises(SystemExit):
        main(["ch08_weighted", "--out", str(CHECKPOINT_DIR)])
    assert "--into-package" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["ch08_weighted", "--out", "x", "--into-package"])


def test_each_shipped_checkpoint_names_the_command_that_remakes_it_today(monkeypatch, tmp_path, capsys):
    """Chapter 08 prints this command; it must run with today's command line and name its own recipe."""
    import shlex

    from unet_course.experiments import registry, remake_command
    from unet_course.train import load_checkpoint

    calls = []

    def fake_retrain(name, out_dir, **options):  # records what the command line would retrain, trains nothing
        calls.append((name, out_dir, options))
        path = tmp_path / f"{name}.pt"
        path.write_bytes(b"x")
        return path

    monkeypatch.setattr(registry, "retrain", fake_retrain)
    for path in sorted(CHECKPOINT_DIR.glob("ch0[89]_*.pt")):
        command = remake_command(load_checkpoint(path).meta)
        words = shlex.split(command)
        assert words[:3] == ["python", "-m", "unet_course.experiments"], f"{path.name}: {command}"
        calls.clear()
        main(words[3:])
        assert [(c[0], c[1]) for c in calls] == [(path.stem, CHECKPOINT_DIR)], (
            f"{path.name}: `{command}` should retrain {path.stem} into the package's checkpoint folder")
    assert remake_command({"command": "python -m unet_course.train ch08_weighted --replicates 1 2"}) == (
        "python -m unet_course.experiments ch08_weighted --replicates 1 2 --into-package")
    with pytest.raises(ValueError, match="no command"):
        remake_command({})


def test_importing_the_main_module_runs_nothing(monkeypatch, capsys):
    import importlib
    import sys

    from unet_course.experiments import registry

    calls = []
    monkeypatch.setattr(registry, "main", lambda *a, **k: calls.append(a))
    monkeypatch.setattr(sys, "argv", ["python", "--list"])
    monkeypatch.delitem(sys.modules, "unet_course.experiments.__main__", raising=False)
    importlib.import_module("unet_course.experiments.__main__")
    assert calls == [], "importing unet_course.experiments.__main__ ran the command line"
    assert capsys.readouterr().out == ""


def test_python_dash_m_still_runs_the_command_line():
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "unet_course.experiments", "--list"], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert all(name in done.stdout for name in RECIPES)
