"""unet_course.data.targets: instance labels -> class targets, separation borders, weight map."""

import warnings

import numpy as np
import pytest

from unet_course.data.targets import Targets, as_instances, instance_targets, looks_binary
from unet_course.weightmap import weight_map_naive


def _touching():
    lab = np.zeros((40, 50), dtype=np.int32)
    lab[5:20, 5:20] = 1
    lab[5:20, 20:35] = 2  # touches cell 1 along a column
    lab[25:35, 10:30] = 7  # a separate cell, any id
    return lab


def test_targets_against_an_independent_construction():
    lab = _touching()
    t = instance_targets(lab)
    assert isinstance(t, Targets)
    assert t.target.dtype == np.int64 and t.weights.dtype == np.float32 and t.instances.dtype == np.int32
    # by hand: the pixels next to another cell (3x3 neighbourhood) become background
    gap = np.zeros_like(lab, dtype=bool)
    gap[5:20, 19:21] = True
    expected = (lab > 0) & ~gap
    np.testing.assert_array_equal(t.target, expected.astype(np.int64))
    # the weight map is eq. 2 on the separated labels (brute-force reference)
    separated = np.where(gap, 0, lab)
    np.testing.assert_allclose(t.weights, weight_map_naive(separated, w0=10.0, sigma=5.0), atol=1e-5)
    # the gap carries the border term: far above the class weights
    assert t.weights[10, 19] > 5 and t.weights[10, 19] > 3 * t.weights[2, 2]
    np.testing.assert_array_equal(t.instances, lab)


def test_instance_set_builds_with_instance_targets():
    """The data-set builder of chapters 08-09 gives the arrays of instance_targets (w0 = 10 weighted, 0 not)."""
    from unet_course.data.sets import instance_set

    lab = _touching()
    image = np.random.default_rng(0).random(lab.shape).astype(np.float32)
    for weighted, w0 in ((True, 10.0), (False, 0.0)):
        ref = instance_set([image], [lab], weighted)
        ours = instance_targets(lab, w0=w0)
        assert len(ref) == 1 and ref.num_classes == 2
        np.testing.assert_array_equal(ours.target, ref.targets[0])
        np.testing.assert_array_equal(ours.weights, ref.weights[0])
        np.testing.assert_array_equal(ours.instances, ref.instances[0])
        np.testing.assert_array_equal(ref.images[0], image)


def test_binary_mask_is_accepted_with_a_warning():
    lab = (_touching() > 0).astype(np.uint8)
    assert looks_binary(lab)
    with pytest.warns(UserWarning, match="binary mask.*no separation"):
        t = instance_targets(lab)
    # two separate components: the touching pair merged into one, the other kept
    assert len(np.unique(t.instances)) - 1 == 2
    with pytest.warns(UserWarning):
        assert as_instances(lab.astype(bool)).max() == 2


def test_looks_binary_has_one_home_and_both_names_import():
    from unet_course import weightmap
    from unet_course.data import targets

    assert targets.looks_binary is weightmap.looks_binary is looks_binary
    assert "looks_binary" in targets.__all__ and "looks_binary" in weightmap.__all__


def test_instance_labels_do_not_warn():
    single = np.zeros((20, 20), dtype=np.uint16)
    single[5:10, 5:10] = 1  # one object with id 1 is an instance map, not a mask
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert not looks_binary(single) and not looks_binary(_touching())
        instance_targets(_touching())
        instance_targets(single)


def test_bad_labels_raise():
    with pytest.raises(TypeError, match="integer"):
        as_instances(np.zeros((5, 5), dtype=np.float32))
    with pytest.raises(ValueError, match="negative"):
        as_instances(-np.ones((5, 5), dtype=np.int32))
    with pytest.raises(ValueError, match="2-D"):
        as_instances(np.zeros((2, 5, 5), dtype=np.int32))
