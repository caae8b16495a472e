"""Linking per-frame detections into identities: who is who from frame to frame.

    people = track(frames, fps, image_size, source)     # frames: per frame a list of Detection

Each track keeps its last joints, a velocity (pixels/frame, the median of its recent pelvis
motion) and a body size (its box diagonal, averaged in log space). In every frame:

1. Duplicates go: two detections whose boxes overlap by IoU > ``DUPLICATE_IOU`` are one person
   (the detector can put a second pose on someone); the more confident one stays.
2. Each track predicts its joints: last joints + velocity × frames since it was last seen (the
   extrapolation stops after ``MAX_EXTRAPOLATION_S``: a hidden person is assumed to slow
   down). The velocity is the median of the pelvis's frame-to-frame motion over the last
   ``VELOCITY_WINDOW_S`` it was seen: one jittery detection does not send a standing person
   flying.
3. Cost of track i for detection j, all in units of the track's body size s_i:
   ``d`` = mean distance of the detection's joints to the predicted ones / s_i (joint by joint,
   so two people standing close are still told apart by their poses),
   ``+ 0.5 (1 − IoU)`` of predicted and detected box, ``+ |log(size_j / s_i)|`` (body size).
   A pair is allowed only when d ≤ gate(gap) = min(0.25 + 2 · gap / fps, 1.5) (detector
   noise plus 2 body sizes per second of unpredicted motion: a hidden person may reappear
   further away the longer they were hidden, never more than 1.5 body sizes from where they
   were expected) and the sizes differ less than 2×.
4. Assignment minimises the summed cost, an unmatched track or detection costing ``MISS``
   (exactly for up to 20 track × detection pairs, greedily beyond).
   Two rules keep a detection from the wrong person while people overlap: a detection whose
   best track is not clearly better than the second best (cost ratio > ``CONTEST_RATIO``) goes
   to nobody, and a track lost for a while gives way: it may not take a detection overlapping
   where someone seen more recently is expected (the one in front is what is detected there).
   The frames of the person then count as unseen (filled and flagged downstream), which is
   safe; a wrong identity would not be.
5. A detection left over starts a new identity, unless it overlaps a matched one by IoU > 0.5
   (a fragment of someone already tracked), is contested, or overlaps where a person in view
   (seen within ``RECENT_S``) is expected.

Why this keeps identities when two people cross: the one in front keeps matching their own
track (their prediction, with their velocity, is closest); the one behind is unmatched while
hidden and is found again where expected when they reappear, because every track is kept for
the whole clip (lost and found keeps the identity within the gate above). Tracks seen in fewer
than ``MIN_FRAMES`` frames (a flicker of a false detection) are dropped, unless no track is
longer.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from ..skeleton import NUM_JOINTS, ROOT
from .people import People, box_overlap, boxes

DUPLICATE_IOU = 0.7
FRAGMENT_IOU = 0.5
MAX_EXTRAPOLATION_S = 0.5
VELOCITY_WINDOW_S = 0.25
MISS = 1.0
MIN_FRAMES = 3
MAX_SIZE_RATIO = 2.0
# Gate: 0.25 body sizes of detector noise (a box diagonal is about 1.1 times the standing height),
# plus 2 body sizes per second unpredicted (≈ 3.5 m/s of mean joint motion beyond the track's
# velocity); at most 1.5 body sizes however long the person was hidden.
GATE_NOISE = 0.25
GATE_SPEED = 2.0
MAX_GATE = 1.5
CONTEST_RATIO = 0.6     # a detection nearly as close to a second track as to the best: nobody's
RECENT_S = 0.05         # a track seen this recently (at least 2 frames) is "in view": the ambiguity rule
AMBIGUOUS_IOU = 0.3
MERGE_SIZE_RATIO = 1.5


class Detection(NamedTuple):
    """One person in one frame, H36M joints."""
    xy: np.ndarray                 # (17, 2) pixels, NaN where missing
    conf: np.ndarray               # (17,) in [0, 1]
    world: np.ndarray | None = None  # (17, 3) metres or None


def gate(gap: int, fps: float) -> float:
    """Largest allowed mean joint distance from the prediction, in body sizes, ``gap`` frames
    after the track was last seen (1 = the previous frame): detector noise plus how far a body
    part can move unpredicted in that time, never more than ``MAX_GATE``."""
    return min(GATE_NOISE + GATE_SPEED * gap / fps, MAX_GATE)


def _box(xy, conf) -> np.ndarray:
    return boxes(xy[None], conf[None])[0]


def _size(box) -> float:
    return float(max(np.hypot(box[2] - box[0], box[3] - box[1]), 1.0))


def _iou(a, b) -> float:
    inter = box_overlap(a, b)
    if inter == 0.0:
        return 0.0
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return float(inter / union) if union > 0 else 0.0


def _centre(xy, box) -> np.ndarray:
    return xy[ROOT].copy() if np.isfinite(xy[ROOT]).all() else np.array([(box[0] + box[2]) / 2, (box[1] + box[3]) / 2])


@dataclass
class _Track:
    xy: np.ndarray            # (17, 2) last joints (missing ones kept from before)
    size: float
    last: int                 # frame last seen
    window: int = 15          # frames of history the velocity is measured over
    history: list = field(default_factory=list)   # [(t, pelvis (2,))] of the last frames seen
    frames: dict = field(default_factory=dict)    # t → Detection

    @property
    def velocity(self) -> np.ndarray:
        """Median frame-to-frame pelvis motion (pixels/frame) over the recent history."""
        h = [(t, c) for t, c in self.history if t > self.last - self.window]
        if len(h) < 2:
            return np.zeros(2)
        steps = [(c1 - c0) / (t1 - t0) for (t0, c0), (t1, c1) in zip(h, h[1:])]
        return np.median(np.array(steps), axis=0)

    def predict(self, t: int, max_steps: int) -> np.ndarray:
        return self.xy + self.velocity * min(t - self.last, max_steps)

    def update(self, t: int, det: Detection, box) -> None:
        new_xy = np.where(np.isfinite(det.xy), det.xy, self.predict(t, 1))
        self.history = (self.history + [(t, _centre(new_xy, box))])[-self.window:]
        self.size = float(np.exp(0.7 * np.log(self.size) + 0.3 * np.log(_size(box))))
        self.xy, self.last = new_xy, t
        self.frames[t] = det


def _cost(track: _Track, t: int, det: Detection, box, max_steps: int, fps: float) -> float:
    """Cost of linking ``det`` to ``track`` (see the module doc); inf outside the gate."""
    pred = track.predict(t, max_steps)
    both = np.isfinite(det.xy).all(axis=-1) & np.isfinite(pred).all(axis=-1)
    if not both.any():
        return np.inf
    d = float(np.linalg.norm(det.xy[both] - pred[both], axis=-1).mean()) / track.size
    ratio = abs(np.log(_size(box) / track.size))
    if d > gate(t - track.last, fps) or ratio > np.log(MAX_SIZE_RATIO):
        return np.inf
    pred_box = _box(pred, np.ones(NUM_JOINTS))
    return d + 0.5 * (1.0 - _iou(pred_box, box)) + ratio


def assign(cost: np.ndarray) -> list[tuple[int, int]]:
    """Pairs (track, detection) minimising Σ cost + MISS · unmatched (inf = not allowed)."""
    m, n = cost.shape
    pairs = [(i, j) for i in range(m) for j in range(n) if cost[i, j] < 2 * MISS]
    if not pairs:
        return []
    if m * n > 20:   # greedy: cheapest pair first
        out, used_i, used_j = [], set(), set()
        for i, j in sorted(pairs, key=lambda p: cost[p]):
            if i not in used_i and j not in used_j:
                out.append((i, j))
                used_i.add(i)
                used_j.add(j)
        return out
    best, best_cost = [], MISS * (m + n)
    options = [[None] + [j for j in range(n) if cost[i, j] < 2 * MISS] for i in range(m)]
    for choice in itertools.product(*options):
        used = [j for j in choice if j is not None]
        if len(used) != len(set(used)):
            continue
        total = sum(cost[i, j] for i, j in enumerate(choice) if j is not None) + MISS * (m + n - 2 * len(used))
        if total < best_cost - 1e-12:
            best, best_cost = [(i, j) for i, j in enumerate(choice) if j is not None], total
    return best


def _ambiguous(tracks: list[_Track], t: int, bxs: list, max_steps: int, recent: int) -> np.ndarray:
    """(n,) bool: detections overlapping (IoU > AMBIGUOUS_IOU) where a track seen within
    ``recent`` frames is expected: only such a track may take them, and they start nobody new
    (while two people overlap, a detection may mix them)."""
    out = np.zeros(len(bxs), dtype=bool)
    for tr in tracks:
        if 0 < t - tr.last <= recent:
            pred_box = _box(tr.predict(t, max_steps), np.ones(NUM_JOINTS))
            out |= np.array([_iou(pred_box, b) > AMBIGUOUS_IOU for b in bxs], dtype=bool)
    return out


def _give_way(cost: np.ndarray, tracks: list[_Track], t: int, bxs: list, max_steps: int) -> None:
    """A track not seen in the previous frame may not take a detection that overlaps (IoU >
    AMBIGUOUS_IOU) where a track seen more recently is expected: the person seen last is the
    better explanation (while one person hides behind another, the one in front is what is
    detected there). Sets those costs to inf in place."""
    if len(tracks) < 2 or not bxs:
        return
    pred = [_box(tr.predict(t, max_steps), np.ones(NUM_JOINTS)) for tr in tracks]
    overlap = np.array([[_iou(p, b) > AMBIGUOUS_IOU for b in bxs] for p in pred])
    for i, tr in enumerate(tracks):
        if t - tr.last <= 1:
            continue
        for k, other in enumerate(tracks):
            if k != i and other.last > tr.last:
                cost[i, overlap[k]] = np.inf


def _contested(cost: np.ndarray) -> np.ndarray:
    """(n,) bool: detections whose best track is not clearly better than the second best (cost
    ratio above CONTEST_RATIO) — two people overlapping, one of them hidden: given to nobody."""
    out = np.zeros(cost.shape[1], dtype=bool)
    if cost.shape[0] < 2:
        return out
    two = np.sort(cost, axis=0)[:2]                         # best and second best per detection
    with np.errstate(invalid="ignore"):
        out = np.isfinite(two[1]) & (two[0] > CONTEST_RATIO * two[1])
    return out


def _end_state(tr: _Track, first: bool = False):
    """(joints, velocity px/frame, median size, frame) at the end (or the start) of a tracklet,
    from its last (first) up to 5 detections."""
    ts = sorted(tr.frames)
    use = ts[:5] if first else ts[-5:]
    pel = np.array([_centre(tr.frames[u].xy, _box(tr.frames[u].xy, tr.frames[u].conf)) for u in use])
    vel = (pel[-1] - pel[0]) / (use[-1] - use[0]) if len(use) > 1 else np.zeros(2)
    size = float(np.median([_size(_box(tr.frames[u].xy, tr.frames[u].conf)) for u in ts]))
    t = use[0] if first else use[-1]
    return tr.frames[t].xy, vel, size, t


def merge_tracklets(tracks: list[_Track], fps: float, max_steps: int) -> list[_Track]:
    """Join tracklets one of which starts after the other ends, where the later one begins where
    the earlier one, moving on at its end velocity, is expected: mean joint distance within
    gate(gap) of the earlier one's median size, median sizes within 1.5x. Cheapest pair first.
    This is lost and found for people the online pass could not link (a long occlusion, a
    detector that jittered while they were hidden)."""
    tracks = list(tracks)
    while True:
        best = None
        for a, ta in enumerate(tracks):
            xy_a, vel_a, size_a, end_a = _end_state(ta)
            for b, tb in enumerate(tracks):
                if b == a or min(tb.frames) <= end_a:
                    continue
                xy_b, _, size_b, start_b = _end_state(tb, first=True)
                gap = start_b - end_a
                if abs(np.log(size_b / size_a)) > np.log(MERGE_SIZE_RATIO):
                    continue
                pred = xy_a + vel_a * min(gap, max_steps)
                both = np.isfinite(pred).all(-1) & np.isfinite(xy_b).all(-1)
                if not both.any():
                    continue
                d = float(np.linalg.norm(pred[both] - xy_b[both], axis=-1).mean()) / size_a
                if d <= gate(gap, fps) and (best is None or d < best[0]):
                    best = (d, a, b)
        if best is None:
            return tracks
        _, a, b = best
        tracks[a].frames.update(tracks[b].frames)
        tracks[a].last = max(tracks[a].last, tracks[b].last)
        del tracks[b]


def _deduplicate(dets: list[Detection], bxs: list) -> list[int]:
    """Indices of the detections kept (the more confident of any pair overlapping > DUPLICATE_IOU)."""
    order = sorted(range(len(dets)), key=lambda k: -float(np.mean(dets[k].conf)))
    kept = []
    for k in order:
        if all(_iou(bxs[k], bxs[q]) <= DUPLICATE_IOU for q in kept):
            kept.append(k)
    return sorted(kept)


def _new_track(t: int, det: Detection, box, window: int) -> _Track:
    xy = det.xy.copy()
    xy[~np.isfinite(xy).all(axis=-1)] = np.nanmean(xy, axis=0)   # missing joints: the body's centre
    tr = _Track(xy=xy, size=_size(box), last=t, window=window)
    tr.frames[t] = det
    tr.history.append((t, _centre(xy, box)))
    return tr


def track(frames: list[list[Detection]], fps: float, image_size, source: str,
          min_frames: int = MIN_FRAMES) -> People:
    """Per-frame detections → ``People`` (identities numbered by first appearance, then x)."""
    max_steps = max(1, int(round(MAX_EXTRAPOLATION_S * fps)))
    recent = max(2, int(round(RECENT_S * fps)))
    window = max(3, int(round(VELOCITY_WINDOW_S * fps)))
    tracks: list[_Track] = []
    with_world = False
    for t, dets in enumerate(frames):
        dets = [d for d in dets if np.isfinite(d.xy).all(axis=-1).sum() >= 3]
        bxs = [_box(d.xy, d.conf) for d in dets]
        keep = _deduplicate(dets, bxs)
        dets, bxs = [dets[k] for k in keep], [bxs[k] for k in keep]
        with_world |= any(d.world is not None for d in dets)
        cost = np.array([[_cost(tr, t, d, b, max_steps, fps) for d, b in zip(dets, bxs)] for tr in tracks])
        cost = cost.reshape(len(tracks), len(dets))
        _give_way(cost, tracks, t, bxs, max_steps)
        ambiguous = _ambiguous(tracks, t, bxs, max_steps, recent)
        contested = _contested(cost)
        cost[:, contested] = np.inf
        ambiguous |= contested
        pairs = assign(cost)
        for i, j in pairs:
            tracks[i].update(t, dets[j], bxs[j])
        matched = {j for _, j in pairs}
        for j, (d, b) in enumerate(zip(dets, bxs)):
            if j in matched or ambiguous[j] or any(_iou(b, bxs[q]) > FRAGMENT_IOU for q in matched):
                continue
            tracks.append(_new_track(t, d, b, window))
            matched.add(j)
    tracks = merge_tracklets(tracks, fps, max_steps)
    longest = max((len(tr.frames) for tr in tracks), default=0)
    tracks = [tr for tr in tracks if len(tr.frames) >= min(min_frames, longest)]
    return _people(tracks, len(frames), with_world, fps, image_size, source)


def _people(tracks: list[_Track], t_total: int, with_world: bool, fps: float, image_size, source) -> People:
    """Tracks → ``People`` arrays, numbered by first appearance, then x."""
    def order_key(tr):
        first = min(tr.frames)
        return first, float(np.nanmean(tr.frames[first].xy[:, 0]))
    tracks = sorted(tracks, key=order_key)
    p = len(tracks)
    xy = np.full((p, t_total, NUM_JOINTS, 2), np.nan)
    conf = np.zeros((p, t_total, NUM_JOINTS))
    seen = np.zeros((p, t_total), dtype=bool)
    world = np.full((p, t_total, NUM_JOINTS, 3), np.nan) if with_world else None
    for k, tr in enumerate(tracks):
        for t, d in tr.frames.items():
            xy[k, t], conf[k, t], seen[k, t] = d.xy, np.where(np.isfinite(d.xy).all(-1), d.conf, 0.0), True
            if world is not None and d.world is not None:
                world[k, t] = d.world
    return People(xy=xy, conf=np.clip(np.nan_to_num(conf), 0.0, 1.0), seen=seen, fps=fps,
                  image_size=tuple(image_size), source=str(source), world=world)
