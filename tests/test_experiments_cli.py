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
