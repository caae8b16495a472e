"""Hands stage (bpy-free, no torch): MediaPipe Hand Landmarker on crops around the body's wrists
→ each hand on the subject's left or right wrist → finger angles (curl/spread, anatomical
limits) and palm orientation → smoothed (``clean.fingers``) → hand joints on the lifted body.

Files: ``landmarks`` (21 landmarks, chains, joint layout), ``detect`` (runner, wrist regions,
``detect_hands``), ``assign`` (wrist assignment, ``HandTrack``), ``angles`` (palm frame, angles,
limits, forward kinematics), ``motion`` (``solve_hands`` → ``HandMotion``), ``files`` (a
keypoint file's hands → ``HandTrack``), ``lift2d`` (2D hand keypoints → 3D), ``pipeline``
(``run_pipeline_hands``, ``add_hands``).
"""
from .pipeline import HANDS_KEY, NOTE_KEY, add_hands, run_pipeline_hands

__all__ = ["HANDS_KEY", "NOTE_KEY", "add_hands", "run_pipeline_hands"]
