"""MediaPipe Pose Landmarker (Tasks API, VIDEO mode) on every frame of a video → ``Keypoints2D``.

The model is ``assets/mediapipe/pose_landmarker_full.task``: BlazePose detector + full landmark
model, bundled with AmbiBlend (built by ``tools/build_pose_task.py`` from the models inside the
mediapipe 0.10.21 wheel; mediapipe ≥ 0.10.30 ships none, and AmbiBlend never downloads). The
same code runs on mediapipe 0.10.21 (Python 3.11, Blender 5.0) and 1.2.x (Python 3.13, Blender
5.1+), which only has the Tasks API.

VIDEO mode tracks the person from frame to frame (the previous frame's landmarks give the next
region, and MediaPipe smooths the landmarks with the frame timestamps), so timestamps are the
real ones: frame index / fps, in ms, strictly increasing. Any further filtering is the cleaning
stage's. Besides the image landmarks MediaPipe gives world landmarks (metres, origin at the hip
centre); both are mapped to the 17 H36M joints by ``landmarks.to_h36m``.
"""
from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import numpy as np

from ..assets import ASSETS
from ..errors import AmbiblendError
from ..track.choose import choose
from ..track.people import People, box_overlap
from ..track.tracker import Detection, track
from .keypoints import Keypoints2D
from .landmarks import MEDIAPIPE_33, to_h36m
from .video import frames, open_video

POSE_TASK = ASSETS / "mediapipe" / "pose_landmarker_full.task"
REBUILD = "python tools/build_pose_task.py"


class DetectionCancelled(AmbiblendError):
    """The user cancelled detection through the progress callback."""


class Pose(NamedTuple):
    """One person in one frame, MediaPipe's 33 landmarks."""
    points: np.ndarray       # (33, 2) image pixels, x right, y down
    visibility: np.ndarray   # (33,) in [0, 1]
    world: np.ndarray        # (33, 3) metres, origin at the hip centre, MediaPipe's camera-aligned axes


def _vision():
    """``mediapipe`` and its ``tasks.python.vision``, imported on first use."""
    try:
        import mediapipe
        from mediapipe.tasks.python import vision
        from mediapipe.tasks.python.core.base_options import BaseOptions
    except ImportError as exc:
        raise AmbiblendError("MediaPipe is not available, so videos cannot be detected; install mediapipe "
                             "(0.10.21 on Python 3.11, 1.2.3 on Python 3.13) or load a keypoint file instead "
                             f"({exc}).") from exc
    return mediapipe, vision, BaseOptions


def _model_bytes(path: Path) -> bytes:
    if not path.is_file():
        raise AmbiblendError(f"The MediaPipe pose model {path} is missing. Rebuild it with `{REBUILD}` "
                             f"(needs mediapipe 0.10.21) or reinstall AmbiBlend.")
    return path.read_bytes()   # a buffer, not a path: MediaPipe's file reader trips on non-ASCII paths


class PoseRunner:
    """One Pose Landmarker for one clip (the tracking state lives in it).

    ``runner(rgb)`` with rgb (H, W, 3) uint8, called on consecutive frames → list of ``Pose``
    (at most ``num_poses``; empty when nobody is found). Frame i gets timestamp i / fps. Use as a
    context manager so the landmarker is closed (its ``__del__`` fails at interpreter exit).
    still_images: every call is a picture of its own (IMAGE mode: no tracking, the person
    detector runs on each), for counting people.
    """

    def __init__(self, fps: float = 30.0, num_poses: int = 1, min_detection_confidence: float = 0.5,
                 min_presence_confidence: float = 0.5, min_tracking_confidence: float = 0.5,
                 task_path: Path | None = None, still_images: bool = False):
        self._mp, vision, base_options = _vision()
        path = Path(task_path or POSE_TASK)
        options = vision.PoseLandmarkerOptions(
            base_options=base_options(model_asset_buffer=_model_bytes(path)),
            running_mode=vision.RunningMode.IMAGE if still_images else vision.RunningMode.VIDEO,
            num_poses=int(num_poses),
            min_pose_detection_confidence=min_detection_confidence,
            min_pose_presence_confidence=min_presence_confidence,
            min_tracking_confidence=min_tracking_confidence)
        try:
            self._landmarker = vision.PoseLandmarker.create_from_options(options)
        except (RuntimeError, ValueError, OSError) as exc:
            raise AmbiblendError(f"The MediaPipe pose model {path} is damaged or not a pose landmarker "
                                 f"bundle ({exc}). Rebuild it with `{REBUILD}` (needs mediapipe 0.10.21) "
                                 f"or reinstall AmbiBlend.") from exc
        self._still = still_images
        self._ms_per_frame = 1000.0 / float(fps)
        self._frame = 0
        self._last_ms = -1

    def __call__(self, rgb: np.ndarray) -> list[Pose]:
        ms = max(int(round(self._frame * self._ms_per_frame)), self._last_ms + 1)
        self._frame, self._last_ms = self._frame + 1, ms
        image = self._mp.Image(image_format=self._mp.ImageFormat.SRGB, data=np.ascontiguousarray(rgb))
        result = self._landmarker.detect(image) if self._still else self._landmarker.detect_for_video(image, ms)
        h, w = rgb.shape[:2]
        poses = []
        for image_lm, world_lm in zip(result.pose_landmarks, result.pose_world_landmarks):
            xyv = np.array([(p.x, p.y, p.visibility) for p in image_lm], dtype=np.float64)
            world = np.array([(p.x, p.y, p.z) for p in world_lm], dtype=np.float64)
            poses.append(Pose(points=xyv[:, :2] * (w, h), visibility=xyv[:, 2], world=world))
        return poses

    def close(self) -> None:
        if self._landmarker is not None:
            self._landmarker.close()
            self._landmarker = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


# At most this many people are looked for in each frame (MediaPipe's num_poses): a dancer and
# an audience, two people training.
DEFAULT_MAX_PEOPLE = 4
# MediaPipe's VIDEO mode runs its person detector on every frame while it tracks fewer poses than
# num_poses: on a one-person clip num_poses=4 costs 1.8x the time and moves the landmarks (mean
# 3.6 px on the sample). So people are counted first, on still frames every COUNT_EVERY_S with
# a lower detection threshold (COUNT_CONFIDENCE: a half-hidden second person still counts), and
# a clip where nobody sees two people is detected with num_poses=1, exactly as before; otherwise
# with num_poses=max_people. bench/bench_people.py measures both for 1, 2 and 4 people.
COUNT_EVERY_S = 0.2
COUNT_CONFIDENCE = 0.3
# Two poses are one person found twice when this share of the smaller one's box lies inside the
# larger one's. Still-image mode sometimes adds an upside-down copy of a person inside his own
# box (cam02 of the shared clip, frames 80 and 84: 98 % and 100 % inside), and that one frame sent
# the whole clip to the slower many-people pass. Two real people overlap this much only while
# one hides the other, and a clip is counted on a frame every COUNT_EVERY_S.
SAME_PERSON_INSIDE = 0.8


def count_distinct(poses: list[Pose]) -> int:
    """How many different people ``poses`` (one frame's) show: a pose whose box lies
    SAME_PERSON_INSIDE or more inside a larger pose's box is not counted again."""
    boxes = sorted((np.r_[p.points.min(axis=0), p.points.max(axis=0)] for p in poses),
                   key=lambda b: -(b[2] - b[0]) * (b[3] - b[1]))
    kept: list[np.ndarray] = []
    for box in boxes:
        area = max((box[2] - box[0]) * (box[3] - box[1]), 1e-9)
        if not any(box_overlap(box, big) / area >= SAME_PERSON_INSIDE for big in kept):
            kept.append(box)
    return len(kept)


def count_people(path, max_frames: int | None = None, max_people: int = DEFAULT_MAX_PEOPLE,
                 every_s: float = COUNT_EVERY_S) -> int:
    """Most different people (``count_distinct``) found in one of the frames sampled every
    ``every_s`` seconds (at least 1)."""
    info = open_video(path)
    step = max(1, int(round(every_s * info.fps)))
    most = 1
    with PoseRunner(fps=info.fps, num_poses=max_people, min_detection_confidence=COUNT_CONFIDENCE,
                    min_presence_confidence=COUNT_CONFIDENCE, still_images=True) as run:
        for rgb in frames(path, max_frames, step=step):   # the frames between are grabbed, not converted
            most = max(most, count_distinct(run(rgb)))
            if most >= max_people:
                break
    return most


def _detections(poses: list[Pose]) -> list[Detection]:
    """MediaPipe poses of one frame → H36M ``Detection``s for the tracker."""
    out = []
    for pose in poses:
        xy, c = to_h36m(pose.points[None], pose.visibility[None], MEDIAPIPE_33)
        world, _ = to_h36m(pose.world[None], pose.visibility[None], MEDIAPIPE_33)
        out.append(Detection(xy=xy[0], conf=c[0], world=world[0]))
    return out


def detect_people(path, progress=None, max_frames: int | None = None,
                  max_people: int = DEFAULT_MAX_PEOPLE, jobs: int = 1) -> People:
    """Every person in every frame of the video at ``path``, linked into identities
    (``core.track``). progress and max_frames as in ``detect_video``. Returns ``People`` (none
    when nobody was found; ``choose`` then says so). Raises AmbiblendError for a missing,
    unreadable or empty file and a missing model.

    People are counted as ``count_people`` does, on the frames the detection decodes anyway
    (``chunks.detect_poses``): a clip where no sample shows two people is detected with
    num_poses=1, otherwise again with num_poses=max_people. jobs > 1: a clip long enough is
    detected in overlapping chunks by that many processes (progress per chunk), the tracker then
    links the joined frames as it would one pass's."""
    from .chunks import detect_poses
    path = Path(path)
    poses = detect_poses(path, max_people, jobs=jobs, progress=progress, max_frames=max_frames)
    first = next(frames(path, 1, prefetch=0))      # the decoded size (OpenCV applies the rotation)
    return track([_detections(p) for p in poses], open_video(path).fps, (first.shape[1], first.shape[0]), str(path))


def detect_video(path, progress=None, max_frames: int | None = None, person="largest",
                 max_people: int = DEFAULT_MAX_PEOPLE) -> Keypoints2D:
    """Detect the chosen person in every frame of the video at ``path``.

    progress: optional ``progress(done, total) -> bool | None`` called after each frame; returning
    False cancels with ``DetectionCancelled``. ``total`` is the container's frame count (an
    estimate, never below ``done``). max_frames: stop after that many frames. person: which of
    the people found (``core.track.choose``: "largest", "visible", "index N", "x,y"; not "all").
    Returns H36M joints in pixels with MediaPipe visibility as confidence, and MediaPipe's world
    joints (metres) in ``world``; frames where that person is not seen are interpolated and
    flagged. Raises AmbiblendError for a missing, unreadable or empty file, a missing model, when
    no frame shows a person and when the choice names nobody (with the list of people found).
    """
    people = detect_people(path, progress, max_frames, max_people)
    chosen = choose(people, person)
    if len(chosen) != 1:
        raise AmbiblendError("detect_video gives one person; use detect_people for all of them.")
    return people.keypoints(chosen[0])
