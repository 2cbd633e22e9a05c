"""Chapter 09's experiment pipeline and the checkpoints it shipped.

The checkpoints ``unet_course/checkpoints/ch09_*.pt`` were written by
``python -m unet_course.experiments``. These tests check that

- each checkpoint's recipe starts training exactly as the stored history says (same tiles,
  same initialisation, same losses), so the file came from the recipe;
- re-scoring each checkpoint on its recipe's held-out data gives the scores stored with it, and
  those scores clear a quality floor;
- the pieces (data, prediction with mirror or zero extrapolation, scores) behave.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from unet_course import tiling
from unet_course.experiments import paper as E
from unet_course.data import isbi_available
from unet_course.models import UNet

SHIPPED = [name for name in E.RECIPES if E.checkpoint_path(name).is_file()]

# what each shipped model must reach on its held-out data (quick profile, small U-Net)
FLOORS = {
    "ch09_isbi": {"rand_error": ("<", 0.12), "pixel_error": ("<", 0.15), "warping_error": ("<", 0.02)},
    "ch09_em": {"rand_error": ("<", 0.35), "pixel_error": ("<", 0.15), "warping_error": ("<", 0.01)},
    "ch09_nuclei": {"iou": (">", 0.7), "f1": (">", 0.6)},
    # without the weight map's border term touching cells merge: the IoU holds, the F1 need not
    "ch09_phc_noweights": {"iou": (">", 0.6)},
    # DIC-like relief with one shear direction and tiles kept upright: IoU and F1 floors of chapter 09's DIC row
    "ch09_dic": {"iou": (">", 0.75), "f1": (">", 0.6)},
    # the previous recipe (a shear direction per image, rotated tiles): foreground, but no separated cells
    "ch09_dic_anyshear": {"iou": (">", 0.45)},
}
CELL_FLOOR = {"iou": (">", 0.6), "f1": (">", 0.5)}
# the ISBI model averaged over the square's eight symmetries (the chapter's Table 1 row)
AVERAGED_FLOORS = {"ch09_isbi": {"rand_error": 0.10, "warping_error": 0.015}}


def _needs_data(name: str) -> None:
    if E.RECIPES[name].task == "isbi" and not isbi_available():
        pytest.skip("the ISBI 2012 data is absent (set UNET_COURSE_DATA)")


def test_recipes_are_consistent():
    assert SHIPPED, "no ch09 checkpoint is shipped in unet_course/checkpoints/"
    for name, recipe in E.RECIPES.items():
        assert name.startswith("ch09_")
        assert recipe.task in E.TASKS
        model = recipe.model()
        if recipe.padding == "valid":
            assert model.valid_input_size(recipe.tile) == recipe.tile, name
        else:
            assert recipe.tile % 2**recipe.depth == 0, name
        full = E.full_profile(recipe)
        big = full.model()
        assert (full.base_channels, full.depth) == (64, 4)
        # the label tile fits the smallest training image: ISBI slices are 512, the nuclei part 384 wide
        smallest = {"isbi": 512, "nuclei": 384}.get(full.task, full.image_size)
        assert big.output_size(full.tile) <= smallest, name


@pytest.mark.parametrize("name", SHIPPED)
def test_checkpoint_is_small_and_describes_its_recipe(name):
    path = E.checkpoint_path(name)
    assert path.stat().st_size < 2_000_000, f"{path.name} is {path.stat().st_size / 1e6:.2f} MB"
    model, meta = E.load_experiment(name)
    recipe = E.RECIPES[name]
    assert meta["recipe"] == name and meta["task"] == recipe.task
    assert meta["steps"] == recipe.steps
    for key in ("base_channels", "depth", "padding", "tile", "weighted", "elastic", "lr", "seed", "batch_size"):
        assert meta[key] == getattr(recipe, key), key
    assert meta.get("lr_schedule") == recipe.lr_schedule  # older checkpoints have no schedule: None
    assert isinstance(model, UNet) and model.padding == recipe.padding


@pytest.mark.parametrize("name", SHIPPED)
def test_recipe_reproduces_the_start_of_the_stored_training(name):
    _needs_data(name)
    from unet_course.train import load_checkpoint

    stored = load_checkpoint(E.checkpoint_path(name)).history.loss
    assert len(stored) == E.RECIPES[name].steps
    run = E.run_experiment(E.RECIPES[name], name=name, steps=3, score=False, device="cpu", progress=False)
    np.testing.assert_allclose(run.history.loss, stored[:3], rtol=2e-3)
    # and training lowered the loss: the last 50 steps average well below the first 50
    assert np.mean(stored[-50:]) < 0.8 * np.mean(stored[:50])


@pytest.mark.parametrize("name", SHIPPED)
def test_checkpoint_scores_are_re_derived_and_clear_the_floor(name):
    _needs_data(name)
    model, meta = E.load_experiment(name)
    _, test = E.RECIPES[name].data(test_only=True)
    scores = E.evaluate(model, test, E.RECIPES[name].task)
    for key, stored in meta["scores"].items():
        assert scores[key] == pytest.approx(stored, abs=0.01), key
    floors = FLOORS.get(name, CELL_FLOOR)
    for key, (op, bound) in floors.items():
        assert (scores[key] < bound) if op == "<" else (scores[key] > bound), (key, scores[key])
    if name in AVERAGED_FLOORS:
        from unet_course.tiling import DIHEDRAL

        averaged = E.evaluate(model, test, E.RECIPES[name].task, transforms=DIHEDRAL)
        for key, stored in meta["scores_averaged"].items():
            assert averaged[key] == pytest.approx(stored, abs=0.01), key
        for key, bound in AVERAGED_FLOORS[name].items():
            assert averaged[key] < bound, (key, averaged[key])
        assert averaged["rand_error"] < scores["rand_error"]  # the averaging helps


def test_prediction_covers_the_image_and_zero_extrapolation_differs_at_the_border():
    torch.manual_seed(0)
    model = UNet(base_channels=4, depth=2, padding="valid", dropout=0.0)
    image = np.random.default_rng(0).random((50, 70)).astype(np.float32)
    mirror = tiling.predict_probability(model, image, "mirror")
    zero = tiling.predict_probability(model, image, "zero")
    assert mirror.shape == zero.shape == image.shape
    assert np.all((mirror >= 0) & (mirror <= 1))
    # far enough from the border (the margin plus the pooling grid's slack) the context lies
    # inside the image, and the extrapolation does not matter
    far = model.margin + 2**model.depth
    inner = (slice(far, -far), slice(far, -far))
    np.testing.assert_allclose(mirror[inner], zero[inner], atol=1e-6)
    assert np.abs(mirror - zero).max() > 1e-4
    with pytest.raises(ValueError, match="pad_mode"):
        tiling.predict_probability(model, image, "edge")


def test_task_data_shapes_and_conventions():
    train, test = E.task_data("phase_contrast", train_images=2, test_images=1, image_size=96, n_cells=8)
    assert len(train) == 2 and len(test) == 1
    for image, target, weights, inst in zip(train.images, train.targets, train.weights, train.instances):
        assert image.shape == target.shape == weights.shape == inst.shape == (96, 96)
        assert set(np.unique(target)) <= {0, 1} and target.dtype == np.int64
        assert np.all(target <= (inst > 0))  # separation borders only remove foreground
        assert weights.max() > 2  # the border term of the weight map is there
    _, plain = E.task_data("phase_contrast", train_images=1, test_images=1, image_size=96, n_cells=8, weighted=False)
    assert len(np.unique(plain.weights[0])) == 2  # the class balance w_c alone: one value per class
    none, em = E.task_data("em_synthetic", test_images=2, image_size=64, test_only=True)
    assert none is None and len(em) == 2 and em.instances == [None, None]
    with pytest.raises(ValueError, match="task"):
        E.task_data("mri")


def test_evaluate_scores_a_perfect_cell_model_as_perfect(monkeypatch):
    _, test = E.task_data("dic", test_images=2, image_size=96, n_cells=8, test_only=True)
    lookup = {id(img): tgt for img, tgt in zip(test.images, test.targets)}

    def oracle(model, image, pad_mode="mirror", device=None, transforms=None):
        return lookup[id(image)].astype(np.float32)

    monkeypatch.setattr(tiling, "predict_probability", oracle)
    scores = E.evaluate(None, test, "dic")
    # the target has the separation borders cut: every cell is its own component
    assert scores["f1"] == 1.0 and scores["precision"] == 1.0
    assert 0.8 < scores["iou"] < 1.0  # the cut borders are the only disagreement with the true cells


def test_markdown_table():
    table = E.markdown_table(["name", "x"], [["a", 0.000353], ["b", None]])
    assert table.splitlines() == ["| name | x |", "|---|---|", "| a | 0.000353 |", "| b | – |"]
    with pytest.raises(ValueError, match="cells"):
        E.markdown_table(["a"], [[1, 2]])


def test_prediction_averaged_over_symmetries():
    from unet_course.tiling import DIHEDRAL, predict_tiled, predict_tiled_averaged

    torch.manual_seed(0)
    model = UNet(base_channels=4, depth=2, padding="valid", dropout=0.0)
    image = np.random.default_rng(1).random((40, 56)).astype(np.float32)
    plain = tiling.predict_probability(model, image)
    # one whole-image tile gives what the default tiles give
    ref = torch.softmax(torch.from_numpy(predict_tiled(model, image, progress=False)), 0)[1].numpy()
    np.testing.assert_allclose(plain, ref, atol=1e-6)
    averaged = tiling.predict_probability(model, image, transforms=DIHEDRAL)
    np.testing.assert_allclose(averaged, predict_tiled_averaged(model, image)[1], atol=1e-6)
    assert np.abs(averaged - plain).max() > 1e-4
    np.testing.assert_allclose(tiling.predict_probability(model, image, transforms=["identity"]), plain, atol=1e-6)
    _, test = E.task_data("em_synthetic", test_images=1, image_size=64, test_only=True)
    scores = E.evaluate(model, test, "em_synthetic", transforms=("identity", "rot180"))
    assert set(scores) >= {"warping_error", "rand_error", "pixel_error"}
    with pytest.raises(ValueError, match="unknown transform"):
        E.evaluate(model, test, "em_synthetic", transforms=("rot45",))


def test_fixed_shear_direction_changes_only_the_relief():
    from unet_course.data import synthetic_cells

    drawn = synthetic_cells(96, 12, rendering="dic", noise=0.0, seed=4)
    np.testing.assert_array_equal(synthetic_cells(96, 12, rendering="dic", noise=0.0, seed=4, shear_angle=None).image,
                                  drawn.image)  # the default is unchanged
    east = synthetic_cells(96, 12, rendering="dic", noise=0.0, seed=4, shear_angle=0.0)
    west = synthetic_cells(96, 12, rendering="dic", noise=0.0, seed=4, shear_angle=np.pi)
    np.testing.assert_array_equal(east.instances, drawn.instances)
    # a shear turned by 180 degrees negates the relief: once the smooth illumination is taken out
    # (a high-pass), the two images are nearly each other's negative
    a, b = east.image - ndimage_smooth(east.image, 6), west.image - ndimage_smooth(west.image, 6)
    assert np.corrcoef(a.ravel(), b.ravel())[0, 1] < -0.9
    # with shear along +x a cell is bright where its thickness rises to the east (its west rim)
    inside = east.instances > 0
    rising = np.gradient(ndimage_smooth(inside.astype(float), 1.5), axis=1) > 0.05
    assert east.image[rising].mean() > east.image[~inside].mean() + 0.02
    with pytest.raises(ValueError, match="shear_angle"):
        synthetic_cells(64, 4, rendering="phase_contrast", shear_angle=0.0)
    with pytest.raises(ValueError, match="shear_angle"):
        E.task_data("phase_contrast", train_images=1, test_images=1, image_size=64, n_cells=4, shear_angle=0.0)


def ndimage_smooth(x: np.ndarray, sigma: float) -> np.ndarray:
    from scipy import ndimage as ndi

    return ndi.gaussian_filter(x, sigma)


def test_augmenter_without_rotation_keeps_the_orientation():
    plain = E.augmenter(elastic=False, rotate=False)
    assert plain.max_angle == 0.0 and not plain.flips and plain.elastic_sigma == 0.0
    paper = E.augmenter()
    assert paper.max_angle == 180.0 and paper.flips and paper.elastic_sigma == 10.0
    # without grey values, elastic deformation, rotation and flips a tile is the image itself
    from dataclasses import replace

    still = replace(plain, gray=False)
    image = np.random.default_rng(0).random((24, 24)).astype(np.float32)
    np.testing.assert_allclose(still(image, rng=3).image, image, atol=1e-5)


def test_simple_point_figure_marks_one_simple_and_one_non_simple_pixel():
    import matplotlib

    matplotlib.use("Agg")
    from scipy import ndimage as ndi

    from unet_course.metrics import isbi
    from unet_course.viz.simple_points import component_counts, plot_simple_points, simple_point_example

    example = simple_point_example()

    def counts(patch):  # brute force, independent of the package: label the framed patch both ways
        framed = np.pad(patch, 1)
        return (ndi.label(framed, ndi.generate_binary_structure(2, 1))[1],
                ndi.label(~framed, ndi.generate_binary_structure(2, 2))[1])

    for pixel, simple in ((example.simple, True), (example.not_simple, False)):
        flipped = example.interior.copy()
        flipped[pixel] = ~flipped[pixel]
        assert (counts(flipped) == counts(example.interior)) is simple
        assert component_counts(flipped) == counts(flipped)
        assert bool(isbi.simple_points(example.interior)[pixel]) is simple
    assert component_counts(example.interior) == (1, 1)
    fig = plot_simple_points()
    assert len(fig.axes) == 3
    with pytest.raises(ValueError, match="three axes"):
        plot_simple_points(fig.axes[:2])
    with pytest.raises(ValueError, match="2-D"):
        component_counts(np.zeros(5, dtype=bool))


def test_predict_tta_key_follows_the_measurement():
    from unet_course import quiz
    from unet_course.questions import ch09_experiments as Q

    question = next(q for q in quiz.questions() if q.id == "09.predict-tta")
    saved = dict(Q._TTA_MEASURED)
    try:
        Q._TTA_MEASURED.clear()
        _, meta = E.load_experiment("ch09_isbi")
        stored_lower = meta["scores_averaged"]["rand_error"] < meta["scores"]["rand_error"]
        assert question._answer == (0 if stored_lower else 1)
        for single, averaged, key in ((0.10, 0.09, 0), (0.10, 0.11, 1), (0.10, 0.10, 2)):
            Q.record_tta(single, averaged)
            assert question._answer == key and key not in question.wrong and len(question.wrong) == 2
            assert question.grade(key)[0] and not question.grade((key + 1) % 3)[0]
        with pytest.raises(ValueError, match="Rand error"):
            Q.record_tta(0.1, 1.5)
        with pytest.raises(ValueError, match="Rand error"):
            Q.record_tta("low", 0.1)
    finally:
        Q._TTA_MEASURED.clear()
        Q._TTA_MEASURED.update(saved)
