"""``training.evaluate_swaps`` counts a frame as mislabelled exactly when a limb unit is swapped."""
import numpy as np

from ambiblend.core.skeleton import FLIP_GROUPS, FLIP_PERMUTATION
from training.evaluate_swaps import mislabelled


def test_mislabelled_counts_frames_with_a_swapped_unit():
    rng = np.random.default_rng(0)
    exact = rng.normal(size=(6, 17, 2))
    seen = exact.copy()
    legs = list(FLIP_GROUPS[0])
    seen[2, legs] = exact[2][[FLIP_PERMUTATION[j] for j in legs]]
    seen[4] = exact[4][list(FLIP_PERMUTATION)]
    np.testing.assert_array_equal(mislabelled(seen, exact), [False, False, True, False, True, False])
    noisy = exact + rng.normal(scale=1e-3, size=exact.shape)       # noise alone is not a swap
    assert not mislabelled(noisy, exact).any()
