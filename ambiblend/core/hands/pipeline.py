"""The hands step of a lift: after the body, detect the hands in the video and solve the fingers.

    motion = run_pipeline_hands(path, options)     # the body as ``core.pipeline.run_pipeline``
    motion.info["hands"]                            # → ``motion.HandMotion`` (or absent)

For a video, the hands are detected in its frames (regions around the person's wrists). For a
keypoint file, its own hand keypoints are used (OpenPose, COCO-WholeBody: ``detect.hand_files``,
``files``, 2D only: ``lift2d``); a file without any says so in ``motion.info["hands_note"]``
and the body is lifted as always.
"""
from __future__ import annotations

from dataclasses import replace

from pathlib import Path

from ..errors import AmbiblendError

HANDS_KEY, NOTE_KEY = "hands", "hands_note"
# Hands off by default: see README ("Hands") for the measured cost and gain.
HANDS_DEFAULT = False


def hands_note(motion, bone_names=None) -> str:
    """The report line of a lift that looked for hands; with the keyed armature's bone names,
    a note when that armature has no finger bones (an earlier lift without hands)."""
    note = motion.info.get(NOTE_KEY, "")
    hands = motion.info.get(HANDS_KEY)
    if hands is not None and bone_names is not None and hands.keyed.any():
        from .landmarks import SIDES
        missing = [s for s in SIDES if f"hand.{s}" not in bone_names]
        if missing:
            note += (" The armature has no finger bones (made by a lift without hands), so the hands were "
                     "skipped; lift onto a new armature to get them.")
    return note


# ``add_hands``'s file_hands when the keypoint file's hands were not read yet (None: read, none).
NOT_READ = object()


def add_hands(motion, kp, path, mode: str = "crops", smoothness: float = 0.5, progress=None,
              file_hands=NOT_READ) -> str:
    """The hands of ``kp``'s person, detected in the video ``path`` or read from the keypoint
    file ``path``, as a ``HandMotion`` in ``motion.info["hands"]``; → the report line (also in
    ``motion.info["hands_note"]``). file_hands: ``read_hands(path)`` when already read. A
    malformed file raises ``AmbiblendError`` before ``motion`` is touched."""
    from ..detect.hand_files import read_hands
    from ..detect.inputs import is_video
    from .detect import detect_hands
    from .files import file_track
    from .motion import solve_hands
    path = Path(path)
    extra = ""
    if is_video(path):
        track = detect_hands(path, kp, mode=mode, progress=progress)
    else:
        file_hands = read_hands(path) if file_hands is NOT_READ else file_hands
        if file_hands is None:
            note = f"Hands: {path.name} is a keypoint file without hand keypoints; fingers not keyed."
            motion.info[NOTE_KEY] = note
            return note
        track, extra = file_track(file_hands, kp, motion.joints)
    hands = solve_hands(track, motion.joints, motion.fps, smoothness)
    hands.summary += extra
    motion.info[HANDS_KEY] = hands
    motion.info[NOTE_KEY] = hands.summary
    return hands.summary


def run_pipeline_hands(path, options=None, progress=None, model=None, mode: str = "crops", cache: bool = False):
    """``core.pipeline.run_pipeline`` for the one person ``options.person`` chooses, then
    ``add_hands`` (finger smoothness from ``options.clean.finger_smoothness``, 0.5 without
    cleaning). progress covers both passes (body, then hands); cache: see ``read_people``."""
    from ..detect import read_people
    from ..detect.inputs import is_video
    from ..pipeline import PipelineOptions, check_options, lift_keypoints, load_lifting_model, relabel_swaps
    from ..track import choose
    options = options or PipelineOptions()
    check_options(options)
    if not path or not str(path).strip():
        raise AmbiblendError("No input chosen: pick a video or a keypoint file.")
    # A keypoint file's hands are read first: a malformed hand array fails before the lift.
    file_hands = NOT_READ
    if not is_video(path) and Path(path).exists():
        from ..detect.hand_files import read_hands
        file_hands = read_hands(path)
    model = model or load_lifting_model(options)
    halves = None if progress is None else (lambda d, n: progress(d, 2 * n), lambda d, n: progress(n + d, 2 * n))
    people = read_people(Path(path), halves[0] if halves else None, options.max_people, cache,
                         jobs=getattr(options, "detect_jobs", 1))
    chosen = choose(people, options.person)
    if len(chosen) != 1:
        raise AmbiblendError("Hands are lifted for one person at a time: choose one person, or turn Hands off.")
    # Relabelled once, here, so the hands are matched to the same (repaired) wrists that are lifted.
    kp, swapped = relabel_swaps(people.keypoints(chosen[0]), model, options)
    motion = lift_keypoints(kp, model, replace(options, repair_swaps=False))
    motion.info.update(person=chosen[0] + 1, people=people.count, swapped_frames=int(swapped.sum()))
    smoothness = getattr(options.clean, "finger_smoothness", 0.5) if options.clean is not None else 0.5
    add_hands(motion, kp, path, mode, smoothness, halves[1] if halves else None, file_hands)
    return motion
