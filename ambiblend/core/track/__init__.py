"""Tracking stage: every person of a clip linked into identities, and the one(s) to animate.

    detections per frame ─ tracker.track ─▶ People ─ choose.choose ─▶ People.keypoints(i)
        ─ facing.repair_facing ─▶ lift ─ jumps.remove_jumps on the lifted root

Files: ``tracker`` (frame-to-frame linking from position, box overlap and body size; lost and
found), ``people`` (``People``: (P, T, 17, 2) tracks, summaries for the panel and messages),
``choose`` (largest / visible / index N / x,y / all), ``jumps`` (root speed beyond a human limit
→ reported and turned into a gap), ``facing`` (the detector's front/back confusions — whole-body
left/right swaps — found by the lifted body's facing continuity and relabelled). numpy only; no
bpy, no MediaPipe.
"""
from .choose import PersonChoice, choose, parse_choice
from .jumps import HUMAN_ROOT_SPEED, Jumps, find_jumps, remove_jumps, root_speeds
from .people import People, PersonSummary
from .tracker import Detection, track

__all__ = ["People", "PersonSummary", "Detection", "track", "PersonChoice", "parse_choice", "choose",
           "HUMAN_ROOT_SPEED", "Jumps", "find_jumps", "remove_jumps", "root_speeds"]
