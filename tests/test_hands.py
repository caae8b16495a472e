"""Hands stage on real frames of the bundled sample clip with the real MediaPipe hand landmarker
(no mocks): hands hidden, one hand only, a hand far from any wrist, the finger limits, and the
bundled .task loading. Edited clips (hands painted over, a hand pasted elsewhere) are written
from the sample's own frames."""
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("mediapipe")
cv2 = pytest.importorskip("cv2")

from ambiblend.core.detect import detect_video  # noqa: E402
from ambiblend.core.detect.video import frames  # noqa: E402
from ambiblend.core.hands.angles import LIMITS, finger_angles, finger_points, to_palm  # noqa: E402
from ambiblend.core.hands.assign import MAX_WRIST_DISTANCE  # noqa: E402
from ambiblend.core.hands.detect import body_wrists, detect_hands, hand_regions  # noqa: E402
from ambiblend.core.hands.landmarks import BODY_ELBOW, BODY_WRIST, CHAINS, FINGERS  # noqa: E402
from ambiblend.core.hands.motion import solve_hands  # noqa: E402
from ambiblend.core.skeleton import NUM_JOINTS  # noqa: E402



SAMPLE_VIDEO = Path(__file__).resolve().parents[1] / "assets" / "sample" / "pose2sim_cam04.mp4"
N = 12   # frames: enough for the tracker and the filters, a second of test time


@pytest.fixture(scope="module")
def sample():
    """(frames, Keypoints2D, HandTrack) of the sample's first N frames, hands in wrist crops."""
    kp = detect_video(SAMPLE_VIDEO, max_frames=N)
    track = detect_hands(SAMPLE_VIDEO, kp, "crops")
    return list(frames(SAMPLE_VIDEO, N)), kp, track


def write_video(path, images, fps=60.0):
    h, w = images[0].shape[:2]
    out = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (w, h))
    for rgb in images:
        out.write(cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    out.release()
    return path


def painted(images, kp, sides):
    """Copies of the frames with each listed side's hand region filled with the frame's median."""
    out = []
    for t, rgb in enumerate(images):
        rgb = rgb.copy()
        wrists = np.stack([kp.xy[t, BODY_WRIST[s]] for s in "LR"])
        elbows = np.stack([kp.xy[t, BODY_ELBOW[s]] for s in "LR"])
        for side, region in zip("LR", hand_regions(wrists, elbows)):
            if side in sides:
                cx, cy, size = region
                r = int(0.75 * size)
                rgb[max(int(cy) - r, 0):int(cy) + r, max(int(cx) - r, 0):int(cx) + r] = np.median(rgb, axis=(0, 1))
        out.append(rgb)
    return out


def test_sample_hands_are_found_on_their_wrists(sample):
    _, kp, track = sample
    assert track.found[:, 0].sum() >= N - 2          # the left hand is in view all along
    wrists, forearms = body_wrists(kp)
    for s in range(2):
        f = track.found[:, s]
        d = np.linalg.norm(track.points[f, s, 0] - wrists[f, s], axis=-1) / forearms[f, s]
        assert (d <= MAX_WRIST_DISTANCE).all()
    assert track.summary().startswith(f"Hands: left hand in {int(track.found[:, 0].sum())}/{N} frames")


def test_hands_not_visible(sample, tmp_path):
    images, kp, _ = sample
    clip = write_video(tmp_path / "no_hands.mp4", painted(images, kp, "LR"))
    track = detect_hands(clip, kp, "crops")
    assert not track.found.any()
    assert "no hand seen, fingers not keyed" in track.summary()
    body = np.zeros((N, NUM_JOINTS, 3)) + np.linspace(0, 1.7, NUM_JOINTS)[None, :, None]
    hands = solve_hands(track, body, kp.fps)
    assert not hands.keyed.any() and np.isfinite(hands.joints).all()
    assert "left hand was not seen enough to animate" in hands.summary
    assert "right hand was not seen enough to animate" in hands.summary


def test_one_hand_only(sample, tmp_path):
    images, kp, full = sample
    clip = write_video(tmp_path / "left_only.mp4", painted(images, kp, "R"))
    track = detect_hands(clip, kp, "crops")
    assert track.found[:, 1].sum() == 0
    assert track.found[:, 0].sum() >= full.found[:, 0].sum() - 2
    assert f"right hand in 0/{N} frames" in track.summary()


def test_hand_far_from_any_wrist_is_dropped(sample, tmp_path):
    """A real hand pasted in an empty corner: the whole-frame landmarker finds it, nothing
    assigns it, and the report counts it."""
    images, kp, full = sample
    t0 = int(np.argmax(full.found[:, 0]))
    pts = full.points[t0, 0]
    (x0, y0), (x1, y1) = pts.min(0) - 12, pts.max(0) + 12
    patch = images[t0][int(y0):int(y1), int(x0):int(x1)]
    patch = cv2.resize(patch, None, fx=2.5, fy=2.5, interpolation=cv2.INTER_CUBIC)
    edited = []
    for rgb in images:
        rgb = rgb.copy()
        rgb[10:10 + patch.shape[0], 10:10 + patch.shape[1]] = patch
        edited.append(rgb)
    clip = write_video(tmp_path / "far_hand.mp4", edited)
    track = detect_hands(clip, kp, "frame")
    assert track.dropped.sum() >= N // 2
    wrists, forearms = body_wrists(kp)
    for s in range(2):   # what was kept sits on its wrist, never in the corner
        f = track.found[:, s]
        assert (np.linalg.norm(track.points[f, s, 0] - wrists[f, s], axis=-1) <= MAX_WRIST_DISTANCE * forearms[f, s]).all()
        assert (track.points[f, s, :, 0] > 10 + patch.shape[1]).any(axis=-1).all()
    assert "far from any wrist dropped" in track.summary()


def test_finger_limits_respected_on_a_misdetection(sample):
    """Real landmarks with the fingertips reflected through the palm (bent backwards): the
    solved angles stay inside the limits, no finger bends backwards and the report says so."""
    _, kp, track = sample
    bad = track.world.copy()
    f = track.found
    palm_normal_sign = {0: -1.0, 1: 1.0}
    for s in range(2):
        for t in np.flatnonzero(f[:, s]):
            local = to_palm(bad[t, s])
            for finger in FINGERS[1:]:
                for j in CHAINS[finger][2:]:
                    local[j, 2] = -palm_normal_sign[s] * (abs(local[j, 2]) + 0.03)   # out of the palm's back
            bad[t, s] = local
    track.world, world = bad, track.world
    try:
        body = np.zeros((N, NUM_JOINTS, 3)) + np.linspace(0, 1.7, NUM_JOINTS)[None, :, None]
        hands = solve_hands(track, body, kp.fps)
    finally:
        track.world = world
    assert hands.keyed[0]
    a = hands.angles[:, hands.keyed]
    assert (a >= LIMITS[..., 0] - 1e-9).all() and (a <= LIMITS[..., 1] + 1e-9).all()
    raw = finger_angles(bad[f[:, 0], 0], "L")
    assert (raw[:, 1:, 1:, 0] < -0.3).any()         # the input really was bent backwards
    assert "outside their anatomical limits and were clamped" in hands.summary
    # the keyed hand: every finger's PIP/DIP bends towards the palm or not at all
    pts = finger_points(a[:, 0], hands.palm[0], hands.lengths[0], "L")
    assert np.allclose(finger_angles(pts, "L"), a[:, 0], atol=1e-9)


def test_hands_crossing_keep_their_sides(sample):
    """Two real detected hands moved across each other with their wrists (the wrists meet half-way):
    each side keeps its own hand through the crossing, told apart by where it was a frame ago."""
    from ambiblend.core.hands.assign import assign_hands
    from ambiblend.core.hands.detect import Hand
    _, kp, track = sample
    t0 = int(np.argmax(track.found.all(axis=1)))
    assert track.found[t0].all()
    left, right = (Hand(track.points[t0, s], track.world[t0, s], 0.9) for s in range(2))
    start = [left.points[0].copy(), right.points[0].copy()]
    steps = 15
    cands, wrists = [], []
    for i in range(steps):
        a = i / (steps - 1)
        w = [start[0] + a * (start[1] - start[0]), start[1] + a * (start[0] - start[1])]
        hands = [Hand(h.points - h.points[0] + wi, h.world, h.score) for h, wi in zip((left, right), w)]
        cands.append(hands[::-1] if i % 2 else hands)          # the model's order means nothing
        wrists.append(np.stack(w))
    forearm = np.full((steps, 2), np.linalg.norm(start[0] - start[1]))
    out = assign_hands(cands, np.stack(wrists), forearm, kp.fps)
    assert out.found.all()
    assert np.allclose(out.world[:, 0], left.world) and np.allclose(out.world[:, 1], right.world)
