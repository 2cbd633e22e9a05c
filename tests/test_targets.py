"""unet_course.data.targets: instance labels -> class targets, separation borders, weight map."""

import importlib
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


def _find_cell_split():
    for name in ("unet_course.experiments.paper", "unet_course.experiments"):
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        if hasattr(module, "_cell_split"):
            return module._cell_split
    return None


def test_equals_the_experiments_cell_split():
    """The experiments' private construction and the public one give the same arrays."""
    cell_split = _find_cell_split()
    if cell_split is None:
        pytest.skip("the experiments no longer have a private _cell_split (replaced by instance_targets)")
    lab = _touching()
    image = np.random.default_rng(0).random(lab.shape).astype(np.float32)
    for weighted, w0 in ((True, 10.0), (False, 0.0)):
        ref = cell_split([image], [lab], weighted)
        ours = instance_targets(lab, w0=w0)
        np.testing.assert_array_equal(ours.target, ref.targets[0])
        np.testing.assert_array_equal(ours.weights, ref.weights[0])
        np.testing.assert_array_equal(ours.instances, ref.instances[0])


def test_binary_mask_is_accepted_with_a_warning():
    lab = (_touching() > 0).astype(np.uint8)
    assert looks_binary(lab)
    with pytest.warns(UserWarning, match="binary mask.*no separation"):
        t = instance_targets(lab)
    # two separate components: the touching pair merged into one, the other kept
    assert len(np.unique(t.instances)) - 1 == 2
    with pytest.warns(UserWarning):
        assert as_instances(lab.astype(bool)).max() == 2


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
