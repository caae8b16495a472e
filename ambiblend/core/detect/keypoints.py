"""``Keypoints2D``: the 2D joints of one clip, as every later stage receives them.

Produced by ``detect_video`` (MediaPipe on a video) or ``load_keypoints`` (a file from another
detector); consumed by cleaning, lifting and the Blender layer. Our own ``.npz`` form (written by
``Keypoints2D.save``) holds the same fields, so a detection can be cached and reloaded exactly.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import AmbiblendError
from ..skeleton import NUM_JOINTS


@dataclass
class Keypoints2D:
    """2D H36M joints of a clip in image pixels.

    xy:         (T, 17, 2) float64 pixels, x right, y down, origin at the top-left corner; gaps
                already filled (no NaN).
    conf:       (T, 17) float in [0, 1]; 0 where a joint was filled by interpolation.
    filled:     (T,) bool, True for frames in which no person was detected (all joints
                interpolated from neighbouring frames).
    fps:        frames per second of the clip.
    image_size: (width, height) in pixels.
    source:     the path the keypoints came from.
    world:      optional (T, 17, 3) float64 metres: the detector's own 3D joints (MediaPipe's world
                landmarks mapped like ``xy``: origin at the hip centre, MediaPipe's camera-aligned
                axes, x right, y down, z away from the camera); gaps filled like ``xy``. None when
                the source has none (keypoint files from other detectors).
    """
    xy: np.ndarray
    conf: np.ndarray
    filled: np.ndarray
    fps: float
    image_size: tuple[int, int]
    source: str
    world: np.ndarray | None = None

    def __post_init__(self):
        self.xy = np.asarray(self.xy, dtype=np.float64)
        self.conf = np.asarray(self.conf, dtype=np.float64)
        self.filled = np.asarray(self.filled, dtype=bool)
        self.fps = float(self.fps)
        self.image_size = (int(self.image_size[0]), int(self.image_size[1]))
        self.source = str(self.source)
        if self.world is not None:
            self.world = np.asarray(self.world, dtype=np.float64)
        self.validate()

    @property
    def num_frames(self) -> int:
        return int(self.xy.shape[0])

    def validate(self) -> None:
        """Reject arrays later stages cannot use, naming the source."""
        name = Path(self.source).name or self.source
        t = self.xy.shape[0] if self.xy.ndim == 3 else -1
        if self.xy.ndim != 3 or self.xy.shape[1:] != (NUM_JOINTS, 2) or t == 0:
            raise AmbiblendError(f"{name}: keypoints must be (frames, {NUM_JOINTS}, 2), got {self.xy.shape}.")
        if self.conf.shape != (t, NUM_JOINTS) or self.filled.shape != (t,):
            raise AmbiblendError(f"{name}: confidence {self.conf.shape} or filled flags {self.filled.shape} "
                                 f"do not match {t} frames of {NUM_JOINTS} joints.")
        if not np.isfinite(self.xy).all():
            raise AmbiblendError(f"{name}: keypoints hold NaN or infinite values.")
        if not (np.isfinite(self.fps) and self.fps > 0):
            raise AmbiblendError(f"{name}: frame rate must be positive, got {self.fps}.")
        if min(self.image_size) <= 0:
            raise AmbiblendError(f"{name}: image size must be positive, got {self.image_size}.")
        if self.world is not None:
            if self.world.shape != (t, NUM_JOINTS, 3):
                raise AmbiblendError(f"{name}: world joints must be ({t}, {NUM_JOINTS}, 3), got {self.world.shape}.")
            if not np.isfinite(self.world).all():
                raise AmbiblendError(f"{name}: world joints hold NaN or infinite values.")

    def save(self, path) -> None:
        """Write our ``.npz`` form (read back by ``load_keypoints``); ``world`` only when present."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        extra = {} if self.world is None else {"world": self.world}
        np.savez_compressed(path, xy=self.xy, conf=self.conf.astype(np.float32),
                            filled=self.filled, fps=np.float64(self.fps),
                            image_size=np.array(self.image_size, dtype=np.int64),
                            source=np.array(Path(self.source).name), **extra)
