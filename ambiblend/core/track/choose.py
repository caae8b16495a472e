"""Which tracked person to animate: the user's choice, as text (batch) or settings (panel).

    "largest"   the person with the largest median box height over the frames they are seen in
    "visible"   the person seen in the most frames (ties: the higher mean confidence)
    "index N"   person N (numbered from 1, as listed: order of first appearance, then left to right)
    "x,y"       the person whose box holds the image point (x, y) in pixels on the first frame
                where anyone's box holds it (nearest box centre when several do)
    "all"       every person (one armature each)

A choice that names nobody (an index past the last person, a point no box holds) is refused with
the list of the people found; nothing is guessed.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from ..errors import AmbiblendError
from .people import People

MODES = ("largest", "visible", "index", "point", "all")


@dataclass(frozen=True)
class PersonChoice:
    """mode: one of MODES; index: the person's number (from 1) for "index"; point: (x, y) pixels
    for "point"; frame: for "point", the 0-based frame to look on (None: the first where a box
    holds the point)."""
    mode: str = "largest"
    index: int = 1
    point: tuple[float, float] = (0.0, 0.0)
    frame: int | None = None

    def __str__(self) -> str:
        if self.mode == "index":
            return f"index {self.index}"
        if self.mode == "point":
            return f"{self.point[0]:g},{self.point[1]:g}"
        return self.mode


def parse_choice(text) -> PersonChoice:
    """'largest' | 'visible' | 'index N' (or just 'N') | 'all' | 'x,y' → ``PersonChoice``."""
    if isinstance(text, PersonChoice):
        return text
    words = str(text).strip().lower().replace("=", " ").split()
    if words in (["largest"], ["visible"], ["most", "visible"], ["all"]):
        return PersonChoice(mode=words[-1])
    if len(words) in (1, 2) and words[-1].isdigit() and (len(words) == 1 or words[0] == "index"):
        return PersonChoice(mode="index", index=int(words[-1]))
    m = re.fullmatch(r"\s*([-+]?\d+(?:\.\d*)?)\s*,\s*([-+]?\d+(?:\.\d*)?)\s*", " ".join(words))
    if m:
        return PersonChoice(mode="point", point=(float(m.group(1)), float(m.group(2))))
    raise AmbiblendError(f"Unknown person choice '{text}': use largest, visible, index N (from 1), all, "
                         f"or x,y (an image point in pixels).")


def choose(people: People, choice) -> list[int]:
    """0-based indices of the chosen people (one, or all for "all"). Raises AmbiblendError when
    nobody was found ('No person was detected in …', as for a single-person clip) or when the
    choice names nobody (with the list of people found)."""
    choice = parse_choice(choice)
    if people.count == 0:
        raise AmbiblendError(f"No person was detected in {people.name}.")
    if choice.mode == "all":
        return list(range(people.count))
    if choice.mode == "index":
        if not 1 <= choice.index <= people.count:
            raise AmbiblendError(f"{people.name}: there is no person {choice.index}; {people.describe()}.")
        return [choice.index - 1]
    summaries = people.summaries()
    if choice.mode == "largest":
        return [int(np.argmax([s.median_height for s in summaries]))]
    if choice.mode == "visible":
        return [max(range(people.count), key=lambda p: (summaries[p].frames_seen, summaries[p].mean_conf))]
    if choice.mode == "point":
        return [_at_point(people, choice)]
    raise AmbiblendError(f"Unknown person choice mode '{choice.mode}' (use one of {', '.join(MODES)}).")


def _at_point(people: People, choice: PersonChoice) -> int:
    x, y = choice.point
    b = people.boxes()                                           # (P, T, 4), NaN where unseen
    with np.errstate(invalid="ignore"):
        inside = (b[..., 0] <= x) & (x <= b[..., 2]) & (b[..., 1] <= y) & (y <= b[..., 3])
    frames = [choice.frame] if choice.frame is not None else np.flatnonzero(inside.any(axis=0))
    for t in frames:
        if 0 <= t < people.num_frames and inside[:, t].any():
            cand = np.flatnonzero(inside[:, t])
            centres = np.stack([(b[cand, t, 0] + b[cand, t, 2]) / 2, (b[cand, t, 1] + b[cand, t, 3]) / 2], -1)
            return int(cand[np.argmin(np.linalg.norm(centres - (x, y), axis=-1))])
    on = "" if choice.frame is None else f" on frame {choice.frame + 1}"
    raise AmbiblendError(f"{people.name}: nobody is at ({x:g}, {y:g}){on}; "
                         f"{people.describe(choice.frame)}.")
