"""Calibrated multi-view cameras: calibration readers and robust triangulation (no bpy)."""
