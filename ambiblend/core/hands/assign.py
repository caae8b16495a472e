"""Which body wrist each detected hand belongs to, consistently over time.

MediaPipe's handedness label is a guess from the hand's look (and is mirrored for selfie
images); the body tells us more. Per frame, every candidate hand is scored against each body
wrist (MediaPipe Pose landmarks 15/16, subject's left/right):

  cost = |hand wrist − body wrist| / forearm + TEMPORAL_WEIGHT · mean |hand landmarks − that
         side's hand landmarks when last seen| / forearm   (the second term within HOLD_S of it)

and the assignment (each side gets at most one hand, each hand at most one side) with the
lowest total of (cost − 2) wins (every cost is below 2), so a side takes a hand whenever one is close enough. A hand
whose wrist is more than ``MAX_WRIST_DISTANCE`` forearms from every body wrist is dropped
(another person's hand, a reflection, a false detection) and counted. Hands crossing: the
temporal term compares whole hands, not wrists, so where the two wrists meet each side keeps the
hand that looks like (is placed like) its own of the frame before.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from .landmarks import NUM_LANDMARKS, SIDE_NAMES, SIDES, WRIST

MAX_WRIST_DISTANCE = 0.5     # forearms; a real hand's wrist lands within ~0.1 of the body's
TEMPORAL_WEIGHT = 0.5
HOLD_S = 0.25


@dataclass
class HandTrack:
    """Hands of one clip, by the subject's side (axis 1: 0 = left, 1 = right).

    points:  (T, 2, 21, 2) frame pixels, NaN where that hand was not found.
    world:   (T, 2, 21, 3) metres, MediaPipe's hand world landmarks (camera-aligned axes, origin
             near the hand's centre), NaN where not found.
    found:   (T, 2) bool.   score: (T, 2) MediaPipe's hand score (0 where not found).
    dropped: (T,) number of hands found far from any wrist and dropped.
    mode:    "crops" (around the wrists) or "frame" (whole frame) or "file" (keypoint file).
    """
    points: np.ndarray
    world: np.ndarray
    found: np.ndarray
    score: np.ndarray
    dropped: np.ndarray
    label_agrees: np.ndarray | None = None
    mode: str = "crops"

    @property
    def num_frames(self) -> int:
        return int(self.found.shape[0])

    def summary(self) -> str:
        """One line for the report: frames per side, both, dropped detections."""
        t = self.num_frames
        parts = [f"{SIDE_NAMES[s]} hand in {int(self.found[:, i].sum())}/{t} frames" for i, s in enumerate(SIDES)]
        text = "Hands: " + ", ".join(parts) + f", both in {int(self.found.all(axis=1).sum())}"
        n = int(self.dropped.sum())
        if n:
            text += f"; {n} detection{'s' if n != 1 else ''} far from any wrist dropped"
        if not self.found.any():
            text += "; no hand seen, fingers not keyed"
        return text + "."


def empty_track(num_frames: int, mode: str = "crops") -> HandTrack:
    t = int(num_frames)
    return HandTrack(points=np.full((t, 2, NUM_LANDMARKS, 2), np.nan), world=np.full((t, 2, NUM_LANDMARKS, 3), np.nan),
                     found=np.zeros((t, 2), bool), score=np.zeros((t, 2)), dropped=np.zeros(t, int),
                     label_agrees=np.ones((t, 2), bool), mode=mode)


def assign_hands(candidates, wrists: np.ndarray, forearms: np.ndarray, fps: float, mode: str = "crops") -> HandTrack:
    """candidates: per frame a list of ``detect.Hand``; wrists (T, 2, 2) body wrist pixels [left,
    right] (NaN where no body); forearms (T, 2) forearm image lengths → ``HandTrack``."""
    track = empty_track(len(candidates), mode)
    last = [None, None]                  # (frame, landmarks px) of each side's last hand
    hold = max(1, int(round(HOLD_S * fps)))
    for t, hands in enumerate(candidates):
        if not hands:
            continue
        cost = np.full((len(hands), 2), np.inf)
        for i, h in enumerate(hands):
            for s in range(2):
                arm = forearms[t, s]
                if not (np.isfinite(wrists[t, s]).all() and np.isfinite(arm) and arm > 0):
                    continue
                d = np.linalg.norm(h.points[WRIST] - wrists[t, s]) / arm
                if d > MAX_WRIST_DISTANCE:
                    continue
                if last[s] is not None and t - last[s][0] <= hold:
                    moved = np.mean(np.linalg.norm(h.points - last[s][1], axis=-1))
                    d += TEMPORAL_WEIGHT * min(moved / arm, 1.0)
                cost[i, s] = d
        best, pick = 0.0, (None, None)
        choices = [None] + list(range(len(hands)))
        for a, b in itertools.product(choices, choices):
            if a is not None and a == b:
                continue
            total = sum(cost[i, s] - 2.0 for s, i in ((0, a), (1, b)) if i is not None)
            if total < best:
                best, pick = total, (a, b)
        track.dropped[t] = int(np.sum(~np.isfinite(cost).any(axis=1)))
        for s, i in enumerate(pick):
            if i is None:
                continue
            h = hands[i]
            track.points[t, s], track.world[t, s] = h.points, h.world
            track.found[t, s], track.score[t, s] = True, h.score
            track.label_agrees[t, s] = h.side in ("", SIDES[s])
            last[s] = (t, h.points)
    return track
