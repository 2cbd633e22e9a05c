"""Instance AP over IoU 0.50:0.95 and panoptic quality, against StarDist's own ``matching``.

The reference is ``stardist/matching.py`` of the installed wheel (0.9.2, installed without its
dependencies). It imports ``numba`` (for a ``@jit`` on a counting loop) and ``csbdeep`` (for a
one-line ``_raise``), neither of which the course installs; the file is loaded on its own with
those two names stubbed by plain Python equivalents for the duration of the import, so the
reference's matching, IoU and scores are StarDist's code, unchanged.

Where a score is undefined StarDist reports 0 and we report NaN; the tests check both sides of
that difference explicitly. StarDist computes IoU in float32; the test checks that on its maps
float32 rounding decides no match (exact ties such as an IoU of 0.6 at 0.6 occur and agree).
"""

from __future__ import annotations

import importlib.util
import math
import sys
import types
from pathlib import Path

import numpy as np
import pytest
import torch

from unet_course.metrics import (
    AP_THRESHOLDS,
    average_precision,
    evaluate_instances,
    iou_matrix,
    match_counts,
    match_instances,
    panoptic_quality,
)
from unet_course.metrics.instances import MatchCounts, pool_counts

THRESHOLDS = (0.1, 0.3, 0.5, *AP_THRESHOLDS[1:])


def _load_stardist_matching() -> types.ModuleType:
    spec = importlib.util.find_spec("stardist")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("stardist (pip install --no-deps stardist==0.9.2) is not installed: no reference")
    path = Path(next(iter(spec.submodule_search_locations))) / "matching.py"
    numba = types.ModuleType("numba")
    numba.jit = lambda *args, **kwargs: args[0] if args and callable(args[0]) else (lambda f: f)
    csbdeep, csbdeep_utils = types.ModuleType("csbdeep"), types.ModuleType("csbdeep.utils")

    def _raise(e):
        raise e

    csbdeep_utils._raise = _raise
    csbdeep.utils = csbdeep_utils
    stubs = {"numba": numba, "csbdeep": csbdeep, "csbdeep.utils": csbdeep_utils}
    missing = {name: m for name, m in stubs.items() if importlib.util.find_spec(name.split(".")[0]) is None}
    saved = {name: sys.modules.get(name) for name in missing}
    sys.modules.update(missing)  # only for the import below; the real packages are used when present
    try:
        loader_spec = importlib.util.spec_from_file_location("_stardist_matching_reference", path)
        module = importlib.util.module_from_spec(loader_spec)
        loader_spec.loader.exec_module(module)
    finally:
        for name, old in saved.items():
            if old is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = old
    return module


@pytest.fixture(scope="module")
def stardist():
    return _load_stardist_matching()


def blobs(rng: np.random.Generator, shape=(64, 64), n=14) -> np.ndarray:
    """Random discs drawn one over another: touching and overlapping blobs, ids not consecutive."""
    yy, xx = np.mgrid[: shape[0], : shape[1]]
    lab = np.zeros(shape, np.int32)
    for k in rng.permutation(np.arange(1, 3 * n))[:n]:
        cy, cx = rng.uniform(0, shape[0]), rng.uniform(0, shape[1])
        r = rng.uniform(3.0, 9.0)
        lab[(yy - cy) ** 2 + (xx - cx) ** 2 <= r * r] = k
    return lab


def perturbed(rng: np.random.Generator, lab: np.ndarray) -> np.ndarray:
    """A prediction of ``lab``: shifted, two objects merged, one dropped, one spurious, ids renamed."""
    pred = np.roll(lab, tuple(rng.integers(-2, 3, 2)), axis=(0, 1)).astype(np.int64)
    ids = np.unique(pred[pred > 0])
    if len(ids) >= 3:
        a, b, c = rng.choice(ids, 3, replace=False)
        pred[pred == b] = a  # a merge
        pred[pred == c] = 0  # a miss
    yy, xx = np.mgrid[: lab.shape[0], : lab.shape[1]]
    cy, cx = rng.uniform(0, lab.shape[0], 2)
    pred[(yy - cy) ** 2 + (xx - cx) ** 2 <= 16] = 999  # a spurious object (or a cut into one)
    rename = np.concatenate([[0], rng.permutation(1000) + 7])
    return rename[pred]


def _pairs():
    out = []
    for seed in range(4):
        rng = np.random.default_rng(seed)
        truth = blobs(rng)
        out.append((f"seed{seed}", perturbed(rng, truth), truth))
    empty = np.zeros((64, 64), np.int32)
    truth = blobs(np.random.default_rng(9))
    out += [("empty prediction", empty, truth), ("empty truth", truth, empty), ("both empty", empty, empty),
            ("identical", truth, truth)]
    return out


PAIRS = _pairs()


def _undefined(value: float, reference: float) -> bool:
    """Our NaN where StarDist reports 0 (an undefined ratio)."""
    return math.isnan(value) and reference == 0


def _assert_same(ours: MatchCounts, ref, label: str) -> None:
    assert (ours.tp, ours.fp, ours.fn) == (ref.tp, ref.fp, ref.fn), f"{label}: counts {ours} vs {ref}"
    assert (ours.tp + ours.fn, ours.tp + ours.fp) == (ref.n_true, ref.n_pred), label
    for name, value, expected in [
        ("precision", ours.precision, ref.precision), ("recall", ours.recall, ref.recall),
        ("f1", ours.f1, ref.f1), ("accuracy (AP at t)", ours.ap, ref.accuracy),
        ("mean_matched_score (SQ)", ours.sq, ref.mean_matched_score),
        ("panoptic_quality", ours.pq, ref.panoptic_quality),
    ]:
        if _undefined(value, expected):
            continue
        assert value == pytest.approx(expected, rel=1e-5, abs=1e-6), f"{label}: {name} {value} vs stardist {expected}"


@pytest.mark.parametrize("label, pred, truth", PAIRS, ids=[p[0] for p in PAIRS])
def test_counts_and_scores_equal_stardist_matching(stardist, label, pred, truth):
    iou, _, _ = iou_matrix(pred, truth)
    for t in THRESHOLDS:  # stardist compares float32 IoU; make sure that rounding decides nothing here
        same = (iou.astype(np.float32) >= np.float32(t)) == (iou >= t)
        assert same.all(), f"{label}: float32 rounding of an IoU decides a match at {t}"
    ref = stardist.matching(truth, pred, thresh=THRESHOLDS)
    ours = match_counts(pred, truth, THRESHOLDS)
    for o, r in zip(ours, ref):
        _assert_same(o, r, f"{label} at IoU {r.thresh}")
    ap_ref = np.mean([r.accuracy for r in stardist.matching(truth, pred, thresh=AP_THRESHOLDS)])
    pq_ref = stardist.matching(truth, pred, thresh=0.5).panoptic_quality
    if label == "both empty":
        assert math.isnan(average_precision(pred, truth)) and math.isnan(panoptic_quality(pred, truth))
        assert ap_ref == 0 and pq_ref == 0  # stardist's convention for "nothing to score"
    else:
        assert average_precision(pred, truth) == pytest.approx(ap_ref, rel=1e-6)
        assert panoptic_quality(pred, truth) == pytest.approx(pq_ref, rel=1e-5)


def test_the_random_maps_exercise_every_case(stardist):
    """The comparison above is worth something only if it saw merges, misses and partial matches."""
    seen = [match_counts(p, t, (0.5,))[0] for _, p, t in PAIRS[:4]]
    assert all(c.tp > 3 and c.fp > 0 and c.fn > 0 for c in seen), seen
    aps = [average_precision(p, t) for _, p, t in PAIRS[:4]]
    assert all(0.05 < a < 0.9 for a in aps), aps
    assert len({round(a, 6) for a in aps}) == 4


def test_pooled_scores_equal_stardist_matching_dataset(stardist):
    preds, truths = [p for _, p, _ in PAIRS], [t for _, _, t in PAIRS]
    scores = evaluate_instances(preds, truths, iou_threshold=0.6)
    ref = stardist.matching_dataset(truths, preds, thresh=(0.6, 0.5, *AP_THRESHOLDS), show_progress=False)
    pooled = scores.pooled
    assert (pooled["tp"], pooled["fp"], pooled["fn"]) == (ref[0].tp, ref[0].fp, ref[0].fn)
    for key, name in [("precision", "precision"), ("recall", "recall"), ("f1", "f1")]:
        assert pooled[key] == pytest.approx(getattr(ref[0], name), rel=1e-6), key
    assert pooled["pq"] == pytest.approx(ref[1].panoptic_quality, rel=1e-5)
    assert pooled["sq"] == pytest.approx(ref[1].mean_matched_score, rel=1e-5)
    assert pooled["rq"] == pytest.approx(ref[1].f1, rel=1e-6)
    assert pooled["ap"] == pytest.approx(np.mean([r.accuracy for r in ref[2:]]), rel=1e-6)
    for r in ref[2:]:
        assert pooled["ap_by_threshold"][f"{r.thresh:.2f}"] == pytest.approx(r.accuracy, rel=1e-6)


def test_per_image_rows_and_undefined_scores():
    names = [p[0] for p in PAIRS]
    scores = evaluate_instances([p for _, p, _ in PAIRS], [t for _, _, t in PAIRS], names=names)
    rows = {r["name"]: r for r in scores.per_image}
    for label, pred, truth in PAIRS:
        row = rows[label]
        m = match_instances(pred, truth)
        assert (row["tp"], row["fp"], row["fn"]) == (m.tp, m.fp, m.fn)
        np.testing.assert_equal([row["precision"], row["recall"], row["f1"]], [m.precision, m.recall, m.f1])
        np.testing.assert_equal(row["ap"], average_precision(pred, truth))
        np.testing.assert_equal(row["pq"], panoptic_quality(pred, truth))
        assert list(row["ap_by_threshold"]) == [f"{t:.2f}" for t in AP_THRESHOLDS]
    no_pred, no_true, neither = rows["empty prediction"], rows["empty truth"], rows["both empty"]
    assert math.isnan(no_pred["precision"]) and no_pred["recall"] == 0 and no_pred["f1"] == 0
    assert no_pred["ap"] == 0 and no_pred["pq"] == 0 and math.isnan(no_pred["sq"])
    assert no_true["precision"] == 0 and math.isnan(no_true["recall"]) and no_true["f1"] == 0
    assert all(math.isnan(neither[k]) for k in ("iou", "precision", "recall", "f1", "ap", "pq", "sq", "rq"))
    ident = rows["identical"]
    assert ident["ap"] == ident["pq"] == ident["sq"] == ident["f1"] == ident["iou"] == 1.0


def test_hand_computed_ap_and_pq():
    truth = np.zeros((6, 14), np.int32)
    truth[1:5, 1:5] = 1  # 16 px
    truth[1:5, 7:11] = 2  # 16 px
    pred = np.zeros_like(truth)
    pred[1:5, 1:4] = 5  # 12 px inside cell 1: IoU 0.75
    pred[1:5, 7:9] = 6  # 8 px inside cell 2: IoU 0.5
    pred[0, 12:14] = 7  # a spurious object
    counts = {c.threshold: c for c in match_counts(pred, truth, AP_THRESHOLDS)}
    assert (counts[0.5].tp, counts[0.5].fp, counts[0.5].fn) == (2, 1, 0)
    assert counts[0.5].ap == pytest.approx(2 / 3) and counts[0.75].ap == pytest.approx(1 / 4)
    assert counts[0.8].tp == 0 and counts[0.8].ap == 0
    # AP: 2/3 at 0.50; 1/4 from 0.55 to 0.75 (5 thresholds); 0 from 0.80 to 0.95 (4 thresholds)
    assert average_precision(pred, truth) == pytest.approx((2 / 3 + 5 * 0.25) / 10)
    # PQ = (0.75 + 0.5) / (2 + 1/2) = SQ (0.625) x RQ (0.8)
    c = counts[0.5]
    assert panoptic_quality(pred, truth) == pytest.approx(0.5) == pytest.approx(c.sq * c.rq)
    assert c.sq == pytest.approx(0.625) and c.rq == pytest.approx(0.8)
    assert average_precision(torch.from_numpy(pred), torch.from_numpy(truth)) == average_precision(pred, truth)


def test_matching_takes_the_most_pairs_then_the_largest_iou():
    # at IoU >= 0.3: true 0 overlaps preds 0 (0.9) and 1 (0.3), true 1 only pred 0 (0.35).
    # The largest total IoU pairs 0-0 alone (0.9 > 0.65); the most pairs are 0-1 and 1-0.
    iou = np.array([[0.9, 0.3], [0.35, 0.0]])
    from unet_course.metrics.instances import _assign

    rows, cols = _assign(iou, 0.3)
    assert sorted(zip(rows.tolist(), cols.tolist())) == [(0, 1), (1, 0)]
    rows, cols = _assign(np.array([[0.9, 0.6], [0.0, 0.0]]), 0.5)  # one pair possible: the better one
    assert (rows.tolist(), cols.tolist()) == ([0], [0])
    rows, cols = _assign(np.array([[0.5, 0.5]]), 0.5)  # an exact tie: one pair either way
    assert len(rows) == 1


def test_pool_counts_and_errors():
    a, b = MatchCounts(0.5, 1, 2, 3, 0.75), MatchCounts(0.5, 2, 0, 1, 1.5)
    assert pool_counts([a, b]) == MatchCounts(0.5, 3, 2, 4, 2.25)
    with pytest.raises(ValueError, match="one IoU threshold"):
        pool_counts([a, MatchCounts(0.6, 0, 0, 0, 0.0)])
    with pytest.raises(ValueError, match="at least one"):
        pool_counts([])
    lab = np.ones((4, 4), np.int32)
    with pytest.raises(ValueError, match=r"iou_threshold must be in \(0, 1\]"):
        match_counts(lab, lab, (0.5, 1.5))
    with pytest.raises(ValueError, match="thresholds is empty"):
        average_precision(lab, lab, ())
    with pytest.raises(TypeError, match="integer instance label map"):
        panoptic_quality(lab.astype(np.float32), lab)
    with pytest.raises(ValueError, match="same shape"):
        average_precision(lab, np.ones((4, 5), np.int32))
    with pytest.raises(ValueError, match=r"iou_threshold must be in \(0, 1\]"):
        evaluate_instances(lab, lab, iou_threshold=0.0)


def test_keyword_names_are_pred_and_target():
    truth = blobs(np.random.default_rng(3))
    pred = perturbed(np.random.default_rng(4), truth)
    by_position = evaluate_instances(pred, truth).pooled
    by_name = evaluate_instances(target=truth, pred=pred).pooled
    np.testing.assert_equal(by_position, by_name)
    # precision is about the prediction: a prediction with one extra object loses precision only
    truth[:3, :3] = 0
    extra = truth.copy()
    extra[:3, :3] = 5000
    m = match_counts(pred=extra, target=truth, thresholds=(0.5,))[0]
    assert (m.fp, m.fn) == (1, 0) and m.precision < 1 and m.recall == 1
