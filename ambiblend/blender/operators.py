"""Operator: Lift Video (clip → keyed armature). The export operators are in ``export_ui``.

Thin: read the settings, call the core pipeline and the bake function, and turn an
``AmbiblendError`` into an ERROR report + CANCELLED (the scene is left as it was).

From the panel (``invoke``) the slow part — detection and lifting, bpy-free — runs on a worker
thread (``core.job.BackgroundJob``) while a modal timer shows its progress; the UI stays live and
Esc cancels. The scene is only touched on the main thread, after the job ends. From a script or
in background mode (``execute``) the same work runs in place.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import bpy
from bpy.types import Operator

from ..core.errors import AmbiblendError
from .armature import bake_motion, is_ambiblend_armature
from .dependencies import requirement_message
from .prefs import get_preferences
from .props import clean_options, person_choice
from .report import reports_errors


def pipeline_options(settings, prefs) -> PipelineOptions:
    """Scene settings + add-on preferences → ``PipelineOptions``."""
    from ..core.pipeline import PipelineOptions  # torch: imported only when a lift runs
    weights = bpy.path.abspath(prefs.weights) if prefs is not None and prefs.weights else None
    return PipelineOptions(subject_height=settings.subject_height, root_motion=settings.root_motion,
                           focal_35mm=settings.focal_35mm, device=prefs.device if prefs else "AUTO",
                           weights=weights, clean=clean_options(settings),
                           detector_3d_weight=settings.detector_3d, person=person_choice(settings),
                           max_people=settings.max_people, repair_swaps=settings.repair_swaps)


@dataclass
class LiftRequest:
    """What one lift needs, read from the scene on the main thread before any slow work."""
    clip: str
    options: object                  # core.pipeline.PipelineOptions
    target_name: str | None          # our armature to key (the active one), or None for a new one
    hands: bool = False              # detect the hands too (``core.hands``)
    reuse_detection: bool = False    # Find People ran on this clip: lift from its detection

    def run(self, progress=None):
        """Detect and lift (bpy-free, safe on a worker thread) → ``core.pipeline.Motion``, or a
        list of them (one per person) for "all". After Find People on this clip its detection
        is reused (``read_people``'s cache), so lifting one person and then another does not
        detect again."""
        from ..core.pipeline import run_pipeline, run_pipeline_people
        from ..core.track import parse_choice
        everyone = parse_choice(self.options.person).mode == "all"
        if self.hands:
            if everyone:
                raise AmbiblendError("Hands are lifted for one person at a time: choose one, or turn Hands off.")
            from ..core.hands import run_pipeline_hands
            return run_pipeline_hands(self.clip, self.options, progress=progress)
        if everyone:
            return run_pipeline_people(self.clip, self.options, progress=progress, cache=self.reuse_detection)
        return run_pipeline(self.clip, self.options, progress=progress, cache=self.reuse_detection)


def lift_request(context) -> LiftRequest:
    """The scene's settings → ``LiftRequest``; raises ``AmbiblendError`` when a lift cannot run."""
    missing = requirement_message()
    if missing:
        raise AmbiblendError(missing)
    settings = context.scene.ambiblend
    clip = bpy.path.abspath(settings.clip_path) if settings.clip_path else ""
    active = context.active_object
    target = active.name if is_ambiblend_armature(active) else None
    return LiftRequest(clip, pipeline_options(settings, get_preferences(context)), target,
                       hands=bool(getattr(settings, "hands", False)),
                       reuse_detection=bool(len(settings.people)) and settings.people_clip == clip)


def bake_lift(context, motion, request: LiftRequest) -> str:
    """Key the lifted ``motion`` onto the request's armature (or a new one) → the report line;
    a list of motions (everyone) onto one new armature each."""
    if isinstance(motion, list):
        return bake_people(context, motion, request)
    target = bpy.data.objects.get(request.target_name) if request.target_name else None
    if target is not None and not is_ambiblend_armature(target):
        target = None  # deleted or changed while the job ran: key a new armature instead
    if context.mode != "OBJECT":
        bpy.ops.object.mode_set(mode="OBJECT")
    obj, action = bake_motion(context, motion, Path(request.clip).stem, target=target)
    filled = int(motion.filled.sum())
    note = f", {filled} frames without a person interpolated" if filled else ""
    hands = hands_report(motion, obj)
    return (f"Lifted {motion.num_frames} frames{people_note(motion)} onto '{obj.name}' "
            f"(action '{action.name}'{note}).{hands}{jumps_note(motion)}")


def people_note(motion) -> str:
    """' of person 2 (of 3 found)' when the clip had several people, else ''."""
    found = motion.info.get("people", 1)
    return f" of person {motion.info['person']} (of {found} found)" if found > 1 else ""


def jumps_note(motion) -> str:
    """' 2 root jumps faster than 10 m/s (…) treated as a gap.' and ' Left and right relabelled in
    N frames (…).' when the lift found any."""
    from ..core.pipeline import lift_notes
    return "".join(f" {text[0].upper()}{text[1:]}." for text in lift_notes(motion))


def bake_people(context, motions: list, request: LiftRequest) -> str:
    """One new armature per person (``<clip>_person<N>``), all in the scene's frame: where they
    stand relative to each other, on one ground. On any failure the ones made are removed."""
    if context.mode != "OBJECT":
        bpy.ops.object.mode_set(mode="OBJECT")
    stem, made = Path(request.clip).stem, []
    scene = context.scene
    timing = (scene.render.fps, scene.render.fps_base, scene.frame_start, scene.frame_end, scene.frame_current)
    try:
        for motion in motions:
            made.append(bake_motion(context, motion, f"{stem}_person{motion.info['person']}"))
    except BaseException:
        for obj, action in made:
            arm = obj.data
            bpy.data.actions.remove(action)
            bpy.data.objects.remove(obj)
            bpy.data.armatures.remove(arm)
        (scene.render.fps, scene.render.fps_base, scene.frame_start, scene.frame_end) = timing[:4]
        scene.frame_set(timing[4])
        raise
    names = ", ".join(f"'{obj.name}'" for obj, _ in made)
    filled = sum(int(m.filled.sum()) for m in motions)
    note = f", {filled} frames without their person interpolated" if filled else ""
    jumps = "".join(jumps_note(m) for m in motions)
    return f"Lifted {motions[0].num_frames} frames of {len(motions)} people onto {names}{note}.{jumps}"


def hands_report(motion, obj) -> str:
    """' Hands: …' for the report when the lift looked for hands, else ''."""
    from ..core.hands.pipeline import NOTE_KEY, hands_note
    if NOTE_KEY not in motion.info:
        return ""
    return " " + hands_note(motion, [b.name for b in obj.data.bones])


def conclude_job(context, job, request: LiftRequest) -> tuple[set, str, str]:
    """A finished ``BackgroundJob`` → (operator return set, report level, message), baking the
    motion when it succeeded. Cancelled or failed jobs leave the scene as it was."""
    from ..core.detect import DetectionCancelled
    if job.cancelled or isinstance(job.error, DetectionCancelled):
        return {"CANCELLED"}, "WARNING", "Lift Video cancelled; the scene is unchanged."
    if isinstance(job.error, AmbiblendError):
        return {"CANCELLED"}, "ERROR", str(job.error)
    if job.error is not None:
        raise job.error  # a bug, not a user's mistake: let Blender show the traceback
    try:
        return {"FINISHED"}, "INFO", bake_lift(context, job.result, request)
    except AmbiblendError as exc:
        return {"CANCELLED"}, "ERROR", str(exc)


def job_status(job) -> str:
    """One line for the status bar and the panel while a lift runs."""
    if job.total:
        return f"Detecting frame {job.done} of {job.total} ({100 * job.fraction:.0f} %) — Esc to cancel"
    return "Loading the model — Esc to cancel"


class AMBI_OT_lift_video(Operator):
    """Detect the person in the clip, lift to 3D and key an armature (a new action each time).
    Esc cancels while it runs"""
    bl_idname = "ambiblend.lift_video"
    bl_label = "Lift Video"
    bl_options = {"REGISTER", "UNDO"}

    running = None   # the BackgroundJob of the lift in progress (one at a time), for the panel

    @reports_errors
    def execute(self, context):
        request = lift_request(context)
        wm = context.window_manager
        wm.progress_begin(0, 1000)
        try:
            motion = request.run(progress=lambda done, total: wm.progress_update(int(1000 * done / max(total, 1))))
        finally:
            wm.progress_end()
        self.report({"INFO"}, bake_lift(context, motion, request))
        return {"FINISHED"}

    @reports_errors
    def invoke(self, context, event):
        if bpy.app.background or context.window is None:
            return self.execute(context)
        if AMBI_OT_lift_video.running is not None:
            raise AmbiblendError("A lift is already running; wait for it or press Esc to cancel it.")
        from ..core.job import BackgroundJob
        self._request = lift_request(context)
        AMBI_OT_lift_video.running = BackgroundJob(self._request.run).start()
        wm = context.window_manager
        self._timer = wm.event_timer_add(0.1, window=context.window)
        wm.modal_handler_add(self)
        wm.progress_begin(0, 1000)
        return {"RUNNING_MODAL"}

    def modal(self, context, event):
        job = AMBI_OT_lift_video.running
        if event.type == "ESC" and event.value == "PRESS":
            job.cancel()
            return {"RUNNING_MODAL"}   # the job notices at its next frame; the timer then ends it
        if event.type != "TIMER":
            return {"PASS_THROUGH"}    # the viewport and the rest of the UI stay usable
        if not job.finished:
            context.window_manager.progress_update(int(1000 * job.fraction))
            context.workspace.status_text_set(f"AmbiBlend: {job_status(job)}")
            _redraw_sidebars(context)
            return {"RUNNING_MODAL"}
        self._stop(context)
        result, level, message = conclude_job(context, job, self._request)
        self.report({level}, message)
        return result

    def cancel(self, context):  # Blender ends the operator (e.g. the file is closed)
        if AMBI_OT_lift_video.running is not None:
            AMBI_OT_lift_video.running.cancel()
        self._stop(context)

    def _stop(self, context):
        wm = context.window_manager
        wm.event_timer_remove(self._timer)
        wm.progress_end()
        context.workspace.status_text_set(None)
        AMBI_OT_lift_video.running = None
        _redraw_sidebars(context)


def _redraw_sidebars(context) -> None:
    for area in context.screen.areas if context.screen else ():
        if area.type == "VIEW_3D":
            area.tag_redraw()


classes = (AMBI_OT_lift_video,)


def pre_unregister():
    """Disabling the add-on mid-lift: stop the worker (its result would have nowhere to go)."""
    job, AMBI_OT_lift_video.running = AMBI_OT_lift_video.running, None
    if job is not None:
        job.cancel()
        job.wait(5.0)
