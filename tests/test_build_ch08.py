"""Chapter 08's build step, eq. 2 whole (``08.weight-map``): the check is fast, and its diagnosis
holds on every test case, not only on the first one a mistake fails.

``tests/test_build_track.py`` runs each typical mistake through the check once; here each mistake
meets every case (the synthetic cells and the crop of the nuclei labels), mistakes come in pairs,
and a map that no rule explains gets a message that says where it is off.
"""

from __future__ import annotations

import time

import numpy as np
import pytest

from unet_course import quiz, weightmap
from unet_course.questions import ch08_weightmap as ch08
from unet_course.quiz.localize import message_ko

STEP = quiz.get("08.weight-map")
CASES = ch08._weight_map_cases()


def _diagnosis(answer, case) -> str | None:
    return ch08._compare_weight_map(answer(*case), STEP.reference(*case), case)


def test_the_check_is_fast_and_the_reference_passes():
    start = time.perf_counter()
    assert STEP.grade(STEP.reference)[0]
    assert time.perf_counter() - start < 2.0


def test_the_reference_is_the_packages_weight_map():
    for case in CASES:
        labels = case[0]
        expected = weightmap.weight_map_naive(labels, *case[1:])
        assert np.allclose(STEP.reference(*case), expected, atol=1e-8)


def test_the_nuclei_crop_has_touching_cells():
    labels = CASES[-1][0]
    assert len(np.unique(labels)) - 1 >= 5
    assert weightmap.touching_pairs(labels), "the crop should test instance labels against mask components"


@pytest.mark.parametrize("index", range(len(STEP.mistakes)), ids=[m.answer.__name__ for m in STEP.mistakes])
def test_each_mistake_is_told_on_every_case_it_fails(index):
    mistake = STEP.mistakes[index]
    failed = 0
    for case in CASES:
        message = _diagnosis(mistake.answer, case)
        if message is not None:
            failed += 1
            assert message == mistake.says, f"{mistake.answer.__name__} on labels {case[0].shape}: {message}"
    assert failed >= 2, f"{mistake.answer.__name__} fails only {failed} case(s); the cases should catch it twice"


def test_two_mistakes_at_once_name_the_border_terms_first():
    def both(labels, w0=10, sigma=5):
        return ch08._wm_sigma_not_squared(labels, w0, sigma) - ch08._class_weights(labels) + 1.0  # w_c = 1 too

    assert _diagnosis(both, CASES[0]) == STEP.mistakes[0].says


def test_a_map_no_rule_explains_is_told_where_it_is_off():
    labels, w0, sigma = CASES[0]
    term = STEP.reference(labels, w0, sigma) - weightmap.weight_map(labels, w0=0.0, dtype=np.float64)
    gap = np.unravel_index(np.argmax(term), term.shape)  # a background pixel between the two cells

    def one_pixel_off(labels, w0=10, sigma=5):
        out = weightmap.weight_map(labels, w0, sigma, dtype=np.float64)
        out[gap] += 0.5
        return out

    message = _diagnosis(one_pixel_off, CASES[0])
    assert message.startswith(f"background pixel ({gap[0]}, {gap[1]}) is off by 0.5: d1 and d2"), message
    korean = message_ko(message)
    assert korean.startswith(f"배경 픽셀 ({gap[0]}, {gap[1]})의 값이 0.5만큼 어긋납니다."), korean

    def cells_off(labels, w0=10, sigma=5):
        return weightmap.weight_map(labels, w0, sigma, dtype=np.float64) + 0.25 * (labels == labels.max())

    message = _diagnosis(cells_off, CASES[0])
    assert message.startswith("cell pixel (") and "no border term" in message, message
    assert "세포 픽셀 (" in message_ko(message)


def test_non_finite_values_and_a_wrong_shape_are_named():
    labels = CASES[0][0]
    assert "NaN or infinite" in _diagnosis(lambda lab, w0=10, sigma=5: np.full(lab.shape, np.nan), CASES[0])
    assert "should have the labels' shape" in _diagnosis(lambda lab, w0=10, sigma=5: np.ones((3, 3)), CASES[0])
    assert labels.shape == (12, 16)


def test_the_defaults_are_the_papers():
    """The nuclei case calls weight_map(labels) alone: w0 = 10 and sigma = 5 must be the defaults."""
    assert len(CASES[-1]) == 1

    def no_defaults(labels, w0, sigma):
        return weightmap.weight_map(labels, w0, sigma, dtype=np.float64)

    correct, message = STEP.grade(no_defaults)
    assert not correct and "TypeError" in message
