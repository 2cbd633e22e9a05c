"""Exercises of chapter 12: the nuclei image through the command line's steps, and its failures."""

from __future__ import annotations

import numpy as np

from unet_course import quiz
from unet_course.quiz.catalog import N_


def _parts() -> tuple[np.ndarray, np.ndarray]:
    """The instance labels of the nuclei image's training part and of the strip ``train`` holds out."""
    import tifffile

    from unet_course.cli_train import split_validation
    from unet_course.data import nuclei_files
    from unet_course.data.targets import as_instances

    truth = as_instances(tifffile.imread(nuclei_files()[1]).astype(np.int64), "labels")
    (_, train, _), (_, held, _) = split_validation([truth.shape], 0.2)
    return truth[train], truth[held]


def _heldout_nuclei() -> float:
    """Nuclei with every pixel in the held-out strip."""
    train, held = _parts()
    return float(len(set(np.unique(held[held > 0]).tolist()) - set(np.unique(train[train > 0]).tolist())))


def _output_tile() -> float:
    from unet_course.models import UNet

    return float(UNet(1, 2, base_channels=8, depth=3, padding="valid").output_size(164))


# --- 12.count-merged: the reference and the plausible wrong implementations -----------------


def count_merged_reference(pred, truth):
    """The number of predicted objects that hold at least half of each of two or more true objects."""
    from unet_course.metrics import merges_and_splits

    return len(merges_and_splits(np.asarray(pred), np.asarray(truth), 0.5).merges)


def _overlaps(pred, truth):
    """``{predicted id: {true id: overlapping pixels}}`` (background included as id 0), and the areas."""
    pred, truth = np.asarray(pred), np.asarray(truth)
    table: dict[int, dict[int, int]] = {}
    for p in np.unique(pred[pred > 0]):
        ids, counts = np.unique(truth[pred == p], return_counts=True)
        table[int(p)] = dict(zip(ids.tolist(), counts.tolist()))
    areas = dict(zip(*(a.tolist() for a in np.unique(truth, return_counts=True))))
    return table, areas


def _merged_any_overlap(pred, truth):
    """Wrong: a predicted object touching two true objects, however little, counts."""
    table, _ = _overlaps(pred, truth)
    return sum(len([t for t in row if t > 0]) >= 2 for row in table.values())


def _merged_true_count(pred, truth):
    """Wrong: counts the true objects inside merges, not the predicted objects."""
    table, areas = _overlaps(pred, truth)
    held = [[t for t, n in row.items() if t > 0 and n >= 0.5 * areas[t]] for row in table.values()]
    return sum(len(h) for h in held if len(h) >= 2)


def _merged_with_background(pred, truth):
    """Wrong: the background (id 0) is taken for a true object."""
    table, areas = _overlaps(pred, truth)
    return sum(len([t for t, n in row.items() if n >= 0.5 * areas[t] or t == 0]) >= 2 for row in table.values())


def _merged_share_of_prediction(pred, truth):
    """Wrong: the half is measured against the predicted object's area instead of the true object's."""
    table, _ = _overlaps(pred, truth)
    return sum(len([t for t, n in row.items() if t > 0 and n >= 0.5 * sum(row.values())]) >= 2
               for row in table.values())


def _squares(*boxes: tuple[int, int, int, int, int], shape: tuple[int, int] = (12, 20)) -> np.ndarray:
    image = np.zeros(shape, dtype=np.int64)
    for label, r0, r1, c0, c1 in boxes:
        image[r0:r1, c0:c1] = label
    return image


def _merged_cases() -> list[tuple[np.ndarray, np.ndarray]]:
    """Small label images, each built to catch one mistake, then a crop of the nuclei labels with
    three pairs of neighbouring nuclei merged and one nucleus missed."""
    two = _squares((1, 2, 8, 2, 8), (2, 2, 8, 10, 16))                      # two true squares, 36 px each
    cases = [
        (_squares((1, 2, 8, 2, 16)), two),                                  # one object over both: a merge
        (two.copy(), two),                                                  # perfect: none
        (_squares((3, 2, 8, 2, 13)), two),                                  # all of one, half of the other
        (_squares((3, 1, 11, 1, 10)), two),                                 # one nucleus and background around it
        (_squares((3, 2, 8, 2, 12)), two),                                  # all of one, a third of the other
        (_squares((7, 1, 11, 1, 19)), _squares((5, 2, 8, 2, 8), (9, 2, 4, 10, 12))),  # big one and a small one
        (_squares((1, 2, 8, 2, 5), (2, 2, 8, 5, 8)), _squares((4, 2, 8, 2, 8))),       # a split, not a merge
        (_squares((1, 2, 8, 2, 8), (2, 2, 8, 10, 16)) * 0, two),            # nothing predicted
    ]
    truth = _parts()[0][100:260, 100:260]
    from scipy import ndimage

    pred = truth.copy()
    merged = 0
    used: set[int] = set()
    for t in np.unique(truth[truth > 0]):
        if merged == 3 or t in used:
            continue
        ring = ndimage.binary_dilation(truth == t, iterations=2) & (truth != t) & (truth > 0)
        near = [int(n) for n in np.unique(truth[ring]) if int(n) not in used]
        if near:
            pred[truth == near[0]] = t
            used.update({int(t), near[0]})
            merged += 1
    missing = [int(t) for t in np.unique(truth[truth > 0]) if int(t) not in used][0]
    pred[truth == missing] = 0
    cases.append((pred, truth))
    return cases


def _compare_merged(yours, ref, args) -> str | None:
    pred, truth = args
    if not isinstance(yours, (int, np.integer)) or isinstance(yours, bool):
        return N_('your function returned {kind} {value}; return the count as an integer').format(kind=type(yours).__name__, value=repr(yours))
    if int(yours) == ref:
        return None
    if int(yours) == _merged_true_count(pred, truth):
        return N_("you counted the true nuclei inside merged objects; count the predicted objects, each merge once")
    if int(yours) == _merged_share_of_prediction(pred, truth):
        return (N_("you measured the half against the predicted object's area; a merge holds at least half "
                   "of each true nucleus, so divide by the true nucleus's area"))
    if int(yours) == _merged_any_overlap(pred, truth):
        return (N_("you counted a predicted object that touches two true nuclei, however little; it must hold "
                   "at least half of each of them"))
    if int(yours) == _merged_with_background(pred, truth):
        return N_("you counted the background (id 0) as a true object; only ids above 0 are nuclei")
    if int(yours) > ref:
        return N_('you found {count} merged objects, more than there are').format(count=int(yours))
    return N_('you found {count} merged objects, fewer than there are').format(count=int(yours))


QUESTIONS = [
    quiz.Numeric(
        "12.predict-output-tile",
        "Predict before you run: the command line's default U-Net (8 base channels, depth 3, valid "
        "3 x 3 convolutions) takes input tiles of 164 x 164 pixels on a CPU. What side, in pixels, "
        "does its output (label) tile have? Answer as an integer.",
        _output_tile,
        rtol=0.0,
        atol=0.5,
        hint="Walk the sizes as in chapter 05: every 3 x 3 convolution without padding takes 2 pixels off, "
        "every pooling halves, every up-convolution doubles; there are two convolutions at each level.",
        wrong=[164, 132, 80, 88],
    ),
    quiz.Numeric(
        "12.heldout-nuclei",
        "How many nuclei of the truth lie wholly inside the strip that `train` holds out (every pixel "
        "of them in the strip's columns)? Answer as an integer.",
        _heldout_nuclei,
        rtol=0.0,
        atol=0.5,
        hint="Take the ids that appear in the strip, and leave out those that also appear in the training part.",
        wrong=[23, 4, 106, 125],
    ),
    quiz.CodeExercise(
        "12.count-merged",
        "Write `count_merged(pred, truth)`: the number of predicted objects that each hold at least "
        "half of the pixels of two or more true nuclei (0 is the background in both label images; ids "
        "need not be consecutive). Return an integer.",
        count_merged_reference,
        _merged_cases,
        compare=_compare_merged,
        hint="For each predicted object, look at the true ids under it and how many of each true nucleus's "
        "pixels it covers, as a share of that nucleus's area.",
        wrong=[_merged_any_overlap, _merged_true_count, _merged_with_background, _merged_share_of_prediction],
    ),
    quiz.TrueFalse(
        "12.scores-held-out",
        "The scores that `python -m unet_course evaluate predicted/img2d.tif mask2d.tif` prints "
        "measure how well the model segments nuclei it never saw in training.",
        False,
        hint="Which columns of img2d.tif did `train` cut its training tiles from?",
        explanation="`train` held out only the right fifth of the image; the left four fifths were its "
        "training data, so most of the nuclei scored by `evaluate` on the whole image were seen, labels "
        "and all. Only the held-out strip (or another image) measures generalisation.",
        wrong=[True],
    ),
]
