"""Lift Video from the panel: detection and lifting run on a worker thread (``BackgroundJob``)
that Esc cancels, and the operator concludes on the main thread. Headless Blender has no window
to run the modal timer in, so these tests drive the same pieces the modal operator calls —
``lift_request`` → ``BackgroundJob(request.run)`` → ``conclude_job`` — with a real clip, real
MediaPipe and the real model; the panel is drawn while a job runs."""
from __future__ import annotations

import sys
import time

import bpy
import numpy as np
from ambi_helpers import SAMPLE_KEYPOINTS, SAMPLE_VIDEO, channelbag, scene_state
from conftest import ADDON
from test_addon_panels import _draw_all_panels

from ambiblend.core.job import BackgroundJob


def _operators():
    """The installed extension's operator module (the class Blender registered, not the repo's)."""
    return sys.modules[f"{ADDON}.ambiblend.blender.operators"]


def _start(path):
    bpy.context.scene.ambiblend.clip_path = str(path)
    ops = _operators()
    request = ops.lift_request(bpy.context)
    return ops, request, BackgroundJob(request.run).start()


def test_cancelled_detection_stops_early_and_leaves_the_scene_unchanged(addon):
    bpy.context.scene.ambiblend.clip_path = str(SAMPLE_KEYPOINTS)
    assert bpy.ops.ambiblend.lift_video() == {"FINISHED"}   # an earlier lift in the scene
    before = scene_state()
    ops, request, job = _start(SAMPLE_VIDEO)
    deadline = time.monotonic() + 120
    while job.done < 3 and not job.finished and time.monotonic() < deadline:
        time.sleep(0.01)
    assert 0 < job.done < job.total, "the job should be part-way through detection"
    job.cancel()                                             # what Esc does
    assert job.wait(60)
    assert job.done < job.total and job.result is None
    assert type(job.error).__name__ == "DetectionCancelled"
    assert ops.conclude_job(bpy.context, job, request) == (
        {"CANCELLED"}, "WARNING", "Lift Video cancelled; the scene is unchanged.")
    assert scene_state() == before


def test_finished_job_keys_the_same_armature_as_execute(addon):
    ops, request, job = _start(SAMPLE_KEYPOINTS)
    assert job.wait(120) and job.error is None
    result, level, message = ops.conclude_job(bpy.context, job, request)
    assert (result, level) == ({"FINISHED"}, "INFO")
    n = job.result.num_frames
    assert message == f"Lifted {n} frames onto 'pose2sim_cam04_keypoints' (action 'pose2sim_cam04_keypoints_lift')."
    threaded = bpy.context.active_object
    keys = {fc.data_path + str(fc.array_index): len(fc.keyframe_points) for fc in channelbag(threaded).fcurves}
    assert len(keys) == 17 * 4 + 3 and set(keys.values()) == {n}
    # The blocking path (scripts, background mode) gives the same joints onto the same armature.
    assert bpy.ops.ambiblend.lift_video() == {"FINISHED"}
    assert bpy.context.active_object == threaded and len(bpy.data.armatures) == 1
    first, second = (np.asarray(a["ambiblend_joints"]) for a in bpy.data.actions)
    np.testing.assert_allclose(first, second, atol=1e-6)


def test_failed_job_reports_the_error_and_changes_nothing(addon, tmp_path):
    before = scene_state()
    ops, request, job = _start(tmp_path / "gone.mp4")
    assert job.wait(60)
    result, level, message = ops.conclude_job(bpy.context, job, request)
    assert (result, level) == ({"CANCELLED"}, "ERROR")
    assert message.startswith("Input not found:") and "gone.mp4" in message
    assert scene_state() == before


def test_panel_shows_progress_instead_of_the_button_while_a_lift_runs(addon):
    ops = _operators()
    job = BackgroundJob(lambda progress: progress(30, 120))
    job.start().wait(10)
    ops.AMBI_OT_lift_video.running = job
    try:
        log = _draw_all_panels(bpy.context)
    finally:
        ops.AMBI_OT_lift_video.running = None
    assert ("progress", "Detecting frame 30 of 120 (25 %) — Esc to cancel") in log
    assert ("operator", "ambiblend.lift_video") not in log
    # A lift from a script (or in background mode) runs in place, even while a panel lift is
    # registered as running: only the panel's invoke is held to one lift at a time.
    ops.AMBI_OT_lift_video.running = job
    try:
        bpy.context.scene.ambiblend.clip_path = str(SAMPLE_KEYPOINTS)
        assert bpy.ops.ambiblend.lift_video("INVOKE_DEFAULT") == {"FINISHED"}  # background: runs in place
    finally:
        ops.AMBI_OT_lift_video.running = None
