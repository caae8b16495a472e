"""The whole lifting job without Blender: clip or keypoint file → metric 3D motion.

    read_people → choose (``core.track``) → front/back swaps relabelled → lift_sequence → metric_scale (+ root_trajectory)
    → camera_to_blender → root jumps beyond a human speed made a gap → place on the ground
    → clean_motion (optional) → ``Motion`` (one per person for "all": ``run_pipeline_people``)

The Blender layer (operator, batch script) calls ``run_pipeline`` and then turns the ``Motion``
into a keyed armature; nothing here imports ``bpy``. Failures the user can cause raise
``AmbiblendError`` *before* any scene is touched.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

from .assets import bundled_weights
from .errors import AmbiblendError
from .geometry import camera_to_blender
from .lift.checkpoint import LiftingModel, load_model, pick_device
from .lift.infer import lift_sequence
from .scale.trajectory import (DEFAULT_FOCAL_35MM, DEFAULT_SUBJECT_HEIGHT, metric_scale, root_trajectory,
                               size_consistency)
from .skeleton import ANKLE_TO_SOLE, FEET, ROOT
from .track.choose import choose, parse_choice
from .track.facing import describe_swaps, repair_facing
from .track.jumps import HUMAN_ROOT_SPEED, remove_jumps, root_speeds

# People the detector looks for per frame (``detect.mediapipe_pose.DEFAULT_MAX_PEOPLE``, not
# imported here so that a keypoint-file lift never imports the detector).
MAX_PEOPLE = 4

# Default blend of the detector's 3D depth into the lifter's: an even split, fixed before
# measuring (assets/REAL_FOOTAGE.md has the sweep on the Pose2Sim clip).
DETECTOR_3D_WEIGHT = 0.5

@dataclass
class PipelineOptions:
    """What the user chooses for one lift (panel, preferences or batch flags).

    clean: options for ``core.clean.clean_motion`` or None to skip cleaning.
    """
    subject_height: float = DEFAULT_SUBJECT_HEIGHT   # metres, ankle-to-head-top standing height
    root_motion: bool = True       # False: pelvis stays above the origin (vertical motion kept)
    focal_35mm: float = DEFAULT_FOCAL_35MM
    device: str = "AUTO"           # AUTO / CUDA / CPU
    weights: str | Path | None = None   # None or "" → bundled model
    clean: object | None = None    # a core.clean.CleanOptions
    # How much of the detector's own 3D depth (MediaPipe world landmarks) to blend into the
    # lifter's (``lift.fuse``); 0 = the lifter alone. Used only where the detector gave 3D.
    detector_3d_weight: float = DETECTOR_3D_WEIGHT
    # Who to animate when several people are in the clip (``core.track.choose``): "largest",
    # "visible", "index N", "x,y" or "all" (``run_pipeline_people``); and how many to look for.
    person: str = "largest"
    max_people: int = MAX_PEOPLE
    # Worker processes detecting one long video in overlapping chunks (``detect.chunks``; only
    # clips of at least MIN_CHUNK_SECONDS per job are split); 1 = one pass, as before.
    detect_jobs: int = 1
    # Relabel the detector's front/back confusions (whole-body left/right swaps) found by the
    # body's facing continuity (``track.facing``).
    repair_swaps: bool = True
    # Lift the mirror image too and average the two depths (``lift_sequence(flip=True)``): the
    # lifter's errors on a pose and on its mirror are partly independent; twice the lift's cost.
    flip_average: bool = True


@dataclass
class Motion:
    """A lifted clip ready to bake.

    joints:   (T, 17, 3) Blender world metres: X right, Y away from the camera, Z up; the subject
              faces −Y as in the video; feet on z = 0; the first frame's pelvis above the origin.
    fps:      frames per second of the clip.
    scale:    (T,) the scale module's per-frame S_2D.
    conf:     (T, 17) 2D confidence (0 where interpolated).
    filled:   (T,) bool, frames where the chosen person was not detected, or whose root jumped
              faster than a body can move (``info["root_jumps"]``): interpolated.
    contacts: (T, 2) bool foot contacts [left, right] when cleaning found them, else None.
    source:   the input path.
    meters_per_unit: metric scale applied to the lifter's model units.
    info:     "person" (number, from 1) and "people" (how many were found), "root_jumps"
              (``track.Jumps``: the impossible root jumps found and removed), "swapped_frames"
              (how many frames' left and right were relabelled, ``track.facing``), "image_size",
              "model".
    """
    joints: np.ndarray
    fps: float
    scale: np.ndarray
    conf: np.ndarray
    filled: np.ndarray
    source: str
    meters_per_unit: float
    contacts: np.ndarray | None = None
    info: dict = field(default_factory=dict)

    @property
    def num_frames(self) -> int:
        return int(self.joints.shape[0])


# Allowed ranges (the panel's property limits are the same); NaN is outside every range.
HEIGHT_RANGE = (0.3, 3.0)       # metres
FOCAL_RANGE = (5.0, 300.0)      # mm, 35 mm equivalent: fisheye action cameras … long telephoto
SMOOTHNESS_RANGE = (0.0, 1.0)
DETECTOR_3D_RANGE = (0.0, 1.0)


def in_range(value, limits: tuple[float, float]) -> bool:
    """True for a finite number within [low, high]."""
    try:
        return bool(np.isfinite(value)) and limits[0] <= value <= limits[1]
    except TypeError:
        return False


def check_options(options: PipelineOptions) -> None:
    """Reject bad settings before any slow work (out of range is refused, never clamped)."""
    h = options.subject_height
    if not in_range(h, HEIGHT_RANGE):
        raise AmbiblendError(f"Subject height must be between {HEIGHT_RANGE[0]} and {HEIGHT_RANGE[1]} m, got {h}.")
    if not in_range(options.focal_35mm, FOCAL_RANGE):
        raise AmbiblendError(f"Focal length must be between {FOCAL_RANGE[0]:g} and {FOCAL_RANGE[1]:g} mm "
                             f"(35 mm equivalent), got {options.focal_35mm}.")
    parse_choice(options.person)
    if not (isinstance(options.max_people, int) and 1 <= options.max_people <= 20):
        raise AmbiblendError(f"The number of people to look for must be 1 to 20, got {options.max_people}.")
    if not (isinstance(options.detect_jobs, int) and options.detect_jobs >= 1):
        raise AmbiblendError(f"The number of detection jobs must be at least 1, got {options.detect_jobs}.")
    smoothness = getattr(options.clean, "smoothness", None)
    if smoothness is not None and not in_range(smoothness, SMOOTHNESS_RANGE):
        raise AmbiblendError(f"Smoothness must be between {SMOOTHNESS_RANGE[0]:g} and {SMOOTHNESS_RANGE[1]:g}, "
                             f"got {smoothness}.")
    if not in_range(options.detector_3d_weight, DETECTOR_3D_RANGE):
        raise AmbiblendError(f"The detector 3D blend must be between {DETECTOR_3D_RANGE[0]:g} and "
                             f"{DETECTOR_3D_RANGE[1]:g}, got {options.detector_3d_weight}.")


def load_lifting_model(options: PipelineOptions) -> LiftingModel:
    """The model named in the options (bundled one by default) on the chosen device."""
    path = Path(options.weights) if options.weights else bundled_weights()
    return load_model(path, pick_device(options.device))


def place_on_ground(joints: np.ndarray, subject_height: float, root_motion: bool,
                    anchor: np.ndarray | None = None) -> np.ndarray:
    """Shift (T, 17, 3) Blender-world joints so the motion starts above the origin on z = 0.

    Horizontal: the first frame's pelvis goes to X = Y = 0 (root motion), or every frame's pelvis
    does (in place). With ``anchor`` (X, Y) — several people of one clip — that point goes to the
    origin instead, so everyone keeps their place relative to the others (in place: each pelvis
    stays where the person stood in the first frame). Vertical: one constant shift for the clip
    so the *median* over frames of the lower ankle sits ``ANKLE_TO_SOLE`` of the height above
    z = 0 — the median because in most frames at least one foot is planted, and it ignores jumps
    and mis-detections. Everyone stands on the same ground, z = 0.
    """
    out = np.array(joints, dtype=np.float64, copy=True)
    start = out[0, ROOT, :2].copy()
    anchor = start if anchor is None else np.asarray(anchor, dtype=np.float64)
    if root_motion:
        out[..., :2] -= anchor
    else:
        out[..., :2] -= out[:, ROOT:ROOT + 1, :2] - (start - anchor)
    lowest = out[:, list(FEET), 2].min(axis=1)
    out[..., 2] += ANKLE_TO_SOLE * subject_height - np.median(lowest)
    return out


@dataclass
class CameraMotion:
    """The lifted clip in the camera frame (x right, y down, z away), metres.

    joints: (T, 17, 3) root-relative pose; root: (T, 3) root position; scale: (T,) Φ_S's S_2D;
    meters_per_unit: metric scale from the subject height.
    """
    joints: np.ndarray
    root: np.ndarray
    scale: np.ndarray
    meters_per_unit: float


def lift_to_camera(kp, model: LiftingModel, subject_height: float = DEFAULT_SUBJECT_HEIGHT,
                   focal_35mm: float = DEFAULT_FOCAL_35MM, detector_3d_weight: float = 0.0,
                   flip: bool = False) -> CameraMotion:
    """``Keypoints2D`` (pixels) → ``CameraMotion``: the add-on's lifting, also used to score it.

    The lifter gives root-relative camera-frame joints in model units; ``size_consistency``
    gives every frame the clip's body size (moving the difference into depth); ``metric_scale``
    turns them into metres from the subject height; the scale module's S_2D times that factor
    gives the camera-frame root position (``root_trajectory``). detector_3d_weight: blend of the
    detector's own 3D depth (``kp.world``, when the detector gave it) into the lifter's.
    flip: average with the lift of the mirror image (``lift_sequence``).
    """
    world = getattr(kp, "world", None)
    lifted = lift_sequence(kp.xy, model, world=world, world_weight=detector_3d_weight if world is not None else 0.0,
                           flip=flip)
    k = size_consistency(lifted.joints)  # one body size for the clip; the rest is depth
    joints = lifted.joints * k[:, None, None]
    m = metric_scale(joints, subject_height)
    root = root_trajectory(kp.xy[:, ROOT], lifted.scale * k, lifted.norm_factor, m, kp.image_size,
                           focal_35mm, model.root_depth)
    return CameraMotion(joints=joints * m, root=root, scale=lifted.scale, meters_per_unit=m)


def lift_keypoints(kp, model: LiftingModel, options: PipelineOptions, anchor=None) -> Motion:
    """``Keypoints2D`` (pixels) → ``Motion`` in Blender world metres (``lift_to_camera``, then
    Blender axes, root jumps beyond ``HUMAN_ROOT_SPEED`` turned into gaps, the ground, and the
    cleaning stage). anchor: Blender (X, Y) put at the origin (``place_on_ground``)."""
    check_options(options)
    kp, swapped = relabel_swaps(kp, model, options)
    cam, world, conf, filled, jumps = _lift_to_world(kp, model, options)
    start = world[0, ROOT, :2].copy()
    world = place_on_ground(world, options.subject_height, options.root_motion, anchor)
    contacts = None
    if options.clean is not None:
        from .clean import clean_motion  # H5's stage; imported late so a lift without it still runs
        cleaned = clean_motion(world, conf, kp.fps, options.clean)
        world, contacts = np.asarray(cleaned.joints, dtype=np.float64), cleaned.contacts
        if getattr(options.clean, "in_place", False) and anchor is not None:
            world[..., :2] += start - np.asarray(anchor)   # in place, but where this person stood
    if not np.isfinite(world).all():
        raise AmbiblendError(f"Lifting {Path(kp.source).name} gave non-finite joints; the weights may be broken.")
    world, conf, filled, after = remove_jumps(world, conf, filled, kp.fps, xy=kp.xy)   # none expected: a guarantee
    if after.count:
        jumps.jumps.extend(after.jumps)
        jumps.frames |= after.frames
        if after.depth_frames is not None:   # the report counts the root-path repairs of both passes
            jumps.depth_frames = after.depth_frames if jumps.depth_frames is None else jumps.depth_frames | after.depth_frames
    return Motion(joints=world, fps=kp.fps, scale=cam.scale, conf=conf, filled=filled,
                  source=kp.source, meters_per_unit=cam.meters_per_unit, contacts=contacts,
                  info={"image_size": kp.image_size, "model": model.info, "root_jumps": jumps,
                        "swapped_frames": int(swapped.sum()),
                        "max_root_speed": float(root_speeds(world, kp.fps).max(initial=0.0))})


def lift_notes(motion: Motion) -> list[str]:
    """The lift's sentences for a report (lower-case, no full stop): root jumps found and treated,
    front/back swaps relabelled; none when the lift needed neither."""
    jumps = motion.info.get("root_jumps")
    texts = (jumps.describe() if jumps is not None else "", describe_swaps(motion.info.get("swapped_frames", 0)))
    return [text for text in texts if text]


def _prepare(path, options: PipelineOptions | None, model: LiftingModel | None):
    options = options or PipelineOptions()
    check_options(options)
    if not path or not str(path).strip():
        raise AmbiblendError("No input chosen: pick a video or a keypoint file.")
    return options, model or load_lifting_model(options)


def run_pipeline(path, options: PipelineOptions | None = None, progress=None,
                 model: LiftingModel | None = None, cache: bool = False) -> Motion:
    """Clip or keypoint file at ``path`` → ``Motion`` of the person ``options.person`` chooses.

    progress: ``progress(done, total)`` during detection (returning False cancels). The model is
    loaded first so a bad weights file fails before the slow detection; pass ``model`` to reuse
    one across clips (batch). A choice that names nobody is refused (``core.track.choose``) with
    the list of people found; "all" is ``run_pipeline_people``'s. cache: see ``read_people``.
    """
    if parse_choice((options or PipelineOptions()).person).mode == "all":
        raise AmbiblendError("Animating every person gives one motion each: use run_pipeline_people.")
    return run_pipeline_people(path, options, progress, model, cache)[0]


def run_pipeline_people(path, options: PipelineOptions | None = None, progress=None,
                        model: LiftingModel | None = None, cache: bool = False) -> list[Motion]:
    """Like ``run_pipeline``, one ``Motion`` per chosen person (everyone for "all"), all in one
    Blender frame: the same camera, the first of them starting above the origin, everyone on the
    ground z = 0 where they stand relative to the others. Each is lifted at the subject height of
    the options (one height for everyone: a child next to an adult comes out adult-sized and
    farther away)."""
    from .detect import read_people  # H3's stage (MediaPipe imported only for videos)
    options, model = _prepare(path, options, model)
    people = read_people(Path(path), progress, options.max_people, cache, jobs=options.detect_jobs)
    chosen = choose(people, options.person)
    anchor = _start_xy(people.keypoints(chosen[0]), model, options) if len(chosen) > 1 else None
    motions = []
    for index in chosen:
        motion = lift_keypoints(people.keypoints(index), model, options, anchor)
        motion.info.update(person=index + 1, people=people.count)
        motions.append(motion)
    return motions


def relabel_swaps(kp, model: LiftingModel, options: PipelineOptions):
    """``kp`` with the detector's front/back confusions relabelled when the options ask for it
    (``track.facing``) → (keypoints, (T,) bool frames relabelled). The facing is read by the
    bundled default model whatever weights lift the clip (``swap_judge``): the repair was
    measured with it, and a lifter whose own facing flips (the Chen-style models of the model
    card read cam02 of the Pose2Sim clip less well) would have the repair swap labels that were
    right. No judge (``model`` None in a checkout without assets): nothing is relabelled."""
    judge = swap_judge(model) if options.repair_swaps else None
    if judge is None:
        return kp, np.zeros(kp.num_frames, dtype=bool)
    return repair_facing(kp, judge)


@lru_cache(maxsize=1)
def _bundled_judge() -> LiftingModel:
    return load_model(bundled_weights(), "cpu")


def swap_judge(model: LiftingModel) -> LiftingModel:
    """The lifter that reads the facing for ``relabel_swaps``: the bundled default model (numpy,
    loaded once), or ``model`` where it is missing (a checkout without assets)."""
    return _bundled_judge() if bundled_weights().is_file() else model


def _lift_to_world(kp, model: LiftingModel, options: PipelineOptions):
    """``lift_to_camera`` in Blender axes with impossible root jumps removed (the 2D tells a
    depth-only jump from a real one) → (CameraMotion, joints, conf, filled, Jumps)."""
    cam = lift_to_camera(kp, model, options.subject_height, options.focal_35mm, options.detector_3d_weight,
                         options.flip_average)
    world = camera_to_blender(cam.joints + cam.root[:, None, :])
    return (cam, *remove_jumps(world, kp.conf, kp.filled, kp.fps, xy=kp.xy))


def _start_xy(kp, model: LiftingModel, options: PipelineOptions) -> np.ndarray:
    """The Blender (X, Y) of the pelvis in the first frame of ``kp``'s lift, before grounding:
    the same point ``lift_keypoints`` starts from."""
    return _lift_to_world(relabel_swaps(kp, model, options)[0], model, options)[1][0, ROOT, :2].copy()
