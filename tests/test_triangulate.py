"""Triangulation on synthetic calibrated cameras and a known skeleton (exact data, no noise)."""
import numpy as np
import pytest

from ambiblend.core.errors import AmbiblendError
from ambiblend.core.multiview.calibration import Camera
from ambiblend.core.multiview.triangulate import dlt, reject_jumps, triangulate
from ambiblend.core.skeleton import FLIP_GROUPS
from ambiblend.core.skeleton import FLIP_PERMUTATION, JOINT_INDEX, NUM_JOINTS, PARENTS

TOL = 1e-6  # metres: exact data must come back to rounding


def ring_cameras(n=4, radius=3.0, distortion=True):
    """n portrait cameras on a circle around the origin at 1.5 m height, looking at (0, 0, 1)."""
    cams = []
    for i in range(n):
        a = 2 * np.pi * i / n + 0.3
        c = np.array([radius * np.cos(a), radius * np.sin(a), 1.5])
        z = np.array([0.0, 0.0, 1.0]) - c
        z /= np.linalg.norm(z)
        x = np.cross(z, [0.0, 0.0, 1.0])
        x /= np.linalg.norm(x)
        y = np.cross(z, x)  # y down in the image: world up maps to −y
        R = np.stack([x, y, z])
        dist = [-0.05, 0.14, 6e-4, -5e-4, 0.0] if distortion else [0, 0, 0, 0]
        K = [[1680.0, 0, 540 + 3 * i], [0, 1681.0, 960 - 2 * i], [0, 0, 1]]
        cams.append(Camera(name=f"cam{i + 1}", K=K, dist=dist, R=R, t=-R @ c, image_size=(1080, 1920)))
    return cams


def known_skeleton(frames=5, seed=0):
    """(T, 17, 3) world metres: a random-walk skeleton built bone by bone from the pelvis at 1 m."""
    rng = np.random.default_rng(seed)
    offsets = rng.normal(scale=0.25, size=(NUM_JOINTS, 3))
    pts = np.zeros((frames, NUM_JOINTS, 3))
    for t in range(frames):
        for j, p in enumerate(PARENTS):
            base = np.array([0.1 * t, 0.0, 1.0]) if p < 0 else pts[t, p]
            pts[t, j] = base + (0 if p < 0 else offsets[j] + 0.02 * rng.normal(size=3))
    return pts


def views_of(cams, pts):
    pix = np.stack([c.project(pts) for c in cams])  # (V, T, J, 2)
    conf = np.random.default_rng(1).uniform(0.5, 1.0, size=pix.shape[:-1])
    return pix, conf


@pytest.mark.parametrize("distortion", [False, True])
def test_known_skeleton_is_recovered(distortion):
    cams, pts = ring_cameras(distortion=distortion), known_skeleton()
    pix, conf = views_of(cams, pts)
    tri = triangulate(cams, pix, conf)
    assert tri.valid.all()
    assert np.abs(tri.points - pts).max() < TOL
    assert np.nanmax(tri.error_px) < 1e-5  # pixels
    assert tri.used.all() and not tri.flipped.any()


def test_dlt_two_views_exact():
    cams, pts = ring_cameras(2, distortion=False), known_skeleton(1)[0]
    xn = np.stack([c.undistort(c.project(pts)) for c in cams], axis=-2)  # (J, V, 2)
    proj = np.stack([c.extrinsic for c in cams])
    out = dlt(proj, xn, np.ones(xn.shape[:-1]))
    assert np.abs(out - pts).max() < TOL


def test_view_that_sees_nothing_leaves_joint_marked():
    cams, pts = ring_cameras(), known_skeleton()
    pix, conf = views_of(cams, pts)
    conf[0] = 0.0  # view 1 sees nothing at all
    pix[0] = np.nan
    wrist = JOINT_INDEX["left_wrist"]
    conf[1:3, 2, wrist] = 0.0  # frame 2: only view 4 sees the left wrist
    tri = triangulate(cams, pix, conf)
    assert not tri.used[..., 0].any()
    assert np.isnan(tri.error_px[..., 0]).all()
    assert not tri.valid[2, wrist] and np.isnan(tri.points[2, wrist]).all()
    others = tri.valid.copy()
    others[2, wrist] = True
    assert others.all()  # every other joint still comes from ≥ 2 views
    ok = tri.valid
    assert np.abs(tri.points[ok] - pts[ok]).max() < TOL


def test_one_bad_view_is_rejected():
    cams, pts = ring_cameras(), known_skeleton()
    pix, conf = views_of(cams, pts)
    pix[2, :, :6] += np.array([150.0, -90.0])  # view 3 is far off on the leg joints
    conf[2] = 1.0  # and confidently so
    tri = triangulate(cams, pix, conf)
    assert tri.valid.all()
    assert np.abs(tri.points - pts).max() < TOL
    assert not tri.used[:, :6, 2].any() and tri.used[:, 6:].all()
    assert tri.view_errors()["cam3"]["outlier_share"] == pytest.approx(6 / 17)


def test_left_right_swap_in_one_view_is_repaired():
    cams, pts = ring_cameras(), known_skeleton()
    pix, conf = views_of(cams, pts)
    perm = np.asarray(FLIP_PERMUTATION)
    pix[1, 1:3] = pix[1, 1:3][:, perm]  # view 2 swaps all left/right labels in frames 1 and 2
    tri = triangulate(cams, pix, conf)
    assert np.abs(tri.points - pts).max() < TOL
    assert tri.used.all()  # the repaired view is used again, not just rejected
    assert tri.flipped[1:3, :, 1].all() and tri.flipped.sum() == 2 * len(FLIP_GROUPS)


def test_bad_inputs_raise_clear_errors():
    cams, pts = ring_cameras(), known_skeleton()
    pix, conf = views_of(cams, pts)
    before = pix.copy()
    with pytest.raises(AmbiblendError, match="3 cameras but detections from 4 views"):
        triangulate(cams[:3], pix, conf)
    with pytest.raises(AmbiblendError, match="do not match the detections"):
        triangulate(cams, pix, conf[:, :2])
    with pytest.raises(AmbiblendError, match="at least two calibrated views"):
        triangulate(cams[:1], pix[:1], conf[:1])
    np.testing.assert_array_equal(pix, before)  # inputs untouched



def test_jump_off_the_track_is_marked():
    cams = ring_cameras()
    pts = known_skeleton(1) + np.arange(15.0)[:, None, None] * np.array([0.01, 0.0, 0.0])  # 0.6 m/s at 60 fps
    conf = np.ones((len(cams),) + pts.shape[:2])
    knee = JOINT_INDEX["right_knee"]
    bad = pts.copy()
    bad[7, knee] += [0.0, 0.3, 0.0]  # every view agrees on a knee 30 cm off for one frame
    pix_bad = np.stack([c.project(bad) for c in cams])
    tri = reject_jumps(triangulate(cams, pix_bad, conf), window=3, max_dev=0.10)
    assert not tri.valid[7, knee] and np.isnan(tri.points[7, knee]).all() and not tri.used[7, knee].any()
    assert tri.valid.sum() == tri.valid.size - 1
    ok = tri.valid
    assert np.abs(tri.points[ok] - pts[ok]).max() < TOL
