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
            before = detect_people(path, max_people=1)
            kp_old = before.keypoints(0) if before.count == 1 else None
            if kp_old is None:     # the tracker split the single-pose detections: join them back
                from ambiblend.core.detect import detect_video
                kp_old = detect_video(path, max_people=1)
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
