"""MediaPipe Hand Landmarker (Tasks API) on crops around the body's wrists, or on whole frames.

The model is ``assets/mediapipe/hand_landmarker.task`` (palm detector + full landmark model),
built by ``tools/build_hand_task.py`` from the models inside the mediapipe 0.10.21 wheel; it
runs on mediapipe 0.10.21 and 1.2.x, and nothing is downloaded.

Hands are small in a full-body shot (a 1080×1920 frame holds a ~100-pixel hand), and the palm
detector sees the whole frame at 192×192: it misses most of them. So, as MediaPipe's Holistic
graph does, each frame's body joints (the lifted person's ``Keypoints2D``: wrist and elbow)
give a square region around each wrist
(``hand_regions``), one landmarker per wrist runs on that crop (VIDEO mode: the crop moves with the
arm, so the hand stays put inside it and MediaPipe's tracking works), and the landmarks are mapped back to frame pixels. A hand
found in both crops (hands together) is kept once. ``mode="frame"`` runs the landmarker on the
whole frame in VIDEO mode instead (the comparison in ``bench/measure_hands.py``).

Output per frame: a list of ``Hand`` candidates; which body wrist each one belongs to is
``assign.assign_hands``'s job, not the model's handedness guess.
"""
from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import numpy as np

from ..assets import ASSETS
from ..errors import AmbiblendError
from .landmarks import BODY_ELBOW, BODY_WRIST, SIDES, WRIST

HAND_TASK = ASSETS / "mediapipe" / "hand_landmarker.task"
REBUILD = "python tools/build_hand_task.py"
# Region around a wrist: a square of REGION_SCALE × the forearm's image length (a hand is ~0.75
# of a forearm), centred REGION_SHIFT of a forearm beyond the wrist along the pose's
# wrist → knuckles direction; never smaller than MIN_REGION_PX.
REGION_SCALE = 1.6
REGION_SHIFT = 0.3
MIN_REGION_PX = 96
CROP_PX = 256          # crops are resized to this (the palm detector works at 192)
MODES = ("crops", "frame")


class Hand(NamedTuple):
    """One detected hand in one frame."""
    points: np.ndarray    # (21, 2) frame pixels, x right, y down
    world: np.ndarray     # (21, 3) metres, MediaPipe's hand-centred camera-aligned axes
    score: float          # handedness score (MediaPipe's confidence in the hand)
    side: str = ""        # the subject's side ("L"/"R") MediaPipe's handedness label implies


def _model_bytes(path: Path) -> bytes:
    if not path.is_file():
        raise AmbiblendError(f"The MediaPipe hand model {path} is missing. Rebuild it with `{REBUILD}` "
                             f"(needs mediapipe 0.10.21) or reinstall AmbiBlend.")
    return path.read_bytes()


def hand_regions(wrists: np.ndarray, elbows: np.ndarray) -> list[tuple[float, float, float] | None]:
    """Square regions (centre x, centre y, side) in pixels around each wrist: wrists, elbows
    (2, 2) body joints [left, right]. A hand extends the forearm, so the region is centred
    ``REGION_SHIFT`` forearms beyond the wrist along elbow → wrist, ``REGION_SCALE`` forearms a
    side (at least ``MIN_REGION_PX``); None for a side with a missing wrist or elbow."""
    out = []
    for wrist, elbow in zip(np.asarray(wrists, float), np.asarray(elbows, float)):
        if not np.isfinite([*wrist, *elbow]).all():
            out.append(None)
            continue
        forearm = float(np.linalg.norm(wrist - elbow))
        way = (wrist - elbow) / forearm if forearm > 1e-6 else np.zeros(2)
        centre = wrist + REGION_SHIFT * forearm * way
        out.append((float(centre[0]), float(centre[1]), max(REGION_SCALE * forearm, MIN_REGION_PX)))
    return out


def crop_square(rgb: np.ndarray, cx: float, cy: float, size: float, out_px: int = CROP_PX):
    """Square crop of ``rgb`` centred (cx, cy), ``size`` pixels a side (zero outside the frame),
    resized to ``out_px`` → (crop, x0, y0, pixels per crop pixel)."""
    import cv2
    s = int(round(size))
    x0, y0 = int(round(cx - s / 2)), int(round(cy - s / 2))
    h, w = rgb.shape[:2]
    crop = np.zeros((s, s, 3), dtype=np.uint8)
    ax0, ay0, ax1, ay1 = max(x0, 0), max(y0, 0), min(x0 + s, w), min(y0 + s, h)
    if ax1 > ax0 and ay1 > ay0:
        crop[ay0 - y0:ay1 - y0, ax0 - x0:ax1 - x0] = rgb[ay0:ay1, ax0:ax1]
    scale = s / out_px
    if s != out_px:
        crop = cv2.resize(crop, (out_px, out_px), interpolation=cv2.INTER_AREA if s > out_px else cv2.INTER_LINEAR)
    return np.ascontiguousarray(crop), x0, y0, scale


class HandRunner:
    """The Hand Landmarker for one clip.

    ``mode="crops"``: ``runner.in_regions(rgb, regions)`` → the hands found in the regions
    around the two wrists. Each wrist has its own landmarker in VIDEO mode: the region follows
    the wrist, so inside it the hand barely moves and MediaPipe's tracking (landmarks of the
    last frame give the next ROI; the palm detector runs only when the hand is lost) works as
    on a still camera, at a fraction of the palm detector's cost. One hand per region: VIDEO
    mode runs the palm detector on every frame until it tracks ``num_hands`` hands, so asking
    for two in a region that holds one would pay for it every frame. ``mode="frame"``:
    ``runner(rgb)`` on the whole frame (VIDEO mode). Frame i gets the timestamp i / fps. Use
    as a context manager (closes the models).
    """

    def __init__(self, fps: float = 30.0, mode: str = "crops", num_hands: int = 2,
                 min_detection_confidence: float = 0.5, min_presence_confidence: float = 0.5,
                 task_path: Path | None = None):
        from ..detect.mediapipe_pose import _vision
        if mode not in MODES:
            raise AmbiblendError(f"Hand detection mode must be one of {', '.join(MODES)}, got {mode!r}.")
        self._mp, vision, base_options = _vision()
        path = Path(task_path or HAND_TASK)
        self.mode = mode
        model = _model_bytes(path)
        options = vision.HandLandmarkerOptions(
            base_options=base_options(model_asset_buffer=model), running_mode=vision.RunningMode.VIDEO,
            num_hands=int(num_hands) if mode == "frame" else 1,
            min_hand_detection_confidence=min_detection_confidence,
            min_hand_presence_confidence=min_presence_confidence, min_tracking_confidence=0.5)
        self._landmarkers = []
        try:
            for _ in range(2 if mode == "crops" else 1):
                self._landmarkers.append(vision.HandLandmarker.create_from_options(options))
        except (RuntimeError, ValueError, OSError) as exc:
            self.close()
            raise AmbiblendError(f"The MediaPipe hand model {path} is damaged or not a hand landmarker "
                                 f"bundle ({exc}). Rebuild it with `{REBUILD}` (needs mediapipe 0.10.21) "
                                 f"or reinstall AmbiBlend.") from exc
        self._ms_per_frame = 1000.0 / float(fps)
        self._frame, self._last_ms = 0, -1

    def _timestamp(self) -> int:
        ms = max(int(round(self._frame * self._ms_per_frame)), self._last_ms + 1)
        self._frame, self._last_ms = self._frame + 1, ms
        return ms

    def _image(self, rgb):
        return self._mp.Image(image_format=self._mp.ImageFormat.SRGB, data=np.ascontiguousarray(rgb))

    @staticmethod
    def _hands(result, x0, y0, sx, sy) -> list[Hand]:
        hands = []
        for lm, world, handed in zip(result.hand_landmarks, result.hand_world_landmarks, result.handedness):
            xy = np.array([(p.x, p.y) for p in lm], dtype=np.float64)
            hands.append(Hand(points=xy * (sx, sy) + (x0, y0),
                              world=np.array([(p.x, p.y, p.z) for p in world], dtype=np.float64),
                              score=float(handed[0].score) if handed else 0.0,
                              side=_label_side(handed[0].category_name) if handed else ""))
        return hands

    def __call__(self, rgb: np.ndarray) -> list[Hand]:
        """Whole-frame detection (``mode="frame"``; call on consecutive frames)."""
        h, w = rgb.shape[:2]
        return self._hands(self._landmarkers[0].detect_for_video(self._image(rgb), self._timestamp()), 0, 0, w, h)

    def in_regions(self, rgb: np.ndarray, regions) -> list[Hand]:
        """Hands in the square ``regions`` [(cx, cy, side) or None for the left, right wrist] of
        ``rgb`` (``mode="crops"``; call on consecutive frames), in frame pixels, the same hand
        found in both regions kept once."""
        ms = self._timestamp()
        found: list[Hand] = []
        for landmarker, region in zip(self._landmarkers, regions):
            if region is None:
                continue
            crop, x0, y0, scale = crop_square(rgb, *region)
            n = crop.shape[0] * scale
            found += self._hands(landmarker.detect_for_video(self._image(crop), ms), x0, y0, n, n)
        return dedupe(found)

    def close(self) -> None:
        for landmarker in self._landmarkers:
            landmarker.close()
        self._landmarkers = []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _label_side(label: str) -> str:
    """The side MediaPipe's handedness label names. On the Tasks API with unmirrored video frames
    "Left" is the subject's left (checked on the shared clips: where the label and the wrist
    agree, the fingers' 3D curls towards the palm; where they disagree, away from it)."""
    return {"left": "L", "right": "R"}.get(str(label).lower(), "")


def hand_size(points: np.ndarray) -> float:
    """Image size of a hand (21, 2): the largest landmark distance from its wrist."""
    return float(np.max(np.linalg.norm(points - points[WRIST], axis=-1)))


def dedupe(hands: list[Hand], overlap: float = 0.3) -> list[Hand]:
    """Drop a hand whose landmarks lie within ``overlap`` × its size of a better-scored one
    (the same hand found in two overlapping crops)."""
    kept: list[Hand] = []
    for h in sorted(hands, key=lambda h: -h.score):
        size = max(hand_size(h.points), 1.0)
        if all(np.mean(np.linalg.norm(h.points - k.points, axis=-1)) > overlap * size for k in kept):
            kept.append(h)
    return kept




def body_wrists(kp) -> tuple[np.ndarray, np.ndarray]:
    """(wrists (T, 2, 2) pixels [left, right], forearm image lengths (T, 2)) from ``Keypoints2D``."""
    wrists = np.stack([kp.xy[:, BODY_WRIST[s]] for s in SIDES], axis=1)
    elbows = np.stack([kp.xy[:, BODY_ELBOW[s]] for s in SIDES], axis=1)
    return wrists, np.linalg.norm(wrists - elbows, axis=-1)


def detect_hands(path, kp, mode: str = "crops", progress=None, max_frames: int | None = None):
    """Hands of the person in ``kp`` (the video's ``Keypoints2D``) in every frame of the video
    at ``path`` → ``assign.HandTrack`` (each hand on the subject's left or right wrist).

    A second pass over the decoded frames, after the body's: the regions come from the chosen
    person's wrists, so with several people in view the hands are that person's. progress:
    ``progress(done, total)``; returning False cancels (``DetectionCancelled``).
    """
    from ..detect.mediapipe_pose import DetectionCancelled
    from ..detect.video import frames
    from .assign import assign_hands
    total = kp.num_frames if max_frames is None else min(kp.num_frames, max_frames)
    wrists, forearms = body_wrists(kp)
    elbows = np.stack([kp.xy[:, BODY_ELBOW[s]] for s in SIDES], axis=1)
    candidates: list[list[Hand]] = []
    with HandRunner(fps=kp.fps, mode=mode) as run:
        for t, rgb in enumerate(frames(path, total)):
            if mode == "frame":
                candidates.append(run(rgb))
            else:
                candidates.append(run.in_regions(rgb, hand_regions(wrists[t], elbows[t])))
            if progress is not None and progress(t + 1, total) is False:
                raise DetectionCancelled(f"Hand detection of {Path(path).name} was cancelled.")
    n = len(candidates)
    return assign_hands(candidates, wrists[:n], forearms[:n], kp.fps, mode)
