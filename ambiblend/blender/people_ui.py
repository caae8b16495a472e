"""The people in the clip: **Find People** lists them (how many frames each is seen, the box of
each on a chosen frame) and the panel's choice says whom **Lift Video** animates (largest, most
visible, number N, the one at an image point, or everyone: one armature each).

Thin: ``core.detect.read_people`` does the detection and tracking (kept in memory, so the lift
that follows does not detect again); this module copies the summary into the scene settings
(``AMBI_PG_settings.people``) and draws it.
"""
from __future__ import annotations

import bpy
from bpy.types import Operator, Panel

from ..core.errors import AmbiblendError
from .dependencies import requirement_message
from .panel import SubPanel
from .report import reports_errors

# The last ``People`` found, by clip path, for the boxes on the chosen frame (the scene keeps
# only the counts: ``People`` holds every joint of every frame).
_found: dict = {}


def find_people(context):
    """Detect and track everyone in the scene's clip → ``core.track.People`` (kept for drawing),
    and fill ``settings.people``."""
    from ..core.detect import read_people
    missing = requirement_message()
    if missing:
        raise AmbiblendError(missing)
    settings = context.scene.ambiblend
    clip = bpy.path.abspath(settings.clip_path) if settings.clip_path else ""
    if not clip.strip():
        raise AmbiblendError("No input chosen: pick a video or a keypoint file.")
    wm = context.window_manager
    wm.progress_begin(0, 1000)
    try:
        people = read_people(clip, lambda done, total: wm.progress_update(int(1000 * done / max(total, 1))),
                             settings.max_people, cache=True)
    finally:
        wm.progress_end()
    if people.count == 0:
        raise AmbiblendError(f"No person was detected in {people.name}.")
    _found.clear()
    _found[clip] = people
    settings.people.clear()
    for s in people.summaries():
        item = settings.people.add()
        item.number, item.frames_seen = s.number, s.frames_seen
        item.first_frame, item.last_frame, item.height_px = s.first_frame + 1, s.last_frame + 1, s.median_height
    settings.people_clip = clip
    return people


class AMBI_OT_find_people(Operator):
    """Detect everyone in the clip and list them (frames seen, box on the chosen frame)"""
    bl_idname = "ambiblend.find_people"
    bl_label = "Find People"
    bl_options = {"REGISTER", "UNDO"}

    @reports_errors
    def execute(self, context):
        people = find_people(context)
        self.report({"INFO"}, people.describe()[0].upper() + people.describe()[1:] + ".")
        return {"FINISHED"}


def box_on_frame(clip: str, number: int, frame: int):
    """(x0, y0, x1, y1) of person ``number`` on clip frame ``frame`` (from 1), or None when the
    person is unseen there or the detection is no longer in memory."""
    people = _found.get(clip)
    if people is None or not 1 <= number <= people.count:
        return None
    return people.summaries(frame - 1)[number - 1].box


class AMBI_PT_people(SubPanel, Panel):
    bl_idname = "AMBI_PT_people"
    bl_label = "People"
    bl_options = set()     # open: whom Lift Video animates matters on every clip

    def draw(self, context):
        layout = self.layout
        settings = context.scene.ambiblend
        col = layout.column()
        col.prop(settings, "person_mode")
        if settings.person_mode == "INDEX":
            col.prop(settings, "person_index")
        elif settings.person_mode == "POINT":
            col.prop(settings, "person_point")
        col.prop(settings, "max_people")
        layout.operator("ambiblend.find_people", icon="COMMUNITY")
        clip = bpy.path.abspath(settings.clip_path) if settings.clip_path else ""
        if not len(settings.people) or settings.people_clip != clip:
            return
        box = layout.box()
        box.prop(settings, "people_frame")
        for item in settings.people:
            where = box_on_frame(clip, item.number, settings.people_frame)
            seen = f"{item.frames_seen} frames ({item.first_frame}–{item.last_frame})"
            at = "" if where is None else " · box ({:.0f}, {:.0f})–({:.0f}, {:.0f})".format(*where)
            chosen = settings.person_mode == "INDEX" and settings.person_index == item.number
            box.label(text=f"{item.number}: {seen}, {item.height_px:.0f} px{at}",
                      icon="CHECKMARK" if chosen else "USER")


classes = (AMBI_OT_find_people, AMBI_PT_people)
