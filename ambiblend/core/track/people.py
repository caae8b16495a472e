"""``People``: every person of a clip as tracked identities, before one is chosen.

Produced by ``tracker.track`` from per-frame detections (MediaPipe with several poses, or a
keypoint file with several people per frame); the chosen person becomes a ``Keypoints2D``
(``People.keypoints``), with the frames where that person is unseen filled and flagged as for
a single-person clip.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import AmbiblendError

MIN_BOX_CONF = 0.3   # joints below this confidence do not widen a person's box


def box_overlap(a, b) -> float:
    """Area of the intersection of boxes (x0, y0, x1, y1) (0 when they do not meet)."""
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    return float(w * h) if w > 0 and h > 0 else 0.0


def boxes(xy: np.ndarray, conf: np.ndarray) -> np.ndarray:
    """Bounding boxes (..., 4) = (x0, y0, x1, y1) pixels of joints xy (..., 17, 2), conf (..., 17).

    Joints with confidence ≥ MIN_BOX_CONF count; when fewer than 3 do, every finite joint does
    (a person seen only faintly still has a box). NaN where no joint is finite."""
    xy = np.asarray(xy, dtype=np.float64)
    finite = np.isfinite(xy).all(axis=-1)
    good = finite & (np.asarray(conf) >= MIN_BOX_CONF)
    use = np.where((good.sum(axis=-1) >= 3)[..., None], good, finite)
    x = np.where(use, xy[..., 0], np.nan)
    y = np.where(use, xy[..., 1], np.nan)
    with warnings.catch_warnings():   # an unseen person has no box: NaN is the answer
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.stack([np.nanmin(x, -1), np.nanmin(y, -1), np.nanmax(x, -1), np.nanmax(y, -1)], axis=-1)


@dataclass
class PersonSummary:
    """What the panel and the messages show of one person (``number`` counts from 1)."""
    number: int
    frames_seen: int
    first_frame: int          # 0-based
    last_frame: int
    median_height: float      # box height in pixels, median over the frames seen
    mean_conf: float          # mean joint confidence over the frames seen
    box: tuple | None         # (x0, y0, x1, y1) on the frame asked for, None when unseen there

    def describe(self, num_frames: int) -> str:
        where = "" if self.box is None else " box ({:.0f}, {:.0f})–({:.0f}, {:.0f})".format(*self.box)
        return (f"person {self.number}: seen in {self.frames_seen} of {num_frames} frames "
                f"({self.first_frame + 1}–{self.last_frame + 1}), about {self.median_height:.0f} px tall{where}")


@dataclass
class People:
    """Tracked people of one clip, in pixels (x right, y down, origin top-left).

    xy:     (P, T, 17, 2) float64 H36M joints, NaN where the person or the joint is unseen.
    conf:   (P, T, 17) in [0, 1], 0 where unseen.
    seen:   (P, T) bool, the person was detected in that frame.
    world:  (P, T, 17, 3) metres (the detector's 3D joints, NaN where unseen) or None.
    filled: (P, T) bool or None: frames an earlier stage had already filled (kept flagged).
    fps, image_size (width, height), source: as in ``Keypoints2D``.
    People are numbered 1…P in order of first appearance (left to right among those who appear
    in the same frame).
    """
    xy: np.ndarray
    conf: np.ndarray
    seen: np.ndarray
    fps: float
    image_size: tuple[int, int]
    source: str
    world: np.ndarray | None = None
    filled: np.ndarray | None = None    # (P, T) frames filled before (our own .npz keeps its flags)

    @property
    def count(self) -> int:
        return int(self.xy.shape[0])

    @property
    def num_frames(self) -> int:
        return int(self.xy.shape[1])

    @property
    def name(self) -> str:
        return Path(self.source).name or self.source

    def boxes(self) -> np.ndarray:
        """(P, T, 4) boxes, NaN where unseen."""
        b = boxes(self.xy, self.conf)
        b[~self.seen] = np.nan
        return b

    def summaries(self, frame: int | None = None) -> list[PersonSummary]:
        """One ``PersonSummary`` per person; ``box`` on ``frame`` (0-based), or on the frame
        where the person is largest when frame is None."""
        b = self.boxes()
        out = []
        for p in range(self.count):
            seen = np.flatnonzero(self.seen[p])
            heights = b[p, seen, 3] - b[p, seen, 1]
            t = frame if frame is not None else int(seen[np.argmax(heights)])
            box = None if not (0 <= t < self.num_frames and self.seen[p, t]) else tuple(float(v) for v in b[p, t])
            out.append(PersonSummary(number=p + 1, frames_seen=len(seen), first_frame=int(seen[0]),
                                     last_frame=int(seen[-1]), median_height=float(np.median(heights)),
                                     mean_conf=float(self.conf[p, seen].mean()), box=box))
        return out

    def describe(self, frame: int | None = None) -> str:
        """'N people found: person 1: …; person 2: …' for messages."""
        if self.count == 0:
            return "nobody was found"
        lines = "; ".join(s.describe(self.num_frames) for s in self.summaries(frame))
        return f"{self.count} {'person was' if self.count == 1 else 'people were'} found: {lines}"

    def keypoints(self, index: int):
        """Person ``index`` (0-based) as ``Keypoints2D``: unseen frames interpolated, conf 0,
        flagged in ``filled``; the world joints filled the same way."""
        from ..detect.gaps import fill_gaps           # detect imports this stage: no cycle at import
        from ..detect.keypoints import Keypoints2D
        if not 0 <= index < self.count:
            raise AmbiblendError(f"{self.name}: there is no person {index + 1}; {self.describe()}.")
        person = self.seen[index]
        xy, conf, filled = fill_gaps(self.xy[index], self.conf[index], person, self.name)
        if self.filled is not None:
            filled |= self.filled[index]
        world = None
        if self.world is not None:
            world = fill_gaps(self.world[index], self.conf[index], person, self.name)[0]
        return Keypoints2D(xy=xy, conf=conf, filled=filled, fps=self.fps, image_size=self.image_size,
                           source=self.source, world=world)
