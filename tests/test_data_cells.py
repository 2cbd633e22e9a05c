"""The synthetic cell generator of chapter 01."""

import numpy as np
import pytest

from unet_course.data import synthetic_cells


def test_shapes_dtypes_and_labels():
    s = synthetic_cells(128, 20, n_types=2, seed=1)
    assert s.image.shape == (128, 128) and s.image.dtype == np.float32
    assert 0.0 <= s.image.min() and s.image.max() <= 1.0
    assert s.instances.dtype == np.int32
    ids = np.unique(s.instances)
    np.testing.assert_array_equal(ids, np.arange(ids.max() + 1))  # consecutive, 0 = background
    assert s.classes.shape == (ids.max() + 1,) and s.classes[0] == 0
    assert set(np.unique(s.semantic)) <= {0, 1, 2}


def test_seeded():
    a, b = synthetic_cells(64, 8, seed=5), synthetic_cells(64, 8, seed=5)
    np.testing.assert_array_equal(a.image, b.image)
    np.testing.assert_array_equal(a.instances, b.instances)
    assert not np.array_equal(a.image, synthetic_cells(64, 8, seed=6).image)


def test_cells_touch():
    s = synthetic_cells(256, 30, seed=0)
    lab = s.instances
    # two different cells side by side, horizontally or vertically
    touching = ((lab[:, 1:] != lab[:, :-1]) & (lab[:, 1:] > 0) & (lab[:, :-1] > 0)).sum()
    touching += ((lab[1:] != lab[:-1]) & (lab[1:] > 0) & (lab[:-1] > 0)).sum()
    assert touching > 50


def test_bad_arguments():
    with pytest.raises(ValueError, match="rendering"):
        synthetic_cells(64, rendering="xray")
    with pytest.raises(ValueError, match="at least 16"):
        synthetic_cells(8)
