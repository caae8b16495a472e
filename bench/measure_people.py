"""Identity switches and the largest one-frame root jump on the built two-person clips
(``tests/multi_person.py``), before (one pose per frame, lifted as before: no jump check) and
after (tracked, the chosen person, jumps over 10 m/s made gaps).

    OMP_NUM_THREADS=1 .venv/bin/python bench/measure_people.py

Ground truth of who is where: in the crossing clip the pasted man's rectangle is known in every
frame; in the side-by-side clip each man has his own half of the image.
"""
from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
import multi_person as mp  # noqa: E402

from ambiblend.core.clean import CleanOptions, clean_motion  # noqa: E402
from ambiblend.core.detect import detect_people  # noqa: E402
from ambiblend.core.geometry import camera_to_blender  # noqa: E402
from ambiblend.core.pipeline import (PipelineOptions, lift_keypoints, lift_to_camera, load_lifting_model,  # noqa: E402
                                     place_on_ground)
from ambiblend.core.skeleton import ROOT as PELVIS  # noqa: E402
from ambiblend.core.track import choose  # noqa: E402


def old_detect(path: Path):
    """The detector as it was before this stage: one pose per frame, whoever MediaPipe finds,
    no tracker; frames without a pose filled (``detect_video`` before tracking)."""
    from ambiblend.core.detect.gaps import fill_gaps
    from ambiblend.core.detect.keypoints import Keypoints2D
    from ambiblend.core.detect.landmarks import MEDIAPIPE_33, to_h36m
    from ambiblend.core.detect.mediapipe_pose import PoseRunner
    from ambiblend.core.detect.video import frames, open_video
    info = open_video(path)
    pts, conf, world, seen = [], [], [], []
    with PoseRunner(fps=info.fps) as run:
        for rgb in frames(path):
            found = run(rgb)
            seen.append(bool(found))
            pts.append(found[0].points if found else np.full((33, 2), np.nan))
            conf.append(found[0].visibility if found else np.zeros(33))
            world.append(found[0].world if found else np.full((33, 3), np.nan))
    xy, c = to_h36m(np.stack(pts), np.stack(conf), MEDIAPIPE_33)
    w, _ = to_h36m(np.stack(world), np.stack(conf), MEDIAPIPE_33)
    xy, c, filled = fill_gaps(xy, c, np.array(seen), path.name)
    w = fill_gaps(w, c, np.array(seen), path.name)[0]
    return Keypoints2D(xy=xy, conf=c, filled=filled, fps=info.fps, image_size=info.size, source=str(path), world=w)


def old_lift(kp, model, options):
    """The lift as it was before this stage: no root-jump check."""
    cam = lift_to_camera(kp, model, options.subject_height, options.focal_35mm, options.detector_3d_weight)
    world = place_on_ground(camera_to_blender(cam.joints + cam.root[:, None, :]), options.subject_height, True)
    return world, clean_motion(world, kp.conf, kp.fps, options.clean).joints


def largest_jump(joints) -> float:
    return float(np.linalg.norm(np.diff(joints[:, PELVIS], axis=0), axis=-1).max())


def main() -> None:
    options = PipelineOptions(clean=CleanOptions())
    model = load_lifting_model(options)
    with tempfile.TemporaryDirectory() as tmp:
        crossing, patch = mp.crossing(Path(tmp) / "crossing.mp4")
        clip = mp.view(0, 40, 0.5)
        side = mp.side_by_side(Path(tmp) / "side.mp4", [clip, mp.mirrored(clip)])
        half = clip[0].shape[1]
        truth = {crossing: lambda xy: mp.identity(xy, patch),
                 side: lambda xy: np.where(np.isnan(xy[:, 0]), -1, (xy[:, 0] >= half).astype(int))}
        choice = {crossing: "300,250", side: "index 1"}
        for path in (crossing, side):
            kp_old = old_detect(path)
            ids_old = truth[path](kp_old.xy[:, PELVIS])
            raw, cleaned = old_lift(kp_old, model, options)
            after = detect_people(path)
            (k,) = choose(after, choice[path])
            ids = [truth[path](np.where(after.seen[q][:, None], after.xy[q, :, PELVIS], np.nan))
                   for q in range(after.count)]
            ids_new, all_switches = ids[k], sum(mp.switches(i) for i in ids)
            motion = lift_keypoints(after.keypoints(k), model, options)
            jumps = motion.info["root_jumps"]
            print(f"{path.name}: {len(ids_old)} frames")
            print(f"  before (one pose per frame): identity switches {mp.switches(ids_old)}, largest root jump "
                  f"{largest_jump(cleaned):.2f} m in one frame ({largest_jump(raw):.2f} m before cleaning)")
            print(f"  after (tracked, {choice[path]}): identity switches {mp.switches(ids_new)} (all {after.count} "
                  f"tracks: {all_switches}), person unseen in {int((ids_new < 0).sum())} frames (filled, flagged), "
                  f"largest root jump {largest_jump(motion.joints):.2f} m in one frame "
                  f"({largest_jump(motion.joints) * motion.fps:.1f} m/s); {jumps.describe() or 'no jump over 10 m/s'}")


if __name__ == "__main__":
    main()
