"""python -m unet_course evaluate: the table and the JSON, AP and PQ, undefined scores."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import tifffile

from unet_course.cli import build_parser, format_table, main
from unet_course.metrics import AP_THRESHOLDS, average_precision, evaluate_instances, panoptic_quality


def _write(path, array):
    tifffile.imwrite(path, np.asarray(array, dtype=np.uint16), photometric="minisblack")
    return str(path)


def _cells(seed: int, shape=(48, 48)) -> np.ndarray:
    """Touching discs with distinct ids."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[: shape[0], : shape[1]]
    lab = np.zeros(shape, np.int32)
    for k in range(1, 9):
        cy, cx = rng.uniform(4, shape[0] - 4, 2)
        lab[(yy - cy) ** 2 + (xx - cx) ** 2 <= rng.uniform(9, 40)] = k
    return lab


@pytest.fixture(scope="module")
def stacks(tmp_path_factory):
    """Three frames: a shifted prediction, an empty prediction, and an empty image with no truth."""
    root = tmp_path_factory.mktemp("evaluate")
    truth = np.stack([_cells(1), _cells(2), np.zeros((48, 48), np.int32)])
    pred = np.stack([np.roll(truth[0], 2, axis=1), np.zeros((48, 48), np.int32), np.zeros((48, 48), np.int32)])
    return truth, pred, _write(root / "pred.tif", pred), _write(root / "true.tif", truth)


def _strict_json(text: str) -> dict:
    def refuse(constant):
        raise AssertionError(f"the JSON holds a bare {constant}; undefined scores must be null")

    return json.loads(text, parse_constant=refuse)


def test_json_is_strict_and_undefined_scores_are_null(stacks, capsys):
    truth, pred, pred_file, true_file = stacks
    assert main(["evaluate", pred_file, true_file, "--json"]) == 0
    out = capsys.readouterr().out
    assert "NaN" not in out and "Infinity" not in out
    report = _strict_json(out)
    rows = report["per_image"]
    assert [r["name"] for r in rows] == ["pred.tif[0]", "pred.tif[1]", "pred.tif[2]"]
    assert report["ap_thresholds"] == list(AP_THRESHOLDS) and report["iou_threshold"] == 0.5
    assert "TP / (TP + FP + FN)" in report["definitions"]["ap"]
    shifted, missed, nothing = rows
    assert 0 < shifted["ap"] < shifted["f1"] <= 1 and 0 < shifted["pq"] < 1
    assert shifted["ap"] == pytest.approx(average_precision(pred[0], truth[0]))
    assert shifted["pq"] == pytest.approx(panoptic_quality(pred[0], truth[0]))
    # no predicted object: precision undefined (null), not 1; recall, F1, AP, PQ are 0
    assert missed["precision"] is None and missed["recall"] == missed["f1"] == missed["ap"] == missed["pq"] == 0.0
    assert missed["sq"] is None
    # neither side has an object: every ratio is undefined
    for key in ("iou", "precision", "recall", "f1", "ap", "pq", "sq", "rq"):
        assert nothing[key] is None, key
    assert set(nothing["ap_by_threshold"].values()) == {None}
    # the pooled row sums the counts first: it is defined
    pooled = report["pooled"]
    direct = evaluate_instances(list(pred), list(truth)).pooled
    assert pooled["tp"] == direct["tp"] and pooled["true"] == sum(len(np.unique(t)) - 1 for t in truth)
    for key in ("iou", "precision", "recall", "f1", "ap", "pq", "sq", "rq"):
        assert pooled[key] == pytest.approx(direct[key]) and not math.isnan(direct[key]), key


def test_table_marks_undefined_scores_and_fits_100_columns(stacks, capsys):
    _, _, pred_file, true_file = stacks
    assert main(["evaluate", pred_file, true_file]) == 0
    table = capsys.readouterr().out
    lines = table.splitlines()
    assert all(len(line) <= 100 for line in lines), max(lines, key=len)
    head = lines[0].split()
    assert head == ["image", "IoU", "prec", "recall", "F1", "AP", "PQ", "true", "pred"]
    missed = next(line for line in lines if line.startswith("pred.tif[1]")).split()
    assert missed[1:7] == ["0.000", "n/a", "0.000", "0.000", "0.000", "0.000"], missed
    nothing = next(line for line in lines if line.startswith("pred.tif[2]")).split()
    assert nothing[1:7] == ["n/a"] * 6 and nothing[7:] == ["0", "0"], nothing
    assert "nan" not in table.lower().replace("n/a", "")
    assert "n/a: undefined" in table and "0.50, 0.55, ..., 0.95 of TP / (TP + FP + FN)" in table


def test_truth_against_itself_scores_one_everywhere(stacks, capsys):
    _, _, _, true_file = stacks
    assert main(["evaluate", true_file, true_file, "--json"]) == 0
    report = _strict_json(capsys.readouterr().out)
    for row in report["per_image"][:2]:
        assert row["ap"] == row["pq"] == row["f1"] == row["iou"] == 1.0
    assert main(["evaluate", true_file, true_file]) == 0
    assert " 1.000  1.000  1.000  1.000  1.000  1.000" in capsys.readouterr().out


def test_iou_option_moves_precision_recall_f1_only(stacks, capsys):
    _, _, pred_file, true_file = stacks
    reports = []
    for iou in ("0.5", "0.9"):
        assert main(["evaluate", pred_file, true_file, "--json", "--iou", iou]) == 0
        reports.append(_strict_json(capsys.readouterr().out)["pooled"])
    loose, strict = reports
    assert strict["f1"] < loose["f1"] and strict["tp"] < loose["tp"]
    assert strict["ap"] == loose["ap"] and strict["pq"] == loose["pq"]


@pytest.mark.parametrize("iou", ["0", "1.5", "nan", "-0.1"])
def test_bad_iou_is_refused_before_reading(iou, tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["evaluate", str(tmp_path / "missing.tif"), str(tmp_path / "missing.tif"), "--iou", iou])
    assert exit_info.value.code == 2
    assert "--iou must be an IoU threshold in (0, 1]" in capsys.readouterr().err


def test_help_documents_the_definitions():
    evaluate = build_parser()._subparsers._group_actions[0].choices["evaluate"]
    text = " ".join(evaluate.format_help().split())
    assert "TP / (TP + FP + FN)" in text and "0.50, 0.55, ..., 0.95" in text and "not COCO's AP" in text
    assert "panoptic quality" in text and "null" in text and "never NaN" in text


def test_format_table_on_its_own():
    nan = float("nan")
    row = {"name": "x" * 40, "iou": nan, "precision": nan, "recall": 0.5, "f1": 0.25, "ap": 0.125, "pq": 1.0,
           "true": 3, "predicted": 0}
    table = format_table([row], {**row, "name": "pooled"}, iou_threshold=0.7)
    lines = table.splitlines()
    assert lines[2].split() == ["x" * 28, "n/a", "n/a", "0.500", "0.250", "0.125", "1.000", "3", "0"]
    assert "IoU >= 0.7" in table and all(len(line) <= 100 for line in lines)
