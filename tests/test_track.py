"""The tracking stage on hand-made detections and keypoint files with several people: identities
kept through a crossing with one person hidden, the choices (largest, visible, index, point, all)
and their refusals, impossible root jumps turned into gaps."""
import json

import numpy as np
import pytest

from ambiblend.core.detect import load_keypoints, load_people
from ambiblend.core.detect.landmarks import BODY_25, COCO_17
from ambiblend.core.errors import AmbiblendError
from ambiblend.core.skeleton import ROOT
from ambiblend.core.track import Detection, HUMAN_ROOT_SPEED, choose, find_jumps, parse_choice, remove_jumps, track

# A standing person (H36M joints, pixels) 200 px tall, pelvis at the origin.
BODY = np.array([(0, 0), (-12, 0), (-13, 50), (-14, 100), (12, 0), (13, 50), (14, 100), (0, -30),
                 (0, -60), (0, -75), (0, -95), (20, -58), (28, -30), (30, 0), (-20, -58), (-28, -30),
                 (-30, 0)], dtype=float)


def person(x, y=300.0, scale=1.0, pose=0.0):
    """Detection of BODY at pelvis (x, y), ``scale`` times the size; pose bends the arms."""
    xy = BODY * scale + (x, y)
    xy[[12, 13, 15, 16], 1] -= pose
    return Detection(xy=xy, conf=np.full(17, 0.9))


def test_crossing_with_one_hidden_keeps_both_identities():
    # A walks right, B walks left, 30 px/frame apart at 30 fps (about 4 m/s each for a 200 px
    # person); they meet at frame 10, where A is hidden behind B for frames 8–12.
    frames = []
    for t in range(21):
        a, b = person(100 + 10 * t, pose=5 * np.sin(t)), person(300 - 10 * t, scale=1.05)
        frames.append([b] if 8 <= t <= 12 else [b, a] if t % 2 else [a, b])   # detector order varies
    people = track(frames, 30.0, (640, 480), "cross")
    assert people.count == 2
    pelvis_x = people.xy[:, :, ROOT, 0]
    a = int(np.nanargmin(pelvis_x[:, 0]))             # the one on the left at the start
    b = 1 - a
    t = np.arange(21)
    seen_a = people.seen[a]
    assert seen_a.tolist() == [not 8 <= i <= 12 for i in t]          # hidden, then found again
    np.testing.assert_allclose(pelvis_x[a, seen_a], 100 + 10 * t[seen_a])
    np.testing.assert_allclose(pelvis_x[b], 300 - 10 * t)
    kp = people.keypoints(a)                                          # the hidden frames: filled, flagged
    assert kp.filled.tolist() == (~seen_a).tolist()
    np.testing.assert_allclose(kp.xy[:, ROOT, 0], 100 + 10 * t)       # straight line through the gap
    assert (kp.conf[8:13] == 0).all()


def test_duplicate_and_flicker_are_not_people():
    frames = [[person(200), person(201, scale=1.01)] for _ in range(10)]   # a second pose on one man
    frames[4].append(person(500))                                        # one frame of something else
    people = track(frames, 30.0, (640, 480), "dup")
    assert people.count == 1 and people.seen.all()


def test_choices_and_refusals():
    frames = [[person(100, scale=1.3), person(400)] if t < 6 else [person(400)] for t in range(10)]
    people = track(frames, 30.0, (640, 480), "two.mp4")
    assert people.count == 2
    big = int(np.argmax([s.median_height for s in people.summaries()]))
    assert choose(people, "largest") == [big]
    assert choose(people, "visible") == [1 - big]                      # seen in all 10 frames
    assert choose(people, "all") == [0, 1]
    assert choose(people, "index 2") == [1] and choose(people, "2") == [1]
    assert choose(people, "400,280") == [1 - big] and choose(people, "100,250") == [big]
    with pytest.raises(AmbiblendError, match=r"^two.mp4: there is no person 3; 2 people were found: "
                                             r"person 1: seen in \d+ of 10 frames .*; person 2: seen in"):
        choose(people, "index 3")
    with pytest.raises(AmbiblendError, match=r"two.mp4: nobody is at \(600, 20\); 2 people were found"):
        choose(people, "600,20")
    with pytest.raises(AmbiblendError, match=r"Unknown person choice 'tallest'"):
        parse_choice("tallest")
    nobody = track([[] for _ in range(5)], 30.0, (640, 480), "empty.mp4")
    with pytest.raises(AmbiblendError, match=r"^No person was detected in empty.mp4\.$"):
        choose(nobody, "largest")


def test_root_jump_beyond_human_speed_becomes_a_gap():
    fps = 30.0
    t = np.arange(60)
    joints = np.zeros((60, 17, 3))
    joints[:, :, 0] = 1.5 * t[:, None] / fps                     # walking at 1.5 m/s
    joints[38:45, :, 0] += 1.2                                    # the detector on someone else
    conf = np.ones((60, 17))
    found = find_jumps(joints, fps)
    assert [f for f, _ in found.jumps] == [37, 44]
    assert found.max_speed == pytest.approx(1.2 * fps + 1.5, rel=1e-6)
    out, conf2, filled, jumps = remove_jumps(joints, conf, np.zeros(60, bool), fps)
    assert filled.tolist() == [38 <= i < 45 for i in t] and (conf2[38:45] == 0).all()
    speed = np.linalg.norm(np.diff(out[:, ROOT], axis=0), axis=-1) * fps
    assert speed.max() <= HUMAN_ROOT_SPEED
    np.testing.assert_allclose(out[:, ROOT, 0], 1.5 * t / fps)    # the walk, straight through the gap
    assert "2 root jumps faster than 10 m/s (frames 38→39 (37 m/s), 45→46 (35 m/s)); 7 frames treated" \
        in jumps.describe()
    assert find_jumps(joints[:30], fps).count == 0                # a walk alone: nothing


def _flat(xy, layout, size, score=0.9):
    """H36M-like body → a flat [x, y, c] * size list (limbs and head points; the rest score 0)."""
    names = {"left_hip": 4, "left_knee": 5, "left_ankle": 6, "right_hip": 1, "right_knee": 2,
             "right_ankle": 3, "left_shoulder": 11, "left_elbow": 12, "left_wrist": 13,
             "right_shoulder": 14, "right_elbow": 15, "right_wrist": 16}
    a = np.zeros((size, 3))
    for name, j in names.items():
        a[layout[name]] = (*xy[j], score)
    for name, off in (("nose", (0, -95)), ("left_ear", (6, -92)), ("right_ear", (-6, -92))):
        a[layout[name]] = (xy[0, 0] + off[0], xy[0, 1] + off[1], score)
    return a.ravel().tolist()


def _crossing_people(n=16):
    """Per frame: [A moving right, B moving left] as H36M-like bodies; B is missing in frames 4–5
    and they pass each other at frame 8."""
    return [[person(100 + 12 * t).xy] + ([] if 4 <= t <= 5 else [person(300 - 12 * t).xy]) for t in range(n)]


def test_openpose_coco_and_npz_with_several_people_feed_the_tracker(tmp_path):
    frames = _crossing_people()
    folder = tmp_path / "op"
    folder.mkdir()
    for t, bodies in enumerate(frames):
        people = [{"pose_keypoints_2d": _flat(b, BODY_25, 25)} for b in bodies[::-1 if t % 2 else 1]]
        (folder / f"c_{t:04d}_keypoints.json").write_text(json.dumps({"people": people}))
    coco = [{"image_id": t, "keypoints": _flat(b, COCO_17, 17)} for t, bodies in enumerate(frames) for b in bodies]
    (tmp_path / "coco.json").write_text(json.dumps(coco))
    stacked = np.full((len(frames), 2, 17, 2), np.nan)
    for t, bodies in enumerate(frames):
        for p, b in enumerate(bodies):
            stacked[t, p] = b
    np.savez(tmp_path / "multi.npz", xy=stacked, fps=30.0, image_size=np.array([640, 480]))
    for source in (folder, tmp_path / "coco.json", tmp_path / "multi.npz"):
        people = load_people(source, fps=30.0)
        assert people.count == 2, source
        first_x = people.xy[:, 0, ROOT, 0]
        b = int(np.nanargmax(first_x))                           # B starts on the right
        seen = people.seen[b]
        # Never the other one (where they overlap a frame may go to nobody), found again after
        # the gap and after passing A.
        np.testing.assert_allclose(people.xy[b, seen, ROOT, 0], 300 - 12 * np.flatnonzero(seen), atol=1e-6)
        np.testing.assert_allclose(people.xy[1 - b, people.seen[1 - b], ROOT, 0],
                                   100 + 12 * np.flatnonzero(people.seen[1 - b]), atol=1e-6)
        assert not seen[4:6].any() and seen[:4].all() and seen[10:].all(), (source, seen)
        assert people.seen[1 - b].sum() >= 13
        kp = load_keypoints(source, fps=30.0, person=f"index {b + 1}")
        assert kp.filled.tolist() == (~seen).tolist()
        with pytest.raises(AmbiblendError, match=r"there is no person 3; 2 people were found: person 1"):
            load_keypoints(source, fps=30.0, person="index 3")
    empty = np.full((5, 3, 17, 2), np.nan)
    np.savez(tmp_path / "nobody.npz", xy=empty)
    with pytest.raises(AmbiblendError, match=r"^No person was detected in nobody.npz\.$"):
        load_keypoints(tmp_path / "nobody.npz")
